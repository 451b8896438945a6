"""Visible latency in the real browser on real read speech: JupyterLab, Chromium, a fake microphone.

    python benchmarks/browser_latency.py [--runs 3] [--file two-cities] [--engines whisper moonshine+whisper wlk]

The browser tests' fixtures (``tests/browser/conftest.py``: JupyterLab, Debian Chromium with a
fake microphone, notebooks) are reused, with the fake microphone playing a file of
``benchmarks/corpus.py`` (the real recording by default) followed by 4 s of silence. Each run
opens a notebook (a fresh kernel) with ``LiveTranscriber(engine=...)``, presses Start, watches the
transcript element in the page, and presses Stop once the file has played. Rows, ``--runs`` runs
each, one after another: the Whisper-only offline engine (``whisper``), the two-speed engine
(``moonshine+whisper``) and, where ``benchmarks/setup_team_server.sh`` installed it, WhisperLiveKit's
Deepgram-compatible server through the Deepgram engine (``wlk``, tiny.en, LocalAgreement).

A word's visible latency is the time from its end in the audio (the benchmark's reference
alignment) to the first time the page showed it, with time zero at the click on Start; the browser
records and sends 250 ms slices, so this includes what a user sees: recording, the comm, the kernel,
rendering. Final latency: to the kernel sending it as final text. First word: the first word shown
on the fresh kernel, from its end in the audio (the models load meanwhile). Prints, per run and as
medians per engine: visible and final p50/p90, the first word, the WER and its difference from
tiny.en's batch pass on the same file, the cores the kernel's process used and the load average;
then where each word's time went (recorder, comm, decoder, recognition, rendering: see
``_stages``), Whisper's runs, and the cores each program used. ``--options`` / ``--policy`` set the
widget's options (JSON), and each run's raw trace is written beside ``--out``
(``browser-trace-ENGINE-N.json``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402
import speech  # noqa: E402

# Records, in the page, every change of the transcript's text and when Start was clicked; and, on
# the wall clock (the kernel's time.time()), when the microphone opened, when the recorder started
# and when each chunk left the recorder.
OBSERVE = """
() => {
  const box = document.querySelector('.lt-transcript');
  const wall = () => (performance.timeOrigin + performance.now()) / 1000;
  window.__lt = { changes: [], clicked: null, mic: null, recorder: null, chunks: [] };
  new MutationObserver(() => { window.__lt.changes.push([performance.now(), box.textContent, wall()]); })
    .observe(box, { subtree: true, childList: true, characterData: true });
  document.querySelector('.lt-toggle').addEventListener(
    'click', () => { if (window.__lt.clicked === null) window.__lt.clicked = performance.now(); }, true);
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => { const s = await getUserMedia(c); window.__lt.mic ??= wall(); return s; };
  const start = MediaRecorder.prototype.start;
  MediaRecorder.prototype.start = function (...args) {
    window.__lt.recorder ??= wall();
    this.addEventListener('dataavailable', (e) => window.__lt.chunks.push([wall(), e.data.size]));
    return start.apply(this, args);
  };
}
"""

# Run in the kernel before Start: when each chunk reaches the transcriber, when its audio is decoded,
# each recognition run, and each change sent to the page (wall clock).
TRACE = """
import time as _t
import live_transcriber.engines.local as _local
import live_transcriber.streaming as _streaming
_trace = {"in": [], "decoded": [], "runs": [], "sent": []}
def _wrap_receive(receive):
    def wrapped(message, buffers=()):
        if isinstance(message, dict) and message.get("type") == "chunk":
            _trace["in"].append((_t.time(), message.get("seq")))
        return receive(message, buffers)
    return wrapped
w.transcriber.receive = _wrap_receive(w.transcriber.receive)
_on_audio = _local.LocalStream._on_audio
def _traced_on_audio(self, samples):
    _trace["decoded"].append((_t.time(), len(samples)))
    return _on_audio(self, samples)
_local.LocalStream._on_audio = _traced_on_audio
_step = _streaming.StreamingPolicy.step
def _traced_step(self, transcribe, *witness):
    started, cpu, window = _t.time(), _t.process_time(), self.window_end - self.window_start
    events = _step(self, transcribe, *witness)
    _trace["runs"].append((started, _t.time(), _t.process_time() - cpu, window))
    return events
_streaming.StreamingPolicy.step = _traced_step
_changed = w.changed
def _traced_changed(changes):
    if "transcript" in changes or "interim" in changes:
        _trace["sent"].append((_t.time(), changes.get("transcript", w.transcript), changes.get("interim", w.interim)))
    return _changed(changes)
w.changed = _traced_changed
"""
SILENCE_AFTER = 4.0
#: The API key the ``wlk`` rows' WhisperLiveKit server is started with (on this machine only).
PEER_KEY = "browser-latency-benchmark"
ENGINES = ("whisper", "moonshine+whisper", "wlk")


class FakeMic(NamedTuple):
    wav: Path
    text: str


def _options() -> dict:
    """Set by main() for the pytest session it starts (which imports this file again)."""
    return json.loads(os.environ["LT_BROWSER_BENCH"])


@pytest.fixture(scope="session")
def fake_mic(tmp_path_factory):
    """The benchmark file, then silence, as the fake microphone (overrides the browser tests' own)."""
    from faster_whisper.audio import decode_audio

    import numpy as np

    name = _options()["file"]
    folder = tmp_path_factory.mktemp("mic")
    wav, text, _ = corpus.build(name, folder)
    audio = np.concatenate([np.zeros(8000, np.float32), decode_audio(str(wav)), np.zeros(int(SILENCE_AFTER * 16000), np.float32)])
    padded = folder / "mic.wav"
    corpus._write(padded, audio)
    return FakeMic(padded, text)


@pytest.fixture(scope="session")
def peer():
    """WhisperLiveKit's Deepgram-compatible server, for the ``wlk`` rows (started once)."""
    import wlk_server

    server = wlk_server.start(PEER_KEY, Path(_options()["results"]).with_name("wlk-server.log"))
    yield server
    server.stop()


def test_visible_latency(open_notebook, fake_mic, run, engine, request):
    import streaming  # benchmarks/streaming.py: the reference alignment

    word_ends, _ = streaming.reference_word_ends(fake_mic.text, str(fake_mic.wav))
    with __import__("wave").open(str(fake_mic.wav)) as f:
        duration = f.getnframes() / f.getframerate()
    widget_options = dict(_options()["widget"])
    if engine == "wlk":
        server = request.getfixturevalue("peer")
        widget_options.update(engine="deepgram", api_key=PEER_KEY, base_url=server.base_url)
    else:
        widget_options["engine"] = engine
    options = [f"{k}={v!r}" for k, v in widget_options.items()]
    if _options()["policy"] and engine != "wlk":
        options.append(f"policy=PolicyOptions(**{_options()['policy']!r})")
    nb = open_notebook(
        "from live_transcriber import LiveTranscriber\nfrom live_transcriber.streaming import PolicyOptions\n"
        f"w = LiveTranscriber({', '.join(options)})\nw"
    )
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    widget.wait_for()
    nb.page.evaluate(OBSERVE)
    nb.kernel.execute(TRACE)
    kernel_pid = int(nb.kernel.eval("__import__('os').getpid()"))
    load = os.getloadavg()[0]
    cpu_before = _cpu_by_program()
    widget.get_by_role("button", name="Start", exact=True).click()
    started = time.monotonic()
    time.sleep(max(0.0, started + duration - 0.3 - time.monotonic()))
    cpu_after = _cpu_by_program()
    elapsed = time.monotonic() - started
    widget.get_by_role("button", name="Stop", exact=True).click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=120)
    transcript = nb.kernel.eval("w.transcript")
    log = nb.page.evaluate("() => window.__lt")
    changes = [((when - log["clicked"]) / 1000, text) for when, text, _ in log["changes"]]
    seen = speech.first_seen(changes, [w for w, _ in word_ends])
    latencies = [seen[i] - end for i, (_, end) in enumerate(word_ends) if i in seen]
    # The first word on a fresh kernel (each run opens a notebook with a new kernel): from its end
    # in the audio to when the page first showed any word, the models loaded meanwhile.
    first = min(seen, default=None)
    first_word = seen[first] - word_ends[first][1] if first is not None else None
    trace = nb.kernel.eval("_trace")
    raw = Path(_options()["results"]).with_name(f"browser-trace-{engine.replace('+', '-')}-{run}.json")
    raw.write_text(json.dumps({"word_ends": word_ends, "page": log, "kernel": trace}))
    stages = _stages(word_ends, log, trace)
    result = {
        "engine": engine,
        "first_word": first_word,
        "run": run,
        "p50": streaming.pct(latencies, 50),
        "p90": streaming.pct(latencies, 90),
        "words_seen": len(latencies),
        "words": len(word_ends),
        "wer": speech.wer(fake_mic.text, transcript),
        "load": load,
        "stages": stages,
        # Cores each program used while the file played (the kernel is a python process).
        "cores": _cores(cpu_before, cpu_after, elapsed),
        "kernel_cores": round(sum(cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after if k[1] == kernel_pid) / elapsed, 2),
        "transcript": transcript,
    }
    with open(_options()["results"], "a") as f:
        f.write(json.dumps(result) + "\n")


def _cpu_by_program() -> dict[tuple[str, int], float]:
    """CPU seconds used so far by each process, by (program, pid): chromium, python, ..."""
    import psutil

    used: dict[tuple[str, int], float] = {}
    for process in psutil.process_iter(["name", "cpu_times"]):
        times = process.info["cpu_times"]
        if times is not None:
            used[((process.info["name"] or "?").split("-")[0], process.pid)] = times.user + times.system
    return used


def _cores(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float], seconds: float) -> dict[str, float]:
    """Cores each program used between two samples (a process that ended meanwhile is left out;
    one that started counts from zero)."""
    cores: dict[str, float] = {}
    for (name, pid), cpu in after.items():
        cores[name] = cores.get(name, 0.0) + (cpu - before.get((name, pid), 0.0)) / seconds
    return {name: round(value, 2) for name, value in cores.items()}


def _stages(word_ends: list[tuple[str, float]], page: dict, kernel: dict) -> dict:
    """Where each word's visible latency goes, as medians over the words (seconds, wall clock).

    A word's end in the file is placed on the wall clock from when the microphone opened (Chromium
    starts playing the file then). Then: ``recorded`` until the chunk holding it left the recorder;
    ``comm`` until the transcriber had that chunk; ``decoded`` until its audio came out of the
    decoder; ``recognised`` until the kernel sent the page a text holding it; ``rendered`` until
    the page showed it. Also the recorder's start after the microphone's, the runs' median
    length, gap, CPU and window, and final latency (until the kernel sent the word as final text).
    """
    import streaming  # benchmarks/streaming.py

    words = [w for w, _ in word_ends]
    mic, recorder = page["mic"], page["recorder"]
    if mic is None or recorder is None or not page["chunks"]:
        return {}
    sent_to_page = speech.first_seen([(t, f"{tr} {interim}") for t, tr, interim in kernel["sent"]], words)
    shown = speech.first_seen([(wall, text) for _, text, wall in page["changes"]], words)
    final = speech.first_seen([(t, tr) for t, tr, _ in kernel["sent"]], words)
    arrivals = {seq: when for when, seq in kernel["in"]}
    decoded, total = [], 0
    for when, samples in kernel["decoded"]:
        total += samples
        decoded.append((total / 16000, when))
    rows = {name: [] for name in ("recorded", "comm", "decoded", "recognised", "rendered", "total")}
    for i, (_, end) in enumerate(word_ends):
        if i not in shown or i not in sent_to_page:
            continue
        spoken = mic + end
        chunk = next((k for k, (when, _) in enumerate(page["chunks"]) if when >= spoken), None)
        at = next((when for seconds, when in decoded if seconds >= spoken - recorder), None)
        if chunk is None or chunk not in arrivals or at is None:
            continue
        left = page["chunks"][chunk][0]
        marks = [spoken, left, arrivals[chunk], at, sent_to_page[i], shown[i]]
        for name, a, b in zip(rows, marks, marks[1:]):
            rows[name].append(b - a)
        rows["total"].append(shown[i] - spoken)
    runs = kernel["runs"]
    result = {name: streaming.pct(values, 50) for name, values in rows.items()}
    # A word's final latency: from its end (as above) to the kernel sending it as final text.
    finals = [final[i] - (mic + end) for i, (_, end) in enumerate(word_ends) if i in final]
    result["final_p50"], result["final_p90"] = streaming.pct(finals, 50), streaming.pct(finals, 90)
    result["words"] = len(rows["total"])
    result["recorder_after_mic"] = recorder - mic
    result["run_p50"] = streaming.pct([run[1] - run[0] for run in runs], 50)
    result["gap_p50"] = streaming.pct([b[0] - a[1] for a, b in zip(runs, runs[1:])], 50)
    result["run_cpu_p50"] = streaming.pct([run[2] for run in runs], 50)
    result["window_p50"] = streaming.pct([run[3] for run in runs], 50)
    result["runs"] = len(runs)
    return result


def batch_wer(wav: Path, text: str) -> float:
    """tiny.en's WER on the whole file in one batch pass (the floor the live finals are held to),
    Opus-coded as the browser sends it (as ``streaming.py``'s batch row: on the raw WAV, Whisper's
    long-form pass on two-cities skips two phrases, WER 0.109 instead of 0.000)."""
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    engine = LocalEngine()
    webm = speech.encode(wav, wav.with_suffix(".batch.webm"), "webm")
    words = engine.transcribe(engine.load(), decode_audio(str(webm)), "").words
    return speech.wer(text, " ".join(w.text for w in words))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", default="two-cities", choices=corpus.NAMES)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=None,
                        help="rows, each with --runs runs on fresh kernels (default: both offline engines, "
                             "and WhisperLiveKit through the Deepgram engine where benchmarks/setup_team_server.sh installed it)")
    parser.add_argument("--options", default="{}", help='the widget\'s options as JSON, e.g. \'{"cpu_threads": 1}\'')
    parser.add_argument("--policy", default="{}", help='PolicyOptions as JSON, e.g. \'{"cpu_budget": null}\'')
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "browser.json"))
    args = parser.parse_args()
    import wlk_server

    engines = args.engines or [e for e in ENGINES if e != "wlk" or wlk_server.installed()]
    if "wlk" in engines and not wlk_server.installed():
        sys.exit(wlk_server.NOT_INSTALLED)
    if "wlk" not in engines:
        print(f"(no WhisperLiveKit row: {wlk_server.NOT_INSTALLED})")
    results_path = Path(args.out).with_suffix(".jsonl")
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.unlink(missing_ok=True)
    os.environ["LT_BROWSER_BENCH"] = json.dumps({"file": args.file, "results": str(results_path), "widget": json.loads(args.options), "policy": json.loads(args.policy)})
    # The browser tests' fixtures, loaded as a plugin under a name of its own.
    spec = importlib.util.spec_from_file_location("browser_fixtures", ROOT / "tests" / "browser" / "conftest.py")
    fixtures = importlib.util.module_from_spec(spec)
    sys.modules["browser_fixtures"] = fixtures
    spec.loader.exec_module(fixtures)
    code = pytest.main(
        [__file__, "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--timeout", "900",
         "--override-ini", "python_files=browser_latency.py", f"--runs={args.runs}", f"--engines={','.join(engines)}"],
        plugins=[fixtures, _RunsPlugin()],
    )
    results = [json.loads(line) for line in results_path.read_text().splitlines()] if results_path.exists() else []
    wav, text, _ = corpus.build(args.file, results_path.parent / "audio")
    batch = batch_wer(wav, text)
    print(f"\n{'engine':<18} {'run':>3} {'vis p50':>7} {'vis p90':>7} {'fin p50':>7} {'fin p90':>7} {'first':>6} {'seen':>9} {'WER':>6} {'-batch':>7} {'kernel':>6} {'load':>5}")
    for r in results:
        st = r.get("stages") or {}
        print(f"{r['engine']:<18} {r['run']:>3} {_f(r['p50'])} {_f(r['p90'])} {_f(st.get('final_p50'))} {_f(st.get('final_p90'))} "
              f"{_f(r.get('first_word'), 6)} {r['words_seen']:>4}/{r['words']:<4} {r['wer']:>6.3f} {r['wer'] - batch:>+7.3f} "
              f"{_f(_kernel_cores(r), 6)} {r['load']:>5.1f}")
    names = ["recorded", "comm", "decoded", "recognised", "rendered", "total", "recorder_after_mic", "run_p50", "gap_p50", "run_cpu_p50", "window_p50", "final_p50", "final_p90"]
    print("\nwhere the time goes (medians over words, s; run_*: Whisper's runs):")
    print(f"{'engine':<18} run " + " ".join(f"{n:>10.10}" for n in names))
    for r in results:
        st = r.get("stages") or {}
        print(f"{r['engine']:<18} {r['run']:>3} " + " ".join(f"{st[n]:>10.2f}" if st.get(n) is not None else f"{'-':>10}" for n in names))
        busy = sorted(((cores, name) for name, cores in r.get("cores", {}).items() if cores >= 0.02), reverse=True)
        print("    cores while it played: " + ", ".join(f"{name} {cores:.2f}" for cores, name in busy))
    print(f"\nmedians over runs on {args.file} (batch tiny.en WER {batch:.3f}); first: the first word on a fresh kernel, "
          "kernel: cores the kernel's process used while the file played:")
    for engine in engines:
        rows = [r for r in results if r["engine"] == engine]
        if not rows:
            continue
        med = lambda values: statistics.median(v for v in values if v is not None) if any(v is not None for v in values) else None  # noqa: E731
        print(f"{engine:<18} visible p50 {_f(med([r['p50'] for r in rows]))} p90 {_f(med([r['p90'] for r in rows]))}, "
              f"final p50 {_f(med([(r.get('stages') or {}).get('final_p50') for r in rows]))} "
              f"p90 {_f(med([(r.get('stages') or {}).get('final_p90') for r in rows]))}, first word {_f(med([r.get('first_word') for r in rows]))}, "
              f"WER {med([r['wer'] for r in rows]):.3f} ({med([r['wer'] for r in rows]) - batch:+.3f}), "
              f"kernel {_f(med([_kernel_cores(r) for r in rows]))} cores, load {min(r['load'] for r in rows):.1f}-{max(r['load'] for r in rows):.1f}")
    Path(args.out).write_text(json.dumps({"file": args.file, "batch_wer": batch, "runs": results}, indent=1))
    sys.exit(code)


def _f(x: float | None, width: int = 7) -> str:
    return f"{x:>{width}.2f}" if x is not None else f"{'-':>{width}}"


def _kernel_cores(result: dict) -> float | None:
    return result.get("kernel_cores")


class _RunsPlugin:
    """``--runs N`` repeats the test N times (fixture ``run`` = 1..N) for each of ``--engines``."""

    def pytest_addoption(self, parser):
        parser.addoption("--runs", type=int, default=1)
        parser.addoption("--engines", default="whisper")

    def pytest_generate_tests(self, metafunc):
        if "run" in metafunc.fixturenames:
            metafunc.parametrize("run", range(1, metafunc.config.getoption("runs") + 1))
        if "engine" in metafunc.fixturenames:
            metafunc.parametrize("engine", metafunc.config.getoption("engines").split(","))


if __name__ == "__main__":
    main()

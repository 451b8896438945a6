"""Visible latency in the real browser on real read speech: JupyterLab, Chromium, a fake microphone.

    python benchmarks/browser_latency.py [--runs 3] [--file two-cities]

The browser tests' fixtures (``tests/browser/conftest.py``: JupyterLab, Debian Chromium with a
fake microphone, notebooks) are reused, with the fake microphone playing a file of
``benchmarks/corpus.py`` (the real recording by default) followed by 4 s of silence. Each run
opens a notebook with ``LiveTranscriber()``, presses Start, watches the transcript element in the
page, and presses Stop once the file has played. A word's visible latency is the time from its
end in the audio (the benchmark's reference alignment) to the first time the page showed it, with
time zero at the click on Start; the browser records and sends 250 ms slices, so this includes
what a user sees: recording, the comm, the kernel, rendering. Prints p50/p90 per run and their
medians, the WER, and the load average.
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

# Records, in the page, every change of the transcript's text and when Start was clicked.
OBSERVE = """
() => {
  const box = document.querySelector('.lt-transcript');
  window.__lt = { changes: [], clicked: null };
  new MutationObserver(() => { window.__lt.changes.push([performance.now(), box.textContent]); })
    .observe(box, { subtree: true, childList: true, characterData: true });
  document.querySelector('.lt-toggle').addEventListener(
    'click', () => { if (window.__lt.clicked === null) window.__lt.clicked = performance.now(); }, true);
}
"""
SILENCE_AFTER = 4.0


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


def test_visible_latency(open_notebook, fake_mic, run):
    import streaming  # benchmarks/streaming.py: the reference alignment

    word_ends, _ = streaming.reference_word_ends(fake_mic.text, str(fake_mic.wav))
    with __import__("wave").open(str(fake_mic.wav)) as f:
        duration = f.getnframes() / f.getframerate()
    nb = open_notebook("from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\nw")
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    widget.wait_for()
    nb.page.evaluate(OBSERVE)
    load = os.getloadavg()[0]
    widget.get_by_role("button", name="Start", exact=True).click()
    started = time.monotonic()
    time.sleep(max(0.0, started + duration - 0.3 - time.monotonic()))
    widget.get_by_role("button", name="Stop", exact=True).click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=120)
    transcript = nb.kernel.eval("w.transcript")
    log = nb.page.evaluate("() => window.__lt")
    changes = [((when - log["clicked"]) / 1000, text) for when, text in log["changes"]]
    seen = speech.first_seen(changes, [w for w, _ in word_ends])
    latencies = [seen[i] - end for i, (_, end) in enumerate(word_ends) if i in seen]
    result = {
        "run": run,
        "p50": streaming.pct(latencies, 50),
        "p90": streaming.pct(latencies, 90),
        "words_seen": len(latencies),
        "words": len(word_ends),
        "wer": speech.wer(fake_mic.text, transcript),
        "load": load,
        "transcript": transcript,
    }
    with open(_options()["results"], "a") as f:
        f.write(json.dumps(result) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", default="two-cities", choices=corpus.NAMES)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "browser.json"))
    args = parser.parse_args()
    results_path = Path(args.out).with_suffix(".jsonl")
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.unlink(missing_ok=True)
    os.environ["LT_BROWSER_BENCH"] = json.dumps({"file": args.file, "results": str(results_path)})
    # The browser tests' fixtures, loaded as a plugin under a name of its own.
    spec = importlib.util.spec_from_file_location("browser_fixtures", ROOT / "tests" / "browser" / "conftest.py")
    fixtures = importlib.util.module_from_spec(spec)
    sys.modules["browser_fixtures"] = fixtures
    spec.loader.exec_module(fixtures)
    code = pytest.main(
        [__file__, "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--timeout", "900",
         "--override-ini", "python_files=browser_latency.py", f"--runs={args.runs}"],
        plugins=[fixtures, _RunsPlugin()],
    )
    results = [json.loads(line) for line in results_path.read_text().splitlines()] if results_path.exists() else []
    print(f"\n{'run':>3} {'vis p50':>7} {'vis p90':>7} {'seen':>9} {'WER':>6} {'load':>5}")
    for r in results:
        print(f"{r['run']:>3} {r['p50']:>7.2f} {r['p90']:>7.2f} {r['words_seen']:>4}/{r['words']:<4} {r['wer']:>6.3f} {r['load']:>5.1f}")
    if results:
        p50 = statistics.median(r["p50"] for r in results)
        p90 = statistics.median(r["p90"] for r in results)
        print(f"median of {len(results)} runs on {args.file}: visible latency p50 {p50:.2f} s, p90 {p90:.2f} s")
    Path(args.out).write_text(json.dumps({"file": args.file, "runs": results}, indent=1))
    sys.exit(code)


class _RunsPlugin:
    """``--runs N`` repeats the test N times (fixture ``run`` = 1..N)."""

    def pytest_addoption(self, parser):
        parser.addoption("--runs", type=int, default=1)

    def pytest_generate_tests(self, metafunc):
        if "run" in metafunc.fixturenames:
            metafunc.parametrize("run", range(1, metafunc.config.getoption("runs") + 1))


if __name__ == "__main__":
    main()

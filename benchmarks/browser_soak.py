"""A long recording in the real browser, at real time: JupyterLab, Chromium, a looping fake microphone.

    python benchmarks/browser_soak.py --minutes 30

The browser tests' fixtures (``tests/browser/conftest.py``) are reused, as in
``benchmarks/browser_latency.py``, with the fake microphone playing one cycle of the soak
timeline (``benchmarks/soak.py``: the real recording four times and four espeak-ng paragraphs,
with pauses, 374 s), which Chromium loops. A notebook shows ``LiveTranscriber()`` (the defaults:
offline engine, journal on), its kernel keeps every final result with the kernel's clock and
samples its own resident memory and CPU time every 5 s; the test presses Start, waits
``--minutes``, presses Stop and reads them back. Rows per 10 minutes of audio as in
``soak.py``: the longest stretch of speech with no final word, WER, the longest wait from a
word's end to its final result (kernel clock, from the click on Start; includes the browser's
250 ms slices and the comm), the kernel's RSS and CPU seconds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import soak  # noqa: E402  (benchmarks/soak.py)
from harness.chromium import FakeMic  # noqa: E402  (tests/browser/harness)

# The kernel keeps its own record: final words with the kernel's clock, and RSS/CPU every 5 s.
CELL = """\
import resource, threading, time
from live_transcriber import LiveTranscriber
_finals, _samples = [], []
def _keep(r):
    if r.is_final:
        _finals.append({"t": time.monotonic(), "words": [{"text": x.text, "start": x.start, "end": x.end} for x in r.words]})
def _sample():
    while True:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        rss = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() / 2**20
        _samples.append((time.monotonic(), rss, ru.ru_utime + ru.ru_stime))
        time.sleep(5)
threading.Thread(target=_sample, daemon=True).start()
w = LiveTranscriber()
w.on_result(_keep)
w"""


def _options() -> dict:
    """Set by main() for the pytest session it starts (which imports this file again)."""
    return json.loads(os.environ["LT_BROWSER_SOAK"])


@pytest.fixture(scope="session")
def fake_mic(tmp_path_factory):
    """One cycle of the soak timeline, which Chromium's fake microphone plays in a loop."""
    _, plan = soak.timeline(soak.cycle_seconds())
    wav = soak.write_wav(plan, tmp_path_factory.mktemp("mic") / "cycle.wav")
    return FakeMic(wav, "")


def test_long_recording(open_notebook, fake_mic):
    seconds = _options()["minutes"] * 60
    nb = open_notebook(CELL)
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    widget.wait_for()
    nb.kernel.wait_for("w.engine.load() is not None", timeout=120)  # the model loaded, as after a first recording
    t0 = nb.kernel.eval("time.monotonic()")
    widget.get_by_role("button", name="Start", exact=True).click()
    started = time.monotonic()
    loads = []
    while time.monotonic() < started + seconds:
        # An idle kernel connection fills up with the widget's messages and misses its keepalive.
        nb.kernel.close()
        time.sleep(min(60.0, started + seconds - time.monotonic()))
        loads.append(os.getloadavg()[0])
        done = nb.kernel.eval("len(_finals)")
        print(f"{(time.monotonic() - started) / 60:5.1f} min: {done} final results, load {loads[-1]:.1f}", flush=True)
    widget.get_by_role("button", name="Stop", exact=True).click()
    nb.kernel.close()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=600)
    finals = nb.kernel.eval("_finals", timeout=120)
    samples = nb.kernel.eval("_samples", timeout=120)
    error = nb.kernel.eval("w.error")
    for r in finals:
        for word in r["words"]:
            word["lag"] = r["t"] - t0 - word["end"]
    rows = analyse(finals, samples, t0, seconds)
    print(soak.table(rows))
    summary = soak.summarise(rows, 0.0)
    print(summary["text"])
    Path(_options()["out"]).write_text(json.dumps({
        "minutes": _options()["minutes"], "t0": t0, "rows": rows, "summary": summary, "error": error,
        "load_average_per_minute": loads, "finals": finals, "samples": samples,
    }))
    assert not error, error


def analyse(finals: list[dict], samples: list[list[float]], t0: float, seconds: float) -> list[dict]:
    """Rows per 10 minutes as in soak.py, from the kernel's record (its clock; Start clicked at ``t0``)."""
    pieces, _ = soak.timeline(seconds + soak.cycle_seconds())  # the microphone plays on until Stop
    window_s = 600.0
    fed = []
    for k in range(int(-(-seconds // window_s))):
        lo, hi = t0 + k * window_s, t0 + min((k + 1) * window_s, seconds)
        inside = [s for s in samples if lo <= s[0] <= hi] or [min(samples, key=lambda s: abs(s[0] - hi))]
        before = max((s for s in samples if s[0] <= lo), key=lambda s: s[0], default=samples[0])
        fed.append({"rss_mb": inside[-1][1], "rss_max_mb": max(s[1] for s in inside),
                    "cpu_s": inside[-1][2] - before[2], "wall_s": hi - t0})
    return soak.analyse(finals, pieces, fed, window_s, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "browser_soak.json"))
    parser.add_argument("--analyse", type=Path, metavar="JSON", help="print the rows of a saved run again")
    args = parser.parse_args()
    if args.analyse:
        saved = json.loads(args.analyse.read_text())
        if "t0" not in saved:  # saved before t0 was: recover it from a word's lag
            r = saved["finals"][0]
            saved["t0"] = r["t"] - r["words"][0]["end"] - r["words"][0]["lag"]
        rows = analyse(saved["finals"], saved["samples"], saved["t0"], saved["minutes"] * 60)
        print(soak.table(rows))
        print(soak.summarise(rows, 0.0)["text"])
        return
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    os.environ["LT_BROWSER_SOAK"] = json.dumps({"minutes": args.minutes, "out": args.out})
    # The browser tests' fixtures, loaded as a plugin under a name of its own.
    spec = importlib.util.spec_from_file_location("browser_fixtures", ROOT / "tests" / "browser" / "conftest.py")
    fixtures = importlib.util.module_from_spec(spec)
    sys.modules["browser_fixtures"] = fixtures
    spec.loader.exec_module(fixtures)
    code = pytest.main(
        [__file__, "-q", "-s", "-p", "no:cacheprovider", "-o", "addopts=", "--timeout", str(int(args.minutes * 60 + 1200)),
         "--override-ini", "python_files=browser_soak.py"],
        plugins=[fixtures],
    )
    sys.exit(code)


if __name__ == "__main__":
    main()

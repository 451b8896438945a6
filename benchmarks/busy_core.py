"""Lag under load: the offline engine live, while other processes take the CPU for a while.

    python benchmarks/busy_core.py [--hogs 2] [--busy 30 60] [--loops 3]
    python benchmarks/busy_core.py --clock model --hogs 1      # the same, replayed on a modelled clock

Real read speech (``two-cities`` from ``corpus.py``, looped ``--loops`` times with 1.5 s pauses)
is encoded as WebM/Opus and fed at real time, in 250 ms slices, to ``Transcriber(engine="local")``.
Between the two times of ``--busy`` (seconds from the start), ``--hogs`` processes spin on the
CPU (one per core takes the whole machine away from the engine). Every 0.25 s the status detail is
read ("N s behind" while the engine is behind); every final word's latency is the wall time it
became final minus its end time in the audio (the engine's own word times: no alignment needed).

Printed: per 5 s of audio, the median and worst final latency of the words that end in it and
the most "behind" the status showed; then the bound (worst latency while busy) and the recovery
time: how long after the hogs stop (wall time) until final words come, and keep coming, with a
median (per 5 s of audio) within 1 s of the latency before the load. Real clock: run it on a machine with nothing else to do (``uptime`` is printed).

``--clock model`` needs no quiet machine: the engine's loop is replayed on ``streaming.py``'s
model clock (a run over w seconds of audio takes 0.38 + 0.034 w seconds, as on these two cores
idle), and while the hogs spin every run takes ``--slowdown`` times as long (default
(2 + hogs) / 2: the engine's two threads share two cores with the hogs). No process spins; the
figures depend only on the engine's decisions, so two versions of the engine can be compared on a
busy machine. The "behind" column is what the status would show (the engine's figure after each
run, through its hysteresis).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402
import speech  # noqa: E402

CHUNK_S = 0.25
MIME = "audio/webm;codecs=opus"
BUCKET = 5.0
BEHIND = re.compile(r"(\d+(?:\.\d+)?) s behind")


def _spin(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    while not stop.is_set():
        for _ in range(100_000):
            pass


def build(folder: Path, loops: int) -> tuple[Path, float]:
    wav, _text, _voice = corpus.build("two-cities", folder / "corpus")
    from faster_whisper.audio import decode_audio

    rate = 16000
    audio = decode_audio(str(wav), sampling_rate=rate)
    pause = np.zeros(int(rate * 1.5), dtype=np.float32)
    looped = np.concatenate([piece for _ in range(loops) for piece in (audio, pause)])
    out = folder / "looped.wav"
    corpus._write(out, looped)
    return speech.encode(out, folder / "looped.webm", "webm"), len(looped) / rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="busy processes (default: one per core)")
    parser.add_argument("--busy", type=float, nargs=2, default=(30.0, 60.0), metavar=("FROM", "TO"))
    parser.add_argument("--loops", type=int, default=3, help="times the real recording is played")
    parser.add_argument("--clock", choices=("real", "model"), default="real")
    parser.add_argument("--slowdown", type=float, help="--clock model: how much longer a run takes while busy")
    args = parser.parse_args()
    if args.clock == "model":
        modelled(args)
        return

    from live_transcriber import Transcriber
    from live_transcriber.media import duration

    folder = Path(tempfile.mkdtemp(prefix="busy-core-"))
    webm, seconds = build(folder, args.loops)
    data = webm.read_bytes()
    step = max(1, int(round(len(data) / duration(webm) * CHUNK_S)))
    chunks = [data[i : i + step] for i in range(0, len(data), step)]

    t = Transcriber("local", journal=None)
    t.engine.load()
    lock = threading.Lock()
    state: dict[str, float] = {"t0": 0.0}
    words: list[tuple[float, float]] = []  # (word end in the audio, latency)

    def on_result(result) -> None:
        if not result.is_final:
            return
        now = time.monotonic() - state["t0"]
        with lock:
            words.extend((w.end, now - w.end) for w in result.words)

    t.on_result(on_result)
    stop = multiprocessing.Event()
    hogs: list[multiprocessing.Process] = []
    behind: list[tuple[float, float]] = []  # (audio time, seconds behind shown)
    print(f"{seconds:.0f} s of speech, {args.hogs} busy processes from {args.busy[0]:.0f} to {args.busy[1]:.0f} s; "
          f"load before: {os.getloadavg()[0]:.1f}", flush=True)
    state["t0"] = t0 = time.monotonic()
    for i, chunk in enumerate(chunks):
        now = i * CHUNK_S
        if args.busy[0] <= now < args.busy[1] and not hogs:
            hogs = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True) for _ in range(args.hogs)]
            for hog in hogs:
                hog.start()
        elif now >= args.busy[1] and hogs and not stop.is_set():
            stop.set()
            for hog in hogs:
                hog.join()
        time.sleep(max(0.0, t0 + now - time.monotonic()))
        t.feed(chunk, MIME)
        match = BEHIND.search(t.status_detail)
        behind.append((now, float(match.group(1)) if match else 0.0))
    stop.set()
    t.end_feed()
    t.wait(timeout=600)
    t.close()

    report(args, seconds, words, behind)
    print(f"load after: {os.getloadavg()[0]:.1f}")


def modelled(args: argparse.Namespace) -> None:
    """The same run on the model clock (see the docstring)."""
    import streaming  # benchmarks/streaming.py

    from live_transcriber.engines.local import LagReport
    from live_transcriber.results import EngineStatus

    folder = Path(tempfile.mkdtemp(prefix="busy-core-"))
    webm, seconds = build(folder, args.loops)
    factor = args.slowdown or (2 + args.hogs) / 2
    print(f"{seconds:.0f} s of speech, model clock; runs {factor:.2f} times as long from {args.busy[0]:.0f} to "
          f"{args.busy[1]:.0f} s", flush=True)
    result = streaming.run_live_virtual({"webm": str(webm), "clock": "model", "slow": [args.busy[0], args.busy[1], factor]})
    words = [(end, event["t"] - end) for event in result["events"] if event["final"] for end in event["ends"]]
    now = [0.0]
    shown = [0.0]

    def status(event: EngineStatus) -> None:
        match = BEHIND.search(event.detail)
        shown[0] = float(match.group(1)) if match else 0.0

    lag = LagReport(status, clock=lambda: now[0])
    behind: list[tuple[float, float]] = []
    for at, figure in result["behind"]:
        now[0] = at
        lag.update(figure)
        behind.append((at, shown[0]))
    report(args, seconds, words, behind)


def report(args: argparse.Namespace, seconds: float, words: list[tuple[float, float]], behind: list[tuple[float, float]]) -> None:
    print(f"\n{'audio s':>8} {'phase':>6} {'words':>6} {'fin p50':>8} {'fin max':>8} {'behind':>7}")
    buckets = int(seconds // BUCKET) + 1
    for b in range(buckets):
        lo, hi = b * BUCKET, (b + 1) * BUCKET
        lat = [latency for end, latency in words if lo <= end < hi]
        shown = max((s for at, s in behind if lo <= at < hi), default=0.0)
        phase = "busy" if args.busy[0] <= lo < args.busy[1] else ""
        p50 = f"{statistics.median(lat):8.2f}" if lat else f"{'':>8}"
        worst = f"{max(lat):8.2f}" if lat else f"{'':>8}"
        print(f"{lo:8.0f} {phase:>6} {len(lat):6d} {p50} {worst} {shown:7.1f}")

    before = [latency for end, latency in words if 5.0 <= end < args.busy[0]]
    during = [latency for end, latency in words if args.busy[0] <= end < args.busy[1]]
    baseline = statistics.median(before) if before else float("nan")
    # Recovered: from the first 5 s of audio after the load from which every later 5 s has its median
    # final latency within 1 s of the median before; counted in wall time from the load's end to
    # when that stretch's median word became final. (Per stretch, not per word: the last words of
    # a file or a hard word can be late on a quiet machine too.)
    recovered = float("nan")
    medians = []
    for b in range(int(args.busy[1] // BUCKET), buckets):
        lat = [latency for end, latency in words if b * BUCKET <= end < (b + 1) * BUCKET]
        if lat:
            medians.append((b * BUCKET, statistics.median(lat)))
    for k, (lo, median) in enumerate(medians):
        if all(later <= baseline + 1.0 for _, later in medians[k:]):
            recovered = max(0.0, lo + median - args.busy[1])
            break
    print(f"\nfinal latency before the load: p50 {baseline:.2f} s")
    print(f"while busy: worst final latency {max(during, default=float('nan')):.2f} s, "
          f"most shown behind {max((s for _, s in behind), default=0.0):.1f} s")
    print(f"back within 1 s of before: {recovered:.1f} s after the load stopped")


if __name__ == "__main__":
    main()

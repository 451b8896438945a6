"""What relaying to Deepgram costs the kernel: CPU per stream, and how many streams keep real time.

N widgets with the Deepgram engine (the real deepgram-sdk) each receive a WebM/Opus recording in
250 ms chunks at real time, as from N browsers, and relay it to the Deepgram-protocol test server
(live_transcriber.testing.deepgram_server) in its cheap mode (it answers each audio message at once, in its own
process so its work is not counted). Measured, per stream count: the kernel process's CPU seconds
per stream per second of audio (% of one core), and the lag of the last final result after the
last chunk (a stream keeps real time if results keep up).

    python benchmarks/relay.py                  # 1, 10, 20, 40 streams of 30 s
    python benchmarks/relay.py --streams 1 20 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import speech  # noqa: E402

CHUNK_S = 0.25
MIME = "audio/webm;codecs=opus"
KEY = "relay-benchmark-key"


def recording(seconds: float, folder: Path) -> bytes:
    """``seconds`` of speech, WebM/Opus as MediaRecorder makes it."""
    wav = speech.synthesize(speech.PARAGRAPH, folder / "one.wav", pad_after=0.5)
    looped = folder / "long.wav"
    subprocess.run(["sox", str(wav), str(looped), "repeat", str(int(seconds // 10) + 1), "trim", "0", str(seconds)], check=True)
    return speech.encode(looped, folder / "long.webm", "webm").read_bytes()


def start_server() -> tuple[subprocess.Popen, str]:
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen(
        [sys.executable, "-m", "live_transcriber.testing.deepgram_server", "--port", str(port), "--key", KEY, "--cheap"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.5)
    return server, f"ws://127.0.0.1:{port}"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(streams: int, data: bytes, seconds: float, url: str) -> dict:
    from live_transcriber import LiveTranscriber

    widgets = [LiveTranscriber(engine="deepgram", api_key=KEY, base_url=url, keep_audio=False) for _ in range(streams)]
    last_final: list[float] = [0.0] * streams
    for i, w in enumerate(widgets):
        w.on_result(lambda r, i=i: r.is_final and last_final.__setitem__(i, time.monotonic()))
    size = max(1, int(len(data) / seconds * CHUNK_S))
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    cpu0, started = cpu_seconds(), time.monotonic()
    behind = 0.0
    for n, chunk in enumerate(chunks):
        # One "comm message" per widget per slice, as N browsers would send them.
        behind = max(behind, time.monotonic() - (started + n * CHUNK_S))
        time.sleep(max(0.0, started + n * CHUNK_S - time.monotonic()))
        for w in widgets:
            w.feed(chunk, MIME)
    fed = time.monotonic()
    for w in widgets:
        w.end_feed()
    ok = all(w.wait(60) for w in widgets)
    cpu = cpu_seconds() - cpu0
    errors = sorted({w.error for w in widgets if w.error})
    lags = [t - fed for t in last_final if t]
    for w in widgets:
        w.close()
    audio = len(chunks) * CHUNK_S
    return {
        "streams": streams,
        "audio_s": audio,
        "cpu_s": round(cpu, 2),
        "cpu_per_stream_pct": round(100 * cpu / streams / audio, 3),
        "feeder_behind_s": round(behind, 3),
        "final_lag_p50_s": round(statistics.median(lags), 3) if lags else None,
        "final_lag_max_s": round(max(lags), 3) if lags else None,
        "all_closed": ok,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 10, 20, 40])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "relay.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore", DeprecationWarning)
    with tempfile.TemporaryDirectory() as tmp:
        data = recording(args.seconds, Path(tmp))
    server, url = start_server()
    try:
        rows = [run(n, data, args.seconds, url) for n in args.streams]
    finally:
        server.terminate()
    print(f"{'streams':>7} {'CPU/stream':>11} {'feeder behind':>14} {'final lag p50':>14} {'max':>6}  errors")
    for r in rows:
        print(
            f"{r['streams']:>7} {r['cpu_per_stream_pct']:>10.2f}% {r['feeder_behind_s']:>13.3f}s "
            f"{r['final_lag_p50_s'] if r['final_lag_p50_s'] is not None else '-':>13}s "
            f"{r['final_lag_max_s'] if r['final_lag_max_s'] is not None else '-':>5}s  {'; '.join(r['errors']) or '-'}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

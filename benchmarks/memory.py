"""Memory over a long session: an hour of speech through the offline engine, faster than real time.

The audio (espeak-ng paragraphs with pauses, looped to the length asked for, WebM/Opus) goes
through the widget's pipeline in 250 ms chunks, as fast as the engine keeps up: feeding waits
while the newest final word is more than ``--lead`` seconds behind the audio fed, so what is
measured is the session's own growth, not a backlog. The process's resident memory is sampled
every five minutes of audio; growth is counted from the first sample (model loaded, caches warm).

    python benchmarks/memory.py                # 60 minutes of audio
    python benchmarks/memory.py --minutes 10
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import speech  # noqa: E402

CHUNK_S = 0.25
MIME = "audio/webm;codecs=opus"
SAMPLE_EVERY_S = 300.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def long_recording(minutes: float, folder: Path) -> Path:
    pieces = []
    for i, text in enumerate(speech.SENTENCES):
        pieces.append(str(speech.synthesize(text, folder / f"s{i}.wav", pad_before=0.3, pad_after=1.2)))
    one = folder / "one.wav"
    subprocess.run(["sox", *pieces, str(one)], check=True)
    seconds = minutes * 60
    looped = folder / "long.wav"
    length = float(subprocess.run(["soxi", "-D", str(one)], capture_output=True, text=True, check=True).stdout)
    subprocess.run(["sox", str(one), str(looped), "repeat", str(int(seconds / length) + 1), "trim", "0", str(seconds)], check=True)
    return speech.encode(looped, folder / "long.webm", "webm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--lead", type=float, default=20.0, help="seconds fed ahead of the newest final word")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "memory.json")
    args = parser.parse_args()

    from live_transcriber import LiveTranscriber

    with tempfile.TemporaryDirectory() as tmp:
        data = long_recording(args.minutes, Path(tmp)).read_bytes()
    seconds = args.minutes * 60
    size = max(1, int(len(data) / seconds * CHUNK_S))
    w = LiveTranscriber(engine="local", keep_audio=False)
    w.engine.load()
    samples: list[tuple[float, float]] = []
    started = time.monotonic()
    for n, offset in enumerate(range(0, len(data), size)):
        fed = n * CHUNK_S
        while fed - (w.results[-1]["end"] if w.results else 0.0) > args.lead:
            time.sleep(0.05)
        w.feed(data[offset : offset + size], MIME)
        if fed >= len(samples) * SAMPLE_EVERY_S:
            samples.append((fed, rss_mb()))
            print(f"{fed / 60:6.1f} min of audio  {rss_mb():7.1f} MB  ({time.monotonic() - started:5.0f} s)", flush=True)
    w.end_feed()
    assert w.wait(300), "the engine did not finish"
    samples.append((seconds, rss_mb()))
    words = len(w.transcript.split())
    growth = samples[-1][1] - samples[0][1]
    print(f"{args.minutes:.0f} min of audio in {time.monotonic() - started:.0f} s, {words} words; "
          f"RSS {samples[0][1]:.1f} MB -> {samples[-1][1]:.1f} MB: growth {growth:+.1f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"minutes": args.minutes, "samples": samples, "growth_mb": growth, "words": words}, indent=1))


if __name__ == "__main__":
    main()

"""Memory over a long session: an hour of speech through the offline engine, faster than real time.

The audio (espeak-ng paragraphs with pauses, looped to the length asked for, WebM/Opus) goes
through the widget's pipeline in 250 ms chunks, ``--speed`` times faster than real time (about
what the engine keeps up with on 2 cores when it gets audio in large steps). The process's
resident memory is sampled every five minutes of audio; growth is counted from the five-minute
sample (after warm-up). It also reports the longest stretch of audio with no final word.

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
    parser.add_argument("--speed", type=float, default=6.0, help="times faster than real time")
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
        time.sleep(max(0.0, started + fed / args.speed - time.monotonic()))
        w.feed(data[offset : offset + size], MIME)
        if fed >= len(samples) * SAMPLE_EVERY_S:
            samples.append((fed, rss_mb()))
            print(f"{fed / 60:6.1f} min of audio  {rss_mb():7.1f} MB  ({time.monotonic() - started:5.0f} s)", flush=True)
    w.end_feed()
    assert w.wait(300), "the engine did not finish"
    samples.append((seconds, rss_mb()))
    words = len(w.transcript.split())
    # The first five minutes warm up (the model's first runs, allocator pools): growth counts from then.
    base = samples[1] if len(samples) > 2 else samples[0]
    growth = samples[-1][1] - base[1]
    print(f"{args.minutes:.0f} min of audio in {time.monotonic() - started:.0f} s, {words} words; "
          f"RSS {base[1]:.1f} MB at {base[0] / 60:.0f} min -> {samples[-1][1]:.1f} MB: growth {growth:+.1f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    ends = [0.0] + [r["end"] for r in w.results]
    gap = max(b - a for a, b in zip(ends, ends[1:] + [seconds]))
    reference = " ".join(speech.SENTENCES)
    error = speech.wer(" ".join([reference] * (words // len(reference.split()) + 1)), w.transcript)
    print(f"WER against the looped text (approximate: the loop is cut mid-sentence): {error:.3f}; "
          f"longest stretch of audio with no final word: {gap:.1f} s")
    args.out.write_text(json.dumps(
        {"minutes": args.minutes, "samples": samples, "growth_mb": growth, "words": words, "wer": error, "longest_gap_s": gap},
        indent=1,
    ))


if __name__ == "__main__":
    main()

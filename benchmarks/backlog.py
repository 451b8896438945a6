"""Catching up a backlog: the cost of handing the streaming policy minutes of queued audio.

    python benchmarks/backlog.py [--minutes 1 2.5 5 10]

When the kernel was busy (a long cell) or a file is fed at once, the offline engine finds
minutes of decoded audio waiting, in 20 ms frames (what PyAV decodes from Opus), and adds them
all to the policy before its next run. This times those appends alone (no recognition), in this
process, and prints seconds per backlog length: it must grow linearly.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from live_transcriber.streaming import PolicyOptions, StreamingPolicy

FRAME = 320  # 20 ms at 16 kHz


def append_seconds(minutes: float) -> float:
    policy = StreamingPolicy(PolicyOptions())
    frame = np.full(FRAME, 0.01, dtype=np.float32)
    frames = int(minutes * 60 * 16000 / FRAME)
    started = time.perf_counter()
    for _ in range(frames):
        policy.add_audio(frame)
    assert len(policy.window) == frames * FRAME
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", nargs="+", type=float, default=[1, 2.5, 5, 10])
    args = parser.parse_args()
    print(f"{'backlog min':>11} {'appends s':>10}")
    for minutes in args.minutes:
        print(f"{minutes:>11g} {append_seconds(minutes):>10.3f}", flush=True)


if __name__ == "__main__":
    main()

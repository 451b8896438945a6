"""What the journal home's clean-up costs at a transcriber's first recording, which it delays.

    python benchmarks/journal_cleanup.py [--journals 60] [--hours 1] [--repeats 7]

Builds a home of ``--journals`` finished journals in a temporary folder, each holding ``--hours``
of transcript as the offline engine writes it (a final result of 15 words every 5 s, each word
with its timings) and a recording of 15 MB an hour of WebM/Opus (sparse files: no disk is
written for the audio). Then times (median wall and CPU ms of ``--repeats``):

- ``nothing to remove``: every journal recent, under the size bound (the usual case: the home's
  files are only looked at);
- ``list``: :func:`live_transcriber.journals` (what ``resume()`` without a path does first), which
  reads each journal's lines but parses only those that say its status, not its results;
- ``remove 5 by age``: five journals past the age bound, read and removed, each run on a fresh copy.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from live_transcriber import Retention, journals
from live_transcriber.journal import Journal
from live_transcriber.journal_home import clean_up
from live_transcriber.media import Source
from live_transcriber.results import Result, Word

WORDS_PER_RESULT, SECONDS_PER_RESULT, AUDIO_BYTES_PER_HOUR = 15, 5.0, 15_000_000


def build(home: Path, count: int, hours: float) -> list[Path]:
    folders = []
    results = int(hours * 3600 / SECONDS_PER_RESULT)
    for n in range(count):
        journal = Journal(home / f"2026-01-01-{n:06d}-bench", engine="offline · tiny.en")
        journal.recording(0, "audio/webm;codecs=opus", Source("the microphone", ""), 0.0)
        for i in range(results):
            start = i * SECONDS_PER_RESULT
            words = tuple(
                Word(f"word{k}", start + k * 0.3, start + k * 0.3 + 0.25, 0.93, f"Word{k},") for k in range(WORDS_PER_RESULT)
            )
            text = " ".join(w.punctuated_word for w in words)
            journal.final(Result(text, start, words[-1].end, words, is_final=True, speech_final=True, recording=0))
        journal.recording_end(0)
        journal.close()
        os.truncate(journal.folder / "recording-0.webm", int(AUDIO_BYTES_PER_HOUR * hours))
        folders.append(journal.folder)
    return folders


def timed(fn, repeats: int, setup=None) -> tuple[float, float]:
    """Median (wall ms, CPU ms) of ``repeats`` calls of ``fn``, each after ``setup()`` if given."""
    wall, cpu = [], []
    for _ in range(repeats):
        if setup is not None:
            setup()
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journals", type=int, default=60)
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("live_transcriber").setLevel(logging.ERROR)  # the removal's warning, once per repeat
    with tempfile.TemporaryDirectory(prefix="journal-bench-") as tmp:
        template = Path(tmp) / "template"
        folders = build(template, args.journals, args.hours)
        lines = sum((f / "journal.jsonl").stat().st_size for f in folders)
        print(f"{args.journals} finished journals of {args.hours:g} h each: {lines / 1e6:.1f} MB of lines, "
              f"{args.journals * args.hours * AUDIO_BYTES_PER_HOUR / 1e9:.2f} GB of (sparse) audio")
        keep = Retention(days=30, max_bytes=None)
        rows = [("nothing to remove", timed(lambda: clean_up(template, keep), args.repeats))]
        rows.append(("list (journals())", timed(lambda: journals(template), args.repeats)))
        work = Path(tmp) / "work"

        def fresh() -> None:
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(template, work)
            old = time.time() - 40 * 86400
            for folder in sorted(work.iterdir())[:5]:
                for path in folder.iterdir():
                    os.utime(path, (old, old))

        removed: list[int] = []
        rows.append(("remove 5 by age", timed(lambda: removed.append(len(clean_up(work, keep))), args.repeats, fresh)))
        assert set(removed) == {5}, removed
        print(f"{'clean-up':<22}{'wall ms':>9}{'CPU ms':>9}   (median of {args.repeats})")
        for name, (wall, cpu) in rows:
            print(f"{name:<22}{wall:>9.1f}{cpu:>9.1f}")


if __name__ == "__main__":
    main()

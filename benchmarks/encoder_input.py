"""Whisper's encoder input: the window padded to 30 s, or the window and a little silence.

    python benchmarks/encoder_input.py cost        # one run's CPU by window length, both settings
    python benchmarks/encoder_input.py agreement   # how far shorter inputs' words are from the 30 s input's

``cost``: tiny.en through ``LocalEngine.transcribe`` (beam 5, word timestamps, one pass) on
windows of 2-20 s of the real recording (``benchmarks/corpus.py``'s two-cities), with
``encoder_pad=None`` (30 s) and with the default, alternating, median of 5: wall and CPU seconds.

``agreement``: windows of 3, 6 and 10 s cut every 7.3 s from two-cities, kitchen and train, each
recognised with the 30 s input and with the window plus 1, 2 and 5 s of silence (no floor, no
steps: ``faster_whisper.transcribe.pad_or_trim`` is replaced for the run), and the WER of each
shorter input's words against the 30 s input's; the mean and max per window length and setting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402
import speech  # noqa: E402


def read(name: str, folder: Path) -> np.ndarray:
    wav = corpus.build(name, folder)[0]
    with wave.open(str(wav)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768


def cost(folder: Path) -> None:
    from live_transcriber.engines.local import LocalEngine

    audio = read("two-cities", folder)
    full, short = LocalEngine(encoder_pad=None), LocalEngine()
    model = full.load()
    print(f"load average {os.getloadavg()[0]:.1f}; encoder_pad default {short.encoder_pad} s")
    for seconds in (2, 4, 8, 12, 20):
        window = audio[3 * 16000 : (3 + seconds) * 16000]
        times: dict[str, tuple[list, list]] = {"30 s": ([], []), "short": ([], [])}
        for _ in range(5):
            for label, engine in (("30 s", full), ("short", short)):
                t, c = time.perf_counter(), time.process_time()
                engine.transcribe(model, window, "")
                times[label][0].append(time.perf_counter() - t)
                times[label][1].append(time.process_time() - c)
        print(f"window {seconds:2d} s: " + "   ".join(
            f"{k}: wall {statistics.median(w):.2f} / CPU {statistics.median(c):.2f}" for k, (w, c) in times.items()), flush=True)


def agreement(folder: Path) -> None:
    import faster_whisper.transcribe as fwt
    from faster_whisper.audio import pad_or_trim

    from live_transcriber.engines.local import LocalEngine, one_pass

    model = LocalEngine().load()
    frames = {"n": 3000}
    fwt.pad_or_trim = lambda a, length=3000, **k: pad_or_trim(a, frames["n"], **k)
    settings = {"30 s": None, "+1 s": 1.0, "+2 s": 2.0, "+5 s": 5.0}
    rows = []
    for name in ("two-cities", "kitchen", "train"):
        audio = read(name, folder)
        for seconds in (3.0, 6.0, 10.0):
            for start in np.arange(0.0, len(audio) / 16000 - seconds, 7.3):
                window = audio[int(start * 16000) : int((start + seconds) * 16000)]
                texts = {}
                for label, pad in settings.items():
                    frames["n"] = 3000 if pad is None else int((seconds + pad) * 100)
                    segments, _ = one_pass(model, window, language="en", beam_size=5, temperature=0.0, word_timestamps=True,
                                           condition_on_previous_text=False, vad_filter=False)
                    texts[label] = " ".join(w.word.strip() for s in segments for w in (s.words or ()))
                for label in list(settings)[1:]:
                    if texts["30 s"].strip():
                        rows.append((seconds, label, speech.wer(texts["30 s"], texts[label])))
                print(f"{name:10} {seconds:4.1f} s at {start:5.1f}: " + " | ".join(f"{k} {v[:50]!r}" for k, v in texts.items()), flush=True)
    print("\nWER against the 30 s input's words (mean / max over the windows):")
    for seconds in (3.0, 6.0, 10.0):
        print(f"window {seconds:4.1f} s: " + "   ".join(
            f"{label} {np.mean([w for s, l, w in rows if s == seconds and l == label]):.3f} / {max(w for s, l, w in rows if s == seconds and l == label):.3f}"
            for label in list(settings)[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("cost", "agreement"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        (cost if args.what == "cost" else agreement)(Path(folder))


if __name__ == "__main__":
    main()

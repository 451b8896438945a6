"""Where one recognition run's CPU goes: tiny.en int8 on windows of real read speech.

    python benchmarks/run_cost.py [--windows 2 5 10] [--threads 0 1 2] [--repeats 7]
    python benchmarks/run_cost.py --passes [--windows 3 6 10] [--repeats 4]

For each window length and ``cpu_threads``, times (process CPU seconds and wall seconds, median
of ``--repeats``) one run of ``LocalEngine.transcribe``'s call as the live stream makes it, with
beam 5 or 1 (greedy) and word timestamps on or off, plus its parts: the log-mel features and one
encoder pass (Whisper pads every window to 30 s). The decoder and alignment are the differences.
Run it on a machine as quiet as can be had: CPU seconds of a multi-threaded run grow with load.

``--passes`` compares, on windows cut mid-speech (as the live stream's are) with a prompt of the
text before them (as the live stream gives after its first final words), faster-whisper's
``WhisperModel.transcribe`` (which decodes again from the last word whenever the text ends cut
off) with the one pass ``LocalEngine.transcribe`` makes: encoder passes, CPU, and the text.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median (CPU s, wall s) of ``repeats`` calls, after one warm-up call."""
    fn()
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=float, nargs="+", default=[2.0, 5.0, 10.0])
    parser.add_argument("--threads", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--passes", action="store_true", help="encoder passes per run: WhisperModel.transcribe against one pass")
    args = parser.parse_args()
    if args.passes:
        passes(args.windows, args.repeats)
        return

    from faster_whisper.audio import decode_audio
    from faster_whisper.transcribe import pad_or_trim

    from live_transcriber.engines.local import load_model

    wav, _, _ = corpus.build("two-cities", ROOT / "benchmarks" / "out" / "audio")
    audio = decode_audio(str(wav))
    print(f"load: {os.getloadavg()}")
    print(f"{'threads':>7} {'window':>6} {'part':<22} {'CPU s':>6} {'wall s':>6}")
    for threads in args.threads:
        model = load_model("tiny.en", cpu_threads=threads)
        for seconds in args.windows:
            window = audio[: int(seconds * 16000)]
            features = model.feature_extractor(window)
            segment = pad_or_trim(features)
            parts = {
                "mel": lambda: model.feature_extractor(window),
                "encoder": lambda: model.encode(segment),
            }
            for beam in (5, 1):
                for words in (True, False):
                    def run(beam=beam, words=words):
                        segments, _ = model.transcribe(
                            window, language="en", beam_size=beam, temperature=0.0, word_timestamps=words,
                            condition_on_previous_text=False, vad_filter=False,
                        )
                        list(segments)
                    parts[f"run beam {beam}{' +words' if words else ''}"] = run
            for name, fn in parts.items():
                cpu, wall = timed(fn, args.repeats)
                print(f"{threads:>7} {seconds:>6.0f} {name:<22} {cpu:>6.3f} {wall:>6.3f}", flush=True)
    print(f"load: {os.getloadavg()}")


def passes(windows: list[float], repeats: int) -> None:
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    wav, text, _ = corpus.build("two-cities", ROOT / "benchmarks" / "out" / "audio")
    audio = decode_audio(str(wav))
    engine = LocalEngine()
    model = engine.load()
    encoded = [0]
    encode = model.encode

    def counting(features):
        encoded[0] += 1
        return encode(features)

    model.encode = counting

    def long_form(window, prompt):  # the call LocalEngine.transcribe made before
        segments, _ = model.transcribe(window, language="en", beam_size=5, temperature=0.0, word_timestamps=True,
                                       condition_on_previous_text=False, initial_prompt=prompt, vad_filter=False)
        return [w.word.strip() for s in segments for w in s.words]

    def one_pass(window, prompt):
        return [w.text for w in engine.transcribe(model, window, prompt).words]

    print(f"load: {os.getloadavg()}")
    print(f"{'window':>6} {'call':<10} {'passes':>6} {'CPU s':>6}  text of the first window")
    words = text.split()
    for seconds in windows:
        for name, fn in (("transcribe", long_form), ("one pass", one_pass)):
            cpu, counts, first = [], [], None
            for i in range(repeats):
                start = 5.0 + 2 * i  # mid-sentence, after about a dozen words
                window = audio[int(start * 16000): int((start + seconds) * 16000)]
                prompt = " ".join(words[: int(start * 2.5)][-40:])
                encoded[0] = 0
                c0 = time.process_time()
                heard = fn(window, prompt)
                cpu.append(time.process_time() - c0)
                counts.append(encoded[0])
                first = first or " ".join(heard)
            print(f"{seconds:>6.0f} {name:<10} {statistics.median(counts):>6.0f} {statistics.median(cpu):>6.2f}  {first[:100]}", flush=True)
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()

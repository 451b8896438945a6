"""Files that already exist: ``transcribe_file`` on a long recording vs faster-whisper's own batch time.

The audio: the four paragraphs of ``benchmarks/streaming.py`` (four espeak-ng voices, ~34 s each)
with 1.5 s pauses, looped to ``--minutes`` and encoded as WebM/Opus, the browser's format. Each
row runs in its own subprocess with the model loaded before the clock starts; rows are
interleaved ``--repeat`` times and the medians reported:

    faster-whisper       WhisperModel.transcribe on the decoded audio with the options of the
                         batch path (beam 5, word timestamps, Silero VAD, no conditioning on
                         previous text), every segment consumed: the reference
    faster-whisper-plain the same, with faster-whisper's defaults (no word timestamps, no VAD)
    streamed             Transcriber(LocalEngine()).transcribe_file: the file through the live
                         pipeline (how transcribe_file worked before the batch path)
    batch                Transcriber("local").transcribe_file: the batch path (engines/local_batch.py)

The faster-whisper rows include decoding the file (faster_whisper.decode_audio), as transcribe_file does.

    python benchmarks/files.py                   # 10 minutes, 3 rounds (~12 min)
    python benchmarks/files.py --minutes 2 --repeat 1 --rows faster-whisper batch
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import speech  # noqa: E402

ROWS = ("faster-whisper", "faster-whisper-plain", "streamed", "batch")


def long_recording(minutes: float, folder: Path) -> tuple[Path, str]:
    """A WebM/Opus file of ``minutes`` of speech, and the text it says."""
    from streaming import PARAGRAPHS

    pieces, texts = [], []
    for name, (voice, text) in PARAGRAPHS.items():
        pieces.append(str(speech.synthesize(text, folder / f"{name}.wav", voice=voice, pad_before=0.5, pad_after=1.5)))
        texts.append(text)
    one = folder / "one.wav"
    subprocess.run(["sox", *pieces, str(one)], check=True)
    length = float(subprocess.run(["soxi", "-D", str(one)], capture_output=True, text=True, check=True).stdout)
    loops = max(1, round(minutes * 60 / length))
    looped = folder / "long.wav"
    subprocess.run(["sox", str(one), str(looped), "repeat", str(loops - 1)], check=True)
    return speech.encode(looped, folder / "long.webm", "webm"), " ".join(texts * loops)


def run_row(row: str, path: str) -> dict:
    """One measurement, in this process (the model is loaded before the clock starts)."""
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"
    if row.startswith("faster-whisper"):
        from faster_whisper import decode_audio

        from live_transcriber.engines.local import load_model

        model = load_model("tiny.en")
        options = (
            {"language": "en", "beam_size": 5, "word_timestamps": True, "vad_filter": True, "condition_on_previous_text": False}
            if row == "faster-whisper"
            else {"language": "en"}
        )
        started, cpu = time.monotonic(), time.process_time()
        segments, _ = model.transcribe(decode_audio(path), **options)
        text = " ".join(s.text.strip() for s in segments)
    else:
        from live_transcriber import Transcriber
        from live_transcriber.engines.local import LocalEngine, load_model

        load_model("tiny.en")
        transcriber = Transcriber(LocalEngine() if row == "streamed" else "local")
        started, cpu = time.monotonic(), time.process_time()
        text = transcriber.transcribe_file(path, progress=False)
        transcriber.close()
    return {"row": row, "seconds": time.monotonic() - started, "cpu": time.process_time() - cpu, "text": text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", nargs="+", choices=ROWS, default=list(ROWS))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "files.json")
    parser.add_argument("--one", nargs=2, metavar=("ROW", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_row(*args.one)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path, reference = long_recording(args.minutes, Path(tmp))
        from live_transcriber.media import duration

        audio_s = duration(path)
        runs: dict[str, list[dict]] = {row: [] for row in args.rows}
        for round_ in range(args.repeat):
            for row in args.rows:
                out = subprocess.run([sys.executable, __file__, "--one", row, str(path)], capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.strip().splitlines()[-1])
                result["wer"] = speech.wer(reference, result.pop("text"))
                runs[row].append(result)
                print(f"round {round_ + 1} {row:<21} {result['seconds']:7.1f} s  WER {result['wer']:.3f}", flush=True)

    load = Path("/proc/loadavg").read_text().split()[:3]
    base = statistics.median(r["seconds"] for r in runs[args.rows[0]])
    print(f"\n{audio_s / 60:.1f} min of audio (WebM/Opus), {args.repeat} rounds, load average {' '.join(load)}")
    print(f"{'row':<21} {'median s':>9} {'min s':>7} {'max s':>7} {'RTF':>6} {'CPU s':>7} {'WER':>6} {'vs ' + args.rows[0]:>20}")
    summary = {}
    for row, results in runs.items():
        seconds = [r["seconds"] for r in results]
        median = statistics.median(seconds)
        summary[row] = {
            "median_s": median,
            "runs_s": seconds,
            "cpu_s": statistics.median(r["cpu"] for r in results),
            "wer": statistics.median(r["wer"] for r in results),
            "ratio": median / base,
        }
        s = summary[row]
        print(f"{row:<21} {median:9.1f} {min(seconds):7.1f} {max(seconds):7.1f} {median / audio_s:6.3f} {s['cpu_s']:7.1f} {s['wer']:6.3f} {s['ratio']:19.2f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"audio_s": audio_s, "load": load, "repeat": args.repeat, "rows": summary}, indent=2))


if __name__ == "__main__":
    main()

"""What showing the words as they are spoken costs: Moonshine's own stream vs Moonshine driven by Silero.

    python benchmarks/interim_cost.py [--files two-cities kitchen pauses fan]

Two ways to get Moonshine tiny's words while speech goes on, fed the same decoded audio in 250 ms
slices (no sleeping: both count time in audio seconds, so CPU per audio second is what they cost
at real time on an idle machine):

- ``moonshine-stream``: moonshine_voice's own stream (``create_stream(update_interval=0.25)``, its
  voice detector and lines; the open line heard again every 0.25 s of audio).
- ``silero+interims``: what the two-speed engine does (``streaming.Interims``): Silero VAD (the
  one detector the Whisper policy needs anyway) cuts pieces, Moonshine hears the open piece every
  ``step`` s of audio, paced by ``busy_share`` with each run's wall time modelled as in
  ``streaming.py --clock model``.

Prints CPU seconds per audio second (process time, all threads), runs, and the seconds of audio
heard per run (median). The WER column is of the pieces' last words against the text (a rough
check that both hear the same speech, not a measure of the interim text a user sees).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

import corpus  # noqa: E402
import speech  # noqa: E402
import streaming  # noqa: E402  (benchmarks/streaming.py: the Moonshine cost model)

SR = 16000
SLICE = int(0.25 * SR)


def moonshine_stream(audio) -> dict:
    import os

    from moonshine_voice import ModelArch, Transcriber, get_assets_path

    transcriber = Transcriber(os.path.join(get_assets_path(), "tiny-en"), ModelArch.TINY)
    lines: dict[int, str] = {}
    updates = [0]

    def listener(event) -> None:
        updates[0] += 1
        if getattr(event, "line", None) is not None:
            lines[event.line.line_id] = event.line.text

    stream = transcriber.create_stream(update_interval=0.25)
    stream.add_listener(listener)
    stream.start()
    cpu0 = time.process_time()
    for i in range(0, len(audio), SLICE):
        stream.add_audio(audio[i : i + SLICE], SR)
    stream.stop()
    cpu = time.process_time() - cpu0
    stream.close()
    return {"cpu": cpu, "runs": updates[0], "heard": None, "text": " ".join(lines[k] for k in sorted(lines))}


def silero_interims(audio) -> dict:
    from live_transcriber.engines.local import SileroDetector
    from live_transcriber.engines.two_speed import hear, load_moonshine
    from live_transcriber.streaming import Interims, PolicyOptions, StreamingPolicy

    moonshine = load_moonshine()
    policy = StreamingPolicy(PolicyOptions(), voice=SileroDetector())
    interims = Interims()
    heard: list[float] = []
    pieces: dict[float, str] = {}
    cpu0 = time.process_time()
    for i in range(0, len(audio), SLICE):
        policy.add_audio(audio[i : i + SLICE])
        policy.ready()  # forgets the silence before speech, as the engine's loop does
        job = interims.job(policy)
        if job is not None:
            words = hear(moonshine, job.audio)
            interims.heard_as(job, words)
            interims.took(streaming.moon_wall(len(job.audio) / SR))
            heard.append(len(job.audio) / SR)
            pieces[job.start] = " ".join(words)
    cpu = time.process_time() - cpu0
    return {"cpu": cpu, "runs": len(heard), "heard": statistics.median(heard) if heard else None, "text": " ".join(pieces[k] for k in sorted(pieces))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=["two-cities", "kitchen", "pauses", "fan"], choices=corpus.NAMES)
    args = parser.parse_args()
    from faster_whisper.audio import decode_audio

    folder = ROOT / "benchmarks" / "out" / "audio"
    print(f"{'file':<11} {'way':<17} {'CPU s/audio s':>13} {'runs':>5} {'heard s':>8} {'WER':>6}")
    for name in args.files:
        wav, text, _ = corpus.build(name, folder)
        audio = decode_audio(str(wav))
        seconds = len(audio) / SR
        for way, run in (("moonshine-stream", moonshine_stream), ("silero+interims", silero_interims)):
            r = run(audio)
            wer = speech.wer(text, r["text"]) if text else float(bool(r["text"].strip()))
            heard = f"{r['heard']:.2f}" if r["heard"] is not None else "-"
            print(f"{name:<11} {way:<17} {r['cpu'] / seconds:>13.3f} {r['runs']:>5} {heard:>8} {wer:>6.3f}", flush=True)
    import os

    print(f"load average {os.getloadavg()[0]:.1f} (CPU seconds grow on a busy machine; compare the two ways side by side)")


if __name__ == "__main__":
    main()

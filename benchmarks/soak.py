"""Soak: hours of speech through the offline engine, with figures for every 10 minutes of audio.

The audio is a timeline of known pieces: the real recording of read speech (``two-cities``, 44 s)
four times per cycle and the four espeak-ng paragraphs once, with pauses of 1.5-12 s between
them and a 30 s break at the end of each cycle (374 s), over a faint room hiss (pink noise,
-60 dBFS RMS), looped to ``--hours``. It is encoded once as WebM/Opus (as Chromium records it)
and cached under ``benchmarks/out/soak/``.

It goes through the real pipeline, ``LiveTranscriber(engine="offline").feed`` (``--engine``), in 250 ms worth of
bytes, as a browser sends it. Clock: the wall clock, with the audio fed at most ``--speed`` times
faster than real time (default 8), and held back while the engine says it is ``--max-behind``
(20) seconds behind or more (its "N s behind" status). The offline engine has no clock of its
own: it takes whatever audio has queued, so a faster feed only makes its steps larger (up to 25 s
per run, its bounded lag) and the run goes as fast as the engine keeps up; ``--speed 1`` is a
live session. Word times are positions in the audio, so gaps and WER do not depend on the clock;
the lag column does (wall seconds). The rows of the windows whose words are all final are saved
at every window's end, so an unfinished run can be read with ``--analyse``.

Per window of ``--window`` minutes of audio:

- **gap**: the longest stretch of *speech* (a piece's first to last voiced frame, not the pauses
  between pieces) with no final word in it: a stall, or words lost;
- **WER** of the window's final words against the text of the pieces that start in it (each
  final word is counted in the piece its middle falls in, or the pause after it);
- **lag**: the longest wait, in wall seconds, from the chunk holding a word's end being fed to the
  word being final;
- **RSS** (resident memory of this process) when the window's audio has been fed, and the
  largest sample in it (sampled every 5 s of audio);
- **CPU**: process CPU seconds (all threads) while the window's audio was fed.

    nice -n 10 python benchmarks/soak.py --hours 3
    python benchmarks/soak.py --hours 0.25 --speed 1      # a quick look, at live pace
    python benchmarks/soak.py --analyse benchmarks/out/soak.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402  (benchmarks/corpus.py)
import speech  # noqa: E402  (tests/speech.py)

SR = 16000
CHUNK_S = 0.25
MIME = "audio/webm;codecs=opus"
RSS_EVERY_S = 5.0
#: One cycle of the timeline: (file of benchmarks/corpus.py, seconds of pause after it).
CYCLE = (
    ("two-cities", 2.0),
    ("kitchen", 3.0),
    ("two-cities", 6.0),
    ("train", 1.5),
    ("library", 4.0),
    ("two-cities", 12.0),
    ("letter", 2.5),
    ("two-cities", 30.0),
)


@dataclass
class Piece:
    name: str
    text: str
    start: float  # seconds in the timeline
    end: float  # where its audio ends
    speech_start: float  # where its first and last voiced frames start and end (the files
    speech_end: float  # have up to 4 s of silence of their own before and after the words)


def voiced_span(audio: np.ndarray) -> tuple[float, float]:
    """Seconds from the start of ``audio`` to its first voiced 32 ms frame and to the end of its last:
    frames within 25 dB of the loudest tenth, which leaves out the files' silent margins."""
    frames = audio[: len(audio) // 512 * 512].reshape(-1, 512)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    voiced = np.flatnonzero(rms >= np.quantile(rms, 0.9) * 10 ** (-25 / 20))
    return voiced[0] * 512 / SR, (voiced[-1] + 1) * 512 / SR


def timeline(seconds: float) -> tuple[list[Piece], list[tuple[np.ndarray, int]]]:
    """The pieces of ``seconds`` of looped cycles, and the audio plan: (a piece's audio, samples of
    pause after it), the last pause filling up to ``seconds``."""
    from faster_whisper.audio import decode_audio

    total = int(seconds * SR)
    files = {}
    for name, _ in CYCLE:
        if name not in files:
            wav, text, _ = corpus.build(name, ROOT / "benchmarks" / "out" / "audio")
            audio = decode_audio(str(wav))
            files[name] = (audio, text, voiced_span(audio))
    pieces: list[Piece] = []
    plan: list[tuple[np.ndarray, int]] = []
    n = 0
    while n < total:
        for name, pause in CYCLE:
            audio, text, (first, last) = files[name]
            if n + len(audio) > total:
                break
            pieces.append(Piece(name, text, n / SR, (n + len(audio)) / SR, n / SR + first, n / SR + last))
            plan.append((audio, int(pause * SR)))
            n += len(audio) + int(pause * SR)
        else:
            continue
        break
    if n > total:  # the last pause runs past the end
        plan[-1] = (plan[-1][0], plan[-1][1] - (n - total))
    else:
        plan.append((np.zeros(0, np.float32), total - n))
    return pieces, plan


def cycle_seconds() -> float:
    """The length of one cycle of the timeline."""
    pieces, _ = timeline(2 * 3600)  # a cycle is about 6 minutes
    return pieces[len(CYCLE)].start


def write_wav(plan: list[tuple[np.ndarray, int]], path: Path) -> Path:
    """The plan as a 16 kHz mono WAV over a faint room hiss, written piece by piece."""
    hiss = corpus.pink_noise(61.0, -60.0, seed=3)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SR)
        for audio, pause in plan:
            chunk = np.concatenate([audio, np.zeros(pause, np.float32)])
            noisy = chunk + np.resize(hiss, len(chunk))
            f.writeframes((np.clip(noisy, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def build(hours: float, folder: Path) -> tuple[Path, list[Piece]]:
    """The looped timeline as WebM/Opus (cached) and its pieces."""
    folder.mkdir(parents=True, exist_ok=True)
    pieces, plan = timeline(hours * 3600)
    webm = folder / f"soak-{hours:g}h.webm"
    if not webm.exists():
        wav = write_wav(plan, webm.with_suffix(".wav"))
        speech.encode(wav, webm, "webm")
        wav.unlink()
    return webm, pieces


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def speech_overlap(a: float, b: float, pieces: list[Piece], lo: float, hi: float) -> float:
    """Seconds of the pieces' speech (first to last voiced frame) within (a, b) ∩ (lo, hi)."""
    a, b = max(a, lo), min(b, hi)
    return sum(max(0.0, min(b, p.speech_end) - max(a, p.speech_start)) for p in pieces if p.end > a and p.start < b)


def analyse(finals: list[dict], pieces: list[Piece], fed: list[dict], window_s: float, duration: float) -> list[dict]:
    """Per-window rows from the final words (audio times and wall arrival) and the feeder's samples.

    ``pieces`` may go on past ``duration``: words said after the end are then put in their piece
    and not in the last one counted."""
    words = sorted((w for r in finals for w in r["words"]), key=lambda w: w["start"])
    starts = [p.start for p in pieces]
    by_piece: list[list[str]] = [[] for _ in pieces]
    for w in words:
        middle = (w["start"] + w["end"]) / 2
        i = max(0, int(np.searchsorted(starts, middle, side="right")) - 1)
        by_piece[i].append(w["text"])
    edges = [0.0] + [w for x in words for w in (x["start"], x["end"])] + [duration]
    gaps = [(edges[i], edges[i + 1]) for i in range(0, len(edges) - 1, 2)]  # (a word's end, the next one's start)
    rows = []
    for k, sample in enumerate(fed):
        lo, hi = k * window_s, min((k + 1) * window_s, duration)
        longest, where = 0.0, lo
        for a, b in gaps:
            if b > lo and a < hi:
                s = speech_overlap(a, b, pieces, lo, hi)
                if s > longest:
                    longest, where = s, max(a, lo)
        # Pieces cut short by the end of the recording (a browser's Stop) are not counted.
        mine = [i for i, p in enumerate(pieces) if lo <= p.start < hi and p.end <= duration]
        reference = " ".join(pieces[i].text for i in mine)
        hypothesis = " ".join(t for i in mine for t in by_piece[i])
        lags = [w["lag"] for w in words if lo <= w["end"] < hi]
        rows.append({
            "window": k,
            "from_min": lo / 60,
            "to_min": hi / 60,
            "longest_gap_s": longest,
            "gap_at_s": where,
            "wer": speech.wer(reference, hypothesis) if reference else None,
            "reference_words": len(reference.split()),
            "final_words": len(hypothesis.split()),
            "lag_max_s": max(lags) if lags else None,
            "rss_end_mb": sample["rss_mb"],
            "rss_max_mb": sample["rss_max_mb"],
            "cpu_s": sample["cpu_s"],
            "wall_s": sample["wall_s"],
        })
    return rows


def behind(status_detail: str) -> float:
    """Seconds the engine says it is behind (its ``"N s behind"`` status detail), else 0."""
    match = re.fullmatch(r"(\d+) s behind", status_detail)
    return float(match.group(1)) if match else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=3.0, help="hours of audio (default 3)")
    parser.add_argument("--speed", type=float, default=8.0, help="at most this many times faster than real time (1: live)")
    parser.add_argument("--max-behind", type=float, default=20.0,
                        help="hold the audio back while the engine says it is this many seconds behind or more")
    parser.add_argument("--window", type=float, default=10.0, help="minutes of audio per row")
    parser.add_argument("--engine", default="offline", help="the engine's name (default: offline, the offline default)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "soak.json")
    parser.add_argument("--analyse", type=Path, metavar="JSON", help="print the rows of a saved run (finished or not) again")
    args = parser.parse_args()
    if args.analyse:
        saved = json.loads(args.analyse.read_text())
        pieces, _ = timeline(saved["hours"] * 3600)
        rows = analyse(saved["finals"], pieces, saved["fed"], saved["window_min"] * 60, saved["hours"] * 3600)
        if saved["summary"] is None:  # unfinished: the windows whose words are all final
            final_end = max((x["end"] for r in saved["finals"] for x in r["words"]), default=0.0)
            rows = [r for r in rows if r["to_min"] * 60 + 30 <= final_end]
        if not rows:
            print("no window has all its words final yet")
            return
        print(table(rows))
        print(summarise(rows, saved["summary"]["tail_s"] if saved["summary"] else float("nan"))["text"])
        return

    webm, pieces = build(args.hours, ROOT / "benchmarks" / "out" / "soak")
    duration = args.hours * 3600
    window_s = args.window * 60
    from live_transcriber import LiveTranscriber

    w = LiveTranscriber(engine=args.engine, keep_audio=False, journal=None)
    w.engine.load()
    print(f"engine: {w.engine_label}" + (f" ({w.engine_reason})" if w.engine_reason else ""), flush=True)
    size = max(1, int(webm.stat().st_size / duration * CHUNK_S))  # bytes of 250 ms, on average
    lock = threading.Lock()
    finals: list[dict] = []
    fed_at: list[float] = []  # wall seconds at which each 250 ms chunk was fed
    started = time.monotonic()

    def on_result(r) -> None:
        if not r.is_final:
            return
        now = time.monotonic() - started
        with lock:
            finals.append({"t": now, "words": [
                {"text": x.text, "start": x.start, "end": x.end,
                 "lag": now - fed_at[min(int(x.end / CHUNK_S), len(fed_at) - 1)]} for x in r.words
            ]})

    def save(rows: list[dict], summary: dict | None) -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "engine": w.engine_label, "hours": args.hours, "speed": args.speed, "max_behind": args.max_behind, "window_min": args.window,
            "rows": rows, "summary": summary, "error": w.error, "load_average": os.getloadavg(),
            "fed": fed, "pieces": [p.__dict__ for p in pieces], "finals": finals,
        }))

    w.on_result(on_result)
    fed: list[dict] = []
    cpu0 = time.process_time()
    rss_max = rss_mb()
    held = 0.0  # wall seconds the feed was held back for the engine
    print(f"{duration / 60:.0f} min of audio, {len(pieces)} pieces, fed up to {args.speed:g}x real time; "
          f"RSS {rss_max:.0f} MB with the model loaded; load average {os.getloadavg()[0]:.1f}", flush=True)
    with webm.open("rb") as f:
        n = 0
        while chunk := f.read(size):
            at = n * CHUNK_S  # audio seconds fed before this chunk
            time.sleep(max(0.0, started + held + at / args.speed - time.monotonic()))
            while behind(w.status_detail) >= args.max_behind:
                time.sleep(0.25)
                held += 0.25
            with lock:
                fed_at.append(time.monotonic() - started)
            w.feed(chunk, MIME)
            n += 1
            at = n * CHUNK_S
            if at % RSS_EVERY_S < CHUNK_S:
                rss_max = max(rss_max, rss_mb())
            if at >= (len(fed) + 1) * window_s:
                cpu = time.process_time()
                fed.append({"audio_s": at, "wall_s": time.monotonic() - started, "cpu_s": cpu - cpu0,
                            "rss_mb": rss_mb(), "rss_max_mb": rss_max, "behind_s": behind(w.status_detail),
                            "load": os.getloadavg()[0]})
                with lock:  # the rows of the windows whose words are all final by now
                    final_end = max((x["end"] for r in finals[-5:] for x in r["words"]), default=0.0)
                    rows = analyse(finals, pieces, fed, window_s, duration)
                    rows = [r for r in rows if r["to_min"] * 60 + 30 <= final_end]
                    save(rows, None)
                last = rows[-1] if rows else None
                print(f"{at / 60:6.1f} min fed at {fed[-1]['wall_s']:6.0f} s wall ({at / fed[-1]['wall_s']:.1f}x), "
                      f"engine {fed[-1]['behind_s']:.0f} s behind: RSS {fed[-1]['rss_mb']:.0f} MB (max {rss_max:.0f}), "
                      f"CPU {cpu - cpu0:.0f} s, load {fed[-1]['load']:.1f}"
                      + (f"; window {last['from_min']:.0f}-{last['to_min']:.0f} min: gap {last['longest_gap_s']:.1f} s, "
                         f"WER {last['wer']:.3f}" if last else ""), flush=True)
                cpu0, rss_max = cpu, rss_mb()
    w.end_feed()
    if not w.wait(600):
        print("the engine did not finish within 600 s of the end of the audio", flush=True)
    if len(fed) * window_s < duration - CHUNK_S:  # the last partial window
        fed.append({"audio_s": duration, "wall_s": time.monotonic() - started, "cpu_s": time.process_time() - cpu0,
                    "rss_mb": rss_mb(), "rss_max_mb": max(rss_max, rss_mb()), "behind_s": 0.0, "load": os.getloadavg()[0]})
    tail = time.monotonic() - started - fed_at[-1]
    with lock:
        rows = analyse(finals, pieces, fed, window_s, duration)
    print(table(rows))
    summary = summarise(rows, tail)
    print(summary["text"])
    save(rows, summary)
    print(f"wrote {args.out}")


def table(rows: list[dict]) -> str:
    lines = [
        "| audio (min) | longest gap in speech (s) | WER | final words / reference | lag max (wall s) | RSS end / max (MB) | CPU (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        wer = "-" if r["wer"] is None else f"{r['wer']:.3f}"
        lag = "-" if r["lag_max_s"] is None else f"{r['lag_max_s']:.1f}"
        lines.append(
            f"| {r['from_min']:.0f}-{r['to_min']:.0f} | {r['longest_gap_s']:.1f} (at {r['gap_at_s'] / 60:.1f} min) | {wer} | "
            f"{r['final_words']} / {r['reference_words']} | {lag} | {r['rss_end_mb']:.0f} / {r['rss_max_mb']:.0f} | {r['cpu_s']:.0f} |"
        )
    return "\n".join(lines)


def summarise(rows: list[dict], tail: float) -> dict:
    worst = max(rows, key=lambda r: r["longest_gap_s"])
    growth = rows[-1]["rss_end_mb"] - rows[0]["rss_end_mb"]
    wers = [r["wer"] for r in rows if r["wer"] is not None]
    text = (
        f"worst gap in speech {worst['longest_gap_s']:.1f} s (at {worst['gap_at_s'] / 60:.1f} min); "
        f"RSS {rows[0]['rss_end_mb']:.0f} MB after the first window -> {rows[-1]['rss_end_mb']:.0f} MB after the last "
        f"({growth:+.0f} MB); WER per window {min(wers):.3f}-{max(wers):.3f}; "
        f"last final {tail:.1f} s (wall) after the end of the audio"
    )
    return {"worst_gap_s": worst["longest_gap_s"], "worst_gap_at_s": worst["gap_at_s"], "rss_growth_mb": growth,
            "tail_s": tail, "text": text}


if __name__ == "__main__":
    main()

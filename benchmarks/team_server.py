"""A team on one transcription server: N kernels, each with a widget, against one WhisperLiveKit.

The team-server recipe (README): one Deepgram-compatible server, ``DEEPGRAM_BASE_URL`` and the key
set hub-wide. Here the server is WhisperLiveKit 0.2.26 (faster-whisper tiny.en, LocalAgreement, on
CPU) from ``bash benchmarks/setup_team_server.sh``. For each N, N kernel-like processes start
together; each makes ``LiveTranscriber()`` (the Deepgram engine, from the environment) and feeds it
the same WebM/Opus speech in 250 ms pieces at real time, as a browser would, then stops.

Measured per N: each kernel process's CPU (% of one core over the audio's duration, the widget
and engine only: imports and start-up are left out), end-to-end final latency (a word's end in the
audio → the moment its final result reached the kernel; word ends from faster-whisper's word
timestamps on the WAV, as in ``streaming.py``), median and p90 over all words of all kernels, the
WER of each kernel's transcript, how long Stop took (last chunk → everything final), and the
server's CPU (its process and its ffmpeg children, % of one core over the run).

    python benchmarks/team_server.py                   # N = 1, 2, 4, 8
    python benchmarks/team_server.py --kernels 1 2
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

import speech  # noqa: E402
import wlk_server  # noqa: E402

CHUNK_S = 0.25
MIME = "audio/webm;codecs=opus"
KEY = "team-benchmark-key"
#: About 28 s of speech, no sentence repeated (Whisper drops repetitive text as looping).
TEXT = " ".join([
    speech.PARAGRAPH,
    "Our team will meet in the library at ten to plan the new project.",
    "Bring your laptop, a notebook and any questions you still have.",
    "After the meeting we can have coffee together in the small kitchen.",
])
#: Seconds a kernel waits for its last words after Stop before it gives up.
STOP_TIMEOUT = 600.0
TICK = os.sysconf("SC_CLK_TCK")


# -- one kernel (its own process) --------------------------------------------------------------------


def kernel(webm: str, start_at: float) -> dict:
    """Feed ``webm`` to a widget from ``start_at`` (epoch seconds) at real time; what happened."""
    warnings.simplefilter("ignore", DeprecationWarning)
    from live_transcriber import LiveTranscriber

    w = LiveTranscriber(journal=None)  # the engine and its server come from the environment
    data = Path(webm).read_bytes()
    size = max(1, int(len(data) / speech_duration(webm) * CHUNK_S))
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    finals: list[str] = []
    final_changes: list[tuple[float, str]] = []
    clock = {"t0": 0.0}

    def on_result(r) -> None:
        if r.is_final and r.text:
            finals.append(r.text)
            final_changes.append((time.monotonic() - clock["t0"], " ".join(finals)))

    w.on_result(on_result)
    time.sleep(max(0.0, start_at - time.time()))
    cpu0 = time.process_time()
    clock["t0"] = t0 = time.monotonic()
    for i, chunk in enumerate(chunks):
        time.sleep(max(0.0, t0 + i * CHUNK_S - time.monotonic()))
        w.feed(chunk, MIME)
    time.sleep(max(0.0, t0 + len(chunks) * CHUNK_S - time.monotonic()))  # the last slice is "spoken"
    stopped = time.monotonic()
    w.end_feed()
    done = w.wait(STOP_TIMEOUT)
    ended = time.monotonic()
    result = {
        "done": done,
        "cpu_s": time.process_time() - cpu0,
        "audio_s": len(chunks) * CHUNK_S,
        "stop_s": ended - stopped,
        "final": final_changes,
        "hypothesis": w.transcript,
        "error": w.error,
        "status": w.status,
    }
    w.close()
    return result


def speech_duration(path: str) -> float:
    from live_transcriber.media import duration

    return duration(path)


# -- the server's CPU ------------------------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid``, its reaped children, and its live children (WhisperLiveKit runs
    one ffmpeg per connection)."""

    def stat(p: int | str) -> list[str] | None:
        try:
            text = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            return None
        return text[text.rindex(")") + 2 :].split()  # fields from 3 (state) on

    def cpu(fields: list[str]) -> float:
        return sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime

    own = stat(pid)
    total = cpu(own) if own else 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat(entry.name)
            if fields and fields[1] == str(pid):  # ppid
                total += cpu(fields)
    return total


# -- the run ---------------------------------------------------------------------------------------------


def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run(n: int, webm: Path, word_ends: list[tuple[str, float]], server: wlk_server.Server) -> dict:
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore",
        # The hub-wide environment of the recipe.
        "DEEPGRAM_BASE_URL": server.base_url, "DEEPGRAM_API_KEY": server.key,
    }
    start_at = time.time() + 4.0 + 0.5 * n  # all imported and connected-ready by then
    kernels = [
        subprocess.Popen(
            [sys.executable, __file__, "--kernel", str(webm), str(start_at)],
            stdout=subprocess.PIPE, env=env, text=True, cwd=tempfile.gettempdir(),
        )
        for _ in range(n)
    ]
    time.sleep(max(0.0, start_at - time.time()))
    cpu0, wall0 = tree_cpu(server.process.pid), time.monotonic()
    results = []
    for k in kernels:
        out, _ = k.communicate(timeout=STOP_TIMEOUT + 300)
        results.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.monotonic() - wall0
    server_cpu = tree_cpu(server.process.pid) - cpu0
    finals: list[float] = []
    for r in results:
        seen = speech.first_seen(r["final"], [w for w, _ in word_ends])
        finals += [seen[i] - end for i, (_, end) in enumerate(word_ends) if i in seen]
    audio = results[0]["audio_s"]
    return {
        "kernels": n,
        "audio_s": audio,
        "kernel_cpu_pct": [round(100 * r["cpu_s"] / r["audio_s"], 2) for r in results],
        "final_p50_s": pct(finals, 50),
        "final_p90_s": pct(finals, 90),
        "words_final": f"{len(finals)}/{n * len(word_ends)}",
        "wer": [round(speech.wer(TEXT, r["hypothesis"]), 3) for r in results],
        "stop_s": [round(r["stop_s"], 1) for r in results],
        "server_cpu_pct": round(100 * server_cpu / wall, 1),
        "server_cpu_per_audio_s": round(server_cpu / (n * audio), 2),
        "wall_s": round(wall, 1),
        "errors": sorted({r["error"] for r in results if r["error"]}),
        "all_done": all(r["done"] and r["status"] == "idle" for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "team_server.json")
    parser.add_argument("--kernel", nargs=2, metavar=("WEBM", "START_AT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on the way out
    if args.kernel:
        print(json.dumps(kernel(args.kernel[0], float(args.kernel[1]))))
        return
    if not wlk_server.installed():
        sys.exit(wlk_server.NOT_INSTALLED)
    from streaming import reference_word_ends

    folder = Path(tempfile.mkdtemp(prefix="team-server-"))
    wav = speech.synthesize(TEXT, folder / "speech.wav")
    webm = speech.encode(wav, folder / "speech.webm", "webm")
    word_ends, matched = reference_word_ends(TEXT, str(wav))
    print(f"{len(word_ends)} words ({matched} aligned), {speech_duration(str(webm)):.1f} s; load: {os.getloadavg()}")
    server = wlk_server.start(KEY, folder / "server.log")
    rows = []
    try:
        for n in args.kernels:
            time.sleep(5)  # the server idle again
            load = os.getloadavg()[0]
            row = run(n, webm, word_ends, server)
            row["load_before"] = round(load, 2)
            row["load_after"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        server.stop()
    print()
    print(f"{'N':>2} {'kernel CPU p50':>14} {'max':>6} {'final p50':>9} {'p90':>6} {'words':>8} "
          f"{'WER max':>7} {'stop max':>8} {'server CPU':>10} {'/audio s':>8} {'load':>10}  errors")
    for r in rows:
        cpu = r["kernel_cpu_pct"]
        print(
            f"{r['kernels']:>2} {statistics.median(cpu):>13.2f}% {max(cpu):>5.2f}% {fmt(r['final_p50_s']):>8}s "
            f"{fmt(r['final_p90_s']):>5}s {r['words_final']:>8} {max(r['wer']):>7.3f} {max(r['stop_s']):>7.1f}s "
            f"{r['server_cpu_pct']:>9.0f}% {r['server_cpu_per_audio_s']:>8.2f} "
            f"{r['load_before']:>4.1f}→{r['load_after']:<4.1f}  {'; '.join(r['errors']) or '-'}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=1))
    print(f"written to {args.out}")


def fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


if __name__ == "__main__":
    main()

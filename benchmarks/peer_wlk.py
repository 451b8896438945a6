"""WhisperLiveKit's LocalAgreement policy on one file, paced at real time, for benchmarks/streaming.py.

Runs in its own environment (benchmarks/setup_peer.sh makes it: whisperlivekit with the few
packages its LocalAgreement path imports, and CPU torch). Reads the item as JSON from argv[1],
prints ``@@RESULT@@{json}`` with the same fields as streaming.py's own runs.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
from faster_whisper.audio import decode_audio
from whisperlivekit.local_agreement.backends import FasterWhisperASR
from whisperlivekit.local_agreement.online_asr import OnlineASRProcessor

SR = 16000
CHUNK_S = 0.25


def text_of(tokens) -> str:
    return "".join(t.text for t in tokens).strip()


def main() -> None:
    item = json.loads(sys.argv[1])
    logging.disable(logging.WARNING)
    asr = FasterWhisperASR("en", model_dir=item["model_dir"])
    # The settings the whisper_streaming paper and WhisperLiveKit use for LocalAgreement.
    asr.tokenizer = None
    asr.confidence_validation = False
    asr.buffer_trimming = "segment"
    asr.buffer_trimming_sec = 15
    online = OnlineASRProcessor(asr)
    audio = decode_audio(item["webm"]).astype(np.float32)
    step = int(CHUNK_S * SR)
    min_chunk = item.get("min_chunk_s", 1.0)
    committed: list = []
    visible: list[tuple[float, str]] = []
    final: list[tuple[float, str]] = []
    virtual = item.get("clock") in ("virtual", "model")  # see streaming.py --clock
    modelled = item.get("clock") == "model"
    scale = per_wall = 1.0
    runs = {"wall": 0.0}
    if modelled:  # each faster-whisper run timed by streaming.py's cost model, by its audio length
        transcribe = asr.transcribe

        def timed(audio, init_prompt=""):
            seconds = len(audio) / SR
            runs["wall"] += item["run_wall_s"] + item["run_wall_per_s"] * seconds
            return transcribe(audio, init_prompt)

        asr.transcribe = timed
    elif virtual:
        # The same calibration run as the live rows': our engine's model and settings, so that
        # a slower set-up of the peer's own is not scaled away.
        from faster_whisper import WhisperModel

        ours = WhisperModel(item["model_dir"], device="cpu", compute_type="int8")
        clip = decode_audio(item["calibration_wav"])[: int(item["cal_seconds"] * SR)]
        costs = []
        for _ in range(3):
            run0 = time.process_time()
            segments, _ = ours.transcribe(clip, language="en", beam_size=5, temperature=0.0, word_timestamps=True,
                                          condition_on_previous_text=False, vad_filter=False)
            list(segments)
            costs.append(time.process_time() - run0)
        del ours
        scale = item["cal_cpu"] / sorted(costs)[1]
        per_wall = scale / (item["cal_cpu"] / item["cal_wall"])
    cpu0, t0 = time.process_time(), time.monotonic()
    clock = 0.0
    pending = 0.0
    for start in range(0, len(audio), step):
        piece = audio[start : start + step]
        spoken = (start + len(piece)) / SR
        if virtual:
            clock = max(clock, spoken)
        else:
            time.sleep(max(0.0, t0 + spoken - time.monotonic()))
        online.insert_audio_chunk(piece)
        pending += len(piece) / SR
        if pending < min_chunk:
            continue  # WhisperLiveKit waits for a minimum chunk, as its feed loop does
        pending = 0.0
        run0, wall0 = time.process_time(), runs["wall"]
        new, _ = online.process_iter()
        clock += runs["wall"] - wall0 if modelled else (time.process_time() - run0) * per_wall
        now = clock if virtual else time.monotonic() - t0
        if new:
            committed += new
            final.append((now, text_of(committed)))
        visible.append((now, (text_of(committed) + " " + online.get_buffer().text).strip()))
    run0, wall0 = time.process_time(), runs["wall"]
    new, _ = online.finish()  # the tail that a chunked feed loop must still flush
    clock += runs["wall"] - wall0 if modelled else (time.process_time() - run0) * per_wall
    committed += new or []
    now = clock if virtual else time.monotonic() - t0
    final.append((now, text_of(committed)))
    visible.append((now, text_of(committed)))
    out = {
        "hypothesis": text_of(committed),
        "visible": visible,
        "final": final,
        "cpu_s": runs["wall"] * item["cal_cpu"] / item["cal_wall"] if modelled else (time.process_time() - cpu0) * scale,
        "scale": scale,
        "wall_s": time.monotonic() - t0,
    }
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out["peak_rss_mb"] = int(line.split()[1]) / 1024
    sys.stdout.write("\n@@RESULT@@" + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()

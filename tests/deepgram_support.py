"""What the Deepgram engine's tests share: speech made with espeak-ng and encoded as browsers record it,
an event collector, streaming a recording into an engine (the fixtures are in conftest.py)."""

from __future__ import annotations

import io
import subprocess
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from live_transcriber.engines import EngineStream
from live_transcriber.engines.deepgram import DeepgramEngine
from live_transcriber.results import Event, Result, StreamClosed, Transcript
from live_transcriber.testing.deepgram_server import ConnectionLog, DeepgramServer, ScriptWord

KEY = "test-key"
SENTENCES = ["please call stella", "ask her to bring these things", "with her from the store"]
CHUNK = 0.25  # seconds of audio per MediaRecorder chunk
SPEED = 8.0  # chunks are written this many times faster than real time
TIME_TOLERANCE = 0.06  # Opus pre-skip and cluster rounding move times by a few ms


@dataclass(frozen=True)
class Recording:
    """An encoded recording, its MIME type and the words it says, with their times."""

    data: bytes
    mime_type: str
    script: list[ScriptWord]
    duration: float

    def chunks(self) -> list[bytes]:
        """Byte chunks of about CHUNK seconds each, cut without regard to the container's structure."""
        size = max(1, int(len(self.data) / self.duration * CHUNK))
        return [self.data[i : i + size] for i in range(0, len(self.data), size)]


def speak(sentences: list[str]) -> tuple[bytes, list[ScriptWord]]:
    """A WAV file of espeak-ng saying the sentences word by word, with a pause after each sentence."""
    pieces, script, t, rate = [], [], 0.0, 22050
    for sentence in sentences:
        for word in sentence.split():
            out = subprocess.run(["espeak-ng", "--stdout", word], capture_output=True, check=True).stdout
            with wave.open(io.BytesIO(out)) as f:
                rate = f.getframerate()
                samples = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16)
            script.append((word, t, t + len(samples) / rate))
            pieces.append(samples)
            t += len(samples) / rate
        pieces.append(np.zeros(int(0.6 * rate), np.int16))
        t += 0.6
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(np.concatenate(pieces).tobytes())
    return buffer.getvalue(), script


# ffmpeg writing to a pipe, as MediaRecorder streams: small clusters / pages / fragments.
ENCODINGS = {
    "webm": ("audio/webm;codecs=opus", ["-c:a", "libopus", "-f", "webm", "-live", "1", "-cluster_time_limit", "250"]),
    "ogg": ("audio/ogg;codecs=opus", ["-c:a", "libopus", "-f", "ogg", "-page_duration", "250000"]),
    "mp4": (
        "audio/mp4",
        ["-c:a", "aac", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
         "-frag_duration", "250000"],
    ),
}


def encode(speech: tuple[bytes, list[ScriptWord]], container: str, *more_args: str) -> Recording:
    wav, script = speech
    mime_type, args = ENCODINGS[container]
    data = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "wav", "-i", "pipe:0", *args, *more_args, "pipe:1"],
        input=wav, capture_output=True, check=True,
    ).stdout
    with wave.open(io.BytesIO(wav)) as f:
        duration = f.getnframes() / f.getframerate()
    return Recording(data, mime_type, script, duration)


class Collector:
    """The emit callback: records events, folds results into a Transcript."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.transcript = Transcript()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, Result):
            self.transcript.apply(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def stream(
    engine: DeepgramEngine,
    recording: Recording,
    *,
    pause_after: float | None = None,
    pause: float = 0.0,
    at: dict[float, Callable[[EngineStream], object]] | None = None,
) -> Collector:
    """Play the recording into a new stream at SPEED x real time, end it, wait for StreamClosed.

    ``at``: what to do to the stream once the audio up to a time (a multiple of CHUNK) is written.
    Writing stops early if the stream closes on its own (after a fatal error).
    """
    collector = Collector()
    s = engine.open(recording.mime_type, collector)
    for i, chunk in enumerate(recording.chunks()):
        if s.wait(0):
            break
        s.write(chunk)
        time.sleep(CHUNK / SPEED)
        if pause_after is not None and (i + 1) * CHUNK == pause_after:
            time.sleep(pause)
        if at and (i + 1) * CHUNK in at:
            at[(i + 1) * CHUNK](s)
    s.end()
    assert s.wait(20), "the stream did not close"
    assert collector.of(StreamClosed) == [StreamClosed()]
    return collector


def assert_transcript_is_script(collector: Collector, script: list[ScriptWord]) -> None:
    """Every word of the script, once, in order, at its time in the recording."""
    words = collector.transcript.words
    assert [w.word for w in words] == [w for w, _, _ in script]
    for got, (_, start, end) in zip(words, script):
        assert got.start == pytest.approx(start, abs=TIME_TOLERANCE)
        assert got.end == pytest.approx(end, abs=TIME_TOLERANCE)


def closed_connections(server: DeepgramServer) -> list[ConnectionLog]:
    """The server's connection logs, once it has finished with every connection."""
    assert server.wait_for(lambda: all(c.closed or c.status != 101 for c in server.connections))
    return server.connections


def sentence_spans(script: list[ScriptWord]) -> list[tuple[float, float]]:
    """(start, end) of each of SENTENCES in the recording."""
    spans, i = [], 0
    for sentence in SENTENCES:
        n = len(sentence.split())
        spans.append((script[i][1], script[i + n - 1][2]))
        i += n
    return spans


def audio_gaps(connections: list[ConnectionLog], duration: float) -> float:
    """Seconds of the recording that no connection decoded."""
    spans = sorted((c.first_pts, c.end_pts) for c in connections if c.first_pts is not None and c.end_pts is not None)
    lost, reached = 0.0, 0.0
    for start, end in spans:
        lost += max(0.0, start - reached)
        reached = max(reached, end)
    return lost + max(0.0, duration - reached)

"""The recording session: validates what the browser sends and puts it in order. No I/O.

The browser sends, for each recording, a ``start`` message, numbered ``chunk`` messages that each
carry one binary buffer of the container stream, and a ``stop`` message once the recorder produced
its last chunk. :meth:`Session.handle` turns each message into a list of actions for the edge
(the widget) to carry out: start a stream, pass audio on, end the stream, report a problem.
Bad input becomes a :class:`Problem`; it never raises.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Sequence, Union

#: A single MediaRecorder slice of 250 ms is a few kB; this bounds what one message may carry.
MAX_CHUNK_BYTES = 8 * 1024 * 1024
#: How many chunks may wait behind a missing one before it is declared lost.
MAX_REORDER = 32
_MIME_PREFIXES = ("audio/", "video/")


@dataclass(frozen=True)
class StartStream:
    mime_type: str


@dataclass(frozen=True)
class Audio:
    data: bytes
    seq: int


@dataclass(frozen=True)
class EndStream:
    pass


@dataclass(frozen=True)
class Problem:
    """Something the user should see. ``fatal`` problems end the recording."""

    message: str
    fatal: bool = False


@dataclass(frozen=True)
class Command:
    """A request from the widget's controls: pause, resume, clear, history or export."""

    name: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ClientError:
    """The browser could not record (permission denied, no microphone, ...)."""

    kind: str
    message: str


Action = Union[StartStream, Audio, EndStream, Problem, ClientError, Command]

#: Control messages that need no open recording, and the ones that do.
_COMMANDS = ("clear", "history", "export")
_RECORDING_COMMANDS = ("pause", "resume")


class Phase(enum.Enum):
    IDLE = "idle"
    RECORDING = "recording"


@dataclass
class Counters:
    chunks: int = 0
    bytes: int = 0
    duplicates: int = 0
    lost: list[int] = field(default_factory=list)


class Session:
    """Orders the chunks of one recording at a time and checks every message."""

    def __init__(self, max_chunk_bytes: int = MAX_CHUNK_BYTES, max_reorder: int = MAX_REORDER) -> None:
        self.max_chunk_bytes = max_chunk_bytes
        self.max_reorder = max_reorder
        self.phase = Phase.IDLE
        self.stream_id: str | None = None
        self.counters = Counters()
        self._next_seq = 0
        self._waiting: dict[int, bytes] = {}

    def handle(self, msg: Any, buffers: Sequence[Any] = ()) -> list[Action]:
        """Turn one message from the browser into actions."""
        if not isinstance(msg, dict):
            return [Problem(f"Ignored a message that is not an object: {type(msg).__name__}.")]
        kind = msg.get("type")
        if kind == "start":
            return self._start(msg)
        if kind == "chunk":
            return self._chunk(msg, buffers)
        if kind == "stop":
            return self._stop(msg)
        if kind in _COMMANDS:
            return [Command(kind, {k: v for k, v in msg.items() if k != "type"})]
        if kind in _RECORDING_COMMANDS:
            return [Command(kind)] if self.phase is Phase.RECORDING else []
        if kind == "client_error":
            return [ClientError(str(msg.get("kind", "other")), str(msg.get("message", "")))]
        return [Problem(f"Ignored a message of unknown type {kind!r}.")]

    def _start(self, msg: dict) -> list[Action]:
        mime_type = msg.get("mime_type")
        stream = msg.get("stream")
        if not isinstance(mime_type, str) or not mime_type.startswith(_MIME_PREFIXES):
            return [Problem(f"Cannot record: the browser offered no audio format (got {mime_type!r}).", fatal=True)]
        actions: list[Action] = []
        replaced = self.phase is Phase.RECORDING
        if replaced:
            # A new recording while one is open (e.g. the page was reloaded): close the old one first.
            actions += self._finish()
        self.phase = Phase.RECORDING
        self.stream_id = str(stream) if stream is not None else None
        self.counters = Counters()
        self._next_seq = 0
        self._waiting.clear()
        actions.append(StartStream(mime_type))
        if replaced:
            actions.append(Problem("A new recording started before the previous one ended; the previous one was closed."))
        return actions

    def _chunk(self, msg: dict, buffers: Sequence[Any]) -> list[Action]:
        if self.phase is not Phase.RECORDING:
            return [Problem("Ignored audio that arrived while no recording was open.")]
        if not self._same_stream(msg):
            return [Problem("Ignored audio from a recording that has already ended.")]
        seq = msg.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            return [Problem(f"Ignored an audio chunk with an invalid sequence number {seq!r}.")]
        if len(buffers) != 1:
            return [Problem(f"Ignored audio chunk {seq}: expected one binary buffer, got {len(buffers)}.")]
        try:
            data = memoryview(buffers[0]).tobytes()
        except TypeError:
            return [Problem(f"Ignored audio chunk {seq}: its buffer is {type(buffers[0]).__name__}, not bytes.")]
        if not data:
            return [Problem(f"Ignored audio chunk {seq}: it is empty.")]
        if len(data) > self.max_chunk_bytes:
            return [Problem(f"Ignored audio chunk {seq}: {len(data)} bytes is more than the {self.max_chunk_bytes} allowed.")]
        if seq < self._next_seq or seq in self._waiting:
            self.counters.duplicates += 1
            return []
        self._waiting[seq] = data
        return self._release()

    def _release(self) -> list[Action]:
        """Deliver what is in order; give up on a missing chunk once too many wait behind it."""
        actions: list[Action] = []
        while self._next_seq in self._waiting:
            actions.append(self._deliver(self._next_seq, self._waiting.pop(self._next_seq)))
        if len(self._waiting) > self.max_reorder:
            actions += self._flush(min(self._waiting))
            actions += self._release()
        return actions

    def _flush(self, end: int) -> list[Action]:
        """Deliver every chunk before ``end`` that arrived, reporting the ones that did not."""
        actions: list[Action] = []
        missing: list[int] = []
        for seq in range(self._next_seq, end):
            data = self._waiting.pop(seq, None)
            if data is None:
                missing.append(seq)
                continue
            if missing:
                actions.append(self._lost(missing))
                missing = []
            actions.append(self._deliver(seq, data))
        if missing:
            actions.append(self._lost(missing))
        self._next_seq = max(self._next_seq, end)
        return actions

    def _deliver(self, seq: int, data: bytes) -> Audio:
        self.counters.chunks += 1
        self.counters.bytes += len(data)
        self._next_seq = seq + 1
        return Audio(data, seq)

    def _lost(self, missing: list[int]) -> Problem:
        self.counters.lost += missing
        return Problem(
            f"Audio chunks {_ranges(missing)} never arrived; about {len(missing) * 0.25:.2f} s of audio is missing."
        )

    def _stop(self, msg: dict) -> list[Action]:
        if self.phase is not Phase.RECORDING:
            return []
        if not self._same_stream(msg):
            return [Problem("Ignored a stop for a recording that has already ended.")]
        total = msg.get("chunks")
        return self._finish(total if isinstance(total, int) and not isinstance(total, bool) else None)

    def _finish(self, total: int | None = None) -> list[Action]:
        end = max([self._next_seq, total or 0, *(seq + 1 for seq in self._waiting)])
        actions = self._flush(end)
        self.phase = Phase.IDLE
        actions.append(EndStream())
        return actions

    def _same_stream(self, msg: dict) -> bool:
        stream = msg.get("stream")
        return stream is None or self.stream_id is None or str(stream) == self.stream_id


def _ranges(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return str(numbers[0])
    return f"{numbers[0]}–{numbers[-1]}" if numbers == list(range(numbers[0], numbers[-1] + 1)) else ", ".join(map(str, numbers))

"""An engine whose events a test scripts: a transcriber (or a widget) without a model or a server.

Also :func:`final` (a final result with evenly spread words) and :class:`FakeFrontEnd` (what a
widget would be told, serialised as the kernel serialises it).

>>> from live_transcriber import Transcriber, Result
>>> engine = ScriptedEngine()
>>> t = Transcriber(engine)
>>> engine.say(t, Result("Hello there.", 0.0, 1.0, is_final=True, speech_final=True))
>>> t.transcript
'Hello there.'
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from ..engines import Engine, EngineStream, EventSink
from ..media import BROWSER, Source
from ..protocol import KERNEL_MESSAGES
from ..results import Event, Result, StreamClosed, Word

if TYPE_CHECKING:
    from ..transcriber import Transcriber


class ScriptedStream(EngineStream):
    """Keeps what it is given (``written``, ``ended``, ``aborted``); a test emits its events with :meth:`emit`."""

    def __init__(self, mime_type: str, emit: EventSink, source: Source) -> None:
        self.mime_type = mime_type
        self.source = source
        self.written = bytearray()
        self.ended = False
        self.aborted = False
        self._emit = emit
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def emit(self, *events: Event) -> None:
        """Deliver events to the transcriber, as an engine's thread would."""
        for event in events:
            if isinstance(event, StreamClosed):
                self._closed.set()
            self._emit(event)

    def close(self) -> None:
        """End the stream: everything it will emit was emitted."""
        self.emit(StreamClosed())

    def write(self, data: bytes) -> None:
        self.written += data

    def end(self) -> None:
        self.ended = True

    def abort(self) -> None:
        self.aborted = True
        self.close()

    def wait(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)


class ScriptedEngine(Engine):
    """Opens :class:`ScriptedStream` s. With ``close_on_end=True`` a stream closes as soon as its
    recording ends (a recording in which nothing was heard)."""

    label = "scripted"

    def __init__(self, close_on_end: bool = False) -> None:
        self.streams: list[ScriptedStream] = []
        self.close_on_end = close_on_end

    def open(self, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> EngineStream:
        stream = ScriptedStream(mime_type, emit, source)
        if self.close_on_end:
            original = stream.end

            def end() -> None:
                original()
                stream.close()

            stream.end = end  # type: ignore[method-assign]
        self.streams.append(stream)
        return stream

    @property
    def stream(self) -> ScriptedStream:
        """The latest stream."""
        return self.streams[-1]

    def say(self, transcriber: Transcriber, *events: Event) -> None:
        """Deliver ``events`` to ``transcriber`` as if this engine had heard them, in its open
        recording (one is started with :meth:`~live_transcriber.Transcriber.feed` if none is open)."""
        if not self.streams or self.stream.ended or self.stream.closed:
            transcriber.feed(b"scripted", "audio/webm")
        self.stream.emit(*events)


def final(
    text: str, start: float, end: float, *, speech_final: bool = True, speaker: int | None = None, confidence: float = 0.9
) -> Result:
    """A final result for ``text``, its words spread evenly from ``start`` to ``end`` (each ends 0.05 s
    before the next starts), as an engine would give it."""
    tokens = text.split()
    step = (end - start) / max(len(tokens), 1)
    words = tuple(
        Word(t.lower().strip(".,?!"), start + i * step, start + (i + 1) * step - 0.05, confidence, t, speaker)
        for i, t in enumerate(tokens)
    )
    return Result(text, start, end, words, is_final=True, speech_final=speech_final)


def pack(message: Any) -> bytes:
    """What ``jupyter_client``'s ``json_packer`` does to every message to the browser."""
    return json.dumps(message, default=str, ensure_ascii=False, allow_nan=False).encode("utf8", errors="surrogateescape")


class FakeFrontEnd:
    """A front end for :meth:`Transcriber.attach <live_transcriber.Transcriber.attach>` that keeps what
    a widget would be told, serialised as the kernel would (so text a browser could not get fails
    here, and so does a message the page does not know)."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.sent: list[dict[str, Any]] = []
        self.buffers: list[Any] = []

    def changed(self, changes: dict[str, Any]) -> None:
        pack(changes)
        self.state.update(changes)

    def send(self, message: dict[str, Any], buffers: Any = None) -> None:
        if message.get("type") not in KERNEL_MESSAGES:
            raise ValueError(f"The page knows no message of type {message.get('type')!r}: see KERNEL_MESSAGES in live_transcriber.protocol.")
        pack(message)
        self.sent.append(message)
        self.buffers.append(buffers)

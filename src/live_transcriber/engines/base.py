"""What every engine provides: open a stream, write container bytes to it, end it; and what an
engine may add: take a whole recording at once.

An engine turns a recording's audio (a container stream such as WebM/Opus, in chunks as
MediaRecorder produces them) into :mod:`live_transcriber.results` events. Streams do their work
on their own threads: ``write`` and ``end`` never block the caller (the kernel's main thread),
and events are delivered through the ``emit`` callback, from the engine's threads.
"""

from __future__ import annotations

import abc
from typing import Callable

from ..media import BROWSER, Source
from ..results import Event

EventSink = Callable[[Event], None]


class EngineStream(abc.ABC):
    """One recording on its way through an engine."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Queue the next piece of the container stream. Thread-safe, never blocks."""

    @abc.abstractmethod
    def end(self) -> None:
        """No more audio: flush pending words as final results, then emit ``StreamClosed``."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Stop at once, dropping pending work, then emit ``StreamClosed``."""

    @abc.abstractmethod
    def wait(self, timeout: float | None = None) -> bool:
        """Block until ``StreamClosed`` was emitted; return False on timeout."""


class Engine(abc.ABC):
    """A speech-to-text backend. One engine may serve many streams, one after another."""

    #: Short human-readable name shown in the widget, e.g. ``"offline · tiny.en"``.
    label: str = ""

    @abc.abstractmethod
    def open(self, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> EngineStream:
        """Start a stream of audio in the container ``mime_type`` (e.g. ``audio/webm;codecs=opus``).

        ``source`` says where the audio comes from, for error messages.
        """

    def open_whole(self, data: bytes, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> EngineStream | None:
        """Optional: transcribe a whole recording given at once (a file), faster than streaming it.

        Returns a stream that is already ended (``write`` and ``end`` do nothing): it emits the
        same events as a stream would for the same audio (final results with ``speech_final``
        where utterances end, times from the recording's start), then ``StreamClosed``; ``abort``
        stops it between two pieces of work. Returns None (the default) when the engine has no
        faster way: the caller then writes the bytes to :meth:`open`'s stream.
        """
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources held across streams."""

"""What every engine provides: open a stream, write container bytes to it, end it; and what an
engine may add: take a whole recording at once, listen for keyterms.

An engine turns a recording's audio (a container stream such as WebM/Opus, in chunks as
MediaRecorder produces them) into :mod:`live_transcriber.results` events. Streams do their work
on their own threads: ``write`` and ``end`` never block the caller (the kernel's main thread),
and events are delivered through the ``emit`` callback, from the engine's threads.

*Keyterms* (names, jargon, product words to listen for) are a capability: an engine that can
bias recognition towards them says so with :attr:`Engine.supports_keyterms`, uses
:attr:`Engine.keyterms` for each stream it opens, and applies :meth:`EngineStream.set_keyterms`
to a stream already running. The defaults accept keyterms and ignore them.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from typing import Callable

from ..media import BROWSER, Source
from ..results import Event

EventSink = Callable[[Event], None]
#: Words and phrases to bias recognition towards, in order, each once.
Keyterms = tuple[str, ...]

#: Bounds on keyterms (they may come from the page, which is untrusted). Deepgram allows 500
#: tokens of keyterms per stream and advises a few dozen terms.
MAX_KEYTERMS = 100
MAX_KEYTERM_LENGTH = 100


def normalize_keyterms(terms: Iterable[str] | str | None) -> Keyterms:
    """``terms`` checked and tidied: spaces trimmed and collapsed, empty ones and repeats dropped.

    A single string is one term (use a list for several). Raises ``TypeError`` for anything but
    strings, ``ValueError`` past :data:`MAX_KEYTERMS` terms or :data:`MAX_KEYTERM_LENGTH` characters.
    """
    if terms is None:
        return ()
    if isinstance(terms, str):
        terms = [terms]
    out: list[str] = []
    seen: set[str] = set()
    for term in terms:
        if not isinstance(term, str):
            raise TypeError(f"Keyterms must be strings, not {type(term).__name__}.")
        tidy = " ".join(term.split())
        if len(tidy) > MAX_KEYTERM_LENGTH:
            raise ValueError(f"The keyterm {tidy[:30]!r}... is longer than {MAX_KEYTERM_LENGTH} characters.")
        if tidy and tidy.casefold() not in seen:
            seen.add(tidy.casefold())
            out.append(tidy)
    if len(out) > MAX_KEYTERMS:
        raise ValueError(f"{len(out)} keyterms is too many: at most {MAX_KEYTERMS} (a few dozen work best).")
    return tuple(out)


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

    def set_keyterms(self, terms: Keyterms) -> None:  # noqa: B027 - optional capability
        """Listen for ``terms`` (already normalised) from now on, instead of the stream's previous ones.

        Thread-safe, never blocks, never loses audio. The default ignores them: an engine that
        cannot change them mid-stream uses :attr:`Engine.keyterms` from its next stream on.
        """


class Engine(abc.ABC):
    """A speech-to-text backend. One engine may serve many streams, one after another."""

    #: Short human-readable name shown in the widget, e.g. ``"offline · tiny.en"``.
    label: str = ""
    #: Whether the engine biases recognition towards :attr:`keyterms` (the widget says when not).
    supports_keyterms: bool = False
    #: The keyterms streams opened from now on start with (see :meth:`set_keyterms`).
    keyterms: Keyterms = ()

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

    def set_keyterms(self, terms: Iterable[str] | str | None) -> None:
        """Listen for ``terms`` in the streams opened from now on (see :func:`normalize_keyterms`).

        Streams already open keep theirs until told with :meth:`EngineStream.set_keyterms`.
        """
        self.keyterms = normalize_keyterms(terms)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources held across streams."""

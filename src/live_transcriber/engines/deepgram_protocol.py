"""Deepgram's live protocol without I/O: one stream's audio and server messages, across reconnections.

:class:`DeepgramProtocol` keeps the audio a new connection must replay (:mod:`..media.replay`: the
container header and everything not yet final) and turns the server's messages, typed as the SDK
parses them (``ListenV1Results``, ``ListenV1UtteranceEnd``, …), into :mod:`live_transcriber.results`
events: a replaying connection's times start at the replay's start, so they are shifted onto the
recording's timeline, and words an earlier connection already made final are dropped. The engine
(:mod:`.deepgram`) does the sending, receiving and waiting; nothing here does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Union

from deepgram.listen.v1 import (
    ListenV1ConfigureFailure,
    ListenV1ConfigureSuccess,
    ListenV1Error,
    ListenV1Metadata,
    ListenV1Results,
    ListenV1SpeechStarted,
    ListenV1UtteranceEnd,
)

from ..results import EngineError, Event, Metadata, Result, SpeechStarted, UtteranceEnd, Word, join_words
from ..media.replay import ReplayBuffer

log = logging.getLogger(__name__)

#: What the SDK hands to a ``/v1/listen`` socket's message callbacks (None: a type it does not know).
ServerMessage = Union[
    ListenV1Results,
    ListenV1UtteranceEnd,
    ListenV1SpeechStarted,
    ListenV1Metadata,
    ListenV1Error,
    ListenV1ConfigureSuccess,
    ListenV1ConfigureFailure,
]


@dataclass(frozen=True)
class Reply:
    """What one server message means: events for the user, and what it says about the connection."""

    events: tuple[Event, ...] = ()
    #: The answer to Finalize arrived: every word heard so far is final.
    finalized: bool = False
    #: ``Metadata``: the server has flushed everything (Deepgram sends it after CloseStream).
    flushed: bool = False
    #: An ``Error`` came while Finalize was unanswered: the server refuses Finalize (WhisperLiveKit
    #: does); CloseStream still flushes.
    finalize_refused: bool = False


def _unchanged(text: str) -> str:
    return text


class DeepgramProtocol:
    """The state of one recording streamed to Deepgram over as many connections as it takes.

    Feed it the recording's container bytes with :meth:`feed`; at each new connection send what
    :meth:`connect` returns, then what :meth:`audio_to_send` returns as it grows; hand every server
    message to :meth:`receive`. ``scrub`` makes server text safe to show (it removes the API key).
    """

    def __init__(self, mime_type: str, scrub: Callable[[str], str] = _unchanged) -> None:
        self._buffer = ReplayBuffer(mime_type)
        self._scrub = scrub
        self._sent = 0  # stream offset up to which the current connection has the audio
        self._shift = 0.0  # recording time of the current connection's time 0
        self._safe = 0.0
        self._last_final_word_end = float("-inf")
        self._finalize_pending = False

    @property
    def safe(self) -> float:
        """Recording time before which every word is final: a new connection replays from here."""
        return self._safe

    @property
    def shift(self) -> float:
        """Recording time of the current connection's time 0 (where its replay starts)."""
        return self._shift

    def feed(self, data: bytes) -> None:
        """The next piece of the recording's container stream."""
        self._buffer.feed(data)

    def connect(self) -> bytes:
        """A new connection starts: the audio to send it first (header + all audio not yet final)."""
        self._shift, data = self._buffer.replay(self._safe)
        self._sent = self._buffer.end
        self._finalize_pending = False
        return data

    def audio_to_send(self) -> bytes:
        """Audio fed since the connection last took some (empty if none)."""
        if self._buffer.end == self._sent:
            return b""
        data, self._sent = self._buffer.since(self._sent), self._buffer.end
        return data

    def finalize_sent(self) -> None:
        """Finalize went out: an Error before its answer means the server refuses it."""
        self._finalize_pending = True

    def receive(self, message: ServerMessage | None) -> Reply:
        """What ``message`` (as the SDK parsed it; None for a type it does not know) means."""
        shift = self._shift
        if isinstance(message, ListenV1Results):
            return self._results(message)
        if isinstance(message, ListenV1UtteranceEnd):
            return Reply(events=(UtteranceEnd(last_word_end=message.last_word_end + shift),))
        if isinstance(message, ListenV1SpeechStarted):
            return Reply(events=(SpeechStarted(timestamp=message.timestamp + shift),))
        if isinstance(message, ListenV1Metadata):
            details = {"request_id": message.request_id, "channels": message.channels, "created": message.created}
            return Reply(events=(Metadata(duration=shift + (message.duration or 0.0), details=details),), flushed=True)
        if isinstance(message, ListenV1Error):
            text = self._scrub(message.description or message.message or "no details")
            if self._finalize_pending:
                self._finalize_pending = False
                log.info("The server answered Finalize with an error (%s): flushing with CloseStream", text)
                return Reply(finalize_refused=True)
            return Reply(events=(EngineError(f"Deepgram reported an error: {text}", fatal=False),))
        log.debug("Skipping a Deepgram message of unknown type %r", getattr(message, "type", None))
        return Reply()

    def _results(self, message: ListenV1Results) -> Reply:
        shift = self._shift
        # The SDK builds messages without validating them: a field may be missing.
        alternatives = message.channel.alternatives if message.channel else None
        alternative = alternatives[0] if alternatives else None
        raw_words = (alternative.words or []) if alternative else []
        words = []
        for w in raw_words:
            word = Word(
                word=w.word,
                start=w.start + shift,
                end=w.end + shift,
                confidence=w.confidence,
                punctuated_word=w.punctuated_word,
                speaker=w.speaker,
            )
            # A replaying connection hears again audio that is already final: skip those words.
            if (word.start + word.end) / 2 >= self._last_final_word_end:
                words.append(word)
        if len(words) == len(raw_words) and alternative is not None:
            text = alternative.transcript or ""
        else:
            text = join_words(words)
        start = (message.start or 0.0) + shift
        end = start + (message.duration or 0.0)
        if message.is_final:
            if words:
                self._last_final_word_end = words[-1].end
            self._safe = max(self._safe, raw_words[-1].end + shift if raw_words else end)
            self._buffer.trim(self._safe)
        if message.from_finalize:
            self._finalize_pending = False
        result = Result(
            text=text,
            start=start,
            end=end,
            words=tuple(words),
            is_final=bool(message.is_final),
            speech_final=bool(message.speech_final),
            from_finalize=bool(message.from_finalize),
        )
        return Reply(events=(result,), finalized=bool(message.from_finalize))

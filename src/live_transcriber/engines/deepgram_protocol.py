"""Deepgram's live protocols without I/O: one stream's audio and server messages, across reconnections.

:class:`DeepgramProtocol` (``/v1/listen``, the Nova models) keeps the audio a new connection must
replay (:mod:`..media.replay`: the container header and everything not yet final) and turns the
server's messages, typed as the SDK parses them (``ListenV1Results``, ``ListenV1UtteranceEnd``, …),
into :mod:`live_transcriber.results` events: a replaying connection's times start at the replay's
start, so they are shifted onto the recording's timeline, and words an earlier connection already
made final are dropped. :class:`FluxProtocol` does the same for ``/v2/listen`` (Flux), whose
messages describe turns: each turn's words are interim until its ``EndOfTurn``, which is final and
ends an utterance. Both read the answers to ``Configure`` (new keyterms mid-stream). The engine
(:mod:`.deepgram`) does the sending, receiving and waiting; nothing here does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Literal, Union

from deepgram.listen.v1 import (
    ListenV1ConfigureFailure,
    ListenV1ConfigureSuccess,
    ListenV1Error,
    ListenV1Metadata,
    ListenV1Results,
    ListenV1SpeechStarted,
    ListenV1UtteranceEnd,
)
from deepgram.listen.v2 import (
    ListenV2ConfigureFailure,
    ListenV2ConfigureSuccess,
    ListenV2Connected,
    ListenV2FatalError,
    ListenV2TurnInfo,
    ListenV2Warning,
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
#: What the SDK hands to a ``/v2/listen`` (Flux) socket's message callbacks.
FluxMessage = Union[
    ListenV2Connected,
    ListenV2TurnInfo,
    ListenV2ConfigureSuccess,
    ListenV2ConfigureFailure,
    ListenV2Warning,
    ListenV2FatalError,
]

#: The answer to a ``Configure`` with new keyterms:
#: ``"applied"``: in effect from now on;
#: ``"unsupported"``: this server does not take Configure at all (an Error came instead), so a new
#: connection carrying the keyterms in its query is the way, now and for later streams;
#: ``"failed"``: not applied this time (a server fault): a new connection carries them;
#: ``"rejected"``: the keyterms themselves were refused (a model without keyterms, over the limit):
#: the previous ones stay, and the reply's events say why.
ConfigureOutcome = Literal["applied", "unsupported", "failed", "rejected"]


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
    #: The answer to a Configure, if this message is one.
    configure: ConfigureOutcome | None = None
    #: ``Metadata`` before any result and before CloseStream: Deepgram never sends that, but
    #: WhisperLiveKit greets every connection so (and it refuses Finalize).
    greeting: bool = False


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
        self._configure_pending = False
        self._closing = False
        self._heard_results = False  # on the current connection

    @property
    def safe(self) -> float:
        """Recording time before which every word is final: a new connection replays from here."""
        return self._safe

    @property
    def shift(self) -> float:
        """Recording time of the current connection's time 0 (where its replay starts)."""
        return self._shift

    @property
    def unfinished(self) -> float:
        """Seconds of the audio taken so far that are not final yet (about: to the last entry point)."""
        return max(0.0, self._buffer.latest - self._safe)

    @property
    def unsent(self) -> int:
        """Bytes fed that the current connection has not taken yet (all of them before the first)."""
        return self._buffer.end - self._sent

    def feed(self, data: bytes) -> None:
        """The next piece of the recording's container stream."""
        self._buffer.feed(data)

    def connect(self) -> bytes:
        """A new connection starts: the audio to send it first (header + all audio not yet final)."""
        self._shift, data = self._buffer.replay(self._safe)
        self._sent = self._buffer.end
        self._finalize_pending = self._configure_pending = self._closing = self._heard_results = False
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

    def configure_sent(self) -> None:
        """A Configure went out: its answer comes as a :attr:`Reply.configure`."""
        self._configure_pending = True

    def close_sent(self) -> None:
        """CloseStream went out: the server flushes, and its ``Metadata`` now means it is done
        (some servers, WhisperLiveKit among them, also send one when the connection opens)."""
        self._closing = True

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
            event = Metadata(duration=shift + (message.duration or 0.0), details=details)
            greeting = not self._closing and not self._heard_results
            return Reply(events=(event,), flushed=self._closing, greeting=greeting)
        if isinstance(message, ListenV1ConfigureSuccess):
            self._configure_pending = False
            return Reply(configure="applied")
        if isinstance(message, ListenV1ConfigureFailure):
            return self._configure_failure(message.code, message.description)
        if isinstance(message, ListenV1Error):
            text = self._scrub(message.description or message.message or "no details")
            if self._finalize_pending:
                self._finalize_pending = False
                log.info("The server answered Finalize with an error (%s): flushing with CloseStream", text)
                return Reply(finalize_refused=True)
            if self._configure_pending:
                # Servers from before ConfigureSuccess/ConfigureFailure answer with an Error.
                code = " ".join(str(x) for x in (message.code, message.variant, message.message) if x)
                if "KeytermsNotSupported" in code:
                    return self._configure_failure("CONFIGURE_KEYTERMS_NOT_SUPPORTED", text)
                self._configure_pending = False
                log.info("The server answered Configure with an error (%s): new keyterms need a new connection", text)
                return Reply(configure="unsupported")
            return Reply(events=(EngineError(f"Deepgram reported an error: {text}", fatal=False),))
        log.debug("Skipping a Deepgram message of unknown type %r", getattr(message, "type", None))
        return Reply()

    def _configure_failure(self, code: object, description: str | None) -> Reply:
        text = self._scrub(description or str(code)).rstrip(". ")
        if code == "CONFIGURE_ALREADY_PENDING":
            log.debug("Deepgram: a Configure is already pending; waiting for its answer")
            return Reply()
        self._configure_pending = False
        if code in ("CONFIGURE_KEYTERMS_NOT_SUPPORTED", "CONFIGURE_KEYTERM_LIMIT_EXCEEDED"):
            message = f"Deepgram did not apply the new keyterms: {text}. The previous ones stay in use."
            return Reply(events=(EngineError(message, fatal=False),), configure="rejected")
        log.info("Deepgram could not apply a Configure (%s: %s): using a new connection", code, text)
        return Reply(configure="failed")

    def _results(self, message: ListenV1Results) -> Reply:
        self._heard_results = True
        shift = self._shift
        # The SDK builds messages without validating them: a field may be missing.
        alternatives = message.channel.alternatives if message.channel else None
        alternative = alternatives[0] if alternatives else None
        raw_words = (alternative.words or []) if alternative else []
        words = self._unheard([
            Word(
                word=w.word,
                start=w.start + shift,
                end=w.end + shift,
                confidence=w.confidence,
                punctuated_word=w.punctuated_word,
                speaker=w.speaker,
            )
            for w in raw_words
        ])
        if len(words) == len(raw_words) and alternative is not None:
            text = alternative.transcript or ""
        else:
            text = join_words(words)
        start = (message.start or 0.0) + shift
        end = start + (message.duration or 0.0)
        if message.is_final:
            self._made_final(words, raw_words[-1].end + shift if raw_words else end)
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

    def _unheard(self, words: list[Word]) -> list[Word]:
        """``words`` without those an earlier connection already made final (a replay hears them again)."""
        return [w for w in words if (w.start + w.end) / 2 >= self._last_final_word_end]

    def _made_final(self, words: list[Word], end: float) -> None:
        """Words up to ``end`` (recording time) are final: a new connection replays from there."""
        if words:
            self._last_final_word_end = words[-1].end
        self._safe = max(self._safe, end)
        self._buffer.trim(self._safe)


class FluxProtocol(DeepgramProtocol):
    """:class:`DeepgramProtocol` for Flux (``/v2/listen``): turns instead of results.

    A turn's ``StartOfTurn``, ``Update``, ``EagerEndOfTurn`` and ``TurnResumed`` carry the turn's
    words so far: interim results (``StartOfTurn`` also a :class:`SpeechStarted`). ``EndOfTurn``
    makes them final with ``speech_final``: an utterance ends. Call :meth:`finalize_sent` when
    ForceEndTurn goes out (its ``EndOfTurn`` is ``from_finalize``), and :meth:`closed` once the
    server closed after CloseStream, which does not end the turn in progress.
    """

    def __init__(self, mime_type: str, scrub: Callable[[str], str] = _unchanged) -> None:
        super().__init__(mime_type, scrub)
        self._turn: Result | None = None  # the turn in progress, as an interim result

    @property
    def turn_open(self) -> bool:
        """A turn has started and not ended: ForceEndTurn would end it (Flux ignores it otherwise)."""
        return self._turn is not None

    def connect(self) -> bytes:
        self._turn = None  # a new connection starts its turns afresh, from the replay
        return super().connect()

    def receive(self, message: FluxMessage | None) -> Reply:  # type: ignore[override]
        """What ``message`` (as the SDK parsed it; None for a type it does not know) means."""
        if isinstance(message, ListenV2TurnInfo):
            return self._turn_info(message)
        if isinstance(message, ListenV2ConfigureSuccess):
            self._configure_pending = False
            return Reply(configure="applied")
        if isinstance(message, ListenV2ConfigureFailure):
            self._configure_pending = False
            text = self._scrub(message.description or message.code or "no details").rstrip(". ")
            message_text = f"Deepgram did not apply the new keyterms: {text}. The previous ones stay in use."
            return Reply(events=(EngineError(message_text, fatal=False),), configure="rejected")
        if isinstance(message, ListenV2FatalError):
            text = self._scrub(message.description or message.code or "no details")
            if self._finalize_pending:
                self._finalize_pending = False
                log.info("The server answered ForceEndTurn with an error (%s): closing with CloseStream", text)
                return Reply(finalize_refused=True)
            if self._configure_pending:
                self._configure_pending = False
                return Reply(configure="unsupported")
            return Reply(events=(EngineError(f"Deepgram reported an error: {text}", fatal=False),))
        if isinstance(message, ListenV2Warning):
            log.info("Deepgram warning %s: %s", message.code, self._scrub(message.description))
            if self._finalize_pending and "FORCE_END_TURN" in str(message.code):
                self._finalize_pending = False
                return Reply(finalize_refused=True)
            return Reply()
        if isinstance(message, ListenV2Connected):
            log.debug("Flux connected (request %s)", message.request_id)
            return Reply()
        log.debug("Skipping a Flux message of unknown type %r", getattr(message, "type", None))
        return Reply()

    def closed(self) -> Reply:
        """The server closed after CloseStream: the turn in progress is as final as it gets."""
        turn, self._turn = self._turn, None
        if turn is None or not turn.words:
            return Reply()
        self._made_final(list(turn.words), turn.words[-1].end)
        return Reply(events=(_final(turn, from_finalize=True),))

    def _turn_info(self, message: ListenV2TurnInfo) -> Reply:
        shift = self._shift
        window_start = message.audio_window_start + shift
        window_end = message.audio_window_end + shift
        raw = list(message.words or [])
        words = []
        for i, w in enumerate(raw):
            # Word times are optional in Flux: without them, the words share the window evenly.
            step = (window_end - window_start) / len(raw)
            start = w.start + shift if w.start is not None else window_start + i * step
            end = w.end + shift if w.end is not None else window_start + (i + 1) * step
            words.append(Word(word=w.word.lower().strip(".,;:?!"), start=start, end=end,
                              confidence=w.confidence, punctuated_word=w.word))
        kept = self._unheard(words)
        text = (message.transcript or "") if len(kept) == len(words) else join_words(kept)
        start = kept[0].start if kept else window_start
        result = Result(text=text, start=start, end=window_end, words=tuple(kept))
        events: list[Event] = []
        if message.event == "StartOfTurn":
            events.append(SpeechStarted(timestamp=start))
        if message.event == "EndOfTurn":
            self._turn = None
            manual = self._finalize_pending or message.trigger == "manual"
            self._finalize_pending = False
            self._made_final(kept, words[-1].end if words else window_end)
            events.append(_final(result, from_finalize=manual))
            return Reply(events=tuple(events), finalized=manual)
        self._turn = result
        events.append(result)
        return Reply(events=tuple(events))


def _final(turn: Result, *, from_finalize: bool) -> Result:
    return Result(text=turn.text, start=turn.start, end=turn.end, words=turn.words,
                  is_final=True, speech_final=True, from_finalize=from_finalize)

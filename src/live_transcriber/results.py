"""One event model for every engine, shaped like Deepgram's live API, and the transcript it builds.

Engines emit these events; :class:`Transcript` folds them into the state the widget shows
(final text, current interim text, the list of final results). Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Word:
    """One recognised word. Times are seconds from the start of the recording."""

    word: str
    start: float
    end: float
    confidence: float
    punctuated_word: str | None = None
    speaker: int | None = None

    @property
    def text(self) -> str:
        return self.punctuated_word or self.word

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Result:
    """A transcript hypothesis for a stretch of audio (Deepgram's ``Results`` message).

    ``is_final=False`` is an interim result: it replaces the previous interim.
    ``is_final=True`` is final: its words never change again and are appended to the transcript.
    ``speech_final=True`` additionally marks the end of an utterance (a pause in speech).
    """

    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()
    is_final: bool = False
    speech_final: bool = False
    from_finalize: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "is_final": self.is_final,
            "speech_final": self.speech_final,
            "words": [w.to_dict() for w in self.words],
        }


@dataclass(frozen=True)
class UtteranceEnd:
    """No words followed ``last_word_end`` for a while (Deepgram's ``UtteranceEnd``)."""

    last_word_end: float


@dataclass(frozen=True)
class SpeechStarted:
    """Voice activity began at ``timestamp`` seconds (Deepgram's ``SpeechStarted``)."""

    timestamp: float


@dataclass(frozen=True)
class Metadata:
    """Stream information (Deepgram's ``Metadata``), sent when a stream closes."""

    duration: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Status:
    """The engine changed phase, e.g. ``"loading model"`` or ``"reconnecting"``."""

    status: str
    detail: str = ""


@dataclass(frozen=True)
class EngineError:
    """Something went wrong. ``fatal`` means the stream cannot continue."""

    message: str
    fatal: bool = True


@dataclass(frozen=True)
class StreamClosed:
    """The engine has emitted everything it will emit for this stream."""


Event = Union[Result, UtteranceEnd, SpeechStarted, Metadata, Status, EngineError, StreamClosed]


def join_words(words: list[Word] | tuple[Word, ...]) -> str:
    return " ".join(w.text for w in words)


def _join(a: str, b: str) -> str:
    return f"{a} {b}" if a and b else a or b


class Transcript:
    """The state a stream of :class:`Result` events adds up to."""

    def __init__(self) -> None:
        self.finals: list[Result] = []
        self.text = ""
        self.interim = ""

    def apply(self, result: Result) -> None:
        if result.is_final:
            if result.text:
                self.finals.append(result)
                self.text = _join(self.text, result.text)
            self.interim = ""
        else:
            self.interim = result.text

    def clear(self) -> None:
        self.finals.clear()
        self.text = ""
        self.interim = ""

    @property
    def words(self) -> list[Word]:
        return [w for r in self.finals for w in r.words]

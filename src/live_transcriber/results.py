"""One event model for every engine, shaped like Deepgram's live API; the transcript it adds up to;
the status vocabulary; bookmarks and speaker names. Nothing here does I/O.

Engines emit :data:`Event` objects. :class:`Transcript` folds them into what the user reads: final
results grouped into utterances (the one place that decides where an utterance ends), the current
interim text. :func:`derive_status` is the one place that decides the status a user sees.
A result the user corrected keeps what the engine heard (:class:`Original`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Union

#: Seconds of silence between two words that end an utterance.
UTTERANCE_GAP = 2.0
#: The longest speaker name and bookmark label, in characters.
MAX_NAME = 100
#: The highest speaker number a name can be given for (Deepgram numbers speakers from 0).
MAX_SPEAKER = 999


@dataclass(frozen=True)
class Word:
    """One recognised word. Times are seconds on the transcript's timeline."""

    word: str
    start: float
    end: float
    confidence: float
    punctuated_word: str | None = None
    speaker: int | None = None
    #: The word goes on from the one before it, with no space between them: Whisper's "-disposed"
    #: after "ill" (its tokens say where a space was spoken; Deepgram's words never set this).
    attached: bool = False

    @property
    def text(self) -> str:
        return self.punctuated_word or self.word

    def to_dict(self) -> dict[str, Any]:
        """The word as JSON-ready data; ``punctuated_word`` and ``speaker`` only when set."""
        entry: dict[str, Any] = {"word": self.word, "start": self.start, "end": self.end, "confidence": self.confidence}
        if self.punctuated_word is not None:
            entry["punctuated_word"] = self.punctuated_word
        if self.speaker is not None:
            entry["speaker"] = self.speaker
        if self.attached:
            entry["attached"] = True
        return entry

    @classmethod
    def from_dict(cls, item: Any, where: str = "word") -> Word:
        """The inverse of :meth:`to_dict`; ``ValueError`` says what is wrong and where."""
        item = _object(item, where)
        speaker = item.get("speaker")
        if speaker is not None and (not isinstance(speaker, int) or isinstance(speaker, bool)):
            raise ValueError(f"{where}.speaker must be an integer, not {_kind(speaker)}.")
        return cls(
            word=_field(item, "word", str, where),
            start=_number(item, "start", where),
            end=_number(item, "end", where),
            confidence=_number(item, "confidence", where),
            punctuated_word=_field(item, "punctuated_word", str, where, default=None),
            speaker=speaker,
            attached=_field(item, "attached", bool, where, default=False),
        )


@dataclass(frozen=True)
class Original:
    """What the engine heard, kept in a result the user corrected."""

    text: str
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "words": [w.to_dict() for w in self.words]}

    @classmethod
    def from_dict(cls, item: Any, where: str = "original") -> Original:
        item = _object(item, where)
        words = _field(item, "words", list, where, default=[])
        return cls(_field(item, "text", str, where), tuple(Word.from_dict(w, f"{where}.words[{i}]") for i, w in enumerate(words)))


@dataclass(frozen=True)
class Result:
    """A transcript hypothesis for a stretch of audio (Deepgram's ``Results`` message).

    ``is_final=False`` is an interim result: it replaces the previous interim.
    ``is_final=True`` is final: its words never change again and are appended to the transcript.
    ``speech_final=True`` additionally marks the end of an utterance (a pause in speech).

    Engines leave ``utterance`` and ``recording`` unset; :class:`Transcript` sets them on the
    final results it keeps: which utterance (counted from 0) and which recording (the index in
    the transcriber's ``recordings``) each belongs to.

    ``original`` is set on a final result the user corrected (see :mod:`live_transcriber.edits`):
    the text and words the engine gave. Its dict then says ``"edited": true``.
    """

    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()
    is_final: bool = False
    speech_final: bool = False
    from_finalize: bool = False
    utterance: int | None = None
    recording: int | None = None
    original: Original | None = None

    @property
    def speaker(self) -> int | None:
        """The speaker of the first word, when the engine tells speakers apart."""
        return self.words[0].speaker if self.words else None

    @property
    def edited(self) -> bool:
        """Whether the user corrected this result (what the engine heard is in ``original``)."""
        return self.original is not None

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data: the shape of the widget's ``results`` and of JSON exports."""
        entry: dict[str, Any] = {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "is_final": self.is_final,
            "speech_final": self.speech_final,
            "from_finalize": self.from_finalize,
            "speaker": self.speaker,
            "words": [w.to_dict() for w in self.words],
        }
        if self.utterance is not None:
            entry["utterance"] = self.utterance
        if self.recording is not None:
            entry["recording"] = self.recording
        if self.original is not None:
            entry["edited"] = True
            entry["original"] = self.original.to_dict()
        return entry

    @classmethod
    def from_dict(cls, item: Any, where: str = "result") -> Result:
        """The inverse of :meth:`to_dict` (``speaker`` is read from the words); ``ValueError`` says
        what is wrong and where. Missing flags are false; a missing ``utterance`` is unset.
        ``edited`` follows ``original``."""
        item = _object(item, where)
        words = _field(item, "words", list, where, default=[])
        original = item.get("original")
        return cls(
            text=_field(item, "text", str, where),
            start=_number(item, "start", where),
            end=_number(item, "end", where),
            words=tuple(Word.from_dict(w, f"{where}.words[{i}]") for i, w in enumerate(words)),
            is_final=_field(item, "is_final", bool, where, default=True),
            speech_final=_field(item, "speech_final", bool, where, default=False),
            from_finalize=_field(item, "from_finalize", bool, where, default=False),
            utterance=_count(item, "utterance", where),
            recording=_count(item, "recording", where),
            original=None if original is None else Original.from_dict(original, f"{where}.original"),
        )

    def shifted(self, offset: float) -> Result:
        """The same result ``offset`` seconds later (each recording's times start at 0)."""
        if not offset:
            return self
        words = tuple(replace(w, start=w.start + offset, end=w.end + offset) for w in self.words)
        return replace(self, start=self.start + offset, end=self.end + offset, words=words)


def timed_words(result: Result) -> list[Word]:
    """The result's words that have text; for a result without words, its text spread over its
    ``[start, end]`` by length (confidence 0), so every final result can be timed word by word."""
    if result.words:
        return [w for w in result.words if w.text.strip()]
    return spread(result.text.split(), result.start, result.end)


def spread(tokens: list[str], start: float, end: float, speaker: int | None = None, confidence: float = 0.0) -> list[Word]:
    """Words for ``tokens`` that share ``[start, end]`` in order, each in proportion to its length:
    contiguous, never overlapping, the first starting at ``start`` and the last ending at ``end``."""
    total = sum(len(t) for t in tokens)
    span = max(end - start, 0.0)
    words, done = [], 0
    for token in tokens:
        first = start + span * done / total
        done += len(token)
        last = end if done == total else start + span * done / total
        words.append(Word(plain(token), first, last, confidence, token, speaker))
    return words


def plain(token: str) -> str:
    """A word as engines give ``Word.word``: lower case, without the punctuation around it."""
    return token.strip(_PUNCTUATION).lower() or token.lower()


_PUNCTUATION = "\"'“”‘’«»()[]{}.,;:!?¿¡…—–-"


@dataclass(frozen=True)
class Bookmark:
    """A moment the user marked: ``time`` seconds on the transcript's timeline, in ``recording``
    (an index into the transcriber's ``recordings``; None when made before any recording)."""

    time: float
    label: str = ""
    recording: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "label": self.label, "recording": self.recording}

    @classmethod
    def from_dict(cls, item: Any, where: str = "bookmark") -> Bookmark:
        """The inverse of :meth:`to_dict`; ``ValueError`` says what is wrong and where."""
        item = _object(item, where)
        return cls(_number(item, "time", where), _field(item, "label", str, where, default=""), _count(item, "recording", where))


def speaker_names(names: Any) -> dict[int, str]:
    """Checked speaker names: ``{0: "Ana", 1: "Ben"}`` (keys may be digit strings, as JSON has them).

    A name is trimmed to one line of single spaces; an empty name drops the speaker's entry (it is
    "Speaker N" again). Raises ``ValueError`` saying what is wrong.
    """
    if not isinstance(names, dict):
        raise ValueError(f"Speaker names must be a dict such as {{0: 'Ana', 1: 'Ben'}}, not {_kind(names)}.")
    checked: dict[int, str] = {}
    for key, name in names.items():
        speaker = int(key) if isinstance(key, str) and key.isdigit() and len(key) <= 6 else key
        if not isinstance(speaker, int) or isinstance(speaker, bool) or not 0 <= speaker <= MAX_SPEAKER:
            raise ValueError(f"A speaker is a number from 0 to {MAX_SPEAKER} (the words' speaker), not {_kind(key)}.")
        if not isinstance(name, str):
            raise ValueError(f"The name of speaker {speaker} must be a string, not {_kind(name)}.")
        name = " ".join(name.split())
        if len(name) > MAX_NAME:
            raise ValueError(f"The name of speaker {speaker} is {len(name)} characters long; at most {MAX_NAME} are allowed.")
        if name:
            checked[speaker] = name
    return dict(sorted(checked.items()))


def speaker_label(speaker: int, names: dict[int, str] | None = None) -> str:
    """What a speaker is called: the name given, else "Speaker 1" for speaker 0."""
    return (names or {}).get(speaker) or f"Speaker {speaker + 1}"


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


#: What an engine is doing. "ready" means audio is flowing (the user sees "recording").
EnginePhase = Literal["loading model", "connecting", "reconnecting", "ready"]


@dataclass(frozen=True)
class EngineStatus:
    """The engine changed phase. ``detail`` is shown to the user beside the status, e.g.
    ``"attempt 2 of 5"`` while reconnecting or ``"4 s behind"`` while catching up."""

    phase: EnginePhase
    detail: str = ""


@dataclass(frozen=True)
class EngineError:
    """Something went wrong. ``fatal`` means the stream cannot continue."""

    message: str
    fatal: bool = True


@dataclass(frozen=True)
class StreamClosed:
    """The engine has emitted everything it will emit for this stream."""


Event = Union[Result, UtteranceEnd, SpeechStarted, Metadata, EngineStatus, EngineError, StreamClosed]


# --- status -----------------------------------------------------------------------------------


class Status(str, enum.Enum):
    """What the transcriber is doing: the ``status`` a user sees, in Python and in the widget."""

    IDLE = "idle"
    LOADING_MODEL = "loading model"
    CONNECTING = "connecting"
    RECORDING = "recording"
    PAUSED = "paused"
    RECONNECTING = "reconnecting"
    FINISHING = "finishing"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


def derive_status(*, failed: bool, open: bool, engine: EnginePhase | None, paused: bool, ending: bool) -> Status:
    """The one rule for the status.

    ``failed``: the last recording ended in an error (until the next one starts). ``open``: a
    recording's stream is open. ``engine``: the stream's latest phase. ``paused``/``ending``: the
    user paused, or stopped and the last words are still coming.
    """
    if failed:
        return Status.ERROR
    if not open:
        return Status.IDLE
    if engine == "loading model":
        return Status.LOADING_MODEL
    if engine in ("connecting", "reconnecting"):
        return Status(engine)
    if ending:
        return Status.FINISHING
    return Status.PAUSED if paused else Status.RECORDING


# --- the transcript ---------------------------------------------------------------------------


def join_words(words: Sequence[Word], texts: Sequence[str] | None = None) -> str:
    """The words as text: a space between two words, except before an ``attached`` one.
    ``texts``: what to write for each word, if not its ``text``."""
    texts = [w.text for w in words] if texts is None else texts
    return "".join(t if i == 0 or w.attached else " " + t for i, (t, w) in enumerate(zip(texts, words, strict=True)))


def join_results(results: Iterable[Result], text: str = "") -> str:
    """``text`` and the results' text after it: a space between two, except before a result whose
    first word is ``attached`` (a final result may end inside a word: "cold" then "-hearted")."""
    parts = [text] if text else []
    for result in results:
        if result.text:
            if parts and not (result.words and result.words[0].attached):
                parts.append(" ")
            parts.append(result.text)
    return "".join(parts)


class Utterances:
    """Where utterances end: the one rule, applied to final results as they come.

    An utterance ends after a result with ``speech_final``, before a word whose speaker differs
    from the previous word's, before a word that starts more than :data:`UTTERANCE_GAP` seconds
    after the previous one ended, and where a new recording starts. A final result that spans
    a boundary is split in two there.
    """

    def __init__(self) -> None:
        self.count = 0  # utterances begun so far
        self._last: Word | None = None
        self._ended = True
        self._recording: int | None = None

    def resume_after(self, results: list[Result]) -> None:
        """Go on after results kept earlier: the next result starts a new utterance."""
        numbers = [r.utterance for r in results if r.utterance is not None]
        self.count = max(self.count, max(numbers, default=-1) + 1)
        self._ended, self._last = True, None
        self._recording = results[-1].recording if results else None

    def add(self, result: Result) -> list[Result]:
        """``result`` (final, with text) as one or more results, each with its ``utterance`` set."""
        if result.recording != self._recording:
            self._recording, self._ended, self._last = result.recording, True, None
        parts: list[tuple[int, list[Word]]] = []
        for word in result.words or (Word(result.text, result.start, result.end, 0.0),):
            last = self._last
            boundary = self._ended or (
                last is not None and (word.speaker != last.speaker or word.start - last.end > UTTERANCE_GAP)
            )
            if boundary:
                self.count += 1
                self._ended = False
            if boundary or not parts:
                parts.append((self.count - 1, []))
            parts[-1][1].append(word)
            self._last = word
        self._ended = result.speech_final
        if len(parts) == 1:
            return [replace(result, utterance=parts[0][0])]
        last_part = len(parts) - 1
        return [
            replace(
                result,
                text=join_words(words),
                start=words[0].start if i else result.start,
                end=result.end if i == last_part else words[-1].end,
                words=tuple(words),
                speech_final=result.speech_final and i == last_part,
                from_finalize=result.from_finalize and i == last_part,
                utterance=number,
            )
            for i, (number, words) in enumerate(parts)
        ]

    def end(self) -> None:
        """The current utterance ended (a ``speech_final`` result with no words)."""
        self._ended = True


class Transcript:
    """The state a stream of :class:`Result` events adds up to: final results, in utterances, and
    the current interim text."""

    def __init__(self) -> None:
        self.finals: list[Result] = []
        self.text = ""
        self.interim = ""
        self._utterances = Utterances()

    def apply(self, result: Result) -> list[Result]:
        """Take in one result; return the final results it added (with ``utterance`` set)."""
        if not result.is_final:
            self.interim = result.text
            return []
        self.interim = ""
        if not result.text:
            if result.speech_final:
                self._utterances.end()
            return []
        added = self._utterances.add(result)
        self.finals += added
        self.text = join_results(added, self.text)
        return added

    def restore(self, results: list[Result]) -> None:
        """Take back final results as they were kept (with their ``utterance`` numbers, corrected
        ones included): nothing is split or dropped, so indexes and utterances stay the same, and
        the next result goes on after them (a new utterance)."""
        self.finals += results
        self.text = join_results(self.finals)
        self._utterances.resume_after(self.finals)

    def replace(self, changed: dict[int, Result]) -> None:
        """Put corrected results in place (by their index in :attr:`finals`)."""
        for index, result in changed.items():
            self.finals[index] = result
        self.text = join_results(self.finals)

    def clear(self) -> None:
        self.finals.clear()
        self.text = ""
        self.interim = ""
        self._utterances = Utterances()

    @property
    def words(self) -> list[Word]:
        return [w for r in self.finals for w in r.words]


def group_utterances(results: list[Result] | tuple[Result, ...]) -> list[list[Result]]:
    """Final results grouped by utterance: by their ``utterance`` numbers when every result has
    one (a :class:`Transcript`'s), else by the :class:`Utterances` rule."""
    if not all(r.utterance is not None for r in results):
        rule = Utterances()
        results = [part for r in results for part in rule.add(r)]
    groups: list[list[Result]] = []
    for result in results:
        if groups and groups[-1][-1].utterance == result.utterance:
            groups[-1].append(result)
        else:
            groups.append([result])
    return groups


# --- reading dicts back -----------------------------------------------------------------------

_MISSING = object()


def _object(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be an object, not {_kind(item)}.")
    return item


def _field(item: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = _MISSING) -> Any:
    name = f"{where}.{key}" if where else key
    if key not in item or (item[key] is None and default is None):
        if default is _MISSING:
            raise ValueError(f"{name} is missing.")
        return default
    value = item[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ValueError(f"{name} must be {_kind_name(kind)}, not {_kind(value)}.")
    return value


def _number(item: dict[str, Any], key: str, where: str) -> float:
    value = float(_field(item, key, (int, float), where))
    if not math.isfinite(value):
        raise ValueError(f"{where}.{key} must be a finite number, not {value!r}.")
    return value


def _count(item: dict[str, Any], key: str, where: str) -> int | None:
    value = _field(item, key, int, where, default=None)
    if value is not None and value < 0:
        raise ValueError(f"{where}.{key} must not be negative, not {value!r}.")
    return value


def _kind_name(kind: Any) -> str:
    names = {str: "a string", bool: "true or false", list: "a list", dict: "an object", int: "an integer"}
    return names.get(kind, "a number")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return "a list" if isinstance(value, list) else "an object"

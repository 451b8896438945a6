"""The final results of a transcript as the files people use: plain text, SRT, WebVTT and JSON.

Pure functions from a sequence of final :class:`~live_transcriber.results.Result` (a
``Transcript.finals``) to a string; nothing here does I/O. Subtitle cues are timed by the words;
a result that carries text but no words has its words spread over its ``[start, end]``. Speakers
are called by the names given (``speaker_names={0: "Ana"}``), else "Speaker 1", "Speaker 2", ...;
bookmarks appear in the text and JSON files.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import NamedTuple

from .results import UTTERANCE_GAP, Bookmark, Result, Word, group_utterances, join_results, join_words, speaker_label, speaker_names, timed_words

__all__ = [
    "FORMATS",
    "UTTERANCE_GAP",
    "Document",
    "Utterance",
    "from_json",
    "read_json",
    "render",
    "to_json",
    "to_srt",
    "to_text",
    "to_vtt",
    "utterances",
]

#: Speaker number → name, e.g. ``{0: "Ana"}``.
Names = Mapping[int, str]

JSON_VERSION = 1

_SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
_CLAUSE_END = (",", ";", ":", "，", "、", "；", "：", "—")
_CLOSERS = "\"'”’)]}»」』"


@dataclass(frozen=True)
class Utterance:
    """Words said in one go by one speaker: ended by ``speech_final``, a new speaker or a pause."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    speaker: int | None = None


def utterances(results: Sequence[Result]) -> list[Utterance]:
    """Final results as utterances, where :class:`~live_transcriber.results.Utterances` says they end
    (``speech_final``, a new speaker, a pause over 2 s, a new recording). A result with text but no
    words gets words spread over its ``[start, end]`` (confidence 0).
    """
    return [
        Utterance(words[0].start, max(w.end for w in words), join_words(words, [_clean(w.text) for w in words]), tuple(words), words[0].speaker)
        for words in _utterance_words(results)
    ]


def _utterance_words(results: Sequence[Result]) -> Iterator[list[Word]]:
    for group in group_utterances(list(results)):
        words = [w for r in group for w in timed_words(r)]
        if words:
            yield words


def to_text(
    results: Sequence[Result],
    *,
    timestamps: bool = False,
    speakers: bool = True,
    speaker_names: Names | None = None,
    bookmarks: Sequence[Bookmark] = (),
) -> str:
    """One line per utterance, e.g. ``[01:05] Speaker 1: Hello there.``

    ``timestamps=True`` starts each line with its start time, ``[mm:ss]`` or ``[h:mm:ss]`` from one
    hour on. ``speakers=True`` names the speaker when the engine told them apart (Deepgram's
    ``diarize``) or a person said who spoke: by ``speaker_names``, else speaker 0 is "Speaker 1".
    Each bookmark is a line of its own, ``[bookmark 01:05] label``, before the first utterance that
    starts after it.
    """
    marks = sorted(bookmarks, key=lambda b: b.time)
    lines = []
    for utterance in utterances(results):
        while marks and marks[0].time < utterance.start:
            lines.append(_bookmark_line(marks.pop(0)))
        prefix = f"[{_clock(utterance.start)}] " if timestamps else ""
        if speakers and utterance.speaker is not None:
            prefix += f"{_speaker_name(utterance.speaker, speaker_names)}: "
        lines.append(prefix + utterance.text + "\n")
    lines += [_bookmark_line(mark) for mark in marks]
    return "".join(lines)


def _clock(seconds: float) -> str:
    """``mm:ss``, or ``h:mm:ss`` from one hour on."""
    whole = _ms(seconds) // 1000
    hours, minutes, whole = whole // 3600, whole // 60 % 60, whole % 60
    return f"{hours}:{minutes:02d}:{whole:02d}" if hours else f"{minutes:02d}:{whole:02d}"


def _bookmark_line(mark: Bookmark) -> str:
    return f"[bookmark {_clock(mark.time)}] {_clean(mark.label)}".rstrip() + "\n"


def to_srt(
    results: Sequence[Result], *, max_chars: int = 84, max_duration: float = 6.0, speaker_names: Names | None = None
) -> str:
    """SubRip subtitles, numbered from 1, timed by the words (``HH:MM:SS,mmm``).

    Text that looks like markup (``<b>``, ``{\\an8}``) stays text. A cue has at most two lines of
    ``max_chars // 2`` characters, speaker label (``Ana: `` or ``Speaker 1: ``) included, and lasts
    at most ``max_duration`` seconds; see :func:`to_vtt`. An empty transcript gives ``""``.
    """

    def label(speaker: int | None) -> str:
        return "" if speaker is None else f"{_speaker_name(speaker, speaker_names)}: "

    blocks = []
    for number, cue in enumerate(_cues(results, max_chars, max_duration, label), start=1):
        text = "\n".join(_srt_escape(line) for line in cue.lines)
        blocks.append(f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n{text}\n")
    return "\n".join(blocks)


def to_vtt(
    results: Sequence[Result], *, max_chars: int = 84, max_duration: float = 6.0, speaker_names: Names | None = None
) -> str:
    """WebVTT subtitles, timed by the words (``HH:MM:SS.mmm``), speakers as ``<v Ana>`` or ``<v Speaker 1>``.

    Cues never span two utterances, prefer to end at a sentence (or clause) end, never split a word,
    have at most two lines of ``max_chars // 2`` characters (a longer word gets a line of its own)
    and last at most ``max_duration`` seconds. They are in order and never overlap: a cue whose
    words overlap the next cue's ends where the next one starts.
    """
    blocks = ["WEBVTT\n"]
    for cue in _cues(results, max_chars, max_duration, lambda speaker: ""):
        text = "\n".join(_vtt_escape(line) for line in cue.lines)
        if cue.speaker is not None:
            text = f"<v {_vtt_escape(_speaker_name(cue.speaker, speaker_names))}>{text}"
        blocks.append(f"{_timestamp(cue.start, '.')} --> {_timestamp(cue.end, '.')}\n{text}\n")
    return "\n".join(blocks) + ("" if len(blocks) > 1 else "\n")


def to_json(results: Sequence[Result], *, speaker_names: Names | None = None, bookmarks: Sequence[Bookmark] = ()) -> str:
    """Every result with its words, exactly (no rounding), as a JSON document :func:`read_json` reads.

    ``{"version": 1, "transcript": "...", "results": [...], "words": [...], "speakers": {...},
    "bookmarks": [...]}``: ``results`` are ``Result.to_dict()``, the shape of the widget's
    ``results`` trait (without its ``index``; a corrected one has ``edited`` and the engine's
    ``original``); ``words`` is every result's words in order, for convenience; ``speakers`` the
    names given (``{"0": "Ana"}``); ``bookmarks`` as ``Bookmark.to_dict()``.
    """
    document = {
        "version": JSON_VERSION,
        "transcript": join_results(results),
        "results": [r.to_dict() for r in results],
        "words": [w.to_dict() for r in results for w in r.words],
        "speakers": {str(k): v for k, v in sorted((speaker_names or {}).items())},
        "bookmarks": [b.to_dict() for b in bookmarks],
    }
    try:
        return json.dumps(document, ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise ValueError(f"Cannot export to JSON: a time or confidence is not a finite number ({error}).") from None


@dataclass(frozen=True)
class Document:
    """What a JSON export holds: the results, the speakers' names and the bookmarks."""

    results: list[Result]
    speaker_names: dict[int, str] = field(default_factory=dict)
    bookmarks: list[Bookmark] = field(default_factory=list)


def from_json(text: str) -> list[Result]:
    """The results of a :func:`to_json` document (:func:`read_json` has its names and bookmarks too)."""
    return read_json(text).results


def read_json(text: str) -> Document:
    """A :func:`to_json` document. Raises ``ValueError`` saying what is wrong and where.

    Only ``version``, ``results``, ``speakers`` and ``bookmarks`` are read (``transcript`` and
    ``words`` follow from the results), so ``{"version": 1, "results": w.results}`` works too: a
    missing ``from_finalize`` is false, missing names and bookmarks are none.
    """
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Not a live-transcriber JSON export: it is not valid JSON ({error}).") from None
    if not isinstance(document, dict) or "results" not in document:
        raise ValueError('Not a live-transcriber JSON export: expected an object with "version" and "results".')
    version = document.get("version")
    if version != JSON_VERSION:
        raise ValueError(f"Unsupported JSON export version {version!r}: this live-transcriber reads version {JSON_VERSION}.")
    results, marks = document["results"], document.get("bookmarks", [])
    try:
        for name, value in (("results", results), ("bookmarks", marks)):
            if not isinstance(value, list):
                raise ValueError(f"{name} must be a list, not {'an object' if isinstance(value, dict) else type(value).__name__}.")
        return Document(
            [Result.from_dict(item, f"results[{i}]") for i, item in enumerate(results)],
            speaker_names(document.get("speakers", {})),
            [Bookmark.from_dict(item, f"bookmarks[{i}]") for i, item in enumerate(marks)],
        )
    except ValueError as error:
        raise ValueError(f"Bad JSON export: {error}") from None


Writer = Callable[[Sequence[Result]], str]

FORMATS: dict[str, tuple[Writer, str]] = {
    "txt": (to_text, "text/plain"),
    "srt": (to_srt, "application/x-subrip"),
    "vtt": (to_vtt, "text/vtt"),
    "json": (to_json, "application/json"),
}
"""File suffix → (writer, MIME type)."""


def render(fmt: str, results: Sequence[Result], *, speaker_names: Names | None = None, bookmarks: Sequence[Bookmark] = ()) -> str:
    """The transcript in format ``fmt`` (a key of :data:`FORMATS`), with what that format shows:
    speaker names in all four, bookmarks in text and JSON."""
    if fmt not in FORMATS:
        raise ValueError(f"Cannot export as {fmt!r}: choose one of {', '.join(FORMATS)}.")
    if fmt in ("txt", "json"):
        return FORMATS[fmt][0](results, speaker_names=speaker_names, bookmarks=bookmarks)  # type: ignore[call-arg]
    return FORMATS[fmt][0](results, speaker_names=speaker_names)  # type: ignore[call-arg]


# --- words and times ---------------------------------------------------------------------------


def _clean(text: str) -> str:
    """A word's text on one line (a word may hold spaces, e.g. Deepgram's smart_format "10:00 AM")."""
    return " ".join(text.split())


_HALF = Decimal(1)


def _ms(seconds: float) -> int:
    """Seconds to whole milliseconds, half up as written (0.9995 → 1000); negative → 0.

    One monotonic function for every time, so rounding never puts an end before its start.
    """
    if not math.isfinite(seconds):
        raise ValueError(f"Cannot export a word time of {seconds!r} seconds: times must be finite numbers.")
    if seconds <= 0:
        return 0
    scaled = seconds * 1000
    if abs(scaled - math.floor(scaled) - 0.5) > 1e-6:
        return math.floor(scaled + 0.5)
    # Near a tie the binary float may sit just under it (0.9995 is 0.99949999…): round the decimal
    # the number prints as, which is what the user wrote and expects.
    return int((Decimal(repr(seconds)) * 1000).quantize(_HALF, rounding=ROUND_HALF_UP))


def _timestamp(ms: int, separator: str) -> str:
    seconds, ms = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{ms:03d}"


def _speaker_name(speaker: int, names: Names | None) -> str:
    """The speaker's name on one line (a name from JSON or the browser may hold anything)."""
    return _clean(speaker_label(speaker, dict(names or {})))


_SRT_MARKUP = re.compile(r"([<{])(?=[A-Za-z/!\\])")


def _srt_escape(text: str) -> str:
    """SubRip has no escaping, and players render ``<b>``, ``<font ...>`` and ``{\\an8}`` in it:
    a zero-width space after a ``<`` or ``{`` that would start a tag keeps the text as text,
    looking the same (``<3`` is left alone)."""
    return _SRT_MARKUP.sub("\\1\u200b", text)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- cues --------------------------------------------------------------------------------------


class _Token(NamedTuple):
    text: str
    start: int
    end: int


@dataclass
class _Cue:
    start: int
    end: int
    lines: list[str]
    speaker: int | None


def _cues(results: Sequence[Result], max_chars: int, max_duration: float, label: Callable[[int | None], str]) -> list[_Cue]:
    """Subtitle cues, in milliseconds, in order and not overlapping. ``label(speaker)`` starts line 1."""
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2 (two lines of max_chars // 2 characters), not {max_chars!r}.")
    if not max_duration > 0:
        raise ValueError(f"max_duration must be a positive number of seconds, not {max_duration!r}.")
    line_max = max_chars // 2
    duration_max = max(_ms(max_duration), 1)
    cues: list[_Cue] = []
    previous_start = 0
    for words in _utterance_words(results):
        tokens = []
        for word in words:
            if word.attached and tokens:  # the rest of the word before ("cold" "-hearted"): never cut apart
                last = tokens[-1]
                tokens[-1] = _Token(last.text + _clean(word.text), last.start, max(last.end, _ms(word.end)))
                continue
            # Starts never go back, so cues come out in order even when word timings overlap.
            start = max(_ms(word.start), previous_start)
            tokens.append(_Token(_clean(word.text), start, max(_ms(word.end), start)))
            previous_start = start
        speaker = words[0].speaker
        prefix = label(speaker)
        for piece in _split(tokens, len(prefix), line_max, duration_max):
            start, end = piece[0].start, max(t.end for t in piece)
            lines = _lines([t.text for t in piece], prefix, line_max)
            cues.append(_Cue(start, min(end, start + duration_max), lines, speaker))
    for cue, following in pairwise(cues):
        cue.end = min(cue.end, following.start)
    return cues


def _split(tokens: list[_Token], prefix: int, line_max: int, duration_max: int) -> Iterator[list[_Token]]:
    """Cut one utterance's tokens into cues that fit: two lines, ``duration_max`` ms at most."""
    first = 0
    while first < len(tokens):
        stop = first + 1
        line, length = 1, prefix + len(tokens[first].text)
        end = tokens[first].end
        # Greedy filling puts the most words on line 1, so it fits whenever any two-line layout fits.
        while stop < len(tokens):
            token = tokens[stop]
            if token.end > end:
                if token.end - tokens[first].start > duration_max:
                    break
                end = token.end
            if length + 1 + len(token.text) <= line_max:
                length += 1 + len(token.text)
            elif line == 1 and len(token.text) <= line_max:
                line, length = 2, len(token.text)
            else:
                break
            stop += 1
        if stop < len(tokens):
            stop = _better_stop(tokens, first, stop, prefix, line_max)
        yield tokens[first:stop]
        first = stop


def _better_stop(tokens: list[_Token], first: int, stop: int, prefix: int, line_max: int) -> int:
    """Where to end a full cue: after its last sentence end, else its last clause end, if not too early.

    "Too early" leaves less than a quarter of the cue's room for a sentence, a third for a clause.
    """
    full = prefix + sum(len(t.text) + 1 for t in tokens[first:stop]) - 1
    for endings, least in ((_SENTENCE_END, line_max // 2), (_CLAUSE_END, 2 * line_max // 3)):
        length = full
        for index in range(stop, first, -1):
            if length < least:
                break
            if _ends_with(tokens[index - 1].text, endings):
                return index
            length -= len(tokens[index - 1].text) + 1
    return stop


def _ends_with(text: str, endings: tuple[str, ...]) -> bool:
    return text.rstrip(_CLOSERS).endswith(endings)


def _lines(texts: list[str], prefix: str, line_max: int) -> list[str]:
    """One line if it fits, else two: the most even break that fits, after a sentence end if one does."""
    whole = prefix + " ".join(texts)
    if len(whole) <= line_max or len(texts) == 1:
        return [whole]
    total = len(whole)
    best: tuple[bool, int, int] | None = None
    length = len(prefix) - 1
    for index in range(1, len(texts)):
        length += len(texts[index - 1]) + 1
        rest = total - length - 1
        if length <= line_max and rest <= line_max:
            candidate = (not _ends_with(texts[index - 1], _SENTENCE_END), abs(length - rest), index)
            best = candidate if best is None else min(best, candidate)
    if best is None:
        # No even break fits (an over-long word): break where greedy filling did.
        index, length = 1, len(prefix) + len(texts[0])
        while index < len(texts) and length + 1 + len(texts[index]) <= line_max:
            length += 1 + len(texts[index])
            index += 1
    else:
        index = best[2]
    return [prefix + " ".join(texts[:index]), " ".join(texts[index:])]

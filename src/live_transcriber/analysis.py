"""The transcript as a table: one row per word or per utterance, for pandas. Pure, no I/O.

:func:`rows` gives plain dicts (no pandas needed); :func:`to_dataframe` puts them in a
``pandas.DataFrame`` (``pip install jupyter-live-transcriber[pandas]``). Times are seconds on the
transcript's timeline, so the usual next steps are one line each::

    words = w.to_dataframe()                                   # words per minute, minute by minute:
    words.groupby(words.start // 60).size().plot()
    utterances = w.to_dataframe("utterances")                  # talk time per speaker:
    utterances.groupby("speaker").duration.sum().plot.barh()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

from .edits import edited_words
from .results import Result, Utterances, Word, join_words, speaker_label, timed_words

__all__ = ["COLUMNS", "LEVELS", "rows", "to_dataframe"]

LEVELS = ("words", "utterances")

#: The columns of each level, in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "words": (
        "start", "end", "duration", "text", "word", "speaker", "speaker_id", "confidence",
        "recording", "utterance", "result", "edited",
    ),
    "utterances": (
        "start", "end", "duration", "text", "speaker", "speaker_id", "confidence", "words",
        "words_per_minute", "recording", "utterance", "edited",
    ),
}
"""``start``, ``end``, ``duration``: seconds on the transcript's timeline. ``text``: as shown (a
word with its punctuation); ``word``: without case or punctuation, for counting. ``speaker``: the
name given (``speakers``), else "Speaker 1", ...; None when no speaker is known; ``speaker_id``:
the engine's number. ``confidence``: the engine's (1.0 for a word a person corrected); an
utterance's is the mean of its words'. ``recording``: index into ``recordings``. ``utterance``:
the utterance number; ``result``: the result's ``index``. ``edited``: a person changed what the
word says or when (for an utterance: any of its words), not only who said it. ``words``: how many words an utterance has; ``words_per_minute``:
their rate over the utterance's duration (None for an utterance of no duration)."""

_INTEGERS = ("speaker_id", "recording", "utterance", "result", "words")
_TEXTS = ("text", "word", "speaker", "edited")


def rows(results: Sequence[Result], level: str = "words", *, speaker_names: Mapping[int, str] | None = None) -> list[dict[str, Any]]:
    """The final results as one dict per word or per utterance, with the keys of :data:`COLUMNS`."""
    if level not in LEVELS:
        raise ValueError(f"level must be 'words' or 'utterances', not {level!r}.")
    names = dict(speaker_names or {})
    words = []
    timed = []  # per row, its word (for the utterance's text)
    for index, (result, utterances) in enumerate(zip(results, _utterance_numbers(results), strict=True)):
        changed = dict(zip(result.words, edited_words(result), strict=True)) if result.edited else {}
        for word, utterance in zip(timed_words(result), utterances, strict=True):
            words.append({
                "start": word.start,
                "end": word.end,
                "duration": word.end - word.start,
                "text": word.text,
                "word": word.word,
                "speaker": None if word.speaker is None else speaker_label(word.speaker, names),
                "speaker_id": word.speaker,
                "confidence": word.confidence,
                "recording": result.recording,
                "utterance": utterance,
                "result": index,
                "edited": changed.get(word, False),
            })
            timed.append(word)
    if level == "words":
        return words
    grouped = groupby(zip(words, timed, strict=True), key=lambda pair: pair[0]["utterance"])
    return [_utterance(*zip(*group, strict=True)) for _, group in grouped]


def _utterance_numbers(results: Sequence[Result]) -> list[list[int | None]]:
    """For each result, the utterance number of each of its timed words: the results' own numbers
    (a transcriber's), else those the utterance rule gives (results made by hand)."""
    if all(r.utterance is not None for r in results):
        return [[r.utterance] * len(timed_words(r)) for r in results]
    rule = Utterances()
    return [[part.utterance for part in rule.add(r) for _ in timed_words(part)] if timed_words(r) else [] for r in results]


def _utterance(words: Sequence[dict[str, Any]], timed: Sequence[Word]) -> dict[str, Any]:
    first = words[0]
    start, end = first["start"], max(w["end"] for w in words)
    minutes = (end - start) / 60
    return {
        "start": start,
        "end": end,
        "duration": end - start,
        "text": join_words(timed),
        "speaker": first["speaker"],
        "speaker_id": first["speaker_id"],
        "confidence": sum(w["confidence"] for w in words) / len(words),
        "words": len(words),
        "words_per_minute": len(words) / minutes if minutes > 0 else None,
        "recording": first["recording"],
        "utterance": first["utterance"],
        "edited": any(w["edited"] for w in words),
    }


def to_dataframe(results: Sequence[Result], level: str = "words", *, speaker_names: Mapping[int, str] | None = None) -> Any:
    """:func:`rows` as a ``pandas.DataFrame`` with the columns of :data:`COLUMNS` (numbers that
    may be missing, such as ``speaker_id``, as pandas' nullable ``Int64``)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "to_dataframe() needs pandas, which is not installed: pip install 'jupyter-live-transcriber[pandas]' (or pip install pandas)."
        ) from None
    table = pd.DataFrame(rows(results, level, speaker_names=speaker_names), columns=list(COLUMNS[level]))
    types = {column: "Int64" if column in _INTEGERS else float for column in COLUMNS[level] if column not in _TEXTS}
    return table.astype({**types, "edited": bool})

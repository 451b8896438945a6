"""Corrections to final results: a word, an utterance, who spoke. Pure functions, no I/O.

The rule for timings: a corrected word keeps its own ``[start, end]``; when an utterance's new
text has more or fewer words, the words that still match (compared without case or punctuation)
keep their times, and each run of new words is spread, by length, over the span of the words it
replaces (words inserted between two kept words share the span of the word before them). So new
words never leave the span of the words they replace: if the engine's words were in order and did
not overlap, neither do the corrected ones, and every ``start <= end``.

A corrected result keeps what the engine heard in ``original`` (its first text and words, however
often it is corrected) and is marked ``edited``; a correction back to the engine's words gives the
engine's result back, unmarked. A word whose text changed gets confidence 1.0 (a person checked it).
"""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher

from .results import Original, Result, Word, join_words, plain, spread, timed_words

__all__ = ["edit_utterance", "edit_word", "edited_words"]

#: The confidence of a word a person wrote.
CORRECTED = 1.0


def edit_word(result: Result, position: int, text: str) -> Result:
    """``result`` with its word number ``position`` (in ``result.words``) replaced by ``text``.

    ``text`` may hold several words (they share the old word's time) or none (the word is removed).
    Raises ``IndexError`` for a position the result does not have, ``TypeError`` if text is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"The corrected text must be a string, not {type(text).__name__}.")
    if not 0 <= position < len(result.words):
        raise IndexError(f"Result {_name(result)} has no word {position}: it has {len(result.words)} (counted from 0).")
    old = result.words[position]
    tokens = text.split()
    if tokens == [old.text]:
        return result
    new = [_retext(old, tokens[0])] if len(tokens) == 1 else spread(tokens, old.start, old.end, old.speaker, CORRECTED)
    return _with_words(result, [*result.words[:position], *new, *result.words[position + 1 :]])


def edit_utterance(results: list[Result], text: str | None = None, speaker: int | None = None) -> list[Result]:
    """The results of one utterance, corrected to say ``text`` and/or spoken by ``speaker``.

    ``text=None`` keeps the words; ``speaker=None`` keeps each word's speaker. The new words are
    given to the results whose words they replace (see the module's rule for their times).
    """
    if text is not None and not isinstance(text, str):
        raise TypeError(f"The corrected text must be a string, not {type(text).__name__}.")
    if speaker is not None and (not isinstance(speaker, int) or isinstance(speaker, bool) or speaker < 0):
        raise ValueError(f"A speaker is a number from 0 (the words' speaker), not {speaker!r}.")
    old: list[Word] = []
    owner: list[int] = []  # which of ``results`` each old word belongs to
    for number, result in enumerate(results):
        words = timed_words(result)
        old += words
        owner += [number] * len(words)
    tokens = [w.text for w in old] if text is None else text.split()
    new_words: list[list[Word]] = [[] for _ in results]
    for first, stop, pieces in _runs(old, tokens):
        _place(old, owner, first, stop, pieces, new_words)
    if speaker is not None:
        new_words = [[replace(w, speaker=speaker) for w in words] for words in new_words]
    return [
        result if words == timed_words(result) else _with_words(result, words) for result, words in zip(results, new_words, strict=True)
    ]


def edited_words(result: Result) -> list[bool]:
    """For each of the result's words, whether a person changed what it says or when (saying who
    spoke it does not count: that corrects the speaker, not the word)."""
    if result.original is None:
        return [False] * len(result.words)
    engine_words = {(w.text, w.start, w.end) for w in result.original.words}
    return [(w.text, w.start, w.end) not in engine_words for w in result.words]


# --- how new words line up with old ones ----------------------------------------------------------


def _runs(old: list[Word], tokens: list[str]) -> list[tuple[int, int, list[str]]]:
    """The new tokens as runs ``(first, stop, tokens)``: each replaces old words ``first:stop``.

    Matching words (without case or punctuation) are runs of one word each; tokens inserted where
    no old word goes join the run before them (or, at the start, the one after), so every run that
    has tokens replaces at least one old word and so has a time span.
    """
    matcher = SequenceMatcher(None, [plain(w.text) for w in old], [plain(t) for t in tokens], autojunk=False)
    runs: list[tuple[int, int, list[str]]] = []
    leading: list[str] = []  # tokens inserted before the first old word
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            runs += [(i1 + k, i1 + k + 1, [tokens[j1 + k]]) for k in range(i2 - i1)]
        elif tag == "insert":
            if runs:
                first, stop, pieces = runs[-1]
                runs[-1] = (first, stop, pieces + tokens[j1:j2])
            else:
                leading += tokens[j1:j2]
        else:  # replace, delete
            runs.append((i1, i2, tokens[j1:j2]))
    if leading:
        if runs:
            first, stop, pieces = runs[0]
            runs[0] = (first, stop, leading + pieces)
        else:  # nothing to anchor to: an utterance without words cannot be given any
            raise ValueError("This utterance has no words to time new ones by.")
    return runs


def _place(
    old: list[Word], owner: list[int], first: int, stop: int, tokens: list[str], new_words: list[list[Word]]
) -> None:
    """Give one run's tokens to the results its old words belong to, in proportion to how many of
    those words each holds, and time them within those words' span."""
    if stop - first == 1 and len(tokens) == 1:
        new_words[owner[first]].append(_retext(old[first], tokens[0]))
        return
    results = sorted(set(owner[first:stop]))
    total, done, taken = stop - first, 0, 0
    for number in results:
        mine = [k for k in range(first, stop) if owner[k] == number]
        done += len(mine)
        share = round(len(tokens) * done / total) - taken
        pieces, taken = tokens[taken : taken + share], taken + share
        span = old[mine[0]], old[mine[-1]]
        new_words[number] += spread(pieces, span[0].start, max(span[0].start, span[1].end), span[0].speaker, CORRECTED)


def _retext(word: Word, token: str) -> Word:
    """``word`` saying ``token``: the same word if nothing changed; its confidence kept if only
    case or punctuation changed."""
    if token == word.text:
        return word
    confidence = word.confidence if plain(token) == plain(word.text) else CORRECTED
    return Word(plain(token), word.start, word.end, confidence, token, word.speaker)


def _with_words(result: Result, words: list[Word]) -> Result:
    """``result`` saying ``words``, marked as corrected, unless they are what the engine heard."""
    original = result.original or Original(result.text, result.words)
    engine_words = original.words or tuple(spread(original.text.split(), result.start, result.end))
    if [(w.text, w.speaker) for w in words] == [(w.text, w.speaker) for w in engine_words]:
        return replace(result, text=original.text, words=original.words, original=None)
    return replace(result, text=join_words(words), words=tuple(words), original=original)


def _name(result: Result) -> str:
    return repr(result.text[:30]) + ("…" if len(result.text) > 30 else "")

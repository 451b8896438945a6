"""The transcript book: the final results and the words not final yet, corrections, speakers'
names and bookmarks, and the transcript rendered in every export format.

Bookmarks are kept as a moment in a recording; where that is on the transcript's timeline is the
recordings' business, so the methods that show bookmarks are given ``start_of(recording)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import edits
from .. import protocol as P
from ..exports import render, to_text
from ..journal import Saved
from ..results import Bookmark, Result, Transcript, join_results
from .journaling import JournalWriter
from .publisher import Publisher

#: The most bookmarks a transcript keeps.
MAX_BOOKMARKS = 10_000

#: Where a recording starts on the timeline (at the earliest, for one not placed on it yet).
StartOf = Callable[[int], float]


@dataclass(frozen=True)
class Mark:
    """A bookmark as kept: ``at`` seconds into ``recording`` (or on the timeline, with no recording)."""

    recording: int | None
    at: float
    label: str


class TranscriptBook:
    """One transcriber's transcript and what people added to it. Every change is journaled; a
    correction is also sent to the page (``results_changed``)."""

    def __init__(self, journal: JournalWriter, publisher: Publisher) -> None:
        self._journal = journal
        self._publisher = publisher
        self.transcript = Transcript()
        #: The final results as dicts (``Result.to_dict()`` plus ``index``), as the page gets them.
        self.results: list[dict[str, Any]] = []
        #: Bumped whenever :attr:`results` changes.
        self.version = 0
        self.speakers: dict[int, str] = {}
        self.marks: list[Mark] = []

    @property
    def finals(self) -> list[Result]:
        return self.transcript.finals

    def restore(self, saved: Saved) -> None:
        """Take the results, speakers and bookmarks of a journal read back."""
        self.transcript.restore(saved.results)
        for final in saved.results:
            self.results.append({"index": len(self.results), **final.to_dict()})
        self.version += 1
        self.speakers = dict(saved.speakers)
        self.marks = [Mark(m.recording, m.at, m.label) for m in saved.bookmarks]

    def add(self, result: Result) -> list[Result]:
        """Fold an engine's result in: the final results it makes, or (none) new interim words."""
        finals = self.transcript.apply(result)
        for final in finals:
            self.results.append({"index": len(self.results), **final.to_dict()})
            self.version += 1
            self._journal.final(final)
        return finals

    def text_of(self, recording: int) -> str:
        return join_results(r for r in self.transcript.finals if r.recording == recording)

    def clear(self, dropped: list[int]) -> None:
        """Forget the transcript and its bookmarks (speakers' names are kept: the same people);
        ``dropped``: recordings still finishing, whose words are not wanted."""
        self.transcript.clear()
        self.results = []
        self.marks = []
        self.version += 1
        self._journal.cleared(dropped)

    # -- corrections --------------------------------------------------------------------------------

    def edit_word(self, index: int, word: int, text: str) -> Result:
        corrected = edits.edit_word(self._final(index), count(word, "word"), text)
        self._replace({index: corrected})
        return corrected

    def edit_utterance(self, utterance: int, text: str | None, speaker: int | None) -> list[Result]:
        count(utterance, "utterance")
        finals = self.transcript.finals
        indexes = [i for i, r in enumerate(finals) if r.utterance == utterance]
        if not indexes:
            last = next((r.utterance for r in reversed(finals) if r.utterance is not None), -1)
            raise IndexError(f"There is no utterance {utterance}: the results' utterance numbers are from 0 to {last}.")
        results = [finals[i] for i in indexes]
        corrected = edits.edit_utterance(results, text, speaker)
        self._replace({i: new for i, old, new in zip(indexes, results, corrected, strict=True) if new is not old})
        return corrected

    def name_speakers(self, names: dict[int, str]) -> None:
        self.speakers = names
        self._journal.speakers(names)

    def _final(self, index: int) -> Result:
        count(index, "index")
        finals = self.transcript.finals
        if index >= len(finals):
            raise IndexError(f"There is no result {index}: the results' indexes are from 0 to {len(finals) - 1}.")
        return finals[index]

    def _replace(self, changed: dict[int, Result]) -> None:
        """Put corrected results in place and tell every view, including those that hold results
        older than the ``results`` trait's latest ones."""
        if not changed:
            return
        self.transcript.replace(changed)
        for index, result in changed.items():
            self.results[index] = {"index": index, **result.to_dict()}
            self._journal.edited(index, result)
        self.version += 1
        self._publisher.send(P.results_changed([self.results[i] for i in sorted(changed)]))

    # -- bookmarks ----------------------------------------------------------------------------------

    def mark(self, label: str, where: Callable[[], tuple[int | None, float]]) -> Mark:
        """Keep a bookmark at ``where()``: a recording (or None: the timeline) and seconds into it."""
        if len(self.marks) >= MAX_BOOKMARKS:
            raise ValueError(f"Cannot add a bookmark: a transcript keeps at most {MAX_BOOKMARKS}.")
        label = " ".join(label.split())
        mark = Mark(*where(), label)
        self.marks.append(mark)
        self._journal.bookmark(mark.recording, mark.at, mark.label)
        return mark

    def bookmarks(self, start_of: StartOf) -> list[Bookmark]:
        """The bookmarks on the timeline, in time order."""
        return sorted((placed(m, start_of) for m in self.marks), key=lambda b: b.time)

    # -- exports ------------------------------------------------------------------------------------

    def render(self, fmt: str, start_of: StartOf) -> str:
        return render(fmt, self.transcript.finals, speaker_names=self.speakers, bookmarks=self.bookmarks(start_of))

    def to_text(self, start_of: StartOf, *, timestamps: bool, speakers: bool) -> str:
        return to_text(
            self.transcript.finals, timestamps=timestamps, speakers=speakers, speaker_names=self.speakers, bookmarks=self.bookmarks(start_of)
        )


def placed(mark: Mark, start_of: StartOf) -> Bookmark:
    """A kept bookmark on the timeline. A recording not placed yet (one before it is still being
    transcribed) will start at the timeline's end at the earliest: its bookmarks move once it is placed."""
    if mark.recording is None:
        return Bookmark(mark.at, mark.label)
    return Bookmark(start_of(mark.recording) + mark.at, mark.label, mark.recording)


def count(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}.")
    if value < 0:
        raise IndexError(f"{name} is counted from 0: {value} is not one.")
    return value

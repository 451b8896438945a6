"""The journal writer: every write to a transcriber's journal, none when it has none, and a failure
reported the moment it happens.

With a journal asked for, the folder is made at the first recording (:meth:`JournalWriter.recording`).
A write that fails (a full disk, a folder removed) stops the journal: ``report`` is told why at
once, and transcription goes on without it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from .. import journal as J
from ..media import Source
from ..results import Result


class JournalWriter:
    """Writes a transcriber's journal under ``root`` (None: no journal), calling ``report(message)``
    when it cannot."""

    def __init__(self, root: Path | None, engine_label: str, report: Callable[[str], None]) -> None:
        self._root = root
        self._engine_label = engine_label
        self._report = report
        self._keyterms: tuple[str, ...] = ()
        #: The journal being written, or None: none asked for, none made yet, or given up.
        self.journal: J.Journal | None = None

    def resume(self, journal: J.Journal) -> None:
        """Go on writing a journal that was read back (:meth:`Transcriber.resume`)."""
        self.journal = journal
        self._root = journal.folder.parent

    def recording(self, index: int, mime_type: str, source: Source, offset: float) -> None:
        """A recording started: the journal is made now if it is the first."""
        if self._root is None:
            return
        if self.journal is None:
            try:
                self.journal = J.Journal.create(self._root, engine=self._engine_label)
            except OSError as exc:
                root, self._root = self._root, None
                self._report(f"Could not make a journal under {root} ({exc}); transcription goes on without it.")
                return
            if self._keyterms:
                self._write(lambda journal: journal.keyterms(self._keyterms))
        self._write(lambda journal: journal.recording(index, mime_type, source, offset))

    def keyterms(self, terms: tuple[str, ...]) -> None:
        """The keyterms now (also written first in a journal made later)."""
        self._keyterms = terms
        self._write(lambda journal: journal.keyterms(terms))

    def placed(self, index: int, offset: float) -> None:
        self._write(lambda journal: journal.placed(index, offset))

    def audio(self, index: int, data: bytes) -> None:
        self._write(lambda journal: journal.audio(index, data))

    def final(self, result: Result) -> None:
        self._write(lambda journal: journal.final(result))

    def recording_end(self, index: int, error: str, counters: dict[str, int]) -> None:
        self._write(lambda journal: journal.recording_end(index, error, counters))

    def cleared(self, dropped: list[int]) -> None:
        self._write(lambda journal: journal.cleared(dropped))

    def edited(self, index: int, result: Result) -> None:
        self._write(lambda journal: journal.edited(index, result))

    def speakers(self, names: dict[int, str]) -> None:
        self._write(lambda journal: journal.speakers(names))

    def bookmark(self, recording: int | None, at: float, label: str) -> None:
        self._write(lambda journal: journal.bookmark(recording, at, label))

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()

    def _write(self, write: Callable[[J.Journal], None]) -> None:
        journal = self.journal
        if journal is None:
            return
        write(journal)
        if journal.failure:
            self.journal = None
            journal.close()
            self._report(journal.failure)

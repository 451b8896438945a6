"""The journal writer: every write to a transcriber's journal, none when it has none, and a failure
reported the moment it happens.

With a journal asked for, the folder is made at the first recording (:meth:`JournalWriter.recording`),
and then the finished journals that the retention bounds out are removed from the same home
(:func:`live_transcriber.journal_home.clean_up`). A write that fails (a full disk, a folder removed)
stops the journal: ``report`` is told why at once, and transcription goes on without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from .. import journal as J
from .. import journal_home
from ..media import Source
from ..results import Result

log = logging.getLogger(__name__)


class JournalWriter:
    """Writes a transcriber's journal under ``root`` (None: no journal), calling ``report(message)``
    when it cannot; keeps the finished journals there within ``retention``."""

    def __init__(
        self, root: Path | None, engine_label: str, report: Callable[[str], None], retention: journal_home.Retention
    ) -> None:
        self._root = root
        self.retention = retention
        self._engine_label = engine_label
        self._report = report
        self._keyterms: tuple[str, ...] = ()
        #: The journal being written, or None: none asked for, none made yet, or given up.
        self.journal: J.Journal | None = None

    @property
    def root(self) -> Path | None:
        """The folder the journal goes under, or None: no journal (none asked for, or it could not be made)."""
        return self._root

    def resume(self, journal: J.Journal) -> None:
        """Go on writing a journal that was read back (:meth:`Transcriber.recover`)."""
        self.journal = journal
        self._root = journal.folder.parent

    def recording(self, index: int, mime_type: str, source: Source, offset: float) -> None:
        """A recording started: the journal is made now if it is the first, and the home cleaned up."""
        root = self._root
        if root is None:
            return
        made = self.journal is None
        if made:
            try:
                self.journal = J.Journal.create(root, engine=self._engine_label)
            except OSError as exc:
                self._root = None
                self._report(f"Could not make a journal under {root} ({exc}); transcription goes on without it.")
                return
            if self._keyterms:
                self._write(lambda journal: journal.keyterms(self._keyterms))
        self._write(lambda journal: journal.recording(index, mime_type, source, offset))
        if made:
            self._clean_up(root)

    def _clean_up(self, root: Path) -> None:
        """Once per transcriber, when its journal is made (and so held: it is never removed)."""
        try:
            journal_home.clean_up(root, self.retention)
        except Exception:  # a bug in the clean-up must not stop a recording
            log.exception("live-transcriber: the clean-up of old journals in %s failed; nothing more was removed.", root)

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

"""What a crash does to a transcriber's journal, for tests that resume it in the same process."""

from __future__ import annotations

from pathlib import Path

from live_transcriber import Transcriber
from live_transcriber import journal as J


def kill(transcriber: Transcriber) -> Path:
    """As if ``transcriber``'s process were killed: its journal's files and lock are let go,
    ``closed`` is never written, and nothing the transcriber does later reaches the journal (its
    memory is gone with the process). Returns the journal's folder, to resume."""
    journal = transcriber.journal
    assert journal is not None, "the transcriber has no journal yet: nothing to kill"
    transcriber._journal.journal = None
    journal._session = False  # the process never gets to write "closed"
    J._OPEN.discard(journal)
    journal.close()
    return journal.folder

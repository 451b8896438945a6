"""The journal: a transcriber's recordings and final results, written to disk as they happen.

A kernel that crashes, is killed or restarted takes its memory with it. With a journal, the audio
of every recording is appended to a file as it arrives (the container bytes, unchanged) and every
final result is appended to ``journal.jsonl`` as it becomes final, each flushed at once: killing
the process loses no audio that had reached it, and no final text. :func:`load` reads a journal
back; :meth:`Transcriber.resume <live_transcriber.Transcriber.resume>` continues it.

One folder per transcriber, ``<root>/<date>-<time>-<id>/``::

    journal.jsonl       one JSON object per line, in order:
                          {"type": "begin", "version": 1, "engine": "offline · tiny.en", "time": ...}
                          {"type": "recording", "index": 0, "mime_type": ..., "source": ..., "offset": ..., "file": ...}
                          {"type": "final", "result": {...Result.to_dict()...}}
                          {"type": "recording_end", "index": 0, "error": "", "counters": {...}}
                          {"type": "edited", "index": 3, "result": {...}}   a correction: result 3 now
                          {"type": "speakers", "names": {"0": "Ana"}}       the speakers' names now
                          {"type": "keyterms", "terms": ["Kubernetes"]}     the keyterms now
                          {"type": "bookmark", "recording": 0, "at": 12.5, "label": "..."}
                          {"type": "clear"}
    recording-0.webm    the first recording's bytes (the suffix follows its MIME type)

A line cut short by a crash is ignored when reading. Nothing here knows about engines or widgets.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .media import Source
from .results import Result, speaker_names

log = logging.getLogger(__name__)

VERSION = 1
#: The folder journals go to when none is given; ``LIVE_TRANSCRIBER_JOURNAL`` overrides it.
DEFAULT_ROOT = "live-transcriber-journal"
_SUFFIXES = {"webm": ".webm", "ogg": ".ogg", "mp4": ".m4a", "wav": ".wav", "mpeg": ".mp3", "flac": ".flac"}


def default_root() -> Path | None:
    """Where journals go by default: ``$LIVE_TRANSCRIBER_JOURNAL`` (``off`` for none), else
    ``./live-transcriber-journal``."""
    value = os.environ.get("LIVE_TRANSCRIBER_JOURNAL", "").strip()
    if value.lower() in ("off", "none", "0", "false"):
        return None
    return Path(value or DEFAULT_ROOT)


class Journal:
    """Appends to one journal folder. Every write is flushed before the call returns."""

    def __init__(self, folder: Path, *, engine: str = "", append: bool = False) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lines: IO[str] = open(self.folder / "journal.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self._audio: dict[int, IO[bytes]] = {}
        #: Why writing stopped (e.g. the disk is full), else "": transcription goes on without it.
        self.failure = ""
        if not append:
            self._write({"type": "begin", "version": VERSION, "engine": engine, "time": time.time()})

    @classmethod
    def create(cls, root: str | Path, *, engine: str = "") -> Journal:
        """A new journal in a new folder under ``root``."""
        name = time.strftime("%Y-%m-%d-%H%M%S") + "-" + secrets.token_hex(2)
        return cls(Path(root) / name, engine=engine)

    def __repr__(self) -> str:
        return f"Journal({str(self.folder)!r})"

    # -- writing -------------------------------------------------------------------------------

    def recording(self, index: int, mime_type: str, source: Source, offset: float) -> None:
        file = f"recording-{index}{_suffix(mime_type)}"
        self._audio[index] = open(self.folder / file, "ab")  # noqa: SIM115
        self._write(
            {"type": "recording", "index": index, "mime_type": mime_type, "source": source.name, "offset": offset, "file": file}
        )

    def placed(self, index: int, offset: float) -> None:
        """A recording's place on the timeline became known (after the one before it finished)."""
        self._write({"type": "placed", "index": index, "offset": offset})

    def audio(self, index: int, data: bytes) -> None:
        out = self._audio.get(index)
        if out is None or self.failure:
            return
        try:
            out.write(data)
            out.flush()
        except OSError as exc:
            self._fail(exc)

    def final(self, result: Result) -> None:
        self._write({"type": "final", "result": result.to_dict()})

    def recording_end(self, index: int, error: str = "", counters: dict[str, int] | None = None) -> None:
        out = self._audio.pop(index, None)
        if out is not None:
            out.close()
        self._write({"type": "recording_end", "index": index, "error": error, "counters": counters or {}})

    def cleared(self, dropped: list[int] | None = None) -> None:
        """The transcript was cleared; ``dropped``: recordings still finishing whose words are not wanted."""
        self._write({"type": "clear", "dropped": dropped or []})

    def edited(self, index: int, result: Result) -> None:
        """Result ``index`` was corrected: this is it now."""
        self._write({"type": "edited", "index": index, "result": result.to_dict()})

    def speakers(self, names: dict[int, str]) -> None:
        self._write({"type": "speakers", "names": {str(k): v for k, v in names.items()}})

    def keyterms(self, terms: tuple[str, ...]) -> None:
        self._write({"type": "keyterms", "terms": list(terms)})

    def bookmark(self, recording: int | None, at: float, label: str) -> None:
        """A bookmark ``at`` seconds into ``recording`` (or on the timeline, with no recording)."""
        self._write({"type": "bookmark", "recording": recording, "at": at, "label": label})

    def event(self, entry: dict[str, Any]) -> None:
        """Any other entry (a ``type`` and JSON-ready values)."""
        self._write(entry)

    def close(self) -> None:
        for out in [*self._audio.values(), self._lines]:
            with contextlib.suppress(OSError):  # after a failure, what is still buffered cannot be written either
                out.close()
        self._audio.clear()

    def _write(self, entry: dict[str, Any]) -> None:
        if self.failure:
            return
        try:
            line = json.dumps(entry, ensure_ascii=False, allow_nan=False) + "\n"
            if self._lines.closed:
                # Closed with its transcriber: corrections, names and bookmarks made after close()
                # are still written (the review goes on; resume() reads them).
                with open(self.folder / "journal.jsonl", "a", encoding="utf-8") as lines:
                    lines.write(line)
                return
            self._lines.write(line)
            self._lines.flush()
        except (OSError, ValueError) as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        # A full disk must not stop the transcription: say so, go on without the journal.
        self.failure = f"Could not write the journal in {self.folder} ({exc}); transcription goes on without it."
        log.error("live-transcriber: %s", self.failure)


# --- reading ----------------------------------------------------------------------------------


@dataclass
class SavedRecording:
    index: int
    mime_type: str
    source: str
    offset: float
    data: bytes
    #: Whether the journal says it ended (False: the process stopped while it was going on).
    ended: bool = False
    error: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    #: The end (on the timeline) of its latest final word, cleared ones included.
    heard_until: float | None = None
    #: Whether its place on the timeline (``offset``) was known: one that waited for the recording
    #: before it to finish is placed after it on resume.
    placed: bool = False


@dataclass(frozen=True)
class SavedBookmark:
    """A bookmark: ``at`` seconds into ``recording`` (or on the timeline, with no recording)."""

    recording: int | None
    at: float
    label: str


@dataclass
class Saved:
    """What a journal holds: the final results (after the last clear) and every recording."""

    folder: Path
    engine: str
    results: list[Result]
    recordings: list[SavedRecording]
    #: Other entries in order, for the features that wrote them.
    entries: list[dict[str, Any]]
    speakers: dict[int, str] = field(default_factory=dict)
    bookmarks: list[SavedBookmark] = field(default_factory=list)
    #: The keyterms last set (None: the journal never had any, so the engine's own apply).
    keyterms: tuple[str, ...] | None = None

    @property
    def interrupted(self) -> list[SavedRecording]:
        """Recordings that never ended: their last words may be missing from ``results``."""
        return [r for r in self.recordings if not r.ended]

    @property
    def transcript(self) -> str:
        return " ".join(r.text for r in self.results if r.text)


def load(path: str | Path) -> Saved:
    """Read a journal folder. Raises ``FileNotFoundError`` or ``ValueError`` saying what is wrong."""
    folder = Path(path)
    lines_path = folder / "journal.jsonl"
    if not lines_path.is_file():
        raise FileNotFoundError(f"{folder} is not a live-transcriber journal: it has no journal.jsonl.")
    engine = ""
    results: list[Result] = []
    recordings: dict[int, SavedRecording] = {}
    entries: list[dict[str, Any]] = []
    speakers: dict[int, str] = {}
    bookmarks: list[SavedBookmark] = []
    keyterms: tuple[str, ...] | None = None
    with open(lines_path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except ValueError:
                if line.endswith("\n"):
                    raise ValueError(f"{lines_path}, line {number}: not JSON.") from None
                continue  # the last line, cut short by a crash
            kind = entry.get("type") if isinstance(entry, dict) else None
            if kind == "begin":
                if entry.get("version") != VERSION:
                    raise ValueError(f"{lines_path}: journal version {entry.get('version')!r}, this live-transcriber reads {VERSION}.")
                engine = str(entry.get("engine", ""))
            elif kind == "recording":
                index = int(entry["index"])
                data_path = folder / str(entry["file"])
                data = data_path.read_bytes() if data_path.is_file() else b""
                recordings[index] = SavedRecording(index, str(entry["mime_type"]), str(entry["source"]), float(entry["offset"]), data)
            elif kind == "placed" and int(entry["index"]) in recordings:
                recordings[int(entry["index"])].offset = float(entry["offset"])
                recordings[int(entry["index"])].placed = True
            elif kind == "final":
                result = Result.from_dict(entry["result"], f"{lines_path}, line {number}")
                results.append(result)
                saved = recordings.get(result.recording) if result.recording is not None else None
                if saved is not None:
                    saved.heard_until = max(saved.heard_until or result.end, result.end)
            elif kind == "recording_end" and int(entry["index"]) in recordings:
                saved = recordings[int(entry["index"])]
                saved.ended, saved.error, saved.counters = True, str(entry.get("error", "")), dict(entry.get("counters") or {})
            elif kind == "edited":
                index = int(entry["index"])
                if 0 <= index < len(results):  # a correction of a result a later clear removed is gone with it
                    results[index] = Result.from_dict(entry["result"], f"{lines_path}, line {number}")
            elif kind == "speakers":
                speakers = speaker_names(entry.get("names") or {})
            elif kind == "keyterms":
                keyterms = tuple(str(term) for term in entry.get("terms") or ())
            elif kind == "bookmark":
                recording = entry.get("recording")
                bookmarks.append(SavedBookmark(None if recording is None else int(recording), float(entry["at"]), str(entry.get("label", ""))))
            elif kind == "clear":
                results.clear()
                bookmarks.clear()
                for index in entry.get("dropped") or ():
                    if index in recordings:  # still finishing when cleared: its words are not wanted
                        recordings[index].ended = True
            else:
                entries.append(entry)
    return Saved(folder, engine, results, [recordings[i] for i in sorted(recordings)], entries, speakers, bookmarks, keyterms)


def _suffix(mime_type: str) -> str:
    base = mime_type.split(";", 1)[0].strip().lower()
    kind = base.split("/", 1)[-1].replace("x-", "")
    return _SUFFIXES.get(kind, ".bin")

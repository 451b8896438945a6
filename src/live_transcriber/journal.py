"""The journal: a transcriber's recordings and final results, written to disk as they happen.

A kernel that crashes, is killed or restarted takes its memory with it. With a journal, the audio
of every recording is appended to a file as it arrives (the container bytes, unchanged) and every
final result is appended to ``journal.jsonl`` as it becomes final, each flushed at once: killing
the process loses no audio that had reached it, and no final text. :func:`load` reads a journal
back; :meth:`Transcriber.recover <live_transcriber.Transcriber.recover>` continues it.

One folder per transcriber, ``<root>/<date>-<time>-<id>/`` (where the root is:
:mod:`live_transcriber.journal_home`)::

    journal.jsonl       one JSON object per line, in order:
                          {"type": "begin", "version": 1, "engine": "offline · tiny.en", "time": ...}
                          {"type": "resumed", "time": ...}                  a transcriber goes on with it
                          {"type": "recording", "index": 0, "mime_type": ..., "source": ..., "offset": ..., "file": ...}
                          {"type": "final", "result": {...Result.to_dict()...}}
                          {"type": "recording_end", "index": 0, "error": "", "counters": {...}}
                          {"type": "edited", "index": 3, "result": {...}}   a correction: result 3 now
                          {"type": "speakers", "names": {"0": "Ana"}}       the speakers' names now
                          {"type": "keyterms", "terms": ["Kubernetes"]}     the keyterms now
                          {"type": "bookmark", "recording": 0, "at": 12.5, "label": "..."}
                          {"type": "clear"}
                          {"type": "closed", "time": ...}                   its transcriber was closed, or its
                                                                            process ended normally
    recording-0.webm    the first recording's bytes (the suffix follows its MIME type)
    journal.lock        held (an OS file lock) by the process writing it: the journal is in use

A journal is *unfinished* when the transcriber writing it stopped without ``closed`` (a crash, a
kill, a kernel that died) or when it holds a recording that never ended (its last words may be
missing): :meth:`Transcriber.recover <live_transcriber.Transcriber.recover>` finishes it. The lock
is the operating system's, so it is let go however the process ends.

On POSIX systems a journal's folder is readable by its user alone (0700) and so are its files
(0600), also after a resume; folders made on the way to it are 0700 too. Elsewhere (Windows) they
inherit the access rules of the folder they are in.

A line cut short by a crash is ignored when reading. Nothing here knows about engines or widgets.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import secrets
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .media import Source
from .results import Result, speaker_names

log = logging.getLogger(__name__)

VERSION = 1
LINES = "journal.jsonl"
LOCK = "journal.lock"
_SUFFIXES = {"webm": ".webm", "ogg": ".ogg", "mp4": ".m4a", "wav": ".wav", "mpeg": ".mp3", "flac": ".flac"}
_POSIX = os.name == "posix"


class JournalInUse(RuntimeError):
    """Another transcriber (in this process or another) is writing this journal."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"The journal {folder} is in use by another transcriber (in this kernel or another one): "
            "close that one first (w.close()), or shut its kernel down."
        )


class Journal:
    """Appends to one journal folder, which it holds (:func:`in_use`) until :meth:`close`. Every
    write is flushed before the call returns.

    ``append=True`` goes on with a journal that exists (call :meth:`resumed` once it was read back);
    raises :class:`JournalInUse` when another transcriber holds it.
    """

    def __init__(self, folder: Path, *, engine: str = "", append: bool = False) -> None:
        self.folder = Path(folder)
        if append and not (self.folder / LINES).is_file():
            raise FileNotFoundError(f"{self.folder} is not a live-transcriber journal: it has no {LINES}.")
        make_folders(self.folder)
        restrict(self.folder)
        if append:  # perhaps written by a version that left it readable to others
            for path in self.folder.iterdir():
                restrict(path)
        self._hold = _Hold(self.folder)
        self._guard = threading.Lock()
        try:
            self._lines: IO[str] = open_private(self.folder / LINES, "a")
        except OSError:
            self._hold.release()
            raise
        self._audio: dict[int, IO[bytes]] = {}
        #: Why writing stopped (e.g. the disk is full), else "": transcription goes on without it.
        self.failure = ""
        #: Whether a transcriber has it open: :meth:`close` then writes ``closed``.
        self._session = False
        if not append:
            self._write({"type": "begin", "version": VERSION, "engine": engine, "time": time.time()})
            self._begin_session()

    @classmethod
    def create(cls, root: str | Path, *, engine: str = "") -> Journal:
        """A new journal in a new folder under ``root``."""
        name = time.strftime("%Y-%m-%d-%H%M%S") + "-" + secrets.token_hex(2)
        return cls(Path(root) / name, engine=engine)

    def __repr__(self) -> str:
        return f"Journal({str(self.folder)!r})"

    # -- writing -------------------------------------------------------------------------------

    def resumed(self) -> None:
        """A transcriber goes on with this journal (read back): unfinished until it is closed."""
        self._write({"type": "resumed", "time": time.time()})
        self._begin_session()

    def _begin_session(self) -> None:
        self._session = True
        _OPEN.add(self)

    def recording(self, index: int, mime_type: str, source: Source, offset: float) -> None:
        file = f"recording-{index}{_suffix(mime_type)}"
        try:
            self._audio[index] = open_private(self.folder / file, "ab")
        except OSError as exc:
            with self._guard:
                self._fail(exc)
            return
        self._write(
            {"type": "recording", "index": index, "mime_type": mime_type, "source": source.name, "offset": offset, "file": file}
        )

    def placed(self, index: int, offset: float) -> None:
        """A recording's place on the timeline became known (after the one before it finished)."""
        self._write({"type": "placed", "index": index, "offset": offset})

    def audio(self, index: int, data: bytes) -> None:
        with self._guard:
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
        with self._guard:
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
        """Its transcriber is done with it: ``closed`` is written (unless it was never begun or
        resumed), the files are closed and the journal is let go. A recording still open stays
        unfinished, for :meth:`Transcriber.recover` to finish."""
        if self._session:
            self._session = False
            _OPEN.discard(self)
            self._write({"type": "closed", "time": time.time()})
        with self._guard:
            for out in [*self._audio.values(), self._lines]:
                with contextlib.suppress(OSError):  # after a failure, what is still buffered cannot be written either
                    out.close()
            self._audio.clear()
        self._hold.release()

    def _write(self, entry: dict[str, Any]) -> None:
        with self._guard:
            if self.failure:
                return
            try:
                line = json.dumps(entry, ensure_ascii=False, allow_nan=False) + "\n"
                if self._lines.closed:
                    # Closed with its transcriber: corrections, names and bookmarks made after close()
                    # are still written (the review goes on; recover() reads them).
                    with open_private(self.folder / LINES, "a") as lines:
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


#: The journals this process has open, closed (``closed`` written) when the interpreter exits
#: normally, e.g. when Jupyter shuts a kernel down or restarts it. A crash or a kill writes nothing,
#: which is what leaves a journal unfinished.
_OPEN: weakref.WeakSet[Journal] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    for journal in list(_OPEN):
        journal.close()


# --- the folder: private, and held while in use ----------------------------------------------


def make_folders(folder: Path) -> None:
    """Make ``folder`` and the folders missing on the way to it, each readable by the user alone
    (0700 on POSIX). Folders that exist are left as they are."""
    missing = []
    for path in [folder, *folder.parents]:
        if path.is_dir():
            break
        missing.append(path)
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another transcriber
            path.mkdir(mode=0o700)
            restrict(path)


def restrict(path: Path) -> None:
    """Make ``path`` readable by the user alone on POSIX: 0700 for a folder, 0600 for a file (the
    umask can only take bits away, so it is set outright)."""
    if _POSIX:
        path.chmod(0o700 if path.is_dir() else 0o600)


def open_private(path: Path, mode: str) -> Any:
    """``open(path, mode)`` for appending, the file readable by the user alone (0600 on POSIX),
    also when it was there already."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
    try:
        if _POSIX:
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"}))
    except BaseException:
        os.close(fd)
        raise


class _Hold:
    """This process holds a journal folder: an exclusive OS lock on its ``journal.lock`` (``flock``
    on POSIX, ``msvcrt.locking`` on Windows), which the system lets go when the process ends,
    however it ends. The folders held here are also remembered in :data:`_HELD`, for file systems
    whose locks do not tell two holders in one process apart (NFS)."""

    def __init__(self, folder: Path) -> None:
        self.key = _key(folder)
        with _GUARD:
            if self.key in _HELD:
                raise JournalInUse(folder)
            fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            if not _try_lock(fd):
                os.close(fd)
                raise JournalInUse(folder)
            if _POSIX:
                os.fchmod(fd, 0o600)
            self._fd = fd
            # Closing the descriptor lets the lock go, also when a journal is dropped without close().
            self._closer = weakref.finalize(self, os.close, fd)
            _HELD[self.key] = self

    def release(self) -> None:
        with _GUARD:
            if not self._closer.alive:
                return
            _unlock(self._fd)
            self._closer()
            if _HELD.get(self.key) is self:
                del _HELD[self.key]


_GUARD = threading.Lock()
_HELD: weakref.WeakValueDictionary[str, _Hold] = weakref.WeakValueDictionary()


def _key(folder: Path) -> str:
    return os.path.normcase(os.path.realpath(folder))


def hold(folder: Path) -> _Hold:
    """Hold a journal folder (e.g. to remove it); raises :class:`JournalInUse` if it is in use."""
    return _Hold(Path(folder))


def in_use(folder: Path) -> bool:
    """Whether a transcriber, in this process or another, is writing the journal at ``folder``."""
    with _GUARD:
        if _key(folder) in _HELD:
            return True
        try:
            fd = os.open(Path(folder) / LOCK, os.O_RDWR)
        except FileNotFoundError:
            return False  # every writer makes it before its first line
        try:
            if not _try_lock(fd):
                return True
            _unlock(fd)
            return False
        finally:
            os.close(fd)


if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


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
    #: When its first transcriber began it (seconds since the epoch), if it says.
    started: float | None = None
    #: Whether the transcriber that wrote it last never closed it: it still runs, or its process
    #: was stopped by a crash or a kill.
    left_open: bool = False

    @property
    def interrupted(self) -> list[SavedRecording]:
        """Recordings that never ended: their last words may be missing from ``results``."""
        return [r for r in self.recordings if not r.ended]

    @property
    def unfinished(self) -> bool:
        """Whether its transcriber stopped without closing it, or a recording in it never ended:
        :meth:`Transcriber.recover` finishes it (unless its transcriber still runs)."""
        return self.left_open or bool(self.interrupted)

    @property
    def transcript(self) -> str:
        return " ".join(r.text for r in self.results if r.text)


#: How the lines of the transcript's results begin (every entry is written with its type first).
_TRANSCRIPT_LINES = ('{"type": "final"', '{"type": "edited"')


def load(path: str | Path, *, audio: bool = True, transcript: bool = True) -> Saved:
    """Read a journal folder. To look at a journal without reading all of it (:func:`opening`
    gives the start of its transcript): ``audio=False`` leaves the recordings' ``data`` empty, and
    ``transcript=False`` skips the final results and corrections (most of its lines), leaving
    ``results`` empty. Raises ``FileNotFoundError`` or ``ValueError`` saying what is wrong."""
    folder = Path(path)
    lines_path = folder / LINES
    if not lines_path.is_file():
        raise FileNotFoundError(f"{folder} is not a live-transcriber journal: it has no {LINES}.")
    engine = ""
    started: float | None = None
    left_open = False
    results: list[Result] = []
    recordings: dict[int, SavedRecording] = {}
    entries: list[dict[str, Any]] = []
    speakers: dict[int, str] = {}
    bookmarks: list[SavedBookmark] = []
    keyterms: tuple[str, ...] | None = None
    with open(lines_path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not transcript and line.startswith(_TRANSCRIPT_LINES):
                continue
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
                started = float(entry["time"]) if isinstance(entry.get("time"), (int, float)) else None
                left_open = True
            elif kind == "resumed":
                left_open = True
            elif kind == "closed":
                left_open = False
            elif kind == "recording":
                index = int(entry["index"])
                data_path = folder / str(entry["file"])
                data = data_path.read_bytes() if audio and data_path.is_file() else b""
                recordings[index] = SavedRecording(index, str(entry["mime_type"]), str(entry["source"]), float(entry["offset"]), data)
            elif kind == "placed" and int(entry["index"]) in recordings:
                recordings[int(entry["index"])].offset = float(entry["offset"])
                recordings[int(entry["index"])].placed = True
            elif kind in ("final", "edited") and not transcript:
                continue
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
    return Saved(
        folder, engine, results, [recordings[i] for i in sorted(recordings)], entries, speakers, bookmarks, keyterms, started, left_open
    )


def opening(path: str | Path, count: int = 8) -> str:
    """The start of the journal's transcript: up to ``count`` words of its first result as it was
    heard (a correction of it aside), read without reading the rest."""
    first = None
    with open(Path(path) / LINES, encoding="utf-8") as lines:
        for line in lines:
            if line.startswith('{"type": "clear"'):
                first = None
            elif first is None and line.startswith(_TRANSCRIPT_LINES[0]) and line.endswith("\n"):
                first = line
    if first is None:
        return ""
    words = str(json.loads(first)["result"].get("text", "")).split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def _suffix(mime_type: str) -> str:
    base = mime_type.split(";", 1)[0].strip().lower()
    kind = base.split("/", 1)[-1].replace("x-", "")
    return _SUFFIXES.get(kind, ".bin")

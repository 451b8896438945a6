"""Where journals live, which of them a crash left unfinished, and how long finished ones are kept.

The default home is the per-user data folder, found as Jupyter finds its own (platformdirs'
``user_data_dir``): ``~/.local/share/live-transcriber/journal`` on Linux (under ``$XDG_DATA_HOME``
when that is set), ``~/Library/Application Support/live-transcriber/journal`` on macOS,
``%LOCALAPPDATA%\\live-transcriber\\journal`` on Windows. As ``JUPYTER_DATA_DIR`` does for Jupyter,
``LIVE_TRANSCRIBER_JOURNAL`` names another folder, or ``off`` for no journal at all.

Each transcriber writes its own journal folder under the home (:mod:`live_transcriber.journal`).
:func:`journals` lists them; :func:`clean_up` removes the *finished* ones that a
:class:`Retention` bounds out, oldest first. It never removes a journal that is in use, one a crash
left unfinished (recover it or discard it), or one it cannot read. What it removes is logged (a
warning) and written to ``removed.log`` in the home.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import journal as J

log = logging.getLogger(__name__)

#: Names the default home's folder in the per-user data folder.
APP = "live-transcriber"
#: Where the journals go (a folder), or ``off``.
HOME_VARIABLE = "LIVE_TRANSCRIBER_JOURNAL"
#: How long finished journals are kept, e.g. ``30 days``, ``2 GB``, ``30 days, 2 GB`` or ``all``.
KEEP_VARIABLE = "LIVE_TRANSCRIBER_JOURNAL_KEEP"
#: The record of what was removed, in the home.
REMOVED_LOG = "removed.log"
_OFF = ("off", "none", "0", "false")
_RECORDING_FILE = re.compile(r"recording-\d+\.\w+")


def default_home() -> Path | None:
    """Where journals go when none is named: ``$LIVE_TRANSCRIBER_JOURNAL`` (None when it says
    ``off``), else the per-user data folder's ``live-transcriber/journal``."""
    value = os.environ.get(HOME_VARIABLE, "").strip()
    if value.lower() in _OFF:
        return None
    if value:
        return Path(value).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "journal"


# --- how long finished journals are kept ------------------------------------------------------

_AGE_UNITS = {"h": 1 / 24, "hour": 1 / 24, "hours": 1 / 24, "d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7}
_SIZE_UNITS = {"b": 1, "bytes": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_KEEP_ALL = ("all", "forever", "everything")


@dataclass(frozen=True)
class Retention:
    """How long finished journals are kept: ``days`` after their last change, and while all the
    journals in the home take at most ``max_bytes`` (beyond it the oldest finished ones go first).
    None: no bound of that kind; ``Retention(None, None)`` keeps everything.

    :meth:`parse` reads the same as text: ``"30 days"``, ``"2 GB"``, ``"14 days, 500 MB"``, ``"all"``.
    """

    days: float | None = 30
    max_bytes: int | None = 2 * 10**9

    def __post_init__(self) -> None:
        for name, value in (("days", self.days), ("max_bytes", self.max_bytes)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value)):
                raise ValueError(f"Retention {name} is a positive number or None (no bound), not {value!r}.")

    @classmethod
    def parse(cls, text: str | Retention) -> Retention:
        """``"30 days"``, ``"2 GB"``, ``"30 days, 2 GB"`` (hours, days, weeks; KB, MB, GB, TB) or ``"all"``."""
        if isinstance(text, Retention):
            return text
        if not isinstance(text, str):
            raise TypeError(f"keep_journals is a Retention or text such as '30 days, 2 GB' or 'all', not {type(text).__name__}.")
        if text.strip().lower() in _KEEP_ALL:
            return cls(None, None)
        days: float | None = None
        size: int | None = None
        for part in filter(None, (p.strip() for p in text.lower().split(","))):
            match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]+)", part)
            unit = match.group(2) if match else ""
            if match and unit in _AGE_UNITS and days is None:
                days = float(match.group(1)) * _AGE_UNITS[unit]
            elif match and unit in _SIZE_UNITS and size is None:
                size = round(float(match.group(1)) * _SIZE_UNITS[unit])
            else:
                raise ValueError(
                    f"Cannot read {text!r} as how long to keep journals: write an age, a size or both, "
                    "e.g. '30 days', '2 GB', '14 days, 500 MB', or 'all' to keep every journal."
                )
        if days is None and size is None:
            raise ValueError(f"Cannot read {text!r} as how long to keep journals: e.g. '30 days, 2 GB', or 'all'.")
        return cls(days, size)

    @classmethod
    def from_environment(cls) -> Retention:
        """``$LIVE_TRANSCRIBER_JOURNAL_KEEP``, else the default (30 days, 2 GB). Raises ``ValueError``
        for text :meth:`parse` cannot read."""
        value = os.environ.get(KEEP_VARIABLE, "").strip()
        return cls.parse(value) if value else cls()

    def __str__(self) -> str:
        if self.days is None and self.max_bytes is None:
            return "journals are kept until you remove them"
        rules = []
        if self.days is not None:
            rules.append(f"{_age(self.days)} after their last change")
        if self.max_bytes is not None:
            rules.append(f"oldest first once all journals pass {_size(self.max_bytes)}")
        return "finished journals are removed " + ", and ".join(rules)


def _age(days: float) -> str:
    if days < 1:
        hours = round(days * 24, 1)
        return f"{hours:g} hour" + ("" if hours == 1 else "s")
    return f"{days:g} day" + ("" if days == 1 else "s")


def _size(count: float) -> str:
    for unit, factor in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= factor:
            return f"{count / factor:.3g} {unit}"
    return f"{count:g} bytes"


# --- listing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalInfo:
    """One journal, as :func:`journals` finds it. Pass it to ``recover()`` as a path.

    ``status`` is ``"in use"`` (a transcriber writes it now), ``"unfinished"`` (its transcriber
    stopped without closing it, or a recording in it never ended: ``recover()`` finishes it),
    ``"finished"``, or ``"damaged"`` (it cannot be read: ``problem`` says why).
    """

    folder: Path
    #: When it was begun, if it says.
    started: datetime | None
    #: Its last change (the newest of its files).
    changed: datetime
    engine: str
    recordings: int
    #: Recordings that never ended: their last words are missing until it is resumed.
    interrupted: int
    #: Bytes on disk, audio included.
    size: int
    #: Its transcriber never closed it: it still runs (``in_use``), or a crash or a kill stopped it.
    left_open: bool
    #: A transcriber, in this process or another, writes it now.
    in_use: bool
    problem: str = ""
    #: The start of its transcript.
    first_words: str = ""

    @property
    def status(self) -> str:
        if self.problem:
            return "damaged"
        if self.in_use:
            return "in use"
        return "unfinished" if self.left_open or self.interrupted else "finished"

    @property
    def unfinished(self) -> bool:
        return self.status == "unfinished"

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    def __fspath__(self) -> str:
        return str(self.folder)

    def __str__(self) -> str:
        recordings = f"{self.recordings} recording" + ("" if self.recordings == 1 else "s")
        if self.interrupted and not self.in_use:  # in use: going on, not cut short
            recordings += f" ({self.interrupted} cut short)"
        held = f"{self.folder.name}: {self.status}, {recordings}, {_size(self.size)}"
        return held + (f" ({self.problem})" if self.problem else f", {self.first_words!r}" if self.first_words else "")

    def discard(self) -> None:
        """Remove this journal, audio and all, whatever its status (logged, and written to
        ``removed.log``). Raises :class:`~live_transcriber.journal.JournalInUse` while a
        transcriber writes it."""
        _remove(self.folder, "discarded", only_finished=False)


class Journals(list[JournalInfo]):
    """The journals in ``root``, the latest change first; shown as a table."""

    def __init__(self, root: Path | None, items: list[JournalInfo]) -> None:
        super().__init__(items)
        self.root = root

    def __repr__(self) -> str:
        if self.root is None:
            return f"No journals: they are off (${HOME_VARIABLE}=off)."
        lines = [f"{len(self)} journal{'' if len(self) == 1 else 's'} in {self.root}" + (":" if self else ".")]
        lines += [f"  {item.changed:%Y-%m-%d %H:%M}  {item}" for item in self]
        return "\n".join(lines)

def describe(folder: str | os.PathLike[str], *, in_use: bool | None = None) -> JournalInfo:
    """What the journal at ``folder`` holds and its status, without reading its audio
    (``in_use``: known already, else found out)."""
    folder = Path(folder)
    stats = [entry.stat() for entry in os.scandir(folder) if entry.is_file()]
    changed = datetime.fromtimestamp(max((s.st_mtime for s in stats), default=0.0))
    size = sum(s.st_size for s in stats)
    busy = J.in_use(folder) if in_use is None else in_use
    try:
        # Not the results: an hour of them is about 1.3 MB of JSON (benchmarks/journal_cleanup.py),
        # and a home may hold dozens.
        saved = J.load(folder, audio=False, transcript=False)
        first_words = J.opening(folder)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return JournalInfo(folder, None, changed, "", 0, 0, size, False, busy, problem=f"cannot be read: {exc}")
    return JournalInfo(
        folder,
        datetime.fromtimestamp(saved.started) if saved.started is not None else None,
        changed,
        saved.engine,
        len(saved.recordings),
        len(saved.interrupted),
        size,
        saved.left_open,
        busy,
        first_words=first_words,
    )


def journals(root: str | os.PathLike[str] | None = None) -> Journals:
    """Every journal under ``root`` (default: :func:`default_home`), the latest change first, with
    what it holds and whether it is finished, unfinished or in use."""
    home = Path(root) if root is not None else default_home()
    if home is None or not home.is_dir():
        return Journals(home, [])
    found = []
    for folder, _, _ in _journal_folders(home):
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile
            found.append(describe(folder))
    return Journals(home, sorted(found, key=lambda item: item.changed, reverse=True))


def latest_unfinished(root: str | os.PathLike[str] | None = None) -> JournalInfo | None:
    """The unfinished journal changed last under ``root`` (default: :func:`default_home`), or
    None. One that is in use is not unfinished: its transcriber still runs."""
    return next((item for item in journals(root) if item.unfinished), None)


def _journal_folders(home: Path) -> list[tuple[Path, float, int]]:
    """Each journal folder under ``home`` with its last change and size, from the file system only."""
    found = []
    for entry in os.scandir(home):
        if not entry.is_dir() or not os.path.isfile(os.path.join(entry.path, J.LINES)):
            continue
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile
            stats = [f.stat() for f in os.scandir(entry.path) if f.is_file()]
            found.append((Path(entry.path), max((s.st_mtime for s in stats), default=0.0), sum(s.st_size for s in stats)))
    return found


# --- removing ---------------------------------------------------------------------------------


def clean_up(root: str | os.PathLike[str], retention: Retention, *, now: float | None = None) -> list[JournalInfo]:
    """Remove the finished journals under ``root`` that ``retention`` bounds out: those changed
    last more than ``retention.days`` before ``now``, then, while all journals there take more
    than ``retention.max_bytes``, the oldest finished ones. A journal in use, unfinished or that
    cannot be read is never removed (it still counts towards the size). Returns what was removed;
    each removal is logged and written to ``removed.log``."""
    home = Path(root)
    if (retention.days is None and retention.max_bytes is None) or not home.is_dir():
        return []
    now = time.time() if now is None else now
    folders = sorted(_journal_folders(home), key=lambda found: found[1])
    total = sum(size for _, _, size in folders)
    removed = []
    for folder, changed, size in folders:
        if retention.days is not None and now - changed > retention.days * 86400:
            why = f"finished, last changed more than {_age(retention.days)} ago"
        elif retention.max_bytes is not None and total > retention.max_bytes:
            why = f"finished, the oldest while all journals took more than {_size(retention.max_bytes)}"
        else:
            continue
        try:
            gone = _remove(folder, why, only_finished=True)
        except J.JournalInUse:
            continue
        except OSError as exc:
            log.warning("live-transcriber: could not remove the journal %s (%s); it is left as it is.", folder, exc)
            continue
        if gone is not None:
            removed.append(gone)
            total -= size
    if removed:
        names = [item.folder.name for item in removed]
        log.warning(
            "live-transcriber: removed %d finished journal%s from %s (%s): %s. What each held is in %s; "
            "to keep every journal, set %s=all or pass keep_journals='all'.",
            len(names), "" if len(names) == 1 else "s", home, retention,
            ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else ""), home / REMOVED_LOG, KEEP_VARIABLE,
        )
    return removed


def _remove(folder: Path, why: str, *, only_finished: bool) -> JournalInfo | None:
    """Remove a journal while holding it (so no transcriber takes it up meanwhile); with
    ``only_finished``, only if it is finished. Returns what it was, or None if it was kept."""
    hold = J.hold(folder)
    try:
        info = describe(folder, in_use=False)  # held here, to remove it: no one else writes it
        if only_finished and not info.finished:
            return None
        # Audio first, the journal's lines last: a removal cut short leaves a finished journal,
        # which the next clean-up removes.
        names = sorted(os.listdir(folder), key=lambda name: (name == J.LOCK, name == J.LINES))
        foreign = [name for name in names if name not in (J.LINES, J.LOCK) and not _RECORDING_FILE.fullmatch(name)]
        for name in names:
            if name not in foreign and name != J.LOCK:
                (folder / name).unlink(missing_ok=True)
    finally:
        hold.release()
    if foreign:
        log.warning("live-transcriber: removed the journal in %s but kept the folder: it also holds %s, which it did not write.", folder, foreign)
    else:
        (folder / J.LOCK).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
    _record(folder.parent, info, why)
    log.info("live-transcriber: removed the journal %s (%s).", info, why)
    return info


def _record(home: Path, info: JournalInfo, why: str) -> None:
    line = f"{datetime.now():%Y-%m-%d %H:%M:%S}  removed {info}  ({why})\n"
    try:
        with J.open_private(home / REMOVED_LOG, "a") as out:
            out.write(line)
    except OSError as exc:
        log.warning("live-transcriber: could not write to %s (%s): %s", home / REMOVED_LOG, exc, line.strip())


__all__ = ["JournalInfo", "Journals", "Retention", "clean_up", "default_home", "describe", "journals", "latest_unfinished"]

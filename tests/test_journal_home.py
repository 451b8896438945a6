"""Where the journals live (the per-user data folder, readable by the user alone), which are
unfinished, resuming the latest without a path, and removing finished ones past a bound. Clocks
are passed in (``now=``) or file times set, never slept for; processes that hold a journal, die or
exit are real ones, and so is a Jupyter kernel shut down."""

from __future__ import annotations

import gc
import logging
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import platformdirs
import pytest

from live_transcriber import LiveTranscriber, Retention, Transcriber, journals
from live_transcriber import journal as J
from live_transcriber.journal_home import REMOVED_LOG, clean_up, default_home, describe, latest_unfinished
from live_transcriber.results import StreamClosed
from live_transcriber.testing import ScriptedEngine, final
from crash import kill
from scripted_page import WEBM

DAY = 86400


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def finished(root: Path, text: str = "Hello there.", audio: bytes = b"audio") -> Path:
    """A journal whose transcriber heard one recording to its end and was closed."""
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=root)
    t.feed(audio, WEBM)
    engine.stream.emit(final(text, 0.0, 1.0))
    t.end_feed()
    engine.stream.emit(StreamClosed())
    folder = t.journal.folder
    t.close()
    return folder


def crashed(root: Path, text: str = "Words before the crash.") -> Path:
    """A journal whose process was killed mid-recording."""
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=root)
    t.feed(b"audio", WEBM)
    engine.stream.emit(final(text, 0.0, 1.0))
    return kill(t)


def age(folder: Path, days: float) -> None:
    """Set the journal's files as last changed ``days`` ago."""
    when = time.time() - days * DAY
    for path in folder.iterdir():
        os.utime(path, (when, when))


# --- the home ---------------------------------------------------------------------------------


def test_the_default_home_is_the_per_user_data_folder_and_the_variable_overrides_it(monkeypatch, tmp_path):
    monkeypatch.delenv("LIVE_TRANSCRIBER_JOURNAL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    expected = Path(platformdirs.user_data_dir("live-transcriber", appauthor=False)) / "journal"
    assert default_home() == expected
    if sys.platform.startswith("linux"):
        assert expected == tmp_path / "data" / "live-transcriber" / "journal"
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL", "~/notes/journal")
    assert default_home() == Path.home() / "notes" / "journal"
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL", "off")
    assert default_home() is None


def test_the_tests_never_write_into_the_users_data_folder():
    # ../conftest.py points every journal (and every kernel the tests start) at a temporary folder.
    home = default_home()
    assert home is not None and home.name.startswith("live-transcriber-journal-")
    assert not home.is_relative_to(Path(platformdirs.user_data_dir()))


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes; on Windows the folder's access rules are inherited")
def test_the_home_and_every_journal_are_readable_by_the_user_alone(monkeypatch, tmp_path):
    data = tmp_path / "share"
    data.mkdir()
    data.chmod(0o755)  # ~/.local/share as most systems make it
    monkeypatch.delenv("LIVE_TRANSCRIBER_JOURNAL")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    previous = os.umask(0)  # the loosest a user may have: what is made must not depend on it
    try:
        t = Transcriber(ScriptedEngine())
        t.feed(b"audio", WEBM)
        folder = t.journal.folder
    finally:
        os.umask(previous)
    assert folder.parent == data / "live-transcriber" / "journal" == t.journal_home
    for made in (data / "live-transcriber", folder.parent, folder):
        assert mode(made) == 0o700, made
    assert {p.name: mode(p) for p in folder.iterdir()} == dict.fromkeys(["journal.jsonl", "journal.lock", "recording-0.webm"], 0o600)
    t.close()
    assert mode(data) == 0o755  # a folder that was there is left as it was
    assert mode(folder / "journal.jsonl") == 0o600  # closing appends to it


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_journal_made_readable_by_others_is_made_private_again_when_resumed(tmp_path):
    folder = crashed(tmp_path)  # e.g. written by an older version into the notebook's folder
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    again = Transcriber.recover(folder, ScriptedEngine(), finish=False)
    assert mode(folder) == 0o700
    assert {p.name: mode(p) for p in folder.iterdir()} == dict.fromkeys(["journal.jsonl", "journal.lock", "recording-0.webm"], 0o600)
    again.close()


# --- what each journal is ---------------------------------------------------------------------


def test_journals_lists_each_with_what_it_holds_and_its_status_latest_first(tmp_path):
    done = finished(tmp_path, "Hello there, this is the finished one.")
    cut = crashed(tmp_path)
    damaged = tmp_path / "2026-01-01-000000-dead"
    damaged.mkdir()
    (damaged / "journal.jsonl").write_text('{"type": "begin", "version": 99}\n')
    (tmp_path / "not-a-journal").mkdir()
    engine = ScriptedEngine()
    running = Transcriber(engine, journal=tmp_path)
    running.feed(b"audio", WEBM)
    age(damaged, 3)

    found = journals(tmp_path)
    assert [item.folder for item in found] == [running.journal.folder, cut, done, damaged]
    by_folder = {item.folder: item for item in found}
    assert [by_folder[f].status for f in (running.journal.folder, cut, done, damaged)] == ["in use", "unfinished", "finished", "damaged"]
    info = by_folder[done]
    assert (info.recordings, info.interrupted, info.engine) == (1, 0, "scripted")
    assert info.first_words == "Hello there, this is the finished one." and info.size == sum(p.stat().st_size for p in done.iterdir())
    assert by_folder[cut].interrupted == 1 and by_folder[cut].left_open
    assert "journal version 99" in by_folder[damaged].problem
    text = repr(found)
    assert text.startswith(f"4 journals in {tmp_path}:") and f"{cut.name}: unfinished, 1 recording (1 cut short), " in text
    assert latest_unfinished(tmp_path).folder == cut  # the running one is in use, not unfinished
    running.close()
    assert journals(tmp_path)[0].status == "unfinished"  # closed mid-recording: a recording never ended


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # its files are dropped unclosed, on purpose
def test_a_journal_dropped_without_close_is_let_go(tmp_path):
    journal = J.Journal.create(tmp_path)
    folder = journal.folder
    assert J.in_use(folder)
    del journal
    gc.collect()
    assert not J.in_use(folder) and describe(folder).status == "unfinished"  # as after a crash


def test_a_journal_closed_with_a_recording_cut_short_is_unfinished_until_resumed_and_finished(tmp_path):
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=tmp_path)
    t.feed(b"audio", WEBM)
    folder = t.journal.folder
    t.close()  # mid-recording: its last words are not in
    assert describe(folder).status == "unfinished"
    engine = ScriptedEngine()
    again = Transcriber.recover(folder, engine)
    assert describe(folder).status == "in use"
    engine.stream.emit(final("The rest.", 0.0, 1.0), StreamClosed())
    assert again.wait(1)
    again.close()
    assert describe(folder).status == "finished"


# --- resume without a path --------------------------------------------------------------------


def test_resume_without_a_path_goes_on_with_the_latest_unfinished_journal_in_the_home(monkeypatch, tmp_path):
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL", str(tmp_path))
    older = crashed(tmp_path, "The older crash.")
    age(older, 1)
    latest = crashed(tmp_path, "The latest crash.")
    finished(tmp_path, "Finished and newer.")
    engine = ScriptedEngine()
    running = Transcriber(engine)  # in use: never taken up by another transcriber
    running.feed(b"audio", WEBM)

    engine = ScriptedEngine()
    again = Transcriber.recover(engine=engine)
    assert again.journal.folder == latest and again.transcript == "The latest crash."
    engine.stream.emit(final("The latest crash. And the end.", 0.0, 2.0), StreamClosed())
    assert again.wait(1)
    again.close()
    engine = ScriptedEngine()
    widget = LiveTranscriber.recover(engine=engine)  # the next one: the older crash
    assert widget.journal.folder == older and widget.transcript == "The older crash."
    assert widget.journal_home == str(tmp_path) and widget.keep_journals == str(Retention())
    engine.stream.emit(StreamClosed())
    assert widget.wait(1)
    widget.close()

    with pytest.raises(FileNotFoundError, match=f"No unfinished journal in {tmp_path}.*journals\\(\\) lists them all"):
        Transcriber.recover(engine=ScriptedEngine())
    [listed] = [item for item in journals() if item.folder == older]
    by_listing = Transcriber.recover(listed, ScriptedEngine())  # a finished one goes on too, given as a path
    assert by_listing.transcript == "The older crash."
    by_listing.close()
    running.close()


def test_resume_says_why_it_cannot(monkeypatch, tmp_path):
    running = Transcriber(ScriptedEngine(), journal=tmp_path)
    running.feed(b"audio", WEBM)
    with pytest.raises(J.JournalInUse, match="in use by another transcriber"):
        Transcriber.recover(running.journal.folder, ScriptedEngine())
    with pytest.raises(FileNotFoundError, match="not a live-transcriber journal"):
        Transcriber.recover(tmp_path / "typo", ScriptedEngine())
    assert not (tmp_path / "typo").exists()
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL", "off")
    with pytest.raises(FileNotFoundError, match="Journals are off"):
        Transcriber.recover(engine=ScriptedEngine())
    running.close()


# --- how long finished journals are kept ------------------------------------------------------


def test_retention_reads_ages_sizes_and_all_and_says_what_it_does():
    assert Retention() == Retention(30, 2_000_000_000) == Retention.parse("30 days, 2 GB")
    assert Retention.parse("2 weeks") == Retention(14, None)
    assert Retention.parse("500MB, 12 hours") == Retention(0.5, 500_000_000)
    assert Retention.parse("all") == Retention(None, None)
    assert str(Retention()) == "finished journals are removed 30 days after their last change, and oldest first once all journals pass 2 GB"
    assert str(Retention.parse("1 day")) == "finished journals are removed 1 day after their last change"
    assert str(Retention.parse("all")) == "journals are kept until you remove them"
    for bad in ("30", "soon", "30 days, 40 days", "off", ""):
        with pytest.raises(ValueError, match="keep journals"):
            Retention.parse(bad)
    with pytest.raises(ValueError, match="positive number"):
        Retention(days=0)
    with pytest.raises(ValueError, match="e.g. '30 days'"):
        Transcriber(ScriptedEngine(), keep_journals="a month")


def test_finished_journals_older_than_the_bound_are_removed_and_the_removal_is_logged(tmp_path, caplog):
    old = finished(tmp_path, "Old and finished.")
    recent = finished(tmp_path, "Recent.")
    cut = crashed(tmp_path)
    busy = Transcriber(ScriptedEngine(), journal=tmp_path)
    busy.feed(b"audio", WEBM)
    damaged = tmp_path / "2025-01-01-000000-dead"
    damaged.mkdir()
    (damaged / "journal.jsonl").write_text("not json\n")
    for folder in (old, cut, busy.journal.folder, damaged):
        age(folder, 40)

    with caplog.at_level(logging.WARNING, logger="live_transcriber"):
        removed = clean_up(tmp_path, Retention(days=30, max_bytes=None))
    assert [item.folder for item in removed] == [old] and not old.exists()
    assert recent.exists() and cut.exists() and busy.journal.folder.exists() and damaged.exists()
    [message] = [r.getMessage() for r in caplog.records]
    assert f"removed 1 finished journal from {tmp_path}" in message and old.name in message and "LIVE_TRANSCRIBER_JOURNAL_KEEP=all" in message
    record = (tmp_path / REMOVED_LOG).read_text()
    assert f"removed {old.name}: finished, 1 recording, " in record and "'Old and finished.'" in record
    assert "last changed more than 30 days ago" in record
    if os.name == "posix":
        assert mode(tmp_path / REMOVED_LOG) == 0o600

    # A month later the same rule removes the recent one too (the clock is passed in).
    assert [i.folder for i in clean_up(tmp_path, Retention(days=30, max_bytes=None), now=time.time() + 31 * DAY)] == [recent]
    assert cut.exists() and busy.journal.folder.exists() and damaged.exists()
    assert clean_up(tmp_path, Retention.parse("all"), now=time.time() + 1000 * DAY) == []
    busy.close()


def test_beyond_the_size_bound_the_oldest_finished_journals_go_first(tmp_path):
    first = finished(tmp_path, "First.", audio=b"a" * 4000)
    cut = crashed(tmp_path)
    second = finished(tmp_path, "Second.", audio=b"b" * 4000)
    third = finished(tmp_path, "Third.", audio=b"c" * 4000)
    for days, folder in enumerate((third, second, cut, first)):
        age(folder, days + 1)
    sizes = {f: sum(p.stat().st_size for p in f.iterdir()) for f in (first, cut, second, third)}
    bound = sizes[cut] + sizes[third] + sizes[second] // 2  # room for the newest and the unfinished one
    removed = clean_up(tmp_path, Retention(days=None, max_bytes=bound))
    assert [i.folder for i in removed] == [first, second]  # the unfinished one counts, but is never removed
    assert cut.exists() and third.exists()
    assert "the oldest while all journals took more than" in (tmp_path / REMOVED_LOG).read_text()


def test_a_removal_leaves_files_it_did_not_write(tmp_path, caplog):
    folder = finished(tmp_path)
    (folder / "notes.txt").write_text("mine")
    with caplog.at_level(logging.WARNING, logger="live_transcriber"):
        clean_up(tmp_path, Retention(days=1, max_bytes=None), now=time.time() + 2 * DAY)
    assert sorted(p.name for p in folder.iterdir()) == ["journal.lock", "notes.txt"]
    assert any("kept the folder" in r.getMessage() for r in caplog.records)


def test_discard_removes_an_unfinished_journal_but_not_one_in_use(tmp_path):
    cut = crashed(tmp_path)
    busy = Transcriber(ScriptedEngine(), journal=tmp_path)
    busy.feed(b"audio", WEBM)
    by_folder = {item.folder: item for item in journals(tmp_path)}
    with pytest.raises(J.JournalInUse):
        by_folder[busy.journal.folder].discard()
    by_folder[cut].discard()
    assert not cut.exists() and busy.journal.folder.exists()
    assert f"removed {cut.name}: unfinished" in (tmp_path / REMOVED_LOG).read_text()
    busy.close()


def test_a_journal_held_for_removal_is_not_resumed_meanwhile(tmp_path):
    folder = crashed(tmp_path)
    hold = J.hold(folder)
    with pytest.raises(J.JournalInUse):
        Transcriber.recover(folder, ScriptedEngine())
    hold.release()
    Transcriber.recover(folder, ScriptedEngine(), finish=False).close()


def test_the_first_recording_of_a_new_transcriber_cleans_up_its_home(tmp_path, caplog):
    old = finished(tmp_path, "Old.")
    cut = crashed(tmp_path)
    for folder in (old, cut):
        age(folder, 10)
    t = Transcriber(ScriptedEngine(), journal=tmp_path, keep_journals="1 week")
    assert old.exists()  # nothing happens before a recording
    with caplog.at_level(logging.WARNING, logger="live_transcriber"):
        t.feed(b"audio", WEBM)
    assert not old.exists() and cut.exists() and t.journal.folder.exists()
    assert any(old.name in r.getMessage() for r in caplog.records)
    t.close()


def test_a_bad_retention_in_the_environment_is_reported_and_keeps_everything(monkeypatch, tmp_path):
    old = finished(tmp_path)
    age(old, 400)
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL_KEEP", "a month")
    w = LiveTranscriber(engine=ScriptedEngine(), journal=tmp_path)
    assert "Cannot read 'a month'" in w.error and "LIVE_TRANSCRIBER_JOURNAL_KEEP" in w.error
    assert w.keep_journals == "journals are kept until you remove them"
    w.feed(b"audio", WEBM)
    assert old.exists()
    w.close()


def test_the_widget_says_where_the_journal_goes_and_for_how_long(tmp_path):
    w = LiveTranscriber(engine=ScriptedEngine(), journal=tmp_path, keep_journals="14 days")
    assert w.journal_home == str(tmp_path) and w.keep_journals == "finished journals are removed 14 days after their last change"
    w.close()
    off = LiveTranscriber(engine=ScriptedEngine(), journal=False)
    assert off.journal_home == "" and off.keep_journals == ""
    off.close()


# --- real processes: in use while they run, unfinished when killed, finished when they exit ------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from live_transcriber import Transcriber
    from live_transcriber.testing import ScriptedEngine
    t = Transcriber(ScriptedEngine(close_on_end=True), journal=sys.argv[1])
    t.feed(b"audio", "audio/webm")
    if sys.argv[2] == "ended":
        t.end_feed()
    print(t.journal.folder, flush=True)
    if sys.argv[2] == "wait":
        time.sleep(600)
    """
)


def run_holder(tmp_path: Path, how: str) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path), how], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_a_journal_held_by_a_running_process_is_in_use_and_unfinished_once_it_is_killed(monkeypatch, tmp_path):
    process, folder = run_holder(tmp_path, "wait")
    try:
        assert describe(folder).status == "in use"
        age(folder, 100)
        assert clean_up(tmp_path, Retention(days=1, max_bytes=1)) == []
        with pytest.raises(J.JournalInUse):
            Transcriber.recover(folder, ScriptedEngine())
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
    assert describe(folder).status == "unfinished"
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL", str(tmp_path))
    again = Transcriber.recover(engine=ScriptedEngine(), finish=False)
    assert again.journal.folder == folder
    again.close()


@pytest.mark.parametrize(("how", "status"), [("ended", "finished"), ("recording", "unfinished")])
def test_a_process_that_exits_normally_closes_its_journal(tmp_path, how, status):
    process, folder = run_holder(tmp_path, how)
    assert process.wait(60) == 0
    process.stdout.close()
    assert describe(folder).status == status  # with a recording still going on, its last words are missing


@pytest.mark.timeout(120)
def test_a_jupyter_kernel_shut_down_closes_its_journal(tmp_path):
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", env={**os.environ, "LIVE_TRANSCRIBER_JOURNAL": str(tmp_path)})
    try:
        code = (
            "from live_transcriber import LiveTranscriber\nfrom live_transcriber.testing import ScriptedEngine\n"
            "w = LiveTranscriber(engine=ScriptedEngine(close_on_end=True))\nw.feed(b'audio', 'audio/webm')\nw.end_feed()"
        )
        reply = client.execute_interactive(code, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        [folder] = [item.folder for item in journals(tmp_path)]
        assert describe(folder).status == "in use"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)  # what Jupyter does on shutdown and restart
    assert describe(folder).status == "finished"

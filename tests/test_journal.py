"""The journal: audio and final results on disk as they come, read back, resumed; and the browser's
acknowledgements. The last test kills a real transcriber with SIGKILL mid-recording."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import speech

from live_transcriber import Transcriber
from live_transcriber.journal import Journal, load
from live_transcriber.results import StreamClosed
from live_transcriber.testing import ScriptedEngine, final
from crash import kill
from scripted_page import WEBM, Page

def browser(core: Transcriber, *messages: tuple[dict, bytes | None]) -> None:
    for message, data in messages:
        core.receive(message, [data] if data is not None else [])


def test_audio_and_finals_are_on_disk_as_they_come(tmp_path):
    engine = ScriptedEngine()
    core = Transcriber(engine, journal=tmp_path)
    assert core.journal is None  # made at the first recording
    browser(core, ({"type": "start", "recording": "r", "mime_type": WEBM}, None), ({"type": "chunk", "recording": "r", "seq": 0}, b"head"))
    folder = core.journal.folder
    assert folder.parent == tmp_path
    saved = load(folder)
    assert [r.data for r in saved.recordings] == [b"head"] and saved.results == []
    assert [r.index for r in saved.interrupted] == [0]
    engine.stream.emit(final("Hello there.", 0.5, 1.0))
    browser(core, ({"type": "chunk", "recording": "r", "seq": 1}, b"+more"))
    saved = load(folder)  # read while the transcriber still runs: nothing is waiting in a buffer
    assert saved.recordings[0].data == b"head+more" and saved.transcript == "Hello there."
    assert saved.results[0].recording == 0 and saved.results[0].utterance == 0
    browser(core, ({"type": "stop", "recording": "r", "chunks": 2}, None))
    engine.stream.emit(StreamClosed())
    saved = load(folder)
    assert saved.interrupted == [] and saved.recordings[0].counters["chunks"] == 2
    core.clear()
    assert load(folder).results == [] and load(folder).recordings[0].data == b"head+more"
    core.close()


def test_no_journal_with_none_or_the_environment_saying_off(tmp_path, monkeypatch):
    engine = ScriptedEngine()
    core = Transcriber(engine, journal=None)
    core.feed(b"x", WEBM)
    assert core.journal is None
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL", "off")
    core = Transcriber(engine)
    core.feed(b"x", WEBM)
    assert core.journal is None
    monkeypatch.setenv("LIVE_TRANSCRIBER_JOURNAL", str(tmp_path / "here"))
    core = Transcriber(engine)
    core.feed(b"x", WEBM)
    assert core.journal.folder.parent == tmp_path / "here"
    core.close()


def test_a_journal_that_cannot_be_written_is_reported_and_transcription_goes_on(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    engine = ScriptedEngine()
    core = Transcriber(engine, journal=blocked)
    core.feed(b"x", WEBM)
    assert "Could not make a journal" in core.error and core.journal is None
    engine.stream.emit(final("Still heard.", 0, 1))
    assert core.transcript == "Still heard."
    core.close()


def test_a_line_cut_short_by_a_crash_is_ignored_a_damaged_one_is_not(tmp_path):
    journal = Journal(tmp_path / "j", engine="scripted")
    journal.final(final("One.", 0, 1))
    journal.close()
    lines = tmp_path / "j" / "journal.jsonl"
    lines.write_text(lines.read_text() + '{"type": "final", "result": {"te')
    assert load(tmp_path / "j").transcript == "One."
    lines.write_text(lines.read_text() + "\n")
    with pytest.raises(ValueError, match="line 4: not JSON"):  # begin, final, closed, then the damaged one
        load(tmp_path / "j")
    with pytest.raises(FileNotFoundError, match="not a live-transcriber journal"):
        load(tmp_path)


def test_resume_brings_back_the_transcript_and_timeline_and_goes_on_in_the_same_folder(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"audio one", WEBM)
    engine.stream.emit(final("First recording.", 0.0, 2.0))
    first.end_feed()
    engine.stream.emit(StreamClosed())
    folder = kill(first)  # the kernel dies here: no close()

    engine = ScriptedEngine()
    again = Transcriber.recover(folder, engine)
    assert again.transcript == "First recording." and again.results == first.results
    assert again.recordings[0].data == b"audio one" and again.recordings[0].done
    again.feed(b"audio two", WEBM)
    engine.stream.emit(final("Second.", 0.0, 1.0))
    assert again.recordings[1].offset == pytest.approx(3.0)
    assert again.results[-1]["start"] == pytest.approx(3.0)
    again.end_feed()
    engine.stream.emit(StreamClosed())
    saved = load(folder)
    assert saved.transcript == "First recording. Second." and len(saved.recordings) == 2
    first.close()
    again.close()


def test_corrections_speaker_names_and_bookmarks_are_journaled_and_resumed(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"audio", WEBM)
    engine.stream.emit(final("Hello there.", 0.0, 1.0))
    engine.stream.emit(final("Fine thanks.", 2.0, 3.0))
    first.edit_word(1, 1, "thank you.")
    first.speakers = {0: "Ana"}
    first.add_bookmark(0.5, "greeting")
    first.end_feed()
    engine.stream.emit(StreamClosed())
    folder = kill(first)  # the kernel dies here: no close()

    saved = load(folder)
    assert saved.speakers == {0: "Ana"} and [b.label for b in saved.bookmarks] == ["greeting"]
    again = Transcriber.recover(folder, ScriptedEngine())
    assert again.transcript == "Hello there. Fine thank you."
    assert again.results == first.results and again.results[1]["edited"] is True
    assert again.speakers == {0: "Ana"} and again.bookmarks == first.bookmarks
    assert again.to_srt() == first.to_srt() and again.to_json() == first.to_json()
    again.clear()
    assert load(folder).bookmarks == [] and load(folder).results == []
    first.close()
    again.close()


def test_keyterms_are_journaled_and_an_interrupted_recording_is_heard_again_with_them(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path, keyterms=["Kubernetes"])
    first.feed(b"audio", WEBM)  # the journal starts here, with the keyterms set before it
    first.keyterms = ["Kubernetes", "Deepgram"]  # changed while recording
    folder = kill(first)  # the kernel dies here: no close()

    assert load(folder).keyterms == ("Kubernetes", "Deepgram")
    again = Transcriber.recover(folder, ScriptedEngine())
    assert again.keyterms == ["Kubernetes", "Deepgram"]
    assert again._engine.keyterms == ("Kubernetes", "Deepgram")  # the engine that hears it again
    again.close()
    other = Transcriber.recover(folder, ScriptedEngine(), finish=False, keyterms=["Other"])
    assert other.keyterms == ["Other"]
    first.close()
    other.close()


def test_a_journal_without_keyterms_leaves_the_engines_own(tmp_path):
    first = Transcriber(ScriptedEngine(), journal=tmp_path)
    first.feed(b"audio", WEBM)
    assert load(first.journal.folder).keyterms is None
    first.close()


def test_resume_transcribes_an_interrupted_recording_again_and_adds_only_the_missing_words(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"all the audio that reached the kernel", WEBM)
    engine.stream.emit(final("Words before the crash.", 0.0, 1.5))
    folder = kill(first)

    engine = ScriptedEngine()
    again = Transcriber.recover(folder, engine)
    stream = engine.stream
    assert bytes(stream.written) == b"all the audio that reached the kernel" and stream.ended
    assert stream.source.name == "the saved audio of recording 0"
    # Transcribed again from the start: the words already final are not added twice.
    stream.emit(final("Words before the crash.", 0.0, 1.5, speech_final=False), final("And the last ones.", 2.0, 3.0), StreamClosed())
    assert again.wait(1)
    assert again.transcript == "Words before the crash. And the last ones."
    assert load(folder).interrupted == []
    first.close()
    again.close()


def test_the_page_is_told_which_chunks_are_safe(tmp_path):
    for journal, expected in [
        (tmp_path, [(1, False), (2, False), (2, True)]),  # on disk: each chunk; transcribed: the recording
        (None, [(2, True)]),  # in memory only: the page keeps everything until the recording is transcribed
    ]:
        engine = ScriptedEngine()
        core = Transcriber(engine, journal=journal)
        sent = Page()
        core.attach(sent)
        browser(
            core,
            ({"type": "start", "recording": "r", "mime_type": WEBM}, None),
            ({"type": "chunk", "recording": "r", "seq": 0}, b"a"),
            ({"type": "chunk", "recording": "r", "seq": 1}, b"b"),
            ({"type": "stop", "recording": "r", "chunks": 2}, None),
        )
        engine.stream.emit(StreamClosed())
        acks = [(m["chunks"], m["done"]) for m in sent.messages if m["type"] == "ack"]
        assert acks == expected
        assert all(m["recording"] == "r" for m in sent.messages if m["type"] == "ack")
        core.close()


def fill_the_disk(path: Path) -> None:
    """Every file this process has open at ``path`` writes to a full disk from now on (``/dev/full``)."""
    full = os.open("/dev/full", os.O_WRONLY)
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # an fd of listdir's own, gone already
            if os.readlink(f"/proc/self/fd/{fd}") == str(path.resolve()):
                os.dup2(full, int(fd))
    os.close(full)


@pytest.mark.parametrize("when", ["a recording ends", "the transcript is cleared"])
def test_a_full_disk_is_reported_the_moment_a_write_fails(tmp_path, when):
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=tmp_path)
    t.feed(b"audio", WEBM)
    engine.stream.emit(final("Hello.", 0.0, 1.0))
    fill_the_disk(t.journal.folder / "journal.jsonl")
    if when == "a recording ends":
        t.end_feed()
        engine.stream.close()
    else:
        t.clear()
    assert t.error.startswith("Could not write the journal") and "No space left on device" in t.error, t.error
    assert t.journal is None
    t.close()


KILLED = textwrap.dedent(
    """
    import sys, threading, time
    from live_transcriber import Transcriber
    lock = threading.Lock()
    def say(line):  # whole lines: print() from two threads interleaves ("warmFED 12000 ...")
        with lock:
            sys.stdout.write(line + "\\n")
            sys.stdout.flush()
    t = Transcriber(engine="local", journal=sys.argv[2])
    t.on_result(lambda r: r.is_final and say(f"FINAL {r.text}"))
    data = open(sys.argv[1], "rb").read()
    finals = []
    t.on_result(lambda r: r.is_final and finals.append(r))
    fed = 0
    for i in range(0, len(data), 1000):  # about three times faster than it plays
        if i >= len(data) // 2:
            while not finals:  # however slow the machine, some words are final before the kill
                time.sleep(0.05)
        t.feed(data[i:i + 1000], "audio/webm")
        fed += len(data[i:i + 1000])
        say(f"FED {fed} {t.journal.folder}")
        time.sleep(0.2)
    time.sleep(600)
    """
)


@pytest.mark.timeout(300)
def test_sigkill_mid_recording_loses_no_audio_and_resume_finishes_the_transcript(tmp_path):
    wav = speech.synthesize(speech.PARAGRAPH, tmp_path / "paragraph.wav", pad_after=1.0)
    webm = speech.encode(wav, tmp_path / "paragraph.webm", "webm")
    data = webm.read_bytes()
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    process = subprocess.Popen(
        [sys.executable, str(script), str(webm), str(tmp_path / "journals")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    fed, folder, finals = 0, None, []
    deadline = time.monotonic() + 240
    assert process.stdout is not None
    # Kill it once half of the audio went in and some words were final.
    while fed < len(data) // 2 or not finals:
        line = process.stdout.readline()
        assert line and time.monotonic() < deadline, "the transcriber stopped before it was killed"
        kind, _, rest = line.rstrip("\n").partition(" ")
        if kind == "FED":
            count, _, name = rest.partition(" ")
            fed, folder = int(count), Path(name)
        elif kind == "FINAL":
            finals.append(rest)
    process.send_signal(signal.SIGKILL)
    process.wait()
    for line in process.stdout:  # finals printed just before the kill
        if line.startswith("FINAL "):
            finals.append(line[6:].rstrip("\n"))
    process.stdout.close()

    saved = load(folder)
    audio = saved.recordings[0].data
    assert fed <= len(audio) < len(data)  # killed mid-recording
    assert data.startswith(audio)  # everything fed is on disk, nothing else
    assert [r.text for r in saved.results] == finals  # every final the process saw
    assert [r.index for r in saved.interrupted] == [0]

    resumed = Transcriber.recover(folder, "local")
    assert resumed.wait(120)
    spoken = speech.PARAGRAPH.split()
    heard = resumed.transcript.split()
    # The audio that reached the kernel is now fully transcribed: at least as far as it went.
    part = spoken[: max(1, round(len(spoken) * len(audio) / len(data)) - 3)]
    assert speech.wer(" ".join(part), " ".join(heard[: len(part)])) <= 0.2, resumed.transcript
    assert resumed.transcript.startswith(" ".join(finals))
    assert not load(folder).interrupted
    print(f"\nkilled after {len(audio)} of {len(data)} bytes; finals before: {len(finals)}; resumed: {resumed.transcript!r}")
    resumed.close()

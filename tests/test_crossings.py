"""Where features meet: clear, restarts, resume, interrupted files, bookmarks and the page's
acknowledgements, each pinned by a case that went wrong once (found in review after the
review, journal and unconfirmed-audio work were merged)."""
from __future__ import annotations

import wave

import pytest

from live_transcriber import Transcriber
from live_transcriber.journal import load
from live_transcriber.results import EngineError, Result, StreamClosed, Word
from live_transcriber.testing import ScriptedEngine, final
from crash import kill
from scripted_page import Page

WAV = "audio/wav"


def silence_wav(path, samples: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * samples)


# 1. clear() then an engine restart: the cleared words come back.
def test_clear_then_restart_does_not_bring_back_cleared_words(tmp_path):
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=None)
    t.feed(b"RIFF-not-parsed-audio", WAV)  # ReplayBuffer: unknown container -> replays from byte 0
    engine.stream.emit(final("Secret words.", 0.0, 1.0))
    t.clear()
    assert t.transcript == ""
    engine.stream.emit(EngineError("crash", fatal=True))
    assert len(engine.streams) == 2
    # the new stream hears the recording again from its start, as a real engine would
    engine.stream.emit(final("Secret words.", 0.0, 1.0), final("After clear.", 2.0, 3.0), final("More.", 4.0, 5.0))
    assert t.transcript == "After clear. More."  # not "Secret words. After clear. More."
    t.close()


# 2. resume() of a journal with a clear while a recording was going on: cleared words come back.
def test_resume_after_clear_does_not_bring_back_cleared_words(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"audio", WAV)
    engine.stream.emit(final("Secret words.", 0.0, 1.0))
    first.clear()
    folder = kill(first)  # the kernel dies here
    engine2 = ScriptedEngine()
    again = Transcriber.recover(folder, engine2)
    engine2.stream.emit(final("Secret words.", 0.0, 1.0, speech_final=False), final("After clear.", 2.0, 3.0), final("The end.", 4.0, 5.0), StreamClosed())
    assert again.wait(1)
    assert again.transcript == "After clear. The end."
    first.close()
    again.close()


# 3. resume() of a recording that was never placed (it waited behind the one before it).
def test_resume_places_a_recording_that_was_waiting_after_the_one_before(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"audio A", WAV)
    engine.stream.emit(final("First recording.", 0.0, 10.0))
    first.end_feed()  # A's stream still finishing
    first.feed(b"audio B", WAV)  # B waits for A: not placed yet
    folder = kill(first)  # the kernel dies here
    engine2 = ScriptedEngine()
    again = Transcriber.recover(folder, engine2)
    a, b = engine2.streams
    a.emit(StreamClosed())
    b.emit(final("Second recording.", 0.0, 1.0), StreamClosed())
    assert again.wait(1)
    assert again.recordings[1].offset >= 10.0, again.recordings[1].offset
    assert again.finals[-1].start >= 10.0
    first.close()
    again.close()


# 4. an emptied result is dropped on resume: indexes shift; the next edit is journaled under the new index.
def test_an_emptied_result_keeps_the_indexes_after_resume(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"audio", WAV)
    engine.stream.emit(final("Um.", 0.0, 0.5), final("Hello there.", 1.0, 2.0), final("Fine thanks.", 3.0, 4.0))
    first.edit_utterance(0, "")  # remove the filler
    first.end_feed()
    engine.stream.emit(StreamClosed())
    folder = first.journal.folder
    first.close()
    again = Transcriber.recover(folder, ScriptedEngine())
    assert again.results == first.results, (again.results, first.results)
    again.close()


# 2b. a recording stopped and still finishing when the transcript was cleared: its words do not count
# (clear()'s promise), but resume() transcribes it again and adds them.
def test_resume_after_clear_does_not_add_a_finishing_recordings_words(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"audio", WAV)
    engine.stream.emit(final("Old words.", 0.0, 1.0))
    first.end_feed()  # still finishing
    first.clear()
    engine.stream.emit(final("Late old words.", 2.0, 3.0))  # detached: not added
    assert first.transcript == ""
    folder = kill(first)  # the kernel dies here
    engine2 = ScriptedEngine()
    again = Transcriber.recover(folder, engine2)
    assert not engine2.streams  # the cleared recording is not transcribed again
    assert again.wait(1)
    assert again.transcript == ""
    first.close()
    again.close()


# 4b. a speaker correction changes where utterances are after resume().
def test_a_speaker_correction_keeps_the_utterances_after_resume(tmp_path):
    engine = ScriptedEngine()
    first = Transcriber(engine, journal=tmp_path)
    first.feed(b"audio", WAV)
    a = Result("Hello.", 0.0, 0.5, (Word("hello", 0.0, 0.5, 0.9, "Hello.", 0),), is_final=True)
    b = Result("Hi.", 0.6, 1.0, (Word("hi", 0.6, 1.0, 0.9, "Hi.", 1),), is_final=True)
    engine.stream.emit(a, b)
    assert [r["utterance"] for r in first.results] == [0, 1]
    first.edit_utterance(1, speaker=0)
    first.end_feed()
    engine.stream.emit(StreamClosed())
    folder = first.journal.folder
    first.close()
    again = Transcriber.recover(folder, ScriptedEngine())
    assert [r["utterance"] for r in again.results] == [0, 1]
    again.close()


# 5. a recording interrupted while it waited for its place keeps offset 0 and is never placed:
# bookmarks on the timeline are then given to it.
def test_a_bookmark_is_not_given_to_a_recording_that_was_never_placed(tmp_path):
    path = tmp_path / "b.wav"
    silence_wav(path, 16000)
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=None)
    t.feed(b"audio A", WAV)
    engine.stream.emit(final("First recording.", 0.0, 10.0))
    t.end_feed()  # A still finishing
    with pytest.raises(TimeoutError):
        t.transcribe_file(path, timeout=0.2, progress=False)  # waits behind A, interrupted
    engine.streams[0].emit(StreamClosed())
    assert t.wait(1)
    print(t.recordings)
    mark = t.add_bookmark(5.0, "in A")
    assert mark["recording"] == 0, (mark, t.recordings[1])


# 6. a file interrupted while it waits for its place on the timeline loses the words already final.
def test_an_interrupted_file_that_waited_keeps_its_final_words(tmp_path):
    import threading
    import time
    path = tmp_path / "b.wav"
    silence_wav(path, 16000 * 60)
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=None)
    t.feed(b"audio A", WAV)
    engine.stream.emit(final("First recording.", 0.0, 10.0))
    t.end_feed()  # A still finishing (a browser recording just stopped)

    def engine_hears_b():
        while len(engine.streams) < 2:
            time.sleep(0.01)
        engine.streams[1].emit(final("Words of the file.", 0.0, 5.0))
    threading.Thread(target=engine_hears_b).start()
    with pytest.raises(TimeoutError):
        t.transcribe_file(path, timeout=0.5, progress=False)
    engine.streams[0].emit(StreamClosed())
    assert t.wait(1)
    assert "Words of the file." in t.transcript, (t.transcript, t.recordings[1].error)


# 7. (marimo) the keeper's re-send (AudioKeeper.sendOne) does not wait for each send: over marimo's
# HTTP requests, "stop" may overtake chunks. The kernel then ends the recording without them and
# acknowledges it done, so the page deletes the only copy.
def test_a_recovered_recording_whose_stop_overtakes_its_chunks_is_not_acknowledged_done(tmp_path):
    engine = ScriptedEngine(close_on_end=True)
    t = Transcriber(engine, journal=tmp_path)
    page = Page()
    t.attach(page)
    t.receive({"type": "start", "recording": "r", "mime_type": "audio/webm;codecs=opus", "recovered": True})
    t.receive({"type": "chunk", "recording": "r", "seq": 0}, [b"header"])
    t.receive({"type": "stop", "recording": "r", "chunks": 3})  # overtook chunks 1 and 2
    t.receive({"type": "chunk", "recording": "r", "seq": 1}, [b"one"])
    t.receive({"type": "chunk", "recording": "r", "seq": 2}, [b"two"])
    assert t.wait(1)
    acks = [m for m in page.messages if m["type"] == "ack" and m.get("done")]
    print(t.recordings[0].counters, t.error)
    assert not acks, acks


# 9. corrections after close() (reviewing a finished transcript) are not journaled: resume() loses them.
def test_a_correction_after_close_is_journaled(tmp_path):
    engine = ScriptedEngine()
    t = Transcriber(engine, journal=tmp_path)
    t.feed(b"audio", WAV)
    engine.stream.emit(final("Hello there.", 0.0, 1.0))
    t.end_feed()
    engine.stream.emit(StreamClosed())
    t.close()
    t.edit_word(0, 1, "world.")
    t.speakers = {0: "Ana"}
    assert load(t.journal.folder).results[0].text == "Hello world."


# 10. a browser recording the kernel ended itself (another tab's Start, transcribe_file, feed) is
# acknowledged "done" once its stream closes, though the page still has chunks the kernel never
# took: the page's keeper then deletes the kept recording (and keeps nothing more of it).
@pytest.mark.parametrize("how", ["other tab", "transcribe_file"])
def test_a_recording_the_kernel_ended_is_not_acknowledged_done_before_the_pages_stop(tmp_path, how):
    engine = ScriptedEngine(close_on_end=True)  # an engine that finishes at once
    t = Transcriber(engine, journal=tmp_path)
    page = Page()
    t.attach(page)
    t.receive({"type": "start", "recording": "tab1", "mime_type": "audio/webm;codecs=opus"})
    t.receive({"type": "chunk", "recording": "tab1", "seq": 0}, [b"zero"])
    if how == "other tab":
        t.receive({"type": "start", "recording": "tab2", "mime_type": "audio/webm;codecs=opus"})
    else:
        path = tmp_path / "b.wav"
        silence_wav(path, 1600)
        t.transcribe_file(path, progress=False)
    done = [m for m in page.messages if m["type"] == "ack" and m["recording"] == "tab1" and m["done"]]
    # the page has recorded chunk 1 meanwhile; its stop says 2 chunks
    assert not done, done


"""The review, kernel side, with a scripted engine: corrections, speaker names and bookmarks reach
the transcript, the results, the views and every export; transcribe_file's progress, interruption
and batch seam. No model, no server."""

from __future__ import annotations

import json
import threading
import time
import wave

import pytest
import traitlets

from live_transcriber import LiveTranscriber, Result, Status, Transcriber
from live_transcriber.exports import read_json
from live_transcriber.results import StreamClosed
from live_transcriber.testing import FakeFrontEnd, ScriptedEngine, final
from live_transcriber.testing.scripted import ScriptedStream
from scripted_page import WEBM, start

def talk(core: Transcriber, engine: ScriptedEngine, *results: Result) -> None:
    engine.say(core, *results)
    core.end_feed()
    engine.stream.close()
    assert core.wait(1)


# --- corrections ----------------------------------------------------------------------------------


def test_a_corrected_word_reaches_the_transcript_the_results_the_views_and_every_export(core, engine, front):
    talk(core, engine, final("Hello there.", 0.0, 1.0), final("How are ewe?", 2.0, 3.0))
    corrected = core.edit_word(1, 2, "you?")
    assert corrected.edited and core.transcript == "Hello there. How are you?" == front.state["transcript"]
    entry = core.results[1]
    assert entry["edited"] is True and entry["original"]["text"] == "How are ewe?"
    assert entry["words"][2]["punctuated_word"] == "you?" and entry["words"][2]["start"] == pytest.approx(2 + 2 / 3)
    assert front.state["results"][1] == entry
    assert front.sent[-1] == {"type": "results_changed", "results": [entry]}
    assert "How are you?" in core.to_text() and "How are you?" in core.to_srt() and "How are you?" in core.to_vtt()
    document = read_json(core.to_json())
    assert document.results == core.finals and document.results[1].original.text == "How are ewe?"
    assert "results" not in front.state or core.results == front.state["results"]


def test_an_utterance_correction_keeps_its_results_and_their_indexes(core, engine, front):
    talk(core, engine, final("the whether is", 0.0, 1.5, speech_final=False), final("warm today.", 1.5, 2.5))
    assert [r["utterance"] for r in core.results] == [0, 0]
    corrected = core.edit_utterance(0, "The weather is very warm today.")
    assert [r.text for r in corrected] == ["The weather is very", "warm today."]  # "very" joins the word before it
    assert core.transcript == "The weather is very warm today."
    assert [r["index"] for r in front.sent[-1]["results"]] == [0]  # the second result did not change
    assert core.to_text() == "The weather is very warm today.\n"


def test_an_offline_transcript_can_be_given_speakers_and_their_names(core, engine):
    talk(core, engine, final("Hi, I am Ana.", 0.0, 1.0), final("And I am Ben.", 1.5, 2.5))
    core.edit_utterance(0, speaker=0)
    core.edit_utterance(1, speaker=1)
    core.speakers = {0: "Ana", "1": " Ben  "}
    assert core.speakers == {0: "Ana", 1: "Ben"}
    assert core.to_text() == "Ana: Hi, I am Ana.\nBen: And I am Ben.\n"
    assert "Ana: Hi, I am Ana." in core.to_srt() and "<v Ben>And I am Ben." in core.to_vtt()
    document = read_json(core.to_json())
    assert document.speaker_names == {0: "Ana", 1: "Ben"} and json.loads(core.to_json())["speakers"] == {"0": "Ana", "1": "Ben"}
    core.speakers = {0: "Ana"}
    assert core.to_text().splitlines()[1] == "Speaker 2: And I am Ben."


def test_bad_corrections_raise_and_change_nothing(core, engine):
    talk(core, engine, final("Hello there.", 0.0, 1.0))
    before = core.results
    with pytest.raises(IndexError, match="no result 1"):
        core.edit_word(1, 0, "x")
    with pytest.raises(IndexError, match="no utterance 4"):
        core.edit_utterance(4, "x")
    with pytest.raises(TypeError):
        core.edit_word("0", 0, "x")
    with pytest.raises(ValueError, match="at most 100"):
        core.speakers = {0: "x" * 101}
    with pytest.raises(ValueError, match="number from 0"):
        core.speakers = {-1: "Ana"}
    assert core.results == before and core.speakers == {}


def test_corrections_and_names_from_the_browser(core, engine, front):
    talk(core, engine, *[final(f"Word number {i}.", i, i + 0.5) for i in range(60)])
    core.receive({"type": "edit", "index": 0, "word": 1, "text": "numeral"})
    assert core.transcript.startswith("Word numeral 0.")
    # The first result is far older than the results the trait sends: the views hear of it by message.
    assert front.sent[-1]["type"] == "results_changed" and front.sent[-1]["results"][0]["index"] == 0
    core.receive({"type": "edit", "utterance": 1, "text": "Second line.", "speaker": 2})
    core.receive({"type": "speaker", "speaker": 2, "name": "Cy"})
    assert core.to_text().splitlines()[1] == "Cy: Second line."
    assert front.state["speakers"] == {2: "Cy"} and core.error == ""
    core.receive({"type": "edit", "index": 99, "word": 0, "text": "x"})
    assert "no result 99" in core.error and front.state["error"] == core.error
    core.receive({"type": "speaker", "speaker": 2, "name": ""})
    assert core.speakers == {}


def test_the_widget_mirrors_corrections_and_takes_speaker_names_from_python():
    engine = ScriptedEngine()
    w = LiveTranscriber(engine)
    seen: list[str] = []
    w.observe(lambda change: seen.append(change["name"]), names=["transcript", "results", "speakers"])
    talk(w.transcriber, engine, final("Hello there.", 0.0, 1.0, speaker=0))
    seen.clear()
    w.edit_word(0, 1, "world.")
    assert w.transcript == "Hello world." and w.results[0]["edited"] and {"transcript", "results"} <= set(seen)
    w.speakers = {0: "Ana"}
    assert w.transcriber.speakers == {0: "Ana"} and w.to_text() == "Ana: Hello world.\n"
    assert w.get_state()["speakers"] == {"0": "Ana"}
    w.transcriber.speakers = {0: "Ann"}
    assert w.speakers == {0: "Ann"}
    with pytest.raises(Exception, match="at most 100"):
        w.speakers = {0: "x" * 200}
    assert w.speakers == {0: "Ann"}
    w.close()


# --- listening back -----------------------------------------------------------------------------


def test_the_page_gets_a_recordings_audio_once_in_parts_with_its_place_on_the_timeline(core, engine, front, monkeypatch):
    talk(core, engine, final("First recording.", 0.0, 2.0))
    monkeypatch.setattr("live_transcriber.protocol.AUDIO_PART_BYTES", 4)
    start(core)
    for seq, piece in enumerate([b"0123", b"4567", b"89"]):
        core.receive({"type": "chunk", "recording": "r1", "seq": seq}, [piece])
    core.receive({"type": "stop", "recording": "r1", "chunks": 3})
    engine.stream.close()
    assert core.wait(1)
    del front.sent[:], front.buffers[:]
    core.receive({"type": "audio", "recording": 1})
    assert [m["part"] for m in front.sent] == [0, 1, 2] and b"".join(b[0] for b in front.buffers) == b"0123456789"
    assert {(m["type"], m["recording"], m["mime_type"], m["offset"], m["done"], m["parts"]) for m in front.sent} == {
        ("audio", 1, WEBM, core.recordings[1].offset, True, 3)
    }
    assert core.recordings[1].offset == pytest.approx(3.0) and core.error == ""


def test_audio_the_kernel_cannot_send_is_answered_with_the_reason(core, engine, front):
    talk(core, engine, final("Hello.", 0.0, 1.0))
    core.receive({"type": "audio", "recording": 5})
    assert front.sent[-1] == {"type": "audio", "recording": 5, "error": "There is no recording 5."}
    quiet = Transcriber(ScriptedEngine(), keep_audio=False)
    quiet_front = FakeFrontEnd()
    quiet.attach(quiet_front)
    quiet.feed(b"scripted", WEBM)
    quiet.receive({"type": "audio", "recording": 0})
    assert "keep_audio=False" in quiet_front.sent[-1]["error"] and quiet_front.buffers[-1] is None
    quiet.close()


def test_the_widget_tells_the_page_whether_there_is_audio_and_where_to_mark_words():
    quiet = LiveTranscriber(ScriptedEngine(), keep_audio=False)
    state = quiet.get_state()
    assert state["keep_audio"] is False and state["confidence_threshold"] == 0.6
    quiet.confidence_threshold = None
    with pytest.raises(traitlets.TraitError, match="greater than 1.0"):
        quiet.confidence_threshold = 1.5
    assert quiet.confidence_threshold is None and LiveTranscriber(ScriptedEngine()).keep_audio is True
    quiet.close()


# --- bookmarks -----------------------------------------------------------------------------------


def test_a_bookmark_from_the_browser_is_at_its_elapsed_time_in_the_recording_in_progress(core, engine, front):
    talk(core, engine, final("First recording.", 0.0, 2.0))
    start(core)
    offset = core.recordings[1].offset
    assert offset == pytest.approx(3.0)
    core.receive({"type": "bookmark", "label": "  key   point ", "elapsed": 4.5})
    assert core.bookmarks == [{"time": pytest.approx(7.5), "label": "key point", "recording": 1}]
    assert front.state["bookmarks"] == core.bookmarks
    core.receive({"type": "bookmark"})  # no time: the kernel's clock, from the recording's start
    assert 1 <= core.bookmarks[0]["recording"] and core.bookmarks[0]["time"] == pytest.approx(offset, abs=1.0)


def test_bookmarks_of_a_recording_not_yet_on_the_timeline_move_when_it_is_placed(core, engine):
    start(core)
    core.receive({"type": "stop", "recording": "r1"})
    first = engine.stream  # still finishing
    start(core, "r2")
    core.receive({"type": "bookmark", "label": "b", "elapsed": 1.0})
    first.emit(final("Late words.", 0.0, 5.0), StreamClosed())
    assert core.bookmarks == [{"time": pytest.approx(5.0 + 1.0 + 1.0), "label": "b", "recording": 1}]


def test_bookmarks_from_python_are_kept_in_text_and_json_and_forgotten_by_clear(core, engine):
    with pytest.raises(ValueError, match="Nothing is being recorded"):
        core.add_bookmark(label="now")
    talk(core, engine, final("One.", 0.0, 1.0), final("Two.", 5.0, 6.0))
    assert core.add_bookmark(3.0, "between") == {"time": 3.0, "label": "between", "recording": 0}
    core.add_bookmark(9.0)
    assert core.to_text(timestamps=True) == "[00:00] One.\n[bookmark 00:03] between\n[00:05] Two.\n[bookmark 00:09]\n"
    document = read_json(core.to_json())
    assert [b.to_dict() for b in document.bookmarks] == core.bookmarks
    with pytest.raises(ValueError, match="seconds from 0"):
        core.add_bookmark(float("nan"))
    core.clear()
    assert core.bookmarks == []


# --- transcribe_file -----------------------------------------------------------------------------


def silent_wav(path, seconds: float = 2.0):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(bytes(int(32000 * seconds)))
    return path


class WholeEngine(ScriptedEngine):
    """A scripted engine with a batch path: open_whole gives an ended stream holding the bytes."""

    def open_whole(self, data: bytes, mime_type: str, emit, *, source):
        stream = ScriptedStream(mime_type, emit, source)
        stream.written += data
        stream.ended = True
        self.streams.append(stream)
        return stream


def test_a_whole_file_goes_to_the_engines_batch_path_unless_played_in_real_time(tmp_path, capsys):
    engine = WholeEngine(close_on_end=True)
    core = Transcriber(engine)
    path = silent_wav(tmp_path / "talk.wav")

    def answer() -> None:
        while not engine.streams:
            time.sleep(0.01)
        engine.stream.emit(final("File words.", 0.5, 2.0), StreamClosed())

    threading.Thread(target=answer).start()
    assert core.transcribe_file(path, timeout=5) == "File words."
    assert bytes(engine.stream.written) == path.read_bytes() == bytes(core.recordings[0].data)
    assert "talk.wav: 100%" in capsys.readouterr().err  # the progress bar reached the end
    assert core.transcribe_file(path, realtime=True, timeout=10, progress=False) == ""
    assert len(engine.streams) == 2 and bytes(engine.stream.written) == path.read_bytes()
    core.close()


def interrupt_when(condition, stop_button) -> threading.Thread:
    """Press the kernel's stop button (the ``stop_button`` fixture) once ``condition()``."""

    def press() -> None:
        while not condition():
            time.sleep(0.01)
        stop_button()

    thread = threading.Thread(target=press)
    thread.start()
    return thread


def test_interrupting_transcribe_file_keeps_the_words_so_far_and_leaves_it_ready(tmp_path, stop_button):
    engine = WholeEngine()
    core = Transcriber(engine)
    front = FakeFrontEnd()
    core.attach(front)
    path = silent_wav(tmp_path / "long.wav", 10.0)

    def some_words() -> bool:
        if not engine.streams:
            return False
        engine.stream.emit(final("Words so far.", 0.0, 4.0))
        return True

    presser = interrupt_when(some_words, stop_button)
    with pytest.raises(KeyboardInterrupt):
        core.transcribe_file(path, progress=False)
    presser.join()
    stream = engine.stream
    assert stream.aborted
    assert core.status is Status.IDLE and front.state["status"] is Status.IDLE and core.wait(0)
    assert core.transcript == "Words so far."
    assert core.recordings[0].error == "The file long.wav was interrupted after 4 s of 10 s."
    assert core.status_detail == "interrupted after 4 s of 10 s"
    stream.emit(final("Late words.", 4.0, 5.0))  # the engine's last step, after the stop: not kept
    assert core.transcript == "Words so far."

    threading.Thread(target=lambda: (time.sleep(0.1), engine.stream.emit(final("Next.", 0, 1), StreamClosed()))).start()
    assert core.transcribe_file(path, timeout=5, progress=False) == "Next."
    assert core.transcript == "Words so far. Next." and core.status_detail == ""
    core.close()


def test_a_timeout_stops_the_file_and_leaves_the_transcriber_idle(tmp_path):
    engine = WholeEngine()
    core = Transcriber(engine)
    with pytest.raises(TimeoutError, match="longer than 0.2 s"):
        core.transcribe_file(silent_wav(tmp_path / "a.wav"), timeout=0.2, progress=False)
    assert engine.stream.aborted and core.status is Status.IDLE
    assert core.status_detail == "timed out after 0 s of 2 s"
    core.close()

"""The headless core with a scripted engine: status, timeline, utterances, callbacks, the browser
protocol's edge cases, and the defects each test is named after. No model, no server."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from live_transcriber import Status, Transcriber, TranscriptionError
from live_transcriber.results import (
    EngineError,
    EngineStatus,
    Result,
    SpeechStarted,
    StreamClosed,
    UtteranceEnd,
    Word,
)
from live_transcriber.testing import ScriptedEngine
from live_transcriber.testing import final as _final
from scripted_page import WEBM, chunk, start, stop

#: Results here go on an utterance unless a test ends it (speech_final=True).
final = functools.partial(_final, speech_final=False)


# --- status ---------------------------------------------------------------------------------------


def test_the_status_follows_a_recording_from_start_to_end(core, engine, front):
    assert core.status is Status.IDLE and front.state["status"] is Status.IDLE
    start(core)
    assert core.status is Status.RECORDING
    engine.stream.emit(EngineStatus("loading model", "tiny.en"))
    assert (core.status, core.status_detail) == (Status.LOADING_MODEL, "tiny.en")
    engine.stream.emit(EngineStatus("ready"))
    assert (core.status, core.status_detail) == (Status.RECORDING, "")
    core.receive({"type": "pause"})
    assert core.status is Status.PAUSED
    core.receive({"type": "resume"})
    assert core.status is Status.RECORDING
    engine.stream.emit(EngineStatus("ready", "4 s behind"))
    assert front.state["status_detail"] == "4 s behind"
    engine.stream.emit(EngineStatus("reconnecting", "connection dropped; attempt 2 of 5 in 1.0 s"))
    assert core.status is Status.RECONNECTING and "attempt 2 of 5" in front.state["status_detail"]
    engine.stream.emit(EngineStatus("ready"))
    stop(core)
    assert core.status is Status.FINISHING and engine.stream.ended
    engine.stream.emit(final("Hello there.", 0.5, 1.0, speech_final=True), StreamClosed())
    assert core.status is Status.IDLE and front.state["status"] is Status.IDLE
    assert core.wait(0)


def test_a_fatal_engine_error_is_the_status_until_the_next_recording(core, engine, front):
    start(core)
    engine.stream.emit(EngineError("Could not decode the browser's recording."), StreamClosed())
    assert core.status is Status.ERROR and "Could not decode" in core.error
    assert front.sent[-1] == {"type": "stop_recording", "reason": "Could not decode the browser's recording."}
    start(core, "r2")
    assert core.status is Status.RECORDING and core.error == ""


def test_a_recording_in_which_nothing_was_recognised_says_so(core, engine):
    start(core)
    stop(core)
    engine.stream.emit(StreamClosed())
    assert core.status is Status.IDLE and core.status_detail == "no speech heard"
    start(core, "r2")
    assert core.status_detail == ""


def test_status_vocabulary_is_one_enum_with_the_traits_values():
    assert [s.value for s in Status] == [
        "idle", "loading model", "connecting", "recording", "paused", "reconnecting", "finishing", "error",
    ]


# --- transcript, utterances, timeline --------------------------------------------------------------


def test_results_carry_their_utterance_and_recording_and_later_recordings_continue_the_timeline(core, engine):
    start(core)
    stream = engine.stream
    stream.emit(final("One two.", 0.0, 1.0), final("Three.", 1.2, 1.5, speech_final=True), final("Four.", 2.0, 2.5))
    stop(core)
    stream.emit(final("Five.", 5.0, 5.5, speech_final=True), StreamClosed())
    assert [(r["text"], r["utterance"], r["recording"]) for r in core.results] == [
        ("One two.", 0, 0), ("Three.", 0, 0), ("Four.", 1, 0), ("Five.", 2, 0),  # 2.5 s pause: a new one
    ]
    start(core, "r2")
    engine.stream.emit(final("Six.", 0.0, 0.5))
    assert core.recordings[1].offset == pytest.approx(6.5)
    assert core.results[-1]["start"] == pytest.approx(6.5) and core.results[-1]["utterance"] == 3
    assert core.results[-1]["recording"] == 1
    assert [r["index"] for r in core.results] == [0, 1, 2, 3, 4]


def test_a_result_that_changes_speaker_is_split_into_two_utterances(core, engine):
    start(core)
    words = (Word("hi", 0, 0.4, 0.9, "Hi.", 0), Word("hello", 0.5, 0.9, 0.9, "Hello.", 1))
    engine.stream.emit(Result("Hi. Hello.", 0, 0.9, words, is_final=True, speech_final=True))
    assert [(r["text"], r["speaker"], r["utterance"], r["speech_final"]) for r in core.results] == [
        ("Hi.", 0, 0, False),
        ("Hello.", 1, 1, True),
    ]
    assert core.transcript == "Hi. Hello."
    assert core.to_text().splitlines() == ["Speaker 1: Hi.", "Speaker 2: Hello."]


def test_events_reach_on_event_on_the_timeline_and_callbacks_are_isolated(core, engine, capsys):
    results: list[Result] = []
    events: list[Any] = []

    def bad(_event: Any) -> None:
        raise ValueError("boom")

    core.on_result(bad)
    core.on_result(results.append)
    core.on_event(events.append)
    core.receive({"type": "start", "recording": "a", "mime_type": WEBM})
    engine.stream.emit(final("Before.", 0, 1, speech_final=True))
    core.receive({"type": "stop", "recording": "a"})
    engine.stream.emit(StreamClosed())
    core.receive({"type": "start", "recording": "b", "mime_type": WEBM})
    engine.stream.emit(SpeechStarted(0.25), final("After.", 0.5, 1.0, speech_final=True), UtteranceEnd(1.0))
    assert [r.text for r in results] == ["Before.", "After."]
    assert "boom" in capsys.readouterr().err
    assert [type(e).__name__ for e in events] == ["Result", "SpeechStarted", "Result", "UtteranceEnd"]
    assert events[1].timestamp == pytest.approx(2.25) and events[3].last_word_end == pytest.approx(3.0)
    core.on_result(results.append, remove=True)
    engine.stream.emit(final("Again.", 2, 3))
    assert len(results) == 2 and core.transcript == "Before. After. Again."


def test_events_from_many_threads_keep_the_transcript_consistent(core, engine):
    start(core)

    def emit(n: int) -> None:
        for i in range(50):
            engine.stream.emit(final(f"t{n}w{i}", 0, 0.1))

    threads = [threading.Thread(target=emit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(core.transcript.split()) == 200 == len(core.results)
    assert [r["index"] for r in core.results] == list(range(200))


def test_history_and_export_commands_answer_the_browser(core, engine, front):
    start(core)
    engine.stream.emit(final("Hello there.", 0, 1, speech_final=True))
    core.receive({"type": "history"})
    assert front.sent[-1]["type"] == "history" and front.sent[-1]["results"] == core.results
    core.receive({"type": "export", "format": "srt"})
    assert front.sent[-1]["filename"] == "transcript.srt" and front.sent[-1]["content"] == core.to_srt()
    core.receive({"type": "export", "format": "docx"})
    assert "Cannot export as 'docx'" in core.error


# --- the defects of issue 10, each pinned ------------------------------------------------------------


def test_close_mid_recording_ends_it_wait_returns_and_the_status_is_idle(core, engine, front):
    start(core)
    chunk(core, 0)
    engine.stream.emit(final("Kept.", 0, 1))
    core.close()
    assert core.wait(1)
    assert core.status is Status.IDLE and front.state["status"] is Status.IDLE
    assert engine.stream.aborted and core.transcript == "Kept."
    core.receive({"type": "start", "recording": "x", "mime_type": WEBM})  # ignored once closed
    assert len(engine.streams) == 1


def test_feed_while_a_browser_recording_is_open_transcribes_what_is_fed(core, engine, front):
    start(core)  # the page was reloaded mid-recording: no stop will ever come
    chunk(core, 0, b"browser")
    core.feed(b"fed audio", WEBM)
    assert front.sent[-1]["type"] == "stop_recording"
    browser, fed = engine.streams
    assert browser.ended and bytes(fed.written) == b"fed audio"
    chunk(core, 1, b"late")  # the old page's chunks are dropped quietly
    assert core.error == "" and bytes(browser.written) == b"browser"
    core.end_feed()
    browser.emit(StreamClosed())
    fed.emit(final("Fed words.", 0, 1, speech_final=True), StreamClosed())
    assert core.wait(1) and core.transcript == "Fed words."


def test_transcribe_file_returns_only_its_own_words(tmp_path):
    """After a browser recording's stop, its late words used to be mixed into the file's transcript."""
    engine = ScriptedEngine()
    core = Transcriber(engine)
    start(core)
    chunk(core, 0, b"\x1a\x45\xdf\xa3browser")
    stop(core)
    browser = engine.stream  # still finishing: its last words come after the file started
    path = tmp_path / "talk.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + b"webm" * 100)

    def finish_both() -> None:
        while len(engine.streams) < 2 or not engine.streams[1].ended:
            time.sleep(0.01)
        engine.streams[1].emit(final("File words.", 0, 1, speech_final=True), StreamClosed())
        browser.emit(final("Late browser words.", 3, 4, speech_final=True), StreamClosed())

    threading.Thread(target=finish_both).start()
    assert core.transcribe_file(path, timeout=5) == "File words."
    assert core.transcript == "Late browser words. File words."
    assert core.recordings[1].offset == pytest.approx(5.0)  # placed after the late words
    assert bytes(engine.streams[1].written) == path.read_bytes()
    core.close()


def test_clear_drops_late_words_of_recordings_already_stopped(core, engine):
    start(core)
    stop(core)
    core.clear()
    engine.stream.emit(final("Stale.", 0, 1, speech_final=True), StreamClosed())
    assert core.transcript == "" and core.results == []


def test_a_lone_surrogate_from_the_page_reaches_the_user_as_text(core, front):
    core.receive({"type": "client_error", "kind": "permission", "message": "Mic \ud800 blocked"})
    assert core.error == "Mic ? blocked" and front.state["error"] == "Mic ? blocked"


def test_an_unknown_engine_name_raises_once_and_nothing_at_exit():
    code = "from live_transcriber import LiveTranscriber\ntry:\n    LiveTranscriber(engine='nonsense')\nexcept ValueError as e:\n    print(e)\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "Unknown engine 'nonsense'" in run.stdout
    assert run.stderr == ""


# --- transcribe_file raises ----------------------------------------------------------------------------


def test_transcribe_file_raises_when_the_file_is_not_audio(core, tmp_path):
    notes = tmp_path / "notes"
    notes.write_text("these are my notes, not audio")
    with pytest.raises(TranscriptionError, match="does not look like an audio file"):
        core.transcribe_file(notes)
    with pytest.raises(FileNotFoundError):
        core.transcribe_file(tmp_path / "missing.webm")


def test_transcribe_file_recognises_a_file_without_a_suffix_by_its_bytes(tmp_path):
    engine = ScriptedEngine(close_on_end=True)
    core = Transcriber(engine)
    ogg = tmp_path / "recording"
    ogg.write_bytes(b"OggS" + bytes(100))
    assert core.transcribe_file(ogg, timeout=5) == ""
    assert engine.stream.mime_type == "audio/ogg" and engine.stream.source.name == "the file recording"
    assert core.status_detail == "no speech heard"


def test_transcribe_file_raises_the_engines_error(tmp_path):
    engine = ScriptedEngine()
    core = Transcriber(engine)
    path = tmp_path / "talk.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(10))

    def fail() -> None:
        while not engine.streams or not engine.stream.ended:
            time.sleep(0.01)
        engine.stream.emit(EngineError("Could not decode the file talk.webm (audio/webm): bad data."), StreamClosed())

    threading.Thread(target=fail).start()
    with pytest.raises(TranscriptionError, match="Could not decode the file talk.webm"):
        core.transcribe_file(path, timeout=5)


def test_transcribe_file_without_a_deepgram_key_raises(monkeypatch, tmp_path):
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    core = Transcriber(engine="deepgram")
    assert core.status is Status.ERROR
    path = tmp_path / "a.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(10))
    with pytest.raises(TranscriptionError, match="No Deepgram API key"):
        core.transcribe_file(path)


def test_quick_start_stop_clicks_never_open_more_than_two_engine_streams(core, engine):
    for n in range(30):
        core.receive({"type": "start", "recording": f"r{n}", "mime_type": WEBM})
        chunk(core, 0, f"audio {n}".encode(), recording=f"r{n}")
        core.receive({"type": "stop", "recording": f"r{n}", "chunks": 1})
    assert len(engine.streams) == 2  # the rest wait their turn, their audio kept
    n = 0
    while not core.wait(0):
        stream = engine.streams[n]
        assert stream.ended and bytes(stream.written) == f"audio {n}".encode()
        stream.emit(final(f"Recording {n}.", 0, 1, speech_final=True), StreamClosed())
        assert sum(1 for s in engine.streams if not s.closed) <= 2
        n += 1
    assert n == 30 and len(engine.streams) == 30
    assert core.transcript == " ".join(f"Recording {i}." for i in range(30))
    starts = [r["start"] for r in core.results]
    assert starts == sorted(starts)  # each recording after the one before on the timeline

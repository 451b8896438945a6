"""Nothing lost, the kernel's side of the fault matrix. Audio the kernel never got: the page asks
what reached the kernel (``recover``), goes on with a recording the kernel still has open, or sends
what is missing as a recovered recording; a recording replaced by another page's is stopped there;
close() leaves what it cut short to resume(). An engine stream that fails mid-recording is opened
again where its words end. The page's side is in ``js/keeper/`` (unit tests in
``tests/js/``, the real thing in ``tests/browser/test_faults.py``)."""

from __future__ import annotations

from typing import Any

import pytest
import speech

from live_transcriber import Status, Transcriber
from live_transcriber.journal import load
from live_transcriber.media import RECOVERED
from live_transcriber.media.replay import ReplayBuffer
from live_transcriber.results import EngineError, Result, StreamClosed, Word
from live_transcriber.testing import ScriptedEngine
from scripted_page import WEBM, Page, start

@pytest.fixture
def page() -> Page:
    return Page()


@pytest.fixture
def core(engine: ScriptedEngine, page: Page, tmp_path) -> Transcriber:
    t = Transcriber(engine, journal=tmp_path)
    t.attach(page)
    yield t
    t.close()


def said(text: str, start: float) -> Result:
    """A final result with a word every 0.5 s from ``start``."""
    words = tuple(Word(t.strip(".").lower(), start + 0.5 * i, start + 0.5 * i + 0.4, 0.9, t) for i, t in enumerate(text.split()))
    return Result(text, start, words[-1].end, words, is_final=True, speech_final=True)


def chunks(core: Transcriber, recording: str, *seqs: int) -> None:
    for seq in seqs:
        core.receive({"type": "chunk", "recording": recording, "seq": seq}, [f"<{recording}:{seq}>".encode()])


def recover(core: Transcriber, page: Page, *recordings: str) -> dict[str, dict[str, Any]]:
    core.receive({"type": "recover", "recordings": list(recordings)})
    return {r["recording"]: r for r in page.of("recover")[-1]["recordings"]}


def test_the_kernel_says_what_it_has_of_each_recording(core, engine, page):
    start(core, "a")
    chunks(core, "a", 0, 1, 2)
    assert recover(core, page, "a", "never") == {
        "a": {"recording": "a", "state": "open", "received": 3},
        "never": {"recording": "never", "state": "unknown", "received": 0},
    }
    core.receive({"type": "stop", "recording": "a", "chunks": 5})  # chunks 3 and 4 never came
    assert recover(core, page, "a")["a"] == {"recording": "a", "state": "ended", "received": 3, "done": False, "failed": False}
    engine.stream.close()
    assert recover(core, page, "a")["a"]["done"] is True

    start(core, "b")
    chunks(core, "b", 0)
    engine.stream.emit(EngineError("The engine broke.", fatal=True), StreamClosed())
    assert recover(core, page, "b")["b"] == {"recording": "b", "state": "ended", "received": 1, "done": False, "failed": True}


def test_after_a_page_reload_the_page_goes_on_with_the_open_recording_and_nothing_is_lost(core, engine, page):
    start(core, "a")
    chunks(core, "a", 0, 1, 2)
    # The page is reloaded: chunks 3 and 4 were recorded and kept by the page, never sent.
    # The new page asks, and sends what the kernel has not got, under the same id and numbers.
    assert recover(core, page, "a")["a"]["received"] == 3
    chunks(core, "a", 3, 4)
    core.receive({"type": "stop", "recording": "a", "chunks": 5})
    assert bytes(engine.stream.written) == b"".join(f"<a:{i}>".encode() for i in range(5))
    assert engine.stream.ended
    engine.stream.close()
    counters = core.recordings[0].counters
    assert (counters.chunks, counters.lost, counters.duplicates) == (5, 0, 0)
    assert page.of("ack")[-1] == {"type": "ack", "recording": "a", "chunks": 5, "done": True}
    assert core.error == ""


def test_a_recovered_recording_is_named_as_such_everywhere(core, engine, page):
    start(core, "r2", recovered=True)
    chunks(core, "r2", 0, 1)
    core.receive({"type": "stop", "recording": "r2", "chunks": 2})
    assert core.recordings[0].source == RECOVERED
    assert engine.stream.source == RECOVERED
    assert RECOVERED.name == "audio recovered from the browser"
    engine.stream.emit(Result("Words recovered.", 0.0, 1.0, is_final=True, speech_final=True), StreamClosed())
    saved = load(core.journal.folder)
    assert saved.recordings[0].source == "audio recovered from the browser" and saved.transcript == "Words recovered."
    assert page.of("ack")[-1]["done"] is True


def test_a_recording_replaced_by_another_pages_start_is_stopped_on_its_page_only(core, engine, page):
    start(core, "tab1")
    chunks(core, "tab1", 0, 1)
    start(core, "tab2")  # the same widget, Start pressed in another browser
    stops = page.of("stop_recording")
    assert len(stops) == 1 and stops[0]["recording"] == "tab1" and "another tab or window" in stops[0]["reason"]
    # The first page's last chunks and its stop are expected: no error, and the kernel can say
    # what it has of that recording, so the page offers the rest.
    chunks(core, "tab1", 2)
    core.receive({"type": "stop", "recording": "tab1", "chunks": 3})
    assert "Ignored" not in core.error
    assert recover(core, page, "tab1")["tab1"]["received"] == 2
    chunks(core, "tab2", 0)
    assert bytes(engine.stream.written) == b"<tab2:0>"


def test_a_recording_cut_short_by_close_is_not_called_done_and_resume_finishes_it(engine, page, tmp_path):
    core = Transcriber(engine, journal=tmp_path)
    core.attach(page)
    start(core, "a")
    chunks(core, "a", 0, 1)
    engine.stream.emit(said("Said before.", 0.0))
    folder = core.journal.folder
    core.close()
    # The page must keep what it has not had confirmed: no "done" for a recording close() cut short.
    assert not [m for m in page.of("ack") if m["done"]]
    saved = load(folder)
    assert [r.index for r in saved.interrupted] == [0] and saved.transcript == "Said before."
    again = ScriptedEngine()
    resumed = Transcriber.recover(folder, again)
    assert bytes(again.stream.written) == b"<a:0><a:1>" and again.stream.ended
    again.stream.emit(said("Said before. And after.", 0.0), StreamClosed())
    assert resumed.wait(1) and resumed.transcript == "Said before. And after."
    resumed.close()


def test_each_widget_tells_the_page_who_records():
    from live_transcriber import LiveTranscriber

    first, second = LiveTranscriber(engine=ScriptedEngine(), journal=None), LiveTranscriber(engine=ScriptedEngine(), journal=None)
    try:
        assert first._identity["widget"] != second._identity["widget"]
        assert first._identity["process"] == second._identity["process"]
        assert first._identity["kernel"] == ""  # not in a Jupyter kernel (the browser tests check the id)
    finally:
        first.close()
        second.close()


# --- an engine that fails mid-recording ------------------------------------------------------------


@pytest.fixture(scope="module")
def webm(tmp_path_factory) -> list[bytes]:
    """A WebM/Opus recording with 250 ms clusters, as 2 kB chunks."""
    folder = tmp_path_factory.mktemp("restart")
    wav = speech.synthesize("One two three four five six seven eight nine ten.", folder / "count.wav", pad_after=0.5)
    data = speech.encode(wav, folder / "count.webm", "webm").read_bytes()
    return [data[i : i + 2000] for i in range(0, len(data), 2000)]


def send(core: Transcriber, recording: str, pieces: list[bytes], first: int = 0) -> None:
    for seq, piece in enumerate(pieces, start=first):
        core.receive({"type": "chunk", "recording": recording, "seq": seq}, [piece])


def test_an_engine_that_fails_mid_recording_is_started_again_where_its_words_end(core, engine, page, webm):
    half = len(webm) // 2
    start(core, "a")
    send(core, "a", webm[:half])
    failed = engine.stream
    failed.emit(said("One two three.", 0.0))  # "three." ends at 1.4 s
    failed.emit(EngineError("The engine crashed.", fatal=True))

    # A new stream, on the audio from the last entry point (a cluster) before 1.4 s; the page
    # records on, and is told what happened.
    assert len(engine.streams) == 2 and not page.of("stop_recording")
    restarted = engine.stream
    replay = ReplayBuffer(WEBM)
    replay.feed(b"".join(webm[:half]))
    begins, data = replay.replay(1.4)
    assert bytes(restarted.written) == data and 1.0 < begins <= 1.4
    assert core.error.startswith("The engine crashed. The engine was started again") and "nothing is lost" in core.error
    assert core.status is Status.RECORDING
    failed.emit(Result("Late words from the failed stream.", 1.5, 2.0, is_final=True), StreamClosed())  # ignored
    assert not core.recordings[0].done and core.transcript == "One two three."

    # Its times count from where it began; the words already final are not given twice.
    restarted.emit(said("three. four five.", 1.0 - begins))
    assert core.transcript == "One two three. four five."
    assert core.results[-1]["words"][0]["start"] == pytest.approx(1.5)
    send(core, "a", webm[half:], first=half)
    assert bytes(restarted.written) == data + b"".join(webm[half:])
    core.receive({"type": "stop", "recording": "a", "chunks": len(webm)})
    assert restarted.ended
    restarted.close()
    assert core.wait(1) and vars(core.recordings[0].counters)["lost"] == 0
    assert page.of("ack")[-1] == {"type": "ack", "recording": "a", "chunks": len(webm), "done": True}


def test_an_engine_that_keeps_failing_ends_the_recording_after_two_restarts(core, engine, page, webm):
    start(core, "a")
    send(core, "a", webm[:10])
    for attempt in range(3):
        engine.stream.emit(said("Words.", 0.0))  # each stream hears something, then fails
        engine.stream.emit(EngineError(f"Crash {attempt + 1}.", fatal=True))
    assert len(engine.streams) == 3  # the first one and two restarts
    assert core.error == "Crash 3." and page.of("stop_recording")[-1]["reason"] == "Crash 3."
    engine.stream.emit(StreamClosed())
    assert core.wait(1) and core.recordings[0].error == "Crash 3."


def test_a_stream_that_fails_before_it_heard_anything_is_not_started_again(core, engine, page, webm):
    start(core, "a")
    send(core, "a", webm[:4])
    engine.stream.emit(EngineError("Could not decode the browser's recording.", fatal=True), StreamClosed())
    assert len(engine.streams) == 1 and core.recordings[0].error.startswith("Could not decode")

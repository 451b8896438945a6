"""Keyterms on the wire, with the real SDK against the Deepgram-protocol test server: the ``keyterm``
query parameters at connect, ``Configure`` mid-stream, and a lossless new connection where a server
does not take ``Configure``. The server mishears some words unless a keyterm names them, so the
effect shows in the transcript."""

from __future__ import annotations

import time

import pytest

from live_transcriber import LiveTranscriber
from live_transcriber.results import EngineError, EngineStatus
from live_transcriber.testing.deepgram_server import DeepgramServer, Fault

from deepgram_support import CHUNK, KEY, SPEED, Collector, Recording, closed_connections, stream

MISHEARD = {"stella": "stellar", "store": "star"}
BEFORE = ("Stella",)
AFTER = ("Stella", "store")
CHANGE_AT = 6.0  # seconds into the recording: after "stella", before "store"


@pytest.fixture
def server(make_deepgram_server, webm: Recording) -> DeepgramServer:
    return make_deepgram_server(KEY, webm.script, timeout=1.5, misheard=MISHEARD)


def said(recording: Recording, **replaced: str) -> list[str]:
    return [replaced.get(word, word) for word, _, _ in recording.script]


def heard(collector: Collector) -> list[str]:
    return [w.word for w in collector.transcript.words]


def change_keyterms(terms: tuple[str, ...]):
    return {CHANGE_AT: lambda s: s.set_keyterms(terms)}


@pytest.mark.timeout(60)
def test_keyterms_at_connect_and_changed_mid_stream_with_configure(server, engines, webm):
    engine = engines(server, keyterms=list(BEFORE))
    unchanged = stream(engine, webm)
    assert heard(unchanged) == said(webm, store="star")  # the server mishears words no keyterm names

    changed = stream(engine, webm, at=change_keyterms(AFTER))

    assert heard(changed) == said(webm)
    assert not changed.of(EngineError)
    assert "reconnecting" not in [e.phase for e in changed.of(EngineStatus)]
    _, connection = closed_connections(server)
    assert connection.params["keyterm"] == list(BEFORE)
    assert connection.configures == [list(AFTER)]
    assert [c for c in connection.controls if c != "KeepAlive"] == ["Configure", "Finalize", "CloseStream"]
    assert [m["keyterms"] for m in connection.sent if m["type"] == "ConfigureSuccess"] == [list(AFTER)]
    assert engine.configure_supported
    # The engine's own keyterms are for new streams: the transcriber sets both (test_keyterms.py).
    assert engine.keyterms == BEFORE


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "fault",
    [Fault.ignore("Configure"), Fault.refuse("Configure", code=None), Fault.refuse("Configure", code=4400)],
    ids=["no-answer", "error", "error-then-close"],
)
def test_a_server_without_configure_gets_the_keyterms_in_a_new_connection(server, engines, webm, fault):
    # WhisperLiveKit ignores Configure; older servers answer with an Error, some close too.
    server.faults.extend([fault] * 5)
    engine = engines(server, keyterms=list(BEFORE))
    engine.configure_timeout = 0.5

    collector = stream(engine, webm, at=change_keyterms(AFTER))

    assert heard(collector) == said(webm)  # nothing lost, nothing twice, "store" heard with the new keyterm
    assert not collector.of(EngineError)
    first, second = closed_connections(server)
    assert first.controls[0] == "Configure" and first.configures == [list(AFTER)]
    assert second.params["keyterm"] == list(AFTER) and "Configure" not in second.controls
    assert not engine.configure_supported

    # The engine remembers: the next change goes straight to a new connection.
    collector = stream(engine, webm, at=change_keyterms(AFTER))
    assert heard(collector) == said(webm)
    later = closed_connections(server)[2:]
    assert [c.params["keyterm"] for c in later] == [list(BEFORE), list(AFTER)]
    assert not any(c.configures for c in later)
    reasons = [e.detail for e in collector.of(EngineStatus) if e.phase == "reconnecting"]
    assert reasons == ["to apply new keyterms"]


@pytest.mark.timeout(60)
def test_keyterms_a_model_refuses_are_reported_and_the_previous_ones_stay(make_deepgram_server, engines, webm):
    server = make_deepgram_server(KEY, webm.script, timeout=1.5, misheard=MISHEARD)
    server.faults.append(Fault.drop(after=8.0))  # after the refusal: the next connection shows what is kept
    engine = engines(server, model="nova-2", keyterms=list(BEFORE))

    collector = stream(engine, webm, at=change_keyterms(AFTER))

    [error] = collector.of(EngineError)
    assert not error.fatal
    assert error.message == (
        "Deepgram did not apply the new keyterms: The model nova-2 does not support keyterms. "
        "The previous ones stay in use."
    )
    first, second = closed_connections(server)
    assert first.configures == [list(AFTER)]
    assert second.params["keyterm"] == list(BEFORE)
    assert heard(collector) == said(webm, store="star")


@pytest.mark.timeout(60)
def test_the_widget_trait_reaches_the_server_while_recording(server, webm):
    w = LiveTranscriber(engine="deepgram", api_key=KEY, base_url=server.base_url, keyterms=["Stella"], journal=None)
    for i, chunk in enumerate(webm.chunks()):
        w.feed(chunk, webm.mime_type)
        time.sleep(CHUNK / SPEED)
        if (i + 1) * CHUNK == CHANGE_AT:
            w.keyterms = ["Stella", "store"]
    w.end_feed()
    assert w.wait(20)

    assert w.transcript.endswith("from the store.")
    [connection] = closed_connections(server)
    assert connection.params["keyterm"] == ["Stella"] and connection.configures == [["Stella", "store"]]
    w.close()

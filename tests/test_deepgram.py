"""DeepgramEngine with the real deepgram-sdk against the local Deepgram-protocol server."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from live_transcriber.engines.deepgram import DeepgramEngine
from live_transcriber.results import (
    EngineError,
    EngineStatus,
    Metadata,
    Result,
    SpeechStarted,
    StreamClosed,
    UtteranceEnd,
)
from live_transcriber.testing.deepgram_server import DeepgramServer, Fault

from deepgram_support import (
    CHUNK,
    KEY,
    SPEED,
    TIME_TOLERANCE,
    Collector,
    Recording,
    assert_transcript_is_script,
    audio_gaps,
    closed_connections,
    encode,
    sentence_spans,
    stream,
)

# --- the happy path and the wire ---------------------------------------------------------


@pytest.mark.timeout(30)
def test_streams_a_recording_and_ends_with_finalize_then_closestream(server, engines, webm):
    collector = stream(engines(server), webm)

    assert_transcript_is_script(collector, webm.script)
    assert collector.transcript.text == "Please call stella. Ask her to bring these things. With her from the store."
    assert any(not r.is_final for r in collector.of(Result)), "interim results expected"
    assert [r.speech_final for r in collector.of(Result) if r.is_final and r.words].count(True) >= 2
    assert any(r.from_finalize for r in collector.of(Result))
    [connection] = closed_connections(server)
    assert connection.controls == ["Finalize", "CloseStream"]
    assert connection.close_code == 1000
    assert connection.audio_bytes == len(webm.data)
    assert audio_gaps(server.connections, webm.duration) < 0.03
    [metadata] = collector.of(Metadata)
    assert metadata.duration == pytest.approx(webm.duration, abs=0.05)


@pytest.mark.timeout(30)
def test_last_words_arrive_through_finalize(make_deepgram_server, engines, webm):
    # Without endpointing and with unbounded result windows, only Finalize makes words final;
    # the server then closes at CloseStream without flushing anything.
    server = make_deepgram_server(KEY, webm.script, timeout=1.5, max_final_span=60)
    server.faults.append(Fault.close(1000, on="CloseStream"))

    collector = stream(engines(server, endpointing=False), webm)

    assert_transcript_is_script(collector, webm.script)
    [final] = [r for r in collector.of(Result) if r.is_final]
    assert final.from_finalize


@pytest.mark.timeout(20)
def test_audio_written_before_the_connection_opens_is_kept(server, engines, webm):
    # All at once, as when the kernel was busy and the browser's chunks queued up.
    collector = Collector()
    s = engines(server).open(webm.mime_type, collector)
    for chunk in webm.chunks():
        s.write(chunk)
    s.end()
    assert s.wait(10)

    assert_transcript_is_script(collector, webm.script)
    assert len(server.connections) == 1


@pytest.mark.timeout(20)
def test_the_cheap_server_mode_answers_every_chunk(make_deepgram_server, engines, webm):
    server = make_deepgram_server(KEY, cheap=True)
    collector = stream(engines(server), webm)

    # One word per audio message; chunks written while the engine was busy go out as one message.
    [connection] = server.connections
    assert [w.word for w in collector.transcript.words] == [f"chunk{i}" for i in range(1, connection.audio_messages + 1)]
    assert connection.audio_bytes == len(webm.data)
    assert connection.decoded_seconds == 0.0


def test_importing_the_engine_shows_no_deprecation_warnings():
    # The SDK's async client imports websockets' deprecated legacy API.
    subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", "import live_transcriber.engines.deepgram"],
        check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


@pytest.mark.timeout(20)
def test_options_become_query_parameters(server, engines, webm):
    engine = engines(
        server, model="nova-2", language="de", punctuate=False, smart_format=False, interim_results=True,
        endpointing=300, utterance_end_ms=1000, vad_events=True, diarize=True,
        keyterms=["Stella", "customer service"], extra={"tag": "lab", "mip_opt_out": True},
    )
    s = engine.open(webm.mime_type, Collector())
    s.write(webm.chunks()[0])
    s.end()
    assert s.wait(10)

    assert server.connections[0].params == {
        "model": ["nova-2"], "language": ["de"], "punctuate": ["false"], "smart_format": ["false"],
        "interim_results": ["true"], "endpointing": ["300"], "utterance_end_ms": ["1000"], "vad_events": ["true"],
        "diarize": ["true"], "keyterm": ["Stella", "customer service"], "tag": ["lab"], "mip_opt_out": ["true"],
    }


@pytest.mark.timeout(20)
def test_defaults_leave_encoding_out_and_endpointing_false_is_sent(server, engines, webm):
    s = engines(server, endpointing=False, interim_results=False).open(webm.mime_type, Collector())
    s.end()
    assert s.wait(10)

    params = server.connections[0].params
    assert params == {
        "model": ["nova-3"], "language": ["en"], "punctuate": ["true"], "smart_format": ["true"],
        "interim_results": ["false"], "endpointing": ["false"],
    }


@pytest.mark.timeout(30)
def test_utterance_end_and_speech_started_are_mapped(server, engines, webm):
    collector = stream(engines(server, utterance_end_ms=300, vad_events=True), webm)

    sentences = sentence_spans(webm.script)
    assert [e.timestamp for e in collector.of(SpeechStarted)] == pytest.approx(
        [start for start, _ in sentences], abs=TIME_TOLERANCE
    )
    assert [e.last_word_end for e in collector.of(UtteranceEnd)] == pytest.approx(
        [end for _, end in sentences], abs=TIME_TOLERANCE
    )


@pytest.mark.timeout(30)
def test_keepalive_holds_the_connection_while_no_audio_flows(server, engines, webm):
    # The server closes after 1.5 s without audio or KeepAlive; the stream pauses for 2.5 s.
    collector = stream(engines(server), webm, pause_after=2.0, pause=2.5)

    [connection] = closed_connections(server)
    assert "KeepAlive" in connection.controls
    assert connection.close_code == 1000
    assert_transcript_is_script(collector, webm.script)


@pytest.mark.timeout(20)
def test_without_keepalive_the_server_closes_idle_connections(server, webm):
    # The server-side rule the KeepAlive test relies on: 1011 with NET-0001 after the timeout.
    engine = DeepgramEngine(KEY, base_url=server.base_url, reconnect_attempts=0)
    engine.keepalive_interval = 60
    collector = Collector()
    s = engine.open(webm.mime_type, collector)
    s.write(webm.chunks()[0])
    assert s.wait(10)
    engine.close()

    [connection] = closed_connections(server)
    assert connection.close_code == 1011
    assert "NET-0001" in connection.close_reason
    [error] = collector.of(EngineError)
    assert "1011" in error.message and "NET-0001" in error.message


@pytest.mark.timeout(20)
def test_abort_stops_at_once(server, engines, webm):
    collector = Collector()
    s = engines(server).open(webm.mime_type, collector)
    for chunk in webm.chunks()[:12]:
        s.write(chunk)
    assert server.wait_for(lambda: any(r.is_final for r in collector.of(Result)))
    s.abort()
    assert s.wait(2)
    assert collector.events[-1] == StreamClosed()

    [connection] = closed_connections(server)
    assert "Finalize" not in connection.controls and "CloseStream" not in connection.controls
    assert connection.end_pts < webm.duration / 2


# --- lossless reconnection ----------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("faults", "reconnects"),
    [
        pytest.param([Fault.drop(after=3.2)], 1, id="drop"),
        pytest.param([Fault.close(1011, after=3.2)], 1, id="close-1011"),
        pytest.param(
            [Fault.drop(after=1.0), Fault.close(1011, after=2.0), Fault.drop(after=1.5)], 3, id="three-in-a-row"
        ),
        pytest.param([Fault.drop(on="Finalize")], 1, id="drop-at-finalize"),
        # After the Finalize result everything is final: nothing to reconnect for.
        pytest.param([Fault.close(1011, on="CloseStream")], 0, id="close-at-closestream"),
        pytest.param([Fault.slow(0.4)], 0, id="slow-results"),
    ],
)
def test_reconnects_without_losing_or_repeating_words(make_deepgram_server, engines, webm, faults, reconnects):
    server = make_deepgram_server(KEY, webm.script, timeout=1.5)
    server.faults.extend(faults)
    collector = stream(engines(server), webm)

    assert_transcript_is_script(collector, webm.script)
    assert audio_gaps(server.connections, webm.duration) < 0.03
    assert not collector.of(EngineError)
    assert len(server.connections) == 1 + reconnects
    assert [s.phase for s in collector.of(EngineStatus)].count("reconnecting") == reconnects


@pytest.mark.timeout(30)
@pytest.mark.parametrize("container", ["webm", "ogg", "mp4"])
def test_reconnects_replay_from_the_last_final_word(make_deepgram_server, engines, speech, container):
    recording = encode(speech, container)
    server = make_deepgram_server(KEY, recording.script, timeout=1.5)
    server.faults.append(Fault.drop(after=3.2))

    collector = stream(engines(server), recording)

    assert_transcript_is_script(collector, recording.script)
    assert audio_gaps(server.connections, recording.duration) < 0.05
    first, second = server.connections
    # Header + media from an entry point at or before the end of the first sentence (final by 3.2 s).
    first_sentence_end = sentence_spans(recording.script)[0][1]
    assert first_sentence_end - 1.1 < second.first_pts <= first_sentence_end
    assert second.audio_bytes < len(recording.data)


@pytest.mark.timeout(30)
def test_words_heard_again_after_a_replay_are_not_repeated(make_deepgram_server, engines, speech):
    # With 3 s clusters the replay starts well before the end of the last final word, so the new
    # connection transcribes final words again (as Deepgram would): they must be dropped.
    recording = encode(speech, "webm", "-cluster_time_limit", "3000")
    server = make_deepgram_server(KEY, recording.script, timeout=1.5)
    server.faults.append(Fault.drop(after=3.2))

    collector = stream(engines(server), recording)

    first, second = server.connections
    final_words = [
        (w, c.first_pts) for c in (first, second) for r in c.sent if r["type"] == "Results" and r["is_final"]
        for w in r["channel"]["alternatives"][0]["words"]
    ]
    last_final_end_before_drop = max(w["end"] + origin for w, origin in final_words if origin == first.first_pts)
    first_final_start_after = min(w["start"] + origin for w, origin in final_words if origin == second.first_pts)
    assert first_final_start_after < last_final_end_before_drop, "the replay should hear final words again"
    assert_transcript_is_script(collector, recording.script)


@pytest.mark.timeout(30)
def test_gives_up_after_the_bound_and_keeps_the_transcript(server, engines, webm):
    server.faults.extend([Fault.drop(after=3.2), Fault.reject(503), Fault.reject(503), Fault.reject(503)])
    collector = stream(engines(server, reconnect_attempts=2), webm)

    assert len(server.connections) == 3
    reconnecting = [s.detail for s in collector.of(EngineStatus) if s.phase == "reconnecting"]
    assert reconnecting == ["attempt 1 of 2", "attempt 2 of 2"]
    [error] = collector.of(EngineError)
    assert error.fatal
    assert "could not reconnect" in error.message and "2 attempts" in error.message
    assert "transcript so far is kept" in error.message
    kept = [w.word for w in collector.transcript.words]
    assert 3 <= len(kept) < len(webm.script)
    assert kept == [w for w, _, _ in webm.script[: len(kept)]]


@pytest.mark.timeout(60)
def test_interim_results_alone_do_not_reset_the_reconnect_bound(make_deepgram_server, engines, webm):
    # Every connection hears the audio again (interim results) and drops at Finalize before anything
    # is final: the same replay each time, so the attempts count up to the bound instead of looping.
    server = make_deepgram_server(KEY, webm.script, timeout=1.5, max_final_span=60)
    server.faults.extend([Fault.drop(on="Finalize")] * 10)
    collector = stream(engines(server, endpointing=False, reconnect_attempts=2), webm)

    assert len(server.connections) == 3
    assert all(any(not m["is_final"] for m in c.sent if m["type"] == "Results") for c in server.connections)
    [error] = collector.of(EngineError)
    assert error.fatal and "could not reconnect (2 attempts" in error.message


# --- errors --------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_rejected_key_is_a_clear_error_without_retries(server, engines, webm):
    collector = stream(engines(server, api_key="wrong-key"), webm)

    [error] = collector.of(EngineError)
    assert error.fatal
    assert error.message.startswith(f"The server at {server.base_url} rejected the API key (401)")
    assert [c.status for c in server.connections] == [401]


@pytest.mark.timeout(20)
def test_unreachable_endpoint_is_a_clear_error(engines, webm):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    collector = stream(engines(base_url=f"ws://127.0.0.1:{port}", reconnect_attempts=1), webm)

    [error] = collector.of(EngineError)
    assert error.message == f"Could not connect to Deepgram at ws://127.0.0.1:{port}: connection refused."
    assert [s.phase for s in collector.of(EngineStatus)] == ["connecting"]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("start", ["garbage", "mid-stream"])
def test_undecodable_audio_is_a_clear_error_and_the_engine_goes_on(server, engines, webm, start):
    data = os.urandom(4000) if start == "garbage" else webm.data[webm.data.index(b"\x1f\x43\xb6\x75", 2000) :]
    engine = engines(server)
    collector = stream(engine, Recording(data, webm.mime_type, webm.script, webm.duration))

    [error] = collector.of(EngineError)
    assert error.fatal
    assert "could not decode the audio" in error.message and "DATA-0000" in error.message
    assert [c.close_code for c in closed_connections(server)] == [1008]
    assert_transcript_is_script(stream(engine, webm), webm.script)


@pytest.mark.timeout(30)
def test_unknown_messages_are_skipped(server, engines, webm, caplog):
    caplog.set_level(logging.DEBUG, logger="live_transcriber")
    server.faults.append(Fault.unknown_messages())
    collector = stream(engines(server), webm)

    assert_transcript_is_script(collector, webm.script)
    assert not collector.of(EngineError)
    assert any("unknown type" in r.getMessage() for r in caplog.records if r.name.startswith("live_transcriber"))


@pytest.mark.timeout(30)
def test_error_messages_are_reported_and_the_stream_goes_on(server, engines, webm):
    server.faults.append(Fault.error_message(after=1.0))
    collector = stream(engines(server), webm)

    [error] = collector.of(EngineError)
    assert not error.fatal
    assert error.message == "Deepgram reported an error: Something went wrong on our side."
    assert_transcript_is_script(collector, webm.script)


WHISPERLIVEKIT_FINALIZE = (
    "Finalize is not supported by WhisperLiveKit because its ASR flush is terminal. Send CloseStream to flush and close."
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("code", [4400, None], ids=["error-then-close", "error-then-carry-on"])
def test_a_server_that_refuses_finalize_gets_closestream_and_loses_no_word(make_deepgram_server, engines, webm, code):
    # WhisperLiveKit answers Finalize with an Error and closes 4400 (code=None: a server that carries
    # on). Without endpointing, the last words become final only when flushed.
    server = make_deepgram_server(KEY, webm.script, timeout=1.5, max_final_span=60)
    refuse = Fault.refuse("Finalize", description=WHISPERLIVEKIT_FINALIZE, code=code, reason="Finalize is unsupported")
    server.faults.extend([refuse] * 10)  # on every connection: the server never supports it
    engine = engines(server, endpointing=False)
    engine.finalize_timeout = 60  # the refusal, not a timeout, must end the wait

    collector = stream(engine, webm)

    assert_transcript_is_script(collector, webm.script)
    assert not collector.of(EngineError)
    assert collector.of(EngineStatus)[-1].phase == "ready"
    # A planned new connection, not a failed attempt (no back-off, none of the attempts used).
    reconnects = [s.detail for s in collector.of(EngineStatus) if s.phase == "reconnecting"]
    assert reconnects == (["to end with CloseStream (the server refused Finalize)"] if code else [])
    connections = list(closed_connections(server))
    assert len(connections) == (2 if code else 1)
    # (A CloseStream may cross the closing server's Error on the wire.)
    assert connections[0].controls[: 1 if code else 2] == (["Finalize"] if code else ["Finalize", "CloseStream"])
    assert connections[-1].controls[-1] == "CloseStream" and connections[-1].close_code == 1000
    assert [e.duration for e in collector.of(Metadata)] == [pytest.approx(webm.duration, abs=0.05)]

    # The engine remembers: the next recording ends with CloseStream alone, on one connection.
    collector = stream(engine, webm)
    assert_transcript_is_script(collector, webm.script)
    assert not collector.of(EngineError)
    later = closed_connections(server)[len(connections) :]
    assert [[c for c in connection.controls if c != "KeepAlive"] for connection in later] == [["CloseStream"]]


@pytest.mark.timeout(60)
def test_a_server_that_greets_with_metadata_is_never_sent_finalize(make_deepgram_server, engines, webm):
    # WhisperLiveKit sends Metadata as a connection opens (Deepgram never does) and closes the
    # connection on Finalize: the greeting tells it apart before Stop, so there is nothing to refuse.
    server = make_deepgram_server(KEY, webm.script, timeout=1.5, max_final_span=60, greeting=True)
    server.faults.extend([Fault.refuse("Finalize", description=WHISPERLIVEKIT_FINALIZE)] * 10)
    engine = engines(server, endpointing=False)

    collector = stream(engine, webm)

    assert_transcript_is_script(collector, webm.script)
    assert not engine.finalize_supported
    [connection] = closed_connections(server)
    assert [c for c in connection.controls if c != "KeepAlive"] == ["CloseStream"]
    assert connection.close_code == 1000
    assert not collector.of(EngineError)


@pytest.mark.timeout(60)
def test_closestream_waits_for_a_server_still_catching_up(make_deepgram_server, engines, webm):
    # A server far behind (WhisperLiveKit on a busy CPU) may say nothing for longer than
    # close_timeout after CloseStream: the wait grows with the audio not final yet.
    server = make_deepgram_server(KEY, webm.script, timeout=5, max_final_span=60)
    server.faults.append(Fault.slow(2.0))
    engine = engines(server, endpointing=False, interim_results=False)
    engine.finalize_supported = False
    engine.close_timeout = 0.5

    collector = stream(engine, webm)

    assert_transcript_is_script(collector, webm.script)
    assert not collector.of(EngineError)
    [connection] = closed_connections(server)
    assert connection.close_code == 1000


# --- the key -------------------------------------------------------------------------------


@pytest.fixture
def no_key_anywhere(monkeypatch, tmp_path):
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.delenv("DEEPGRAM_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_missing_key_fails_at_construction(no_key_anywhere):
    message = "No Deepgram API key: pass api_key=..., set DEEPGRAM_API_KEY, or put it in a .env file"
    with pytest.raises(ValueError, match=re.escape(message)):
        DeepgramEngine()


@pytest.mark.timeout(20)
def test_key_and_url_come_from_the_environment_or_a_dotenv_file(
    no_key_anywhere, monkeypatch, make_deepgram_server, server, webm
):
    def connect_once() -> None:
        engine = DeepgramEngine()
        s = engine.open(webm.mime_type, Collector())
        s.end()
        assert s.wait(10)
        engine.close()

    (no_key_anywhere / ".env").write_text(f"DEEPGRAM_API_KEY={KEY}\nDEEPGRAM_BASE_URL={server.base_url}\n")
    assert DeepgramEngine().base_url == server.base_url
    connect_once()
    assert "DEEPGRAM_API_KEY" not in os.environ
    assert [c.status for c in server.connections] == [101]

    # The environment wins over the .env file.
    env_server = make_deepgram_server("from-env")
    monkeypatch.setenv("DEEPGRAM_API_KEY", "from-env")
    monkeypatch.setenv("DEEPGRAM_BASE_URL", env_server.base_url)
    connect_once()
    assert [c.status for c in env_server.connections] == [101]
    assert len(server.connections) == 1


@pytest.mark.timeout(30)
def test_the_key_never_leaks(make_deepgram_server, engines, webm, caplog):
    secret = "sk-VERY-SECRET-0123456789abcdef"
    caplog.set_level(logging.DEBUG)
    server = make_deepgram_server(secret, webm.script, timeout=1.5)
    server.faults.append(Fault.drop(after=2.0))
    good = engines(server, api_key=secret)
    bad_server = make_deepgram_server("another-key", webm.script)
    bad = engines(bad_server, api_key=secret)

    shown = [repr(good), str(good), good.label, repr(bad)]
    for engine in (good, bad):
        collector = stream(engine, webm)
        shown += [repr(e) for e in collector.events]
    assert any("rejected the API key" in text for text in shown)
    assert any("reconnecting" in text for text in shown)

    formatter = logging.Formatter()
    logged = [formatter.format(record) for record in caplog.records]
    assert any("Authorization" in line for line in logged), "the handshake should be logged at DEBUG"
    for text in shown + logged:
        assert secret not in text
        assert secret[-8:] not in text
    # The SDK's exceptions carry the request headers: none of their text reaches the events.
    assert not any("Authorization" in text or "Token" in text for text in shown)


# --- through the widget: the same traits as the offline engine, errors in w.error ---------------


def widget_for(server: DeepgramServer | None, **options: object):
    from live_transcriber import LiveTranscriber

    if server is not None:
        options.setdefault("base_url", server.base_url)
    return LiveTranscriber(engine="deepgram", **options)


def feed(w, recording: Recording) -> None:
    for chunk in recording.chunks():
        w.feed(chunk, recording.mime_type)
        time.sleep(CHUNK / SPEED)
    w.end_feed()
    assert w.wait(20)


def test_the_widget_relays_to_deepgram_and_fills_its_traits(server, webm):
    w = widget_for(server, api_key=KEY)
    assert w.engine_label == "Deepgram · nova-3"
    seen: list[Result] = []
    w.on_result(seen.append)
    feed(w, webm)
    assert w.transcript.lower().replace(".", "").replace(",", "").split() == [word for word, _, _ in webm.script]
    assert w.status == "idle" and w.error == "" and w.interim == ""
    assert any(not r.is_final for r in seen) and any(r.speech_final for r in seen)
    words = [word for r in w.results for word in r["words"]]
    assert [round(x["start"], 1) for x in words] == [round(s, 1) for _, s, _ in webm.script]
    w.close()


def test_auto_picks_deepgram_when_a_key_is_in_a_dotenv_file(server, webm, tmp_path, monkeypatch):
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"DEEPGRAM_API_KEY={KEY}\nDEEPGRAM_BASE_URL={server.base_url}\n")
    from live_transcriber import LiveTranscriber

    w = LiveTranscriber()
    assert w.engine_label.startswith("Deepgram")
    feed(w, webm)
    assert len(w.transcript.split()) == len(webm.script)
    assert "DEEPGRAM_API_KEY" not in os.environ
    w.close()


def test_deepgram_without_a_key_is_an_error_in_the_widget(monkeypatch, tmp_path, webm):
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    w = widget_for(None)
    assert w.status == "error" and "No Deepgram API key" in w.error
    w.feed(webm.chunks()[0], webm.mime_type)  # pressing Start says it again, the kernel is unharmed
    assert w.status == "error" and "No Deepgram API key" in w.error
    assert w.wait(1)


def test_a_rejected_key_shows_in_the_widget_and_never_leaks(server, webm):
    secret = "sk-live-0123456789abcdef-SECRET"
    w = widget_for(server, api_key=secret)
    feed(w, webm)
    assert w.status == "error" and "rejected the API key (401)" in w.error
    state = w.get_state()
    for text in [repr(w), str(state), w.error, w.transcript]:
        assert secret not in text and secret[-8:] not in text
    w.close()

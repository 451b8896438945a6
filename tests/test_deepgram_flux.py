"""Flux (``model="flux-general-en"``, ``/v2/listen``) with the real SDK against the test server: turns
mapped onto interim/final/speech_final, ForceEndTurn on Stop, CloseStream that ends no turn, PCM for
containers Flux does not take, keyterms, and the same lossless reconnections as Nova."""

from __future__ import annotations

import re

import pytest

from live_transcriber import Transcriber
from live_transcriber.engines.deepgram import DeepgramEngine
from live_transcriber.results import EngineError, EngineStatus, Result, SpeechStarted
from live_transcriber.testing.deepgram_server import DeepgramServer, Fault, paced_script

from deepgram_support import (
    KEY,
    Collector,
    Recording,
    assert_transcript_is_script,
    audio_gaps,
    closed_connections,
    encode,
    sentence_spans,
    stream,
)

FLUX = "flux-general-en"


@pytest.fixture
def server(make_deepgram_server, webm: Recording) -> DeepgramServer:
    return make_deepgram_server(KEY, webm.script, timeout=1.5)


def flux(engines, server: DeepgramServer, **options: object) -> DeepgramEngine:
    return engines(server, model=FLUX, **options)


def finals(collector: Collector) -> list[Result]:
    return [r for r in collector.of(Result) if r.is_final]


def events(server: DeepgramServer, connection: int = 0) -> list[str]:
    """The TurnInfo events (else message types) the server sent on a connection."""
    return [m.get("event", m["type"]) for m in server.connections[connection].sent]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("container", "query"),
    [
        ("webm", {}),  # the browser's containers go as they are
        ("ogg", {}),
        ("mp4", {"encoding": ["linear16"], "sample_rate": ["16000"]}),  # Safari's: PCM made in the kernel
    ],
)
def test_each_turn_is_an_utterance(make_deepgram_server, engines, speech, container, query):
    recording = encode(speech, container)
    server = make_deepgram_server(KEY, recording.script, timeout=1.5)

    collector = stream(flux(engines, server), recording)

    assert_transcript_is_script(collector, recording.script)
    assert collector.transcript.text == "Please call stella. Ask her to bring these things. With her from the store."
    # One final per turn (a sentence), ending an utterance; the turn's words before it are interim.
    assert [(r.text, r.speech_final) for r in finals(collector)] == [
        ("Please call stella.", True), ("Ask her to bring these things.", True), ("With her from the store.", True),
    ]
    assert any(not r.is_final for r in collector.of(Result))
    assert [e.timestamp for e in collector.of(SpeechStarted)] == pytest.approx(
        [start for start, _ in sentence_spans(recording.script)], abs=0.06
    )
    [connection] = closed_connections(server)
    assert connection.path == "/v2/listen"
    assert connection.params == {"model": [FLUX], **query}
    assert connection.controls == ["CloseStream"]  # no turn open at the end: no ForceEndTurn
    assert connection.close_code == 1005  # Flux closes with no status code
    assert audio_gaps(server.connections, recording.duration) < 0.05
    assert not collector.of(EngineError)


@pytest.mark.timeout(60)
def test_stop_ends_the_turn_in_progress_with_force_end_turn(server, engines, webm):
    # eot_threshold=1 turns Flux's own end-of-turn off: the whole recording is one turn.
    collector = stream(flux(engines, server, eot_threshold=1.0, eot_timeout_ms=60000), webm)

    assert_transcript_is_script(collector, webm.script)
    [final] = finals(collector)
    assert final.speech_final and final.from_finalize
    [connection] = closed_connections(server)
    assert connection.params["eot_threshold"] == ["1.0"] and connection.params["eot_timeout_ms"] == ["60000"]
    assert connection.controls == ["ForceEndTurn", "CloseStream"]
    assert events(server)[-1] == "EndOfTurn" and connection.sent[-1]["trigger"] == "manual"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "fault", [Fault.ignore("ForceEndTurn"), Fault.refuse("ForceEndTurn", code=None)], ids=["ignored", "refused"]
)
def test_without_force_end_turn_the_last_update_is_final(server, engines, webm, fault):
    # CloseStream ends no turn: the server's last Update holds the last words, and they count.
    server.faults.append(fault)
    engine = flux(engines, server, eot_threshold=1.0, eot_timeout_ms=60000)
    engine.finalize_timeout = 0.5

    collector = stream(engine, webm)

    assert_transcript_is_script(collector, webm.script)
    [final] = finals(collector)
    assert final.speech_final
    assert events(server)[-1] == "Update"
    assert not collector.of(EngineError)


@pytest.mark.timeout(60)
def test_thresholds_are_query_parameters_and_eager_turns_may_resume(make_deepgram_server, engines, webm):
    # Sentences 0.2 s apart: EagerEndOfTurn 0.15 s after one, then the next starts before Flux's
    # end of turn (0.3 s): TurnResumed, and the turn goes on.
    script = paced_script("please call stella. ask her to bring these things. with her from the store", pause=0.2)
    server = make_deepgram_server(KEY, script, timeout=1.5)

    collector = stream(flux(engines, server, eager_eot_threshold=0.5, eot_threshold=0.8, eot_timeout_ms=3000), webm)

    [connection] = closed_connections(server)
    assert connection.params == {
        "model": [FLUX], "eager_eot_threshold": ["0.5"], "eot_threshold": ["0.8"], "eot_timeout_ms": ["3000"],
    }
    sent = [e for e in events(server) if e != "Update"]
    # Eager at both pauses between sentences, resumed; eager again after the last word, then the end.
    assert sent[-2:] == ["EagerEndOfTurn", "EndOfTurn"]
    assert sent.count("EagerEndOfTurn") == 3 and sent.count("TurnResumed") == 2
    assert [w.word for w in collector.transcript.words] == [w for w, _, _ in script]
    assert len(finals(collector)) == 1


@pytest.mark.timeout(90)
@pytest.mark.parametrize("container", ["webm", "mp4"])
@pytest.mark.parametrize(
    "faults",
    [[Fault.drop(after=3.0)], [Fault.close(1011, after=2.0), Fault.drop(after=2.5)]],
    ids=["drop", "close-then-drop"],
)
def test_reconnects_lose_and_repeat_no_word(make_deepgram_server, engines, speech, container, faults):
    recording = encode(speech, container)
    server = make_deepgram_server(KEY, recording.script, timeout=1.5)
    server.faults.extend(faults)

    collector = stream(flux(engines, server), recording)

    assert_transcript_is_script(collector, recording.script)
    assert len(closed_connections(server)) == len(faults) + 1
    assert "reconnecting" in [e.phase for e in collector.of(EngineStatus)]
    assert audio_gaps(server.connections, recording.duration) < 0.05


@pytest.mark.timeout(60)
def test_without_keepalive_flux_closes_while_no_audio_flows_and_reopens(server, engines, webm):
    # Flux has no KeepAlive: after keepalive_interval without audio (0.3 s here) the engine ends
    # the turn and closes, and opens a new connection when audio comes again.
    collector = stream(flux(engines, server), webm, pause_after=1.5, pause=1.0)

    assert_transcript_is_script(collector, webm.script)
    connections = closed_connections(server)
    assert len(connections) == 2
    assert connections[0].controls == ["ForceEndTurn", "CloseStream"]
    assert "reconnecting" not in [e.phase for e in collector.of(EngineStatus)]
    assert not collector.of(EngineError)


@pytest.mark.timeout(60)
def test_keyterms_go_with_configure(make_deepgram_server, engines, webm):
    server = make_deepgram_server(KEY, webm.script, timeout=1.5, misheard={"store": "star"})

    collector = stream(flux(engines, server, keyterms=["Stella"]), webm, at={6.0: lambda s: s.set_keyterms(("store",))})

    assert [w.word for w in collector.transcript.words][-1] == "store"
    [connection] = closed_connections(server)
    assert connection.params["keyterm"] == ["Stella"] and connection.configures == [["store"]]
    [answer] = [m for m in connection.sent if m["type"] == "ConfigureSuccess"]
    assert answer["keyterms"] == ["store"]


@pytest.mark.timeout(30)
def test_audio_that_cannot_be_transcoded_is_a_clear_error(server, engines):
    collector = Collector()
    s = flux(engines, server).open("audio/mp4", collector)
    s.write(b"\x00\x00\x00\x18ftypmp42" + b"\x07" * 4000)
    s.end()
    assert s.wait(20)

    [error] = collector.of(EngineError)
    assert error.fatal and error.message.startswith("Could not decode the browser's recording (audio/mp4)")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"model": FLUX, "diarize": True}, "Flux (flux-general-en) has no diarize"),
        ({"model": FLUX, "endpointing": 300, "language": "de"}, "has no language, endpointing"),
        ({"model": FLUX, "eot_threshold": 0.2}, "eot_threshold must be between 0.5 and 1.0"),
        ({"model": FLUX, "eot_timeout_ms": 100}, "eot_timeout_ms must be between 500 and 60000"),
        ({"model": "nova-3", "eager_eot_threshold": 0.5}, "eager_eot_threshold are Flux options"),
    ],
)
def test_options_that_do_not_fit_the_model_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DeepgramEngine(api_key=KEY, **options)


def test_flux_takes_the_nova_defaults_quietly():
    engine = DeepgramEngine(api_key=KEY, model=FLUX, language="en", punctuate=True)
    assert engine.flux and engine.label == "Deepgram · flux-general-en"


@pytest.mark.timeout(60)
def test_a_wav_file_through_the_transcriber(server, speech, tmp_path):
    wav, _ = speech
    path = tmp_path / "speech.wav"
    path.write_bytes(wav)
    t = Transcriber("deepgram", api_key=KEY, base_url=server.base_url, model=FLUX, journal=None)

    text = t.transcribe_file(path)

    assert text == "Please call stella. Ask her to bring these things. With her from the store."
    assert server.connections[-1].params["encoding"] == ["linear16"]
    t.close()

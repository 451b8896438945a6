"""FluxProtocol: Flux's turn messages (the SDK's own types) to events, across reconnections, no socket."""

from __future__ import annotations

from typing import Any

import pytest
from deepgram.listen.v2 import (
    ListenV2ConfigureFailure,
    ListenV2ConfigureSuccess,
    ListenV2Connected,
    ListenV2FatalError,
    ListenV2TurnInfo,
    ListenV2Warning,
)

from live_transcriber.engines.deepgram_protocol import FluxProtocol, Reply
from live_transcriber.media.formats import LINEAR16
from live_transcriber.results import EngineError, Result, SpeechStarted, Word

SECOND = 2 * 16000  # bytes of LINEAR16 audio per second


def turn(event: str, words: list[tuple[str, float | None, float | None]], start: float, end: float, **more: Any):
    items = [{"word": w, "confidence": 0.9, **({"start": s} if s is not None else {}), **({"end": e} if e is not None else {})}
             for w, s, e in words]
    return ListenV2TurnInfo.construct(
        type="TurnInfo", request_id="r", sequence_id=1, event=event, turn_index=0, audio_window_start=start,
        audio_window_end=end, transcript=" ".join(w for w, _, _ in words), words=items, end_of_turn_confidence=0.5,
        **more,
    )


def protocol(seconds: float = 10.0) -> FluxProtocol:
    p = FluxProtocol(LINEAR16)
    p.feed(bytes(round(seconds * SECOND)))
    p.connect()
    return p


def word(text: str, start: float, end: float) -> Word:
    return Word(text.lower().strip(".,"), start, end, 0.9, text)


HELLO = ("Hello", 0.2, 0.5)
WORLD = ("world.", 0.6, 0.9)


def test_a_turn_is_interim_until_its_end_which_ends_an_utterance():
    p = protocol()
    start = p.receive(turn("StartOfTurn", [HELLO], 0.2, 0.5))
    update = p.receive(turn("Update", [HELLO, WORLD], 0.2, 1.0))
    end = p.receive(turn("EndOfTurn", [HELLO, WORLD], 0.2, 1.2, trigger="model"))

    assert start == Reply(events=(SpeechStarted(0.2), Result("Hello", 0.2, 0.5, (word(*HELLO),))))
    assert update == Reply(events=(Result("Hello world.", 0.2, 1.0, (word(*HELLO), word(*WORLD))),))
    assert end == Reply(events=(Result("Hello world.", 0.2, 1.2, (word(*HELLO), word(*WORLD)), is_final=True,
                                       speech_final=True),))
    assert p.safe == 0.9 and not p.turn_open


@pytest.mark.parametrize("event", ["EagerEndOfTurn", "TurnResumed"])
def test_eager_ends_and_resumptions_are_interim(event):
    p = protocol()
    p.receive(turn("StartOfTurn", [HELLO], 0.2, 0.5))
    [result] = p.receive(turn(event, [HELLO], 0.2, 0.7)).events
    assert not result.is_final and p.turn_open and p.safe == 0.0


def test_words_without_times_share_the_window():
    p = protocol()
    [_, result] = p.receive(turn("StartOfTurn", [("One", None, None), ("two", None, None)], 1.0, 2.0)).events
    assert [(w.start, w.end) for w in result.words] == [(1.0, 1.5), (1.5, 2.0)]


def test_force_end_turn_is_answered_by_a_manual_end():
    p = protocol()
    p.receive(turn("StartOfTurn", [HELLO], 0.2, 0.5))
    p.finalize_sent()
    reply = p.receive(turn("EndOfTurn", [HELLO], 0.2, 0.6, trigger="manual"))
    assert reply.finalized and reply.events[0].from_finalize


def test_after_a_reconnection_times_are_shifted_and_final_words_dropped():
    p = FluxProtocol("audio/webm;codecs=opus")
    # A WebM skeleton with Clusters at 0, 1, 2 and 3 s (see test_deepgram_protocol.py).
    clusters = [bytes.fromhex("1f43b675 01ffffffffffffff e7 82") + round(t * 1000).to_bytes(2, "big") for t in range(4)]
    p.feed(bytes.fromhex("1a45dfa3 80 18538067 01ffffffffffffff") + b"".join(clusters))
    p.connect()
    p.receive(turn("EndOfTurn", [("One.", 2.1, 2.4)], 2.0, 2.5, trigger="model"))
    p.connect()  # replays from the Cluster at 2 s: "One" is heard again
    assert p.shift == 2.0
    [result] = p.receive(turn("Update", [("One", 0.1, 0.4), ("two", 0.6, 0.9)], 0.0, 1.0)).events
    assert result.text == "two" and result.words == (word("two", 2.6, 2.9),)


def test_pcm_is_replayed_from_the_last_final_word():
    p = protocol()
    p.receive(turn("EndOfTurn", [("One.", 2.1, 2.4)], 2.0, 2.5, trigger="model"))
    replay = p.connect()  # raw PCM can be entered anywhere (every 0.1 s): at 2.4 s
    assert p.shift == pytest.approx(2.4) and len(replay) == round(7.6 * SECOND)


def test_closing_makes_the_open_turn_final_once():
    p = protocol()
    p.receive(turn("Update", [HELLO], 0.2, 0.6))
    [final] = p.closed().events
    assert final.is_final and final.speech_final and final.text == "Hello"
    assert p.closed() == Reply() and p.safe == 0.5


def test_closing_between_turns_adds_nothing():
    p = protocol()
    p.receive(turn("EndOfTurn", [HELLO], 0.2, 0.6, trigger="model"))
    assert p.closed() == Reply()


def test_configure_answers():
    p = protocol()
    p.configure_sent()
    ok = ListenV2ConfigureSuccess.construct(type="ConfigureSuccess", request_id="r", sequence_id=2, keyterms=["x"],
                                            thresholds={})
    assert p.receive(ok) == Reply(configure="applied")
    p.configure_sent()
    no = ListenV2ConfigureFailure.construct(type="ConfigureFailure", request_id="r", sequence_id=3, code="BAD",
                                            description="Too many keyterms.")
    assert p.receive(no) == Reply(
        events=(EngineError("Deepgram did not apply the new keyterms: Too many keyterms. The previous ones stay in use.",
                            fatal=False),),
        configure="rejected",
    )


@pytest.mark.parametrize(
    ("pending", "reply"),
    [
        ("configure", Reply(configure="unsupported")),
        ("finalize", Reply(finalize_refused=True)),
        (None, Reply(events=(EngineError("Deepgram reported an error: Oops.", fatal=False),))),
    ],
)
def test_an_error_answers_what_is_pending(pending, reply):
    p = protocol()
    if pending == "configure":
        p.configure_sent()
    elif pending == "finalize":
        p.finalize_sent()
    error = ListenV2FatalError.construct(type="Error", sequence_id=1, code="X", description="Oops.")
    assert p.receive(error) == reply


def test_warnings_and_connected_make_no_event_but_an_unsupported_force_end_turn_is_refused():
    p = protocol()
    connected = ListenV2Connected.construct(type="Connected", request_id="r", sequence_id=0)
    warning = ListenV2Warning.construct(type="Warning", request_id="r", sequence_id=1, code="FORCE_END_TURN_UNSUPPORTED",
                                        description="No.")
    assert p.receive(connected) == Reply() and p.receive(warning) == Reply() and p.receive(None) == Reply()
    p.finalize_sent()
    assert p.receive(warning) == Reply(finalize_refused=True)

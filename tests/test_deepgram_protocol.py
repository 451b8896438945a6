"""DeepgramProtocol: Deepgram's messages (the SDK's own types) to events, across reconnections, no socket."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from deepgram.listen.v1 import (
    ListenV1ConfigureFailure,
    ListenV1ConfigureSuccess,
    ListenV1Error,
    ListenV1Metadata,
    ListenV1Results,
    ListenV1SpeechStarted,
    ListenV1UtteranceEnd,
)

from live_transcriber.engines.deepgram_protocol import DeepgramProtocol, Reply, ServerMessage
from live_transcriber.results import EngineError, Metadata, Result, SpeechStarted, UtteranceEnd, Word

MIME = "audio/webm;codecs=opus"
# WebM element heads: ID, then a size ("unknown" for the Segment and Clusters, as MediaRecorder writes).
_EBML_HEADER = bytes.fromhex("1a45dfa3 80")  # an empty EBML header element
_SEGMENT = bytes.fromhex("18538067 01ffffffffffffff")
_CLUSTER = bytes.fromhex("1f43b675 01ffffffffffffff")


def webm(cluster_times: list[float]) -> tuple[bytes, list[int]]:
    """A WebM skeleton with one empty Cluster starting at each time, and each Cluster's offset.

    Enough for the replay buffer, which only looks for entry points; the protocol never decodes.
    """
    data, offsets = bytearray(_EBML_HEADER + _SEGMENT), []
    for t in cluster_times:
        offsets.append(len(data))
        data += _CLUSTER + bytes.fromhex("e7 82") + round(t * 1000).to_bytes(2, "big")  # Timestamp, ms
    return bytes(data), offsets


RECORDING, OFFSETS = webm([0.0, 1.0, 2.0, 3.0, 4.0])
HEADER = RECORDING[: OFFSETS[0]]


def word(text: str, start: float, end: float, **more: Any) -> dict[str, Any]:
    return {"word": text, "start": start, "end": end, "confidence": 0.9, "punctuated_word": text.title(), **more}


def results(
    words: list[dict[str, Any]],
    start: float,
    duration: float,
    *,
    is_final: bool = True,
    speech_final: bool = False,
    from_finalize: bool = False,
    transcript: str | None = None,
) -> ListenV1Results:
    """A ``Results`` message as the SDK parses it (``construct``: unvalidated), in the connection's time."""
    if transcript is None:
        transcript = " ".join(w["punctuated_word"] for w in words)
    return ListenV1Results.construct(
        type="Results",
        channel_index=[0, 1],
        start=start,
        duration=duration,
        is_final=is_final,
        speech_final=speech_final,
        from_finalize=from_finalize,
        channel={"alternatives": [{"transcript": transcript, "confidence": 0.9, "words": words}]},
        metadata={"request_id": "r", "model_info": {"name": "n", "version": "v", "arch": "a"}, "model_uuid": "u"},
    )


def metadata(duration: float) -> ListenV1Metadata:
    return ListenV1Metadata.construct(
        type="Metadata", transaction_key="k", request_id="req-1", sha256="0" * 64, created="2026-11-25", duration=duration,
        channels=1,
    )


def configure_failure(code: str, description: str) -> ListenV1ConfigureFailure:
    return ListenV1ConfigureFailure.construct(type="ConfigureFailure", request_id="r", code=code, description=description)


@dataclass
class Case:
    """Messages on connections one after another; what the last message means.

    Every connection but the last ends (drops) after its messages; the whole recording was fed
    before the first connection.
    """

    connections: list[list[ServerMessage | None]]
    reply: Reply
    finalize_on: int | None = None  # Finalize was sent at the start of this connection (its index)
    configure_on: int | None = None  # likewise Configure
    close_on: int | None = None  # likewise CloseStream
    shift: float = 0.0  # where the last connection's time 0 is in the recording
    replayed_from: int | None = None  # offset in RECORDING of the media the last connection was sent (first cluster)
    scrub: dict[str, str] = field(default_factory=dict)


HELLO = word("hello", 0.2, 0.5)
WORLD = word("world", 0.6, 0.9)

CASES = {
    "an interim result": Case(
        [[results([HELLO], 0.0, 0.6, is_final=False)]],
        Reply(events=(Result("Hello", 0.0, 0.6, (Word("hello", 0.2, 0.5, 0.9, "Hello"),)),)),
    ),
    "a final result, end of an utterance": Case(
        [[results([HELLO, WORLD], 0.0, 1.0, speech_final=True)]],
        Reply(events=(Result(
            "Hello World", 0.0, 1.0,
            (Word("hello", 0.2, 0.5, 0.9, "Hello"), Word("world", 0.6, 0.9, 0.9, "World")),
            is_final=True, speech_final=True,
        ),)),
    ),
    "speakers are kept": Case(
        [[results([word("hi", 0.1, 0.3, speaker=1)], 0.0, 0.4)]],
        Reply(events=(Result("Hi", 0.0, 0.4, (Word("hi", 0.1, 0.3, 0.9, "Hi", speaker=1),), is_final=True),)),
    ),
    "the answer to Finalize": Case(
        [[results([HELLO], 0.0, 0.7, from_finalize=True)]],
        Reply(
            events=(Result("Hello", 0.0, 0.7, (Word("hello", 0.2, 0.5, 0.9, "Hello"),), is_final=True,
                           from_finalize=True),),
            finalized=True,
        ),
    ),
    "a reconnection's times are shifted to the replay's start": Case(
        # Final up to 2.4 s, then a drop: the next connection starts at the 2 s cluster.
        [[results([word("one", 2.1, 2.4)], 0.0, 2.5)], [results([word("two", 0.6, 0.9)], 0.0, 1.0)]],
        Reply(events=(Result("Two", 2.0, 3.0, (Word("two", 2.6, 2.9, 0.9, "Two"),), is_final=True),)),
        shift=2.0,
        replayed_from=OFFSETS[2],
    ),
    "words heard again after a replay are dropped": Case(
        # The replay from 2 s hears "one" (2.1-2.4) again, already final: only "two" is new.
        [[results([word("one", 2.1, 2.4)], 0.0, 2.5)],
         [results([word("one", 0.1, 0.4), word("two", 0.6, 0.9)], 0.0, 1.0)]],
        Reply(events=(Result("Two", 2.0, 3.0, (Word("two", 2.6, 2.9, 0.9, "Two"),), is_final=True),)),
        shift=2.0,
        replayed_from=OFFSETS[2],
    ),
    "an interim result after a replay drops final words too": Case(
        [[results([word("one", 2.1, 2.4)], 0.0, 2.5)],
         [results([word("one", 0.1, 0.4), word("tw", 0.6, 0.8)], 0.0, 0.8, is_final=False)]],
        Reply(events=(Result("Tw", 2.0, 2.8, (Word("tw", 2.6, 2.8, 0.9, "Tw"),)),)),
        shift=2.0,
        replayed_from=OFFSETS[2],
    ),
    "an empty final makes its whole span safe": Case(
        # Silence to 3.2 s is final: the next connection replays from the 3 s cluster.
        [[results([], 0.0, 3.2)], []],
        Reply(),
        shift=3.0,
        replayed_from=OFFSETS[3],
    ),
    "interim results make nothing safe": Case(
        [[results([word("one", 2.1, 2.4)], 0.0, 2.5, is_final=False)], []],
        Reply(),
    ),
    "UtteranceEnd": Case(
        [[], [ListenV1UtteranceEnd.construct(type="UtteranceEnd", channel=[0, 1], last_word_end=0.9)]],
        Reply(events=(UtteranceEnd(last_word_end=0.9),)),
    ),
    "UtteranceEnd after a reconnection": Case(
        [[results([], 0.0, 1.5)], [ListenV1UtteranceEnd.construct(type="UtteranceEnd", channel=[0, 1], last_word_end=0.9)]],
        Reply(events=(UtteranceEnd(last_word_end=1.9),)),
        shift=1.0,
        replayed_from=OFFSETS[1],
    ),
    "SpeechStarted after a reconnection": Case(
        [[results([], 0.0, 1.5)], [ListenV1SpeechStarted.construct(type="SpeechStarted", channel=[0], timestamp=0.25)]],
        Reply(events=(SpeechStarted(timestamp=1.25),)),
        shift=1.0,
        replayed_from=OFFSETS[1],
    ),
    "Metadata after CloseStream: the duration heard, on the recording's timeline": Case(
        [[results([], 0.0, 1.5)], [metadata(3.5)]],
        Reply(
            events=(Metadata(duration=4.5, details={"request_id": "req-1", "channels": 1, "created": "2026-11-25"}),),
            flushed=True,
        ),
        shift=1.0,
        replayed_from=OFFSETS[1],
        close_on=1,
    ),
    "Metadata when a connection opens is a greeting, not a flush (WhisperLiveKit's way)": Case(
        [[metadata(0.0)]],
        Reply(
            events=(Metadata(duration=0.0, details={"request_id": "req-1", "channels": 1, "created": "2026-11-25"}),),
            greeting=True,
        ),
    ),
    "Metadata after results but before CloseStream is neither": Case(
        [[results([], 0.0, 1.0), metadata(1.0)]],
        Reply(events=(Metadata(duration=1.0, details={"request_id": "req-1", "channels": 1, "created": "2026-11-25"}),)),
    ),
    "an Error is a notice, the key scrubbed": Case(
        [[ListenV1Error.construct(type="Error", variant="internal", description="token sk-123 is bad")]],
        Reply(events=(EngineError("Deepgram reported an error: token *** is bad", fatal=False),)),
        scrub={"sk-123": "***"},
    ),
    "an Error with only a message": Case(
        [[ListenV1Error.construct(type="Error", message="Internal error.")]],
        Reply(events=(EngineError("Deepgram reported an error: Internal error.", fatal=False),)),
    ),
    "an Error while Finalize is unanswered refuses it (WhisperLiveKit)": Case(
        [[ListenV1Error.construct(type="Error", description="Finalize is not supported by WhisperLiveKit.")]],
        Reply(finalize_refused=True),
        finalize_on=0,
    ),
    "an Error after the answer to Finalize is a notice": Case(
        [[results([], 0.0, 1.0, from_finalize=True), ListenV1Error.construct(type="Error", description="Oops.")]],
        Reply(events=(EngineError("Deepgram reported an error: Oops.", fatal=False),)),
        finalize_on=0,
    ),
    "an Error on the next connection after Finalize is a notice": Case(
        [[], [ListenV1Error.construct(type="Error", description="Oops.")]],
        Reply(events=(EngineError("Deepgram reported an error: Oops.", fatal=False),)),
        finalize_on=0,
    ),
    "a message type the SDK does not know": Case([[None]], Reply()),
    "the answer to Configure": Case(
        [[ListenV1ConfigureSuccess.construct(type="ConfigureSuccess", request_id="r", keyterms=["Stella"])]],
        Reply(configure="applied"),
        configure_on=0,
    ),
    "a model without keyterms: the previous ones stay": Case(
        [[configure_failure("CONFIGURE_KEYTERMS_NOT_SUPPORTED", "nova-2 does not support keyterms")]],
        Reply(
            events=(EngineError("Deepgram did not apply the new keyterms: nova-2 does not support keyterms. "
                                "The previous ones stay in use.", fatal=False),),
            configure="rejected",
        ),
        configure_on=0,
    ),
    "too many keyterms: the previous ones stay": Case(
        [[configure_failure("CONFIGURE_KEYTERM_LIMIT_EXCEEDED", "over 500 tokens")]],
        Reply(
            events=(EngineError("Deepgram did not apply the new keyterms: over 500 tokens. The previous ones stay in use.",
                                fatal=False),),
            configure="rejected",
        ),
        configure_on=0,
    ),
    "a server fault on Configure: a new connection carries the keyterms": Case(
        [[configure_failure("CONFIGURE_INTERNAL_ERROR", "oops")]],
        Reply(configure="failed"),
        configure_on=0,
    ),
    "another Configure pending: wait for its answer": Case(
        [[configure_failure("CONFIGURE_ALREADY_PENDING", "wait")]],
        Reply(),
        configure_on=0,
    ),
    "an Error while Configure is unanswered: the server does not take it": Case(
        [[ListenV1Error.construct(type="Error", description="Unknown message type Configure.")]],
        Reply(configure="unsupported"),
        configure_on=0,
    ),
    "an older server's Error for a model without keyterms": Case(
        [[ListenV1Error.construct(type="Error", variant="KeytermsNotSupported", description="Not for nova-2.")]],
        Reply(
            events=(EngineError("Deepgram did not apply the new keyterms: Not for nova-2. The previous ones stay in use.",
                                fatal=False),),
            configure="rejected",
        ),
        configure_on=0,
    ),
    "an Error on a new connection after Configure is a notice": Case(
        [[], [ListenV1Error.construct(type="Error", description="Oops.")]],
        Reply(events=(EngineError("Deepgram reported an error: Oops.", fatal=False),)),
        configure_on=0,
    ),
}


def replay_connections(case: Case) -> tuple[DeepgramProtocol, bytes, Reply]:
    def scrub(text: str) -> str:
        for secret, shown in case.scrub.items():
            text = text.replace(secret, shown)
        return text

    protocol = DeepgramProtocol(MIME, scrub)
    protocol.feed(RECORDING)
    reply, replay = Reply(), b""
    for i, messages in enumerate(case.connections):
        reply, replay = Reply(), protocol.connect()
        if case.finalize_on == i:
            protocol.finalize_sent()
        if case.configure_on == i:
            protocol.configure_sent()
        if case.close_on == i:
            protocol.close_sent()
        for message in messages:
            reply = protocol.receive(message)
    return protocol, replay, reply


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_what_a_message_means(case):
    protocol, replay, reply = replay_connections(case)

    assert reply == case.reply
    assert protocol.shift == case.shift
    assert replay == HEADER + RECORDING[OFFSETS[0] if case.replayed_from is None else case.replayed_from :]


def test_unknown_messages_are_logged_and_skipped(caplog):
    caplog.set_level(logging.DEBUG, logger="live_transcriber")
    protocol = DeepgramProtocol(MIME)
    assert protocol.receive(None) == Reply()
    assert "unknown type" in caplog.text


def test_audio_goes_out_once_and_a_new_connection_replays_what_is_not_final():
    protocol = DeepgramProtocol(MIME)
    protocol.feed(RECORDING[: OFFSETS[2]])
    assert protocol.connect() == RECORDING[: OFFSETS[2]]  # nothing final yet: all of it, from byte 0
    assert protocol.audio_to_send() == b""
    protocol.feed(RECORDING[OFFSETS[2] : OFFSETS[3]])
    protocol.feed(RECORDING[OFFSETS[3] :])
    assert protocol.audio_to_send() == RECORDING[OFFSETS[2] :]
    assert protocol.audio_to_send() == b""

    protocol.receive(results([word("one", 2.1, 2.4)], 0.0, 2.5))
    assert protocol.safe == 2.4
    assert protocol.connect() == HEADER + RECORDING[OFFSETS[2] :]
    assert protocol.shift == 2.0
    protocol.feed(b"more")
    assert protocol.audio_to_send() == b"more"


def test_safe_never_moves_back():
    protocol = DeepgramProtocol(MIME)
    protocol.feed(RECORDING)
    protocol.connect()
    protocol.receive(results([word("one", 2.1, 2.4)], 0.0, 2.5))
    protocol.connect()  # from 2.0 s
    protocol.receive(results([word("one", 0.1, 0.4)], 0.0, 0.3))  # heard again, ends before 2.4 s
    assert protocol.safe == 2.4


def test_a_stream_not_understood_is_replayed_whole_at_its_own_times():
    protocol = DeepgramProtocol("audio/wav")
    protocol.feed(b"RIFF" + bytes(100))
    protocol.connect()
    protocol.receive(results([word("one", 2.1, 2.4)], 0.0, 2.5))

    assert protocol.connect() == b"RIFF" + bytes(100)
    assert protocol.shift == 0.0
    # The replay starts at 0 again: what was final is heard again and dropped.
    [result] = protocol.receive(results([word("one", 2.1, 2.4), word("two", 2.6, 2.9)], 0.0, 3.0)).events
    assert [w.word for w in result.words] == ["two"]

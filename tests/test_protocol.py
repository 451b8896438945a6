import pytest

from live_transcriber.protocol import (
    MAX_RECOVER,
    MAX_SKIP,
    AddBookmark,
    Audio,
    BrowserProtocol,
    ClientError,
    Command,
    Edit,
    EndRecording,
    Problem,
    Recover,
    RenameSpeaker,
    SendAudio,
    StartRecording,
)

START = {"type": "start", "recording": "s1", "mime_type": "audio/webm;codecs=opus"}


def chunk(seq, stream="s1"):
    return {"type": "chunk", "recording": stream, "seq": seq}


def audio(actions):
    return [a.seq for a in actions if isinstance(a, Audio)]


def problems(actions):
    return [a.message for a in actions if isinstance(a, Problem)]


@pytest.fixture
def session():
    s = BrowserProtocol(max_reorder=4)
    assert s.handle(START) == [StartRecording("audio/webm;codecs=opus")]
    return s


def test_in_order_chunks_pass_through_as_bytes(session):
    out = session.handle(chunk(0), [memoryview(b"abc")])
    assert out == [Audio(b"abc", 0)]
    assert isinstance(out[0].data, bytes)
    assert session.handle(chunk(1), [bytearray(b"de")]) == [Audio(b"de", 1)]
    assert session.counters.bytes == 5


def test_out_of_order_chunks_are_reordered(session):
    assert session.handle(chunk(1), [b"1"]) == []
    assert session.handle(chunk(2), [b"2"]) == []
    assert audio(session.handle(chunk(0), [b"0"])) == [0, 1, 2]


def test_duplicates_are_dropped_silently(session):
    session.handle(chunk(0), [b"0"])
    assert session.handle(chunk(0), [b"0"]) == []
    session.handle(chunk(2), [b"2"])
    assert session.handle(chunk(2), [b"2"]) == []
    assert session.counters.duplicates == 2


def test_a_gap_is_reported_once_too_many_chunks_wait(session):
    out = []
    for seq in [0, 2, 3, 4, 5, 6]:
        out += session.handle(chunk(seq), [bytes([seq])])
    assert audio(out) == [0, 2, 3, 4, 5, 6]
    assert problems(out) == ["Audio chunks 1 never arrived; about 0.25 s of audio is missing."]
    assert session.counters.lost == 1
    # The lost chunk arriving late is a duplicate now, not a reordering.
    assert session.handle(chunk(1), [b"1"]) == []


def test_stop_delivers_waiting_chunks_and_reports_gaps_including_the_tail(session):
    session.handle(chunk(0), [b"0"])
    session.handle(chunk(2), [b"2"])
    out = session.handle({"type": "stop", "recording": "s1", "chunks": 6})
    assert audio(out) == [2]
    assert problems(out) == [
        "Audio chunks 1 never arrived; about 0.25 s of audio is missing.",
        "Audio chunks 3–5 never arrived; about 0.75 s of audio is missing.",
    ]
    assert out[-1] == EndRecording()
    assert not session.open


def test_stop_without_count_ends_cleanly(session):
    session.handle(chunk(0), [b"0"])
    assert session.handle({"type": "stop", "recording": "s1"}) == [EndRecording()]
    assert session.handle({"type": "stop", "recording": "s1"}) == []


@pytest.mark.parametrize(
    "msg, buffers, expected",
    [
        ("not a dict", [], "not an object"),
        ({"type": "dance"}, [], "unknown type 'dance'"),
        (chunk(-1), [b"x"], "invalid sequence number -1"),
        (chunk("3"), [b"x"], "invalid sequence number '3'"),
        (chunk(True), [b"x"], "invalid sequence number True"),
        (chunk(0), [], "expected one binary buffer, got 0"),
        (chunk(0), [b"a", b"b"], "expected one binary buffer, got 2"),
        (chunk(0), [b""], "it is empty"),
        (chunk(0), [42], "its buffer is int"),
        (chunk(0), [b"x" * 101], "101 bytes is more than the 100 allowed"),
    ],
)
def test_bad_messages_become_problems_and_change_nothing(msg, buffers, expected):
    s = BrowserProtocol(max_chunk_bytes=100)
    s.handle(START)
    out = s.handle(msg, buffers)
    assert len(out) == 1 and isinstance(out[0], Problem) and not out[0].fatal
    assert expected in out[0].message
    assert s.handle(chunk(0), [b"ok"]) == [Audio(b"ok", 0)]


def test_audio_outside_a_recording_or_from_an_old_stream_is_ignored():
    s = BrowserProtocol()
    assert "no recording was open" in problems(s.handle(chunk(0), [b"x"]))[0]
    s.handle(START)
    assert "already ended" in problems(s.handle(chunk(0, stream="old"), [b"x"]))[0]


def test_start_needs_an_audio_type():
    out = BrowserProtocol().handle({"type": "start", "mime_type": "text/html"})
    assert len(out) == 1 and out[0].fatal and "no audio format" in out[0].message


def test_a_second_start_closes_the_first_recording_and_names_it_so_its_page_stops(session):
    session.handle(chunk(0), [b"0"])
    out = session.handle({**START, "recording": "s2"})
    assert out[:2] == [EndRecording(replaced="s1"), StartRecording("audio/webm;codecs=opus")]
    assert "previous one was closed" in problems(out)[0]
    assert session.handle(chunk(0, stream="s2"), [b"new"]) == [Audio(b"new", 0)]
    # What the first recording's page sends until it has stopped is expected: ignored quietly.
    assert session.handle(chunk(1), [b"late"]) == []
    assert session.handle({"type": "stop", "recording": "s1", "chunks": 2}) == []


def test_a_recovered_recording_says_so_and_recover_asks_about_recordings():
    s = BrowserProtocol()
    assert s.handle({**START, "recovered": True}) == [StartRecording("audio/webm;codecs=opus", recovered=True)]
    assert s.handle({**START, "recording": "s2", "recovered": "yes"})[1] == StartRecording("audio/webm;codecs=opus")
    assert s.received("s2") == 0 and s.received("s1") is None
    s.handle(chunk(0, stream="s2"), [b"0"])
    assert s.received("s2") == 1
    assert s.handle({"type": "recover", "recordings": ["a", "b", "a", "\ud800" * 300]}) == [Recover(("a", "b", "?" * 200))]


@pytest.mark.parametrize("recordings", [None, "a", [1], ["a"] * (MAX_RECOVER + 1), {"a": 1}])
def test_a_bad_recover_message_is_a_problem(recordings):
    out = BrowserProtocol().handle({"type": "recover", "recordings": recordings})
    assert len(out) == 1 and isinstance(out[0], Problem) and not out[0].fatal and "recover message" in out[0].message


def test_client_errors_are_passed_on():
    out = BrowserProtocol().handle({"type": "client_error", "kind": "permission", "message": "Microphone blocked"})
    assert out == [ClientError("permission", "Microphone blocked")]


def test_control_messages_become_commands():
    s = BrowserProtocol()
    assert s.handle({"type": "export", "format": "srt"}) == [Command("export", {"format": "srt"})]
    assert s.handle({"type": "clear"}) == [Command("clear")]
    assert s.handle({"type": "pause"}) == []  # nothing to pause
    s.handle(START)
    assert s.handle({"type": "pause"}) == [Command("pause")]
    assert s.handle({"type": "resume"}) == [Command("resume")]


# --- hostile input: every cost is bounded ---------------------------------------------------------


@pytest.mark.timeout(5)
def test_a_huge_chunk_count_in_stop_neither_hangs_nor_allocates(session):
    session.handle(chunk(0), [b"0"])
    out = session.handle({"type": "stop", "recording": "s1", "chunks": 10**18})
    assert "invalid chunk count" in problems(out)[0]
    assert out[-1] == EndRecording() and not session.open


@pytest.mark.timeout(5)
def test_a_sequence_number_far_ahead_is_refused_and_cannot_stall_a_later_stop(session):
    out = session.handle(chunk(2**31), [b"x"])
    assert "chunks ahead" in problems(out)[0]
    session.handle(chunk(MAX_SKIP), [b"far"])  # still allowed: a real, if large, gap
    out = session.handle({"type": "stop", "recording": "s1"})
    assert audio(out) == [MAX_SKIP]
    assert problems(out) == [f"Audio chunks 0–{MAX_SKIP - 1} never arrived; about {MAX_SKIP * 0.25:.2f} s of audio is missing."]
    assert session.counters.lost == MAX_SKIP


@pytest.mark.timeout(5)
def test_gaps_cost_nothing_per_missing_number():
    s = BrowserProtocol(max_reorder=2)
    s.handle(START)
    out = []
    for seq in (MAX_SKIP - 2, MAX_SKIP - 1, MAX_SKIP):
        out += s.handle(chunk(seq), [b"x"])
    assert audio(out) == [MAX_SKIP - 2, MAX_SKIP - 1, MAX_SKIP]
    assert len(problems(out)) == 1


def test_text_from_the_page_is_bounded_and_always_encodable():
    out = BrowserProtocol().handle({"type": "client_error", "kind": "\ud800" * 100, "message": "bad \udfff mic" + "x" * 5000})
    error = out[0]
    assert isinstance(error, ClientError)
    error.message.encode("utf-8")  # a lone surrogate would make the reply to the browser fail
    error.kind.encode("utf-8")
    assert error.message.startswith("bad ? mic") and len(error.message) <= 1000 and len(error.kind) <= 40


def test_after_close_the_pages_late_messages_for_that_recording_are_ignored_quietly(session):
    session.handle(chunk(0), [b"0"])
    assert session.close()[-1] == EndRecording()
    assert session.handle(chunk(1), [b"1"]) == []
    assert session.handle({"type": "stop", "recording": "s1", "chunks": 2}) == []
    assert "no recording was open" in problems(session.handle(chunk(0, stream="other"), [b"x"]))[0]


def test_a_recording_past_its_size_limit_is_ended_with_what_came_before():
    s = BrowserProtocol(max_recording_bytes=10)
    s.handle(START)
    assert audio(s.handle(chunk(0), [b"12345"])) == [0]
    out = s.handle(chunk(1), [b"1234567"])
    assert out[0].fatal and "limit" in out[0].message and out[-1] == EndRecording()
    assert not s.open and s.counters.bytes == 5


# --- review messages ------------------------------------------------------------------------------


def test_review_messages_become_typed_actions():
    s = BrowserProtocol()
    assert s.handle({"type": "edit", "index": 3, "word": 0, "text": "you?"}) == [Edit("you?", index=3, word=0)]
    assert s.handle({"type": "edit", "index": 3, "word": 0, "text": ""}) == [Edit("", index=3, word=0)]
    assert s.handle({"type": "edit", "utterance": 2, "text": "Fixed."}) == [Edit("Fixed.", utterance=2)]
    assert s.handle({"type": "edit", "utterance": 2, "speaker": 1}) == [Edit(None, utterance=2, speaker=1)]
    assert s.handle({"type": "speaker", "speaker": 0, "name": "Ana"}) == [RenameSpeaker(0, "Ana")]
    assert s.handle({"type": "bookmark", "time": 12.5}) == [AddBookmark("", time=12.5)]
    s.handle(START)
    assert s.handle({"type": "bookmark", "label": "here", "elapsed": 3}) == [AddBookmark("here", elapsed=3.0)]
    assert s.handle({"type": "bookmark"}) == [AddBookmark("")]


HOSTILE_REVIEW = [
    ({"type": "edit", "index": -1, "word": 0, "text": "x"}, "result index and a word number"),
    ({"type": "edit", "index": 0, "word": True, "text": "x"}, "result index and a word number"),
    ({"type": "edit", "index": 0, "text": "x"}, "result index and a word number"),
    ({"type": "edit", "index": 0, "word": 0}, "without text"),
    ({"type": "edit", "index": 0, "word": 0, "text": 5}, "must be a string"),
    ({"type": "edit", "index": 0, "word": 0, "text": "x" * 20_001}, "at most 20000 characters"),
    ({"type": "edit", "utterance": "1", "text": "x"}, "utterance must be a number"),
    ({"type": "edit", "utterance": 1}, "neither text nor speaker"),
    ({"type": "edit", "utterance": 1, "speaker": 10**9}, "speaker must be a number from 0 to 999"),
    ({"type": "edit", "utterance": 1, "speaker": 1.5}, "speaker must be a number"),
    ({"type": "speaker", "speaker": "0", "name": "Ana"}, "speaker must be a number"),
    ({"type": "speaker", "speaker": 0}, "at most 100 characters"),
    ({"type": "speaker", "speaker": 0, "name": "A" * 101}, "at most 100 characters"),
    ({"type": "bookmark", "time": float("nan")}, "time must be a number of seconds"),
    ({"type": "bookmark", "time": -1}, "time must be a number of seconds"),
    ({"type": "bookmark", "time": 1e300}, "time must be a number of seconds"),
    ({"type": "bookmark", "time": "now"}, "time must be a number of seconds"),
    ({"type": "bookmark", "label": ["x"], "time": 1}, "label must be a string"),
    ({"type": "bookmark", "label": "x" * 101, "time": 1}, "label must be a string of at most 100"),
    ({"type": "bookmark", "label": "now"}, "nothing is being recorded"),
]


@pytest.mark.parametrize(("msg", "expected"), HOSTILE_REVIEW)
def test_bad_review_messages_become_problems_and_never_raise(msg, expected):
    [action] = BrowserProtocol().handle(msg)
    assert isinstance(action, Problem) and not action.fatal and expected in action.message
    assert len(action.message) < 300


def test_review_text_from_the_page_is_always_encodable():
    [edit] = BrowserProtocol().handle({"type": "edit", "utterance": 0, "text": "bad \ud800 text"})
    edit.text.encode("utf-8")
    [rename] = BrowserProtocol().handle({"type": "speaker", "speaker": 0, "name": "A\udfffna"})
    rename.name.encode("utf-8")


@pytest.mark.parametrize("recording", [None, -1, 1.5, True, "0", [0]])
def test_a_request_for_audio_needs_a_recording_number(recording):
    assert problems(BrowserProtocol().handle({"type": "audio", "recording": recording}))


def test_a_request_for_audio_names_the_recording_at_any_time(session):
    assert BrowserProtocol().handle({"type": "audio", "recording": 2}) == [SendAudio(2)]
    assert session.handle({"type": "audio", "recording": 0}) == [SendAudio(0)]

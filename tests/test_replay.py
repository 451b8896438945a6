"""ReplayBuffer: header + media from an entry point decode from the right time, whatever the chunking."""

from __future__ import annotations

import io
import random
import subprocess

import av
import pytest

from live_transcriber.media.replay import ReplayBuffer

DURATION = 4.0

# (MIME type, PyAV demuxer, ffmpeg arguments), written to a pipe as a live recorder does.
CONTAINERS = {
    "webm": (
        "audio/webm;codecs=opus",
        "matroska",
        ["-c:a", "libopus", "-f", "webm", "-live", "1", "-cluster_time_limit", "250"],
    ),
    "ogg": ("audio/ogg;codecs=opus", "ogg", ["-c:a", "libopus", "-f", "ogg", "-page_duration", "250000"]),
    "mp4": (
        "audio/mp4",
        "mp4",
        ["-c:a", "aac", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
         "-frag_duration", "250000"],
    ),
}
CLUSTER_ID = b"\x1f\x43\xb6\x75"
UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def encode(container: str) -> bytes:
    _, _, args = CONTAINERS[container]
    return subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", f"sine=frequency=440:duration={DURATION}",
         *args, "pipe:1"],
        capture_output=True, check=True,
    ).stdout


def _vint(data: bytes, pos: int) -> tuple[int, int]:
    """(value without the length marker, length) of the EBML variable-length integer at ``pos``."""
    length = 8 - data[pos].bit_length() + 1
    value = int.from_bytes(data[pos : pos + length], "big") & ((1 << (7 * length)) - 1)
    return value, length


def with_unknown_size_clusters(data: bytes) -> bytes:
    """The WebM rewritten as Chrome's MediaRecorder writes it: every Cluster of unknown size."""
    ebml_size, n = _vint(data, 4)
    pos = 4 + n + ebml_size
    assert data[pos : pos + 4] == b"\x18\x53\x80\x67"  # Segment, of unknown size already
    _, n = _vint(data, pos + 4)
    out, pos = bytearray(data[: pos + 4 + n]), pos + 4 + n
    while pos < len(data):
        id_len = 8 - data[pos].bit_length() + 1
        size, n = _vint(data, pos + id_len)
        body = data[pos + id_len + n : pos + id_len + n + size]
        if data[pos : pos + id_len] == CLUSTER_ID:
            out += CLUSTER_ID + UNKNOWN_SIZE + body
        else:
            out += data[pos : pos + id_len + n + size]
        pos += id_len + n + size
    return bytes(out)


@pytest.fixture(scope="module")
def streams() -> dict[str, bytes]:
    made = {name: encode(name) for name in CONTAINERS}
    made["webm-live"] = with_unknown_size_clusters(made["webm"])
    return made


def decode(data: bytes, demuxer: str) -> list[tuple[float, float]]:
    """(start, end) of every decoded audio frame."""
    spans = []
    with av.open(io.BytesIO(data), format=demuxer) as container:
        for frame in container.decode(audio=0):
            start = float(frame.pts * frame.time_base)
            spans.append((start, start + frame.samples / frame.sample_rate))
    return spans


def fed(mime_type: str, data: bytes, seed: int) -> ReplayBuffer:
    """A buffer fed ``data`` in random pieces of 1 byte to 3 kB."""
    rng, buffer, pos = random.Random(seed), ReplayBuffer(mime_type), 0
    while pos < len(data):
        size = rng.choice([1, 2, 7, rng.randint(1, 3000)])
        buffer.feed(data[pos : pos + size])
        pos += size
    return buffer


NAMES = ["webm", "webm-live", "ogg", "mp4"]


def mime_and_demuxer(name: str) -> tuple[str, str]:
    mime_type, demuxer, _ = CONTAINERS[name.split("-")[0]]
    return mime_type, demuxer


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", [1, 2])
def test_entry_points_are_found_whatever_the_chunking(streams, name, seed):
    mime_type, _ = mime_and_demuxer(name)
    data = streams[name]
    whole = ReplayBuffer(mime_type)
    whole.feed(data)
    buffer = fed(mime_type, data, seed)

    assert buffer.sync_points == whole.sync_points
    assert buffer.header == whole.header
    points = buffer.sync_points
    assert points[0] == (len(buffer.header), 0.0)
    times = [t for _, t in points]
    assert times == sorted(times) and len(set(times)) == len(times)
    # Small clusters / pages / fragments: an entry point at least every ~0.3 s.
    assert max(b - a for a, b in zip(times, times[1:])) < 0.3
    assert times[-1] > DURATION - 0.5


@pytest.mark.parametrize("name", NAMES)
def test_replay_decodes_from_the_entry_point_to_the_end(streams, name):
    mime_type, demuxer = mime_and_demuxer(name)
    data = streams[name]
    full = decode(data, demuxer)
    buffer = fed(mime_type, data, seed=3)

    for time in (0.0, 1.3, 2.6, DURATION - 0.5):
        start, replay = buffer.replay(time)
        assert time - 0.3 < start <= time
        spans = decode(replay, demuxer)
        # Decoding starts where the replay says (Opus pre-skip: a few ms) and loses nothing after it.
        assert spans[0][0] == pytest.approx(start, abs=0.01)
        assert spans[-1][1] == pytest.approx(full[-1][1], abs=0.001)
        assert sum(e - s for s, e in spans) == pytest.approx(full[-1][1] - spans[0][0], abs=0.03)


@pytest.mark.parametrize("name", NAMES)
def test_trim_forgets_what_is_before_the_entry_point(streams, name):
    mime_type, demuxer = mime_and_demuxer(name)
    data = streams[name]
    buffer = fed(mime_type, data[: len(data) // 2], seed=4)
    offset, _ = buffer.sync_points[3]

    buffer.trim(2.0)
    start, replay = buffer.replay(2.0)
    with pytest.raises(ValueError, match="trimmed"):
        buffer.since(offset)
    assert buffer.sync_points[0][1] == start
    assert len(replay) < len(buffer.header) + len(data) // 2 - offset

    buffer.feed(data[len(data) // 2 :])  # the rest of the recording still arrives and is replayable
    assert buffer.replay(2.0) == (start, replay + data[len(data) // 2 :])
    assert decode(buffer.replay(2.0)[1], demuxer)[-1][1] == pytest.approx(decode(data, demuxer)[-1][1], abs=0.001)


def test_before_the_first_entry_point_the_whole_stream_is_replayed(streams):
    data = streams["webm"]
    buffer = ReplayBuffer("audio/webm;codecs=opus")
    buffer.feed(data[:100])

    assert buffer.header is None
    assert buffer.replay(5.0) == (0.0, data[:100])
    buffer.trim(5.0)
    assert buffer.since(0) == data[:100]


@pytest.mark.parametrize(
    ("mime_type", "data"),
    [
        ("audio/wav", b"RIFF" + bytes(5000)),
        ("audio/webm;codecs=opus", bytes(range(256)) * 20),
        ("audio/ogg", b"x" * 5000),
    ],
)
def test_a_stream_not_understood_is_replayed_whole(mime_type, data):
    buffer = ReplayBuffer(mime_type)
    buffer.feed(data[:3000])
    buffer.feed(data[3000:])
    buffer.trim(10.0)

    assert buffer.sync_points == []
    assert buffer.replay(10.0) == (0.0, data)


def test_entry_points_found_before_a_parse_error_stay_usable(streams):
    data = streams["webm"]
    whole = ReplayBuffer("audio/webm;codecs=opus")
    whole.feed(data)
    cut = whole.sync_points[8][0]
    buffer = ReplayBuffer("audio/webm;codecs=opus")
    buffer.feed(data[:cut])
    # An element of unknown size that is not one we can walk into: no more entry points after it.
    buffer.feed(b"\x1c\x53\xbb\x6b" + UNKNOWN_SIZE + data[cut:])

    assert buffer.sync_points == whole.sync_points[:8]
    start, replay = buffer.replay(1.0)
    assert 0.7 < start <= 1.0
    assert replay.startswith(buffer.header)

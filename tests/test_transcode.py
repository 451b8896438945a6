"""PcmTranscoder: the containers Flux does not take, as raw 16 kHz PCM, incrementally."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from live_transcriber.media import DecodeError
from live_transcriber.media.transcode import PcmTranscoder, needs_transcoding

from deepgram_support import encode


@pytest.mark.parametrize(
    ("mime_type", "transcode"),
    [
        ("audio/webm;codecs=opus", False),  # Chrome
        ("audio/ogg;codecs=opus", False),  # Firefox
        ("audio/opus", False),
        ("audio/mp4", True),  # Safari
        ("audio/webm", True),  # a file: could be Vorbis
        ("audio/ogg", True),
        ("audio/wav", True),
        ("audio/mpeg", True),
    ],
)
def test_only_opus_in_webm_or_ogg_goes_as_it_is(mime_type, transcode):
    assert needs_transcoding(mime_type) is transcode


def test_a_stream_fed_in_pieces_comes_out_as_its_pcm(speech):
    recording = encode(speech, "mp4")
    pieces: list[bytes] = []
    errors: list[DecodeError] = []
    transcoder = PcmTranscoder(recording.mime_type, pieces.append, errors.append)
    for chunk in recording.chunks():
        transcoder.write(chunk)
    transcoder.close()

    pcm = np.frombuffer(b"".join(pieces), "<i2")
    assert not errors and all(len(p) % 2 == 0 for p in pieces)
    assert len(pcm) / 16000 == pytest.approx(recording.duration, abs=0.1)  # AAC adds priming and padding
    loud = np.flatnonzero(np.abs(pcm) > 1000)
    first_word = recording.script[0]
    assert loud[0] / 16000 == pytest.approx(first_word[1], abs=0.1)  # speech where the script says


def test_undecodable_input_is_reported():
    failed = threading.Event()
    errors: list[DecodeError] = []
    transcoder = PcmTranscoder("audio/mp4", lambda _: None, lambda e: (errors.append(e), failed.set()))
    transcoder.write(b"not an mp4 file at all" * 100)
    transcoder.close()
    assert failed.wait(5) and "Could not decode" in str(errors[0])

"""The MIME policy and format recognition (media/formats.py): one place decides what is audio."""

from __future__ import annotations

import pytest

from live_transcriber.media import DecodeError, container_family, file_mime_type, sniff


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "audio/webm"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "audio/x-matroska"),
        (b"OggS\x00\x02", "audio/ogg"),
        (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"ID3\x04\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x00", "audio/mpeg"),
        (b"\xff\xf1\x50\x80", "audio/aac"),
        (b"these are my notes", None),
        (b"", None),
    ],
)
def test_sniff_knows_the_containers_by_their_first_bytes(head, expected):
    assert sniff(head) == expected


def test_a_files_bytes_win_over_its_name_and_the_name_is_the_fallback(tmp_path):
    assert file_mime_type(tmp_path / "talk.webm", b"OggS\x00") == "audio/ogg"
    assert file_mime_type(tmp_path / "talk.m4a", b"??") == "audio/mp4"
    assert file_mime_type(tmp_path / "talk.opus", b"") == "audio/ogg"
    assert file_mime_type(tmp_path / "clip.mp4", b"") == "video/mp4"
    with pytest.raises(DecodeError, match="no suffix"):
        file_mime_type(tmp_path / "recording", b"plain text")
    with pytest.raises(DecodeError, match=r"its name \(\.txt\)"):
        file_mime_type(tmp_path / "notes.txt", b"plain text")


@pytest.mark.parametrize(
    ("mime_type", "family"),
    [
        ("audio/webm;codecs=opus", "webm"),
        ("video/webm", "webm"),
        ("audio/x-matroska", "webm"),
        ("audio/ogg;codecs=opus", "ogg"),
        ("audio/mp4", "mp4"),
        ("video/mp4", "mp4"),
        ("audio/wav", None),
        ("text/plain", None),
        ("", None),
    ],
)
def test_container_family_names_the_browsers_three_formats(mime_type, family):
    assert container_family(mime_type) == family

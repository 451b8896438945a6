"""Which audio containers are accepted, and how to tell them: MIME types, file names and magic bytes.

The one home of the MIME policy. The browser's recorder names its format (``audio/webm;codecs=opus``
from Chrome, ``audio/ogg;codecs=opus`` from Firefox, ``audio/mp4`` from Safari); files are named by
their suffix, or recognised from their first bytes. ``video/*`` types are accepted too: their
first audio track is what gets transcribed.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BROWSER",
    "LINEAR16",
    "DecodeError",
    "Source",
    "container_family",
    "container_format",
    "duration",
    "file_mime_type",
    "file_source",
    "sniff",
]


class DecodeError(Exception):
    """Audio could not be decoded; the message says why and what to do."""


@dataclass(frozen=True)
class Source:
    """Where a recording's audio comes from, so that errors name it and say what to check."""

    #: e.g. "the browser's recording" or "the file talk.m4a"
    name: str
    #: what to check when it cannot be decoded
    advice: str


BROWSER = Source("the browser's recording", "check that the recorder's mimeType matches the data it sends")
FEED = Source("the audio passed to feed()", "check that the pieces are one container stream in the MIME type given")
#: Audio the page kept because it never reached a kernel (a reload, a restart) and sent again.
RECOVERED = Source(
    "audio recovered from the browser",
    "it is the container header and the part of an interrupted recording the kernel never got; download it from the widget to check it",
)


def file_source(path: str | Path) -> Source:
    return Source(
        f"the file {Path(path).name}",
        "check that it is an audio file FFmpeg can read, or pass its mime_type",
    )


#: Raw 16-bit little-endian mono PCM at 16 kHz: what :mod:`.transcode` makes for a server that does
#: not take the browser's container (Deepgram's ``encoding=linear16&sample_rate=16000``). It is no
#: container, so it is never accepted as input.
LINEAR16 = "audio/x-linear16;rate=16000"
LINEAR16_RATE = 16000


# MIME type (without parameters) → PyAV demuxer name. FFmpeg resolves "webm" and "mp4" to its
# matroska and mov demuxers. A video type means its audio track.
_DEMUXERS = {
    "audio/webm": "webm",
    "video/webm": "webm",
    "audio/matroska": "matroska",
    "audio/x-matroska": "matroska",
    "video/matroska": "matroska",
    "video/x-matroska": "matroska",
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "video/ogg": "ogg",
    "audio/mp4": "mp4",
    "audio/m4a": "mp4",
    "audio/x-m4a": "mp4",
    "video/mp4": "mp4",
    "video/quicktime": "mp4",
    "audio/aac": "aac",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
}

#: Demuxer → container family, for code that parses the container itself (entry points for a
#: lossless reconnect): the browser's three formats.
_FAMILIES = {"webm": "webm", "matroska": "webm", "ogg": "ogg", "mp4": "mp4"}

_MIME_RE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")

# Suffixes Python's mimetypes does not know (or maps to something else) on every platform.
_SUFFIXES = {".weba": "audio/webm", ".opus": "audio/ogg", ".m4a": "audio/mp4", ".mka": "audio/x-matroska", ".flac": "audio/flac"}


def container_format(mime_type: str) -> str | None:
    """The PyAV demuxer for a MIME type, or ``None`` to let FFmpeg probe (an unknown audio type, or
    an empty one: the caller does not know).

    Raises :class:`DecodeError` for anything that is not an audio or video MIME type.
    """
    if not isinstance(mime_type, str):
        raise DecodeError(f"Expected an audio MIME type string, got {type(mime_type).__name__}.")
    base = mime_type.split(";", 1)[0].strip().lower()
    if not base:
        return None
    if not _MIME_RE.fullmatch(base):
        raise DecodeError(f"{mime_type[:80]!r} is not a MIME type; expected e.g. 'audio/webm;codecs=opus'.")
    if not base.startswith(("audio/", "video/")):
        raise DecodeError(
            f"{mime_type[:80]!r} is not an audio MIME type; expected e.g. 'audio/webm;codecs=opus', "
            "'audio/ogg;codecs=opus' or 'audio/mp4'."
        )
    if base.startswith("video/") and base not in _DEMUXERS:
        raise DecodeError(f"{mime_type[:80]!r} is not an audio MIME type this library reads; convert it to audio first.")
    return _DEMUXERS.get(base)


def container_family(mime_type: str) -> str | None:
    """``"webm"``, ``"ogg"`` or ``"mp4"`` for the browser's container formats, else ``None``."""
    try:
        demuxer = container_format(mime_type)
    except DecodeError:
        return None
    return _FAMILIES.get(demuxer or "")


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file or stream show, or ``None`` if they are not known."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm" if b"webm" in head[:64] else "audio/x-matroska"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 in (0xF2, 0xF4)):
        return "audio/mpeg"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"
    return None


def file_mime_type(path: str | Path, head: bytes = b"") -> str:
    """The MIME type of an audio file: from its first bytes when they tell, else from its suffix.

    Raises :class:`DecodeError` when neither tells (e.g. a text file, or no suffix and unknown bytes).
    """
    path = Path(path)
    sniffed = sniff(head)
    if sniffed is not None:
        return sniffed
    suffix = path.suffix.lower()
    guessed = _SUFFIXES.get(suffix) or mimetypes.guess_type(path.name)[0]
    if guessed is not None and guessed.startswith(("audio/", "video/")):
        return guessed
    what = f"its name ({suffix})" if suffix else "it has no suffix"
    raise DecodeError(
        f"{path.name} does not look like an audio file: its first bytes are not a known audio format and "
        f"{what} does not name one. Pass mime_type='audio/...' if it is audio."
    )


def known_duration(path: str | Path) -> float | None:
    """Seconds of audio in a file as its container's header says, without decoding; None when the
    header does not say (e.g. a MediaRecorder WebM) or the file cannot be opened."""
    import av
    import av.error

    try:
        with av.open(str(path)) as container:
            return container.duration / 1_000_000 if container.duration else None
    except (OSError, av.error.FFmpegError):
        return None


def duration(path: str | Path) -> float:
    """Seconds of audio in a file (from the container, else by decoding it)."""
    import av

    with av.open(str(path)) as container:
        if container.duration:
            return container.duration / 1_000_000
        return sum(float(f.duration * f.time_base) for f in container.decode(audio=0) if f.duration)

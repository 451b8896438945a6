"""Everything about audio containers in one place: which MIME types are accepted and how they map to
demuxers, recognising a file's format from its bytes, durations, where audio comes from
(:mod:`.formats`); decoding a container stream as it arrives (:mod:`.decode`), or turning it into
raw PCM for a server that needs that (:mod:`.transcode`); finding the header and entry points of
the browser's containers, to replay a stream from the middle (:mod:`.replay`)."""

from .decode import Gap, StreamDecoder
from .formats import (
    BROWSER,
    FEED,
    RECOVERED,
    DecodeError,
    Source,
    container_family,
    container_format,
    duration,
    file_mime_type,
    file_source,
    known_duration,
    sniff,
)

__all__ = [
    "BROWSER",
    "FEED",
    "RECOVERED",
    "DecodeError",
    "Gap",
    "Source",
    "StreamDecoder",
    "container_family",
    "container_format",
    "duration",
    "file_mime_type",
    "file_source",
    "known_duration",
    "sniff",
]

"""Keep a recording's container header and recent media so a new connection can pick up mid-stream.

A streaming decoder (Deepgram's, ffmpeg's) cannot start in the middle of a container stream: it
needs the header first (WebM: EBML header + Segment + Info + Tracks; Ogg: the OpusHead/OpusTags
pages; fragmented MP4: ftyp + moov), then media from a point where the container can be entered
(a WebM Cluster, an Ogg page that starts a packet, an MP4 moof). :class:`ReplayBuffer` finds those
points in the byte stream as it arrives, whatever the chunking, with the media time each one
starts at, so that ``header + media from the latest point at or before t`` replays everything
after ``t``. Raw PCM (:data:`~.formats.LINEAR16`) has no header and can be entered at any sample.
No I/O here.
"""

from __future__ import annotations

import struct

from .formats import LINEAR16, LINEAR16_RATE, container_family

# Matroska/WebM element IDs (with their length marker bits, as written in the file).
_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMESTAMP_SCALE = 0x2AD7B1
_CLUSTER = 0x1F43B675
_CLUSTER_TIMESTAMP = 0xE7
# Masters we walk into rather than skip: their size may be "unknown" in a live stream (MediaRecorder
# writes the Segment and every Cluster that way), and their children carry what we need.
_WEBM_ENTERED = {_SEGMENT, _INFO, _CLUSTER}

_OPUS_RATE = 48000
# Entry points into raw PCM are set this many seconds apart (any sample would do).
_PCM_STEP = 0.1


class ReplayBuffer:
    """The header and the media since a point, of one container stream fed in arbitrary chunks.

    Offsets are positions in the whole stream (byte 0 is the first byte ever fed). Times are
    seconds from the start of the stream's media. If the container is not understood, no entry
    point is found: :meth:`replay` then returns the whole stream from byte 0, which is still
    lossless, and :meth:`trim` keeps everything.
    """

    def __init__(self, mime_type: str) -> None:
        self._parse = {
            "webm": self._parse_webm,
            "ogg": self._parse_ogg,
            "mp4": self._parse_mp4,
            "pcm": self._parse_pcm,
        }.get("pcm" if mime_type == LINEAR16 else container_family(mime_type) or "")
        self._data = bytearray()
        self._base = 0  # stream offset of self._data[0]
        self._pos = 0  # stream offset where parsing resumes
        self._syncs: list[tuple[int, float]] = []  # (offset, time) of entry points, in order
        self._header: bytes | None = None
        self._origin: float | None = None  # media time of the first entry point
        # Container state gathered while parsing.
        self._webm_scale = 1_000_000  # ns per Cluster timestamp unit (Info/TimestampScale)
        self._webm_cluster: int | None = None  # offset of a Cluster waiting for its timestamp
        self._ogg_preskip = 0
        self._ogg_granule = 0  # granule position at the end of the last page
        self._mp4_timescale: int | None = None

    @property
    def end(self) -> int:
        """Stream offset just past the last byte fed."""
        return self._base + len(self._data)

    @property
    def latest(self) -> float:
        """Media time of the latest entry point found (0 if none)."""
        return self._syncs[-1][1] if self._syncs else 0.0

    @property
    def header(self) -> bytes | None:
        """The bytes before the first entry point, once known."""
        return self._header

    @property
    def sync_points(self) -> list[tuple[int, float]]:
        """``(offset, time)`` of the entry points still held."""
        return list(self._syncs)

    def feed(self, data: bytes) -> None:
        """Append the next piece of the stream."""
        self._data += data
        if self._parse is not None:
            try:
                self._parse()
            except _Unparsable:
                # Stop looking; the points found so far stay valid.
                self._parse = None

    def since(self, offset: int) -> bytes:
        """The stream from ``offset`` (which must still be held) to the end."""
        if offset < self._base:
            raise ValueError(f"offset {offset} was trimmed (buffer starts at {self._base})")
        return bytes(self._data[offset - self._base :])

    def replay(self, time: float) -> tuple[float, bytes]:
        """``(start, data)``: a decodable stream holding every media byte from ``time`` on.

        ``start`` is the media time ``data`` begins at (so a decoder's time 0 is ``start`` here).
        """
        if self._header is None or not self._syncs:
            return 0.0, self.since(self._base)  # nothing trimmed yet: the whole stream
        offset, start = self._point_at(time) or self._syncs[0]
        return start, self._header + self.since(offset)

    def trim(self, time: float) -> None:
        """Forget media before the latest entry point at or before ``time``."""
        point = self._point_at(time)
        if point is None:
            return
        offset = point[0]
        del self._data[: offset - self._base]
        self._base = offset
        self._syncs = [s for s in self._syncs if s[0] >= offset]

    def _point_at(self, time: float) -> tuple[int, float] | None:
        best = None
        for offset, start in self._syncs:
            if start > time + 1e-9:
                break
            best = (offset, start)
        return best

    def _add_sync(self, offset: int, media_time: float) -> None:
        if self._header is None:
            self._header = self.since(0)[:offset]
            self._origin = media_time
        assert self._origin is not None
        self._syncs.append((offset, max(0.0, media_time - self._origin)))

    def _available(self, offset: int, size: int) -> bytes | None:
        """``size`` bytes at stream ``offset``, or None if they have not all arrived."""
        start = offset - self._base
        if start + size > len(self._data):
            return None
        return bytes(self._data[start : start + size])

    # --- raw PCM (16-bit mono) -------------------------------------------------------------

    def _parse_pcm(self) -> None:
        step = 2 * round(LINEAR16_RATE * _PCM_STEP)
        while self._pos < self.end:
            self._add_sync(self._pos, self._pos / (2 * LINEAR16_RATE))
            self._pos += step

    # --- WebM / Matroska -------------------------------------------------------------------

    def _parse_webm(self) -> None:
        while self._pos < self.end:
            head = self._available(self._pos, min(12, self.end - self._pos))
            assert head is not None
            parsed = _ebml_element_head(head)
            if parsed is None:
                if len(head) >= 12:
                    raise _Unparsable
                return
            element_id, size, head_len = parsed
            if element_id in _WEBM_ENTERED:
                if element_id == _CLUSTER:
                    self._webm_cluster = self._pos
                self._pos += head_len
            elif element_id in (_TIMESTAMP_SCALE, _CLUSTER_TIMESTAMP):
                if size is None or size > 8:
                    raise _Unparsable
                body = self._available(self._pos + head_len, size)
                if body is None:
                    return
                value = int.from_bytes(body, "big")
                if element_id == _TIMESTAMP_SCALE:
                    self._webm_scale = value
                elif self._webm_cluster is not None:
                    self._add_sync(self._webm_cluster, value * self._webm_scale / 1e9)
                    self._webm_cluster = None
                self._pos += head_len + size
            elif size is None:
                raise _Unparsable
            else:
                # Skipping may jump past the bytes received so far; parsing resumes there.
                self._pos += head_len + size

    # --- Ogg (Opus) ------------------------------------------------------------------------

    def _parse_ogg(self) -> None:
        while True:
            fixed = self._available(self._pos, 27)
            if fixed is None:
                return
            if fixed[:4] != b"OggS":
                raise _Unparsable
            continued = fixed[5] & 0x01
            (granule,) = struct.unpack_from("<q", fixed, 6)
            lacing = self._available(self._pos + 27, fixed[26])
            if lacing is None:
                return
            page_len = 27 + len(lacing) + sum(lacing)
            page = self._available(self._pos, page_len)
            if page is None:
                return
            if self._pos == 0:
                body = page[27 + len(lacing) :]
                if body[:8] != b"OpusHead":
                    raise _Unparsable
                self._ogg_preskip = struct.unpack_from("<H", body, 10)[0]
            # Header pages (OpusHead, OpusTags) have granule 0; audio starts on a fresh page.
            if granule != 0 and not continued and self._ogg_granule != -1:
                self._add_sync(self._pos, max(0, self._ogg_granule - self._ogg_preskip) / _OPUS_RATE)
            self._ogg_granule = granule
            self._pos += page_len

    # --- Fragmented MP4 --------------------------------------------------------------------

    def _parse_mp4(self) -> None:
        while True:
            head = self._available(self._pos, 8)
            if head is None:
                return
            size, box_type = struct.unpack(">I4s", head)
            head_len = 8
            if size == 1:
                large = self._available(self._pos + 8, 8)
                if large is None:
                    return
                (size,) = struct.unpack(">Q", large)
                head_len = 16
            if size < head_len:
                raise _Unparsable  # size 0 ("to the end of the file") cannot be replayed from
            if box_type in (b"moov", b"moof"):
                box = self._available(self._pos, size)
                if box is None:
                    return
                body = box[head_len:]
                if box_type == b"moov":
                    mdhd = _mp4_find(body, [b"trak", b"mdia", b"mdhd"])
                    if mdhd is None:
                        raise _Unparsable
                    self._mp4_timescale = struct.unpack_from(">I", mdhd, 20 if mdhd[0] == 1 else 12)[0]
                else:
                    tfdt = _mp4_find(body, [b"traf", b"tfdt"])
                    if tfdt is None or not self._mp4_timescale:
                        raise _Unparsable
                    fmt = ">Q" if tfdt[0] == 1 else ">I"
                    decode_time = struct.unpack_from(fmt, tfdt, 4)[0]
                    self._add_sync(self._pos, decode_time / self._mp4_timescale)
            self._pos += size


class _Unparsable(Exception):
    """The stream does not look like the container its MIME type names."""


def _ebml_vint(data: bytes, keep_marker: bool) -> tuple[int | None, int] | None:
    """``(value, length)`` of the variable-length integer at the start of ``data``.

    IDs keep their length-marker bit; sizes drop it, and an all-ones size means "unknown" (None).
    Returns None if ``data`` is too short.
    """
    if not data:
        return None
    first = data[0]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise _Unparsable
    if len(data) < length:
        return None
    value = int.from_bytes(data[:length], "big")
    if keep_marker:
        return value, length
    value &= (1 << (7 * length)) - 1
    if value == (1 << (7 * length)) - 1:
        return None, length
    return value, length


def _ebml_element_head(data: bytes) -> tuple[int, int | None, int] | None:
    """``(id, size or None if unknown, header length)`` of the element at the start of ``data``."""
    parsed_id = _ebml_vint(data, keep_marker=True)
    if parsed_id is None:
        return None
    element_id, id_len = parsed_id
    if id_len > 4:
        raise _Unparsable
    parsed_size = _ebml_vint(data[id_len:], keep_marker=False)
    if parsed_size is None:
        return None
    size, size_len = parsed_size
    assert element_id is not None
    return element_id, size, id_len + size_len


def _mp4_find(data: bytes, path: list[bytes]) -> bytes | None:
    """The payload of the first box along ``path`` inside ``data`` (a sequence of boxes)."""
    pos = 0
    while pos + 8 <= len(data):
        size, box_type = struct.unpack_from(">I4s", data, pos)
        head_len = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            head_len = 16
        if size < head_len:
            return None
        if box_type == path[0]:
            body = data[pos + head_len : pos + size]
            return body if len(path) == 1 else _mp4_find(body, path[1:])
        pos += size
    return None

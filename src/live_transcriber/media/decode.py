"""Incremental decoding of a container stream (the browser's recording, a file) into 16 kHz mono float32.

The browser sends 250 ms pieces of one container stream (WebM/Opus from Chrome, Ogg/Opus
from Firefox, fragmented MP4/AAC from Safari). :class:`StreamDecoder` feeds them to a single
long-lived FFmpeg demuxer through a blocking, non-seekable file object, so each byte is decoded
once and consumed bytes are dropped: cost and memory stay linear and bounded on long streams.

Damaged data mid-stream (garbage in a chunk, bytes lost in transit) makes FFmpeg skip ahead to the
next point it can read, without an error. The decoder notices the jump in the audio's timestamps,
reports it as a :class:`Gap` (how much audio, where) and fills it with silence, so the audio after
it keeps its place on the recording's timeline.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import av
import av.error
import numpy as np

from .formats import BROWSER, DecodeError, Source, container_format

__all__ = ["DecodeError", "Gap", "StreamDecoder"]

log = logging.getLogger(__name__)

# FFmpeg's defaults (5 MB, 5 s) make avformat_find_stream_info wait for seconds of a live
# stream; the browser's containers declare their codec parameters in the header, so the
# minimum suffices (measured: WAV's first audio moves from 4.75 s to 1.5 s of input, the
# others already start after their first 1-2 chunks). 0 would mean "default" to FFmpeg.
_PROBE_OPTIONS = {"probesize": "32", "analyzeduration": "1"}

# Demuxers of files that may put their index after the audio (MP4's moov atom, as plain
# ffmpeg writes it), which cannot be read without seeking back.
_INDEX_MAY_FOLLOW = {"mov", "mp4"}

# A jump ahead in the audio's timestamps longer than this is audio that could not be decoded. Every
# codec here has frames of 60 ms at most, and clean browser recordings have no jumps at all.
_MIN_GAP = 0.1
#: At most this much silence (seconds) fills gaps in one stream; gaps past it are reported, not
#: filled: a damaged timestamp can jump by hours, and FFmpeg's own skips seen here are below 20 s.
MAX_FILL = 30.0

# A Matroska/WebM Cluster starts with this ID; the browser's recorder starts one at least every few
# seconds. Damaged bytes can read as an element of a huge size, which the demuxer then skips on a
# stream it cannot seek: it swallows all that follows and no audio comes out until the end.
_CLUSTER_ID = b"\x1f\x43\xb6\x75"
# Input read with no audio coming out past which the demuxer is taken as lost and is started again
# from the next Cluster (about 4 s of the browser's Opus; a clean stream gives audio every Cluster).
_STALL_BYTES = 32_768
# What the demuxer read since its last audio is kept up to this size, to restart from a Cluster in it.
_KEEP_UNTIL_AUDIO = 4 * 1024 * 1024

# close() waits this long for the decoder to drain a backlog (or a whole-buffer MP4 decode).
_CLOSE_TIMEOUT = 300.0
_ABORT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Gap:
    """Audio that could not be decoded: ``duration`` seconds from ``start`` (seconds from the
    stream's first audio). ``str()`` says so in a sentence for the user."""

    start: float
    duration: float
    source: Source = BROWSER
    #: Whether it was filled with silence (see :data:`MAX_FILL`).
    filled: bool = True

    def __str__(self) -> str:
        minutes, seconds = divmod(int(self.start), 60)
        return (
            f"About {self.duration:.1f} s of audio around {minutes}:{seconds:02d} in {self.source.name} could not be "
            "decoded (the data was damaged or lost on its way); the rest is transcribed."
        )


class _CallbackError(Exception):
    """A callback (its name, its exception) raised: not a decoding problem, so never retried."""


class _InputBuffer:
    """Blocking, read-only, non-seekable file object filled by another thread.

    Read bytes are dropped, except that every byte is also kept (the same ``bytes`` objects,
    no copy) until :meth:`release_kept`, so that a stream that yields no audio incrementally
    (MP4 with its index at the end) can be decoded again from a seekable copy.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._chunks: deque[bytes] = deque()
        self._offset = 0  # bytes of _chunks[0] already read
        self._unread = 0
        self._kept: list[bytes] | None = []
        self._kept_size = 0
        self._finished = False  # no more input: read() returns b"" once drained
        self._stopped = False  # input discarded: read() returns b"" at once, writes are dropped
        # Resynchronising a Matroska stream (see _CLUSTER_ID): the bytes before its first Cluster
        # (the header a new demuxer needs), bytes read since audio last came out, and whether the
        # current demuxer was cut off for a new one.
        self.resync = False
        self._header = bytearray()
        self._header_done = False
        self._since_audio = 0
        self._reads_since_audio = 0
        self._read_since_audio: list[bytes] = []  # what it read since (to restart from a Cluster in it)
        self.restarted = False

    @property
    def size(self) -> int:
        """Bytes held: unread input plus the kept copy (which shares the unread chunks)."""
        with self._cond:
            return max(self._unread, self._kept_size)

    @property
    def finished(self) -> bool:
        with self._cond:
            return self._finished

    def feed(self, chunk: bytes) -> None:
        with self._cond:
            if self._finished or self._stopped:
                return
            self._chunks.append(chunk)
            self._unread += len(chunk)
            if self.resync and not self._header_done:
                self._header += chunk
                cluster = self._header.find(_CLUSTER_ID)
                if cluster >= 0:
                    del self._header[cluster:]
                    self._header_done = True
                elif len(self._header) > _STALL_BYTES:
                    self.resync = False  # no Cluster where one must be: not a stream this can mend
            if self._kept is not None:
                self._kept.append(chunk)
                self._kept_size += len(chunk)
            self._cond.notify_all()

    def wait_finished(self) -> None:
        with self._cond:
            while not self._finished and not self._stopped:
                self._cond.wait()

    def finish(self) -> None:
        with self._cond:
            self._finished = True
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._chunks.clear()
            self._unread = self._offset = 0
            self.release_kept()
            self._cond.notify_all()

    def release_kept(self) -> None:
        with self._cond:
            self._kept = None
            self._kept_size = 0

    def take_kept(self) -> bytes | None:
        """All input ever fed (once it is finished), or ``None`` if it was released."""
        with self._cond:
            data = None if self._kept is None else b"".join(self._kept)
            self.release_kept()
            return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def audio_out(self) -> None:
        """Audio came out of the demuxer: it is not lost."""
        with self._cond:
            self._since_audio = self._reads_since_audio = 0
            self._read_since_audio.clear()

    def _stalled(self) -> bool:
        # Several reads (one large read of a backlog is followed by its audio) and many bytes.
        return self.resync and self._header_done and self._since_audio > _STALL_BYTES and self._reads_since_audio >= 3

    def _restart_at_cluster(self) -> bool:
        """The demuxer read ``_STALL_BYTES`` with no audio out: give a new demuxer the header, then
        the input from the first Cluster after the last audio (read already or not), and end this
        demuxer's input. False if no Cluster has come yet."""
        seen = b"".join(self._read_since_audio) + b"".join(self._chunks)[self._offset :]
        cluster = seen.find(_CLUSTER_ID, 1)
        if cluster < 0:
            return False
        self._chunks = deque([bytes(self._header) + seen[cluster:]])
        self._offset = 0
        self._unread = len(self._chunks[0])
        self._since_audio = self._reads_since_audio = 0
        self._read_since_audio.clear()
        self.restarted = True
        return True

    def read(self, size: int = -1) -> bytes:
        """Return at least one byte, waiting for it; b"" at the end of the input (or of one demuxer's
        part of it, when a lost Matroska demuxer is cut off: see ``restarted``)."""
        with self._cond:
            if self.restarted:
                return b""
            while True:
                if self._stalled() and self._restart_at_cluster():
                    return b""
                if self._unread or self._finished or self._stopped:
                    break
                self._cond.wait()
            if self._stopped or not self._unread:
                return b""
            if size < 0:
                size = self._unread
            parts = []
            while size > 0 and self._chunks:
                chunk = self._chunks[0]
                end = min(len(chunk), self._offset + size)
                whole = self._offset == 0 and end == len(chunk)
                parts.append(chunk if whole else chunk[self._offset : end])
                size -= end - self._offset
                self._unread -= end - self._offset
                if end == len(chunk):
                    self._chunks.popleft()
                    self._offset = 0
                else:
                    self._offset = end
            data = parts[0] if len(parts) == 1 else b"".join(parts)
            if self.resync and self._header_done:
                self._since_audio += len(data)
                self._reads_since_audio += 1
                if self._since_audio <= _KEEP_UNTIL_AUDIO:
                    self._read_since_audio.append(data)
            return data


class StreamDecoder:
    """Decode a container stream, fed piece by piece, into 16 kHz mono float32 numpy arrays.

    Decoding runs in a daemon thread started here; ``on_audio``, ``on_error`` and ``on_gap``
    (audio that could not be decoded mid-stream, filled with silence: not fatal) are called from
    that thread. Only the first audio track is decoded.
    """

    def __init__(
        self,
        mime_type: str,
        on_audio: Callable[[np.ndarray], None],
        sample_rate: int = 16000,
        *,
        on_error: Callable[[DecodeError], None] | None = None,
        on_gap: Callable[[Gap], None] | None = None,
        source: Source = BROWSER,
    ) -> None:
        self._format = container_format(mime_type)
        self._source = source
        self._mime_type = mime_type.strip() or "audio"
        self._on_audio = on_audio
        self._on_error = on_error
        self._on_gap = on_gap
        self._sample_rate = sample_rate
        self._origin: float | None = None  # timestamp of the first audio
        self._expected: float | None = None  # timestamp the next audio should have
        self._filled = 0.0  # seconds of silence put in gaps so far
        self._input = _InputBuffer()
        # Only for audio: a video track's frames can be larger than the stall limit.
        self._input.resync = self._format in ("webm", "matroska") and self._mime_type.lower().startswith("audio/")
        self._error: DecodeError | None = None
        self._aborted = False
        self._index_may_follow = False
        self.samples_out = 0
        self._thread = threading.Thread(
            target=self._run, name="live-transcriber-decode", daemon=True
        )
        self._thread.start()

    @property
    def error(self) -> DecodeError | None:
        """Why decoding failed, or ``None``."""
        return self._error

    @property
    def buffered_bytes(self) -> int:
        """Input bytes held in memory (not yet decoded, or kept for a whole-buffer retry)."""
        return self._input.size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Queue a copy of ``data`` for decoding; never blocks. Ignored after close/abort/error."""
        chunk = bytes(data)
        if chunk:
            self._input.feed(chunk)

    def close(self) -> None:
        """End of input: wait until everything written is decoded and delivered. Idempotent."""
        self._input.finish()
        if threading.current_thread() is self._thread:
            return
        self._thread.join(_CLOSE_TIMEOUT)
        if self._thread.is_alive():
            self._abort()
            self._fail(
                DecodeError(
                    f"Decoding {self._source.name} ({self._mime_type}) did not finish within "
                    f"{_CLOSE_TIMEOUT:.0f} s of close(); the rest of the audio was dropped."
                )
            )

    def abort(self) -> None:
        """Stop at once: discard pending input; no callbacks follow (bar one already running)."""
        self._abort()
        if threading.current_thread() is not self._thread:
            self._thread.join(_ABORT_TIMEOUT)

    def _abort(self) -> None:
        self._aborted = True
        self._input.stop()

    def _run(self) -> None:
        failure: Exception | None = None
        try:
            self._decode(self._input)
            while self._input.restarted and not self._aborted:
                # The demuxer was lost in damaged data: a new one reads on from the next Cluster.
                log.info("live-transcriber: damaged %s data; decoding goes on from the next Cluster", self._mime_type)
                self._input.restarted = False
                self._decode(self._input, resumed=True)
        except Exception as exc:  # noqa: BLE001 - a thread must report, never raise
            failure = exc
        if self._aborted:
            return
        retry = self.samples_out == 0 and not isinstance(failure, _CallbackError)
        if retry and self._index_may_follow:
            # Likely an MP4 with its index (moov) after the audio, which the demuxer cannot
            # reach without seeking back: keep the bytes until the input ends.
            self._input.wait_finished()
        if retry and self._input.finished and not self._aborted:
            # Nothing came out incrementally: decode the whole input again, now seekable.
            data = self._input.take_kept()
            if not data:
                failure = None  # stopped before the first chunk: nothing to decode, no error
            else:
                try:
                    self._decode(io.BytesIO(data))
                    failure = None
                except Exception as exc:  # noqa: BLE001
                    failure = failure or exc
        self._input.stop()
        if failure is not None and not self._aborted:
            self._fail(self._describe(failure))

    def _decode(self, source: _InputBuffer | io.BytesIO, resumed: bool = False) -> None:
        """Decode ``source`` to its end (``resumed``: the same stream from a later point, so the
        audio keeps its place on the timeline and what was skipped is reported as a gap)."""
        with av.open(
            source, format=self._format, mode="r", container_options=_PROBE_OPTIONS
        ) as container:
            if not container.streams.audio:
                raise DecodeError(
                    f"Could not decode {self._source.name} ({self._mime_type}): it contains no audio track "
                    f"(FFmpeg read it as {container.format.name})."
                )
            self._index_may_follow = not _INDEX_MAY_FOLLOW.isdisjoint(
                container.format.name.split(",")
            )
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=self._sample_rate)
            if not resumed:
                self._origin = self._expected = None
                self._filled = 0.0
            try:
                for frame in container.decode(stream):
                    if resumed and self._heard_already(frame):
                        self._input.audio_out()  # not lost: it reads audio the last one gave already
                        continue
                    self._check_time(frame)
                    self._deliver(resampler.resample(frame))
            except _CallbackError:
                raise
            except Exception:
                # Hand out the audio decoded before the failure, then let it be reported.
                with contextlib.suppress(Exception):
                    for frame in stream.codec_context.decode(None):
                        self._deliver(resampler.resample(frame))
                with contextlib.suppress(Exception):
                    self._deliver(resampler.resample(None))
                raise
            self._deliver(resampler.resample(None))

    def _heard_already(self, frame: av.AudioFrame) -> bool:
        time = frame.time
        if time is None or not frame.sample_rate or self._expected is None:
            return False
        return time + frame.samples / frame.sample_rate <= self._expected + 0.001

    def _check_time(self, frame: av.AudioFrame) -> None:
        """Notice audio missing before ``frame`` (its timestamp jumps ahead): report it, fill it."""
        time = frame.time
        if time is None or not frame.sample_rate:
            return
        if self._origin is None:
            self._origin = time
        elif self._expected is not None and time - self._expected > _MIN_GAP:
            missing = time - self._expected
            filled = self._filled + missing <= MAX_FILL
            if filled:
                self._filled += missing
                self._deliver_samples(np.zeros(round(missing * self._sample_rate), dtype=np.float32))
            gap = Gap(self._expected - self._origin, missing, self._source, filled)
            log.info("live-transcriber: %s", gap)
            if self._on_gap is not None:
                try:
                    self._on_gap(gap)
                except Exception as exc:
                    raise _CallbackError("on_gap", exc) from exc
        end = time + frame.samples / frame.sample_rate
        self._expected = end if self._expected is None else max(self._expected, end)

    def _deliver(self, frames: Iterable[av.AudioFrame]) -> None:
        for frame in frames:
            if self._aborted:
                return
            self._deliver_samples(frame.to_ndarray().reshape(-1))

    def _deliver_samples(self, samples: np.ndarray) -> None:
        if not samples.size or self._aborted:
            return
        try:
            self._on_audio(samples)
        except Exception as exc:
            raise _CallbackError("on_audio", exc) from exc
        self._input.audio_out()
        if self.samples_out == 0:
            # Audio flows, so incremental decoding works: no need to keep a copy any more.
            self._input.release_kept()
        self.samples_out += samples.size

    def _describe(self, exc: Exception) -> DecodeError:
        if isinstance(exc, DecodeError):
            return exc
        if isinstance(exc, _CallbackError):
            error = DecodeError(
                f"Decoding {self._source.name} ({self._mime_type}) stopped: {exc.args[0]} raised {exc.args[1]!r}."
            )
            error.__cause__ = exc.__cause__
            return error
        if isinstance(exc, av.error.EOFError):
            reason = "the data ended before a complete header or packet was found"
        else:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        error = DecodeError(f"Could not decode {self._source.name} ({self._mime_type}): {reason}; {self._source.advice}.")
        error.__cause__ = exc
        return error

    def _fail(self, error: DecodeError) -> None:
        if self._error is not None:
            return
        self._error = error
        if self._on_error is not None:
            try:
                self._on_error(error)
            except Exception:
                log.exception("on_error callback raised while reporting: %s", error)

"""A container stream in, raw 16 kHz 16-bit PCM out, as it arrives: for servers that do not take the
browser's container (Deepgram Flux takes WebM/Opus and Ogg/Opus, not Safari's MP4/AAC).

:class:`PcmTranscoder` decodes with :class:`~.decode.StreamDecoder` (PyAV, its own thread) and hands
out :data:`~.formats.LINEAR16` bytes. Raw PCM can be entered at any sample, so a new connection
can resume from any point of it (:mod:`.replay`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .decode import StreamDecoder
from .formats import BROWSER, LINEAR16_RATE, DecodeError, Source

__all__ = ["PcmTranscoder", "needs_transcoding"]

# What Flux takes as a container, as the browser's recorders name it (Deepgram's docs, 2026-01):
# Opus in WebM or Ogg. WAV/linear16 too, but decoding it here costs nothing and gains one rule.
_FLUX_CONTAINERS = ("audio/webm", "video/webm", "audio/ogg", "audio/opus")


def needs_transcoding(mime_type: str) -> bool:
    """Whether Flux needs ``mime_type`` turned into PCM: anything but Opus in WebM or Ogg, as named
    by its ``codecs`` parameter (a file's ``audio/webm`` may hold Vorbis, so it is transcoded)."""
    base, _, params = mime_type.partition(";")
    if base.strip().lower() == "audio/opus":
        return False
    return base.strip().lower() not in _FLUX_CONTAINERS or "opus" not in params.lower()


class PcmTranscoder:
    """Decode a container stream fed piece by piece; ``on_pcm(bytes)`` gets 16-bit little-endian mono
    PCM at 16 kHz, ``on_error(DecodeError)`` a decoding failure, both from the decoder's thread."""

    def __init__(
        self,
        mime_type: str,
        on_pcm: Callable[[bytes], None],
        on_error: Callable[[DecodeError], None],
        *,
        source: Source = BROWSER,
    ) -> None:
        self._on_pcm = on_pcm
        self._decoder = StreamDecoder(mime_type, self._deliver, LINEAR16_RATE, on_error=on_error, source=source)

    def write(self, data: bytes) -> None:
        """Queue the next piece of the container stream; never blocks."""
        self._decoder.write(data)

    def close(self) -> None:
        """End of input: block until everything written was decoded and handed out."""
        self._decoder.close()

    def abort(self) -> None:
        """Stop at once, dropping what is not decoded yet."""
        self._decoder.abort()

    def _deliver(self, samples: np.ndarray) -> None:
        pcm = np.clip(samples, -1.0, 1.0) * 32767.0
        self._on_pcm(pcm.astype("<i2").tobytes())

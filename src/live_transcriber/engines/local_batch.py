"""The offline engine's batch path: a whole file through faster-whisper's own batch transcription.

Streaming re-runs Whisper on a sliding window to show words as they are spoken; a file that is
already complete needs none of that. :meth:`BatchLocalEngine.open_whole` decodes the file once
(:class:`~live_transcriber.media.StreamDecoder`), lets faster-whisper skip silence with its
Silero VAD and transcribe in 30 s windows with word timestamps, and emits each segment as a final
result as it comes (so progress can be shown), ``speech_final`` where a pause follows.

The file is transcribed with the keyterms the engine had when it was given (faster-whisper's
``hotwords``, as in the live path) and, with ``language=None``, in the language faster-whisper
detects on its first 30 s of speech.

Whisper starts the first word of a stretch of speech where the audio it was given starts: with
the VAD's padding, up to 0.4 s before the word is heard. A word's start is moved to its first
frame louder than silence, so that playing from a word starts at the word.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from ..media import BROWSER, DecodeError, Source, StreamDecoder
from ..results import EngineError, Metadata, Result, StreamClosed, Word, join_words, plain
from .base import EngineStream, EventSink, Keyterms
from .local import LocalEngine, attached_to_previous, hotwords

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
#: Seconds of silence after a segment that end an utterance (the live policy's endpoint silence).
ENDPOINT_SILENCE = 0.7
#: Frames of this many seconds are loud when their RMS (full scale 1.0) reaches SILENCE_RMS
#: (about -46 dBFS; the live policy's defaults).
FRAME = 0.03
SILENCE_RMS = 0.005


class BatchLocalEngine(LocalEngine):
    """The offline engine (:class:`~live_transcriber.engines.local.LocalEngine`) with a batch path
    for whole recordings: ``transcribe_file`` runs at faster-whisper's batch speed."""

    def open_whole(self, data: bytes, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> EngineStream:
        return BatchStream(self, data, mime_type, emit, source)

    def transcribe_whole(self, model: Any, audio: np.ndarray, keyterms: Keyterms = ()) -> Any:
        """faster-whisper's segments for ``audio`` (16 kHz mono float32), lazily, as it decodes them."""
        segments, _info = model.transcribe(
            audio,
            language=self.language,
            hotwords=hotwords(keyterms),
            beam_size=self.beam_size,
            word_timestamps=True,
            # As the live engine: a long file must not be lost to a repetition loop that feeds itself.
            condition_on_previous_text=False,
            # Temperatures: faster-whisper's fallback (0.0 first, higher when a window loops).
            vad_filter=True,
        )
        return segments


class BatchStream(EngineStream):
    """A whole recording on one thread: decode, transcribe segment by segment, emit, close."""

    def __init__(self, engine: BatchLocalEngine, data: bytes, mime_type: str, emit: EventSink, source: Source = BROWSER) -> None:
        self._engine = engine
        self._keyterms = engine.keyterms
        self._data = data
        self._mime_type = mime_type
        self._emit = emit
        self._source = source
        self._aborted = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-transcriber-batch", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        """Nothing to do: the stream was given the whole recording."""

    def end(self) -> None:
        """Nothing to do: the stream was given the whole recording."""

    def abort(self) -> None:
        self._aborted.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    def _run(self) -> None:
        try:
            model = self._engine.load_for(self._emit)
            audio = self._decode() if model is not None else None
            if audio is not None and not self._aborted.is_set():
                self._transcribe(model, audio)
        except Exception as exc:  # the thread must end with StreamClosed whatever happens
            log.exception("offline engine (batch) failed")
            self._emit(EngineError(f"The offline engine failed: {exc}", fatal=True))
        finally:
            self._data = b""
            self._closed.set()
            self._emit(StreamClosed())


    def _decode(self) -> np.ndarray | None:
        pieces: list[np.ndarray] = []
        errors: list[DecodeError] = []
        decoder = StreamDecoder(self._mime_type, pieces.append, SAMPLE_RATE, on_error=errors.append, source=self._source)
        decoder.write(self._data)
        decoder.close()
        if errors:
            self._emit(EngineError(str(errors[0]), fatal=True))
            return None
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)

    def _transcribe(self, model: Any, audio: np.ndarray) -> None:
        loud = _loud_frames(audio)
        pending: Result | None = None
        for segment in self._engine.transcribe_whole(model, audio, self._keyterms) if len(audio) else ():
            if self._aborted.is_set():
                return
            result = _result(segment, loud)
            if result is None:
                continue
            if pending is not None:
                self._emit(_ended(pending, result.start - pending.end >= ENDPOINT_SILENCE))
            pending = result
        if pending is not None:
            self._emit(_ended(pending, True))
        self._emit(Metadata(duration=len(audio) / SAMPLE_RATE))


def _loud_frames(audio: np.ndarray) -> np.ndarray:
    """For each FRAME of ``audio``, whether it is louder than silence."""
    size = int(SAMPLE_RATE * FRAME)
    frames = audio[: len(audio) // size * size].reshape(-1, size)
    return np.sqrt(np.einsum("ij,ij->i", frames, frames) / size) >= SILENCE_RMS


def _onset(start: float, end: float, loud: np.ndarray) -> float:
    """Where a word's sound starts: its first loud frame, if it has one, else its start."""
    first, last = int(start / FRAME), int(np.ceil(end / FRAME))
    heard = np.flatnonzero(loud[first:last])
    return min(end, max(start, float((first + heard[0]) * FRAME))) if len(heard) else start


def _result(segment: Any, loud: np.ndarray) -> Result | None:
    """A faster-whisper segment as a final result, or None if it holds no words.

    Repetition loops are faster-whisper's to handle (it decodes again at higher temperatures);
    its compression ratio is that of a whole 30 s window, so dropping a segment by it would also
    drop speech that merely repeats itself."""
    words = []
    for i, w in enumerate(segment.words or ()):
        text = w.word.strip()
        if any(c.isalnum() for c in text):
            start, end = float(w.start), float(w.end)
            words.append(Word(plain(text), _onset(start, end, loud), end, float(w.probability), text, attached=attached_to_previous(w.word, i)))
    if not words:
        return None
    return Result(join_words(words), words[0].start, words[-1].end, tuple(words), is_final=True)


def _ended(result: Result, speech_final: bool) -> Result:
    return Result(result.text, result.start, result.end, result.words, is_final=True, speech_final=speech_final)

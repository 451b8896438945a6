"""The two-speed offline engine: Moonshine shows the words as they are spoken, Whisper writes the words that stay.

Moonshine tiny (the ``moonshine-voice`` 0.1.0 wheel carries its English model) costs what the audio
it hears is long, about a tenth of a second of CPU per second of speech; a Whisper run costs its
30 s encoder pass whatever it hears. So the words on screen come from Moonshine, heard again every
0.3 s of new audio (:class:`~live_transcriber.streaming.Interims`), and the final words, with
their times and confidences, from Whisper (the user's model, tiny.en by default) run far less
often, paced to 0.6 of a core (:data:`FINAL_POLICY`), under the same
:class:`~live_transcriber.streaming.StreamingPolicy` as the Whisper-only engine. Moonshine is its
witness: a Whisper run's words are final as soon as Moonshine's latest words for the same audio
agree with them, instead of waiting for the next Whisper run to agree. One voice detector
(Silero) decides for both where speech is.

Three threads: the decoder's; a listening thread that takes the decoded audio into the window,
runs the voice detector and Moonshine, and emits interim results; and a finals thread that runs
Whisper and emits final results, ``SpeechStarted`` and ``UtteranceEnd``. One lock guards the
policy and the interim pieces, released while either recogniser runs, so the screen never waits
for Whisper. Final results never change; the interim text may change completely.

Keyterms go to Whisper as ``hotwords``, as in the Whisper-only engine: they shape the final words.
Moonshine has no such input, so a keyterm may show misspelled in the interim text until its
words are final. Moonshine's model is English only: :func:`moonshine_cannot_serve` says when
this engine cannot be used (another language, language detection, an English-less Whisper model,
a platform without the wheel), and :func:`~live_transcriber.engines.select.make_engine` then
falls back to the Whisper-only engine with a one-line notice.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from typing import Any

import numpy as np

from ..media import BROWSER, Source
from ..results import EngineError, EngineStatus, Event, Result, SpeechStarted, UtteranceEnd, Word
from ..streaming import InterimJob, InterimOptions, Interims, PolicyOptions
from .base import EventSink
from .local import LagReport, LocalStream, is_loaded
from .local_batch import BatchLocalEngine

log = logging.getLogger(__name__)

#: How the finals' Whisper runs are scheduled here: a run as often as 0.6 of a core allows (the
#: kernel's CPU while a run is in flight, Moonshine's included: about 1.7 s of CPU a run in the
#: browser's kernel, so a run every 4-5 s, and the kernel at 0.9 of a core in all), those at pauses
#: too. A run's words are final once Moonshine, which heard the same audio since, agrees with them
#: (the witness: :meth:`StreamingPolicy.step`), else once the next run does; at a pause, at once
#: (Whisper heard the whole phrase). So a word waits for about one run, not two. See the "Step 10,
#: finals" section of benchmarks/README.md for the trade-off measured.
FINAL_POLICY = PolicyOptions(min_step=1.0, pause_final=0.0, cpu_budget=0.6, budget_at_pauses=True)

#: A Whisper run that took longer than this (wall seconds; 0.6-1.5 on two idle cores) means the CPU
#: is short: Moonshine then waits while the next one runs.
_SLOW_RUN = 2.0

_moonshine_lock = threading.Lock()


def moonshine_cannot_serve(language: str | None = "en") -> str:
    """Why the two-speed engine cannot serve ``language`` on this machine, or "" if it can.

    Any Whisper model can give its finals: an English-only one (``*.en``), or a multilingual one
    told ``language="en"``."""
    if language != "en":
        wanted = "language detection (language=None)" if language is None else f"language={language!r}"
        return f"Moonshine, which shows the words as you speak, knows only English: {wanted} runs on the Whisper-only offline engine."
    try:
        _moonshine_library()
    except ImportError:
        return f"Moonshine is not installed ({INSTALL}): the offline engine runs on Whisper only, and words show later."
    except Exception as exc:  # OSError, MoonshineError: a glibc older than 2.34, a broken install
        return f"Moonshine cannot load here ({_short(exc)}): the offline engine runs on Whisper only, and words show later."
    return ""


#: How to get Moonshine, where its wheel exists.
INSTALL = "pip install 'jupyter-live-transcriber[moonshine]'"


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


@functools.lru_cache(maxsize=1)
def _moonshine_library() -> Any:
    """moonshine_voice's shared library, loaded once (raises if the wheel or its glibc is missing)."""
    from moonshine_voice.moonshine_api import _MoonshineLib

    return _MoonshineLib()


_moonshine: Any = None


def load_moonshine() -> Any:
    """Moonshine tiny (English) from the model files in the moonshine-voice wheel, loaded once."""
    global _moonshine
    with _moonshine_lock:
        if _moonshine is None:
            import os

            from moonshine_voice import ModelArch, Transcriber, get_assets_path

            # vad_threshold 0: no voice detection of its own (Silero decides where speech is),
            # so each piece is heard as one line.
            _moonshine = Transcriber(os.path.join(get_assets_path(), "tiny-en"), ModelArch.TINY, options={"vad_threshold": "0"})
        return _moonshine


def moonshine_loaded() -> bool:
    return _moonshine is not None


def hear(moonshine: Any, audio: np.ndarray) -> list[str]:
    """Moonshine's words for ``audio`` (16 kHz mono float32), as text.

    Calls the library's C function on the array's own memory. ``transcribe_without_streaming``
    copies the samples into a ctypes array one Python float at a time (``(c_float * n)(*audio)``),
    holding the GIL for it: in a Jupyter kernel that made each run take twice as long and slowed
    Whisper's runs beside it (measured in a kernel at load 3-7: Moonshine 0.71 → 0.30 s a run, 22
    → 55 runs on two-cities, Whisper's runs 2.0-4.2 → 1.4-3.5 s). The attributes used are those
    of moonshine-voice 0.1.0, the pinned version."""
    import ctypes

    from moonshine_voice.errors import check_error
    from moonshine_voice.moonshine_api import TranscriptC

    samples = np.ascontiguousarray(audio, dtype=np.float32)
    transcript = ctypes.POINTER(TranscriptC)()
    check_error(moonshine._lib.moonshine_transcribe_without_streaming(
        moonshine._handle, samples.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), len(samples), 16000, 0, ctypes.byref(transcript)
    ))
    lines = moonshine._parse_transcript(transcript).lines
    return " ".join(line.text for line in lines).split()


class TwoSpeedEngine(BatchLocalEngine):
    """Interim words from Moonshine tiny, final words from Whisper (``model``, tiny.en by default).

    Same options as the Whisper-only engine, whose batch path it keeps for files. ``policy`` sets
    how Whisper's final runs are scheduled (:data:`FINAL_POLICY` by default), ``interims`` how
    often Moonshine hears the words not yet final. English only (see :func:`moonshine_cannot_serve`).
    """

    def __init__(self, model: str = "tiny.en", *, policy: PolicyOptions | None = None, interims: InterimOptions | None = None, **options: Any) -> None:
        super().__init__(model, policy=policy or dataclasses.replace(FINAL_POLICY), **options)
        if self.language != "en":
            raise ValueError(moonshine_cannot_serve(self.language))
        self.interims = interims or InterimOptions()
        self.label = f"offline · moonshine + {self.label.split(' · ', 1)[1]}"
        # Both models start loading now, on a thread of their own: by the time the user presses
        # Start (seconds after the widget is shown) the first words need not wait for them.
        threading.Thread(target=self._preload, name="live-transcriber-preload", daemon=True).start()

    def __repr__(self) -> str:
        return f"TwoSpeedEngine(model={self.model!r}, device={self.device!r}, compute_type={self.compute_type!r})"

    def _preload(self) -> None:
        try:
            load_moonshine()
            self.load()
        except Exception:  # reported when a stream loads them (load_for), where the user sees it
            log.debug("preloading the offline models failed", exc_info=True)

    def open(self, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> TwoSpeedStream:
        return TwoSpeedStream(self, mime_type, emit, source)

    def load_moonshine_for(self, emit: EventSink) -> Any:
        """Moonshine for a stream: ``EngineStatus("loading model")`` while either model is not in
        memory yet, then ``EngineStatus("ready")`` once Moonshine is (the words show from then on;
        Whisper may still be loading); None after a fatal ``EngineError``."""
        if not (moonshine_loaded() and is_loaded(self.model, self.device, self.compute_type, self.cpu_threads)):
            emit(EngineStatus("loading model", f"moonshine tiny + {self.model}"))
        try:
            moonshine = load_moonshine()
        except Exception as exc:
            emit(EngineError(f"Could not load Moonshine, which shows the words as you speak: {_short(exc)}. "
                             "engine='whisper' runs without it.", fatal=True))
            return None
        emit(EngineStatus("ready"))
        return moonshine


class TwoSpeedStream(LocalStream):
    """Decoder thread → listening thread (window, voice detector, Moonshine: interim results) and
    finals thread (Whisper: final results). ``self._wake`` guards the queue, the policy and the
    interims; it is released while a recogniser runs."""

    def __init__(self, engine: TwoSpeedEngine, mime_type: str, emit: EventSink, source: Source = BROWSER) -> None:
        self._interims = Interims(engine.interims)
        self._listened = False  # the listening thread took in the last audio
        self._speaking = False  # a SpeechStarted was sent and its utterance has not ended
        self._running = False  # Whisper is running (the policy is waiting in transcribe)
        self._whisper_wall = 0.0  # how long the last Whisper run took (wall seconds)
        self._fresh = False  # audio came in (or a step was taken) since the finals thread asked the policy
        self._due = False  # what the policy answered then
        super().__init__(engine, mime_type, emit, source)

    def _load(self) -> Any:
        """Moonshine (for the listening thread); Whisper is loaded by the finals thread meanwhile."""
        moonshine = self._engine.load_moonshine_for(self._emit)  # type: ignore[attr-defined]
        if moonshine is None:
            self._decoder.abort()
        return moonshine

    def _recognise(self, moonshine: Any) -> None:
        self._moonshine = moonshine
        listener = threading.Thread(target=self._listen_loop, name="live-transcriber-listen", daemon=True)
        listener.start()
        try:
            try:
                model = self._engine.load()
            except RuntimeError as exc:
                self._emit(EngineError(str(exc), fatal=True))
                return
            self._finals_loop(model)
        finally:
            with self._wake:
                self._aborted = self._aborted or not self._listened  # stops a listener left alone
                self._wake.notify_all()
            listener.join()
            if not self._listened:
                self._decoder.abort()

    # The listening thread.
    def _listen_loop(self) -> None:
        try:
            self._listen_until_ended()
        except Exception as exc:
            log.exception("offline engine (listening) failed")
            self._emit(EngineError(f"The offline engine failed: {exc}", fatal=True))
            with self._wake:
                self._aborted = True
                self._wake.notify_all()

    def _listen_until_ended(self) -> None:
        lag = LagReport(self._emit)
        sample_rate = self._engine.policy.sample_rate
        batch = int(0.1 * sample_rate)
        drained = False
        while True:
            with self._wake:
                # Woken for each 20 ms the decoder gives, but taking audio in 0.1 s at a time (or
                # what there is, 50 ms after it came): each wake-up costs the GIL that Whisper's
                # Python needs, and in the browser's kernel that slowed its runs several times.
                self._wake.wait_for(
                    lambda: self._aborted or (self._ended and not self._audio) or ((self._ended or self._queued >= batch) and self._can_take()),
                    timeout=0.05,
                )
                if self._aborted:
                    return
                if self._ended and not self._audio:
                    if drained:
                        break
                    # The decoder may still hold the last chunk: drain it (outside the lock, as
                    # its thread calls _on_audio), then go through what it gave.
                    self._wake.release()
                    try:
                        self._decoder.close()
                    finally:
                        self._wake.acquire()
                    drained = True
                    continue
                room = int(self._room() * sample_rate)
                taken = 0
                while self._audio and taken < room:
                    chunk = self._audio.popleft()
                    self._policy.add_audio(chunk)
                    taken += len(chunk)
                self._queued -= taken
                if not taken:
                    continue  # (the window is full while Whisper runs, or nothing came)
                self._policy.listen()
                self._fresh = True
                self._wake.notify_all()  # the finals thread may have a run due
                # Behind (or ended): catch up first; words shown late are no use. And while a slow
                # Whisper run is in flight, wait: on a starved CPU, Moonshine running beside it made
                # its runs three or four times as long (10 s instead of 3 in a kernel at load 8),
                # and the window then filled until nothing could be shown at all.
                yielding = self._running and self._whisper_wall > _SLOW_RUN
                job = self._interims.job(self._policy) if not (self._audio or self._ended or yielding) else None
            if job is not None:
                self._hear(job)
            with self._wake:
                behind = self._queued / sample_rate + self._interims.unheard(self._policy)
            lag.update(behind)
        lag.update(0.0)
        with self._wake:
            self._listened = True
            self._wake.notify_all()

    def _room(self) -> float:
        """Seconds of audio the window may take now (with ``self._wake`` held). While a Whisper run
        is in flight or due, only up to what one run can hear: the run after it must still be one
        encoder pass, and a backlog goes through in steps as large as that."""
        busy = self._running or self._policy.ready()
        return self._policy.room(minimum=0.0 if busy else None)

    def _can_take(self) -> bool:
        return bool(self._audio) and self._room() > 0

    def _hear(self, job: InterimJob) -> None:
        started = time.monotonic()
        words = hear(self._moonshine, job.audio)  # (the lock is not held: Whisper may run meanwhile)
        with self._wake:
            self._interims.took(time.monotonic() - started)
            if not self._aborted:
                self._send(self._interims.heard_as(job, words))

    # The finals thread.
    def _finals_loop(self, model: Any) -> None:
        def transcribe(audio: np.ndarray, prompt: str) -> list[Word]:
            # Called by the policy with self._wake held: released while Whisper runs, so that the
            # listening thread goes on taking audio in and showing Moonshine's words.
            self._running = True
            self._wake.release()
            try:
                started, cpu0 = time.monotonic(), time.process_time()
                words, _ = self._engine.transcribe(model, audio, prompt, keyterms=self._keyterms, language=self._language)
                cost = time.process_time() - cpu0
            finally:
                self._wake.acquire()
                self._running = False
                self._whisper_wall = time.monotonic() - started
                self._wake.notify_all()  # the window may take more audio again
            self._policy.spent(cost)
            return words

        with self._wake:
            while True:
                self._wake.wait_for(lambda: self._aborted or self._listened or self._run_due())
                if self._aborted:
                    return
                if self._due:
                    self._send_finals(self._policy.step(transcribe, self._witness))
                    self._due, self._fresh = False, True  # another step may be due at once
                elif self._listened:
                    break
            self._send_finals(self._policy.finish(transcribe))

    def _witness(self) -> tuple[list[str], float]:
        """Moonshine's words after the final ones, and where the audio it heard ends: a Whisper
        word they agree on is final without waiting for the next Whisper run (with ``self._wake``
        held, after the run: Moonshine heard on while it ran)."""
        return self._interims.text.split(), self._interims.heard

    def _run_due(self) -> bool:
        """Whether a Whisper run (or the policy's step) is due; asks the policy only when audio came
        in since it last asked, or a step was taken (with ``self._wake`` held)."""
        if self._fresh:
            self._fresh = False
            self._due = self._policy.ready()
        return self._due

    def _send_finals(self, events: list[Event]) -> None:
        """The Whisper policy's events, less its interim results (the interims are Moonshine's)."""
        if self._aborted:
            return
        for event in events:
            if isinstance(event, Result) and not event.is_final:
                continue
            if isinstance(event, SpeechStarted):
                continue  # sent when the first words of an utterance are shown (see _send)
            self._send([event])
            if isinstance(event, Result):
                self._send(self._interims.after_final(list(event.words), self._policy.final_end))
            if isinstance(event, UtteranceEnd):
                self._speaking = False
                self._send(self._interims.clear())

    def _send(self, events: list[Event]) -> None:
        """Emit ``events`` (under ``self._wake``, so that the two threads' events keep their order),
        with ``SpeechStarted`` before the first words of each utterance."""
        for event in events:
            if isinstance(event, Result) and event.words and not self._speaking:
                self._speaking = True
                self._emit(SpeechStarted(event.words[0].start))
            self._emit(event)

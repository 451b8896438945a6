"""The transcriber: recordings in, transcript out. The headless core under the widget.

A :class:`Transcriber` owns everything but the comm: the browser protocol (messages from the page
go to :meth:`Transcriber.receive`), the engine streams, the transcript, the recordings on one
timeline, the status, callbacks, :meth:`~Transcriber.wait`, and pushing audio from Python
(:meth:`~Transcriber.feed`, :meth:`~Transcriber.transcribe_file`). It has no widget import: use it
from a script or a server, or under :class:`~live_transcriber.LiveTranscriber`, which mirrors its
state into traits through a :class:`FrontEnd`.

Threads: :meth:`receive`, :meth:`feed` and the other methods are called from the user's thread
(the kernel's); engines emit events from their own threads. One lock guards the state; callbacks
run outside it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, Union

from . import journal as J
from . import protocol as P
from .engines import Engine, EngineStream, Keyterms, normalize_keyterms
from .engines.select import make_engine
from .media import BROWSER, FEED, DecodeError, Source, container_format, duration, file_mime_type, file_source
from .results import (
    EngineError,
    EnginePhase,
    EngineStatus,
    Event,
    Metadata,
    Result,
    SpeechStarted,
    Status,
    StreamClosed,
    Transcript,
    UtteranceEnd,
    derive_status,
    join_words,
)
from .settings import MissingKeyError

log = logging.getLogger(__name__)

ResultCallback = Callable[[Result], Any]
EventCallback = Callable[[Event], Any]

#: Seconds between the last word of one recording and the start of the next on the timeline.
RECORDING_GAP = 1.0
#: Bytes per piece when a file is pushed through the pipeline.
FILE_PIECE = 4096
#: Shown as the status detail after a recording in which nothing was recognised.
NO_SPEECH = "no speech heard"
#: Engine streams open at once: the recording in progress and one still finishing. Recordings
#: started and stopped faster than that wait for their turn (their audio is kept meanwhile), so
#: quick Start/Stop clicks cannot pile up threads and memory.
MAX_STREAMS = 2


class TranscriptionError(RuntimeError):
    """A recording could not be transcribed; the message says why and what to do."""


class FrontEnd(Protocol):
    """What shows the transcriber's state to a user (the widget): it is told what changed."""

    def changed(self, changes: dict[str, Any]) -> None:
        """Some of ``transcript``, ``interim``, ``status``, ``status_detail``, ``error``,
        ``results``, ``keyterms`` changed to the values given (called with the transcriber's lock held)."""

    def send(self, message: dict[str, Any]) -> None:
        """Deliver a message to the browser: ``stop_recording``, ``history`` or ``export``."""


@dataclass
class Recording:
    """One recording: its container bytes exactly as they came (if kept), and its place on the timeline."""

    #: Its number: the index in :attr:`Transcriber.recordings`, and ``Result.recording``.
    index: int
    mime_type: str
    #: Where the audio came from (the browser, a file, :meth:`Transcriber.feed`).
    source: Source
    #: Where its time 0 is on the transcript's timeline, in seconds (known once the recording
    #: before it has finished).
    offset: float = 0.0
    #: The container bytes, unchanged (empty when the transcriber keeps no audio).
    data: bytearray = field(default_factory=bytearray, repr=False)
    #: Why it could not be transcribed (a fatal engine or decoding error), else "".
    error: str = ""
    #: Whether its engine stream has closed: every word it will give is in the transcript.
    done: bool = False
    #: How its chunks came: received, bytes, duplicates dropped, and lost (never arrived).
    counters: P.Counters = field(default_factory=P.Counters)
    #: Whether ``offset`` is known.
    placed: bool = False


@dataclass(eq=False)
class _Run:
    """A recording on its way through an engine stream."""

    recording: Recording
    stream: EngineStream | None = None
    ending: bool = False
    #: Its words no longer count (the transcript was cleared, or the transcriber closed).
    detached: bool = False
    #: Events that came while the recording before it was still finishing: its place on the
    #: timeline is known only once that one is done.
    held: list[Event] | None = None
    phase: EnginePhase | None = None
    detail: str = ""
    words: int = 0
    #: Words ending before this time (on the timeline) are already in the transcript: a recording
    #: transcribed again after a crash gives only what is missing.
    skip_before: float | None = None
    #: The page's id for a browser recording (its ``recording`` field), for acknowledgements.
    browser_id: str | None = None
    #: While it waits for an engine stream (see :data:`MAX_STREAMS`): its audio so far, and the
    #: source to open it with.
    pending: list[bytes] | None = None
    source: Source = BROWSER


class Transcriber:
    """Recordings in, transcript out, with no widget.

    >>> t = Transcriber(engine="local")              # doctest: +SKIP
    >>> t.transcribe_file("talk.m4a")                # doctest: +SKIP
    'So the first thing we did ...'

    Parameters
    ----------
    engine:
        ``"auto"`` (Deepgram when an API key is available, else offline), ``"local"``,
        ``"deepgram"``, or an :class:`~live_transcriber.engines.Engine` instance.
    keep_audio:
        Keep each recording's bytes, for :meth:`save_audio` (about 15 MB an hour of WebM/Opus).
    keyterms:
        Words and phrases to listen for: names, jargon, product words (see :attr:`keyterms`).
    journal:
        Where to write the journal (every recording's audio and final result, flushed as they
        come, so a crash loses nothing; see :mod:`live_transcriber.journal`): a folder under which
        each transcriber gets its own, ``True`` for the default (``./live-transcriber-journal``,
        or ``$LIVE_TRANSCRIBER_JOURNAL``), ``None`` or ``False`` for none. The folder is made at
        the first recording; :attr:`journal` says where.
    **options:
        Passed to the engine, e.g. ``model="base.en"`` for the offline engine or
        ``api_key=...``, ``base_url=...``, ``model="nova-3"`` for Deepgram.
    """

    def __init__(
        self,
        engine: Union[str, Engine] = "auto",
        *,
        keep_audio: bool = True,
        keyterms: Iterable[str] | None = None,
        journal: Union[str, Path, bool, None] = True,
        **options: Any,
    ) -> None:
        if "keyterm" in options:
            raise TypeError("keyterm= is now keyterms= (for every engine, and changeable while recording).")
        self._lock = threading.RLock()
        self._front_ends: list[FrontEnd] = []
        self._result_callbacks: list[ResultCallback] = []
        self._event_callbacks: list[EventCallback] = []
        self._transcript = Transcript()
        self._result_dicts: list[dict[str, Any]] = []
        self._runs: list[_Run] = []  # not closed yet, oldest first; the last may be the current one
        self._current: _Run | None = None  # the recording that takes audio now
        self._browser = P.BrowserProtocol()
        self._browser_run: _Run | None = None
        self._feed_run: _Run | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._failed = False
        self._paused = False
        self._error = ""
        self._detail = ""
        self._timeline_end = 0.0  # where the next recording may start
        self._published: dict[str, Any] = {}
        self._results_version = 0  # bumped whenever the list of final results changes
        self._callback_queue: list[Event] = []  # events for callbacks, run once the lock is released
        self.keep_audio = keep_audio
        #: Every recording, oldest first (their bytes are empty unless ``keep_audio``).
        self.recordings: list[Recording] = []
        self._journal_root: Path | None = J.default_root() if journal is True else Path(journal) if journal else None
        #: The journal being written (made at the first recording), or None.
        self.journal: J.Journal | None = None
        self._owns_engine = not isinstance(engine, Engine)
        self._engine: Engine | None = None
        notice = ""
        try:
            self._engine, notice = make_engine(engine, **options)
            self.engine_label = self._engine.label
        except MissingKeyError as exc:
            # Not raised: a widget shows it, and pressing Start says it again.
            self.engine_label = "Deepgram · no key"
            self._error = str(exc)
            self._failed = True
        if notice:
            log.info(notice)
        self._keyterms: Keyterms = self._engine.keyterms if self._engine is not None else ()
        if keyterms is not None:
            self.set_keyterms(keyterms)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(engine={self.engine_label!r}, status={self.status.value!r}, words={len(self._transcript.words)})"

    @classmethod
    def resume(
        cls, path: str | Path, engine: Union[str, Engine] = "auto", *, finish: bool = True, keep_audio: bool = True, **options: Any
    ) -> Transcriber:
        """Continue the transcriber whose journal is at ``path`` (after a crash, a restart, ...).

        The transcript, recordings and timeline come back as they were; the journal goes on in the
        same folder. With ``finish=True``, each recording that was interrupted is transcribed again
        from its saved audio, and the words missing after its last final word are added (in the
        background: :meth:`wait` for them).
        """
        saved = J.load(path)
        transcriber = cls(engine, keep_audio=keep_audio, journal=None, **options)
        transcriber._restore(saved)
        transcriber.journal = J.Journal(saved.folder, append=True)
        transcriber._journal_root = saved.folder.parent
        if finish:
            with transcriber._lock:
                for item in saved.interrupted:
                    transcriber._finish_saved(item)
                transcriber._publish()
        return transcriber

    def _restore(self, saved: J.Saved) -> None:
        with self._lock:
            for item in saved.recordings:
                recording = Recording(
                    item.index, item.mime_type, Source(item.source, "check the file in the journal folder"), item.offset,
                    bytearray(item.data) if self.keep_audio else bytearray(), item.error, done=True, placed=True,
                )
                recording.counters = P.Counters(**{k: v for k, v in item.counters.items() if k in vars(P.Counters())})
                self.recordings.append(recording)
            for result in saved.results:
                for final in self._transcript.apply(result):
                    self._result_dicts.append({"index": len(self._result_dicts), **final.to_dict()})
                    self._timeline_end = max(self._timeline_end, final.end + RECORDING_GAP)
            self._results_version += 1
            for recording in self.recordings:
                self._timeline_end = max(self._timeline_end, recording.offset)
            self._publish()

    def _finish_saved(self, saved: J.SavedRecording) -> None:
        """Transcribe an interrupted recording's saved audio again, keeping only the missing words."""
        recording = self.recordings[saved.index]
        if not saved.data or self._engine is None:
            return
        last = max((r.end for r in self._transcript.finals if r.recording == recording.index), default=None)
        recording.done = False
        run = _Run(recording, skip_before=last)
        self._runs.append(run)
        if len(self._runs) > 1:
            run.held = []  # after the ones before it, in order
        if self._current is None:
            self._current = run
        self._idle.clear()
        self._open_stream(run, Source(f"the saved audio of recording {recording.index}", "the journal's audio file may be damaged"))
        self._write(run, saved.data, keep=False)
        self._end(run)

    # -- state -------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        """The engine in use; None if it could not be made (see :attr:`error`)."""
        return self._engine

    @property
    def transcript(self) -> str:
        """All final text so far."""
        return self._transcript.text

    @property
    def interim(self) -> str:
        """Words not final yet; replaced as recognition goes on."""
        return self._transcript.interim

    @property
    def finals(self) -> list[Result]:
        """Every final result, in order, with its ``utterance`` and ``recording`` set."""
        with self._lock:
            return list(self._transcript.finals)

    @property
    def results(self) -> list[dict[str, Any]]:
        """:attr:`finals` as dicts (``Result.to_dict()`` plus ``index``): the widget's ``results``."""
        with self._lock:
            return list(self._result_dicts)

    @property
    def status(self) -> Status:
        with self._lock:
            return self._state()["status"]

    @property
    def status_detail(self) -> str:
        """More about the status, e.g. ``"attempt 2 of 5"``, ``"4 s behind"``, ``"no speech heard"``."""
        with self._lock:
            return self._state()["status_detail"]

    @property
    def error(self) -> str:
        """The last problem, as a sentence saying what to do, or ``""``."""
        return self._error

    # -- callbacks and front ends ----------------------------------------------------------------

    def on_result(self, callback: ResultCallback, remove: bool = False) -> None:
        """Call ``callback(result)`` for every interim and final :class:`Result` (from a background thread)."""
        _register(self._result_callbacks, callback, remove)

    def on_event(self, callback: EventCallback, remove: bool = False) -> None:
        """Call ``callback(event)`` for every engine event: :class:`Result`, :class:`SpeechStarted`,
        :class:`UtteranceEnd`, :class:`Metadata`, :class:`EngineError` (from a background thread),
        with times on the transcript's timeline."""
        _register(self._event_callbacks, callback, remove)

    def attach(self, front_end: FrontEnd) -> None:
        """Tell ``front_end`` about every change from now on (the widget does this)."""
        with self._lock:
            self._front_ends.append(front_end)
            front_end.changed({**self._state(), "results": list(self._result_dicts), "keyterms": list(self._keyterms)})

    # -- keyterms -----------------------------------------------------------------------------------

    @property
    def keyterms(self) -> list[str]:
        """Words and phrases the engine listens for (names, jargon, product words). Set it to change
        them at any time: a recording in progress uses the new ones from then on, without losing audio."""
        return list(self._keyterms)

    @keyterms.setter
    def keyterms(self, terms: Iterable[str]) -> None:
        self.set_keyterms(terms)

    @property
    def supports_keyterms(self) -> bool:
        """Whether the engine uses :attr:`keyterms` (others accept them and ignore them)."""
        return self._engine is not None and self._engine.supports_keyterms

    def set_keyterms(self, terms: Iterable[str] | None) -> None:
        """Set :attr:`keyterms` (spaces tidied, repeats dropped); raises ``TypeError``/``ValueError``
        for what is not a list of at most 100 short strings."""
        new = normalize_keyterms(terms)
        with self._lock:
            if new == self._keyterms:
                return
            self._keyterms = new
            if self._engine is not None:
                self._engine.set_keyterms(new)
                for run in self._runs:
                    if run.stream is not None:
                        run.stream.set_keyterms(new)
            for front_end in self._front_ends:
                front_end.changed({"keyterms": list(new)})

    # -- the browser -------------------------------------------------------------------------------

    def receive(self, message: Any, buffers: Any = ()) -> None:
        """Handle one message from the browser (see ``static/widget.js`` for the protocol). Never
        raises: bad messages are reported in :attr:`error`."""
        try:
            with self._lock:
                if self._closed:
                    return
                for action in self._browser.handle(message, buffers):
                    self._carry_out(action)
                self._publish()
        except Exception:  # a bug here must not take the comm down with it
            log.exception("live-transcriber: failed to handle a message from the browser")
            with self._lock:
                self._error = "Internal error while handling a message from the browser:\n" + traceback.format_exc(limit=3)
                self._publish()
        self._run_callbacks()

    def _carry_out(self, action: P.Action) -> None:
        if isinstance(action, P.Audio):
            if self._browser_run is not None:
                self._write(self._browser_run, action.data)
                self._acknowledge(self._browser_run, action.seq + 1)
        elif isinstance(action, P.StartRecording):
            self._browser_run = self._begin(action.mime_type, BROWSER)
            self._browser_run.recording.counters = self._browser.counters  # kept up to date by the protocol
            self._browser_run.browser_id = self._browser.recording
        elif isinstance(action, P.EndRecording):
            if self._browser_run is not None:
                self._end(self._browser_run)
                self._browser_run = None
        elif isinstance(action, P.Problem):
            if action.message != self._error:  # a page repeating a bad message fills no log
                log.warning("live-transcriber: %s", action.message)
            self._error = action.message
            if action.fatal:
                self._fail(action.message)
        elif isinstance(action, P.ClientError):
            self._error = action.message
        elif isinstance(action, P.Command):
            self._command(action)

    def _command(self, command: P.Command) -> None:
        if command.name in ("pause", "resume"):
            self._paused = command.name == "pause"
        elif command.name == "clear":
            self._clear()
        elif command.name == "history":
            self._send({"type": "history", "results": list(self._result_dicts)})
        elif command.name == "export":
            from .exports import FORMATS

            fmt = P.text(command.args.get("format", ""), 40)
            if fmt not in FORMATS:
                self._error = f"Cannot export as {fmt!r}: choose one of {', '.join(FORMATS)}."
                return
            writer, mime_type = FORMATS[fmt]
            content = writer(self._transcript.finals)
            self._send({"type": "export", "format": fmt, "filename": f"transcript.{fmt}", "mime_type": mime_type, "content": content})

    # -- audio from Python -------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview, mime_type: str) -> None:
        """Push the next piece of a container stream (WebM, Ogg, MP4, WAV, ...), as the browser would.

        The first call starts a recording in ``mime_type``; :meth:`end_feed` ends it. A browser
        recording still open is ended first (the page is told to stop).
        """
        piece = _bytes(data)
        container_format(mime_type)
        with self._lock:
            self._check_open()
            run = self._feed_run
            if run is not None and run.ending:
                self._feed_run = None
                raise TranscriptionError(run.recording.error or "The recording fed so far has ended; call end_feed() and start again.")
            if run is None:
                run = self._feed_run = self._begin(mime_type, FEED)
            self._write(run, piece)
            self._publish()
        self._run_callbacks()

    def end_feed(self) -> None:
        """The audio passed to :meth:`feed` is complete: finish transcribing it."""
        with self._lock:
            if self._feed_run is not None:
                self._end(self._feed_run)
                self._feed_run = None
                self._publish()
        self._run_callbacks()

    def transcribe_file(
        self, path: str | Path, mime_type: str | None = None, *, realtime: bool = False, timeout: float | None = None
    ) -> str:
        """Transcribe an audio or video file as one more recording; return its final text.

        The format comes from the file's first bytes, else its name (or pass ``mime_type``). With
        ``realtime=True`` the file is fed at the pace it plays, as a live recording would be.
        Raises :class:`TranscriptionError` when it cannot be transcribed (no engine, a file that
        is not audio, ...), ``TimeoutError`` after ``timeout`` seconds.
        """
        path = Path(path)
        data = path.read_bytes()
        try:
            mime_type = mime_type or file_mime_type(path, data[:64])
            container_format(mime_type)
        except DecodeError as exc:
            raise TranscriptionError(str(exc)) from None
        if not data:
            raise TranscriptionError(f"{path.name} is empty.")
        pace = duration(path) / len(data) if realtime else 0.0
        with self._lock:
            self._check_open()
            if self._engine is None:
                raise TranscriptionError(self._error)
            run = self._begin(mime_type, file_source(path))
            self._publish()
        recording = run.recording
        try:
            started = time.monotonic()
            for offset in range(0, len(data), FILE_PIECE):
                if pace:
                    time.sleep(max(0.0, started + offset * pace - time.monotonic()))
                with self._lock:
                    if run.ending:
                        break  # cut short (see recording.error)
                    self._write(run, data[offset : offset + FILE_PIECE])
            with self._lock:
                self._end(run)
                self._publish()
        except BaseException:
            self._abort(run)  # e.g. the kernel's stop button: leave nothing half open
            raise
        finally:
            self._run_callbacks()
        if not self.wait(timeout):
            raise TimeoutError(f"Transcribing {path.name} took longer than {timeout} s.")
        if recording.error:
            raise TranscriptionError(recording.error)
        return self.text_of(recording.index)

    def text_of(self, recording: int) -> str:
        """The final text of one recording (an index into :attr:`recordings`)."""
        with self._lock:
            return " ".join(r.text for r in self._transcript.finals if r.recording == recording)

    # -- everything else ---------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every recording is fully transcribed; False on timeout."""
        return self._idle.wait(timeout)

    def clear(self) -> None:
        """Forget the transcript so far, including words still to come from recordings already
        stopped (the recorded audio is kept; a recording in progress goes on)."""
        with self._lock:
            self._clear()
            self._publish()
        self._run_callbacks()

    def to_text(self, *, timestamps: bool = False, speakers: bool = True) -> str:
        """The final transcript, one line per utterance (``[mm:ss]`` first with ``timestamps=True``,
        ``Speaker 1:`` when the engine tells speakers apart)."""
        from .exports import to_text

        return to_text(self.finals, timestamps=timestamps, speakers=speakers)

    def to_srt(self) -> str:
        """The final transcript as SubRip subtitles, timed by its words."""
        from .exports import to_srt

        return to_srt(self.finals)

    def to_vtt(self) -> str:
        """The final transcript as WebVTT subtitles, timed by its words."""
        from .exports import to_vtt

        return to_vtt(self.finals)

    def to_json(self) -> str:
        """Every final result with its words and timings, as JSON."""
        from .exports import to_json

        return to_json(self.finals)

    def export(self, path: str | Path) -> Path:
        """Write the transcript to ``path`` in the format its suffix names: .txt, .srt, .vtt or .json."""
        from .exports import FORMATS

        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ValueError(f"Cannot export to {path.name!r}: use a .txt, .srt, .vtt or .json file name.")
        path.write_text(FORMATS[fmt][0](self.finals), encoding="utf-8", newline="")
        return path

    def save_audio(self, path: str | Path, recording: int = -1) -> Path:
        """Write a recording (the latest by default) to ``path`` exactly as it came.

        The format is the recording's (``recordings[i].mime_type``, from the browser usually
        WebM/Opus): name the file to match, e.g. ``"talk.webm"``.
        """
        if not self.recordings:
            raise ValueError("Nothing recorded yet.")
        if not self.keep_audio:
            raise ValueError("No audio was kept: this transcriber was made with keep_audio=False.")
        path = Path(path)
        path.write_bytes(bytes(self.recordings[recording].data))
        return path

    def close(self) -> None:
        """Stop every recording at once and release the engine. Their words so far are kept."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            runs = list(self._runs)
            for run in runs:
                run.detached = True  # words after close are not wanted
            self._browser.close()
        for run in runs:
            if run.stream is not None:
                run.stream.abort()
        for run in runs:
            # Let a recognition run in progress end: native threads alive at exit abort the process.
            if run.stream is not None:
                run.stream.wait(10)
        with self._lock:
            for run in runs:
                self._closed_run(run)
            self._publish()
        self._run_callbacks()
        if self.journal is not None:
            self.journal.close()
        if self._owns_engine and self._engine is not None:
            self._engine.close()

    # -- recordings (called with the lock held) ------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("This transcriber was closed.")

    def _begin(self, mime_type: str, source: Source) -> _Run:
        """Start a recording: the current one (if any) is ended first."""
        previous = self._current
        if previous is not None and not previous.ending:
            if previous is self._browser_run:
                # The page is still recording (or was reloaded without a stop): end it there too.
                self._carry_out_all(self._browser.close())
                self._send({"type": "stop_recording", "reason": f"Transcribing {source.name} instead."})
            else:
                previous.recording.error = f"{previous.recording.source.name} was cut short: {source.name} started."
            self._end(previous)
        recording = Recording(len(self.recordings), mime_type, source)
        self.recordings.append(recording)
        run = _Run(recording)
        self._runs.append(run)
        self._current = run
        self._failed = False
        self._paused = False
        self._detail = ""
        self._transcript.interim = ""
        if self._engine is not None:
            self._error = ""
        self._idle.clear()
        self._journal_recording(recording)
        if len(self._runs) == 1:
            self._place(run)
        else:
            run.held = []
        if self._engine is None:
            self._fail(self._error, run)
            return run
        self._open_stream(run, source)
        return run

    def _open_stream(self, run: _Run, source: Source) -> None:
        """Open the run's engine stream now, or once a stream closes (:data:`MAX_STREAMS`)."""
        if sum(1 for r in self._runs if r.stream is not None) >= MAX_STREAMS:
            run.pending = []
            run.source = source
            return
        assert self._engine is not None
        try:
            run.stream = self._engine.open(run.recording.mime_type, lambda event: self._on_event(run, event), source=source)
        except Exception as exc:
            log.debug("opening a stream failed", exc_info=True)
            self._fail(str(exc), run)

    def _open_waiting(self) -> None:
        """A stream closed: give the oldest waiting run its turn, with the audio it kept."""
        waiting = next((r for r in self._runs if r.pending is not None), None)
        if waiting is None or self._closed:
            return
        pending, waiting.pending = waiting.pending, None
        self._open_stream(waiting, waiting.source)
        if waiting.stream is not None:
            for data in pending:
                waiting.stream.write(data)
            if waiting.ending:
                waiting.stream.end()

    def _carry_out_all(self, actions: list[P.Action]) -> None:
        for action in actions:
            self._carry_out(action)

    def _write(self, run: _Run, data: bytes, keep: bool = True) -> None:
        """Pass audio to the run's stream; ``keep`` it (memory, journal) unless it is kept already."""
        if run.ending or run.recording.done:
            return
        if keep:
            if run is not self._browser_run:
                run.recording.counters.chunks += 1
                run.recording.counters.bytes += len(data)
            if self.keep_audio:
                run.recording.data += data
            if self.journal is not None:
                self.journal.audio(run.recording.index, data)
                self._check_journal()
        if run.stream is not None:
            run.stream.write(data)
        elif run.pending is not None:
            run.pending.append(data)

    def _end(self, run: _Run) -> None:
        if run.ending:
            return
        run.ending = True
        if run is self._current:
            self._paused = False
        if run.stream is not None:
            run.stream.end()
        elif run.pending is None and not run.recording.done:
            self._closed_run(run)

    def _abort(self, run: _Run) -> None:
        with self._lock:
            run.ending = True
            stream = run.stream
            if stream is None:
                run.pending = None
                self._closed_run(run)
        if stream is not None:
            stream.abort()

    def _fail(self, message: str, run: _Run | None = None) -> None:
        """The recording cannot go on: say why, end it, and tell the page to stop recording."""
        run = run or self._current
        self._error = message
        self._failed = True
        if run is not None:
            run.recording.error = message
            if run is self._browser_run or run.stream is None:
                self._send({"type": "stop_recording", "reason": message})
            if run.stream is None and not run.recording.done:
                run.ending = True
                self._closed_run(run)
        else:
            self._send({"type": "stop_recording", "reason": message})

    def _clear(self) -> None:
        self._transcript.clear()
        self._result_dicts = []
        self._results_version += 1
        if self.journal is not None:
            self.journal.cleared()
        for run in self._runs:
            if run is not self._current or run.ending:
                run.detached = True

    def _place(self, run: _Run) -> None:
        """Put a recording on the timeline, after everything before it."""
        recording = run.recording
        if recording.placed:
            return
        recording.offset, recording.placed = self._timeline_end, True
        if self.journal is not None:
            self.journal.placed(recording.index, recording.offset)

    def _journal_recording(self, recording: Recording) -> None:
        if self._journal_root is None:
            return
        if self.journal is None:
            try:
                self.journal = J.Journal.create(self._journal_root, engine=self.engine_label)
            except OSError as exc:
                self._error = f"Could not make a journal under {self._journal_root} ({exc}); transcription goes on without it."
                self._journal_root = None
                return
        self.journal.recording(recording.index, recording.mime_type, recording.source, recording.offset)
        self._check_journal()

    def _check_journal(self) -> None:
        journal = self.journal
        if journal is not None and journal.failure:
            self._error = journal.failure
            self.journal = None

    def _acknowledge(self, run: _Run, chunks: int, done: bool = False) -> None:
        """Tell the page which of a recording's chunks are safe, so it may forget them: with a
        journal, each chunk once it is on disk; the whole recording once it is transcribed."""
        if run.browser_id is None or not (done or self.journal is not None):
            return
        self._send({"type": "ack", "recording": run.browser_id, "chunks": chunks, "done": done})

    # -- engine events (engine threads) ----------------------------------------------------------------

    def _on_event(self, run: _Run, event: Event) -> None:
        with self._lock:
            if run.held is not None and not isinstance(event, EngineStatus):
                run.held.append(event)
                return
            self._apply(run, event)
            self._publish()
        self._run_callbacks()

    def _apply(self, run: _Run, event: Event) -> None:
        """Fold one event into the state; queue it (on the timeline) for the callbacks."""
        offset = run.recording.offset
        if isinstance(event, Result):
            if run.detached:
                return
            event = event.shifted(offset)
            if run.skip_before is not None:
                event = _after(event, run.skip_before)
                if event is None:
                    return
            if event.is_final:
                for final in self._transcript.apply(replace(event, recording=run.recording.index)):
                    self._result_dicts.append({"index": len(self._result_dicts), **final.to_dict()})
                    self._results_version += 1
                    run.words += 1
                    self._timeline_end = max(self._timeline_end, final.end + RECORDING_GAP)
                    if self.journal is not None:
                        self.journal.final(final)
                        self._check_journal()
            elif run is self._current:
                self._transcript.apply(event)
        elif isinstance(event, EngineStatus):
            run.phase, run.detail = event.phase, event.detail
            return
        elif isinstance(event, EngineError):
            if event.fatal:
                run.recording.error = event.message
                if run is self._current:
                    self._fail(event.message, run)
            elif run is self._current:
                self._error = event.message
        elif isinstance(event, StreamClosed):
            self._closed_run(run)
            return
        elif isinstance(event, UtteranceEnd):
            event = UtteranceEnd(event.last_word_end + offset)
        elif isinstance(event, SpeechStarted):
            event = SpeechStarted(event.timestamp + offset)
        elif isinstance(event, Metadata):
            log.debug("stream metadata: %s", event)
        if not run.detached:
            self._callback_queue.append(event)

    def _closed_run(self, run: _Run) -> None:
        """A recording's stream closed: everything it will give is in; the next one may go on."""
        if run.recording.done:
            return
        run.recording.done = True
        run.ending = True
        if self.journal is not None:
            self.journal.recording_end(run.recording.index, run.recording.error, vars(run.recording.counters))
        if not run.recording.error:  # else the page keeps the audio, to send again or download
            self._acknowledge(run, run.recording.counters.chunks, done=True)
        if run in self._runs:
            self._runs.remove(run)
        if run is self._current:
            self._current = None
            self._transcript.interim = ""
            self._paused = False
            if not run.words and not run.recording.error and not run.detached:
                self._detail = NO_SPEECH
        if run is self._browser_run:
            # Ended by the engine (an error) while the page still records: the page was told to
            # stop; what it sends for this recording until then is expected, not a problem.
            self._browser_run = None
            self._browser.close()
        if run is self._feed_run:
            self._feed_run = None
        # The oldest recording still open can now be placed on the timeline and its events applied.
        if self._runs and self._runs[0].held is not None:
            following = self._runs[0]
            held, following.held = following.held, None
            self._place(following)
            for event in held:
                self._apply(following, event)
        self._open_waiting()
        if not self._runs:
            self._idle.set()

    # -- publishing ---------------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        run = self._current
        status = derive_status(
            failed=self._failed,
            open=run is not None,
            engine=run.phase if run is not None else None,
            paused=self._paused,
            ending=run is not None and run.ending,
        )
        detail = run.detail if run is not None and status is not Status.ERROR else ""
        if status is Status.IDLE:
            detail = self._detail
        return {
            "transcript": self._transcript.text,
            "interim": self._transcript.interim,
            "status": status,
            "status_detail": detail,
            "error": self._error,
            "results": self._results_version,
        }

    def _publish(self) -> None:
        """Tell the front ends what changed since last time."""
        state = self._state()
        changes = {k: v for k, v in state.items() if self._published.get(k, _UNSET) != v}
        if not changes:
            return
        self._published = state
        if "results" in changes:
            changes["results"] = list(self._result_dicts)
        for front_end in self._front_ends:
            front_end.changed(changes)

    def _send(self, message: dict[str, Any]) -> None:
        for front_end in self._front_ends:
            front_end.send(message)

    def _run_callbacks(self) -> None:
        """Give queued events to the callbacks, outside the lock (a callback may call back in)."""
        with self._lock:
            events, self._callback_queue = self._callback_queue, []
        for event in events:
            callbacks: list[Callable[[Any], Any]] = list(self._event_callbacks)
            if isinstance(event, Result):
                callbacks = [*self._result_callbacks, *callbacks]
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:
                    log.exception("live-transcriber: a callback raised")
                    traceback.print_exc()


_UNSET = object()


def _after(result: Result, time: float) -> Result | None:
    """The part of ``result`` after ``time`` (words ending by then are already transcribed), or None."""
    if result.end <= time + 0.05:
        return None
    if not result.words or result.words[0].end > time + 0.05:
        return result
    words = tuple(w for w in result.words if w.end > time + 0.05)
    return replace(result, text=join_words(words), start=words[0].start, words=words)


def _register(callbacks: list, callback: Callable, remove: bool) -> None:
    if remove:
        callbacks.remove(callback)
    elif not callable(callback):
        raise TypeError(f"Expected a function, got {type(callback).__name__}.")
    else:
        callbacks.append(callback)


def _bytes(data: Any) -> bytes:
    try:
        piece = memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"feed() takes bytes (a piece of an audio container), not {type(data).__name__}.") from None
    if not piece:
        raise ValueError("feed() was given an empty piece of audio.")
    return piece


__all__ = ["FrontEnd", "Recording", "Transcriber", "TranscriptionError", "join_words"]

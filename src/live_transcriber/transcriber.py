"""The transcriber: recordings in, transcript out. The headless core under the widget.

A :class:`Transcriber` owns everything but the comm: the browser protocol (messages from the page
go to :meth:`Transcriber.receive`), the engine streams, the transcript, the recordings on one
timeline, the status, callbacks, :meth:`~Transcriber.wait`, and pushing audio from Python
(:meth:`~Transcriber.feed`, :meth:`~Transcriber.transcribe_file`); the review: corrections
(:mod:`~live_transcriber.edits`), speaker names, bookmarks, exports and the transcript as a table.
It has no widget import: use it from a script or a server, or under
:class:`~live_transcriber.LiveTranscriber`, which mirrors its state into traits through a
:class:`FrontEnd`.

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

from . import edits
from . import journal as J
from . import protocol as P
from .engines import Engine, EngineStream, Keyterms, normalize_keyterms
from .engines.select import make_engine
from .media import BROWSER, FEED, RECOVERED, DecodeError, Source, container_format, duration, file_mime_type, file_source, known_duration
from .media.replay import ReplayBuffer
from .results import (
    Bookmark,
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
    speaker_names,
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
#: The most bookmarks a transcript keeps.
MAX_BOOKMARKS = 10_000
#: Seconds between two updates of transcribe_file's progress bar.
PROGRESS_EVERY = 0.25
#: How many times a recording's engine stream that fails (an engine error, a decoder error) is
#: opened again on the recording's audio before the recording is given up.
MAX_RESTARTS = 2


class TranscriptionError(RuntimeError):
    """A recording could not be transcribed; the message says why and what to do."""


class FrontEnd(Protocol):
    """What shows the transcriber's state to a user (the widget): it is told what changed."""

    def changed(self, changes: dict[str, Any]) -> None:
        """Some of ``transcript``, ``interim``, ``status``, ``status_detail``, ``error``,
        ``results``, ``speakers``, ``bookmarks``, ``keyterms`` changed to the values given (called
        with the transcriber's lock held)."""

    def send(self, message: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """Deliver a message (with binary ``buffers``) to the browser: ``stop_recording``,
        ``history``, ``export``, ``ack``, ``recover``, ``results_changed`` or ``audio``."""


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
    #: Events that came while the recording before it was still finishing (with the generation of
    #: the stream that gave them): its place on the timeline is known only once that one is done.
    held: list[tuple[int, Event]] | None = None
    #: Its engine took the whole recording at once (nothing is written to its stream).
    whole: bool = False
    phase: EnginePhase | None = None
    detail: str = ""
    words: int = 0
    #: Words ending before this time (on the timeline) are already in the transcript: a recording
    #: transcribed again after a crash gives only what is missing.
    skip_before: float | None = None
    #: The page's id for a browser recording (its ``recording`` field), for acknowledgements.
    browser_id: str | None = None
    #: The page said "stop" itself: only then may it be told the whole recording is done (a
    #: recording the kernel ended keeps recording on the page until it hears so).
    page_stopped: bool = False
    kernel_ended: bool = False
    #: While it waits for an engine stream (see :data:`MAX_STREAMS`): its audio so far, and the
    #: source to open it with.
    pending: list[bytes] | None = None
    source: Source = BROWSER
    #: Which stream is the run's: bumped when a failed stream is replaced (see :meth:`Transcriber._restart`),
    #: so that what the old one still emits is ignored.
    generation: int = 0
    restarts: int = 0
    #: Whether its stream gave a result: only a stream that heard something is opened again when
    #: it fails (one that fails before is likely to fail the same way again).
    got_result: bool = False
    #: Where the stream's time 0 is in the recording (seconds): a replaced stream starts mid-recording.
    shift: float = 0.0
    #: The end of its latest final word, in seconds from its start: how far transcription got.
    heard: float = 0.0
    #: The recording's clock (time.monotonic), for a bookmark "now": when it started, when it
    #: was paused (if it is), and how long it was paused before.
    started: float = field(default_factory=time.monotonic)
    paused_at: float | None = None
    paused_for: float = 0.0

    def elapsed(self) -> float:
        """Seconds recorded so far by the kernel's clock, paused time left out."""
        now = self.paused_at if self.paused_at is not None else time.monotonic()
        return max(0.0, now - self.started - self.paused_for)


@dataclass(frozen=True)
class _Mark:
    """A bookmark as kept: ``at`` seconds into ``recording`` (or on the timeline, with no recording)."""

    recording: int | None
    at: float
    label: str


class Transcriber:
    """Recordings in, transcript out, with no widget.

    >>> t = Transcriber(engine="local")              # doctest: +SKIP
    >>> t.transcribe_file("talk.m4a")                # doctest: +SKIP
    'So the first thing we did ...'

    Parameters
    ----------
    engine:
        ``"auto"`` (Deepgram when an API key is available, else offline), ``"offline"`` (or
        ``"local"``: the offline default, Whisper alone for now), ``"whisper"``,
        ``"moonshine+whisper"`` (Moonshine's words as you speak, Whisper's final), ``"deepgram"``, or an
        :class:`~live_transcriber.engines.Engine` instance.
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
        #: The page's recordings by their id, to tell the page what reached the kernel (``recover``).
        self._page_recordings: dict[str, Recording] = {}
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
        self._speakers: dict[int, str] = {}
        self._aborted: list[EngineStream] = []  # streams stopped by _interrupt, still ending
        self._marks: list[_Mark] = []
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
        if saved.keyterms is not None:  # the interrupted words are heard again with the same keyterms
            options.setdefault("keyterms", saved.keyterms)
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
                    bytearray(item.data) if self.keep_audio else bytearray(), item.error, done=True,
                    placed=item.placed or item.ended,
                )
                recording.counters = P.Counters(**{k: v for k, v in item.counters.items() if k in vars(P.Counters())})
                self.recordings.append(recording)
            self._transcript.restore(saved.results)
            for final in saved.results:
                self._result_dicts.append({"index": len(self._result_dicts), **final.to_dict()})
                self._timeline_end = max(self._timeline_end, final.end + RECORDING_GAP)
            self._results_version += 1
            for recording in self.recordings:
                self._timeline_end = max(self._timeline_end, recording.offset)
            self._speakers = dict(saved.speakers)
            self._marks = [_Mark(m.recording, m.at, m.label) for m in saved.bookmarks]
            self._publish()

    def _finish_saved(self, saved: J.SavedRecording) -> None:
        """Transcribe an interrupted recording's saved audio again, keeping only the missing words."""
        recording = self.recordings[saved.index]
        if not saved.data or self._engine is None:
            return
        # After its last final word, even one a clear() removed since: words are never given twice.
        ends = [r.end for r in self._transcript.finals if r.recording == recording.index]
        last = max([*ends, *([saved.heard_until] if saved.heard_until is not None else [])], default=None)
        recording.done = False
        run = _Run(recording, skip_before=last)
        self._runs.append(run)
        if len(self._runs) > 1:
            run.held = []  # after the ones before it, in order
        else:
            self._place(run)
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
            if self.journal is not None:
                self.journal.event({"type": "keyterms", "terms": list(new)})
                self._check_journal()

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
            self._browser_run = self._begin(action.mime_type, RECOVERED if action.recovered else BROWSER)
            self._browser_run.recording.counters = self._browser.counters  # kept up to date by the protocol
            self._browser_run.browser_id = self._browser.recording
            if self._browser.recording is not None:
                self._page_recordings[self._browser.recording] = self._browser_run.recording
        elif isinstance(action, P.EndRecording):
            if self._browser_run is not None:
                self._browser_run.page_stopped = action.replaced is None and not self._browser_run.kernel_ended
                self._end(self._browser_run)
                self._browser_run = None
            if action.replaced is not None:
                # Only the page recording it stops (another tab or browser); it keeps what it
                # records meanwhile, to send once it is told what the kernel has (recover).
                reason = "Recording stopped: this widget started recording in another tab or window."
                self._send({"type": "stop_recording", "recording": action.replaced, "reason": reason})
        elif isinstance(action, P.Recover):
            self._send({"type": "recover", "recordings": [self._recovery(r) for r in action.recordings]})
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
        elif isinstance(action, (P.Edit, P.RenameSpeaker, P.AddBookmark)):
            try:
                self._review(action)
            except (IndexError, ValueError) as exc:
                self._error = str(exc)
        elif isinstance(action, P.SendAudio):
            self._send_audio(action.recording)

    def _send_audio(self, index: int) -> None:
        """Send one recording's audio to the page, in parts (see ``audio`` in :mod:`.protocol`)."""
        reply: dict[str, Any] = {"type": "audio", "recording": index}
        recording = self.recordings[index] if index < len(self.recordings) else None
        if recording is None:
            reason = f"There is no recording {index}."
        elif not self.keep_audio:
            reason = "No audio was kept: this widget was made with keep_audio=False."
        elif not recording.data:
            reason = f"Recording {index} has no audio (yet)."
        else:
            data = bytes(recording.data)
            parts = [data[i : i + P.AUDIO_PART_BYTES] for i in range(0, len(data), P.AUDIO_PART_BYTES)]
            reply.update(mime_type=recording.mime_type, offset=recording.offset, done=recording.done and recording.placed, parts=len(parts))
            for number, part in enumerate(parts):
                self._send({**reply, "part": number}, [part])
            return
        self._send({**reply, "error": reason})

    def _recovery(self, recording_id: str) -> dict[str, Any]:
        """What the kernel has of one of the page's recordings, for the page to send what is missing.

        ``state`` is ``"open"`` (still recording here: the page may go on with it from chunk
        ``received``), ``"ended"`` (the kernel has chunks ``0..received-1``; ``done`` once they
        are all transcribed, ``failed`` if the recording ended in an error) or ``"unknown"`` (it
        never reached this transcriber: a kernel restart, another kernel).
        """
        received = self._browser.received(recording_id)
        if received is not None:
            return {"recording": recording_id, "state": "open", "received": received}
        recording = self._page_recordings.get(recording_id)
        if recording is None:
            return {"recording": recording_id, "state": "unknown", "received": 0}
        return {
            "recording": recording_id,
            "state": "ended",
            "received": recording.counters.chunks,
            "done": recording.done and not recording.error,
            "failed": bool(recording.error),
        }

    def _command(self, command: P.Command) -> None:
        if command.name in ("pause", "resume"):
            self._paused = command.name == "pause"
            run = self._browser_run
            if run is not None and self._paused and run.paused_at is None:
                run.paused_at = time.monotonic()
            elif run is not None and not self._paused and run.paused_at is not None:
                run.paused_for += time.monotonic() - run.paused_at
                run.paused_at = None
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
            content = self._render(fmt)
            self._send({"type": "export", "format": fmt, "filename": f"transcript.{fmt}", "mime_type": FORMATS[fmt][1], "content": content})

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
        self,
        path: str | Path,
        mime_type: str | None = None,
        *,
        realtime: bool = False,
        timeout: float | None = None,
        progress: bool = True,
    ) -> str:
        """Transcribe an audio or video file as one more recording; return its final text.

        The format comes from the file's first bytes, else its name (or pass ``mime_type``). An
        engine that can take a whole file at once (the offline engine: faster-whisper's own batch
        transcription) is given it; with ``realtime=True`` the file is fed at the pace it plays,
        as a live recording would be. ``progress`` shows a bar (in the notebook, else in the
        terminal) of the audio transcribed so far.

        Interrupting it (the kernel's stop button, Ctrl-C) or a ``timeout`` stops the recording at
        once: the words already final are kept, the transcriber is idle and ready for the next
        call, the recording's ``error`` and the status detail say how far it got.
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
        seconds = duration(path) if realtime else known_duration(path)
        pace = (seconds or 0.0) / len(data) if realtime else 0.0
        with self._lock:
            self._check_open()
            if self._engine is None:
                raise TranscriptionError(self._error)
            run = self._begin(mime_type, file_source(path), whole=None if realtime else data)
            self._publish()
        recording = run.recording
        bar = _progress_bar(path.name, seconds) if progress else None
        try:
            started = time.monotonic()
            for offset in range(0, 0 if run.whole else len(data), FILE_PIECE):
                if pace:
                    time.sleep(max(0.0, started + offset * pace - time.monotonic()))
                with self._lock:
                    if run.ending:
                        break  # cut short (see recording.error)
                    self._write(run, data[offset : offset + FILE_PIECE])
            with self._lock:
                self._end(run)
                self._publish()
            self._run_callbacks()
            self._follow(run, timeout, bar)
        except BaseException as exc:
            # The kernel's stop button (KeyboardInterrupt), a timeout, a failure here: leave nothing open.
            self._interrupt(run, seconds, "timed out" if isinstance(exc, TimeoutError) else "interrupted")
            raise
        finally:
            self._run_callbacks()
            if bar is not None:
                bar.close()
        if recording.error:
            raise TranscriptionError(recording.error)
        return self.text_of(recording.index)

    def _follow(self, run: _Run, timeout: float | None, bar: Any) -> None:
        """Wait for a recording to be transcribed, showing how far it got on ``bar``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not run.recording.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"Transcribing {run.recording.source.name} took longer than {timeout} s.")
            self._idle.wait(PROGRESS_EVERY if deadline is None else min(PROGRESS_EVERY, max(0.0, deadline - time.monotonic())))
            if bar is not None:
                bar.update(max(0.0, min(run.heard, bar.total or run.heard) - bar.n))
        if bar is not None and bar.total and not run.recording.error:
            bar.update(bar.total - bar.n)

    def _interrupt(self, run: _Run, seconds: float | None, why: str) -> None:
        """Stop a recording at once, keeping the words already final; the transcriber is idle after."""
        with self._lock:
            if run.recording.done:
                return
            of = f" of {_duration(seconds)}" if seconds else ""
            run.recording.error = f"{run.recording.source.name.capitalize()} was {why} after {_duration(run.heard)}{of}."
            run.ending = True
            run.pending = None
            stream = run.stream
            if run.held is not None:
                # Waiting for its place on the timeline (the recording before it is finishing): its
                # final words so far are kept and applied once it is placed; nothing after them.
                kept = [(generation, event) for generation, event in run.held if generation == run.generation]
                run.generation += 1  # what the aborted stream still emits is dropped
                run.held = [(run.generation, event) for _, event in kept] + [(run.generation, StreamClosed())]
            else:
                run.detached = True  # what the engine still emits does not count
                self._closed_run(run)
            self._detail = f"{why} after {_duration(run.heard)}{of}"
            self._publish()
        if stream is not None:
            stream.abort()
            with self._lock:
                self._aborted.append(stream)  # close() waits for it: a native thread alive at exit aborts the process

    def text_of(self, recording: int) -> str:
        """The final text of one recording (an index into :attr:`recordings`)."""
        with self._lock:
            return " ".join(r.text for r in self._transcript.finals if r.recording == recording and r.text)

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
        the speaker's name, or ``Speaker 1:``, when speakers are told apart), bookmarks on lines
        of their own."""
        from .exports import to_text

        with self._lock:
            return to_text(
                self._transcript.finals, timestamps=timestamps, speakers=speakers, speaker_names=self._speakers, bookmarks=self._bookmarks()
            )

    def to_srt(self) -> str:
        """The final transcript as SubRip subtitles, timed by its words."""
        return self._render("srt")

    def to_vtt(self) -> str:
        """The final transcript as WebVTT subtitles, timed by its words."""
        return self._render("vtt")

    def to_json(self) -> str:
        """Every final result with its words and timings, the speakers' names and the bookmarks, as
        JSON (:func:`live_transcriber.exports.read_json` reads it back)."""
        return self._render("json")

    def export(self, path: str | Path) -> Path:
        """Write the transcript to ``path`` in the format its suffix names: .txt, .srt, .vtt or .json."""
        from .exports import FORMATS

        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ValueError(f"Cannot export to {path.name!r}: use a .txt, .srt, .vtt or .json file name.")
        path.write_text(self._render(fmt), encoding="utf-8", newline="")
        return path

    def _render(self, fmt: str) -> str:
        from .exports import render

        with self._lock:
            return render(fmt, self._transcript.finals, speaker_names=self._speakers, bookmarks=self._bookmarks())

    def to_dataframe(self, level: str = "words") -> Any:
        """The transcript as a pandas DataFrame, one row per word (``level="words"``) or per
        utterance (``"utterances"``); see :func:`live_transcriber.analysis.to_dataframe` for the
        columns. Needs pandas (``pip install live-transcriber[pandas]``)."""
        from .analysis import to_dataframe

        with self._lock:
            finals, names = list(self._transcript.finals), dict(self._speakers)
        return to_dataframe(finals, level, speaker_names=names)

    # -- review: corrections, speaker names, bookmarks ------------------------------------------------

    def edit_word(self, index: int, word: int, text: str) -> Result:
        """Correct one word: result ``index`` (its ``index`` in :attr:`results`) says ``text``
        instead of its word number ``word`` (counted from 0 in its ``words``).

        ``text`` may hold several words (they share the old word's time) or none (the word is
        removed). The result is marked ``edited`` and keeps the engine's words in ``original``;
        :attr:`transcript`, :attr:`results` and every export follow. Returns the corrected result.
        """
        with self._lock:
            result = self._final(index)
            corrected = edits.edit_word(result, _count(word, "word"), text)
            self._replace({index: corrected})
            self._publish()
        return corrected

    def edit_utterance(self, utterance: int, text: str | None = None, *, speaker: int | None = None) -> list[Result]:
        """Correct an utterance (the results' ``utterance`` number): it says ``text`` and/or was
        spoken by ``speaker`` (a number from 0: name it with :attr:`speakers`).

        Words that still match keep their times; new words are spread over the time of the words
        they replace (:mod:`live_transcriber.edits` has the rule), so timings stay in order.
        Returns the utterance's results, corrected.
        """
        with self._lock:
            _count(utterance, "utterance")
            indexes = [i for i, r in enumerate(self._transcript.finals) if r.utterance == utterance]
            if not indexes:
                raise IndexError(f"There is no utterance {utterance}: the results' utterance numbers are from 0 to {self._utterance_count() - 1}.")
            results = [self._transcript.finals[i] for i in indexes]
            corrected = edits.edit_utterance(results, text, speaker)
            self._replace({i: new for i, old, new in zip(indexes, results, corrected, strict=True) if new is not old})
            self._publish()
        return corrected

    @property
    def speakers(self) -> dict[int, str]:
        """The speakers' names, e.g. ``{0: "Ana", 1: "Ben"}``: assign to rename speakers in the
        transcript and every export (a speaker with no name is "Speaker N", N counted from 1)."""
        with self._lock:
            return dict(self._speakers)

    @speakers.setter
    def speakers(self, names: dict[int, str]) -> None:
        checked = speaker_names(names)
        with self._lock:
            self._name_speakers(checked)
            self._publish()

    @property
    def bookmarks(self) -> list[dict[str, Any]]:
        """The bookmarks, in time order: ``{"time", "label", "recording"}``, ``time`` in seconds on
        the transcript's timeline (``Bookmark.to_dict()``)."""
        with self._lock:
            return [b.to_dict() for b in self._bookmarks()]

    def add_bookmark(self, time: float | None = None, label: str = "") -> dict[str, Any]:
        """Mark a moment: ``time`` seconds on the transcript's timeline, or now in the recording in
        progress (``time=None``). Kept in :attr:`bookmarks`, the text and JSON exports. Returns it."""
        if not isinstance(label, str):
            raise TypeError(f"A bookmark's label is a string, not {type(label).__name__}.")
        with self._lock:
            mark = self._mark(time, None, label)
            self._publish()
            return self._placed(mark).to_dict()

    def _review(self, action: P.Edit | P.RenameSpeaker | P.AddBookmark) -> None:
        """Carry out a correction, a speaker's name or a bookmark from the browser."""
        if isinstance(action, P.RenameSpeaker):
            self._name_speakers(speaker_names({**self._speakers, action.speaker: action.name}))
        elif isinstance(action, P.AddBookmark):
            self._mark(action.time, action.elapsed, action.label, browser=True)
        elif action.utterance is not None:
            self.edit_utterance(action.utterance, action.text, speaker=action.speaker)
        else:
            self.edit_word(action.index, action.word, action.text or "")  # type: ignore[arg-type]

    def _final(self, index: int) -> Result:
        _count(index, "index")
        finals = self._transcript.finals
        if index >= len(finals):
            raise IndexError(f"There is no result {index}: the results' indexes are from 0 to {len(finals) - 1}.")
        return finals[index]

    def _utterance_count(self) -> int:
        finals = self._transcript.finals
        return next((r.utterance + 1 for r in reversed(finals) if r.utterance is not None), 0)

    def _replace(self, changed: dict[int, Result]) -> None:
        """Put corrected results in place and tell every view, including those that hold results
        older than the ``results`` trait's latest ones."""
        if not changed:
            return
        self._transcript.replace(changed)
        for index, result in changed.items():
            self._result_dicts[index] = {"index": index, **result.to_dict()}
            if self.journal is not None:
                self.journal.event({"type": "edited", "index": index, "result": result.to_dict()})
                self._check_journal()
        self._results_version += 1
        self._send({"type": "results_changed", "results": [self._result_dicts[i] for i in sorted(changed)]})

    def _mark(self, time: float | None, elapsed: float | None, label: str, browser: bool = False) -> _Mark:
        """Keep a bookmark: at ``time`` on the timeline, else ``elapsed`` seconds (or now) into the
        recording in progress (the browser's when it comes from the browser)."""
        if len(self._marks) >= MAX_BOOKMARKS:
            raise ValueError(f"Cannot add a bookmark: a transcript keeps at most {MAX_BOOKMARKS}.")
        label = " ".join(label.split())
        if time is not None:
            if not P.is_time(time):
                raise ValueError(f"A bookmark's time is a number of seconds from 0 to {P.MAX_TIME:.0f}, not {time!r}.")
            recording = self._recording_at(float(time))
            at = float(time) - (0.0 if recording is None else self.recordings[recording].offset)
            mark = _Mark(recording, at, label)
        else:
            run = self._browser_run if browser else self._current
            if run is None or run.ending:
                raise ValueError("Nothing is being recorded: give the bookmark a time on the transcript's timeline.")
            mark = _Mark(run.recording.index, run.elapsed() if elapsed is None else elapsed, label)
        self._marks.append(mark)
        if self.journal is not None:
            self.journal.event({"type": "bookmark", "recording": mark.recording, "at": mark.at, "label": mark.label})
            self._check_journal()
        return mark

    def _name_speakers(self, names: dict[int, str]) -> None:
        self._speakers = names
        if self.journal is not None:
            self.journal.event({"type": "speakers", "names": {str(k): v for k, v in names.items()}})
            self._check_journal()

    def _recording_at(self, time: float) -> int | None:
        """The recording a time on the timeline falls in (or after), among those placed on it."""
        held = {run.recording.index for run in self._runs if run.held is not None}
        found = None
        for recording in self.recordings:
            if recording.placed and recording.index not in held and recording.offset <= time:
                found = recording.index
        return found

    def _placed(self, mark: _Mark) -> Bookmark:
        """A kept bookmark on the timeline. A recording not placed yet (one before it is still
        being transcribed) will start at the timeline's end at the earliest: its bookmarks move
        once it is placed."""
        if mark.recording is None:
            return Bookmark(mark.at, mark.label)
        held = any(run.recording.index == mark.recording and run.held is not None for run in self._runs)
        offset = self._timeline_end if held else self.recordings[mark.recording].offset
        return Bookmark(offset + mark.at, mark.label, mark.recording)

    def _bookmarks(self) -> list[Bookmark]:
        return sorted((self._placed(m) for m in self._marks), key=lambda b: b.time)

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
        """Stop every recording at once and release the engine. Their words so far are kept; with a
        journal, a recording cut short stays interrupted in it, for :meth:`resume` to finish."""
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
        for stream in [run.stream for run in runs if run.stream is not None] + self._aborted:
            # Let a recognition run in progress end: native threads alive at exit abort the process.
            stream.wait(10)
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

    def _begin(self, mime_type: str, source: Source, whole: bytes | None = None) -> _Run:
        """Start a recording: the current one (if any) is ended first. ``whole``: all of its
        bytes, for an engine that takes a whole recording at once (else they are written)."""
        previous = self._current
        if previous is not None and not previous.ending:
            if previous is self._browser_run:
                # The page is still recording (or was reloaded without a stop): end it there too.
                previous.kernel_ended = True  # the page may still be recording it
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
        self._open_stream(run, source, whole)
        return run

    def _open_stream(self, run: _Run, source: Source, whole: bytes | None = None) -> None:
        """Open the run's engine stream now, or once a stream closes (:data:`MAX_STREAMS`).
        ``whole``: all of the recording's bytes, for an engine that takes them at once; a run that
        has to wait for its turn is written to like any other instead."""
        run.source = source
        if sum(1 for r in self._runs if r.stream is not None) >= MAX_STREAMS:
            run.pending = []
            return
        assert self._engine is not None
        generation = run.generation
        emit: Callable[[Event], None] = lambda event: self._on_event(run, event, generation)  # noqa: E731
        try:
            if whole is not None:
                run.stream = self._engine.open_whole(whole, run.recording.mime_type, emit, source=source)
            if run.stream is not None:
                run.whole = True
            else:
                run.stream = self._engine.open(run.recording.mime_type, emit, source=source)
        except Exception as exc:
            log.debug("opening a stream failed", exc_info=True)
            self._fail(str(exc), run)
            return
        if run.whole:
            assert whole is not None
            self._write(run, whole)  # kept (memory, journal); a whole run's stream is not written to

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
        if run.whole:
            return
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
        self._marks = []  # they mark moments of the transcript (speaker names are kept: same people)
        self._results_version += 1
        dropped = []
        for run in self._runs:
            if run is not self._current or run.ending:
                run.detached = True
                dropped.append(run.recording.index)
        if self.journal is not None:
            self.journal.cleared(dropped)

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
            if self._keyterms:
                self.journal.event({"type": "keyterms", "terms": list(self._keyterms)})
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

    def _on_event(self, run: _Run, event: Event, generation: int = 0) -> None:
        with self._lock:
            if generation != run.generation:
                return  # from a stream that failed and was replaced
            if run.held is not None and not isinstance(event, EngineStatus):
                run.held.append((generation, event))
                return
            self._apply(run, event)
            self._publish()
        self._run_callbacks()

    def _apply(self, run: _Run, event: Event) -> None:
        """Fold one event into the state; queue it (on the timeline) for the callbacks."""
        offset = run.recording.offset + run.shift
        if run.recording.done:
            return  # e.g. late events of a recording that was interrupted
        if isinstance(event, Result):
            run.got_result = True
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
                    run.heard = max(run.heard, final.end - run.recording.offset)
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
            if event.fatal and self._restart(run, event.message):
                return
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

    def _restart(self, run: _Run, why: str) -> bool:
        """The run's engine stream failed mid-recording: open a new one on the recording's audio from
        just before its last final word, so the recording goes on and no word is lost. False if it
        cannot be (the stream never gave a result, no audio kept, the transcriber closing,
        :data:`MAX_RESTARTS` reached)."""
        recording = run.recording
        if not run.got_result or run.detached or recording.done or self._closed or self._engine is None or run.restarts >= MAX_RESTARTS:
            return False
        if not recording.data:
            return False
        # After the run's latest final word (on the timeline), whether or not a clear() removed it
        # since: words once final are never given twice.
        heard = recording.offset + run.heard if run.words else None
        last = max((t for t in (heard, run.skip_before) if t is not None), default=None)
        replay = ReplayBuffer(recording.mime_type)
        replay.feed(bytes(recording.data))
        start, data = replay.replay(0.0 if last is None else max(0.0, last - recording.offset))
        log.warning("live-transcriber: %s Opening the engine again from %.1f s of %s.", why, start, recording.source.name)
        run.restarts += 1
        run.generation += 1
        run.got_result = False
        run.whole = False  # a new stream is written to, like any other
        run.shift = start
        if last is not None:
            run.skip_before = max(run.skip_before or last, last)  # words already final are not given twice
        run.stream = run.pending = None
        self._open_stream(run, run.source)
        if run.stream is None and run.pending is None:
            return True  # it could not be opened: _open_stream said why and ended the recording
        if run.stream is not None:
            run.stream.write(data)
            if run.ending:
                run.stream.end()
        else:
            run.pending = [data]
        self._error = f"{why} The engine was started again on the recording's audio from {start:.1f} s on; nothing is lost."
        return True

    def _closed_run(self, run: _Run) -> None:
        """A recording's stream closed: everything it will give is in; the next one may go on."""
        if run.recording.done:
            return
        run.recording.done = True
        run.ending = True
        # Cut short by close(): not all its words are in. The journal keeps it as interrupted
        # (resume() transcribes the rest) and the page is not told it is done.
        cut_short = self._closed
        if self.journal is not None and not cut_short:
            self.journal.recording_end(run.recording.index, run.recording.error, vars(run.recording.counters))
        # Else the page keeps the audio, to send again or download: an error, close(), chunks the
        # kernel never got, or a recording the kernel ended while the page may still record it.
        if not run.recording.error and not cut_short and run.page_stopped and not run.recording.counters.lost:
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
            for generation, event in held:
                if generation == following.generation:
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
            "speakers": dict(self._speakers),
            "bookmarks": [b.to_dict() for b in self._bookmarks()],
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

    def _send(self, message: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        for front_end in self._front_ends:
            front_end.send(message, buffers)

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


def _count(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}.")
    if value < 0:
        raise IndexError(f"{name} is counted from 0: {value} is not one.")
    return value


def _duration(seconds: float) -> str:
    """``83 s`` or ``1:23:20`` style, for messages."""
    whole = round(seconds)
    return f"{whole} s" if whole < 60 else f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}".removeprefix("0:")


def _progress_bar(name: str, seconds: float | None) -> Any:
    """A progress bar of audio seconds: a widget in a notebook, text in a terminal (tqdm.auto)."""
    from tqdm.auto import tqdm

    return tqdm(total=round(seconds, 1) if seconds else None, desc=name, unit="s", unit_scale=False, leave=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}]" if seconds else None)


def _bytes(data: Any) -> bytes:
    try:
        piece = memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"feed() takes bytes (a piece of an audio container), not {type(data).__name__}.") from None
    if not piece:
        raise ValueError("feed() was given an empty piece of audio.")
    return piece


__all__ = ["FrontEnd", "Recording", "Transcriber", "TranscriptionError", "join_words"]

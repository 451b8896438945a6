"""The transcriber: the headless core's public API and its lock, over parts with one job each.

A :class:`Transcriber` takes recordings in and gives a transcript out: messages from the page
(:meth:`~Transcriber.receive`), audio pushed from Python (:meth:`~Transcriber.feed`,
:meth:`~Transcriber.transcribe_file`), the transcript, its status and callbacks, the review
(corrections, speakers' names, bookmarks) and exports. It does the work through its parts
(:mod:`live_transcriber.parts`), which never import it:

- :class:`~live_transcriber.parts.page.PageSession` carries out what the page sends (every message
  is documented in :mod:`live_transcriber.protocol`) and answers it;
- :class:`~live_transcriber.parts.recordings.Recordings` takes each recording through an engine
  stream and onto the transcript's timeline;
- :class:`~live_transcriber.parts.book.TranscriptBook` keeps the transcript, corrections, speakers'
  names and bookmarks, and renders the exports;
- :class:`~live_transcriber.parts.publisher.Publisher` tells the front ends what changed and runs
  the callbacks;
- :class:`~live_transcriber.parts.journaling.JournalWriter` writes the journal.

It has no widget import: use it from a script or a server, or under
:class:`~live_transcriber.LiveTranscriber`, which mirrors its state into traits through a
:class:`FrontEnd`.

Threads: :meth:`receive`, :meth:`feed` and the other methods are called from the user's thread
(the kernel's); engines emit events from their own threads, which come back through the
transcriber. One lock (an ``RLock``, the transcriber's) guards the state of every part: the parts
are called with it held and never take it. Callbacks run after it is released.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Union

from . import journal as J
from . import journal_home
from . import protocol as P
from .engines import Engine, Keyterms, normalize_keyterms
from .engines.select import make_engine
from .exports import FORMATS
from .journal_home import Retention
from .media import FEED, DecodeError, Source, container_format, duration, file_mime_type, file_source, known_duration
from .parts.book import TranscriptBook, placed
from .parts.journaling import JournalWriter
from .parts.page import PageSession
from .parts.publisher import EventCallback, FrontEnd, Publisher, ResultCallback
from .parts.recordings import Recording, Recordings, Run, paced, progress_bar
from .results import Event, Result, Status, join_words, speaker_names
from .settings import MissingKeyError

log = logging.getLogger(__name__)


class TranscriptionError(RuntimeError):
    """A recording could not be transcribed; the message says why and what to do."""


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
        each transcriber gets its own, ``True`` for the default home (the per-user data folder's
        ``live-transcriber/journal``, or ``$LIVE_TRANSCRIBER_JOURNAL``; see
        :mod:`live_transcriber.journal_home`), ``None`` or ``False`` for none. The folder is made
        at the first recording; :attr:`journal` says where.
    keep_journals:
        How long the finished journals under the same folder are kept, as a
        :class:`~live_transcriber.journal_home.Retention` or text: ``"30 days"``, ``"2 GB"``,
        ``"14 days, 500 MB"``, ``"all"``. None: ``$LIVE_TRANSCRIBER_JOURNAL_KEEP``, else 30 days
        and 2 GB. They are removed at this transcriber's first recording; a journal in use or
        left unfinished by a crash never is.
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
        keep_journals: Union[Retention, str, None] = None,
        **options: Any,
    ) -> None:
        if "keyterm" in options:
            raise TypeError("keyterm= is now keyterms= (for every engine, and changeable while recording).")
        self._lock = threading.RLock()
        self._publisher = Publisher()
        self._browser = P.BrowserProtocol()
        self._owns_engine = not isinstance(engine, Engine)
        self._engine: Engine | None = None
        #: Which engine runs, in a few words (``"offline · tiny.en"``), and why it is that one
        #: (``"no Deepgram key found"``, ``"key from ~/project/.env"``; "" when it was named), with
        #: a sentence saying so: shown together in the widget.
        self.engine_label = self.engine_reason = self.engine_notice = ""
        try:
            self._engine, self.engine_reason, self.engine_notice = make_engine(engine, **options)
            self.engine_label = self._engine.label
        except MissingKeyError as exc:
            # Not raised: a widget shows it, and pressing Start says it again.
            self.engine_label = "Deepgram · no key"
            self._publisher.report(str(exc))
        if self.engine_notice:
            log.info(self.engine_notice)
        root = journal_home.default_home() if journal is True else Path(journal).absolute() if journal else None
        self._journal = JournalWriter(root, self.engine_label, self._publisher.report, self._retention(keep_journals))
        self._book = TranscriptBook(self._journal, self._publisher)
        self._recordings = Recordings(
            self._engine, keep_audio=keep_audio, book=self._book, journal=self._journal, publisher=self._publisher,
            deliver=self._on_event, closed=lambda run, cut_short: self._page.closed(run, cut_short),
        )
        self._page = PageSession(self._browser, self._recordings, self._book, self._journal, self._publisher)
        self._keyterms: Keyterms = self._engine.keyterms if self._engine is not None else ()
        self._journal.keyterms(self._keyterms)
        if keyterms is not None:
            self.set_keyterms(keyterms)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(engine={self.engine_label!r}, status={self.status.value!r}, words={len(self._book.transcript.words)})"

    def _retention(self, keep: Union[Retention, str, None]) -> Retention:
        if keep is not None:
            return Retention.parse(keep)
        try:
            return Retention.from_environment()
        except ValueError as exc:
            # Set for every kernel, perhaps by someone else: said in the widget, and nothing is removed.
            self._publisher.report(f"{exc} (from ${journal_home.KEEP_VARIABLE}; every journal is kept meanwhile)")
            return Retention(None, None)

    @classmethod
    def recover(
        cls,
        path: Union[str, os.PathLike[str], None] = None,
        engine: Union[str, Engine] = "auto",
        *,
        finish: bool = True,
        keep_audio: bool = True,
        **options: Any,
    ) -> Transcriber:
        """Continue the transcriber whose journal is at ``path`` (after a crash, a restart, ...):
        a journal folder, or an item of :func:`~live_transcriber.journal_home.journals`. Without
        ``path``, the latest unfinished journal in the default home (one a crash or a kill left
        open, or with a recording cut short).

        The transcript, recordings and timeline come back as they were; the journal goes on in the
        same folder (unfinished again until this transcriber is closed). With ``finish=True``, each
        recording that was interrupted is transcribed again from its saved audio, and the words
        missing after its last final word are added (in the background: :meth:`wait` for them).
        Raises ``FileNotFoundError`` when there is nothing to recover,
        :class:`~live_transcriber.journal.JournalInUse` when another transcriber writes it.
        """
        folder = Path(path) if path is not None else _latest_unfinished()
        journal = J.Journal(folder, append=True)  # held from here on: no one else resumes it meanwhile
        try:
            saved = J.load(folder)
            if saved.keyterms is not None:  # the interrupted words are heard again with the same keyterms
                options.setdefault("keyterms", saved.keyterms)
            transcriber = cls(engine, keep_audio=keep_audio, journal=None, **options)
        except BaseException:
            journal.close()
            raise
        with transcriber._lock:
            transcriber._book.restore(saved)
            transcriber._recordings.restore(saved)
            transcriber._publish()
        journal.resumed()
        transcriber._journal.resume(journal)
        if finish:
            with transcriber._lock:
                for item in saved.interrupted:
                    transcriber._recordings.finish_saved(item)
                transcriber._publish()
        return transcriber

    # -- state -------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        """The engine in use; None if it could not be made (see :attr:`error`)."""
        return self._engine

    @property
    def journal(self) -> J.Journal | None:
        """The journal being written (made at the first recording; ``.folder`` says where), or None."""
        return self._journal.journal

    @property
    def journal_home(self) -> Path | None:
        """The folder this transcriber's journal goes under, or None: no journal."""
        return self._journal.root

    @property
    def keep_journals(self) -> Retention:
        """How long the finished journals in :attr:`journal_home` are kept (see ``keep_journals=``)."""
        return self._journal.retention

    @property
    def keep_audio(self) -> bool:
        """Whether each recording's bytes are kept, for :meth:`save_audio` and playing them back."""
        return self._recordings.keep_audio

    @keep_audio.setter
    def keep_audio(self, keep: bool) -> None:
        self._recordings.keep_audio = keep

    @property
    def recordings(self) -> list[Recording]:
        """Every recording, oldest first (their bytes are empty unless ``keep_audio``)."""
        return self._recordings.recordings

    @property
    def transcript(self) -> str:
        """All final text so far."""
        return self._book.transcript.text

    @property
    def interim(self) -> str:
        """Words not final yet; replaced as recognition goes on."""
        return self._book.transcript.interim

    @property
    def finals(self) -> list[Result]:
        """Every final result, in order, with its ``utterance`` and ``recording`` set."""
        with self._lock:
            return list(self._book.finals)

    @property
    def results(self) -> list[dict[str, Any]]:
        """:attr:`finals` as dicts (``Result.to_dict()`` plus ``index``): the widget's ``results``."""
        with self._lock:
            return list(self._book.results)

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
        return self._publisher.error

    # -- callbacks and front ends ----------------------------------------------------------------

    def on_result(self, callback: ResultCallback, remove: bool = False) -> None:
        """Call ``callback(result)`` for every interim and final :class:`Result` (from a background thread)."""
        self._publisher.on_result(callback, remove)

    def on_event(self, callback: EventCallback, remove: bool = False) -> None:
        """Call ``callback(event)`` for every engine event: :class:`Result`, :class:`SpeechStarted`,
        :class:`UtteranceEnd`, :class:`Metadata`, :class:`EngineError` (from a background thread),
        with times on the transcript's timeline."""
        self._publisher.on_event(callback, remove)

    def attach(self, front_end: FrontEnd) -> None:
        """Tell ``front_end`` about every change from now on (the widget does this)."""
        with self._lock:
            self._publisher.attach(front_end, {**self._state(), "results": list(self._book.results), "keyterms": list(self._keyterms)})

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
    def keyterms_supported(self) -> bool:
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
            self._recordings.set_keyterms(new)
            self._publisher.tell({"keyterms": list(new)})
            self._journal.keyterms(new)

    # -- the browser -------------------------------------------------------------------------------

    def receive(self, message: Any, buffers: Any = ()) -> None:
        """Handle one message from the browser (:mod:`live_transcriber.protocol` documents them).
        Never raises: bad messages are reported in :attr:`error`."""
        try:
            with self._lock:
                if self._recordings.closed:
                    return
                self._page.receive(message, buffers)
                self._publish()
        except Exception:  # a bug here must not take the comm down with it
            log.exception("live-transcriber: failed to handle a message from the browser")
            with self._lock:
                self._publisher.report("Internal error while handling a message from the browser:\n" + traceback.format_exc(limit=3))
                self._publish()
        self._run_callbacks()

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
            run = self._recordings.feed_run
            if run is not None and run.ending:
                self._recordings.feed_run = None
                raise TranscriptionError(run.recording.error or "The recording fed so far has ended; call end_feed() and start again.")
            if run is None:
                run = self._recordings.feed_run = self._begin(mime_type, FEED)
            self._recordings.write(run, piece)
            self._publish()
        self._run_callbacks()

    def end_feed(self) -> None:
        """The audio passed to :meth:`feed` is complete: finish transcribing it."""
        with self._lock:
            if self._recordings.feed_run is not None:
                self._recordings.end(self._recordings.feed_run)
                self._recordings.feed_run = None
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
                raise TranscriptionError(self._publisher.error)
            run = self._begin(mime_type, file_source(path), whole=None if realtime else data)
            self._publish()
        recording = run.recording
        bar = progress_bar(path.name, seconds) if progress else None
        try:
            for piece in paced(b"" if run.whole else data, pace):
                with self._lock:
                    if run.ending:
                        break  # cut short (see recording.error)
                    self._recordings.write(run, piece)
            with self._lock:
                self._recordings.end(run)
                self._publish()
            self._run_callbacks()
            self._recordings.follow(run, timeout, bar)
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

    def _interrupt(self, run: Run, seconds: float | None, why: str) -> None:
        """Stop a recording at once, keeping the words already final; the transcriber is idle after."""
        with self._lock:
            stream = self._recordings.interrupt(run, seconds, why)
            self._publish()
        if stream is not None:
            stream.abort()
            with self._lock:
                self._recordings.aborted.append(stream)  # close() waits for it: a native thread alive at exit aborts the process

    def text_of(self, recording: int) -> str:
        """The final text of one recording (an index into :attr:`recordings`)."""
        with self._lock:
            return self._book.text_of(recording)

    # -- everything else ---------------------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every recording is fully transcribed; False on timeout."""
        return self._recordings.idle.wait(timeout)

    def clear(self) -> None:
        """Forget the transcript so far, including words still to come from recordings already
        stopped (the recorded audio is kept; a recording in progress goes on)."""
        with self._lock:
            self._book.clear(self._recordings.drop_finishing())
            self._publish()
        self._run_callbacks()

    def to_text(self, *, timestamps: bool = False, speakers: bool = True) -> str:
        """The final transcript, one line per utterance (``[mm:ss]`` first with ``timestamps=True``,
        the speaker's name, or ``Speaker 1:``, when speakers are told apart), bookmarks on lines
        of their own."""
        with self._lock:
            return self._book.to_text(self._recordings.start_of, timestamps=timestamps, speakers=speakers)

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
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ValueError(f"Cannot export to {path.name!r}: use a .txt, .srt, .vtt or .json file name.")
        path.write_text(self._render(fmt), encoding="utf-8", newline="")
        return path

    def _render(self, fmt: str) -> str:
        with self._lock:
            return self._book.render(fmt, self._recordings.start_of)

    def to_dataframe(self, level: str = "words") -> Any:
        """The transcript as a pandas DataFrame, one row per word (``level="words"``) or per
        utterance (``"utterances"``); see :func:`live_transcriber.analysis.to_dataframe` for the
        columns. Needs pandas (``pip install "jupyter-live-transcriber[pandas]"``)."""
        from .analysis import to_dataframe

        with self._lock:
            finals, names = list(self._book.finals), dict(self._book.speakers)
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
            corrected = self._book.edit_word(index, word, text)
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
            corrected = self._book.edit_utterance(utterance, text, speaker)
            self._publish()
        return corrected

    @property
    def speakers(self) -> dict[int, str]:
        """The speakers' names, e.g. ``{0: "Ana", 1: "Ben"}``: assign to rename speakers in the
        transcript and every export (a speaker with no name is "Speaker N", N counted from 1)."""
        with self._lock:
            return dict(self._book.speakers)

    @speakers.setter
    def speakers(self, names: dict[int, str]) -> None:
        checked = speaker_names(names)
        with self._lock:
            self._book.name_speakers(checked)
            self._publish()

    @property
    def bookmarks(self) -> list[dict[str, Any]]:
        """The bookmarks, in time order: ``{"time", "label", "recording"}``, ``time`` in seconds on
        the transcript's timeline (``Bookmark.to_dict()``)."""
        with self._lock:
            return [b.to_dict() for b in self._book.bookmarks(self._recordings.start_of)]

    def add_bookmark(self, time: float | None = None, label: str = "") -> dict[str, Any]:
        """Mark a moment: ``time`` seconds on the transcript's timeline, or now in the recording in
        progress (``time=None``). Kept in :attr:`bookmarks`, the text and JSON exports. Returns it."""
        if not isinstance(label, str):
            raise TypeError(f"A bookmark's label is a string, not {type(label).__name__}.")
        with self._lock:
            mark = self._book.mark(label, lambda: self._recordings.moment(time, None, self._recordings.current))
            self._publish()
            return placed(mark, self._recordings.start_of).to_dict()

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
        journal, a recording cut short stays interrupted in it, for :meth:`recover` to finish."""
        with self._lock:
            if self._recordings.closed:
                return
            runs = self._recordings.shut()
            self._page.close()
        self._recordings.abort(runs)  # a recognition run in progress ends first
        with self._lock:
            self._recordings.close_runs(runs)
            self._publish()
        self._run_callbacks()
        self._journal.close()
        if self._owns_engine and self._engine is not None:
            self._engine.close()

    # -- recordings and engine events ----------------------------------------------------------------

    def _check_open(self) -> None:
        if self._recordings.closed:
            raise RuntimeError("This transcriber was closed.")

    def _begin(self, mime_type: str, source: Source, whole: bytes | None = None) -> Run:
        """Start a recording from Python: one the page is still recording (or that was reloaded
        without a stop) is ended there too."""
        self._page.give_way(source)
        return self._recordings.begin(mime_type, source, whole)

    def _on_event(self, run: Run, event: Event, generation: int) -> None:
        """An engine's event (on the engine's thread)."""
        with self._lock:
            if not self._recordings.on_event(run, event, generation):
                return
            self._publish()
        self._run_callbacks()

    # -- publishing ---------------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        status, detail = self._recordings.status()
        return {
            "transcript": self._book.transcript.text,
            "interim": self._book.transcript.interim,
            "status": status,
            "status_detail": detail,
            "error": self._publisher.error,
            "results": self._book.version,
            "speakers": dict(self._book.speakers),
            "bookmarks": [b.to_dict() for b in self._book.bookmarks(self._recordings.start_of)],
        }

    def _publish(self) -> None:
        """Tell the front ends what changed since last time."""
        self._publisher.publish(self._state(), self._book.results)

    def _run_callbacks(self) -> None:
        """Give queued events to the callbacks, outside the lock (a callback may call back in)."""
        with self._lock:
            events = self._publisher.take()
        self._publisher.call_back(events)


def _latest_unfinished() -> Path:
    home = journal_home.default_home()
    if home is None:
        raise FileNotFoundError(
            f"Journals are off (${journal_home.HOME_VARIABLE}=off): pass the folder of the journal to recover."
        )
    latest = journal_home.latest_unfinished(home)
    if latest is None:
        raise FileNotFoundError(
            f"No unfinished journal in {home}: no transcriber there was stopped by a crash or a kill. "
            "journals() lists them all; pass one to recover() to go on with it."
        )
    return latest.folder


def _bytes(data: Any) -> bytes:
    try:
        piece = memoryview(data).tobytes()
    except TypeError:
        raise TypeError(f"feed() takes bytes (a piece of an audio container), not {type(data).__name__}.") from None
    if not piece:
        raise ValueError("feed() was given an empty piece of audio.")
    return piece


__all__ = ["FrontEnd", "Recording", "Transcriber", "TranscriptionError", "join_words"]

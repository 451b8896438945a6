"""The notebook widget: synced traits and the comm. The logic lives in session, engines and results."""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Union

import anywidget
import traitlets

from . import session as S
from .engines import Engine, EngineStream
from .engines.select import make_engine
from .results import EngineError, Event, Metadata, Result, Status, StreamClosed, Transcript
from .settings import MissingKeyError

log = logging.getLogger(__name__)

ResultCallback = Callable[[Result], Any]

_STATIC = Path(__file__).parent / "static"
#: Engine statuses that mean "audio is flowing": the widget shows its own phase instead.
_READY = ("ready", "connected")
#: Bytes per piece when a file is pushed through the pipeline without a browser.
_FILE_PIECE = 4096
#: How many of the latest results go to the browser on each change. Python keeps them all; resending
#: hours of results on every new one would make long sessions slow. New views ask for the history.
RESULTS_SYNCED = 50
#: Seconds between the last word of one recording and the start of the next on the common timeline.
_RECORDING_GAP = 1.0


def _results_tail(results: list[dict], _widget: Any) -> list[dict]:
    return results[-RESULTS_SYNCED:]


@dataclass
class Recording:
    """One recording as the browser sent it: its container bytes, losslessly."""

    mime_type: str
    data: bytearray
    #: Where the recording starts on the session's timeline (seconds).
    offset: float


class LiveTranscriber(anywidget.AnyWidget):
    """Record the microphone in the browser and transcribe it live.

    >>> w = LiveTranscriber()          # offline engine unless a Deepgram key is available
    >>> w                              # doctest: +SKIP  (press Start, speak)
    >>> w.transcript                   # doctest: +SKIP  all final text so far

    Parameters
    ----------
    engine:
        ``"auto"`` (Deepgram when an API key is available, else offline), ``"local"``,
        ``"deepgram"``, or an :class:`~live_transcriber.engines.Engine` instance.
    keep_audio:
        Keep what the browser recorded, for :meth:`save_audio` (about 15 MB an hour of WebM/Opus).
    **options:
        Passed to the engine, e.g. ``model="base.en"`` for the offline engine or
        ``api_key=...``, ``base_url=...``, ``model="nova-3"`` for Deepgram.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    status = traitlets.Unicode(
        "idle", help="idle, loading model, recording, paused, finishing, reconnecting or error"
    ).tag(sync=True)
    error = traitlets.Unicode("", help="The last problem, or empty.").tag(sync=True)
    transcript = traitlets.Unicode("", help="All final text so far.").tag(sync=True)
    interim = traitlets.Unicode("", help="Words not final yet; replaced as recognition goes on.").tag(sync=True)
    results = traitlets.List(
        help="Final results as dicts: index, text, start, end, words (the browser gets the latest few)."
    ).tag(sync=True, to_json=_results_tail)
    engine_label = traitlets.Unicode("", read_only=True).tag(sync=True)

    def __init__(self, engine: Union[str, Engine] = "auto", *, keep_audio: bool = True, **options: Any) -> None:
        super().__init__()
        self.keep_audio = keep_audio
        #: Every recording of this widget, oldest first (empty unless ``keep_audio``).
        self.recordings: list[Recording] = []
        self._offset = 0.0
        self._engine: Engine | None = None
        self._owns_engine = not isinstance(engine, Engine)
        notice = ""
        try:
            self._engine, notice = make_engine(engine, **options)
            self.set_trait("engine_label", self._engine.label)
        except MissingKeyError as exc:
            # Shown in the widget; pressing Start says it again rather than recording into nothing.
            self.set_trait("engine_label", "Deepgram · no key")
            self.error = str(exc)
            self.status = "error"
        self._session = S.Session()
        self._transcript = Transcript()
        self._stream: EngineStream | None = None
        self._callbacks: list[ResultCallback] = []
        self._lock = threading.RLock()
        self._idle = threading.Event()
        self._idle.set()
        self._feed_seq = 0
        self._ending = False
        self._paused = False
        if notice:
            log.info(notice)
        self.on_msg(self._on_msg)

    def __repr__(self) -> str:
        return f"LiveTranscriber(engine={self.engine_label!r}, status={self.status!r}, words={len(self._transcript.words)})"

    # -- public API ---------------------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        """The engine in use; None if it could not be made (see :attr:`error`)."""
        return self._engine

    def on_result(self, callback: ResultCallback, remove: bool = False) -> None:
        """Call ``callback(result)`` for every interim and final :class:`Result` (from a background thread)."""
        if remove:
            self._callbacks.remove(callback)
        else:
            self._callbacks.append(callback)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current recording is fully transcribed; False on timeout."""
        return self._idle.wait(timeout)

    def clear(self) -> None:
        """Forget the transcript so far (the recorded audio is kept)."""
        with self._lock:
            self._transcript.clear()
            self._sync_transcript()

    def to_text(self, *, timestamps: bool = False, speakers: bool = True) -> str:
        """The final transcript, one line per utterance (``[mm:ss]`` first with ``timestamps=True``,
        ``Speaker 1:`` when the engine tells speakers apart)."""
        from .exports import to_text

        return to_text(self._transcript.finals, timestamps=timestamps, speakers=speakers)

    def to_srt(self) -> str:
        """The final transcript as SubRip subtitles, timed by its words."""
        from .exports import to_srt

        return to_srt(self._transcript.finals)

    def to_vtt(self) -> str:
        """The final transcript as WebVTT subtitles, timed by its words."""
        from .exports import to_vtt

        return to_vtt(self._transcript.finals)

    def to_json(self) -> str:
        """Every final result with its words and timings, as JSON."""
        from .exports import to_json

        return to_json(self._transcript.finals)

    def export(self, path: str | Path) -> Path:
        """Write the transcript to ``path`` in the format its suffix names: .txt, .srt, .vtt or .json."""
        from .exports import FORMATS

        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ValueError(f"Cannot export to {path.name!r}: use a .txt, .srt, .vtt or .json file name.")
        path.write_text(FORMATS[fmt][0](self._transcript.finals), encoding="utf-8", newline="")
        return path

    def save_audio(self, path: str | Path, recording: int = -1) -> Path:
        """Write a recording (the latest by default) to ``path`` exactly as the browser sent it.

        The format is the browser's (``self.recordings[i].mime_type``, usually WebM/Opus): name the
        file to match, e.g. ``"talk.webm"``.
        """
        if not self.recordings:
            raise ValueError("Nothing recorded yet" + ("." if self.keep_audio else ": this widget was made with keep_audio=False."))
        path = Path(path)
        path.write_bytes(bytes(self.recordings[recording].data))
        return path

    def feed(self, data: bytes, mime_type: str) -> None:
        """Push one more piece of a container stream through the pipeline, as the browser would.

        The first call starts a recording in ``mime_type``; call :meth:`end_feed` when done.
        """
        if self._session.phase is S.Phase.IDLE:
            self._feed_seq = 0
            self._handle({"type": "start", "stream": "feed", "mime_type": mime_type})
        self._handle({"type": "chunk", "stream": "feed", "seq": self._feed_seq}, [data])
        self._feed_seq += 1

    def end_feed(self) -> None:
        self._handle({"type": "stop", "stream": "feed"})

    def transcribe_file(self, path: str | Path, mime_type: str | None = None, *, realtime: bool = False, timeout: float | None = None) -> str:
        """Transcribe an audio file through the same session and engine as the microphone.

        With ``realtime=True`` the file is fed at the pace it plays, as a live recording would be.
        Returns the final transcript of the file.
        """
        path = Path(path)
        guessed = mimetypes.guess_type(path.name)[0] or "audio/webm"
        mime_type = mime_type or guessed.replace("video/", "audio/", 1)
        data = path.read_bytes()
        pace = _duration(path) / max(len(data), 1) if realtime else 0.0
        self.clear()
        started = time.monotonic()
        for offset in range(0, len(data), _FILE_PIECE):
            if pace:
                time.sleep(max(0.0, started + offset * pace - time.monotonic()))
            self.feed(data[offset : offset + _FILE_PIECE], mime_type)
        self.end_feed()
        if not self.wait(timeout):
            raise TimeoutError(f"Transcribing {path} took longer than {timeout} s.")
        return self.transcript

    def close(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            # Let a recognition run in progress end: native threads alive at exit abort the process.
            stream.wait(10)
        if self._owns_engine and self._engine is not None:
            self._engine.close()
        super().close()

    # -- browser → kernel ----------------------------------------------------------------------

    def _on_msg(self, _widget: Any, content: Any, buffers: list) -> None:
        # The kernel's main thread: only hand things on, never wait for the engine.
        try:
            self._handle(content, buffers)
        except Exception:  # a bug here must not take the comm down with it
            log.exception("live-transcriber: failed to handle a message from the browser")
            self.error = "Internal error while handling audio from the browser:\n" + traceback.format_exc(limit=3)

    def _handle(self, content: Any, buffers: list | tuple = ()) -> None:
        for action in self._session.handle(content, buffers):
            if isinstance(action, S.Audio):
                if self.keep_audio and self.recordings:
                    self.recordings[-1].data += action.data
                stream = self._stream  # an engine thread may clear it at any moment
                if stream is not None:
                    stream.write(action.data)
            elif isinstance(action, S.Command):
                self._command(action)
            elif isinstance(action, S.StartStream):
                self._start(action.mime_type)
            elif isinstance(action, S.EndStream):
                self._end()
            elif isinstance(action, S.Problem):
                log.warning("live-transcriber: %s", action.message)
                self.error = action.message
                if action.fatal:
                    self._fail(action.message)
            elif isinstance(action, S.ClientError):
                self.error = action.message
                if self._stream is None:
                    self.status = "idle"

    def _command(self, command: S.Command) -> None:
        if command.name in ("pause", "resume"):
            self._paused = command.name == "pause"
            if self.status in ("recording", "paused"):
                self.status = "paused" if self._paused else "recording"
        elif command.name == "clear":
            self.clear()
        elif command.name == "history":
            self.send({"type": "history", "results": list(self.results)})
        elif command.name == "export":
            self._send_export(str(command.args.get("format", "")))

    def _send_export(self, fmt: str) -> None:
        from .exports import FORMATS

        if fmt not in FORMATS:
            self.error = f"Cannot export as {fmt!r}: choose one of {', '.join(FORMATS)}."
            return
        writer, mime_type = FORMATS[fmt]
        content = writer(self._transcript.finals)
        self.send({"type": "export", "format": fmt, "filename": f"transcript.{fmt}", "mime_type": mime_type, "content": content})

    def _start(self, mime_type: str) -> None:
        with self._lock:
            # A previous recording still finishing keeps going: its last words still count, but
            # from now on the widget's status follows the new one.
            self._transcript.interim = ""
            self._ending = False
            self._paused = False
            # Each recording's times start at 0: place it on the session's timeline after the last.
            finals = self._transcript.finals
            self._offset = finals[-1].end + _RECORDING_GAP if finals else 0.0
            if self.keep_audio:
                self.recordings.append(Recording(mime_type, bytearray(), self._offset))
            if self._engine is not None:
                self.error = ""
            self.status = "recording"
            self._idle.clear()
            current: list[EngineStream] = []  # filled once open() returns; events may come before
            try:
                if self._engine is None:
                    raise RuntimeError(self.error)
                offset = self._offset
                self._stream = self._engine.open(mime_type, lambda event: self._on_event(event, current, offset))
                current.append(self._stream)
            except Exception as exc:
                self._stream = None
                self._idle.set()
                self._fail(str(exc))

    def _end(self) -> None:
        with self._lock:
            if self._stream is not None:
                self._ending = True
                self.status = "finishing"
                self._stream.end()

    def _fail(self, message: str) -> None:
        self.error = message
        self.status = "error"
        self.send({"type": "stop_recording", "reason": message})

    # -- engine → traits (engine threads) ---------------------------------------------------------

    def _on_event(self, event: Event, source: list[EngineStream] | None = None, offset: float = 0.0) -> None:
        if isinstance(event, Result) and offset:
            event = _shifted(event, offset)
        with self._lock:
            stale = source is not None and bool(source) and source[0] is not self._stream
            if stale and not isinstance(event, Result):
                return  # a replaced recording: only its words still matter
            if isinstance(event, Result):
                self._transcript.apply(event)
                self._sync_transcript(event if event.is_final and event.text else None)
            elif isinstance(event, Status):
                if self.status != "error":
                    ready = "finishing" if self._ending else "paused" if self._paused else "recording"
                    self.status = ready if event.status in _READY else event.status
            elif isinstance(event, EngineError):
                if event.fatal:
                    self._fail(event.message)
                else:
                    self.error = event.message
            elif isinstance(event, StreamClosed):
                self._stream = None
                if self.status != "error":
                    self.status = "idle"
                self._transcript.interim = ""
                self._sync_transcript()
                self._idle.set()
            elif isinstance(event, Metadata):
                log.debug("stream metadata: %s", event)
        if isinstance(event, Result):
            self._run_callbacks(event)

    def _sync_transcript(self, final: Result | None = None) -> None:
        with self.hold_sync():
            self.transcript = self._transcript.text
            self.interim = self._transcript.interim
            if final is not None:
                self.results = [*self.results, {"index": len(self.results), **final.to_dict()}]
            elif not self._transcript.finals and self.results:
                self.results = []

    def _run_callbacks(self, result: Result) -> None:
        for callback in list(self._callbacks):
            try:
                callback(result)
            except Exception:
                log.exception("live-transcriber: an on_result callback raised")
                traceback.print_exc()


def _shifted(result: Result, offset: float) -> Result:
    words = tuple(replace(w, start=w.start + offset, end=w.end + offset) for w in result.words)
    return replace(result, start=result.start + offset, end=result.end + offset, words=words)


def _duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        if container.duration:
            return container.duration / 1_000_000
        return sum(float(f.duration * f.time_base) for f in container.decode(audio=0) if f.duration)

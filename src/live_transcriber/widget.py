"""The notebook widget: the comm and synced traits over a :class:`~live_transcriber.Transcriber`, nothing else."""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
from pathlib import Path
from typing import Any, Union

import anywidget
import traitlets

from . import protocol as P
from .engines import Engine, normalize_keyterms
from .journal import Journal
from .media import BROWSER, RECOVERED
from .results import Result, Status, speaker_names
from .transcriber import EventCallback, Recording, ResultCallback, Transcriber, TranscriptionError

_STATIC = Path(__file__).parent / "static"
#: How many of the latest results go to the browser on each change. Python keeps them all; resending
#: hours of results on every new one would make long recordings slow. New views ask for the history.
RESULTS_SYNCED = 50


#: This kernel process, as the page knows it: audio the page kept from a process that is gone
#: (a restarted kernel) is offered again, audio of a live one never is.
_PROCESS = secrets.token_hex(8)


def _results_tail(results: list[dict], _widget: Any) -> list[dict]:
    return results[-RESULTS_SYNCED:]


def _names_to_json(names: dict[int, str], _widget: Any) -> dict[str, str]:
    return {str(speaker): name for speaker, name in names.items()}


def _names_from_json(names: Any, _widget: Any) -> Any:
    return names  # the validator reads digit-string keys (JSON has no others)


def _jupyter_kernel_id() -> str:
    """The Jupyter kernel id (which a restart keeps, though the process changes), or "" outside Jupyter."""
    # Only from a kernel that runs: importing ipykernel elsewhere changes which comm manager
    # the widget's comm belongs to.
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    if kernelapp is None or not kernelapp.IPKernelApp.initialized():
        return ""
    name = Path(kernelapp.IPKernelApp.instance().connection_file).name
    match = re.fullmatch(r"kernel-(.+)\.json", name)
    return match.group(1) if match else ""


def _in_marimo() -> bool:
    """Whether a marimo notebook or app runs this code (marimo is then imported already)."""
    marimo = sys.modules.get("marimo")
    return marimo is not None and marimo.running_in_notebook()


def _between_cells_only() -> bool:
    """Whether this thread runs the cells, so that the browser's messages can reach it only between
    them: the kernel thread of a marimo notebook (its context is the thread's), or the main thread of
    a Jupyter kernel. (With kernel subshells a page may send its messages to a subshell of their
    own, which runs beside a cell; not every front end does, so a cell never counts on it.)"""
    if _in_marimo():
        return True
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    in_kernel = kernelapp is not None and kernelapp.IPKernelApp.initialized()
    return in_kernel and threading.current_thread() is threading.main_thread()


def _in_the_order_sent(comm: Any) -> None:
    """Have ipykernel hand every message the page sends on ``comm`` to the one shell the page sent
    it to, so that they are handled one at a time, in the order sent.

    With kernel subshells (ipykernel 7; JupyterLab 4.6 sends widget messages to a subshell of their
    own by default, "commsOverSubshells"), ipykernel hands a message from the page to the subshell
    that last *sent* something on the comm instead (``BaseComm._reply_subshell_for``): the main shell
    after a cell set a trait or sent the page a request, the comm's subshell after a message handled
    there did. A recording's chunks then ran on two threads by turns, and a stop could be handled
    before the chunks sent ahead of it ("Ignored audio that arrived while no recording was open",
    the chunks counted lost: seen in the browser tests under load). None of the page's messages
    answers a request that a cell waits for, which is what that routing is for.
    """
    if callable(getattr(comm, "_reply_subshell_for", None)):
        comm._reply_subshell_for = lambda data, default: default


#: Why start() refuses a widget that no view shows.
NOT_SHOWN = (
    "This widget records through a view of it in the browser, and none has been shown. Show it first "
    "(display(w), or w as the last line of a cell), then call start(); in marimo, from another cell than the "
    "one whose output shows it. Shown inside another widget (a VBox, a Tab) displayed in this same cell, it "
    "counts from the next cell on."
)


class LiveTranscriber(anywidget.AnyWidget):
    """Record the microphone in the browser and transcribe it live.

    >>> w = LiveTranscriber()          # offline engine unless a Deepgram key is available
    >>> w                              # doctest: +SKIP  (press Start, speak)
    >>> w.transcript                   # doctest: +SKIP  all final text so far

    Everything but the comm is a :class:`~live_transcriber.Transcriber` (``w.transcriber``), whose
    methods the widget offers too; its state is mirrored into the traits below (read-only, except
    ``speakers``, ``keyterms``, ``confidence_threshold`` and ``recording``, which you may set).
    ``w.start()``, ``w.pause()``, ``w.resume()`` and ``w.stop()`` (or setting :attr:`recording`)
    work the buttons from Python; ``LiveTranscriber.recover()`` continues a journal a crash left unfinished.

    Parameters
    ----------
    engine:
        ``"auto"`` (Deepgram when an API key is available, else offline), ``"offline"`` (or
        ``"local"``: the offline default, Whisper alone for now), ``"whisper"``,
        ``"moonshine+whisper"`` (Moonshine's words as you speak, Whisper's final), ``"deepgram"``, or an
        :class:`~live_transcriber.engines.Engine` instance.
    keep_audio:
        Keep what the browser recorded, for :meth:`save_audio` (about 15 MB an hour of WebM/Opus).
    transcriber:
        Show an existing :class:`~live_transcriber.Transcriber` instead of making one.
    **options:
        ``journal=``, ``keep_journals=`` and ``keyterms=[...]`` (see :class:`~live_transcriber.Transcriber`; the
        ``keyterms`` trait changes them later, also from the widget), and the engine's, e.g.
        ``model="base.en"`` for the offline engine or ``api_key=...``, ``base_url=...``,
        ``model="nova-3"`` for Deepgram.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    status = traitlets.Enum([s.value for s in Status], "idle", read_only=True, help="What the transcriber is doing.").tag(sync=True)
    status_detail = traitlets.Unicode("", read_only=True, help='More about the status, e.g. "attempt 2 of 5".').tag(sync=True)
    error = traitlets.Unicode("", read_only=True, help="The last problem, as a sentence saying what to do, or empty.").tag(sync=True)
    transcript = traitlets.Unicode("", read_only=True, help="All final text so far.").tag(sync=True)
    interim = traitlets.Unicode("", read_only=True, help="Words not final yet; replaced as recognition goes on.").tag(sync=True)
    results = traitlets.List(
        read_only=True, help="Final results as dicts (Result.to_dict() plus index); the browser gets the latest few."
    ).tag(sync=True, to_json=_results_tail)
    engine_label = traitlets.Unicode(
        "", read_only=True, help='Which engine runs, as the widget shows it: e.g. "offline · tiny.en", "Deepgram · nova-3".'
    ).tag(sync=True)
    engine_reason = traitlets.Unicode(
        "", read_only=True, help='Why that engine, shown beside its label: e.g. "no Deepgram key found", "key from ~/talks/.env"; "" when it was named.'
    ).tag(sync=True)
    engine_notice = traitlets.Unicode(
        "", read_only=True, help="The same as a sentence (the label's tooltip), e.g. what to do for the other engine."
    ).tag(sync=True)
    speakers = traitlets.Dict(
        help='Speaker names, e.g. {0: "Ana", 1: "Ben"}: assign to rename speakers everywhere (unnamed: "Speaker N").'
    ).tag(sync=True, to_json=_names_to_json, from_json=_names_from_json)
    bookmarks = traitlets.List(
        read_only=True, help="Bookmarks in time order: {time, label, recording}, time on the transcript's timeline."
    ).tag(sync=True)
    keep_audio = traitlets.Bool(
        True, read_only=True, help="Whether the audio is kept (for save_audio, and to play it back from a word in the widget)."
    ).tag(sync=True)
    confidence_threshold = traitlets.Float(
        0.6, allow_none=True, min=0.0, max=1.0, help="Words the engine is less sure of are marked in the widget; None: no marks."
    ).tag(sync=True)
    #: Who records, for the audio the page keeps until the kernel confirms it: this widget, this
    #: kernel process, this Jupyter kernel (see "Unconfirmed audio" in :mod:`live_transcriber.protocol`).
    _identity = traitlets.Dict(read_only=True).tag(sync=True)
    # marimo re-runs the cells that read `mo.ui.anywidget(w)` only when the browser changes a trait,
    # never when Python does: there the browser counts each new transcript, status or error here.
    revision = traitlets.Int(
        None, allow_none=True, help="In marimo, how many changes of transcript, status or error the browser has seen; else None."
    ).tag(sync=True)
    keyterms = traitlets.List(
        traitlets.Unicode(), help="Words and phrases to listen for (names, jargon); change them any time, also while recording."
    ).tag(sync=True)
    keyterms_supported = traitlets.Bool(False, read_only=True, help="Whether the engine uses keyterms.").tag(sync=True)
    journal_home = traitlets.Unicode(
        "", read_only=True, help="The folder the journal (every recording's audio and words) goes under; empty: no journal."
    ).tag(sync=True)
    keep_journals = traitlets.Unicode("", read_only=True, help="How long finished journals are kept there.").tag(sync=True)
    recording = traitlets.Bool(
        False,
        help="Whether the browser records (paused included) or is asking for the microphone. Set it to start or stop, "
        "as start() and stop() do; the page sets it back to False when it cannot start (the error says why).",
    ).tag(sync=True)

    def __init__(
        self, engine: Union[str, Engine] = "auto", *, keep_audio: bool = True, transcriber: Transcriber | None = None, **options: Any
    ) -> None:
        if transcriber is not None and (options or engine != "auto"):
            raise TypeError("Pass either a transcriber or the options to make one, not both.")
        self.transcriber = transcriber or Transcriber(engine, keep_audio=keep_audio, **options)
        super().__init__(revision=0 if _in_marimo() else None)
        self.set_trait("engine_label", self.transcriber.engine_label)
        self.set_trait("engine_reason", self.transcriber.engine_reason)
        self.set_trait("engine_notice", self.transcriber.engine_notice)
        self.set_trait("keep_audio", self.transcriber.keep_audio)
        self.set_trait("_identity", {"widget": secrets.token_hex(8), "process": _PROCESS, "kernel": _jupyter_kernel_id()})
        self.set_trait("keyterms_supported", self.transcriber.keyterms_supported)
        home = self.transcriber.journal_home
        self.set_trait("journal_home", str(home) if home is not None else "")
        self.set_trait("keep_journals", str(self.transcriber.keep_journals) if home is not None else "")
        #: Whether a view of the widget was shown (so that start() can record): asked for by a
        #: display here, or reported by a page.
        self._shown = False
        _in_the_order_sent(self.comm)
        self.on_msg(self._from_page)
        self.transcriber.attach(self)

    def __repr__(self) -> str:
        return repr(self.transcriber).replace("Transcriber", type(self).__name__, 1)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # Called when the widget is displayed (IPython's display, a cell's last line, marimo's
        # output): the page will show a view, which start() needs, before any page can say so.
        self._shown = True
        return super()._repr_mimebundle_(**kwargs)

    def _from_page(self, _widget: Any, content: Any, buffers: Any) -> None:
        if P.shows_view(content):
            self._shown = True
        self.transcriber.receive(content, buffers)

    @classmethod
    def recover(
        cls, path: Union[str, os.PathLike[str], None] = None, engine: Union[str, Engine] = "auto", **options: Any
    ) -> LiveTranscriber:
        """A widget that continues the journal at ``path``, or without it the latest unfinished
        one: see :meth:`Transcriber.recover`."""
        return cls(transcriber=Transcriber.recover(path, engine, **options))

    # -- the transcriber's state, mirrored (FrontEnd) ------------------------------------------

    def changed(self, changes: dict[str, Any]) -> None:
        with self.hold_sync():
            for name, value in changes.items():
                self.set_trait(name, value.value if isinstance(value, Status) else value)

    @traitlets.validate("speakers")
    def _check_speakers(self, proposal: Any) -> dict[int, str]:
        try:
            return speaker_names(proposal["value"])
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None

    @traitlets.observe("speakers")
    def _rename_speakers(self, change: Any) -> None:
        if change["new"] != self.transcriber.speakers:  # set from Python, not mirrored from the transcriber
            self.transcriber.speakers = change["new"]

    @traitlets.validate("keyterms")
    def _valid_keyterms(self, proposal: Any) -> list[str]:
        try:
            return list(normalize_keyterms(proposal["value"]))
        except (TypeError, ValueError) as exc:
            raise traitlets.TraitError(str(exc)) from None

    @traitlets.observe("keyterms")
    def _keyterms_changed(self, change: Any) -> None:
        self.transcriber.keyterms = change["new"]

    # -- the recorder, worked from Python ------------------------------------------------------

    def start(self) -> None:
        """Start recording in the browser, as the Start button does (the same as ``recording = True``).

        It returns at once, so ``display(w); w.start()`` works in one cell: the browser starts
        recording when the request reaches it, and what it answers may reach the kernel only once
        the cell has finished (without kernel subshells the kernel reads widget messages between
        cells).
        :attr:`recording` is True from now on, while the browser asks for the microphone too; it
        turns False again if recording cannot start, and :attr:`error` says why (the microphone
        was refused or is missing, no view of the widget is left on the page, ...). While a
        recording is open (paused included) it does nothing: see :meth:`resume`.

        Raises ``RuntimeError`` if no view of the widget was ever shown or the widget was closed,
        :class:`~live_transcriber.TranscriptionError` if there is no engine (see :attr:`error`).
        """
        self.recording = True

    def stop(self) -> None:
        """Stop recording, as the Stop button does (the same as ``recording = False``).

        It returns at once. The browser sends the audio it still holds, and the words still being
        recognised become final (``status`` is "finishing", then "idle"): nothing is lost. That
        audio may reach the kernel only once this cell has finished (without kernel subshells),
        so read the last words in a later cell, where :meth:`wait` blocks until they are all in
        (in this one it raises: it could never return there). Does nothing when nothing records.
        """
        self.recording = False

    def pause(self) -> None:
        """Pause the recording, as the Pause button does: the microphone stays open, nothing is
        recorded until :meth:`resume`, and the recording's clock stands still. Raises
        ``RuntimeError`` when nothing records."""
        self._send_to_recorder(P.pause_recording(), "pause")

    def resume(self) -> None:
        """Go on with a paused recording, as the Resume button does. Raises ``RuntimeError`` when
        nothing records. (To continue a journal after a crash: :meth:`recover`.)"""
        self._send_to_recorder(P.resume_recording(), "resume")

    def _send_to_recorder(self, message: P.KernelMessage, verb: str) -> None:
        if not self.recording:
            raise RuntimeError(f"Nothing is recording, so there is nothing to {verb}: start() first.")
        self.send(message)

    def _sent_by_page(self, name: str) -> bool:
        """Whether trait ``name`` is being set from the browser (ipywidgets and marimo hold it in
        ``_property_lock`` while they apply the page's state), not from Python."""
        return name in self._property_lock

    @traitlets.validate("recording")
    def _may_record(self, proposal: Any) -> bool:
        if proposal["value"] and not self._sent_by_page("recording"):
            if self.comm is None:
                raise RuntimeError("This widget was closed: make a new one to record.")
            if self.transcriber.engine is None:
                raise TranscriptionError(self.transcriber.error)
            if not self._shown:
                raise RuntimeError(NOT_SHOWN)
        return bool(proposal["value"])

    @traitlets.observe("recording")
    def _recording_asked(self, change: Any) -> None:
        # The page reports what its recorder does; only a change made in Python is a request.
        if not self._sent_by_page("recording"):
            self.send(P.start_recording() if change["new"] else P.stop_recording(""))

    # -- the transcriber's methods -------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        """The engine in use, or None: see :attr:`Transcriber.engine`."""
        return self.transcriber.engine

    @property
    def recordings(self) -> list[Recording]:
        """Every recording, oldest first: see :attr:`Transcriber.recordings`."""
        return self.transcriber.recordings

    @property
    def journal(self) -> Journal | None:
        """The journal being written (``.folder`` says where), or None: see :attr:`Transcriber.journal`."""
        return self.transcriber.journal

    def on_result(self, callback: ResultCallback, remove: bool = False) -> None:
        """See :meth:`Transcriber.on_result`."""
        self.transcriber.on_result(callback, remove)

    def on_event(self, callback: EventCallback, remove: bool = False) -> None:
        """See :meth:`Transcriber.on_event`."""
        self.transcriber.on_event(callback, remove)

    def wait(self, timeout: float | None = None) -> bool:
        """See :meth:`Transcriber.wait`. In a notebook's cell, raises ``RuntimeError`` instead of
        blocking for good while the browser records or has not sent the end of its recording."""
        if _between_cells_only() and self._page_recording_open():
            raise RuntimeError(
                "wait() would block for good: the browser is still recording, or has not sent the end of its recording "
                "yet, and what it sends may reach the kernel only once this cell has finished. Stop it (the Stop button "
                "or w.stop()), then call w.wait() in a later cell."
            )
        return self.transcriber.wait(timeout)

    def _page_recording_open(self) -> bool:
        """Whether the browser records, or a recording it sent is still open in the transcriber."""
        latest = self.transcriber.recordings[-1:]
        ended = (Status.IDLE, Status.FINISHING, Status.ERROR)  # the page has sent its stop (or the run failed)
        return self.recording or bool(latest and latest[0].source in (BROWSER, RECOVERED) and self.transcriber.status not in ended)

    def clear(self) -> None:
        """See :meth:`Transcriber.clear`."""
        self.transcriber.clear()

    def feed(self, data: bytes | bytearray | memoryview, mime_type: str) -> None:
        """See :meth:`Transcriber.feed`."""
        self.transcriber.feed(data, mime_type)

    def end_feed(self) -> None:
        """See :meth:`Transcriber.end_feed`."""
        self.transcriber.end_feed()

    def transcribe_file(
        self, path: str | Path, mime_type: str | None = None, *, realtime: bool = False, timeout: float | None = None, progress: bool = True
    ) -> str:
        """See :meth:`Transcriber.transcribe_file`."""
        return self.transcriber.transcribe_file(path, mime_type, realtime=realtime, timeout=timeout, progress=progress)

    def text_of(self, recording: int) -> str:
        """See :meth:`Transcriber.text_of`."""
        return self.transcriber.text_of(recording)

    def to_text(self, *, timestamps: bool = False, speakers: bool = True) -> str:
        """See :meth:`Transcriber.to_text`."""
        return self.transcriber.to_text(timestamps=timestamps, speakers=speakers)

    def to_srt(self) -> str:
        """See :meth:`Transcriber.to_srt`."""
        return self.transcriber.to_srt()

    def to_vtt(self) -> str:
        """See :meth:`Transcriber.to_vtt`."""
        return self.transcriber.to_vtt()

    def to_json(self) -> str:
        """See :meth:`Transcriber.to_json`."""
        return self.transcriber.to_json()

    def export(self, path: str | Path) -> Path:
        """See :meth:`Transcriber.export`."""
        return self.transcriber.export(path)

    def save_audio(self, path: str | Path, recording: int = -1) -> Path:
        """See :meth:`Transcriber.save_audio`."""
        return self.transcriber.save_audio(path, recording)

    @property
    def finals(self) -> list[Result]:
        """See :attr:`Transcriber.finals`."""
        return self.transcriber.finals

    def edit_word(self, index: int, word: int, text: str) -> Result:
        """See :meth:`Transcriber.edit_word`."""
        return self.transcriber.edit_word(index, word, text)

    def edit_utterance(self, utterance: int, text: str | None = None, *, speaker: int | None = None) -> list[Result]:
        """See :meth:`Transcriber.edit_utterance`."""
        return self.transcriber.edit_utterance(utterance, text, speaker=speaker)

    def add_bookmark(self, time: float | None = None, label: str = "") -> dict[str, Any]:
        """See :meth:`Transcriber.add_bookmark`."""
        return self.transcriber.add_bookmark(time, label)

    def to_dataframe(self, level: str = "words") -> Any:
        """See :meth:`Transcriber.to_dataframe`."""
        return self.transcriber.to_dataframe(level)

    def close(self) -> None:
        transcriber = getattr(self, "transcriber", None)
        if transcriber is not None:
            transcriber.close()
        super().close()


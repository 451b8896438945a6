"""The notebook widget: the comm and synced traits over a :class:`~live_transcriber.Transcriber`, nothing else."""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path
from typing import Any, Union

import anywidget
import traitlets

from .engines import Engine, normalize_keyterms
from .journal import Journal
from .results import Result, Status, speaker_names
from .transcriber import EventCallback, Recording, ResultCallback, Transcriber

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


class LiveTranscriber(anywidget.AnyWidget):
    """Record the microphone in the browser and transcribe it live.

    >>> w = LiveTranscriber()          # offline engine unless a Deepgram key is available
    >>> w                              # doctest: +SKIP  (press Start, speak)
    >>> w.transcript                   # doctest: +SKIP  all final text so far

    Everything but the comm is a :class:`~live_transcriber.Transcriber` (``w.transcriber``), whose
    methods the widget offers too; its state is mirrored into the traits below (read-only, except
    ``speakers``, ``keyterms`` and ``confidence_threshold``, which you may set).

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

    def __init__(
        self, engine: Union[str, Engine] = "auto", *, keep_audio: bool = True, transcriber: Transcriber | None = None, **options: Any
    ) -> None:
        if transcriber is not None and (options or engine != "auto"):
            raise TypeError("Pass either a transcriber or the options to make one, not both.")
        self.transcriber = transcriber or Transcriber(engine, keep_audio=keep_audio, **options)
        super().__init__(revision=0 if _in_marimo() else None)
        self.set_trait("engine_label", self.transcriber.engine_label)
        self.set_trait("keep_audio", self.transcriber.keep_audio)
        self.set_trait("_identity", {"widget": secrets.token_hex(8), "process": _PROCESS, "kernel": _jupyter_kernel_id()})
        self.set_trait("keyterms_supported", self.transcriber.supports_keyterms)
        home = self.transcriber.journal_home
        self.set_trait("journal_home", str(home) if home is not None else "")
        self.set_trait("keep_journals", str(self.transcriber.keep_journals) if home is not None else "")
        self.on_msg(lambda _widget, content, buffers: self.transcriber.receive(content, buffers))
        self.transcriber.attach(self)

    def __repr__(self) -> str:
        return repr(self.transcriber).replace("Transcriber", type(self).__name__, 1)

    @classmethod
    def resume(
        cls, path: Union[str, os.PathLike[str], None] = None, engine: Union[str, Engine] = "auto", **options: Any
    ) -> LiveTranscriber:
        """A widget that continues the journal at ``path``, or without it the latest unfinished
        one: see :meth:`Transcriber.resume`."""
        return cls(transcriber=Transcriber.resume(path, engine, **options))

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
        """See :meth:`Transcriber.wait`."""
        return self.transcriber.wait(timeout)

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

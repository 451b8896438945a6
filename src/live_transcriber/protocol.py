"""The browser protocol: every message between the page and the kernel, documented here once;
:class:`BrowserProtocol` checks what the page sends and puts each recording's audio in order, and
the builders below make what the kernel sends. No I/O.

The page is untrusted input. Bad messages become a :class:`Problem`; :meth:`BrowserProtocol.handle`
never raises, and every cost is bounded: a chunk holds at most :data:`MAX_CHUNK_BYTES`, a
recording at most :data:`MAX_RECORDING_BYTES`, at most :data:`MAX_REORDER` chunks wait for a
missing one, a sequence number may run at most :data:`MAX_SKIP` ahead, and text from the page is
cut at :data:`MAX_TEXT`. ``handle`` turns each message into a list of actions for the transcriber
to carry out: start a recording, pass audio on, end the recording, report a problem, run a command.

Page → kernel (custom messages, :data:`PAGE_MESSAGES`)
-------------------------------------------------------

A recording is one Start..Stop; ``recording`` is its random id.

``{type: "start", recording, mime_type}``
    The recorder was made, before ``recorder.start()``. → :class:`StartRecording`
``{type: "start", recording, mime_type, recovered: true}``
    Audio kept from an interrupted recording, sent again as a recording of its own (see
    "Unconfirmed audio" below): chunk 0 is then the container header.
``{type: "chunk", recording, seq, size}`` + one binary buffer
    Every non-empty 250 ms blob of the container stream, numbered from 0 in recording order
    (``size`` is the buffer's, for the page's own bookkeeping). Chunks that come out of order are
    put back in order; one that never comes is reported as lost. → :class:`Audio`
``{type: "stop", recording, chunks}``
    After the recorder's last chunk was sent; ``chunks`` is how many there were. → :class:`EndRecording`
``{type: "recover", recordings: [id, ...]}``
    What does the kernel have of these recordings (at most :data:`MAX_RECOVER`)? Audio that never
    reached the kernel (a page reloaded mid-recording, a kernel that died) comes back later: the
    page then either goes on with a recording the kernel still has open (the same id, the next
    sequence numbers, then ``stop``) or sends the rest as a new recording whose ``start`` says
    ``recovered: true``. → :class:`Recover`
``{type: "pause"}`` / ``{type: "resume"}``
    The recorder was paused / resumed (the same recording goes on). Ignored when none is open.
    → :class:`Command`
``{type: "clear"}``
    Forget the transcript. → :class:`Command`
``{type: "history"}``
    Send every final result (a new or reloaded view). → :class:`Command`
``{type: "view"}``
    A view of the widget is shown on this page (sent once, with the page's first view): the
    widget may be started from Python (:meth:`LiveTranscriber.start <live_transcriber.LiveTranscriber.start>`).
    Nothing for the transcriber: see :func:`shows_view`.
``{type: "export", format}``
    Send the transcript as ``txt``, ``srt``, ``vtt`` or ``json``. → :class:`Command`
``{type: "client_error", kind, message}``
    A failure in the browser (permission denied, no microphone, ...), also shown there at once;
    ``kind`` is ``"permission"``, ``"no-device"``, ``"insecure"``, ``"unsupported"``,
    ``"recorder"``, ``"no-view"`` (a start asked from Python found no view of the widget on this
    page) or ``"other"``. → :class:`ClientError`

Review messages (correcting the transcript, naming speakers, bookmarks, listening back), at any time:

``{type: "edit", index, word, text}``
    Result ``index`` (its ``index`` in ``results``) says ``text`` instead of its word number
    ``word`` (counted from 0 in its ``words``). ``text`` may hold several words (they share the
    old word's time) or none (the word is removed). → :class:`Edit`
``{type: "edit", utterance, text?, speaker?}``
    Utterance ``utterance`` (the results' ``utterance`` number) says ``text`` and/or was spoken by
    ``speaker`` (a number from 0); at least one of the two. → :class:`Edit`
``{type: "speaker", speaker, name}``
    Speaker ``speaker`` (a number from 0) is called ``name`` everywhere; ``""`` gives back
    "Speaker N". → :class:`RenameSpeaker`
``{type: "bookmark", label?, elapsed?}``
    A bookmark now, in the recording in progress: ``elapsed`` is the seconds recorded so far as
    the page counts them (paused time left out, as the widget's clock shows it). Without it the
    kernel uses its own clock, which runs late when the messages waited for a busy kernel.
    Ignored, with a problem, when nothing is recording. → :class:`AddBookmark`
``{type: "bookmark", label?, time}``
    A bookmark at ``time`` seconds on the transcript's timeline (e.g. where playback is).
``{type: "audio", recording}``
    Send recording ``recording`` (its index in the transcriber's ``recordings``, the results'
    ``recording`` field) to the page, to play it from a word. → :class:`SendAudio`

Texts are at most :data:`MAX_EDIT_TEXT` characters, names and labels :data:`~live_transcriber.results.MAX_NAME`;
longer ones are refused, not cut. Whether a result, word or utterance exists is for the
transcriber to say.

Kernel → page (custom messages, :data:`KERNEL_MESSAGES`; made by the builders of the same names)
------------------------------------------------------------------------------------------------

``{type: "stop_recording", reason, recording?}``
    Stop recording, normally (the page keeps what it has): the engine failed, a file is being
    transcribed instead, Python set ``recording`` to false (``reason`` is then empty), ... With
    ``recording``: stop that recording only (another tab took over). → :func:`stop_recording`
``{type: "start_recording"}``
    Python set ``recording`` to true (``start()``): start, as the Start button does, unless the
    page records already. A page without a view of the widget waits a few seconds for one, then
    (if no other tab of this browser records it) sets ``recording`` back to false and answers
    ``client_error`` of kind ``"no-view"``. → :func:`start_recording`
``{type: "pause_recording"}`` / ``{type: "resume_recording"}``
    Pause / resume the recording in progress, as the Pause and Resume buttons do (asked while the
    page waits for the microphone, the recording starts paused). → :func:`pause_recording`,
    :func:`resume_recording`
``{type: "history", results}``
    Answers ``history``: every final result. → :func:`history`
``{type: "export", format, filename, mime_type, content}``
    Answers ``export``; the page makes it a download. → :func:`export`
``{type: "ack", recording, chunks, done}``
    The first ``chunks`` chunks of the recording are safe (on disk in the kernel's journal);
    ``done``: all of it is transcribed. Without a journal only ``done`` comes. → :func:`ack`
``{type: "recover", recordings: [{recording, state, received, done?, failed?}, ...]}``
    Answers ``recover``, one entry a recording: ``state`` is ``"open"`` (still recording in the
    kernel, which has chunks ``0..received-1``: the page may go on from chunk ``received``),
    ``"ended"`` (the kernel has chunks ``0..received-1``; ``done`` once they are all
    transcribed, ``failed`` if the recording ended in an error) or ``"unknown"`` (it never reached
    this transcriber: a kernel restart, another kernel). → :func:`recover`, :func:`recording_state`
``{type: "results_changed", results}``
    After a correction: these results (dicts with their ``index``) replace the ones with the same
    ``index``, since the ``results`` trait holds only the latest ones. → :func:`results_changed`
``{type: "audio", recording, mime_type, offset, done, part, parts}`` + one binary buffer
    Answers ``audio`` in ``parts`` pieces of at most :data:`AUDIO_PART_BYTES`: the page joins the
    buffers in ``part`` order; ``offset`` is where the recording's time 0 is on the transcript's
    timeline, ``done`` whether the recording has ended (else more audio will come, so the view
    does not keep it). → :func:`audio_part`
``{type: "audio", recording, error}``
    Audio the kernel cannot send, and why. → :func:`no_audio`

Synced traits (``widget.py``)
-----------------------------

Both ways: ``keyterms``, the words the engine listens for (the page sets it from its field, the
kernel tidies it); ``recording``, whether the page records (paused included) or is asking for the
microphone: the page that records sets it when it asks for the microphone and when its recording
ends or cannot start (never when it stops because another tab took over), a reloaded page sets it
to false once it has ended the recording the kernel still had open of it (``recover``), and Python
sets it to ask for a start or a stop, which the kernel sends as ``start_recording`` or
``stop_recording`` (pages never act on the trait itself, so that one page's report does not start
or stop another). Python → page: ``speakers``, names by speaker number (the page renames a speaker
with a ``speaker`` message, and the kernel sets the trait). Kernel → page: ``keyterms_supported``
(whether the engine uses keyterms); ``status`` (a :class:`~live_transcriber.results.Status` value)
and ``status_detail`` (e.g. "attempt 2 of 5", shown beside it, may be empty); ``error``,
``transcript``, ``interim``, ``engine_label``; ``results``, the latest final results, each with its
``index`` (views append only the ones they have not shown), its ``utterance`` number (the kernel
decides where utterances end: results with the same number form one block on screen) and that
utterance's ``speaker`` (a number, or null); ``_identity``: ``{widget, process, kernel}``, who
records (a random id per widget, per kernel process, and the Jupyter kernel id, which a restart
keeps); ``bookmarks``; ``keep_audio`` (false: nothing to play back); ``confidence_threshold``
(null: no marks). Page → kernel: ``revision``, counted up on every change of transcript, status or
error where the kernel set it to a number (in marimo, which re-runs the cells that read a widget
only when the browser changes one of its traits); null elsewhere, and then never written.

Order
-----

Messages leave the page in order: sending settles once the host has taken a message (at once in
Jupyter, after its HTTP request in marimo, where one request can overtake another), and the
messages of a recording wait for the one before. Widget messages from the page are handled only
while the kernel is idle: while a cell runs, chunks wait in the queue.

Unconfirmed audio
-----------------

The page keeps each chunk in IndexedDB (database "live-transcriber", filed under its recording and
``_identity``) until the kernel acknowledges it (``ack``); chunk 0 (the container header) and the
chunks from the last entry point before the first unconfirmed one (a WebM Cluster, an Ogg page, an
MP4 fragment) stay until the recording is done, so that what was not confirmed can be decoded on
its own. A recording still being recorded holds a Web Lock, so no other tab takes it for lost.
When a view is shown, and after each Stop, the page asks its kernel (``recover``) about the
recordings it keeps that belong here: this widget's own, those of a widget the kernel closed, and
those of a kernel process that a restart replaced. A busy kernel answers late, never wrongly: its
queue holds the chunks sent before the question. Then:

- open, chunks missing: offer to send them under the same id and numbers, then ``stop``; open,
  none missing: just send ``stop`` (a page reloaded mid-recording);
- ended or unknown, chunks missing: offer to send them as a new recording (``recovered: true``):
  chunk 0 up to its entry point, then the media from the last entry point before the first
  missing chunk; the kept recording is deleted once the kernel confirms the new one;
- ended and done (or failed with everything received): delete; ended, still transcribing: wait.

The offer says how much audio it is, and can download it instead, or discard it. At most
``STORE_LIMIT_MB`` (256) are kept (localStorage ``live-transcriber:store-limit-mb`` overrides it):
past it, new audio is still sent but no longer kept, and the widget says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence, TypedDict, Union

from .media import DecodeError, container_format
from .results import MAX_NAME, MAX_SPEAKER

#: Every ``type`` the page sends, in the order documented above.
PAGE_MESSAGES: tuple[str, ...] = (
    "start", "chunk", "stop", "recover", "pause", "resume", "clear", "history", "view", "export", "client_error",
    "edit", "speaker", "bookmark", "audio",
)
#: Every ``type`` the kernel sends, in the order documented above (each has a builder below).
KERNEL_MESSAGES: tuple[str, ...] = (
    "stop_recording", "start_recording", "pause_recording", "resume_recording", "history", "export", "ack", "recover",
    "results_changed", "audio",
)

#: The largest audio chunk accepted: a 250 ms MediaRecorder slice is a few kB.
MAX_CHUNK_BYTES = 8 * 1024 * 1024
#: The largest recording accepted from the page (WebM/Opus is about 15 MB an hour): past it the
#: recording is ended, everything before kept.
MAX_RECORDING_BYTES = 1024**3
#: How many chunks may wait behind a missing one before it is declared lost.
MAX_REORDER = 32
#: How far (in chunks, 250 ms each) a sequence number or a stop's chunk count may run ahead of
#: the next expected chunk; further is not a gap but a broken message.
MAX_SKIP = 1200
#: The longest text taken from the browser (an error message, an id, a MIME type).
MAX_TEXT = 1000
#: Seconds of audio in one chunk (the recorder's timeslice), to say how much a gap lost.
CHUNK_SECONDS = 0.25
#: The longest corrected text taken from the browser (an utterance can run for minutes).
MAX_EDIT_TEXT = 20_000
#: The latest time, in seconds, a bookmark may have (a week).
MAX_TIME = 7 * 24 * 3600.0
#: The most recordings one ``recover`` message may ask about.
MAX_RECOVER = 100
#: The largest buffer of one ``audio`` reply: a long recording goes to the page in parts, each
#: well under the size a chunk may have the other way.
AUDIO_PART_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class StartRecording:
    mime_type: str
    #: Audio the page kept of an earlier recording that never reached a kernel, sent again.
    recovered: bool = False


@dataclass(frozen=True)
class Audio:
    data: bytes
    seq: int


@dataclass(frozen=True)
class EndRecording:
    #: The id of a recording ended because another one started: the page recording it (another
    #: tab, another browser) must be told to stop, and what it still sends is ignored.
    replaced: str | None = None


@dataclass(frozen=True)
class Recover:
    """The page holds audio of these recordings (their ids) that the kernel has not confirmed."""

    recordings: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """Something the user should see. ``fatal`` problems end the recording."""

    message: str
    fatal: bool = False


@dataclass(frozen=True)
class Command:
    """A request from the widget's controls: pause, resume, clear, history or export."""

    name: str
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ClientError:
    """The browser could not record (permission denied, no microphone, ...)."""

    kind: str
    message: str


@dataclass(frozen=True)
class Edit:
    """Correct a word (``index`` and ``word`` set) or an utterance (``utterance`` set, with
    ``text`` and/or ``speaker``)."""

    text: str | None
    index: int | None = None
    word: int | None = None
    utterance: int | None = None
    speaker: int | None = None


@dataclass(frozen=True)
class RenameSpeaker:
    speaker: int
    name: str


@dataclass(frozen=True)
class AddBookmark:
    """A bookmark at ``time`` on the timeline, or (``time`` None) ``elapsed`` seconds into the
    recording in progress (``elapsed`` None: now, by the kernel's clock)."""

    label: str
    time: float | None = None
    elapsed: float | None = None


@dataclass(frozen=True)
class SendAudio:
    """The page wants recording ``recording``'s audio, to play it."""

    recording: int


Action = Union[
    StartRecording, Audio, EndRecording, Problem, ClientError, Command, Recover, Edit, RenameSpeaker, AddBookmark, SendAudio
]

#: Control messages that need no open recording, and the ones that do.
_COMMANDS = ("clear", "history", "export")
_RECORDING_COMMANDS = ("pause", "resume")


@dataclass
class Counters:
    """What one recording's chunks came to."""

    chunks: int = 0
    bytes: int = 0
    duplicates: int = 0
    lost: int = 0


class BrowserProtocol:
    """Orders the chunks of one recording at a time and checks every message."""

    def __init__(
        self, max_chunk_bytes: int = MAX_CHUNK_BYTES, max_reorder: int = MAX_REORDER, max_recording_bytes: int = MAX_RECORDING_BYTES
    ) -> None:
        self.max_chunk_bytes = max_chunk_bytes
        self.max_recording_bytes = max_recording_bytes
        self.max_reorder = max_reorder
        #: The id of the open recording (the ``recording`` field of its messages), else None.
        self.recording: str | None = None
        self.open = False
        self.counters = Counters()
        self._next_seq = 0
        self._waiting: dict[int, bytes] = {}
        self._closed_here: str | None = None  # a recording ended by close(): its late messages are expected

    def handle(self, msg: Any, buffers: Sequence[Any] = ()) -> list[Action]:
        """Turn one message from the browser into actions."""
        if not isinstance(msg, dict):
            return [Problem(f"Ignored a message that is not an object: {type(msg).__name__}.")]
        kind = msg.get("type")
        if kind == "start":
            return self._start(msg)
        if kind == "chunk":
            return self._chunk(msg, buffers)
        if kind == "stop":
            return self._stop(msg)
        if kind in _COMMANDS:
            return [Command(kind, {k: v for k, v in msg.items() if k != "type"})]
        if kind in _RECORDING_COMMANDS:
            return [Command(kind)] if self.open else []
        if kind == "view":
            return []  # for the widget (shows_view), not the transcriber
        if kind == "client_error":
            return [ClientError(text(msg.get("kind", "other"), 40), text(msg.get("message", "")))]
        if kind == "edit":
            return [_edit(msg)]
        if kind == "speaker":
            return [_rename(msg)]
        if kind == "bookmark":
            return [self._bookmark(msg)]
        if kind == "recover":
            return self._recover(msg)
        if kind == "audio":
            recording = msg.get("recording")
            if not _is_count(recording):
                return [Problem(f"Ignored a request for audio: recording must be a number from 0, not {_shown(recording)}.")]
            return [SendAudio(recording)]
        return [Problem(f"Ignored a message of unknown type {_shown(kind)}.")]

    def received(self, recording: str) -> int | None:
        """How many chunks of the open recording ``recording`` came (the next sequence number
        expected), or None if it is not the open one."""
        return self._next_seq if self.open and recording == self.recording else None

    def close(self) -> list[Action]:
        """End the open recording (if any) as if its stop had come: deliver what waits, report gaps.

        The page is not told here; its chunks and stop for that recording are then ignored quietly.
        """
        if not self.open:
            return []
        self._closed_here = self.recording
        return self._finish()

    def _start(self, msg: dict) -> list[Action]:
        mime_type = msg.get("mime_type")
        try:
            container_format(mime_type)  # type: ignore[arg-type]
        except DecodeError as error:
            return [Problem(f"Cannot record: the browser offered no audio format we can read ({error})", fatal=True)]
        actions: list[Action] = []
        replaced = self.open
        if replaced:
            # A new recording while one is open (the page was reloaded, or another tab or browser
            # pressed Start): close the old one first, and have whoever records it stop.
            old = self.recording
            actions += self._finish(replaced=old)
            self._closed_here = old
        recording = msg.get("recording")
        self.open = True
        self.recording = text(recording, 200) if recording is not None else None
        self.counters = Counters()
        self._next_seq = 0
        self._waiting.clear()
        actions.append(StartRecording(mime_type, recovered=msg.get("recovered") is True))  # type: ignore[arg-type]
        if replaced:
            actions.append(Problem("A new recording started before the previous one ended; the previous one was closed."))
        return actions

    def _chunk(self, msg: dict, buffers: Sequence[Any]) -> list[Action]:
        if self._closed_here is not None and self._is_closed_here(msg):
            return []
        if not self.open:
            return [Problem("Ignored audio that arrived while no recording was open.")]
        if not self._same_recording(msg):
            return [Problem("Ignored audio from a recording that has already ended.")]
        seq = msg.get("seq")
        if not _is_count(seq):
            return [Problem(f"Ignored an audio chunk with an invalid sequence number {_shown(seq)}.")]
        if seq > self._next_seq + MAX_SKIP:
            return [Problem(f"Ignored audio chunk {seq}: it is {seq - self._next_seq} chunks ahead of the next one expected ({self._next_seq}).")]
        if not isinstance(buffers, (list, tuple)) or len(buffers) != 1:
            count = len(buffers) if isinstance(buffers, (list, tuple)) else "no list of"
            return [Problem(f"Ignored audio chunk {seq}: expected one binary buffer, got {count}.")]
        try:
            view = memoryview(buffers[0])
        except TypeError:
            return [Problem(f"Ignored audio chunk {seq}: its buffer is {type(buffers[0]).__name__}, not bytes.")]
        if view.nbytes > self.max_chunk_bytes:
            return [Problem(f"Ignored audio chunk {seq}: {view.nbytes} bytes is more than the {self.max_chunk_bytes} allowed.")]
        data = view.tobytes()
        if not data:
            return [Problem(f"Ignored audio chunk {seq}: it is empty.")]
        if seq < self._next_seq or seq in self._waiting:
            self.counters.duplicates += 1
            return []
        if self.counters.bytes + sum(map(len, self._waiting.values())) + len(data) > self.max_recording_bytes:
            limit = f"{self.max_recording_bytes / 1024**2:.0f} MB"
            return [Problem(f"The recording reached the {limit} limit and was ended there; everything before is kept.", fatal=True), *self._finish()]
        self._waiting[seq] = data
        return self._release()

    def _release(self) -> list[Action]:
        """Deliver what is in order; give up on a missing chunk once too many wait behind it."""
        actions: list[Action] = []
        while self._next_seq in self._waiting:
            actions.append(self._deliver(self._next_seq, self._waiting.pop(self._next_seq)))
        if len(self._waiting) > self.max_reorder:
            actions += self._flush(min(self._waiting))
            actions += self._release()
        return actions

    def _flush(self, end: int) -> list[Action]:
        """Deliver every chunk before ``end`` that arrived, reporting the runs that did not.

        Works on the chunks that wait, never on the numbers in between: its cost does not depend
        on how large a gap is.
        """
        actions: list[Action] = []
        for seq in sorted(s for s in self._waiting if s < end):
            if seq > self._next_seq:
                actions.append(self._lost(self._next_seq, seq))
            actions.append(self._deliver(seq, self._waiting.pop(seq)))
        if end > self._next_seq:
            actions.append(self._lost(self._next_seq, end))
            self._next_seq = end
        return actions

    def _deliver(self, seq: int, data: bytes) -> Audio:
        self.counters.chunks += 1
        self.counters.bytes += len(data)
        self._next_seq = seq + 1
        return Audio(data, seq)

    def _lost(self, first: int, end: int) -> Problem:
        """Chunks ``first`` to ``end - 1`` never came."""
        count = end - first
        self.counters.lost += count
        self._next_seq = end
        which = str(first) if count == 1 else f"{first}–{end - 1}"
        return Problem(f"Audio chunks {which} never arrived; about {count * CHUNK_SECONDS:.2f} s of audio is missing.")

    def _stop(self, msg: dict) -> list[Action]:
        if not self.open or (self._closed_here is not None and self._is_closed_here(msg)):
            return []
        if not self._same_recording(msg):
            return [Problem("Ignored a stop for a recording that has already ended.")]
        total = msg.get("chunks")
        if total is None:
            return self._finish()
        if not _is_count(total) or total > self._next_seq + MAX_SKIP:
            return [Problem(f"The recording's stop message gave an invalid chunk count {_shown(total)}; ended with the chunks received."), *self._finish()]
        return self._finish(total)

    def _finish(self, total: int | None = None, replaced: str | None = None) -> list[Action]:
        end = max([self._next_seq, total or 0, *(seq + 1 for seq in self._waiting)])
        actions = self._flush(end)
        self.open = False
        actions.append(EndRecording(replaced))
        return actions

    def _bookmark(self, msg: dict) -> AddBookmark | Problem:
        label = msg.get("label", "")
        if not isinstance(label, str) or len(label) > MAX_NAME:
            return Problem(f"Ignored a bookmark: its label must be a string of at most {MAX_NAME} characters, not {_shown(label)}.")
        for key in ("time", "elapsed"):
            value = msg.get(key)
            if value is not None and not is_time(value):
                return Problem(f"Ignored a bookmark: {key} must be a number of seconds from 0 to {MAX_TIME:.0f}, not {_shown(value)}.")
        if msg.get("time") is not None:
            return AddBookmark(text(label), time=float(msg["time"]))
        if not self.open:
            return Problem("Ignored a bookmark: nothing is being recorded (give a time on the timeline to mark one).")
        elapsed = msg.get("elapsed")
        return AddBookmark(text(label), elapsed=None if elapsed is None else float(elapsed))

    def _recover(self, msg: dict) -> list[Action]:
        ids = msg.get("recordings")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > MAX_RECOVER:
            return [Problem(f"Ignored a recover message: expected a list of at most {MAX_RECOVER} recording ids, got {_shown(ids)}.")]
        return [Recover(tuple(dict.fromkeys(text(i, 200) for i in ids)))]

    def _is_closed_here(self, msg: dict) -> bool:
        recording = msg.get("recording")
        return recording is not None and text(recording, 200) == self._closed_here

    def _same_recording(self, msg: dict) -> bool:
        recording = msg.get("recording")
        return recording is None or self.recording is None or text(recording, 200) == self.recording


def _edit(msg: dict) -> Edit | Problem:
    content = msg.get("text")
    if content is not None and (not isinstance(content, str) or len(content) > MAX_EDIT_TEXT):
        return Problem(f"Ignored a correction: its text must be a string of at most {MAX_EDIT_TEXT} characters, not {_shown(content)}.")
    content = None if content is None else text(content, MAX_EDIT_TEXT)
    if "utterance" in msg:
        utterance, speaker = msg.get("utterance"), msg.get("speaker")
        if not _is_count(utterance):
            return Problem(f"Ignored a correction: utterance must be a number from 0, not {_shown(utterance)}.")
        if speaker is not None and not (_is_count(speaker) and speaker <= MAX_SPEAKER):
            return Problem(f"Ignored a correction: speaker must be a number from 0 to {MAX_SPEAKER}, not {_shown(speaker)}.")
        if content is None and speaker is None:
            return Problem("Ignored a correction of an utterance with neither text nor speaker.")
        return Edit(content, utterance=utterance, speaker=speaker)
    index, word = msg.get("index"), msg.get("word")
    if not (_is_count(index) and _is_count(word)):
        return Problem(f"Ignored a correction: it needs an utterance, or a result index and a word number from 0 (got {_shown(index)} and {_shown(word)}).")
    if content is None:
        return Problem("Ignored a correction of a word without text (send text \"\" to remove the word).")
    return Edit(content, index=index, word=word)


def _rename(msg: dict) -> RenameSpeaker | Problem:
    speaker, name = msg.get("speaker"), msg.get("name")
    if not (_is_count(speaker) and speaker <= MAX_SPEAKER):
        return Problem(f"Ignored a speaker name: speaker must be a number from 0 to {MAX_SPEAKER}, not {_shown(speaker)}.")
    if not isinstance(name, str) or len(name) > MAX_NAME:
        return Problem(f"Ignored a speaker name: it must be a string of at most {MAX_NAME} characters, not {_shown(name)}.")
    return RenameSpeaker(speaker, text(name))


def shows_view(msg: Any) -> bool:
    """Whether a message from the page says that a view of the widget is shown there."""
    return isinstance(msg, dict) and msg.get("type") == "view"


def is_time(value: Any) -> bool:
    """A number of seconds a bookmark may be at: finite, from 0 to MAX_TIME."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= MAX_TIME


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """A value from the page as printable text: at most ``limit`` characters, no lone surrogates
    (which cannot be encoded, so would break the reply to the browser)."""
    value = value if isinstance(value, str) else repr(value)
    return value[:limit].encode("utf-8", "replace").decode("utf-8")


def _shown(value: Any) -> str:
    """A value from the page as it would be written in Python, shortened."""
    return text(repr(value), 80)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# --- kernel → page: the builders of every message the kernel sends (documented above) ---------------


class StopRecordingMessage(TypedDict, total=False):
    type: Literal["stop_recording"]
    reason: str
    recording: str  # only when one recording of several is meant


class StartRecordingMessage(TypedDict):
    type: Literal["start_recording"]


class PauseRecordingMessage(TypedDict):
    type: Literal["pause_recording"]


class ResumeRecordingMessage(TypedDict):
    type: Literal["resume_recording"]


class HistoryMessage(TypedDict):
    type: Literal["history"]
    results: list[dict[str, Any]]


class ExportMessage(TypedDict):
    type: Literal["export"]
    format: str
    filename: str
    mime_type: str
    content: str


class AckMessage(TypedDict):
    type: Literal["ack"]
    recording: str
    chunks: int
    done: bool


class RecordingState(TypedDict, total=False):
    """One entry of a ``recover`` answer (``done`` and ``failed`` only when ``state`` is ``"ended"``)."""

    recording: str
    state: Literal["open", "ended", "unknown"]
    received: int
    done: bool
    failed: bool


class RecoverMessage(TypedDict):
    type: Literal["recover"]
    recordings: list[RecordingState]


class ResultsChangedMessage(TypedDict):
    type: Literal["results_changed"]
    results: list[dict[str, Any]]


class AudioMessage(TypedDict, total=False):
    """One part of a recording's audio (with its buffer), or ``error``, why there is none."""

    type: Literal["audio"]
    recording: int
    mime_type: str
    offset: float
    done: bool
    part: int
    parts: int
    error: str


KernelMessage = Union[
    StopRecordingMessage, StartRecordingMessage, PauseRecordingMessage, ResumeRecordingMessage, HistoryMessage, ExportMessage,
    AckMessage, RecoverMessage, ResultsChangedMessage, AudioMessage,
]


def stop_recording(reason: str, recording: str | None = None) -> StopRecordingMessage:
    message: StopRecordingMessage = {"type": "stop_recording", "reason": reason}
    if recording is not None:
        message["recording"] = recording
    return message


def start_recording() -> StartRecordingMessage:
    return {"type": "start_recording"}


def pause_recording() -> PauseRecordingMessage:
    return {"type": "pause_recording"}


def resume_recording() -> ResumeRecordingMessage:
    return {"type": "resume_recording"}


def history(results: list[dict[str, Any]]) -> HistoryMessage:
    return {"type": "history", "results": results}


def export(fmt: str, filename: str, mime_type: str, content: str) -> ExportMessage:
    return {"type": "export", "format": fmt, "filename": filename, "mime_type": mime_type, "content": content}


def ack(recording: str, chunks: int, done: bool) -> AckMessage:
    return {"type": "ack", "recording": recording, "chunks": chunks, "done": done}


def recording_state(
    recording: str, state: Literal["open", "ended", "unknown"], received: int, *, done: bool | None = None, failed: bool | None = None
) -> RecordingState:
    entry: RecordingState = {"recording": recording, "state": state, "received": received}
    if state == "ended":
        entry.update(done=bool(done), failed=bool(failed))
    return entry


def recover(recordings: list[RecordingState]) -> RecoverMessage:
    return {"type": "recover", "recordings": recordings}


def results_changed(results: list[dict[str, Any]]) -> ResultsChangedMessage:
    return {"type": "results_changed", "results": results}


def audio_part(recording: int, mime_type: str, offset: float, done: bool, part: int, parts: int) -> AudioMessage:
    return {"type": "audio", "recording": recording, "mime_type": mime_type, "offset": offset, "done": done, "part": part, "parts": parts}


def no_audio(recording: int, error: str) -> AudioMessage:
    return {"type": "audio", "recording": recording, "error": error}

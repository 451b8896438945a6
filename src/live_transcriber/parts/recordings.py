"""The recordings pipeline: every recording from its first byte to its last word. It opens the
engine streams (at most :data:`MAX_STREAMS` at once), places each recording on the transcript's
timeline after the one before it (holding its events until then), opens a failed stream again on
the recording's own audio, and says what the recording in progress is doing (the status).

Audio comes from the page (:mod:`.page`), :meth:`Transcriber.feed <live_transcriber.Transcriber.feed>`
or a file; engine events come back on the engines' threads through ``deliver``, which takes the
transcriber's lock and calls :meth:`Recordings.on_event`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from .. import protocol as P
from ..engines import Engine, EngineStream, Keyterms
from ..journal import Saved, SavedRecording
from ..media import BROWSER, Source
from ..media.replay import ReplayBuffer
from ..results import (
    EngineError,
    EnginePhase,
    EngineStatus,
    Event,
    Metadata,
    Result,
    SpeechStarted,
    Status,
    StreamClosed,
    UtteranceEnd,
    derive_status,
    join_words,
)
from .book import TranscriptBook
from .journaling import JournalWriter
from .publisher import Publisher

log = logging.getLogger(__name__)

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
#: Seconds between two updates of transcribe_file's progress bar.
PROGRESS_EVERY = 0.25
#: How many times a recording's engine stream that fails (an engine error, a decoder error) is
#: opened again on the recording's audio before the recording is given up.
MAX_RESTARTS = 2


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
class Run:
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
    #: Recorded by the page: the browser protocol counts its chunks, and until it ends the page
    #: is told to stop when it fails.
    page: bool = False
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
    #: Which stream is the run's: bumped when a failed stream is replaced (see :meth:`Recordings._restart`),
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


#: Where an engine's event goes: the transcriber takes its lock and calls Recordings.on_event.
Deliver = Callable[[Run, Event, int], None]
#: Told when a run's stream has closed (and whether close() cut it short), with the lock held.
Closed = Callable[[Run, bool], None]


class Recordings:
    """Every recording of one transcriber and the runs still open. All methods are called with the
    transcriber's lock held, except :meth:`follow` and :meth:`abort`, which wait."""

    def __init__(
        self,
        engine: Engine | None,
        *,
        keep_audio: bool,
        book: TranscriptBook,
        journal: JournalWriter,
        publisher: Publisher,
        deliver: Deliver,
        closed: Closed,
    ) -> None:
        self.engine = engine
        self.keep_audio = keep_audio
        self._book = book
        self._journal = journal
        self._publisher = publisher
        self._deliver = deliver
        self._closed_hook = closed
        #: Every recording, oldest first (their bytes are empty unless ``keep_audio``).
        self.recordings: list[Recording] = []
        self.runs: list[Run] = []  # not closed yet, oldest first; the last may be the current one
        self.current: Run | None = None  # the recording that takes audio now
        #: The recording :meth:`Transcriber.feed` writes to.
        self.feed_run: Run | None = None
        #: Set while no recording is open.
        self.idle = threading.Event()
        self.idle.set()
        self.closed = False
        self.failed = engine is None
        self.paused = False
        self.detail = ""
        self.timeline_end = 0.0  # where the next recording may start
        self.aborted: list[EngineStream] = []  # streams stopped by interrupt(), still ending

    # -- what the user sees -------------------------------------------------------------------------

    def status(self) -> tuple[Status, str]:
        """The status, and more about it (see :attr:`Transcriber.status_detail`)."""
        run = self.current
        status = derive_status(
            failed=self.failed,
            open=run is not None,
            engine=run.phase if run is not None else None,
            paused=self.paused,
            ending=run is not None and run.ending,
        )
        detail = run.detail if run is not None and status is not Status.ERROR else ""
        if status is Status.IDLE:
            detail = self.detail
        return status, detail

    def set_keyterms(self, terms: Keyterms) -> None:
        """The engine and every open stream listen for ``terms`` from now on."""
        if self.engine is not None:
            self.engine.set_keyterms(terms)
            for run in self.runs:
                if run.stream is not None:
                    run.stream.set_keyterms(terms)

    # -- the timeline -------------------------------------------------------------------------------

    def start_of(self, recording: int) -> float:
        """Where a recording starts on the timeline: for one not placed yet (one before it is still
        being transcribed), the timeline's end, the earliest it can."""
        held = any(run.recording.index == recording and run.held is not None for run in self.runs)
        return self.timeline_end if held else self.recordings[recording].offset

    def moment(self, time: float | None, elapsed: float | None, run: Run | None) -> tuple[int | None, float]:
        """Where a bookmark goes: at ``time`` on the timeline, else ``elapsed`` seconds (or now)
        into ``run``, the recording in progress."""
        if time is not None:
            if not P.is_time(time):
                raise ValueError(f"A bookmark's time is a number of seconds from 0 to {P.MAX_TIME:.0f}, not {time!r}.")
            recording = self._recording_at(float(time))
            return recording, float(time) - (0.0 if recording is None else self.recordings[recording].offset)
        if run is None or run.ending:
            raise ValueError("Nothing is being recorded: give the bookmark a time on the transcript's timeline.")
        return run.recording.index, run.elapsed() if elapsed is None else elapsed

    def _recording_at(self, time: float) -> int | None:
        """The recording a time on the timeline falls in (or after), among those placed on it."""
        held = {run.recording.index for run in self.runs if run.held is not None}
        found = None
        for recording in self.recordings:
            if recording.placed and recording.index not in held and recording.offset <= time:
                found = recording.index
        return found

    def _place(self, run: Run) -> None:
        """Put a recording on the timeline, after everything before it."""
        recording = run.recording
        if recording.placed:
            return
        recording.offset, recording.placed = self.timeline_end, True
        self._journal.placed(recording.index, recording.offset)

    # -- a recording's life ------------------------------------------------------------------------

    def restore(self, saved: Saved) -> None:
        """Take the recordings of a journal read back (its results are in the book already)."""
        for item in saved.recordings:
            recording = Recording(
                item.index, item.mime_type, Source(item.source, "check the file in the journal folder"), item.offset,
                bytearray(item.data) if self.keep_audio else bytearray(), item.error, done=True,
                placed=item.placed or item.ended,
            )
            recording.counters = P.Counters(**{k: v for k, v in item.counters.items() if k in vars(P.Counters())})
            self.recordings.append(recording)
        for final in saved.results:
            self.timeline_end = max(self.timeline_end, final.end + RECORDING_GAP)
        for recording in self.recordings:
            self.timeline_end = max(self.timeline_end, recording.offset)

    def finish_saved(self, saved: SavedRecording) -> None:
        """Transcribe an interrupted recording's saved audio again, keeping only the missing words."""
        recording = self.recordings[saved.index]
        if not saved.data or self.engine is None:
            return
        # After its last final word, even one a clear() removed since: words are never given twice.
        ends = [r.end for r in self._book.finals if r.recording == recording.index]
        last = max([*ends, *([saved.heard_until] if saved.heard_until is not None else [])], default=None)
        recording.done = False
        run = Run(recording, skip_before=last)
        self.runs.append(run)
        if len(self.runs) > 1:
            run.held = []  # after the ones before it, in order
        else:
            self._place(run)
        if self.current is None:
            self.current = run
        self.idle.clear()
        self._open_stream(run, Source(f"the saved audio of recording {recording.index}", "the journal's audio file may be damaged"))
        self.write(run, saved.data, keep=False)
        self.end(run)

    def begin(self, mime_type: str, source: Source, whole: bytes | None = None) -> Run:
        """Start a recording: the current one (if any) is ended first, cut short. ``whole``: all
        of its bytes, for an engine that takes a whole recording at once (else they are written)."""
        previous = self.current
        if previous is not None and not previous.ending:
            previous.recording.error = f"{previous.recording.source.name} was cut short: {source.name} started."
            self.end(previous)
        recording = Recording(len(self.recordings), mime_type, source)
        self.recordings.append(recording)
        run = Run(recording)
        self.runs.append(run)
        self.current = run
        self.failed = False
        self.paused = False
        self.detail = ""
        self._book.transcript.interim = ""
        if self.engine is not None:
            self._publisher.report("")
        self.idle.clear()
        self._journal.recording(recording.index, recording.mime_type, recording.source, recording.offset)
        if len(self.runs) == 1:
            self._place(run)
        else:
            run.held = []
        if self.engine is None:
            self.fail(self._publisher.error, run)
            return run
        self._open_stream(run, source, whole)
        return run

    def write(self, run: Run, data: bytes, keep: bool = True) -> None:
        """Pass audio to the run's stream; ``keep`` it (memory, journal) unless it is kept already."""
        if run.ending or run.recording.done:
            return
        if keep:
            if not run.page:
                run.recording.counters.chunks += 1
                run.recording.counters.bytes += len(data)
            if self.keep_audio:
                run.recording.data += data
            self._journal.audio(run.recording.index, data)
        if run.whole:
            return
        if run.stream is not None:
            run.stream.write(data)
        elif run.pending is not None:
            run.pending.append(data)

    def pause(self, run: Run | None, paused: bool) -> None:
        """The recording in progress (``run``'s clock) is paused or goes on."""
        self.paused = paused
        if run is not None and paused and run.paused_at is None:
            run.paused_at = time.monotonic()
        elif run is not None and not paused and run.paused_at is not None:
            run.paused_for += time.monotonic() - run.paused_at
            run.paused_at = None

    def end(self, run: Run) -> None:
        """No more audio: the run's stream finishes what it has."""
        if run.ending:
            return
        run.ending = True
        if run is self.current:
            self.paused = False
        if run.stream is not None:
            run.stream.end()
        elif run.pending is None and not run.recording.done:
            self._closed_run(run)

    def fail(self, message: str, run: Run | None = None) -> None:
        """The recording cannot go on: say why, end it, and tell the page to stop recording."""
        run = run or self.current
        self._publisher.report(message)
        self.failed = True
        if run is not None:
            run.recording.error = message
            if (run.page and not run.ending) or run.stream is None:
                self._publisher.send(P.stop_recording(message))
            if run.stream is None and not run.recording.done:
                run.ending = True
                self._closed_run(run)
        else:
            self._publisher.send(P.stop_recording(message))

    def drop_finishing(self) -> list[int]:
        """The transcript is cleared: the words still to come from recordings that are finishing no
        longer count. Returns their indexes."""
        dropped = []
        for run in self.runs:
            if run is not self.current or run.ending:
                run.detached = True
                dropped.append(run.recording.index)
        return dropped

    def interrupt(self, run: Run, seconds: float | None, why: str) -> EngineStream | None:
        """Stop a recording at once, keeping the words already final; returns its stream, for the
        caller to abort without the lock (then :attr:`aborted`)."""
        if run.recording.done:
            return None
        of = f" of {duration_text(seconds)}" if seconds else ""
        run.recording.error = f"{run.recording.source.name.capitalize()} was {why} after {duration_text(run.heard)}{of}."
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
        self.detail = f"{why} after {duration_text(run.heard)}{of}"
        return stream

    def follow(self, run: Run, timeout: float | None, bar: Any) -> None:
        """Wait (without the lock) for a recording to be transcribed, showing how far it got on ``bar``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not run.recording.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"Transcribing {run.recording.source.name} took longer than {timeout} s.")
            self.idle.wait(PROGRESS_EVERY if deadline is None else min(PROGRESS_EVERY, max(0.0, deadline - time.monotonic())))
            if bar is not None:
                bar.update(max(0.0, min(run.heard, bar.total or run.heard) - bar.n))
        if bar is not None and bar.total and not run.recording.error:
            bar.update(bar.total - bar.n)

    def shut(self) -> list[Run]:
        """The transcriber closes: no stream opens again and no word counts any more. Returns the
        runs to :meth:`abort`, then :meth:`close_runs`."""
        self.closed = True
        runs = list(self.runs)
        for run in runs:
            run.detached = True
        return runs

    def abort(self, runs: list[Run]) -> None:
        """Stop the runs' streams at once and wait (without the lock) for every stream stopped so far
        to end: native threads alive at exit abort the process."""
        for run in runs:
            if run.stream is not None:
                run.stream.abort()
        for stream in [run.stream for run in runs if run.stream is not None] + self.aborted:
            stream.wait(10)

    def close_runs(self, runs: list[Run]) -> None:
        for run in runs:
            self._closed_run(run)

    # -- engine streams and their events ----------------------------------------------------------

    def _open_stream(self, run: Run, source: Source, whole: bytes | None = None) -> None:
        """Open the run's engine stream now, or once a stream closes (:data:`MAX_STREAMS`).
        ``whole``: all of the recording's bytes, for an engine that takes them at once; a run that
        has to wait for its turn is written to like any other instead."""
        run.source = source
        if sum(1 for r in self.runs if r.stream is not None) >= MAX_STREAMS:
            run.pending = []
            return
        assert self.engine is not None
        generation = run.generation
        emit: Callable[[Event], None] = lambda event: self._deliver(run, event, generation)  # noqa: E731
        try:
            if whole is not None:
                run.stream = self.engine.open_whole(whole, run.recording.mime_type, emit, source=source)
            if run.stream is not None:
                run.whole = True
            else:
                run.stream = self.engine.open(run.recording.mime_type, emit, source=source)
        except Exception as exc:
            log.debug("opening a stream failed", exc_info=True)
            self.fail(str(exc), run)
            return
        if run.whole:
            assert whole is not None
            self.write(run, whole)  # kept (memory, journal); a whole run's stream is not written to

    def _open_waiting(self) -> None:
        """A stream closed: give the oldest waiting run its turn, with the audio it kept."""
        waiting = next((r for r in self.runs if r.pending is not None), None)
        if waiting is None or self.closed:
            return
        pending, waiting.pending = waiting.pending, None
        self._open_stream(waiting, waiting.source)
        if waiting.stream is not None:
            for data in pending:
                waiting.stream.write(data)
            if waiting.ending:
                waiting.stream.end()

    def on_event(self, run: Run, event: Event, generation: int) -> bool:
        """An engine's event for ``run``; False if it changed nothing yet (from a stream replaced
        since, or held until the run is placed on the timeline)."""
        if generation != run.generation:
            return False  # from a stream that failed and was replaced
        if run.held is not None and not isinstance(event, EngineStatus):
            run.held.append((generation, event))
            return False
        self._apply(run, event)
        return True

    def _apply(self, run: Run, event: Event) -> None:
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
                for final in self._book.add(replace(event, recording=run.recording.index)):
                    run.words += 1
                    run.heard = max(run.heard, final.end - run.recording.offset)
                    self.timeline_end = max(self.timeline_end, final.end + RECORDING_GAP)
            elif run is self.current:
                self._book.add(event)
        elif isinstance(event, EngineStatus):
            run.phase, run.detail = event.phase, event.detail
            return
        elif isinstance(event, EngineError):
            if event.fatal and self._restart(run, event.message):
                return
            if event.fatal:
                run.recording.error = event.message
                if run is self.current:
                    self.fail(event.message, run)
            elif run is self.current:
                self._publisher.report(event.message)
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
            self._publisher.queue(event)

    def _restart(self, run: Run, why: str) -> bool:
        """The run's engine stream failed mid-recording: open a new one on the recording's audio from
        just before its last final word, so the recording goes on and no word is lost. False if it
        cannot be (the stream never gave a result, no audio kept, the transcriber closing,
        :data:`MAX_RESTARTS` reached)."""
        recording = run.recording
        if not run.got_result or run.detached or recording.done or self.closed or self.engine is None or run.restarts >= MAX_RESTARTS:
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
        self._publisher.report(f"{why} The engine was started again on the recording's audio from {start:.1f} s on; nothing is lost.")
        return True

    def _closed_run(self, run: Run) -> None:
        """A recording's stream closed: everything it will give is in; the next one may go on."""
        if run.recording.done:
            return
        run.recording.done = True
        run.ending = True
        # Cut short by close(): not all its words are in. The journal keeps it as interrupted
        # (resume() transcribes the rest) and the page is not told it is done.
        cut_short = self.closed
        if not cut_short:
            self._journal.recording_end(run.recording.index, run.recording.error, vars(run.recording.counters))
        self._closed_hook(run, cut_short)
        if run in self.runs:
            self.runs.remove(run)
        if run is self.current:
            self.current = None
            self._book.transcript.interim = ""
            self.paused = False
            if not run.words and not run.recording.error and not run.detached:
                self.detail = NO_SPEECH
        if run is self.feed_run:
            self.feed_run = None
        # The oldest recording still open can now be placed on the timeline and its events applied.
        if self.runs and self.runs[0].held is not None:
            following = self.runs[0]
            held, following.held = following.held, None
            self._place(following)
            for generation, event in held:
                if generation == following.generation:
                    self._apply(following, event)
        self._open_waiting()
        if not self.runs:
            self.idle.set()


def paced(data: bytes, pace: float) -> Iterator[bytes]:
    """``data`` in pieces of :data:`FILE_PIECE` bytes, each when it would have been recorded at
    ``pace`` seconds a byte (0: at once)."""
    started = time.monotonic()
    for offset in range(0, len(data), FILE_PIECE):
        if pace:
            time.sleep(max(0.0, started + offset * pace - time.monotonic()))
        yield data[offset : offset + FILE_PIECE]


def progress_bar(name: str, seconds: float | None) -> Any:
    """A progress bar of audio seconds: a widget in a notebook, text in a terminal (tqdm.auto)."""
    from tqdm.auto import tqdm

    return tqdm(total=round(seconds, 1) if seconds else None, desc=name, unit="s", unit_scale=False, leave=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of audio [{elapsed}<{remaining}]" if seconds else None)


def duration_text(seconds: float) -> str:
    """``83 s`` or ``1:23:20`` style, for messages."""
    whole = round(seconds)
    return f"{whole} s" if whole < 60 else f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}".removeprefix("0:")


def _after(result: Result, time: float) -> Result | None:
    """The part of ``result`` after ``time`` (words ending by then are already transcribed), or None."""
    if result.end <= time + 0.05:
        return None
    if not result.words or result.words[0].end > time + 0.05:
        return result
    words = tuple(w for w in result.words if w.end > time + 0.05)
    return replace(result, text=join_words(words), start=words[0].start, words=words)

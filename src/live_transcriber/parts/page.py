"""The page session: carries out what the browser asks (the actions :class:`~live_transcriber.protocol.BrowserProtocol`
makes of its messages) and answers it: acknowledgements, what the kernel has of its recordings
(``recover``), exports, and recordings' audio to play back."""

from __future__ import annotations

import logging
from typing import Any

from .. import protocol as P
from ..exports import FORMATS
from ..media import BROWSER, RECOVERED, Source
from ..results import speaker_names
from .book import TranscriptBook
from .journaling import JournalWriter
from .publisher import Publisher
from .recordings import Recording, Recordings, Run

log = logging.getLogger(__name__)


class PageSession:
    """The page's side of one transcriber: the recording it sends (one at a time) and its requests."""

    def __init__(
        self, protocol: P.BrowserProtocol, recordings: Recordings, book: TranscriptBook, journal: JournalWriter, publisher: Publisher
    ) -> None:
        self._protocol = protocol
        self._recordings = recordings
        self._book = book
        self._journal = journal
        self._publisher = publisher
        #: The recording the page is sending now, or None.
        self.run: Run | None = None
        #: The page's recordings by their id, to tell the page what reached the kernel (``recover``).
        self._by_id: dict[str, Recording] = {}

    def receive(self, message: Any, buffers: Any) -> None:
        """Carry out one message from the page."""
        for action in self._protocol.handle(message, buffers):
            self._carry_out(action)

    def give_way(self, source: Source) -> None:
        """A recording from Python starts: the one the page is still recording (or that was reloaded
        without a stop) ends, and the page is told to stop."""
        if self.run is not None and not self.run.ending:
            self.run.kernel_ended = True  # the page may still be recording it
            for action in self._protocol.close():
                self._carry_out(action)
            self._publisher.send(P.stop_recording(f"Transcribing {source.name} instead."))

    def closed(self, run: Run, cut_short: bool) -> None:
        """A recording's stream closed (``cut_short``: by the transcriber's close())."""
        # Else the page keeps the audio, to send again or download: an error, close(), chunks the
        # kernel never got, or a recording the kernel ended while the page may still record it.
        if not run.recording.error and not cut_short and run.page_stopped and not run.recording.counters.lost:
            self._acknowledge(run, run.recording.counters.chunks, done=True)
        if run is self.run:
            # Ended by the engine (an error) while the page still records: the page was told to
            # stop; what it sends for this recording until then is expected, not a problem.
            self.run = None
            self._protocol.close()

    def close(self) -> None:
        """The transcriber closes: what the page still sends is ignored."""
        self._protocol.close()

    def _carry_out(self, action: P.Action) -> None:
        if isinstance(action, P.Audio):
            if self.run is not None:
                self._recordings.write(self.run, action.data)
                self._acknowledge(self.run, action.seq + 1)
        elif isinstance(action, P.StartRecording):
            self.run = self._recordings.begin(action.mime_type, RECOVERED if action.recovered else BROWSER)
            self.run.page = True
            self.run.recording.counters = self._protocol.counters  # kept up to date by the protocol
            self.run.browser_id = self._protocol.recording
            if self._protocol.recording is not None:
                self._by_id[self._protocol.recording] = self.run.recording
        elif isinstance(action, P.EndRecording):
            if self.run is not None:
                self.run.page_stopped = action.replaced is None and not self.run.kernel_ended
                self._recordings.end(self.run)
                self.run = None
            if action.replaced is not None:
                # Only the page recording it stops (another tab or browser); it keeps what it
                # records meanwhile, to send once it is told what the kernel has (recover).
                reason = "Recording stopped: this widget started recording in another tab or window."
                self._publisher.send(P.stop_recording(reason, action.replaced))
        elif isinstance(action, P.Recover):
            self._publisher.send(P.recover([self._recovery(r) for r in action.recordings]))
        elif isinstance(action, P.Problem):
            if action.message != self._publisher.error:  # a page repeating a bad message fills no log
                log.warning("live-transcriber: %s", action.message)
            self._publisher.report(action.message)
            if action.fatal:
                self._recordings.fail(action.message)
        elif isinstance(action, P.ClientError):
            self._publisher.report(action.message)
        elif isinstance(action, P.Command):
            self._command(action)
        elif isinstance(action, (P.Edit, P.RenameSpeaker, P.AddBookmark)):
            try:
                self._review(action)
            except (IndexError, ValueError) as exc:
                self._publisher.report(str(exc))
        elif isinstance(action, P.SendAudio):
            self._send_audio(action.recording)

    def _acknowledge(self, run: Run, chunks: int, done: bool = False) -> None:
        """Tell the page which of a recording's chunks are safe, so it may forget them: with a
        journal, each chunk once it is on disk; the whole recording once it is transcribed."""
        if run.browser_id is None or not (done or self._journal.journal is not None):
            return
        self._publisher.send(P.ack(run.browser_id, chunks, done))

    def _recovery(self, recording_id: str) -> P.RecordingState:
        """What the kernel has of one of the page's recordings, for the page to send what is missing."""
        received = self._protocol.received(recording_id)
        if received is not None:
            return P.recording_state(recording_id, "open", received)
        recording = self._by_id.get(recording_id)
        if recording is None:
            return P.recording_state(recording_id, "unknown", 0)
        return P.recording_state(
            recording_id, "ended", recording.counters.chunks, done=recording.done and not recording.error, failed=bool(recording.error)
        )

    def _command(self, command: P.Command) -> None:
        if command.name in ("pause", "resume"):
            self._recordings.pause(self.run, command.name == "pause")
        elif command.name == "clear":
            self._book.clear(self._recordings.drop_finishing())
        elif command.name == "history":
            self._publisher.send(P.history(list(self._book.results)))
        elif command.name == "export":
            fmt = P.text(command.args.get("format", ""), 40)
            if fmt not in FORMATS:
                self._publisher.report(f"Cannot export as {fmt!r}: choose one of {', '.join(FORMATS)}.")
                return
            content = self._book.render(fmt, self._recordings.start_of)
            self._publisher.send(P.export(fmt, f"transcript.{fmt}", FORMATS[fmt][1], content))

    def _review(self, action: P.Edit | P.RenameSpeaker | P.AddBookmark) -> None:
        """Carry out a correction, a speaker's name or a bookmark."""
        if isinstance(action, P.RenameSpeaker):
            self._book.name_speakers(speaker_names({**self._book.speakers, action.speaker: action.name}))
        elif isinstance(action, P.AddBookmark):
            self._book.mark(action.label, lambda: self._recordings.moment(action.time, action.elapsed, self.run))
        elif action.utterance is not None:
            self._book.edit_utterance(action.utterance, action.text, action.speaker)
        else:
            self._book.edit_word(action.index, action.word, action.text or "")  # type: ignore[arg-type]

    def _send_audio(self, index: int) -> None:
        """Send one recording's audio to the page, in parts (``audio`` in :mod:`.protocol`)."""
        recordings = self._recordings.recordings
        recording = recordings[index] if index < len(recordings) else None
        if recording is None:
            reason = f"There is no recording {index}."
        elif not self._recordings.keep_audio:
            reason = "No audio was kept: this widget was made with keep_audio=False."
        elif not recording.data:
            reason = f"Recording {index} has no audio (yet)."
        else:
            data = bytes(recording.data)
            parts = [data[i : i + P.AUDIO_PART_BYTES] for i in range(0, len(data), P.AUDIO_PART_BYTES)]
            done = recording.done and recording.placed
            for number, part in enumerate(parts):
                self._publisher.send(P.audio_part(index, recording.mime_type, recording.offset, done, number, len(parts)), [part])
            return
        self._publisher.send(P.no_audio(index, reason))

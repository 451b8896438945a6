"""The streaming policy: when a recogniser's words become interim, final, or end an utterance. No I/O.

A batch recogniser (Whisper) is run again and again on a sliding window of the latest audio.
Its hypotheses change from run to run, mostly at the end of the window where speech is cut off.
The policy turns that into Deepgram-shaped events:

- **LocalAgreement-2** (Macháček et al., 2023, "Turning Whisper into Real-Time Transcription
  System"): a word becomes final once two consecutive runs agree on it (longest common prefix
  of the words after the last final word).
- **Voice activity**: an injected detector (Silero VAD in the offline engine) says which 32 ms
  frames hold speech. No recognition runs unless new speech arrived since the last run; audio
  before speech is forgotten; words that overlap no speech are dropped (Whisper invents
  "Thank you." over silence and noise).
- **Scheduling**: a run is due once ``min_step`` seconds of new audio with speech arrived, or
  ``pause_step`` seconds when the detector hears a pause (the words before a pause are the ones
  a reader waits for). Within speech, runs are also paced to ``cpu_budget`` cores by what the
  last run cost (:meth:`StreamingPolicy.spent`). A stream that fell behind takes larger steps
  (:meth:`StreamingPolicy.room`).
- **Endpointing**: when no speech followed the last word for ``endpoint_silence`` seconds, a last
  run over the utterance (if speech came after the previous run) gives every pending word, all
  final with ``speech_final=True``, and an ``UtteranceEnd`` follows. (``endpoint_min_probability``
  can keep them only up to the first one the recogniser was unsure of; off by default, since real
  words are unsure too: names, keyterms.)
- **Window trimming**: audio before finalised speech is dropped once the window grows beyond
  ``max_window`` seconds (or at each utterance end), so each run costs about the same however
  long the session lasts. Finalised text is passed as the prompt instead.

The two-speed engine shows the words not yet final from a second, fast recogniser
(:class:`Interims`: pieces of the speech after the final words, cut by the same voice detector).

The recogniser is injected as ``transcribe(audio, prompt) -> list[Word]`` with word times
relative to the start of ``audio``, and the voice detector as a :class:`VoiceDetector`, so the
policy can be tested with scripted hypotheses and voice.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from typing import Callable, Protocol

import numpy as np

from .results import Event, Result, SpeechStarted, UtteranceEnd, Word, join_words, spread

Transcribe = Callable[[np.ndarray, str], list[Word]]
#: A second recogniser's hearing of the audio after the final words: ``witness() -> (words, heard)``,
#: its words (text) from the last final word on, and where (seconds from the recording's start)
#: the audio it heard ends. Called after each run, when the run's words are compared.
Witness = Callable[[], tuple[list[str], float]]

#: Words may start or end this far outside the frames the detector calls speech.
_WORD_SPEECH_MARGIN = 0.2
#: Audio kept before speech starts, so the recogniser hears the onset.
_PRE_ROLL = 0.5
#: The longest window a run hears when the stream is behind: under Whisper's 30 s input, so a
#: run is still one encoder pass, and long enough that a slow CPU catches up in large steps.
_LONGEST_RUN = 25.0
#: Faster than any speaker: a hypothesis denser than this is a repetition loop, not speech.
_MAX_WORDS_PER_S = 6.0
#: Seconds of speech before a run's first word past which a long window counts as misheard.
_SKIPPED_SPEECH = 3.0
_NON_WORD = re.compile(r"[^\w']+")
_SENTENCE_END = (".", "?", "!")
#: Words that are lower case inside a sentence. Whisper capitalises the first word of every
#: window, so a word after a window cut may be capitalised mid-sentence ("after lunch, The
#: children"); only these are lowered, so that names keep their capital.
_LOWER_IN_SENTENCE = frozenset(
    "a about after all also an and any are as at be because been before but by can could did do does "
    "every for from had has have he her here his how if in into is it it's its just many me more most "
    "much my next no not now of on once one only or our out over please same she so some such than "
    "that the their them then there these they this those though to too under until up very was we "
    "were what when where which while who why will with would yes you your".split()
)


@dataclass
class PolicyOptions:
    sample_rate: int = 16000
    #: Seconds of new audio that make a new recognition run worthwhile while speech goes on.
    #: When the speaker pauses, a run starts at once (``pause_step``): the words before a pause
    #: are the ones a reader waits for.
    min_step: float = 0.5
    #: Seconds of new audio enough for a run when the voice detector hears a pause.
    pause_step: float = 0.1
    #: Cores a stream may spend on recognition while speech goes on: after a run that cost c CPU
    #: seconds, the next one waits for c / cpu_budget seconds of new speech if that is more than
    #: ``min_step`` (runs at a pause and at the utterance's end do not wait). Runs back to back
    #: would use as many cores as Whisper has threads; None: no budget.
    cpu_budget: float | None = 1.0
    #: Whether the CPU budget also spaces the runs at pauses (not the utterance-end run). The
    #: two-speed engine shows words as they are spoken with another recogniser, so a run at every
    #: short pause buys nothing the reader sees and would cost a core on fast, choppy speech.
    budget_at_pauses: bool = False
    #: Seconds of a pause (no speech after the last word) that make the words before it final
    #: without waiting for agreement or the utterance's end; None: only those two.
    pause_final: float | None = None
    #: At ``pause_final``, the words that end within this many seconds of the end of the audio the
    #: run heard stay pending, for the next run to agree on (or the utterance's end): Whisper is
    #: least sure of a phrase's last words before it has heard what follows them ("field margarine"
    #: for "fields are green"), and it ends what it heard with a full stop.
    pause_final_margin: float = 0.0
    #: Longest window passed to the recogniser before finalised audio is cut off.
    max_window: float = 10.0
    #: Quiet after the last word that ends an utterance.
    endpoint_silence: float = 0.7
    #: Speech probability from which a frame starts speech; it goes on while above 0.15 less.
    speech_threshold: float = 0.5
    #: Words of finalised text given to the recogniser as context.
    prompt_words: int = 40
    #: Cut the window at the end of the latest final sentence rather than the latest final word,
    #: so each run hears whole sentences (Whisper is much less accurate on sentence fragments).
    trim_at_sentences: bool = True
    #: How many consecutive runs must agree on a word before it is final (LocalAgreement-n).
    agreement_runs: int = 2
    #: At an utterance's end (and the stream's), the pending words are those of one run only; they
    #: are final up to the first one the recogniser gave a probability below this, and the rest
    #: are dropped. Whisper ends runs that stop in a short pause with words it invents ("Thank
    #: you.", "Yeah.") and marks them unlikely — but it gives real words under 0.1 too (a name, a
    #: keyterm: "Deepgram" 0.07, "brand" 0.04 mid-sentence), and then the rest of the utterance
    #: would go with them. Off (0.0) by default: a word too many is better than words lost.
    endpoint_min_probability: float = 0.0
    #: Words the runs agree on are final only up to the first one that no agreeing run gave at
    #: least this probability; the rest wait for a later run, which hears more of what follows.
    agreement_min_probability: float = 0.0
    #: With a witness (a second recogniser's words for the same audio, :data:`Witness`), a word of
    #: a run is final at once where the witness gave the same words from the last final one on,
    #: and heard at least this many seconds of audio past the word's end (so a word cut off at
    #: the end of the run's audio is not confirmed by a witness cut off the same way). None: the
    #: witness is not asked, and only runs agreeing make words final.
    witness_margin: float | None = 0.3

    def __post_init__(self) -> None:
        if self.agreement_runs < 2:
            raise ValueError(f"agreement_runs must be 2 or more, not {self.agreement_runs}")
        if not 0 < self.min_step <= self.max_window:
            raise ValueError(f"min_step must be positive and at most max_window, not {self.min_step}")
        if not 0 < self.pause_step <= self.min_step:
            raise ValueError(f"pause_step must be positive and at most min_step, not {self.pause_step}")
        if self.cpu_budget is not None and not self.cpu_budget > 0:
            raise ValueError(f"cpu_budget must be positive or None, not {self.cpu_budget}")
        if self.pause_final is not None and not 0 <= self.pause_final <= self.endpoint_silence:
            raise ValueError(f"pause_final must be between 0 and endpoint_silence, not {self.pause_final}")
        if self.witness_margin is not None and not self.witness_margin >= 0:
            raise ValueError(f"witness_margin must be 0 or more, not {self.witness_margin}")
        for name in ("endpoint_min_probability", "agreement_min_probability"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)}")


def normalize(word: str) -> str:
    return _NON_WORD.sub("", word.lower())


class VoiceDetector(Protocol):
    """Speech probabilities of consecutive audio frames; keeps its own state from call to call."""

    #: Samples per frame.
    frame: int

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """``frames`` (n, frame) float32, the next n frames of the stream → n probabilities in [0, 1]."""
        ...


class LoudnessDetector:
    """Calls every frame louder than ``rms`` (full scale 1.0) speech. For tests and scripted audio:
    the offline engine uses Silero VAD, which also tells speech from fans, hiss and music."""

    def __init__(self, rms: float = 0.005, frame: int = 512) -> None:
        self.rms = rms
        self.frame = frame

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        return (np.sqrt(np.mean(frames * frames, axis=1)) >= self.rms).astype(np.float32)


class StreamingPolicy:
    """Turns repeated recognition of a growing audio window into interim and final results."""

    def __init__(self, options: PolicyOptions | None = None, voice: VoiceDetector | None = None) -> None:
        self.options = options or PolicyOptions()
        self._voice = voice or LoudnessDetector()
        self._audio = _Samples()
        self.window_start = 0.0  # seconds from the start of the recording
        self.final_words: list[Word] = []
        self.final_end = 0.0
        self._history: list[list[Word]] = []  # the last runs' words after the final ones, oldest first
        # Voice activity, one flag per detector frame from frame _speech_first (counted from the
        # start of the recording) on; samples not yet a whole frame wait in _unheard.
        self._speech = _Samples()
        self._speech_first = 0
        self._unheard: list[np.ndarray] = []
        self._in_speech = False
        self._run_end = 0.0  # window_end at the last recognition run
        self._interim_text = ""
        self._samples_seen = 0  # samples in the window at the last run
        self._dropped_unseen = 0  # samples no run saw, dropped since the last run (silence)
        self._in_utterance = False  # words were finalised since the last utterance end
        self._paced_step = 0.0  # seconds of new speech the CPU budget asks for before the next run
        self._pause_finalised = -1.0  # _run_end of the run whose words a pause made final

    @property
    def _pending(self) -> list[Word]:
        """The latest run's words after the final ones: the interim text."""
        return self._history[-1] if self._history else []

    # -- audio in ---------------------------------------------------------------------------

    @property
    def window(self) -> np.ndarray:
        """The audio from ``window_start`` on (a read-only view)."""
        return self._audio.view()

    @property
    def window_end(self) -> float:
        return self.window_start + len(self._audio) / self.options.sample_rate

    def add_audio(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32)
        self._audio.append(samples)
        self._unheard.append(samples)

    def room(self, minimum: float | None = None) -> float:
        """Seconds of audio to add before the next run (at least ``minimum``, ``min_step`` if None).

        A backlog (a busy kernel, a slow CPU, a file fed at once) goes through in steps as large
        as a run can hear at once (``_LONGEST_RUN``), so no run costs more than one encoder pass
        and a stream that fell behind catches up by taking larger steps.
        """
        return max(_LONGEST_RUN - (self.window_end - self.window_start), self.options.min_step if minimum is None else minimum)

    @property
    def unrecognised(self) -> float:
        """Seconds of audio with speech that no run has heard yet (silence dropped from the
        window since the last run is not counted: no run will hear it)."""
        return self.window_end - max(self._run_end, self.window_start) if self._new_speech() else 0.0

    def ready(self) -> bool:
        """Whether a recognition run is due: new speech since the last one, or an utterance to end.

        Also runs the voice detector over the audio added since the last call and forgets the
        silence before speech, so call it after adding audio.
        """
        self._listen()
        if not (self._pending or self._in_utterance or self._has_speech()):
            self._drop_until(self.window_end - _PRE_ROLL)
            return False
        new = (len(self._audio) - self._samples_seen) / self.options.sample_rate
        # The CPU budget paces runs by the audio that went by since the last one, silence dropped
        # from the window included: after a long pause the first words are heard at once.
        went_by = new + self._dropped_unseen / self.options.sample_rate
        if self._new_speech() and self.window_end - self.window_start >= _LONGEST_RUN:
            return True  # the window holds what one run can hear: it must run before it grows
        if self._new_speech() and not self._in_speech:
            return new >= self.options.pause_step and (not self.options.budget_at_pauses or went_by >= self._paced_step)
        if self._pause_final_due():
            return new >= self.options.pause_step
        if self._new_speech():
            return new >= self.options.min_step and went_by >= self._paced_step
        return new >= self.options.min_step and self._endpoint_due()

    def listen(self) -> None:
        """Run the voice detector over the audio added since the last call. Also the one call, with
        :meth:`add_audio`, that another thread may make while a run is in flight (inside
        ``transcribe``): the two-speed engine's listening thread does, under the engine's lock."""
        self._listen()

    @property
    def in_speech(self) -> bool:
        """Whether the detector's latest frame was speech."""
        return self._in_speech

    def first_speech(self, after: float) -> float | None:
        """Where the first speech in the window that goes on after ``after`` starts (not before
        ``after``); None if there is none."""
        starts, frame_s = self._speech_frame_starts()
        later = starts[starts + frame_s > after]
        return max(float(later[0]), after) if len(later) else None

    def speech_end(self) -> float:
        """Where the window's last speech ends (the window's start if it has none)."""
        return self._speech_end()

    def last_quiet(self, start: float, end: float) -> float | None:
        """The middle of the last frame between ``start`` and ``end`` that the detector did not
        call speech (a breath between two phrases), or None if it heard speech all along."""
        frame_s = self._voice.frame / self.options.sample_rate
        first, last = int(np.ceil(start / frame_s)), int(end / frame_s)  # whole frames only
        flags = self._speech.view()
        for index in range(min(last, self._speech_first + len(flags)) - 1, max(first, self._speech_first) - 1, -1):
            if not flags[index - self._speech_first]:
                return (index + 0.5) * frame_s
        return None

    def audio(self, start: float, end: float) -> np.ndarray:
        """The window's audio from ``start`` to ``end`` (seconds from the recording's start; a view)."""
        rate = self.options.sample_rate
        first = max(0, int(round((start - self.window_start) * rate)))
        return self.window[first : max(first, int(round((end - self.window_start) * rate)))]

    def spent(self, cpu_seconds: float) -> None:
        """Tell the policy what the last recognition run cost (CPU seconds), to pace the next one
        to ``cpu_budget`` cores (at most one window apart)."""
        if self.options.cpu_budget is not None:
            self._paced_step = min(cpu_seconds / self.options.cpu_budget, self.options.max_window)

    # -- recognition runs -------------------------------------------------------------------

    def step(self, transcribe: Transcribe, witness: Witness | None = None) -> list[Event]:
        """Run the recogniser on the window and return the events the new hypothesis gives.

        A word is final once the previous run agrees on it (LocalAgreement), or, with a
        ``witness``, once the witness does (:attr:`PolicyOptions.witness_margin`): in the
        two-speed engine Moonshine, which hears the same audio every fraction of a second, so a
        word waits for one Whisper run instead of two."""
        self._listen()
        self._samples_seen = len(self._audio)
        self._dropped_unseen = 0
        if not self._new_speech():  # only the endpoint can change
            return self._endpoint(self._pending)
        hypothesis = self._recognise(transcribe)
        events: list[Event] = []
        if not self._pending and not self._in_utterance and hypothesis:
            events.append(SpeechStarted(hypothesis[0].start))
        agreed = max(self._agreement(hypothesis), self._witnessed(hypothesis, witness))
        if agreed:
            events.append(self._finalise(hypothesis[:agreed], speech_final=False))
        # Earlier runs that gave those words too line up with the new run once they are cut off;
        # one that did not (the witness agreed, not it) cannot, and is forgotten.
        earlier = [h[agreed:] for h in self._history if _common_prefix(h, hypothesis) >= agreed]
        self._history = [*earlier, hypothesis[agreed:]]
        self._history = self._history[-(self.options.agreement_runs - 1) :]
        events += self._endpoint(self._pending)
        events += self._trim_if_long()
        return events

    def finish(self, transcribe: Transcribe) -> list[Event]:
        """The stream ended: finalise everything still pending in one last run."""
        events: list[Event] = []
        self._listen(flush=True)
        hypothesis = self._pending
        while self._new_speech():
            hypothesis = self._recognise(transcribe)
            if self._run_end >= self.window_end:
                break
            # Only the window's start could be heard: its words are final but those of its last
            # second (a word may be cut there), and what follows them is heard next.
            done = [w for w in hypothesis if w.end <= self._run_end - 1.0]
            if done:
                events.append(self._finalise(done, speech_final=False, from_finalize=True))
            self._drop_until(self.final_end if done else self._run_end - 1.0)
            self._run_end = self.window_start  # the rest of the window is yet to be heard
            hypothesis = []
        if hypothesis or self._in_utterance:
            events.append(self._finalise(self._likely(hypothesis), speech_final=True, from_finalize=True))
            events.append(UtteranceEnd(self.final_end))
        self._history = []
        self._in_utterance = False
        self._drop_until(self.window_end)
        return events

    def _agreement(self, hypothesis: list[Word]) -> int:
        """How many leading words of ``hypothesis`` the previous ``agreement_runs - 1`` runs also gave."""
        if len(self._history) < self.options.agreement_runs - 1:
            return 0
        agreed = min(_common_prefix(h, hypothesis) for h in self._history)
        for i in range(agreed):
            if max(w[i].confidence for w in (*self._history, hypothesis)) < self.options.agreement_min_probability:
                return i
        return agreed

    def _witnessed(self, hypothesis: list[Word], witness: Witness | None) -> int:
        """How many leading words of ``hypothesis`` the witness confirms: up to the end of the last
        stretch of words both gave (two or more in a row, or one or more from the first word on)
        among the words the witness heard past the end of (:attr:`PolicyOptions.witness_margin`).

        Between two such stretches, words the two heard differently keep this run's spelling: the
        witness (Moonshine tiny) mishears more than Whisper does ("We'll go and direct to heaven"
        for "We were all going direct to heaven"), and Whisper heard them with the words around
        them. Where only one of the two heard words at all, the confirmation stops: a word a run
        dropped or invented is what the next run is there to settle. Nor can the witness confirm a
        word near the end of the audio the run heard, which the next run may hear differently: it
        must have heard past it."""
        if witness is None or self.options.witness_margin is None or not hypothesis:
            return 0
        words, heard = witness()
        limit = heard - self.options.witness_margin
        heard_past = next((i for i, w in enumerate(hypothesis) if w.end > limit), len(hypothesis))
        for i, word in enumerate(hypothesis[:heard_past]):
            if word.confidence < self.options.agreement_min_probability:
                heard_past = i
                break
        ours = [normalize(w.word) for w in hypothesis[:heard_past]]
        theirs = [n for n in map(normalize, words) if n]
        confirmed = 0
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False).get_opcodes():
            if op == "equal":
                if i2 - i1 >= 2 or i1 == j1 == 0:
                    confirmed = i2
            elif op != "replace":
                break
        return confirmed

    def _recognise(self, transcribe: Transcribe) -> list[Word]:
        """The words after the final ones in the window (absolute times); ``_run_end`` is set to
        where the audio heard ends.

        A long window (a stream catching up takes up to 25 s at once) is now and then misheard
        whole: Whisper gives its first words crushed against its end, or nothing, and skips the
        speech before. Taken as they were, such words became final with times 20 s late, and the
        words really said there were then dropped as older than the final ones (a 16.6 s gap in
        the 3-hour soak). Then the window's first ``max_window`` seconds are heard on their own,
        as a stream that keeps up would have heard them.
        """
        self._run_end = self.window_end
        words = self._hear(transcribe, self.window)
        rate = self.options.sample_rate
        if len(self.window) > self.options.max_window * rate and self._skipped_speech(words) > _SKIPPED_SPEECH:
            part = self.window[: int(self.options.max_window * rate)]
            words = self._hear(transcribe, part)
            self._run_end = self.window_start + len(part) / rate
        return _after(words, self.final_words, self.final_end)

    def _hear(self, transcribe: Transcribe, audio: np.ndarray) -> list[Word]:
        """``audio`` (the window, or its start) recognised: the words said in speech, absolute times."""
        # Context is only the final text whose audio has left the window: a prompt repeating words
        # that are still in the audio makes Whisper repeat them, and then loop on them.
        before = [w for w in self.final_words[-self.options.prompt_words :] if w.end <= self.window_start + 0.05]
        words = transcribe(audio, join_words(before))
        if len(words) > _MAX_WORDS_PER_S * (len(audio) / self.options.sample_rate) + 2:
            return []  # a hallucinated run (repetition); the next run starts afresh
        end = self.window_start + len(audio) / self.options.sample_rate
        # Whisper tends to start the first word at the window's start; no word starts before speech does.
        onset = self._speech_start()
        absolute = [
            replace(w, start=min(max(w.start + self.window_start, onset), w.end + self.window_start), end=min(w.end + self.window_start, end))
            for w in words
        ]
        # Whisper invents words over silence and noise ("Thank you."): keep only words said in speech.
        return [w for w in absolute if self._speech_between(w.start - _WORD_SPEECH_MARGIN, w.end + _WORD_SPEECH_MARGIN)]

    def _skipped_speech(self, words: list[Word]) -> float:
        """Seconds of speech in the window before the first of ``words`` (all of it if none)."""
        until = (words[0].start if words else self.window_end) - _WORD_SPEECH_MARGIN
        starts, frame_s = self._speech_frame_starts()
        return float(np.count_nonzero((starts >= self.window_start) & (starts + frame_s <= until))) * frame_s

    def _finalise(self, words: list[Word], *, speech_final: bool, from_finalize: bool = False) -> Result:
        words = _continue_sentence(self.final_words, words)
        self.final_words += words
        if words:
            self.final_end = max(self.final_end, words[-1].end)
            self._in_utterance = True
        if speech_final:
            self._in_utterance = False
        self._interim_text = ""
        return Result(
            text=join_words(words),
            start=words[0].start if words else self.final_end,
            end=words[-1].end if words else self.final_end,
            words=tuple(words),
            is_final=True,
            speech_final=speech_final,
            from_finalize=from_finalize,
        )

    def _likely(self, words: list[Word]) -> list[Word]:
        """``words`` up to the first one less likely than ``endpoint_min_probability``."""
        for i, word in enumerate(words):
            if word.confidence < self.options.endpoint_min_probability:
                return words[:i]
        return words

    def _quiet_from(self) -> float:
        """Where the silence at the end of the window starts: after the last word and the last speech."""
        last_word_end = self._pending[-1].end if self._pending else self.final_end
        return max(last_word_end, self._speech_end())

    def _endpoint_due(self) -> bool:
        # Not while speech came after the audio the last run heard: the two-speed engine adds
        # audio while a run is in flight, and an utterance ended then would drop that speech unheard.
        return (
            bool(self._pending or self._in_utterance)
            and not self._new_speech()
            and self.window_end - self._quiet_from() >= self.options.endpoint_silence
        )

    def _pause_final_due(self) -> bool:
        pause = self.options.pause_final
        return (
            pause is not None
            and bool(self._pending)
            and self._pause_finalised != self._run_end
            and not self._in_speech
            and not self._new_speech()
            and self.window_end - self._quiet_from() >= pause
        )

    def _endpoint(self, pending: list[Word]) -> list[Event]:
        """Finalise the utterance if it is followed by enough silence, else report the interim."""
        if self._pause_final_due() and not self._endpoint_due():
            self._pause_finalised = self._run_end
            settled = [w for w in pending if w.end <= self._run_end - self.options.pause_final_margin]
            if not settled:
                return []
            self._history = [h[len(settled) :] for h in self._history[-1:]]  # the rest waits for agreement
            return [self._finalise(settled, speech_final=False)]
        if self._endpoint_due():
            quiet_from = self._quiet_from()
            result = self._finalise(self._likely(pending), speech_final=True)
            self._history = []
            # Cut in the middle of the silence: the next utterance starts clean, with no context lost.
            self._drop_until((quiet_from + self.window_end) / 2)
            return [result, UtteranceEnd(self.final_end)]
        pending = _continue_sentence(self.final_words, pending)
        text = join_words(pending)
        if text == self._interim_text:
            return []
        self._interim_text = text
        start = pending[0].start if pending else self.final_end
        end = pending[-1].end if pending else self.final_end
        return [Result(text=text, start=start, end=end, words=tuple(pending), is_final=False)]

    # -- the window -------------------------------------------------------------------------

    def _trim_if_long(self) -> list[Event]:
        """Keep the window short: cut it behind the final words, finalising settled ones if needed."""
        if self.window_end - self.window_start <= self.options.max_window:
            return []
        events: list[Event] = []
        if self.final_end <= self.window_start:
            # Nothing agreed for a whole window (unsteady speech, or runs rejected as loops): the
            # latest run's words that ended a second ago are as settled as they will get.
            # (_run_end: the end of the audio the latest run heard, short of the window's end when
            # only its start could be heard.)
            settled = [w for w in self._pending if w.end <= self._run_end - 1.0]
            if settled:
                events.append(self._finalise(settled, speech_final=False))
                self._history = [self._pending[len(settled) :]]
        if self.final_end > self.window_start:
            self._drop_until(self._cut_point())
        elif self.window_end - self.window_start > 2 * self.options.max_window:
            # No words at all in two windows of sound: noise, not speech. Bound the cost.
            self._drop_until(self.window_end - self.options.max_window)
        return events

    def _cut_point(self) -> float:
        """Where to cut the window: after the latest final sentence, else after the latest final word."""
        if self.options.trim_at_sentences:
            for word in reversed(self.final_words):
                if word.end <= self.window_start:
                    break
                if word.text.endswith((".", "?", "!")):
                    return word.end
        return self.final_end

    def _drop_until(self, t: float) -> None:
        n = int(round((t - self.window_start) * self.options.sample_rate))
        n = max(0, min(n, len(self._audio)))
        self._audio.drop(n)
        self.window_start += n / self.options.sample_rate
        self._dropped_unseen += max(0, n - self._samples_seen)
        self._samples_seen = max(0, self._samples_seen - n)
        frame_s = self._voice.frame / self.options.sample_rate
        gone = min(int(self.window_start / frame_s) - self._speech_first, len(self._speech))
        if gone > 0:
            self._speech.drop(gone)
            self._speech_first += gone

    # -- voice activity -----------------------------------------------------------------------

    def _listen(self, flush: bool = False) -> None:
        """Run the voice detector over the whole frames added since the last call (``flush``: and
        the last partial frame, padded with silence, at the end of the stream)."""
        if not self._unheard:
            return
        frame = self._voice.frame
        samples = np.concatenate(self._unheard)
        whole = len(samples) // frame * frame
        if flush and whole < len(samples):
            samples = np.concatenate([samples, np.zeros(frame - (len(samples) - whole), dtype=np.float32)])
            whole = len(samples)
        self._unheard = [samples[whole:]] if whole < len(samples) else []
        if not whole:
            return
        probabilities = self._voice(samples[:whole].reshape(-1, frame))
        # Hysteresis, as Silero's own segmentation: speech starts above the threshold and goes on
        # until the probability falls 0.15 below it.
        start, stop = self.options.speech_threshold, max(self.options.speech_threshold - 0.15, 0.01)
        flags = np.empty(len(probabilities), dtype=np.float32)
        for i, p in enumerate(probabilities):
            self._in_speech = p >= (stop if self._in_speech else start)
            flags[i] = self._in_speech
        self._speech.append(flags)

    def _speech_frames(self) -> tuple[np.ndarray, float]:
        """Indexes (from the window's first frame) of the speech frames that overlap the window,
        and the time that first frame starts."""
        frame_s = self._voice.frame / self.options.sample_rate
        first = max(self._speech_first, int(self.window_start / frame_s))
        flags = self._speech.view()[first - self._speech_first :]
        return np.flatnonzero(flags), first * frame_s

    def _has_speech(self) -> bool:
        return len(self._speech_frames()[0]) > 0

    def _new_speech(self) -> bool:
        """Whether speech was heard after the end of the last recognition run."""
        return self._has_speech() and self._speech_end() > self._run_end

    def _speech_frame_starts(self) -> tuple[np.ndarray, float]:
        """Where each speech frame that overlaps the window starts (seconds), and a frame's length."""
        frames, origin = self._speech_frames()
        frame_s = self._voice.frame / self.options.sample_rate
        return origin + frames * frame_s, frame_s

    def _speech_between(self, start: float, end: float) -> bool:
        starts, frame_s = self._speech_frame_starts()
        return bool(np.any((starts < end) & (starts + frame_s > start)))

    def _speech_start(self) -> float:
        """Where the window's first speech starts (the window start if there is none)."""
        frames, origin = self._speech_frames()
        if not len(frames):
            return self.window_start
        return max(self.window_start, origin + float(frames[0]) * self._voice.frame / self.options.sample_rate)

    def _speech_end(self) -> float:
        """Where the window's last speech ends (the window start if there is none)."""
        frames, origin = self._speech_frames()
        if not len(frames):
            return self.window_start
        return origin + float(frames[-1] + 1) * self._voice.frame / self.options.sample_rate


#: A fast recogniser's words for a piece of audio: ``hear(audio) -> words`` (text only, no times).
Hear = Callable[[np.ndarray], list[str]]


@dataclass
class InterimOptions:
    """When the two-speed engine's fast recogniser (Moonshine) hears the words not yet final."""

    #: Seconds of new audio after which the open piece is heard again while speech goes on.
    step: float = 0.3
    #: The share of the time the fast recogniser may be running: after a run that took w seconds,
    #: the next one waits for w / busy_share seconds of new audio if that is more than ``step``.
    #: (Wall time, not CPU: Moonshine's CPU is spread over threads the engine cannot tell from
    #: Whisper's, and a busy machine should space the runs out too.) None: runs back to back.
    busy_share: float | None = 0.5
    #: Seconds of quiet after speech that close a piece: its words stay as they were last heard.
    piece_gap: float = 0.3
    #: A piece is closed at this length even without a pause (at its last breath after half of
    #: it), so each run stays cheap: the fast recogniser's cost follows the audio's length, and on
    #: a busy machine longer pieces made slower runs, heard less often, that grew longer still.
    longest_piece: float = 3.0
    #: Audio heard before a piece's first speech frame, so the recogniser hears the onset.
    pre_roll: float = 0.25

    def __post_init__(self) -> None:
        if not 0 < self.step <= self.longest_piece:
            raise ValueError(f"step must be positive and at most longest_piece, not {self.step}")
        if self.busy_share is not None and not 0 < self.busy_share <= 1:
            raise ValueError(f"busy_share must be between 0 and 1, or None, not {self.busy_share}")


@dataclass
class _Piece:
    start: float  # where the audio the recogniser hears starts
    heard: float  # where the audio its latest run heard ends
    words: list[str]
    closed: bool = False


@dataclass(frozen=True)
class InterimJob:
    """The audio of the open piece for the fast recogniser, from ``start`` to ``end``."""

    start: float
    end: float
    audio: np.ndarray
    #: The piece is closed once heard (it reached ``longest_piece``).
    closes: bool = False


class Interims:
    """The words not yet final, as a fast recogniser hears them: the interim text of the two-speed
    engine. No I/O.

    The final words come from a :class:`StreamingPolicy` (Whisper); this hears what follows them.
    The policy's voice detector cuts the speech after the final words into *pieces* (a pause of
    ``piece_gap`` s, or ``longest_piece`` s of speech): the open piece is heard again every
    ``step`` s of new audio (paced to ``busy_share``), a closed one keeps the words it was
    last heard with. When words become final, the pieces they cover go, and a piece they cover
    in part keeps the words after the last final one it holds (matched by text: the fast
    recogniser gives no word times). The interim text may change completely from one result to
    the next; it never holds a final word twice.
    """

    def __init__(self, options: InterimOptions | None = None) -> None:
        self.options = options or InterimOptions()
        self._pieces: list[_Piece] = []
        self._paced_step = 0.0
        self._shown = ""

    @property
    def heard(self) -> float:
        """Where the audio the latest run heard ends (0 before any run)."""
        return max((p.heard for p in self._pieces), default=0.0)

    def unheard(self, policy: StreamingPolicy) -> float:
        """Seconds of audio with speech after the final words that no run has heard yet."""
        start = max(policy.final_end, policy.window_start, self._pieces[-1].heard if self._pieces else 0.0)
        return policy.window_end - start if policy.first_speech(start) is not None else 0.0

    def job(self, policy: StreamingPolicy) -> InterimJob | None:
        """The audio to hear next, if a run is due (call after adding audio to ``policy``)."""
        self._forget_before(policy)
        piece = self._open_piece(policy)
        if piece is None:
            return None
        new = policy.window_end - piece.heard
        speech_end = policy.speech_end()
        if speech_end <= piece.heard:  # nothing said since the last run heard this piece
            if not policy.in_speech and policy.window_end - speech_end >= self.options.piece_gap:
                piece.closed = True
            return None
        step = max(self.options.step, self._paced_step)
        if new < step and (policy.in_speech or new < self.options.step / 3):
            return None  # (a pause: hear the end of the piece at once, a third of a step after it)
        end, closes = policy.window_end, False
        if end - piece.start > self.options.longest_piece:
            # Too long to hear again and again: closed at its last breath (or its longest).
            longest = piece.start + self.options.longest_piece
            end, closes = policy.last_quiet(piece.start + self.options.longest_piece / 2, longest) or longest, True
        if end - piece.start < self.options.step:
            return None  # too little to hear words in (what final words left of the piece)
        return InterimJob(piece.start, end, policy.audio(piece.start, end), closes)

    def took(self, seconds: float) -> None:
        """How long the last run took (wall seconds), to pace the next one to ``busy_share``."""
        if self.options.busy_share is not None:
            self._paced_step = min(seconds / self.options.busy_share, self.options.longest_piece)

    def heard_as(self, job: InterimJob, words: list[str]) -> list[Event]:
        """The fast recogniser heard ``words`` in ``job``: the interim result, if the text changed."""
        piece = next((p for p in self._pieces if p.start == job.start and not p.closed), None)
        if piece is None:  # final words covered the piece meanwhile: a newer job hears the rest
            return []
        piece.words, piece.heard, piece.closed = [w for w in words if normalize(w)], job.end, job.closes
        return self._result()

    def after_final(self, final: list[Word], final_end: float) -> list[Event]:
        """Words became final (``final``, ending at ``final_end``): drop them from the pieces, and
        give the interim result for what is left (the final result cleared the interim text)."""
        kept = []
        for piece in self._pieces:
            if piece.heard <= final_end + 0.05:
                continue
            if piece.start < final_end:
                piece.words = _unsaid(piece.words, [w for w in final if w.end > piece.start], (final_end - piece.start) / (piece.heard - piece.start))
                piece.start = final_end
            kept.append(piece)
        self._pieces = kept
        self._shown = ""
        return self._result()

    def clear(self) -> list[Event]:
        """Forget every piece (the utterance ended: its words are final, or were not speech);
        an empty interim result if any text was shown."""
        self._pieces = []
        shown, self._shown = self._shown, ""
        return [Result(text="", start=0.0, end=0.0, is_final=False)] if shown else []

    @property
    def text(self) -> str:
        return " ".join(w for p in self._pieces for w in p.words)

    def _open_piece(self, policy: StreamingPolicy) -> _Piece | None:
        if self._pieces and not self._pieces[-1].closed:
            return self._pieces[-1]
        after = max(policy.final_end, policy.window_start, self._pieces[-1].heard if self._pieces else 0.0)
        speech = policy.first_speech(after)
        if speech is None:
            return None
        start = max(after, speech - self.options.pre_roll)
        self._pieces.append(_Piece(start, start, []))
        return self._pieces[-1]

    def _forget_before(self, policy: StreamingPolicy) -> None:
        """Pieces whose audio left the window (an utterance ended without them) are gone."""
        self._pieces = [p for p in self._pieces if p.heard > policy.window_start]

    def _result(self) -> list[Event]:
        text = self.text
        if text == self._shown:
            return []
        self._shown = text
        shown = [p for p in self._pieces if p.words]
        if not shown:
            return [Result(text="", start=0.0, end=0.0, is_final=False)]
        start, end = shown[0].start, shown[-1].heard
        return [Result(text=text, start=start, end=end, words=tuple(spread(text.split(), start, end)), is_final=False)]


def _unsaid(heard: list[str], final: list[Word], covered: float) -> list[str]:
    """The words of ``heard`` after those that ``final`` holds (matched by text), or, if none
    match, after the first ``covered`` share of its characters."""
    if not heard:
        return []
    matcher = difflib.SequenceMatcher(a=[normalize(w) for w in heard], b=[normalize(w.word) for w in final], autojunk=False)
    matched = [block.a + block.size for block in matcher.get_matching_blocks() if block.size]
    if matched:
        return heard[max(matched) :]
    total, done = sum(len(w) for w in heard), 0
    for i, word in enumerate(heard):
        if done + len(word) / 2 >= covered * total:
            return heard[i:]
        done += len(word)
    return []


class _Samples:
    """A growing run of float32 samples whose front can be dropped; appending is amortised O(1).

    Audio arrives in 20 ms frames: concatenating the whole window for each frame would make a
    backlog of n frames cost O(n^2) copies.
    """

    def __init__(self) -> None:
        self._buffer = np.zeros(0, dtype=np.float32)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, samples: np.ndarray) -> None:
        n = len(samples)
        if self._end + n > len(self._buffer):
            # Move what is kept to the front of a buffer twice its size (views handed out earlier
            # keep the old buffer, so they never change under their holder).
            kept = len(self)
            buffer = np.empty(max(2 * (kept + n), 16000), dtype=np.float32)
            buffer[:kept] = self._buffer[self._start : self._end]
            self._buffer, self._start, self._end = buffer, 0, kept
        self._buffer[self._end : self._end + n] = samples
        self._end += n

    def drop(self, n: int) -> None:
        """Forget the first ``n`` samples."""
        self._start += max(0, min(n, len(self)))

    def view(self) -> np.ndarray:
        samples = self._buffer[self._start : self._end]
        samples.flags.writeable = False
        return samples


def _continue_sentence(before: list[Word], words: list[Word]) -> list[Word]:
    """``words`` with the first one's case fitting the text before it.

    Each run starts a new window, and Whisper writes a window's first word as a sentence start
    or goes on from the prompt in lower case, whatever the final text before it says. The
    joined text must read as one: a capital after a sentence end (or at the very start), and
    none on a common word in mid-sentence.
    """
    if not words or not words[0].text[:1].isalpha():
        return words
    first = words[0].text
    if not before or before[-1].text.endswith(_SENTENCE_END):
        fixed = first[0].upper() + first[1:]
    elif first[0].isupper() and first.lower().rstrip(",.?!;:") in _LOWER_IN_SENTENCE:
        fixed = first[0].lower() + first[1:]
    else:
        return words
    return [replace(words[0], punctuated_word=fixed), *words[1:]]


def _common_prefix(a: list[Word], b: list[Word]) -> int:
    n = 0
    for x, y in zip(a, b):
        if normalize(x.word) != normalize(y.word):
            break
        n += 1
    return n


def _after(words: list[Word], final_words: list[Word], final_end: float) -> list[Word]:
    """The words of a new hypothesis that come after the final ones.

    Whisper's word times are approximate, so a word that overlaps the final end is kept unless
    it repeats the last final words (the recogniser re-reading audio it already gave us).
    """
    words = [w for w in words if w.end > final_end + 0.05 and normalize(w.word)]
    for n in range(min(5, len(words), len(final_words)), 0, -1):
        tail = [normalize(w.word) for w in final_words[-n:]]
        if [normalize(w.word) for w in words[:n]] == tail and words[0].start < final_end + 1.0:
            return words[n:]
    return words

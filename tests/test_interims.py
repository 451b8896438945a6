"""The two-speed engine's interim words (:class:`Interims`) over a Whisper policy, both recognisers scripted."""

import numpy as np

from live_transcriber.results import Result, Word
from live_transcriber.streaming import InterimOptions, Interims, PolicyOptions, StreamingPolicy

from test_streaming import SR, silence, tone


class ScriptedHearing:
    """Moonshine's stand-in: the words of the script whose middle falls in the audio it is given
    (placed by ``policy``'s clock through the job), without times."""

    def __init__(self, script):
        self.script = script  # (word, start, end) in recording time
        self.heard: list[tuple[float, float]] = []

    def __call__(self, job):
        self.heard.append((job.start, job.end))
        return [w for w, s, e in self.script if job.start <= (s + e) / 2 < job.end]


def feed(policy, interims, hearing, audio, events, step=0.25):
    for i in range(0, len(audio), int(step * SR)):
        policy.add_audio(audio[i : i + int(step * SR)])
        policy.listen()
        job = interims.job(policy)
        if job is not None:
            events += interims.heard_as(job, hearing(job))


def texts(events):
    return [e.text for e in events if isinstance(e, Result) and not e.is_final]


def make(**options):
    policy = StreamingPolicy(PolicyOptions(endpoint_silence=5.0))
    return policy, Interims(InterimOptions(**{"busy_share": None, **options}))


def test_the_open_piece_is_heard_again_as_speech_goes_on_and_not_at_all_in_silence():
    policy, interims = make(step=0.5)
    hearing = ScriptedHearing([("one", 2.1, 2.5), ("two", 2.6, 3.0), ("three", 3.1, 3.5)])
    events: list = []
    feed(policy, interims, hearing, silence(2.0), events)
    assert hearing.heard == [] and events == []
    feed(policy, interims, hearing, np.concatenate([silence(0.1), tone(1.6)]), events)
    shown = texts(events)
    assert shown[-1] == "one two three" and len(shown) >= 2, shown
    assert all(start == hearing.heard[0][0] for start, _ in hearing.heard)  # one open piece, heard from its start
    assert all(b - a >= 0.5 - 1e-9 for (_, a), (_, b) in zip(hearing.heard, hearing.heard[1:]))


def test_a_pause_closes_a_piece_which_keeps_its_words_and_the_next_piece_is_heard_on_its_own():
    policy, interims = make(step=0.5, piece_gap=0.3)
    script = [("one", 0.1, 0.9), ("two", 1.6, 2.4)]
    hearing = ScriptedHearing(script)
    events: list = []
    feed(policy, interims, hearing, np.concatenate([tone(1.0), silence(0.5), tone(1.0), silence(0.3)]), events)
    assert texts(events)[-1] == "one two"
    second = [(a, b) for a, b in hearing.heard if a > 1.0]
    assert second and all(a >= 1.0 for a, _ in second)  # the closed piece is not heard again
    assert max(b for a, b in hearing.heard if a < 1.0) <= 1.5


def test_final_words_leave_the_interim_text_and_never_show_twice():
    policy, interims = make(step=0.5, piece_gap=0.3)
    hearing = ScriptedHearing([("one", 0.1, 0.5), ("two", 0.6, 0.9), ("three", 1.6, 2.4)])
    events: list = []
    feed(policy, interims, hearing, np.concatenate([tone(1.0), silence(0.5), tone(1.0)]), events)
    assert texts(events)[-1] == "one two three"
    # Whisper makes "One" final: the first piece keeps what follows it, matched by text.
    after = interims.after_final([Word("one", 0.1, 0.5, 0.9, "One")], 0.5)
    assert texts(after) == ["two three"]
    # ... then "two" too: the first piece goes.
    after = interims.after_final([Word("two", 0.6, 0.9, 0.9, "two.")], 0.9)
    assert texts(after) == ["three"]


def test_a_final_that_matches_no_heard_word_drops_the_share_of_the_piece_it_covers():
    policy, interims = make(step=0.5)
    hearing = ScriptedHearing([("alpha", 0.1, 0.5), ("beta", 0.6, 1.0), ("gamma", 1.1, 1.5), ("delta", 1.6, 1.95)])
    events: list = []
    feed(policy, interims, hearing, tone(2.0), events)
    assert texts(events)[-1] == "alpha beta gamma delta"
    # Whisper heard other words for the first half (Moonshine got them wrong).
    after = interims.after_final([Word("alfa", 0.1, 0.5, 0.9), Word("better", 0.6, 1.0, 0.9)], 1.0)
    assert texts(after) == ["gamma delta"]


def test_a_long_piece_is_closed_at_its_last_breath_and_heard_up_to_there():
    policy, interims = make(step=0.5, longest_piece=4.0)
    script = [(f"w{i}", 0.1 + 0.5 * i, 0.5 + 0.5 * i) for i in range(5)] + [(f"v{i}", 3.2 + 0.5 * i, 3.6 + 0.5 * i) for i in range(4)]
    hearing = ScriptedHearing(script)
    events: list = []
    # Speech all along but for a 0.15 s breath at 2.6 s (not a pause: shorter than piece_gap).
    feed(policy, interims, hearing, np.concatenate([tone(2.6), silence(0.15), tone(2.75)]), events)
    closed = [(a, b) for a, b in hearing.heard if b - a > 2.5 and a < 0.5]
    assert closed and 2.6 <= closed[-1][1] <= 2.8, hearing.heard  # cut in the breath
    assert any(a >= 2.6 for a, _ in hearing.heard)  # the next piece starts there
    assert texts(events)[-1] == " ".join(w for w, _, _ in script)


def test_clearing_empties_the_interim_text_once():
    policy, interims = make(step=0.5)
    hearing = ScriptedHearing([("one", 0.1, 0.5)])
    events: list = []
    feed(policy, interims, hearing, tone(1.0), events)
    assert texts(events)[-1] == "one"
    assert texts(interims.clear()) == [""]
    assert interims.clear() == []


def test_runs_are_paced_to_the_share_of_time_the_fast_recogniser_may_be_busy():
    policy, interims = make(step=0.25, busy_share=0.5, longest_piece=6.0)
    hearing = ScriptedHearing([])
    for _ in range(16):  # 4 s of speech, 250 ms at a time; each run "took" 0.5 s
        policy.add_audio(tone(0.25))
        policy.listen()
        job = interims.job(policy)
        if job is not None:
            interims.heard_as(job, hearing(job))
            interims.took(0.5)
    ends = [b for _, b in hearing.heard]
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(ends, ends[1:])), ends  # 0.5 s / 0.5 share

"""Voice activity in the offline engine: Silero VAD (shipped with faster-whisper) gates recognition."""

import sys
from pathlib import Path

import numpy as np
import pytest
import speech

from live_transcriber.engines.local import SileroDetector
from live_transcriber.results import Result, UtteranceEnd, Word
from live_transcriber.streaming import PolicyOptions, StreamingPolicy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from corpus import pink_noise  # noqa: E402

SR = 16000


@pytest.fixture(scope="module")
def sentence(tmp_path_factory):
    from faster_whisper.audio import decode_audio

    wav = speech.synthesize(speech.SENTENCE_GARDEN, tmp_path_factory.mktemp("vad") / "s.wav", pad_before=0.5, pad_after=0.0)
    return decode_audio(str(wav))


class Recorder:
    """A recogniser that says one word per run and remembers what it was asked."""

    def __init__(self, policy):
        self.policy = policy
        self.calls = []

    def __call__(self, audio, prompt):
        self.calls.append((self.policy.window_start, len(audio) / SR))
        return [Word("garden", 0.6, min(1.2, len(audio) / SR), 0.9)]


def feed(policy, recogniser, audio, frame=320):
    events = []
    for i in range(0, len(audio), frame):
        policy.add_audio(audio[i : i + frame])
        if policy.ready():
            events += policy.step(recogniser)
    return events


def test_streamed_probabilities_match_faster_whispers_whole_file_vad(sentence):
    from faster_whisper.vad import get_vad_model

    audio = sentence[: len(sentence) // 512 * 512]
    whole = get_vad_model()(audio).reshape(-1)
    detector = SileroDetector()
    frames = audio.reshape(-1, 512)
    streamed = np.concatenate([detector(frames[i : i + n]) for i, n in ((0, 1), (1, 5), (6, 40), (46, len(frames) - 46))])
    np.testing.assert_allclose(streamed, whole, atol=1e-3)
    assert whole.max() > 0.9  # it does hear the speech


def test_fan_noise_never_runs_the_recogniser_and_the_window_stays_short():
    """Pink noise at -35 dBFS RMS (a laptop fan next to the microphone) passed the old loudness gate
    and cost two cores of recognition for nothing."""
    policy = StreamingPolicy(PolicyOptions(), voice=SileroDetector())
    recogniser = Recorder(policy)
    events = feed(policy, recogniser, pink_noise(30.0, -35.0))
    events += policy.finish(recogniser)
    assert recogniser.calls == [] and events == []
    assert policy.window_end - policy.window_start <= 1.0


def test_speech_in_noise_runs_while_it_is_spoken_and_the_pause_ends_the_utterance(sentence):
    noise = pink_noise(12.0, -45.0)
    audio = noise.copy()
    audio[3 * SR : 3 * SR + len(sentence)] += sentence  # speech from 3.5 s (0.5 s padding) for about 3 s
    speech_end = 3.0 + len(sentence) / SR
    policy = StreamingPolicy(PolicyOptions(), voice=SileroDetector())
    recogniser = Recorder(policy)
    events = feed(policy, recogniser, audio)
    assert recogniser.calls, "speech was never recognised"
    # Runs happen while speech arrives (plus one just after it ends), never over the noise alone.
    for start, length in recogniser.calls:
        assert 3.0 <= start + length <= speech_end + 1.0
    ends = [e for e in events if isinstance(e, UtteranceEnd)]
    finals = [e for e in events if isinstance(e, Result) and e.is_final]
    assert len(ends) == 1 and finals[-1].speech_final
    assert "garden" in [w.word for r in finals for w in r.words]

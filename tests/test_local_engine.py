"""The offline engine's options with a stand-in for faster-whisper's model (real Silero VAD, real
decoding): keyterms reach Whisper as ``hotwords`` on the live and the batch path and change while
recording, ``language=None`` is detected once per recording, and models that cannot be loaded say
how to get them. The real model with keyterms is in test_local.py."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
import speech

from live_transcriber import Transcriber
from live_transcriber.engines import local
from live_transcriber.engines.local import LocalEngine, load_model
from live_transcriber.engines.local_batch import BatchLocalEngine
from live_transcriber.results import EngineError, Result, StreamClosed

WEBM = "audio/webm;codecs=opus"


class FakeWhisper:
    """faster-whisper's ``WhisperModel.transcribe``, remembering each call's options: hears one word
    over the whole audio, in ``heard`` (the language it detects when given none)."""

    def __init__(self, heard: str = "en") -> None:
        self.calls: list[dict] = []
        self.heard = heard
        self.called = threading.Event()

    def transcribe(self, audio, **options):
        self.calls.append(options)
        self.called.set()
        end = len(audio) / 16000
        word = SimpleNamespace(word=" hello", start=0.0, end=end, probability=0.9)
        segment = SimpleNamespace(words=[word], compression_ratio=1.0, start=0.0, end=end, text=" hello")
        return iter([segment]), SimpleNamespace(language=options["language"] or self.heard)


@pytest.fixture(autouse=True)
def one_pass_by_the_stand_in(monkeypatch):
    """The live path's one-pass call (faster-whisper's batched pipeline) needs a real model's
    insides; here it goes to the stand-in's ``transcribe`` with the same options."""
    monkeypatch.setattr(local, "one_pass", lambda model, audio, **options: model.transcribe(audio, **options))


@pytest.fixture(scope="module")
def sentence(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    return speech.encode(speech.synthesize(speech.SENTENCE_WEATHER, folder / "s.wav"), folder / "s.webm", "webm").read_bytes()


def engine_with(fake: FakeWhisper, cls=BatchLocalEngine, **options):
    engine = cls(**options)
    engine.load = lambda: fake  # type: ignore[method-assign]
    return engine


def test_the_offline_engine_supports_keyterms():
    t = Transcriber("local", keyterms=["Siobhan Nguyen"], journal=None)
    assert t.keyterms_supported and t.engine.keyterms == ("Siobhan Nguyen",)
    t.close()


@pytest.mark.timeout(60)
def test_keyterms_reach_whisper_as_hotwords_and_a_change_while_recording_applies_to_the_next_run(sentence):
    fake = FakeWhisper()
    t = Transcriber(engine_with(fake), keyterms=["Siobhan Nguyen", "Kubernetes"], journal=None)
    half = len(sentence) // 2
    t.feed(sentence[:half], WEBM)
    assert fake.called.wait(30)
    t.keyterms = ["Ptolemy"]
    changed_at = len(fake.calls)  # runs from here on started after the change
    t.feed(sentence[half:], WEBM)
    t.end_feed()
    assert t.wait(30)
    hot = [c["hotwords"] for c in fake.calls]
    assert hot[0] == "Siobhan Nguyen, Kubernetes"
    assert len(hot) > changed_at and set(hot[changed_at:]) == {"Ptolemy"}, hot
    assert all(c["initial_prompt"] is None or "Ptolemy" not in c["initial_prompt"] for c in fake.calls)
    t.keyterms = []
    t.feed(sentence, WEBM)
    t.end_feed()
    assert t.wait(30)
    assert fake.calls[-1]["hotwords"] is None  # no keyterms: faster-whisper's default
    assert "hello" in t.transcript.lower()
    t.close()


@pytest.mark.timeout(60)
def test_a_file_goes_through_the_batch_path_with_the_keyterms(sentence, tmp_path):
    fake = FakeWhisper()
    t = Transcriber(engine_with(fake), keyterms=["Deepgram"], journal=None)
    path = tmp_path / "s.webm"
    path.write_bytes(sentence)
    t.transcribe_file(path, timeout=30, progress=False)
    assert len(fake.calls) == 1 and fake.calls[0]["hotwords"] == "Deepgram" and fake.calls[0]["vad_filter"]
    t.close()


@pytest.mark.timeout(60)
def test_without_a_language_it_is_detected_on_the_first_words_and_kept_for_the_recording(sentence):
    fake = FakeWhisper(heard="de")
    engine = engine_with(fake, cls=LocalEngine, language=None)
    for _ in range(2):  # each recording detects afresh
        events: list = []
        before = len(fake.calls)
        fake.called.clear()
        stream = engine.open(WEBM, events.append)
        stream.write(sentence[: len(sentence) // 2])
        assert fake.called.wait(30)
        stream.write(sentence[len(sentence) // 2 :])
        stream.end()
        assert stream.wait(30) and isinstance(events[-1], StreamClosed)
        languages = [c["language"] for c in fake.calls[before:]]
        assert len(languages) >= 2 and languages[0] is None and set(languages[1:]) == {"de"}, languages
        assert any(isinstance(e, Result) and "hello" in e.text.lower() for e in events)


@pytest.mark.timeout(60)
def test_a_language_given_is_used_from_the_first_run(sentence):
    fake = FakeWhisper(heard="de")
    engine = engine_with(fake, cls=LocalEngine, language="fr")
    stream = engine.open(WEBM, lambda event: None)
    stream.write(sentence)
    stream.end()
    assert stream.wait(30)
    assert {c["language"] for c in fake.calls} == {"fr"}


def test_a_model_name_not_on_this_machine_says_how_to_get_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(RuntimeError) as error:
        load_model("Systran/faster-whisper-base.en-not-cached")
    message = str(error.value)
    assert "not on this machine" in message and "download_model('Systran/faster-whisper-base.en-not-cached')" in message
    assert "folder" in message


def test_a_folder_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(RuntimeError, match="No faster-whisper model in"):
        load_model(str(tmp_path))
    with pytest.raises(RuntimeError, match="No faster-whisper model in"):
        load_model(str(tmp_path / "missing"))


@pytest.mark.timeout(60)
def test_a_stream_whose_model_cannot_be_loaded_ends_with_that_error(tmp_path, sentence):
    events: list = []
    stream = LocalEngine(model=str(tmp_path)).open(WEBM, events.append)
    stream.write(sentence)
    stream.end()
    assert stream.wait(30)
    errors = [e for e in events if isinstance(e, EngineError)]
    assert errors and errors[0].fatal and "No faster-whisper model in" in errors[0].message


class CostlyWhisper(FakeWhisper):
    """FakeWhisper whose every run spends ``cost`` seconds of CPU, as a real model would."""

    def __init__(self, cost: float) -> None:
        super().__init__()
        self.cost = cost

    def transcribe(self, audio, **options):
        start = time.process_time()
        while time.process_time() - start < self.cost:
            pass
        return super().transcribe(audio, **options)


@pytest.mark.timeout(60)
def test_the_live_stream_tells_the_policy_what_each_run_cost(sentence):
    fake = CostlyWhisper(cost=0.3)
    stream = engine_with(fake, cls=LocalEngine).open(WEBM, lambda event: None)
    stream.write(sentence)
    stream.end()
    assert stream.wait(30) and fake.calls
    # The CPU budget (one core by default) paces the next run by at least the CPU the last one spent.
    assert stream._policy._paced_step >= 0.3


class WordsWhisper(FakeWhisper):
    """FakeWhisper that hears ``words`` (faster-whisper's word texts, leading space and all)."""

    def __init__(self, *words: str) -> None:
        super().__init__()
        self.words = words

    def transcribe(self, audio, **options):
        self.calls.append(options)
        words = [SimpleNamespace(word=w, start=0.3 * i, end=0.3 * i + 0.25, probability=0.9) for i, w in enumerate(self.words)]
        segment = SimpleNamespace(words=words, compression_ratio=1.0, start=0.0, end=0.3 * len(words), text="".join(self.words))
        return iter([segment]), SimpleNamespace(language="en")


def test_words_whisper_heard_without_a_space_before_them_are_joined_in_the_text():
    from live_transcriber.results import Result, Word, join_words

    engine = LocalEngine()
    words = engine.transcribe(WordsWhisper(" a", " cold", "-hearted,", " ill", "-disposed", " man's", " dog"), np.zeros(48000, np.float32), "").words
    assert join_words(words) == "a cold-hearted, ill-disposed man's dog"
    assert [w.word for w in words] == ["a", "cold", "hearted", "ill", "disposed", "man's", "dog"]
    # Kept in results as dicts (journals, exports): "attached" only where it is true, and a result
    # saved before the field existed (or from Deepgram) reads back with spaces as before.
    result = Result(join_words(words), 0.0, 2.0, tuple(words), is_final=True)
    saved = result.to_dict()
    assert [w.get("attached", False) for w in saved["words"]] == [False, False, True, False, True, False, False]
    assert Result.from_dict(saved) == result
    old = {"text": "cold hearted", "start": 0.0, "end": 1.0, "words": [{"word": "cold", "start": 0.0, "end": 0.5, "confidence": 0.9}, {"word": "hearted", "start": 0.5, "end": 1.0, "confidence": 0.9}]}
    assert join_words(Result.from_dict(old).words) == "cold hearted"
    with pytest.raises(ValueError, match="attached must be true or false"):
        Word.from_dict({"word": "x", "start": 0, "end": 1, "confidence": 1, "attached": "yes"})


def test_a_word_split_between_two_final_results_reads_as_one_everywhere():
    """A final result may end inside a word ("cold", then "-hearted" in the next one, when the
    streaming policy finalises up to there): the transcript and every export keep it one word,
    and an SRT cue never breaks it."""
    from live_transcriber import exports
    from live_transcriber.analysis import rows
    from live_transcriber.results import Result, Transcript, Word, join_words

    def result(*words: tuple[str, float, bool]) -> Result:
        ws = tuple(Word(t.strip(".").lower(), s, s + 0.3, 0.9, t, attached=a) for t, s, a in words)
        return Result(join_words(ws), ws[0].start, ws[-1].end, ws, is_final=True, recording=0)

    first = result(("The", 0.0, False), ("cold", 0.3, False))
    second = result(("-hearted", 0.6, True), ("man.", 0.9, False))
    third = result(("He", 1.2, False), ("left.", 1.5, False))
    transcript = Transcript()
    for r in (first, second, third):
        transcript.apply(r)
    assert transcript.text == "The cold-hearted man. He left."
    finals = list(transcript.finals)
    transcript.replace({0: finals[0]})
    assert transcript.text == "The cold-hearted man. He left."
    again = Transcript()
    again.restore(finals)
    assert again.text == "The cold-hearted man. He left."
    assert exports.to_text(finals) == "The cold-hearted man. He left.\n"
    assert '"transcript": "The cold-hearted man. He left."' in exports.to_json(finals)
    assert rows(finals, "utterances")[0]["text"] == "The cold-hearted man. He left."
    # Two lines of 8 characters at most: "cold-hearted" is over a line, and still comes whole.
    assert "cold-hearted" in exports.to_srt(finals, max_chars=16)


def test_the_batch_path_joins_them_too():
    from live_transcriber.engines.local_batch import _result

    segment = SimpleNamespace(words=[SimpleNamespace(word=w, start=0.3 * i, end=0.3 * i + 0.25, probability=0.9) for i, w in enumerate([" self", "-substantial", " fuel"])])
    assert _result(segment, np.ones(100, bool)).text == "self-substantial fuel"

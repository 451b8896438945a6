"""The two-speed offline engine with stand-ins for both recognisers (real decoding, real Silero VAD,
real threads): Moonshine's words first, Whisper's final, in the order Deepgram sends them; the
screen does not wait for Whisper; abort; choosing the engine by name, and falling back."""

from __future__ import annotations

import dataclasses
import threading
import time
from types import SimpleNamespace

import pytest
import speech

from live_transcriber.engines import local, select, two_speed
from live_transcriber.engines.local_batch import BatchLocalEngine
from live_transcriber.engines.two_speed import TwoSpeedEngine
from live_transcriber.results import EngineStatus, Result, SpeechStarted, StreamClosed, UtteranceEnd

from test_local_engine import FakeWhisper

WEBM = "audio/webm;codecs=opus"


class FakeMoonshine:
    """moonshine_voice's ``Transcriber`` as ``two_speed.hear`` calls it (its C function and the
    parsing of its result): one line, ``text``, for any audio of 0.3 s or more."""

    def __init__(self, text: str = "hullo") -> None:
        self.text = text
        self.calls: list[tuple[float, float]] = []  # (when it started, seconds of audio)
        self._handle = 7
        self._lib = SimpleNamespace(moonshine_transcribe_without_streaming=self._transcribe)
        self._seconds = 0.0

    def _transcribe(self, handle, samples, count, sample_rate, flags, out):
        assert handle == 7 and sample_rate == 16000
        self._seconds = count / sample_rate
        self.calls.append((time.monotonic(), self._seconds))
        return 0

    def _parse_transcript(self, transcript):
        return SimpleNamespace(lines=[SimpleNamespace(text=self.text)] if self._seconds >= 0.3 else [])


class SlowWhisper(FakeWhisper):
    """FakeWhisper whose runs take ``seconds`` (of sleep: the CPU stays free)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.runs: list[tuple[float, float]] = []
        self.started = threading.Event()

    def transcribe(self, audio, **options):
        self.started.set()
        started = time.monotonic()
        time.sleep(self.seconds)
        self.runs.append((started, time.monotonic()))
        return super().transcribe(audio, **options)


@pytest.fixture(autouse=True)
def stand_ins(monkeypatch):
    """Both recognisers are stand-ins: one-pass calls go to the stand-in's ``transcribe``, and
    Moonshine is the FakeMoonshine each test sets (no preloading of the real models)."""
    monkeypatch.setattr(local, "one_pass", lambda model, audio, **options: model.transcribe(audio, **options))
    moonshine = FakeMoonshine()
    monkeypatch.setattr(two_speed, "load_moonshine", lambda: moonshine)
    monkeypatch.setattr(two_speed, "moonshine_loaded", lambda: True)
    monkeypatch.setattr(TwoSpeedEngine, "_preload", lambda self: None)
    return moonshine


@pytest.fixture(scope="module")
def sentence(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    wav = speech.synthesize(speech.SENTENCE_WEATHER, folder / "s.wav", pad_after=1.5)
    return speech.encode(wav, folder / "s.webm", "webm").read_bytes()


def engine_with(whisper, **options) -> TwoSpeedEngine:
    engine = TwoSpeedEngine(**options)
    engine.load = lambda: whisper  # type: ignore[method-assign]
    return engine


def feed_live(stream, data: bytes, seconds: float, pieces: int = 40) -> None:
    """``data`` written in ``pieces`` over ``seconds``, as a browser would send it."""
    size = -(-len(data) // pieces)
    started = time.monotonic()
    for i in range(pieces):
        time.sleep(max(0.0, started + i * seconds / pieces - time.monotonic()))
        stream.write(data[i * size : (i + 1) * size])


@pytest.mark.timeout(60)
def test_moonshine_words_show_first_whisper_words_are_final_in_deepgrams_order(sentence):
    events: list = []
    stream = engine_with(FakeWhisper()).open(WEBM, events.append)
    feed_live(stream, sentence, 4.0)
    stream.end()
    assert stream.wait(30)
    assert isinstance(events[-1], StreamClosed) and sum(isinstance(e, StreamClosed) for e in events) == 1
    results = [e for e in events if isinstance(e, Result)]
    said = [e for e in events if not isinstance(e, EngineStatus)]
    assert isinstance(said[0], SpeechStarted)
    interims = [r.text for r in results if not r.is_final]
    finals = [r for r in results if r.is_final and r.text]
    assert "hullo" in interims and interims.index("hullo") < results.index(finals[0])
    assert [r.text for r in finals] == ["Hello"] and finals[0].words[0].confidence == 0.9
    assert any(r.speech_final for r in results if r.is_final)
    assert any(isinstance(e, UtteranceEnd) for e in events)
    # The last word on screen is the final one: no interim text is left over.
    last = [r for r in results if not r.is_final or r.text][-1]
    assert last.is_final or last.text == "", results


@pytest.mark.timeout(60)
def test_the_words_on_screen_do_not_wait_for_whisper(sentence, stand_ins):
    whisper = SlowWhisper(1.5)
    events: list[tuple[float, object]] = []
    stream = engine_with(whisper).open(WEBM, lambda e: events.append((time.monotonic(), e)))
    feed_live(stream, sentence, 5.0)
    stream.end()
    assert stream.wait(30)
    assert whisper.runs
    # Moonshine ran, and an interim result came out, while a Whisper run was in flight.
    during = [t for t, _ in stand_ins.calls if any(a < t < b for a, b in whisper.runs)]
    assert during, (stand_ins.calls, whisper.runs)
    finals = [e.text for _, e in events if isinstance(e, Result) and e.is_final and e.text]
    assert finals == ["Hello"]


@pytest.mark.timeout(60)
def test_abort_during_a_whisper_run_closes_the_stream_with_nothing_after(sentence):
    whisper = SlowWhisper(2.0)
    events: list = []
    stream = engine_with(whisper).open(WEBM, events.append)
    stream.write(sentence)
    assert whisper.started.wait(20)
    stream.abort()
    assert stream.wait(10)
    assert isinstance(events[-1], StreamClosed) and sum(isinstance(e, StreamClosed) for e in events) == 1
    assert not any(isinstance(e, Result) and e.is_final and e.text for e in events)


@pytest.mark.timeout(60)
def test_keyterms_reach_whisper_as_hotwords_and_change_while_recording(sentence):
    whisper = FakeWhisper()
    # Runs every 0.5 s of speech, so that half a sentence surely has one.
    engine = engine_with(whisper, policy=dataclasses.replace(two_speed.FINAL_POLICY, min_step=0.5, cpu_budget=None))
    engine.set_keyterms(["Siobhan Nguyen"])
    stream = engine.open(WEBM, lambda e: None)
    stream.write(sentence[: len(sentence) // 2])
    assert whisper.called.wait(30)
    stream.set_keyterms(("Ptolemy",))
    changed_at = len(whisper.calls)
    stream.write(sentence[len(sentence) // 2 :])
    stream.end()
    assert stream.wait(30)
    hot = [c["hotwords"] for c in whisper.calls]
    assert hot[0] == "Siobhan Nguyen" and set(hot[changed_at:]) == {"Ptolemy"}, hot


@pytest.mark.timeout(60)
def test_a_moonshine_that_cannot_load_ends_the_stream_with_a_clear_error(sentence, monkeypatch):
    def broken():
        raise OSError("libmoonshine.so: cannot open shared object file")

    monkeypatch.setattr(two_speed, "load_moonshine", broken)
    monkeypatch.setattr(two_speed, "moonshine_loaded", lambda: False)
    events: list = []
    stream = engine_with(FakeWhisper()).open(WEBM, events.append)
    stream.write(sentence)
    stream.end()
    assert stream.wait(30) and isinstance(events[-1], StreamClosed)
    errors = [e for e in events if getattr(e, "fatal", False)]
    assert errors and "Moonshine" in errors[0].message and "engine='whisper'" in errors[0].message


# -- choosing the engine --------------------------------------------------------------------------


@pytest.mark.parametrize("default", ["whisper", "moonshine+whisper"])
def test_the_offline_engines_are_chosen_by_name(monkeypatch, default):
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.setattr(two_speed, "moonshine_cannot_serve", lambda language="en": "")
    monkeypatch.setattr(select, "OFFLINE_DEFAULT", default)
    kind = {"whisper": BatchLocalEngine, "moonshine+whisper": TwoSpeedEngine}
    for name in ("offline", "local"):
        engine, _, notice = select.make_engine(name)
        assert type(engine) is kind[default] and notice == "", name
    for name in ("whisper", "moonshine+whisper"):
        engine, _, notice = select.make_engine(name)
        assert type(engine) is kind[name] and notice == "", name
    assert engine.label == "offline · moonshine + tiny.en"
    engine, _, notice = select.make_engine("auto")
    assert type(engine) is kind[default] and notice == select.NO_KEY_NOTICE


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({"language": "de"}, "knows only English: language='de'"),
        ({"language": None, "model": "tiny"}, "knows only English: language detection (language=None)"),
    ],
)
def test_a_language_moonshine_cannot_serve_falls_back_to_whisper_with_a_one_line_notice(monkeypatch, options, why):
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.setattr(select, "OFFLINE_DEFAULT", "moonshine+whisper")
    for name in ("offline", "moonshine+whisper", "auto"):
        engine, _, notice = select.make_engine(name, **options)
        assert type(engine) is BatchLocalEngine and engine.language == options["language"]
        assert why in notice and "\n" not in notice, notice
    with pytest.raises(ValueError, match="knows only English"):
        TwoSpeedEngine(**options)


def test_a_platform_without_moonshine_falls_back_to_whisper_and_says_why(monkeypatch):
    def missing():
        raise ImportError("No module named 'moonshine_voice'")

    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.setattr(two_speed, "_moonshine_library", missing)
    monkeypatch.setattr(select, "OFFLINE_DEFAULT", "moonshine+whisper")
    engine, _, notice = select.make_engine("offline")
    assert type(engine) is BatchLocalEngine
    assert notice == (
        "Moonshine is not installed (pip install 'jupyter-live-transcriber[moonshine]'): the offline engine runs on Whisper only, "
        "and words show later."
    )
    engine, _, notice = select.make_engine("auto")
    assert notice.startswith(select.NO_KEY_NOTICE + " Moonshine is not installed")

    def old_glibc():
        raise OSError("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found")

    monkeypatch.setattr(two_speed, "_moonshine_library", old_glibc)
    engine, _, notice = select.make_engine("moonshine+whisper")
    assert type(engine) is BatchLocalEngine and notice.startswith("Moonshine cannot load here (/lib/x86_64-linux-gnu/libc.so.6: version")


def test_preloading_starts_with_the_engine_and_a_failure_waits_for_the_stream(monkeypatch):
    loaded = threading.Event()
    monkeypatch.undo()  # the real _preload, with loaders that record and fail
    monkeypatch.setattr(two_speed, "load_moonshine", lambda: loaded.set())
    monkeypatch.setattr(TwoSpeedEngine, "load", lambda self: (_ for _ in ()).throw(RuntimeError("no model")))
    TwoSpeedEngine()
    assert loaded.wait(5)


@pytest.mark.timeout(60)
def test_a_whisper_model_that_cannot_load_ends_the_stream_with_that_error(sentence, tmp_path):
    events: list = []
    stream = TwoSpeedEngine(model=str(tmp_path)).open(WEBM, events.append)
    stream.write(sentence)
    stream.end()
    assert stream.wait(30) and isinstance(events[-1], StreamClosed)
    errors = [e for e in events if getattr(e, "fatal", False)]
    assert errors and "No faster-whisper model in" in errors[0].message

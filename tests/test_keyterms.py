"""Keyterms through the core and the widget: checked once, handed to the engine for new streams and
to the open ones, mirrored in the widget's trait both ways. The engine is scripted; Deepgram's wire
is in test_deepgram_keyterms.py."""

from __future__ import annotations

import pytest
import traitlets

from live_transcriber import LiveTranscriber, Transcriber
from live_transcriber.engines import Keyterms, normalize_keyterms
from live_transcriber.engines.base import MAX_KEYTERM_LENGTH, MAX_KEYTERMS
from live_transcriber.media import BROWSER, Source
from live_transcriber.testing import ScriptedEngine
from live_transcriber.testing.scripted import ScriptedStream

WEBM = "audio/webm;codecs=opus"


class KeytermStream(ScriptedStream):
    """Remembers every keyterm update it is given."""

    def __init__(self, mime_type: str, emit, source: Source, keyterms: Keyterms) -> None:
        super().__init__(mime_type, emit, source)
        self.keyterms = [keyterms]

    def set_keyterms(self, terms: Keyterms) -> None:
        self.keyterms.append(terms)


class KeytermEngine(ScriptedEngine):
    supports_keyterms = True

    def open(self, mime_type: str, emit, *, source: Source = BROWSER) -> KeytermStream:
        stream = KeytermStream(mime_type, emit, source, self.keyterms)
        self.streams.append(stream)
        return stream


@pytest.mark.parametrize(
    ("given", "tidy"),
    [
        (["  Stella ", "customer   service", "", "stella", "Anywidget"], ("Stella", "customer service", "Anywidget")),
        ("Kubernetes", ("Kubernetes",)),
        (None, ()),
        ((t for t in ["a", "b"]), ("a", "b")),
    ],
)
def test_keyterms_are_tidied(given, tidy):
    assert normalize_keyterms(given) == tidy


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        (["ok", 3], TypeError, "Keyterms must be strings, not int"),
        ([f"t{i}" for i in range(MAX_KEYTERMS + 1)], ValueError, f"at most {MAX_KEYTERMS}"),
        (["x" * (MAX_KEYTERM_LENGTH + 1)], ValueError, f"longer than {MAX_KEYTERM_LENGTH} characters"),
    ],
)
def test_bad_keyterms_are_clear_errors(given, error, message):
    with pytest.raises(error, match=message):
        normalize_keyterms(given)


def test_the_engine_gets_them_for_new_streams_and_open_streams_get_each_change():
    engine = KeytermEngine()
    t = Transcriber(engine, keyterms=["Stella", "Stella "], journal=None)
    assert t.keyterms == ["Stella"] and engine.keyterms == ("Stella",) and t.keyterms_supported

    t.feed(b"audio", WEBM)
    first = engine.stream
    t.keyterms = ["Stella", "Nguyen"]
    t.keyterms = ["stella", "nguyen"]  # another spelling is another change
    t.keyterms = [" stella", "nguyen"]  # the same once tidied: not sent again
    t.end_feed()
    first.close()
    t.feed(b"audio", WEBM)

    assert first.keyterms == [("Stella",), ("Stella", "Nguyen"), ("stella", "nguyen")]
    assert engine.stream.keyterms == [("stella", "nguyen")]
    t.close()


def test_a_bad_change_raises_and_changes_nothing():
    engine = KeytermEngine()
    t = Transcriber(engine, keyterms=["Stella"], journal=None)
    t.feed(b"audio", WEBM)
    with pytest.raises(TypeError):
        t.keyterms = ["fine", None]  # type: ignore[list-item]
    assert t.keyterms == ["Stella"] and engine.stream.keyterms == [("Stella",)]
    t.close()


def test_engines_without_keyterms_accept_and_ignore_them():
    engine = ScriptedEngine()
    t = Transcriber(engine, keyterms=["Stella"], journal=None)
    t.feed(b"audio", WEBM)
    t.keyterms = ["Nguyen"]  # EngineStream's default set_keyterms: nothing happens, nothing breaks
    assert not t.keyterms_supported and t.keyterms == ["Nguyen"]
    t.close()


def test_without_keyterms_an_engine_keeps_its_own():
    engine = KeytermEngine()
    engine.set_keyterms(["from the engine"])
    t = Transcriber(engine, journal=None)
    assert t.keyterms == ["from the engine"]


def test_the_old_deepgram_option_name_says_what_it_became():
    with pytest.raises(TypeError, match="keyterm= is now keyterms="):
        Transcriber("deepgram", keyterm=["Stella"], journal=None)


def test_the_widget_trait_mirrors_the_core_both_ways():
    engine = KeytermEngine()
    w = LiveTranscriber(engine, keyterms=["Stella"], journal=None)
    assert w.keyterms == ["Stella"] and w.keyterms_supported
    w.feed(b"audio", WEBM)

    w.keyterms = ["Stella", " Nguyen "]  # from Python (or the page: the same trait)
    assert w.transcriber.keyterms == ["Stella", "Nguyen"] and w.keyterms == ["Stella", "Nguyen"]
    w.transcriber.keyterms = ["Kubernetes"]  # from the core
    assert w.keyterms == ["Kubernetes"]
    assert engine.stream.keyterms == [("Stella",), ("Stella", "Nguyen"), ("Kubernetes",)]
    w.close()


def test_the_page_cannot_set_bad_keyterms():
    engine = KeytermEngine()
    w = LiveTranscriber(engine, keyterms=["Stella"], journal=None)
    # What ipywidgets does with the page's state update.
    with pytest.raises(traitlets.TraitError, match="at most"):
        w.set_state({"keyterms": [f"t{i}" for i in range(MAX_KEYTERMS + 1)]})
    with pytest.raises(traitlets.TraitError):
        w.set_state({"keyterms": ["fine", 5]})
    assert w.keyterms == ["Stella"] and w.transcriber.keyterms == ["Stella"]
    w.close()


def test_the_widget_says_when_the_engine_ignores_keyterms():
    w = LiveTranscriber(ScriptedEngine(), journal=None)
    assert not w.keyterms_supported
    assert w.get_state()["keyterms"] == []
    w.close()

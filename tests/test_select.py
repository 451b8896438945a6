"""Choosing the engine says which and why, and an option of the other engine is one clear error."""

from __future__ import annotations

import inspect

import pytest

from live_transcriber import LiveTranscriber, Transcriber
from live_transcriber.engines import select
from live_transcriber.engines.deepgram import DeepgramEngine
from live_transcriber.engines.two_speed import TwoSpeedEngine
from live_transcriber.engines.local import LocalEngine

KEY = "dg-secret-0123456789"


@pytest.fixture
def no_key(monkeypatch, tmp_path):
    """No key anywhere: not in the environment, no .env file in the working folder or above it."""
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    assert not [p / ".env" for p in (tmp_path, *tmp_path.parents) if (p / ".env").exists()]
    return tmp_path


def test_the_option_lists_are_the_engines_parameters():
    deepgram = set(inspect.signature(DeepgramEngine).parameters)
    offline = set(inspect.signature(LocalEngine).parameters) | set(inspect.signature(TwoSpeedEngine).parameters)
    shared = {"model", "language", "keyterms"}
    assert select.DEEPGRAM_OPTIONS == deepgram - shared
    assert select.OFFLINE_OPTIONS == offline - shared - {"options"}


def test_no_key_found_is_said_beside_the_label(no_key):
    t = Transcriber("auto", journal=None)
    try:
        assert t.engine_label.startswith("offline · ")
        assert t.engine_reason == "no Deepgram key found"
        assert "no $DEEPGRAM_API_KEY, no .env file" in t.engine_notice
    finally:
        t.close()


def test_where_the_key_came_from_is_said_and_the_key_never(no_key, monkeypatch):
    (no_key / "talk").mkdir()
    (no_key / ".env").write_text(f"DEEPGRAM_API_KEY={KEY}\n")
    monkeypatch.chdir(no_key / "talk")  # the .env file is found in a folder above
    choice = select.make_engine("auto")
    assert isinstance(choice.engine, DeepgramEngine)
    assert choice.reason == f"key from {no_key / '.env'}" and KEY not in choice.reason + choice.notice
    choice.engine.close()

    monkeypatch.setenv("DEEPGRAM_API_KEY", KEY)
    choice = select.make_engine("auto")
    assert choice.reason == "key from $DEEPGRAM_API_KEY" and KEY not in choice.notice
    choice.engine.close()

    choice = select.make_engine("deepgram", api_key=KEY)
    assert choice.reason == "key from api_key=" and KEY not in choice.notice
    choice.engine.close()


def test_an_engine_named_needs_no_reason(no_key):
    choice = select.make_engine("whisper")
    assert (choice.reason, choice.notice) == ("", "")


@pytest.mark.parametrize(
    ("options", "option"),
    [({"diarize": True}, "diarize="), ({"base_url": "ws://localhost:9"}, "base_url="), ({"model": "nova-3"}, "model='nova-3'")],
)
def test_a_deepgram_option_without_a_key_names_the_option_the_engine_and_the_way_to_deepgram(no_key, options, option):
    with pytest.raises(TypeError) as raised:
        LiveTranscriber(**options)
    message = str(raised.value)
    assert message.startswith(option), message
    assert "the offline engine runs here (no Deepgram key was found)" in message
    assert "set DEEPGRAM_API_KEY" in message and "api_key=" in message
    with pytest.raises(TypeError, match="it was asked for by name.*engine='deepgram'"):
        Transcriber("offline", **options)


@pytest.mark.parametrize(("options", "option"), [({"beam_size": 1}, "beam_size="), ({"model": "base.en"}, "model='base.en'")])
def test_an_offline_option_for_deepgram_names_the_option_and_the_way_offline(no_key, options, option):
    with pytest.raises(TypeError) as raised:
        Transcriber("deepgram", api_key=KEY, **options)
    message = str(raised.value)
    assert message.startswith(option) and "the Deepgram engine runs here" in message and "engine='offline'" in message
    assert KEY not in message


def test_the_widget_shows_why(no_key):
    w = LiveTranscriber(journal=None)
    try:
        assert w.engine_reason == "no Deepgram key found" and w.engine_notice.startswith("No Deepgram key found")
    finally:
        w.close()

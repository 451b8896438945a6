"""Opt-in: a team's transcription server, WhisperLiveKit's Deepgram-compatible ``/v1/listen``, set for
everyone with ``DEEPGRAM_BASE_URL`` (and the key the server was started with). Skipped unless
``bash benchmarks/setup_team_server.sh`` has installed it; CI never does.

What is checked is what a user of a JupyterHub whose environment points at such a server sees:
the widget picks it up with no argument, words arrive and none are lost, Stop ends cleanly (the
server refuses Finalize: its Error and close cost no words and do not leave the widget
reconnecting), a wrong key is one clear error, and keyterms do not break anything (the server
ignores them, so the engine's fallback, a new connection, is what runs).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import speech
import wlk_server
from live_transcriber import LiveTranscriber, Transcriber, TranscriptionError

pytestmark = [
    pytest.mark.skipif(not wlk_server.installed(), reason=wlk_server.NOT_INSTALLED),
    pytest.mark.timeout(600),
]

KEY = "team-key"
CHUNK = 0.25


@pytest.fixture(scope="module")
def team_server(tmp_path_factory: pytest.TempPathFactory):
    server = wlk_server.start(KEY, tmp_path_factory.mktemp("whisperlivekit") / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    return speech.encode(speech.synthesize(speech.PARAGRAPH, folder / "speech.wav"), folder / "speech.webm", "webm")


@pytest.fixture
def hub_wide(team_server, monkeypatch, tmp_path):
    """The hub's environment: every kernel gets the server's address and key."""
    monkeypatch.setenv("DEEPGRAM_BASE_URL", team_server.base_url)
    monkeypatch.setenv("DEEPGRAM_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)  # no .env file
    return team_server


def play(w: LiveTranscriber, path: Path, *, at: dict[int, object] | None = None) -> list[str]:
    """Feed a file in 250 ms pieces at real time, as the browser does; the statuses seen on the way."""
    statuses: list[str] = []

    def seen(change: dict) -> None:
        statuses.append(change["new"])

    w.observe(seen, names="status")
    data = path.read_bytes()
    size = max(1, int(len(data) / speech_duration(path) * CHUNK))
    started = time.monotonic()
    for n, i in enumerate(range(0, len(data), size)):
        time.sleep(max(0.0, started + n * CHUNK - time.monotonic()))
        w.feed(data[i : i + size], "audio/webm;codecs=opus")
        if at and n in at:
            at[n]()
    w.end_feed()
    assert w.wait(120), f"not done; statuses {statuses}"
    w.unobserve(seen, names="status")
    return statuses


def speech_duration(path: Path) -> float:
    from live_transcriber.media import duration

    return duration(path)


def test_the_widget_uses_the_hub_wide_server_and_stops_cleanly(hub_wide, recording):
    w = LiveTranscriber(journal=None)  # "auto": a key is in the environment
    assert w.engine_label == "Deepgram · nova-3" and w.engine.base_url == hub_wide.base_url

    first = play(w, recording)
    second = play(w, recording)

    for statuses in (first, second):
        assert statuses[-2:] == ["finishing", "idle"], statuses
        assert "reconnecting" not in statuses, statuses
    # It greets with Metadata, which Deepgram never does: it is not sent Finalize, which it refuses.
    assert not w.engine.finalize_supported
    assert w.error == "" and w.status == "idle"
    texts = [w.transcriber.text_of(i) for i in range(2)]
    for text in texts:
        assert speech.wer(speech.PARAGRAPH, text) < 0.15, text
        assert speech.normalize(text).endswith("friday morning"), text  # the last words are not lost
    w.close()


def test_a_finalize_refused_on_stop_costs_no_words_and_the_widget_ends_idle(hub_wide, recording):
    # What the issue saw: Stop sent Finalize, the server answered with an Error and closed (4400).
    # The engine would not send it now (the greeting gives the server away): make it, once the
    # connection is open, as for a server that does not greet.
    w = LiveTranscriber(journal=None)

    statuses = play(w, recording, at={8: lambda: setattr(w.engine, "finalize_supported", True)})

    assert not w.engine.finalize_supported  # the refusal was understood, and is remembered
    assert statuses[-2:] == ["finishing", "idle"], statuses  # not left reconnecting
    assert w.status == "idle" and w.error == "", (w.status, w.error)  # the refusal is not the user's problem
    text = w.transcriber.text_of(0)
    assert speech.wer(speech.PARAGRAPH, text) < 0.15, text
    assert speech.normalize(text).endswith("friday morning"), text
    w.close()


def test_a_wrong_key_is_one_clear_error(hub_wide, monkeypatch, recording):
    monkeypatch.setenv("DEEPGRAM_API_KEY", "not-the-team-key")
    t = Transcriber(journal=None)
    started = time.monotonic()
    with pytest.raises(TranscriptionError, match=r"rejected the API key \((403|close 4401)"):
        t.transcribe_file(recording, timeout=60)
    assert time.monotonic() - started < 10  # no retries
    t.close()


def test_keyterms_changed_while_recording_cost_no_words(hub_wide, recording):
    w = LiveTranscriber(keyterms=["Friday"], journal=None)
    w.engine.configure_timeout = 2.0

    play(w, recording, at={20: lambda: setattr(w, "keyterms", ["Friday", "football"])})

    assert not w.engine.configure_supported  # it never answered Configure
    assert w.error == ""
    text = w.transcriber.text_of(0)
    assert speech.wer(speech.PARAGRAPH, text) < 0.15, text
    assert speech.normalize(text).endswith("friday morning"), text
    w.close()

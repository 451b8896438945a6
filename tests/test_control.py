"""The recorder worked from Python, kernel side: ``LiveTranscriber.start/stop/pause/resume`` and the
``recording`` trait. What the widget tells the page, and what it does with what the page says, go
through a comm that keeps what it publishes (a kernel's comm would send it; the ``comm`` package's
``create_comm`` is the hook kernels replace). The page's side is in ``tests/browser/test_python_control.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import comm
import pytest
from comm.base_comm import BaseComm
from IPython.core.formatters import DisplayFormatter

from live_transcriber import LiveTranscriber, Transcriber, TranscriptionError
from live_transcriber.testing import ScriptedEngine

WEBM = "audio/webm;codecs=opus"


class PageComm(BaseComm):
    """A widget's comm that keeps what it publishes, and delivers what a page would send."""

    def __init__(self, **kwargs: Any) -> None:
        self.published: list[tuple[str, dict]] = []
        super().__init__(**kwargs)

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any) -> None:
        self.published.append((msg_type, data or {}))

    def messages(self) -> list[dict]:
        """The custom messages the page was sent, oldest first (traits are not messages)."""
        return [data["content"] for kind, data in self.published if kind == "comm_msg" and data.get("method") == "custom"]

    def updates(self, name: str) -> list[Any]:
        """The values of trait ``name`` the page was sent (echoes of its own included)."""
        return [data["state"][name] for kind, data in self.published if kind == "comm_msg" and name in data.get("state", {})]

    def page_sends(self, content: dict, buffers: list[bytes] | None = None) -> None:
        self.handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers or []})

    def page_sets(self, **state: Any) -> None:
        self.handle_msg({"content": {"data": {"method": "update", "state": state}}, "buffers": []})


@pytest.fixture
def widget(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveTranscriber]:
    monkeypatch.setattr(comm, "create_comm", PageComm)
    w = LiveTranscriber(ScriptedEngine(), journal=None)
    yield w
    w.close()


def page(w: LiveTranscriber) -> PageComm:
    assert isinstance(w.comm, PageComm)
    return w.comm


def display(w: LiveTranscriber) -> None:
    """What IPython does to show an object (display(w), or w as a cell's last line)."""
    DisplayFormatter().format(w)


def test_start_refuses_a_widget_no_view_has_shown_and_says_how(widget):
    with pytest.raises(RuntimeError, match=r"none has been shown.*display\(w\)"):
        widget.start()
    with pytest.raises(RuntimeError, match="none has been shown"):
        widget.recording = True
    assert widget.recording is False
    assert page(widget).messages() == []


def test_display_then_start_in_one_cell_asks_the_page(widget):
    display(widget)
    widget.start()
    assert widget.recording is True
    assert page(widget).messages() == [{"type": "start_recording"}]
    widget.start()  # recording already asked for: nothing more
    assert page(widget).messages() == [{"type": "start_recording"}]


def test_a_view_a_page_reports_counts_as_shown(widget):
    # A widget shown inside another (a VBox) is never displayed itself: its page says so.
    page(widget).page_sends({"type": "view"})
    widget.recording = True
    assert page(widget).messages() == [{"type": "start_recording"}]
    assert widget.error == ""  # the message is the widget's, nothing for the transcriber


def test_stop_asks_the_page_to_stop_as_the_stop_button_would(widget):
    display(widget)
    widget.stop()  # nothing records: nothing to say
    assert page(widget).messages() == []
    widget.start()
    widget.stop()
    assert widget.recording is False
    assert page(widget).messages() == [{"type": "start_recording"}, {"type": "stop_recording", "reason": ""}]


def test_what_the_page_reports_is_mirrored_never_sent_back_as_a_request(widget):
    # Pressing Start and Stop: the page records, then reports it; another page must not act on it.
    page(widget).page_sets(recording=True)
    assert widget.recording is True
    page(widget).page_sets(recording=False)
    assert widget.recording is False
    assert page(widget).messages() == []


def test_a_start_the_page_cannot_carry_out_comes_back_false_with_the_reason(widget):
    display(widget)
    widget.start()
    reason = "Microphone access was blocked. Allow the microphone for this site, then press Start again."
    page(widget).page_sets(recording=False)
    page(widget).page_sends({"type": "client_error", "kind": "permission", "message": reason})
    assert widget.recording is False and widget.error == reason
    widget.start()  # asking again works
    assert page(widget).messages()[-1] == {"type": "start_recording"}


def test_pause_and_resume_go_to_the_page_while_recording_and_refuse_otherwise(widget):
    with pytest.raises(RuntimeError, match="Nothing is recording, so there is nothing to pause"):
        widget.pause()
    with pytest.raises(RuntimeError, match="nothing to resume"):
        widget.resume()
    page(widget).page_sets(recording=True)  # Start pressed in the page
    widget.pause()
    widget.resume()
    assert page(widget).messages() == [{"type": "pause_recording"}, {"type": "resume_recording"}]


def test_resume_goes_on_recording_and_recover_continues_a_journal(widget, tmp_path):
    with pytest.raises(TypeError):
        widget.resume(tmp_path)  # a paused recording, not a journal: that is recover()
    core = Transcriber(ScriptedEngine(), journal=tmp_path)
    core.feed(b"audio", WEBM)
    core.end_feed()
    folder = core.journal.folder
    core.close()
    again = LiveTranscriber.recover(folder, ScriptedEngine())
    try:
        assert isinstance(again, LiveTranscriber) and again.journal.folder == folder
    finally:
        again.close()


def test_start_without_an_engine_says_why(monkeypatch, tmp_path):
    monkeypatch.setattr(comm, "create_comm", PageComm)
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    w = LiveTranscriber(engine="deepgram", journal=None)
    display(w)
    with pytest.raises(TranscriptionError, match="No Deepgram API key"):
        w.start()
    assert page(w).messages() == []
    w.close()


def test_a_closed_widget_cannot_start(widget):
    display(widget)
    widget.close()
    with pytest.raises(RuntimeError, match="This widget was closed"):
        widget.start()


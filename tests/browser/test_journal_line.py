"""The journal line in JupyterLab: under the controls the widget says, on one quiet line, where the
audio is kept and how to turn that off; its tooltip says how long finished journals are kept. A
widget without a journal shows no line."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WIDGETS = (
    "from live_transcriber import LiveTranscriber\nfrom live_transcriber.testing import ScriptedEngine\n"
    "w = LiveTranscriber(engine=ScriptedEngine(), keep_journals='14 days')\nw",
    "off = LiveTranscriber(engine=ScriptedEngine(), journal=False)\noff",
)


def test_the_widget_says_where_the_audio_is_kept_and_how_to_turn_it_off(open_notebook, screenshot):
    nb = open_notebook(*WIDGETS)
    nb.run_all()
    home = os.environ["LIVE_TRANSCRIBER_JOURNAL"]  # ../../conftest.py's, which the kernel inherits
    assert nb.kernel.eval("w.journal_home") == home

    widget = nb.output(0).locator(".lt-root")
    line = widget.locator(".lt-journal")
    expect(line).to_have_text(f"Audio kept in {home} · off: LiveTranscriber(journal=False)")
    title = line.get_attribute("title") or ""
    assert f"written to {home} as they come" in title
    assert "Finished journals are removed 14 days after their last change." in title
    assert "LIVE_TRANSCRIBER_JOURNAL=off" in title
    # One quiet line between the controls and the transcript, never wider than the widget.
    box, root = line.bounding_box(), widget.bounding_box()
    assert box and root and box["height"] < 24 and box["x"] + box["width"] <= root["x"] + root["width"] + 1
    assert widget.locator(".lt-tools + .lt-journal").count() == 1
    screenshot(widget, "widget-journal-line")

    expect(nb.output(1).locator(".lt-root")).to_be_visible()
    expect(nb.output(1).locator(".lt-journal")).to_be_hidden()

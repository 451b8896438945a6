"""The keyterms field in JupyterLab: typed while recording, they reach the Deepgram test server
as a Configure; set from Python, they show in the field; an engine without keyterms disables it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from test_controls import SCRIPTED_WIDGET, button, stop, wait_for_words

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_keyterms_typed_while_recording_reach_the_server(open_notebook, alignment, make_deepgram_server, screenshot):
    server = make_deepgram_server("k", alignment)
    nb = open_notebook(
        "from live_transcriber import LiveTranscriber\n"
        f"w = LiveTranscriber(engine='deepgram', api_key='k', base_url={server.base_url!r}, keyterms=['Stella'])\n"
        "w"
    )
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    field = widget.get_by_role("textbox", name="Keyterms")
    expect(field).to_have_value("Stella")

    button(widget, "Start").click()
    wait_for_words(nb.page, 3)
    field.fill("Stella,  Nguyen , stella")
    field.press("Enter")
    nb.kernel.wait_for("w.keyterms", lambda terms: terms == ["Stella", "Nguyen"], timeout=10)
    assert server.wait_for(lambda: server.connections[-1].configures == [["Stella", "Nguyen"]])
    expect(field).to_have_value("Stella, Nguyen")  # the kernel's tidy list
    screenshot(widget, "keyterms-field")

    field.press("Tab")  # the field shows the kernel's value once it is not being edited
    nb.kernel.execute("w.keyterms = ['Kubernetes']")
    expect(field).to_have_value("Kubernetes")
    transcript = stop(nb, widget)
    assert len(transcript.split()) >= 3
    assert [(c.status, c.close_code) for c in server.connections] == [(101, 1000)]
    assert server.connections[-1].configures == [["Stella", "Nguyen"], ["Kubernetes"]]
    assert nb.kernel.eval("w.error") == ""


def test_an_engine_without_keyterms_disables_the_field(open_notebook):
    nb = open_notebook(SCRIPTED_WIDGET)
    nb.run_cell(0)
    field = nb.page.locator(".lt-root").get_by_role("textbox", name="Keyterms")
    expect(field).to_be_disabled()
    assert "does not use keyterms" in (nb.page.locator(".lt-keyterms").get_attribute("title") or "")

"""The recorder worked from Python in JupyterLab and Jupyter Notebook 7: ``w.start()`` (in the same
cell as ``display(w)``), ``w.pause()``, ``w.resume()``, ``w.stop()``, the ``recording`` trait set from
Python and from the widget's buttons, and the errors: no view of the widget, and a browser that
refuses the microphone (marimo: ``test_marimo.py``).

``nb.kernel.execute`` runs code as a cell would: the page's answers reach the kernel between two calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from harness import artifacts
from harness.kernel import KernelError
from harness.lab import JupyterLab
from harness.notebook import Notebook, open_notebook, shut_down
from harness.view import final_text
from playwright.sync_api import Browser, expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

SHOW_AND_START = "from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\ndisplay(w); w.start()"


def button(widget, name: str):
    return widget.get_by_role("button", name=name, exact=True)


def chunks(nb: Notebook) -> int:
    return nb.kernel.eval("w.recordings[-1].counters.chunks")


def words(nb: Notebook) -> int:
    return len(nb.kernel.eval("w.transcript").split())


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_start_pause_resume_and_stop_from_python_and_the_trait_both_ways(open_notebook, ui):
    nb = open_notebook(SHOW_AND_START, ui=ui)
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    # The cell has finished: the page got the request and records, and words come.
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=30)
    assert nb.kernel.eval("w.recording") is True
    expect(button(widget, "Stop")).to_be_visible()
    nb.kernel.wait_for("len(w.transcript.split())", lambda n: n >= 3, timeout=30)

    nb.kernel.execute("w.pause()")
    nb.kernel.wait_for("w.status", lambda s: s == "paused", timeout=10)
    expect(button(widget, "Resume")).to_be_visible()
    assert nb.kernel.eval("w.recording") is True  # paused is still recording
    time.sleep(0.5)  # a chunk sent just before the pause may still be on its way
    paused_at = chunks(nb)
    time.sleep(2.0)
    assert chunks(nb) == paused_at  # nothing recorded while paused

    nb.kernel.execute("w.resume()")
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=10)
    nb.kernel.wait_for("w.recordings[-1].counters.chunks", lambda n: n > paused_at + 4, timeout=10)

    # Stop from Python: the trait says so at once. The page's last audio and its stop reach the
    # kernel once the cell has ended (ipykernel 7 hands them to the shell that sent the page the
    # last message: this cell's), so wait() in the same cell says so instead of blocking for good.
    before = words(nb)
    out = nb.kernel.execute("w.stop()\ntry:\n    w.wait()\nexcept RuntimeError as e:\n    print(e)")
    assert "wait() would block for good" in out, out
    assert nb.kernel.eval("w.recording") is False
    # The page's stop comes when it comes (a loaded machine takes a while): a later cell may wait
    # once it has arrived, as a person's next cell would be run.
    nb.kernel.wait_for("w.status", lambda s: s != "recording", timeout=30)
    assert nb.kernel.eval("w.wait(30)") is True
    assert nb.kernel.eval("w.status") == "idle" and nb.kernel.eval("w.error") == ""
    assert nb.kernel.eval("w.recordings[-1].counters.lost") == 0
    assert words(nb) >= before
    expect(button(widget, "Start")).to_be_visible()
    shown = final_text(widget)
    assert shown == nb.kernel.eval("w.transcript")

    # The trait set from Python starts and stops; set from the buttons, Python sees it.
    recordings = nb.kernel.eval("len(w.recordings)")
    nb.kernel.execute("w.recording = True")
    expect(button(widget, "Stop")).to_be_visible()
    nb.kernel.wait_for("len(w.recordings)", lambda n: n == recordings + 1, timeout=20)
    button(widget, "Stop").click()
    nb.kernel.wait_for("w.recording", lambda r: r is False, timeout=10)
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=30)
    button(widget, "Start").click()
    nb.kernel.wait_for("w.recording", lambda r: r is True, timeout=10)
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=20)
    nb.kernel.execute("w.recording = False")
    expect(button(widget, "Start")).to_be_visible()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=30)
    assert nb.kernel.eval("len(w.recordings)") == recordings + 2
    assert nb.kernel.eval("w.error") == ""


def test_start_needs_a_view_of_the_widget(open_notebook):
    nb = open_notebook("from live_transcriber import LiveTranscriber\nw = LiveTranscriber()", "w")
    nb.run_cell(0)
    with pytest.raises(KernelError, match=r"none has been shown. Show it first \(display\(w\)"):
        nb.kernel.execute("w.start()")

    nb.run_cell(1)  # now it is shown
    widget = nb.page.locator(".lt-root")
    nb.kernel.execute("w.start()")
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=30)
    nb.kernel.execute("w.stop()")
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=30)

    # Its output cleared, no view is left: the page says so once the cell has ended.
    nb.command("notebook:clear-all-cell-outputs")
    expect(widget).to_have_count(0)
    nb.kernel.execute("w.start()")
    assert nb.kernel.eval("w.recording") is True
    nb.kernel.wait_for("w.recording", lambda r: r is False, timeout=20)
    assert "no view of this widget is shown" in nb.kernel.eval("w.error")
    assert nb.kernel.eval("len(w.recordings)") == 1  # nothing recorded without a view


@pytest.fixture
def open_refused(refusing_browser: Browser, jupyter_lab: JupyterLab, request: pytest.FixtureRequest) -> Iterator[Callable[..., Notebook]]:
    """``open_refused(*cells, ui="lab")``: a notebook in a browser that refuses the microphone."""
    context = refusing_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    failure = artifacts.FailureArtifacts(page, request.node, jupyter_lab.log_path)
    opened: list[Notebook] = []

    def _open(*cells: str, ui: str = "lab") -> Notebook:
        notebook = open_notebook(jupyter_lab, page, cells, artifacts.artifact_name(request.node), ui)
        opened.append(notebook)
        return notebook

    yield _open
    failure.save_if_failed()
    page.close()
    for notebook in opened:
        shut_down(jupyter_lab, notebook)
    context.close()


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_a_refused_microphone_turns_recording_off_and_says_why(open_refused, ui):
    nb = open_refused(SHOW_AND_START, ui=ui)
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    nb.kernel.wait_for("w.recording", lambda r: r is False, timeout=20)
    error = nb.kernel.eval("w.error")
    assert error.startswith("Microphone access was blocked"), error
    expect(widget.locator(".lt-error")).to_contain_text("Microphone access was blocked")
    assert nb.kernel.eval("w.recordings") == []

    # The button too: the trait goes on while the browser asks, and off when it refuses.
    button(widget, "Start").click()
    expect(button(widget, "Start")).to_be_visible()
    nb.kernel.wait_for("w.recording", lambda r: r is False, timeout=10)
    assert nb.kernel.eval("w.recordings") == []

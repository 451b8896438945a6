"""The widget in marimo (``mo.ui.anywidget``), served by ``marimo run``, in headless Chromium with the
fake microphone: Start, speak, Stop; the words must appear live in the widget, and a cell that reads
``widget.transcript`` must be re-run with the whole text (marimo re-runs it only because the browser
counts up the widget's ``revision`` trait), with no audio lost and the Python callbacks called. And
the recorder worked from Python (marimo buttons whose callbacks call ``start()``, ``pause()``, ...):
the ``recording`` trait both ways, no view, a refused microphone.

The notebook shows what its kernel holds in ``#kernel-state``: the test has no other way in.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import speech
from harness import artifacts, marimo_app
from harness.chromium import FakeMic
from harness.view import final_text
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WER_BOUND = 0.2

NOTEBOOK = '''
import marimo

app = marimo.App()


@app.cell
def _():
    import html
    import json

    import marimo as mo

    from live_transcriber import LiveTranscriber
    return LiveTranscriber, html, json, mo


@app.cell
def _(LiveTranscriber, mo):
    finals_seen = []
    transcripts_seen = []
    transcriber = LiveTranscriber(journal=None)
    # (An engine may also send an empty final that only ends an utterance: not a result kept.)
    transcriber.on_result(lambda result: finals_seen.append(result.text) if result.is_final and result.text else None)
    transcriber.observe(lambda change: transcripts_seen.append(change["new"]), names="transcript")
    widget = mo.ui.anywidget(transcriber)
    widget
    return finals_seen, transcripts_seen, widget


@app.cell
def _(finals_seen, html, json, mo, transcripts_seen, widget):
    state = {
        "revision": widget.revision,
        "status": widget.status,
        "error": widget.error,
        "transcript": widget.transcript,
        "finals": len(widget.finals),
        "finals_seen": len(finals_seen),
        "last_observed": transcripts_seen[-1] if transcripts_seen else None,
        "counters": vars(widget.recordings[-1].counters) if widget.recordings else None,
    }
    mo.Html(f"<pre id='kernel-state' style='white-space: pre-wrap'>{html.escape(json.dumps(state))}</pre>")
    return
'''



# The recorder worked from Python: each button's callback calls one method (an error it raises is kept).
CONTROL_NOTEBOOK = '''
import marimo

app = marimo.App()


@app.cell
def _():
    import html
    import json

    import marimo as mo

    from live_transcriber import LiveTranscriber
    return LiveTranscriber, html, json, mo


@app.cell
def _(LiveTranscriber, mo):
    transcriber = LiveTranscriber(journal=None)
    hidden = LiveTranscriber(journal=None)  # never shown
    widget = mo.ui.anywidget(transcriber)
    widget
    return hidden, transcriber, widget


@app.cell
def _(hidden, mo, transcriber):
    errors = []

    def act(do):
        def click(count):
            try:
                do()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            return (count or 0) + 1
        return click

    def flip():
        transcriber.recording = not transcriber.recording

    def stop_and_wait():
        transcriber.stop()
        transcriber.wait()  # the page's stop comes only after this callback: it raises

    actions = {
        "py-start": transcriber.start, "py-pause": transcriber.pause, "py-resume": transcriber.resume,
        "py-stop": transcriber.stop, "py-stop-and-wait": stop_and_wait, "py-flip": flip, "py-start-hidden": hidden.start,
    }
    buttons = mo.ui.array([mo.ui.button(value=0, label=label, on_click=act(do)) for label, do in actions.items()])
    buttons
    return buttons, errors


@app.cell
def _(buttons, errors, html, json, mo, widget):
    state = {
        "clicks": buttons.value,
        "errors": list(errors),
        "recording": widget.recording,
        "status": widget.status,
        "error": widget.error,
        "transcript": widget.transcript,
        "recordings": len(widget.recordings),
        "counters": vars(widget.recordings[-1].counters) if widget.recordings else None,
    }
    mo.Html(f"<pre id='kernel-state' style='white-space: pre-wrap'>{html.escape(json.dumps(state))}</pre>")
    return
'''


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[marimo_app.MarimoApp]:
    """``NOTEBOOK`` served, or the notebook a test names with ``@pytest.mark.parametrize("app", [...], indirect=True)``."""
    notebook = tmp_path / "transcribe.py"
    notebook.write_text(getattr(request, "param", NOTEBOOK))
    try:
        server = marimo_app.start(notebook)
    except marimo_app.ServerError as exc:
        pytest.fail(str(exc))
    yield server
    marimo_app.stop(server)


def open_app(browser: Browser, app: marimo_app.MarimoApp, request: pytest.FixtureRequest, *, grant: bool) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if grant:
        context.grant_permissions(["microphone"], origin=app.origin)
    page = context.new_page()
    page.set_default_timeout(30_000)
    failure = artifacts.FailureArtifacts(page, request.node, app.log_path)
    yield page
    failure.save_if_failed()
    context.close()


@pytest.fixture
def page(browser: Browser, app: marimo_app.MarimoApp, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The app open in a fresh context, microphone granted; on failure a screenshot, console and server log."""
    yield from open_app(browser, app, request, grant=True)


@pytest.fixture
def refused_page(refusing_browser: Browser, app: marimo_app.MarimoApp, request: pytest.FixtureRequest) -> Iterator[Page]:
    """The app open in a browser that refuses the microphone."""
    yield from open_app(refusing_browser, app, request, grant=False)


def kernel_state(page: Page) -> dict:
    """The kernel's state as the last run of the reading cell showed it (marimo draws outputs in
    shadow roots, which Playwright's locators enter and ``document.querySelector`` does not)."""
    return json.loads(page.locator("#kernel-state").text_content())


def wait_for_status(page: Page, status: str, timeout: float) -> dict:
    return wait_for_state(page, lambda state: state["status"] == status, timeout)


def wait_for_state(page: Page, condition, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while not condition(state := kernel_state(page)):
        assert time.monotonic() < deadline, f"the reading cell still shows {state}"
        time.sleep(0.2)
    return state


def test_words_appear_live_and_a_cell_reading_the_transcript_reruns(
    app, page, fake_mic: FakeMic, word_ends, screenshot
):
    page.goto(app.origin)
    widget = page.locator(".lt-root")
    widget.wait_for(timeout=60_000)
    page.locator("#kernel-state").wait_for()
    assert kernel_state(page)["revision"] == 0  # marimo was detected: the browser will count changes

    widget.get_by_role("button", name="Start", exact=True).click()
    started = time.monotonic()
    # Words on screen while the person is still talking.
    expect(widget.locator(".lt-transcript")).to_have_text(re.compile(r"\S+\s+\S+\s+\S+"), timeout=20_000)
    assert time.monotonic() - started < word_ends[-1][1]
    # The reading cell re-ran when the status changed.
    wait_for_status(page, "recording", timeout=10)
    screenshot(page, "marimo-recording")

    # Let the last word and the silence after it pass, then stop before Chromium loops the file.
    time.sleep(max(0.0, started + word_ends[-1][1] + 3.0 - time.monotonic()))
    widget.get_by_role("button", name="Stop", exact=True).click()
    state = wait_for_status(page, "idle", timeout=60)
    screenshot(page, "marimo-after-stop", full_page=True)

    transcript = state["transcript"]
    error = speech.wer(fake_mic.text, transcript)
    print(f"\nmarimo: WER {error:.3f}, revision {state['revision']}, counters {state['counters']}")
    assert state["error"] == ""
    assert error <= WER_BOUND, transcript
    # The page shows what the kernel holds, and the reading cell saw the kernel's final state.
    shown = final_text(widget)
    assert shown.split() == transcript.split()
    # Python callbacks ran in marimo's kernel: on_result for every final result, observe on each change.
    assert state["finals"] > 0 and state["finals_seen"] == state["finals"]
    assert state["last_observed"] == transcript
    # Every chunk arrived, in order: marimo sends each as its own HTTP request.
    counters = state["counters"]
    assert counters["lost"] == 0 and counters["duplicates"] == 0
    assert counters["chunks"] >= 3 * word_ends[-1][1]


def click(page: Page, label: str) -> None:
    """Press one of the notebook's buttons (its callback runs in the kernel), and wait until the reading cell has seen it."""
    clicks = sum(kernel_state(page)["clicks"])
    page.get_by_role("button", name=label, exact=True).click()
    wait_for_state(page, lambda state: sum(state["clicks"]) > clicks, timeout=10)


@pytest.mark.parametrize("app", [CONTROL_NOTEBOOK], indirect=True, ids=["control"])
def test_the_recorder_worked_from_python_and_the_trait_both_ways(app, page):
    page.goto(app.origin)
    widget = page.locator(".lt-root")
    widget.wait_for(timeout=60_000)
    page.locator("#kernel-state").wait_for()

    click(page, "py-start-hidden")
    assert "none has been shown" in kernel_state(page)["errors"][0]

    click(page, "py-start")
    wait_for_status(page, "recording", timeout=20)
    expect(widget.locator(".lt-transcript")).to_have_text(re.compile(r"\S+\s+\S+\s+\S+"), timeout=20_000)
    click(page, "py-pause")
    wait_for_status(page, "paused", timeout=10)
    expect(widget.get_by_role("button", name="Resume", exact=True)).to_be_visible()
    click(page, "py-resume")
    wait_for_status(page, "recording", timeout=10)
    click(page, "py-stop-and-wait")
    assert kernel_state(page)["recording"] is False
    assert "wait() would block for good" in kernel_state(page)["errors"][1]
    state = wait_for_status(page, "idle", timeout=60)
    assert len(state["transcript"].split()) >= 3 and state["error"] == ""
    assert state["counters"]["lost"] == 0 and state["recordings"] == 1

    # The trait: set from Python, then from the widget's buttons (the page's change re-runs the reading cell).
    click(page, "py-flip")
    wait_for_state(page, lambda s: s["recording"] and s["status"] == "recording", timeout=20)
    widget.get_by_role("button", name="Stop", exact=True).click()
    wait_for_state(page, lambda s: not s["recording"] and s["status"] == "idle", timeout=60)
    widget.get_by_role("button", name="Start", exact=True).click()
    wait_for_state(page, lambda s: s["recording"] and s["status"] == "recording", timeout=20)
    click(page, "py-stop")
    state = wait_for_state(page, lambda s: not s["recording"] and s["status"] == "idle", timeout=60)
    assert state["recordings"] == 3 and len(state["errors"]) == 2  # the hidden widget's, and wait()'s


@pytest.mark.parametrize("app", [CONTROL_NOTEBOOK], indirect=True, ids=["control"])
def test_a_refused_microphone_turns_recording_off_and_says_why(app, refused_page):
    page = refused_page
    page.goto(app.origin)
    widget = page.locator(".lt-root")
    widget.wait_for(timeout=60_000)
    page.locator("#kernel-state").wait_for()
    click(page, "py-start")
    state = wait_for_state(page, lambda s: not s["recording"] and s["error"], timeout=20)
    assert state["error"].startswith("Microphone access was blocked"), state
    assert state["recordings"] == 0
    expect(widget.locator(".lt-error")).to_contain_text("Microphone access was blocked")

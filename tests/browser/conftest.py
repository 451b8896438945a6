"""Real-browser fixtures; the machinery behind them is in ``harness/``.

Session-wide: ``jupyter_lab`` (a JupyterLab server on loopback), ``fake_mic`` (the WAV Chromium plays
as the microphone: ``speech.PARAGRAPH`` spoken, then silence), ``alignment`` / ``word_ends`` (when each
of its words is spoken), ``browser`` (Debian's Chromium, fake microphone on), ``refusing_browser`` (one
that answers the microphone prompt with no). Per test: ``page`` (a fresh
context, microphone granted; on failure a screenshot, the console and the server log go to
``tests/.artifacts/``), ``open_notebook`` and ``screenshot``.

Example::

    pytestmark = pytest.mark.browser

    def test_start(open_notebook, fake_mic):
        nb = open_notebook("from live_transcriber import LiveTranscriber\\nw = LiveTranscriber()\\nw")
        nb.run_all()
        nb.output(0).get_by_role("button", name="Start", exact=True).click()
        text = nb.kernel.wait_for("w.transcript", lambda t: len(t.split()) >= 20, timeout=60)
        assert speech.wer(fake_mic.text, text) < 0.3
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import speech
from harness import artifacts, chromium, lab
from harness.chromium import FakeMic
from harness.lab import JupyterLab
from harness.notebook import Notebook, shut_down
from harness.notebook import open_notebook as open_in_page
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

_failure_artifacts = pytest.StashKey[artifacts.FailureArtifacts]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    artifacts.record_report(item, report)
    return report


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab server for the whole session, ready when the fixture returns; stopped with its kernels after."""
    try:
        server = lab.start(tmp_path_factory.mktemp("jupyter"))
    except lab.ServerError as exc:
        pytest.fail(str(exc))
    try:
        yield server
    finally:
        lab.stop(server)


@pytest.fixture(scope="session")
def fake_mic(tmp_path_factory: pytest.TempPathFactory) -> FakeMic:
    wav = speech.synthesize(
        speech.PARAGRAPH,
        tmp_path_factory.mktemp("fake_mic") / "speech.wav",
        pad_before=0.5,
        pad_after=6.0,
    )
    return FakeMic(wav, speech.PARAGRAPH)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright: Playwright, fake_mic: FakeMic) -> Iterator[Browser]:
    """Headless Debian Chromium (never a Playwright download) whose microphone plays ``fake_mic``."""
    try:
        browser = chromium.launch(playwright, fake_mic.wav)
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def refusing_browser(playwright: Playwright, fake_mic: FakeMic) -> Iterator[Browser]:
    """Like ``browser``, but the microphone prompt is answered with no (a page not granted it cannot record)."""
    try:
        browser = chromium.launch(playwright, fake_mic.wav, refuse_microphone=True)
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def alignment(fake_mic: FakeMic) -> list[tuple[str, float, float]]:
    """Where each spoken word lies in the fake microphone's audio: Whisper's word timestamps on
    the whole file (the same model, run in batch, serves as the forced alignment). Also the
    script of the Deepgram test server, so it answers with exactly these words."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from faster_whisper.audio import decode_audio

    from live_transcriber.engines.local import LocalEngine

    engine = LocalEngine()
    words = engine.transcribe(engine.load(), decode_audio(str(fake_mic.wav)), "").words
    return [(w.word, w.start, w.end) for w in words]


@pytest.fixture(scope="session")
def word_ends(alignment: list[tuple[str, float, float]]) -> list[tuple[str, float]]:
    """Each spoken word and when it ends in the fake microphone's audio (seconds)."""
    return [(word, end) for word, _, end in alignment]


@pytest.fixture
def page(browser: Browser, jupyter_lab: JupyterLab, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context, microphone granted to JupyterLab's origin; artifacts on failure."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=jupyter_lab.origin)
    page = context.new_page()
    page.set_default_timeout(30_000)
    # open_notebook tears down first and saves these before it shuts the kernel down.
    failure = request.node.stash[_failure_artifacts] = artifacts.FailureArtifacts(page, request.node, jupyter_lab.log_path)
    yield page
    failure.save_if_failed()
    context.close()


@pytest.fixture
def open_notebook(jupyter_lab: JupyterLab, page: Page, request: pytest.FixtureRequest) -> Iterator[Callable[..., Notebook]]:
    """``open_notebook(*cells, name=None, ui="lab") -> Notebook``: write, open, wait for an idle kernel.

    ``ui="notebook"`` opens it in Jupyter Notebook 7. Nothing runs until the test calls
    ``nb.run_cell(i)``/``nb.run_all()``; ``nb.output(i)`` is a cell's output area, ``nb.kernel`` a
    client of its kernel (``eval``, ``execute``, ``wait_for``). Teardown closes the page, then
    deletes each notebook's session, which shuts its kernel down.
    """
    opened: list[Notebook] = []

    def _open(*cells: str, name: str | None = None, ui: str = "lab") -> Notebook:
        notebook = open_in_page(jupyter_lab, page, cells, name or artifacts.artifact_name(request.node), ui)
        opened.append(notebook)
        return notebook

    yield _open
    request.node.stash[_failure_artifacts].save_if_failed()
    page.close()  # first, so the page does not react to its kernel going away
    for notebook in opened:
        shut_down(jupyter_lab, notebook)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Iterator[artifacts.Screenshots]:
    """``screenshot(target, name, docs=None, **options) -> Path``: see ``harness.artifacts.Screenshots``."""
    shots = artifacts.Screenshots(request.node)
    yield shots
    shots.publish()

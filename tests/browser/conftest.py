"""Real-browser fixtures: JupyterLab, headless Chromium with a fake microphone, notebooks, kernels.

How the pieces fit:

- ``jupyter_lab`` (session): a JupyterLab server on a free loopback port, root dir in a temp dir,
  a random token, nothing fetched from the network (news, update checks and the PyPI extension
  manager are off). ``window.jupyterapp`` is exposed so the tests drive the app's own commands.
- ``fake_mic`` (session): the WAV Chromium plays as the microphone (``speech.PARAGRAPH`` spoken
  by espeak-ng, then silence; Chromium loops the file). Test modules here can ``import speech``.
- ``alignment`` / ``word_ends`` (session): when each word of ``fake_mic`` is spoken (Whisper's
  word timestamps on the whole file); ``alignment`` also scripts the Deepgram test server.
- ``browser`` (session): Debian's Chromium under Playwright, fake microphone flags on.
- ``page`` (function): a fresh browser context with the microphone granted to the server's
  origin. On failure a screenshot, the browser console and the server log (kernel stderr
  included) go to ``tests/.artifacts/``.
- ``open_notebook`` (function): writes a notebook with the given cells into the server's root,
  opens it in ``page`` (JupyterLab, or Notebook 7 with ``ui="notebook"``) and waits until its
  kernel is idle; returns a ``Notebook``.

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

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from websockets.sync.client import ClientConnection, connect

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))
import speech  # noqa: E402  (lives in tests/, shared with benchmarks/)

ARTIFACTS = TESTS_DIR / ".artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SERVER_START_TIMEOUT = 60.0

# Settings a fresh JupyterLab user would otherwise be asked about, or that reach the network.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


# --- failure artifacts ---------------------------------------------------------------------

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _failed(node: pytest.Item) -> bool:
    return any(r.failed for r in node.stash.get(_reports, {}).values())


def _artifact_name(node: pytest.Item) -> str:
    return re.sub(r"[^\w.-]+", "_", node.nodeid.split("::", 1)[-1])


# --- JupyterLab ----------------------------------------------------------------------------


@dataclass
class JupyterLab:
    """A running JupyterLab server: where it is, how to authenticate, where it logs."""

    port: int
    token: str
    root_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str, workspace: str | None = None) -> str:
        """URL that opens ``path`` in JupyterLab; a fresh ``workspace`` restores no earlier tabs."""
        prefix = f"/lab/workspaces/{workspace}" if workspace else "/lab"
        return f"{self.origin}{prefix}/tree/{path}?token={self.token}"

    def notebook_url(self, path: str) -> str:
        """URL that opens ``path`` in Jupyter Notebook 7, which the same server serves."""
        return f"{self.origin}/notebooks/{path}?token={self.token}"

    def api(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        """Call the server's REST API (``path`` like ``/api/sessions``); returns the decoded JSON."""
        request = urllib.request.Request(
            f"{self.origin}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
        return json.loads(data) if data else None

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (the kernels: jupyter_client starts them in their own session)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _stop_server(lab: JupyterLab) -> None:
    try:
        for kernel in lab.api("GET", "/api/kernels"):
            lab.api("DELETE", f"/api/kernels/{kernel['id']}")
    except (OSError, urllib.error.URLError):
        pass  # the server is already gone; the kill below still runs
    kernels = _child_pids(lab.process.pid)
    lab.process.send_signal(signal.SIGTERM)
    try:
        lab.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        lab.process.kill()
        lab.process.wait()
    for pid in kernels:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="session")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab server for the whole session, ready when the fixture returns.

    Polls ``/api/status`` for up to 60 s; on failure the server log is in the error. Teardown
    shuts the kernels down, stops the server and kills any kernel still alive.
    """
    base = tmp_path_factory.mktemp("jupyter")
    root_dir, settings_dir = base / "root", base / "settings"
    root_dir.mkdir()
    for name, value in LAB_SETTINGS.items():
        (settings_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (settings_dir / name).write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
    }
    log_path = base / "jupyter-server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter", "lab", "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.allow_root=True",  # CI runs as root
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root_dir}",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
                "--LabApp.expose_app_in_browser=True",
                "--JupyterNotebookApp.expose_app_in_browser=True",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=root_dir,
            start_new_session=True,
        )
    lab = JupyterLab(port, token, root_dir, log_path, process)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{lab.log_tail()}")
        try:
            lab.api("GET", "/api/status", timeout=2)
            break
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                _stop_server(lab)
                pytest.fail(f"JupyterLab did not answer in {SERVER_START_TIMEOUT:.0f} s:\n{lab.log_tail()}")
            time.sleep(0.2)
    try:
        yield lab
    finally:
        _stop_server(lab)


# --- fake microphone and browser -----------------------------------------------------------


class FakeMic(NamedTuple):
    """What Chromium's fake microphone plays: ``text`` spoken, then 6 s of silence, in a loop.

    Every getUserMedia call starts the file from its beginning (checked with Chromium 156), so
    a recording started by pressing Start hears the whole text first.
    """

    wav: Path
    text: str


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
def browser(fake_mic: FakeMic) -> Iterator[Browser]:
    """Headless Debian Chromium (never a Playwright download) whose microphone plays ``fake_mic``."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (or set CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={fake_mic.wav}",
                "--autoplay-policy=no-user-gesture-required",
                "--no-sandbox",  # needed as root
                "--disable-gpu",
                # The machine has no network: keep Chromium from trying.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
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
    words = engine.transcribe(engine.load(), decode_audio(str(fake_mic.wav)), "")
    return [(w.word, w.start, w.end) for w in words]


@pytest.fixture(scope="session")
def word_ends(alignment: list[tuple[str, float, float]]) -> list[tuple[str, float]]:
    """Each spoken word and when it ends in the fake microphone's audio (seconds)."""
    return [(word, end) for word, _, end in alignment]


_save_artifacts = pytest.StashKey[Callable[[], None]]()


@pytest.fixture
def page(browser: Browser, jupyter_lab: JupyterLab, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context, microphone granted to JupyterLab's origin; artifacts on failure."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["microphone"], origin=jupyter_lab.origin)
    page = context.new_page()
    page.set_default_timeout(30_000)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    saved = False

    def save_artifacts() -> None:
        """On failure, once: screenshot, browser console and server log into tests/.artifacts/."""
        nonlocal saved
        if saved or not _failed(request.node):
            return
        saved = True
        ARTIFACTS.mkdir(exist_ok=True)
        name = _artifact_name(request.node)
        try:
            page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            console.append(f"[screenshot failed] {exc}")
        (ARTIFACTS / f"{name}.console.log").write_text("\n".join(console) + "\n")
        shutil.copy(jupyter_lab.log_path, ARTIFACTS / f"{name}.server.log")

    # open_notebook tears down first and calls this before it shuts the kernel down.
    request.node.stash[_save_artifacts] = save_artifacts
    yield page
    save_artifacts()
    context.close()


# --- kernel access -------------------------------------------------------------------------


class KernelError(AssertionError):
    """Code run in the kernel raised; the message carries the kernel's traceback."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _error_text(content: dict[str, Any]) -> str:
    return _ANSI.sub("", "\n".join(content.get("traceback") or [f"{content['ename']}: {content['evalue']}"]))


@dataclass
class Kernel:
    """A second client of a notebook's kernel, over the server's kernel websocket.

    Code sent here is queued behind whatever the notebook is running, and the widget's comm
    messages are handled between requests, so polling with ``wait_for`` lets the kernel work.
    """

    lab: JupyterLab
    kernel_id: str
    _ws: ClientConnection | None = field(default=None, repr=False)
    _exit: ExitStack = field(default_factory=ExitStack, repr=False)
    _session: str = field(default_factory=lambda: uuid.uuid4().hex)

    def _connect(self) -> ClientConnection:
        if self._ws is None:
            url = (f"ws://127.0.0.1:{self.lab.port}/api/kernels/{self.kernel_id}/channels"
                   f"?session_id={self._session}")
            self._ws = self._exit.enter_context(connect(
                url, additional_headers={"Authorization": f"token {self.lab.token}"},
                max_size=None, open_timeout=10,
            ))
        return self._ws

    def close(self) -> None:
        self._exit.close()
        self._ws = None

    def execute(self, code: str, timeout: float = 30.0) -> str:
        """Run ``code`` in the kernel; return its stdout. Raises ``KernelError`` if it raised."""
        ws = self._connect()
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": self._session,
                       "username": "test", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": False},
        }))
        stdout: list[str] = []
        error: str | None = None
        replied = idle = False
        deadline = time.monotonic() + timeout
        while not (replied and idle):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"kernel did not finish {code!r} in {timeout} s")
            frame = ws.recv(timeout=remaining)
            if isinstance(frame, bytes):
                continue  # binary frames carry comm buffers for the notebook, never our replies
            msg = json.loads(frame)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout":
                stdout.append(content["text"])
            elif kind == "error":
                error = _error_text(content)
            elif kind == "execute_reply":
                replied = True
                if content["status"] == "error" and error is None:
                    error = _error_text(content)
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        if error is not None:
            raise KernelError(f"kernel raised while running {code!r}:\n{error}")
        return "".join(stdout)

    def eval(self, expr: str, timeout: float = 30.0) -> Any:
        """The value of ``expr`` in the notebook's namespace, round-tripped through JSON."""
        marker = f"@@{uuid.uuid4().hex}@@"
        out = self.execute(f"print({marker!r} + __import__('json').dumps({expr}))", timeout)
        line = next(line for line in out.splitlines() if line.startswith(marker))
        return json.loads(line[len(marker):])

    def wait_for(
        self,
        expr: str,
        predicate: Callable[[Any], bool] = bool,
        timeout: float = 60.0,
        interval: float = 0.5,
    ) -> Any:
        """Poll ``expr`` until ``predicate(value)`` holds; return the value. Raises on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expr)
            if predicate(value):
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expr} never satisfied the condition in {timeout} s; last: {value!r}")
            time.sleep(interval)


# --- notebooks -----------------------------------------------------------------------------

# JavaScript run in the page. window.jupyterapp is there thanks to --LabApp.expose_app_in_browser
# (and --JupyterNotebookApp.expose_app_in_browser in Notebook 7, whose shell has the same API).
_KERNEL_IDLE = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return false;
  const panel = Array.from(app.shell.widgets('main')).find((w) => w.context && w.context.path === path);
  const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}
"""

# Runs one cell (as Shift+Enter would, without moving on) or all of them, through the app's own
# commands; their promise settles when the cells have finished. Returns every cell's outputs.
_RUN = """
async ([path, index, timeoutMs]) => {
  const app = window.jupyterapp;
  const panel = Array.from(app.shell.widgets('main')).find((w) => w.context && w.context.path === path);
  app.shell.activateById(panel.id);
  const notebook = panel.content;
  let command = 'notebook:run-all-cells';
  if (index !== null) {
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    command = 'notebook:run-cell';
  }
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cells still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([app.commands.execute(command), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return notebook.widgets.map((cell) => cell.model.toJSON().outputs || []);
}
"""


@dataclass
class Notebook:
    """A notebook open in JupyterLab in ``page``, with its kernel idle and reachable."""

    page: Page
    path: str
    session_id: str
    kernel: Kernel

    def output(self, index: int) -> Locator:
        """The output area of cell ``index``, to find a widget's controls in, e.g.
        ``nb.output(0).get_by_role("button", name="Start", exact=True)``."""
        cell = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)
        return cell.locator(".jp-OutputArea")

    def run_cell(self, index: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Run cell ``index`` as Shift+Enter would, wait until it finished; return its nbformat outputs.

        Raises ``KernelError`` if the cell raised.
        """
        return self._run(index, timeout)[index]

    def run_all(self, timeout: float = 120.0) -> list[list[dict[str, Any]]]:
        """Run every cell (Run > Run All Cells) and wait for them; return each cell's outputs."""
        return self._run(None, timeout)

    def _run(self, index: int | None, timeout: float) -> list[list[dict[str, Any]]]:
        outputs = self.page.evaluate(_RUN, [self.path, index, int(timeout * 1000)])
        for cell_outputs in outputs if index is None else [outputs[index]]:
            for output in cell_outputs:
                if output["output_type"] == "error":
                    raise KernelError(f"cell raised in {self.path}:\n{_error_text(output)}")
        return outputs

    @staticmethod
    def text(outputs: list[dict[str, Any]]) -> str:
        """The plain text of a cell's outputs (streams and text/plain results), concatenated."""
        parts = []
        for output in outputs:
            if output["output_type"] == "stream":
                parts.append("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
            elif "data" in output and "text/plain" in output["data"]:
                data = output["data"]["text/plain"]
                parts.append("".join(data) if isinstance(data, list) else data)
        return "".join(parts)


def _write_notebook(path: Path, cells: tuple[str, ...]) -> None:
    path.write_text(json.dumps({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {"cell_type": "code", "id": uuid.uuid4().hex[:8], "metadata": {},
             "execution_count": None, "outputs": [], "source": source}
            for source in cells
        ],
    }, indent=1))


@pytest.fixture
def open_notebook(jupyter_lab: JupyterLab, page: Page, request: pytest.FixtureRequest) -> Iterator[Callable[..., Notebook]]:
    """``open_notebook(*cells, name=None, ui="lab") -> Notebook``: write, open, wait for an idle kernel.

    ``ui="notebook"`` opens it in Jupyter Notebook 7 instead of JupyterLab. Nothing runs until the test calls ``run_cell``/``run_all``. Teardown closes the page, then
    deletes the notebook's session, which shuts its kernel down.
    """
    opened: list[Notebook] = []

    def _open(*cells: str, name: str | None = None, ui: str = "lab") -> Notebook:
        unique = uuid.uuid4().hex[:6]
        path = f"{name or _artifact_name(request.node)}-{unique}.ipynb"
        _write_notebook(jupyter_lab.root_dir / path, cells)
        # A workspace of its own, so JupyterLab does not reopen (and restart kernels for) the
        # notebooks of earlier tests.
        url = jupyter_lab.notebook_url(path) if ui == "notebook" else jupyter_lab.lab_url(path, workspace=f"test-{unique}")
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_function(_KERNEL_IDLE, arg=path, timeout=60_000, polling=200)
        sessions = [s for s in jupyter_lab.api("GET", "/api/sessions") if s["path"] == path]
        assert sessions, f"JupyterLab opened {path} but the server has no session for it"
        session = sessions[0]
        notebook = Notebook(page, path, session["id"], Kernel(jupyter_lab, session["kernel"]["id"]))
        opened.append(notebook)
        return notebook

    yield _open
    request.node.stash[_save_artifacts]()
    page.close()  # first, so the page does not react to its kernel going away
    for notebook in opened:
        notebook.kernel.close()
        try:
            jupyter_lab.api("DELETE", f"/api/sessions/{notebook.session_id}")
        except (OSError, urllib.error.URLError):
            pass  # already gone

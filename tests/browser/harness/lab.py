"""A JupyterLab server for browser tests: loopback only, a random token, nothing fetched from the network."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_START_TIMEOUT = 60.0

# Settings a fresh JupyterLab user would otherwise be asked about, or that reach the network.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


class ServerError(RuntimeError):
    """JupyterLab exited or did not answer; the message carries the end of its log."""


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


def start(base: Path) -> JupyterLab:
    """Start JupyterLab with its root, settings and runtime dirs under ``base``; return it once it answers.

    Polls ``/api/status`` for up to ``SERVER_START_TIMEOUT`` s; raises ``ServerError`` with the
    server's log if it exits or never answers.
    """
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
        **_base_prefix_paths(),
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
            raise ServerError(f"JupyterLab exited with {process.returncode}:\n{lab.log_tail()}")
        try:
            lab.api("GET", "/api/status", timeout=2)
            return lab
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                stop(lab)
                raise ServerError(f"JupyterLab did not answer in {SERVER_START_TIMEOUT:.0f} s:\n{lab.log_tail()}") from None
            time.sleep(0.2)


def stop(lab: JupyterLab) -> None:
    """Shut the kernels down, stop the server, and kill any kernel still alive."""
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


def _base_prefix_paths() -> dict[str, str]:
    """In a virtualenv made with ``--system-site-packages``, the base interpreter's Jupyter data (lab
    extensions such as anywidget's) and config (server extensions such as Notebook 7) as extra search
    paths: Jupyter looks under the venv's own prefix only, though the venv imports the base's packages."""
    if sys.prefix == sys.base_prefix:
        return {}
    paths = {}
    for variable, folder in (("JUPYTER_PATH", "share/jupyter"), ("JUPYTER_CONFIG_PATH", "etc/jupyter")):
        found = Path(sys.base_prefix) / folder
        if found.is_dir():
            paths[variable] = os.pathsep.join(filter(None, [os.environ.get(variable), str(found)]))
    return paths


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

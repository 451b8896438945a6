"""A marimo notebook served as an app (``marimo run``) for browser tests: loopback only, nothing fetched."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SERVER_START_TIMEOUT = 60.0


class ServerError(RuntimeError):
    """marimo exited or did not answer; the message carries the end of its log."""


@dataclass
class MarimoApp:
    """A running ``marimo run`` server for one notebook file."""

    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start(notebook: Path) -> MarimoApp:
    """Serve ``notebook`` with ``marimo run`` (its folder is the working directory); return once it answers.

    Each page that opens it gets its own session, which runs every cell. Raises ``ServerError`` with
    the server's log if it exits or does not answer within ``SERVER_START_TIMEOUT`` s.
    """
    port = _free_port()
    log_path = notebook.with_suffix(".server.log")
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "MARIMO_SKIP_UPDATE_CHECK": "1",  # it would ask the network for marimo's latest version
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "marimo", "run", str(notebook),
                "--headless", "--no-token", "--host", "127.0.0.1", "--port", str(port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=notebook.parent,
            start_new_session=True,
        )
    app = MarimoApp(port, log_path, process)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise ServerError(f"marimo exited with {process.returncode}:\n{app.log_tail()}")
        try:
            with urllib.request.urlopen(f"{app.origin}/health", timeout=2):
                return app
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                stop(app)
                raise ServerError(f"marimo did not answer in {SERVER_START_TIMEOUT:.0f} s:\n{app.log_tail()}") from None
            time.sleep(0.2)


def stop(app: MarimoApp) -> None:
    """Stop the server and whatever it started (its own process group)."""
    try:
        os.killpg(app.process.pid, signal.SIGTERM)
        app.process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(app.process.pid, signal.SIGKILL)
        app.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

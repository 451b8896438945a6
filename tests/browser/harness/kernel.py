"""A second client of a notebook's kernel, over the Jupyter server's kernel websocket."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.client import ClientConnection, connect

from .lab import JupyterLab

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class KernelError(AssertionError):
    """Code run in the kernel raised; the message carries the kernel's traceback."""


def error_text(content: dict[str, Any]) -> str:
    """The traceback of an ``error`` message or output, without terminal colours."""
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
                # The server sends this client every iopub message (the widget's syncs too), and
                # it reads them only inside execute(). With a bounded queue the connection stops
                # reading when the queue fills between polls, pongs go unread and keepalive closes
                # it (CI: "1011 keepalive ping timeout"). Buffer everything; no pings on loopback.
                max_queue=None, ping_interval=None,
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
                error = error_text(content)
            elif kind == "execute_reply":
                replied = True
                if content["status"] == "error" and error is None:
                    error = error_text(content)
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

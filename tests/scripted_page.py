"""What a page sends a transcriber, and a front end that keeps what it is sent back: for the tests
that drive a :class:`~live_transcriber.Transcriber` by hand (its fixtures are in ``conftest.py``)."""

from __future__ import annotations

from typing import Any

from live_transcriber import Transcriber

WEBM = "audio/webm;codecs=opus"


class Page:
    """A front end that keeps what the kernel sends to the page."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def changed(self, changes: dict[str, Any]) -> None:
        pass

    def send(self, message: dict[str, Any], buffers: Any = None) -> None:
        self.messages.append(message)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]


def start(core: Transcriber, recording: str = "r1", **fields: Any) -> None:
    core.receive({"type": "start", "recording": recording, "mime_type": WEBM, **fields})


def chunk(core: Transcriber, seq: int, data: bytes = b"x", recording: str = "r1") -> None:
    core.receive({"type": "chunk", "recording": recording, "seq": seq}, [memoryview(data)])


def stop(core: Transcriber, recording: str = "r1", chunks: int | None = None) -> None:
    core.receive({"type": "stop", "recording": recording, **({"chunks": chunks} if chunks is not None else {})})

"""Shared fixtures: a local Deepgram-protocol server (:mod:`live_transcriber.testing.deepgram_server`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from live_transcriber.testing.deepgram_server import DeepgramServer


@pytest.fixture
def make_deepgram_server() -> Iterator[Callable[..., DeepgramServer]]:
    """Start Deepgram test servers (arguments as for :class:`DeepgramServer`); all stop after the test."""
    servers: list[DeepgramServer] = []

    def make(*args: Any, **kwargs: Any) -> DeepgramServer:
        server = DeepgramServer(*args, **kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()

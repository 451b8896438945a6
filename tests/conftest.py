"""Shared fixtures: a transcriber on a scripted engine (``engine``, ``core``, ``front``; what a page
sends it is in ``scripted_page.py``), and a local Deepgram-protocol server
(:mod:`live_transcriber.testing.deepgram_server`), speech to send it and Deepgram engines pointed at
it (helpers in ``deepgram_support.py``). Journals go to a temporary folder (``../conftest.py``).
"""

from __future__ import annotations

import _thread
import gc
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from live_transcriber import Transcriber
from live_transcriber.engines.deepgram import DeepgramEngine
from live_transcriber.testing import FakeFrontEnd, ScriptedEngine
from live_transcriber.testing.deepgram_server import DeepgramServer, ScriptWord

from deepgram_support import KEY, SENTENCES, Recording, encode, speak


@pytest.fixture
def stop_button() -> Iterator[Callable[[], None]]:
    """The kernel's stop button: call it, from any thread, to raise KeyboardInterrupt in the main thread.

    While the test runs, SIGINT raises KeyboardInterrupt, as in a kernel, even when the test process
    started with SIGINT ignored: a background job of a non-interactive shell (``cmd &`` in a script)
    starts that way, and then ``_thread.interrupt_main()`` does nothing and a test waiting for it hangs
    (seen: a CI run started so, in ``transcribe_file``). And no garbage collection of cycles: the
    interrupt is raised wherever the main thread runs Python code next, and in a finalizer the
    collector runs (an earlier test's unclosed transcriber) it is swallowed as "Exception ignored in".
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    gc.disable()
    try:
        yield _thread.interrupt_main
    finally:
        gc.enable()
        signal.signal(signal.SIGINT, previous)


@pytest.fixture
def engine() -> ScriptedEngine:
    """An engine whose events the test gives (``engine.say``, ``engine.stream.emit``)."""
    return ScriptedEngine()


@pytest.fixture
def core(engine: ScriptedEngine) -> Iterator[Transcriber]:
    """A transcriber on ``engine``, closed after the test."""
    transcriber = Transcriber(engine)
    yield transcriber
    transcriber.close()


@pytest.fixture
def front(core: Transcriber) -> FakeFrontEnd:
    """What a widget showing ``core`` is told."""
    front = FakeFrontEnd()
    core.attach(front)
    return front


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


@pytest.fixture(scope="session")
def speech() -> tuple[bytes, list[ScriptWord]]:
    return speak(SENTENCES)


@pytest.fixture(scope="session")
def webm(speech: tuple[bytes, list[ScriptWord]]) -> Recording:
    return encode(speech, "webm")


@pytest.fixture
def server(make_deepgram_server: Callable[..., DeepgramServer], webm: Recording) -> DeepgramServer:
    return make_deepgram_server(KEY, webm.script, timeout=1.5)


@pytest.fixture
def engines() -> Iterator[Callable[..., DeepgramEngine]]:
    made: list[DeepgramEngine] = []

    def make(server: DeepgramServer | None = None, **kwargs: object) -> DeepgramEngine:
        kwargs.setdefault("api_key", KEY)
        if server is not None:
            kwargs.setdefault("base_url", server.base_url)
        engine = DeepgramEngine(**kwargs)  # type: ignore[arg-type]
        engine.reconnect_delay = 0.05
        engine.keepalive_interval = 0.3
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()

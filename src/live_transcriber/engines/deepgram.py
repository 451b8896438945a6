"""Deepgram's live API as an engine: the browser's container stream goes to Deepgram as is.

Each engine owns a thread running an asyncio loop, so connections stay alive (KeepAlive) while
the kernel's main thread is busy with other cells. A stream survives dropped connections: a new
connection replays the container header and the audio not yet final, and what the server says is
translated into events by :mod:`.deepgram_protocol` (times shifted, words already final dropped).
This module is the I/O half: connecting, sending, waiting, reconnecting.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
import warnings
import weakref
from contextlib import AbstractAsyncContextManager
from typing import Any, Callable

from ..media import BROWSER, Source
from ..results import EngineError, EngineStatus, Event, StreamClosed
from ..settings import MissingKeyError, find_api_key, setting
from .base import Engine, EngineStream, EventSink
from .deepgram_protocol import DeepgramProtocol, ServerMessage

# The SDK's async client is built on websockets' legacy API, which warns on import: users cannot
# act on these, so keep them quiet. The client module would otherwise load lazily, on the first
# connection, outside this filter.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from deepgram import AsyncDeepgramClient, DeepgramClientEnvironment
    from deepgram.core import ApiError, EventType
    from deepgram.listen.v1.socket_client import AsyncV1SocketClient
    from websockets.exceptions import ConnectionClosed, ConnectionClosedError, WebSocketException

    importlib.import_module("deepgram.listen.v1.client")

log = logging.getLogger(__name__)

_DEFAULT_URL = "wss://api.deepgram.com"
# A replay of minutes of audio is sent in pieces of this size rather than one huge frame.
_MAX_MESSAGE = 64 * 1024

_Connect = Callable[[], AbstractAsyncContextManager[AsyncV1SocketClient]]


def _environment(base_url: str) -> DeepgramClientEnvironment:
    url = base_url.rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"base_url must look like ws://host:port or wss://host, not {base_url!r}")
    ws_scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
    http_scheme = {"ws": "http", "wss": "https"}.get(ws_scheme, ws_scheme)
    ws_url, http_url = f"{ws_scheme}://{rest}", f"{http_scheme}://{rest}"
    return DeepgramClientEnvironment(base=http_url, production=ws_url, agent=ws_url, agent_rest=http_url)


class DeepgramEngine(Engine):
    """Transcribe with Deepgram's streaming API (``/v1/listen``).

    The API key comes from ``api_key``, else ``DEEPGRAM_API_KEY``, else a ``.env`` file; the
    endpoint from ``base_url``, else ``DEEPGRAM_BASE_URL`` (e.g. ``ws://127.0.0.1:8080`` for a
    self-hosted or test server), else Deepgram's. The keyword options map onto Deepgram's query
    parameters of the same names (None leaves Deepgram's default); ``extra`` adds any other query
    parameters as they are. A dropped connection is re-established up to ``reconnect_attempts``
    times in a row without losing audio.
    """

    #: Seconds without audio after which a KeepAlive is sent (Deepgram closes after 10).
    keepalive_interval: float = 4.0
    #: Seconds to wait for the result of Finalize, then for the close after CloseStream.
    finalize_timeout: float = 5.0
    close_timeout: float = 5.0
    #: First delay before reconnecting; it doubles per failed attempt, up to ``max_reconnect_delay``.
    reconnect_delay: float = 0.5
    max_reconnect_delay: float = 8.0
    #: Whether a stream ends with Finalize before CloseStream. Set to False by the engine once the
    #: server answers Finalize with an error (WhisperLiveKit does): CloseStream alone also flushes.
    finalize_supported: bool = True

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        model: str = "nova-3",
        language: str = "en",
        punctuate: bool = True,
        smart_format: bool = True,
        interim_results: bool = True,
        endpointing: int | bool | None = None,
        utterance_end_ms: int | None = None,
        vad_events: bool | None = None,
        diarize: bool | None = None,
        keyterm: list[str] | None = None,
        extra: dict[str, Any] | None = None,
        reconnect_attempts: int = 5,
    ) -> None:
        key = find_api_key(api_key)
        if not key:
            raise MissingKeyError()
        if utterance_end_ms is not None and not interim_results:
            raise ValueError("utterance_end_ms needs interim_results=True (Deepgram refuses it otherwise)")
        self.base_url = (base_url or setting("DEEPGRAM_BASE_URL") or _DEFAULT_URL).rstrip("/")
        self.model = model
        self.reconnect_attempts = reconnect_attempts
        self.label = f"Deepgram · {model}"
        self._key = key
        options: dict[str, Any] = {
            "model": model,
            "language": language,
            "punctuate": punctuate,
            "smart_format": smart_format,
            "interim_results": interim_results,
            "endpointing": endpointing,
            "utterance_end_ms": utterance_end_ms,
            "vad_events": vad_events,
            "diarize": diarize,
            "keyterm": list(keyterm) if keyterm else None,
        }
        self._options = {k: v for k, v in options.items() if v is not None}
        if extra:
            self._options["request_options"] = {"additional_query_parameters": dict(extra)}
        self._client = AsyncDeepgramClient(api_key=key, environment=_environment(self.base_url))
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._streams: weakref.WeakSet[_DeepgramStream] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"DeepgramEngine(model={self.model!r}, base_url={self.base_url!r})"

    def open(self, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> EngineStream:
        stream = _DeepgramStream(self, mime_type, emit, self._event_loop(), connect=self._connect, scrub=self._scrub)
        self._streams.add(stream)
        return stream

    def close(self) -> None:
        """Abort open streams and stop the engine's thread."""
        for stream in list(self._streams):
            stream.abort()
            stream.wait(self.close_timeout)
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(self.close_timeout)
            loop.close()

    def _connect(self) -> AbstractAsyncContextManager[AsyncV1SocketClient]:
        return self._client.listen.v1.connect(**self._options)

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name="deepgram-engine", daemon=True
                )
                self._thread.start()
            return self._loop

    def _scrub(self, text: str) -> str:
        """``text`` from a server or library, safe to show: the key can never be in it."""
        return text.replace(self._key, "***") if text else text


class _Retry(Exception):
    """The connection failed in a way a new connection may fix."""


class _Fatal(Exception):
    """The stream cannot continue (the message is for the user)."""


class _DeepgramStream(EngineStream):
    """One recording, over as many Deepgram connections as it takes.

    ``engine`` gives the tuning (timeouts, reconnect bounds, labels); ``connect`` opens one SDK
    connection; ``scrub`` removes the API key from text that may be shown.
    """

    def __init__(
        self,
        engine: DeepgramEngine,
        mime_type: str,
        emit: EventSink,
        loop: asyncio.AbstractEventLoop,
        *,
        connect: _Connect,
        scrub: Callable[[str], str],
    ) -> None:
        self._engine = engine
        self._connect = connect
        self._scrub = scrub
        self._mime_type = mime_type
        self._sink = emit
        self._loop = loop
        self._closed = threading.Event()
        # The fields below belong to the engine's loop thread.
        self._protocol = DeepgramProtocol(mime_type, scrub)
        self._wake = asyncio.Event()
        self._ending = False
        self._done = False
        self._connection = 0  # which connection messages are for: a late one from an old one is dropped
        self._finalized = asyncio.Event()
        self._flushed = asyncio.Event()
        self._finalize_refused = asyncio.Event()
        self._connected_once = False
        self._task: asyncio.Task[None] | None = None
        self._call(self._start)

    # --- the caller's side (any thread) ---------------------------------------------------

    def write(self, data: bytes) -> None:
        if not self._closed.is_set():
            self._call(self._on_data, bytes(data))

    def end(self) -> None:
        self._call(self._on_end)

    def abort(self) -> None:
        self._call(self._on_abort)

    def wait(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    def _call(self, callback: Any, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the engine was closed: nothing left to feed
            pass

    # --- the loop thread ------------------------------------------------------------------

    def _start(self) -> None:
        self._task = self._loop.create_task(self._run())
        # A done callback, unlike a finally clause, also runs for a task cancelled before it started.
        self._task.add_done_callback(self._on_stopped)

    def _on_stopped(self, _task: asyncio.Task[None]) -> None:
        self._done = True
        self._emit(StreamClosed())
        self._closed.set()

    def _on_abort(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _on_data(self, data: bytes) -> None:
        if not self._done and data:
            self._protocol.feed(data)
            self._wake.set()

    def _on_end(self) -> None:
        self._ending = True
        self._wake.set()

    def _emit(self, event: Event) -> None:
        try:
            self._sink(event)
        except Exception:
            log.exception("The event handler failed on %s", type(event).__name__)

    async def _run(self) -> None:
        try:
            await self._connect_until_done()
        except _Fatal as exc:
            self._emit(EngineError(str(exc)))
        except asyncio.CancelledError:
            pass  # abort()
        except Exception as exc:  # a bug here must not kill the thread silently
            log.error("Deepgram stream failed: %s", type(exc).__name__, exc_info=True)
            self._emit(EngineError(f"The Deepgram engine failed unexpectedly ({type(exc).__name__})."))

    async def _connect_until_done(self) -> None:
        engine = self._engine
        failures = 0
        while True:
            safe = self._protocol.safe
            try:
                await self._connect_once()
                return
            except _Retry as exc:
                # A connection that made words final shortened the replay: count afresh after it.
                failures = 1 if self._protocol.safe > safe else failures + 1
                reason = str(exc)
            if failures > engine.reconnect_attempts:
                if self._connected_once:
                    raise _Fatal(
                        f"Lost the connection to Deepgram and could not reconnect "
                        f"({engine.reconnect_attempts} attempts; last: {reason}). The transcript so far is kept."
                    )
                raise _Fatal(f"Could not connect to Deepgram at {engine.base_url}: {reason}.")
            delay = min(engine.reconnect_delay * 2 ** (failures - 1), engine.max_reconnect_delay)
            phase = "reconnecting" if self._connected_once else "connecting"
            self._emit(EngineStatus(phase, f"attempt {failures} of {engine.reconnect_attempts}"))
            log.info("Deepgram %s: %s (attempt %d in %.1f s)", phase, reason, failures, delay)
            await asyncio.sleep(delay)

    async def _connect_once(self) -> None:
        """One connection: replay, stream, and if ending, flush. Raises _Retry or _Fatal."""
        log.debug("Connecting to %s/v1/listen", self._engine.base_url)
        try:
            async with self._connect() as conn:
                await self._converse(conn)
        except ApiError as exc:
            status = exc.status_code
            if status in (401, 403):
                raise _Fatal(
                    f"Deepgram rejected the API key ({status}). Check DEEPGRAM_API_KEY or the api_key argument."
                ) from None
            if status is not None and 400 <= status < 500 and status not in (408, 429):
                raise _Fatal(
                    f"Deepgram refused the connection (HTTP {status}): check the engine's options."
                ) from None
            raise _Retry(f"Deepgram answered HTTP {status}") from None
        except (OSError, asyncio.TimeoutError, WebSocketException) as exc:
            raise _Retry(self._describe(exc)) from None

    async def _converse(self, conn: AsyncV1SocketClient) -> None:
        engine = self._engine
        replay = self._protocol.connect()
        self._connection += 1
        connection = self._connection
        errors: list[BaseException] = []
        for event in (self._finalized, self._flushed, self._finalize_refused):
            event.clear()
        conn.on(EventType.MESSAGE, lambda message: self._on_message(message, connection))
        conn.on(EventType.ERROR, errors.append)
        listener = asyncio.create_task(conn.start_listening())
        self._connected_once = True
        self._emit(EngineStatus("ready"))
        log.debug("Connected; replaying %d bytes from %.2f s", len(replay), self._protocol.shift)
        try:
            await self._send(conn, replay)
            last_sent = asyncio.get_running_loop().time()
            while not listener.done():
                self._wake.clear()
                data = self._protocol.audio_to_send()
                if data:
                    await self._send(conn, data)
                    last_sent = asyncio.get_running_loop().time()
                    continue
                if self._ending:
                    if await self._finish(conn, listener, errors):
                        return
                    break
                idle = asyncio.get_running_loop().time() - last_sent
                if idle >= engine.keepalive_interval:
                    await conn.send_keep_alive()
                    last_sent = asyncio.get_running_loop().time()
                    continue
                waker = asyncio.create_task(self._wake.wait())
                await asyncio.wait(
                    [listener, waker], timeout=engine.keepalive_interval - idle, return_when=asyncio.FIRST_COMPLETED
                )
                waker.cancel()
        except ConnectionClosed:
            pass  # the listener reports why
        await asyncio.wait([listener], timeout=engine.close_timeout)
        raise self._failure(errors)

    async def _send(self, conn: AsyncV1SocketClient, data: bytes) -> None:
        for i in range(0, len(data), _MAX_MESSAGE):
            await conn.send_media(data[i : i + _MAX_MESSAGE])

    async def _finish(
        self, conn: AsyncV1SocketClient, listener: asyncio.Task[None], errors: list[BaseException]
    ) -> bool:
        """Finalize, then CloseStream; True once the last words are in, False if the connection broke."""
        engine = self._engine
        if engine.finalize_supported:
            self._protocol.finalize_sent()
            await conn.send_finalize()
            await _first(
                listener, self._finalized.wait(), self._finalize_refused.wait(), timeout=engine.finalize_timeout
            )
            if self._finalize_refused.is_set():
                # CloseStream flushes too; if the server closed the connection along with its
                # refusal, the next connection replays what is not final and sends only CloseStream.
                engine.finalize_supported = False
                if listener.done():
                    return False
            elif listener.done() and not self._finalized.is_set():
                return False
        await conn.send_close_stream()
        await _first(listener, timeout=engine.close_timeout)
        if self._finalized.is_set() or self._flushed.is_set():
            return True
        if not listener.done():
            message = "Deepgram did not confirm the end of the stream; the last words may be missing."
            self._emit(EngineError(message, fatal=False))
            return True
        # A clean close after CloseStream comes after Deepgram's flush; an error close may not.
        return not errors

    def _failure(self, errors: list[BaseException]) -> Exception:
        """What ended a connection that should have gone on."""
        closed = next((e for e in errors if isinstance(e, ConnectionClosedError)), None)
        if closed is not None and closed.rcvd is not None:
            code, reason = closed.rcvd.code, self._scrub(closed.rcvd.reason)
            if code == 1008:
                return _Fatal(
                    f"Deepgram could not decode the audio ({self._mime_type}): the format was not understood "
                    f"(close 1008{': ' + reason if reason else ''})."
                )
            return _Retry(f"Deepgram closed the connection ({code}{': ' + reason if reason else ''})")
        if closed is not None:
            return _Retry("the connection dropped")
        if errors:
            return _Retry(f"the connection failed ({type(errors[0]).__name__})")
        return _Retry("Deepgram closed the connection")

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused"
        if isinstance(exc, asyncio.TimeoutError):
            return "timed out"
        if isinstance(exc, OSError):
            return self._scrub(exc.strerror or type(exc).__name__)
        return f"the websocket handshake failed ({type(exc).__name__})"

    def _on_message(self, message: ServerMessage | None, connection: int) -> None:
        if connection != self._connection:
            return  # an earlier connection's last words: its times are not the current shift's
        # An exception here would stop the SDK's listener: never let one out.
        try:
            reply = self._protocol.receive(message)
        except Exception:
            log.exception("Could not handle a Deepgram message")
            return
        for event in reply.events:
            self._emit(event)
        if reply.finalized:
            self._finalized.set()
        if reply.flushed:
            self._flushed.set()
        if reply.finalize_refused:
            self._finalize_refused.set()


async def _first(task: asyncio.Task[None], *others: Any, timeout: float) -> None:
    """Wait until ``task`` or any of ``others`` (awaitables) completes, or ``timeout``."""
    extra = [asyncio.ensure_future(o) for o in others]
    try:
        await asyncio.wait([task, *extra], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in extra:
            future.cancel()

"""Deepgram's live API as an engine: the browser's container stream goes to Deepgram as is.

The Nova models use ``/v1/listen``; Flux (``model="flux-general-en"``) uses ``/v2/listen``, which
takes WebM/Opus and Ogg/Opus but not Safari's MP4/AAC, so other formats are turned into 16 kHz PCM
in the kernel first (:mod:`..media.transcode`). Each engine owns a thread running an asyncio loop,
so connections stay alive (KeepAlive) while the kernel's main thread is busy with other cells. A
stream survives dropped connections: a new connection replays the container header and the audio
not yet final, and what the server says is translated into events by :mod:`.deepgram_protocol`
(times shifted, words already final dropped). New keyterms go to a running stream with
``Configure``; a server that cannot take it gets them in a new connection's query, again losslessly.
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
from typing import Any, Callable, Union

from ..media import BROWSER, DecodeError, Source
from ..media.formats import LINEAR16, LINEAR16_RATE
from ..media.transcode import PcmTranscoder, needs_transcoding
from ..results import EngineError, EngineStatus, Event, StreamClosed
from ..settings import MissingKeyError, find_api_key, setting
from .base import Engine, EngineStream, EventSink, Keyterms
from .deepgram_protocol import ConfigureOutcome, DeepgramProtocol, FluxMessage, FluxProtocol, ServerMessage

# The SDK's async client is built on websockets' legacy API, which warns on import: users cannot
# act on these, so keep them quiet. The client module would otherwise load lazily, on the first
# connection, outside this filter.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from deepgram import AsyncDeepgramClient, DeepgramClientEnvironment
    from deepgram.core import ApiError, EventType
    from deepgram.listen.v1 import ListenV1Configure
    from deepgram.listen.v1.socket_client import AsyncV1SocketClient
    from deepgram.listen.v2 import ListenV2Configure
    from deepgram.listen.v2.socket_client import AsyncV2SocketClient
    from websockets.exceptions import ConnectionClosed, ConnectionClosedError, WebSocketException

    importlib.import_module("deepgram.listen.v1.client")
    importlib.import_module("deepgram.listen.v2.client")

log = logging.getLogger(__name__)

_DEFAULT_URL = "wss://api.deepgram.com"
# A replay of minutes of audio is sent in pieces of this size rather than one huge frame.
_MAX_MESSAGE = 64 * 1024

#: The status detail while a stream whose Finalize the server refused (closing) is flushed anew.
_FLUSH_AFTER_REFUSAL = "to end with CloseStream (the server refused Finalize)"

_Socket = Union[AsyncV1SocketClient, AsyncV2SocketClient]
#: Opens one connection with these keyterms (and raw PCM if True).
_Connect = Callable[[Keyterms, bool], AbstractAsyncContextManager[_Socket]]

#: Query options of /v1/listen that Flux (/v2/listen) does not have, with the defaults Flux ignores.
_NOVA_DEFAULTS: dict[str, Any] = {"language": "en", "punctuate": True, "smart_format": True, "interim_results": True}
_NOVA_ONLY = ("endpointing", "utterance_end_ms", "vad_events", "diarize")
#: Flux's turn thresholds and their valid ranges (Deepgram's API reference).
_FLUX_RANGES = {"eot_threshold": (0.5, 1.0), "eager_eot_threshold": (0.3, 0.9), "eot_timeout_ms": (500, 60000)}


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
    """Transcribe with Deepgram's streaming API (``/v1/listen``; ``/v2/listen`` for Flux models).

    The API key comes from ``api_key``, else ``DEEPGRAM_API_KEY``, else a ``.env`` file; the
    endpoint from ``base_url``, else ``DEEPGRAM_BASE_URL`` (e.g. ``ws://127.0.0.1:8080`` for a
    self-hosted, Deepgram-compatible or test server), else Deepgram's. The keyword options map onto
    Deepgram's query parameters of the same names (None leaves Deepgram's default); ``extra`` adds
    any other query parameters as they are. ``keyterms`` are the words to listen for (Nova-3 and
    Flux), changeable mid-stream. Flux (``model="flux-general-en"``) has turn thresholds instead
    of ``endpointing``/``utterance_end_ms``/``vad_events``/``diarize``: ``eot_threshold``,
    ``eager_eot_threshold`` and ``eot_timeout_ms``. A dropped connection is re-established up to
    ``reconnect_attempts`` times in a row without losing audio.
    """

    supports_keyterms = True
    #: Seconds without audio after which a KeepAlive is sent (Deepgram closes after 10). Flux has
    #: no KeepAlive: its connection is closed after this long and opened again when audio comes.
    keepalive_interval: float = 4.0
    #: Seconds to wait for the result of Finalize (Flux: ForceEndTurn), then for the close after
    #: CloseStream, counted from the last message the server sent: a busy server still talking
    #: is waited for.
    finalize_timeout: float = 5.0
    close_timeout: float = 5.0
    #: Seconds to wait for the answer to a Configure (new keyterms) before trying a new connection.
    configure_timeout: float = 5.0
    #: After CloseStream, seconds given per second of audio not final yet, on top of
    #: ``close_timeout``: a server may be far behind and say nothing while it catches up
    #: (WhisperLiveKit took 91 s for 16 s of audio sent at once, on these machines).
    drain_per_second: float = 8.0
    #: First delay before reconnecting; it doubles per failed attempt, up to ``max_reconnect_delay``.
    reconnect_delay: float = 0.5
    max_reconnect_delay: float = 8.0
    #: Whether a stream ends with Finalize (Flux: ForceEndTurn) before CloseStream. Set to False by
    #: the engine once the server refuses it (WhisperLiveKit does): CloseStream alone also flushes.
    finalize_supported: bool = True
    #: Whether new keyterms go to a running stream with Configure. Set to False by the engine once
    #: the server does not answer it (WhisperLiveKit, older self-hosted Deepgram): a new connection
    #: with the keyterms in its query does it instead.
    configure_supported: bool = True

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
        keyterms: list[str] | None = None,
        eot_threshold: float | None = None,
        eager_eot_threshold: float | None = None,
        eot_timeout_ms: int | None = None,
        extra: dict[str, Any] | None = None,
        reconnect_attempts: int = 5,
    ) -> None:
        key = find_api_key(api_key)
        if not key:
            raise MissingKeyError()
        self.base_url = (base_url or setting("DEEPGRAM_BASE_URL") or _DEFAULT_URL).rstrip("/")
        self.model = model
        #: Whether the model is Flux (turn-based, ``/v2/listen``).
        self.flux = model.startswith("flux")
        self.reconnect_attempts = reconnect_attempts
        self.label = f"Deepgram · {model}"
        self._key = key
        nova = {
            "language": language, "punctuate": punctuate, "smart_format": smart_format, "interim_results": interim_results,
            "endpointing": endpointing, "utterance_end_ms": utterance_end_ms, "vad_events": vad_events, "diarize": diarize,
        }
        flux = {"eot_threshold": eot_threshold, "eager_eot_threshold": eager_eot_threshold, "eot_timeout_ms": eot_timeout_ms}
        if self.flux:
            wrong = [k for k, v in nova.items() if v is not None and v != _NOVA_DEFAULTS.get(k)]
            if wrong:
                raise ValueError(
                    f"Flux ({model}) has no {', '.join(wrong)}: it detects turns itself (tune eot_threshold, "
                    "eager_eot_threshold, eot_timeout_ms) and always punctuates."
                )
            for name, value in flux.items():
                low, high = _FLUX_RANGES[name]
                if value is not None and not low <= value <= high:
                    raise ValueError(f"{name} must be between {low} and {high} (got {value!r}).")
            chosen = flux
        else:
            wrong = [k for k, v in flux.items() if v is not None]
            if wrong:
                raise ValueError(f"{', '.join(wrong)} are Flux options: use model='flux-general-en'.")
            if utterance_end_ms is not None and not interim_results:
                raise ValueError("utterance_end_ms needs interim_results=True (Deepgram refuses it otherwise)")
            chosen = nova
        self._options = {"model": model, **{k: v for k, v in chosen.items() if v is not None}}
        if extra:
            self._options["request_options"] = {"additional_query_parameters": dict(extra)}
        self.set_keyterms(keyterms)
        self._client = AsyncDeepgramClient(api_key=key, environment=_environment(self.base_url))
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._streams: weakref.WeakSet[_DeepgramStream] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"DeepgramEngine(model={self.model!r}, base_url={self.base_url!r})"

    def open(self, mime_type: str, emit: EventSink, *, source: Source = BROWSER) -> EngineStream:
        stream = _DeepgramStream(
            self, mime_type, emit, self._event_loop(), connect=self._connect, scrub=self._scrub, source=source
        )
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

    def _connect(self, keyterms: Keyterms, pcm: bool) -> AbstractAsyncContextManager[_Socket]:
        terms = list(keyterms) or None
        if self.flux:
            raw = {"encoding": "linear16", "sample_rate": LINEAR16_RATE} if pcm else {}
            return self._client.listen.v2.connect(**self._options, keyterm=terms, **raw)
        return self._client.listen.v1.connect(**self._options, keyterm=terms)

    @property
    def server_name(self) -> str:
        """How errors name the server: Deepgram, or the address of another one."""
        return "Deepgram" if self.base_url == _DEFAULT_URL else f"The server at {self.base_url}"

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


class _Reconnect(Exception):
    """A new connection is wanted (not a failure), e.g. to carry new keyterms in its query."""


class _Idle(Exception):
    """Flux only: no audio for a while, so the connection was closed cleanly; open one when audio comes."""


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
        source: Source = BROWSER,
    ) -> None:
        self._engine = engine
        self._connect = connect
        self._scrub = scrub
        self._mime_type = mime_type
        self._sink = emit
        self._loop = loop
        self._closed = threading.Event()
        self._flux = engine.flux
        self._end_called = False
        # Flux does not take every container: those it does not get are sent as raw PCM.
        self._transcoder: PcmTranscoder | None = None
        if self._flux and needs_transcoding(mime_type):
            self._transcoder = PcmTranscoder(mime_type, self._on_pcm, self._on_decode_error, source=source)
        protocol = FluxProtocol if self._flux else DeepgramProtocol
        # The fields below belong to the engine's loop thread.
        self._protocol = protocol(LINEAR16 if self._transcoder else mime_type, scrub)
        self._wake = asyncio.Event()
        self._ending = False
        self._done = False
        self._decode_error = ""
        self._last_heard = 0.0  # loop time of the server's latest message
        # Keyterms: the ones wanted, the ones the current connection has, a Configure awaiting its answer.
        self._keyterms: Keyterms = engine.keyterms
        self._live_keyterms: Keyterms = ()
        self._configuring: Keyterms | None = None
        self._configure_deadline = 0.0
        self._reconnect_reason = ""  # set when the current connection should make way for a new one
        self._connection = 0  # which connection messages are for: a late one from an old one is dropped
        self._finalized = asyncio.Event()
        self._flushed = asyncio.Event()
        self._finalize_refused = asyncio.Event()
        self._connected_once = False
        self._task: asyncio.Task[None] | None = None
        self._call(self._start)

    # --- the caller's side (any thread) ---------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._closed.is_set():
            return
        if self._transcoder is not None:
            self._transcoder.write(data)
        else:
            self._call(self._on_data, bytes(data))

    def end(self) -> None:
        if self._end_called:
            return
        self._end_called = True
        if self._transcoder is not None:
            # Its last PCM comes once it has decoded everything, which may take a while: not here.
            threading.Thread(target=self._end_after_transcoding, name="deepgram-transcode-end", daemon=True).start()
        else:
            self._call(self._on_end)

    def abort(self) -> None:
        if self._transcoder is not None:
            self._transcoder.abort()
        self._call(self._on_abort)

    def wait(self, timeout: float | None = None) -> bool:
        return self._closed.wait(timeout)

    def set_keyterms(self, terms: Keyterms) -> None:
        self._call(self._on_keyterms, tuple(terms))

    def _end_after_transcoding(self) -> None:
        assert self._transcoder is not None
        self._transcoder.close()  # every _on_pcm it causes is queued on the loop before _on_end
        self._call(self._on_end)

    def _on_pcm(self, pcm: bytes) -> None:  # the transcoder's thread
        self._call(self._on_data, pcm)

    def _on_decode_error(self, error: DecodeError) -> None:  # the transcoder's thread
        self._call(self._on_undecodable, str(error))

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

    def _on_undecodable(self, message: str) -> None:
        self._decode_error = message
        self._on_abort()

    def _on_keyterms(self, terms: Keyterms) -> None:
        self._keyterms = terms
        self._wake.set()

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
            if self._decode_error:  # else abort()
                self._emit(EngineError(self._decode_error))
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
            except _Reconnect as exc:
                log.info("Deepgram: a new connection %s", exc)
                self._emit(EngineStatus("reconnecting", str(exc)))
                continue
            except _Idle:
                # Wait for audio (or the end) with no connection open.
                while not self._ending and not self._protocol.unsent:
                    self._wake.clear()
                    await self._wake.wait()
                if not self._protocol.unsent:
                    return  # ended while idle: everything was flushed when the connection closed
                continue
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
        """One connection: replay, stream, and if ending, flush. Raises _Retry, _Reconnect, _Idle or _Fatal."""
        log.debug("Connecting to %s/%s/listen", self._engine.base_url, "v2" if self._flux else "v1")
        self._live_keyterms = self._keyterms
        try:
            async with self._connect(self._live_keyterms, self._transcoder is not None) as conn:
                await self._converse(conn)
        except ApiError as exc:
            status = exc.status_code
            if status in (401, 403):
                raise _Fatal(
                    f"{self._engine.server_name} rejected the API key ({status}). "
                    "Check DEEPGRAM_API_KEY or the api_key argument."
                ) from None
            if status is not None and 400 <= status < 500 and status not in (408, 429):
                raise _Fatal(
                    f"Deepgram refused the connection (HTTP {status}): check the engine's options."
                ) from None
            raise _Retry(f"Deepgram answered HTTP {status}") from None
        except (OSError, asyncio.TimeoutError, WebSocketException) as exc:
            raise _Retry(self._describe(exc)) from None

    async def _converse(self, conn: _Socket) -> None:
        engine = self._engine
        loop = asyncio.get_running_loop()
        replay = self._protocol.connect()
        self._connection += 1
        connection = self._connection
        errors: list[BaseException] = []
        for event in (self._finalized, self._flushed, self._finalize_refused):
            event.clear()
        self._configuring = None
        self._reconnect_reason = ""
        self._last_heard = loop.time()
        conn.on(EventType.MESSAGE, lambda message: self._on_message(message, connection))
        conn.on(EventType.ERROR, errors.append)
        listener = asyncio.create_task(conn.start_listening())
        self._connected_once = True
        self._emit(EngineStatus("ready"))
        log.debug("Connected; replaying %d bytes from %.2f s", len(replay), self._protocol.shift)
        try:
            await self._send(conn, replay)
            last_sent = loop.time()
            while not listener.done():
                self._wake.clear()
                data = self._protocol.audio_to_send()
                if data:
                    await self._send(conn, data)
                    last_sent = loop.time()
                    continue
                if self._ending:
                    if await self._finish(conn, listener, errors):
                        return
                    break
                if self._reconnect_reason:
                    raise _Reconnect(self._reconnect_reason)
                now = loop.time()
                if self._configuring is not None and now >= self._configure_deadline:
                    engine.configure_supported = False
                    raise _Reconnect("to apply new keyterms (the server did not answer Configure)")
                if self._configuring is None and self._keyterms != self._live_keyterms:
                    if not engine.configure_supported:
                        raise _Reconnect("to apply new keyterms")
                    await self._configure(conn)
                    continue
                idle = now - last_sent
                if idle >= engine.keepalive_interval:
                    if isinstance(conn, AsyncV2SocketClient):  # Flux has no KeepAlive
                        if await self._finish(conn, listener, errors):
                            raise _Idle()
                        break
                    await conn.send_keep_alive()
                    last_sent = loop.time()
                    continue
                timeout = engine.keepalive_interval - idle
                if self._configuring is not None:
                    timeout = min(timeout, self._configure_deadline - now)
                waker = asyncio.create_task(self._wake.wait())
                await asyncio.wait([listener, waker], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                waker.cancel()
        except ConnectionClosed:
            pass  # the listener reports why
        if self._configuring is not None:
            # The server closed on a Configure: it does not take them (the next connection gets
            # the keyterms in its query).
            engine.configure_supported = False
        await asyncio.wait([listener], timeout=engine.close_timeout)
        raise self._failure(errors)

    async def _send(self, conn: _Socket, data: bytes) -> None:
        for i in range(0, len(data), _MAX_MESSAGE):
            await conn.send_media(data[i : i + _MAX_MESSAGE])

    async def _configure(self, conn: _Socket) -> None:
        """Send the wanted keyterms; the answer comes through :meth:`_configured`."""
        terms = self._keyterms
        self._configuring = terms
        self._configure_deadline = asyncio.get_running_loop().time() + self._engine.configure_timeout
        self._protocol.configure_sent()
        log.debug("Configure: %d keyterms", len(terms))
        if isinstance(conn, AsyncV2SocketClient):
            await conn.send_configure(ListenV2Configure(keyterms=list(terms)))
        else:
            await conn.send_configure(ListenV1Configure(keyterms=list(terms)))

    def _configured(self, outcome: ConfigureOutcome) -> None:
        terms, self._configuring = self._configuring, None
        if terms is None:
            return
        if outcome == "applied":
            self._live_keyterms = terms
        elif outcome == "rejected":
            if self._keyterms == terms:  # newer ones, if any, are tried next
                self._keyterms = self._live_keyterms
        else:
            if outcome == "unsupported":
                self._engine.configure_supported = False
            self._reconnect_reason = "to apply new keyterms"
        self._wake.set()

    async def _finish(self, conn: _Socket, listener: asyncio.Task[None], errors: list[BaseException]) -> bool:
        """Flush the last words and close; True once they are in, False if the connection broke."""
        if isinstance(conn, AsyncV2SocketClient):
            return await self._finish_turn(conn, listener, errors)
        engine = self._engine
        if engine.finalize_supported:
            self._protocol.finalize_sent()
            await conn.send_finalize()
            await self._heard(listener, self._finalized.wait(), self._finalize_refused.wait(), quiet=engine.finalize_timeout)
            if self._finalize_refused.is_set():
                engine.finalize_supported = False  # CloseStream flushes too
            elif listener.done() and not self._finalized.is_set():
                return False
        await self._close_stream(conn, listener, errors)
        if self._finalized.is_set() or self._flushed.is_set():
            return True
        if not listener.done():
            self._emit(EngineError(f"{engine.server_name} did not confirm the end of the stream; the last words may be missing.", fatal=False))
            return True
        # A clean close after CloseStream comes after Deepgram's flush; an error close may not.
        return not errors

    async def _finish_turn(
        self, conn: AsyncV2SocketClient, listener: asyncio.Task[None], errors: list[BaseException]
    ) -> bool:
        """Flux: ForceEndTurn (if a turn is open), then CloseStream, which does not end a turn: the
        words of one still open when the server closes are made final here."""
        engine = self._engine
        if engine.finalize_supported and self._protocol.turn_open:  # Flux ignores it between turns
            self._protocol.finalize_sent()
            await conn.send_force_end_turn()
            await self._heard(listener, self._finalized.wait(), self._finalize_refused.wait(), quiet=engine.finalize_timeout)
            if self._finalize_refused.is_set():
                engine.finalize_supported = False
            elif listener.done() and not self._finalized.is_set():
                return False
        await self._close_stream(conn, listener, errors)
        if listener.done() and errors:
            return False  # broke before the server had said everything: replay on a new connection
        if not listener.done():
            self._emit(EngineError(f"{engine.server_name} did not confirm the end of the stream; the last words may be missing.", fatal=False))
        for event in self._protocol.closed().events:
            self._emit(event)
        return True

    async def _close_stream(self, conn: _Socket, listener: asyncio.Task[None], errors: list[BaseException]) -> None:
        """CloseStream, then wait for the server to flush and close (see ``drain_per_second``).

        A server that refused Finalize (ForceEndTurn) may close the connection along with its
        Error (WhisperLiveKit does): then a new connection replays what is not final and is sent
        CloseStream alone, a planned step rather than a failed attempt (raises ``_Reconnect``).
        """
        engine = self._engine
        refused = self._finalize_refused.is_set()
        if refused and listener.done():
            raise _Reconnect(_FLUSH_AFTER_REFUSAL)
        behind = self._protocol.unfinished
        self._protocol.close_sent()
        try:
            await conn.send_close_stream()
        except ConnectionClosed:
            if refused:
                raise _Reconnect(_FLUSH_AFTER_REFUSAL) from None
            raise
        await self._heard(listener, quiet=engine.close_timeout, at_least=engine.drain_per_second * behind)
        if refused and listener.done() and errors and not self._flushed.is_set():
            raise _Reconnect(_FLUSH_AFTER_REFUSAL)

    async def _heard(self, listener: asyncio.Task[None], *others: Any, quiet: float, at_least: float = 0.0) -> None:
        """Wait until ``listener`` or any of ``others`` (awaitables) completes, or the server has
        been silent for ``quiet`` seconds (a server still sending results is still working), but
        at least ``at_least`` seconds."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        extra = [asyncio.ensure_future(o) for o in others]
        try:
            while True:
                left = max(started + at_least, max(started, self._last_heard) + quiet) - loop.time()
                if left <= 0:
                    return
                done, _ = await asyncio.wait([listener, *extra], timeout=left, return_when=asyncio.FIRST_COMPLETED)
                if done:
                    return
        finally:
            for future in extra:
                future.cancel()

    def _failure(self, errors: list[BaseException]) -> Exception:
        """What ended a connection that should have gone on."""
        closed = next((e for e in errors if isinstance(e, ConnectionClosedError)), None)
        if closed is not None and closed.rcvd is not None:
            code, reason = closed.rcvd.code, self._scrub(closed.rcvd.reason)
            if code in (4401, 4403):  # WhisperLiveKit's answer to a wrong key (after the handshake)
                return _Fatal(
                    f"{self._engine.server_name} rejected the API key (close {code}{': ' + reason if reason else ''}). "
                    "Check DEEPGRAM_API_KEY or the api_key argument."
                )
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

    def _on_message(self, message: ServerMessage | FluxMessage | None, connection: int) -> None:
        if connection != self._connection:
            return  # an earlier connection's last words: its times are not the current shift's
        self._last_heard = self._loop.time()
        # An exception here would stop the SDK's listener: never let one out.
        try:
            reply = self._protocol.receive(message)  # type: ignore[arg-type]
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
        if reply.configure is not None:
            self._configured(reply.configure)
        if reply.greeting and self._engine.finalize_supported:
            # Deepgram sends Metadata only at the end; WhisperLiveKit also when a connection opens,
            # and it refuses Finalize by closing the connection: tell it apart before Stop.
            log.info("The server greets with Metadata (not Deepgram's way): ending streams with CloseStream alone")
            self._engine.finalize_supported = False

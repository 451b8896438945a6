"""A local stand-in for Deepgram's live transcription API (``/v1/listen``, and ``/v2/listen`` for Flux):
test notebooks without a key.

::

    from live_transcriber.testing.deepgram_server import DeepgramServer, Fault, paced_script

    with DeepgramServer("test-key", paced_script("hello from the test server")) as server:
        server.faults.append(Fault.drop(after=1.0))  # the first connection drops after 1 s of audio
        w = LiveTranscriber(engine="deepgram", api_key="test-key", base_url=server.base_url)
        ...  # record or feed a file: the words come back, across the reconnection
        server.connections[-1].controls  # ["Finalize", "CloseStream"]

or from a shell (then ``DEEPGRAM_BASE_URL=ws://127.0.0.1:8765 DEEPGRAM_API_KEY=test``)::

    python -m live_transcriber.testing.deepgram_server --port 8765 --key test

It speaks the documented protocol: ``Authorization: Token <key>`` checked at the handshake (HTTP 401
otherwise), containerised audio (WebM, Ogg, MP4; Flux: WebM and Ogg) decoded incrementally with PyAV
as it arrives (a stream that does not start with a container header cannot be decoded: close 1008,
DATA-0000), or raw PCM with ``encoding=linear16&sample_rate=…``, close 1011 (NET-0001) after
``timeout`` seconds without audio or a text frame, and keyterms (the ``keyterm`` query parameter,
replaced mid-stream by ``Configure``, answered with ``ConfigureSuccess`` on Nova-3 and Flux models,
``ConfigureFailure`` on others). On ``/v1/listen``: the KeepAlive / Finalize / CloseStream text
frames and ``Results`` / ``UtteranceEnd`` / ``SpeechStarted`` / ``Metadata`` messages in Deepgram's
JSON shape, driven by the same query parameters (``interim_results``, ``endpointing``,
``utterance_end_ms``, ``vad_events``, …). On ``/v2/listen`` (Flux): ``Connected``, then ``TurnInfo``
messages (``StartOfTurn``, ``Update``, ``EagerEndOfTurn`` with ``eager_eot_threshold``,
``TurnResumed``, ``EndOfTurn`` at a pause, or after ``eot_timeout_ms`` with ``eot_threshold=1``),
``ForceEndTurn`` (ends the turn in progress), and ``CloseStream`` (the last ``Update``, then a close
with no status code, as Flux does).

It cannot recognise speech, so words come from a *script*: ``(word, start, end)`` in the timeline of
the recording; ``misheard`` maps script words to what is reported instead unless a keyterm names
them, so keyterms can be seen to work. The decoded frames' container timestamps tell the server which part of the recording
it has heard; a word partly heard shows in an interim result, a word wholly heard becomes final
(``speech_final`` at a pause in the script). Word times are relative to the first audio of the
connection, as with Deepgram, so a connection that resumes mid-recording (header + later clusters)
reports connection-relative times.

Faults for the next connections (one per connection, in order) are queued in
:attr:`DeepgramServer.faults`; every connection is logged in :attr:`DeepgramServer.connections`
(query parameters, control frames, audio heard, messages sent, close).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import io
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any, Callable, Iterable, Literal
from urllib.parse import parse_qs, urlsplit

import av
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

#: One word of a script: ``(word, start, end)``, in seconds from the start of the recording.
ScriptWord = tuple[str, float, float]
PAUSE = 0.1  # seconds between two script words that make a sentence boundary
FaultKind = Literal["reject", "drop", "close", "slow", "unknown", "error", "refuse", "ignore"]
#: Seconds after a turn's last word at which Flux's model ends the turn (eot_threshold < 1), and
#: sends EagerEndOfTurn (with eager_eot_threshold): this server's stand-ins for its confidences.
FLUX_EOT_DELAY = 0.3
FLUX_EAGER_DELAY = 0.15
FLUX_EOT_TIMEOUT_MS = 5000
#: Keyterm "tokens" allowed (Deepgram: 500); this server counts words.
KEYTERM_LIMIT = 500

NET_0001 = "NET-0001: Deepgram did not receive audio data or a text message within the timeout window."
DATA_0000 = (
    "DATA-0000: The payload cannot be decoded as audio. "
    "It is either not audio data or is a codec unsupported by Deepgram."
)


@dataclass(frozen=True)
class Fault:
    """What the server does to one connection. Build with the class methods."""

    kind: FaultKind
    after: float = 0.0  # seconds of audio heard on the connection before acting
    on: str | None = None  # act on receiving this control message (e.g. "Finalize") instead
    status: int = 401
    code: int | None = 1011  # close code (None: no close)
    reason: str = ""  # close reason
    description: str = ""  # text of an Error message
    delay: float = 0.0

    @classmethod
    def reject(cls, status: int = 401) -> Fault:
        """Refuse the handshake with this HTTP status."""
        return cls("reject", status=status)

    @classmethod
    def drop(cls, after: float = 0.0, on: str | None = None) -> Fault:
        """Abort the TCP connection, no close frame, after ``after`` s of audio (or ``on`` a control)."""
        return cls("drop", after=after, on=on)

    @classmethod
    def close(
        cls,
        code: int = 1011,
        after: float = 0.0,
        reason: str = "NET-0000: internal server error",
        on: str | None = None,
    ) -> Fault:
        """Close the websocket with ``code`` after ``after`` s of audio (or ``on`` a control)."""
        return cls("close", after=after, code=code, reason=reason, on=on)

    @classmethod
    def slow(cls, delay: float) -> Fault:
        """Send every message ``delay`` s late."""
        return cls("slow", delay=delay)

    @classmethod
    def unknown_messages(cls) -> Fault:
        """Precede every message with one of a type no client knows."""
        return cls("unknown")

    @classmethod
    def error_message(cls, after: float = 0.0) -> Fault:
        """Send a Deepgram ``Error`` message after ``after`` s of audio, then carry on."""
        return cls("error", after=after)

    @classmethod
    def refuse(
        cls,
        control: str = "Finalize",
        *,
        description: str | None = None,
        code: int | None = 4400,
        reason: str | None = None,
    ) -> Fault:
        """Answer every ``control`` message (e.g. "Finalize") with an ``Error`` instead of acting on
        it, then close with ``code`` (None: carry on, the message ignored). WhisperLiveKit 0.2.26
        does this with Finalize: ``Fault.refuse("Finalize", description=<its text>,
        reason="Finalize is unsupported")``."""
        return cls(
            "refuse",
            on=control,
            description=description or f"{control} is not supported by this server.",
            code=code,
            reason=f"{control} is unsupported" if reason is None else reason,
        )

    @classmethod
    def ignore(cls, control: str = "Configure") -> Fault:
        """Answer no ``control`` message at all, as servers that do not know it do (WhisperLiveKit
        0.2.26 ignores Configure)."""
        return cls("ignore", on=control, code=None)


@dataclass
class ConnectionLog:
    """What happened on one connection."""

    params: dict[str, list[str]]
    path: str = "/v1/listen"
    status: int = 101  # HTTP status of the handshake answer
    fault: Fault | None = None
    audio_messages: int = 0
    audio_bytes: int = 0
    controls: list[str] = field(default_factory=list)  # types of the text frames received
    configures: list[list[str] | None] = field(default_factory=list)  # the keyterms of each Configure
    first_pts: float | None = None  # recording time of the first audio decoded
    end_pts: float | None = None  # recording time just past the last audio decoded
    decoded_seconds: float = 0.0
    sent: list[dict[str, Any]] = field(default_factory=list)  # the messages sent, as JSON objects
    close_code: int | None = None  # set once the websocket has closed
    close_reason: str = ""
    closed: bool = False  # the server answers nothing more (set as a closing fault acts, or at the close)

    def param(self, name: str) -> str | None:
        """The last value of query parameter ``name``, or None."""
        values = self.params.get(name)
        return values[-1] if values else None

    @property
    def flux(self) -> bool:
        """Whether the connection was to ``/v2/listen`` (Flux)."""
        return self.path == "/v2/listen"


class _Feed(io.RawIOBase):
    """A blocking, read-only file that a websocket handler fills and a decoder thread drains."""

    def __init__(self, on_idle: Callable[[int], None]) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._eof = False
        self._fed = 0  # number of feed() calls, to tell which data an idle report covers
        self._cond = threading.Condition()
        self._on_idle = on_idle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._cond:
            while not self._buffer and not self._eof:
                # Everything fed so far has been demuxed and decoded: say so before blocking.
                self._on_idle(self._fed)
                self._cond.wait()
            n = min(len(buffer), len(self._buffer))
            buffer[:n] = self._buffer[:n]
            del self._buffer[:n]
            return n

    def feed(self, data: bytes) -> int:
        with self._cond:
            self._buffer += data
            self._fed += 1
            self._cond.notify_all()
            return self._fed

    def finish(self) -> None:
        with self._cond:
            self._eof = True
            self._cond.notify_all()


def _container_format(head: bytes) -> str | None:
    """The PyAV demuxer for a stream starting with ``head``, or None if it is no container start."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"OggS"):
        return "ogg"
    if head[4:8] == b"ftyp":
        return "mp4"
    return None


class _Session:
    """One websocket connection: audio in, Deepgram messages out."""

    def __init__(self, server: DeepgramServer, ws: ServerConnection, log: ConnectionLog) -> None:
        self.server = server
        self.ws = ws
        self.log = log
        self.fault = log.fault
        self.fault_done = False
        self.loop = asyncio.get_running_loop()
        self.last_activity = time.monotonic()
        self.outbox: asyncio.Queue[tuple[float, str]] = asyncio.Queue()  # (when due, text)
        self.request_id = str(uuid.uuid4())
        # Audio decoding.
        self.head = bytearray()
        self.feed: _Feed | None = None
        self.fed = 0
        self.idle = asyncio.Event()
        self.decoded = asyncio.Event()
        # Transcript state, in recording time.
        self.script = server.script
        self.next_word = 0
        self.window_start: float | None = None
        self.last_interim = -1.0
        self.announced = -1  # last word index a SpeechStarted was sent for
        self.last_final_word_end: float | None = None
        self.utterance_end_sent = True
        endpointing = log.param("endpointing")
        self.endpointing = None if endpointing == "false" else float(endpointing or 10) / 1000
        self.interim = log.param("interim_results") == "true"
        self.punctuate = "true" in (log.param("punctuate"), log.param("smart_format"))
        self.diarize = log.param("diarize") == "true"
        self.vad_events = log.param("vad_events") == "true"
        utterance_end = log.param("utterance_end_ms")
        self.utterance_end = float(utterance_end) / 1000 if utterance_end else None
        self.model = log.param("model") or "nova-3"
        self.keyterms: list[str] = list(log.params.get("keyterm", []))
        # Raw PCM (encoding=linear16): times come from the byte count, nothing to decode.
        self.pcm_rate: int | None = None
        if log.param("encoding") == "linear16":
            self.pcm_rate = int(log.param("sample_rate") or 0)
        self.pcm_bytes = 0
        self.pcm_heard: bytearray | None = None  # this connection's PCM, kept to place later replays
        self.pcm_origin = 0.0

    # --- the connection -------------------------------------------------------------------

    async def run(self) -> None:
        sender = asyncio.create_task(self._sender())
        watchdog = asyncio.create_task(self._watchdog())
        if self.server.greeting:
            self.send(self._metadata())
        try:
            async for message in self.ws:
                self.last_activity = time.monotonic()
                if isinstance(message, bytes):
                    await self._on_audio(message)
                else:
                    await self._on_text(message)
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            watchdog.cancel()
            if self.feed is not None:
                self.feed.finish()
            self.log.close_code = self.ws.close_code
            self.log.close_reason = self.ws.close_reason or ""
            self.log.closed = True

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(min(0.05, self.server.timeout / 10))
            if time.monotonic() - self.last_activity >= self.server.timeout:
                await self.ws.close(1011, NET_0001)
                return

    async def _sender(self) -> None:
        while True:
            due, text = await self.outbox.get()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(text)
            self.outbox.task_done()

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message; a slow fault delays it, an unknown-messages fault precedes it."""
        delay = self.fault.delay if self.fault and self.fault.kind == "slow" else 0.0
        if self.fault and self.fault.kind == "unknown":
            self.outbox.put_nowait((time.monotonic() + delay, json.dumps({"type": "FancyNewThing", "id": 7})))
        self.log.sent.append(message)
        self.outbox.put_nowait((time.monotonic() + delay, json.dumps(message)))

    async def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            message = {}
        kind = str(message.get("type", "?"))
        self.log.controls.append(kind)
        if kind == "Configure":
            self.log.configures.append(message.get("keyterms"))
        if self.fault is not None and self.fault.on == kind:
            if self.fault.kind == "ignore":
                return
            await self._drain()  # the audio before the control message is heard first, as in order
            if self.fault.kind == "refuse":
                await self._refuse(self.fault)
            else:
                self._apply_fault(now=True)
            return
        await self._control(kind, message)

    def _configure(self, message: dict[str, Any]) -> None:
        """Keyterms replaced mid-stream (Nova-3 and Flux models only), within the limit."""
        terms = message.get("keyterms")
        failure = None
        if terms is not None and not (self.model.startswith("nova-3") or self.log.flux):
            failure = ("CONFIGURE_KEYTERMS_NOT_SUPPORTED", f"The model {self.model} does not support keyterms.")
        elif terms is not None and sum(len(str(t).split()) for t in terms) > KEYTERM_LIMIT:
            failure = ("CONFIGURE_KEYTERM_LIMIT_EXCEEDED", f"Keyterms exceed the {KEYTERM_LIMIT}-token limit.")
        if failure is not None:
            self.send({"type": "ConfigureFailure", "request_id": self.request_id, "code": failure[0],
                       "description": failure[1]})
            return
        if terms is not None:
            self.keyterms = [str(t) for t in terms]
        self.send(self._configured(message))

    def _configured(self, message: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {"type": "ConfigureSuccess", "request_id": self.request_id}
        if message.get("keyterms") is not None:
            answer["keyterms"] = list(self.keyterms)
        return answer

    def _heard(self, word: str) -> str:
        """What the server reports for a script word: its ``misheard`` form, unless a keyterm names it."""
        named = {w.casefold() for term in self.keyterms for w in term.split()}
        if word.casefold() in named:
            return word
        return self.server.misheard.get(word.casefold(), word)

    def _error(self, description: str, code: str = "INTERNAL_SERVER_ERROR") -> dict[str, Any]:
        return {"type": "Error", "description": description, "request_id": self.request_id}

    async def _control(self, kind: str, message: dict[str, Any]) -> None:
        """A control message (text frame) that no fault intercepted."""
        if kind == "Configure":
            self._configure(message)
        elif kind == "Finalize":
            await self._drain()
            self._flush(from_finalize=True)
        elif kind == "CloseStream":
            if self.feed is not None:
                self.feed.finish()
                await self.decoded.wait()
            self._flush(from_finalize=False, always=False)
            self.send(self._metadata())
            await self.outbox.join()
            await self.ws.close(1000, "")

    async def _refuse(self, fault: Fault) -> None:
        self.send(self._error(fault.description, "UNSUPPORTED"))
        if fault.code is not None:
            self.log.closed = True
            await self.outbox.join()
            await self.ws.close(fault.code, fault.reason)

    async def _drain(self) -> None:
        """Wait until all audio received so far is decoded."""
        if self.feed is not None:
            await self.idle.wait()

    # --- audio ----------------------------------------------------------------------------

    async def _on_audio(self, data: bytes) -> None:
        self.log.audio_messages += 1
        self.log.audio_bytes += len(data)
        if self.server.cheap:
            self._cheap_result()
            return
        if self.pcm_rate is not None:
            if not self.pcm_rate or len(data) % 2:
                await self.ws.close(1008, DATA_0000)
                return
            if self.pcm_heard is None:
                self.pcm_origin, self.pcm_heard = self.server._place_pcm(data, self.pcm_rate)
            self.pcm_heard += data
            start = self.pcm_origin + self.pcm_bytes / (2 * self.pcm_rate)
            self.pcm_bytes += len(data)
            self._on_frame(start, self.pcm_origin + self.pcm_bytes / (2 * self.pcm_rate))
            return
        if self.feed is None:
            self.head += data
            if len(self.head) < 8:
                return
            fmt = _container_format(bytes(self.head))
            if fmt is None or (self.log.flux and fmt not in ("matroska", "ogg")):
                await self.ws.close(1008, DATA_0000)
                return
            self.feed = _Feed(lambda fed: self._report(self._on_idle, fed))
            threading.Thread(target=self._decode, args=(fmt,), daemon=True).start()
            data = bytes(self.head)
        if not self.decoded.is_set():  # after a decoding failure or EOF nothing more is read
            self.idle.clear()
            self.fed = self.feed.feed(data)

    def _decode(self, fmt: str) -> None:
        """Decoder thread: demux and decode as data arrives, report each frame's time span."""
        assert self.feed is not None
        try:
            with av.open(self.feed, format=fmt) as container:
                stream = container.streams.audio[0]
                for packet in container.demux(stream):
                    for frame in packet.decode():
                        if frame.pts is None:
                            continue
                        start = float(frame.pts * frame.time_base)
                        end = start + frame.samples / frame.sample_rate
                        self._report(self._on_frame, start, end)
        except Exception:  # any decoding failure is the client's audio, reported as Deepgram does
            self._report(self._on_undecodable)
        finally:
            self._report(self._on_decoded)

    def _report(self, callback: Callable[..., None], *args: Any) -> None:
        """Run ``callback`` on the server's loop, from the decoder thread."""
        with contextlib.suppress(RuntimeError):  # the server has stopped: nobody is listening
            self.loop.call_soon_threadsafe(callback, *args)

    def _on_decoded(self) -> None:
        self.decoded.set()
        self.idle.set()

    def _on_idle(self, fed: int) -> None:
        if fed == self.fed:
            self.idle.set()

    def _on_undecodable(self) -> None:
        if not self.log.closed:  # a connection cut mid-header is not a decoding failure
            self.loop.create_task(self.ws.close(1008, DATA_0000))

    def _on_frame(self, start: float, end: float) -> None:
        log = self.log
        if log.closed:  # decoded after the connection died: never answered, so never heard
            return
        if log.first_pts is None:
            log.first_pts = start
            self.window_start = start
            # A word mostly before this connection's audio is not heard at all.
            while self.next_word < len(self.script) and _mid(self.script[self.next_word]) < start:
                self.next_word += 1
        log.end_pts = max(log.end_pts or end, end)
        log.decoded_seconds += end - start
        self._apply_fault()
        if not log.closed:
            self._transcribe()

    def _apply_fault(self, now: bool = False) -> None:
        fault, log = self.fault, self.log
        if fault is None or self.fault_done or fault.kind not in ("drop", "close", "error"):
            return
        heard = (log.end_pts or 0.0) - (log.first_pts or 0.0)
        if not now and (fault.on is not None or heard < fault.after):
            return
        self.fault_done = True
        if fault.kind == "drop":
            log.closed = True
            assert self.ws.transport is not None
            self.ws.transport.abort()
        elif fault.kind == "close":
            assert fault.code is not None
            log.closed = True
            self.loop.create_task(self.ws.close(fault.code, fault.reason))
        else:
            self.send({**self._error("Something went wrong on our side."), "variant": "internal",
                       "message": "Internal server error (simulated)."})

    # --- words ----------------------------------------------------------------------------

    def _transcribe(self) -> None:
        """Send what the audio heard so far allows: SpeechStarted, finals, an interim, UtteranceEnd."""
        covered = self.log.end_pts
        assert covered is not None and self.window_start is not None
        script = self.script
        if self.vad_events:
            i = self.next_word
            while i < len(script) and script[i][1] < covered:
                if i > self.announced and (i == 0 or script[i][1] - script[i - 1][2] >= PAUSE):
                    self.send({"type": "SpeechStarted", "channel": [0], "timestamp": self._rel(script[i][1])})
                self.announced = max(self.announced, i)
                i += 1
        while True:
            k = self.next_word
            while k < len(script) and script[k][2] <= covered:
                k += 1
            following = script[k] if k < len(script) else None
            cut = min(covered, following[1]) if following else covered
            if k > self.next_word:
                last_end = script[k - 1][2]
                pause = (following[1] if following else float("inf")) - last_end
                gap = self.endpointing
                if gap is not None and pause >= gap and covered >= last_end + gap:
                    self._final(k, cut, speech_final=True)
                    continue
                if last_end - self.window_start >= self.server.max_final_span:
                    self._final(k, cut, speech_final=False)
                    continue
            elif cut - self.window_start >= self.server.max_final_span:
                self._final(k, cut, speech_final=False)  # silence: an empty final
                continue
            break
        heard = [w for w in script[self.next_word :] if w[1] < covered]
        if self.interim and heard and covered - self.last_interim >= self.server.interim_every:
            self.last_interim = covered
            words = [(w, s, min(e, covered)) for w, s, e in heard]
            self.send(self._results(words, self.window_start, covered, is_final=False))
        if (
            self.utterance_end is not None
            and not self.utterance_end_sent
            and self.last_final_word_end is not None
            and covered >= self.last_final_word_end + self.utterance_end
            and not heard
        ):
            self.utterance_end_sent = True
            self.send({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": self._rel(self.last_final_word_end)})

    def _final(self, upto: int, window_end: float, *, speech_final: bool, from_finalize: bool = False) -> None:
        assert self.window_start is not None
        words = list(self.script[self.next_word : upto])
        self.send(self._results(words, self.window_start, window_end, is_final=True,
                                speech_final=speech_final, from_finalize=from_finalize))
        if words:
            self.last_final_word_end = words[-1][2]
            self.utterance_end_sent = False
        self.next_word = upto
        self.window_start = max(self.window_start, window_end)
        self.last_interim = -1.0

    def _flush(self, *, from_finalize: bool, always: bool = True) -> None:
        """Make final every word heard, even partly (Finalize, CloseStream)."""
        if self.server.cheap:
            self.send(self._results([], 0.0, 0.0, is_final=True, from_finalize=from_finalize))
            return
        covered = self.log.end_pts
        if covered is None or self.window_start is None:
            if always:
                self.send(self._results([], 0.0, 0.0, is_final=True, from_finalize=from_finalize))
            return
        upto = self.next_word
        while upto < len(self.script) and _mid(self.script[upto]) < covered:
            upto += 1
        if always or upto > self.next_word:
            self._final(upto, covered, speech_final=upto > self.next_word, from_finalize=from_finalize)

    def _cheap_result(self) -> None:
        n = self.log.audio_messages
        # Each message counts as a 250 ms MediaRecorder chunk.
        self.log.first_pts, self.log.end_pts = 0.0, n * 0.25
        word = (f"chunk{n}", (n - 1) * 0.25, n * 0.25)
        self.send(self._results([word], word[1], word[2], is_final=True))
        self._apply_fault()

    def _rel(self, t: float) -> float:
        assert self.log.first_pts is not None
        return round(t - self.log.first_pts, 3)

    def _results(
        self,
        words: list[ScriptWord],
        start: float,
        end: float,
        *,
        is_final: bool,
        speech_final: bool = False,
        from_finalize: bool = False,
    ) -> dict[str, Any]:
        origin = self.log.first_pts or 0.0
        out = []
        for said, w_start, w_end in words:
            word = self._heard(said)
            punctuated = self.server.punctuated(word, w_start) if self.punctuate else word
            item = {"word": word.lower(), "start": round(max(w_start, start) - origin, 3),
                    "end": round(w_end - origin, 3), "confidence": 0.98, "punctuated_word": punctuated}
            if self.diarize:
                item["speaker"] = 0
            out.append(item)
        transcript = " ".join(w["punctuated_word"] if self.punctuate else w["word"] for w in out)
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(max(0.0, end - start), 3),
            "start": round(start - origin, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {"alternatives": [{"transcript": transcript, "confidence": 0.98 if out else 0.0, "words": out}]},
            "metadata": {
                "request_id": self.request_id,
                "model_info": {"name": f"general-{self.model}", "version": "2025-01-01.0", "arch": self.model},
                "model_uuid": "00000000-0000-0000-0000-000000000001",
            },
            "from_finalize": from_finalize,
        }

    def _metadata(self) -> dict[str, Any]:
        heard = (self.log.end_pts or 0.0) - (self.log.first_pts or 0.0)
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self.request_id,
            "sha256": "0" * 64,
            "created": datetime.now(timezone.utc).isoformat(),
            "duration": round(heard, 3),
            "channels": 1,
        }


class _FluxSession(_Session):
    """One ``/v2/listen`` (Flux) connection: the script's sentences become turns.

    A turn starts with the first word heard after the last turn and ends at the script's next
    pause (:data:`PAUSE` or longer): :data:`FLUX_EOT_DELAY` after its last word (the model's
    end-of-turn, unless ``eot_threshold`` is 1), or after ``eot_timeout_ms``, whichever is first;
    with ``eager_eot_threshold``, an ``EagerEndOfTurn`` :data:`FLUX_EAGER_DELAY` after it, and a
    ``TurnResumed`` if the next word starts before the turn ends.
    """

    def __init__(self, server: DeepgramServer, ws: ServerConnection, log: ConnectionLog) -> None:
        super().__init__(server, ws, log)
        self.sequence = 0
        self.turn_index = 0
        self.in_turn = False
        self.eager_open = False  # an EagerEndOfTurn was sent and neither resumed nor ended
        self.eager_done: set[int] = set()  # the pauses (index of the word after) it was sent at
        self.turn_start = 0.0  # recording time the turn's window starts at
        self.eot_threshold = float(log.param("eot_threshold") or 0.7)
        eager = log.param("eager_eot_threshold")
        self.eager = float(eager) if eager else None
        self.eot_timeout = float(log.param("eot_timeout_ms") or FLUX_EOT_TIMEOUT_MS) / 1000

    async def run(self) -> None:
        self.send({"type": "Connected", "request_id": self.request_id})
        await super().run()

    def send(self, message: dict[str, Any]) -> None:
        super().send({**message, "sequence_id": self.sequence})
        self.sequence += 1

    def _error(self, description: str, code: str = "INTERNAL_SERVER_ERROR") -> dict[str, Any]:
        return {"type": "Error", "code": code, "description": description}

    def _configured(self, message: dict[str, Any]) -> dict[str, Any]:
        thresholds = message.get("thresholds") or {}
        if "eot_threshold" in thresholds:
            self.eot_threshold = float(thresholds["eot_threshold"])
        if "eager_eot_threshold" in thresholds:
            self.eager = float(thresholds["eager_eot_threshold"])
        if "eot_timeout_ms" in thresholds:
            self.eot_timeout = float(thresholds["eot_timeout_ms"]) / 1000
        return {
            "type": "ConfigureSuccess", "request_id": self.request_id, "keyterms": list(self.keyterms),
            "thresholds": {"eot_threshold": self.eot_threshold, "eager_eot_threshold": self.eager,
                           "eot_timeout_ms": round(self.eot_timeout * 1000)},
        }

    async def _control(self, kind: str, message: dict[str, Any]) -> None:
        if kind == "Configure":
            self._configure(message)
        elif kind == "ForceEndTurn":
            await self._drain()
            if self.in_turn and self.log.end_pts is not None:
                self._end_turn(self._heard_upto(self.log.end_pts), self.log.end_pts, trigger="manual")
        elif kind == "CloseStream":
            # Flux decodes what it has, sends its Updates and closes without a status code; the
            # turn in progress does not end.
            if self.feed is not None:
                self.feed.finish()
                await self.decoded.wait()
            covered = self.log.end_pts
            if self.in_turn and covered is not None:
                words = self.script[self.next_word : self._heard_upto(covered)]
                self.send(self._turn_info("Update", words, covered))
            await self.outbox.join()
            await self.ws.close(code=None)  # type: ignore[arg-type]  # an empty close frame: no status code

    def _heard_upto(self, covered: float) -> int:
        """Index past the words mostly heard by ``covered``."""
        upto = self.next_word
        while upto < len(self.script) and _mid(self.script[upto]) < covered:
            upto += 1
        return upto

    def _transcribe(self) -> None:
        covered = self.log.end_pts
        assert covered is not None
        script = self.script
        if not self.in_turn:
            if self.next_word >= len(script) or script[self.next_word][1] >= covered:
                return
            self.in_turn, self.eager_open = True, False
            self.turn_start = max(script[self.next_word][1], self.log.first_pts or 0.0)
            self.last_interim = covered
            self.send(self._turn_info("StartOfTurn", self._partly_heard(covered), covered))
        k = self.next_word
        while k < len(script) and script[k][2] <= covered:
            k += 1
        following = script[k] if k < len(script) else None
        resumed = following is not None and following[1] < covered
        if self.eager_open and resumed:
            self.eager_open = False
            self.send(self._turn_info("TurnResumed", self._partly_heard(covered), covered))
        if k > self.next_word:
            last_end = script[k - 1][2]
            pause = (following[1] if following else float("inf")) - last_end
            delay = min(FLUX_EOT_DELAY if self.eot_threshold < 1.0 else float("inf"), self.eot_timeout)
            if pause >= max(PAUSE, delay) and covered >= last_end + delay:
                self._end_turn(k, covered, trigger="model" if delay == FLUX_EOT_DELAY else "timeout")
                self._transcribe()  # the next turn may have started already
                return
            if (pause >= PAUSE and self.eager is not None and k not in self.eager_done and not resumed
                    and FLUX_EAGER_DELAY < delay and covered >= last_end + FLUX_EAGER_DELAY):
                self.eager_done.add(k)
                self.eager_open = True
                self.send(self._turn_info("EagerEndOfTurn", script[self.next_word : k], covered))
                return
        if covered - self.last_interim >= self.server.interim_every:
            self.last_interim = covered
            self.send(self._turn_info("Update", self._partly_heard(covered), covered))

    def _partly_heard(self, covered: float) -> list[ScriptWord]:
        return [(w, s, min(e, covered)) for w, s, e in self.script[self.next_word :] if s < covered]

    def _end_turn(self, upto: int, covered: float, *, trigger: str) -> None:
        words = list(self.script[self.next_word : upto])
        self.send(self._turn_info("EndOfTurn", words, covered, trigger=trigger))
        self.next_word = upto
        self.in_turn = self.eager_open = False
        self.turn_index += 1

    def _turn_info(
        self, event: str, words: list[ScriptWord], covered: float, *, trigger: str | None = None
    ) -> dict[str, Any]:
        items = []
        for said, start, end in words:
            word = self.server.punctuated(self._heard(said), start)  # Flux always punctuates
            items.append({"word": word, "confidence": 0.98, "start": self._rel(max(start, self.turn_start)),
                          "end": self._rel(end)})
        message: dict[str, Any] = {
            "type": "TurnInfo", "request_id": self.request_id, "event": event, "turn_index": self.turn_index,
            "audio_window_start": self._rel(self.turn_start), "audio_window_end": self._rel(covered),
            "transcript": " ".join(item["word"] for item in items), "words": items,
            "end_of_turn_confidence": 0.9 if event in ("EagerEndOfTurn", "EndOfTurn") else 0.1,
        }
        if trigger is not None:
            message["trigger"] = trigger
        return message

    def _cheap_result(self) -> None:
        n = self.log.audio_messages
        self.log.first_pts, self.log.end_pts = 0.0, n * 0.25
        self.turn_start = (n - 1) * 0.25
        self.send(self._turn_info("EndOfTurn", [(f"chunk{n}", (n - 1) * 0.25, n * 0.25)], n * 0.25, trigger="model"))
        self._apply_fault()


def _mid(word: ScriptWord) -> float:
    return (word[1] + word[2]) / 2


class DeepgramServer:
    """Deepgram's ``/v1/listen`` and ``/v2/listen`` (Flux) on loopback, in a background thread (or
    awaited with :meth:`serve`).

    ``key``: the API key clients must send. ``script``: the words the recordings say (see
    :func:`paced_script`). ``timeout``: seconds without audio or a text frame before closing 1011
    (Deepgram: 10). ``cheap``: no decoding; every audio message is answered at once with a one-word
    final result (for load tests). ``port=0`` picks a free port (read :attr:`base_url` once started).
    ``max_final_span``: without a pause, words become final in windows of at most this many seconds;
    ``interim_every``: seconds of audio between interim results (Flux: between Updates).
    ``misheard``: script word (any case) → what is reported instead, unless a keyterm names it.
    ``greeting``: on ``/v1/listen``, send a ``Metadata`` as soon as a connection opens, as
    WhisperLiveKit does (Deepgram sends one only at the end).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        key: str = "test-key",
        script: list[ScriptWord] | tuple[ScriptWord, ...] = (),
        *,
        timeout: float = 10.0,
        cheap: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        max_final_span: float = 3.0,
        interim_every: float = 0.25,
        misheard: dict[str, str] | None = None,
        greeting: bool = False,
    ) -> None:
        self.key = key
        self.greeting = greeting
        self.misheard = {k.casefold(): v for k, v in (misheard or {}).items()}
        self.script = _checked_script(script)
        self.timeout = timeout
        self.cheap = cheap
        self.host = host
        self.port = port
        self.max_final_span = max_final_span
        self.interim_every = interim_every
        # Punctuation by word start: (opens a sentence, closes one); a pause separates sentences.
        self._punctuation: dict[float, tuple[bool, bool]] = {}
        for i, (_, start, end) in enumerate(self.script):
            opens = i == 0 or start - self.script[i - 1][2] >= PAUSE
            closes = i + 1 == len(self.script) or self.script[i + 1][1] - end >= PAUSE
            self._punctuation[start] = (opens, closes)
        #: Faults for the next connections, one each, in order (a connection without one behaves).
        self.faults: collections.deque[Fault] = collections.deque()
        #: Every connection attempt so far, refused handshakes included.
        self.connections: list[ConnectionLog] = []
        self._logs: dict[ServerConnection, ConnectionLog] = {}
        self._pcm: list[tuple[float, bytearray]] = []  # (recording time of byte 0, bytes) per PCM connection
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    def punctuated(self, word: str, start: float) -> str:
        """``word`` capitalised at the start of a sentence, with a full stop at its end."""
        opens, closes = self._punctuation.get(start, (False, False))
        if opens:
            word = word[:1].upper() + word[1:]
        return word + "." if closes else word

    def _place_pcm(self, head: bytes, rate: int) -> tuple[float, bytearray]:
        """Where a raw PCM connection starts in its recording, and the buffer to keep its bytes in.

        Raw PCM carries no timestamps: a connection whose first bytes were heard before (a client
        replaying after a reconnection) starts where they were heard; any other starts at 0. The
        bytes are looked for from their first sound (digital silence matches anywhere).
        """
        sound = (len(head) - len(head.lstrip(b"\x00"))) // 2 * 2
        probe = head[sound : sound + 640]
        origin = self._find_pcm(head, sound, probe, rate) if len(probe) == 640 else None
        buffer = bytearray()
        self._pcm.append((origin or 0.0, buffer))
        return origin or 0.0, buffer

    def _find_pcm(self, head: bytes, sound: int, probe: bytes, rate: int) -> float | None:
        for origin, heard in self._pcm:
            at = heard.find(probe)
            while at >= 0:
                start = at - sound
                if start >= 0 and start % 2 == 0 and heard[start : start + len(head)] == head[: len(heard) - start]:
                    return origin + start / (2 * rate)
                at = heard.find(probe, at + 1)
        return None

    @property
    def base_url(self) -> str:
        """The value for ``base_url=`` or ``DEEPGRAM_BASE_URL`` (clients append ``/v1/listen``)."""
        return f"ws://{self.host}:{self.port}"

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        log = ConnectionLog(params=parse_qs(url.query, keep_blank_values=True), path=url.path)
        self.connections.append(log)
        if url.path not in ("/v1/listen", "/v2/listen"):
            log.status = 404
            return connection.respond(HTTPStatus.NOT_FOUND, "Not found.\n")
        if request.headers.get("Authorization") != f"Token {self.key}":
            log.status = 401
            body = '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}'
            return connection.respond(HTTPStatus.UNAUTHORIZED, body)
        log.fault = self.faults.popleft() if self.faults else None
        if log.fault is not None and log.fault.kind == "reject":
            log.status = log.fault.status
            return connection.respond(HTTPStatus(log.fault.status), '{"err_msg":"Rejected (simulated)."}')
        self._logs[connection] = log
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        log = self._logs.pop(ws)
        await (_FluxSession if log.flux else _Session)(self, ws, log).run()

    async def serve(self) -> None:
        """Serve until :meth:`stop`."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server: Server
        async with serve(self._handle, self.host, self.port, process_request=self._process_request,
                         compression=None, max_size=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()

    def start(self) -> DeepgramServer:
        """Serve from a background thread; returns once the port is bound."""
        self._thread = threading.Thread(target=asyncio.run, args=(self.serve(),), daemon=True, name="deepgram-server")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Deepgram test server did not start")
        return self

    def stop(self) -> None:
        """Stop serving (open connections are closed) and wait for the thread to end."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> DeepgramServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``condition`` until true or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.02)
        return condition()


def paced_script(text: str, *, word: float = 0.4, gap: float = 0.05, pause: float = 0.6) -> list[ScriptWord]:
    """A script saying ``text`` at a steady pace: each word ``word`` s long, ``gap`` s apart, with
    ``pause`` s after a sentence (a word ending in ``.``, ``?`` or ``!``; the server punctuates
    from the pauses, so punctuation is dropped from the words)."""
    script: list[ScriptWord] = []
    t = 0.0
    for token in text.split():
        bare = token.strip(".,;:?!")
        if bare:
            script.append((bare, round(t, 3), round(t + word, 3)))
            t += word + (pause if token.endswith((".", "?", "!")) else gap)
    return script


def _checked_script(script: Iterable[Any]) -> list[ScriptWord]:
    out: list[ScriptWord] = []
    for i, item in enumerate(script):
        try:
            text, start, end = item
            entry = (str(text), float(start), float(end))
        except (TypeError, ValueError):
            raise ValueError(f"script item {i} must be (word, start, end), not {item!r}") from None
        if entry[2] < entry[1] or (out and entry[1] < out[-1][1]):
            raise ValueError(f"script item {i} {item!r}: words must be in order and end after they start")
        out.append(entry)
    return out


_COUNTING = "Zero one two three four five six seven eight nine. "


def main(argv: list[str] | None = None) -> None:
    """The command line: serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m live_transcriber.testing.deepgram_server",
        description="A local Deepgram-protocol server (/v1/listen) answering from a script of words.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed)")
    parser.add_argument("--key", default="test-key", help="the API key clients must send")
    words = parser.add_mutually_exclusive_group()
    words.add_argument("--script", help="JSON file: a list of [word, start, end] in seconds")
    words.add_argument("--text", help="words said at a steady pace (default: counting from zero to nine, over and over)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds of silence before closing 1011")
    parser.add_argument("--cheap", action="store_true", help="no decoding: answer every chunk at once")
    args = parser.parse_args(argv)
    try:
        if args.script:
            with open(args.script, encoding="utf-8") as f:
                script = json.load(f)
        else:
            script = paced_script(args.text or _COUNTING * 50)
        server = DeepgramServer(args.key, script, timeout=args.timeout, cheap=args.cheap, host=args.host, port=args.port)
    except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        parser.error(f"--script {args.script}: {exc}")
    with server:
        print(f"Deepgram test server on {server.base_url}/v1/listen  (DEEPGRAM_BASE_URL={server.base_url})", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

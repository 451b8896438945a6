"""The public Deepgram-protocol test server: its API and its command line (the protocol itself is
exercised through the real SDK in test_deepgram.py)."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from live_transcriber.testing.deepgram_server import DeepgramServer, Fault, paced_script


def close_stream(base_url: str, key: str) -> dict:
    """Open a connection, send CloseStream at once, return the Metadata the server answers with."""
    with connect(f"{base_url}/v1/listen?model=nova-3", additional_headers={"Authorization": f"Token {key}"}) as ws:
        ws.send(json.dumps({"type": "CloseStream"}))
        return json.loads(ws.recv(timeout=5))


def test_paced_script_says_the_text_at_a_steady_pace_with_pauses_after_sentences():
    assert paced_script("Hello, world. Again!", word=0.5, gap=0.1, pause=1.0) == [
        ("Hello", 0.0, 0.5), ("world", 0.6, 1.1), ("Again", 2.1, 2.6),
    ]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ([("one", 0.0)], "script item 0 must be (word, start, end)"),
        ([("one", 0.0, "soon")], "script item 0 must be (word, start, end)"),
        ([("one", 1.0, 0.5)], "script item 0"),
        ([("one", 1.0, 1.5), ("two", 0.2, 0.5)], "script item 1"),
    ],
)
def test_a_bad_script_is_a_clear_error(script, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DeepgramServer("k", script)


def test_as_a_context_manager_it_serves_on_a_free_port_then_stops():
    with DeepgramServer("k") as server:
        assert server.base_url.startswith("ws://127.0.0.1:") and server.port != 0
        assert close_stream(server.base_url, "k")["type"] == "Metadata"
        with pytest.raises(InvalidStatus, match="401"):
            close_stream(server.base_url, "wrong")
        assert [c.status for c in server.connections] == [101, 401]
    with pytest.raises(OSError):
        close_stream(server.base_url, "k")


def test_faults_apply_to_the_next_connections_in_order():
    with DeepgramServer("k") as server:
        server.faults.extend([Fault.reject(503), Fault.reject(429)])
        for status in ("503", "429"):
            with pytest.raises(InvalidStatus, match=status):
                close_stream(server.base_url, "k")
        assert close_stream(server.base_url, "k")["type"] == "Metadata"
        assert [c.status for c in server.connections] == [503, 429, 101]


def run_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "live_transcriber.testing.deepgram_server", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


@pytest.mark.timeout(30)
def test_the_command_line_serves_until_interrupted():
    server = run_cli("--port", "0", "--key", "cli-key", "--text", "hello there")
    try:
        line = server.stdout.readline()
        assert line.startswith("Deepgram test server on ws://127.0.0.1:")
        base_url = line.split("DEEPGRAM_BASE_URL=")[1].rstrip(")\n")
        assert close_stream(base_url, "cli-key")["type"] == "Metadata"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    assert "Warning" not in stderr


def test_the_command_line_rejects_a_bad_script_file(tmp_path):
    bad = tmp_path / "words.json"
    bad.write_text('[["one", 0.0]]')
    server = run_cli("--script", str(bad))
    _, stderr = server.communicate(timeout=20)
    assert server.returncode == 2
    assert "script item 0 must be (word, start, end)" in stderr


@pytest.mark.parametrize("code", [4400, None])
def test_a_refused_control_is_answered_with_an_error_as_whisperlivekit_does(code):
    with DeepgramServer("k") as server:
        server.faults.append(Fault.refuse("Finalize", code=code))
        url = f"{server.base_url}/v1/listen"
        with connect(url, additional_headers={"Authorization": "Token k"}) as ws:
            ws.send(json.dumps({"type": "Finalize"}))
            error = json.loads(ws.recv(timeout=5))
            assert error["type"] == "Error"
            assert error["description"] == "Finalize is not supported by this server."
            if code is None:  # the connection goes on; CloseStream still works
                ws.send(json.dumps({"type": "CloseStream"}))
                assert json.loads(ws.recv(timeout=5))["type"] == "Metadata"
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=5)
        [log] = server.connections
        assert server.wait_for(lambda: log.close_code is not None)
        assert (log.close_code, log.close_reason) == ((4400, "Finalize is unsupported") if code else (1000, ""))

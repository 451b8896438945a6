"""The widget's JS and the kernel agree on the words they exchange (js/vocabulary.js loaded by node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from live_transcriber import Status

VOCABULARY_JS = Path(__file__).resolve().parents[2] / "js" / "vocabulary.js"


def vocabulary_export(name: str):
    """A named export of js/vocabulary.js, as JSON."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/test.sh installs it)")
    script = f"import({json.dumps(VOCABULARY_JS.as_uri())}).then((m) => console.log(JSON.stringify(m[{json.dumps(name)}])))"
    done = subprocess.run([node, "--input-type=module", "-e", script], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_widget_knows_every_status_the_kernel_sends():
    assert list(vocabulary_export("STATUS").values()) == [status.value for status in Status]


def test_the_kernel_handles_every_message_type_the_page_sends():
    from live_transcriber.protocol import PAGE_MESSAGES, BrowserProtocol, Problem

    protocol = BrowserProtocol()
    for kind in PAGE_MESSAGES:
        problems = [action.message for action in protocol.handle({"type": kind}) if isinstance(action, Problem)]
        assert not [p for p in problems if "unknown type" in p], f"BrowserProtocol.handle does not handle {kind!r}, yet PAGE_MESSAGES has it"
    assert "unknown type" in protocol.handle({"type": "keyterms"})[0].message  # a trait, not a message


def test_every_message_type_the_kernel_sends_has_a_builder():
    import inspect
    import typing

    from live_transcriber import protocol

    built = {}
    for message in typing.get_args(protocol.KernelMessage):
        (kind,) = typing.get_args(typing.get_type_hints(message)["type"])
        built[kind] = [
            name for name, f in vars(protocol).items() if inspect.isfunction(f) and typing.get_type_hints(f).get("return") is message
        ]
    assert set(built) == set(protocol.KERNEL_MESSAGES), "KERNEL_MESSAGES and the messages protocol.py types (KernelMessage) differ"
    assert all(built.values()), f"no builder for {[kind for kind, builders in built.items() if not builders]}"


def test_the_page_and_the_kernel_name_the_same_messages_in_the_same_order():
    from live_transcriber.protocol import KERNEL_MESSAGES, PAGE_MESSAGES

    assert vocabulary_export("PAGE_MESSAGES") == list(PAGE_MESSAGES)
    assert vocabulary_export("KERNEL_MESSAGES") == list(KERNEL_MESSAGES)

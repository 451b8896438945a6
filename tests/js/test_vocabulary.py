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

"""Our package.json leaves other JavaScript in the clone alone: a virtualenv's CommonJS runs as CommonJS.

A "type": "module" at the repository's root made Node read JupyterLab's jupyter_builder/yarn.js in a
`.venv` inside the clone as an ES module; JupyterLab runs it when it starts, and printed 14 KB of
minified JavaScript before the demo's URL.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_commonjs_in_a_virtualenv_inside_the_clone_runs_as_commonjs():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/test.sh installs it)")
    venv = Path(tempfile.mkdtemp(prefix=".venv-probe-", dir=ROOT))
    try:
        script = venv / "lib" / "python3" / "site-packages" / "jupyter_builder" / "yarn.js"
        script.parent.mkdir(parents=True)
        script.write_text('const util = require("util");\nconsole.log(typeof util.format);\n')
        done = subprocess.run([node, str(script)], cwd=script.parent, check=False, capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(venv)
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "function", "")

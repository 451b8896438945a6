"""The quickstart in Jupyter Notebook 7 (the same server serves it at /notebooks/<path>)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import speech
from harness.view import final_text

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WER_BOUND = 0.2
QUICKSTART = Path(__file__).resolve().parents[2] / "notebooks" / "01-quickstart.ipynb"


def test_the_quickstart_in_jupyter_notebook_7(open_notebook, fake_mic, word_ends, screenshot):
    cells = ["".join(c["source"]) for c in json.loads(QUICKSTART.read_text())["cells"] if c["cell_type"] == "code"]
    nb = open_notebook(*cells, name="quickstart-nb7", ui="notebook")
    assert "/notebooks/" in nb.page.url
    assert nb.page.locator("#main-panel .jp-NotebookPanel").count() == 1  # Notebook 7's shell, not Lab's
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    widget.wait_for()
    widget.get_by_role("button", name="Start", exact=True).click()
    started = time.monotonic()
    nb.page.wait_for_function(
        "() => (document.querySelector('.lt-final').textContent || '').trim().split(/\\s+/).length >= 3",
        timeout=20_000,
    )
    assert time.monotonic() - started < word_ends[-1][1]  # words appear while the person speaks
    time.sleep(max(0.0, started + word_ends[-1][1] + 3.0 - time.monotonic()))
    screenshot(nb.output(0), "widget-notebook7")
    widget.get_by_role("button", name="Stop", exact=True).click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=60)
    assert nb.kernel.eval("w.error") == ""
    transcript = nb.kernel.eval("w.transcript")
    assert speech.wer(fake_mic.text, transcript) <= WER_BOUND, transcript
    shown = final_text(widget)
    assert shown == transcript

"""The widget as a user meets it: JupyterLab, headless Chromium, a fake microphone that speaks.

The quickstart notebook is run, Start is pressed, the words must show up while the "person" is
still talking, and after Stop ``w.transcript`` (read from the kernel) must hold the sentence.
The visible latency of every word is measured and printed.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest
import speech
from harness.view import final_text

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

WER_BOUND = 0.2
QUICKSTART = Path(__file__).resolve().parents[2] / "notebooks" / "01-quickstart.ipynb"

# Records, in the page, when transcript text changes, and when Start was clicked.
OBSERVE = """
() => {
  const box = document.querySelector('.lt-transcript');
  window.__lt = { changes: [], clicked: null };
  new MutationObserver(() => {
    window.__lt.changes.push([performance.now(), box.textContent]);
  }).observe(box, { subtree: true, childList: true, characterData: true });
  document.querySelector('.lt-toggle').addEventListener(
    'click', () => { if (window.__lt.clicked === null) window.__lt.clicked = performance.now(); }, true);
}
"""


def quickstart_cells() -> list[str]:
    cells = json.loads(QUICKSTART.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def speech_seconds(word_ends) -> float:
    return word_ends[-1][1]


def visible_latencies(changes, clicked_ms, word_ends) -> list[float]:
    """Seconds from the end of each spoken word to the first time it was on screen."""
    seen = speech.first_seen([((when - clicked_ms) / 1000, text) for when, text in changes], [w for w, _ in word_ends])
    return [seen[i] - end for i, (_, end) in enumerate(word_ends) if i in seen]


def start_recording(nb, run_all=False):
    nb.run_all() if run_all else nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    widget.wait_for()
    nb.page.evaluate(OBSERVE)
    widget.get_by_role("button", name="Start", exact=True).click()
    return widget


def words_while_speaking(nb, started: float, word_ends) -> None:
    """Words on screen while the person is still talking: the first three, before the speech ends."""
    nb.page.wait_for_function(
        "() => (document.querySelector('.lt-transcript').textContent || '').trim().split(/\\s+/).length >= 3",
        timeout=20_000,
    )
    assert time.monotonic() - started < speech_seconds(word_ends)


def finish(nb, widget, started: float, word_ends) -> str:
    # Let the last word be spoken and the silence after it end the utterance, then stop
    # before Chromium loops the file.
    time.sleep(max(0.0, started + speech_seconds(word_ends) + 3.0 - time.monotonic()))
    widget.get_by_role("button", name="Stop", exact=True).click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=60)
    assert nb.kernel.eval("w.error") == ""
    return nb.kernel.eval("w.transcript")


def test_words_appear_live_and_the_transcript_holds_the_sentence(open_notebook, fake_mic, word_ends, screenshot):
    nb = open_notebook(*quickstart_cells(), name="quickstart")
    widget = start_recording(nb, run_all=True)
    started = time.monotonic()

    words_while_speaking(nb, started, word_ends)
    assert widget.get_by_role("button", name="Stop", exact=True).is_visible()
    screenshot(nb.page.locator(".jp-OutputArea").first, "widget-recording", docs="screenshot-recording.png")

    transcript = finish(nb, widget, started, word_ends)
    error = speech.wer(fake_mic.text, transcript)
    shown = final_text(widget)
    screenshot(nb.page.locator(".jp-OutputArea").first, "widget-after-stop")

    log = nb.page.evaluate("() => window.__lt")
    latencies = visible_latencies(log["changes"], log["clicked"], word_ends)
    print(
        f"\nbrowser: WER {error:.3f}; visible latency over {len(latencies)} of {len(word_ends)} words: "
        f"p50 {statistics.median(latencies):.2f} s, p90 {statistics.quantiles(latencies, n=10)[-1]:.2f} s, "
        f"max {max(latencies):.2f} s"
    )
    assert error <= WER_BOUND, transcript
    assert shown.split() == transcript.split()  # the page shows what the kernel holds
    assert len(latencies) >= 0.8 * len(word_ends)
    assert nb.kernel.eval("w.recordings[-1].counters.lost") == 0
    # The quickstart's observe callback counted the final words.
    assert nb.kernel.eval("count.value") == f"{len(transcript.split())} words"


@pytest.mark.parametrize("engine, label", [("moonshine+whisper", "offline · moonshine + tiny.en"), ("whisper", "offline · tiny.en")])
def test_each_offline_engine_by_name(open_notebook, fake_mic, word_ends, engine, label):
    """Both offline engines, chosen by name (the quickstart above runs the default one): words show
    while the person speaks, the label says which engine it is, and the transcript holds the sentence."""
    nb = open_notebook(f"from live_transcriber import LiveTranscriber\nw = LiveTranscriber(engine={engine!r})\nw")
    widget = start_recording(nb)
    started = time.monotonic()
    words_while_speaking(nb, started, word_ends)
    assert widget.locator(".lt-engine").inner_text() == label  # (chosen by name: no reason to give)
    transcript = finish(nb, widget, started, word_ends)
    error = speech.wer(fake_mic.text, transcript)
    print(f"\n{engine}: WER {error:.3f}")
    assert error <= WER_BOUND, transcript
    assert final_text(widget).split() == transcript.split()
    assert nb.kernel.eval("w.recordings[-1].counters.lost") == 0


def test_a_busy_kernel_loses_nothing(open_notebook, fake_mic, word_ends):
    """A cell runs for 8 s while the person speaks: nothing is lost, and in JupyterLab, which sends
    widget messages to a kernel subshell of their own, the words keep coming while the cell runs."""
    nb = open_notebook(
        "from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\nw",
        "import time\ntime.sleep(8)",
    )
    widget = start_recording(nb)
    started = time.monotonic()
    nb.page.wait_for_function("() => document.querySelector('.lt-root').dataset.phase === 'recording'")
    busy_from = nb.page.evaluate("() => performance.now()")
    nb.run_cell(1, timeout=30)
    busy_until = nb.page.evaluate("() => performance.now()")
    # Every message from the page goes to that subshell, in the order sent (widget._in_the_order_sent):
    # ipykernel's own routing handed them to the main shell by turns, where they waited for the cell.
    shown = [text.split() for when, text in nb.page.evaluate("() => window.__lt.changes") if busy_from + 1000 < when < busy_until - 1000]
    assert shown and len(shown[-1]) > len(shown[0]), "no new words on screen while the cell ran"
    transcript = finish(nb, widget, started, word_ends)
    counters = nb.kernel.eval("vars(w.recordings[-1].counters)")
    error = speech.wer(fake_mic.text, transcript)
    print(f"\nbusy kernel: WER {error:.3f}, {counters['chunks']} chunks, lost {counters['lost']}")
    assert error <= WER_BOUND, transcript
    assert counters["lost"] == 0 and counters["duplicates"] == 0
    # MediaRecorder sends a chunk every 250-300 ms here, and the browser's stop message says how
    # many it sent (the protocol reports any that did not arrive as lost, checked above).
    assert counters["chunks"] >= 3 * speech_seconds(word_ends)


def test_two_views_share_one_recorder(open_notebook, fake_mic, word_ends):
    nb = open_notebook("from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\ndisplay(w)\ndisplay(w)")
    nb.run_cell(0)
    views = nb.page.locator(".lt-root")
    views.nth(1).wait_for()
    assert views.count() == 2
    views.nth(0).get_by_role("button", name="Start", exact=True).click()
    # Both views follow the one recording; the second view stops it.
    views.nth(1).get_by_role("button", name="Stop", exact=True).wait_for()
    nb.page.wait_for_function(
        "() => document.querySelectorAll('.lt-final')[1].textContent.trim().split(/\\s+/).length >= 5",
        timeout=30_000,
    )
    views.nth(1).get_by_role("button", name="Stop", exact=True).click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=60)
    assert nb.kernel.eval("w.error") == ""  # a second recorder would have started a second stream
    finals = [final_text(views.nth(i)) for i in range(2)]
    assert finals[0] == finals[1] == nb.kernel.eval("w.transcript")
    assert views.nth(0).get_by_role("button", name="Start", exact=True).is_enabled()


def test_the_deepgram_engine_in_the_browser(open_notebook, fake_mic, alignment, word_ends, make_deepgram_server):
    """The same user path with the Deepgram engine, relaying to a Deepgram-protocol server on loopback
    that answers with the words of the fake microphone's script."""
    server = make_deepgram_server("browser-key", alignment)
    nb = open_notebook(
        "from live_transcriber import LiveTranscriber\n"
        f"w = LiveTranscriber(engine='deepgram', api_key='browser-key', base_url={server.base_url!r})\nw"
    )
    widget = start_recording(nb)
    started = time.monotonic()
    words_while_speaking(nb, started, word_ends)
    assert "Deepgram" in widget.locator(".lt-status").inner_text()
    transcript = finish(nb, widget, started, word_ends)
    assert speech.wer(" ".join(w for w, _, _ in alignment), transcript) == 0.0, transcript
    connection = server.connections[0]
    assert "Finalize" in connection.controls and "CloseStream" in connection.controls
    # The key never reaches the browser (the notebook's own code cell holds it, the widget not).
    assert "browser-key" not in widget.inner_html()
    assert "browser-key" not in nb.kernel.eval("str(w.get_state()) + repr(w)")

"""The fault matrix, in the real browser: each fault shows a clear message and loses nothing.

Each test records, injects one fault, checks what the user sees, and checks what was kept (the
audio that reached the kernel, the audio the page kept and sent again, the words) against what
was recorded. Each prints one line of the fault table (``FAULT | message | kept | lost``).

Tests where recognition is not the point use ``ScriptedEngine``, which keeps the bytes it is
given: "nothing lost" is then exact, chunk for chunk. Faults injected in the page are in
``harness/faults.py``.
"""

from __future__ import annotations

import time

import pytest
import speech
from harness import faults
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

LOCAL = "from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\nw"
SCRIPTED = (
    "from live_transcriber import LiveTranscriber\nfrom live_transcriber.testing import ScriptedEngine\n"
    "engine = ScriptedEngine()\nw = LiveTranscriber(engine=engine)\nw"
)
# Seconds of audio in a recording's bytes, decoded (a recovered recording starts mid-stream).
SECONDS = """
import io, av

def seconds(data):
    with av.open(io.BytesIO(bytes(data))) as container:
        return round(sum(frame.samples / frame.sample_rate for frame in container.decode(audio=0)), 2)
"""


def report(fault: str, message: str, kept: str, lost: str) -> None:
    """One row of the fault table, in the test's output (``pytest -s`` or ``-rA`` shows it)."""
    print(f"\nFAULT | {fault} | {message} | {kept} | {lost}")


def button(scope, name: str):
    return scope.get_by_role("button", name=name, exact=True)


def chunks_received(nb, index: int = -1) -> int:
    return nb.kernel.eval(f"w.recordings[{index}].counters.chunks if w.recordings else 0")


def spoken(alignment, start: float, end: float) -> list[str]:
    """The words spoken between two times of the fake microphone's audio."""
    return [speech.normalize(w) for w, s, e in alignment if s >= start and e <= end]


def test_page_reload_mid_recording(page, open_notebook, alignment):
    nb = open_notebook(LOCAL, SECONDS)
    nb.run_all()
    nb.save()  # so the reloaded page shows the widget again
    faults.install(page)
    button(page, "Start").click()
    nb.kernel.wait_for("w.recordings[-1].counters.chunks if w.recordings else 0", lambda n: n >= 16, timeout=60)
    # The connection starts losing the audio chunks (the kernel never gets them), then the page is reloaded.
    faults.drop_chunks(page)
    page.wait_for_function("() => window.__ltFaults.dropped >= 16", timeout=30_000)
    [kept] = faults.kept_audio(page)
    received = chunks_received(nb)
    nb.reload()

    notice = page.locator(".lt-unsent")
    expect(notice).to_contain_text("did not reach the kernel", timeout=30_000)
    message = page.locator(".lt-unsent-text").inner_text()
    assert nb.kernel.eval("w.status") == "recording"  # the kernel still has the recording open
    button(notice, "Send to the kernel").click()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=120)

    counters = nb.kernel.eval("vars(w.recordings[-1].counters)")
    assert nb.kernel.eval("len(w.recordings)") == 1  # the same recording went on
    assert counters["lost"] == 0 and counters["chunks"] >= kept["chunks"] > received
    assert nb.kernel.eval("w.error") == ""
    transcript = nb.kernel.eval("w.transcript")
    recorded = nb.kernel.eval("seconds(w.recordings[-1].data)")
    words = [speech.normalize(w) for w in transcript.split()]
    # The words spoken while the chunks were being dropped are in the transcript.
    late = spoken(alignment, received * 0.25 + 1.0, recorded - 1.0)
    assert late and sum(w in words for w in late) >= 0.7 * len(late), (late, transcript)
    assert speech.wer(" ".join(spoken(alignment, 0, recorded - 1.0)), transcript) <= 0.25, transcript
    # Once transcribed, the page keeps nothing.
    page.wait_for_function("() => document.querySelector('.lt-unsent').hidden")
    assert faults.kept_audio(page) == []
    report(
        "page reload mid-recording",
        message.split(" This browser")[0],
        f"all {recorded:.1f} s recorded ({kept['chunks']} chunks; {kept['chunks'] - received} sent after the reload), "
        f"{len(words)} words",
        "0 chunks; the reload itself records nothing",
    )

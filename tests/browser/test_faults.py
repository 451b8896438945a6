"""The fault matrix, in the real browser: each fault shows a clear message and loses nothing.

Each test records, injects one fault, checks what the user sees, and checks what was kept (the
audio that reached the kernel, the audio the page kept and sent again, the words) against what
was recorded. Each prints one line of the fault table (``FAULT | message | kept | lost``).

Tests where recognition is not the point use ``ScriptedEngine``, which keeps the bytes it is
given: "nothing lost" is then exact, chunk for chunk. Faults injected in the page are in
``harness/faults.py``.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
import speech
from harness import faults
from harness.notebook import open_again
from playwright.sync_api import expect

from live_transcriber.journal import load
from live_transcriber.testing.deepgram_server import Fault

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

LOCAL = "from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\nw"
# An engine that hears nothing and keeps what it is given; a recording is done as soon as it ends.
SCRIPTED = (
    "from live_transcriber import LiveTranscriber\nfrom live_transcriber.testing import ScriptedEngine\n"
    "engine = ScriptedEngine(close_on_end=True)\nw = LiveTranscriber(engine=engine)\nw"
)
# The offline engine, whose first stream fails (raises) at its 40th chunk, about 10 s in, as an
# engine bug would: an error event first, then the stream stops.
FAILS_ONCE = """
import threading
from live_transcriber import LiveTranscriber
from live_transcriber.engines import Engine, EngineStream
from live_transcriber.engines.local import LocalEngine
from live_transcriber.results import EngineError

class FailingStream(EngineStream):
    def __init__(self, stream, emit):
        self.stream, self.emit, self.writes = stream, emit, 0

    def write(self, data):
        self.writes += 1
        if self.writes < 40:
            self.stream.write(data)
        elif self.writes == 40:
            def fail():
                self.emit(EngineError("The offline engine failed: RuntimeError('injected fault')"))
                self.stream.abort()
            threading.Thread(target=fail).start()

    def end(self):
        self.stream.end()

    def abort(self):
        self.stream.abort()

    def wait(self, timeout=None):
        return self.stream.wait(timeout)

class FailsOnce(Engine):
    def __init__(self):
        self.local, self.opened = LocalEngine(), 0
        self.label = self.local.label

    def open(self, mime_type, emit, **options):
        self.opened += 1
        stream = self.local.open(mime_type, emit, **options)
        return FailingStream(stream, emit) if self.opened == 1 else stream

engine = FailsOnce()
w = LiveTranscriber(engine=engine)
w
"""
# Seconds of audio in a recording's bytes, decoded (a recovered recording starts mid-stream).
SECONDS = """
import io, av

def seconds(data):
    with av.open(io.BytesIO(bytes(data))) as container:
        return round(sum(frame.samples / frame.sample_rate for frame in container.decode(audio=0)), 2)
"""


# Records in the page every status the widget shows, to see the short-lived ones.
WATCH_STATUS = """
() => {
  window.__ltStatuses = [];
  const node = document.querySelector('.lt-status');
  const text = (name) => node.querySelector(name).textContent;
  new MutationObserver(() => window.__ltStatuses.push(`${text('.lt-status-text')} (${text('.lt-status-detail')})`))
    .observe(node, { subtree: true, childList: true, characterData: true });
}
"""


def report(fault: str, message: str, kept: str, lost: str) -> None:
    """One row of the fault table, in the test's output (``pytest -s`` or ``-rA`` shows it)."""
    print(f"\nFAULT | {fault} | {message} | {kept} | {lost}")


def button(scope, name: str):
    return scope.get_by_role("button", name=name, exact=True)


def chunks_received(nb, widget: str = "w") -> int:
    return nb.kernel.eval(f"{widget}.recordings[-1].counters.chunks if {widget}.recordings else 0")


def wait_for_chunks(nb, count: int, widget: str = "w") -> None:
    nb.kernel.wait_for(f"{widget}.recordings[-1].counters.chunks if {widget}.recordings else 0", lambda n: n >= count, timeout=60)


def all_arrived(nb, widget: str = "w", engine: str = "engine", stream: int = -1) -> dict:
    """The latest recording's counters, checked: every chunk the page said it sent arrived once,
    and the engine was given exactly the recording's bytes."""
    counters = nb.kernel.eval(f"vars({widget}.recordings[-1].counters)")
    assert counters["lost"] == 0 and counters["duplicates"] == 0 and counters["chunks"] > 0, counters
    assert nb.kernel.eval(f"bytes({engine}.streams[{stream}].written) == bytes({widget}.recordings[-1].data)")
    return counters


def nothing_kept(page) -> None:
    """Everything was confirmed: the page keeps no audio (waits for the last acknowledgement)."""
    page.wait_for_function(
        "async () => { const ok = await new Promise((r) => { const q = indexedDB.open('live-transcriber');"
        " q.onsuccess = () => { const db = q.result; const t = db.transaction('recordings').objectStore('recordings').count();"
        " t.onsuccess = () => { db.close(); r(t.result === 0); }; }; }); return ok; }",
        timeout=30_000,
        polling=500,
    )


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
    assert nb.kernel.eval("w.recording") is True
    button(notice, "Send to the kernel").click()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=120)
    nb.kernel.wait_for("w.recording", lambda r: r is False, timeout=10)  # ended by the reloaded page: nothing records

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


def test_the_notebook_open_in_two_tabs(page, open_notebook, jupyter_lab):
    nb = open_notebook(SCRIPTED, SECONDS)
    nb.run_all()
    nb.save()
    other = open_again(jupyter_lab, page.context.new_page(), nb)
    second = other.page.locator(".lt-root")
    second.wait_for()

    button(page, "Start").click()
    wait_for_chunks(nb, 8)
    # The second tab shows the recording, offers none of its audio, and cannot start another.
    expect(second.locator(".lt-status-text")).to_have_text("recording")
    button(second, "Start").click()
    expect(second.locator(".lt-error")).to_contain_text("recording in another tab or window")
    message = second.locator(".lt-error").inner_text()
    assert second.locator(".lt-unsent").is_hidden()
    assert nb.kernel.eval("len(w.recordings)") == 1
    wait_for_chunks(nb, 16)  # the first tab records on, undisturbed
    assert nb.kernel.eval("w.recording") is True  # the second tab's refused Start did not turn it off
    button(page, "Stop").click()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=60)
    assert nb.kernel.eval("w.recording") is False
    first = all_arrived(nb)
    assert nb.kernel.eval("w.error") == ""
    nothing_kept(page)

    # Once the first tab stopped, the second one records.
    button(second, "Start").click()
    nb.kernel.wait_for("len(w.recordings)", lambda n: n == 2, timeout=30)
    wait_for_chunks(nb, 8)
    button(second, "Stop").click()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=60)
    then = all_arrived(nb)
    assert page.locator(".lt-unsent").is_hidden() and second.locator(".lt-unsent").is_hidden()
    seconds = nb.kernel.eval("[seconds(r.data) for r in w.recordings]")

    # Started from Python, both tabs hear it and one records (whichever takes the widget's lock first).
    nb.kernel.execute("w.start()")
    nb.kernel.wait_for("len(w.recordings)", lambda n: n == 3, timeout=30)
    wait_for_chunks(nb, 8)
    assert nb.kernel.eval("w.recording") is True
    nb.kernel.execute("w.stop()")
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=60)
    all_arrived(nb)
    assert nb.kernel.eval("(len(w.recordings), w.recording, w.error)") == [3, False, ""]
    report(
        "notebook open in two tabs",
        f"second tab: {message!r}",
        f"both recordings whole ({first['chunks']} and {then['chunks']} chunks, {seconds[0]:.1f} s and {seconds[1]:.1f} s)",
        "nothing",
    )


def test_the_microphone_unplugged_mid_recording(page, open_notebook):
    nb = open_notebook(SCRIPTED, SECONDS)
    nb.run_all()
    faults.install(page)
    button(page, "Start").click()
    wait_for_chunks(nb, 12)
    faults.unplug_microphone(page)
    expect(page.locator(".lt-error")).to_contain_text("The microphone was disconnected or turned off")
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=60)
    assert "disconnected" in nb.kernel.eval("w.error")
    counters = all_arrived(nb)  # the stop message counts every chunk sent, up to the last one
    recorded = nb.kernel.eval("seconds(w.recordings[-1].data)")
    nothing_kept(page)
    expect(button(page, "Start")).to_be_enabled()
    report(
        "microphone unplugged (track ended)",
        page.locator(".lt-error").inner_text(),
        f"all {recorded:.1f} s up to the unplugging ({counters['chunks']} chunks)",
        "nothing",
    )


def test_the_kernel_interrupted_while_recording(page, open_notebook, jupyter_lab):
    nb = open_notebook(SCRIPTED, SECONDS, "import time\ntime.sleep(120)")
    nb.run_cell(0)
    nb.run_cell(1)
    button(page, "Start").click()
    wait_for_chunks(nb, 8)
    interrupt = f"/api/kernels/{nb.kernel.kernel_id}/interrupt"
    # Interrupted while idle, with the page's chunks coming in.
    jupyter_lab.api("POST", interrupt)
    wait_for_chunks(nb, 16)
    # A long cell runs (the chunks wait in the kernel's queue) and the user interrupts it.
    received = chunks_received(nb)
    nb.start_cell(2)
    page.wait_for_function(
        "(n) => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'busy'", arg=received
    )
    [kept] = faults.kept_audio(page)
    page.wait_for_function(
        "async (n) => { const q = indexedDB.open('live-transcriber'); const db = await new Promise((r) => { q.onsuccess = () => r(q.result); });"
        " const all = await new Promise((r) => { const g = db.transaction('recordings').objectStore('recordings').getAll(); g.onsuccess = () => r(g.result); });"
        " db.close(); return all.some((k) => k.chunks >= n); }",
        arg=kept["chunks"] + 8,
        polling=500,
    )
    jupyter_lab.api("POST", interrupt)
    expect(nb.output(2)).to_contain_text("KeyboardInterrupt", timeout=30_000)
    wait_for_chunks(nb, kept["chunks"] + 12)
    button(page, "Stop").click()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=60)
    counters = all_arrived(nb)
    assert nb.kernel.eval("w.error") == "" and page.locator(".lt-error").inner_text() == ""
    recorded = nb.kernel.eval("seconds(w.recordings[-1].data)")
    nothing_kept(page)
    report(
        "kernel interrupted while recording (idle, and during a long cell)",
        "none in the widget (the cell shows KeyboardInterrupt)",
        f"all {recorded:.1f} s ({counters['chunks']} chunks)",
        "nothing",
    )


def test_the_kernel_killed_and_restarted(page, open_notebook):
    nb = open_notebook(SCRIPTED, SECONDS)
    nb.run_all()
    button(page, "Start").click()
    wait_for_chunks(nb, 12)
    folder = Path(nb.kernel.eval("str(w.journal.folder)"))
    assert nb.kernel.eval("w._identity['kernel']") == nb.kernel.kernel_id  # which a restart keeps
    pid = nb.kernel.eval("__import__('os').getpid()")
    os.kill(pid, signal.SIGKILL)
    nb.kernel.close()  # its connection belonged to the old process
    # Jupyter restarts a kernel that died; JupyterLab says so in a dialog.
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("restart", ignore_case=True, timeout=60_000)
    dialog.get_by_role("button").last.click()
    nb.wait_until_idle(timeout=90)
    # The old widget is still on the page: its next message fails, so it stops recording and says why.
    expect(page.locator(".lt-error")).to_contain_text("The kernel stopped", timeout=30_000)
    stopped = page.locator(".lt-error").inner_text()
    expect(page.locator(".lt-root")).to_have_attribute("data-phase", "off")

    nb.run_all()  # the widget again, in the new kernel
    notice = page.locator(".lt-unsent")
    expect(notice).to_contain_text("did not reach the kernel", timeout=30_000)
    message = page.locator(".lt-unsent-text").inner_text()
    [kept] = faults.kept_audio(page)
    button(notice, "Send to the kernel").click()
    nb.kernel.wait_for("w.status if w.recordings else ''", lambda s: s == "idle", timeout=60)
    assert nb.kernel.eval("w.recordings[0].source.name") == "audio recovered from the browser"
    all_arrived(nb)
    nothing_kept(page)

    recovered = nb.kernel.eval("seconds(w.recordings[0].data)")
    journaled = nb.kernel.eval(f"seconds(open({str(folder / ('recording-0.webm'))!r}, 'rb').read())")
    total = kept["seconds"]
    # The first kernel's journal and the recovered recording hold everything recorded (they may
    # share up to one cluster, about 0.3 s, at the seam).
    assert journaled + recovered >= total - 0.5, (journaled, recovered, total)
    assert recovered > 0.5 and journaled > 1.0
    report(
        "kernel killed (SIGKILL) and restarted",
        f"old widget: {stopped!r}; the widget run again: {message.split(' This browser')[0]!r}",
        f"{journaled:.1f} s in the old kernel's journal (resume it) + {recovered:.1f} s sent again from the page "
        f"= all {total:.1f} s recorded",
        "nothing (the old kernel's words come back with LiveTranscriber.recover)",
    )


def test_three_widgets_recording_at_once(page, open_notebook):
    nb = open_notebook(
        "from live_transcriber import LiveTranscriber\nfrom live_transcriber.testing import ScriptedEngine\n"
        "engines = [ScriptedEngine(close_on_end=True) for _ in range(3)]\n"
        "ws = [LiveTranscriber(engine=e) for e in engines]\ndisplay(*ws)",
        SECONDS,
    )
    nb.run_all()
    views = page.locator(".lt-root")
    views.nth(2).wait_for()
    for i in range(3):
        button(views.nth(i), "Start").click()
    for i in range(3):
        wait_for_chunks(nb, 12, widget=f"ws[{i}]")
    for i in range(3):
        button(views.nth(i), "Stop").click()
    nb.kernel.wait_for("[w.status for w in ws]", lambda s: s == ["idle"] * 3, timeout=60)
    counts = []
    for i in range(3):
        counts.append(all_arrived(nb, widget=f"ws[{i}]", engine=f"engines[{i}]")["chunks"])
        assert nb.kernel.eval(f"len(ws[{i}].recordings)") == 1 and nb.kernel.eval(f"ws[{i}].error") == ""
    seconds = nb.kernel.eval("[seconds(w.recordings[0].data) for w in ws]")
    assert all(s > 2.0 for s in seconds), seconds
    nothing_kept(page)
    report(
        "three widgets recording at once",
        "none",
        f"each its own whole recording ({', '.join(f'{c} chunks, {s:.1f} s' for c, s in zip(counts, seconds))})",
        "nothing",
    )


def test_the_widget_closed_mid_recording(page, open_notebook):
    nb = open_notebook(SCRIPTED, SECONDS, "w2 = LiveTranscriber(engine=ScriptedEngine(close_on_end=True))\nw2")
    nb.run_cell(0)
    nb.run_cell(1)
    button(page, "Start").click()
    wait_for_chunks(nb, 12)
    folder = Path(nb.kernel.eval("str(w.journal.folder)"))
    nb.kernel.execute("w.close()")
    expect(page.locator(".lt-root")).to_have_count(0)  # the widget is gone, and its recorder stopped
    page.wait_for_function(
        "async () => { const q = indexedDB.open('live-transcriber'); const db = await new Promise((r) => { q.onsuccess = () => r(q.result); });"
        " const all = await new Promise((r) => { const g = db.transaction('recordings').objectStore('recordings').getAll(); g.onsuccess = () => r(g.result); });"
        " db.close(); return all.length === 1 && all[0].ownerGone; }",
        polling=500,
    )
    [kept] = faults.kept_audio(page)

    # A new widget in the same kernel offers what the page recorded after the kernel closed the first.
    nb.run_cell(2)
    notice = page.locator(".lt-unsent")
    expect(notice).to_contain_text("did not reach the kernel", timeout=30_000)
    message = page.locator(".lt-unsent-text").inner_text()
    button(notice, "Send to the kernel").click()
    nb.kernel.wait_for("w2.status if w2.recordings else ''", lambda s: s == "idle", timeout=60)
    assert nb.kernel.eval("w2.recordings[0].source.name") == "audio recovered from the browser"
    nothing_kept(page)
    journaled = nb.kernel.eval(f"seconds(open({str(folder / 'recording-0.webm')!r}, 'rb').read())")
    recovered = nb.kernel.eval("seconds(w2.recordings[0].data)")
    assert journaled + recovered >= kept["seconds"] - 0.5, (journaled, recovered, kept)
    # close() stops at once; its journal keeps the recording as interrupted, so resume() can
    # transcribe what close() cut short.
    assert [r.index for r in load(folder).interrupted] == [0]
    report(
        "widget closed mid-recording (w.close())",
        f"new widget: {message.split(' This browser')[0]!r}",
        f"{journaled:.1f} s in w's journal + {recovered:.1f} s sent again = all {kept['seconds']:.1f} s recorded",
        "nothing (words close() cut short: LiveTranscriber.recover(w.journal.folder))",
    )


def speak_and_stop(nb, page, word_ends, started: float) -> None:
    """Let the fake microphone say the whole paragraph (and the pause after it), then press Stop."""
    remaining = started + word_ends[-1][1] + 2.5 - time.monotonic()
    if remaining > 0:
        page.wait_for_timeout(remaining * 1000)
    button(page, "Stop").click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=120)


def test_an_engine_exception_mid_recording(page, open_notebook, fake_mic, word_ends):
    nb = open_notebook(FAILS_ONCE, SECONDS)
    nb.run_all()
    button(page, "Start").click()
    started = time.monotonic()
    expect(page.locator(".lt-error")).to_contain_text("injected fault", timeout=60_000)
    message = page.locator(".lt-error").inner_text()
    assert "started again" in message
    assert page.locator(".lt-root").get_attribute("data-phase") == "recording"  # the page records on
    speak_and_stop(nb, page, word_ends, started)
    transcript = nb.kernel.eval("w.transcript")
    error = speech.wer(fake_mic.text, transcript)
    assert nb.kernel.eval("engine.opened") == 2
    assert error <= 0.25, transcript
    counters = nb.kernel.eval("vars(w.recordings[-1].counters)")
    assert counters["lost"] == 0 and nb.kernel.eval("len(w.recordings)") == 1
    nothing_kept(page)
    report(
        "engine exception mid-recording (offline engine's stream raises at 10 s)",
        message,
        f"the recording goes on; transcript WER {error:.2f} ({len(transcript.split())} of {len(fake_mic.text.split())} words)",
        "nothing",
    )


def test_a_decoder_error_mid_stream(page, open_notebook, alignment, word_ends):
    nb = open_notebook(LOCAL, SECONDS)
    nb.run_all()
    faults.install(page)
    button(page, "Start").click()
    started = time.monotonic()
    wait_for_chunks(nb, 16)
    faults.damage_chunks(page, 1)  # half of one chunk's audio becomes garbage on its way
    expect(page.locator(".lt-error")).to_contain_text("could not be decoded", timeout=60_000)
    message = page.locator(".lt-error").inner_text()
    assert page.locator(".lt-root").get_attribute("data-phase") == "recording"  # not fatal
    speak_and_stop(nb, page, word_ends, started)
    transcript = nb.kernel.eval("w.transcript")
    found = re.search(r"About ([\d.]+) s of audio around (\d+):(\d+)", message)
    assert found, message
    missing, at = float(found[1]), int(found[2]) * 60 + int(found[3])
    words = [speech.normalize(w) for w in transcript.split()]
    # The words outside the damaged stretch are in the transcript, in their place.
    outside = spoken(alignment, 0, at - 1.0) + spoken(alignment, at + missing + 2.0, 1e9)
    assert sum(w in words for w in outside) >= 0.8 * len(outside), (outside, transcript)
    inside = [w for w, begin, end in alignment if begin < at + 1 + missing and end > at]
    report(
        "decoder error: half of one chunk garbage mid-stream (offline engine)",
        message,
        f"the recording goes on; {len(words)} words, WER {speech.wer(' '.join(w for w, _, _ in alignment), transcript):.2f}",
        f"{missing:.1f} s of audio at {at // 60}:{at % 60:02d} ({len(inside)} words spoken near it)",
    )


def test_the_deepgram_connection_drops_while_the_kernel_is_busy(page, open_notebook, alignment, word_ends, make_deepgram_server):
    server = make_deepgram_server("k", alignment)
    server.faults.append(Fault.drop(after=4.0))  # the first connection drops after 4 s of audio
    nb = open_notebook(
        "from live_transcriber import LiveTranscriber\n"
        f"w = LiveTranscriber(engine='deepgram', api_key='k', base_url={server.base_url!r})\nw",
        # A cell that runs until the engine has reconnected: the kernel is busy throughout.
        "import time\nsaw = []\ndeadline = time.monotonic() + 90\n"
        "while w.status != 'reconnecting' and time.monotonic() < deadline:\n    time.sleep(0.05)\n"
        "saw.append(w.status)\n"
        "while w.status == 'reconnecting' and time.monotonic() < deadline:\n    time.sleep(0.05)\n"
        "saw.append(w.status)",
    )
    nb.run_cell(0)
    page.evaluate(WATCH_STATUS)
    button(page, "Start").click()
    started = time.monotonic()
    wait_for_chunks(nb, 4)
    nb.run_cell(1, timeout=120)
    assert nb.kernel.eval("saw") == ["reconnecting", "recording"]
    speak_and_stop(nb, page, word_ends, started)
    transcript = nb.kernel.eval("w.transcript")
    assert speech.wer(" ".join(w for w, _, _ in alignment), transcript) == 0.0, transcript
    assert len(server.connections) == 2 and server.connections[0].fault is not None
    statuses = page.evaluate("() => window.__ltStatuses")
    shown = next((s for s in statuses if s.startswith("reconnecting")), "")
    assert shown, statuses
    assert nb.kernel.eval("w.error") == ""
    nothing_kept(page)
    report(
        "Deepgram connection dropped while a cell runs",
        f"status {shown!r} while it reconnects",
        f"every word of the script ({len(transcript.split())}), exactly once",
        "nothing",
    )


def test_transcript_text_is_data_never_markup(page, open_notebook):
    nb = open_notebook(
        SCRIPTED,
        "from live_transcriber.results import Result, EngineError\n"
        "MARKUP = '<img src=x onerror=\"window.__pwned = 1\"> and <script>window.__pwned = 2</script> <b>bold</b>'\n"
        "engine.say(w.transcriber, Result(MARKUP, 0.0, 1.0, is_final=True, speech_final=True))\n"
        "engine.say(w.transcriber, Result('<i>interim</i> <svg onload=\"window.__pwned = 3\"></svg>', 1.0, 2.0))\n"
        "engine.stream.emit(EngineError('<a href=\"javascript:window.__pwned = 4\">error</a>'))",
    )
    nb.run_all()
    widget = page.locator(".lt-root")
    markup = nb.kernel.eval("MARKUP")
    expect(widget.locator(".lt-final .lt-text")).to_have_text(markup)
    expect(widget.locator(".lt-interim")).to_have_text('<i>interim</i> <svg onload="window.__pwned = 3"></svg>')
    expect(widget.locator(".lt-error")).to_contain_text('<a href="javascript:window.__pwned = 4">error</a>')
    assert widget.locator(".lt-transcript *:is(img, script, b, i, svg), .lt-error *").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    report("markup in an engine's results and errors", "shown as text", "the text, exactly", "nothing")


def test_kept_audio_is_bounded_can_be_downloaded_and_discarded(page, open_notebook):
    nb = open_notebook(SCRIPTED, SECONDS)
    page.evaluate("() => localStorage.setItem('live-transcriber:store-limit-mb', '0.1')")
    nb.run_all()
    nb.save()
    faults.install(page)
    button(page, "Start").click()
    wait_for_chunks(nb, 4)
    faults.drop_chunks(page)  # from now on the kernel gets nothing; the page keeps what it may
    note = page.locator(".lt-unsent-text")
    expect(note).to_contain_text("keeps at most 0.1 MB of audio the kernel has not confirmed, and that is full", timeout=30_000)
    full = note.inner_text()
    [kept] = faults.kept_audio(page)
    page.wait_for_function("(n) => window.__ltFaults.dropped >= n", arg=kept["chunks"] + 8)
    [later] = faults.kept_audio(page)
    assert later["chunks"] == kept["chunks"] and later["bytes"] <= 0.1 * 1024 * 1024  # no more kept
    received = chunks_received(nb)
    nb.reload()

    notice = page.locator(".lt-unsent")
    expect(notice).to_contain_text("did not reach the kernel", timeout=30_000)
    with page.expect_download() as download:
        button(notice, "Download").click()
    path = download.value.path()
    assert download.value.suggested_filename.startswith("untranscribed-audio-") and download.value.suggested_filename.endswith(".webm")
    saved = nb.kernel.eval(f"seconds(open({str(path)!r}, 'rb').read())")
    assert saved >= 0.8 * kept["seconds"] * (kept["chunks"] - received) / kept["chunks"] > 0
    button(notice, "Discard").click()
    expect(notice).to_be_hidden()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=30)  # the kernel's recording was ended
    assert nb.kernel.eval("vars(w.recordings[-1].counters)")["lost"] == 0
    nothing_kept(page)
    report(
        "unconfirmed audio past the page's bound (0.1 MB here, 256 MB by default)",
        full,
        f"the first {kept['bytes'] / 1024:.0f} kB ({kept['chunks']} chunks), downloaded as a file ({saved:.1f} s) or sent",
        "what the kernel never got after the bound; Discard deletes the rest",
    )

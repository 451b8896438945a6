"""The widget's controls in JupyterLab: pause/resume, the microphone picker, the level meter, the
clock, copy, clear, exports, the transcript view (utterances, timestamps, speakers, history) and
how it looks in the light and dark themes.

Tests that need speech record the fake microphone; tests that only need a transcript use a
scripted engine (``live_transcriber.testing.ScriptedEngine``) that delivers the results they say,
which is fast and exact.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import speech
from harness.view import final_text
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

WIDGET = "from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\nw"
SCRIPTED_WIDGET = (
    "from live_transcriber import LiveTranscriber\nfrom live_transcriber.testing import ScriptedEngine\n"
    "engine = ScriptedEngine()\nw = LiveTranscriber(engine=engine)\nw"
)
# With SCRIPTED_WIDGET, delivers final results as an engine would: `say("some words", start, speaker=None)`.
SAY = """
from live_transcriber.results import Result, Word

def say(text, start, speaker=None, speech_final=True):
    words = tuple(Word(t.strip('.,'), start + 0.3 * k, start + 0.3 * k + 0.25, 0.9, t, speaker)
                  for k, t in enumerate(text.split()))
    engine.say(w.transcriber, Result(text, start, words[-1].end, words, is_final=True, speech_final=speech_final))
"""
UTTERANCES = [
    "The weather is warm and sunny today.",
    "So we will walk to the park after lunch.",
    "Please send me the report before the meeting.",
]


def seconds(clock: str) -> int:
    minutes, secs = clock.split(":")
    return int(minutes) * 60 + int(secs)


def open_widget(open_notebook, *cells: str, ui: str = "lab", scripted: bool = False):
    nb = open_notebook(SCRIPTED_WIDGET if scripted else WIDGET, SAY, *cells, ui=ui)
    nb.run_cell(0)
    nb.run_cell(1)
    widget = nb.page.locator(".lt-root").first
    widget.wait_for()
    return nb, widget


def say_utterances(nb, utterances=UTTERANCES, speakers=(None, None, None)) -> str:
    for i, (text, speaker) in enumerate(zip(utterances, speakers)):
        nb.kernel.execute(f"say({text!r}, {3.0 * i + 1.0}, speaker={speaker!r})")
    return nb.kernel.eval("w.transcript")


def button(widget, name: str):
    return widget.get_by_role("button", name=name, exact=True)


def wait_for_words(page, count: int, timeout: float = 20_000) -> None:
    page.wait_for_function(
        f"() => (document.querySelector('.lt-transcript').textContent || '').trim().split(/\\s+/).length >= {count}",
        timeout=timeout,
    )


def stop(nb, widget) -> str:
    button(widget, "Stop").click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=60)
    assert nb.kernel.eval("w.error") == ""
    return nb.kernel.eval("w.transcript")


def test_pause_stops_the_stream_and_resume_goes_on_without_loss(open_notebook, fake_mic, alignment):
    nb, widget = open_widget(open_notebook)
    button(widget, "Start").click()
    clicked = time.monotonic()
    nb.page.wait_for_function(
        "() => (document.querySelector('.lt-final').textContent || '').trim().split(/\\s+/).length >= 3",
        timeout=20_000,
    )
    before = final_text(widget)  # final words never change

    button(widget, "Pause").click()
    paused_at = time.monotonic() - clicked
    assert button(widget, "Resume").is_visible()
    nb.kernel.wait_for("w.status", lambda s: s == "paused", timeout=10)
    assert widget.locator(".lt-meter").get_attribute("data-level") == "0.00"
    time.sleep(0.5)  # a chunk sent just before the pause may still be on its way
    chunks = nb.kernel.eval("w.recordings[-1].counters.chunks")
    clock = widget.locator(".lt-elapsed").inner_text()
    time.sleep(2.5)
    assert nb.kernel.eval("w.recordings[-1].counters.chunks") == chunks  # nothing recorded while paused
    assert widget.locator(".lt-elapsed").inner_text() == clock  # the clock stands still too

    button(widget, "Resume").click()
    resumed_at = time.monotonic() - clicked
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=10)
    time.sleep(max(0.0, alignment[-1][2] + 3.0 - (time.monotonic() - clicked)))
    recorded = time.monotonic() - clicked
    transcript = stop(nb, widget)

    assert nb.kernel.eval("w.recordings[-1].counters.lost") == 0
    assert nb.kernel.eval("w.recordings[-1].counters.chunks") > chunks
    assert transcript.startswith(before), (before, transcript)
    words = [speech.normalize(w) for w in transcript.split()]
    # Words spoken well after the resume were heard (the ones spoken during the pause were not).
    after = [speech.normalize(w) for w, start, _ in alignment if start > resumed_at + 0.5]
    heard = sum(1 for w in after if w in words)
    assert heard >= 0.7 * len(after), (after, transcript)
    spoken_in_pause = [speech.normalize(w) for w, start, end in alignment if start > paused_at + 0.5 and end < resumed_at - 0.5]
    assert len(words) < len(alignment) - len(spoken_in_pause) // 2, transcript
    # The clock counts recording time only.
    expected = recorded - (resumed_at - paused_at)
    assert expected - 2.5 <= seconds(widget.locator(".lt-elapsed").inner_text()) <= expected + 1.0


def test_deepgram_connection_is_kept_alive_while_paused(open_notebook, alignment, make_deepgram_server):
    # The test server closes a connection after 2 s without audio or a control message.
    server = make_deepgram_server("k", alignment, timeout=2.0)
    nb = open_notebook(
        "from live_transcriber import LiveTranscriber\n"
        f"w = LiveTranscriber(engine='deepgram', api_key='k', base_url={server.base_url!r})\n"
        "w.engine.keepalive_interval = 0.5  # Deepgram waits 10 s, the test server 2 s\n"
        "w"
    )
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    button(widget, "Start").click()
    wait_for_words(nb.page, 3)
    button(widget, "Pause").click()
    nb.kernel.wait_for("w.status", lambda s: s == "paused", timeout=10)
    time.sleep(4.0)
    assert nb.kernel.eval("w.status") == "paused"
    button(widget, "Resume").click()
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=10)
    time.sleep(2.0)
    transcript = stop(nb, widget)
    assert len(transcript.split()) >= 3
    assert len(server.connections) == 1
    controls = server.connections[0].controls
    assert "KeepAlive" in controls and "Finalize" in controls, controls


def test_the_microphone_picker_lists_devices_remembers_the_choice_and_falls_back(open_notebook):
    nb = open_notebook(WIDGET)
    # A microphone chosen earlier that is not there any more.
    nb.page.evaluate("() => localStorage.setItem('live-transcriber:microphone', 'unplugged-mic')")
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    picker = widget.get_by_role("combobox", name="Microphone")
    assert picker.input_value() == "unplugged-mic"

    button(widget, "Start").click()
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=20)
    assert "not available" in widget.locator(".lt-error").inner_text()
    assert picker.is_disabled()  # the choice applies to the next Start
    stop(nb, widget)

    # After the permission, the browser names the devices: Chromium's fake ones.
    nb.page.wait_for_function(
        "() => [...document.querySelectorAll('.lt-device option')].some((o) => o.textContent.includes('Fake'))"
    )
    labels = picker.locator("option").all_inner_texts()
    assert labels[0] == "Default microphone"
    fake = [label for label in labels if "Fake" in label]
    assert fake, labels
    picker.select_option(label=fake[-1])
    chosen = picker.input_value()
    assert chosen not in ("", "unplugged-mic")
    assert nb.page.evaluate("() => localStorage.getItem('live-transcriber:microphone')") == chosen

    # Recording from the chosen device works without the fallback message.
    button(widget, "Start").click()
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=20)
    wait_for_words(nb.page, 2)
    assert widget.locator(".lt-error").inner_text() == ""
    stop(nb, widget)


def test_the_meter_follows_the_microphone(open_notebook):
    nb, widget = open_widget(open_notebook)
    meter = widget.get_by_role("meter", name="Microphone level")
    assert meter.get_attribute("data-level") == "0.00"
    button(widget, "Start").click()
    # The fake microphone speaks from about 0.5 s on.
    nb.page.wait_for_function(
        "() => Number(document.querySelector('.lt-meter').dataset.level) > 0.3", timeout=10_000, polling=50
    )
    assert int(meter.get_attribute("aria-valuenow")) > 0
    button(widget, "Stop").click()
    nb.page.wait_for_function("() => document.querySelector('.lt-root').dataset.phase === 'off'")
    assert meter.get_attribute("data-level") == "0.00"
    assert meter.get_attribute("aria-valuenow") == "0"


def test_copy_puts_the_transcript_on_the_clipboard(open_notebook, jupyter_lab):
    nb, widget = open_widget(open_notebook, scripted=True)
    nb.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=jupyter_lab.origin)
    assert button(widget, "Copy").is_disabled()
    transcript = say_utterances(nb)
    button(widget, "Copy").click()
    assert button(widget, "Copied").is_visible()
    assert nb.page.evaluate("() => navigator.clipboard.readText()") == transcript
    button(widget, "Copy").wait_for()  # the feedback goes away


def test_clear_empties_every_view_and_the_kernel(open_notebook):
    nb, widget = open_widget(open_notebook, "w", scripted=True)
    nb.run_cell(2)
    views = nb.page.locator(".lt-root")
    assert views.count() == 2
    transcript = say_utterances(nb)
    for i in range(2):
        views.nth(i).locator(".lt-text").nth(len(UTTERANCES) - 1).wait_for()  # the last result has arrived
        assert final_text(views.nth(i)) == transcript
    button(views.nth(1), "Clear").click()
    nb.kernel.wait_for("w.transcript", lambda t: t == "", timeout=10)
    nb.page.wait_for_function("() => [...document.querySelectorAll('.lt-transcript')].every((b) => b.textContent === '')")
    assert nb.kernel.eval("w.results") == []
    assert button(views.nth(0), "Clear").is_disabled()
    # New words after a clear start from scratch in both views.
    nb.kernel.execute("say('A fresh start.', 20.0)")
    nb.page.wait_for_function("() => [...document.querySelectorAll('.lt-final')].every((f) => f.textContent === 'A fresh start.')")


def test_views_append_utterances_and_a_late_view_gets_the_whole_history(open_notebook):
    nb, widget = open_widget(open_notebook, "w", scripted=True)
    # More results than the kernel syncs (50): a view opened later must ask for the history.
    nb.kernel.execute("for i in range(60):\n    say(f'Sentence number {i}.', 2.0 * i, speech_final=(i % 2 == 1))")
    transcript = nb.kernel.eval("w.transcript")
    nb.page.wait_for_function("() => document.querySelectorAll('.lt-root .lt-text').length === 60")
    assert final_text(widget) == transcript
    # Two results per utterance (speech_final on every second one): 30 utterance blocks.
    assert widget.locator(".lt-utt").count() == 30
    first = widget.locator(".lt-text").first
    first.evaluate("(node) => { node.__kept = true; }")

    nb.run_cell(2)
    late = nb.page.locator(".lt-root").nth(1)
    nb.page.wait_for_function("() => document.querySelectorAll('.lt-root')[1].querySelectorAll('.lt-text').length === 60")
    assert final_text(late) == transcript

    nb.kernel.execute("say('One more, from speaker two.', 200.0, speaker=1)")
    nb.page.wait_for_function("() => [...document.querySelectorAll('.lt-final')].every((f) => f.querySelectorAll('.lt-text').length === 61)")
    assert first.evaluate("(node) => node.__kept === true && node.isConnected")  # appended, not rebuilt
    for view in (widget, late):
        assert final_text(view) == nb.kernel.eval("w.transcript")
        assert view.locator(".lt-utt").last.locator(".lt-speaker").inner_text().strip() == "Speaker 2:"

    # Timestamps: shown from the first word's start, outside the compared text.
    late.get_by_role("checkbox", name="Timestamps").check()
    stamp = late.locator(".lt-utt").last.evaluate("(node) => getComputedStyle(node, '::before').content")
    assert "[03:20]" in stamp
    assert widget.locator(".lt-utt").first.evaluate("(node) => getComputedStyle(node, '::before').content") == '"[00:00] "'
    assert final_text(late) == nb.kernel.eval("w.transcript")


def test_export_downloads_what_the_kernel_writes(open_notebook, screenshot):
    nb, widget = open_widget(open_notebook, scripted=True)
    say_utterances(nb, speakers=(0, 1, 0))
    for fmt, writer in [("txt", "to_text"), ("srt", "to_srt"), ("vtt", "to_vtt"), ("json", "to_json")]:
        expected = nb.kernel.eval(f"w.{writer}()")
        assert "report" in expected, expected
        widget.get_by_text("Export", exact=True).click()
        if fmt == "txt":
            screenshot(nb.page, "widget-export-menu", clip=widget.bounding_box() | {"height": 260})
        with nb.page.expect_download() as info:
            button(widget, f"Download {fmt.upper()}").click()
        download = info.value
        assert download.suggested_filename == f"transcript.{fmt}"
        assert Path(download.path()).read_text(encoding="utf-8") == expected, fmt
        assert not button(widget, f"Download {fmt.upper()}").is_visible()  # the menu closed


def test_screenshots_in_light_and_dark_themes(open_notebook, word_ends, screenshot):
    """Also the README's images: `bash scripts/docs-images.sh` updates docs/ from this test."""
    nb, widget = open_widget(open_notebook)
    output = nb.output(0)
    colours = {}

    def shoot(name: str, theme: str, docs: str | None = None) -> None:
        nb.page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
        nb.page.wait_for_function(
            "(dark) => document.body.dataset.jpThemeLight === String(!dark)", arg=theme.endswith("Dark")
        )
        nb.page.wait_for_timeout(300)  # the theme's stylesheet applies after the attribute changes
        colours[theme] = widget.locator(".lt-transcript").evaluate("(node) => getComputedStyle(node).color")
        screenshot(output, f"widget-{name}", docs=docs)

    try:
        button(widget, "Start").click()
        started = time.monotonic()
        wait_for_words(nb.page, 12, timeout=30_000)
        shoot("recording-light", "JupyterLab Light")
        shoot("recording-dark", "JupyterLab Dark")
        time.sleep(max(0.0, started + word_ends[-1][1] + 2.5 - time.monotonic()))
        assert stop(nb, widget)
        widget.get_by_role("checkbox", name="Timestamps").check()
        shoot("after-stop-dark", "JupyterLab Dark", docs="widget-dark.png")
        shoot("after-stop-light", "JupyterLab Light", docs="widget-light.png")
    finally:
        # The theme is a server-side setting: leave it as the other tests expect it.
        nb.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    # The widget follows the theme: its text colour is the theme's.
    assert colours["JupyterLab Light"] != colours["JupyterLab Dark"], colours


def test_the_status_detail_is_shown_beside_the_status_it_belongs_to(open_notebook, screenshot):
    nb, widget = open_widget(open_notebook, scripted=True)
    label, detail = widget.locator(".lt-status-text"), widget.locator(".lt-status-detail")
    assert detail.is_hidden()  # no detail: nothing shown, not even the brackets
    nb.kernel.execute(
        "from live_transcriber.results import EngineStatus\n"
        "engine.say(w.transcriber, EngineStatus('reconnecting', 'attempt 2 of 5'))"
    )
    expect(label).to_have_text("reconnecting")
    expect(detail).to_have_text("attempt 2 of 5")
    brackets = "(node) => getComputedStyle(node, '::before').content + getComputedStyle(node, '::after').content"
    assert detail.evaluate(brackets) == '"("")"'
    screenshot(nb.output(0), "widget-status-detail")

    nb.kernel.execute("engine.say(w.transcriber, EngineStatus('ready'))")
    expect(label).to_have_text("recording")
    expect(detail).to_be_hidden()

    # A recording in which nothing was recognised says so once it is over.
    nb.kernel.execute("w.end_feed()\nengine.stream.close()")
    expect(label).to_have_text("idle")
    expect(detail).to_have_text("no speech heard")
    assert nb.kernel.eval("[w.status, w.status_detail]") == ["idle", "no speech heard"]


def test_the_transcript_follows_new_words_unless_the_reader_scrolled_up(open_notebook):
    nb, widget = open_widget(open_notebook, scripted=True)
    box = widget.locator(".lt-transcript")
    at_bottom = "(box) => box.scrollHeight - box.scrollTop - box.clientHeight < 2"
    nb.kernel.execute("for i in range(40):\n    say(f'Line number {i} of a long session.', 3.0 * i)")
    nb.page.wait_for_function("() => document.querySelectorAll('.lt-text').length === 40")
    assert box.evaluate("(box) => box.scrollHeight > 2 * box.clientHeight")
    assert box.evaluate(at_bottom)

    box.evaluate("(box) => { box.scrollTop = 0; box.dispatchEvent(new Event('scroll')); }")
    nb.kernel.execute("say('Said while the reader looks back.', 200.0)")
    nb.page.wait_for_function("() => document.querySelectorAll('.lt-text').length === 41")
    assert box.evaluate("(box) => box.scrollTop") == 0  # the reader's place is kept

    box.evaluate("(box) => { box.scrollTop = box.scrollHeight; box.dispatchEvent(new Event('scroll')); }")
    nb.kernel.execute("say('And the reader follows again.', 210.0)")
    nb.page.wait_for_function("() => document.querySelectorAll('.lt-text').length === 42")
    assert box.evaluate(at_bottom)


def test_controls_are_named_and_keyboard_reachable(open_notebook):
    nb, widget = open_widget(open_notebook)
    for role, name in [("button", "Start"), ("button", "Pause"), ("button", "Clear"), ("button", "Copy"),
                       ("combobox", "Microphone"), ("checkbox", "Timestamps"), ("meter", "Microphone level"),
                       ("timer", "Recording time"), ("log", "Transcript")]:
        assert widget.get_by_role(role, name=name, exact=True).count() == 1, (role, name)
    assert widget.get_by_role("progressbar").count() == 0  # hidden unless the model is loading

    # Tab from Start visits the picker, the checkbox and the export menu, and reaches the transcript.
    button(widget, "Start").focus()
    visited = []
    for _ in range(8):
        nb.page.keyboard.press("Tab")
        visited.append(nb.page.evaluate("() => document.activeElement.className"))
        if "lt-transcript" in visited[-1]:
            break
    assert [c for c in visited if c in ("lt-device", "lt-times", "lt-button", "lt-transcript")] == [
        "lt-device", "lt-times", "lt-button", "lt-transcript"], visited  # Clear/Copy are disabled: empty

    # The export menu opens with Enter and closes with Escape, focus back on its button.
    summary = widget.locator(".lt-export > summary")
    summary.focus()
    nb.page.keyboard.press("Enter")
    assert button(widget, "Download SRT").is_visible()
    nb.page.keyboard.press("Tab")
    assert nb.page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Download TXT"
    nb.page.keyboard.press("Escape")
    assert not button(widget, "Download SRT").is_visible()
    assert nb.page.evaluate("() => document.activeElement.tagName") == "SUMMARY"

    # Space on Start records; the pause button then works from the keyboard too.
    button(widget, "Start").focus()
    nb.page.keyboard.press("Space")
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=20)
    button(widget, "Pause").focus()
    nb.page.keyboard.press("Space")
    nb.kernel.wait_for("w.status", lambda s: s == "paused", timeout=10)
    button(widget, "Resume").focus()
    nb.page.keyboard.press("Enter")
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=10)
    stop(nb, widget)

"""Review mode in a real browser: record with the fake microphone (dropping bookmarks), then play
back from a word (live recording and a transcribed file), follow the word being heard, correct a
word, rename a speaker, search, mark uncertain words; screenshots in light and dark.

One notebook, one kernel, one model load for all of it: browser tests are slow.
"""

from __future__ import annotations

import bisect
import time
from pathlib import Path

import pytest
import speech

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

SAMPLE = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "sample.webm"
WIDGET = 'from live_transcriber import LiveTranscriber\nw = LiveTranscriber(engine="local")\nw'
# A second widget on the same engine that keeps no audio: nothing to play.
NO_AUDIO = f"w2 = LiveTranscriber(w.engine, keep_audio=False)\nw2.transcribe_file({str(SAMPLE)!r}, progress=False)\nw2"

# The page's audio element, where the view plays recordings back.
AUDIO = "document.querySelector('.lt-root audio')"
# Starts of the words of one recording as shown, the word lit, and where playback is.
PLAYBACK_STATE = """
(recording) => {
  const words = [...document.querySelectorAll(`.lt-text[data-recording="${recording}"] .lt-word`)];
  const lit = document.querySelector('.lt-word.lt-playing');
  const audio = document.querySelector('.lt-root audio');
  return {starts: words.map((w) => Number(w.dataset.start)), lit: words.indexOf(lit), time: audio.currentTime};
}
"""


def button(widget, name: str):
    return widget.get_by_role("button", name=name, exact=True)


def play_word(nb, word) -> float:
    """Click ``word``; return where the audio element was when playback began."""
    nb.page.evaluate(f"() => {{ const a = {AUDIO}; if (a) a.pause(); }}")
    word.click()
    nb.page.wait_for_function(f"() => {{ const a = {AUDIO}; return a && !a.paused && a.currentTime > 0; }}", timeout=15_000)
    return nb.page.evaluate(f"() => {AUDIO}.currentTime")


def test_review_mode_play_follow_correct_rename_search_bookmark(open_notebook, fake_mic, word_ends, screenshot, tmp_path):
    nb = open_notebook(WIDGET, NO_AUDIO)
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root").first
    widget.wait_for()

    # Record the fake microphone; drop a bookmark with the button, another with Alt+B.
    button(widget, "Start").click()
    started = time.monotonic()
    nb.kernel.wait_for("w.status", lambda s: s == "recording", timeout=60)
    time.sleep(max(0.0, started + 3.0 - time.monotonic()))
    marked = [time.monotonic() - started]
    button(widget, "Bookmark").click()
    time.sleep(2.0)
    widget.locator(".lt-transcript").focus()
    marked.append(time.monotonic() - started)
    nb.page.keyboard.press("Alt+b")
    time.sleep(max(0.0, started + word_ends[-1][1] + 3.0 - time.monotonic()))
    button(widget, "Stop").click()
    nb.kernel.wait_for("w.status", lambda s: s == "idle", timeout=90)
    assert nb.kernel.eval("w.error") == ""
    bookmarks = nb.kernel.eval("w.bookmarks")
    assert [b["recording"] for b in bookmarks] == [0, 0], bookmarks
    for bookmark, expected in zip(bookmarks, marked):
        assert bookmark["time"] == pytest.approx(expected, abs=1.0), (bookmarks, marked)
    assert widget.locator(".lt-bookmark").count() == 2

    # Listen from a word of the live recording: playback starts at its time.
    words = widget.locator('.lt-text[data-recording="0"] .lt-word')
    assert words.count() >= 12
    clicked = words.nth(5)
    start = float(clicked.get_attribute("data-start"))
    assert start - 0.05 <= play_word(nb, clicked) <= start + 0.6
    # The word lit follows playback.
    time.sleep(1.5)
    nb.page.evaluate(f"() => {AUDIO}.pause()")
    state = nb.page.evaluate(PLAYBACK_STATE, 0)
    assert state["time"] > start + 1.0
    assert state["lit"] == bisect.bisect_right(state["starts"], state["time"]) - 1 > 5, state

    # A file transcribed after it lands in the same view; its words play from its own start.
    nb.kernel.execute(f"w.transcribe_file({str(SAMPLE)!r}, progress=False)", timeout=120)
    offset = nb.kernel.eval("w.recordings[1].offset")
    assert offset > 0
    file_words = widget.locator('.lt-text[data-recording="1"] .lt-word')
    file_words.nth(8).wait_for()
    later = file_words.nth(8)
    start = float(later.get_attribute("data-start"))
    assert start - offset - 0.05 <= play_word(nb, later) <= start - offset + 0.6
    nb.page.evaluate(f"() => {AUDIO}.pause()")
    widget.get_by_role("combobox", name="Playback speed").select_option("1.5")
    assert nb.page.evaluate(f"() => {AUDIO}.playbackRate") == 1.5

    # Correct a word in place: the kernel's transcript and the SRT have it; it looks corrected.
    words.nth(2).dblclick()
    field = widget.locator(".lt-inline-edit")
    field.fill("Zebra")
    field.press("Enter")
    nb.kernel.wait_for("w.transcript", lambda t: "Zebra" in t, timeout=10)
    assert "Zebra" in nb.kernel.eval("w.to_srt()")
    corrected = widget.locator(".lt-word.lt-edited")
    assert corrected.inner_text() == "Zebra"
    assert corrected.evaluate("(node) => node === document.activeElement")

    # Rename a speaker from the widget: every export says the name.
    nb.kernel.execute("w.edit_utterance(0, speaker=1)")
    label = widget.locator('.lt-speaker[data-speaker="1"]').first
    assert label.inner_text().strip() == "Speaker 2:"
    label.click()
    field = widget.locator(".lt-inline-edit")
    field.fill("Ben")
    field.press("Enter")
    nb.kernel.wait_for("w.speakers", lambda s: s == {"1": "Ben"}, timeout=10)
    for export in ("to_text()", "to_srt()", "to_vtt()", "to_json()"):
        assert "Ben" in nb.kernel.eval(f"w.{export}"), export
    assert widget.locator('.lt-speaker[data-speaker="1"]').first.inner_text().strip() == "Ben:"

    # Search: matches are marked, Enter goes from one to the next and focuses it.
    search = widget.get_by_role("searchbox", name="Search the transcript")
    search.fill("the")
    texts = [t.lower() for t in widget.locator(".lt-word").all_inner_texts()]
    expected = sum(t.startswith("the") for t in texts)
    assert expected >= 2
    assert widget.locator(".lt-word.lt-match").count() == expected
    search.press("Enter")
    focused = nb.page.locator(".lt-word:focus")
    assert "lt-match-current" in focused.get_attribute("class") and focused.inner_text().lower().startswith("the")
    first = focused.evaluate("(node) => [...document.querySelectorAll('.lt-word')].indexOf(node)")
    button(widget, "Next match").click()
    second = nb.page.locator(".lt-word:focus").evaluate("(node) => [...document.querySelectorAll('.lt-word')].indexOf(node)")
    assert second > first
    assert widget.locator(".lt-search-count").inner_text() == f"2 of {expected}"

    # Uncertain words: marked below the threshold, the confidence on hover; none without one.
    unsure = nb.kernel.eval('sum(x["confidence"] < 0.95 for r in w.results for x in r["words"])')
    nb.kernel.execute("w.confidence_threshold = 0.95")
    nb.page.wait_for_function(f"() => document.querySelectorAll('.lt-word.lt-unsure').length === {unsure}", timeout=10_000)
    assert unsure > 0 and "confidence" in widget.locator(".lt-word.lt-unsure").first.get_attribute("title")
    nb.kernel.execute("w.confidence_threshold = None")
    nb.page.wait_for_function("() => document.querySelectorAll('.lt-word.lt-unsure').length === 0", timeout=10_000)

    # keep_audio=False: no playback, and the controls say why.
    nb.run_cell(1, timeout=120)
    quiet = nb.output(1).locator(".lt-root")
    play = quiet.locator(".lt-play")
    assert play.is_disabled() and "keep_audio=False" in play.get_attribute("title")
    quiet.locator(".lt-word").nth(3).click()
    nb.page.wait_for_timeout(500)
    assert quiet.locator("audio").get_attribute("src") is None
    assert nb.kernel.eval("w2.error") == ""

    # Screenshots: a word being played, search matches, a correction, a name, uncertain words, bookmarks.
    nb.kernel.execute("w.confidence_threshold = 0.8")
    play_word(nb, words.nth(9))
    nb.page.evaluate(f"() => {AUDIO}.pause()")
    output = nb.output(0)
    try:
        for theme, name in (("JupyterLab Dark", "dark"), ("JupyterLab Light", "light")):
            nb.page.evaluate("(theme) => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme)
            nb.page.wait_for_function("(dark) => document.body.dataset.jpThemeLight === String(!dark)", arg=name == "dark")
            nb.page.wait_for_timeout(300)  # the theme's stylesheet applies after the attribute changes
            screenshot(output, f"review-{name}", docs=f"review-{name}.png")
    finally:
        nb.page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")

    # The other containers recorders produce play too: Ogg/Opus (Firefox), fragmented MP4/AAC (Safari).
    for number, fmt in enumerate(("ogg", "mp4"), start=2):
        path = speech.encode(fake_mic.wav, tmp_path / f"speech.{fmt}", fmt)
        nb.kernel.execute(f"w.transcribe_file({str(path)!r}, progress=False)", timeout=120)
        offset = nb.kernel.eval(f"w.recordings[{number}].offset")
        word = widget.locator(f'.lt-text[data-recording="{number}"] .lt-word').nth(8)
        word.wait_for()
        start = float(word.get_attribute("data-start"))
        assert start - offset - 0.05 <= play_word(nb, word) <= start - offset + 0.6, fmt
        nb.page.evaluate(f"() => {AUDIO}.pause()")

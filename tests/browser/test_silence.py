"""Silence in the real browser: once the speaker stops, nothing new appears on screen.

The fake microphone says the paragraph, then stays silent for 6 s before it loops. The page's
transcript is watched through the whole silent stretch: it may still settle the last words
(interim text becoming final), but no word may be added, and the final transcript must end with
the paragraph's last word (Whisper likes to add "Thank you." over silence).
"""

from __future__ import annotations

import time
import wave

import pytest
import speech

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

WER_BOUND = 0.2  # as in test_widget.py

# Records, in the page, every change of the transcript's text with the time since Start.
OBSERVE = """
() => {
  const box = document.querySelector('.lt-transcript');
  window.__silence = { changes: [], clicked: null };
  new MutationObserver(() => {
    const t = window.__silence.clicked === null ? null : performance.now() - window.__silence.clicked;
    window.__silence.changes.push([t, box.textContent]);
  }).observe(box, { subtree: true, childList: true, characterData: true });
  document.querySelector('.lt-toggle').addEventListener(
    'click', () => { if (window.__silence.clicked === null) window.__silence.clicked = performance.now(); }, true);
}
"""


def words(text: str) -> list[str]:
    return speech.normalize(text).split()


def test_no_words_appear_while_the_microphone_hears_silence(open_notebook, fake_mic, word_ends):
    nb = open_notebook("from live_transcriber import LiveTranscriber\nw = LiveTranscriber()\nw")
    nb.run_cell(0)
    widget = nb.page.locator(".lt-root")
    widget.wait_for()
    nb.page.evaluate(OBSERVE)
    widget.get_by_role("button", name="Start", exact=True).click()
    started = time.monotonic()
    speech_end = word_ends[-1][1]
    # The file is 0.5 s + speech + 6 s of silence; stop just before it loops back to the speech.
    with wave.open(str(fake_mic.wav)) as f:
        silence_end = f.getnframes() / f.getframerate()
    time.sleep(max(0.0, started + silence_end - 0.4 - time.monotonic()))
    widget.get_by_role("button", name="Stop", exact=True).click()
    nb.kernel.wait_for("w.status", lambda s: s in ("idle", "error"), timeout=90)
    assert nb.kernel.eval("w.error") == ""
    transcript = nb.kernel.eval("w.transcript")

    reference = words(fake_mic.text)
    assert speech.wer(fake_mic.text, transcript) <= WER_BOUND, transcript
    assert words(transcript)[-1] == reference[-1], transcript  # nothing after the last word said
    changes = nb.page.evaluate("() => window.__silence.changes")
    # Every text the page showed, during speech and silence alike, has at most the words said
    # (an interim may differ from what was said, but never grows past it in the silence).
    shown = [(t / 1000, words(text)) for t, text in changes if t is not None]
    in_silence = [w for t, w in shown if t >= speech_end + 0.5]
    assert all(len(w) <= len(reference) + 1 for _, w in shown), max(shown, key=lambda c: len(c[1]))
    # The last text shown before Stop ends with the last word said, like the transcript.
    if in_silence:
        assert in_silence[-1][-1] == reference[-1], in_silence[-1]

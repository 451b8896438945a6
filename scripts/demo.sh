#!/usr/bin/env bash
# The demo: installs live-transcriber into the `python` first on PATH (use a virtualenv if you like:
# `python -m venv .venv && . .venv/bin/activate` first) and opens the quickstart notebook in JupyterLab.
# Served on 127.0.0.1 because browsers give the microphone only to https or localhost pages.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
python -m pip install -q -e ".[demo]"
root=(); [ "$(id -u)" != 0 ] || root=(--allow-root)
# The URL JupyterLab prints opens the quickstart notebook itself, not the launcher.
exec python -m jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks \
    --LabApp.default_url=/lab/tree/quickstart.ipynb "${root[@]}" "$@"

#!/usr/bin/env bash
# The demo: installs live-transcriber and opens the quickstart notebook in JupyterLab.
# Served on 127.0.0.1 because browsers give the microphone only to https or localhost pages.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e ".[demo]"
root=(); [ "$(id -u)" != 0 ] || root=(--allow-root)
exec python -m jupyter lab notebooks/quickstart.ipynb --ServerApp.ip=127.0.0.1 "${root[@]}" "$@"

#!/usr/bin/env bash
# The demo: installs jupyter-live-transcriber with JupyterLab and what the notebooks use into the `python`
# first on PATH (use a virtualenv if you like: `python -m venv .venv && . .venv/bin/activate` first) and
# opens the quickstart notebook, notebooks/01-quickstart.ipynb, in JupyterLab.
# Served on 127.0.0.1 because browsers give the microphone only to https or localhost pages.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
echo "Installing jupyter-live-transcriber, JupyterLab and what the notebooks use into $(command -v python) (minutes the first time)..."
python -m pip install -q -e ".[demo]"
root=(); [ "$(id -u)" != 0 ] || root=(--allow-root)
echo "Starting JupyterLab: open the http://127.0.0.1:... URL it prints in a browser on this machine"
echo "(from another machine, forward the port with ssh -L). Ctrl-C stops it."
# The URL JupyterLab prints opens the quickstart notebook itself, not the launcher. Its log keeps
# warnings and errors, not the routine start-up lines, so the URL is the first thing to read.
exec python -m jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks \
    --LabApp.default_url=/lab/tree/01-quickstart.ipynb --ServerApp.log_level=WARN \
    --LabApp.log_level=WARN "${root[@]}" "$@"

#!/usr/bin/env bash
# The peer for benchmarks/streaming.py: WhisperLiveKit's LocalAgreement path in its own environment
# (benchmarks/.venv-wlk), so its dependencies never touch the project's. whisperlivekit itself is
# installed without dependencies (its full set pulls in servers and GPU stacks); its LocalAgreement
# path needs only these, and torch 2.13 CPU.
set -euo pipefail
cd "$(dirname "$0")"
python -m venv .venv-wlk
.venv-wlk/bin/pip install -q --no-deps whisperlivekit==0.2.26
.venv-wlk/bin/pip install -q torch==2.13.0 numba soundfile tiktoken faster-whisper numpy av websockets
.venv-wlk/bin/python -c "import whisperlivekit.local_agreement.online_asr" && echo "peer ready: benchmarks/.venv-wlk"

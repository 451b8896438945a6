#!/usr/bin/env bash
# A team's transcription server for the opt-in test (tests/test_team_server.py) and the load benchmark
# (benchmarks/team_server.py): WhisperLiveKit 0.2.26, which speaks Deepgram's /v1/listen, in its own
# environment (benchmarks/.venv-wlk-server), so its dependencies never touch the project's. It is
# installed without dependencies (its full set pulls in GPU stacks); its faster-whisper +
# LocalAgreement server needs only these, with torch 2.13 CPU. ffmpeg (which it decodes the
# browser's audio with) comes from the system, as for the tests. CI does not run this.
set -euo pipefail
cd "$(dirname "$0")"
python -m venv .venv-wlk-server
.venv-wlk-server/bin/pip install -q --no-deps whisperlivekit==0.2.26
.venv-wlk-server/bin/pip install -q torch==2.13.0 numba soundfile tiktoken faster-whisper numpy av \
    librosa fastapi uvicorn websockets python-multipart
.venv-wlk-server/bin/whisperlivekit-server --help >/dev/null
echo "team server ready: benchmarks/.venv-wlk-server/bin/whisperlivekit-server"

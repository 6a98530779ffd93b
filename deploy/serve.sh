#!/bin/sh
# The page for a class, on one Linux machine: deploy/serve.sh [PORT] [ADDRESS]
#
# Run it with the Python that has requirements.txt installed first on PATH (an activated
# virtual environment, or the PATH the systemd unit sets). The upload limit is
# server.maxUploadSize in .streamlit/config.toml, read from the checkout this script is in.
# Replicas behind nginx must share STREAMLIT_SERVER_COOKIE_SECRET (see the README).
set -eu
cd "$(dirname "$0")/.."
# Streamlit runs each visitor's script in a thread of its own, and glibc gives threads memory
# arenas of their own that keep what big arrays freed: two arenas keep a class's peak far lower.
export MALLOC_ARENA_MAX=2
exec python3 -m streamlit run streamlit_app.py \
    --server.port "${1:-8501}" \
    --server.address "${2:-127.0.0.1}" \
    --server.headless true \
    --server.fileWatcherType none \
    --server.runOnSave false \
    --browser.gatherUsageStats false

#!/bin/sh
# Until the page on PORT answers its health check: deploy/healthcheck.sh [PORT] [SECONDS]
#
# Exits 0 once http://127.0.0.1:PORT/_stcore/health says "ok", 1 if it has not within SECONDS
# (default 60). systemd runs it after starting a replica, so "started" means "serving".
set -u
port="${1:-8501}"
deadline=$(( $(date +%s) + ${2:-60} ))
while :; do
    if [ "$(curl -fsS --max-time 2 "http://127.0.0.1:$port/_stcore/health" 2>/dev/null)" = ok ]; then
        exit 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "the page on port $port did not answer /_stcore/health" >&2
        exit 1
    fi
    sleep 1
done

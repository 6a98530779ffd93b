#!/usr/bin/env bash
# Peak memory of the command line on an 18 MP photo at K=256 (target: at most 1 GB).
#
#   bench/memory.sh                 # uses /work/venv/bin/python, else python3
#   PYTHON=.venv/bin/python bench/memory.sh
#
# The photo is assets/samples/astronaut.png Lanczos-resized to 5196×3464 (18.0 MP, stretched to
# 3:2) and saved as a quality-95 JPEG in a temporary folder, so the run also pays for decoding a
# real camera-sized file. Only the `python -m kmeans` process is measured: the photo is built by
# a separate process first. GNU time's "Maximum resident set size" is its peak RSS, in KiB.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x /work/venv/bin/python ]]; then PYTHON=/work/venv/bin/python; else PYTHON=python3; fi
fi
LIMIT_MB=1024
K=256

if [[ ! -x /usr/bin/time ]]; then
    # The shell's `time` keyword cannot report memory; GNU time (the `time` package) can.
    echo "GNU time is missing: install it with 'apt-get install -y time'." >&2
    exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PHOTO="$WORK/astronaut-18mp.jpg"

"$PYTHON" - "$REPO/assets/samples/astronaut.png" "$PHOTO" <<'EOF'
import sys

from PIL import Image

source, target = sys.argv[1:]
Image.open(source).convert("RGB").resize((5196, 3464), Image.Resampling.LANCZOS).save(
    target, quality=95
)
EOF

echo "Photo: $PHOTO ($(du -h "$PHOTO" | cut -f1), 5196×3464 = 18.0 MP)"
echo "Running: $PYTHON -m kmeans <photo> -k $K -o <out>.png"
cd "$REPO"
/usr/bin/time -v -o "$WORK/time.txt" "$PYTHON" -m kmeans "$PHOTO" -k "$K" -o "$WORK/out.png"

peak_kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")"
elapsed="$(awk -F': ' '/Elapsed \(wall clock\) time/ {print $2}' "$WORK/time.txt")"
peak_mb=$((peak_kb / 1024))
echo "Elapsed (wall clock): $elapsed"
echo "Maximum resident set size: $peak_mb MB (target ≤ $LIMIT_MB MB)"
if ((peak_mb <= LIMIT_MB)); then
    echo "PASS"
else
    echo "FAIL"
    exit 1
fi

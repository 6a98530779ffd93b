"""How the page writes its numbers: sizes, colour counts, decibels and file names."""

from __future__ import annotations

import math
import re
from pathlib import PurePath


def file_size(n_bytes: int) -> str:
    if n_bytes < 1000:
        return f"{n_bytes} B"
    if n_bytes < 1_000_000:
        return f"{n_bytes / 1000:.1f} kB"
    return f"{n_bytes / 1_000_000:.2f} MB"


def colour_count(k: int) -> str:
    return "1 colour" if k == 1 else f"{k} colours"


def decibels(psnr: float) -> str:
    return "∞ dB (identical)" if math.isinf(psnr) else f"{psnr:.1f} dB"


def download_stem(file_name: str) -> str:
    """A safe file name stem from the visitor's: letters, digits, - and _ only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", PurePath(file_name.replace("\\", "/")).stem)
    return stem.strip("-")[:60] or "photo"

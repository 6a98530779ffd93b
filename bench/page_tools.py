"""What the hand-run page scripts share: camera-sized photos from the samples, server memory.

The photos are the samples Lanczos-upscaled and saved as quality-90 JPEGs: a realistic pixel count
and file size, though smoother than a real photo. Memory is read from ``/proc`` for the server
process and all its children: VmHWM (the peak resident set, kept by the kernel) and VmRSS (now).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers import (  # noqa: E402  (the repository must be on the path first)
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_IDLE,
    SAMPLES,
    free_port,
    png_button_name,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "PAGE_IDLE",
    "REPO",
    "Photo",
    "free_port",
    "png_button_name",
    "server_memory_mb",
    "start_streamlit",
    "stop_streamlit",
    "wait_until_healthy",
]


@dataclass(frozen=True)
class Photo:
    """A sample, optionally cropped (a box in the sample's pixels) and mirrored, then upscaled."""

    sample: str
    size: tuple[int, int]
    crop: tuple[int, int, int, int] | None = None
    mirrored: bool = False

    def save_jpeg(self, path: Path) -> Path:
        with Image.open(SAMPLES / self.sample) as opened:
            image = opened.convert("RGB")
        if self.crop is not None:
            image = image.crop(self.crop)
        if self.mirrored:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        image.resize(self.size, Image.Resampling.LANCZOS).save(path, "JPEG", quality=90)
        return path


def server_memory_mb(pid: int) -> dict[str, float]:
    """{"peak": VmHWM, "now": VmRSS} in MB, summed over ``pid`` and its descendants.

    The sum of the children's peaks can only overstate the true joint peak, never hide it.
    """
    totals = {"peak": 0.0, "now": 0.0}
    for process in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        totals["peak"] += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
        totals["now"] += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    return totals


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found

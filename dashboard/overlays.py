"""What the split view can lay over the redrawn photo: where it differs, or one colour's pixels.

Both are indexed PNGs of the display copy's size, one byte per pixel with a see-through palette:
the exact colours in a quarter of the bytes of RGBA, and quicker to write.
"""

from __future__ import annotations

import numpy as np

from dashboard.images import indexed_png
from kmeans.closeness import JUST_NOTICEABLE

#: ΔE_OK at which the heatmap is fully red: six times "just noticeable", so a faint red means a
#: difference a visitor can just see and full red one nobody misses.
HEAT_FULL = 6 * JUST_NOTICEABLE
#: Steps of the heatmap's colour scale: finer than the eye tells apart in a see-through red,
#: and few enough for one byte per pixel.
HEAT_STEPS = 32
#: Highlighting one colour: every other pixel darkened, the colour's own left clear.
DIMMED, CLEAR = (0, 0, 0, 200), (0, 0, 0, 0)


def heat_overlay(delta_e: np.ndarray) -> bytes:
    """ΔE_OK as a see-through PNG: clear where it looks the same, red where it differs.

    >>> import io; from PIL import Image
    >>> png = heat_overlay(np.array([[0.0, 40.0]], dtype=np.float32))
    >>> Image.open(io.BytesIO(png)).convert("RGBA").getpixel((1, 0))
    (255, 0, 0, 230)
    """
    step = np.rint(np.clip(delta_e / HEAT_FULL, 0, 1) * (HEAT_STEPS - 1)).astype(np.uint8)
    strength = np.linspace(0, 1, HEAT_STEPS)
    colours = np.zeros((HEAT_STEPS, 4), dtype=np.uint8)
    colours[:, 0] = 255
    colours[:, 1] = (200 * (1 - strength)).astype(np.uint8)
    colours[:, 3] = (230 * np.sqrt(strength)).astype(np.uint8)
    return indexed_png(step, colours)


def highlight_overlay(labels: np.ndarray, colour: int) -> bytes:
    """Every pixel whose palette index is not ``colour`` dimmed, as a see-through PNG.

    >>> import io; from PIL import Image
    >>> png = highlight_overlay(np.array([[0, 1]], dtype=np.uint8), 1)
    >>> np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[0, :, 3].tolist()
    [200, 0]
    """
    return indexed_png((labels == colour).astype(np.uint8), np.array([DIMMED, CLEAR]))

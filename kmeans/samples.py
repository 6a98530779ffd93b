"""Photos built by code, for the cases the bundled samples lack (like ``skimage.data``).

The tests and ``bench/`` both build their photos here, so neither imports the other.

:func:`ladybird` is the case that shaped the default seeding: a small vivid object (a red beetle,
about 0.15% of the picture) on a large textured background of greens. A quantiser that minimises
the error of the *typical* pixel easily spends all K colours on shades of green and paints the
beetle dark green.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter


def ladybird(
    width: int = 2000,
    height: int = 1500,
    seed: int = 0,
    shell: tuple[int, int, int] = (200, 30, 25),
) -> np.ndarray:
    """A (height, width, 3) uint8 photo-like picture: a red ladybird on blurred, textured grass.

    ``shell`` is the beetle's fully lit colour: another hue (a blue or yellow beetle) makes the
    same test for another vivid family.

    The grass mixes noise at several scales in hue and lightness, with dark gaps between blades;
    the beetle is a shaded red ellipse with black spots and a black head, off-centre, covering
    about 0.15% of the pixels at any size.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = _noise(rng, height, width, (0.25, 0.08, 0.02, 0.006))
    hue = _noise(rng, height, width, (0.15, 0.03, 0.008))
    straw = np.clip(_noise(rng, height, width, (0.05, 0.01)) * 2 - 0.6, 0, 1)
    blades = _noise(rng, height, width, (0.012, 0.004, 0.0015), anisotropy=8.0)
    # Deep shadows between bright blades: the wide spread of greens that claims the palette.
    light = np.clip(0.5 + 0.45 * shade + 0.6 * blades, 0.04, 1.25)
    green = np.stack(
        [
            75 + 70 * hue - 25 * blades + 120 * straw,
            150 + 45 * hue + 35 * blades + 40 * straw,
            45 + 45 * hue - 10 * blades + 10 * straw,
        ],
        axis=-1,
    )
    picture = green * light[..., None]

    cx, cy = 0.62 * width, 0.41 * height
    rx = 0.024 * min(width, height) * 1.25
    ry = 0.024 * min(width, height)
    u, v = (xx - cx) / rx, (yy - cy) / ry
    body = u**2 + v**2 <= 1
    lit = np.clip(1.15 - 0.45 * np.hypot(u + 0.35, v + 0.35), 0.45, 1.2)
    shell_colour = lit[..., None] * np.array(shell, dtype=np.float32)
    picture[body] = shell_colour[body]
    for sx, sy in ((-0.45, -0.3), (0.4, -0.35), (-0.2, 0.45), (0.35, 0.4), (0.0, -0.05)):
        spot = (u - sx) ** 2 + (v - sy) ** 2 <= 0.05
        picture[spot & body] = (20, 14, 12)
    head = ((xx - (cx - 1.05 * rx)) / (0.38 * rx)) ** 2 + ((yy - cy) / (0.5 * ry)) ** 2 <= 1
    picture[head] = (18, 16, 14)
    picture += rng.normal(0, 6.0, picture.shape).astype(np.float32)  # sensor noise
    image = Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)))


def _noise(rng, height, width, scales, anisotropy: float = 1.0) -> np.ndarray:
    """Smooth noise in about [-1, 1]: random values at coarse grids, resized up and summed."""
    total = np.zeros((height, width), dtype=np.float32)
    for scale in scales:
        gh = max(2, int(height * scale * 10 / anisotropy))  # blades stand upright
        gw = max(2, int(width * scale * 10))
        grid = rng.standard_normal((gh, gw)).astype(np.float32)
        layer = Image.fromarray(grid, mode="F").resize((width, height), Image.Resampling.BICUBIC)
        total += np.asarray(layer) / len(scales)
    return np.clip(total, -1.5, 1.5) / 1.5


def sky(width: int = 1200, height: int = 900, seed: int = 0) -> np.ndarray:
    """A smooth evening sky over a dark, nearly flat hillside: where palettes band and speckle.

    The sky is a vertical gradient from deep blue to orange with faint clouds; the lower third is
    a dark green-brown hill with a little sensor noise, the "dark flat area" where dithering
    must not sprinkle bright dots.
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    top, bottom = np.array([25, 45, 110], np.float32), np.array([250, 150, 70], np.float32)
    picture = np.broadcast_to(top + (bottom - top) * t, (height, width, 3)).copy()
    picture += 18 * _noise(rng, height, width, (0.2, 0.05), anisotropy=0.3)[..., None]
    hill = np.arange(height)[:, None] > height * (0.66 + 0.05 * np.sin(np.arange(width) / 90))
    picture[hill] = (28, 32, 22)
    picture += rng.normal(0, 1.5, picture.shape).astype(np.float32)
    return np.clip(picture, 0, 255).astype(np.uint8)

"""Dithering: mixing palette colours so that, seen from a little way off, they average to the
colours the palette lacks.

With few colours a smooth sky turns into bands. Error diffusion (Floyd–Steinberg) fixes that by
passing each pixel's rounding error on to its neighbours, so a run of pixels alternates between
two palette colours in the proportion that averages to the original. It has costs, measured in
``bench/dither.py``: every single pixel is further from its original (the 99th-percentile
ΔE_OK grows), speckles appear where the two colours mixed are far apart, and the noise makes the
PNG larger, because its compressor thrives on runs of equal indices.

So this module offers three ways to map pixels to a palette:

* ``"none"``: each pixel its nearest palette colour, exactly, as K-Means assigned it.
* ``"floyd-steinberg"``: Pillow's error diffusion (in C) over the whole image.
* ``"selective"``, after libimagequant's idea of a dither map: diffuse only where it helps.
  A pixel keeps its nearest colour where the original is busy (edges and texture hide banding
  and would only gain noise), where its nearest colour is already close (nothing to fix), and
  where error diffusion would put a colour far from the original on it (a speckle); elsewhere,
  in smooth areas with visible steps, it takes the diffused colour.

Pixels that are fully transparent may get any label: they are drawn as the transparent entry.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from kmeans.core import find_closest_centroids
from kmeans.errors import KMeansError
from kmeans.oklab import srgb_to_oklab

DITHER_METHODS = ("none", "floyd-steinberg", "selective")

#: Busy: the brightest and darkest pixel of the 3×3 neighbourhood differ by more than this many
#: levels of luma. Edges and texture mask banding, so dithering there only adds noise and bytes.
BUSY_CONTRAST = 24
#: Nothing to fix: the nearest palette colour is within this ΔE_OK of the original.
CLOSE_ENOUGH = 1.5
#: A speckle: error diffusion put a colour more than this ΔE_OK from the original.
SPECKLE = 12.0


def dither_labels(
    rgb: np.ndarray,
    palette: np.ndarray,
    method: str,
    nearest: np.ndarray | None = None,
) -> np.ndarray:
    """Each pixel's index into ``palette``, mapped by ``method`` (see the module docstring).

    Parameters
    ----------
    rgb : (H, W, 3) uint8 image.
    palette : (K, 3) uint8 colours, K ≤ 256.
    method : one of :data:`DITHER_METHODS`.
    nearest : (H, W) the nearest-colour labels, if already known (K-Means' own labels); found
        here otherwise.

    >>> ramp = np.repeat(np.linspace(0, 255, 64).astype(np.uint8)[None, :, None], 3, axis=2)
    >>> ramp = np.repeat(ramp, 8, axis=0)
    >>> two = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    >>> plain = dither_labels(ramp, two, "none")
    >>> plain[0, :8].tolist(), plain[0, -8:].tolist()
    ([0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1])
    >>> mixed = dither_labels(ramp, two, "floyd-steinberg")
    >>> round(float(mixed[:, 24:40].mean()), 1)  # the middle of the ramp: half white
    0.5
    """
    if method not in DITHER_METHODS:
        names = ", ".join(repr(m) for m in DITHER_METHODS)
        raise KMeansError(f"The dithering must be one of {names}, not {method!r}.")
    palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
    height, width, _ = rgb.shape
    if nearest is None:
        nearest = find_closest_centroids(rgb.reshape(-1, 3), palette).reshape(height, width)
    nearest = nearest.astype(np.uint8, copy=False)
    if method == "none" or len(palette) == 1:
        return nearest
    diffused = floyd_steinberg(rgb, palette)
    if method == "floyd-steinberg":
        return diffused
    return np.where(dither_map(rgb, palette, nearest, diffused), diffused, nearest)


def floyd_steinberg(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Pillow's Floyd–Steinberg error diffusion onto ``palette``: (H, W) uint8 labels.

    Pillow's palette has 256 entries; the unused ones are filled with copies of the first
    colour, so no pixel can be sent to a colour that is not in the palette.
    """
    K = len(palette)
    padded = np.vstack([palette, np.repeat(palette[:1], 256 - K, axis=0)])
    target = Image.new("P", (1, 1))
    target.putpalette(padded.tobytes(), "RGB")
    mapped = Image.fromarray(rgb).quantize(palette=target, dither=Image.Dither.FLOYDSTEINBERG)
    labels = np.asarray(mapped).copy()
    labels[labels >= K] = 0  # a copy of the first colour
    return labels


def dither_map(
    rgb: np.ndarray, palette: np.ndarray, nearest: np.ndarray, diffused: np.ndarray
) -> np.ndarray:
    """Where the selective method takes the diffused colour: (H, W) bool.

    True only where the neighbourhood is smooth, the nearest colour is visibly off, and the
    diffused colour is not a speckle (see the module constants).
    """
    luma = Image.fromarray(rgb).convert("L")
    contrast = np.asarray(luma.filter(ImageFilter.MaxFilter(3))).astype(np.int16) - np.asarray(
        luma.filter(ImageFilter.MinFilter(3))
    )
    smooth = contrast <= BUSY_CONTRAST
    lab = srgb_to_oklab(rgb).astype(np.float32)
    palette_lab = srgb_to_oklab(palette).astype(np.float32)
    off = 100 * np.linalg.norm(lab - palette_lab[nearest], axis=-1) > CLOSE_ENOUGH
    sane = 100 * np.linalg.norm(lab - palette_lab[diffused], axis=-1) <= SPECKLE
    return smooth & off & sane

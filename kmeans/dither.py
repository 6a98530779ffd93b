"""Dithering: mixing palette colours so that, seen from a little way off, they average to the
colours the palette lacks.

With few colours a smooth sky turns into bands. Error diffusion (Floyd–Steinberg) fixes that by
passing each pixel's rounding error on to its neighbours, so a run of pixels alternates between
two palette colours in the proportion that averages to the original. It has costs
(``python -m bench.dither`` measures them): every single pixel is further from its original
(the 99th-percentile ΔE_OK grows), speckles appear where the two colours mixed are far apart,
and the noise makes the PNG larger, because its compressor thrives on runs of equal indices.

So this module offers three ways to map pixels to a palette:

* ``"none"``: each pixel its nearest palette colour, exactly, as K-Means assigned it.
* ``"floyd-steinberg"``: Pillow's error diffusion (in C) over the whole image, in sRGB values.
* ``"selective"``: our own error diffusion, built to fix what the eye sees from a little way
  off while adding little noise. It differs from the textbook in four ways:

  1. **Linear light.** The eye (and a downscaled view) averages light, not sRGB numbers, so the
     error is carried in linear light; mixing sRGB numbers makes dark mixes too bright.
  2. **Chosen in Oklab.** Each pixel takes the palette colour nearest its error-adjusted value
     *as the eye judges it* (Oklab); nearest in linear light picks poor colours in the darks.
  3. **A reach of 5 ΔE_OK.** A pixel's error-adjusted value may differ from its own colour by
     at most :data:`REACH`. Colours outside the palette's range can never be mixed, and plain
     diffusion lets their error pile up until a far colour lands as a speckle (the worst
     problem of the textbook method on K-Means palettes); the reach stops that, so a pixel is
     never drawn far from its own colour, in dark flat areas too.
  4. **90% of the error.** Passing on :data:`ERROR_KEPT` of the error lets stray errors fade,
     which removes lone off-colour pixels in areas that are nearly one palette colour.

  On photos above :data:`LARGE_PIXELS` that are smooth at the pixel scale (an upscale, a
  denoised photo; see :data:`SMOOTH_CHANGES`) it dithers cells two pixels tall and one wide
  instead of pixels (see :data:`CELL`).

Pixels that are fully transparent may get any label: they are drawn as the transparent entry.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from kmeans.distance import nearest_centroids
from kmeans.errors import KMeansError
from kmeans.oklab import LINEAR_OF_BYTE, linear_to_oklab

DITHER_METHODS = ("none", "floyd-steinberg", "selective")

#: The farthest (ΔE_OK) the error passed on may move a pixel's value from its own colour.
REACH = 5.0
#: The share of the incoming error a pixel passes on; the rest fades.
ERROR_KEPT = 0.9
#: Floyd–Steinberg's weights for the neighbours right, below-left, below and below-right.
FS_WEIGHTS = (7 / 16, 3 / 16, 5 / 16, 1 / 16)
#: Above this many pixels (libimagequant also treats images above 2000×2000 as huge) the photo
#: is dithered in cells of CELL = (rows, columns) pixels. Such a photo is seen scaled down, and
#: its smooth areas are so wide that pixel-fine noise costs several times the undithered PNG's
#: bytes. A cell two rows tall repeats each dithered row, which PNG's "up" filter stores almost
#: for free, while keeping every column: PNG filters rows, not columns.
LARGE_PIXELS = 4_000_000
CELL = (2, 1)
#: Cells only pay on a large photo whose nearest-colour labels run long: fewer than this share
#: of neighbouring pixels differ. There pixel-fine noise is what the PNG pays for, and there is
#: no pixel-scale detail for cells to lose. A photo with real pixel-scale detail or grain
#: already changes label on a fifth or more of neighbours: its PNG already pays for pixel-level
#: change, so pixel-fine dithering costs little there, while cells would blur the detail.
SMOOTH_CHANGES = 0.1


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
        nearest = nearest_centroids(rgb.reshape(-1, 3), palette)[0].reshape(height, width)
    nearest = nearest.astype(np.uint8, copy=False)
    if method == "none" or len(palette) == 1:
        return nearest
    if method == "floyd-steinberg":
        return floyd_steinberg(rgb, palette)
    return selective(rgb, palette, nearest)


def floyd_steinberg(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Pillow's Floyd–Steinberg error diffusion onto ``palette``: (H, W) uint8 labels.

    Pillow's palette has 256 entries; the unused ones are filled with copies of the first
    colour, so no pixel can be sent to a colour that is not in the palette.
    """
    k = len(palette)
    padded = np.vstack([palette, np.repeat(palette[:1], 256 - k, axis=0)])
    target = Image.new("P", (1, 1))
    target.putpalette(padded.tobytes(), "RGB")
    mapped = Image.fromarray(rgb).quantize(palette=target, dither=Image.Dither.FLOYDSTEINBERG)
    labels = np.asarray(mapped).copy()
    labels[labels >= k] = 0  # a copy of the first colour
    return labels


def selective(rgb: np.ndarray, palette: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """The ``"selective"`` dithering (see the module docstring): (H, W) uint8 labels.

    ``nearest`` labels the pixels a large photo's whole cells do not cover (its last row when
    the height is odd).
    """
    linear = LINEAR_OF_BYTE[rgb].astype(np.float32)
    height, width = nearest.shape
    if height * width <= LARGE_PIXELS or label_changes(nearest) >= SMOOTH_CHANGES:
        return diffuse_error(linear, palette)
    tall, wide = CELL
    rows, cols = height // tall, width // wide
    covered = linear[: rows * tall, : cols * wide]
    cells = covered.reshape(rows, tall, cols, wide, 3).mean(axis=(1, 3))
    labels = nearest.copy()
    coarse = diffuse_error(cells, palette)
    labels[: rows * tall, : cols * wide] = coarse.repeat(tall, axis=0).repeat(wide, axis=1)
    return labels


def label_changes(labels: np.ndarray) -> float:
    """The share of horizontally and vertically neighbouring pixels whose labels differ."""
    down = np.count_nonzero(labels[1:] != labels[:-1])
    across = np.count_nonzero(labels[:, 1:] != labels[:, :-1])
    pairs = labels[1:].size + labels[:, 1:].size
    return (down + across) / max(pairs, 1)


def diffuse_error(linear: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Floyd–Steinberg in linear light, chosen in Oklab, within :data:`REACH`: (H, W) labels.

    ``linear`` is the (H, W, 3) image in linear light (0–1).

    Error diffusion looks sequential, but a pixel only waits for its left neighbour and the
    three above it. So every pixel on an anti-diagonal ``x + 2y = t`` depends only on earlier
    diagonals, and one NumPy step handles a whole diagonal: W + 2H steps instead of W × H.
    In the flattened image a diagonal is a slice with stride W − 2, so it is read and written
    without copying indices. The image is transposed when that makes fewer steps, and padded
    to at least 3 columns (the stride must be positive); errors sent into the padding fade.
    """
    transposed = linear.shape[0] > linear.shape[1]
    if transposed:
        linear = linear.transpose(1, 0, 2)
    padded = np.pad(linear, ((0, 0), (0, max(0, 3 - linear.shape[1])), (0, 0)), mode="edge")
    height, width, _ = padded.shape
    pixels = np.ascontiguousarray(padded).reshape(-1, 3)
    own_lab = linear_to_oklab(pixels).astype(np.float32)
    palette_linear = LINEAR_OF_BYTE[palette].astype(np.float32)
    palette_lab = linear_to_oklab(palette_linear).astype(np.float32)
    palette_norms = (palette_lab**2).sum(axis=1)
    right, below_left, below, below_right = FS_WEIGHTS
    labels = np.empty(height * width, np.uint8)
    # The errors waiting for diagonals t … t+3, per row; one spare row takes what falls off.
    waiting = np.zeros((4, height + 1, 3), np.float32)
    stride = width - 2
    for t in range(width + 2 * (height - 1)):
        first, last = max(0, (t - width + 2) // 2), min(height - 1, t // 2)
        diagonal = slice(t + first * stride, t + last * stride + 1, stride)
        incoming = waiting[t % 4, first : last + 1] * ERROR_KEPT
        value = np.clip(pixels[diagonal] + incoming, 0, 1)
        value, lab = within_reach(value, pixels[diagonal], own_lab[diagonal])
        chosen = np.argmin(palette_norms - 2 * lab @ palette_lab.T, axis=1)
        labels[diagonal] = chosen
        error = value - palette_linear[chosen]
        waiting[t % 4] = 0
        waiting[(t + 1) % 4, first : last + 1] += right * error
        waiting[(t + 1) % 4, first + 1 : last + 2] += below_left * error
        waiting[(t + 2) % 4, first + 1 : last + 2] += below * error
        waiting[(t + 3) % 4, first + 1 : last + 2] += below_right * error
    labels = labels.reshape(height, width)[:, : linear.shape[1]]
    return labels.T if transposed else labels


def within_reach(
    value: np.ndarray, own: np.ndarray, own_lab: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``value`` (linear light) pulled back towards ``own`` to at most :data:`REACH` ΔE_OK.

    Returns the value and its Oklab. The pull is a straight line in Oklab, carried over to
    linear light in the same proportion (exact for small moves, which these are).
    """
    lab = linear_to_oklab(value).astype(np.float32)
    offset = lab - own_lab
    distance = 100 * np.sqrt((offset**2).sum(axis=1, keepdims=True))
    keep = np.minimum(1, REACH / np.maximum(distance, 1e-9))
    return own + (value - own) * keep, own_lab + offset * keep

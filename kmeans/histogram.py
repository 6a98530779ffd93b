"""An image's colour histogram: how many pixels have each colour, exactly or in coarse cells.

K-Means on a photo needs only its colours and how many pixels have each: every pixel of one
colour has the same nearest centroid, and a colour weighted by its pixel count adds to a mean
exactly what its pixels would. A photo of millions of pixels has a few hundred thousand distinct
colours at most, so counting them (:func:`distinct_colours`, :func:`count_colours`) is the one
pass over every pixel. The seeding works on coarser cells still (:func:`histogram_cells`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmeans.encode import is_opaque
from kmeans.errors import KMeansError
from kmeans.io import LoadedImage
from kmeans.space import as_bytes, premultiplied

#: With soft alpha the histogram has four channels: 4 bits each keeps it at 2^16 cells.
RGBA_CELL_BITS = 4


def distinct_colours(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collapse uint8 colours, RGB or RGBA, to their distinct values.

    Returns ``(colours, counts, inverse)`` with ``colours[inverse] == X``: colours (U, C) uint8
    with X's C = 3 or 4 channels, counts (U,) int64 pixels per colour, inverse (N,) int32.

    Each colour is packed into one 32-bit key, so colours are sorted and compared as integers.

    >>> X = np.array([[0, 0, 0], [9, 9, 9], [0, 0, 0]], dtype=np.uint8)
    >>> colours, counts, inverse = distinct_colours(X)
    >>> colours.tolist(), counts.tolist(), inverse.tolist()
    ([[0, 0, 0], [9, 9, 9]], [2, 1], [0, 1, 0])
    >>> distinct_colours(np.array([[9, 9, 9, 255], [9, 9, 9, 0]], dtype=np.uint8))[0].tolist()
    [[9, 9, 9, 0], [9, 9, 9, 255]]
    """
    channels = 4 if np.shape(X)[-1] == 4 else 3
    X = np.ascontiguousarray(X, dtype=np.uint8).reshape(-1, channels)
    if channels == 3 and len(X) > 1 << 20:
        keys, counts, inverse = _distinct_by_lookup(_colour_keys(X))
    else:
        keys, counts, inverse = _distinct_by_sorting(_colour_keys(X))
    colours = np.empty((len(keys), channels), dtype=np.uint8)
    for channel in range(channels):
        colours[:, channel] = keys >> (8 * (channels - 1 - channel))
    return colours, counts, inverse


def _distinct_by_lookup(keys: np.ndarray):
    """Sort the bare 24-bit RGB keys, then look each pixel's row up in a table of all 2^24.

    For large RGB inputs: NumPy sorts 4-byte integers with SIMD, and the table is written only
    at the rows of the colours present, so only their pages are ever touched.
    """
    ordered = np.sort(keys)
    starts_new = np.empty(len(keys), dtype=bool)
    starts_new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_new[1:])
    first = np.flatnonzero(starts_new)
    present = ordered[first]
    lookup = np.empty(1 << 24, dtype=np.int32)
    lookup[present] = np.arange(len(present), dtype=np.int32)
    return present, np.diff(first, append=len(keys)), lookup[keys]


def _distinct_by_sorting(keys: np.ndarray):
    """Sort (colour, position) pairs packed into uint64: one plain sort also yields the order.

    For small inputs, and for RGBA, whose 2^32 possible keys are far too many for a table.
    """
    packed = (keys.astype(np.uint64) << np.uint64(32)) | np.arange(len(keys), dtype=np.uint64)
    packed.sort()
    sorted_keys = (packed >> np.uint64(32)).astype(np.uint32)
    starts_new = np.empty(len(keys), dtype=bool)
    starts_new[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts_new[1:])
    inverse = np.empty(len(keys), dtype=np.int32)
    inverse[packed.astype(np.uint32)] = np.cumsum(starts_new, dtype=np.int32) - 1
    first = np.flatnonzero(starts_new)
    return sorted_keys[first], np.diff(first, append=len(keys)), inverse


def _colour_keys(X: np.ndarray) -> np.ndarray:
    """One uint32 per colour, 0xRRGGBB or 0xRRGGBBAA, to count and compare colours as integers."""
    last = X.shape[1] - 1
    keys = np.left_shift(X[:, 0], 8 * last, dtype=np.uint32)  # widen and shift in one pass
    for channel in range(1, last):
        keys |= np.left_shift(X[:, channel], 8 * (last - channel), dtype=np.uint32)
    keys |= X[:, last]
    return keys


@dataclass(frozen=True)
class ColourCounts:
    """An image's distinct colours and how many pixels have each: all K-Means needs of it.

    Counting is the one pass over every pixel; :func:`~kmeans.quantization.quantize` then works
    on the few hundred thousand distinct colours at most. Pass a ``ColourCounts`` to ``quantize``
    in place of the image to try several K without counting again.

    Attributes
    ----------
    rgb : (H, W, 3) uint8, the image.
    alpha : (H, W) uint8 or None, its transparency.
    visible : (H·W,) bool or None: the pixels that were counted, None for all. With soft alpha
        these are the pixels with alpha > 0, otherwise the opaque ones.
    colours : (U, 3) uint8 RGB, or (U, 4) uint8 straight RGBA when the image has soft alpha
        (see :attr:`soft_alpha`): the distinct colours of the counted pixels.
    counts : (U,) int64, pixels per colour.
    inverse : (number counted,) int32, each counted pixel's row in ``colours``.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    visible: np.ndarray | None
    colours: np.ndarray
    counts: np.ndarray
    inverse: np.ndarray

    @property
    def has_transparency(self) -> bool:
        """Whether some pixels were left out, to share one fully transparent palette entry."""
        return self.visible is not None

    @property
    def soft_alpha(self) -> bool:
        """Whether the colours are RGBA, to be clustered premultiplied (some alpha in 1..254)."""
        return self.colours.shape[1] == 4


def count_colours(image: LoadedImage | np.ndarray) -> ColourCounts:
    """Count the distinct colours of an image's visible pixels.

    An image with soft alpha (some alpha from 1 to 254) has its distinct RGBA values counted,
    those of every pixel with alpha above 0. Otherwise its RGB colours are counted, those of the
    opaque pixels only (alpha ≥ 128; the rest are transparent in the PNG), and an image with
    none opaque has all its pixels counted rather than none.

    >>> rgb = np.zeros((2, 2, 3), dtype=np.uint8); rgb[0, 0] = 255
    >>> counted = count_colours(rgb)
    >>> counted.colours.tolist(), counted.counts.tolist()
    ([[0, 0, 0], [255, 255, 255]], [3, 1])
    >>> rgba = np.zeros((1, 3, 4), dtype=np.uint8); rgba[0, 1:] = (0, 0, 0, 80)
    >>> counted = count_colours(rgba)
    >>> counted.colours.tolist(), counted.counts.tolist(), counted.visible.tolist()
    ([[0, 0, 0, 80]], [2], [False, True, True])
    """
    rgb, alpha = _rgb_and_alpha(image)
    visible = None
    if alpha is not None and _has_soft_alpha(alpha):
        visible = alpha.reshape(-1) > 0
        pixels = np.concatenate([rgb, alpha[:, :, None]], axis=2).reshape(-1, 4)
    else:
        pixels = rgb.reshape(-1, 3)
        if alpha is not None:
            visible = is_opaque(alpha).reshape(-1)
    if visible is not None and (visible.all() or not visible.any()):
        visible = None
    colours, counts, inverse = distinct_colours(pixels if visible is None else pixels[visible])
    return ColourCounts(rgb, alpha, visible, colours, counts, inverse)


def _has_soft_alpha(alpha: np.ndarray) -> bool:
    """Whether some pixel is neither fully transparent nor fully opaque."""
    # alpha - 1 wraps 0 to 255, so one comparison finds 1..254.
    return bool(((alpha - np.uint8(1)) < 254).any())


def _rgb_and_alpha(image: LoadedImage | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """RGB and alpha, None when opaque, as :func:`~kmeans.io.load_image` gives them."""
    if isinstance(image, LoadedImage):
        return image.rgb, image.alpha
    pixels = np.asarray(image)
    shape_ok = pixels.ndim == 3 and pixels.shape[2] in (3, 4) and pixels.size > 0
    if not shape_ok or pixels.dtype != np.uint8:
        raise KMeansError(
            "The image must be a non-empty (height, width, 3) or (height, width, 4) array of "
            "8-bit colours."
        )
    if pixels.shape[2] == 3:
        return pixels, None
    alpha = pixels[:, :, 3]
    return np.ascontiguousarray(pixels[:, :, :3]), (None if alpha.min() == 255 else alpha)


def histogram_cells(
    colours: np.ndarray, points: np.ndarray, weights: np.ndarray, bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean point and total weight of each occupied cell of a ``bits``-per-channel histogram.

    ``colours`` (U, C) uint8 are binned; ``points`` are the same colours as K-Means sees them
    (:func:`~kmeans.space.points_in_space`), averaged per cell with their ``weights``. RGBA
    colours are binned premultiplied, as they are clustered, so the nearly transparent pixels
    of every colour fall in the same few cells, and with RGBA_CELL_BITS bits a channel.

    >>> colours = np.array([[0, 0, 0], [6, 6, 6], [255, 255, 255]], dtype=np.uint8)
    >>> cells, weights = histogram_cells(colours, colours, np.array([1.0, 3, 2]), 5)
    >>> cells.tolist(), weights.tolist()
    ([[4.5, 4.5, 4.5], [255.0, 255.0, 255.0]], [4.0, 2.0])
    """
    channels = colours.shape[1]
    bits = bits if channels == 3 else RGBA_CELL_BITS
    binned = colours if channels == 3 else as_bytes(premultiplied(colours))
    coarse = (binned >> (8 - bits)).astype(np.intp)
    cell = coarse[:, 0]
    for channel in range(1, channels):
        cell = (cell << bits) | coarse[:, channel]
    totals = np.bincount(cell, weights=weights, minlength=1 << (channels * bits))
    occupied = np.flatnonzero(totals > 0)
    # Number the occupied cells 0, 1, ... so the sums below are short arrays, not 2^18 bins.
    row_of_cell = np.zeros(len(totals), dtype=np.intp)
    row_of_cell[occupied] = np.arange(len(occupied))
    row = row_of_cell[cell]
    totals = totals[occupied]
    sums = np.empty((len(occupied), points.shape[1]))
    for j in range(points.shape[1]):
        sums[:, j] = np.bincount(row, weights=weights * points[:, j], minlength=len(occupied))
    return sums / totals[:, None], totals

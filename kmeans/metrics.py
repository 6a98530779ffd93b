"""How far a quantised image is from the original, value by value: MSE, PSNR and SSIM, in NumPy.

* **MSE** (:func:`mse`) is the mean, over every pixel and channel, of the squared difference in
  0–255 units. It is the per-value version of the inertia K-Means minimises.
* **PSNR** (:func:`psnr`) restates MSE on a log scale against the largest possible error,
  ``10·log10(255² / MSE)`` decibels; higher is better, and identical images score infinity.
* **SSIM** (:func:`ssim`) compares *structure* rather than values. For every 7×7 window it
  multiplies a luminance term (do the means agree?) by a contrast-structure term (do the variances
  and the covariance agree?)::

      SSIM = (2·μx·μy + C1)(2·σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))

  with C1 = (0.01·255)² and C2 = (0.03·255)² keeping flat windows from dividing by zero. The
  score is the mean over every window that fits inside the image, then over channels. This is
  exactly ``skimage.metrics.structural_similarity(a, b, channel_axis=-1, data_range=255)``: a
  box window, sample (N−1) covariances, and only windows lying wholly inside the image, which is
  what scikit-image's crop of 3 border pixels keeps.

Images are (H, W, C) or (H, W) arrays of 0–255 values, normally uint8. Two choices keep the cost
low on 40-megapixel photos:

* Everything is computed in horizontal strips of rows (``STRIP_PIXELS`` values at a time),
  overlapping by the window height less one, so memory stays at a few tens of MB whatever the
  image size, and no full-size float64 copy is ever made.
* Window sums of uint8 values are exact in int32 (at most 49·255² per window), so the means,
  variances and covariance are formed from exact integer sums and lose nothing to cancellation.

The perceptual measures, ΔE in Oklab and lost hue, are in :mod:`kmeans.perceptual`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from kmeans.deprecation import moved_names
from kmeans.errors import KMeansError

#: Values per strip of one channel: small enough that a strip's int32 working arrays (1 MB each)
#: stay in cache, which makes it faster than larger strips as well as lighter.
STRIP_PIXELS = 1 << 18

#: SSIM's window side, as in scikit-image; smaller images use a smaller window, see :func:`ssim`.
WINDOW = 7

_DATA_RANGE = 255.0
_C1 = (0.01 * _DATA_RANGE) ** 2
_C2 = (0.03 * _DATA_RANGE) ** 2


def mse(original: np.ndarray, reconstructed: np.ndarray) -> float:
    """Mean squared difference over all pixels and channels, in 0–255 units.

    >>> a = np.array([[0, 10], [20, 30]], dtype=np.uint8)
    >>> mse(a, a + 2)
    4.0
    """
    original, reconstructed = check_images(original, reconstructed)
    # uint8 differences fit in int16 and their squares in int32: exact, and far faster than float.
    exact = _both_uint8(original, reconstructed)
    diff_type, square_type, sum_type = (
        (np.int16, np.int32, np.int64) if exact else (np.float64, np.float64, np.float64)
    )
    total = 0
    for top, rows in strips(original.shape[0], _row_values(original)):
        diff = np.subtract(
            original[top : top + rows], reconstructed[top : top + rows], dtype=diff_type
        )
        total += np.square(diff, dtype=square_type).sum(dtype=sum_type)
    return float(total) / original.size


def mse_of_colours(colours: np.ndarray, drawn: np.ndarray, counts: np.ndarray) -> float:
    """:func:`mse` of an image given as its distinct colours, each drawn as one colour.

    Every pixel of a colour is drawn the same way (without dithering), so the sum over pixels is
    the sum over colours, each weighted by its count: exact, in integers, and far faster, since
    a photo has a few hundred thousand distinct colours for millions of pixels.

    >>> colours = np.array([[0, 0, 0], [10, 10, 10]], dtype=np.uint8)
    >>> mse_of_colours(colours, np.array([[2, 2, 2], [10, 10, 10]]), np.array([3, 1]))
    3.0
    """
    diff = np.asarray(colours, dtype=np.int64) - np.asarray(drawn, dtype=np.int64)
    per_colour = np.einsum("ij,ij->i", diff, diff)
    return float(per_colour @ np.asarray(counts, dtype=np.int64)) / (
        int(np.sum(counts)) * colours.shape[1]
    )


def psnr(original: np.ndarray, reconstructed: np.ndarray) -> float:
    """Peak signal-to-noise ratio in decibels, ``10·log10(255² / MSE)``; ``math.inf`` if identical.

    >>> a = np.zeros((2, 2), dtype=np.uint8)
    >>> round(psnr(a, a + 1), 2)  # 20·log10(255)
    48.13
    >>> psnr(a, a)
    inf
    """
    return psnr_from_mse(mse(original, reconstructed))


def psnr_from_mse(error: float) -> float:
    """PSNR in decibels from an MSE already measured, so the image need not be read again.

    >>> round(psnr_from_mse(1.0), 2), psnr_from_mse(0.0)
    (48.13, inf)
    """
    if error == 0:
        return math.inf
    return 10 * math.log10(_DATA_RANGE**2 / error)


def ssim(original: np.ndarray, reconstructed: np.ndarray) -> float:
    """Mean structural similarity over 7×7 windows, then over channels; 1.0 when identical.

    Matches ``skimage.metrics.structural_similarity(a, b, channel_axis=-1, data_range=255)`` (or
    without ``channel_axis`` for an (H, W) image) to rounding error.

    Where scikit-image refuses an image under 7 pixels on a side, this narrows the window on that
    axis to the side's length, or one less when the length is even (windows stay centred on a
    pixel): a 6×6 image uses 5×5 windows, a 1×10000 line 1×7 windows. A window of one pixel has
    no spread, so its variance is taken as zero rather than divided by N−1 = 0, and a 1×1 image
    scores the luminance term alone.

    Flat images differ only in brightness, so every window scores
    (2·100·50 + C1) / (100² + 50² + C1):

    >>> bright, dim = np.full((8, 8, 3), 100, np.uint8), np.full((8, 8, 3), 50, np.uint8)
    >>> round(ssim(bright, dim), 4)
    0.8001
    >>> ssim(bright, bright)
    1.0
    """
    original, reconstructed = check_images(original, reconstructed)
    if original.ndim == 2:
        return _channel_ssim(original, reconstructed)
    channels = original.shape[2]
    return (
        sum(_channel_ssim(original[:, :, c], reconstructed[:, :, c]) for c in range(channels))
        / channels
    )


def check_images(original: np.ndarray, reconstructed: np.ndarray) -> tuple[np.ndarray, ...]:
    original, reconstructed = np.asarray(original), np.asarray(reconstructed)
    if original.shape != reconstructed.shape:
        raise KMeansError(
            f"The images differ in shape: {original.shape} against {reconstructed.shape}."
        )
    if original.ndim not in (2, 3) or original.size == 0:
        raise KMeansError(
            f"Expected a non-empty (H, W) or (H, W, C) image, got shape {original.shape}."
        )
    return original, reconstructed


def _both_uint8(original: np.ndarray, reconstructed: np.ndarray) -> bool:
    return original.dtype == np.uint8 and reconstructed.dtype == np.uint8


def _row_values(image: np.ndarray) -> int:
    """How many values one row of the image holds."""
    return image.size // image.shape[0]


def strips(n_rows: int, row_values: int) -> Iterator[tuple[int, int]]:
    """(first row, row count) of consecutive strips of about ``STRIP_PIXELS`` values each."""
    step = max(1, STRIP_PIXELS // row_values)
    for top in range(0, n_rows, step):
        yield top, min(step, n_rows - top)


def _window_side(length: int) -> int:
    """WINDOW, or for a shorter axis the largest odd number not above its length."""
    side = min(WINDOW, length)
    return side if side % 2 else side - 1


def _channel_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean SSIM of one channel over every window inside it, strip by strip."""
    height, width = x.shape
    win_h, win_w = _window_side(height), _window_side(width)
    out_h, out_w = height - win_h + 1, width - win_w + 1
    total = 0.0
    for top, rows in strips(out_h, width):
        # Each strip carries win_h - 1 extra rows so its last windows are whole.
        bottom = top + rows + win_h - 1
        total += _strip_ssim_sum(x[top:bottom], y[top:bottom], win_h, win_w)
    return total / (out_h * out_w)


def _strip_ssim_sum(x: np.ndarray, y: np.ndarray, win_h: int, win_w: int) -> float:
    """Sum of SSIM over the windows lying wholly inside one strip.

    With window sums a = Σx, b = Σy, and N pixels per window, SSIM's four factors scaled by N²
    (luminance) and by N²/cov_norm (contrast) become integer expressions in the sums, exact in
    int32 for uint8 input, with the constants C1 and C2 scaled to match.
    """
    n = win_h * win_w
    # scikit-image divides variances by N - 1; a one-pixel window has none, so keep N there.
    scale = n * (n - 1) if n > 1 else n * n
    # For uint8 the largest term, n·Σ(x² + y²) ≤ 49·49·2·255² ≈ 3.1e8, fits in int32.
    work = np.int32 if _both_uint8(x, y) else np.float64
    x, y = x.astype(work), y.astype(work)
    a, b = _window_sums(x, win_h, win_w), _window_sums(y, win_h, win_w)
    sum_xy = _window_sums(x * y, win_h, win_w)
    sum_squares = _window_sums(np.square(x) + np.square(y), win_h, win_w)
    del x, y  # free each strip's copies before the float64 arrays are made
    ab = a * b
    squared_sums = np.square(a) + np.square(b)
    del a, b
    numerator = _plus(2 * ab, _C1 * n * n)
    numerator *= _plus(2 * (n * sum_xy - ab), _C2 * scale)
    denominator = _plus(squared_sums, _C1 * n * n)
    denominator *= _plus(n * sum_squares - squared_sums, _C2 * scale)
    numerator /= denominator
    return float(numerator.sum())


def _plus(values: np.ndarray, constant: float) -> np.ndarray:
    """``values + constant`` as a new float64 array."""
    return np.add(values, constant, dtype=np.float64)


def _window_sums(values: np.ndarray, win_h: int, win_w: int) -> np.ndarray:
    """Sum over every win_h×win_w window lying wholly inside ``values``.

    A running sum of shifted slices, one axis then the other: for 7-wide windows it is faster
    than differences of cumulative sums, and it stays small enough for int32.
    """
    out_h, out_w = values.shape[0] - win_h + 1, values.shape[1] - win_w + 1
    column_sums = values[:out_h].copy()
    for i in range(1, win_h):
        column_sums += values[i : i + out_h]
    sums = column_sums[:, :out_w].copy()
    for j in range(1, win_w):
        sums += column_sums[:, j : j + out_w]
    return sums


__getattr__ = moved_names(
    __name__,
    dict.fromkeys(
        [
            "DELTA_E_PERCENTILE",
            "DELTA_E_SCALE",
            "HUE_STEP_DEGREES",
            "HUE_WINDOWS",
            "HUE_WINDOW_DEGREES",
            "MIN_HUE_SHARE",
            "VIVID_CHROMA",
            "PerceptualError",
            "delta_e_ok",
            "delta_e_ok_of_labels",
            "hue_windows",
            "perceptual_error",
            "perceptual_error_of_colours",
            "vivid_hue_windows",
        ],
        "kmeans.perceptual",
    ),
)

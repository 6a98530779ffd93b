"""How far a quantised image is from the original, in NumPy alone: MSE, PSNR and SSIM, and
two measures of what the eye sees, ΔE in Oklab and lost hue.

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

* **ΔE_OK** (:func:`delta_e_ok`) is the colour difference a person sees: 100 × the Euclidean
  distance between the two colours in Oklab (:mod:`kmeans.oklab`). About 2 is just noticeable
  side by side. :func:`perceptual_error` reports its mean and 99th percentile over the pixels.
* **Lost hue** (:func:`perceptual_error`) is the worst-served vivid colour family: a small red
  object on green barely moves the mean, but it is a hue family of its own, so when it turns
  green its family's mean ΔE_OK is large.

Images are (H, W, C) or (H, W) arrays of 0–255 values, normally uint8. Two choices keep the cost
low on 40-megapixel photos:

* Everything is computed in horizontal strips of rows (``STRIP_PIXELS`` values at a time),
  overlapping by the window height less one, so memory stays at a few tens of MB whatever the
  image size, and no full-size float64 copy is ever made.
* Window sums of uint8 values are exact in int32 (at most 49·255² per window), so the means,
  variances and covariance are formed from exact integer sums and lose nothing to cancellation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from kmeans.oklab import srgb_to_oklab

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
    original, reconstructed = _check_images(original, reconstructed)
    # uint8 differences fit in int16 and their squares in int32: exact, and far faster than float.
    exact = _both_uint8(original, reconstructed)
    diff_type, square_type, sum_type = (
        (np.int16, np.int32, np.int64) if exact else (np.float64, np.float64, np.float64)
    )
    total = 0
    for top, rows in _strips(original.shape[0], _row_values(original)):
        diff = np.subtract(
            original[top : top + rows], reconstructed[top : top + rows], dtype=diff_type
        )
        total += np.square(diff, dtype=square_type).sum(dtype=sum_type)
    return float(total) / original.size


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
    original, reconstructed = _check_images(original, reconstructed)
    if original.ndim == 2:
        return _channel_ssim(original, reconstructed)
    channels = original.shape[2]
    return (
        sum(_channel_ssim(original[:, :, c], reconstructed[:, :, c]) for c in range(channels))
        / channels
    )


def _check_images(original: np.ndarray, reconstructed: np.ndarray) -> tuple[np.ndarray, ...]:
    original, reconstructed = np.asarray(original), np.asarray(reconstructed)
    if original.shape != reconstructed.shape:
        raise ValueError(
            f"The images differ in shape: {original.shape} against {reconstructed.shape}."
        )
    if original.ndim not in (2, 3) or original.size == 0:
        raise ValueError(
            f"Expected a non-empty (H, W) or (H, W, C) image, got shape {original.shape}."
        )
    return original, reconstructed


def _both_uint8(original: np.ndarray, reconstructed: np.ndarray) -> bool:
    return original.dtype == np.uint8 and reconstructed.dtype == np.uint8


def _row_values(image: np.ndarray) -> int:
    """How many values one row of the image holds."""
    return image.size // image.shape[0]


def _strips(n_rows: int, row_values: int) -> Iterator[tuple[int, int]]:
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
    for top, rows in _strips(out_h, width):
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


# ---------------------------------------------------------------------------- what the eye sees

#: Colours at least this vivid (Oklab chroma √(a² + b²)) belong to a hue family.
VIVID_CHROMA = 0.08
#: Hue families: windows this many degrees wide, one starting every HUE_STEP degrees, so each
#: hue lies in two overlapping windows and an object is never split at a window's edge.
HUE_WINDOW = 30
HUE_STEP = 15
#: A family counts only if its pixels make up at least this share of the image (0.05%).
FAMILY_SHARE = 0.0005
#: ΔE_OK is tallied in bins this wide for the percentile: exact to 0.01, in bounded memory.
DELTA_E_BIN = 0.01
_DELTA_E_BINS = 30_000  # up to ΔE_OK 300; the largest possible (black against white) is 100
_WINDOWS = 360 // HUE_STEP


@dataclass(frozen=True)
class PerceptualError:
    """How different two images look. All in ΔE_OK units, where about 2 is just noticeable.

    Attributes
    ----------
    delta_e : mean ΔE_OK over the pixels.
    delta_e_p99 : 99th percentile of ΔE_OK: 1% of the pixels are off by more.
    lost_hue : the largest mean ΔE_OK of any vivid hue family (0 when nothing is vivid).
    """

    delta_e: float
    delta_e_p99: float
    lost_hue: float


def delta_e_ok(original: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    """Per-pixel colour difference ``100 · |Oklab(original) − Oklab(reconstructed)|``.

    Both are (H, W, 3) sRGB images in 0–255; the result is (H, W) float32. Computed in strips,
    so the only full-size array is the result. 2 is about the smallest visible difference.

    >>> black, white = np.zeros((1, 1, 3), np.uint8), np.full((1, 1, 3), 255, np.uint8)
    >>> round(float(delta_e_ok(black, white)[0, 0]), 3)  # Oklab lightness 0 to 1
    100.0
    """
    original, reconstructed = _check_colour_images(original, reconstructed)
    height, width, _ = original.shape
    result = np.empty((height, width), dtype=np.float32)
    for top, rows in _strips(height, width * 3):
        strip = slice(top, top + rows)
        result[strip] = _delta_e(
            srgb_to_oklab(original[strip]), srgb_to_oklab(reconstructed[strip])
        )
    return result


def perceptual_error(
    original: np.ndarray, reconstructed: np.ndarray, alpha: np.ndarray | None = None
) -> PerceptualError:
    """Mean and 99th-percentile ΔE_OK, and lost hue, of a reconstruction.

    * mean: Σ w·ΔE / Σ w over the pixels, with weight w = 1, or alpha / 255 when ``alpha`` is
      given, so fully transparent pixels do not count and half-transparent ones half;
    * 99th percentile: the smallest value v with at least 99% of the weight at or below v (the
      "inverted CDF" definition, as ``np.percentile(..., method="inverted_cdf")``), read from
      bins :data:`DELTA_E_BIN` wide: exact to 0.01;
    * lost hue: the original's pixels with Oklab chroma ≥ :data:`VIVID_CHROMA` are grouped by
      hue (atan2(b, a)) into 24 windows of 30°, one every 15°; for each window holding at least
      :data:`FAMILY_SHARE` of the image's weight, the mean ΔE_OK of its pixels; lost hue is the
      largest of these, or 0 when no window qualifies.

    Computed in strips: memory stays bounded whatever the image size.

    >>> grass = np.full((100, 100, 3), (40, 140, 40), np.uint8)
    >>> grass[:2, :2] = (220, 20, 20)  # 4 red pixels of 10,000: too few to be a family
    >>> painted = np.full_like(grass, (40, 140, 40))  # the object painted green
    >>> seen = perceptual_error(grass, painted)
    >>> round(seen.delta_e, 3), seen.delta_e_p99, round(seen.lost_hue, 1)
    (0.013, 0.0, 0.0)
    >>> grass[:10, :10] = (220, 20, 20)  # 1% of the image: a hue family of its own
    >>> round(perceptual_error(grass, painted).lost_hue, 1)
    32.9
    """
    original, reconstructed = _check_colour_images(original, reconstructed)
    height, width, _ = original.shape
    if alpha is not None and np.asarray(alpha).shape != (height, width):
        raise ValueError(f"The alpha must have shape {(height, width)}, not {np.shape(alpha)}.")
    tally = _Tally()
    for top, rows in _strips(height, width * 3):
        strip = slice(top, top + rows)
        lab = srgb_to_oklab(original[strip]).reshape(-1, 3)
        error = _delta_e(lab, srgb_to_oklab(reconstructed[strip]).reshape(-1, 3))
        weight = None if alpha is None else np.asarray(alpha[strip], np.float64).reshape(-1) / 255
        tally.add(error, lab, weight)
    return tally.result()


def perceptual_error_of_colours(
    colours: np.ndarray, reconstructed: np.ndarray, weights: np.ndarray
) -> PerceptualError:
    """:func:`perceptual_error` from distinct colours and their pixel counts: the same numbers.

    A quantised image is ``palette[labels]``, and every pixel of one colour gets the same
    palette entry, so each distinct colour (U, 3) with its reconstruction (U, 3) and its pixel
    count (U,) stands for all its pixels exactly: weighted sums and a weighted percentile give
    what the per-pixel computation gives, from far fewer colours than pixels.

    >>> colours = np.array([[40, 140, 40], [220, 20, 20]], np.uint8)
    >>> seen = perceptual_error_of_colours(colours, colours[[0, 0]], np.array([9900, 100]))
    >>> round(seen.lost_hue, 1)
    32.9
    """
    lab = srgb_to_oklab(np.asarray(colours).reshape(-1, 3))
    error = _delta_e(lab, srgb_to_oklab(np.asarray(reconstructed).reshape(-1, 3)))
    tally = _Tally()
    tally.add(error, lab, np.asarray(weights, dtype=np.float64).reshape(-1))
    return tally.result()


class _Tally:
    """Running sums for :class:`PerceptualError`, so images can be measured strip by strip."""

    def __init__(self) -> None:
        self.weight = 0.0
        self.error = 0.0
        self.histogram = np.zeros(_DELTA_E_BINS + 1)
        self.window_weight = np.zeros(_WINDOWS)
        self.window_error = np.zeros(_WINDOWS)

    def add(self, error: np.ndarray, lab: np.ndarray, weight: np.ndarray | None) -> None:
        weight = np.ones(len(error)) if weight is None else weight
        self.weight += weight.sum()
        self.error += weight @ error
        # Bin b holds values in ((b-1)·BIN, b·BIN]: its upper edge is the value reported.
        bins = np.minimum(np.ceil(error / DELTA_E_BIN - 1e-9), _DELTA_E_BINS).astype(np.intp)
        self.histogram += np.bincount(bins, weights=weight, minlength=_DELTA_E_BINS + 1)
        vivid = np.hypot(lab[:, 1], lab[:, 2]) >= VIVID_CHROMA
        if vivid.any():
            hue = np.degrees(np.arctan2(lab[vivid, 2], lab[vivid, 1])) % 360
            later = (hue // HUE_STEP).astype(np.intp) % _WINDOWS  # the window starting below
            earlier = (later - 1) % _WINDOWS  # and the one that started a step before it
            for window in (later, earlier):
                self.window_weight += np.bincount(window, weights=weight[vivid], minlength=_WINDOWS)
                self.window_error += np.bincount(
                    window, weights=weight[vivid] * error[vivid], minlength=_WINDOWS
                )

    def result(self) -> PerceptualError:
        if self.weight <= 0:
            return PerceptualError(0.0, 0.0, 0.0)
        cumulative = np.cumsum(self.histogram)
        p99_bin = int(np.searchsorted(cumulative, 0.99 * self.weight * (1 - 1e-12)))
        families = self.window_weight >= FAMILY_SHARE * self.weight
        lost = self.window_error[families] / self.window_weight[families]
        return PerceptualError(
            delta_e=float(self.error / self.weight),
            delta_e_p99=round(p99_bin * DELTA_E_BIN, 10),
            lost_hue=float(lost.max()) if lost.size else 0.0,
        )


def _delta_e(lab: np.ndarray, other: np.ndarray) -> np.ndarray:
    return (100.0 * np.sqrt(((lab - other) ** 2).sum(axis=-1))).astype(np.float32)


def _check_colour_images(original: np.ndarray, reconstructed: np.ndarray) -> tuple[np.ndarray, ...]:
    original, reconstructed = _check_images(original, reconstructed)
    if original.ndim != 3 or original.shape[2] != 3:
        raise ValueError(f"Expected (H, W, 3) colour images, got shape {original.shape}.")
    return original, reconstructed

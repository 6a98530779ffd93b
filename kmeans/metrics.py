"""How far a quantised image is from the original: MSE, PSNR, SSIM and ΔE_OK, in NumPy alone.

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

MSE and SSIM weigh every channel alike, but the eye does not. The perceptual measures
(:func:`perceptual_error`, :func:`perceptual_error_of_colours`, :func:`delta_e_ok`) compare colours
in Oklab (see :mod:`kmeans.oklab`), where distance follows what the eye sees:

* **ΔE_OK** of a pixel is 100 × the Euclidean distance between the two colours in Oklab. About 2
  is just noticeable; the summary is its mean and its 99th percentile over the pixels.
* **Lost hue** is the worst-served vivid colour family: among the original's vivid pixels
  (chroma ≥ ``VIVID_CHROMA``), grouped into overlapping hue windows, the largest mean ΔE_OK. A
  small red flower painted green barely moves the mean, but its hue window shows it.
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


#: ΔE_OK is this many times the Oklab distance, so that about 2 is a just-noticeable difference.
DELTA_E_SCALE = 100.0
#: The high percentile of ΔE_OK reported beside the mean.
DELTA_E_PERCENTILE = 99
#: Oklab chroma √(a² + b²) from which a colour counts as vivid (greys have 0, sRGB red 0.26).
VIVID_CHROMA = 0.08
#: Width of one hue window, in degrees.
HUE_WINDOW_DEGREES = 30
#: Step between the starts of consecutive hue windows, in degrees: half a window, so they overlap.
HUE_STEP_DEGREES = 15
#: Number of hue windows around the circle; every hue falls in exactly two of them.
HUE_WINDOWS = 360 // HUE_STEP_DEGREES
#: Share of the image's pixels (of its alpha weight, with transparency) that a hue window needs
#: before it can be the lost hue, so that a few stray pixels cannot decide it.
MIN_HUE_SHARE = 0.0005

# Non-negative float32 values sort like their bit patterns read as integers; the exponent and
# the top three mantissa bits (bits >> 20) give 8 steps an octave, and this offset maps the range
# 2⁻²³ … 512 of ΔE_OK (whose largest value, black against white, is 100) onto one byte.
_CODE_SHIFT = 20
_CODE_OFFSET = (127 - 23) << (23 - _CODE_SHIFT)


@dataclass(frozen=True)
class PerceptualError:
    """How far a reconstruction is from the original, as the eye sees it, in ΔE_OK units.

    Attributes
    ----------
    delta_e : float
        Mean ΔE_OK over the pixels (about 2 is just noticeable).
    delta_e_p99 : float
        99th percentile of ΔE_OK over the pixels, as defined in
        :func:`perceptual_error_of_colours`: the error the worst 1% of pixels reach.
    lost_hue : float
        Mean ΔE_OK of the worst-served vivid hue window, or 0 when nothing is vivid.
    """

    delta_e: float
    delta_e_p99: float
    lost_hue: float


def delta_e_ok(original: np.ndarray, reconstructed: np.ndarray) -> np.ndarray:
    """Per-pixel ΔE_OK: ``100 · ‖Oklab(original) − Oklab(reconstructed)‖``, an (H, W) float32 map.

    Each colour goes sRGB → linear light → Oklab (:mod:`kmeans.oklab`, Ottosson 2020), and ΔE_OK
    is 100 times the Euclidean distance ``√(ΔL² + Δa² + Δb²)`` there. The map is filled in strips
    of rows, so besides the map itself only a few MB are used, whatever the image size.

    Parameters
    ----------
    original, reconstructed : np.ndarray
        (H, W, 3) sRGB images in 0–255, uint8 (read through a lookup table) or float.

    Returns
    -------
    np.ndarray
        (H, W) float32 ΔE_OK of every pixel, ready to draw as an error heatmap.

    Examples
    --------
    Oklab lightness runs from 0 (black) to 1 (white), so black against white is 100:

    >>> black, white = np.zeros((1, 2, 3), np.uint8), np.full((1, 2, 3), 255, np.uint8)
    >>> delta_e_ok(black, white).round(2).tolist()
    [[100.0, 100.0]]
    >>> delta_e_ok(white, white).tolist()
    [[0.0, 0.0]]
    """
    original, reconstructed = _check_colour_images(original, reconstructed)
    height, width = original.shape[:2]
    out = np.empty((height, width), np.float32)
    for top, rows in _strips(height, width * 3):
        delta_e, _ = _delta_e_of_colours(
            original[top : top + rows].reshape(-1, 3),
            reconstructed[top : top + rows].reshape(-1, 3),
        )
        out[top : top + rows] = delta_e.reshape(rows, width)
    return out


def delta_e_ok_of_labels(
    original: np.ndarray, palette: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """ΔE_OK of a redrawing given by palette labels, ``100 · ‖original − palette[labels]‖``.

    For a caller that already holds the Oklab values. ``original`` is (3, ...) Oklab planes
    (L, a, b), ``palette`` is the (K, 3) Oklab colours and ``labels`` (...) picks one per pixel.
    Only K colours need converting instead of every pixel, and the sum is taken a plane at a
    time, so no (..., 3) array of looked-up colours is built: half the time on a 1.5 MP view.

    >>> planes = np.array([[0.5], [0.0], [0.0]])
    >>> delta_e_ok_of_labels(planes, np.array([[0.5, 0.03, 0.04], [0.5, 0, 0]]), np.array([0]))
    array([5.], dtype=float32)
    """
    palette = np.asarray(palette, dtype=np.float32)
    labels = np.asarray(labels)
    if labels.size and not 0 <= labels.min() <= labels.max() < len(palette):
        raise ValueError(f"Every label must pick one of the {len(palette)} palette colours.")
    total = np.zeros(labels.shape, dtype=np.float32)
    term = np.empty(labels.shape, dtype=np.float32)
    for plane, channel in zip(original, palette.T, strict=True):
        # Checked above, so "clip" never clips: it only skips NumPy's own check per pixel.
        np.take(channel, labels, out=term, mode="clip")
        np.subtract(plane, term, out=term)
        np.multiply(term, term, out=term)
        total += term
    np.sqrt(total, out=total)
    total *= DELTA_E_SCALE
    return total


def perceptual_error(
    original: np.ndarray, reconstructed: np.ndarray, alpha: np.ndarray | None = None
) -> PerceptualError:
    """Mean ΔE_OK, its 99th percentile and the lost hue of a reconstruction, pixel by pixel.

    The same three numbers as :func:`perceptual_error_of_colours` with every pixel as one colour
    of weight 1 (or alpha/255), so ``delta_e_p99`` equals
    ``np.percentile(delta_e_ok(original, reconstructed), 99, method="inverted_cdf")`` exactly.

    Memory stays bounded: the image is read in strips of rows, twice. The first pass sums the
    mean and the hue windows and keeps one byte per pixel, a coarse code that never decreases as
    ΔE_OK grows, with the weight of each code; that tells which code holds the 99th percentile.
    The second pass recomputes ΔE_OK only for the pixels with that code and picks the exact value.

    Parameters
    ----------
    original, reconstructed : np.ndarray
        (H, W, 3) sRGB images in 0–255, uint8 or float.
    alpha : np.ndarray or None
        (H, W) uint8 opacity of the original. When given, every pixel counts with weight
        alpha/255 in the mean, the percentile and the hue windows (including the
        ``MIN_HUE_SHARE`` of the total weight a window needs), so fully transparent pixels,
        whose colour nobody sees, do not count at all. A wholly transparent image scores 0.

    Returns
    -------
    PerceptualError

    Examples
    --------
    Grey has no hue, so nothing is vivid and no hue is lost:

    >>> grey = np.full((4, 4, 3), 128, np.uint8)
    >>> perceptual_error(grey, grey + 10).lost_hue
    0.0

    A red pixel painted green among 15 grey ones: it is more than 1% of the pixels, so it is the
    99th percentile, and it is alone in its hue windows.

    >>> original = grey.copy()
    >>> original[0, 0] = (255, 0, 0)
    >>> changed = original.copy()
    >>> changed[0, 0] = (0, 255, 0)
    >>> error = perceptual_error(original, changed)
    >>> round(error.delta_e, 2), round(error.delta_e_p99, 2), round(error.lost_hue, 2)
    (3.25, 51.98, 51.98)
    """
    original, reconstructed = _check_colour_images(original, reconstructed)
    height, width = original.shape[:2]
    alpha = _check_alpha(alpha, (height, width))
    codes = np.empty(height * width, np.uint8)
    code_weights = np.zeros(256)
    total, delta_e_sum, hue_sums = 0.0, 0.0, np.zeros((2, HUE_WINDOWS))
    for top, rows in _strips(height, width * 3):
        weights = None if alpha is None else alpha[top : top + rows].reshape(-1)
        delta_e, lab = _delta_e_of_colours(
            original[top : top + rows].reshape(-1, 3),
            reconstructed[top : top + rows].reshape(-1, 3),
        )
        total += delta_e.size if weights is None else float(weights.sum(dtype=np.int64))
        # float32 sums would drift on millions of pixels: accumulate in float64.
        wide = delta_e.astype(np.float64)
        delta_e_sum += float(wide.sum() if weights is None else np.dot(wide, weights))
        hue_sums += _hue_sums(delta_e, lab, weights)
        strip_codes = _coarse_code(delta_e)
        codes[top * width : (top + rows) * width] = strip_codes
        code_weights += np.bincount(strip_codes, weights=weights, minlength=256)
    if total == 0:
        return PerceptualError(0.0, 0.0, 0.0)
    p99 = _percentile_within_code(original, reconstructed, alpha, codes, code_weights, total)
    return _summary(total, delta_e_sum, hue_sums, p99)


def perceptual_error_of_colours(
    colours: np.ndarray, reconstructed_colours: np.ndarray, weights: np.ndarray
) -> PerceptualError:
    """Mean ΔE_OK, its 99th percentile and the lost hue, from distinct colours and their counts.

    A quantised image is ``palette[labels]``: each distinct original colour is always replaced
    by the same palette colour, so one distinct colour weighted by its pixel count stands for
    all its pixels, and the weighted numbers below equal the per-pixel ones of
    :func:`perceptual_error` (the percentile exactly, the means to rounding), at a fraction of
    the cost.

    With ΔEᵢ the ΔE_OK of colour i (see :func:`delta_e_ok`) and wᵢ its weight, W = Σwᵢ:

    * ``delta_e = Σ wᵢ·ΔEᵢ / W``.
    * ``delta_e_p99`` is the smallest ΔEᵢ such that the colours with ΔE ≤ ΔEᵢ weigh at least
      0.99·W (the "inverted CDF" percentile). With unit weights it is exactly
      ``np.percentile(values, 99, method="inverted_cdf")``; with weights, it is what the same
      call with ``weights=`` gives (which compares cumulative weight / W with 0.99 instead, so
      the two could differ only where that comparison is a tie to the last bit).
    * ``lost_hue``: the colours with Oklab chroma √(a² + b²) ≥ ``VIVID_CHROMA`` are vivid. Their
      hue atan2(b, a) places them in two of ``HUE_WINDOWS`` windows ``HUE_WINDOW_DEGREES`` wide,
      one starting every ``HUE_STEP_DEGREES`` (see :func:`hue_windows`). Of the windows whose
      weight is at least ``MIN_HUE_SHARE``·W, the lost hue is the largest weighted mean ΔE_OK;
      0 when there is none.

    Parameters
    ----------
    colours : np.ndarray
        (U, 3) distinct sRGB colours of the original, 0–255, normally uint8.
    reconstructed_colours : np.ndarray
        (U, 3) what each colour became, uint8 or float (a palette of float centroids is fine).
    weights : np.ndarray
        (U,) non-negative weight of each colour, normally its pixel count.

    Returns
    -------
    PerceptualError

    Examples
    --------
    99 pixels of grey kept exactly and one of red turned green:

    >>> colours = np.array([[128, 128, 128], [255, 0, 0]], np.uint8)
    >>> became = np.array([[128, 128, 128], [0, 255, 0]], np.uint8)
    >>> error = perceptual_error_of_colours(colours, became, np.array([99, 1]))
    >>> round(error.delta_e, 4), error.delta_e_p99, round(error.lost_hue, 2)
    (0.5198, 0.0, 51.98)

    One more red pixel pushes it past the top 1%, into the 99th percentile:

    >>> round(perceptual_error_of_colours(colours, became, np.array([98, 2])).delta_e_p99, 2)
    51.98
    """
    colours, reconstructed_colours, weights = _check_colours(
        colours, reconstructed_colours, weights
    )
    delta_e, lab = _delta_e_of_colours(colours, reconstructed_colours)
    total = float(weights.sum())
    if total == 0:
        return PerceptualError(0.0, 0.0, 0.0)
    order = np.argsort(delta_e, kind="stable")
    cumulative = np.cumsum(weights[order])
    p99 = float(delta_e[order[_rank_index(cumulative, total)]])
    return _summary(total, float(np.dot(delta_e, weights)), _hue_sums(delta_e, lab, weights), p99)


def hue_windows(hue_degrees: np.ndarray) -> np.ndarray:
    """The two hue windows each hue falls in, as (N, 2) window numbers.

    Window j covers hues from ``j · HUE_STEP_DEGREES`` up to, but not including,
    ``j · HUE_STEP_DEGREES + HUE_WINDOW_DEGREES`` (mod 360). Consecutive windows overlap by half,
    so a hue is in the window that starts in the same 15° step and in the one before it.

    >>> hue_windows(np.array([0.0, 14.9, 15.0, 359.0, -90.0])).tolist()
    [[23, 0], [23, 0], [0, 1], [22, 23], [17, 18]]
    """
    step = _hue_step(np.asarray(hue_degrees, dtype=np.float64))
    return np.stack([(step - 1) % HUE_WINDOWS, step], axis=-1)


def vivid_hue_windows(lab: np.ndarray) -> np.ndarray:
    """Which colours each hue window holds: the families whose mean ΔE_OK the lost hue compares.

    A (HUE_WINDOWS, N) boolean mask over (N, 3) Oklab colours: row j is True for the vivid
    colours (chroma ≥ ``VIVID_CHROMA``) whose hue is in window j (see :func:`hue_windows`).

    >>> red, grey = [0.628, 0.225, 0.126], [0.6, 0.0, 0.0]  # red's hue is 29.2°
    >>> np.flatnonzero(vivid_hue_windows(np.array([red, grey]))[:, 0]).tolist()
    [0, 1]
    >>> vivid_hue_windows(np.array([red, grey]))[:, 1].any()
    np.False_
    """
    lab = np.asarray(lab, dtype=np.float64)
    vivid = _is_vivid(lab)
    windows = hue_windows(np.degrees(np.arctan2(lab[:, 2], lab[:, 1])))
    masks = np.zeros((HUE_WINDOWS, len(lab)), dtype=bool)
    columns = np.arange(len(lab))
    masks[windows[:, 0], columns] = vivid  # a hue's two windows differ, so nothing is overwritten
    masks[windows[:, 1], columns] = vivid
    return masks


def _is_vivid(lab: np.ndarray) -> np.ndarray:
    """Whether each Oklab colour's chroma √(a² + b²) reaches ``VIVID_CHROMA``."""
    return np.sqrt(np.square(lab[:, 1]) + np.square(lab[:, 2])) >= VIVID_CHROMA


def _hue_step(hue_degrees: np.ndarray) -> np.ndarray:
    """Which HUE_STEP_DEGREES step of the circle each hue falls in, 0 … HUE_WINDOWS − 1."""
    # % 360 can round a tiny negative angle up to 360.0 itself, hence the final % HUE_WINDOWS.
    return (np.floor(hue_degrees % 360 / HUE_STEP_DEGREES).astype(np.intp)) % HUE_WINDOWS


def _oklab_of(rgb: np.ndarray) -> np.ndarray:
    """Oklab of (N, 3) sRGB colours, the same to the last bit whatever N is."""
    if len(rgb) == 1:
        # A single row may go to another inner loop whose last bit can differ; doubling it keeps
        # each colour's Oklab identical on every path, so per-pixel and per-colour results agree.
        return srgb_to_oklab(np.repeat(rgb, 2, axis=0))[:1]
    return srgb_to_oklab(rgb)


def _delta_e_of_colours(original: np.ndarray, reconstructed: np.ndarray) -> tuple[np.ndarray, ...]:
    """(N,) float32 ΔE_OK between two (N, 3) lists of colours, and the originals' Oklab."""
    lab = _oklab_of(original)
    squared = np.square(lab - _oklab_of(reconstructed))
    distance = np.sqrt(squared[:, 0] + squared[:, 1] + squared[:, 2])
    return (DELTA_E_SCALE * distance).astype(np.float32), lab


def _hue_sums(delta_e: np.ndarray, lab: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """(2, HUE_WINDOWS): weight, and weighted ΔE_OK sum, of the vivid colours in each hue step."""
    vivid = _is_vivid(lab)
    steps = _hue_step(np.degrees(np.arctan2(lab[vivid, 2], lab[vivid, 1])))
    vivid_weights = None if weights is None else weights[vivid]
    vivid_delta_e = delta_e[vivid].astype(np.float64)
    weighted_delta_e = vivid_delta_e if weights is None else vivid_delta_e * vivid_weights
    return np.stack(
        [
            np.bincount(steps, weights=vivid_weights, minlength=HUE_WINDOWS),
            np.bincount(steps, weights=weighted_delta_e, minlength=HUE_WINDOWS),
        ]
    )


def _summary(total: float, delta_e_sum: float, hue_sums: np.ndarray, p99: float) -> PerceptualError:
    """The result from the total weight, the weighted ΔE_OK sum, hue-step sums and the p99."""
    # Window j is hue steps j and j + 1.
    window_weight, window_delta_e = hue_sums + np.roll(hue_sums, -1, axis=1)
    counted = (window_weight >= MIN_HUE_SHARE * total) & (window_weight > 0)
    lost_hue = float(np.max(window_delta_e[counted] / window_weight[counted], initial=0.0))
    return PerceptualError(delta_e_sum / total, p99, lost_hue)


def _rank_index(cumulative: np.ndarray, total: float) -> int:
    """First index where the cumulative weight reaches DELTA_E_PERCENTILE % of the total.

    ``total · 0.99`` is the product NumPy forms for ``n`` values, so with unit weights this is
    exactly the index ``np.percentile(..., method="inverted_cdf")`` takes.
    """
    rank = total * (DELTA_E_PERCENTILE / 100)
    return min(int(np.searchsorted(cumulative, rank, side="left")), len(cumulative) - 1)


def _coarse_code(delta_e: np.ndarray) -> np.ndarray:
    """One byte per float32 ΔE_OK that never decreases as ΔE_OK grows (8 steps an octave)."""
    bits = delta_e.view(np.uint32) >> _CODE_SHIFT
    return (np.clip(bits, _CODE_OFFSET, _CODE_OFFSET + 255) - _CODE_OFFSET).astype(np.uint8)


def _percentile_within_code(
    original: np.ndarray,
    reconstructed: np.ndarray,
    alpha: np.ndarray | None,
    codes: np.ndarray,
    code_weights: np.ndarray,
    total: float,
) -> float:
    """The exact 99th percentile, recomputing ΔE_OK only for pixels with the code that holds it."""
    code_cumulative = np.cumsum(code_weights)
    code = _rank_index(code_cumulative, total)
    weight_below = code_cumulative[code - 1] if code else 0.0
    width = original.shape[1]
    values, weights = [], []
    for top, rows in _strips(original.shape[0], width * 3):
        chosen = codes[top * width : (top + rows) * width] == code
        if not chosen.any():
            continue
        delta_e, _ = _delta_e_of_colours(
            original[top : top + rows].reshape(-1, 3)[chosen],
            reconstructed[top : top + rows].reshape(-1, 3)[chosen],
        )
        values.append(delta_e)
        weights.append(
            np.ones(delta_e.size) if alpha is None else alpha[top : top + rows].reshape(-1)[chosen]
        )
    values, weights = np.concatenate(values), np.concatenate(weights)
    order = np.argsort(values, kind="stable")
    # Weights are whole numbers (counts or alpha bytes), so these sums are exact.
    cumulative = weight_below + np.cumsum(weights[order], dtype=np.float64)
    return float(values[order[_rank_index(cumulative, total)]])


def _check_colour_images(original: np.ndarray, reconstructed: np.ndarray) -> tuple[np.ndarray, ...]:
    original, reconstructed = _check_images(original, reconstructed)
    if original.ndim != 3 or original.shape[2] != 3:
        raise ValueError(f"Expected (H, W, 3) RGB images, got shape {original.shape}.")
    return original, reconstructed


def _check_alpha(alpha: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    if alpha is None:
        return None
    alpha = np.asarray(alpha)
    if alpha.shape != shape or alpha.dtype != np.uint8:
        raise ValueError(
            f"Expected alpha as a {shape} uint8 array, got {alpha.dtype} of shape {alpha.shape}."
        )
    return alpha


def _check_colours(
    colours: np.ndarray, reconstructed: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, ...]:
    colours, reconstructed = np.asarray(colours), np.asarray(reconstructed)
    weights = np.asarray(weights, dtype=np.float64)
    if colours.ndim != 2 or colours.shape[1] != 3 or colours.shape != reconstructed.shape:
        raise ValueError(
            f"Expected two (U, 3) colour lists, got shapes {colours.shape} and "
            f"{reconstructed.shape}."
        )
    if weights.shape != colours.shape[:1]:
        raise ValueError(f"Expected {len(colours)} weights, got shape {weights.shape}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("Weights must be finite and non-negative.")
    return colours, reconstructed, weights

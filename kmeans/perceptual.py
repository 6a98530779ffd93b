"""How far a quantised image is from the original as the eye sees it: ΔE in Oklab, and lost hue.

MSE and SSIM (:mod:`kmeans.metrics`) weigh every channel alike, but the eye does not. These
measures compare colours in Oklab (see :mod:`kmeans.oklab`), where distance follows what the eye
sees:

* **ΔE_OK** of a pixel is 100 × the Euclidean distance between the two colours in Oklab; 2 is
  just noticeable (:data:`kmeans.closeness.JUST_NOTICEABLE`). The summary is its mean and its
  99th percentile over the pixels.
* **Lost hue** is the worst-served vivid colour family: among the original's vivid pixels
  (chroma ≥ ``VIVID_CHROMA``), grouped into overlapping hue windows, the largest mean ΔE_OK. A
  small red flower painted green barely moves the mean, but its hue window shows it.

**Transparency.** A person never sees an image's alpha, only the image drawn over something: a
shadow's error in alpha alone is a difference over a white page and none over black. So an image
with alpha is judged *as seen*: the original and the reconstruction are each composited over
white and over black, as a browser blends them and the screen shows them (:func:`composited`),
and each pixel's ΔE_OK is the **worse of the two backgrounds**. The mean, the percentile and
the hue windows are all taken over that one per-pixel value, the same map the page's heatmap
paints, and the hue windows sort pixels by the original's colour as seen over that worse
background. A pixel counts once, with weight 1, if either image draws it (alpha > 0); pixels
transparent in both are the background in both, identical, and are left out, so a logo scores
the same whatever the empty canvas around it. Per pixel, because a logo's parts are seen over
whichever background shows their error: a black shadow over white, a white glow over black.

Like the metrics, they read images in strips of rows (``kmeans.metrics.STRIP_PIXELS`` values at
a time), so memory stays bounded whatever the image size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from kmeans.errors import KMeansError
from kmeans.metrics import check_images, strips
from kmeans.oklab import srgb_to_oklab_planes

#: ΔE_OK is this many times the Oklab distance, so that 2 is a just-noticeable difference.
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
#: Share of the image's pixels (of those drawn, with transparency) that a hue window needs
#: before it can be the lost hue, so that a few stray pixels cannot decide it.
MIN_HUE_SHARE = 0.0005
#: Pixels up to which :class:`Original` keeps the original's Oklab (24 bytes a pixel).
KEPT_OKLAB_PIXELS = 6_000_000

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
        Mean ΔE_OK over the pixels (2 is just noticeable).
    delta_e_p99 : float
        99th percentile of ΔE_OK over the pixels, as defined in
        :func:`perceptual_error_of_colours`: the error the worst 1% of pixels reach.
    lost_hue : float
        Mean ΔE_OK of the worst-served vivid hue window, or 0 when nothing is vivid.
    """

    delta_e: float
    delta_e_p99: float
    lost_hue: float


def delta_e_ok(
    original: np.ndarray,
    reconstructed: np.ndarray,
    alpha: np.ndarray | None = None,
    reconstructed_alpha: np.ndarray | None = None,
) -> np.ndarray:
    """Per-pixel ΔE_OK: ``100 · ‖Oklab(original) − Oklab(reconstructed)‖``, an (H, W) float32 map.

    Each colour goes sRGB → linear light → Oklab (:mod:`kmeans.oklab`, Ottosson 2020), and ΔE_OK
    is 100 times the Euclidean distance ``√(ΔL² + Δa² + Δb²)`` there. The map is filled in strips
    of rows, so besides the map itself only a few MB are used, whatever the image size.

    Parameters
    ----------
    original, reconstructed : np.ndarray
        (H, W, 3) sRGB images in 0–255, uint8 (read through a lookup table) or float.
    alpha, reconstructed_alpha : np.ndarray or None
        (H, W) uint8 opacity of each image, both or neither. With them, each pixel's ΔE_OK is
        that of the two images as seen: composited over white and over black, the worse of the
        two (see the module's docstring).

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

    A black shadow drawn at alpha 90 instead of 100 is the same colour, but over white it is
    lighter (165 against 155); a hidden pixel is the background in both:

    >>> shadow, drawn = np.array([[100, 0]], np.uint8), np.array([[90, 0]], np.uint8)
    >>> [round(float(value), 2) for value in delta_e_ok(black, black, shadow, drawn)[0]]
    [3.24, 0.0]
    """
    pair = _checked_pair(original, reconstructed, alpha, reconstructed_alpha)
    height, width = pair.original.shape[:2]
    out = np.empty((height, width), np.float32)
    for top, rows in strips(height, width * 3):
        delta_e, _ = pair.strip(top, rows).delta_e()
        out[top : top + rows] = delta_e.reshape(rows, width)
    return out


def delta_e_ok_of_labels(
    original: np.ndarray, palette: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """ΔE_OK of a redrawing given by palette labels, ``100 · ‖original − palette[labels]‖``.

    For a caller that already holds the Oklab values. ``original`` is (3, ...) Oklab planes
    (L, a, b), ``palette`` is the (K, 3) Oklab colours and ``labels`` (...) picks one per pixel.
    Only K colours need converting instead of every pixel, and the sum is taken a plane at a
    time, so no (..., 3) array of looked-up colours is built.

    >>> planes = np.array([[0.5], [0.0], [0.0]])
    >>> delta_e_ok_of_labels(planes, np.array([[0.5, 0.03, 0.04], [0.5, 0, 0]]), np.array([0]))
    array([5.], dtype=float32)
    """
    palette = np.asarray(palette, dtype=np.float32)
    labels = np.asarray(labels)
    if labels.size and not 0 <= labels.min() <= labels.max() < len(palette):
        raise KMeansError(f"Every label must pick one of the {len(palette)} palette colours.")
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
    original: np.ndarray,
    reconstructed: np.ndarray,
    alpha: np.ndarray | None = None,
    reconstructed_alpha: np.ndarray | None = None,
) -> PerceptualError:
    """Mean ΔE_OK, its 99th percentile and the lost hue of a reconstruction, pixel by pixel.

    The same three numbers as :func:`perceptual_error_of_colours` with every pixel as one colour
    of weight 1, so ``delta_e_p99`` equals
    ``np.percentile(delta_e_ok(original, reconstructed), 99, method="inverted_cdf")`` exactly.

    Memory stays bounded: the image is read in strips of rows, twice. The first pass sums the
    mean and the hue windows and keeps one byte per pixel, a coarse code that never decreases as
    ΔE_OK grows, with the weight of each code; that tells which code holds the 99th percentile.
    The second pass recomputes ΔE_OK only for the pixels with that code and picks the exact value.

    Parameters
    ----------
    original, reconstructed : np.ndarray
        (H, W, 3) sRGB images in 0–255, uint8 or float.
    alpha, reconstructed_alpha : np.ndarray or None
        (H, W) uint8 opacity of each image, both or neither. With them, the images are judged as
        seen (see the module's docstring): each pixel's ΔE_OK is the worse of over white and over
        black, and only the pixels that either image draws (alpha > 0) count, each with weight
        1. Two wholly transparent images score 0.

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
    pair = _checked_pair(original, reconstructed, alpha, reconstructed_alpha)
    height, width = pair.original.shape[:2]
    spans = list(strips(height, width * 3))
    tally = _Tally(height * width)
    for top, rows in spans:
        pixels = pair.strip(top, rows)
        delta_e, lab = pixels.delta_e()
        tally.add(delta_e, _hue_steps(lab), pixels.drawn())

    def recomputed(span: int, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        pixels = pair.strip(*spans[span], chosen)
        return pixels.delta_e()[0], pixels.drawn()

    return tally.error(recomputed)


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
        (U, 3) distinct sRGB colours of the original, 0–255, normally uint8; or (U, 4) straight
        RGBA colours, judged as seen (see the module's docstring): ΔEᵢ is the worse of over
        white and over black, and a colour that neither it nor what it became draws (alpha 0)
        weighs nothing.
    reconstructed_colours : np.ndarray
        (U, 3) or (U, 4), like ``colours``: what each colour became, uint8 or float (a palette
        of float centroids is fine).
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

    A black shadow at alpha 100 drawn at 90 differs over white, by as much as any colour would
    that went from grey 155 to 165:

    >>> shadow = np.array([[0, 0, 0, 100]], np.uint8)
    >>> drawn = np.array([[0, 0, 0, 90]], np.uint8)
    >>> round(perceptual_error_of_colours(shadow, drawn, np.ones(1)).delta_e, 2)
    3.24
    """
    pair, weights = _checked_colours(colours, reconstructed_colours, weights)
    delta_e, lab = pair.delta_e()
    drawn = pair.drawn()
    if drawn is not None:
        weights = weights * drawn
    total = float(weights.sum())
    if total == 0:
        return PerceptualError(0.0, 0.0, 0.0)
    order = np.argsort(delta_e, kind="stable")
    cumulative = np.cumsum(weights[order])
    p99 = float(delta_e[order[_rank_index(cumulative, total)]])
    hue_sums = _hue_sums(_hue_steps(lab), delta_e.astype(np.float64), weights)
    return _summary(total, float(np.dot(delta_e, weights)), hue_sums, p99)


class Original:
    """An opaque original, prepared once to be measured against many reconstructions of it.

    :func:`perceptual_error` converts both images to Oklab at every call. A search that measures
    many files of one photo (:mod:`kmeans.codecs`) prepares the photo instead: each pixel's hue
    step is found once, and the Oklab of images of up to ``KEPT_OKLAB_PIXELS`` pixels is kept,
    so that each measurement converts only the reconstruction. The numbers are those of
    :func:`perceptual_error` on the same images, the 99th percentile exactly (each pixel's ΔE_OK
    comes from the same element-wise functions of its two colours) and the means to rounding.

    Memory: 1 byte a pixel, and 24 more (float64 L, a and b) up to ``KEPT_OKLAB_PIXELS``
    pixels, at most 144 MB; past that the original is converted again, strip by strip, at each
    measurement.

    Parameters
    ----------
    rgb : (H, W, 3) sRGB image in 0–255, uint8 or float.
    measured : (H, W) booleans, the pixels that count (the others are left out); None for all.

    Examples
    --------
    >>> grey = np.full((4, 4, 3), 128, np.uint8)
    >>> Original(grey).perceptual_error(grey + 10) == perceptual_error(grey, grey + 10)
    True
    """

    def __init__(self, rgb: np.ndarray, measured: np.ndarray | None = None) -> None:
        self.rgb = _checked_pair(rgb, rgb, None, None).original
        self.measured = None if measured is None else _check_mask(measured, self.rgb.shape[:2])
        self.pixels = self.pixels_of(self.rgb)
        self.spans = list(strips(len(self.pixels), 3))
        self.steps = np.empty(len(self.pixels), np.uint8)
        self.oklab: list[np.ndarray] | None = None
        if len(self.pixels) <= KEPT_OKLAB_PIXELS:
            self.oklab = []
        for start, count in self.spans:
            lab = srgb_to_oklab_planes(self.pixels[start : start + count])
            self.steps[start : start + count] = _hue_steps(lab)
            if self.oklab is not None:
                self.oklab.append(lab)

    def pixels_of(self, image: np.ndarray) -> np.ndarray:
        """(N, 3) colours of the pixels that count, in order."""
        flat = image.reshape(-1, 3)
        return flat if self.measured is None else flat[self.measured.reshape(-1)]

    def perceptual_error(self, reconstructed: np.ndarray) -> PerceptualError:
        """:func:`perceptual_error` of ``reconstructed``, an (H, W, 3) image like the original."""
        other = self.pixels_of(_checked_pair(self.rgb, reconstructed, None, None).reconstructed)

        def delta_e(span: int, chosen: slice | np.ndarray = slice(None)) -> np.ndarray:
            start, count = self.spans[span]
            theirs = other[start : start + count][chosen]
            if self.oklab is None:
                return _delta_e_of_colours(self.pixels[start : start + count][chosen], theirs)[0]
            return _delta_e_of_oklab(self.oklab[span][:, chosen], srgb_to_oklab_planes(theirs))

        tally = _Tally(len(self.pixels))
        for span, (start, count) in enumerate(self.spans):
            tally.add(delta_e(span), self.steps[start : start + count], None)
        return tally.error(lambda span, chosen: (delta_e(span, chosen), None))


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
    vivid = _is_vivid(lab.T)
    windows = hue_windows(np.degrees(np.arctan2(lab[:, 2], lab[:, 1])))
    masks = np.zeros((HUE_WINDOWS, len(lab)), dtype=bool)
    columns = np.arange(len(lab))
    masks[windows[:, 0], columns] = vivid  # a hue's two windows differ, so nothing is overwritten
    masks[windows[:, 1], columns] = vivid
    return masks


def _is_vivid(lab: np.ndarray) -> np.ndarray:
    """Whether each colour of (3, N) Oklab planes has a chroma √(a² + b²) of ``VIVID_CHROMA``."""
    return np.sqrt(np.square(lab[1]) + np.square(lab[2])) >= VIVID_CHROMA


def _hue_step(hue_degrees: np.ndarray) -> np.ndarray:
    """Which HUE_STEP_DEGREES step of the circle each hue falls in, 0 … HUE_WINDOWS − 1."""
    # % 360 can round a tiny negative angle up to 360.0 itself, hence the final % HUE_WINDOWS.
    return (np.floor(hue_degrees % 360 / HUE_STEP_DEGREES).astype(np.intp)) % HUE_WINDOWS


class _Pair(NamedTuple):
    """An original and its reconstruction, as images or as lists of colours, and their
    opacities: both None for opaque ones."""

    original: np.ndarray
    reconstructed: np.ndarray
    alpha: np.ndarray | None = None
    reconstructed_alpha: np.ndarray | None = None

    def strip(self, top: int, rows: int, chosen: np.ndarray | None = None) -> _Pair:
        """Rows ``top`` to ``top + rows`` as lists of pixels, only the ``chosen`` ones if given."""

        def pixels(plane: np.ndarray | None) -> np.ndarray | None:
            if plane is None:
                return None
            return plane[top : top + rows].reshape(rows * plane.shape[1], *plane.shape[2:])

        flat = _Pair(*(pixels(plane) for plane in self))
        return flat if chosen is None else flat.chosen(chosen)

    def drawn(self) -> np.ndarray | None:
        """Which pixels count: those either image draws (alpha > 0); None when all do."""
        if self.alpha is None:
            return None
        return (self.alpha > 0) | (self.reconstructed_alpha > 0)

    def delta_e(self) -> tuple[np.ndarray, np.ndarray]:
        """(N,) float32 ΔE_OK of a pair of colour lists, as seen, and the originals' Oklab
        as (3, N) planes.

        A pixel opaque in both looks the same over any background, so its colours are compared
        as they are; one hidden in both is the background in both, 0 (its Oklab, black, has no
        hue and the pixel weighs nothing). Only the rest need drawing over white and black.
        """
        if self.alpha is None:
            return _delta_e_of_colours(self.original, self.reconstructed)
        delta_e, lab = np.zeros(len(self.alpha), np.float32), np.zeros((3, len(self.alpha)))
        opaque = (self.alpha == 255) & (self.reconstructed_alpha == 255)
        delta_e[opaque], lab[:, opaque] = _delta_e_of_colours(
            self.original[opaque], self.reconstructed[opaque]
        )
        see_through = self.drawn() & ~opaque
        delta_e[see_through], lab[:, see_through] = self.chosen(see_through).over_worse_background()
        return delta_e, lab

    def chosen(self, mask: np.ndarray) -> _Pair:
        """The colour lists' entries where ``mask`` is True."""
        return _Pair(*(None if plane is None else plane[mask] for plane in self))

    def over_worse_background(self) -> tuple[np.ndarray, np.ndarray]:
        """ΔE_OK over white or over black, whichever is larger, and the original's Oklab there."""
        over_white, white_lab = _delta_e_of_colours(*self.composited(255))
        over_black, black_lab = _delta_e_of_colours(*self.composited(0))
        black_worse = over_black > over_white
        return (
            np.where(black_worse, over_black, over_white),
            np.where(black_worse, black_lab, white_lab),
        )

    def composited(self, background: int) -> tuple[np.ndarray, np.ndarray]:
        """Both colour lists drawn over a grey ``background``, as the screen shows them."""
        return (
            composited(self.original, self.alpha, background),
            composited(self.reconstructed, self.reconstructed_alpha, background),
        )


def composited(colours: np.ndarray, alpha: np.ndarray, background: int) -> np.ndarray:
    """Colours of some opacity drawn over a grey ``background``, as 8-bit sRGB colours.

    ``round(c·α + background·(1 − α))`` with α = alpha/255: the blend a browser makes, in sRGB
    values, and the bytes the screen then shows. For 8-bit colours the exact value is a whole
    number of 255ths, never half-way between two integers, so the rounding has no ties.

    >>> composited(np.array([[0, 0, 0], [255, 0, 0]]), np.array([100, 128]), 255).tolist()
    [[155, 155, 155], [255, 127, 127]]
    """
    opacity = np.asarray(alpha)[:, None] / 255.0
    return np.rint(colours * opacity + background * (1.0 - opacity)).astype(np.uint8)


def _delta_e_of_colours(original: np.ndarray, reconstructed: np.ndarray) -> tuple[np.ndarray, ...]:
    """(N,) float32 ΔE_OK between two (N, 3) lists of colours, and the originals' Oklab planes."""
    lab = srgb_to_oklab_planes(original)
    return _delta_e_of_oklab(lab, srgb_to_oklab_planes(reconstructed)), lab


def _delta_e_of_oklab(lab: np.ndarray, other: np.ndarray) -> np.ndarray:
    """(N,) float32 ΔE_OK between two (3, N) Oklab planes; ``other`` is overwritten.

    Element-wise: each value depends on its two colours alone, so a pixel's ΔE_OK is the same
    to the last bit in a strip, alone, or as a distinct colour.
    """
    squared = other
    squared -= lab
    np.square(squared, out=squared)
    distance = squared[0] + squared[1]
    distance += squared[2]
    np.sqrt(distance, out=distance)
    distance *= DELTA_E_SCALE
    return distance.astype(np.float32)


def _hue_steps(lab: np.ndarray) -> np.ndarray:
    """(N,) uint8 hue step of each colour of (3, N) Oklab planes; ``HUE_WINDOWS`` if not vivid."""
    vivid = _is_vivid(lab)
    steps = np.full(lab.shape[1], HUE_WINDOWS, np.uint8)
    steps[vivid] = _hue_step(np.degrees(np.arctan2(lab[2, vivid], lab[1, vivid])))
    return steps


def _hue_sums(steps: np.ndarray, delta_e: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """(2, HUE_WINDOWS): weight, and weighted float64 ΔE_OK sum, of the vivid colours in each
    hue step (the step ``HUE_WINDOWS``, not vivid, is dropped)."""
    weighted_delta_e = delta_e if weights is None else delta_e * weights
    return np.stack(
        [
            np.bincount(steps, weights=weights, minlength=HUE_WINDOWS + 1)[:HUE_WINDOWS],
            np.bincount(steps, weights=weighted_delta_e, minlength=HUE_WINDOWS + 1)[:HUE_WINDOWS],
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


class _Tally:
    """The first pass over an image's pixels, and the exact 99th percentile from a second.

    The first pass sums the mean and the hue windows and keeps one byte per pixel, a coarse
    code that never decreases as ΔE_OK grows, with the weight of each code; that tells which
    code holds the 99th percentile. The second recomputes ΔE_OK only for the pixels with that
    code and picks the exact value.
    """

    def __init__(self, n_pixels: int) -> None:
        self.codes = np.empty(n_pixels, np.uint8)
        self.code_weights = np.zeros(256)
        self.total, self.delta_e_sum, self.hue_sums = 0, 0.0, np.zeros((2, HUE_WINDOWS))
        self.spans: list[tuple[int, int]] = []

    def add(self, delta_e: np.ndarray, steps: np.ndarray, weights: np.ndarray | None) -> None:
        """The next span of pixels: their ΔE_OK, hue steps and which count (None: all)."""
        start = self.spans[-1][1] if self.spans else 0
        self.spans.append((start, start + len(delta_e)))
        self.total += delta_e.size if weights is None else int(np.count_nonzero(weights))
        # float32 sums would drift on millions of pixels: accumulate in float64.
        wide = delta_e.astype(np.float64)
        self.delta_e_sum += float(wide.sum() if weights is None else wide[weights].sum())
        self.hue_sums += _hue_sums(steps, wide, weights)
        codes = _coarse_code(delta_e)
        self.codes[start : start + len(codes)] = codes
        self.code_weights += np.bincount(codes, weights=weights, minlength=256)

    def error(
        self, recomputed: Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray | None]]
    ) -> PerceptualError:
        """The result. ``recomputed(span, chosen)`` gives the ΔE_OK of the ``chosen`` pixels of
        the span added ``span``-th, and which of them count (None: all)."""
        if self.total == 0:
            return PerceptualError(0.0, 0.0, 0.0)
        code_cumulative = np.cumsum(self.code_weights)
        code = _rank_index(code_cumulative, self.total)
        weight_below = code_cumulative[code - 1] if code else 0.0
        values, weights = [], []
        for span, (start, stop) in enumerate(self.spans):
            chosen = self.codes[start:stop] == code
            if chosen.any():
                delta_e, counted = recomputed(span, chosen)
                values.append(delta_e)
                weights.append(np.ones(len(delta_e)) if counted is None else counted)
        values, weights = np.concatenate(values), np.concatenate(weights)
        order = np.argsort(values, kind="stable")
        # Weights are whole numbers (1 for each counted pixel), so these sums are exact.
        cumulative = weight_below + np.cumsum(weights[order], dtype=np.float64)
        p99 = float(values[order[_rank_index(cumulative, self.total)]])
        return _summary(self.total, self.delta_e_sum, self.hue_sums, p99)


def _checked_pair(
    original: np.ndarray,
    reconstructed: np.ndarray,
    alpha: np.ndarray | None,
    reconstructed_alpha: np.ndarray | None,
) -> _Pair:
    original, reconstructed = check_images(original, reconstructed)
    if original.ndim != 3 or original.shape[2] != 3:
        raise KMeansError(f"Expected (H, W, 3) RGB images, got shape {original.shape}.")
    if (alpha is None) != (reconstructed_alpha is None):
        raise KMeansError("Give the alpha of both images, or of neither.")
    if alpha is None:
        return _Pair(original, reconstructed)
    return _Pair(
        original,
        reconstructed,
        _check_alpha(alpha, original.shape[:2]),
        _check_alpha(reconstructed_alpha, original.shape[:2]),
    )


def _check_mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.shape != shape or mask.dtype != bool:
        raise KMeansError(
            f"Expected the measured pixels as a {shape} boolean array, got {mask.dtype} of "
            f"shape {mask.shape}."
        )
    return mask


def _check_alpha(alpha: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    alpha = np.asarray(alpha)
    if alpha.shape != shape or alpha.dtype != np.uint8:
        raise KMeansError(
            f"Expected alpha as a {shape} uint8 array, got {alpha.dtype} of shape {alpha.shape}."
        )
    return alpha


def _checked_colours(
    colours: np.ndarray, reconstructed: np.ndarray, weights: np.ndarray
) -> tuple[_Pair, np.ndarray]:
    colours, reconstructed = np.asarray(colours), np.asarray(reconstructed)
    weights = np.asarray(weights, dtype=np.float64)
    if colours.ndim != 2 or colours.shape[1] not in (3, 4) or colours.shape != reconstructed.shape:
        raise KMeansError(
            f"Expected two (U, 3) or (U, 4) colour lists, got shapes {colours.shape} and "
            f"{reconstructed.shape}."
        )
    if weights.shape != colours.shape[:1]:
        raise KMeansError(f"Expected {len(colours)} weights, got shape {weights.shape}.")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise KMeansError("Weights must be finite and non-negative.")
    if colours.shape[1] == 3:
        return _Pair(colours, reconstructed), weights
    return _Pair(colours[:, :3], reconstructed[:, :3], colours[:, 3], reconstructed[:, 3]), weights

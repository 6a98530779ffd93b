"""The whole recipe: an image in, K colours and the image redrawn with them out.

:func:`quantize` is what the command line and the page call. It counts the image's distinct
colours once (:func:`~kmeans.histogram.count_colours`), then runs K-Means on them in two stages:

1. **Seed** (:mod:`kmeans.seeding`): K-Means on the colour histogram, from a few k-means++
   starts, improved by swaps that give a small vivid object a colour of its own, then polished
   on a finer histogram. With ``init="random"`` the run starts instead from K random pixel
   colours, the classic textbook method, which settles slower and usually ends worse.
2. **Finish exactly** (:mod:`kmeans.engine`): textbook Lloyd on every distinct colour, each
   weighted by its pixel count (so exactly as over every pixel), until no centroid moves more
   than ``tol`` or ``max_iters`` iterations have run. Where the seed was polished on too coarse
   a histogram (a smooth sky), a few safeguarded Anderson steps come first. The run ends with
   one more assignment, to the means as the PNG stores them (rounded to bytes): each pixel gets
   the nearest colour it will really be drawn with.

With ``space="oklab"`` both stages run on the colours converted to Oklab (:mod:`kmeans.space`):
distances and means are taken where distance follows the eye, and the palette is the centroids
converted back to 8-bit sRGB, the colours the PNG stores.

**Transparency.** An image whose alpha is only 0 or 255 is clustered on the RGB of its opaque
pixels, exactly as an opaque one; its transparent pixels share one extra palette entry. An image
with *soft* alpha (some pixel strictly between 0 and 255: a drop shadow, an anti-aliased edge) is
clustered as pngquant does it, on **premultiplied** RGBA, ``(r·a/255, g·a/255, b·a/255, a)``:
two pixels are as far apart as the colours they add to whatever lies behind them, so a nearly
transparent pixel's colour hardly matters and a shadow's alpha levels are clustered like any
other channel. Fully transparent pixels (alpha 0) are left out and share one dedicated entry, so
the K colours all go to visible pixels. Each centroid is un-premultiplied for the PNG, which
stores a straight colour and an alpha per entry (PLTE and tRNS). In Oklab the premultiplied
coordinates are ``(100·L·α, 100·a·α, 100·b·α, 100·α)`` with α = alpha/255, so going from fully
transparent to opaque weighs as much as going from black to white.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from kmeans import engine
from kmeans.core import fixed_mask, kmeans_init_centroids
from kmeans.deprecation import warn_renamed
from kmeans.distance import nearest_centroids
from kmeans.dither import dither_labels
from kmeans.encode import is_opaque
from kmeans.errors import KMeansError
from kmeans.histogram import ColourCounts, count_colours
from kmeans.io import LoadedImage
from kmeans.perceptual import PerceptualError, perceptual_error, perceptual_error_of_colours
from kmeans.result import KMeansResult, ProgressCallback
from kmeans.seeding import Seed, seed_on_histogram
from kmeans.settings import MAX_K, RENAMED_FIELDS, Settings, check_k
from kmeans.space import palette_of, points_in_space, stored_colours


@dataclass(frozen=True)
class QuantizeResult:
    """An image redrawn with K colours.

    Attributes
    ----------
    palette : (K, 3) uint8, the centroids as (straight, not premultiplied) colours.
    labels : (H, W) uint8, each pixel's palette index.
    image : (H, W, 3) uint8, the reconstruction ``palette[labels]``, drawn on first use (the
        palette and the labels are all a PNG needs).
    alpha : (H, W) uint8 or None, the input's transparency. Give it to
        :func:`~kmeans.encode.encode_png` with ``palette_alpha``: pixels with alpha 0 (below
        128 when ``palette_alpha`` is None) then share one extra, fully transparent entry.
    kmeans : the exact K-Means run; its ``labels`` are ``labels.ravel()`` (no copy).
    counts : (K,) int64, pixels per palette colour (transparent pixels excluded).
    colour_counts : the :class:`~kmeans.histogram.ColourCounts` the run clustered.
    colour_labels : (U,) uint8, the palette index K-Means gave each of those distinct colours
        (with dithering, pixels of one colour may be drawn with others; ``labels`` says which).
    settings : the :class:`~kmeans.settings.Settings` used.
    k_requested : the K asked for; ``len(palette)`` can be smaller, see ``notices``.
    notices : sentences for the user about what was adjusted.
    seconds : wall-clock time of the whole quantisation (not counting the colours given).
    palette_alpha : (K,) uint8 or None: each palette colour's alpha, 1 to 255, when the image has
        soft alpha (``colours.soft_alpha``); None when every palette colour is opaque.
    image_alpha : (H, W) uint8 or None: the alpha the PNG draws at each pixel, 0 for the pixels
        sharing the transparent entry, else ``palette_alpha[labels]`` (255 without soft
        alpha); None for an opaque image. ``image`` and ``image_alpha`` are the reconstruction.
    """

    palette: np.ndarray
    labels: np.ndarray
    alpha: np.ndarray | None
    kmeans: KMeansResult
    counts: np.ndarray
    colour_counts: ColourCounts
    colour_labels: np.ndarray
    settings: Settings
    k_requested: int
    notices: tuple[str, ...]
    seconds: float
    palette_alpha: np.ndarray | None = None
    image_alpha: np.ndarray | None = None

    @property
    def k(self) -> int:
        return len(self.palette)

    @property
    def colours(self) -> ColourCounts:
        """Deprecated: :attr:`colour_counts`."""
        warn_renamed("QuantizeResult.colours", "QuantizeResult.colour_counts")
        return self.colour_counts

    @cached_property
    def image(self) -> np.ndarray:
        return self.palette[self.labels]

    @cached_property
    def perceptual(self) -> PerceptualError:
        """Mean and 99th-percentile ΔE_OK and lost hue, as seen (see :mod:`kmeans.perceptual`).

        Without dithering it is measured on the distinct colours, each weighted by its pixel
        count: exact, and far faster than pixel by pixel, because every pixel of a colour is
        redrawn the same way (with its palette colour's alpha, under soft transparency).
        Dithered pixels of one colour differ, so they are measured one by one, as is a wholly
        transparent image, whose counted colours are hidden ones. With transparency, the
        original and the redrawing are compared as seen over white and over black, the worse.
        """
        counted = self.colour_counts
        # Alpha, yet every pixel counted and none soft: not one pixel is opaque.
        wholly_transparent = counted.alpha is not None and not (
            counted.soft_alpha or counted.has_transparency
        )
        if self.settings.dither == "none" and not wholly_transparent:
            drawn = self.palette[self.colour_labels]
            if counted.soft_alpha:
                drawn = np.column_stack([drawn, self.palette_alpha[self.colour_labels]])
            return perceptual_error_of_colours(counted.colours, drawn, counted.counts)
        if counted.alpha is None:
            return perceptual_error(counted.rgb, self.image)
        return perceptual_error(counted.rgb, self.image, counted.alpha, self.image_alpha)


def quantize(
    image: LoadedImage | np.ndarray | ColourCounts,
    k: int,
    settings: Settings | None = None,
    *,
    progress: ProgressCallback | None = None,
    **options: object,
) -> QuantizeResult:
    """Reduce an image to at most ``k`` colours with K-Means.

    Parameters
    ----------
    image : a :class:`~kmeans.io.LoadedImage`, an (H, W, 3) RGB or (H, W, 4) RGBA uint8 array,
        or the :class:`ColourCounts` of either (to try several K on one count).
    k : the number of colours, 1 to 256 (255 when the image has transparent pixels, since the
        PNG needs one palette entry for them). Lowered, with a notice, when the image has fewer
        distinct colours (distinct RGBA values with soft alpha).
    settings : a :class:`~kmeans.settings.Settings`; the defaults when None.
    progress : called after each exact round as ``progress(round, max_iters, inertia)``.
    **options : any :class:`~kmeans.settings.Settings` field, overriding ``settings``:
        ``quantize(photo, 16, space="oklab")``.

    >>> rgb = np.zeros((2, 3, 3), dtype=np.uint8); rgb[1] = 200
    >>> result = quantize(rgb, 2)
    >>> result.palette.tolist(), result.labels.tolist()
    ([[0, 0, 0], [200, 200, 200]], [[0, 0, 0], [1, 1, 1]])
    """
    started = time.perf_counter()
    settings = _settings_with(settings, options)
    counted = image if isinstance(image, ColourCounts) else count_colours(image)
    notices: list[str] = []
    k_allowed = _allowed_k(k, counted, settings, notices)
    run = _cluster(counted, k_allowed, settings, progress)
    palette, palette_alpha = _palette(run, settings)
    labels = _pixel_labels(counted, run, settings.space)
    if settings.dither != "none":
        labels = dither_labels(counted.rgb, palette, settings.dither, labels)
    return QuantizeResult(
        palette=palette,
        palette_alpha=palette_alpha,
        labels=labels,
        image_alpha=_drawn_alpha(counted, palette_alpha, labels),
        alpha=counted.alpha,
        kmeans=dataclasses.replace(run, labels=labels.reshape(-1)),
        counts=_pixels_per_colour(counted, run, labels, settings.dither),
        colour_counts=counted,
        colour_labels=run.labels,
        settings=settings,
        k_requested=k,
        notices=tuple(notices),
        seconds=time.perf_counter() - started,
    )


def _cluster(
    counted: ColourCounts, k: int, settings: Settings, progress: ProgressCallback | None
) -> KMeansResult:
    """K-Means on the distinct colours, each weighted by its pixel count: seed, finish exactly.

    The fixed colours are the first centroids and never move. The last assignment is to the
    colours the PNG will store (:func:`~kmeans.space.stored_colours`).
    """
    points = points_in_space(counted.colours, settings.space)
    weights = counted.counts.astype(np.float64)
    fixed = points_in_space(_fixed_colours(counted, settings), settings.space)
    seed = _seed(counted.colours, points, weights, k, settings, fixed)
    return engine.run(
        points,
        seed.centroids,
        fixed_mask(np.arange(len(fixed)), len(seed.centroids)),
        settings.max_iters,
        weights=weights,
        tol=settings.tol,
        progress=progress,
        accelerate=seed.accelerated_steps,
        snap=functools.partial(stored_colours, space=settings.space),
    )


def _fixed_colours(counted: ColourCounts, settings: Settings) -> np.ndarray:
    """The fixed colours as (M, C) uint8 rows like the counted colours: opaque, for RGBA."""
    fixed = np.array(settings.fixed_colours, dtype=np.uint8).reshape(-1, 3)
    if counted.soft_alpha:
        return np.hstack([fixed, np.full((len(fixed), 1), 255, np.uint8)])
    return fixed


def _seed(
    colours: np.ndarray,
    points: np.ndarray,
    weights: np.ndarray,
    k: int,
    settings: Settings,
    fixed: np.ndarray,
) -> Seed:
    """Where the exact stage starts: histogram seeding, or K random pixel colours."""
    if settings.seeds_on_histogram:
        return seed_on_histogram(colours, points, weights, k, settings, fixed)
    start = kmeans_init_centroids(
        points, k, init="random", seed=settings.seed, weights=weights, fixed_colours=fixed
    )
    return Seed(start, 0)


def _palette(run: KMeansResult, settings: Settings) -> tuple[np.ndarray, np.ndarray | None]:
    """The palette the PNG stores and its alphas; the fixed colours exactly as they were given,
    whatever the space's round trip does to them."""
    palette, palette_alpha = palette_of(run.centroids, settings.space)
    fixed = np.arange(len(settings.fixed_colours))
    if len(fixed):
        palette[fixed] = settings.fixed_colours
        if palette_alpha is not None:
            palette_alpha[fixed] = 255
    return palette, palette_alpha


def _settings_with(settings: Settings | None, options: dict[str, object]) -> Settings:
    settings = settings if settings is not None else Settings()
    for old, new in RENAMED_FIELDS.items():
        if old in options:
            warn_renamed(f"quantize({old}=...)", f"{new}=")
            options[new] = options.pop(old)
    unknown = sorted(set(options) - {f.name for f in dataclasses.fields(Settings)})
    if unknown:
        raise KMeansError(f"quantize has no setting called {unknown[0]!r}.")
    return dataclasses.replace(settings, **options) if options else settings


def _allowed_k(k: object, counted: ColourCounts, settings: Settings, notices: list[str]) -> int:
    """K checked, then lowered (with a notice) to what the palette and the colours allow."""
    k_allowed = check_k(k)
    if len(settings.fixed_colours) > k_allowed:
        fixed = len(settings.fixed_colours)
        raise KMeansError(f"{fixed} colours cannot all be fixed with only K = {k_allowed}.")
    if counted.has_transparency and k_allowed == MAX_K:
        notices.append(
            "The image has transparent pixels, which take one of the 256 palette entries, "
            "so K was lowered to 255."
        )
        k_allowed = MAX_K - 1
    n_colours = max(len(counted.colours), len(settings.fixed_colours))
    if n_colours < k_allowed:
        only = "1 distinct colour" if n_colours == 1 else f"{n_colours} distinct colours"
        notices.append(
            f"The image has only {only}, so K was lowered from {k_allowed} to {n_colours}."
        )
        k_allowed = n_colours
    return k_allowed


def _pixel_labels(counted: ColourCounts, run: KMeansResult, space: str) -> np.ndarray:
    """Each pixel's palette index; transparent pixels take their colour's nearest centroid too.

    With soft alpha, a fully transparent pixel's colour is premultiplied to (0, 0, 0, 0), so
    they all take the centroid nearest to that.
    """
    height, width, _ = counted.rgb.shape
    colour_labels = run.labels.astype(np.uint8, copy=False)  # K ≤ 256: already uint8
    if counted.visible is None:
        return colour_labels[counted.inverse].reshape(height, width)
    labels = np.empty(height * width, dtype=np.uint8)
    labels[counted.visible] = colour_labels[counted.inverse]
    hidden = ~counted.visible
    if counted.soft_alpha:
        invisible = points_in_space(np.zeros((1, 4), dtype=np.uint8), space)
        labels[hidden] = nearest_centroids(invisible, run.centroids)[0][0]
    else:
        hidden_points = points_in_space(counted.rgb.reshape(-1, 3)[hidden], space)
        labels[hidden] = nearest_centroids(hidden_points, run.centroids)[0]
    return labels.reshape(height, width)


def _pixels_per_colour(
    counted: ColourCounts, run: KMeansResult, labels: np.ndarray, dither: str
) -> np.ndarray:
    """(K,) int64: how many visible pixels each palette colour draws."""
    K = len(run.centroids)
    if dither == "none":  # every pixel of a colour has its colour's label: add up the counts
        return np.bincount(run.labels, weights=counted.counts, minlength=K).astype(np.int64)
    visible = labels.reshape(-1) if counted.visible is None else labels.reshape(-1)[counted.visible]
    return np.bincount(visible, minlength=K).astype(np.int64)


def _drawn_alpha(
    counted: ColourCounts, palette_alpha: np.ndarray | None, labels: np.ndarray
) -> np.ndarray | None:
    """The alpha of each pixel as the PNG draws it, or None for an opaque image."""
    if counted.alpha is None:
        return None
    if palette_alpha is None:
        return np.where(is_opaque(counted.alpha), np.uint8(255), np.uint8(0))
    drawn = palette_alpha[labels]
    drawn[counted.alpha == 0] = 0
    return drawn

"""The whole recipe: an image in, K colours and the image redrawn with them out.

:func:`quantize` is what the command line and the page call. It counts the image's distinct
colours once (:func:`count_colours`), then runs K-Means on them in three stages:

1. **Seed on the colour histogram.** The distinct colours are grouped into 32×32×32 cells (5 bits
   per channel) and each cell becomes one point: its colours' mean, weighted by its pixel count.
   On these few thousand points k-means++ and Lloyd run to convergence in milliseconds, from
   three starts; the lowest inertia is kept. Every weight here is the plain pixel count, as in
   the exact stage, so the seed aims at the same minimum.
2. **Swap to a better minimum.** Lloyd stops in a *local* minimum, and the typical one spends
   every colour on the shades of a large background: a small vivid object, a red ladybird on
   grass, is painted in the nearest green. Yet giving the ladybird a colour of its own lowers
   the total error, because each of its pixels is so far from every green. So, still on the
   histogram, the seed tries swaps (local search, as in Kanungo et al. 2004): move one centroid
   to a candidate, the one whose move the error says costs least, run Lloyd again, and keep the
   swap only if the inertia fell. Candidates are cells drawn with probability proportional to
   their weighted squared error (as in k-means++), each moved to the mean of the cells it would
   take over, and the mean of each vivid hue family (Oklab chroma ≥ 0.08, 30° of hue): exactly
   where a small bright object hides. A swap is only ever kept for a lower pixel-count-weighted
   inertia, so it serves MSE and the eye at once. The result is then polished by Lloyd on a
   finer 64×64×64 histogram, which converges in tens of milliseconds where the exact stage
   would need seconds.
3. **Finish exactly.** :func:`~kmeans.core.run_kmeans` then iterates textbook Lloyd on every
   distinct colour (each weighted by its pixel count, so exactly as over every pixel) until no
   centroid moves more than ``tol`` or ``max_iters`` rounds have run. Where the fine histogram
   was too coarse to stand in for the colours (fewer than COARSE_CELLS_PER_CENTROID cells a
   centroid: a smooth sky), the seed is far from the colours' own minimum, and Lloyd creeps
   there by less than ``tol`` a round; so first, on the same colours, up to ACCELERATED_STEPS
   safeguarded Anderson steps, each kept only if the weighted inertia falls, cover that creep.
   The run ends with one more assignment step, to the means as the PNG stores them (rounded
   to bytes): each pixel gets the nearest colour it will really be drawn with.

With ``init="random"`` stages 1 and 2 are skipped: the run starts from K random pixel colours,
the classic textbook method, which settles slower and usually ends worse.

With ``space="oklab"`` the same stages run on the colours converted to Oklab (scaled by 100, so
one unit is one ΔE_OK): distances and means are taken where distance follows the eye, and the
palette is the centroids converted back to 8-bit sRGB, the colours the PNG stores.

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
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from kmeans import engine
from kmeans.core import fixed_mask, kmeans_init_centroids
from kmeans.distance import nearest_centroids
from kmeans.dither import dither_labels
from kmeans.encode import is_opaque
from kmeans.errors import KMeansError
from kmeans.histogram import ColourCounts, count_colours
from kmeans.io import LoadedImage
from kmeans.perceptual import PerceptualError, perceptual_error, perceptual_error_of_colours
from kmeans.result import KMeansResult, ProgressCallback
from kmeans.seeding import seed_on_histogram
from kmeans.settings import MAX_K, Settings, check_k
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
    colours : the :class:`ColourCounts` the run clustered.
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
    colours: ColourCounts
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

    @cached_property
    def image(self) -> np.ndarray:
        return self.palette[self.labels]

    @cached_property
    def perceptual(self) -> PerceptualError:
        """Mean and 99th-percentile ΔE_OK and lost hue of the visible pixels (see metrics).

        Without dithering it is measured on the distinct colours, each weighted by its pixel
        count: exact, and far faster than pixel by pixel, because every pixel of a colour is
        redrawn the same way. Dithered pixels of one colour differ, so they are measured one
        by one. With soft transparency each pixel counts by its alpha (a faint shadow pixel
        hardly at all), and colours are compared as drawn, unpremultiplied.
        """
        counted = self.colours
        if self.settings.dither == "none":
            colours, weights = counted.colours, counted.counts.astype(np.float64)
            if colours.shape[1] == 4:
                weights = weights * colours[:, 3] / 255
                colours = colours[:, :3]
            return perceptual_error_of_colours(colours, self.palette[self.colour_labels], weights)
        if counted.visible is None:
            return perceptual_error(counted.rgb, self.image)
        weight = counted.alpha if counted.soft_alpha else counted.visible * np.uint8(255)
        return perceptual_error(counted.rgb, self.image, weight.reshape(self.labels.shape))


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

    points = points_in_space(counted.colours, settings.space)
    weights = counted.counts.astype(np.float64)
    kept_colours = np.array(settings.keep_colours, dtype=np.uint8).reshape(-1, 3)
    if counted.colours.shape[1] == 4:  # a kept colour is drawn fully opaque
        kept_colours = np.hstack([kept_colours, np.full((len(kept_colours), 1), 255, np.uint8)])
    kept = points_in_space(kept_colours, settings.space)
    accelerate = 0
    if settings.init == "kmeans++":
        initial, accelerate = seed_on_histogram(
            counted.colours, points, weights, k_allowed, settings, kept
        )
    else:
        initial = kmeans_init_centroids(
            points, k_allowed, init="random", seed=settings.seed, weights=weights, keep=kept
        )
    fixed = np.arange(len(kept))
    run = engine.run(
        points,
        initial,
        fixed_mask(fixed, len(initial)),
        settings.max_iters,
        weights=weights,
        tol=settings.tol,
        progress=progress,
        accelerate=accelerate,
        snap=lambda centroids: stored_colours(centroids, settings.space),
    )

    palette, palette_alpha = palette_of(run.centroids, settings.space)
    if len(fixed):  # exactly the colours given, whatever the space's round trip does
        palette[fixed] = settings.keep_colours
        if palette_alpha is not None:
            palette_alpha[fixed] = 255
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
        colours=counted,
        colour_labels=run.labels,
        settings=settings,
        k_requested=k,
        notices=tuple(notices),
        seconds=time.perf_counter() - started,
    )


def _settings_with(settings: Settings | None, options: dict[str, object]) -> Settings:
    settings = settings if settings is not None else Settings()
    unknown = sorted(set(options) - {f.name for f in dataclasses.fields(Settings)})
    if unknown:
        raise KMeansError(f"quantize has no setting called {unknown[0]!r}.")
    return dataclasses.replace(settings, **options) if options else settings


def _allowed_k(k: object, counted: ColourCounts, settings: Settings, notices: list[str]) -> int:
    """K checked, then lowered (with a notice) to what the palette and the colours allow."""
    k_allowed = check_k(k)
    if len(settings.keep_colours) > k_allowed:
        kept = len(settings.keep_colours)
        raise KMeansError(f"{kept} colours cannot be kept with only K = {k_allowed}.")
    if counted.has_transparency and k_allowed == MAX_K:
        notices.append(
            "The image has transparent pixels, which take one of the 256 palette entries, "
            "so K was lowered to 255."
        )
        k_allowed = MAX_K - 1
    n_colours = max(len(counted.colours), len(settings.keep_colours))
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

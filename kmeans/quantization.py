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

from kmeans.core import (
    distinct_colours,
    find_closest_centroids,
    fixed_mask,
    kmeans_init_centroids,
    run_kmeans,
)
from kmeans.distance import cross_products
from kmeans.dither import dither_labels
from kmeans.encode import OPAQUE, is_opaque
from kmeans.errors import KMeansError
from kmeans.io import LoadedImage
from kmeans.metrics import (
    PerceptualError,
    perceptual_error,
    perceptual_error_of_colours,
    vivid_hue_windows,
)
from kmeans.oklab import oklab_to_srgb, srgb_to_oklab
from kmeans.result import KMeansResult, ProgressCallback
from kmeans.settings import MAX_K, Settings, check_k

#: Oklab coordinates are multiplied by this before clustering, so one unit is one ΔE_OK and
#: ``tol`` means about the same visible step in either space.
OKLAB_SCALE = 100.0

HISTOGRAM_BITS = 5
#: The finer histogram (64³ cells) the seed is polished on before the exact stage: close
#: enough to the exact minimum that 5 exact rounds land within 1-3% of a full fit's MSE, yet
#: with tens of thousands of cells instead of up to a million colours.
FINE_HISTOGRAM_BITS = 6
FINE_TOL = 0.2
FINE_MAX_ITERS = 60
#: The seed is a minimum of the fine histogram's cells, which stands in for the colours' own
#: only while each cluster spans many cells. Below 4³ = 64 cells a centroid, a cluster is at
#: most about 4 cells across, so whole cells straddle its borders: on a smooth gradient (the
#: sky of ``bench/photos.py``, 1,704 cells, 27 a centroid at K=64) the colours' minimum then
#: lies a hundred slow Lloyd rounds away, each moving the centroids by less than ``tol``, and
#: the exact stage stopped 5% above the best-known MSE. There, the exact stage first takes up
#: to this many safeguarded Anderson steps (``run_kmeans(accelerate=...)``), which cover that
#: creep; elsewhere the seed is close enough that they would cost more than they gain (on the
#: 4 MP ladybird, 50% more time for 1% less MSE). How many, measured on the sky over seeds 0-4
#: (MSE ÷ best-known, with each pixel on its nearest stored colour): 20 steps 1.011-1.020 at
#: K=32 and 1.020-1.023 at K=64; 16 steps 1.011-1.023 and 1.022-1.025 in 11% less time; 10
#: steps up to 1.029. (Per step, the Anderson steps gain no more than plain Lloyd rounds would
#: here; what they add is going on where a ``tol`` on movement would have stopped.)
COARSE_CELLS_PER_CENTROID = 64
ACCELERATED_STEPS = 16
#: With soft alpha the histogram has four channels: 4 bits each keeps it at 2^16 cells.
HISTOGRAM_BITS_RGBA = 4
#: k-means++ starts tried on the histogram; the lowest inertia wins.
HISTOGRAM_STARTS = 3
HISTOGRAM_MAX_ITERS = 50
#: Swap rounds, candidates drawn by error per round, and swaps tried per round (best first).
SWAP_ROUNDS = 4
SWAP_DRAWS = 16
SWAP_TRIES = 3
#: Swaps need every cell's distance to every centroid; past this many pairs (large K, where
#: every hue already has colours to spare) they are skipped to keep the seed fast.
SWAP_MAX_PAIRS = 1 << 22


@dataclass(frozen=True)
class ColourCounts:
    """An image's distinct colours and how many pixels have each: all K-Means needs of it.

    Counting is the one pass over every pixel; :func:`quantize` then works on the few hundred
    thousand distinct colours at most. Pass a ``ColourCounts`` to :func:`quantize` in place of
    the image to try several K without counting again.

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

    points = _points_in_space(counted.colours, settings.space)
    weights = counted.counts.astype(np.float64)
    kept_colours = np.array(settings.keep_colours, dtype=np.uint8).reshape(-1, 3)
    if counted.colours.shape[1] == 4:  # a kept colour is drawn fully opaque
        kept_colours = np.hstack([kept_colours, np.full((len(kept_colours), 1), 255, np.uint8)])
    kept = _points_in_space(kept_colours, settings.space)
    accelerate = 0
    if settings.init == "kmeans++":
        initial, cells = _seed_on_histogram(
            counted.colours, points, weights, k_allowed, settings, kept
        )
        if cells < COARSE_CELLS_PER_CENTROID * k_allowed:
            accelerate = ACCELERATED_STEPS
    else:
        initial = kmeans_init_centroids(
            points, k_allowed, init="random", seed=settings.seed, weights=weights, keep=kept
        )
    fixed = np.arange(len(kept))
    run = run_kmeans(
        points,
        initial,
        settings.max_iters,
        tol=settings.tol,
        weights=weights,
        fixed=fixed,
        progress=progress,
        accelerate=accelerate,
        snap=lambda centroids: _stored_colours(centroids, settings.space),
    )

    palette, palette_alpha = _palette_of(run.centroids, settings.space)
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


def premultiplied(rgba: np.ndarray) -> np.ndarray:
    """Straight RGBA colours (..., 4) as premultiplied float64 ``(r·a/255, g·a/255, b·a/255, a)``.

    >>> premultiplied(np.array([[255, 100, 0, 51], [9, 9, 9, 0]], dtype=np.uint8)).tolist()
    [[51.0, 20.0, 0.0, 51.0], [0.0, 0.0, 0.0, 0.0]]
    """
    rgba = np.asarray(rgba, dtype=np.float64)
    return np.concatenate([rgba[..., :3] * (rgba[..., 3:] / 255), rgba[..., 3:]], axis=-1)


def _points_in_space(colours: np.ndarray, space: str) -> np.ndarray:
    """The colours as K-Means sees them.

    RGB: uint8 as they are. Oklab: scaled to ΔE_OK units. RGBA: premultiplied, in 0-255 units
    or, for Oklab, ``100·(L·α, a·α, b·α, α)`` with α = alpha / 255.
    """
    if colours.shape[1] == 4 and space == "rgb":
        return premultiplied(colours)
    if colours.shape[1] == 4:
        opacity = colours[:, 3:] / 255
        return np.hstack([srgb_to_oklab(colours[:, :3]) * opacity, opacity]) * OKLAB_SCALE
    if space == "rgb":
        return colours
    return srgb_to_oklab(colours) * OKLAB_SCALE


def _palette_of(centroids: np.ndarray, space: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The centroids as the 8-bit sRGB colours a PNG stores, and their alphas for RGBA.

    An RGBA centroid is un-premultiplied by the alpha the PNG will store, so the colour drawn,
    ``rgb·alpha/255``, is as near the centroid as 8 bits allow. Every centroid holds pixels with
    alpha > 0, so its alpha is at least 1: only the dedicated entry is fully transparent.
    """
    if centroids.shape[1] == 3:
        rgb = centroids if space == "rgb" else oklab_to_srgb(centroids / OKLAB_SCALE)
        return _as_bytes(rgb), None
    full_scale = 255 if space == "rgb" else OKLAB_SCALE
    alpha = np.clip(np.rint(centroids[:, 3] * (255 / full_scale)), 1, 255)
    straight = centroids[:, :3] / (alpha[:, None] / 255)
    rgb = straight if space == "rgb" else oklab_to_srgb(straight / OKLAB_SCALE)
    return _as_bytes(rgb), alpha.astype(np.uint8)


def _stored_colours(centroids: np.ndarray, space: str) -> np.ndarray:
    """The centroids as the PNG will store them (:func:`_palette_of`), back in the clustering
    space: what each pixel's nearest palette colour is measured against.

    >>> _stored_colours(np.array([[10.4, 20.6, 30.5]]), "rgb").tolist()
    [[10, 21, 30]]
    """
    palette, alpha = _palette_of(centroids, space)
    colours = palette if alpha is None else np.hstack([palette, alpha[:, None]])
    return _points_in_space(colours, space)


def _as_bytes(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


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
        invisible = _points_in_space(np.zeros((1, 4), dtype=np.uint8), space)
        labels[hidden] = find_closest_centroids(invisible, run.centroids)[0]
    else:
        hidden_points = _points_in_space(counted.rgb.reshape(-1, 3)[hidden], space)
        labels[hidden] = find_closest_centroids(hidden_points, run.centroids)
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


def _seed_on_histogram(
    colours: np.ndarray,
    points: np.ndarray,
    weights: np.ndarray,
    k: int,
    settings: Settings,
    kept: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Stages 1 and 2: converge on the coarse histogram from a few starts, swap, polish.

    Returns the centroids and how many cells of the fine histogram they were polished on (the
    number of distinct colours when there were too few cells to seed on).
    The ``kept`` colours are the first centroids throughout, and never move.
    """
    cells, cell_weights = _histogram_cells(colours, points, weights, HISTOGRAM_BITS)
    if len(cells) <= k:  # too few cells to choose among: seed on the distinct colours directly
        seed = kmeans_init_centroids(points, k, seed=settings.seed, weights=weights, keep=kept)
        return seed, len(points)
    fixed = np.arange(len(kept))
    rng = np.random.default_rng(settings.seed)
    best = None
    for start_seed in rng.integers(0, 2**32, size=HISTOGRAM_STARTS):
        start = kmeans_init_centroids(
            cells, k, seed=int(start_seed), weights=cell_weights, keep=kept
        )
        run = run_kmeans(
            cells, start, HISTOGRAM_MAX_ITERS, tol=settings.tol, weights=cell_weights, fixed=fixed
        )
        if best is None or run.inertia < best.inertia:
            best = run
    centroids = best.centroids
    if len(cells) * k <= SWAP_MAX_PAIRS:
        hues = _hue_families(cells, settings.space)
        centroids = improve_by_swaps(cells, cell_weights, centroids, rng, hues, fixed)
    fine, fine_weights = _histogram_cells(colours, points, weights, FINE_HISTOGRAM_BITS)
    polished = run_kmeans(
        fine, centroids, FINE_MAX_ITERS, tol=FINE_TOL, weights=fine_weights, fixed=fixed
    )
    return polished.centroids, len(fine)


def _histogram_cells(
    colours: np.ndarray, points: np.ndarray, weights: np.ndarray, bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean point and total weight of each occupied cell of a ``bits``-per-channel histogram.

    RGBA colours are binned premultiplied, as they are clustered, so the nearly transparent
    pixels of every colour fall in the same few cells, and with HISTOGRAM_BITS_RGBA bits a
    channel, so four channels still make at most 2^16 cells.
    """
    channels = colours.shape[1]
    bits = bits if channels == 3 else HISTOGRAM_BITS_RGBA
    binned = colours if channels == 3 else _as_bytes(premultiplied(colours))
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


def _hue_families(points: np.ndarray, space: str) -> np.ndarray:
    """A (24, P) boolean mask: which points are vivid and in each hue window, the families
    of the lost hue (:func:`kmeans.metrics.vivid_hue_windows`, on the points' Oklab).

    Premultiplied RGBA points are judged by their straight colour, and only where it shows
    clearly (alpha ≥ 128): a faint pixel's hue is no small vivid object.
    """
    if points.shape[1] == 4:
        opacity = points[:, 3] / (255 if space == "rgb" else OKLAB_SCALE)
        straight = points[:, :3] / np.maximum(opacity, 1 / 255)[:, None]
        return _hue_families(straight, space) & (opacity >= OPAQUE / 255)[None, :]
    lab = points / OKLAB_SCALE if space == "oklab" else srgb_to_oklab(np.clip(points, 0, 255))
    return vivid_hue_windows(lab)


def improve_by_swaps(
    points: np.ndarray,
    weights: np.ndarray,
    centroids: np.ndarray,
    rng: np.random.Generator,
    hue_families: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """Local search: move one centroid at a time where it lowers the inertia most, keep the best.

    Each round measures every point's nearest and second-nearest centroid, then for each
    candidate position c and each centroid j the exact change in inertia if j jumped to c with
    the points kept where they are: points nearer c than their own centroid move to c, and j's
    other points fall back on their second choice. The most promising few swaps are run to
    convergence with Lloyd; the first that lowers the inertia is kept. They are tried even when
    that first estimate is a rise: in a Lloyd minimum nearly every swap costs something before
    the centroids settle again, and only Lloyd can tell which one then ends lower.
    Candidates: points drawn with probability ∝ weight × squared error, each moved to the mean
    of what it would take, and the error-weighted mean of each (vivid) hue family given in
    ``hue_families``.
    Centroids whose indices are in ``fixed`` never move.

    >>> X = np.array([[0.0, 0, 0], [1, 1, 1], [100, 0, 0], [101, 0, 0], [0, 200, 0]])
    >>> w = np.array([10.0, 10, 1, 1, 10])
    >>> # Two centroids on the black pair waste one; a swap gives the green its own.
    >>> C = improve_by_swaps(X, w, np.array([[0.0, 0, 0], [1, 1, 1]]), np.random.default_rng(0))
    >>> sorted(C[:, 1].round().tolist())
    [0.0, 200.0]
    """
    points = np.asarray(points, dtype=np.float64)
    fixed = fixed_mask(fixed, len(centroids))
    best = _converge(points, weights, centroids, fixed)
    for _ in range(SWAP_ROUNDS):
        swapped = _best_swap(points, weights, best, rng, hue_families, fixed)
        if swapped is None:
            break
        best = swapped
    return best.centroids


def _converge(points, weights, centroids, fixed) -> KMeansResult:
    return run_kmeans(
        points, centroids, HISTOGRAM_MAX_ITERS * 2, tol=0.01, weights=weights, fixed=fixed
    )


def _best_swap(
    points, weights, best: KMeansResult, rng, hue_families, fixed
) -> KMeansResult | None:
    """The first of the SWAP_TRIES most promising swaps that, once converged, lowers the
    inertia, or None."""
    centroids = best.centroids
    K = len(centroids)
    distances = _squared_distances(points, centroids)
    nearest = np.argmin(distances, axis=1)
    rows = np.arange(len(points))
    own = distances[rows, nearest]
    distances[rows, nearest] = np.inf
    second = distances.min(axis=1) if K > 1 else np.full(len(points), np.inf)
    error = weights * own
    if error.sum() <= 0:
        return None
    candidates = _swap_candidates(points, weights, own, error, rng, hue_families)
    to_candidate = _squared_distances(points, candidates)  # (N, T)
    # Change in inertia if centroid j moved to candidate t, the points not yet reassigned.
    gain = weights[:, None] * (np.minimum(own[:, None], to_candidate) - own[:, None])
    fallback = weights[:, None] * (np.minimum(second[:, None], to_candidate) - own[:, None])
    per_cluster_gain = _sum_by_cluster(gain, nearest, K)
    per_cluster_fallback = _sum_by_cluster(fallback, nearest, K)
    change = gain.sum(axis=0)[None, :] - per_cluster_gain + per_cluster_fallback  # (K, T)
    change[fixed] = np.inf  # a kept colour is never the one that moves
    for flat in np.argsort(change, axis=None)[:SWAP_TRIES]:
        j, t = np.unravel_index(flat, change.shape)
        moved = centroids.copy()
        moved[j] = candidates[t]
        run = _converge(points, weights, moved, fixed)
        if run.inertia < best.inertia * (1 - 1e-4):
            return run
    return None


def _swap_candidates(points, weights, own, error, rng, hue_families) -> np.ndarray:
    drawn = rng.choice(len(points), size=SWAP_DRAWS, p=error / error.sum())
    candidates = []
    for index in drawn:
        # One mean-shift step: the mean of the points this one would take over.
        taken = ((points - points[index]) ** 2).sum(axis=1) < own
        taken[index] = True
        candidates.append(np.average(points[taken], axis=0, weights=weights[taken] + 1e-12))
    if hue_families is not None:
        for family in hue_families:
            family_error = error[family]
            if family_error.sum() > 0:
                candidates.append(np.average(points[family], axis=0, weights=family_error))
    return np.array(candidates)


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(N, T) squared distances, |x|² - 2x·c + |c|², in float64 (exact enough at colour scale)."""
    squared = np.einsum("ij,ij->i", points, points)[:, None] - 2 * cross_products(points, centres)
    return np.maximum(squared + np.einsum("ij,ij->i", centres, centres)[None, :], 0)


def _sum_by_cluster(values: np.ndarray, labels: np.ndarray, K: int) -> np.ndarray:
    """(K, T): the sum of each column of ``values`` over the rows of each cluster."""
    sums = np.zeros((K, values.shape[1]))
    np.add.at(sums, labels, values)
    return sums

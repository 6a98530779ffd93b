"""The whole recipe: an image in, K colours and the image redrawn with them out.

:func:`quantize` is what the command line and the page call. It runs K-Means on the image's
visible pixels in two stages, chosen by the benchmark in ``bench/`` for the best quality per second:

1. **Seed on the colour histogram.** The distinct colours are grouped into 32×32×32 cells (5 bits
   per channel) and each cell becomes one point: its pixels' mean colour, weighted by their count.
   On these few thousand points, k-means++ and Lloyd run to convergence in milliseconds, from a
   few different starts; the best of them is kept. This is an approximation, so it is used only to
   choose the starting centroids.
2. **Finish exactly.** :func:`~kmeans.core.run_kmeans` then iterates Lloyd on every distinct colour
   (each weighted by its pixel count, so exactly as over every pixel) until no centroid moves more
   than ``tol`` or ``max_iters`` is reached.

With ``init="random"`` stage 1 is skipped: the run starts from K random pixel colours, the classic
textbook method, which is slower to settle and usually ends a little worse.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from kmeans.core import (
    distinct_colours,
    find_closest_centroids,
    kmeans_init_centroids,
    run_kmeans,
)
from kmeans.encode import MAX_PALETTE_SIZE, is_opaque
from kmeans.errors import KMeansError
from kmeans.io import LoadedImage
from kmeans.result import KMeansResult, ProgressCallback

#: Largest K: an indexed PNG holds at most 256 colours.
MAX_K = MAX_PALETTE_SIZE
#: Defaults picked with the benchmark (bench/benchmark.py). The histogram seed is already close
#: to a local minimum, so the exact stage gains little after a few rounds: with 5 rounds instead
#: of 10, the MSE rose by at most 1.4% on the samples and a 12 MP photo (still 0.8-9% below the
#: quality target, the lower of 1.02x a full scikit-learn fit and libimagequant) and the 12 MP
#: photo took 0.57 s instead of 0.99 s at K=16, 0.90 s instead of 1.24 s at K=64.
DEFAULT_MAX_ITERS = 5
DEFAULT_TOL = 0.5
#: How many k-means++ starts stage 1 tries on the histogram; the lowest inertia wins.
HISTOGRAM_STARTS = 3
HISTOGRAM_BITS = 5
HISTOGRAM_MAX_ITERS = 50


@dataclass(frozen=True)
class QuantizeResult:
    """An image redrawn with K colours.

    Attributes
    ----------
    palette : (K, 3) uint8, the centroids rounded to colours.
    labels : (H, W) uint8, each pixel's palette index.
    image : (H, W, 3) uint8, the reconstruction ``palette[labels]``.
    alpha : (H, W) uint8 or None, the input's transparency; pixels below 128 are transparent in
        the PNG written by :func:`~kmeans.encode.encode_png`.
    kmeans : the exact K-Means run; its ``labels`` are ``labels.ravel()`` (no copy).
    counts : (K,) int, pixels per palette colour (transparent pixels excluded).
    k_requested : the K asked for; ``len(palette)`` can be smaller, see ``notices``.
    notices : sentences for the user about what was adjusted.
    seconds : wall-clock time of the whole quantisation.
    """

    palette: np.ndarray
    labels: np.ndarray
    image: np.ndarray
    alpha: np.ndarray | None
    kmeans: KMeansResult
    counts: np.ndarray
    k_requested: int
    notices: tuple[str, ...]
    seconds: float

    @property
    def k(self) -> int:
        return len(self.palette)


def quantize(
    image: LoadedImage | np.ndarray,
    k: int,
    *,
    max_iters: int = DEFAULT_MAX_ITERS,
    init: str = "kmeans++",
    seed: int | None = 0,
    tol: float = DEFAULT_TOL,
    progress: ProgressCallback | None = None,
) -> QuantizeResult:
    """Reduce an image to at most ``k`` colours with K-Means.

    Parameters
    ----------
    image : a :class:`~kmeans.io.LoadedImage` or an (H, W, 3) uint8 array.
    k : the number of colours, 1 to 256 (255 when the image has transparent pixels, since the
        PNG needs one palette entry for them). Lowered, with a notice, when the image has fewer
        distinct colours.
    max_iters, tol, progress : passed to :func:`~kmeans.core.run_kmeans` for the exact stage.
    init : ``"kmeans++"`` (histogram-seeded, the default) or ``"random"`` (the classic method).
    seed : random seed; the same seed gives the same result.

    >>> rgb = np.zeros((2, 3, 3), dtype=np.uint8); rgb[1] = 200
    >>> result = quantize(rgb, 2)
    >>> result.palette.tolist(), result.labels.tolist()
    ([[0, 0, 0], [200, 200, 200]], [[0, 0, 0], [1, 1, 1]])
    """
    started = time.perf_counter()
    if init not in ("kmeans++", "random"):
        raise KMeansError(f"The initialisation must be 'kmeans++' or 'random', not {init!r}.")
    rgb, alpha = _rgb_and_alpha(image)
    notices: list[str] = []
    opaque = None if alpha is None else is_opaque(alpha).reshape(-1)
    has_transparent = opaque is not None and not opaque.all()
    k_allowed = _check_k(k, has_transparent, notices)
    # Only the opaque pixels are clustered; if none is opaque, all are, rather than nothing.
    visible = opaque if has_transparent and opaque.any() else None
    pixels = rgb.reshape(-1, 3)
    colours, counts, inverse = distinct_colours(pixels if visible is None else pixels[visible])
    if len(colours) < k_allowed:
        only = "1 distinct colour" if len(colours) == 1 else f"{len(colours)} distinct colours"
        notices.append(
            f"The image has only {only}, so K was lowered from {k_allowed} to {len(colours)}."
        )
        k_allowed = len(colours)

    weights = counts.astype(np.float64)
    if init == "kmeans++":
        initial = _seed_on_histogram(colours, weights, k_allowed, seed)
    else:
        initial = kmeans_init_centroids(colours, k_allowed, method=init, seed=seed, weights=weights)
    run = run_kmeans(colours, initial, max_iters, tol=tol, weights=weights, progress=progress)

    palette = np.clip(np.rint(run.centroids), 0, 255).astype(np.uint8)
    labels = _pixel_labels(rgb, visible, run, inverse)
    return QuantizeResult(
        palette=palette,
        labels=labels,
        image=palette[labels],
        alpha=alpha,
        kmeans=dataclasses.replace(run, labels=labels.reshape(-1)),
        counts=np.bincount(run.labels, weights=counts, minlength=len(palette)).astype(np.int64),
        k_requested=k,
        notices=tuple(notices),
        seconds=time.perf_counter() - started,
    )


def _rgb_and_alpha(image: LoadedImage | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    if isinstance(image, LoadedImage):
        return image.rgb, image.alpha
    rgb = np.asarray(image)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or rgb.size == 0:
        raise KMeansError(
            "The image must be a non-empty (height, width, 3) array of 8-bit colours."
        )
    return rgb, None


def _check_k(k: int, has_transparent: bool, notices: list[str]) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= MAX_K:
        raise KMeansError(f"K must be a whole number from 1 to {MAX_K}, not {k!r}.")
    if has_transparent and k == MAX_K:
        notices.append(
            "The image has transparent pixels, which take one of the 256 palette entries, "
            "so K was lowered to 255."
        )
        return MAX_K - 1
    return k


def _pixel_labels(rgb, visible, run: KMeansResult, inverse: np.ndarray) -> np.ndarray:
    """Each pixel's palette index; hidden pixels take their nearest centroid too."""
    height, width, _ = rgb.shape
    colour_labels = run.labels.astype(np.uint8, copy=False)  # K ≤ 256: already uint8
    if visible is None:
        return colour_labels[inverse].reshape(height, width)
    labels = np.empty(height * width, dtype=np.uint8)
    labels[visible] = colour_labels[inverse]
    hidden = ~visible
    labels[hidden] = find_closest_centroids(rgb.reshape(-1, 3)[hidden], run.centroids)
    return labels.reshape(height, width)


def _seed_on_histogram(
    colours: np.ndarray, weights: np.ndarray, k: int, seed: int | None
) -> np.ndarray:
    """Stage 1: converge K-Means on the coarse colour histogram from a few starts; keep the best."""
    cells, cell_weights = _histogram_cells(colours, weights)
    if len(cells) <= k:  # too few cells to choose among: seed on the distinct colours directly
        return kmeans_init_centroids(colours, k, seed=seed, weights=weights)
    rng = np.random.default_rng(seed)
    best = None
    for start_seed in rng.integers(0, 2**32, size=HISTOGRAM_STARTS):
        start = kmeans_init_centroids(cells, k, seed=int(start_seed), weights=cell_weights)
        run = run_kmeans(cells, start, HISTOGRAM_MAX_ITERS, tol=DEFAULT_TOL, weights=cell_weights)
        if best is None or run.inertia < best.inertia:
            best = run
    return best.centroids


def _histogram_cells(colours: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean colour and total weight of each occupied cell of the coarse colour histogram."""
    bits = HISTOGRAM_BITS
    coarse = (colours >> (8 - bits)).astype(np.intp)
    cell = (coarse[:, 0] << (2 * bits)) | (coarse[:, 1] << bits) | coarse[:, 2]
    n_cells = 1 << (3 * bits)
    totals = np.bincount(cell, weights=weights, minlength=n_cells)
    sums = [np.bincount(cell, weights=weights * colours[:, j], minlength=n_cells) for j in range(3)]
    occupied = totals > 0
    return np.stack(sums, axis=1)[occupied] / totals[occupied, None], totals[occupied]

"""Histogram seeding: where :func:`~kmeans.quantization.quantize` starts its exact K-Means.

``Settings(init="histogram")``, the default, runs K-Means on the colour histogram before the
exact stage, in two steps:

1. **Seed on the colour histogram.** The distinct colours are grouped into 32×32×32 cells (5 bits
   per channel) and each cell becomes one point: its colours' mean, weighted by its pixel count.
   On these few thousand points k-means++ and Lloyd run to convergence in milliseconds, from
   HISTOGRAM_STARTS starts; the lowest inertia is kept. Every weight here is the plain pixel
   count, as in the exact stage, so the seed aims at the same minimum.
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

Plain k-means++ (:func:`~kmeans.core.kmeans_init_centroids`) is one part of step 1; this is
the whole of it, which is why the default is called ``"histogram"`` (its old name was
``"kmeans++"``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kmeans.core import fixed_mask, kmeans_init_centroids, run_kmeans
from kmeans.distance import cross_products
from kmeans.encode import OPAQUE
from kmeans.histogram import histogram_cells
from kmeans.oklab import srgb_to_oklab
from kmeans.perceptual import vivid_hue_windows
from kmeans.result import KMeansResult
from kmeans.settings import Settings
from kmeans.space import OKLAB_SCALE

HISTOGRAM_BITS = 5
#: The finer histogram (64³ cells) the seed is polished on before the exact stage: close
#: enough to the exact minimum for a few exact rounds to finish, with tens of thousands of
#: cells instead of up to a million colours.
FINE_HISTOGRAM_BITS = 6
FINE_TOL = 0.2
FINE_MAX_ITERS = 60
#: The fine histogram stands in for the colours only while each cluster spans many of its
#: cells. Below 4³ = 64 cells a centroid (a smooth sky), whole cells straddle the borders
#: between clusters, and the colours' own minimum lies many slow Lloyd rounds away, each
#: moving the centroids by less than ``tol``: there the exact stage first takes up to
#: ACCELERATED_STEPS safeguarded Anderson steps, which cover that creep.
COARSE_CELLS_PER_CENTROID = 64
ACCELERATED_STEPS = 16
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


class Seed(NamedTuple):
    """Where the exact stage starts, and how many Anderson steps it should take first."""

    centroids: np.ndarray
    accelerated_steps: int


def seed_on_histogram(
    colours: np.ndarray,
    points: np.ndarray,
    weights: np.ndarray,
    k: int,
    settings: Settings,
    fixed_colours: np.ndarray,
) -> Seed:
    """Converge on the coarse histogram from a few starts, swap, polish on the fine one.

    ``colours`` are the distinct (U, C) uint8 colours, ``points`` the same as K-Means sees them
    in ``settings.space``, ``weights`` their pixel counts. The ``fixed_colours`` (points in
    that space) are the first centroids throughout, and never move.
    """
    cells, cell_weights = histogram_cells(colours, points, weights, HISTOGRAM_BITS)
    if len(cells) <= k:  # too few cells to choose among: seed on the distinct colours directly
        start = kmeans_init_centroids(
            points, k, seed=settings.seed, weights=weights, fixed_colours=fixed_colours
        )
        return Seed(start, _accelerated_steps(len(points), k))
    fixed = np.arange(len(fixed_colours))
    rng = np.random.default_rng(settings.seed)
    best = None
    for start_seed in rng.integers(0, 2**32, size=HISTOGRAM_STARTS):
        start = kmeans_init_centroids(
            cells, k, seed=int(start_seed), weights=cell_weights, fixed_colours=fixed_colours
        )
        run = run_kmeans(
            cells, start, HISTOGRAM_MAX_ITERS, tol=settings.tol, weights=cell_weights, fixed=fixed
        )
        if best is None or run.inertia < best.inertia:
            best = run
    centroids = best.centroids
    if len(cells) * k <= SWAP_MAX_PAIRS:
        hues = hue_families(cells, settings.space)
        centroids = improve_by_swaps(cells, cell_weights, centroids, rng, hues, fixed)
    fine, fine_weights = histogram_cells(colours, points, weights, FINE_HISTOGRAM_BITS)
    polished = run_kmeans(
        fine, centroids, FINE_MAX_ITERS, tol=FINE_TOL, weights=fine_weights, fixed=fixed
    )
    return Seed(polished.centroids, _accelerated_steps(len(fine), k))


def _accelerated_steps(cells: int, k: int) -> int:
    """ACCELERATED_STEPS where the seed was polished on too few cells a centroid, else 0."""
    return ACCELERATED_STEPS if cells < COARSE_CELLS_PER_CENTROID * k else 0


def hue_families(points: np.ndarray, space: str) -> np.ndarray:
    """A (24, P) boolean mask: which points are vivid and in each hue window, the families
    of the lost hue (:func:`kmeans.perceptual.vivid_hue_windows`, on the points' Oklab).

    Premultiplied RGBA points are judged by their straight colour, and only where it shows
    clearly (alpha ≥ 128): a faint pixel's hue is no small vivid object.
    """
    if points.shape[1] == 4:
        opacity = points[:, 3] / (255 if space == "rgb" else OKLAB_SCALE)
        straight = points[:, :3] / np.maximum(opacity, 1 / 255)[:, None]
        return hue_families(straight, space) & (opacity >= OPAQUE / 255)[None, :]
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
    k = len(centroids)
    distances = _squared_distances(points, centroids)
    nearest = np.argmin(distances, axis=1)
    rows = np.arange(len(points))
    own = distances[rows, nearest]
    distances[rows, nearest] = np.inf
    second = distances.min(axis=1) if k > 1 else np.full(len(points), np.inf)
    error = weights * own
    if error.sum() <= 0:
        return None
    candidates = _swap_candidates(points, weights, own, error, rng, hue_families)
    to_candidate = _squared_distances(points, candidates)  # (N, T)
    # Change in inertia if centroid j moved to candidate t, the points not yet reassigned.
    gain = weights[:, None] * (np.minimum(own[:, None], to_candidate) - own[:, None])
    fallback = weights[:, None] * (np.minimum(second[:, None], to_candidate) - own[:, None])
    per_cluster_gain = _sum_by_cluster(gain, nearest, k)
    per_cluster_fallback = _sum_by_cluster(fallback, nearest, k)
    change = gain.sum(axis=0)[None, :] - per_cluster_gain + per_cluster_fallback  # (K, T)
    change[fixed] = np.inf  # a fixed colour is never the one that moves
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


def _sum_by_cluster(values: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(K, T): the sum of each column of ``values`` over the rows of each cluster."""
    sums = np.zeros((k, values.shape[1]))
    np.add.at(sums, labels, values)
    return sums

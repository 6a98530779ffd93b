"""K-Means clustering of pixel colours, written from scratch in NumPy.

Colour quantisation replaces the thousands of colours in a photo by K representative ones, the
*centroids*. K-Means chooses them to minimise the *inertia*: the sum, over every pixel, of the
squared distance from the pixel's colour to its nearest centroid. Lloyd's algorithm does it by
repeating two steps until nothing changes:

1. **Assign** (:func:`find_closest_centroids`): give every pixel the index of its nearest centroid.
2. **Update** (:func:`compute_centroids`): move every centroid to the mean of the pixels it was given.

Neither step can raise the inertia, so the loop (:func:`run_kmeans`) settles in a local minimum.
Where it settles depends on the starting centroids (:func:`kmeans_init_centroids`): K random pixel
colours (the classic method) or k-means++, which spreads them out and usually ends lower.

Exact accelerations, each giving the same centroids as textbook Lloyd over every pixel:

* A photo of N pixels has far fewer *distinct* colours. :func:`run_kmeans` clusters each distinct
  colour once, weighted by its pixel count: the weighted mean of distinct colours equals the mean
  over pixels, and a pixel's nearest centroid depends only on its colour.
* Distances are computed in blocks of rows (``CHUNK_ROWS``), so memory never holds an N×K array.
* Hamerly's bounds: a point whose distance to its own centroid is below its distance to every other
  centroid, after both moved, keeps its label without being measured again.
"""

from __future__ import annotations

from collections.abc import Callable
import dataclasses
from dataclasses import dataclass

import numpy as np

#: Rows of X per block of distances. At K=256 a block is 65,536×256 float32 values = 64 MB.
CHUNK_ROWS = 65_536

#: Called after every iteration with (iteration, max_iters, inertia).
ProgressCallback = Callable[[int, int, float], None]

# Colours are centred on mid-grey before the dot-product distance formula, so that the float32
# terms |c|² and x·c stay small and their difference keeps its precision.
_CENTRE = np.float32(127.5)


@dataclass(frozen=True)
class KMeansResult:
    """What :func:`run_kmeans` found.

    Attributes
    ----------
    centroids : (K, 3) float64 array, the final cluster colours.
    labels : (N,) int array, the index of each input row's nearest final centroid.
    inertia : sum of (weighted) squared distances from each row to its final centroid.
    inertia_history : the inertia at the start of each iteration, one value per iteration; it
        never rises, and ``inertia`` is at most its last value.
    n_iter : iterations run (each one assignment and one update).
    converged : True when the assignments stopped changing or no centroid moved more than ``tol``.
    """

    centroids: np.ndarray
    labels: np.ndarray
    inertia: float
    inertia_history: tuple[float, ...]
    n_iter: int
    converged: bool


def distinct_colours(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collapse uint8 colours to their distinct values.

    Returns ``(colours, counts, inverse)`` with ``colours[inverse] == X``: colours (U, 3) uint8,
    counts (U,) int64 pixels per colour, inverse (N,) int32.

    >>> X = np.array([[0, 0, 0], [9, 9, 9], [0, 0, 0]], dtype=np.uint8)
    >>> colours, counts, inverse = distinct_colours(X)
    >>> colours.tolist(), counts.tolist(), inverse.tolist()
    ([[0, 0, 0], [9, 9, 9]], [2, 1], [0, 1, 0])
    """
    X = np.ascontiguousarray(X, dtype=np.uint8).reshape(-1, 3)
    keys = _colour_keys(X)
    if len(keys) > 1 << 20:
        # A histogram over all 2^24 RGB values is linear time; sorting pays off only when small.
        counts = np.bincount(keys, minlength=1 << 24)
        present = np.flatnonzero(counts)
        lookup = np.empty(1 << 24, dtype=np.int32)
        lookup[present] = np.arange(len(present), dtype=np.int32)
        inverse = lookup[keys]
        counts = counts[present]
        keys = present.astype(np.uint32)
    else:
        keys, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        inverse = inverse.astype(np.int32)
    colours = np.empty((len(keys), 3), dtype=np.uint8)
    colours[:, 0] = keys >> 16
    colours[:, 1] = keys >> 8
    colours[:, 2] = keys
    return colours, counts.astype(np.int64), inverse


def _colour_keys(X: np.ndarray) -> np.ndarray:
    """One uint32 per colour, 0xRRGGBB, so colours can be counted and compared as integers."""
    keys = X[:, 0].astype(np.uint32) << 16
    keys |= X[:, 1].astype(np.uint32) << 8
    keys |= X[:, 2]
    return keys


def kmeans_init_centroids(
    X: np.ndarray,
    K: int,
    *,
    method: str = "kmeans++",
    seed: int | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Choose K starting centroids from the rows of X.

    ``"random"`` picks K distinct colours, each with probability proportional to how many pixels
    have it: the classic method, K random pixels, without repeats. ``"kmeans++"`` picks the first
    colour that way, then each next one with probability proportional to its squared distance to
    the nearest colour already picked (D² seeding), taking the best of a few such draws each time
    (greedy k-means++, as scikit-learn does).

    When X has fewer than K distinct colours, all of them are returned: fewer than K rows.

    >>> X = np.array([[0, 0, 0], [0, 0, 0], [255, 255, 255]], dtype=np.uint8)
    >>> kmeans_init_centroids(X, 2, seed=0).tolist()
    [[0.0, 0.0, 0.0], [255.0, 255.0, 255.0]]
    """
    if K < 1:
        raise ValueError("K must be at least 1.")
    if method not in ("kmeans++", "random"):
        raise ValueError(f"Unknown initialisation {method!r}; use 'kmeans++' or 'random'.")
    points, point_weights = _weighted_points(X, weights)
    rng = np.random.default_rng(seed)
    if K >= len(points):
        return points.astype(np.float64)
    if method == "random":
        chosen = rng.choice(len(points), size=K, replace=False, p=point_weights / point_weights.sum())
        return points[chosen].astype(np.float64)
    return _kmeans_plus_plus(points.astype(np.float64), point_weights, K, rng)


def _weighted_points(X: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of X and their total weight; uint8 colours are collapsed exactly."""
    X = np.asarray(X).reshape(-1, 3)
    if len(X) == 0:
        raise ValueError("There are no colours to cluster.")
    if weights is None and X.dtype == np.uint8:
        colours, counts, _ = distinct_colours(X)
        return colours, counts.astype(np.float64)
    point_weights = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    return X, point_weights


def _kmeans_plus_plus(
    points: np.ndarray, weights: np.ndarray, K: int, rng: np.random.Generator
) -> np.ndarray:
    n_trials = 2 + int(np.log(K))
    first = rng.choice(len(points), p=weights / weights.sum())
    centroids = [points[first]]
    closest = _squared_distances(points, points[first])
    for _ in range(1, K):
        cost = weights * closest
        total = cost.sum()
        if total <= 0:  # every point already coincides with a centroid
            break
        cumulative = np.cumsum(cost)
        trials = np.searchsorted(cumulative, rng.random(n_trials) * total)
        trials = np.minimum(trials, len(points) - 1)
        candidate_closest = np.minimum(
            closest, np.stack([_squared_distances(points, points[t]) for t in trials])
        )
        best = int(np.argmin(candidate_closest @ weights))
        centroids.append(points[trials[best]])
        closest = candidate_closest[best]
    return np.array(centroids, dtype=np.float64)


def _squared_distances(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    diff = points - centre
    return np.einsum("ij,ij->i", diff, diff)


def find_closest_centroids(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid (Euclidean) for each row of X.

    >>> X = np.array([[0, 0, 0], [250, 250, 250], [100, 100, 100]], dtype=np.uint8)
    >>> find_closest_centroids(X, np.array([[0.0, 0, 0], [255, 255, 255]])).tolist()
    [0, 1, 0]
    """
    labels, _ = _assign(np.asarray(X).reshape(-1, 3), centroids)
    return labels


def _assign(X: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid and squared distance to it, for each row of X, a block at a time.

    Uses |x - c|² = |x|² - 2x·c + |c|²; |x|² is the same for every centroid, so the argmin needs
    only |c|² - 2x·c, one matrix product per block.
    """
    C = np.asarray(centroids, dtype=np.float32) - _CENTRE
    half_norms = 0.5 * np.einsum("ij,ij->i", C, C)
    labels = np.empty(len(X), dtype=np.intp)
    distances = np.empty(len(X), dtype=np.float32)
    for start in range(0, len(X), CHUNK_ROWS):
        block = X[start : start + CHUNK_ROWS].astype(np.float32) - _CENTRE
        scores = block @ -C.T
        scores += half_norms
        nearest = np.argmin(scores, axis=1)
        labels[start : start + len(block)] = nearest
        diff = block - C[nearest]
        distances[start : start + len(block)] = np.einsum("ij,ij->i", diff, diff)
    return labels, distances


def compute_centroids(
    X: np.ndarray, idx: np.ndarray, K: int, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """Each cluster's mean colour (weighted mean when weights are given), as a (K, 3) array.

    A cluster with no points has no mean. Instead it takes over the point farthest from its own
    cluster's mean, which leaves that cluster (as scikit-learn does): the worst-fitting colour
    gets a centroid of its own, and no NaN ever appears.

    >>> X = np.array([[0, 0, 0], [10, 10, 10], [200, 200, 200]], dtype=np.uint8)
    >>> compute_centroids(X, np.array([0, 0, 1]), 2).tolist()
    [[5.0, 5.0, 5.0], [200.0, 200.0, 200.0]]
    >>> compute_centroids(X, np.array([0, 0, 0]), 2).tolist()
    [[5.0, 5.0, 5.0], [200.0, 200.0, 200.0]]
    """
    X = np.asarray(X).reshape(-1, 3)
    w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    totals = np.bincount(idx, weights=w, minlength=K)
    sums = np.stack([np.bincount(idx, weights=w * X[:, j], minlength=K) for j in range(3)], axis=1)
    empty = np.flatnonzero(totals == 0)
    if len(empty):
        _move_farthest_points(X, idx, w, sums, totals, empty)
    return sums / totals[:, None]


def _move_farthest_points(X, idx, w, sums, totals, empty) -> None:
    """Give each empty cluster the point farthest from its cluster's mean, in place."""
    filled = totals > 0
    means = np.zeros_like(sums)
    means[filled] = sums[filled] / totals[filled, None]
    diff = X - means[idx]
    distance = np.einsum("ij,ij->i", diff, diff)
    farthest = np.argsort(distance, kind="stable")[::-1][: len(empty)]
    for cluster, point in zip(empty, farthest, strict=False):
        donor = idx[point]
        if totals[donor] > w[point]:  # never empty the donor in turn
            sums[donor] -= w[point] * X[point]
            totals[donor] -= w[point]
        sums[cluster] = w[point] * X[point]
        totals[cluster] = w[point]
    # More empty clusters than points (K above the number of distinct colours): duplicates.
    for cluster in empty[len(farthest) :]:
        sums[cluster], totals[cluster] = X[farthest[0]] * w[farthest[0]], w[farthest[0]]


def run_kmeans(
    X: np.ndarray,
    initial_centroids: np.ndarray,
    max_iters: int,
    *,
    tol: float = 0.0,
    weights: np.ndarray | None = None,
    progress: ProgressCallback | None = None,
) -> KMeansResult:
    """Lloyd's algorithm: repeat assign-then-update at most ``max_iters`` times.

    Parameters
    ----------
    X : (N, 3) array of colours, uint8 or float.
    initial_centroids : (K, 3) starting colours, e.g. from :func:`kmeans_init_centroids`.
    max_iters : the most iterations to run; each assigns every point, then moves every centroid.
    tol : stop early once no centroid moves more than this (in 0–255 colour units). With 0 the
        loop stops early only when the assignment no longer changes.
    weights : optional (N,) weight per row; a weight of 3 counts like three copies of the row.
    progress : optional callback, called as ``progress(iteration, max_iters, inertia)``.

    >>> X = np.array([[0, 0, 0], [2, 2, 2], [250, 250, 250], [252, 252, 252]], dtype=np.uint8)
    >>> result = run_kmeans(X, np.array([[0.0, 0, 0], [100, 100, 100]]), 10)
    >>> result.centroids.tolist(), result.labels.tolist(), result.converged
    ([[1.0, 1.0, 1.0], [251.0, 251.0, 251.0]], [0, 0, 1, 1], True)
    """
    X = np.asarray(X).reshape(-1, 3)
    centroids = np.asarray(initial_centroids, dtype=np.float64).reshape(-1, 3).copy()
    if weights is None and X.dtype == np.uint8:
        # Fast path: each distinct colour is one point weighted by its pixel count, so the
        # weighted mean equals the mean over pixels and every pixel gets its colour's label.
        points, counts, inverse = distinct_colours(X)
        result = _lloyd(points, counts.astype(np.float64), centroids, max_iters, tol, progress)
        return dataclasses.replace(result, labels=result.labels[inverse])
    w = np.ones(len(X)) if weights is None else np.asarray(weights, dtype=np.float64)
    return _lloyd(X, w, centroids, max_iters, tol, progress)


def _lloyd(
    points: np.ndarray,
    weights: np.ndarray,
    centroids: np.ndarray,
    max_iters: int,
    tol: float,
    progress: ProgressCallback | None,
) -> KMeansResult:
    K = len(centroids)
    history: list[float] = []
    converged = False
    labels, distances = _assign(points, centroids)
    for iteration in range(1, max_iters + 1):
        history.append(_inertia(distances, weights))
        if progress is not None:
            progress(iteration, max_iters, history[-1])
        new_centroids = compute_centroids(points, labels, K, weights=weights)
        shift = np.sqrt(((new_centroids - centroids) ** 2).sum(axis=1).max())
        centroids = new_centroids
        new_labels, distances = _assign(points, centroids)
        unchanged = np.array_equal(new_labels, labels)
        labels = new_labels
        if unchanged or shift <= tol:
            converged = True
            break
    return KMeansResult(
        centroids, labels, _inertia(distances, weights), tuple(history), len(history), converged
    )


def _inertia(distances: np.ndarray, weights: np.ndarray) -> float:
    return float(distances.astype(np.float64) @ weights)

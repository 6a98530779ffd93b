"""K-Means clustering of pixel colours, written from scratch in NumPy.

Colour quantisation replaces the thousands of colours in a photo by K representative ones, the
*centroids*. K-Means chooses them to minimise the *inertia*: the sum, over every pixel, of the
squared distance from the pixel's colour to its nearest centroid. Lloyd's algorithm does it by
repeating two steps until nothing changes:

1. **Assign** (:func:`find_closest_centroids`): give every pixel the index of its nearest centroid.
2. **Update** (:func:`compute_centroids`): move every centroid to the mean of its pixels.

Neither step can raise the inertia, so the loop (:func:`run_kmeans`) settles in a local minimum.
Where it settles depends on the starting centroids (:func:`kmeans_init_centroids`): K random pixel
colours (the classic method) or k-means++, which spreads them out and usually ends lower.

This module is the method as a student reads it: each step is a few lines of plain NumPy, with
the choice it makes in plain sight (``np.argmin`` for the nearest centroid, a mean for the
update). :func:`lloyd_rounds` runs the two steps in a loop exactly as written here.
:func:`run_kmeans` gives the same centroids faster: it runs the loop in :mod:`kmeans.engine`,
whose every acceleration is exact (the tests hold the two against each other and against
scikit-learn's Lloyd).

>>> X = np.array([[0, 0, 0], [10, 10, 10], [240, 240, 240], [250, 250, 250]], dtype=np.uint8)
>>> centroids = kmeans_init_centroids(X, 2, seed=0)
>>> labels = find_closest_centroids(X, centroids)          # assign
>>> compute_centroids(X, labels, 2)[labels].tolist()       # update
[[5.0, 5.0, 5.0], [5.0, 5.0, 5.0], [245.0, 245.0, 245.0], [245.0, 245.0, 245.0]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kmeans import engine
from kmeans.deprecation import renamed_keywords
from kmeans.distance import cross_products
from kmeans.errors import KMeansError
from kmeans.histogram import distinct_colours
from kmeans.result import KMeansResult, ProgressCallback, label_dtype

#: Point-centroid pairs :func:`find_closest_centroids` compares at a time: a few MB of distances.
TABLE_ENTRIES = 1 << 18

#: Channels a point may have: RGB, or premultiplied RGBA for images with soft transparency.
CHANNELS = (3, 4)


def check_points(X: np.ndarray, name: str = "X") -> np.ndarray:
    """X as a 2-D array of N colours, checked once at the boundary, as scikit-learn does.

    Rows are colours: 3 channels (RGB or Oklab), or 4 for premultiplied RGBA. Raises a
    :class:`~kmeans.errors.KMeansError` (a ValueError) naming the argument for any other
    shape, for no rows, and for NaN or infinite values, instead of clustering nonsense.

    >>> check_points(np.zeros((6, 4))).shape
    (6, 4)
    >>> check_points(np.zeros((6, 5)))
    Traceback (most recent call last):
    kmeans.errors.KMeansError: X must have shape (N, 3), or (N, 4) for RGBA, not (6, 5).
    >>> check_points(np.array([[0.0, np.nan, 0.0]]))
    Traceback (most recent call last):
    kmeans.errors.KMeansError: X must hold only finite numbers, but it has NaN or infinity.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] not in CHANNELS:
        raise KMeansError(f"{name} must have shape (N, 3), or (N, 4) for RGBA, not {X.shape}.")
    if len(X) == 0:
        raise KMeansError(f"{name} has no rows, so there is nothing to cluster.")
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise KMeansError(f"{name} must hold numbers, not {X.dtype}.")
    if np.issubdtype(X.dtype, np.floating) and not np.isfinite(X).all():
        raise KMeansError(f"{name} must hold only finite numbers, but it has NaN or infinity.")
    return X


def check_centroids(centroids: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The centroids as a (K, D) float64 array with X's D columns, or a KMeansError."""
    centroids = np.asarray(centroids, dtype=np.float64)
    if centroids.ndim != 2 or centroids.shape[1] != X.shape[1] or len(centroids) == 0:
        raise KMeansError(
            f"The centroids must have shape (K, {X.shape[1]}) like X, not {centroids.shape}."
        )
    if not np.isfinite(centroids).all():
        raise KMeansError("The centroids must be finite numbers, but they have NaN or infinity.")
    return centroids


@renamed_keywords(K="k", keep="fixed_colours")
def kmeans_init_centroids(
    X: np.ndarray,
    k: int,
    *,
    init: str = "kmeans++",
    seed: int | None = None,
    weights: np.ndarray | None = None,
    fixed_colours: np.ndarray | None = None,
) -> np.ndarray:
    """Choose K starting centroids from the rows of X.

    ``"random"`` picks K distinct colours, each with probability proportional to how many pixels
    have it: the classic method, K random pixels, without repeats. ``"kmeans++"`` picks the first
    colour that way, then each next one with probability proportional to its squared distance to
    the nearest colour already picked (D² seeding), taking the best of a few such draws each time
    (greedy k-means++, as scikit-learn does).

    ``fixed_colours`` (an (M, D) array, M ≤ K) gives colours that must be centroids, such as a
    brand colour: they are the first M rows, and the other K - M are chosen around them (for
    k-means++, far from them too). Pass ``fixed=range(M)`` to :func:`run_kmeans` to keep them.

    When X has fewer than K distinct colours, all of them are returned: fewer than K rows.

    >>> X = np.array([[0, 0, 0], [0, 0, 0], [255, 255, 255]], dtype=np.uint8)
    >>> kmeans_init_centroids(X, 2, seed=0).tolist()
    [[0.0, 0.0, 0.0], [255.0, 255.0, 255.0]]
    >>> kmeans_init_centroids(X, 2, seed=0, fixed_colours=np.array([[250, 250, 250]])).tolist()
    [[250.0, 250.0, 250.0], [0.0, 0.0, 0.0]]
    """
    X = check_points(X)
    if k < 1:
        raise KMeansError(f"K must be at least 1, not {k}.")
    if init not in ("kmeans++", "random"):
        raise KMeansError(f"The initialisation must be 'kmeans++' or 'random', not {init!r}.")
    none = fixed_colours is None or np.size(fixed_colours) == 0
    fixed = np.empty((0, X.shape[1])) if none else check_centroids(fixed_colours, X)
    if len(fixed) > k:
        raise KMeansError(f"{len(fixed)} colours cannot all be fixed with only K = {k}.")
    points, point_weights = _weighted_points(X, weights)
    if len(fixed):  # a fixed colour is a centroid already; choosing it again would waste one
        new = ~(points[:, None, :] == fixed[None, :, :]).all(axis=2).any(axis=1)
        points, point_weights = points[new], point_weights[new]
    rng = np.random.default_rng(seed)
    wanted = k - len(fixed)
    if len(points) <= wanted:
        return np.vstack([fixed, points]).astype(np.float64)
    if init == "random":
        probability = point_weights / point_weights.sum()
        chosen = rng.choice(len(points), size=wanted, replace=False, p=probability)
        return np.vstack([fixed, points[chosen]]).astype(np.float64)
    return _kmeans_plus_plus(points.astype(np.float64), point_weights, k, rng, fixed)


def _weighted_points(X: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of X that carry weight, and the total weight of each."""
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        X, weights = X[weights > 0], weights[weights > 0]
    if len(X) == 0:
        raise KMeansError("Every weight is zero, so there are no colours to cluster.")
    if X.dtype == np.uint8:  # colours: 32-bit keys, far faster than np.unique on rows
        rows, counts, inverse = distinct_colours(X)
    else:
        rows, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    if weights is None:
        return rows, counts.astype(np.float64)
    return rows, np.bincount(inverse.reshape(-1), weights=weights)


def _kmeans_plus_plus(
    points: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator, fixed: np.ndarray
) -> np.ndarray:
    n_trials = 2 + int(np.log(k))
    squared_norms = np.einsum("ij,ij->i", points, points)

    def squared_distances(centres: np.ndarray) -> np.ndarray:
        """(N, T) squared distances to a few centres: |x|² - 2x·c + |c|², exact in float64."""
        cross = cross_products(points, centres)
        return np.maximum(squared_norms[:, None] - 2 * cross + (centres**2).sum(axis=1), 0)

    if len(fixed):
        chosen = []
        closest = squared_distances(fixed).min(axis=1)
    else:
        first = rng.choice(len(points), p=weights / weights.sum())
        chosen = [first]
        closest = squared_distances(points[[first]])[:, 0]
    for _ in range(len(fixed) + len(chosen), k):
        cumulative = np.cumsum(weights * closest)
        if cumulative[-1] <= 0:  # every point already coincides with a centroid
            break
        trials = np.searchsorted(cumulative, rng.random(n_trials) * cumulative[-1], side="right")
        trials = np.minimum(trials, len(points) - 1)
        # Each trial's outcome: every point's distance to its nearest centroid if it were added.
        candidate_closest = np.minimum(closest[:, None], squared_distances(points[trials]))
        best = int(np.argmin(weights @ candidate_closest))
        chosen.append(int(trials[best]))
        closest = candidate_closest[:, best]
    return np.vstack([fixed, points[chosen]]).astype(np.float64)


def find_closest_centroids(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The assignment step: the index of the nearest centroid (Euclidean) for each row of X.

    For every point, the squared distance to each centroid, then ``np.argmin`` over them: the
    nearest centroid, the lower index on an exact tie. A block of rows at a time, so the table of
    distances stays a few MB whatever the number of pixels. Labels are :func:`label_dtype`.

    >>> X = np.array([[0, 0, 0], [250, 250, 250], [100, 100, 100]], dtype=np.uint8)
    >>> find_closest_centroids(X, np.array([[0.0, 0, 0], [255, 255, 255]])).tolist()
    [0, 1, 0]
    """
    X = check_points(X)
    centroids = check_centroids(centroids, X)
    labels = np.empty(len(X), dtype=label_dtype(len(centroids)))
    rows = max(1, TABLE_ENTRIES // len(centroids))
    for start in range(0, len(X), rows):
        block = X[start : start + rows].astype(np.float64)
        # distances[i, j] = |x_i - c_j|², from point i to centroid j
        distances = ((block[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        labels[start : start + rows] = np.argmin(distances, axis=1)
    return labels


@renamed_keywords(K="k")
def compute_centroids(
    X: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    weights: np.ndarray | None = None,
    fixed: object = None,
) -> np.ndarray:
    """The update step: each cluster's mean colour (weighted mean when weights are given).

    A cluster with no points has no mean. Instead it takes over the point farthest from its own
    cluster's mean, which leaves that cluster (as scikit-learn does): the worst-fitting colour
    gets a centroid of its own, and no NaN ever appears. Only when there are fewer points than
    clusters does one stay empty; it then takes the heaviest point's colour. Clusters named in
    ``fixed`` (indices or a boolean mask, as in :func:`run_kmeans`) take no point when empty:
    their centroids do not move, so the caller keeps them where they are.

    >>> X = np.array([[0, 0, 0], [10, 10, 10], [200, 200, 200]], dtype=np.uint8)
    >>> compute_centroids(X, np.array([0, 0, 1]), 2).tolist()
    [[5.0, 5.0, 5.0], [200.0, 200.0, 200.0]]
    >>> compute_centroids(X, np.array([0, 0, 0]), 2).tolist()
    [[5.0, 5.0, 5.0], [200.0, 200.0, 200.0]]
    """
    X = check_points(X)
    labels = np.array(labels, dtype=np.intp).reshape(-1)
    if len(labels) != len(X):
        raise KMeansError(f"There must be one label per row of X ({len(X)}), not {len(labels)}.")
    if labels.min() < 0 or labels.max() >= k:
        raise KMeansError(f"Every label must be a cluster index from 0 to {k - 1}.")
    weights = _weights_or_ones(X, weights)
    labels = _give_empty_clusters_a_point(X, labels, k, weights, fixed_mask(fixed, k))
    return _means(X, labels, k, weights)


def _means(X: np.ndarray, labels: np.ndarray, k: int, weights: np.ndarray) -> np.ndarray:
    """Each cluster's weighted mean; a cluster with no weight takes the heaviest point."""
    means = np.empty((k, X.shape[1]))
    for cluster in range(k):
        members = labels == cluster
        total = weights[members].sum()
        if total > 0:
            means[cluster] = weights[members] @ X[members] / total
        else:
            means[cluster] = X[np.argmax(weights)]
    return means


def _give_empty_clusters_a_point(
    X: np.ndarray, labels: np.ndarray, k: int, weights: np.ndarray, fixed: np.ndarray
) -> np.ndarray:
    """Labels where each empty cluster took the worst-fitting point of a cluster that can spare it.

    Points are tried from the farthest from its cluster's mean down; a point moves only if its
    cluster keeps some weight, so no cluster is emptied in turn. A weighted point moves whole:
    all the pixels of a colour, where a pixel-by-pixel run would move one of them, the one case
    in which a weighted run and its repeated-rows equivalent part ways.
    """
    sizes = np.bincount(labels, weights=weights, minlength=k)
    empty = np.flatnonzero((sizes <= 0) & ~fixed)
    if len(empty) == 0:
        return labels
    errors = ((X - _means(X, labels, k, weights)[labels]) ** 2).sum(axis=1)
    labels = labels.copy()
    worst_first = iter(np.argsort(-errors, kind="stable"))
    for cluster in empty:
        point = next((p for p in worst_first if sizes[labels[p]] > weights[p]), None)
        if point is None:
            break
        sizes[labels[point]] -= weights[point]
        labels[point] = cluster
    return labels


def _weights_or_ones(X: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(X))
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (len(X),):
        raise KMeansError(f"There must be one weight per row of X ({len(X)}), not {weights.shape}.")
    if not (np.isfinite(weights).all() and (weights >= 0).all()):
        raise KMeansError("The weights must be finite and not negative.")
    return weights


class LloydRound(NamedTuple):
    """One round of :func:`lloyd_rounds`: the centroids, each point's label, their inertia."""

    centroids: np.ndarray
    labels: np.ndarray
    inertia: float
    settled: bool


def lloyd_rounds(
    X: np.ndarray, initial_centroids: np.ndarray, max_iters: int, *, fixed: object = None
):
    """Textbook Lloyd, round by round, for watching it work: the plain loop of the two steps.

    Yields round 0 (the starting centroids and their assignment), then the state after each
    update, at most ``max_iters`` updates. ``settled`` is True on the last round when an update
    left every centroid where it was. ``fixed`` (indices or a boolean mask) names centroids the
    update never moves. :func:`run_kmeans` gives the same centroids, faster.

    >>> X = np.array([[0, 0, 0], [2, 2, 2], [250, 250, 250]], dtype=np.uint8)
    >>> [r.centroids[:, 0].tolist() for r in lloyd_rounds(X, np.array([[0.0] * 3, [9.0] * 3]), 5)]
    [[0.0, 9.0], [1.0, 250.0]]
    """
    X = check_points(X)
    centroids = check_centroids(initial_centroids, X)
    fixed = fixed_mask(fixed, len(centroids))
    for round_number in range(max_iters + 1):
        labels = find_closest_centroids(X, centroids)
        diff = X - centroids[labels]
        inertia = float(np.einsum("ij,ij->", diff, diff))
        moved = compute_centroids(X, labels, len(centroids), fixed=fixed)
        moved[fixed] = centroids[fixed]
        settled = bool(np.array_equal(moved, centroids))
        yield LloydRound(centroids, labels, inertia, settled)
        if settled or round_number == max_iters:
            return
        centroids = moved


def run_kmeans(
    X: np.ndarray,
    initial_centroids: np.ndarray,
    max_iters: int,
    *,
    tol: float = 0.0,
    weights: np.ndarray | None = None,
    fixed: object = None,
    progress: ProgressCallback | None = None,
) -> KMeansResult:
    """Lloyd's algorithm: repeat assign-then-update at most ``max_iters`` times.

    The loop of :func:`lloyd_rounds`::

        for iteration in range(max_iters):
            labels = find_closest_centroids(X, centroids)      # assign
            centroids = compute_centroids(X, labels, k)        # update
            # stop once no label changed, or no centroid moved more than tol

    run in :mod:`kmeans.engine`, which gives the same centroids over every pixel, faster.

    Parameters
    ----------
    X : (N, 3) array of colours, uint8 or float.
    initial_centroids : (K, 3) starting colours, e.g. from :func:`kmeans_init_centroids`.
    max_iters : the most iterations to run; each assigns every point, then moves every centroid.
    tol : stop early once no centroid moves more than this (in 0–255 colour units). With 0 the
        loop stops early only when the assignment no longer changes.
    weights : optional (N,) weight per row; a weight of 3 counts like three copies of the row.
    fixed : optional indices (or a (K,) boolean mask) of centroids that never move: a brand
        colour or a skin tone that must survive. The update step leaves them where they are;
        every other centroid follows textbook Lloyd, and points still go to their nearest
        centroid, fixed or not.
    progress : optional callback, called as ``progress(iteration, max_iters, inertia)``.

    >>> X = np.array([[0, 0, 0], [2, 2, 2], [250, 250, 250], [252, 252, 252]], dtype=np.uint8)
    >>> result = run_kmeans(X, np.array([[0.0, 0, 0], [100, 100, 100]]), 10)
    >>> result.centroids.tolist(), result.labels.tolist(), result.converged
    ([[1.0, 1.0, 1.0], [251.0, 251.0, 251.0]], [0, 0, 1, 1], True)
    >>> run_kmeans(X, np.array([[0.0, 0, 0], [100, 100, 100]]), 10, fixed=[1]).centroids.tolist()
    [[1.0, 1.0, 1.0], [100.0, 100.0, 100.0]]
    """
    X = check_points(X)
    centroids = check_centroids(initial_centroids, X)
    return engine.run(
        X,
        centroids,
        fixed_mask(fixed, len(centroids)),
        max_iters,
        weights=None if weights is None else _weights_or_ones(X, weights),
        tol=tol,
        progress=progress,
    )


def fixed_mask(fixed: object, k: int) -> np.ndarray:
    """``fixed`` (None, indices, or a boolean mask) as a (K,) boolean mask, checked.

    >>> fixed_mask([2], 4).tolist(), fixed_mask(None, 2).tolist()
    ([False, False, True, False], [False, False])
    """
    mask = np.zeros(k, dtype=bool)
    if fixed is None:
        return mask
    given = np.asarray(fixed)
    if given.dtype == bool:
        if given.shape != (k,):
            raise KMeansError(f"A mask of fixed centroids must have {k} entries, not {given.size}.")
        return given.copy()
    if not np.issubdtype(given.dtype, np.integer) and given.size:
        raise KMeansError("Fixed centroids must be given as indices or a boolean mask.")
    indices = given.astype(np.intp).reshape(-1)
    if indices.size and (indices.min() < 0 or indices.max() >= k):
        raise KMeansError(f"Every fixed centroid must be an index from 0 to {k - 1}.")
    mask[indices] = True
    return mask

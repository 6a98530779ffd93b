"""Lloyd's algorithm made fast, with the same answer as the textbook loop in :mod:`kmeans.core`.

:func:`~kmeans.core.run_kmeans` and :func:`~kmeans.quantization.quantize` run K-Means here. Each
acceleration leaves the centroids exactly where textbook Lloyd over every pixel puts them:

* **Distinct colours** (:func:`run`): each distinct colour is one point weighted by its pixel
  count, so the weighted mean equals the mean over pixels, and every pixel gets its colour's
  label.
* **Bounds** (:class:`~kmeans.distance.NearestCentroidTracker`): a point is measured again only
  when the centroids' moves could have changed its nearest one (the triangle inequality bounds
  the rest), so each label is the one a full search would give.
* **Incremental sums** (:class:`ClusterSums`): each cluster's sums are corrected only for the
  points that changed cluster; integer colours and weights keep them exact in float64, so
  their quotient is the mean.
* **Anderson steps** (:func:`accelerated_steps`): extrapolated moves, each kept only if it
  lowers the inertia; they only choose where the Lloyd rounds start, and the rounds that
  follow are plain Lloyd, so the run still stops where Lloyd stops.
* **The snap to stored colours** (``snap=``): the last assignment is to the colours the PNG will
  really store, so each pixel is drawn with its nearest palette colour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from kmeans.distance import NearestCentroidTracker
from kmeans.histogram import distinct_colours
from kmeans.result import KMeansResult, ProgressCallback, label_dtype

#: Past steps an accelerated step combines (Anderson's depth m; 2-5 is usual for K-Means).
ANDERSON_DEPTH = 3
#: Accelerated steps stop once a plain Lloyd step lowers the inertia by less than this fraction.
ACCELERATION_RTOL = 1e-4

#: From the final centroids to the colours that will really be used (the PNG's bytes).
Snap = Callable[[np.ndarray], np.ndarray]


def run(
    X: np.ndarray,
    centroids: np.ndarray,
    fixed: np.ndarray,
    max_iters: int,
    *,
    weights: np.ndarray | None = None,
    tol: float = 0.0,
    progress: ProgressCallback | None = None,
    accelerate: int = 0,
    snap: Snap | None = None,
) -> KMeansResult:
    """Lloyd's algorithm from ``centroids``, on inputs already checked by the caller.

    ``fixed`` is a (K,) boolean mask of centroids that never move; ``weights`` (N,) or None.
    ``accelerate`` allows at most that many :func:`accelerated_steps` before the Lloyd rounds;
    ``snap`` ends the run with an assignment to ``snap(centroids)``, which are the centroids
    returned (their ``inertia`` may then end a little above the history's last value, which is
    of the means). Everything else is as :func:`~kmeans.core.run_kmeans` says.
    """
    options = dict(tol=tol, progress=progress, accelerate=accelerate, snap=snap)
    if weights is None and X.dtype == np.uint8 and X.shape[1] == 3:
        # Each distinct colour is one point weighted by its pixel count: the weighted mean
        # equals the mean over pixels, and every pixel gets its colour's label.
        points, counts, inverse = distinct_colours(X)
        result = lloyd(points, counts.astype(np.float64), centroids, fixed, max_iters, **options)
        return dataclasses.replace(result, labels=result.labels[inverse])
    weights = np.ones(len(X)) if weights is None else weights
    return lloyd(X, weights, centroids, fixed, max_iters, **options)


def lloyd(
    points: np.ndarray,
    weights: np.ndarray,
    centroids: np.ndarray,
    fixed: np.ndarray,
    max_iters: int,
    *,
    tol: float,
    progress: ProgressCallback | None,
    accelerate: int,
    snap: Snap | None,
) -> KMeansResult:
    """The loop: an assignment that measures only the points in doubt, an update by sums."""
    nearest = NearestCentroidTracker(points, centroids)
    sums = ClusterSums(points, weights, nearest.labels.copy(), len(centroids))
    if accelerate:
        centroids = accelerated_steps(nearest, sums, centroids, fixed, accelerate)
    history: list[float] = []
    converged = snapped = False
    for iteration in range(1, max_iters + 1):
        history.append(sums.inertia(centroids))
        if progress is not None:
            progress(iteration, max_iters, history[-1])
        new_centroids = sums.update(centroids, fixed)
        shift = np.sqrt(((new_centroids - centroids) ** 2).sum(axis=1)).max()
        if snap is not None and (shift <= tol or iteration == max_iters):
            # The last round assigns straight to the snapped colours: one assignment, not two.
            new_centroids, snapped = _snapped(snap, new_centroids, fixed), True
        centroids = new_centroids
        moved = sums.relabel(nearest.update(centroids, sums.labels))
        if moved == 0 or shift <= tol:
            converged = True
            break
    if snap is not None and not snapped:  # stopped early by a stable assignment, or no rounds
        centroids = _snapped(snap, centroids, fixed)
        sums.relabel(nearest.update(centroids, sums.labels))
    labels = sums.labels.astype(label_dtype(len(centroids)))
    return KMeansResult(
        centroids, labels, sums.inertia(centroids), tuple(history), len(history), converged
    )


def _snapped(snap: Snap, centroids: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """``snap(centroids)``, with the fixed centroids left exactly where they are."""
    snapped = np.array(snap(centroids), dtype=np.float64)
    snapped[fixed] = centroids[fixed]
    return snapped


class ClusterSums:
    """Per-cluster weight W, colour sum S and sum of squares Q: all K-Means needs of the points.

    The mean of cluster k is S[k] / W[k], and the inertia for any centroids c is the sum over k of
    Q[k] - 2 c[k]·S[k] + W[k] |c[k]|², so neither needs another pass over the points. When points
    change cluster only they are subtracted and added again. For colours, weights and values are
    integers, so these sums stay exact in float64.
    """

    def __init__(self, points: np.ndarray, weights: np.ndarray, labels: np.ndarray, k: int):
        self.points, self.weights, self.labels = points, weights, labels
        self.W, self.S, self.Q = np.zeros(k), np.zeros((k, points.shape[1])), np.zeros(k)
        self._add(slice(None), labels, sign=1.0)

    def _add(
        self, rows: np.ndarray | slice, clusters: np.ndarray, sign: float | np.ndarray
    ) -> None:
        k = len(self.W)
        w = self.weights[rows] * sign
        x = self.points[rows].astype(np.float64)  # a slice of all rows gathers nothing
        self.W += np.bincount(clusters, weights=w, minlength=k)
        for j in range(x.shape[1]):
            self.S[:, j] += np.bincount(clusters, weights=w * x[:, j], minlength=k)
        self.Q += np.bincount(clusters, weights=w * np.einsum("ij,ij->i", x, x), minlength=k)

    def relabel(self, new_labels: np.ndarray) -> int:
        """Move the points whose label changed; return how many did."""
        rows = np.flatnonzero(new_labels != self.labels)
        if len(rows):
            # One pass: each moved point is taken from its old cluster and added to its new one.
            both = np.concatenate([rows, rows])
            clusters = np.concatenate([self.labels[rows], new_labels[rows]])
            self._add(both, clusters, sign=np.repeat([-1.0, 1.0], len(rows)))
            self.labels[rows] = new_labels[rows]
        return len(rows)

    def update(self, centroids: np.ndarray, fixed: np.ndarray) -> np.ndarray:
        """The update step: every centroid not ``fixed`` moves to its cluster's mean.

        An empty cluster first takes the points :meth:`fill_empty_clusters` gives it, as
        :func:`~kmeans.core.compute_centroids` does; one still empty stays where it is.
        """
        self.fill_empty_clusters(fixed)
        moved = self.means(fallback=centroids)
        moved[fixed] = centroids[fixed]
        return moved

    def means(self, fallback: np.ndarray | None = None) -> np.ndarray:
        """S / W; a cluster left empty takes its row of ``fallback`` (default: the heaviest point).

        A cluster stays empty only when there are fewer distinct points than clusters.
        """
        if fallback is None:
            fallback = np.broadcast_to(self.points[np.argmax(self.weights)], self.S.shape)
        means = np.array(fallback, dtype=np.float64)
        filled = self.W > 0
        means[filled] = self.S[filled] / self.W[filled, None]
        return means

    def inertia(self, centroids: np.ndarray) -> float:
        per_cluster = (
            self.Q
            - 2 * np.einsum("ij,ij->i", centroids, self.S)
            + self.W * np.einsum("ij,ij->i", centroids, centroids)
        )
        return float(max(per_cluster.sum(), 0.0))

    def fill_empty_clusters(self, fixed: np.ndarray | None = None) -> None:
        """Move the points farthest from their cluster's mean into the empty clusters.

        The rule of :func:`~kmeans.core.compute_centroids`, on the sums. Clusters marked in the
        boolean mask ``fixed`` never move, so they are left empty.
        """
        empty = np.flatnonzero((self.W <= 0) & (True if fixed is None else ~fixed))
        if len(empty) == 0:
            return
        means = self.means()
        diff = self.points - means[self.labels]
        farthest_first = np.argsort(-np.einsum("ij,ij->i", diff, diff), kind="stable")
        new_labels, weight_left = self.labels.copy(), self.W.copy()
        candidates = iter(farthest_first)
        for cluster in empty:
            for point in candidates:
                donor = new_labels[point]
                if weight_left[donor] - self.weights[point] > 0:
                    new_labels[point] = cluster
                    weight_left[donor] -= self.weights[point]
                    break
        self.relabel(new_labels)


def accelerated_steps(
    nearest: NearestCentroidTracker,
    sums: ClusterSums,
    centroids: np.ndarray,
    fixed: np.ndarray,
    max_steps: int,
) -> np.ndarray:
    """Safeguarded Anderson acceleration of Lloyd (Zhang, Yao et al., 2018): the centroids to
    start the Lloyd rounds from, with an inertia no higher than that of ``centroids``.

    Why: where the colours form a smooth gradient (a sky), a Lloyd minimum is a chain of
    centroids that reaches its place by a shared creep, a fraction of a colour level a round
    for a hundred rounds, and a stopping rule on centroid movement ends it long before. Lloyd
    is a fixed-point iteration c -> g(c) (the means of the points nearest c); Anderson's step
    fits the last ANDERSON_DEPTH steps g(c) - c by least squares and extrapolates along them,
    covering several rounds of a steady creep at once. An extrapolated step is kept only if,
    once every point is assigned again, the weighted inertia fell; otherwise the plain Lloyd
    step g(c) is taken, which never raises it, and the history starts again. The steps stop
    after ``max_steps`` or once a plain Lloyd step (the first, or one after an overshoot)
    lowers the inertia by less than ACCELERATION_RTOL of it: Lloyd itself is then all but
    settled, where a small gain from an extrapolated step says less. ``nearest`` and ``sums``
    follow the centroids returned.
    """
    inertia = sums.inertia(centroids)
    residuals: list[np.ndarray] = []
    images: list[np.ndarray] = []
    for _ in range(max_steps):
        image = sums.update(centroids, fixed)
        residuals = [*residuals[-ANDERSON_DEPTH:], (image - centroids).ravel()]
        images = [*images[-ANDERSON_DEPTH:], image.ravel()]
        candidate = anderson_mix(residuals, images).reshape(centroids.shape)
        candidate[fixed] = centroids[fixed]
        sums.relabel(nearest.update(candidate, sums.labels))
        candidate_inertia = sums.inertia(candidate)
        if len(residuals) > 1 and candidate_inertia >= inertia:  # overshot: the Lloyd step
            residuals, images = [], []
            candidate = image
            sums.relabel(nearest.update(candidate, sums.labels))
            candidate_inertia = sums.inertia(candidate)
        plain = len(residuals) == 1
        settled = plain and inertia - candidate_inertia <= ACCELERATION_RTOL * inertia
        centroids, inertia = candidate, candidate_inertia
        if settled:
            break
    return centroids


def anderson_mix(residuals: list[np.ndarray], images: list[np.ndarray]) -> np.ndarray:
    """Anderson's step from the last few Lloyd images g_i and residuals f_i = g_i - c_i: the
    newest image minus the combination of image differences whose residual differences best
    cancel the newest residual (least squares). With one pair, the plain Lloyd step.

    >>> # A linear creep c -> 0.9 c: one mixed step lands on its fixed point, 0.
    >>> c = np.array([10.0]); g = 0.9 * c; g2 = 0.9 * g
    >>> abs(anderson_mix([g - c, g2 - g], [g, g2])).round(9).tolist()
    [0.0]
    """
    if len(residuals) == 1:
        return images[0].copy()
    residual_steps = np.diff(np.array(residuals), axis=0).T
    image_steps = np.diff(np.array(images), axis=0).T
    gamma = np.linalg.lstsq(residual_steps, residuals[-1], rcond=None)[0]
    return images[-1] - image_steps @ gamma

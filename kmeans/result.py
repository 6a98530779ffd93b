"""What a K-Means run returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kmeans.deprecation import warn_renamed

#: Called after every iteration with (iteration, max_iters, inertia).
ProgressCallback = Callable[[int, int, float], None]


def label_dtype(k: int) -> np.dtype:
    """The one dtype of labels: the smallest unsigned integer that holds 0..k-1.

    uint8 up to K = 256, which is every image (a PNG palette holds 256), so labels take one byte
    per pixel, as in the PNG itself.

    >>> label_dtype(16), label_dtype(256), label_dtype(257)
    (dtype('uint8'), dtype('uint8'), dtype('uint16'))
    """
    return np.min_scalar_type(max(k - 1, 0))


@dataclass(frozen=True)
class KMeansResult:
    """What :func:`kmeans.run_kmeans` found.

    Attributes
    ----------
    centroids : (K, D) float64 array, the final cluster colours (D = 3, or 4 for RGBA).
    labels : (N,) array of :func:`label_dtype` (uint8 up to K = 256), each input
        row's nearest final centroid.
    inertia : sum of (weighted) squared distances from each row to its final centroid.
    inertia_history : the inertia at the start of each iteration, one value per iteration; it
        never rises, and ``inertia`` is at most its last value (unless the run snapped its
        centroids to stored colours: ``kmeans.engine.run(snap=...)``).
    n_iters : iterations run (each one assignment and one update), at most ``max_iters``.
    converged : True when the assignments stopped changing or no centroid moved more than ``tol``.
    """

    centroids: np.ndarray
    labels: np.ndarray
    inertia: float
    inertia_history: tuple[float, ...]
    n_iters: int
    converged: bool

    @property
    def n_iter(self) -> int:
        """Deprecated: :attr:`n_iters`."""
        warn_renamed("KMeansResult.n_iter", "KMeansResult.n_iters")
        return self.n_iters

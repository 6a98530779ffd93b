"""Oracles for K-Means, written here in plain NumPy and sharing no code with ``kmeans``.

A brute-force N×K distance table and its argmin for the assignment, one mean per cluster for
the update, and the loop of the two (textbook Lloyd), for the tests to hold the library against.
"""

from __future__ import annotations

import numpy as np

from tests.helpers import sample_rgb


def sample_pixels(name: str) -> np.ndarray:
    """The sample photo ``name`` as an (N, 3) array of its pixels."""
    return sample_rgb(f"{name}.png").reshape(-1, 3)


def squared_distances(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """The full N×K matrix in float64: fine for the small inputs the oracles see."""
    diff = X.astype(np.float64)[:, None, :] - np.asarray(C, dtype=np.float64)[None, :, :]
    return np.einsum("nkj,nkj->nk", diff, diff)


def brute_labels(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """argmin of the float64 N×K matrix, 4,096 rows at a time to keep the oracle's memory small."""
    return np.concatenate(
        [np.argmin(squared_distances(X[i : i + 4096], C), axis=1) for i in range(0, len(X), 4096)]
    )


def brute_inertia(X: np.ndarray, C: np.ndarray, labels: np.ndarray, weights=None) -> float:
    diff = X.astype(np.float64) - np.asarray(C, dtype=np.float64)[labels]
    per_row = np.einsum("ij,ij->i", diff, diff)
    return float(per_row.sum() if weights is None else per_row @ weights)


def cluster_means(X: np.ndarray, labels: np.ndarray, K: int) -> np.ndarray:
    return np.array([X[labels == k].astype(np.float64).mean(axis=0) for k in range(K)])


def textbook_lloyd(X: np.ndarray, C0: np.ndarray, n_iter: int, weights=None):
    """Centroids, and the labels and inertia at the start of each iteration.

    None when a cluster empties: textbook Lloyd does not say what happens then.
    """
    C = np.asarray(C0, dtype=np.float64)
    if weights is not None:
        X = np.repeat(X, weights, axis=0)
    steps = []
    for _ in range(n_iter):
        labels = brute_labels(X, C)
        if len(np.unique(labels)) < len(C):
            return None
        steps.append((labels, brute_inertia(X, C, labels)))
        C = cluster_means(X, labels, len(C))
    return C, steps


def textbook_lloyd_without_empty_clusters(X: np.ndarray, C0: np.ndarray, n_iter: int):
    run = textbook_lloyd(X, C0, n_iter)
    assert run is not None, "pick a start where no cluster empties"
    return run


def jittered(C0: np.ndarray, seed: int) -> np.ndarray:
    """Move integer starting centroids by under half a unit, so no pixel is equidistant from two.

    Integer pixels tie exactly with integer centroids, and scikit-learn breaks such ties by
    rounding (it centres the data first), we by the lowest index. Each centroid stays nearest
    to its own colour, so no cluster starts empty.
    """
    return C0 + np.random.default_rng(seed).uniform(-0.25, 0.25, C0.shape)

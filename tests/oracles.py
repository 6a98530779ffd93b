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


def independent_delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ΔE_OK from Ottosson's published formulas, for the oracle."""

    def oklab(rgb):
        v = rgb / 255
        linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
        lms = np.cbrt(
            linear
            @ np.array(
                [
                    [0.4122214708, 0.5363325363, 0.0514459929],
                    [0.2119034982, 0.6806995451, 0.1073969566],
                    [0.0883024619, 0.2817188376, 0.6299787005],
                ]
            ).T
        )
        return (
            lms
            @ np.array(
                [
                    [0.2104542553, 0.7936177850, -0.0040720468],
                    [1.9779984951, -2.4285922050, 0.4505937099],
                    [0.0259040371, 0.7827717662, -0.8086757660],
                ]
            ).T
        )

    return 100 * np.linalg.norm(oklab(a) - oklab(b), axis=-1)


def composited(rgba: np.ndarray, background: float) -> np.ndarray:
    """An RGBA image drawn over a flat grey ``background``, rounded to bytes as screens show it."""
    rgba = rgba.astype(np.float64)
    opacity = rgba[..., 3:] / 255
    return np.rint(rgba[..., :3] * opacity + background * (1 - opacity))


def seen_delta_e(original: np.ndarray, redrawn: np.ndarray) -> np.ndarray:
    """Per-pixel ΔE_OK of two RGBA images over black and over white, the worse of the two."""
    over = [independent_delta_e(composited(original, g), composited(redrawn, g)) for g in (0, 255)]
    return np.maximum(*over)


def drawn_by_either(original: np.ndarray, redrawn: np.ndarray) -> np.ndarray:
    """The pixels that either RGBA image draws: those the measures as seen count."""
    return (original[..., 3] > 0) | (redrawn[..., 3] > 0)

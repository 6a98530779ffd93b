"""Colour quantisation with K-Means, written from scratch in NumPy."""

from kmeans.core import (
    KMeansResult,
    compute_centroids,
    distinct_colours,
    find_closest_centroids,
    kmeans_init_centroids,
    run_kmeans,
)
from kmeans.errors import BadImageError, KMeansError

__all__ = [
    "BadImageError",
    "KMeansError",
    "KMeansResult",
    "compute_centroids",
    "distinct_colours",
    "find_closest_centroids",
    "kmeans_init_centroids",
    "run_kmeans",
]

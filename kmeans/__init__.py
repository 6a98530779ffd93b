"""Colour quantisation with K-Means, written from scratch in NumPy.

The pipeline: image bytes → pixels (:func:`load_image`) → K-Means (:func:`run_kmeans`, or
:func:`quantize` for the whole recipe) → an indexed PNG (:func:`encode_png`) and its quality
(:func:`mse`, :func:`psnr`, :func:`ssim`).
"""

from kmeans.core import (
    ClusterSums,
    compute_centroids,
    distinct_colours,
    find_closest_centroids,
    kmeans_init_centroids,
    lloyd_rounds,
    run_kmeans,
)
from kmeans.encode import encode_gif, encode_png, teaching_sizes
from kmeans.errors import BadImageError, KMeansError
from kmeans.io import MAX_PIXELS, LoadedImage, load_image
from kmeans.metrics import mse, psnr, ssim
from kmeans.result import KMeansResult

__all__ = [
    "MAX_PIXELS",
    "BadImageError",
    "ClusterSums",
    "KMeansError",
    "KMeansResult",
    "LoadedImage",
    "compute_centroids",
    "distinct_colours",
    "encode_gif",
    "encode_png",
    "find_closest_centroids",
    "kmeans_init_centroids",
    "lloyd_rounds",
    "load_image",
    "mse",
    "psnr",
    "run_kmeans",
    "ssim",
    "teaching_sizes",
]

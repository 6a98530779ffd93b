"""Colour quantisation with K-Means, written from scratch in NumPy.

The pipeline: image bytes → pixels (:func:`load_image`) → K-Means (:func:`run_kmeans`, or
:func:`quantize` for the whole recipe) → an indexed PNG (:func:`encode_png`) and its quality
(:func:`mse`, :func:`psnr`, :func:`ssim`); :func:`compress` runs all of it.

>>> import numpy as np, kmeans
>>> rgb = np.zeros((4, 4, 3), dtype=np.uint8); rgb[:2] = (200, 30, 20)
>>> kmeans.quantize(rgb, 2).palette.tolist()
[[0, 0, 0], [200, 30, 20]]
"""

from kmeans.autok import KSearch, QualityTarget, largest_k_under_bytes, smallest_k_for_quality
from kmeans.core import (
    compute_centroids,
    find_closest_centroids,
    kmeans_init_centroids,
    lloyd_rounds,
    run_kmeans,
)
from kmeans.encode import encode_gif, encode_png, teaching_sizes
from kmeans.errors import BadImageError, KMeansError
from kmeans.histogram import ColourCounts, count_colours, distinct_colours
from kmeans.io import MAX_PIXELS, LoadedImage, load_image
from kmeans.metrics import mse, psnr, ssim
from kmeans.pipeline import Compression, compress
from kmeans.quantization import QuantizeResult, quantize
from kmeans.result import KMeansResult, label_dtype
from kmeans.settings import DEFAULT_MAX_ITERS, MAX_K, Settings

__all__ = [
    "DEFAULT_MAX_ITERS",
    "MAX_K",
    "MAX_PIXELS",
    "BadImageError",
    "ColourCounts",
    "Compression",
    "KMeansError",
    "KMeansResult",
    "KSearch",
    "LoadedImage",
    "QualityTarget",
    "QuantizeResult",
    "Settings",
    "compress",
    "compute_centroids",
    "count_colours",
    "distinct_colours",
    "encode_gif",
    "encode_png",
    "find_closest_centroids",
    "kmeans_init_centroids",
    "label_dtype",
    "largest_k_under_bytes",
    "lloyd_rounds",
    "load_image",
    "mse",
    "psnr",
    "quantize",
    "run_kmeans",
    "smallest_k_for_quality",
    "ssim",
    "teaching_sizes",
]

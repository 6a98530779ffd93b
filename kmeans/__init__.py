"""Colour quantisation with K-Means, written from scratch in NumPy.

The pipeline: image bytes → pixels (:func:`load_image`) → K-Means (:func:`run_kmeans`, or
:func:`quantize` for the whole recipe) → an indexed PNG (:func:`encode_png`) and its quality
(:func:`mse`, :func:`psnr`, :func:`ssim`); :func:`compress` runs all of it. Read
:mod:`kmeans.core` first: it is the method, step by step.

>>> import numpy as np, kmeans
>>> rgb = np.zeros((4, 4, 3), dtype=np.uint8); rgb[:2] = (200, 30, 20)
>>> kmeans.quantize(rgb, 2).palette.tolist()
[[0, 0, 0], [200, 30, 20]]

Glossary: one word for each idea, in the code, the docstrings and the command line.

K, ``k``
    The number of clusters: the colours of the palette. K in prose, ``k`` in code.
centroid
    A cluster's colour: the mean of its points. The palette is the centroids as 8-bit colours.
label
    The index of a point's centroid (an *assignment*); ``labels`` holds one per point, as
    :func:`~kmeans.result.label_dtype`. The lesson on the page calls a cluster a *team*.
inertia
    The sum of squared distances from each point to its centroid: what K-Means lowers.
iteration
    One assignment and one update. ``max_iters`` is the most a run may take, ``n_iters`` how
    many it took, ``--iters`` the command line's option.
round
    The state after an iteration, as :func:`lloyd_rounds` yields it and the lesson shows it;
    round 0 is the start.
fixed
    A centroid the update never moves: ``run_kmeans(fixed=...)`` names them by index,
    ``Settings(fixed_colours=...)`` and ``--fixed '#d62828'`` give them as colours (a brand
    colour, a skin tone). The page calls it "Lock a colour".
k-means++
    Choosing starting centroids spread far apart (``kmeans_init_centroids(init="kmeans++")``).
histogram seeding
    ``Settings(init="histogram")``, the default of :func:`quantize`: K-Means on the colour
    histogram from k-means++ starts, improved by swaps (:mod:`kmeans.seeding`). Its old name
    was ``init="kmeans++"``, which is still accepted.
engine
    :mod:`kmeans.engine`: the same Lloyd as :mod:`kmeans.core`, with exact accelerations.
colour counts
    An image's distinct colours and their pixel counts (:class:`ColourCounts`).
ΔE_OK, just noticeable
    100 × the distance in Oklab (:mod:`kmeans.perceptual`); 2 is just noticeable
    (:data:`kmeans.closeness.JUST_NOTICEABLE`).
as seen
    How an image with transparency is measured: it and its redrawing are composited over white
    and over black, and each pixel counts with the worse (:mod:`kmeans.perceptual`,
    :func:`~kmeans.pipeline.composited_mse`).
KMeansError
    What every refused input raises: one sentence for the person who gave it.
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

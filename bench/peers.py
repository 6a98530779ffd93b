"""Every quantiser the benchmarks compare, each defined once, each giving an :class:`Answer`.

* ``ours``: ``kmeans.quantize(rgb, K)``, what the command line and the page do;
  ``ours-oklab`` and ``ours-dither`` with ``space="oklab"`` and ``dither="selective"``.
* ``ours-lloyd``: ``kmeans.run_kmeans(rows, C0, 10)``, textbook Lloyd, like for like with
  ``sklearn-lloyd32`` and ``sklearn-lloyd64``: ``KMeans(K, init=C0, n_init=1, algorithm="lloyd",
  tol=0, max_iter=10)`` on the float32 or float64 rows, made outside the timing.
* ``sklearn-best``: the best-known MSE. k-means++ from 10 starts (2 above 5 MP) on the distinct
  colours, ``sample_weight`` their pixel counts.
* ``sklearn-one-fit``: ``KMeans(K, n_init=1, random_state=0)`` on every pixel (float32): one
  k-means++ start, with the default ``max_iter`` and ``tol``.
* ``recipe``: scikit-learn's colour-quantisation example, fit on 1,000 random pixels, predict
  all; its conversion to float32 is timed with it, as a user's script would run it.
* ``liq0``, ``liq1``: libimagequant with dithering 0 and 1.
* ``median-cut``, ``fast-octree``: Pillow's ``Image.quantize`` without dithering.
* ``pngquant-nofs``, ``pngquant``: the ``pngquant`` command line, undithered and its dithered
  default (``apt-get install -y pngquant``).

C0 (:func:`initial_centroids`) is K random distinct pixel colours, each nudged by less than a
quarter of a colour level. Integer centroids leave many integer pixels exactly halfway between
two of them; textbook Lloyd gives such a pixel to the lower index, while scikit-learn's distance
formula rounds either way, and the runs drift apart for reasons that are not errors. The nudge
makes exact ties impossible, so "same centroids" tests the algorithm.

libimagequant is called through ``quantize_raw_rgba_bytes`` with Pillow's RGBA bytes: what
``imagequant.quantize_pil_image`` does, without its Python list of every byte, which costs more
than the quantisation itself on 12 MP.
"""

from __future__ import annotations

import functools
import io
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imagequant
import numpy as np
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.utils import shuffle

import kmeans
from bench.photos import Photo
from kmeans.encode import encode_png

#: Iterations of the like-for-like Lloyd rows.
LLOYD_ITERS = 10
#: Pixels the recipe fits on, as in scikit-learn's example.
RECIPE_SAMPLE = 1000
#: The best-known MSE: scikit-learn's k-means++ from this many starts, fewer on large photos.
BEST_STARTS, BEST_LARGE_PIXELS, BEST_LARGE_STARTS = 10, 5_000_000, 2


@dataclass(frozen=True)
class Answer:
    """A method's result: each pixel's palette index and the palette.

    ``centroids`` are the unrounded colours where the method has them (the Lloyd rows compare
    them); ``png_bytes`` is set only by a method that writes its own file (pngquant).
    """

    palette: np.ndarray
    labels: np.ndarray
    centroids: np.ndarray | None = None
    png_bytes: int | None = None

    def image(self) -> np.ndarray:
        return self.palette[self.labels]

    def png_size(self) -> int:
        """Bytes of the indexed PNG: the method's own, or written by the same encoder for all."""
        return self.png_bytes or len(encode_png(self.palette, self.labels))


@dataclass(frozen=True)
class Peer:
    key: str
    label: str
    run: Callable[[Photo, int], Answer]
    dithered: bool = False


def _palette(centroids: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(centroids), 0, 255).astype(np.uint8)


def ours(**options) -> Callable[[Photo, int], Answer]:
    def run(photo: Photo, k: int) -> Answer:
        result = kmeans.quantize(photo.rgb, k, **options)
        return Answer(result.palette, result.labels)

    return run


@functools.cache
def initial_centroids(photo: Photo, k: int) -> np.ndarray:
    """C0, shared by the like-for-like Lloyd rows (see the module docstring)."""
    colours = kmeans.kmeans_init_centroids(photo.rows, k, init="random", seed=0)
    return colours + np.random.default_rng(1).uniform(-0.25, 0.25, colours.shape)


def ours_lloyd(photo: Photo, k: int) -> Answer:
    result = kmeans.run_kmeans(photo.rows, initial_centroids(photo, k), LLOYD_ITERS)
    shape = photo.rgb.shape[:2]
    return Answer(_palette(result.centroids), result.labels.reshape(shape), result.centroids)


def sklearn_lloyd(bits: int) -> Callable[[Photo, int], Answer]:
    """scikit-learn's Lloyd from C0 for exactly LLOYD_ITERS iterations (tol=0 never stops it)."""

    def run(photo: Photo, k: int) -> Answer:
        rows = photo.rows_float32 if bits == 32 else photo.rows_float64
        model = KMeans(
            k,
            init=initial_centroids(photo, k),
            n_init=1,
            algorithm="lloyd",
            tol=0,
            max_iter=LLOYD_ITERS,
        ).fit(rows)
        labels = model.labels_.reshape(photo.rgb.shape[:2])
        return Answer(_palette(model.cluster_centers_), labels, model.cluster_centers_)

    return run


def _distinct(photo: Photo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct colours, counts and each pixel's colour, by NumPy alone (not the library's)."""
    keys = photo.rows.astype(np.int32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.int32)
    present, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    colours = (present[:, None] >> np.array([16, 8, 0])) & 255
    return colours.astype(np.float64), counts, inverse.reshape(-1)


def sklearn_best(photo: Photo, k: int) -> Answer:
    """k-means++ from several starts on the distinct colours, weighted by their counts."""
    colours, counts, inverse = _distinct(photo)
    starts = BEST_STARTS if photo.pixels <= BEST_LARGE_PIXELS else BEST_LARGE_STARTS
    model = KMeans(k, n_init=starts, random_state=0).fit(colours, sample_weight=counts)
    labels = model.labels_.astype(np.uint8)[inverse].reshape(photo.rgb.shape[:2])
    return Answer(_palette(model.cluster_centers_), labels, model.cluster_centers_)


def sklearn_one_fit(photo: Photo, k: int) -> Answer:
    model = KMeans(k, n_init=1, random_state=0).fit(photo.rows_float32)
    labels = model.labels_.reshape(photo.rgb.shape[:2])
    return Answer(_palette(model.cluster_centers_), labels, model.cluster_centers_)


def sklearn_recipe(photo: Photo, k: int) -> Answer:
    """Fit on 1,000 random pixels, predict every pixel; the conversion to float is timed too."""
    X = photo.rows.astype(np.float32)
    model = KMeans(k, random_state=0).fit(shuffle(X, random_state=0, n_samples=RECIPE_SAMPLE))
    labels = model.predict(X).reshape(photo.rgb.shape[:2])
    return Answer(_palette(model.cluster_centers_), labels, model.cluster_centers_)


def libimagequant(dithering: float) -> Callable[[Photo, int], Answer]:
    def run(photo: Photo, k: int) -> Answer:
        height, width, _ = photo.rgb.shape
        rgba = photo.pil.convert("RGBA")
        indices, palette = imagequant.quantize_raw_rgba_bytes(
            rgba.tobytes(), width, height, dithering_level=dithering, max_colors=k
        )
        palette = np.array(palette, dtype=np.uint8).reshape(-1, 4)[:, :3]
        return Answer(palette, np.frombuffer(indices, dtype=np.uint8).reshape(height, width))

    return run


def pillow(method: Image.Quantize) -> Callable[[Photo, int], Answer]:
    def run(photo: Photo, k: int) -> Answer:
        indexed = photo.pil.quantize(k, method=method)
        palette = np.array(indexed.getpalette(), dtype=np.uint8).reshape(-1, 3)
        labels = np.asarray(indexed)
        return Answer(palette[: labels.max() + 1], labels)

    return run


def pngquant(*flags: str) -> Callable[[Photo, int], Answer]:
    """The pngquant command line, with its own PNG's bytes (it writes the file itself)."""

    def run(photo: Photo, k: int) -> Answer:
        with tempfile.TemporaryDirectory() as folder:
            source, target = Path(folder) / "in.png", Path(folder) / "out.png"
            photo.pil.save(source, compress_level=1)
            subprocess.run(
                ["pngquant", str(k), *flags, "--force", "--output", str(target), str(source)],
                check=True,
            )
            data = target.read_bytes()
        with Image.open(io.BytesIO(data)) as written:
            palette = np.array(written.getpalette(), dtype=np.uint8).reshape(-1, 3)
            labels = np.asarray(written)
        return Answer(palette, labels, png_bytes=len(data))

    return run


OURS = Peer("ours", "ours: quantize() defaults", ours())
OURS_OKLAB = Peer("ours-oklab", "ours: space='oklab'", ours(space="oklab"))
OURS_DITHER = Peer("ours-dither", "ours: dither='selective'", ours(dither="selective"), True)
OURS_LLOYD = Peer("ours-lloyd", f"ours: run_kmeans, {LLOYD_ITERS} iterations from C0", ours_lloyd)
SKLEARN_LLOYD32 = Peer(
    "sklearn-lloyd32",
    f"scikit-learn Lloyd, {LLOYD_ITERS} from C0, float32",
    sklearn_lloyd(np.float32),
)
SKLEARN_LLOYD64 = Peer(
    "sklearn-lloyd64",
    f"scikit-learn Lloyd, {LLOYD_ITERS} from C0, float64",
    sklearn_lloyd(np.float64),
)
SKLEARN_BEST = Peer("sklearn-best", "scikit-learn best of 10 starts (best-known MSE)", sklearn_best)
SKLEARN_ONE_FIT = Peer("sklearn-one-fit", "scikit-learn one fit on every pixel", sklearn_one_fit)
RECIPE = Peer("recipe", "scikit-learn recipe (fit 1,000 px, predict all)", sklearn_recipe)
LIQ0 = Peer("liq0", "libimagequant, dithering 0", libimagequant(0.0))
LIQ1 = Peer("liq1", "libimagequant, dithering 1", libimagequant(1.0), True)
MEDIAN_CUT = Peer("median-cut", "Pillow median cut", pillow(Image.Quantize.MEDIANCUT))
FAST_OCTREE = Peer("fast-octree", "Pillow fast octree", pillow(Image.Quantize.FASTOCTREE))
PNGQUANT_NOFS = Peer("pngquant-nofs", "pngquant --nofs", pngquant("--nofs"))
PNGQUANT = Peer("pngquant", "pngquant (default: dithered)", pngquant(), True)

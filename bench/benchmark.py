"""Benchmark: our K-Means colour quantisation against scikit-learn, Pillow and libimagequant.

Run by hand, from anywhere (the test suite never runs it)::

    python bench/benchmark.py                 # samples + a 12 MP photo, a few minutes
    python bench/benchmark.py --quick         # samples only, one timed run each
    python bench/benchmark.py --repeats 7 --out bench/results/mine.md

Every method quantises the same images to the same K in one run, and every reconstruction is
judged the same way: :func:`kmeans.metrics.mse` of the original against the palette (rounded to
8-bit colours) indexed by each pixel's label. It prints one Markdown table, then a "Targets"
section that checks the goals the defaults in :mod:`kmeans.quantize` were chosen to meet, and
writes both to a Markdown file. See ``bench/README.md`` for what each row means.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import imagequant
import numpy as np
import PIL
import sklearn
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.utils import shuffle
from threadpoolctl import threadpool_info

REPO = Path(__file__).resolve().parent.parent
# `python bench/benchmark.py` puts bench/ first on the path, not the repository root.
sys.path.insert(0, str(REPO))

from kmeans import kmeans_init_centroids, load_image, mse, run_kmeans  # noqa: E402
from kmeans.quantization import quantize  # noqa: E402

SAMPLES = ("astronaut", "coffee", "chelsea")
SAMPLE_DIR = REPO / "assets" / "samples"
#: The large photo: this sample, Lanczos-resized to this size (12 MP).
LARGE_SOURCE, LARGE_SIZE = "astronaut", (4000, 3000)
KS = (16, 64)
#: Iterations of the two like-for-like Lloyd rows (ours exact and scikit-learn's).
LLOYD_ITERS = 10
SAMPLE_REPEATS, LARGE_REPEATS = 5, 3
#: Pixels the scikit-learn recipe fits on, as in its colour-quantisation example.
RECIPE_SAMPLE = 1000

#: Targets, from the brief that set the defaults of kmeans.quantize.
EXACT_TIME_RATIO = 0.3  # ours exact ≤ 0.3 × scikit-learn Lloyd (float32), on the large photo
SAME_CENTROIDS = 0.5  # every centroid within this of scikit-learn's float64 Lloyd
QUANTIZE_MSE_RATIO = 1.02  # quantize's MSE ≤ 1.02 × scikit-learn's full fit (and ≤ libimagequant)
QUANTIZE_TIME_RATIO = 1.5  # in ≤ 1.5 × the time of scikit-learn's fit-on-1000 recipe


# ---------------------------------------------------------------------------------------------
# The images


@dataclass
class Photo:
    """One test image and the inputs each method takes, each built once and shared by all K."""

    name: str
    description: str
    rgb: np.ndarray
    large: bool = False

    @cached_property
    def pixels(self) -> np.ndarray:
        """(N, 3) uint8, what run_kmeans takes."""
        return self.rgb.reshape(-1, 3)

    @cached_property
    def pixels_float32(self) -> np.ndarray:
        # Built outside the timed region: scikit-learn's times exclude the conversion, which
        # only makes the targets against it harder for us.
        return self.pixels.astype(np.float32)

    @cached_property
    def pixels_float64(self) -> np.ndarray:
        return self.pixels.astype(np.float64)

    @cached_property
    def pil(self) -> Image.Image:
        return Image.fromarray(self.rgb)

    @property
    def megapixels(self) -> float:
        return self.rgb.shape[0] * self.rgb.shape[1] / 1e6


def load_sample(name: str) -> Photo:
    """A photo from assets/samples, read with the tool's own loader."""
    rgb = load_image(SAMPLE_DIR / f"{name}.png").rgb
    height, width, _ = rgb.shape
    return Photo(name, f"{name}.png, {width}×{height} ({height * width / 1e6:.2f} MP)", rgb)


def build_large_photo(source: Photo) -> Photo:
    """A 12 MP photo made from a sample by Lanczos resizing (stretched to 4:3)."""
    width, height = LARGE_SIZE
    rgb = np.asarray(source.pil.resize(LARGE_SIZE, Image.Resampling.LANCZOS))
    source_height, source_width, _ = source.rgb.shape
    description = (
        f"{source.name}.png ({source_width}×{source_height}) resized with Pillow's Lanczos "
        f"filter to {width}×{height} ({width * height / 1e6:.1f} MP), stretched to 4:3"
    )
    return Photo(f"{source.name}-{width * height // 1_000_000}mp", description, rgb, large=True)


@dataclass
class Case:
    """One photo at one K: a row group of the table."""

    photo: Photo
    k: int

    @cached_property
    def initial_centroids(self) -> np.ndarray:
        """C0, shared by the like-for-like Lloyd rows so they start from the same place.

        K random distinct pixel colours, each moved by less than a quarter of a colour level.
        Integer centroids leave many integer pixels exactly halfway between two of them;
        textbook Lloyd gives such a pixel to the lower index, while scikit-learn's distance
        formula rounds either way, and the runs drift apart for reasons that are not errors.
        The nudge makes exact ties impossible, so "same centroids" tests the algorithm.
        """
        colours = kmeans_init_centroids(self.photo.pixels, self.k, init="random", seed=0)
        nudge = np.random.default_rng(1).uniform(-0.25, 0.25, colours.shape)
        return colours + nudge


# ---------------------------------------------------------------------------------------------
# The methods: each takes a Case and returns its palette and per-pixel labels.


@dataclass(frozen=True)
class Quantised:
    """A method's answer: K colours (float centroids or uint8) and each pixel's index into them."""

    centroids: np.ndarray
    labels: np.ndarray

    def image(self, shape: tuple[int, ...]) -> np.ndarray:
        """The reconstruction: centroids rounded to 8-bit colours, indexed by the labels."""
        palette = np.clip(np.rint(self.centroids), 0, 255).astype(np.uint8)
        return palette[self.labels.reshape(-1)].reshape(shape)


def ours_quantize(case: Case) -> Quantised:
    result = quantize(case.photo.rgb, case.k)
    return Quantised(result.palette, result.labels)


def ours_exact(case: Case) -> Quantised:
    result = run_kmeans(case.photo.pixels, case.initial_centroids, LLOYD_ITERS, tol=0)
    return Quantised(result.centroids, result.labels)


def sklearn_lloyd(X: np.ndarray, case: Case) -> Quantised:
    """scikit-learn's Lloyd from C0 for exactly LLOYD_ITERS iterations (tol=0 never stops it)."""
    model = KMeans(
        n_clusters=case.k,
        init=case.initial_centroids,
        n_init=1,
        algorithm="lloyd",
        tol=0,
        max_iter=LLOYD_ITERS,
    ).fit(X)
    return Quantised(model.cluster_centers_, model.labels_)


def sklearn_lloyd_float32(case: Case) -> Quantised:
    return sklearn_lloyd(case.photo.pixels_float32, case)


def sklearn_lloyd_float64(case: Case) -> Quantised:
    # float32 sums drift by about one colour unit on 12 MP, so the centroid check uses float64.
    return sklearn_lloyd(case.photo.pixels_float64, case)


def sklearn_full_fit(case: Case) -> Quantised:
    model = KMeans(n_clusters=case.k, n_init=1, random_state=0).fit(case.photo.pixels_float32)
    return Quantised(model.cluster_centers_, model.labels_)


def sklearn_recipe(case: Case) -> Quantised:
    """scikit-learn's colour-quantisation example: fit on 1,000 random pixels, predict all."""
    X = case.photo.pixels_float32
    sample = shuffle(X, random_state=0, n_samples=RECIPE_SAMPLE)
    model = KMeans(n_clusters=case.k, random_state=0).fit(sample)
    return Quantised(model.cluster_centers_, model.predict(X))


def pillow(method: Image.Quantize) -> Callable[[Case], Quantised]:
    def run(case: Case) -> Quantised:
        indexed = case.photo.pil.quantize(case.k, method=method)
        palette = np.array(indexed.getpalette(), dtype=np.uint8).reshape(-1, 3)
        return Quantised(palette, np.asarray(indexed))

    return run


def libimagequant(case: Case) -> Quantised:
    """libimagequant without dithering, so its error is comparable with plain nearest-colour maps.

    This is exactly what ``imagequant.quantize_pil_image(image, dithering_level=0.0,
    max_colors=K)`` does, except that it gets the RGBA bytes from Pillow's ``tobytes`` instead of
    a Python list of every value, which takes longer than the quantisation itself on 12 MP.
    """
    rgba = case.photo.pil.convert("RGBA")
    indices, palette = imagequant.quantize_raw_rgba_bytes(
        rgba.tobytes(), rgba.width, rgba.height, dithering_level=0.0, max_colors=case.k
    )
    palette = np.array(palette, dtype=np.uint8).reshape(-1, 4)[:, :3]
    return Quantised(palette, np.frombuffer(indices, dtype=np.uint8))


#: How many timed runs a method gets.
REPEAT = "repeat"  # the usual number, after a warm-up run
ONCE_ON_LARGE = "once on large"  # one run without warm-up on the large photo: it takes ~40 s there
ONCE = "once"  # one run without warm-up anywhere: a reference, not a contender


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    run: Callable[[Case], Quantised]
    runs: str = REPEAT


METHODS = (
    Method("ours", "ours: quantize() defaults", ours_quantize),
    Method("exact", f"ours exact: run_kmeans {LLOYD_ITERS} it from C0", ours_exact),
    Method("lloyd32", f"sklearn Lloyd {LLOYD_ITERS} it from C0, float32", sklearn_lloyd_float32),
    Method(
        "lloyd64",
        f"sklearn Lloyd {LLOYD_ITERS} it from C0, float64 (reference)",
        sklearn_lloyd_float64,
        ONCE,
    ),
    Method("full", "sklearn full fit (k-means++)", sklearn_full_fit, ONCE_ON_LARGE),
    Method("recipe", "sklearn recipe (fit 1000, predict all)", sklearn_recipe),
    Method("mediancut", "Pillow MEDIANCUT", pillow(Image.Quantize.MEDIANCUT)),
    Method("octree", "Pillow FASTOCTREE", pillow(Image.Quantize.FASTOCTREE)),
    Method("liq", "libimagequant (no dithering)", libimagequant),
)


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass(frozen=True)
class Row:
    case: Case
    method: Method
    seconds: float
    runs: int
    mse: float
    centroids: np.ndarray


def measure(method: Method, case: Case, repeats: int) -> Row:
    """Median wall time of ``repeats`` runs (fewer for slow rows) and the MSE of the last one."""
    once = method.runs == ONCE or (method.runs == ONCE_ON_LARGE and case.photo.large)
    if not once:
        method.run(case)  # warm-up: the first call pays for imports, thread pools and caches
    times = []
    for _ in range(1 if once else repeats):
        started = time.perf_counter()
        result = method.run(case)
        times.append(time.perf_counter() - started)
    error = mse(case.photo.rgb, result.image(case.photo.rgb.shape))
    return Row(case, method, statistics.median(times), len(times), error, result.centroids)


def measure_all(photos: list[Photo], repeats: int | None) -> dict[tuple[str, int], dict]:
    """Every method on every photo at every K: {(photo, K): {method key: Row}}."""
    results = {}
    for photo in photos:
        photo_repeats = repeats or (LARGE_REPEATS if photo.large else SAMPLE_REPEATS)
        for k in KS:
            case = Case(photo, k)
            rows = {}
            for method in METHODS:
                print(f"  {photo.name} K={k}: {method.label} …", file=sys.stderr, flush=True)
                rows[method.key] = measure(method, case, photo_repeats)
            results[photo.name, k] = rows
    return results


# ---------------------------------------------------------------------------------------------
# Reporting


def machine_lines() -> Iterator[str]:
    """The machine and library versions, so numbers from different runs can be compared."""
    yield f"- Date: {datetime.datetime.now():%Y-%m-%d %H:%M}"
    yield f"- Machine: {platform.machine()}, {cpu_model()}, {os.cpu_count()} CPUs"
    yield f"- Load average at start (1/5/15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    yield (
        f"- Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, Pillow {PIL.__version__}, imagequant {version('imagequant')}"
    )
    for pool in threadpool_info():
        yield (
            f"- Thread pool: {pool['internal_api']} ({pool['user_api']}), "
            f"{pool['num_threads']} threads, {Path(pool['filepath']).name}"
        )


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def table_lines(results: dict[tuple[str, int], dict]) -> Iterator[str]:
    yield (
        "| image | K | method | median time (s) | runs | MSE | time / recipe "
        "| MSE / full fit | MSE / libimagequant | notes |"
    )
    yield "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
    for (photo, k), rows in results.items():
        for row in rows.values():
            yield (
                f"| {photo} | {k} | {row.method.label} | {row.seconds:.3f} | {row.runs} "
                f"| {row.mse:.2f} | {row.seconds / rows['recipe'].seconds:.2f}× "
                f"| {row.mse / rows['full'].mse:.3f}× | {row.mse / rows['liq'].mse:.3f}× "
                f"| {row_note(row, rows)} |"
            )


def row_note(row: Row, rows: dict[str, Row]) -> str:
    if row.method.key == "exact":
        gap64, gap32 = centroid_gap(row, rows["lloyd64"]), centroid_gap(row, rows["lloyd32"])
        return (
            f"max abs centroid diff vs sklearn Lloyd float64 {gap64:.4f}, vs float32 {gap32:.4f}; "
            f"{row.seconds / rows['lloyd32'].seconds:.2f}× sklearn Lloyd float32 time"
        )
    if row.method.runs == ONCE:
        return "one run, no warm-up; the reference for the centroid check"
    if row.method.runs == ONCE_ON_LARGE and row.case.photo.large:
        return "one run, no warm-up (slow on the large photo)"
    return ""


def centroid_gap(row: Row, reference: Row) -> float:
    """Largest |difference| of any centroid coordinate, in 0–255 colour units."""
    return float(np.abs(row.centroids - reference.centroids).max())


def pass_fail(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def exact_target_lines(results: dict[tuple[str, int], dict], large: str | None) -> Iterator[str]:
    """Ours exact against scikit-learn's Lloyd: speed on the large photo, centroids everywhere."""
    yield (
        f"**Exact Lloyd, {LLOYD_ITERS} iterations from the same C0**: time ≤ "
        f"{EXACT_TIME_RATIO}× sklearn Lloyd float32 on the large photo; every centroid within "
        f"{SAME_CENTROIDS} of sklearn Lloyd float64."
    )
    yield ""
    if large is None:
        yield "- Speed: not measured (`--quick` leaves out the large photo)."
    for (photo, k), rows in results.items():
        exact, lloyd32 = rows["exact"], rows["lloyd32"]
        if photo == large:
            ratio = exact.seconds / lloyd32.seconds
            yield (
                f"- Speed, {photo}, K={k}: {pass_fail(ratio <= EXACT_TIME_RATIO)}: "
                f"{exact.seconds:.3f} s vs {lloyd32.seconds:.3f} s = {ratio:.2f}×"
            )
    for (photo, k), rows in results.items():
        exact, lloyd32, lloyd64 = rows["exact"], rows["lloyd32"], rows["lloyd64"]
        gap64, gap32 = centroid_gap(exact, lloyd64), centroid_gap(exact, lloyd32)
        yield (
            f"- Centroids, {photo}, K={k}: {pass_fail(gap64 <= SAME_CENTROIDS)}: "
            f"max diff {gap64:.4f} vs float64 (vs float32: {gap32:.4f})"
        )
    yield (
        "- (C0 are pixel colours nudged by < 0.25 so no pixel ties exactly; see bench/README.md "
        "on why they can make a centroid FAIL without either side being wrong.)"
    )


def quantize_target_lines(results: dict[tuple[str, int], dict]) -> Iterator[str]:
    """quantize() defaults against the full fit, libimagequant and the recipe, per photo and K."""
    yield (
        f"**quantize() defaults**: MSE ≤ {QUANTIZE_MSE_RATIO}× sklearn full fit and ≤ "
        f"libimagequant, in ≤ {QUANTIZE_TIME_RATIO}× the sklearn recipe's time."
    )
    yield ""
    for (photo, k), rows in results.items():
        ours, full, liq, recipe = rows["ours"], rows["full"], rows["liq"], rows["recipe"]
        vs_full, vs_recipe = ours.mse / full.mse, ours.seconds / recipe.seconds
        checks = {
            "MSE vs full fit": vs_full <= QUANTIZE_MSE_RATIO,
            "MSE vs libimagequant": ours.mse <= liq.mse,
            "time vs recipe": vs_recipe <= QUANTIZE_TIME_RATIO,
        }
        failed = [name for name, ok in checks.items() if not ok]
        verdict = pass_fail(not failed) + (f" ({', '.join(failed)})" if failed else "")
        yield (
            f"- {photo}, K={k}: {verdict}: MSE {ours.mse:.2f} = {vs_full:.3f}× full fit "
            f"({full.mse:.2f}), libimagequant {liq.mse:.2f}; time {ours.seconds:.3f} s = "
            f"{vs_recipe:.2f}× recipe ({recipe.seconds:.3f} s)"
        )


def report_lines(
    photos: list[Photo], results: dict[tuple[str, int], dict], quick: bool
) -> Iterator[str]:
    large = next((photo.name for photo in photos if photo.large), None)
    yield "# K-Means colour quantisation benchmark" + (" (--quick)" if quick else "")
    yield ""
    yield from machine_lines()
    yield ""
    yield "Images:"
    yield ""
    for photo in photos:
        yield f"- **{photo.name}**: {photo.description}"
    yield ""
    yield (
        "Time: time.perf_counter, median of the timed runs (column `runs`), after one warm-up "
        "run except where the notes say otherwise; scikit-learn gets its float32/float64 copy "
        "of the pixels ready-made. MSE: kmeans.metrics.mse of the original against the "
        "palette rounded to 8-bit colours, indexed by the labels; 0–255 units. "
        "C0 = kmeans_init_centroids(X, K, init='random', seed=0). Ratio columns divide by the "
        "same image and K's sklearn recipe time, sklearn full fit MSE and libimagequant MSE. "
        "The machine may be shared, so times are noisy."
    )
    yield ""
    yield from table_lines(results)
    yield ""
    yield "## Targets"
    yield ""
    yield from exact_target_lines(results, large)
    yield ""
    yield from quantize_target_lines(results)


def default_output(quick: bool) -> Path:
    suffix = "-quick" if quick else ""
    return REPO / "bench" / "results" / f"benchmark-{datetime.date.today():%Y-%m-%d}{suffix}.md"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="samples only (no large photo), one timed run each"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help=f"timed runs per row (default {SAMPLE_REPEATS} on samples, {LARGE_REPEATS} on the "
        "large photo; the full fit runs once on the large photo whatever this says)",
    )
    parser.add_argument(
        "--out", type=Path, help="Markdown file to write (default bench/results/benchmark-DATE.md)"
    )
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1.")
    if args.quick and args.repeats is None:
        args.repeats = 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    photos = [load_sample(name) for name in SAMPLES]
    if not args.quick:
        source = next(photo for photo in photos if photo.name == LARGE_SOURCE)
        photos.append(build_large_photo(source))
    results = measure_all(photos, args.repeats)
    report = "\n".join(report_lines(photos, results, args.quick)) + "\n"
    print(report)
    out = args.out or default_output(args.quick)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(f"Written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

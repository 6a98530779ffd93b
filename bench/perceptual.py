"""Benchmark: what the eye sees. Every quantiser on the same photos, judged by perceptual metrics.

Run by hand (the test suite never runs it)::

    python bench/perceptual.py                 # samples, the ladybird, a 12 MP photo; ~15 min
    python bench/perceptual.py --quick         # samples and a small ladybird, K=16 only
    python bench/perceptual.py --out bench/results/perceptual.md

For each photo and K (16, 32, 64) every method's result is judged the same way: MSE as a ratio
to the best MSE any undithered method reached, mean and 99th-percentile ΔE_OK, lost hue (see
:mod:`kmeans.metrics`), the bytes of its PNG and its time. Then come the targets of the quality
issue, and the command line against ``pngquant 64 --nofs`` on a batch of photos.
"""

from __future__ import annotations

import argparse
import datetime
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import imagequant
import numpy as np
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.utils import shuffle

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmark import machine_lines  # noqa: E402

import kmeans  # noqa: E402
from kmeans.encode import encode_png  # noqa: E402
from kmeans.metrics import mse, perceptual_error  # noqa: E402
from kmeans.samples import ladybird, sky  # noqa: E402

SAMPLES = ("astronaut", "coffee", "chelsea")
KS = (16, 32, 64)
LADYBIRD_SIZE = (2400, 1700)  # 4 MP
LARGE_SIZE = (4000, 3000)  # 12 MP
REPEATS = 3
#: The best-known-MSE reference: scikit-learn's k-means++ from this many starts.
FULL_FIT_STARTS = 10
#: On photos above this many pixels the full fit takes minutes per K, so it starts fewer times.
FULL_FIT_LARGE_PIXELS, FULL_FIT_LARGE_STARTS = 5_000_000, 2
RECIPE_SAMPLE = 1000

#: Targets of the quality issue.
LOST_HUE_LIMIT = 12.0
MSE_LIMIT = 1.03
SEEDS = range(5)
RECIPE_TIME_LIMIT = 2.0
RECIPE_FROM_PIXELS = 1_000_000


@dataclass(frozen=True)
class Photo:
    name: str
    description: str
    rgb: np.ndarray
    small_object: np.ndarray | None = None  # where the small vivid object is, if the photo has one

    @property
    def pixels(self) -> int:
        return self.rgb.shape[0] * self.rgb.shape[1]


@dataclass(frozen=True)
class Answer:
    """A method's result: each pixel's colour index and the palette; pngquant's own file size.

    Every other method's PNG is written after the timing, by the same encoder, so the times
    compare the quantisers, not zlib.
    """

    palette: np.ndarray
    labels: np.ndarray
    png_bytes: int | None = None

    def image(self) -> np.ndarray:
        return self.palette[self.labels]


def png_size(palette: np.ndarray, labels: np.ndarray) -> int:
    """Bytes of the indexed PNG, written the same way for every method (Pillow, level 9)."""
    return len(encode_png(palette, labels))


def ours(**options) -> Callable[[Photo, int], Answer]:
    def run(photo: Photo, k: int) -> Answer:
        result = kmeans.quantize(photo.rgb, k, **options)
        return Answer(result.palette, result.labels)

    return run


def sklearn_full_fit(photo: Photo, k: int) -> Answer:
    """k-means++ from several starts on the distinct colours, weighted by their counts."""
    colours, counts, inverse = kmeans.distinct_colours(photo.rgb.reshape(-1, 3))
    starts = FULL_FIT_STARTS if photo.pixels <= FULL_FIT_LARGE_PIXELS else FULL_FIT_LARGE_STARTS
    model = KMeans(k, n_init=starts, random_state=0).fit(
        colours.astype(float), sample_weight=counts
    )
    palette = np.clip(np.rint(model.cluster_centers_), 0, 255).astype(np.uint8)
    labels = model.labels_.astype(np.uint8)[inverse].reshape(photo.rgb.shape[:2])
    return Answer(palette, labels)


def sklearn_recipe(photo: Photo, k: int) -> Answer:
    X = photo.rgb.reshape(-1, 3).astype(np.float32)
    model = KMeans(k, random_state=0).fit(shuffle(X, random_state=0, n_samples=RECIPE_SAMPLE))
    palette = np.clip(np.rint(model.cluster_centers_), 0, 255).astype(np.uint8)
    labels = model.predict(X).astype(np.uint8).reshape(photo.rgb.shape[:2])
    return Answer(palette, labels)


def libimagequant(dithering: float) -> Callable[[Photo, int], Answer]:
    def run(photo: Photo, k: int) -> Answer:
        height, width, _ = photo.rgb.shape
        rgba = Image.fromarray(photo.rgb).convert("RGBA")
        indices, palette = imagequant.quantize_raw_rgba_bytes(
            rgba.tobytes(), width, height, dithering_level=dithering, max_colors=k
        )
        palette = np.array(palette, dtype=np.uint8).reshape(-1, 4)[:, :3]
        labels = np.frombuffer(indices, dtype=np.uint8).reshape(height, width)
        return Answer(palette, labels)

    return run


def median_cut(photo: Photo, k: int) -> Answer:
    indexed = Image.fromarray(photo.rgb).quantize(k, method=Image.Quantize.MEDIANCUT)
    palette = np.array(indexed.getpalette(), dtype=np.uint8).reshape(-1, 3)
    labels = np.asarray(indexed)
    return Answer(palette[: labels.max() + 1], labels)


def pngquant(*flags: str) -> Callable[[Photo, int], Answer]:
    """The pngquant command line; its own PNG's bytes (it writes them itself)."""

    def run(photo: Photo, k: int) -> Answer:
        with tempfile.TemporaryDirectory() as folder:
            source, target = Path(folder) / "in.png", Path(folder) / "out.png"
            Image.fromarray(photo.rgb).save(source, compress_level=1)
            subprocess.run(
                ["pngquant", str(k), *flags, "--force", "--output", str(target), str(source)],
                check=True,
            )
            data = target.read_bytes()
        with Image.open(io.BytesIO(data)) as written:
            palette = np.array(written.getpalette(), dtype=np.uint8).reshape(-1, 3)
            labels = np.asarray(written)
        return Answer(palette, labels, len(data))

    return run


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    run: Callable[[Photo, int], Answer]
    dithered: bool = False
    once: bool = False


METHODS = (
    Method("ours", "ours: quantize() defaults", ours()),
    Method("ours-oklab", "ours: space='oklab'", ours(space="oklab")),
    Method("ours-dither", "ours: dither='selective'", ours(dither="selective"), dithered=True),
    Method("full", "sklearn full fit (k-means++, several starts)", sklearn_full_fit, once=True),
    Method("recipe", "sklearn recipe (fit 1000, predict all)", sklearn_recipe),
    Method("liq0", "libimagequant, dithering 0", libimagequant(0.0)),
    Method("liq1", "libimagequant, dithering 1", libimagequant(1.0), dithered=True),
    Method("mediancut", "Pillow median cut", median_cut),
    Method("pngquant-nofs", "pngquant --nofs", pngquant("--nofs")),
    Method("pngquant", "pngquant (default: dithered)", pngquant(), dithered=True),
)


@dataclass(frozen=True)
class Row:
    method: Method
    seconds: float
    mse: float
    delta_e: float
    delta_e_p99: float
    lost_hue: float
    png_bytes: int


def measure(method: Method, photo: Photo, k: int, repeats: int) -> Row:
    if not method.once:
        method.run(photo, k)  # warm-up: imports, thread pools, caches
    times = []
    for _ in range(1 if method.once else repeats):
        started = time.perf_counter()
        answer = method.run(photo, k)
        times.append(time.perf_counter() - started)
    image = answer.image()
    seen = perceptual_error(photo.rgb, image)
    png_bytes = answer.png_bytes or png_size(answer.palette, answer.labels)
    return Row(
        method,
        statistics.median(times),
        mse(photo.rgb, image),
        seen.delta_e,
        seen.delta_e_p99,
        seen.lost_hue,
        png_bytes,
    )


def red_kept(photo: Photo, k: int, seed: int) -> bool:
    """Whether the small red object is still red: ≥ 90% of its pixels have R > 2G."""
    shell = kmeans.quantize(photo.rgb, k, seed=seed).image[photo.small_object].astype(int)
    return bool((shell[:, 0] > 2 * shell[:, 1]).mean() >= 0.9)


# ---------------------------------------------------------------------------------------------
# The photos


def sample(name: str) -> Photo:
    rgb = kmeans.load_image(REPO / "assets" / "samples" / f"{name}.png").rgb
    height, width, _ = rgb.shape
    return Photo(name, f"assets/samples/{name}.png, {width}×{height}", rgb)


def ladybird_photo(size: tuple[int, int]) -> Photo:
    rgb = ladybird(*size)
    red = (rgb[..., 0] > 100) & (rgb[..., 0] > 2.5 * rgb[..., 1].astype(int))
    description = (
        f"bench/photos.py ladybird(), {size[0]}×{size[1]}: a red beetle on textured grass, "
        f"{red.mean():.2%} of the pixels"
    )
    return Photo(f"ladybird-{size[0] * size[1] // 1_000_000}mp", description, rgb, red)


def sky_photo() -> Photo:
    rgb = sky()
    height, width, _ = rgb.shape
    description = (
        f"bench/photos.py sky(), {width}×{height}: a smooth evening gradient over a dark hill, "
        "where clusters are only a few levels wide"
    )
    return Photo(f"sky-{height * width // 1_000_000}mp", description, rgb)


def large_photo() -> Photo:
    source = Image.open(REPO / "assets" / "samples" / "astronaut.png").convert("RGB")
    rgb = np.asarray(source.resize(LARGE_SIZE, Image.Resampling.LANCZOS))
    return Photo("astronaut-12mp", "astronaut.png, Lanczos to 4000×3000 (12 MP)", rgb)


# ---------------------------------------------------------------------------------------------
# The command line against pngquant on a batch


def batch_lines(photos: list[Photo], k: int = 64) -> Iterator[str]:
    """`python -m kmeans` and `pngquant K --nofs` on the same files: total time, MSE, bytes."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        files = []
        for photo in photos:
            path = folder / f"{photo.name}.png"
            Image.fromarray(photo.rgb).save(path, compress_level=1)
            files.append(path)
        ours_out = folder / "ours"
        ours_out.mkdir()
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kmeans",
                *map(str, files),
                "-k",
                str(k),
                "-o",
                str(ours_out),
                "-q",
            ],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        # pngquant replaces each input with its result (--ext .png --force); ours ran first.
        subprocess.run(
            ["pngquant", str(k), "--nofs", "--force", "--ext", ".png", *map(str, files)],
            check=True,
        )
        theirs_seconds = time.perf_counter() - started
        yield f"`python -m kmeans FILES -k {k}` against `pngquant {k} --nofs FILES`:"
        yield ""
        yield f"- total time: ours {ours_seconds:.2f} s, pngquant {theirs_seconds:.2f} s "
        yield f"  ({ours_seconds / theirs_seconds:.2f}×)"
        yield ""
        yield "| photo | ours MSE | pngquant MSE | ours bytes | pngquant bytes |"
        yield "|---|---:|---:|---:|---:|"
        better = 0
        for photo, path in zip(photos, files, strict=True):
            ours_file = ours_out / f"{path.stem}-k{k}.png"
            ours_mse = mse(photo.rgb, kmeans.load_image(ours_file).rgb)
            theirs_mse = mse(photo.rgb, kmeans.load_image(path).rgb)  # pngquant wrote in place
            ours_bytes, theirs_bytes = ours_file.stat().st_size, path.stat().st_size
            better += ours_mse <= theirs_mse and ours_bytes <= theirs_bytes
            yield (
                f"| {photo.name} | {ours_mse:.2f} | {theirs_mse:.2f} | {ours_bytes:,} "
                f"| {theirs_bytes:,} |"
            )
        yield ""
        yield f"Lower or equal MSE and smaller or equal file on {better} of {len(photos)} photos."


# ---------------------------------------------------------------------------------------------
# Report


def table_lines(results: dict[tuple[str, int], dict[str, Row]]) -> Iterator[str]:
    yield (
        "| photo | K | method | time (s) | MSE / best | mean ΔE_OK | p99 ΔE_OK | lost hue "
        "| PNG bytes |"
    )
    yield "|---|---:|---|---:|---:|---:|---:|---:|---:|"
    for (photo, k), rows in results.items():
        best = min(row.mse for row in rows.values() if not row.method.dithered)
        for row in rows.values():
            yield (
                f"| {photo} | {k} | {row.method.label} | {row.seconds:.3f} "
                f"| {row.mse / best:.3f} | {row.delta_e:.2f} | {row.delta_e_p99:.2f} "
                f"| {row.lost_hue:.1f} | {row.png_bytes:,} |"
            )


def target_lines(
    photos: list[Photo], results: dict[tuple[str, int], dict[str, Row]], ks: tuple[int, ...]
) -> Iterator[str]:
    verdict = {True: "PASS", False: "FAIL"}
    for (name, k), rows in results.items():
        us, full, liq, recipe = rows["ours"], rows["full"], rows["liq0"], rows["recipe"]
        photo = next(p for p in photos if p.name == name)
        checks = [
            f"lost hue {us.lost_hue:.1f} ≤ {LOST_HUE_LIMIT}: "
            f"{verdict[us.lost_hue <= LOST_HUE_LIMIT]}",
            f"MSE {us.mse / full.mse:.3f}× full fit ≤ {MSE_LIMIT}: "
            f"{verdict[us.mse <= MSE_LIMIT * full.mse]}",
        ]
        recipe_ratio = us.seconds / recipe.seconds
        if photo.pixels >= RECIPE_FROM_PIXELS:
            checks.append(
                f"time {recipe_ratio:.2f}× recipe ≤ {RECIPE_TIME_LIMIT}: "
                f"{verdict[recipe_ratio <= RECIPE_TIME_LIMIT]}; "
                f"{us.seconds / liq.seconds:.2f}× libimagequant < 1: "
                f"{verdict[us.seconds < liq.seconds]}"
            )
        else:
            checks.append(f"time {recipe_ratio:.2f}× recipe (under 1 MP: reported, no target)")
        yield f"- {name}, K={k}: " + "; ".join(checks)
    for photo in photos:
        if photo.small_object is not None:
            for k in ks:
                kept = sum(red_kept(photo, k, seed) for seed in SEEDS)
                yield (
                    f"- {photo.name}, K={k}: the red object kept for {kept} of {len(SEEDS)} "
                    f"seeds: {verdict[kept == len(SEEDS)]}"
                )


def report(photos: list[Photo], results, ks, batch: list[str], quick: bool) -> str:
    lines = ["# What the eye sees: perceptual benchmark" + (" (--quick)" if quick else ""), ""]
    lines += list(machine_lines())
    lines += ["", "Photos:", ""]
    lines += [f"- **{photo.name}**: {photo.description}" for photo in photos]
    lines += [
        "",
        "Time: median of the timed runs after a warm-up (the full fit: one run). MSE / best: "
        "against the lowest MSE of any undithered method on that photo and K. ΔE_OK: 100 × "
        "Euclidean distance in Oklab, per pixel; lost hue: the worst mean ΔE_OK of any vivid "
        "hue family (see kmeans/metrics.py). PNG bytes: every method's palette and indices "
        "written by the same encoder (Pillow, zlib level 9) after the timing, except pngquant, "
        "which writes its own within its time. Full fit: scikit-learn k-means++ on the "
        "distinct colours with sample_weight, "
        f"{FULL_FIT_STARTS} starts ({FULL_FIT_LARGE_STARTS} above "
        f"{FULL_FIT_LARGE_PIXELS / 1e6:.0f} MP).",
        "",
    ]
    lines += list(table_lines(results))
    lines += ["", "## Targets", ""]
    lines += list(target_lines(photos, results, ks))
    lines += ["", "## The command line against pngquant", ""]
    lines += batch
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="samples and a 1 MP ladybird, K=16")
    parser.add_argument("--out", type=Path, help="Markdown file to write")
    args = parser.parse_args(argv)
    if shutil.which("pngquant") is None:
        parser.error("pngquant is not installed (apt-get install -y pngquant).")
    photos = [sample(name) for name in SAMPLES]
    if args.quick:
        photos.append(ladybird_photo((1200, 900)))
        ks = (16,)
    else:
        photos += [ladybird_photo(LADYBIRD_SIZE), sky_photo(), large_photo()]
        ks = KS
    results = {}
    for photo in photos:
        for k in ks:
            rows = {}
            for method in METHODS:
                print(f"  {photo.name} K={k}: {method.label} …", file=sys.stderr, flush=True)
                rows[method.key] = measure(method, photo, k, 1 if args.quick else REPEATS)
            results[photo.name, k] = rows
    text = report(photos, results, ks, list(batch_lines(photos)), args.quick)
    print(text)
    out = args.out or REPO / "bench" / "results" / f"perceptual-{datetime.date.today()}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"Written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

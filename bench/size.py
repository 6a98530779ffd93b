"""Benchmark: bytes and time of every way to store the same photo, side by side in one run.

Run by hand (the test suite never runs it)::

    python -m bench.size              # samples, built photos and graphics, K=16 and 64; ~10 min
    python -m bench.size --quick      # the samples only, K=16
    python -m bench.size --out bench/results/size.md

For each picture and K, every method stores the same picture, and the table gives its bytes,
its time and (for the palette methods) its MSE:

* **ours before**: our K-Means, written by Pillow at zlib level 9 (``encode_png``), as the
  command line did before issue #20;
* **ours PNG** and **ours WebP**: our K-Means, written by :mod:`kmeans.optimise` at the default
  level (the optimised PNG from the labels, the lossless WebP), and the smaller of the two;
* **pngquant**: ``pngquant K --nofs``, alone and followed by oxipng at its default level 2
  (the same oxipng, through ``pyoxipng``, timed in this process: no start-up cost for it);
* **JPEG, WebP, AVIF as close**: :func:`kmeans.codecs.compare_codecs`, the smallest file of
  each codec whose mean and 99th-percentile ΔE_OK are no worse than our K-colour result's.

Then the issue's targets, the command line against ``pngquant --nofs`` + oxipng on a batch, and
the codec comparison's time on a 4 MP photo. Times are medians of ``REPEATS`` runs after a
warm-up; the machine's load is printed with them.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import oxipng
from PIL import Image

import kmeans
from bench.machine import machine_lines, write_report
from kmeans.codecs import CODECS, compare_codecs
from kmeans.encode import encode_png
from kmeans.metrics import mse
from kmeans.optimise import lossless_webp, optimised_png
from kmeans.samples import chart, ladybird, pixel_art, sky

REPO = Path(__file__).resolve().parent.parent

SAMPLES = ("astronaut", "coffee", "chelsea", "illustration")
KS = (16, 64)
REPEATS = 3
#: pngquant's usual companion, at its default level.
OXIPNG_LEVEL = 2
#: The 4 MP photo for the codec comparison's time: the astronaut, Lanczos to 2400×1700.
FOUR_MP = (2400, 1700)

#: Targets of issue #20.
PNG_RATIO_MEDIAN = 0.88
SMALLER_RATIO_MEDIAN, SMALLER_RATIO_WORST = 0.80, 0.95
CODEC_SECONDS = 3.0


@dataclass(frozen=True)
class Picture:
    name: str
    description: str
    rgb: np.ndarray
    is_photo: bool = True


@dataclass(frozen=True)
class Stored:
    """One method's file for one picture and K: its bytes, seconds and, for palettes, MSE."""

    n_bytes: int | None
    seconds: float
    mse: float | None = None
    note: str = ""


# ---------------------------------------------------------------------------------------------
# The peers: each stores a picture at K colours (or as close as K colours look)


def ours_before(picture: Picture, k: int) -> Stored:
    """Our K-Means, then Pillow's zlib level 9 (``optimize=True``): the file before #20."""
    return _ours(picture, k, encode_png)


def ours_png(picture: Picture, k: int) -> Stored:
    return _ours(picture, k, optimised_png)


def ours_webp(picture: Picture, k: int) -> Stored:
    return _ours(picture, k, lossless_webp)


def _ours(picture: Picture, k: int, write: Callable[..., bytes]) -> Stored:
    started = time.perf_counter()
    result = kmeans.quantize(picture.rgb, k)
    data = write(result.palette, result.labels)
    seconds = time.perf_counter() - started
    return Stored(len(data), seconds, mse(picture.rgb, result.image))


def pngquant_nofs(picture: Picture, k: int) -> Stored:
    return _pngquant(picture, k, then_oxipng=False)


def pngquant_then_oxipng(picture: Picture, k: int) -> Stored:
    return _pngquant(picture, k, then_oxipng=True)


def _pngquant(picture: Picture, k: int, *, then_oxipng: bool) -> Stored:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.png", Path(folder) / "out.png"
        Image.fromarray(picture.rgb).save(source, compress_level=1)
        started = time.perf_counter()
        subprocess.run(
            ["pngquant", str(k), "--nofs", "--force", "--output", str(target), str(source)],
            check=True,
        )
        if then_oxipng:
            oxipng.optimize(target, level=OXIPNG_LEVEL)
        seconds = time.perf_counter() - started
        drawn = kmeans.load_image(target).rgb
        return Stored(target.stat().st_size, seconds, mse(picture.rgb, drawn))


def as_close(picture: Picture, k: int) -> dict[str, Stored]:
    """JPEG, WebP and AVIF at our K-colour result's closeness, timed together as the page runs."""
    target = kmeans.quantize(picture.rgb, k).perceptual
    started = time.perf_counter()
    matches = compare_codecs(picture.rgb, target)
    seconds = time.perf_counter() - started
    return {
        match.codec: Stored(match.n_bytes, seconds, note="" if match.reached else "never as close")
        for match in matches
    }


PEERS: dict[str, Callable[[Picture, int], Stored]] = {
    "ours before": ours_before,
    "ours PNG": ours_png,
    "ours WebP": ours_webp,
    "pngquant": pngquant_nofs,
    "pngquant + oxipng": pngquant_then_oxipng,
}


def measure(picture: Picture, k: int, repeats: int) -> dict[str, Stored]:
    """Every peer on one picture and K: the last run's bytes, the median of the times."""
    rows = {}
    for label, peer in PEERS.items():
        peer(picture, k)  # warm-up
        runs = [peer(picture, k) for _ in range(repeats)]
        median = statistics.median(run.seconds for run in runs)
        rows[label] = Stored(runs[-1].n_bytes, median, runs[-1].mse)
    for codec, stored in as_close(picture, k).items():
        rows[f"{CODECS[codec]} as close"] = stored
    return rows


# ---------------------------------------------------------------------------------------------
# The pictures


def pictures(quick: bool) -> list[Picture]:
    found = []
    for name in SAMPLES[: 3 if quick else 4]:
        rgb = kmeans.load_image(REPO / "assets" / "samples" / f"{name}.png").rgb
        height, width = rgb.shape[:2]
        graphic = name == "illustration"
        found.append(
            Picture(name, f"assets/samples/{name}.png, {width}×{height}", rgb, not graphic)
        )
    if quick:
        return found
    return [
        *found,
        Picture("ladybird", "kmeans.samples.ladybird(), 2000×1500: textured grass", ladybird()),
        Picture("sky", "kmeans.samples.sky(), 1200×900: a smooth gradient", sky()),
        Picture("chart", "kmeans.samples.chart(), 960×600: a bar chart", chart(), False),
        Picture("pixel-art", "kmeans.samples.pixel_art(), 384×288: 9 colours", pixel_art(), False),
    ]


def four_mp_photo() -> np.ndarray:
    source = Image.open(REPO / "assets" / "samples" / "astronaut.png").convert("RGB")
    return np.asarray(source.resize(FOUR_MP, Image.Resampling.LANCZOS))


# ---------------------------------------------------------------------------------------------
# Report


def table_lines(results: dict[tuple[str, int], dict[str, Stored]]) -> Iterator[str]:
    labels = list(next(iter(results.values())))
    yield "| picture | K | " + " | ".join(labels) + " | smaller of ours / before |"
    yield "|---|---:|" + "---:|" * (len(labels) + 1)
    for (name, k), rows in results.items():
        cells = [cell(rows[label]) for label in labels]
        ratio = smaller_ours(rows) / rows["ours before"].n_bytes
        yield f"| {name} | {k} | " + " | ".join(cells) + f" | {ratio:.2f}× |"


def cell(stored: Stored) -> str:
    if stored.n_bytes is None:
        return f"{stored.note} ({stored.seconds:.2f} s)"
    return f"{stored.n_bytes:,} B, {stored.seconds:.2f} s"


def smaller_ours(rows: dict[str, Stored]) -> int:
    return min(rows["ours PNG"].n_bytes, rows["ours WebP"].n_bytes)


def mse_lines(results: dict[tuple[str, int], dict[str, Stored]]) -> Iterator[str]:
    yield "| picture | K | ours MSE | pngquant MSE |"
    yield "|---|---:|---:|---:|"
    for (name, k), rows in results.items():
        yield f"| {name} | {k} | {rows['ours PNG'].mse:.2f} | {rows['pngquant'].mse:.2f} |"


def target_lines(
    results: dict[tuple[str, int], dict[str, Stored]], photos: set[str]
) -> Iterator[str]:
    beats = [
        (name, k)
        for (name, k), rows in results.items()
        if rows["ours PNG"].n_bytes < rows["pngquant + oxipng"].n_bytes
        and rows["ours PNG"].mse < rows["pngquant + oxipng"].mse
    ]
    yield (
        f"- Default PNG smaller than pngquant + oxipng with lower MSE: {len(beats)} of "
        f"{len(results)} (pictures and K); photos: "
        f"{sum(name in photos for name, _ in beats)} of "
        f"{sum(name in photos for name, _ in results)}."
    )
    missed = [f"{name} K={k}" for name, k in results if (name, k) not in beats]
    if missed:
        yield f"  Not on: {', '.join(missed)}."
    png = [rows["ours PNG"].n_bytes / rows["ours before"].n_bytes for rows in results.values()]
    smaller = [smaller_ours(rows) / rows["ours before"].n_bytes for rows in results.values()]
    yield (
        f"- Default PNG / before: median {statistics.median(png):.3f} (target ≤ "
        f"{PNG_RATIO_MEDIAN}), worst {max(png):.3f}."
    )
    yield (
        f"- Smaller of PNG and WebP / before: median {statistics.median(smaller):.3f} (target ≤ "
        f"{SMALLER_RATIO_MEDIAN}), worst {max(smaller):.3f} (target ≤ {SMALLER_RATIO_WORST})."
    )


def batch_lines(pictures_: list[Picture], k: int = 64) -> Iterator[str]:
    """`python -m kmeans FILES -k K` against `pngquant K --nofs FILES` then oxipng on each."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        files = []
        for picture in pictures_:
            path = folder / f"{picture.name}.png"
            Image.fromarray(picture.rgb).save(path, compress_level=1)
            files.append(path)
        ours_times, theirs_times, pngquant_times = [], [], []
        for round_ in range(REPEATS):  # taking turns, so a change in the machine's load hits both
            ours_out, theirs = folder / f"ours-{round_}", folder / f"theirs-{round_}"
            ours_out.mkdir()
            theirs.mkdir()
            command = [sys.executable, "-m", "kmeans", *map(str, files), "-k", str(k)]
            started = time.perf_counter()
            subprocess.run(
                [*command, "-o", str(ours_out), "-q"],
                check=True,
                cwd=REPO,
                stdout=subprocess.DEVNULL,
            )
            ours_times.append(time.perf_counter() - started)
            copies = [Path(shutil.copy(path, theirs)) for path in files]
            started = time.perf_counter()
            subprocess.run(
                ["pngquant", str(k), "--nofs", "--force", "--ext", ".png", *map(str, copies)],
                check=True,
            )
            pngquant_times.append(time.perf_counter() - started)
            for path in copies:
                oxipng.optimize(path, level=OXIPNG_LEVEL)
            theirs_times.append(time.perf_counter() - started)
        ours_seconds = statistics.median(ours_times)
        theirs_seconds = statistics.median(theirs_times)
        pngquant_seconds = statistics.median(pngquant_times)
        files = copies  # the last round's files, for the bytes and MSE below
        yield (
            f"`python -m kmeans FILES -k {k}` (default optimisation) against "
            f"`pngquant {k} --nofs FILES` then oxipng level {OXIPNG_LEVEL} on each:"
        )
        yield ""
        yield (
            f"- total time, median of {REPEATS} rounds: ours {ours_seconds:.2f} s (with Python's "
            "start-up and the metrics), "
            f"theirs {theirs_seconds:.2f} s (pngquant {pngquant_seconds:.2f} s); "
            f"{ours_seconds / theirs_seconds:.2f}×"
        )
        yield ""
        yield "| picture | ours MSE | theirs MSE | ours bytes | theirs bytes |"
        yield "|---|---:|---:|---:|---:|"
        better = 0
        for picture, path in zip(pictures_, files, strict=True):
            ours_file = ours_out / f"{path.stem}-k{k}.png"
            ours_mse = mse(picture.rgb, kmeans.load_image(ours_file).rgb)
            theirs_mse = mse(picture.rgb, kmeans.load_image(path).rgb)
            ours_bytes, theirs_bytes = ours_file.stat().st_size, path.stat().st_size
            better += ours_mse < theirs_mse and ours_bytes < theirs_bytes
            yield (
                f"| {picture.name} | {ours_mse:.2f} | {theirs_mse:.2f} | {ours_bytes:,} "
                f"| {theirs_bytes:,} |"
            )
        yield ""
        yield f"Lower MSE and a smaller file on {better} of {len(pictures_)} pictures."


def codec_time_lines(repeats: int) -> Iterator[str]:
    rgb = four_mp_photo()
    for k in KS:
        target = kmeans.quantize(rgb, k).perceptual
        compare_codecs(rgb, target)  # warm-up
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            matches = compare_codecs(rgb, target)
            times.append(time.perf_counter() - started)
        found = ", ".join(
            f"{m.name} q{m.quality} {m.n_bytes:,} B" if m.reached else f"{m.name} never"
            for m in matches
        )
        yield (
            f"- K={k}: median {statistics.median(times):.2f} s of {repeats} (target ≤ "
            f"{CODEC_SECONDS:.0f} s; load now {os.getloadavg()[0]:.2f}); {found}."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the photo samples only, K=16")
    parser.add_argument("--out", type=Path, help="Markdown file to write")
    args = parser.parse_args(argv)
    if shutil.which("pngquant") is None:
        parser.error("pngquant is not installed (apt-get install -y pngquant).")
    chosen = pictures(args.quick)
    ks, repeats = ((16,), 1) if args.quick else (KS, REPEATS)
    results = {}
    for picture in chosen:
        for k in ks:
            print(f"  {picture.name} K={k} …", file=sys.stderr, flush=True)
            results[picture.name, k] = measure(picture, k, repeats)
    photos = {picture.name for picture in chosen if picture.is_photo}
    lines = [
        "# Size: every way to store the same picture",
        "",
        *machine_lines(),
        "",
        "Pictures:",
        "",
    ]
    lines += [f"- **{p.name}**: {p.description}" for p in chosen]
    lines += ["", "Bytes of each file, and seconds (median, quantising included).", ""]
    lines += [*table_lines(results), "", *mse_lines(results), "", "## Targets", ""]
    lines += list(target_lines(results, photos))
    lines += ["", "## The command line against pngquant + oxipng", "", *batch_lines(chosen)]
    lines += ["", "## The codec comparison on a 4 MP photo", "", *codec_time_lines(repeats)]
    lines += ["", f"- Load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"]
    text = "\n".join(lines) + "\n"
    default = REPO / "bench" / "results" / f"size-{datetime.date.today()}.md"
    write_report(text, args.out or default)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

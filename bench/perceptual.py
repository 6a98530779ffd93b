"""Benchmark: what the eye sees. Every quantiser on the same photos, judged by perceptual metrics.

Run by hand from the repository's root (the test suite never runs it)::

    python -m bench.perceptual                 # samples, the ladybird, the sky, 12 MP; ~15 min
    python -m bench.perceptual --quick         # samples and a small ladybird, K=16 only
    python -m bench.perceptual --out bench/results/perceptual.md

For each photo and K (16, 32, 64) every method's result (:mod:`bench.peers`) is judged the same
way: MSE as a ratio to the best MSE any undithered method reached, mean and 99th-percentile
ΔE_OK, lost hue (see :mod:`kmeans.perceptual`), the bytes of its PNG and its time. Then come the
targets, and the command line against ``pngquant 64 --nofs`` on a batch of photos.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import kmeans
from bench import peers
from bench.machine import machine_lines, write_report
from bench.peers import Peer
from bench.photos import REPO, SAMPLES, Photo, ladybird_photo, large_photo, sample, sky_photo
from kmeans.metrics import mse
from kmeans.perceptual import perceptual_error

KS = (16, 32, 64)
REPEATS = 3

#: The targets.
LOST_HUE_LIMIT = 12.0
MSE_LIMIT = 1.03
SEEDS = range(5)
RECIPE_TIME_LIMIT = 2.0
RECIPE_FROM_PIXELS = 1_000_000

PEERS = (
    peers.OURS,
    peers.OURS_OKLAB,
    peers.OURS_DITHER,
    peers.SKLEARN_BEST,
    peers.RECIPE,
    peers.LIQ0,
    peers.LIQ1,
    peers.MEDIAN_CUT,
    peers.PNGQUANT_NOFS,
    peers.PNGQUANT,
)
#: Run once, without a warm-up: a reference that takes minutes, not a contender.
ONCE = {peers.SKLEARN_BEST.key}


@dataclass(frozen=True)
class Row:
    peer: Peer
    seconds: float
    mse: float
    delta_e: float
    delta_e_p99: float
    lost_hue: float
    png_bytes: int


def measure(peer: Peer, photo: Photo, k: int, repeats: int) -> Row:
    once = peer.key in ONCE
    if not once:
        peer.run(photo, k)  # warm-up: imports, thread pools, caches
    times = []
    for _ in range(1 if once else repeats):
        started = time.perf_counter()
        answer = peer.run(photo, k)
        times.append(time.perf_counter() - started)
    image = answer.image()
    seen = perceptual_error(photo.rgb, image)
    return Row(
        peer,
        statistics.median(times),
        mse(photo.rgb, image),
        seen.delta_e,
        seen.delta_e_p99,
        seen.lost_hue,
        answer.png_size(),
    )


def red_kept(photo: Photo, k: int, seed: int) -> bool:
    """Whether the small red object is still red: ≥ 90% of its pixels have R > 2G."""
    shell = kmeans.quantize(photo.rgb, k, seed=seed).image[photo.small_object].astype(int)
    return bool((shell[:, 0] > 2 * shell[:, 1]).mean() >= 0.9)


# ---------------------------------------------------------------------------------------------
# The command line against pngquant on a batch


def batch_lines(photos: list[Photo], k: int = 64) -> Iterator[str]:
    """`python -m kmeans` and `pngquant K --nofs` on the same files: total time, MSE, bytes."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        files = []
        for photo in photos:
            path = folder / f"{photo.name}.png"
            photo.pil.save(path, compress_level=1)
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
        best = min(row.mse for row in rows.values() if not row.peer.dithered)
        for row in rows.values():
            yield (
                f"| {photo} | {k} | {row.peer.label} | {row.seconds:.3f} "
                f"| {row.mse / best:.3f} | {row.delta_e:.2f} | {row.delta_e_p99:.2f} "
                f"| {row.lost_hue:.1f} | {row.png_bytes:,} |"
            )


def target_lines(
    photos: list[Photo], results: dict[tuple[str, int], dict[str, Row]], ks: tuple[int, ...]
) -> Iterator[str]:
    verdict = {True: "PASS", False: "FAIL"}
    for (name, k), rows in results.items():
        us, best, liq, recipe = rows["ours"], rows["sklearn-best"], rows["liq0"], rows["recipe"]
        photo = next(p for p in photos if p.name == name)
        checks = [
            f"lost hue {us.lost_hue:.1f} ≤ {LOST_HUE_LIMIT}: "
            f"{verdict[us.lost_hue <= LOST_HUE_LIMIT]}",
            f"MSE {us.mse / best.mse:.3f}× best of 10 ≤ {MSE_LIMIT}: "
            f"{verdict[us.mse <= MSE_LIMIT * best.mse]}",
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
        "Time: median of the timed runs after a warm-up (the best of 10: one run). MSE / best: "
        "against the lowest MSE of any undithered method on that photo and K. ΔE_OK: 100 × "
        "Euclidean distance in Oklab, per pixel; lost hue: the worst mean ΔE_OK of any vivid "
        "hue family (see kmeans/metrics.py). PNG bytes: every method's palette and indices "
        "written by the same encoder (Pillow, zlib level 9) after the timing, except pngquant, "
        "which writes its own within its time. Best of 10: scikit-learn k-means++ on the "
        "distinct colours with sample_weight, "
        f"{peers.BEST_STARTS} starts ({peers.BEST_LARGE_STARTS} above "
        f"{peers.BEST_LARGE_PIXELS / 1e6:.0f} MP). The methods: bench/peers.py.",
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
        photos += [ladybird_photo(), sky_photo(), large_photo()]
        ks = KS
    results = {}
    for photo in photos:
        for k in ks:
            rows = {}
            for peer in PEERS:
                print(f"  {photo.name} K={k}: {peer.label} …", file=sys.stderr, flush=True)
                rows[peer.key] = measure(peer, photo, k, 1 if args.quick else REPEATS)
            results[photo.name, k] = rows
    text = report(photos, results, ks, list(batch_lines(photos)), args.quick)
    default = REPO / "bench" / "results" / f"perceptual-{datetime.date.today()}.md"
    write_report(text, args.out or default)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

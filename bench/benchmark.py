"""Benchmark: our K-Means against scikit-learn, Pillow and libimagequant, row by row.

Run by hand from the repository's root (the test suite never runs it)::

    python -m bench.benchmark                 # samples + a 12 MP photo, a few minutes
    python -m bench.benchmark --quick         # samples only, one timed run each
    python -m bench.benchmark --repeats 7 --out bench/results/mine.md

Every method (:mod:`bench.peers`) quantises the same photos to the same K in one run, and every
reconstruction is judged the same way: :func:`kmeans.metrics.mse` of the original against the
palette indexed by each pixel's label. It prints one Markdown table, then a "Targets" section
for exact Lloyd and for the defaults, and writes both to a Markdown file. See
``bench/README.md`` for the rows.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import peers
from bench.machine import machine_lines, write_report
from bench.peers import LLOYD_ITERS, Answer, Peer
from bench.photos import REPO, SAMPLES, Photo, large_photo, sample
from kmeans.metrics import mse

KS = (16, 64)
SAMPLE_REPEATS, LARGE_REPEATS = 5, 3
#: A photo from this many pixels on is "large": slow references run once there.
LARGE_PIXELS = 5_000_000

#: Targets.
EXACT_TIME_RATIO = 0.3  # ours Lloyd ≤ 0.3 × scikit-learn Lloyd (float32), on the large photo
SAME_CENTROIDS = 0.5  # every centroid within this of scikit-learn's float64 Lloyd
QUANTIZE_MSE_RATIO = 1.02  # quantize's MSE ≤ 1.02 × scikit-learn's one fit (and ≤ libimagequant)
QUANTIZE_TIME_RATIO = 1.5  # in ≤ 1.5 × the time of scikit-learn's fit-on-1000 recipe

#: How many timed runs a method gets.
REPEAT = "repeat"  # the usual number, after a warm-up run
ONCE_ON_LARGE = "once on large"  # one run without warm-up on the large photo: it takes ~40 s there
ONCE = "once"  # one run without warm-up anywhere: a reference, not a contender

PEERS = (
    (peers.OURS, REPEAT),
    (peers.OURS_LLOYD, REPEAT),
    (peers.SKLEARN_LLOYD32, REPEAT),
    (peers.SKLEARN_LLOYD64, ONCE),
    (peers.SKLEARN_ONE_FIT, ONCE_ON_LARGE),
    (peers.RECIPE, REPEAT),
    (peers.MEDIAN_CUT, REPEAT),
    (peers.FAST_OCTREE, REPEAT),
    (peers.LIQ0, REPEAT),
)


@dataclass(frozen=True)
class Row:
    photo: Photo
    peer: Peer
    runs_rule: str
    seconds: float
    runs: int
    mse: float
    answer: Answer


def measure(peer: Peer, runs_rule: str, photo: Photo, k: int, repeats: int) -> Row:
    """Median wall time of ``repeats`` runs (fewer for slow rows) and the MSE of the last one."""
    large = photo.pixels >= LARGE_PIXELS
    once = runs_rule == ONCE or (runs_rule == ONCE_ON_LARGE and large)
    if not once:
        peer.run(photo, k)  # warm-up: the first call pays for imports, thread pools and caches
    times = []
    for _ in range(1 if once else repeats):
        started = time.perf_counter()
        answer = peer.run(photo, k)
        times.append(time.perf_counter() - started)
    error = mse(photo.rgb, answer.image())
    return Row(photo, peer, runs_rule, statistics.median(times), len(times), error, answer)


def measure_all(photos: list[Photo], repeats: int | None) -> dict[tuple[str, int], dict]:
    """Every method on every photo at every K: {(photo, K): {peer key: Row}}."""
    results = {}
    for photo in photos:
        large = photo.pixels >= LARGE_PIXELS
        photo_repeats = repeats or (LARGE_REPEATS if large else SAMPLE_REPEATS)
        for k in KS:
            rows = {}
            for peer, runs_rule in PEERS:
                print(f"  {photo.name} K={k}: {peer.label} …", file=sys.stderr, flush=True)
                rows[peer.key] = measure(peer, runs_rule, photo, k, photo_repeats)
            results[photo.name, k] = rows
    return results


# ---------------------------------------------------------------------------------------------
# Reporting


def table_lines(results: dict[tuple[str, int], dict]) -> Iterator[str]:
    yield (
        "| image | K | method | median time (s) | runs | MSE | time / recipe "
        "| MSE / one fit | MSE / libimagequant | notes |"
    )
    yield "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"
    for (photo, k), rows in results.items():
        for row in rows.values():
            yield (
                f"| {photo} | {k} | {row.peer.label} | {row.seconds:.3f} | {row.runs} "
                f"| {row.mse:.2f} | {row.seconds / rows['recipe'].seconds:.2f}× "
                f"| {row.mse / rows['sklearn-one-fit'].mse:.3f}× "
                f"| {row.mse / rows['liq0'].mse:.3f}× "
                f"| {row_note(row, rows)} |"
            )


def row_note(row: Row, rows: dict[str, Row]) -> str:
    lloyd32, lloyd64 = rows["sklearn-lloyd32"], rows["sklearn-lloyd64"]
    if row.peer.key == "ours-lloyd":
        gap64, gap32 = centroid_gap(row, lloyd64), centroid_gap(row, lloyd32)
        return (
            f"max abs centroid diff vs sklearn Lloyd float64 {gap64:.4f}, vs float32 {gap32:.4f}; "
            f"{row.seconds / lloyd32.seconds:.2f}× sklearn Lloyd float32 time"
        )
    if row.runs_rule == ONCE:
        return "one run, no warm-up; the reference for the centroid check"
    if row.runs_rule == ONCE_ON_LARGE and row.photo.pixels >= LARGE_PIXELS:
        return "one run, no warm-up (slow on the large photo)"
    return ""


def centroid_gap(row: Row, reference: Row) -> float:
    """Largest |difference| of any centroid coordinate, in 0–255 colour units."""
    return float(np.abs(row.answer.centroids - reference.answer.centroids).max())


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
        exact, lloyd32 = rows["ours-lloyd"], rows["sklearn-lloyd32"]
        if photo == large:
            ratio = exact.seconds / lloyd32.seconds
            yield (
                f"- Speed, {photo}, K={k}: {pass_fail(ratio <= EXACT_TIME_RATIO)}: "
                f"{exact.seconds:.3f} s vs {lloyd32.seconds:.3f} s = {ratio:.2f}×"
            )
    for (photo, k), rows in results.items():
        exact, lloyd32 = rows["ours-lloyd"], rows["sklearn-lloyd32"]
        lloyd64 = rows["sklearn-lloyd64"]
        gap64, gap32 = centroid_gap(exact, lloyd64), centroid_gap(exact, lloyd32)
        yield (
            f"- Centroids, {photo}, K={k}: {pass_fail(gap64 <= SAME_CENTROIDS)}: "
            f"max diff {gap64:.4f} vs float64 (vs float32: {gap32:.4f})"
        )
    yield (
        "- (C0 are pixel colours nudged by < 0.25 so no pixel ties exactly; see bench/peers.py "
        "on why ties could make a centroid FAIL without either side being wrong.)"
    )


def quantize_target_lines(results: dict[tuple[str, int], dict]) -> Iterator[str]:
    """quantize() defaults against the one fit, libimagequant and the recipe, per photo and K."""
    yield (
        f"**quantize() defaults**: MSE ≤ {QUANTIZE_MSE_RATIO}× sklearn one fit and ≤ "
        f"libimagequant, in ≤ {QUANTIZE_TIME_RATIO}× the sklearn recipe's time."
    )
    yield ""
    for (photo, k), rows in results.items():
        ours, fit, liq = rows["ours"], rows["sklearn-one-fit"], rows["liq0"]
        recipe = rows["recipe"]
        vs_fit, vs_recipe = ours.mse / fit.mse, ours.seconds / recipe.seconds
        checks = {
            "MSE vs one fit": vs_fit <= QUANTIZE_MSE_RATIO,
            "MSE vs libimagequant": ours.mse <= liq.mse,
            "time vs recipe": vs_recipe <= QUANTIZE_TIME_RATIO,
        }
        failed = [name for name, ok in checks.items() if not ok]
        verdict = pass_fail(not failed) + (f" ({', '.join(failed)})" if failed else "")
        yield (
            f"- {photo}, K={k}: {verdict}: MSE {ours.mse:.2f} = {vs_fit:.3f}× one fit "
            f"({fit.mse:.2f}), libimagequant {liq.mse:.2f}; time {ours.seconds:.3f} s = "
            f"{vs_recipe:.2f}× recipe ({recipe.seconds:.3f} s)"
        )


def report_lines(
    photos: list[Photo], results: dict[tuple[str, int], dict], quick: bool
) -> Iterator[str]:
    large = next((photo.name for photo in photos if photo.pixels >= LARGE_PIXELS), None)
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
        "run except where the notes say otherwise; scikit-learn's Lloyd and one fit get their "
        "float copy of the pixels ready-made, the recipe converts its own. MSE: "
        "kmeans.metrics.mse of the original against the palette rounded to 8-bit colours, "
        "indexed by the labels; 0–255 units. C0: bench/peers.py. Ratio columns divide by the "
        "same image and K's recipe time, one-fit MSE and libimagequant MSE. "
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
        "large photo; the one fit runs once on the large photo whatever this says)",
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
    photos = [sample(name) for name in SAMPLES]
    if not args.quick:
        photos.append(large_photo())
    results = measure_all(photos, args.repeats)
    report = "\n".join(report_lines(photos, results, args.quick)) + "\n"
    write_report(report, args.out or default_output(args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

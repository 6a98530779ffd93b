"""Our default alone, before and after a change: lost hue, MSE against the best-known, time.

A quicker companion to ``bench.perceptual`` for work on the seeding: the same photos (the
samples, the 4 MP ladybird, the sky, the 12 MP astronaut) and a few built to try other vivid
families (a blue and a yellow beetle, a mosaic of the samples), our default only, beside
another revision's (:mod:`bench.revisions`), timed interleaved in the same run::

    python -m bench.lost_hue --baseline main            # ~10 min, the best fits cached
    python -m bench.lost_hue --photos astronaut --ks 16

MSE / best is against scikit-learn's best of 10 starts (:mod:`bench.peers`), computed once per
photo and K and cached in ``--cache``, since it alone takes minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from bench.peers import SKLEARN_BEST
from bench.perceptual import LOST_HUE_LIMIT, MSE_LIMIT
from bench.photos import BUILDERS, Photo, photos
from bench.revisions import Revisions
from kmeans.metrics import mse

KS = (16, 32, 64)
REPEATS = 3
#: Every photo, large ones last.
PHOTOS = [
    "astronaut",
    "coffee",
    "chelsea",
    "sky-1mp",
    "blue-beetle",
    "yellow-beetle",
    "mosaic",
    "ladybird-4mp",
    "astronaut-12mp",
]


def best_mse(photo: Photo, k: int, cache: Path) -> float:
    known = json.loads(cache.read_text()) if cache.exists() else {}
    key = f"{photo.name}/{k}"
    if key not in known:
        print(f"  best of 10 {key} …", file=sys.stderr, flush=True)
        known[key] = mse(photo.rgb, SKLEARN_BEST.run(photo, k).image())
        cache.write_text(json.dumps(known, indent=1))
    return known[key]


def row(photo: Photo, k: int, runs: dict[str, list[dict]], best: float) -> str:
    cells, times = [], []
    for answers in runs.values():
        seconds = statistics.median(answer["seconds"] for answer in answers)
        error, lost = answers[0]["mse"], answers[0]["lost_hue"]
        flags = ("" if lost <= LOST_HUE_LIMIT else " ✗") + (
            "" if error <= MSE_LIMIT * best else " ✗"
        )
        cells.append(f"{lost:.1f} | {error / best:.3f} | {seconds:.3f}{flags}")
        times.append(seconds)
    ratio = f" | {times[-1] / times[0]:.2f}" if len(times) == 2 else ""
    return f"| {photo.name} | {k} | " + " | ".join(cells) + ratio + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a git revision or checkout path, timed interleaved")
    parser.add_argument("--photos", nargs="*", choices=list(BUILDERS), default=PHOTOS)
    parser.add_argument("--ks", nargs="*", type=int, default=list(KS))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "bestfit.json")
    args = parser.parse_args(argv)
    with Revisions(args.baseline) as workers:
        names = list(workers)
        print(
            "| photo | K | "
            + " | ".join(f"{v} lost hue | {v} MSE/best | {v} s" for v in names)
            + (" | time this/baseline |" if args.baseline else " |")
        )
        print("|---|---:|" + "---:|---:|---:|" * len(names) + ("---:|" if args.baseline else ""))
        for photo in photos(args.photos):
            for k in args.ks:
                best = best_mse(photo, k, args.cache)
                runs: dict[str, list[dict]] = {name: [] for name in names}
                for _ in range(args.repeats):  # interleaved, so both see the same machine load
                    for name, worker in workers.items():
                        runs[name].append(worker.quantize(photo, k))
                print(row(photo, k, runs, best), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Our default alone, before and after a change: lost hue, MSE against the best-known, time.

A quicker companion to ``bench/perceptual.py`` for work on the seeding: the same photos (the
samples, the 4 MP ladybird, the sky, the 12 MP astronaut) and a few built to try other vivid
families (a blue and a yellow beetle, a mosaic of the samples), our default only, against
``quantize`` as it is at another git revision, timed interleaved in the same run::

    python bench/lost_hue.py --against main            # ~10 min, the full fits cached
    python bench/lost_hue.py --photos astronaut --ks 16

MSE / best is against scikit-learn's full fit (the best-known MSE, as in perceptual.py), which
is computed once per photo and K and cached in ``--cache``, since it alone takes minutes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from perceptual import (  # noqa: E402
    LADYBIRD_SIZE,
    LOST_HUE_LIMIT,
    MSE_LIMIT,
    SAMPLES,
    Photo,
    ladybird_photo,
    large_photo,
    sample,
    sklearn_full_fit,
)

import kmeans  # noqa: E402
from kmeans.metrics import mse  # noqa: E402
from kmeans.samples import ladybird, sky  # noqa: E402

KS = (16, 32, 64)
REPEATS = 3
BEETLE_SIZE = (1600, 1200)
BLUE, YELLOW = (30, 70, 215), (225, 190, 20)


def photos() -> list[Photo]:
    """Every photo, large ones last."""
    built = [
        Photo("sky", "bench/photos.py sky(), 1200×900", sky()),
        Photo("blue-beetle", f"ladybird(seed=1, shell={BLUE})", ladybird(*BEETLE_SIZE, 1, BLUE)),
        Photo(
            "yellow-beetle", f"ladybird(seed=2, shell={YELLOW})", ladybird(*BEETLE_SIZE, 2, YELLOW)
        ),
        Photo("mosaic", "the three samples and a ladybird, 512×512 each, 2×2", mosaic()),
    ]
    large = [ladybird_photo(LADYBIRD_SIZE), large_photo()]
    return [sample(name) for name in SAMPLES] + built + large


def mosaic() -> np.ndarray:
    """A colourful 1 MP scene: the samples and a ladybird, each resized to 512×512, in 2×2."""
    tiles = [sample(name).rgb for name in SAMPLES] + [ladybird(512, 512, seed=3)]
    tiles = [
        np.asarray(Image.fromarray(t).resize((512, 512), Image.Resampling.LANCZOS)) for t in tiles
    ]
    return np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])


def quantize_at(revision: str) -> Callable:
    """``quantize`` from kmeans/quantization.py as it is at a git revision (the rest as now)."""
    source = subprocess.run(
        ["git", "show", f"{revision}:kmeans/quantization.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "quantization_then.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("quantization_then", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module.quantize


def best_mse(photo: Photo, k: int, cache: Path) -> float:
    known = json.loads(cache.read_text()) if cache.exists() else {}
    key = f"{photo.name}/{k}"
    if key not in known:
        print(f"  full fit {key} …", file=sys.stderr, flush=True)
        known[key] = mse(photo.rgb, sklearn_full_fit(photo, k).image())
        cache.write_text(json.dumps(known, indent=1))
    return known[key]


def measure(quantize: Callable, photo: Photo, k: int) -> tuple[float, float, float]:
    """(seconds, MSE, lost hue) of one run."""
    started = time.perf_counter()
    result = quantize(photo.rgb, k)
    seconds = time.perf_counter() - started
    return seconds, mse(photo.rgb, result.image), result.perceptual.lost_hue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", help="git revision to compare with, timed interleaved")
    parser.add_argument("--photos", nargs="*", help="photo names (default: all)")
    parser.add_argument("--ks", nargs="*", type=int, default=list(KS))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "fullfit.json")
    args = parser.parse_args(argv)
    variants = {"now": kmeans.quantize}
    if args.against:
        variants = {args.against: quantize_at(args.against), **variants}
    print(
        "| photo | K | "
        + " | ".join(f"{v} lost hue | {v} MSE/best | {v} s" for v in variants)
        + (" | time now/then |" if args.against else " |")
    )
    print("|---|---:|" + "---:|---:|---:|" * len(variants) + ("---:|" if args.against else ""))
    for photo in photos():
        if args.photos and photo.name not in args.photos:
            continue
        for k in args.ks:
            best = best_mse(photo, k, args.cache)
            runs = {name: [] for name in variants}
            for _ in range(args.repeats):  # interleaved, so both see the same machine load
                for name, quantize in variants.items():
                    runs[name].append(measure(quantize, photo, k))
            cells, times = [], []
            for name in variants:
                seconds = statistics.median(run[0] for run in runs[name])
                _, error, lost = runs[name][0]
                flags = ("" if lost <= LOST_HUE_LIMIT else " ✗") + (
                    "" if error <= MSE_LIMIT * best else " ✗"
                )
                cells.append(f"{lost:.1f} | {error / best:.3f} | {seconds:.3f}{flags}")
                times.append(seconds)
            ratio = f" | {times[-1] / times[0]:.2f}" if args.against else ""
            print(f"| {photo.name} | {k} | " + " | ".join(cells) + ratio + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

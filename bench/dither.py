"""Measure dithering against its targets: smoother seen from a little way off, few bytes more.

Run by hand from the repository's root::

    python -m bench.dither            # the samples, the built photos, K=16
    python -m bench.dither --large    # and the 12 MP photo (astronaut, Lanczos to 4000×3000)

For each photo at K=16, each method of :mod:`kmeans.dither` is judged against the undithered
result: mean and 99th-percentile ΔE_OK at full size; mean ΔE_OK of a 3×3 box-filtered view (both
images filtered in linear light, which is how the eye averages neighbouring pixels seen from
further away); and the bytes of the PNG. Targets: box-filtered mean ΔE ≤ 0.75× undithered, PNG
≤ 1.8× undithered bytes, median over the photos.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import kmeans
from bench.photos import SAMPLES, photos
from kmeans.dither import DITHER_METHODS, dither_labels
from kmeans.encode import encode_png
from kmeans.oklab import LINEAR_OF_BYTE, linear_to_oklab
from kmeans.perceptual import perceptual_error

K = 16
BOX_RATIO_TARGET, BYTES_RATIO_TARGET = 0.75, 1.8


def box_filtered_delta_e(original: np.ndarray, redrawn: np.ndarray) -> float:
    """Mean ΔE_OK between 3×3 box-filtered copies, filtered in linear light."""

    def blurred(rgb: np.ndarray) -> np.ndarray:
        linear = LINEAR_OF_BYTE[rgb].astype(np.float32)
        total = sum(
            linear[1 + dy : linear.shape[0] - 1 + dy, 1 + dx : linear.shape[1] - 1 + dx]
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        )
        return linear_to_oklab(total / 9)

    return float(100 * np.linalg.norm(blurred(original) - blurred(redrawn), axis=-1).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="add a 12 MP photo")
    args = parser.parse_args()
    rows, box_ratios, byte_ratios = (
        [],
        {m: [] for m in DITHER_METHODS},
        {m: [] for m in DITHER_METHODS},
    )
    names = [*SAMPLES, "ladybird-1mp", "sky-1mp", *(["astronaut-12mp"] if args.large else [])]
    for photo in photos(names):
        name, rgb = photo.name, photo.rgb
        result = kmeans.quantize(rgb, K)
        base = None
        for method in DITHER_METHODS:
            started = time.perf_counter()
            labels = dither_labels(rgb, result.palette, method, result.labels)
            seconds = time.perf_counter() - started
            redrawn = result.palette[labels]
            seen = perceptual_error(rgb, redrawn)
            box = box_filtered_delta_e(rgb, redrawn)
            size = len(encode_png(result.palette, labels))
            if method == "none":
                base = (box, size)
            box_ratios[method].append(box / base[0])
            byte_ratios[method].append(size / base[1])
            rows.append(
                f"| {name} | {method} | {seen.delta_e:.2f} | {seen.delta_e_p99:.2f} | {box:.2f} "
                f"({box / base[0]:.2f}×) | {size:,} ({size / base[1]:.2f}×) | {seconds:.3f} |"
            )
    print(f"K={K}. Box: mean ΔE_OK of 3×3 linear-light box-filtered views.\n")
    print("| photo | dithering | mean ΔE | p99 ΔE | box mean ΔE | PNG bytes | time (s) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print()
    for method in DITHER_METHODS[1:]:
        box, size = statistics.median(box_ratios[method]), statistics.median(byte_ratios[method])
        print(
            f"- {method}: median box ΔE {box:.2f}× (target ≤ {BOX_RATIO_TARGET}), median PNG "
            f"{size:.2f}× (target ≤ {BYTES_RATIO_TARGET})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: how long the measures take on opaque and transparent photos, against a revision.

Run by hand from the repository's root (the test suite never runs it)::

    python -m bench.measures                       # this checkout
    python -m bench.measures --baseline main       # and another revision, taking turns

The photo is ``astronaut-12mp``, opaque, and with two alphas built here: a **ramp** across it
(every pixel see-through, the worst case) and a **disc** (an opaque middle, a soft rim, hidden
corners, like a vignetted logo). Each is quantised to K=16 once, undithered and with
Floyd–Steinberg, and then every round measures a fresh result: ``Compression.perceptual`` (ΔE
as seen) and ``Compression.mse``. The table gives median CPU seconds over the rounds (round 0
warms up and is dropped); the two revisions take turns going first.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from bench.machine import load_average
from bench.photos import photos
from bench.revisions import Revisions

#: The worker: reads "rgb-file alpha-file-or-none dither" lines, answers each with the CPU
#: seconds of the measures of a fresh K=16 result (the quantisation itself is made once).
WORKER = """
import dataclasses, json, sys, time
import numpy as np
from kmeans.io import LoadedImage
from kmeans.pipeline import Compression
from kmeans.quantization import quantize
results = {}
for line in sys.stdin:
    rgb_path, alpha_path, dither = line.split()
    key = (rgb_path, alpha_path, dither)
    if key not in results:
        alpha = None if alpha_path == "none" else np.load(alpha_path)
        image = LoadedImage(np.load(rgb_path), alpha, "PNG", 1)
        results[key] = image, quantize(image, 16, dither=dither)
    image, result = results[key]
    compression = Compression(image, dataclasses.replace(result))
    compression.result.image  # drawn before the clock starts, as a run draws it anyway
    answer = {}
    for name in ("perceptual", "mse"):
        started = time.process_time()
        getattr(compression, name)
        answer[name] = time.process_time() - started
    print(json.dumps(answer), flush=True)
"""

DITHERS = ("none", "floyd-steinberg")


def alphas(height: int, width: int) -> dict[str, np.ndarray | None]:
    """The opacities tried: none, a ramp across, and a disc with a soft rim."""
    rows, columns = np.mgrid[0:height, 0:width]
    ramp = np.clip(columns / width * 300 - 20, 0, 255)
    radius = np.hypot(columns - width / 2, rows - height / 2) / (height / 2)
    disc = np.clip((1.2 - radius) / 0.4 * 255, 0, 255)
    return {"opaque": None, "ramp": ramp.astype(np.uint8), "disc": disc.astype(np.uint8)}


def measure(baseline: str | None, repeats: int) -> dict:
    """{(alpha name, dither): {"measure:revision": [CPU seconds per round]}}."""
    (photo,) = photos(["astronaut-12mp"])
    times: dict = {}
    with Revisions(baseline, WORKER) as workers:
        folder = next(iter(workers.values())).folder
        np.save(folder / "rgb.npy", photo.rgb)
        files = {}
        for name, alpha in alphas(*photo.rgb.shape[:2]).items():
            files[name] = "none" if alpha is None else folder / f"{name}.npy"
            if alpha is not None:
                np.save(files[name], alpha)
        for round_number in range(repeats + 1):
            order = list(workers.items())[:: -1 if round_number % 2 else 1]
            for name, alpha_file in files.items():
                for dither in DITHERS:
                    row = times.setdefault((name, dither), {})
                    for revision, worker in order:
                        answer = worker.ask(folder / "rgb.npy", alpha_file, dither)
                        if round_number:
                            for measure_name, seconds in answer.items():
                                row.setdefault(f"{measure_name}:{revision}", []).append(seconds)
    return times


def table(times: dict) -> list[str]:
    columns = sorted(next(iter(times.values())))
    lines = [
        "| alpha | dither | " + " | ".join(columns) + " |",
        "|---|---|" + "---:|" * len(columns),
    ]
    for (name, dither), row in times.items():
        medians = [f"{statistics.median(row[c]):.2f}" for c in columns]
        lines.append(f"| {name} | {dither} | " + " | ".join(medians) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="another git revision, or a checkout's path")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    print(f"Load average at start (1/5/15 min): {load_average()}\n")
    times = measure(options.baseline, options.repeats)
    print("\n".join(table(times)))
    print(f"\nLoad average at the end: {load_average()}")


if __name__ == "__main__":
    main()

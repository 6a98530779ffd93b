"""Benchmark: `quantize`'s time against its two time targets, side by side in one run.

Run by hand (the test suite never runs it)::

    python bench/speed.py                          # ladybird 4 MP and a 12 MP photo, K=16/32/64
    python bench/speed.py --baseline /work/main    # also time another checkout's quantize
    python bench/speed.py --repeats 7 --photos ladybird-4mp
    python bench/speed.py --photos sky             # the 1 MP sky, where extra seeding effort shows

The quality issue's time targets for photos of 1 MP or more: ``quantize`` takes ≤ 2.0× the
scikit-learn recipe (fit on 1,000 pixels, predict all) and less than libimagequant with
dithering 0. On a shared machine only ratios from one run mean anything, so every round runs
every method once, in turn, and the table gives medians over the rounds.

Each checkout's ``quantize`` runs in a worker process of its own (its ``kmeans`` package cannot
share one interpreter with another's); the worker times the call itself, so the pipe between the
processes is not counted. The recipe and libimagequant run in this process, as in
``bench/perceptual.py``. Only one thing runs at a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from perceptual import (  # noqa: E402
    LADYBIRD_SIZE,
    Photo,
    ladybird_photo,
    large_photo,
    libimagequant,
    sklearn_recipe,
)

from kmeans.samples import sky  # noqa: E402

KS = (16, 32, 64)
REPEATS = 5

#: The worker: reads "photo-file k" lines, answers with the seconds quantize took (wall clock and
#: CPU, all threads) and its MSE.
WORKER = """
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import kmeans
from kmeans.metrics import mse
photos = {}
for line in sys.stdin:
    path, k = line.split()
    if path not in photos:
        photos[path] = np.load(path)
    rgb = photos[path]
    started, cpu_started = time.perf_counter(), time.process_time()
    result = kmeans.quantize(rgb, int(k))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(json.dumps({"seconds": seconds, "cpu": cpu, "mse": mse(rgb, result.image)}), flush=True)
"""


class Worker:
    """One checkout's ``quantize`` in a process of its own."""

    def __init__(self, checkout: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(checkout)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def quantize(self, photo_file: Path, k: int) -> dict:
        self.process.stdin.write(f"{photo_file} {k}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def timed(run, photo: Photo, k: int) -> float:
    started = time.perf_counter()
    run(photo, k)
    return time.perf_counter() - started


def measure(photos, checkouts: dict[str, Path], ks, repeats: int) -> dict:
    """{(photo, k): {method: [seconds per round]}}, plus each checkout's MSE under "mse:…"."""
    times: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        files = {}
        for photo in photos:
            files[photo.name] = Path(folder) / f"{photo.name}.npy"
            np.save(files[photo.name], photo.rgb)
        workers = {name: Worker(path) for name, path in checkouts.items()}
        liq = libimagequant(0.0)
        try:
            for round_number in range(repeats + 1):  # round 0 warms up and is not kept
                for photo in photos:
                    for k in ks:
                        row = times.setdefault((photo.name, k), {})
                        seconds = {}
                        for name, worker in workers.items():
                            answer = worker.quantize(files[photo.name], k)
                            seconds[name] = answer["seconds"]
                            row[f"mse:{name}"] = answer["mse"]
                        seconds["recipe"] = timed(sklearn_recipe, photo, k)
                        seconds["liq0"] = timed(liq, photo, k)
                        if round_number:
                            for name, value in seconds.items():
                                row.setdefault(name, []).append(value)
                        print(photo.name, k, round_number, _rounded(seconds), file=sys.stderr)
        finally:
            for worker in workers.values():
                worker.close()
    return times


def _rounded(seconds: dict) -> dict:
    return {name: round(value, 3) for name, value in seconds.items()}


def table(times: dict, checkouts: list[str]) -> str:
    header = ["photo", "K", "recipe s", "liq0 s"]
    for name in checkouts:
        header += [f"{name} s", f"{name} ÷ recipe", f"{name} ÷ liq0", f"{name} MSE"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (photo, k), row in times.items():
        recipe, liq = statistics.median(row["recipe"]), statistics.median(row["liq0"])
        cells = [photo, str(k), f"{recipe:.3f}", f"{liq:.3f}"]
        for name in checkouts:
            ours = statistics.median(row[name])
            cells += [
                f"{ours:.3f}",
                f"{ours / recipe:.2f}×",
                f"{ours / liq:.2f}×",
                f"{row[f'mse:{name}']:.2f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to time as well")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed rounds (median)")
    parser.add_argument("--ks", type=int, nargs="+", default=list(KS))
    parser.add_argument(
        "--photos", nargs="+", default=["ladybird-4mp", "astronaut-12mp"], help="which photos"
    )
    args = parser.parse_args(argv)
    builders = {
        "ladybird-4mp": lambda: ladybird_photo(LADYBIRD_SIZE),
        "astronaut-12mp": large_photo,
        "sky": lambda: Photo("sky", "bench/photos.py sky(), 1200×900", sky()),
    }
    photos = [builders[name]() for name in args.photos]
    checkouts = {"this": REPO}
    if args.baseline:
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    times = measure(photos, checkouts, args.ks, args.repeats)
    print(f"Medians of {args.repeats} interleaved rounds; targets: ≤ 2.00× recipe, < 1.00× liq0.")
    print(table(times, list(checkouts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

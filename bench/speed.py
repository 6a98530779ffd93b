"""Benchmark: ``quantize``'s time against its two time targets, and against another revision.

Run by hand from the repository's root (the test suite never runs it)::

    python -m bench.speed                          # ladybird 4 MP and astronaut 12 MP, K=16/32/64
    python -m bench.speed --baseline main          # also time another revision (or checkout path)
    python -m bench.speed --repeats 7 --photos ladybird-4mp --ks 16
    python -m bench.speed --photos sky-1mp         # the 1 MP sky, where the Anderson steps run

The time targets on photos of 1 MP or more: ``quantize`` takes ≤ 2.0× scikit-learn's recipe
(fit on 1,000 pixels, predict all) and less than libimagequant with dithering 0. On a shared
machine only ratios from one run mean anything, so every round runs every method once, in turn
(round 0 warms up and is dropped), and the table gives medians over the rounds. Beside another
revision it also gives the ratio of their CPU seconds, which a busy machine blurs less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator

from bench.machine import load_average
from bench.peers import LIQ0, RECIPE, Peer
from bench.photos import Photo, photos
from bench.revisions import Revisions

KS = (16, 32, 64)
REPEATS = 5
RECIPE_LIMIT, LIQ_LIMIT = 2.0, 1.0


def timed(peer: Peer, photo: Photo, k: int) -> float:
    started = time.perf_counter()
    peer.run(photo, k)
    return time.perf_counter() - started


def measure(shots: list[Photo], baseline: str | None, ks, repeats: int) -> dict:
    """{(photo, k): {method: [seconds per round]}}, with each revision's MSE under "mse:…" and
    its CPU seconds per round (all threads, steadier than wall clock on a busy machine) under
    "cpu:…"."""
    times: dict = {}
    with Revisions(baseline) as workers:
        for round_number in range(repeats + 1):
            for photo in shots:
                for k in ks:
                    row = times.setdefault((photo.name, k), {})
                    seconds, cpu = {}, {}
                    # Each revision goes first every other round, so neither always runs second.
                    order = list(workers.items())[:: -1 if round_number % 2 else 1]
                    for name, worker in order:
                        answer = worker.quantize(photo, k)
                        seconds[name], cpu[f"cpu:{name}"] = answer["seconds"], answer["cpu"]
                        row[f"mse:{name}"] = answer["mse"]
                    for peer in (RECIPE, LIQ0):
                        seconds[peer.key] = timed(peer, photo, k)
                    if round_number:
                        for name, value in {**seconds, **cpu}.items():
                            row.setdefault(name, []).append(value)
                    rounded = {name: round(value, 3) for name, value in seconds.items()}
                    print(photo.name, k, round_number, rounded, file=sys.stderr)
    return times


def table(times: dict, revisions: list[str]) -> Iterator[str]:
    header = ["photo", "K", "recipe s", "liq0 s"]
    for name in revisions:
        header += [f"{name} s", f"{name} ÷ recipe", f"{name} ÷ liq0", f"{name} MSE"]
    if len(revisions) == 2:
        header += ["this ÷ baseline", "this ÷ baseline, CPU s"]
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for (photo, k), row in times.items():
        recipe, liq = statistics.median(row["recipe"]), statistics.median(row["liq0"])
        cells = [photo, str(k), f"{recipe:.3f}", f"{liq:.3f}"]
        for name in revisions:
            ours = statistics.median(row[name])
            cells += [
                f"{ours:.3f}",
                f"{ours / recipe:.2f}×",
                f"{ours / liq:.2f}×",
                f"{row[f'mse:{name}']:.2f}",
            ]
        if len(revisions) == 2:
            for prefix in ("", "cpu:"):
                change = statistics.median(row[f"{prefix}this"]) / statistics.median(
                    row[f"{prefix}baseline"]
                )
                cells.append(f"{change:.2f}×")
        yield "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a git revision or checkout path to time as well")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed rounds (median)")
    parser.add_argument("--ks", type=int, nargs="+", default=list(KS))
    parser.add_argument("--photos", nargs="+", default=["ladybird-4mp", "astronaut-12mp"])
    args = parser.parse_args(argv)
    shots = photos(args.photos)
    started = load_average()
    times = measure(shots, args.baseline, args.ks, args.repeats)
    revisions = ["baseline", "this"] if args.baseline else ["this"]
    print(
        f"Medians of {args.repeats} interleaved rounds; targets: ≤ {RECIPE_LIMIT:.2f}× recipe, "
        f"< {LIQ_LIMIT:.2f}× liq0. Load average at the start {started}, at the end "
        f"{load_average()}."
    )
    if args.baseline:
        print(f"baseline: {args.baseline}")
    print("\n".join(table(times, revisions)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

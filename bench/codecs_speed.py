"""Benchmark: the codec comparison's time against its target, beside another revision.

Run by hand from the repository's root (the test suite never runs it)::

    python -m bench.codecs_speed                         # coffee 4 MP and astronaut 12 MP
    python -m bench.codecs_speed --baseline 939ca04      # and another revision, taking turns
    python -m bench.codecs_speed --photos coffee-4mp --ks 16 --repeats 5

The target (issue #20, §2): "Is K colours the right format for this image?", that is
:func:`kmeans.codecs.compare_codecs` for the K-colour result of a 4 MP photo, in ≤ 3 s on
this 2-core machine. Each revision runs in a worker process of its own
(:mod:`bench.revisions`) and makes its own K-colour result once per photo and K, outside the
clock; then every round times one comparison in each revision, the two taking turns going
first (round 0 warms up and is dropped). The table gives medians over the rounds of the wall
clock and of the CPU seconds (all threads; a busy machine blurs them less), and each codec's
answer, quality and bytes, so that a faster revision can be seen to give the same files.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Iterator

from bench.machine import load_average
from bench.photos import photos
from bench.revisions import Revisions

KS = (16, 64)
REPEATS = 3
TARGET_SECONDS = 3.0

#: The worker: reads "photo-file k" lines, answers each with the seconds one comparison took
#: (wall clock and CPU) and each codec's answer; the K-colour result is made once per line.
WORKER = """
import json, sys, time
import numpy as np
import kmeans
from kmeans.codecs import compare_codecs
targets = {}
for line in sys.stdin:
    path, k = line.split()
    if (path, k) not in targets:
        rgb = np.load(path)
        targets[path, k] = rgb, kmeans.quantize(rgb, int(k)).perceptual
    rgb, target = targets[path, k]
    started, cpu_started = time.perf_counter(), time.process_time()
    matches = compare_codecs(rgb, target)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    found = [[m.codec, m.quality, m.n_bytes] for m in matches]
    print(json.dumps({"seconds": seconds, "cpu": cpu, "matches": found}), flush=True)
"""


def measure(names: list[str], baseline: str | None, ks: list[int], repeats: int) -> dict:
    """{(photo, k): {revision: {"seconds": [...], "cpu": [...], "matches": [...]}}}."""
    shots = photos(names)
    times: dict = {}
    with Revisions(baseline, WORKER) as workers:
        for round_number in range(repeats + 1):
            order = list(workers.items())[:: -1 if round_number % 2 else 1]
            for photo in shots:
                for k in ks:
                    row = times.setdefault((photo.name, k), {})
                    for revision, worker in order:
                        answer = worker.ask(worker.photo_file(photo), k)
                        print(photo.name, k, round_number, revision, answer, file=sys.stderr)
                        if round_number:
                            stored = row.setdefault(revision, {"seconds": [], "cpu": []})
                            stored["seconds"].append(answer["seconds"])
                            stored["cpu"].append(answer["cpu"])
                            stored["matches"] = answer["matches"]
    return times


def answers(matches: list) -> str:
    return ", ".join(
        f"{codec} q{quality} {size:,} B" if quality else f"{codec} never"
        for codec, quality, size in matches
    )


def table(times: dict, revisions: list[str]) -> Iterator[str]:
    header = ["photo", "K"]
    for name in revisions:
        header += [f"{name} s", f"{name} CPU s"]
    if len(revisions) == 2:
        header += ["this ÷ baseline", "this ÷ baseline, CPU s"]
    header += [f"{name}: answers" for name in revisions]
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for (photo, k), row in times.items():
        cells = [photo, str(k)]
        medians = {}
        for name in revisions:
            medians[name] = [statistics.median(row[name][kind]) for kind in ("seconds", "cpu")]
            cells += [f"{value:.2f}" for value in medians[name]]
        if len(revisions) == 2:
            pairs = zip(medians["this"], medians["baseline"], strict=True)
            cells += [f"{this / baseline:.2f}×" for this, baseline in pairs]
        cells += [answers(row[name]["matches"]) for name in revisions]
        yield "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="a git revision or checkout path to time as well")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed rounds (median)")
    parser.add_argument("--ks", type=int, nargs="+", default=list(KS))
    parser.add_argument("--photos", nargs="+", default=["coffee-4mp", "astronaut-12mp"])
    args = parser.parse_args(argv)
    started = load_average()
    times = measure(args.photos, args.baseline, args.ks, args.repeats)
    revisions = ["baseline", "this"] if args.baseline else ["this"]
    print(
        f"Medians of {args.repeats} interleaved rounds; target ≤ {TARGET_SECONDS:.0f} s on 4 MP. "
        f"Load average (1/5/15 min) at the start {started}, at the end {load_average()}."
    )
    if args.baseline:
        print(f"baseline: {args.baseline}")
    print("\n".join(table(times, revisions)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

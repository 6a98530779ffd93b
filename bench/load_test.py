"""A class at once: each visitor uploads a different photo and tries K values. Run by hand.

    python -m bench.load_test                                      # 30 visitors, 12 MP each
    python -m bench.load_test --sessions 4 --photo-mp 4            # a smoke test, ~2 min
    python -m bench.load_test --ks 8,24,64 --url http://host:8501  # a running server
    python -m bench.load_test --sessions 6 --photo-mp 4 --tree /work/wt/prev  # another checkout

A teacher shares the link with a class. One headless Chromium opens ``--sessions`` browser
contexts at once (Playwright's async API), each a visitor at 1280 × 720. Each opens the page and
waits for the sample's result; when every visitor has it, all upload together, each its own
photo (``--photo-mp`` megapixels at 4:3: a sample mirrored, turned and colour-shifted, Lanczos-
upscaled, saved as a quality-90 JPEG and cached under the system's temporary folder), and wait
for its result at K = 16. Then each tries the K values of ``--ks`` in turn, waiting for each
result before the next (a preset is clicked, any other K typed in the exact box). Every K is new
for that photo, so nothing is served from the cache.

Two times per step: *first result visible* (the split view shows a picture for the new K and
photo: a preview counts, and the report marks it) and *full-size result* (a full-resolution
download for that K and that photo's size is there, the run's own PNG counting while the
smallest files are written, and the split view shows the full-size picture, every image loaded;
the page must also name the visitor's own file). After the last K a third: the *smallest files*
(the optimised PNG and WebP offered, the script finished); earlier ones the next K replaces
before anyone waits for them, as a student trying K values would. A watcher in every page
records the progress bar's texts, each tagged with what the visitor was doing, so the report can
say whether waiting visitors were told their place in the queue ("Waiting: N photos ahead of
yours…"), after uploading and while the page first loaded, and how long the longest stretch was
in which a visitor's page was busy with nothing to read. The first waiting visitor told a place
of 2 or more is photographed, and so is the first left for 15 s with no progress text, to
bench/results/load-waiting.png and load-silent.png.

The report (printed, and written to bench/results/load-test-<date>.md): one row per visitor,
whether every visitor got every result, the 50th and 95th percentile times to the first visible
and to the full-size result, the server's peak memory (the kernel's VmHWM for the server and
its children, and the largest resident set sampled every 2 s; only for a server this script
started), the CPU seconds the server and the browser used (the visitors' pages share this
machine with the server, so the figures are pessimistic; bench/results/NOTES.md says what did
not make the browser cheaper), the load average before and after, what waiting visitors were
shown, and whether /_stcore/health still answers "ok". Every wait is bounded
(``--step-timeout``, ``--total-timeout``); at the total limit the visitors still waiting are
stopped and the report says what they missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from playwright.async_api import async_playwright

from bench.page_tools import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHOTO_FACTS,
    REPO,
    UPLOAD_INPUT,
    browser_cpu_seconds,
    choose_k,
    distinct_photos,
    finished_runs,
    free_port,
    health,
    mark_phase,
    remaining_ms,
    server_cpu_seconds,
    server_memory_mb,
    split_signature,
    start_streamlit,
    stop_streamlit,
    wait_full_result,
    wait_full_size,
    wait_split_shows,
    wait_until_healthy,
    watch,
    watched_page,
)

VIEWPORT = {"width": 1280, "height": 720}
SAMPLE_SIZE = (512, 512)
UPLOAD_K = 16
RESULTS = REPO / "bench" / "results"
#: A waiting visitor is photographed once told a place this far back, or left this long silent.
PLACE_WORTH_A_PICTURE = 2
#: Each wait looks every 100 ms, not at every frame: see page_tools.EVERY_FRAME. Round 5's
#: 30 visitors, checked at every frame, had the browser take more than half of the machine.
POLL_MS = 100
SILENT_WORTH_A_PICTURE = 15.0


@dataclass
class Step:
    label: str
    k: int
    first: float | None = None  # first result visible (a preview counts), s
    full: float | None = None  # the full-size result, s
    smallest: float | None = None  # the optimised PNG and WebP, s: after the last K only
    previewed: bool = False  # the first result visible was a preview
    failure: str = ""


@dataclass
class Session:
    photo: Path
    size: tuple[int, int]
    load: float | None = None
    steps: list[Step] = field(default_factory=list)
    seen: dict = field(default_factory=dict)  # the page watcher's record, read at the end
    failure: str = ""
    phase: str = "page load"


@dataclass
class Costs:
    """What the run cost the machine: the load before it, and CPU seconds of server and browser."""

    load_before: tuple[float, float, float]
    server_cpu: float | None = None
    browser_cpu: float | None = None
    browser_cpu_opening: float | None = None  # until every visitor had opened the page


@dataclass
class Pictures:
    """The screenshots of waiting visitors, each taken once."""

    waiting: Path | None = None
    silent: Path | None = None
    taken: dict = field(default_factory=dict)  # what each shows


async def visit(browser, session: Session, ks, everyone_loaded, loaded, args, pictures) -> None:
    context = await browser.new_context(viewport=VIEWPORT)
    page = await watched_page(context)
    looking = asyncio.create_task(look_at_the_wait(page, session, pictures))
    try:
        started = time.perf_counter()
        deadline = time.monotonic() + args.step_timeout
        try:
            await page.goto(args.url, timeout=remaining_ms(deadline))
            await wait_full_result(page, UPLOAD_K, SAMPLE_SIZE, 0, deadline, POLL_MS)
            session.load = time.perf_counter() - started
        finally:
            loaded()
        await everyone_loaded.wait()
        upload = page.get_by_test_id(UPLOAD_INPUT)
        await step(
            page, session, "upload", UPLOAD_K, lambda: upload.set_input_files(session.photo), args
        )
        for i, k in enumerate(ks):
            last = i == len(ks) - 1
            await step(page, session, f"K={k}", k, lambda k=k: choose_k(page, k), args, last)
    except Exception as error:
        session.failure = session.failure or f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        looking.cancel()
        with contextlib.suppress(Exception):  # a page gone is a page with nothing to read
            session.seen = await watch(page)
        await context.close()


async def step(page, session: Session, label: str, k: int, act, args, last=False) -> None:
    """One action and its result; a miss is recorded and the visitor goes on. After the
    ``last``, the visitor also waits for the smallest files (earlier ones they never wait for:
    the next K replaces them)."""
    done = Step(label, k)
    session.steps.append(done)
    session.phase = label
    deadline = time.monotonic() + args.step_timeout
    try:
        await mark_phase(page, label)
        runs, before = await finished_runs(page), await split_signature(page)
        started = time.perf_counter()
        await act()

        async def timed(waited) -> tuple[object, float]:
            outcome = await waited
            return outcome, time.perf_counter() - started

        (label, done.first), (_, done.full) = await asyncio.gather(
            timed(wait_split_shows(page, k, before, deadline, POLL_MS)),
            timed(wait_full_size(page, k, session.size, before, deadline, POLL_MS)),
        )
        if last:
            _, done.smallest = await timed(
                wait_full_result(page, k, session.size, runs, deadline, POLL_MS)
            )
        done.previewed = "preview" in label
        facts = await page.get_by_test_id(PHOTO_FACTS).first.inner_text()
        if not facts.startswith(f"Your photo: {session.photo.name} ·"):
            raise AssertionError(f"the page names another photo: {facts[:80]!r}")
    except Exception as error:
        done.first = done.full = None
        done.failure = f"{type(error).__name__}: {str(error)[:200]}"
        session.failure = session.failure or f"{label}: {done.failure}"


async def look_at_the_wait(page, session: Session, pictures: Pictures) -> None:
    """Every second: photograph the first visitor told a place far back, and the first left
    silent (busy, with no progress text) for a long while."""
    while True:
        await asyncio.sleep(1.0)
        try:
            seen = await page.evaluate(
                "(() => { const w = window.__watch; return w && {kind: w.kind, progress: "
                "w.progress, silent: (performance.now() - w.since) / 1000} })()"
            )
            if not seen:
                continue
            text = seen["progress"] or ""
            if pictures.waiting is None and text.startswith("Waiting:"):
                place = int(text.split()[1])
                if place >= PLACE_WORTH_A_PICTURE:
                    pictures.waiting = RESULTS / "load-waiting.png"
                    pictures.taken["waiting"] = f"{session.phase}: {text}"
                    await page.screenshot(path=pictures.waiting)
            if (
                pictures.silent is None
                and seen["kind"] == "no progress bar"
                and seen["silent"] >= SILENT_WORTH_A_PICTURE
            ):
                pictures.silent = RESULTS / "load-silent.png"
                pictures.taken["silent"] = (
                    f"{session.phase}: busy with no progress text for {seen['silent']:.0f} s"
                )
                await page.screenshot(path=pictures.silent)
        except Exception:  # a closed page or a busy renderer: try again next second
            continue


async def sample_memory(pid: int | None, highest: list[float]) -> None:
    """Keep the largest resident set of the server (and children) seen, every 2 s."""
    while pid is not None:
        highest[0] = max(highest[0], server_memory_mb(pid)["now"])
        await asyncio.sleep(2.0)


async def run(sessions: list[Session], ks, args, pid, pictures, highest, costs: Costs) -> None:
    server_before = server_cpu_seconds(pid)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        everyone_loaded, count = asyncio.Event(), [0]

        def loaded() -> None:
            count[0] += 1
            if count[0] == len(sessions):
                costs.browser_cpu_opening = browser_cpu_seconds(pid)
                everyone_loaded.set()

        memory = asyncio.create_task(sample_memory(pid, highest))
        visits = [
            asyncio.create_task(visit(browser, s, ks, everyone_loaded, loaded, args, pictures))
            for s in sessions
        ]
        _, late = await asyncio.wait(visits, timeout=args.total_timeout)
        for task in late:
            task.cancel()
        for session, task in zip(sessions, visits, strict=True):
            if task in late:
                session.failure = session.failure or "stopped at --total-timeout"
        await asyncio.gather(*visits, return_exceptions=True)
        memory.cancel()
        costs.browser_cpu = browser_cpu_seconds(pid)
        await browser.close()
    if pid is not None:
        costs.server_cpu = server_cpu_seconds(pid) - server_before


def percentiles(values: list[float]) -> str:
    if not values:
        return "—"
    p50, p95 = np.percentile(values, [50, 95])
    return f"p50 {p50:.1f} s, p95 {p95:.1f} s (worst {max(values):.1f} s, n = {len(values)})"


def seconds(value: float | None) -> str:
    return "MISSED" if value is None else f"{value:.1f}"


def places_told(seen: dict, after_upload: bool) -> list[int]:
    """The queue places the page showed, while it first loaded or after the upload."""
    return [
        place
        for _, place, phase in seen.get("waiting", [])
        if (phase != "page load") == after_upload
    ]


def places(seen: dict) -> str:
    told = places_told(seen, after_upload=True)
    return f"{max(told)} → {min(told)} ({len(told)} texts)" if told else "never"


def longest(seen: dict, kind: str) -> float:
    return seen.get("stretch", {}).get(kind, 0.0) / 1000


def load(averages: tuple[float, ...]) -> str:
    return " ".join(f"{x:.1f}" for x in averages)


def report(sessions, ks, args, pid, pictures, highest, wall, started_at, costs: Costs) -> str:
    labels = ["upload"] + [f"K={k}" for k in ks]
    lines = [
        f"# Load test, {started_at:%Y-%m-%d %H:%M}",
        "",
        f"{len(sessions)} visitors at once, each uploading a different "
        f"{sessions[0].size[0]} × {sessions[0].size[1]} JPEG ({args.photo_mp:g} MP) at "
        f"K = {UPLOAD_K}, then trying K = {', '.join(map(str, ks))}, on {args.url}"
        ". One headless Chromium on the same "
        f"machine ({os.cpu_count()} CPUs, load average before {load(costs.load_before)}, at end "
        f"{load(os.getloadavg())}): timings are pessimistic.",
        "",
        "Cells: seconds to the first result visible (p: a preview) / to the full-size result.",
        "",
        "| visitor | page load | " + " | ".join(labels) + " | queue places told after upload | "
        "longest busy with no progress text | longest at 'Starting…' |",
        "|---|--:|" + "--:|" * len(labels) + "---|--:|--:|",
    ]
    for session in sessions:
        cells = [
            f"{seconds(s.first)}{' p' if s.previewed else ''} / {seconds(s.full)}"
            for s in session.steps
        ]
        cells += ["not reached"] * (len(labels) - len(cells))
        lines.append(
            f"| {session.photo.name} | {seconds(session.load)} | {' | '.join(cells)} | "
            f"{places(session.seen)} | {longest(session.seen, 'no progress bar'):.1f} s | "
            f"{longest(session.seen, 'Starting…'):.1f} s |"
        )
    expected = len(sessions) * len(labels)
    got = [s for session in sessions for s in session.steps if s.full is not None]
    lines += ["", "## Summary", ""]
    lines.append(
        f"- results: {len(got)} of {expected} "
        + ("(every visitor got every result)" if len(got) == expected else "(SOME MISSED)")
    )
    for session in sessions:
        if session.failure:
            lines.append(f"  - {session.photo.name}: {session.failure}")
    uploads = [s.full for session in sessions for s in session.steps[:1] if s.full is not None]
    changes = [s.full for session in sessions for s in session.steps[1:] if s.full is not None]
    firsts = [s.first for s in got if s.first is not None]
    first_uploads = [s.first for x in sessions for s in x.steps[:1] if s.first is not None]
    first_changes = [s.first for x in sessions for s in x.steps[1:] if s.first is not None]
    previews = sum(s.previewed for s in got)
    lines += [
        f"- time to first result visible (a preview counts), every step: {percentiles(firsts)}",
        f"- time to first result visible, uploads: {percentiles(first_uploads)}",
        f"- time to first result visible, new K: {percentiles(first_changes)}",
        f"- first results that were previews: {previews} of {len(got)}",
        f"- time to full-size result, every step: {percentiles([s.full for s in got])}",
        f"- time to full-size result, uploads: {percentiles(uploads)}",
        f"- time to full-size result, new K: {percentiles(changes)}",
        "- time to the smallest files (optimised PNG and WebP), last K: "
        + percentiles([s.smallest for x in sessions for s in x.steps if s.smallest is not None]),
        f"- page load before the uploads: {percentiles([s.load for s in sessions if s.load])}",
        f"- wall clock: {wall:.0f} s",
    ]
    if costs.server_cpu is not None:
        lines.append(
            f"- CPU: server {costs.server_cpu:.0f} s, browser {costs.browser_cpu:.0f} s "
            f"({costs.browser_cpu_opening:.0f} s of it while the visitors opened the page)"
        )
    elif costs.browser_cpu is not None:
        lines.append(f"- CPU: browser {costs.browser_cpu:.0f} s")
    if pid is not None:
        memory = server_memory_mb(pid)
        verdict = "met" if memory["peak"] <= 2048 else "NOT met"
        lines.append(
            f"- server memory: peak {memory['peak']:.0f} MB (VmHWM; target ≤ 2048 MB: {verdict}), "
            f"largest sampled {highest[0]:.0f} MB, now {memory['now']:.0f} MB"
        )
    silent = [longest(s.seen, "no progress bar") for s in sessions]
    for after_upload, when in ((True, "after uploading"), (False, "while the page first loaded")):
        told = [places_told(s.seen, after_upload) for s in sessions]
        lines.append(
            f"- visitors told their place in the queue {when}: "
            f"{sum(map(bool, told))} of {len(sessions)} "
            f"(farthest back: {max(max(t, default=0) for t in told)} photos ahead)"
        )
    lines += [
        f"- longest stretch a visitor's page was busy with no progress text: "
        f"median {np.median(silent):.1f} s, worst {max(silent):.1f} s",
    ]
    for name, path in (("waiting", pictures.waiting), ("silent", pictures.silent)):
        if path is not None:
            lines.append(
                f"- screenshot of a {name} visitor ({pictures.taken[name]}): "
                f"{path.relative_to(REPO)}"
            )
    lines.append(f"- /_stcore/health at the end: {health(args.url)}")
    return "\n".join(lines) + "\n"


def photo_size(megapixels: float) -> tuple[int, int]:
    """A 4:3 landscape size with about ``megapixels`` million pixels."""
    width = round(math.sqrt(megapixels * 1e6 * 4 / 3))
    return width, round(width * 3 / 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; by default one is started")
    parser.add_argument("--sessions", type=int, default=30, help="visitors at once")
    parser.add_argument("--photo-mp", type=float, default=12.0, help="megapixels per photo")
    parser.add_argument(
        "--ks", default="8,24,64", help="K values each visitor tries after the upload (at 16)"
    )
    parser.add_argument(
        "--tree", type=Path, default=REPO, help="the checkout whose page is served (default: this)"
    )
    parser.add_argument("--step-timeout", type=float, default=1500, help="seconds per result")
    parser.add_argument("--total-timeout", type=float, default=2700, help="seconds in all")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    if UPLOAD_K in ks or len(set(ks)) != len(ks):
        parser.error(f"--ks must be different K values, none of them {UPLOAD_K}")

    size = photo_size(args.photo_mp)
    print(f"building {args.sessions} photos of {size[0]} × {size[1]} (cached after the first run)…")
    sessions = [
        Session(photo.cached_jpeg(f"class-{i + 1:02d}.jpg"), size)
        for i, photo in enumerate(distinct_photos(args.sessions, size))
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    pictures, highest, started_at = Pictures(), [0.0], datetime.now()
    stem = RESULTS / f"load-test-{started_at:%Y-%m-%d-%H%M}"
    with Path(f"{stem}-server.log").open("wb") as log:
        server = None
        try:
            if args.url is None:
                port = free_port()
                args.url = f"http://127.0.0.1:{port}"
                server = start_streamlit(port, log, cwd=args.tree)
                wait_until_healthy(args.url, server)
            pid = server and server.pid
            print(f"{args.sessions} visitors on {args.url}…")
            costs = Costs(os.getloadavg())
            started = time.perf_counter()
            asyncio.run(run(sessions, ks, args, pid, pictures, highest, costs))
            wall = time.perf_counter() - started
            text = report(sessions, ks, args, pid, pictures, highest, wall, started_at, costs)
        finally:
            if server is not None:
                stop_streamlit(server)
    print("\n" + text)
    out = Path(f"{stem}.md")
    out.write_text(text)
    # Each page's own record (progress texts with their times, in ms since it opened), to
    # reconstruct what a visitor saw when.
    Path(f"{stem}-pages.json").write_text(
        json.dumps({s.photo.name: {**s.seen, "phase": s.phase} for s in sessions}, indent=1)
    )
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

"""How fast the page feels to one visitor, in real Chromium, against issue #9's targets. By hand.

    python -m bench.page_speed                              # 3 repeats of each action, ~5 min
    python -m bench.page_speed --repeats 5
    python -m bench.page_speed --url http://127.0.0.1:8501  # a running server
    python -m bench.page_speed --tree /work/wt/prev            # another checkout's page

One headless Chromium visitor at 1280 × 720 against a `streamlit run` server this script starts
(and stops). Each action is repeated and every repeat asks for something the server has not
computed yet: a fresh random seed in the link, a fresh K, or a fresh 18 MP photo. The repeats
of the different actions are interleaved, so a noisy minute on this shared machine spreads
over all of them. The actions, with the targets of the issue's "Speed people feel":

(a) first page load, until the sample's result is drawn with no grey placeholder left (≤ 2 s),
    as a new visitor of a running server opens the plain link (the server already has that
    result) and a link with a new seed (it has not); the very first visit after the server
    starts is shown once, for reference;
(b) a new K on a 4 MP JPEG (≤ 0.8 s): the presets 32, 8, 64 clicked, then exact K values typed;
(c) a new K on an 18 MP JPEG (≤ 2.5 s): K = 24 and K = 12 typed in the exact box;
(d) the first result after uploading an 18 MP JPEG (≤ 4 s), a different photo every repeat;
(e) the Compare tab with five new K on that photo (≤ 6 s): the current K is 24 or 12, so all
    five default pills (4, 8, 16, 32, 64) are new;
(f) the "Colours in 3D" tab's toggle "Draw each pixel in its cluster's colour" (< 1 s).

Two times per action (see bench/page_tools.py, whose first section holds every DOM signal):
*first result visible* (the split view shows the new K's picture, or the Compare tab all five
thumbnails, or the 3D plot its new colours) and *full result* (the full-resolution download
button is there, the run has finished and everything has loaded). The two are waited for side
by side, each polled in its own document, so when they coincide either may come out a few tens
of milliseconds first. Beside them, the CPU seconds the server used meanwhile: the machine is
shared, and wall-clock times swing with its load much more than the CPU the work takes.

It prints one Markdown table of medians with today's figures and the targets, then one row per
timed run, and writes both to bench/results/page-speed-<date>.md, with screenshots beside it.
Every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from playwright.async_api import async_playwright

from bench.page_tools import (
    BY_CLUSTER_TOGGLE,
    CHROMIUM,
    CHROMIUM_ARGS,
    CLUSTERS_TAB,
    COMPARE_DEFAULT_KS,
    COMPARE_TAB,
    REPO,
    RESULT_TAB,
    UPLOAD_INPUT,
    Photo,
    choose_k,
    finished_runs,
    free_port,
    plot_colours,
    remaining_ms,
    server_cpu_seconds,
    split_signature,
    start_streamlit,
    stop_streamlit,
    wait_compare_thumbnails,
    wait_drawn,
    wait_full_result,
    wait_plot_recoloured,
    wait_split_shows,
    wait_until_healthy,
    watch,
    watched_page,
)

VIEWPORT = {"width": 1280, "height": 720}
SAMPLE_SIZE = (512, 512)
DEFAULT_K = 16
SIZE_4MP = (2309, 1732)
SIZE_18MP = (5196, 3464)
PHOTO_4MP = Photo("coffee.png", SIZE_4MP, shift=(3, -2, 4))
#: Fresh K values on the 4 MP photo (uploaded at K = 16): presets first, then typed ones.
KS_4MP = (32, 8, 64, 24, 12, 48, 20, 40, 28, 56)
#: The 18 MP photo is uploaded at this K, not a default pill, so the Compare tab's five are new.
K_AT_UPLOAD = 20
KS_18MP = (24, 12)
RESULTS = REPO / "bench" / "results"
#: The server this script started, if it did: its CPU time is read around every action.
SERVER_PID: list[int | None] = [None]


@dataclass(frozen=True)
class Action:
    key: str
    words: str
    today: str
    target: float  # seconds
    target_words: str


ACTIONS = [
    Action("load-cold", "first page load, first visit after the server starts (once)", "", 2.0, ""),
    Action("load", "(a) first page load, plain link", "2.4–4.9 s, grey placeholders", 2.0, "≤ 2 s"),
    Action("load-new", "(a) first page load, link with a new seed", "", 2.0, "≤ 2 s"),
    Action("upload-4mp", "first result after a 4 MP upload (once)", "", 4.0, ""),
    Action("k-4mp", "(b) new K, 4 MP photo", "1.0–2.2 s", 0.8, "≤ 0.8 s"),
    Action("k-18mp", "(c) new K, 18 MP photo", "4.8 s", 2.5, "≤ 2.5 s"),
    Action("upload-18mp", "(d) first result after an 18 MP upload", "6.5 s", 4.0, "≤ 4 s"),
    Action("compare-18mp", "(e) Compare tab, five new K, 18 MP", "13.5 s", 6.0, "≤ 6 s"),
    Action(
        "toggle", "(f) 3D tab: draw each pixel in its cluster's colour", "about 4 s", 1.0, "< 1 s"
    ),
]


@dataclass
class Timing:
    action: str
    repeat: int
    what: str
    first: float | None  # first result visible, s
    full: float | None  # full result, s
    placeholders: float | None = None  # seconds from the first grey placeholder to the last
    longest_placeholder: float | None = None  # seconds the longest-lived one stayed
    failure: str = ""
    cpu: float | None = None  # CPU seconds the server spent meanwhile


class Visitor:
    """One browser context at 1280 × 720, timing what its actions make the page show."""

    def __init__(self, browser, url: str, timeout: float, shots: Path | None) -> None:
        self.browser, self.url, self.timeout, self.shots = browser, url, timeout, shots
        self.context = self.page = None

    async def open(self, query: str = "") -> tuple[float | None, ...]:
        """Open the page; (first visible, full result, seconds from the first grey placeholder
        to the last, seconds the longest-lived one stayed)."""
        self.context = await self.browser.new_context(viewport=VIEWPORT)
        self.page = await watched_page(self.context)
        deadline = time.monotonic() + self.timeout
        started = time.perf_counter()
        await self.page.goto(f"{self.url}/{query}", timeout=remaining_ms(deadline))
        first, full = await self._both(
            started,
            wait_split_shows(self.page, DEFAULT_K, "", deadline),
            wait_full_result(self.page, DEFAULT_K, SAMPLE_SIZE, 0, deadline),
        )
        seen = await watch(self.page)
        grey = (
            None
            if seen["skeletonFirst"] is None
            else (seen["skeletonLast"] - seen["skeletonFirst"]) / 1000
        )
        return first, full, grey, seen["skeletonLongest"] / 1000

    async def new_result(
        self, act: Callable[[], Awaitable], k: int, size: tuple[int, int]
    ) -> tuple[float | None, float | None]:
        """Do ``act`` and time the split view showing K, and the full result for K at ``size``."""
        deadline = time.monotonic() + self.timeout
        runs, before = await finished_runs(self.page), await split_signature(self.page)
        started = time.perf_counter()
        await act()
        return await self._both(
            started,
            wait_split_shows(self.page, k, before, deadline),
            wait_full_result(self.page, k, size, runs, deadline),
        )

    async def open_tab(self, name: str, first_shown: Callable[[float], Awaitable] | None = None):
        """Click a tab; (first visible by ``first_shown``, all drawn)."""
        deadline = time.monotonic() + self.timeout
        tab = self.page.get_by_role("tab", name=name)
        if await tab.get_attribute("aria-selected") == "true":
            return 0.0, 0.0  # already open: clicking would start no run
        runs = await finished_runs(self.page)
        started = time.perf_counter()
        await tab.click(timeout=remaining_ms(deadline))
        first = first_shown(deadline) if first_shown else asyncio.sleep(0)
        return await self._both(started, first, wait_drawn(self.page, runs, deadline))

    async def toggle_by_cluster(self) -> tuple[float | None, float | None]:
        deadline = time.monotonic() + self.timeout
        runs, before = await finished_runs(self.page), await plot_colours(self.page)
        started = time.perf_counter()
        await self.page.get_by_text(BY_CLUSTER_TOGGLE, exact=True).click()
        return await self._both(
            started,
            wait_plot_recoloured(self.page, before, deadline),
            wait_drawn(self.page, runs, deadline),
        )

    async def upload(self, path: Path) -> None:
        await self.page.get_by_test_id(UPLOAD_INPUT).set_input_files(path)

    async def screenshot(self, name: str) -> None:
        if self.shots is not None:
            await self.page.screenshot(path=self.shots / f"page-speed-{name}.png")

    async def close(self) -> None:
        if self.context is not None:
            await self.context.close()

    @staticmethod
    async def _both(started: float, first: Awaitable, full: Awaitable):
        """Seconds from ``started`` to ``first``, then to ``full``, waited for one after the
        other: "full" means everything, so it is never sooner than "first"."""
        try:
            await first
        except BaseException:
            full.close()  # never to be awaited now
            raise
        first_seconds = time.perf_counter() - started
        await full
        return first_seconds, time.perf_counter() - started


async def timed(timings: list[Timing], action: str, repeat: int, what: str, measure) -> None:
    """Run one measurement; a failure is recorded and the run goes on."""
    cpu_before = server_cpu_seconds(SERVER_PID[0])
    try:
        first, full, *grey = await measure()
        timings.append(Timing(action, repeat, what, first, full, *grey))
        if cpu_before is not None:
            timings[-1].cpu = server_cpu_seconds(SERVER_PID[0]) - cpu_before
    except Exception as error:
        timings.append(Timing(action, repeat, what, None, None, failure=f"{type(error).__name__}"))
        print(f"  {action} #{repeat}: {type(error).__name__}: {str(error)[:300]}")
        return
    done = timings[-1]
    print(f"  {action} #{repeat} {what}: first {done.first:.2f} s, full {done.full:.2f} s")


async def measure_all(url: str, photos_18mp: list[Path], photo_4mp: Path, args) -> list[Timing]:
    timings: list[Timing] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            await run_actions(browser, url, photos_18mp, photo_4mp, args, timings)
        finally:
            await browser.close()
    return timings


async def run_actions(browser, url, photos_18mp, photo_4mp, args, timings) -> None:
    shots = RESULTS if args.screenshots else None

    def visitor() -> Visitor:
        return Visitor(browser, url, args.timeout, shots)

    cold = visitor()
    await timed(timings, "load-cold", 0, "plain link", cold.open)
    await cold.close()

    # The 4 MP visitor stays for every repeat: one upload, then a fresh K each time.
    steady = visitor()
    await steady.open()
    await timed(
        timings,
        "upload-4mp",
        0,
        f"K={DEFAULT_K}",
        lambda: steady.new_result(lambda: steady.upload(photo_4mp), DEFAULT_K, SIZE_4MP),
    )
    for repeat in range(args.repeats):
        print(f"repeat {repeat + 1} of {args.repeats}")
        await one_repeat(repeat, visitor, steady, photos_18mp[repeat], photo_4mp, timings, shots)
    await steady.close()


async def untimed(step: Awaitable, words: str) -> None:
    """A step between the timed ones: if it fails, say so and go on with the next."""
    try:
        await step
    except Exception as error:
        print(f"  could not {words}: {type(error).__name__}: {str(error)[:200]}")


async def one_repeat(repeat, visitor, steady, photo_18mp, photo_4mp, timings, shots) -> None:
    shoot = repeat == 0  # screenshots of the first repeat only
    for key, query in (("load", ""), ("load-new", f"?seed={1000 + repeat}")):
        newcomer = visitor()
        await timed(timings, key, repeat, query or "plain link", partial(newcomer.open, query))
        if shoot:
            await newcomer.screenshot(key)
        await newcomer.close()

    k = KS_4MP[repeat % len(KS_4MP)]
    await untimed(steady.open_tab(RESULT_TAB), "open the Result tab")
    await timed(
        timings,
        "k-4mp",
        repeat,
        f"K={k}",
        lambda: steady.new_result(lambda: choose_k(steady.page, k), k, SIZE_4MP),
    )
    await untimed(steady.open_tab(CLUSTERS_TAB), "open the 3D tab")
    # The toggle's state goes when its tab closes, so each repeat turns it on, then off.
    for state in ("on", "off"):
        await timed(timings, "toggle", repeat, state, steady.toggle_by_cluster)
    if shoot:
        await steady.screenshot("toggle")

    big = visitor()
    try:
        await big.open()
        await big.new_result(lambda: choose_k(big.page, K_AT_UPLOAD), K_AT_UPLOAD, SAMPLE_SIZE)
        await timed(
            timings,
            "upload-18mp",
            repeat,
            f"{photo_18mp.name}, K={K_AT_UPLOAD}",
            lambda: big.new_result(lambda: big.upload(photo_18mp), K_AT_UPLOAD, SIZE_18MP),
        )
        for k in KS_18MP:
            await timed(
                timings,
                "k-18mp",
                repeat,
                f"K={k}",
                lambda k=k: big.new_result(lambda: choose_k(big.page, k), k, SIZE_18MP),
            )
        if shoot:
            await big.screenshot("18mp")
        await timed(
            timings,
            "compare-18mp",
            repeat,
            "K=" + ",".join(map(str, COMPARE_DEFAULT_KS)),
            lambda: big.open_tab(
                COMPARE_TAB,
                lambda deadline: wait_compare_thumbnails(big.page, COMPARE_DEFAULT_KS, deadline),
            ),
        )
        if shoot:
            await big.screenshot("compare")
    finally:
        await big.close()


def median(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else None


def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def summary(timings: list[Timing]) -> str:
    lines = [
        "| action | today (issue) | first result visible | full result | server CPU | runs "
        "| target | met? |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for action in ACTIONS:
        rows = [t for t in timings if t.action == action.key]
        if not rows:
            continue
        first, full = median([t.first for t in rows]), median([t.full for t in rows])
        failed = sum(t.full is None for t in rows)
        runs = f"{len(rows) - failed}" + (f" ({failed} failed)" if failed else "")
        lines.append(
            f"| {action.words} | {action.today} | {seconds(first)} | {seconds(full)} | "
            f"{seconds(median([t.cpu for t in rows]))} | {runs} | "
            f"{action.target_words} | {verdict(action, rows, first, full)} |"
        )
    return "\n".join(lines)


def verdict(action: Action, rows: list[Timing], first, full) -> str:
    if not action.target_words or first is None or full is None:
        return ""
    said = []
    for name, value in (("first", first), ("full", full)):
        said.append(f"{name} {'yes' if value <= action.target else 'NO'}")
    if action.key.startswith("load"):
        grey = [t for t in rows if t.placeholders]
        said.append(
            f"placeholders seen in {len(grey)} of {len(rows)}"
            + (
                f" (first to last up to {max(t.placeholders for t in grey):.2f} s; "
                f"longest any one stayed {max(t.longest_placeholder or 0 for t in grey):.2f} s)"
                if grey
                else ""
            )
        )
    return ", ".join(said)


def details(timings: list[Timing]) -> str:
    lines = [
        "| action | # | what | first visible | full | server CPU | grey placeholders: "
        "first to last / longest one |",
        "|---|--:|---|--:|--:|--:|--:|",
    ]
    for t in timings:
        grey = (
            ""
            if not t.action.startswith("load")
            else f"{seconds(t.placeholders or 0.0)} / {seconds(t.longest_placeholder or 0.0)}"
        )
        full = seconds(t.full) if not t.failure else f"FAILED ({t.failure})"
        lines.append(
            f"| {t.action} | {t.repeat + 1} | {t.what} | {seconds(t.first)} | {full} | "
            f"{seconds(t.cpu)} | {grey} |"
        )
    return "\n".join(lines)


def machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; by default one is started")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each action")
    parser.add_argument("--timeout", type=float, default=240, help="seconds per action at most")
    parser.add_argument("--total-timeout", type=float, default=1800, help="seconds in all")
    parser.add_argument("--no-screenshots", dest="screenshots", action="store_false")
    parser.add_argument(
        "--tree", type=Path, default=REPO, help="the checkout whose page is served (default: this)"
    )
    args = parser.parse_args()

    print(f"building photos (cached after the first run)… {machine()}")
    photo_4mp = PHOTO_4MP.cached_jpeg("coffee-4mp.jpg")
    photos_18mp = [
        Photo(sample, SIZE_18MP, mirrored=bool(r // 3 % 2), shift=(r, -r, 2 * r)).cached_jpeg(
            f"{Path(sample).stem}-18mp-{r}.jpg"
        )
        for r, sample in zip(
            range(args.repeats),
            ["astronaut.png", "chelsea.png", "coffee.png"] * args.repeats,
            strict=False,
        )
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    started_at, load_before = datetime.now(), machine()
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "server.log").open("wb") as log:
        server, url = None, args.url
        try:
            if url is None:
                port = free_port()
                url = f"http://127.0.0.1:{port}"
                server = start_streamlit(port, log, cwd=args.tree)
                wait_until_healthy(url, server)
                SERVER_PID[0] = server.pid
            timings = asyncio.run(
                asyncio.wait_for(measure_all(url, photos_18mp, photo_4mp, args), args.total_timeout)
            )
        finally:
            if server is not None:
                stop_streamlit(server)
    text = "\n".join(
        [
            f"# Page speed, {started_at:%Y-%m-%d %H:%M}",
            "",
            f"One headless Chromium visitor at 1280 × 720; medians of {args.repeats} runs; "
            f"the page of {args.tree if args.url is None else args.url}.",
            f"Machine: at start {load_before}; at end {machine()}.",
            "",
            summary(timings),
            "",
            details(timings),
            "",
        ]
    )
    print("\n" + text)
    out = RESULTS / f"page-speed-{started_at:%Y-%m-%d-%H%M}.md"
    out.write_text(text)
    print(f"written to {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()

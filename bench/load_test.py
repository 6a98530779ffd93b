"""Four visitors at once: each uploads a different 4 MP photo and sweeps K. Run by hand, not in CI.

    /work/venv/bin/python bench/load_test.py                     # starts its own server
    /work/venv/bin/python bench/load_test.py --url http://host:8501  # an already running one

Four headless browser contexts (one Chromium, Playwright's async API) open the page together.
Each uploads its own photo, 2309 × 1732 (4.0 MP, a different sample, crop or mirror image, each
Lanczos-upscaled and saved as a quality-90 JPEG), and waits for the result at K = 16. It then
moves K with the keyboard on the K slider, waiting for each result before the next key:
→ (17), End (256), ← (255), Home (2), → (3). Each K is new for that photo, so no step is served
from the cache. A step counts as a result only when the page shows the download button for that
K and that photo's size and names that visitor's file.

At the end it prints one row per step, whether every session got every result, the median and
worst time to result, the server's peak resident memory (VmHWM of the server and its children,
only for a server it started) and whether /_stcore/health still answers "ok". Every wait is
bounded (``--step-timeout``, ``--total-timeout``), so it always stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from page_tools import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_IDLE,
    Photo,
    free_port,
    png_button_name,
    server_memory_mb,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)
from playwright.async_api import async_playwright

SIZE = (2309, 1732)
PHOTOS = {
    "astronaut-4mp.jpg": Photo("astronaut.png", SIZE),
    "coffee-4mp.jpg": Photo("coffee.png", SIZE),
    "cat-4mp.jpg": Photo("chelsea.png", SIZE),
    "astronaut-face-mirrored-4mp.jpg": Photo(
        "astronaut.png", SIZE, crop=(100, 0, 420, 240), mirrored=True
    ),
}
SWEEP = [("ArrowRight", 17), ("End", 256), ("ArrowLeft", 255), ("Home", 2), ("ArrowRight", 3)]


@dataclass
class Session:
    name: str
    steps: list[tuple[str, int, float | None]] = field(default_factory=list)  # (step, K, s)
    failure: str = ""


async def visit(browser, url: str, photo: Path, timeout_ms: float) -> Session:
    session = Session(photo.name)
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    width, height = SIZE

    async def step(label: str, k: int, act) -> None:
        started = time.perf_counter()
        try:
            await act()
            button = png_button_name(k, width, height)
            await page.get_by_role("button", name=button, exact=True).wait_for()
            await page.wait_for_selector(PAGE_IDLE)
            seconds = time.perf_counter() - started
            facts = await page.get_by_test_id("stText").first.inner_text()
            if not facts.startswith(f"Your photo: {photo.name} ·"):
                raise AssertionError(f"the page names another photo: {facts!r}")
            session.steps.append((label, k, seconds))
        except Exception as error:  # a missed result is recorded, and the sweep goes on
            session.steps.append((label, k, None))
            session.failure = session.failure or f"{label}: {type(error).__name__}: {error}"

    try:
        await page.goto(url)
        await page.get_by_role("button", name=png_button_name(16, 512, 512)).wait_for()
        uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
        await step("upload", 16, lambda: uploader.set_input_files(photo))
        slider = page.get_by_test_id("stSidebar").get_by_role("slider").first
        for key, k in SWEEP:
            await slider.focus()
            await step(f"key {key}", k, lambda key=key: slider.press(key))
    except Exception as error:
        session.failure = session.failure or f"{type(error).__name__}: {error}"
    finally:
        await context.close()
    return session


async def run(url: str, photos: list[Path], step_timeout: float, total_timeout: float):
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            visits = [visit(browser, url, photo, step_timeout * 1000) for photo in photos]
            return await asyncio.wait_for(asyncio.gather(*visits), total_timeout)
        finally:
            await browser.close()


def health(url: str) -> str:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
            return response.read().decode().strip()
    except OSError as error:
        return f"no answer ({error})"


def report(sessions: list[Session], url: str, pid: int | None, wall: float) -> None:
    print(f"\n| session | {' | '.join(label for label, _, _ in sessions[0].steps)} |")
    print(f"|---|{'---|' * len(sessions[0].steps)}")
    for session in sessions:
        cells = [f"K={k}: {'MISSED' if s is None else f'{s:.1f} s'}" for _, k, s in session.steps]
        print(f"| {session.name} | {' | '.join(cells)} |")
    times = [s for session in sessions for _, _, s in session.steps if s is not None]
    expected = len(sessions) * (1 + len(SWEEP))
    print(
        f"\nresults: {len(times)} of {expected}",
        "(every session got every result)" if len(times) == expected else "(SOME RESULTS MISSED)",
    )
    for session in sessions:
        if session.failure:
            print(f"  {session.name}: {session.failure}")
    if times:
        print(f"time to result: median {statistics.median(times):.1f} s, worst {max(times):.1f} s")
    print(f"wall clock: {wall:.0f} s")
    if pid is not None:
        memory = server_memory_mb(pid)
        print(f"server memory: peak {memory['peak']:.0f} MB, now {memory['now']:.0f} MB")
    print(f"/_stcore/health: {health(url)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; by default one is started")
    parser.add_argument("--step-timeout", type=float, default=180, help="seconds per result")
    parser.add_argument("--total-timeout", type=float, default=900, help="seconds in all")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        photos = [photo.save_jpeg(Path(folder) / name) for name, photo in PHOTOS.items()]
        server, url = None, args.url
        log = (Path(folder) / "server.log").open("wb")
        try:
            if url is None:
                port = free_port()
                url = f"http://127.0.0.1:{port}"
                server = start_streamlit(port, log)
                wait_until_healthy(url, server)
            started = time.perf_counter()
            sessions = asyncio.run(run(url, photos, args.step_timeout, args.total_timeout))
            report(sessions, url, server and server.pid, time.perf_counter() - started)
        finally:
            if server is not None:
                stop_streamlit(server)
            log.close()


if __name__ == "__main__":
    main()

"""Peak memory of the page's server for the largest photo it accepts, at K = 256. Run by hand.

    python -m bench.page_memory             # one 40 MP photo, ~1 min
    python -m bench.page_memory --photos 3  # three different ones, one by one

Starts `streamlit run` on a free port and a headless Chromium. The visitor opens the page, sets
K to 256 (the K control's largest preset), then uploads each photo in turn and waits until its
result is shown. The photos are 7745 × 5164 = 39,995,180 pixels, just under MAX_PIXELS
(40,000,000), each a different sample Lanczos-upscaled and saved as a quality-90 JPEG (cached
for the next run, see bench/page_tools.py). After each step it prints the server's peak (VmHWM)
and current (VmRSS) resident memory from /proc, the server and its children summed.
Every wait is bounded, so the script always ends by itself.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.page_tools import (
    CHROMIUM,
    CHROMIUM_ARGS,
    K_PRESET_GROUP,
    PAGE_IDLE,
    REPO,
    Photo,
    free_port,
    png_button_name,
    server_memory_mb,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)
from kmeans.io import MAX_PIXELS

LARGEST = (7745, 5164)
PHOTOS = [
    Photo("astronaut.png", LARGEST),
    Photo("coffee.png", LARGEST),
    Photo("chelsea.png", LARGEST),
    Photo("astronaut.png", LARGEST, mirrored=True),
]
K = 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1, choices=range(1, len(PHOTOS) + 1))
    parser.add_argument("--timeout", type=float, default=300, help="seconds per step at most")
    args = parser.parse_args()
    assert LARGEST[0] * LARGEST[1] <= MAX_PIXELS

    with tempfile.TemporaryDirectory() as folder:
        paths = [
            photo.cached_jpeg(f"largest-{i}.jpg") for i, photo in enumerate(PHOTOS[: args.photos])
        ]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with (Path(folder) / "server.log").open("wb") as log:
            server = start_streamlit(port, log)
            try:
                wait_until_healthy(url, server)
                report(f"server started (pid {server.pid})", server.pid)
                visit(url, paths, server.pid, args.timeout * 1000)
            finally:
                stop_streamlit(server)


def visit(url: str, paths: list[Path], pid: int, timeout_ms: float) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(timeout_ms)
        page.goto(url)
        result_button(page, 16, 512, 512).wait_for()
        report("sample shown at K = 16", pid)

        presets = page.get_by_role("radiogroup", name=K_PRESET_GROUP)
        presets.get_by_role("radio", name=str(K), exact=True).click()
        result_button(page, K, 512, 512).wait_for()
        report(f"sample shown at K = {K}", pid)

        for path in paths:
            started = time.perf_counter()
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(path)
            # The previous photo had the same size and K, so its button proves nothing: wait
            # for this photo's name, then for the run to end, then for its button.
            page.get_by_text(f"Your photo: {path.name} ·").wait_for()
            page.wait_for_selector(PAGE_IDLE)
            result_button(page, K, *LARGEST).wait_for()
            seconds = time.perf_counter() - started
            size_mb = path.stat().st_size / 1e6
            report(f"{path.name} ({size_mb:.1f} MB) shown at K = {K} in {seconds:.1f} s", pid)
        browser.close()


def result_button(page, k: int, width: int, height: int):
    return page.get_by_role("button", name=png_button_name(k, width, height))


def report(step: str, pid: int) -> None:
    memory = server_memory_mb(pid)
    print(f"{step:<58} server peak {memory['peak']:7.0f} MB   now {memory['now']:7.0f} MB")


if __name__ == "__main__":
    print(f"repository: {REPO}")
    main()

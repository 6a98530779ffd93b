"""How long each lesson step takes in a real browser, click to picture. Run by hand, not in CI.

    /work/venv/bin/python bench/lesson_speed.py                   # this tree, 10 of each step
    /work/venv/bin/python bench/lesson_speed.py --compare HEAD~3  # and an older commit, interleaved
    /work/venv/bin/python bench/lesson_speed.py --url http://127.0.0.1:8501  # a running server

It starts ``streamlit run streamlit_app.py`` (and, with ``--compare``, a second server on that
commit's files, exported with ``git archive``), opens the lesson at 1280 × 720 in headless
Chromium, presses Start over, then times Assign, Update, Next round and the → key, each at least
``--steps`` times. With two servers the steps alternate between them, so both see the same load
on this shared machine.

A step counts as done when the page shows it, not merely when the script is idle: the lesson's
text has changed, Streamlit is idle, the photos in the lesson have loaded, and a Plotly plot in
the page or in any of its frames has drawn since the text changed (a ``plotly_afterplot``
event, or a new plot), followed by two animation frames so that the WebGL canvas has been
painted. For an update, that is the first frame of the centroids' glide.

At the end it prints, per version and step, the median and 90th percentile in milliseconds, and
the ratio of the medians. When a lesson finishes, it presses New start and carries on.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from page_tools import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_IDLE,
    REPO,
    free_port,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)
from playwright.sync_api import sync_playwright

VIEWPORT = {"width": 1280, "height": 720}
BUTTONS = {"assign": "1 · Assign", "update": "2 · Update", "next round": "Next round"}
STEPS = (*BUTTONS, "→ key")
LESSON = ".st-key-lesson"
# In every frame: count Plotly draws, whether the plot is Streamlit's own or a component's.
COUNT_PLOT_DRAWS = """
(() => {
  window.__lastDraw = window.__lastDraw || 0;
  const seen = new WeakSet();
  const drew = () => { window.__lastDraw = Date.now(); };
  const watch = () => {
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
      if (seen.has(plot) || typeof plot.on !== 'function') continue;
      seen.add(plot);
      if (plot._fullData) drew();  // drawn before we saw it
      plot.on('plotly_afterplot', drew);
    }
    requestAnimationFrame(watch);
  };
  // A frame's first, empty document can hand its window to the real one, dropping the
  // callbacks it had asked for: watch again once the real document has loaded.
  const start = () => {
    if (document.__watchingPlots) return;
    document.__watchingPlots = true;
    requestAnimationFrame(watch);
  };
  start();
  window.addEventListener('DOMContentLoaded', () => { document.__watchingPlots = false; start(); });
})();
"""
STATE = f"""() => {{
  const lesson = document.querySelector('{LESSON}');
  return {{
    now: Date.now(),
    text: lesson.innerText,
    idle: document.querySelector('{PAGE_IDLE}') !== null,
    photos: [...lesson.querySelectorAll('img')].every((img) => img.complete),
  }};
}}"""
TWO_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


@dataclass
class Version:
    name: str
    url: str
    page: object = None
    times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})


def last_draws(page) -> dict:
    """When each frame last drew a plot, in ms of the page's clock (0: never)."""
    draws = {}
    for frame in page.frames:
        try:
            draws[frame] = frame.evaluate("window.__lastDraw || 0")
        except Exception:  # a frame that went away meanwhile
            continue
    return draws


def wait_until_shown(page, text_before: str, timeout: float = 20) -> None:
    """Until the text has changed, the page is idle and a plot has drawn since the change.

    A draw counts only if it came after the last look that still saw the old text: the plot
    can also redraw for other reasons (a resize, say) before the step arrives.
    """
    deadline = time.monotonic() + timeout
    unchanged_at = page.evaluate("Date.now()")
    while time.monotonic() < deadline:
        state = page.evaluate(STATE)
        if state["text"] == text_before:
            unchanged_at = state["now"]
        elif state["idle"] and state["photos"]:
            frame, drawn_at = max(last_draws(page).items(), key=lambda item: item[1])
            if drawn_at > unchanged_at:
                frame.evaluate(TWO_FRAMES)
                return
        time.sleep(0.01)
    raise TimeoutError(f"the step did not show within {timeout} s")


def lesson_text(page) -> str:
    return page.locator(LESSON).inner_text()


def idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(PAGE_IDLE)


def open_lesson(browser, url: str):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(COUNT_PLOT_DRAWS)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    page.get_by_test_id("stSidebar").get_by_text("Lesson for a class", exact=True).click()
    page.get_by_role("button", name="Start over", exact=True).wait_for()
    idle(page)
    page.get_by_role("button", name="Start over", exact=True).click()
    idle(page)
    page.wait_for_timeout(1000)
    return page


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def restart_if_finished(page) -> None:
    """A finished lesson has nothing left to step: take a new start."""
    if button(page, "Next round").is_disabled():
        page.get_by_role("button", name="New start").click()
        idle(page)
        page.wait_for_timeout(500)


def take_step(page, step: str) -> float:
    restart_if_finished(page)
    if step == "update" and button(page, "2 · Update").is_disabled():
        take_step(page, "assign")  # an update needs an assign before it
    if step == "assign" and button(page, "1 · Assign").is_disabled():
        take_step(page, "update")
    restart_if_finished(page)
    page.wait_for_timeout(200)
    text = lesson_text(page)
    started = time.perf_counter()
    if step in BUTTONS:
        button(page, BUTTONS[step]).click()
    else:
        page.keyboard.press("ArrowRight")
    wait_until_shown(page, text)
    return time.perf_counter() - started


def exported(revision: str, into: Path) -> Path:
    """The files of ``revision``, as ``git archive`` gives them, under ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision], cwd=REPO, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def report(versions: list[Version]) -> None:
    print("\n| version | step | n | median (ms) | p90 (ms) |")
    print("|---|---|---|---|---|")
    for version in versions:
        for step, times in version.times.items():
            ms = sorted(1000 * t for t in times)
            p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
            print(
                f"| {version.name} | {step} | {len(ms)} | {statistics.median(ms):.0f} | {p90:.0f} |"
            )
    if len(versions) == 2:
        print("\n| step | median ratio (this tree / compared) |\n|---|---|")
        ours, theirs = versions
        for step in STEPS:
            ratio = statistics.median(ours.times[step]) / statistics.median(theirs.times[step])
            print(f"| {step} | {ratio:.2f} |")


def run(versions: list[Version], steps: int) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            for version in versions:
                version.page = open_lesson(browser, version.url)
            for _ in range(steps):
                for step in STEPS:
                    for version in versions:
                        seconds = take_step(version.page, step)
                        version.times[step].append(seconds)
                        print(
                            f"{version.name:>10} {step:>10}: {1000 * seconds:6.0f} ms", flush=True
                        )
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; by default one is started")
    parser.add_argument("--compare", metavar="REV", help="also time this git revision, interleaved")
    parser.add_argument("--steps", type=int, default=10, help="times each kind of step is timed")
    args = parser.parse_args()
    servers, logs = [], []
    with tempfile.TemporaryDirectory() as scratch:
        try:
            versions = []
            trees = [("this tree", REPO)] if args.url is None else []
            if args.compare:
                trees.append((args.compare, exported(args.compare, Path(scratch) / "compared")))
            for name, tree in trees:
                port = free_port()
                logs.append((Path(scratch) / f"{port}.log").open("wb"))
                servers.append(start_streamlit(port, logs[-1], cwd=tree))
                versions.append(Version(name, f"http://127.0.0.1:{port}"))
                wait_until_healthy(versions[-1].url, servers[-1])
            if args.url:
                versions.insert(0, Version(args.url, args.url))
            run(versions, args.steps)
            report(versions)
        finally:
            for server in servers:
                stop_streamlit(server)
            for log in logs:
                log.close()


if __name__ == "__main__":
    main()

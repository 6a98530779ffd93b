"""How long each lesson step takes in a real browser, click to picture. Run by hand, not in CI.

    python -m bench.lesson_speed                              # this tree, 10 of each step
    python -m bench.lesson_speed --compare HEAD~3             # and an older commit, interleaved
    python -m bench.lesson_speed --url http://127.0.0.1:8501  # a running server

It starts ``streamlit run streamlit_app.py`` (and, with ``--compare``, a second server on that
commit's files, exported with ``git archive``), opens the lesson at 1280 × 720 in headless
Chromium, presses Start over, then times Assign, Update, Next round and the → key, each at least
``--steps`` times. With two servers the steps alternate between them, so both see the same load
on this shared machine.

A step counts as done when the page shows it, not merely when the script is idle: the lesson's
text has changed, Streamlit is idle, the photos in the lesson have loaded, and a Plotly plot in
the page or in any of its frames has drawn since the text changed (a ``plotly_afterplot``
event, or a new plot), followed by two animation frames so that the WebGL canvas has been
painted. For an update, that is the first frame of the centroids' glide. The times are taken
by the page's own clock as things happen (from the pointerdown or keydown), so the script's
polling adds nothing to them.

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

from playwright.sync_api import sync_playwright

from bench.page_tools import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_IDLE,
    REPO,
    free_port,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)

VERBOSE = False  # --verbose: when the text, the idle page and the plot each appeared
VIEWPORT = {"width": 1280, "height": 720}
BUTTONS = {"assign": "1 · Assign", "update": "2 · Update", "next round": "Next round"}
STEPS = (*BUTTONS, "→ key")
LESSON = ".st-key-lesson"
# In every frame: when a Plotly plot (Streamlit's own or a component's) was last painted, i.e.
# two animation frames after it drew, and when a photo last finished loading. In the page
# itself, also when the visitor last pressed a button or a key. All on the page's clock (ms).
MARK_PAINTS = """
(() => {
  window.__paintAt = window.__paintAt || 0;
  window.__photoAt = window.__photoAt || 0;
  const seen = new WeakSet();
  window.__paints = window.__paints || [];
  const painted = () => requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__paintAt = Date.now();
    window.__paints.push(window.__paintAt);  // every paint: an update's glide paints many
    if (window.__paints.length > 500) window.__paints.shift();
  }));
  const watch = () => {
    for (const plot of document.querySelectorAll('.js-plotly-plot')) {
      if (seen.has(plot) || typeof plot.on !== 'function') continue;
      seen.add(plot);
      if (plot._fullData) painted();  // drawn before we saw it
      plot.on('plotly_afterplot', painted);
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
  window.addEventListener('load', (e) => {
    if (e.target.tagName === 'IMG') window.__photoAt = Date.now();
  }, true);
  if (window === window.top) {
    for (const kind of ['pointerdown', 'keydown']) {
      window.addEventListener(kind, () => { window.__inputAt = Date.now(); }, true);
    }
  }
})();
"""
# In the page: from now on, note when the lesson's text first differs from ``before``, and
# when Streamlit was last seen idle after that.
WATCH_TEXT = f"""(before) => {{
  const lesson = document.querySelector('{LESSON}');
  const idle = () => document.querySelector('{PAGE_IDLE}') !== null;
  window.__textAt = 0;
  window.__idleAt = 0;
  if (window.__watcher) window.__watcher.disconnect();
  window.__watcher = new MutationObserver(() => {{
    const now = Date.now();
    if (!window.__textAt && lesson.innerText !== before) window.__textAt = now;
    if (window.__textAt && idle() && !window.__idleAt) window.__idleAt = now;
    if (window.__textAt && !idle()) window.__idleAt = 0;
  }});
  window.__watcher.observe(document.body, {{
    subtree: true, childList: true, characterData: true, attributes: true,
  }});
}}"""
STATE = """() => ({
  inputAt: window.__inputAt, textAt: window.__textAt, idleAt: window.__idleAt,
  photos: [...document.querySelectorAll('img')].every((img) => img.complete),
})"""
FRAME_STATE = """() => ({
  paintAt: window.__paintAt, paints: window.__paints || [], photoAt: window.__photoAt,
  photos: [...document.querySelectorAll('img')].every((img) => img.complete),
})"""


@dataclass
class Version:
    name: str
    url: str
    page: object = None
    missed: int = 0
    times: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})


def frame_states(page) -> list[dict]:
    states = []
    for frame in page.frames:
        try:
            states.append(frame.evaluate(FRAME_STATE))
        except Exception:  # a frame that went away meanwhile
            continue
    return states


def wait_until_shown(page, timeout: float = 20) -> float:
    """Seconds from the click (or key) to the step on screen, by the page's own clock.

    Shown means: the lesson's text has changed and Streamlit is idle, a plot has been painted
    since the text changed (a plot can also redraw for other reasons, a resize say, before
    the step arrives), and every photo has loaded. Python only polls for the end; the times
    are those the page noted as things happened, so slow polling adds nothing.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = page.evaluate(STATE)
        frames = frame_states(page)
        # The first paint after the text changed: an update then keeps painting its glide
        # for most of a second, and the step is on screen from the glide's first frame.
        after = [t for f in frames for t in f["paints"] if state["textAt"] and t > state["textAt"]]
        painted = min(after, default=0)
        if state["textAt"] and state["idleAt"] and after and all(f["photos"] for f in frames):
            photo = max(f["photoAt"] for f in frames)
            shown = max(state["textAt"], state["idleAt"], painted, photo)
            if VERBOSE:
                marks = {"text": state["textAt"], "idle": state["idleAt"], "plot": painted}
                print("   ", {k: v - state["inputAt"] for k, v in marks.items()})
            return (shown - state["inputAt"]) / 1000
        time.sleep(0.02)
    raise TimeoutError(f"the step did not show within {timeout} s")


def lesson_text(page) -> str:
    return page.locator(LESSON).inner_text()


def idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(PAGE_IDLE)


def open_lesson(browser, url: str):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(MARK_PAINTS)
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


#: Milliseconds between one step showing and the next click (``--pause``).
PAUSE_MS = [1000]


def take_step(page, step: str) -> float:
    restart_if_finished(page)
    if step == "update" and button(page, "2 · Update").is_disabled():
        take_step(page, "assign")  # an update needs an assign before it
    if step == "assign" and button(page, "1 · Assign").is_disabled():
        take_step(page, "update")
    restart_if_finished(page)
    # A teacher says a sentence between steps: the last update's glide (0.7 s) is over, as
    # it is in class, instead of being timed into the next step.
    page.wait_for_timeout(PAUSE_MS[0])
    page.evaluate(WATCH_TEXT, lesson_text(page))
    if step in BUTTONS:
        button(page, BUTTONS[step]).click()
    else:
        page.keyboard.press("ArrowRight")
    return wait_until_shown(page)


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
    for version in versions:
        if version.missed:
            print(f"\n{version.name}: {version.missed} steps did not show within the timeout")
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
    parser.add_argument("--verbose", action="store_true", help="print each step's parts")
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between steps (the glide takes 0.7)"
    )
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    PAUSE_MS[0] = round(1000 * args.pause)
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

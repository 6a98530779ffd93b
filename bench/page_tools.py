"""What the hand-run page scripts share: how they recognise what the page shows, camera-sized
photos built from the samples, and the server's memory.

**Signals.** Every DOM signal the scripts wait for is in the first section below, so when the
page changes only that section needs to follow. Two moments count for each action:

* *first result visible*: the split view's redrawn side is labelled with the new K, shows a
  different picture than before the action, that picture has loaded and the browser has
  painted since (two animation frames, so a long drawing task cannot hide in the figure). The
  label may carry more words after "K colours" (say "· preview"), so a display-size preview
  that comes before the full-resolution result counts as soon as it is drawn.
* *full result*: the download button for that K and the photo's full size is on the page, the
  script run the action started has finished, no grey placeholder (``stSkeleton``) is left and
  every image has loaded. The download and the metrics are always from the full-resolution
  result, so this is when the visitor has everything (painted too).

A small script (:data:`WATCH_JS`) injected into every page counts finished script runs, notes
when grey placeholders were on screen, and records the progress bar's texts with their times,
so the queue places a waiting visitor saw can be read afterwards.

**Photos.** The samples, optionally cropped, mirrored, turned and colour-shifted, then
Lanczos-upscaled and saved as quality-90 JPEGs: a realistic pixel count and file size, though
smoother than a real photo. They are cached in a folder under the system's temporary directory,
named by their recipe, so a second run does not build them again.

**Memory** is read from ``/proc`` for the server process and all its children: VmHWM (the peak
resident set, kept by the kernel) and VmRSS (now).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from dashboard.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_IDLE,
    free_port,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "assets" / "samples"


def png_button_name(k: int, width: int, height: int) -> str:
    """The page's download button for the result with K colours of a width × height photo."""
    return f"Download PNG: {k} colours, {width:,} × {height:,}"


def quick_button_name(k: int, width: int, height: int) -> str:
    """The download of the run's own PNG, offered while the smallest files are written."""
    return f"Download unoptimised PNG: {k} colours, {width:,} × {height:,}"


__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "PAGE_IDLE",
    "REPO",
    "Photo",
    "free_port",
    "png_button_name",
    "quick_button_name",
    "server_memory_mb",
    "start_streamlit",
    "stop_streamlit",
    "wait_until_healthy",
]

# What the page shows, as the scripts recognise it ------------------------------------------------

#: Grey placeholders Streamlit draws while an element (chart, table, image) is still loading.
SKELETON = '[data-testid="stSkeleton"]'
#: The progress bar; its text says what the server is doing, or the visitor's place in the queue.
PROGRESS = '[data-testid="stProgress"]'
#: The download buttons' labels (the icon beside one is text too, so the label is read alone).
DOWNLOAD_LABEL = '[data-testid="stDownloadButton"] button [data-testid="stMarkdownContainer"]'
#: dashboard/work_queue.py's words to a waiting visitor: "Waiting: 3 photos ahead of yours…".
WAITING = r"Waiting: (\d+) photos? ahead of yours"
#: The split view's iframe, and in it the redrawn side's label and picture.
SPLIT_FRAME_URL = "split_view"
SPLIT_AFTER_LABEL = "after-label"
SPLIT_AFTER_IMAGE = "after"
#: The label of the redrawn side for K colours; anything may follow ("· preview").
SPLIT_LABEL = r"^{k} colours?\b"
#: The same, for the full-size result only.
SPLIT_FULL_LABEL = r"^{k} colours?\b(?!.*preview)"
#: The K control: presets in a segmented control (radios in a radiogroup) and an exact box.
K_PRESETS = (2, 4, 8, 16, 32, 64, 128, 256)
K_PRESET_GROUP = "Colours (K)"
EXACT_K = "Exact K"
#: The one-line facts under the title, naming the photo shown ("Your photo: name · …").
PHOTO_FACTS = "stText"
#: The tabs, the Compare tab's thumbnail captions and the 3D tab's colouring toggle.
RESULT_TAB, CLUSTERS_TAB, COMPARE_TAB = "Result", "Colours in 3D", "Compare K values"
COMPARE_CAPTION = r"^K = {k} · "
COMPARE_DEFAULT_KS = (4, 8, 16, 32, 64)
BY_CLUSTER_TOGGLE = "Draw each pixel in its cluster's colour"
#: The 3D tab's plot: the lesson's component, in its own iframe, its Plotly graph in #plot.
PLOT_FRAME_URL = "lessonplot.lesson_plot"
#: The uploader's file input.
UPLOAD_INPUT = "stFileUploaderDropzoneInput"


# The watcher injected into every page ----------------------------------------------------------

#: Counts finished script runs, notes grey placeholders, and records the progress bar's texts.
#: A MutationObserver, not a timer, so it costs nothing while the page is still.
WATCH_JS = f"""
(() => {{
  const watch = window.__watch = {{
    finished: 0, state: null, skeletonFirst: null, skeletonLast: null, skeletonLongest: 0,
    progress: null, texts: [], waiting: [], states: [], phases: [], stretch: {{}}, since: null,
    kind: null,
    phase: "page load",  // what the visitor is doing, set by the script driving the page
  }};
  const shown = new Map();  // placeholder element -> when it appeared
  const kindOf = (state, text) => state !== "running" ? null
    : !text ? "no progress bar" : text.startsWith("Waiting:") ? "queue place"
    : text.startsWith("Starting") ? "Starting…" : "working";
  const update = (records = []) => {{
    const now = performance.now();
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute("data-test-script-state") : null;
    // A quick run (a toggle, a cached K) can start and end between two calls: its records
    // still say the state was "running" a moment ago.
    const ranMeanwhile = records.some(
      r => r.attributeName === "data-test-script-state" && r.oldValue === "running");
    if ((watch.state === "running" || ranMeanwhile) && state === "notRunning") watch.finished += 1;
    if (state !== watch.state) watch.states.push([now, state]);
    watch.state = state;
    const skeletons = new Set(document.querySelectorAll('{SKELETON}'));
    if (skeletons.size) {{
      watch.skeletonFirst ??= now;
      watch.skeletonLast = now;
    }}
    // Each placeholder's own time on screen: Streamlit draws one in every element's place
    // for the moment its code loads, so the span from first to last overstates what any
    // one spot of the page stays grey.
    for (const s of skeletons) if (!shown.has(s)) shown.set(s, now);
    for (const [s, since] of shown) if (!skeletons.has(s)) {{
      watch.skeletonLongest = Math.max(watch.skeletonLongest, now - since);
      shown.delete(s);
    }}
    const bar = document.querySelector('{PROGRESS}');
    const text = bar ? bar.innerText.trim() : "";
    if (text !== watch.progress) {{
      watch.progress = text;
      watch.texts.push([now, text]);
      const place = text.match(/{WAITING}/);
      if (place) watch.waiting.push([now, Number(place[1]), watch.phase]);
    }}
    const kind = kindOf(state, text);
    if (watch.kind !== null) {{
      watch.stretch[watch.kind] = Math.max(watch.stretch[watch.kind] || 0, now - watch.since);
    }}
    if (kind !== watch.kind) {{ watch.kind = kind; watch.since = now; }}
  }};
  new MutationObserver(update).observe(document, {{
    subtree: true, childList: true, attributes: true, attributeOldValue: true,
    characterData: true,
  }});
}})();
"""

#: In the split view's frame: the redrawn side shows K (``pattern``), a new picture, loaded.
_SPLIT_SHOWS_JS = f"""([pattern, before]) => {{
  const label = document.getElementById("{SPLIT_AFTER_LABEL}");
  const image = document.getElementById("{SPLIT_AFTER_IMAGE}");
  if (!label || !image || !image.src) return false;
  const signature = image.src.length + ":" + image.src.slice(-64);
  const shown = new RegExp(pattern).test(label.textContent.trim()) && signature !== before
    && image.complete && image.naturalWidth > 0;
  return shown && label.textContent.trim();
}}"""
_SPLIT_SIGNATURE_JS = f"""() => {{
  const image = document.getElementById("{SPLIT_AFTER_IMAGE}");
  return image && image.src ? image.src.length + ":" + image.src.slice(-64) : "";
}}"""
#: The main page is still: the run finished, no placeholder is left, every image has loaded.
_DRAWN_JS = f"""(runs) => window.__watch.finished > runs && window.__watch.state === "notRunning"
  && !document.querySelector('{SKELETON}')
  && [...document.images].every(image => image.complete && image.naturalWidth > 0)"""


#: The full result's download button is there and the page is drawn (``_DRAWN_JS``), checked in
#: the page at every frame. A role locator, used before, found the button 200-300 ms after the
#: run's end had reached the page, with no long task in between: its polling, not the page.
_FULL_JS = f"""([name, runs]) => [...document.querySelectorAll('{DOWNLOAD_LABEL}')]
  .some(label => label.textContent.trim().startsWith(name)) && ({_DRAWN_JS})(runs)"""


#: A download of the full-size result is there (any of the names), no placeholder is left, and
#: every image has loaded: the script may still be writing the smallest files.
_RESULT_JS = f"""(names) => [...document.querySelectorAll('{DOWNLOAD_LABEL}')]
  .some(label => names.some(name => label.textContent.trim().startsWith(name)))
  && !document.querySelector('{SKELETON}')
  && [...document.images].every(image => image.complete && image.naturalWidth > 0)"""


class DeadlineError(Exception):
    """A wait passed its deadline."""


def remaining_ms(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlineError("the deadline passed")
    return left * 1000


async def watched_page(context):
    """A new page in ``context`` with the watcher installed before any of the page's scripts."""
    page = await context.new_page()
    await page.add_init_script(WATCH_JS)
    return page


async def watch(page) -> dict:
    return await page.evaluate("window.__watch")


async def mark_phase(page, phase: str) -> None:
    """Name what the visitor does next, so the queue places the page shows can be told apart."""
    await page.evaluate(
        """phase => { if (!window.__watch) return;
        window.__watch.phase = phase; window.__watch.phases.push([performance.now(), phase]); }""",
        phase,
    )


async def finished_runs(page) -> int:
    return await page.evaluate("window.__watch ? window.__watch.finished : 0")


def _split_frames(page) -> list:
    return [frame for frame in page.frames if SPLIT_FRAME_URL in frame.url]


async def split_signature(page) -> str:
    """Which picture the split view's redrawn side shows now ("" without a split view)."""
    for frame in reversed(_split_frames(page)):
        try:
            return await frame.evaluate(_SPLIT_SIGNATURE_JS)
        except Exception:  # the frame went away meanwhile: Streamlit re-mounted it
            continue
    return ""


async def painted(frame) -> None:
    """Until ``frame`` (a page or an iframe) has painted twice more.

    What a script just put on the page shows only once the browser paints; a long task (Plotly
    drawing 20,000 WebGL points in software, say) holds the main thread and so every paint.
    Two animation frames later, whatever the last task drew is on screen.
    """
    await frame.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


#: How often a wait looks: at every frame for one page, where every millisecond is measured.
#: A page checked at every frame renders frames the whole wait: 30 waiting pages cost the
#: headless browser 117% of one core against 19% when checked every 100 ms (measured with 30
#: idle pages on this 2-core machine), so the class at once looks on a timer.
EVERY_FRAME = "raf"


async def wait_split_shows(
    page,
    k: int,
    before: str,
    deadline: float,
    polling: str | int = EVERY_FRAME,
    full_size: bool = False,
) -> str:
    """Until the split view's redrawn side is labelled K and shows a new picture, painted; the
    label it has then (``"16 colours · preview"`` for a preview). ``full_size``: not a preview."""
    pattern = (SPLIT_FULL_LABEL if full_size else SPLIT_LABEL).format(k=k)
    while True:
        for frame in reversed(_split_frames(page)):
            try:
                shown = await frame.wait_for_function(
                    _SPLIT_SHOWS_JS,
                    arg=[pattern, before],
                    polling=polling,
                    timeout=min(1000, remaining_ms(deadline)),
                )
                label = await shown.json_value()
                await painted(frame)
                return label
            except DeadlineError:
                raise
            except Exception:  # not yet, or the frame was replaced: look again
                pass
        if not _split_frames(page):
            await page.wait_for_timeout(min(50, remaining_ms(deadline)))


async def wait_drawn(page, runs_before: int, deadline: float) -> None:
    """Until a run after ``runs_before`` has finished and everything it drew is painted."""
    await page.wait_for_function(_DRAWN_JS, arg=runs_before, timeout=remaining_ms(deadline))
    await painted(page)


async def wait_full_result(
    page,
    k: int,
    size: tuple[int, int],
    runs_before: int,
    deadline: float,
    polling: str | int = EVERY_FRAME,
) -> None:
    """Until the download button for K at full ``size`` is there and the page is drawn."""
    await page.wait_for_function(
        _FULL_JS,
        arg=[png_button_name(k, *size), runs_before],
        polling=polling,
        timeout=remaining_ms(deadline),
    )
    await painted(page)


async def wait_full_size(
    page,
    k: int,
    size: tuple[int, int],
    before: str,
    deadline: float,
    polling: str | int = EVERY_FRAME,
) -> None:
    """Until the full-size result for K is on the page: a download of it at full ``size`` (the
    smallest files, or the run's own PNG offered while they are written), no placeholder,
    every image loaded, and the split view showing it, not a preview."""
    names = [png_button_name(k, *size), quick_button_name(k, *size)]
    await page.wait_for_function(
        _RESULT_JS, arg=names, polling=polling, timeout=remaining_ms(deadline)
    )
    await wait_split_shows(page, k, before, deadline, polling, full_size=True)


async def choose_k(page, k: int) -> None:
    """Click K's preset if it has one, else type it in the exact box: what a visitor does.

    The caller makes sure K is not the current preset (a second click would unselect it).
    """
    if k in K_PRESETS:
        group = page.get_by_role("radiogroup", name=K_PRESET_GROUP)
        await group.get_by_role("radio", name=str(k), exact=True).click()
    else:
        box = page.get_by_label(EXACT_K, exact=True)
        await box.fill(str(k))
        await box.press("Enter")


async def wait_compare_thumbnails(page, ks, deadline: float) -> None:
    """Until the Compare tab shows a captioned thumbnail for every K in ``ks``, loaded."""
    for k in ks:
        caption = page.get_by_text(re.compile(COMPARE_CAPTION.format(k=k)))
        await caption.first.wait_for(timeout=remaining_ms(deadline))
    await page.wait_for_function(
        "() => [...document.images].every(image => image.complete && image.naturalWidth > 0)",
        timeout=remaining_ms(deadline),
    )
    await painted(page)


#: A short signature of the colours the 3D plot draws its pixels in ("" if none yet).
_PLOT_COLOURS_JS = """() => {
    const plot = document.getElementById("plot");
    const colours = plot && plot.data && plot.data[0] && plot.data[0].marker
      ? plot.data[0].marker.color : null;
    return colours ? String(colours.length) + ":" + colours.slice(0, 64).join(",") : "";
}"""


def _plot_frames(page) -> list:
    return [frame for frame in page.frames if PLOT_FRAME_URL in frame.url]


async def plot_colours(page) -> str:
    """What :data:`_PLOT_COLOURS_JS` says of the 3D plot on the page ("" if none)."""
    for frame in _plot_frames(page):
        return await frame.evaluate(_PLOT_COLOURS_JS)
    return ""


async def wait_plot_recoloured(page, before: str, deadline: float) -> None:
    """Until the 3D plot's pixel colours differ from ``before`` and the plot is painted."""
    while not _plot_frames(page):
        await page.wait_for_timeout(min(50, remaining_ms(deadline)))
    frame = _plot_frames(page)[0]
    await frame.wait_for_function(
        f"(before) => {{ const now = ({_PLOT_COLOURS_JS})(); return now && now !== before; }}",
        arg=before,
        timeout=remaining_ms(deadline),
    )
    await painted(frame)


def health(url: str) -> str:
    """What /_stcore/health answers ("ok" when the server is well)."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as response:
            return response.read().decode().strip()
    except OSError as error:
        return f"no answer ({error})"


# Photos ----------------------------------------------------------------------------------------

PHOTO_CACHE = Path(tempfile.gettempdir()) / "kmeans-page-photos"


@dataclass(frozen=True)
class Photo:
    """A sample, optionally cropped (a box in the sample's pixels), mirrored, turned by a
    multiple of 90° and colour-shifted (added to R, G, B), then upscaled to ``size``."""

    sample: str
    size: tuple[int, int]
    crop: tuple[int, int, int, int] | None = None
    mirrored: bool = False
    turned: int = 0
    shift: tuple[int, int, int] = (0, 0, 0)

    def save_jpeg(self, path: Path) -> Path:
        with Image.open(SAMPLES / self.sample) as opened:
            image = opened.convert("RGB")
        if self.crop is not None:
            image = image.crop(self.crop)
        if self.mirrored:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if self.turned:
            image = image.rotate(self.turned, expand=True)
        if any(self.shift):
            shifted = np.asarray(image, dtype=np.int16) + np.array(self.shift, dtype=np.int16)
            image = Image.fromarray(np.clip(shifted, 0, 255).astype(np.uint8))
        image.resize(self.size, Image.Resampling.LANCZOS).save(path, "JPEG", quality=90)
        return path

    def cached_jpeg(self, name: str) -> Path:
        """The JPEG under PHOTO_CACHE as ``<recipe hash>-<name>``, built on first use."""
        recipe = hashlib.blake2b(repr(self).encode(), digest_size=6).hexdigest()
        path = PHOTO_CACHE / f"{recipe}-{name}"
        if not path.exists():
            PHOTO_CACHE.mkdir(exist_ok=True)
            partial = path.with_suffix(".partial")
            self.save_jpeg(partial)
            partial.rename(path)  # never leave a half-written photo under the final name
        return path


def distinct_photos(count: int, size: tuple[int, int]) -> list[Photo]:
    """``count`` different photos of one size: each sample, mirrored or not, turned, shifted.

    The colour shift alone differs for every index, so no two share a digest on the server.
    """
    samples = ("astronaut.png", "coffee.png", "chelsea.png")
    return [
        Photo(
            samples[i % 3],
            size,
            mirrored=bool((i // 3) % 2),
            turned=(0, 180, 90, 270)[(i // 6) % 4],
            shift=((i * 7) % 31 - 15, (i * 11) % 29 - 14, (i * 5) % 23 - 11),
        )
        for i in range(count)
    ]


# Memory ----------------------------------------------------------------------------------------


def server_memory_mb(pid: int) -> dict[str, float]:
    """{"peak": VmHWM, "now": VmRSS} in MB, summed over ``pid`` and its descendants.

    The sum of the children's peaks can only overstate the true joint peak, never hide it.
    """
    totals = {"peak": 0.0, "now": 0.0}
    for process in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        totals["peak"] += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
        totals["now"] += int(fields.get("VmRSS", "0 kB").split()[0]) / 1024
    return totals


def server_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds (user + system) the server and its descendants have used so far.

    On a machine shared with other work, wall-clock times swing with the load; the CPU the
    server spent on an action does much less, so it says whether a change made the work smaller.
    """
    if pid is None:
        return None
    return sum(map(_cpu_ticks, [pid, *_descendants(pid)])) / os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds(server_pid: int | None) -> float:
    """CPU seconds used so far by this script's other descendants (the browser and its driver),
    so a report can say what the visitors' own pages cost the machine beside the server."""
    server = set() if server_pid is None else {server_pid, *_descendants(server_pid)}
    others = [process for process in _descendants(os.getpid()) if process not in server]
    return sum(map(_cpu_ticks, others)) / os.sysconf("SC_CLK_TCK")


def _cpu_ticks(process: int) -> int:
    """User and system ticks of ``process`` and of its children that have ended (0 once gone)."""
    try:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # ended meanwhile
        return 0
    return sum(int(value) for value in fields[11:15])  # utime stime cutime cstime


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found

"""A seeded random walk over what a visitor does, checking after every act that every element
naming a photo, a K or a colour agrees with where the visitor is (issue 19, section 1).

Bugs of the kind "shows the previous result" appear only after two or three acts, so the walk
mixes them: upload, K preset, exact K (and one out of range), sample, pick a colour, sort the
palette, "Split with current", a click on the picture, a tab, the heatmap. The walker keeps its
own model of the state (:class:`Visit`); after each act has settled, :func:`check` reads the page
(the facts line, the headline, the download's label and bytes, the split view's labels, overlay
and yellow box, the close-up's caption, the ticked palette row, the thumbnails, the 3D tab's
caption) against it. While the act's script runs, a watcher in the page records any element
that still names the previous photo or K without being marked stale.

CI runs a short walk as part of ``python -m pytest``; a long one is run by hand::

    KMEANS_SEQUENCE_STEPS=200 KMEANS_SEQUENCE_SEED=7 python -m pytest tests/test_e2e_sequence.py
"""

from __future__ import annotations

import base64
import io
import os
import random
import re
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from kmeans.settings import MAX_K
from tests.helpers import (
    choose_file,
    eventually,
    jpeg_bytes,
    k_preset,
    new_visitor,
    png_button_name,
    screenshot,
    set_exact_k,
    settled,
    still,
)

pytestmark = pytest.mark.browser

STEPS = int(os.environ.get("KMEANS_SEQUENCE_STEPS", "12"))
SEED = int(os.environ.get("KMEANS_SEQUENCE_SEED", "19"))
SPLIT = 'iframe[title*="split_view"]'
TABS = ("Result", "Colours in 3D", "Compare K values")
SAMPLES = {
    "Astronaut": ("astronaut.png", 512, 512),
    "Coffee": ("coffee.png", 600, 400),
    "Cat": ("chelsea.png", 451, 300),
}
PRESETS = (2, 4, 8, 16, 32, 64, 128, 256)
COMPARED = (4, 8, 16, 32, 64)  # the Compare tab's thumbnails, as the page opens them


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    width: int
    height: int
    mime: str = "image/jpeg"


def uploads() -> list[Upload]:
    """Three photos of the visitor's own, of three sizes and two formats."""
    png = io.BytesIO()
    Image.open(io.BytesIO(jpeg_bytes("astronaut.png", (300, 300)))).save(png, "PNG")
    return [
        Upload("walk coffee.jpg", jpeg_bytes("coffee.png", (480, 320)), 480, 320),
        Upload("walk cat.jpg", jpeg_bytes("chelsea.png", (300, 450)), 300, 450),
        Upload("walk astronaut.png", png.getvalue(), 300, 300, "image/png"),
    ]


@dataclass(frozen=True)
class Visit:
    """What the visitor should see: the walker's model of the page's state."""

    photo: str  # the facts line's name
    own: bool  # an upload, not a sample
    width: int
    height: int
    k: int = 16
    tab: str = "Result"
    heat: bool = False
    picked: str | None = None  # the hex code lit, if a colour is picked
    order: str = "share"
    versus: tuple[str, int] | None = None  # (photo, K) chosen with "Split with current"
    clicked: str | None = None  # the photo last clicked on (the close-up is kept per photo)
    refused: bool = False  # the last exact K was out of range

    @property
    def facts(self) -> str:
        whose = "Your photo" if self.own else "Sample"
        return f"{whose}: {self.photo} · {self.width:,} × {self.height:,} pixels"

    @property
    def left_k(self) -> int | None:
        """The K left of the divider, or None for the original."""
        if self.versus and self.versus[0] == self.photo and self.versus[1] != self.k:
            return self.versus[1]
        return None


@dataclass
class Walk:
    page: object
    visit: Visit
    rng: random.Random
    log: list[str] = field(default_factory=list)

    def act(self, name: str, do, **changes) -> None:
        """Do an act, watch the page while it runs, and check it once it has settled.

        ``changes`` are what the act changes in the visit; a refused K's message lasts one run.
        """
        self.log.append(name)
        before, then = self.visit, replace(self.visit, **{"refused": False, **changes})
        watch_for_stale(self.page, stale_texts(before, then))
        settled(self.page, do)
        self.visit = then
        shown_as_current = self.page.evaluate("window.__walkSeen || []")
        assert shown_as_current == [], f"after {self.log}: {shown_as_current}"
        check(self.page, then, self.log)


def stale_texts(before: Visit, after: Visit) -> list[str]:
    """What names the previous photo or K and must not be shown as current once the act starts."""
    texts = []
    if (before.photo, before.own) != (after.photo, after.own):
        texts.append(before.facts)
    if (before.k, before.photo) != (after.k, after.photo):
        texts.append(png_button_name(before.k, before.width, before.height))
    return texts


#: Records, while a script runs, any element container that shows one of the given texts and
#: is not marked stale: a previous result shown as if it were current.
WATCH_JS = """(texts) => {
  window.__walkSeen = [];
  if (window.__walkWatch) window.__walkWatch.disconnect();
  const look = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'running') return;
    for (const box of document.querySelectorAll('[data-testid="stElementContainer"]')) {
      const inner = box.querySelector('[data-testid="stElementContainer"]');
      if (box.getAttribute('data-stale') === 'true' || inner) continue;
      const text = box.innerText || '';
      for (const old of texts) if (text.includes(old)) window.__walkSeen.push(old);
    }
  };
  window.__walkWatch = new MutationObserver(look);
  window.__walkWatch.observe(document, { subtree: true, childList: true, attributes: true,
                                         characterData: true });
}"""


def watch_for_stale(page, texts: list[str]) -> None:
    page.evaluate(WATCH_JS, texts)


# ----------------------------------------------------------------------------- the checks


def check(page, visit: Visit, log: list[str]) -> None:
    said = f"after {log}"
    main = page.get_by_test_id("stMain")
    # Replacing one's own photo takes two runs (the box is empty for the first), so the act has
    # settled once the new photo is named and the run that named it has finished.
    expect(main.get_by_text(visit.facts)).to_have_count(1, timeout=90_000)
    still(page)
    heading = main.get_by_role("heading", level=3).first
    assert re.search(rf"· {visit.k} colours\b", heading.inner_text()), said
    assert int(page.get_by_label("Exact K", exact=True).input_value()) == visit.k, said
    refused = main.get_by_test_id("stAlertContentError").filter(has_text="K must be a whole number")
    assert refused.count() == int(visit.refused), said
    check_download(page, visit, said)
    selected = page.get_by_role("tab", name=visit.tab)
    assert selected.get_attribute("aria-selected") == "true", said
    if visit.tab == "Result":
        check_result_tab(page, visit, said)
    elif visit.tab == "Compare K values":
        check_compare_tab(page, visit, said)
    else:
        check_3d_tab(page, visit, said)


def check_download(page, visit: Visit, said: str) -> None:
    button = page.get_by_role("button", name=png_button_name(visit.k, visit.width, visit.height))
    expect(button).to_have_count(1)
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(f"-k{visit.k}.png"), said
    with Image.open(download.path()) as png:
        assert png.size == (visit.width, visit.height), said
        assert len(png.getpalette()) // 3 <= visit.k, said


def decoded(url: str) -> np.ndarray:
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        return np.asarray(image.convert("RGBA"))


def split_state(page) -> dict:
    """What the split view shows now: its labels, pictures, overlay and yellow box."""
    return page.frame(url=re.compile("split_view")).evaluate(
        """() => {
          const overlay = document.getElementById('overlay');
          const before = document.getElementById('before').getBoundingClientRect();
          const box = document.getElementById('marker');
          const marker = box.getBoundingClientRect();
          return {
            left: document.getElementById('before-label').textContent,
            right: document.getElementById('after-label').textContent,
            after: document.getElementById('after').src,
            overlay: overlay.hidden ? null : overlay.src,
            marker: [(marker.left - before.left) / before.width,
                     (marker.top - before.top) / before.height,
                     parseFloat(box.style.width) / before.width],  // inside its 2 px border
          };
        }"""
    )


#: The close-up's caption: its side, and where it is.
CLOSE_UP = re.compile(r"(\d+) × \d+ pixels at x ([\d,]+), y ([\d,]+)")


def check_result_tab(page, visit: Visit, said: str) -> None:
    caption = page.get_by_text(CLOSE_UP).inner_text()
    side, x, y = (int(v.replace(",", "")) for v in CLOSE_UP.search(caption).groups())
    where = "where you clicked" if visit.clicked == visit.photo else "where it differs most"
    assert where in caption, said
    page.locator(".st-key-palette_table").scroll_into_view_if_needed()
    ticked = page.locator('.st-key-palette_table tr[aria-selected="true"] td[aria-colindex="2"]')
    if visit.heat or visit.picked is None:
        expect(ticked).to_have_count(0 if visit.picked is None else 1)
    else:
        expect(ticked).to_have_text(visit.picked)  # the tick and the lit pixels agree
    left = visit.left_k

    def split_view_agrees() -> None:
        shown = split_state(page)
        assert shown["right"] == f"{visit.k} colours", said
        assert shown["left"] == ("Original" if left is None else f"{left} colours"), said
        # The yellow box marks the square the close-up shows (it was one run behind).
        mx, my, mw = shown["marker"]
        assert mx == pytest.approx(x / visit.width, abs=0.01), said
        assert my == pytest.approx(y / visit.height, abs=0.01), said
        assert mw == pytest.approx(side / visit.width, abs=0.01), said
        if visit.heat or visit.picked is None:
            assert (shown["overlay"] is not None) == visit.heat, said
        else:
            assert lit_colours(shown) == {visit.picked}, said

    # The split view's frame draws what the page sent a moment after the page's run ends.
    eventually(split_view_agrees, page)


def lit_colours(shown: dict) -> set[str]:
    """The colours of the redrawn side that the overlay leaves clear."""
    assert shown["overlay"] is not None, "no colour is lit"
    after, overlay = decoded(shown["after"]), decoded(shown["overlay"])
    lit = after[overlay[..., 3] == 0][:, :3]
    return {"#" + bytes(colour).hex() for colour in np.unique(lit, axis=0)}


def check_compare_tab(page, visit: Visit, said: str) -> None:
    captions = page.get_by_test_id("stImageCaption").all_inner_texts()
    for k in COMPARED:
        assert any(c.startswith(f"K = {k} · ") for c in captions), said
    if visit.k in COMPARED:
        assert page.get_by_role("button", name=f"Use K = {visit.k}").is_disabled(), said


def check_3d_tab(page, visit: Visit, said: str) -> None:
    caption = page.get_by_text(re.compile(r"^Showing the pixels of palette colour #"))
    if visit.picked is None:
        assert caption.count() == 0, said
    else:
        assert caption.inner_text() == f"Showing the pixels of palette colour {visit.picked}.", said


# ----------------------------------------------------------------------------- the acts


def act_upload(walk: Walk) -> None:
    photo = walk.rng.choice(uploads())
    walk.act(
        f"upload {photo.name}",
        lambda: choose_file(walk.page, photo.name, photo.data, photo.mime),
        photo=photo.name,
        own=True,
        width=photo.width,
        height=photo.height,
        picked=None,
    )


def act_sample(walk: Walk) -> None:
    name = walk.rng.choice([n for n in SAMPLES if SAMPLES[n][0] != walk.visit.photo])
    file_name, width, height = SAMPLES[name]

    def choose() -> None:
        box = walk.page.get_by_role("combobox", name="Sample photo")
        box.click()
        box.fill(name)  # the box filters its options as a visitor types
        walk.page.get_by_role("option", name=name, exact=True).click()

    walk.act(
        f"sample {name}",
        choose,
        photo=file_name,
        own=False,
        width=width,
        height=height,
        picked=None,
    )


def act_preset(walk: Walk) -> None:
    k = walk.rng.choice([k for k in PRESETS if k != walk.visit.k])
    walk.act(f"preset {k}", k_preset(walk.page, k).click, k=k, picked=None)


def act_exact(walk: Walk) -> None:
    if walk.rng.random() < 0.2:
        too_many = MAX_K + 44
        walk.act(f"exact {too_many}", lambda: set_exact_k(walk.page, too_many), refused=True)
        return
    k = walk.rng.choice([k for k in range(2, 41) if k != walk.visit.k])
    walk.act(f"exact {k}", lambda: set_exact_k(walk.page, k), k=k, picked=None)


def act_tab(walk: Walk) -> None:
    tab = walk.rng.choice([t for t in TABS if t != walk.visit.tab])
    walk.act(f"tab {tab}", walk.page.get_by_role("tab", name=tab).click, tab=tab)


def act_heat(walk: Walk) -> None:
    toggle = walk.page.get_by_text("Where it differs", exact=True)
    walk.act("heatmap", toggle.click, heat=not walk.visit.heat)


def act_pick(walk: Walk) -> None:
    grid = walk.page.locator(".st-key-palette_table")
    grid.scroll_into_view_if_needed()
    rows = grid.locator('tbody tr td[aria-colindex="2"]')
    expect(rows.first).to_be_attached()  # the table's cells, as a screen reader has them
    row = walk.rng.randrange(min(rows.count(), walk.visit.k, 6))
    hex_code = rows.nth(row).inner_text()
    if hex_code == walk.visit.picked:
        return  # a click on the ticked row unticks it: not this act
    box = grid.bounding_box()
    # The table is drawn on a canvas: a row's selection box sits in the row-marker column, under
    # the 35 px header, one 35 px row after another.
    point = (box["x"] + 14, box["y"] + 35 + 17 + 35 * row)
    walk.act(f"pick row {row}", lambda: walk.page.mouse.click(*point), picked=hex_code)


def act_sort(walk: Walk) -> None:
    order = "hue" if walk.visit.order == "share" else "share"
    radio = walk.page.get_by_role("radiogroup", name="Order").get_by_role("radio", name=order)
    walk.act(f"sort {order}", radio.click, order=order)


def act_split_with_current(walk: Walk) -> None:
    k = walk.rng.choice([k for k in COMPARED if k != walk.visit.k])
    button = walk.page.get_by_role("button", name="Split with current").nth(COMPARED.index(k))
    # It takes the visitor to the split view.
    walk.act(f"split with {k}", button.click, versus=(walk.visit.photo, k), tab="Result")


def click_point(walk: Walk) -> tuple[float, float]:
    """A point on the picture, clear of the divider in the middle of the view."""
    frame = walk.page.frame_locator(SPLIT)
    frame.locator("#stage").scroll_into_view_if_needed()
    stage, image = frame.locator("#stage").bounding_box(), frame.locator("#before").bounding_box()
    middle = stage["x"] + stage["width"] / 2
    sides = [
        (max(image["x"], stage["x"]) + 10, middle - 30),
        (middle + 30, min(image["x"] + image["width"], stage["x"] + stage["width"]) - 10),
    ]
    low, high = walk.rng.choice([side for side in sides if side[1] > side[0]])
    top = max(image["y"], stage["y"]) + 10
    bottom = min(image["y"] + image["height"], stage["y"] + stage["height"]) - 10
    return walk.rng.uniform(low, high), walk.rng.uniform(top, bottom)


def act_click(walk: Walk) -> None:
    x, y = click_point(walk)
    walk.act("click the picture", lambda: walk.page.mouse.click(x, y), clicked=walk.visit.photo)


#: Each act, and the tabs it can be done on (None: any tab).
ACTS = [
    (act_upload, None),
    (act_sample, None),
    (act_preset, None),
    (act_exact, None),
    (act_tab, None),
    (act_heat, "Result"),
    (act_pick, "Result"),
    (act_sort, "Result"),
    (act_split_with_current, "Compare K values"),
    (act_click, "Result"),
]


def test_a_random_walk_never_shows_a_previous_result_as_current(browser, app_url):
    rng = random.Random(SEED)
    page = new_visitor(browser, 1280, 900)
    try:
        page.goto(app_url)
        page.get_by_role("button", name=re.compile("^Download PNG")).wait_for()
        still(page)
        walk = Walk(page, Visit("astronaut.png", False, 512, 512), rng)
        check(page, walk.visit, ["open"])
        try:
            while len(walk.log) < STEPS:
                act, tab = rng.choice(ACTS)
                if tab is None or tab == walk.visit.tab:
                    act(walk)
        except Exception as error:
            screenshot(page, f"sequence-seed{SEED}-failed")
            raise AssertionError(f"seed {SEED}, after {walk.log}") from error
        screenshot(page, f"sequence-seed{SEED}-steps{STEPS}")
    finally:
        page.context.close()

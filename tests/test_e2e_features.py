"""The page's comparing, choosing and teaching features, driven in real headless Chromium.

Each test is what a visitor does: pick presets and pills, apply a K from a thumbnail, let the
page choose K, open a link with settings in it, upload an iPhone photo, open the camera on a
machine without one, use the page on a phone, and step through the lesson as a teacher would.
Every test saves screenshots to test-artifacts/.
"""

from __future__ import annotations

import base64
import io
import itertools
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers import (
    exact_k,
    k_preset,
    opened_page,
    png_button_name,
    sample_rgb,
    screenshot,
    settled,
    still,
)

pytestmark = pytest.mark.browser


#: The lesson's picture and the 3D tab's plot: one component, each in its own iframe.
PICTURE = 'iframe[title*="lesson_plot"]'
BY_CLUSTER = "Draw each pixel in its cluster's colour"


def test_presets_pills_and_applying_k_from_a_thumbnail(browser, app_url):
    with opened_page(browser, app_url) as page:
        k_preset(page, 4).click()
        page.get_by_role("button", name=png_button_name(4, 512, 512)).wait_for()
        still(page)
        assert exact_k(page) == 4
        assert "k=4" in page.url  # the URL follows

        settled(page, page.get_by_role("tab", name="Compare K values").click)
        pills = page.get_by_test_id("stButtonGroup").filter(has_text="K values to compare")
        settled(page, pills.get_by_text("128", exact=True).click)  # add a pill
        assert page.get_by_text(re.compile(r"^K = 128 · ")).count() == 1
        screenshot(page, "compare-1280x720", full_page=True)

        page.get_by_role("button", name="Use K = 32").click()
        page.get_by_role("button", name=png_button_name(32, 512, 512)).wait_for()
        still(page)
        assert exact_k(page) == 32

        # "Split with current": K = 8 against the current 32, in the split view
        # "Split with current" takes the visitor to the split view, where K = 8 is on the left.
        settled(page, page.get_by_role("button", name="Split with current").nth(1).click)  # 8
        expect(page.get_by_role("tab", name="Result")).to_have_attribute("aria-selected", "true")
        frame = page.frame_locator('iframe[title*="split_view"]')
        expect(frame.locator("#before-label")).to_have_text("8 colours")
        expect(frame.locator("#after-label")).to_have_text("32 colours")
        left = frame.locator("#before").get_attribute("src")
        shown = Image.open(io.BytesIO(base64.b64decode(left.split(",", 1)[1]))).convert("RGB")
        assert len(np.unique(np.asarray(shown).reshape(-1, 3), axis=0)) == 8
        screenshot(page, "split-with-current-1280x720")


def test_the_page_chooses_k_under_a_byte_budget(browser, app_url):
    with opened_page(browser, app_url) as page:
        settled(page, page.get_by_role("tab", name="Compare K values").click)
        budget = page.get_by_label("Largest K whose PNG fits in (kB)", exact=True)
        budget.fill("40")
        settled(page, lambda: budget.press("Enter"))
        page.get_by_role("button", name="Find it").nth(1).click()
        found = page.get_by_text(re.compile(r"^K = \d+"))
        found.first.wait_for()
        still(page)
        k = int(re.search(r"K = (\d+)", found.first.inner_text()).group(1))
        screenshot(page, "auto-k-bytes", full_page=True)
        page.get_by_role("button", name=f"Use K = {k}").last.click()
        button = page.get_by_role("button", name=png_button_name(k, 512, 512))
        button.wait_for()
        still(page)
        with page.expect_download() as download_info:
            button.click()
        size = download_info.value.path().stat().st_size
        # The page's PNG is written at zlib level 6, as measured by the search.
        assert size <= 40_000


def test_a_link_with_settings_opens_the_same_view(browser, app_url):
    with opened_page(browser, f"{app_url}/?sample=Coffee&k=8&init=random&seed=3") as page:
        page.get_by_role("button", name=png_button_name(8, 600, 400)).wait_for()
        assert page.get_by_text("Sample: coffee.png").is_visible()
        assert exact_k(page) == 8
        k_preset(page, 64).click()
        page.get_by_role("button", name=png_button_name(64, 600, 400)).wait_for()
        still(page)
        assert "k=64" in page.url and "sample=Coffee" in page.url and "init=random" in page.url
        copied = page.url
    with opened_page(browser, copied) as page:  # someone else opens the shared link
        page.get_by_role("button", name=png_button_name(64, 600, 400)).wait_for()
        assert exact_k(page) == 64


def test_an_iphone_heic_photo_uploads(browser, app_url):
    pillow_heif = pytest.importorskip("pillow_heif")
    heif = pillow_heif.from_pillow(Image.fromarray(sample_rgb("chelsea.png")))
    buffer = io.BytesIO()
    heif.save(buffer, format="HEIF", quality=90)
    with opened_page(browser, app_url) as page:
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            {"name": "IMG_0001.HEIC", "mimeType": "image/heic", "buffer": buffer.getvalue()}
        )
        page.get_by_role("button", name=png_button_name(16, 451, 300)).wait_for()
        still(page)
        assert page.get_by_text("Your photo: IMG_0001.HEIC · 451 × 300 pixels · HEIF").is_visible()
        screenshot(page, "heic-upload")


def test_without_a_camera_the_page_still_works(browser, app_url):
    with opened_page(browser, app_url) as page:
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Take a photo with the camera").click()
        expect(page.get_by_test_id("stCameraInput")).to_have_count(1)
        screenshot(page, "camera-missing")
        # The sample's result is still there and K still works.
        k_preset(page, 8).click()
        page.get_by_role("button", name=png_button_name(8, 512, 512)).wait_for()


def test_on_a_phone_k_and_the_result_fit_the_first_screen(browser, app_url):
    with opened_page(browser, app_url, 390, 844) as page:
        screenshot(page, "phone-390x844")
        # The K control is in the page, not behind the sidebar.
        preset = k_preset(page, 32)
        box = preset.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844
        heading = page.get_by_role("heading", name=re.compile(r"· 16 colours"))
        assert heading.bounding_box()["y"] < 844
        preset.click()
        page.get_by_role("button", name=png_button_name(32, 512, 512)).wait_for()
        still(page)
        frame = page.frame_locator('iframe[title*="split_view"]')
        stage = frame.locator("#stage").bounding_box()
        assert stage["width"] >= 330  # the split view spans the phone's width
        assert stage["y"] + 200 <= 844  # and a good part of the picture is on the first screen
        settled(page, page.get_by_role("tab", name="Colours in 3D").click)
        plot = page.frame_locator(PICTURE).locator("#plot")
        plot.locator(".gl-container canvas").first.wait_for()
        box = plot.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1  # not clipped
        assert box["height"] >= 300  # a phone sees the cloud as large as a laptop does
        page.locator(PICTURE).scroll_into_view_if_needed()
        screenshot(page, "phone-390x844-3d")


# ---------------------------------------------------------------------- the colours in 3D


def open_the_3d_tab(page):
    """Open the "Colours in 3D" tab; the frame holding its plot, once the plot is drawn."""
    settled(page, page.get_by_role("tab", name="Colours in 3D").click)
    page.frame_locator(PICTURE).locator("#plot .gl-container canvas").first.wait_for()
    page.locator(PICTURE).scroll_into_view_if_needed()
    return page.frame(url=re.compile("lesson_plot"))


#: What the 3D plot draws: each pixel's colour and position, and the centroids' trace.
DRAWN_JS = """() => {
  const plot = document.getElementById('plot');
  const [pixels, balls] = [plot.data[0], plot.data[plot.data.length - 1]];
  return { colours: pixels.marker.color, x: pixels.x, y: pixels.y, z: pixels.z,
           opacity: pixels.marker.opacity, fills: balls.marker.color,
           outline: balls.marker.line.width, size: balls.marker.size };
}"""


def own_colour(drawn: dict, i: int) -> str:
    return "#" + "".join(f"{drawn[axis][i]:02x}" for axis in "xyz")


def test_the_3d_toggle_recolours_the_plot_it_has(browser, app_url):
    """Drawing each pixel in its cluster's colour restyles the plot in place: the same iframe,
    plot and canvas, the palette's colours; the server sends no figure, and the keyboard
    turns it back."""
    with opened_page(browser, app_url) as page:
        received: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", received.append))
        frame = open_the_3d_tab(page)
        page.evaluate(f"window.plotFrame = document.querySelector('{PICTURE}')")
        frame.evaluate(
            """() => { const plot = document.getElementById('plot');
                       window.before = { plot, canvas: plot.querySelector('canvas') }; }"""
        )
        own = frame.evaluate(DRAWN_JS)
        n = len(own["colours"])
        assert 0 < n <= 20_000
        assert all(own["colours"][i] == own_colour(own, i) for i in range(n))
        assert own["opacity"] < 1  # see-through, so the cloud's shape shows
        assert len(own["fills"]) == 16 and own["outline"] > 0  # outlined against the cloud
        # The plot's own WebGL context skips multisampling; no canvas prototype is patched.
        assert frame.evaluate(
            """() => [...document.querySelectorAll('#plot canvas')]
              .map(c => c.getContext('webgl') || c.getContext('webgl2')).filter(Boolean)
              .map(gl => gl.getContextAttributes().antialias)"""
        ) == [False]
        assert frame.evaluate("() => String(HTMLCanvasElement.prototype.getContext)").endswith(
            "{ [native code] }"
        )
        screenshot(page, "3d-own-colours-1280x720")

        received.clear()
        settled(page, page.get_by_text(BY_CLUSTER, exact=True).click)
        frame.wait_for_function(
            "(first) => document.getElementById('plot').data[0].marker.color[0] !== first",
            arg=own["colours"][0],
        )
        assert page.evaluate(f"window.plotFrame === document.querySelector('{PICTURE}')")
        assert frame.evaluate(
            """() => { const plot = document.getElementById('plot');
                       return plot === window.before.plot
                         && plot.querySelector('canvas') === window.before.canvas; }"""
        )
        by_cluster = frame.evaluate(DRAWN_JS)
        assert (by_cluster["x"], by_cluster["y"], by_cluster["z"]) == (own["x"], own["y"], own["z"])
        assert set(by_cluster["colours"]) <= set(by_cluster["fills"])
        assert len(set(by_cluster["colours"])) > 8  # the cloud in most of the 16 colours
        sent = [m if isinstance(m, bytes) else m.encode() for m in received]
        assert not any(b"scatter3d" in m for m in sent)
        assert sum(map(len, sent)) < 150_000  # the points and their teams, not a figure
        screenshot(page, "3d-by-cluster-1280x720")

        toggle = page.get_by_label(BY_CLUSTER, exact=True)
        toggle.focus()
        settled(page, lambda: page.keyboard.press("Space"))
        frame.wait_for_function(
            "(first) => document.getElementById('plot').data[0].marker.color[0] === first",
            arg=own["colours"][0],
        )
        assert frame.evaluate(DRAWN_JS)["colours"] == own["colours"]


def test_a_picked_palette_colour_is_the_only_one_left_in_3d(browser, app_url):
    with opened_page(browser, app_url) as page:
        grid = page.locator(".st-key-palette_table")
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        # The table is drawn on a canvas: the first row's selection box sits under its 35 px
        # header, in the row-marker column at the left.
        settled(page, lambda: page.mouse.click(box["x"] + 14, box["y"] + 35 + 17))
        frame = open_the_3d_tab(page)
        caption = page.get_by_text(re.compile(r"^Showing the pixels of palette colour #"))
        picked = caption.inner_text().split()[-1].rstrip(".")
        settled(page, page.get_by_text(BY_CLUSTER, exact=True).click)
        frame.wait_for_function(
            "(picked) => document.getElementById('plot').data[0].marker.color.includes(picked)",
            arg=picked,
        )
        colours = frame.evaluate(DRAWN_JS)["colours"]
        assert set(colours) == {picked, "#d0d0d0"}  # that colour's pixels, the rest greyed
        screenshot(page, "3d-one-colour-1280x720")


# ---------------------------------------------------------------------------- the lesson


def lesson_picture(page):
    """The lesson's picture: the photo, its palette, the 3D plot and the error curve."""
    return page.frame_locator(PICTURE)


def typical_error(page) -> float:
    caption = lesson_picture(page).get_by_text(re.compile(r"^Typical error: ")).inner_text()
    return float(re.search(r"([\d.]+) levels", caption).group(1))


def open_the_lesson(page, phone: bool = False) -> None:
    if phone:  # the sidebar lies over the page there, so it is opened and closed again
        page.get_by_test_id("stExpandSidebarButton").click()
    page.get_by_test_id("stSidebar").get_by_text("Lesson for a class", exact=True).click()
    page.get_by_role("button", name="Start over", exact=True).wait_for()
    still(page)
    if phone:
        page.get_by_test_id("stSidebarCollapseButton").click()
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    settled(page, page.get_by_role("button", name="Start over", exact=True).click)
    lesson_picture(page).locator("#plot .gl-container canvas").first.wait_for()


def picture_drawn(page) -> None:
    """Until the lesson's picture has loaded its photo and no centroid is gliding."""
    page.frame(url=re.compile("lesson_plot")).wait_for_function(
        """() => { const photo = document.getElementById('photo');
                   return photo.complete && photo.naturalWidth > 0 && state.glide === null; }"""
    )


def swatch_pixels(page) -> np.ndarray:
    """The palette swatches as the browser painted them, read back from a screenshot."""
    shot = lesson_picture(page).locator("#swatches").screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)


@pytest.mark.parametrize("width, height", [(1280, 720), (1400, 1000), (390, 844)])
def test_the_lesson_fills_a_projector_and_fits_a_phone(browser, app_url, width, height):
    """Projected, the lesson's picture uses the first screen without running off it; on a
    phone its buttons sit two a row, so the step and the photo show on the first screen."""
    with opened_page(browser, app_url, width, height) as page:
        open_the_lesson(page, phone=width <= 640)
        settled(page, page.get_by_role("button", name="1 · Assign").click)
        picture_drawn(page)
        screenshot(page, f"lesson-assign-{width}x{height}")
        picture = page.locator(PICTURE).bounding_box()
        photo = lesson_picture(page).locator("#photo").bounding_box()
        key = lesson_picture(page).locator("#key-points").bounding_box()
        if width > 640:
            assert picture["y"] + picture["height"] <= height  # the key is not cut off
            assert key["y"] + key["height"] <= height
            # Little left empty below it: the picture grows with the screen.
            assert height - (picture["y"] + picture["height"]) < 0.12 * height
        else:
            names = ("New start", "Next round")
            boxes = [page.get_by_role("button", name=n).bounding_box() for n in names]
            assert all(b["width"] < width / 2 for b in boxes)  # two a row, not one
            assert photo["y"] + 100 <= height  # the photo starts on the first screen


#: Each lesson button's label: how much of its text is hidden (an ellipsis cuts it short).
CUT_LABELS_JS = """() => [...document.querySelectorAll('.st-key-lesson button')]
  .map(b => b.querySelector('[data-testid="stMarkdownContainer"]'))
  .filter(label => label && label.scrollWidth > label.clientWidth + 1)
  .map(label => label.innerText)"""


def test_the_lesson_buttons_keep_their_words_beside_an_open_sidebar(browser, app_url):
    """On a 1024 × 768 projector with the sidebar open, the lesson is 560 px wide: its buttons
    used to cut their labels short ("Start …", "2 · Upd…"). They now wrap instead."""
    with opened_page(browser, app_url, 1024, 768) as page:
        open_the_lesson(page)
        settled(page, page.get_by_role("button", name="1 · Assign").click)
        screenshot(page, "lesson-assign-1024x768-sidebar")
        assert page.evaluate(CUT_LABELS_JS) == []
        # The sidebar's View options, stacked, each with its right border drawn.
        borders = page.evaluate(
            """() => [...document.querySelectorAll('.st-key-mode button')]
              .map(b => getComputedStyle(b).borderRightColor)"""
        )
        assert len(borders) == 2 and "rgba(0, 0, 0, 0)" not in borders


def test_a_teacher_steps_through_the_lesson_at_1280x720(browser, app_url):
    with opened_page(browser, app_url) as page:
        open_the_lesson(page)
        screenshot(page, "lesson-start-1280x720")
        errors = []
        for round_number in range(1, 4):
            settled(page, page.get_by_role("button", name="1 · Assign").click)
            errors.append(typical_error(page))
            if round_number > 1:
                assert page.get_by_text(re.compile(r"[\d,]+ pixels changed team")).is_visible()
            settled(page, page.get_by_role("button", name="2 · Update").click)
            errors.append(typical_error(page))
            assert page.get_by_text(re.compile(r"the biggest move was [\d.]+ levels")).is_visible()
            screenshot(page, f"lesson-round-{round_number}-1280x720")
        assert all(b <= a for a, b in itertools.pairwise(errors))
        # The keyboard steps too: → assigns (a presenter's clicker sends the same key).
        page.get_by_text(re.compile(r"the biggest move was")).click()  # focus off the buttons
        settled(page, lambda: page.keyboard.press("ArrowRight"))
        assert page.get_by_text(re.compile(r"[\d,]+ pixels changed team")).is_visible()
        # The step, the photo and the 3D plot are on one projector screen, unscrolled.
        sentence = page.get_by_text(re.compile(r"pixels changed team")).bounding_box()
        picture = page.locator(PICTURE).bounding_box()
        assert sentence["y"] >= 0 and picture["y"] + picture["height"] <= 720
        plot = lesson_picture(page).locator("#plot").bounding_box()
        assert plot["height"] >= 250  # beside an open sidebar, under 24 px words, still a cube

        page.get_by_role("button", name=re.compile(r"^K = \d+ ·")).click()
        fast = page.get_by_role("radiogroup", name="Speed of Play").get_by_role(
            "radio", name="fast"
        )
        settled(page, fast.click)
        page.keyboard.press("Escape")
        # The speed changed; K and the start did not (the browser once sent K = 2, no start).
        expect(page.get_by_role("button", name=re.compile(r"^K = 4 · random"))).to_be_visible()
        screenshot(page, "lesson-before-play-1280x720")
        page.get_by_role("button", name="Play").click()
        page.get_by_text(re.compile("it has finished")).wait_for(timeout=240_000)
        still(page)
        screenshot(page, "lesson-converged-1280x720")


def test_a_step_restyles_the_plot_it_has_and_sends_no_figure(browser, app_url):
    """Each step changes the plot in place: the same iframe, plot and canvas, new colours.

    What the server sends for a step is read off the websocket: a few tens of kB of changes,
    never a Plotly figure.
    """
    with opened_page(browser, app_url) as page:
        received: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", received.append))
        open_the_lesson(page)
        settled(page, page.get_by_role("button", name="1 · Assign").click)
        frame = page.frame(url=re.compile("lesson_plot"))
        page.evaluate(f"window.lessonFrame = document.querySelector('{PICTURE}')")
        frame.evaluate(
            """() => {
              const plot = document.getElementById('plot');
              window.before = { plot, canvas: plot.querySelector('canvas'),
                                colours: plot.data[0].marker.color.slice(),
                                balls: plot.data[3].x.slice() };
            }"""
        )
        received.clear()
        settled(page, page.get_by_role("button", name="2 · Update").click)
        picture_drawn(page)  # the centroids have glided to their new places
        settled(page, page.get_by_role("button", name="1 · Assign").click)
        picture_drawn(page)
        assert page.evaluate(f"window.lessonFrame === document.querySelector('{PICTURE}')")
        same_plot, same_canvas, recoloured, moved = frame.evaluate(
            """() => {
              const plot = document.getElementById('plot');
              const colours = plot.data[0].marker.color;
              return [plot === window.before.plot,
                      plot.querySelector('canvas') === window.before.canvas,
                      colours.some((c, i) => c !== window.before.colours[i]),
                      plot.data[3].x.some((x, j) => x !== window.before.balls[j])];
            }"""
        )
        assert same_plot and same_canvas and recoloured and moved
        sent = [m if isinstance(m, bytes) else m.encode() for m in received]
        assert not any(b"scatter3d" in m for m in sent)
        assert sum(map(len, sent)) < 2 * 60_000  # two steps
        screenshot(page, "lesson-restyled-1280x720")


def locked_after_rounds(page, rounds: int):
    """Run ``rounds`` rounds of the lesson; the picture's locked swatch afterwards."""
    for _ in range(rounds):
        settled(page, page.get_by_role("button", name="Next round").click)
    return lesson_picture(page).get_by_role("button", name=re.compile("locked$"))


def test_a_locked_colour_stays_through_the_lesson(browser, app_url):
    with opened_page(browser, app_url) as page:
        open_the_lesson(page)
        page.get_by_role("button", name="Lock a colour").click()
        settled(page, page.get_by_role("button", name="Lock this colour and start over").click)
        page.keyboard.press("Escape")
        assert page.get_by_role("button", name="Locked: #d62828").is_visible()
        locked = locked_after_rounds(page, 3)
        pixels = swatch_pixels(page)
        assert (np.abs(pixels - (214, 40, 40)).sum(axis=2) < 12).any()
        assert locked.get_attribute("data-hex") == "#d62828"
        screenshot(page, "lesson-locked-1280x720")


def test_clicking_a_palette_colour_locks_it(browser, app_url):
    with opened_page(browser, app_url) as page:
        open_the_lesson(page)
        settled(page, page.get_by_role("button", name="Next round").click)
        picture_drawn(page)  # a click on a swatch the frame is still drawing can be lost
        still(page)
        swatch = lesson_picture(page).locator("#swatches button").first
        colour = swatch.get_attribute("data-hex")
        swatch.click()
        page.get_by_role("button", name=f"Locked: {colour}").wait_for()
        still(page)
        locked = locked_after_rounds(page, 3)
        assert locked.get_attribute("data-hex") == colour
        screenshot(page, "lesson-swatch-locked-1280x720")

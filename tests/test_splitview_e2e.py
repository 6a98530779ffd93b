"""The split view in real Chromium: drag and key the divider, zoom, pan, 1:1, and click back.

A tiny page (tests/apps/splitview_app.py) shows a red image left of the divider and a blue one
right of it, and writes the component's value, so each test reads colours from screenshots and
the clicked point from the page, as a visitor would see them.
"""

from __future__ import annotations

import ast
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers import (
    PAGE_IDLE,
    ROOT,
    new_visitor,
    screenshot,
    served,
)

pytestmark = pytest.mark.browser

APP = ROOT / "tests" / "apps" / "splitview_app.py"
IMAGE_SIZE = (600, 400)
RED, BLUE = (255, 0, 0), (0, 0, 255)


@pytest.fixture(scope="module")
def splitview_url(artifacts):
    """The split view test page, served by `streamlit run` on a free port."""
    with served(artifacts / "splitview-server.log", script=APP.relative_to(ROOT)) as (url, _):
        yield url


def open_page(browser, url, width=1280, height=720, scale=1):
    page = new_visitor(browser, width, height, device_scale_factor=scale, has_touch=True)
    page.goto(url)
    page.wait_for_selector(PAGE_IDLE)
    frame = page.frame_locator('iframe[title*="split_view"]')
    frame.locator("#after").wait_for()
    page.wait_for_function(
        """() => {
          const doc = document.querySelector('iframe[title*="split_view"]').contentDocument;
          return ['before', 'after'].map(id => doc.getElementById(id))
              .every(img => img.complete && img.naturalWidth > 0)
            && doc.getElementById('stage').clientHeight > 300;
        }"""
    )
    return page, frame


@pytest.fixture
def desktop(browser, splitview_url):
    page, frame = open_page(browser, splitview_url)
    yield page, frame
    page.context.close()


def colour_at(page, x: float, y: float) -> tuple[int, int, int]:
    """The colour the visitor sees at page point (x, y), read from a screenshot."""
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    scale = shot.width / page.viewport_size["width"]
    return shot.getpixel((round(x * scale), round(y * scale)))


def no_click_pending(page) -> None:
    """Until the view has sent, or dropped, the click it was holding back for a double-click."""
    page.frame(url=re.compile("split_view")).wait_for_function("() => state.pendingClick === null")


def box(frame, selector: str) -> dict:
    return frame.locator(selector).bounding_box()


def zoom_percent(frame) -> int:
    return int(re.fullmatch(r"(\d+) %", frame.locator("#zoom").inner_text()).group(1))


def test_dragging_the_divider_shows_the_before_image_further_right(desktop):
    page, frame = desktop
    stage = box(frame, "#stage")
    probe_x = stage["x"] + 0.65 * stage["width"]
    probe_y = stage["y"] + stage["height"] / 2
    assert colour_at(page, probe_x, probe_y) == BLUE
    screenshot(page, "splitview-1280x720")

    grip = box(frame, ".grip")
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(stage["x"] + 0.8 * stage["width"], probe_y, steps=8)
    page.mouse.up()

    assert colour_at(page, probe_x, probe_y) == RED
    assert frame.locator("#divider").get_attribute("aria-valuenow") == "80"
    screenshot(page, "splitview-1280x720-divider-dragged")


def test_the_divider_moves_with_arrow_keys_home_and_end(desktop):
    page, frame = desktop
    divider = frame.get_by_role("slider", name="Divider between the two images")
    divider.focus()
    page.keyboard.press("ArrowRight")
    assert divider.get_attribute("aria-valuenow") == "55"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert divider.get_attribute("aria-valuenow") == "45"
    page.keyboard.press("End")
    assert divider.get_attribute("aria-valuenow") == "100"
    image = box(frame, "#before")
    assert colour_at(page, image["x"] + image["width"] - 5, image["y"] + 50) == RED
    page.keyboard.press("Home")
    assert divider.get_attribute("aria-valuenow") == "0"
    assert colour_at(page, image["x"] + 5, image["y"] + 50) == BLUE


def test_ctrl_wheel_zooms_about_the_cursor_with_both_sides_aligned(desktop):
    page, frame = desktop
    fitted = zoom_percent(frame)
    before = box(frame, "#before")
    cursor = (before["x"] + 0.3 * before["width"], before["y"] + 0.4 * before["height"])
    page.mouse.move(*cursor)
    page.keyboard.down("Control")  # as in a map in a page: the plain wheel scrolls the page
    page.mouse.wheel(0, -600)
    page.keyboard.up("Control")
    expect(frame.locator("#zoom")).not_to_have_text(f"{fitted} %")
    zoomed = zoom_percent(frame)
    assert zoomed > fitted

    before, after = box(frame, "#before"), box(frame, "#after")
    assert before == pytest.approx(after, abs=0.01)
    assert before["width"] / IMAGE_SIZE[0] == pytest.approx(zoomed / 100, rel=0.01)
    # The image point under the cursor stayed under it.
    assert cursor[0] - before["x"] == pytest.approx(0.3 * before["width"], abs=0.5)
    assert cursor[1] - before["y"] == pytest.approx(0.4 * before["height"], abs=0.5)


def test_dragging_the_image_pans_both_sides_together(desktop):
    page, frame = desktop
    frame.get_by_role("button", name="Zoom in").click()
    frame.get_by_role("button", name="Zoom in").click()
    start = box(frame, "#before")
    stage = box(frame, "#stage")
    x, y = stage["x"] + stage["width"] / 3, stage["y"] + stage["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 60, steps=10)
    page.mouse.up()
    moved, after = box(frame, "#before"), box(frame, "#after")
    assert moved["x"] - start["x"] == pytest.approx(120, abs=1)
    assert moved["y"] - start["y"] == pytest.approx(60, abs=1)
    assert moved == pytest.approx(after, abs=0.01)
    # A drag is not a click: nothing is reported to Python.
    no_click_pending(page)
    assert page.get_by_text("Clicked: None").is_visible()


def test_one_to_one_shows_actual_pixels_and_fit_resets(browser, splitview_url):
    page, frame = open_page(browser, splitview_url, width=390, height=844, scale=2)
    try:
        screenshot(page, "splitview-390x844")
        fitted = box(frame, "#before")["width"]
        frame.get_by_role("button", name="Show actual pixels (1:1)").click()
        assert frame.locator("#zoom").inner_text() == "100 %"
        # One image pixel per device pixel: 600 image px are 300 CSS px at devicePixelRatio 2.
        assert box(frame, "#before")["width"] == pytest.approx(IMAGE_SIZE[0] / 2, abs=0.01)
        screenshot(page, "splitview-390x844-actual-pixels")
        frame.get_by_role("button", name="Fit the image to the view").click()
        assert box(frame, "#before")["width"] == pytest.approx(fitted, abs=0.01)
    finally:
        page.context.close()


def test_double_click_shows_actual_pixels(desktop):
    page, frame = desktop
    stage = box(frame, "#stage")
    # A third of the way across, clear of the divider in the middle.
    page.mouse.dblclick(stage["x"] + stage["width"] / 3, stage["y"] + stage["height"] / 2)
    assert frame.locator("#zoom").inner_text() == "100 %"
    assert box(frame, "#before")["width"] == pytest.approx(IMAGE_SIZE[0], abs=0.01)
    # A double-click is not reported as a click.
    no_click_pending(page)
    assert page.get_by_text("Clicked: None").is_visible()
    page.mouse.wheel(0, -400)
    expect(frame.locator("#zoom")).not_to_have_text("100 %")
    expect(frame.locator("#after")).to_have_css("image-rendering", "pixelated")


def test_a_click_sends_the_image_point_back_to_python(desktop):
    page, frame = desktop
    image = box(frame, "#before")
    page.mouse.click(image["x"] + 0.25 * image["width"], image["y"] + 0.75 * image["height"])
    shown = page.get_by_text(re.compile(r"^Clicked: \{"))
    shown.wait_for()
    clicked = ast.literal_eval(shown.inner_text().removeprefix("Clicked: "))
    assert clicked["x"] == pytest.approx(0.25, abs=2 / image["width"])
    assert clicked["y"] == pytest.approx(0.75, abs=2 / image["height"])


def test_the_overlay_is_drawn_over_the_after_side_only(browser, splitview_url):
    page, frame = open_page(browser, f"{splitview_url}/?overlay=1")
    try:
        frame.locator("#overlay").wait_for()
        image = box(frame, "#before")
        y = image["y"] + image["height"] / 2
        assert colour_at(page, image["x"] + 0.25 * image["width"], y) == RED
        # Half-transparent green over blue: both channels near half, as Pillow's own blend gives.
        blended = Image.alpha_composite(
            Image.new("RGBA", (1, 1), (*BLUE, 255)), Image.new("RGBA", (1, 1), (0, 255, 0, 128))
        ).getpixel((0, 0))[:3]
        seen = colour_at(page, image["x"] + 0.75 * image["width"], y)
        assert seen == pytest.approx(blended, abs=2)
    finally:
        page.context.close()


def test_focus_opens_zoomed_in_about_that_point(browser, splitview_url):
    page, frame = open_page(browser, f"{splitview_url}/?focus=1")
    try:
        image, stage = box(frame, "#before"), box(frame, "#stage")
        assert image["width"] > stage["width"]  # zoomed in past fit
        centre_x = stage["x"] + stage["width"] / 2
        assert (centre_x - image["x"]) / image["width"] == pytest.approx(0.25, abs=0.005)
    finally:
        page.context.close()


def test_the_view_refits_when_the_window_narrows(desktop):
    page, frame = desktop
    wide = box(frame, "#stage")["width"]
    page.set_viewport_size({"width": 700, "height": 720})
    expect(frame.locator("#stage")).not_to_have_js_property("clientWidth", round(wide))
    # The view refits once it hears of the new size: the whole image inside the stage again.
    page.frame(url=re.compile("split_view")).wait_for_function(
        """() => { const stage = document.getElementById('stage').getBoundingClientRect();
                   const image = document.getElementById('before').getBoundingClientRect();
                   return image.left >= stage.left - 0.5 && image.right <= stage.right + 0.5; }"""
    )
    assert box(frame, "#stage")["width"] < wide


def test_two_fingers_pinch_zoom(browser, splitview_url):
    page, frame = open_page(browser, splitview_url, width=390, height=844, scale=2)
    try:
        fitted = zoom_percent(frame)
        stage = box(frame, "#stage")
        cx, cy = stage["x"] + stage["width"] / 3, stage["y"] + stage["height"] / 2
        # Real touch input through Chromium's input pipeline, two fingers moving apart.
        cdp = page.context.new_cdp_session(page)

        def touch(kind, spread):
            points = [{"x": cx - spread, "y": cy, "id": 0}, {"x": cx + spread, "y": cy, "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", 20)
        for spread in range(25, 81, 5):
            touch("touchMove", spread)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        expect(frame.locator("#zoom")).not_to_have_text(f"{fitted} %")
        assert zoom_percent(frame) > 2 * fitted
        assert box(frame, "#before") == pytest.approx(box(frame, "#after"), abs=0.01)
    finally:
        page.context.close()

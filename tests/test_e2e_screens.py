"""The phone and the projector (issue 19, section 4), in real headless Chromium.

Each test is what a visitor does on that screen: upload from a phone, swipe past the picture,
scroll past it with the wheel, zoom on purpose, look at actual pixels, read the first screen of
a projector, and follow the lesson from the back of a room. Every test saves screenshots to
test-artifacts/.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers import (
    choose_file,
    jpeg_bytes,
    opened_page,
    png_button,
    screenshot,
    settled,
    still,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844, "has_touch": True, "is_mobile": True}
SPLIT = 'iframe[title*="split_view"]'
PICTURE = 'iframe[title*="lesson_plot"]'


def on_first_screen(box: dict | None, height: int) -> bool:
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_on_a_phone_the_upload_is_in_the_page_labelled_and_the_sidebar_stays_shut(browser, app_url):
    with opened_page(browser, app_url, **PHONE) as page:
        main = page.get_by_test_id("stMain")
        upload = main.get_by_test_id("stFileUploader")
        expect(upload.get_by_text("Your own photo")).to_be_visible()
        button = upload.get_by_test_id("stFileUploaderDropzone").get_by_test_id(
            "stBaseButton-secondary"
        )
        expect(button).to_have_text(re.compile("Upload"))
        assert on_first_screen(button.bounding_box(), PHONE["height"])
        screenshot(page, "phone-upload-390x844")
        settled(page, lambda: choose_file(page, "phone photo.jpg", jpeg_bytes("coffee.png")))
        png_button(page, 16, 600, 400).wait_for()
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
        stage = page.frame_locator(SPLIT).locator("#stage").bounding_box()
        assert stage["y"] + 150 <= PHONE["height"]  # the new result, not a sidebar, is in view
        screenshot(page, "phone-uploaded-390x844")


@pytest.mark.parametrize("screen", [{"width": 1280, "height": 720}, PHONE], ids=["laptop", "phone"])
def test_a_file_that_cannot_be_read_is_said_where_the_visitor_looks(browser, app_url, screen):
    with opened_page(browser, app_url, **screen) as page:
        settled(page, lambda: choose_file(page, "broken.jpg", b"this is not a photo"))
        error = page.get_by_test_id("stMain").get_by_test_id("stAlertContentError")
        expect(error).to_be_visible()
        assert on_first_screen(error.bounding_box(), screen["height"])
        assert page.get_by_test_id("stSidebar").get_by_test_id("stAlertContentError").count() == 0
        screenshot(page, f"bad-file-{screen['width']}x{screen['height']}")


#: The page's scroll once it has come to rest (a wheel's scroll glides for a moment).
RESTED_SCROLL_JS = """() => new Promise((done) => {
  const main = document.querySelector('[data-testid="stMain"]');
  let last = main.scrollTop;
  const look = () => requestAnimationFrame(() => requestAnimationFrame(() => {
    if (main.scrollTop === last) done(last); else { last = main.scrollTop; look(); }
  }));
  look();
})"""


def main_scroll(page) -> float:
    return page.evaluate(RESTED_SCROLL_JS)


def zoom_shown(page) -> str:
    return page.frame_locator(SPLIT).locator("#zoom").inner_text()


def swipe(page, x: float, y: float, distance: float) -> None:
    """One finger down at (x, y), moved ``distance`` px down (up when negative), then lifted."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, at: float | None) -> None:
        points = [] if at is None else [{"x": x, "y": at, "id": 0}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", y)
    for step in range(1, 11):
        touch("touchMove", y + distance * step / 10)
    touch("touchEnd", None)


def test_a_swipe_that_starts_on_the_picture_scrolls_the_page(browser, app_url):
    with opened_page(browser, app_url, **PHONE) as page:
        stage = page.frame_locator(SPLIT).locator("#stage")
        box = stage.bounding_box()
        fitted = zoom_shown(page)
        # A real one-finger swipe up through Chromium's touch input, starting on the image.
        swipe(page, box["x"] + box["width"] / 3, box["y"] + 150, -250)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollTop > 100"
        )
        assert zoom_shown(page) == fitted  # the swipe moved the page, not the picture
        screenshot(page, "phone-swiped-390x844")


def test_the_wheel_scrolls_past_the_picture_and_zooms_only_when_asked(browser, app_url):
    with opened_page(browser, app_url, 1280, 720) as page:
        frame = page.frame_locator(SPLIT)
        box = frame.locator("#stage").bounding_box()
        fitted = zoom_shown(page)
        over_the_picture = (box["x"] + box["width"] / 3, box["y"] + 120)

        # Ctrl (⌘ on a Mac) + wheel zooms, and leaves the page where it is.
        page.mouse.move(*over_the_picture)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -400)
        page.keyboard.up("Control")
        expect(frame.locator("#zoom")).not_to_have_text(fitted)
        assert main_scroll(page) == 0
        frame.get_by_role("button", name="Fit the image to the view").click()  # in the view
        expect(frame.locator("#zoom")).to_have_text(fitted)

        # After a click into the view, the wheel alone zooms it, until the pointer leaves.
        settled(page, lambda: page.mouse.click(*over_the_picture))
        page.mouse.wheel(0, -400)
        expect(frame.locator("#zoom")).not_to_have_text(fitted)
        assert main_scroll(page) == 0
        frame.get_by_role("button", name="Fit the image to the view").click()
        page.mouse.move(box["x"] + box["width"] / 3, box["y"] - 60)  # out of the view

        # The plain wheel over the picture scrolls the page, and the view says how to zoom.
        page.mouse.move(*over_the_picture)
        page.mouse.wheel(0, 400)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollTop > 100"
        )
        assert zoom_shown(page) == fitted
        expect(frame.locator("#hint")).to_be_visible()
        expect(frame.locator("#hint")).to_contain_text("Ctrl + scroll")
        screenshot(page, "wheel-scrolls-the-page-1280x720")


def photo_of_noise(width: int, height: int) -> bytes:
    """A photo with detail at every pixel, so a display copy cannot stand in for it."""
    rng = np.random.default_rng(5)
    base = np.asarray(Image.open(io.BytesIO(jpeg_bytes("coffee.png", (width, height)))))
    noisy = np.clip(base.astype(int) + rng.integers(-40, 41, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy).save(buffer, "PNG")
    return buffer.getvalue()


def decoded(url: str) -> np.ndarray:
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        return np.asarray(image.convert("RGB"))


def test_one_to_one_shows_the_results_own_pixels_at_full_resolution(browser, app_url):
    width, height = 2400, 1600  # wider than the 1,400 px display copies
    with opened_page(browser, app_url, 1280, 720) as page:
        settled(
            page,
            lambda: choose_file(page, "detail.png", photo_of_noise(width, height), "image/png"),
        )
        png_button(page, 16, width, height).wait_for()
        still(page)
        frame = page.frame_locator(SPLIT)
        frame.get_by_role("button", name="Show actual pixels (1:1)").click()
        expect(frame.locator("#zoom")).to_have_text("100 %")
        detail = frame.locator("#after-detail")
        expect(detail).to_be_visible()  # the view asked, and the page sent the window
        split = page.frame(url=re.compile("split_view"))
        split.wait_for_function(
            "() => { const d = document.getElementById('after-detail');"
            " return d.complete && d.naturalWidth > 0; }"
        )
        shown = split.evaluate("() => state.detail")
        pixels = decoded(detail.get_attribute("src"))
        assert pixels.shape[:2] == (shown["height"], shown["width"])
        screenshot(page, "one-to-one-2400x1600-1280x720")
        with page.expect_download() as download_info:
            png_button(page, 16, width, height).click()
        with Image.open(download_info.value.path()) as png:
            window = (
                shown["left"],
                shown["top"],
                shown["left"] + shown["width"],
                shown["top"] + shown["height"],
            )
            expected = np.asarray(png.convert("RGB").crop(window))
        np.testing.assert_array_equal(pixels, expected)  # the PNG's own pixels, one for one
        # And on screen, one of them per screen pixel.
        box = detail.bounding_box()
        assert box["width"] == pytest.approx(shown["width"], abs=1)


def test_a_projector_shows_the_headline_k_and_the_picture_on_its_first_screen(browser, app_url):
    with opened_page(browser, app_url, 1280, 720) as page:
        screenshot(page, "projector-first-screen-1280x720")
        heading = page.get_by_role("heading", name=re.compile(r"· 16 colours"))
        assert on_first_screen(heading.bounding_box(), 720)
        preset = page.get_by_role("radiogroup", name="Colours (K)")
        assert on_first_screen(preset.bounding_box(), 720)
        assert on_first_screen(page.get_by_label("Exact K", exact=True).bounding_box(), 720)
        stage = page.frame_locator(SPLIT).locator("#stage").bounding_box()
        assert 720 - stage["y"] >= 250  # a good part of the picture, not a strip of it


# ---------------------------------------------------------------------------- the lesson


def open_the_lesson(page) -> None:
    page.get_by_test_id("stSidebar").get_by_text("Lesson for a class", exact=True).click()
    page.get_by_role("button", name="Start over", exact=True).wait_for()
    still(page)
    page.frame_locator(PICTURE).locator("#plot .gl-container canvas").first.wait_for()


def font_px(locator) -> float:
    return float(locator.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))


def test_the_lesson_reads_from_the_back_of_a_room(browser, app_url):
    with opened_page(browser, app_url, 1280, 720) as page:
        open_the_lesson(page)
        picture = page.frame_locator(PICTURE)
        frame = page.frame(url=re.compile("lesson_plot"))
        photo_before = picture.locator("#photo").bounding_box()
        swatch = picture.locator("#swatches button").first
        assert "no pixel in its team yet" in swatch.get_attribute("title")  # none assigned yet
        key = picture.locator("#key-points").inner_text()
        assert re.fullmatch(r"4,000 of the 25,600 pixels", key), key
        screenshot(page, "lesson-start-1280x720")

        settled(page, page.get_by_role("button", name="1 · Assign").click)
        frame.wait_for_function("() => document.getElementById('photo').complete")
        assert "% of the pixels" in swatch.get_attribute("title")
        photo_after = picture.locator("#photo").bounding_box()
        assert photo_after["height"] == pytest.approx(
            photo_before["height"], abs=1
        )  # its size kept
        sentence = page.locator(".st-key-lesson_sentence p").first
        button = page.get_by_role("button", name="Next round").locator("p")
        assert font_px(sentence) >= 24 and font_px(button) >= 24
        ticks = frame.evaluate(
            "() => { const s = document.getElementById('plot')._fullLayout.scene;"
            " return [s.xaxis.tickfont.size, s.yaxis.tickfont.size, s.zaxis.tickfont.size]; }"
        )
        assert min(ticks) >= 24
        assert font_px(picture.locator("#error-caption")) >= 24
        screenshot(page, "lesson-assigned-1280x720")

        page.get_by_role("button", name=re.compile(r"^K = \d+ ·")).click()
        starts = page.get_by_role("radiogroup", name="Start from")
        expect(starts.get_by_role("radio", name="random")).to_have_attribute("aria-checked", "true")
        screenshot(page, "lesson-setup-1280x720")

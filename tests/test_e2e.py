"""The page in a real browser: open it, upload a photo, move K, see the result, download it.

Run with the server started by the ``app_url`` fixture and headless Chromium from ``browser``
(see conftest.py). Screenshots and timings go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import time

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

HOSTILE_NAME = "<img src=x onerror=alert(1)>**bold**.png"


def wait_until_idle(page) -> None:
    """Until Streamlit has finished running the script and every image has loaded."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_function(
        "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"
    )


def png_button(page, k: int, width: int, height: int):
    """The download button of the result for K colours of a width × height photo."""
    return page.get_by_role("button", name=f"Download PNG: {k} colours, {width} × {height}")


def screenshot_whole_page(page, path) -> None:
    """The whole page at the same width; Streamlit scrolls inside stMain, so grow the viewport."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    wait_until_idle(page)
    page.screenshot(path=path)
    page.set_viewport_size(size)


def seconds_until_result(page, started: float, button) -> dict:
    """Seconds from ``started`` until the result's download button shows, and until all is drawn."""
    button.wait_for()
    shown = time.perf_counter() - started
    wait_until_idle(page)
    return {
        "result_shown_s": round(shown, 2),
        "page_finished_s": round(time.perf_counter() - started, 2),
    }


def k_slider(page):
    return page.get_by_test_id("stSidebar").get_by_role("slider").first


def test_visitor_uploads_a_photo_moves_k_and_downloads_it(page, app_url, photo_4mp, artifacts):
    timings = {}

    # Open: the sample's complete result is there without doing anything.
    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    wait_until_idle(page)
    page.screenshot(path=artifacts / "first-view.png")

    # Upload a 4 MP photo.
    with Image.open(photo_4mp) as sent:
        width, height = sent.size
    started = time.perf_counter()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(photo_4mp)
    timings["upload"] = seconds_until_result(page, started, png_button(page, 16, width, height))
    page.screenshot(path=artifacts / "uploaded.png")

    # Move K one step with the keyboard, then back to a K already computed.
    slider = k_slider(page)
    slider.focus()
    started = time.perf_counter()
    slider.press("ArrowRight")
    timings["k_change"] = seconds_until_result(page, started, png_button(page, 17, width, height))

    started = time.perf_counter()
    slider.press("ArrowLeft")
    timings["k_change_cached"] = seconds_until_result(
        page, started, png_button(page, 16, width, height)
    )

    # See the result: every image drawn.
    assert page.locator('[data-testid="stMain"] img').count() >= 5
    assert page.get_by_text("Your photo: holiday photo.jpg · 2,309 × 1,732 pixels").is_visible()
    screenshot_whole_page(page, artifacts / "dashboard.png")

    # Download the full-resolution PNG.
    with page.expect_download() as download_info:
        png_button(page, 16, width, height).click()
    download = download_info.value
    assert download.suggested_filename == "holiday-photo-k16.png"
    with Image.open(download.path()) as png:
        assert png.format == "PNG" and png.mode == "P"
        assert png.size == (width, height)

    # Look at the colours in 3D: the Plotly scatter and the convergence chart.
    started = time.perf_counter()
    page.get_by_role("tab", name="Colours in 3D").click()
    page.locator('[data-testid="stMain"] .js-plotly-plot').nth(1).wait_for()
    wait_until_idle(page)
    timings["open_3d_tab_s"] = round(time.perf_counter() - started, 2)
    assert page.locator('[data-testid="stMain"] .js-plotly-plot').count() == 2
    page.screenshot(path=artifacts / "colours-in-3d.png")

    print(f"\ne2e timings on a {width} × {height} JPEG: {timings}")
    (artifacts / "timings.json").write_text(json.dumps({"photo": [width, height], **timings}))


def test_a_hostile_file_name_shows_as_plain_text(page, app_url, tmp_path, artifacts):
    from tests.conftest import jpeg_bytes

    photo = tmp_path / HOSTILE_NAME
    photo.write_bytes(jpeg_bytes("chelsea.png"))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(photo)
    png_button(page, 16, 451, 300).wait_for()
    wait_until_idle(page)

    assert page.get_by_text(f"Your photo: {HOSTILE_NAME} · 451 × 300 pixels").is_visible()
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('[data-testid="stMain"] strong', has_text="bold").count() == 0
    assert dialogs == []
    page.screenshot(path=artifacts / "hostile-file-name.png")

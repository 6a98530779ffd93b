"""Size in a real browser: take home the PNG or the WebP, and see whether K colours were the
right format, with the JPEG that looks as close in the split view. Screenshots go to
test-artifacts/ (the README's codec-view picture is one of them)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers import PAGE_IDLE

pytestmark = pytest.mark.browser

CODEC_VIEW = "Is K colours the right format for this image?"
UNITS = {"B": 1, "kB": 1000, "MB": 1_000_000}


def opened(page, app_url: str) -> None:
    page.goto(app_url)
    expect(page.get_by_role("button", name=re.compile("^Download WebP"))).to_be_visible(
        timeout=90_000
    )
    page.wait_for_selector(PAGE_IDLE)


def take(page, file_format: str):
    """Click the download of ``file_format`` and return (its label, the downloaded file)."""
    button = page.get_by_role("button", name=re.compile(f"^Download {file_format}"))
    label = button.inner_text()
    with page.expect_download() as download_info:
        button.click()
    return label, download_info.value


def stated_bytes(label: str) -> float:
    number, unit = re.search(r"· ([\d.]+) (B|kB|MB)", label).groups()
    return float(number) * UNITS[unit]


def test_the_download_offers_png_and_webp_with_the_bytes_it_states(page, app_url, artifacts):
    opened(page, app_url)
    page.screenshot(path=artifacts / "size-downloads.png")

    pixels = {}
    for file_format, suffix in (("PNG", "png"), ("WebP", "webp")):
        label, download = take(page, file_format)
        assert download.suggested_filename == f"astronaut-k16.{suffix}"
        path = download.path()
        assert stated_bytes(label) == pytest.approx(path.stat().st_size, rel=0.001, abs=1)
        with Image.open(path) as image:
            assert image.format == file_format.upper()
            pixels[file_format] = np.asarray(image.convert("RGB"))
    np.testing.assert_array_equal(pixels["PNG"], pixels["WebP"])
    assert page.get_by_role("button", name=re.compile("· smaller$")).count() == 1


def test_the_codec_view_opens_shows_the_chart_and_puts_the_jpeg_in_the_split_view(
    page, app_url, artifacts
):
    opened(page, app_url)
    page.get_by_text(CODEC_VIEW, exact=True).click()

    view = page.get_by_test_id("stExpander").filter(has_text=CODEC_VIEW)
    chart = view.locator(".js-plotly-plot")
    expect(chart).to_be_visible(timeout=120_000)
    expect(chart).to_contain_text("Bytes for the same closeness")
    expect(chart).to_contain_text("K colours, PNG")
    expect(chart).to_contain_text(re.compile("JPEG at quality"))
    expect(
        view.get_by_text(re.compile("^For this image an? (JPEG|WebP|AVIF) that looks as close"))
    ).to_be_visible()
    view.scroll_into_view_if_needed()
    view.screenshot(path=artifacts / "codec-view.png")

    view.get_by_text("Show the JPEG that looks as close in the split view").click()
    split = page.frame_locator('iframe[title*="split_view"]')
    expect(split.locator("#before-label")).to_contain_text("JPEG at the same closeness")
    expect(split.locator("#after-label")).to_have_text("16 colours")
    page.wait_for_selector(PAGE_IDLE)
    page.locator('iframe[title*="split_view"]').scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "split-view-jpeg.png")


def test_on_the_flat_poster_k_colours_beat_every_codec(page, app_url, artifacts):
    page.goto(f"{app_url}/?sample=Flat+poster")
    expect(page.get_by_role("button", name=re.compile("^Download WebP"))).to_be_visible(
        timeout=90_000
    )
    page.wait_for_selector(PAGE_IDLE)
    page.get_by_text(CODEC_VIEW, exact=True).click()

    view = page.get_by_test_id("stExpander").filter(has_text=CODEC_VIEW)
    expect(view.get_by_text(re.compile("^Here K colours win"))).to_be_visible(timeout=120_000)
    expect(view.locator(".js-plotly-plot")).to_contain_text("K colours, WebP (lossless)")
    view.scroll_into_view_if_needed()
    view.screenshot(path=artifacts / "codec-view-poster.png")

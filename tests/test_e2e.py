"""The page in a real browser: open it, upload a photo, move K, see the result, download it.

Run with the server started by the ``app_url`` fixture and headless Chromium from ``browser``
(see conftest.py). Screenshots and timings go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from playwright.sync_api import expect

from kmeans.io import MAX_PIXELS
from tests.helpers import (
    HOSTILE_NAME,
    ROOT,
    choose_file,
    jpeg_bytes,
    k_preset,
    new_visitor,
    png_button,
    read_config,
    screenshot,
    screenshot_whole_page,
    set_exact_k,
    still,
)

pytestmark = pytest.mark.browser


def seconds_until_result(page, started: float, button) -> dict:
    """Seconds from ``started`` until the result's download button shows, and until all is drawn."""
    button.wait_for()
    shown = time.perf_counter() - started
    still(page)
    return {
        "result_shown_s": round(shown, 2),
        "page_finished_s": round(time.perf_counter() - started, 2),
    }


def test_visitor_uploads_a_photo_moves_k_and_downloads_it(page, app_url, photo_4mp, artifacts):
    timings = {}

    # Open: the sample's complete result is there without doing anything.
    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    still(page)
    screenshot(page, "first-view")

    # Upload a 4 MP photo.
    with Image.open(photo_4mp) as sent:
        width, height = sent.size
    started = time.perf_counter()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(photo_4mp)
    timings["upload"] = seconds_until_result(page, started, png_button(page, 16, width, height))
    screenshot(page, "uploaded")

    # Type an exact K, then pick a preset already computed.
    started = time.perf_counter()
    set_exact_k(page, 17)
    timings["k_change"] = seconds_until_result(page, started, png_button(page, 17, width, height))

    started = time.perf_counter()
    k_preset(page, 16).click()
    timings["k_change_cached"] = seconds_until_result(
        page, started, png_button(page, 16, width, height)
    )

    # See the result: the split view, the close-up and the palette are drawn.
    page.frame_locator('iframe[title*="split_view"]').locator("#after").wait_for()
    assert page.locator('[data-testid="stMain"] img').count() >= 3
    assert page.get_by_text("Your photo: holiday photo.jpg · 2,309 × 1,732 pixels").is_visible()
    screenshot_whole_page(page, "dashboard")

    # Download the full-resolution PNG.
    with page.expect_download() as download_info:
        png_button(page, 16, width, height).click()
    download = download_info.value
    assert download.suggested_filename == "holiday-photo-k16.png"
    with Image.open(download.path()) as png:
        assert png.format == "PNG" and png.mode == "P"
        assert png.size == (width, height)

    # Look at the colours in 3D: the 3D plot (in its own frame) and the convergence chart.
    started = time.perf_counter()
    page.get_by_role("tab", name="Colours in 3D").click()
    plot = page.frame_locator('iframe[title*="lesson_plot"]').locator("#plot .gl-container canvas")
    plot.first.wait_for()
    page.locator('[data-testid="stMain"] .js-plotly-plot').first.wait_for()
    still(page)
    timings["open_3d_tab_s"] = round(time.perf_counter() - started, 2)
    assert page.locator('[data-testid="stMain"] .js-plotly-plot').count() == 1
    screenshot(page, "colours-in-3d")

    print(f"\ne2e timings on a {width} × {height} JPEG: {timings}")
    (artifacts / "timings.json").write_text(json.dumps({"photo": [width, height], **timings}))


def test_a_hostile_file_name_shows_as_plain_text(page, app_url):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    choose_file(page, HOSTILE_NAME, jpeg_bytes("chelsea.png"))
    png_button(page, 16, 451, 300).wait_for()
    still(page)

    # Shown word for word, asterisks and all: in the page, and in the uploader's file chip
    # (which shortens long names on screen and keeps the whole name in its tooltip).
    assert page.get_by_text(f"Your photo: {HOSTILE_NAME} · 451 × 300 pixels").is_visible()
    assert page.get_by_test_id("stFileChip").get_by_title(HOSTILE_NAME, exact=True).count() == 1
    # Not read as HTML: no element came from the name, and nothing ran.
    assert page.locator('img[src="x"], [onerror]').count() == 0
    # Not read as Markdown: "bold" is nowhere made bold or emphasised.
    assert page.locator("strong, b, em", has_text="bold").count() == 0
    assert dialogs == []
    screenshot(page, "hostile-file-name")


def test_the_limits_shown_are_the_ones_that_hold(page, app_url):
    """The upload box's help states the configured limits, and Streamlit's uploader (its
    instructions, kept for screen readers) the same size."""
    upload_mb = read_config()["server"]["maxUploadSize"]
    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    uploader = page.get_by_test_id("stFileUploader")
    uploader.get_by_role("button", name="Help for Your own photo").hover()
    expect(page.get_by_test_id("stTooltipContent")).to_contain_text(
        f"up to {upload_mb} MB per file and {MAX_PIXELS / 1e6:g} megapixels"
    )
    instructions = uploader.get_by_test_id("stFileUploaderDropzoneInstructions")
    assert re.search(rf"\b{upload_mb}\s?MB per file", instructions.inner_text())


def test_an_upload_is_never_written_to_disk_under_the_visitors_name(
    page, app_url, streamlit_server
):
    """Neither the name nor the bytes of an upload turn up in a file, even one over 1 MB.

    Starlette spools a multipart upload over 1 MB to a temporary file; it must be an unnamed
    one, gone once read. The server has a TMPDIR of its own, so every temporary file it wrote
    is in one folder this test can read whole. The test itself writes nothing: the browser gets
    the file from memory.
    """
    environment = Path(f"/proc/{streamlit_server.pid}/environ").read_bytes().split(b"\0")
    assert f"TMPDIR={streamlit_server.temp_dir}".encode() in environment

    marker = uuid.uuid4().hex
    name = f"visitor-{marker}.png"
    data = unique_photo(marker)
    assert len(data) > 1_100_000

    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    choose_file(page, name, data, "image/png")
    png_button(page, 16, 720, 540).wait_for()
    still(page)

    temp = streamlit_server.temp_dir
    named = [
        path
        for folder, depth in ((ROOT, None), (temp, None), (Path.home(), 3))
        for path in files_under(folder, depth)
        if marker in path.name
    ]
    assert named == []
    assert [path for path in files_under(temp) if holds(path, marker.encode())] == []


def test_two_visitors_at_once_each_see_only_their_own_photo(browser, app_url):
    """Two browser contexts upload different photos at the same moment; nothing crosses over."""
    visitors = {
        "alice-holiday.jpg": ("astronaut.png", (800, 600)),
        "bob-portrait.jpg": ("chelsea.png", (640, 960)),
    }
    contexts, pages = [], {}
    try:
        for name in visitors:
            pages[name] = new_visitor(browser, 1366, 900)
            contexts.append(pages[name].context)
            pages[name].goto(app_url)
        for page in pages.values():
            png_button(page, 16, 512, 512).wait_for()

        for name, (sample, size) in visitors.items():
            choose_file(pages[name], name, jpeg_bytes(sample, size))
        for name, (_, (width, height)) in visitors.items():
            png_button(pages[name], 16, width, height).wait_for()
            still(pages[name])

        # One visitor moves K; the other's page stays as it was.
        alice = next(iter(pages))
        set_exact_k(pages[alice], 17)
        png_button(pages[alice], 17, 800, 600).wait_for()
        still(pages[alice])

        for name, (_, (width, height)) in visitors.items():
            page, other = pages[name], next(n for n in visitors if n != name)
            text = page.locator("body").inner_text()
            assert f"Your photo: {name} · {width:,} × {height:,} pixels" in text
            assert Path(other).stem not in text and Path(other).stem not in page.content()
            k = 17 if name == alice else 16
            with page.expect_download() as download_info:
                png_button(page, k, width, height).click()
            download = download_info.value
            assert download.suggested_filename == f"{Path(name).stem}-k{k}.png"
            with Image.open(download.path()) as png:
                assert png.size == (width, height)
    finally:
        for context in contexts:
            context.close()


def unique_photo(marker: str) -> bytes:
    """A 720 × 540 PNG of noise, over 1 MB, that carries ``marker`` in a text chunk."""
    noise = np.random.default_rng().integers(0, 256, size=(540, 720, 3), dtype=np.uint8)
    text = PngInfo()
    text.add_text("Comment", marker)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG", pnginfo=text)
    return buffer.getvalue()


def files_under(folder: Path, depth: int | None = None):
    """Regular files under ``folder``, at most ``depth`` folders down; .git is skipped."""
    for parent, folders, names in os.walk(folder):
        level = len(Path(parent).relative_to(folder).parts)
        folders[:] = [f for f in folders if f != ".git" and (depth is None or level < depth)]
        for name in names:
            path = Path(parent, name)
            if path.is_file() and not path.is_symlink():
                yield path


def holds(path: Path, needle: bytes, most: int = 200_000_000) -> bool:
    try:
        if path.stat().st_size > most:
            return False
        return needle in path.read_bytes()
    except OSError:  # gone or unreadable since the walk listed it
        return False

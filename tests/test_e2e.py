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

from kmeans.io import MAX_PIXELS
from tests.helpers import (
    HOSTILE_NAME,
    PAGE_IDLE,
    ROOT,
    jpeg_bytes,
    png_button_name,
    read_config,
)

pytestmark = pytest.mark.browser


def wait_until_idle(page) -> None:
    """Until Streamlit has finished running the script and every image has loaded."""
    page.wait_for_selector(PAGE_IDLE)
    page.wait_for_function(
        "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"
    )


def png_button(page, k: int, width: int, height: int):
    """The download button of the result for K colours of a width × height photo."""
    return page.get_by_role("button", name=png_button_name(k, width, height))


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


def k_preset(page, k: int):
    """The preset button for ``k`` in the K control (a radio in a segmented control)."""
    return page.get_by_role("radiogroup", name="Colours (K)").get_by_role(
        "radio", name=str(k), exact=True
    )


def set_exact_k(page, k: int) -> None:
    """Type a K into the exact-K box, as a visitor with a keyboard would."""
    box = page.get_by_label("Exact K", exact=True)
    box.fill(str(k))
    box.press("Enter")


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
    screenshot_whole_page(page, artifacts / "dashboard.png")

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
    wait_until_idle(page)
    timings["open_3d_tab_s"] = round(time.perf_counter() - started, 2)
    assert page.locator('[data-testid="stMain"] .js-plotly-plot').count() == 1
    page.screenshot(path=artifacts / "colours-in-3d.png")

    print(f"\ne2e timings on a {width} × {height} JPEG: {timings}")
    (artifacts / "timings.json").write_text(json.dumps({"photo": [width, height], **timings}))


def test_a_hostile_file_name_shows_as_plain_text(page, app_url, artifacts):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    choose_file(page, HOSTILE_NAME, jpeg_bytes("chelsea.png"))
    png_button(page, 16, 451, 300).wait_for()
    wait_until_idle(page)

    # Shown word for word, asterisks and all: in the page, and in the uploader's file chip
    # (which shortens long names on screen and keeps the whole name in its tooltip).
    assert page.get_by_text(f"Your photo: {HOSTILE_NAME} · 451 × 300 pixels").is_visible()
    assert page.get_by_test_id("stFileChip").get_by_title(HOSTILE_NAME, exact=True).count() == 1
    # Not read as HTML: no element came from the name, and nothing ran.
    assert page.locator('img[src="x"], [onerror]').count() == 0
    # Not read as Markdown: "bold" is nowhere made bold or emphasised.
    assert page.locator("strong, b, em", has_text="bold").count() == 0
    assert dialogs == []
    page.screenshot(path=artifacts / "hostile-file-name.png")


def test_the_limits_shown_are_the_ones_that_hold(page, app_url):
    """The page's own sentence and Streamlit's uploader both state the configured limits."""
    upload_mb = read_config()["server"]["maxUploadSize"]
    page.goto(app_url)
    png_button(page, 16, 512, 512).wait_for()
    sidebar = page.get_by_test_id("stSidebar")
    assert sidebar.get_by_text(
        f"Up to {upload_mb} MB per file and {MAX_PIXELS / 1e6:g} megapixels."
    ).is_visible()
    # The upload box sits in the main area, where a visitor on a phone (sidebar folded) looks.
    main = page.get_by_test_id("stMain")
    instructions = main.get_by_test_id("stFileUploaderDropzoneInstructions").text_content()
    assert re.search(rf"\b{upload_mb}\s?MB per file", instructions)


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
    wait_until_idle(page)

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
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            contexts.append(context)
            pages[name] = context.new_page()
            pages[name].set_default_timeout(90_000)
            pages[name].goto(app_url)
        for page in pages.values():
            png_button(page, 16, 512, 512).wait_for()

        for name, (sample, size) in visitors.items():
            choose_file(pages[name], name, jpeg_bytes(sample, size))
        for name, (_, (width, height)) in visitors.items():
            png_button(pages[name], 16, width, height).wait_for()
            wait_until_idle(pages[name])

        # One visitor moves K; the other's page stays as it was.
        alice = next(iter(pages))
        set_exact_k(pages[alice], 17)
        png_button(pages[alice], 17, 800, 600).wait_for()
        wait_until_idle(pages[alice])

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


def choose_file(page, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    """Pick a file in the uploader, straight from memory: no copy of it lands on disk."""
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )


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

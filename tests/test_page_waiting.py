"""What a visitor sees while a result is on its way, and the preview that comes first, by
Streamlit's AppTest and against the library: where the upload box, its error and the queue are,
and that a preview looks like the full-size result it stands for. The two-visitor cases, which
need a real server, are in test_e2e_queue.py."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import ExifTags, Image

from dashboard import compute, layout, stores
from kmeans import Settings, load_image
from tests.helpers import jpeg_bytes, open_page, png_download, upload

#: Larger than a display copy; (width, height) as stored.
LARGE = (2001, 1501)
#: Large enough for a preview even with nothing ahead of it in the queue.
PREVIEWED = (3201, 2401)


@pytest.fixture
def app(downloads):
    return open_page()


def test_the_upload_box_and_a_bad_files_sentence_are_in_the_main_area(app, downloads):
    """On a phone the sidebar is folded away: the upload and its error are where one looks."""
    assert len(app.main.file_uploader) == 1 and len(app.sidebar.file_uploader) == 0
    upload(app, "holiday.jpg", b"these bytes are no photo")

    assert not app.exception and not app.sidebar.error
    (error,) = app.main.error
    assert "not an image this tool can read" in error.value
    (facts,) = app.text
    assert facts.value.startswith("Sample: astronaut.png")
    assert png_download(app, downloads)[0] == "astronaut-k16.png"


def test_a_large_photo_is_previewed_on_the_way_and_the_page_ends_on_its_full_result(app, downloads):
    data = jpeg_bytes("coffee.png", PREVIEWED)
    upload(app, "large.jpg", data)

    assert not app.exception and not app.error
    settings = Settings()
    preview = stores.preview_store().get((compute.digest_of(data), 16, settings))
    assert preview is not None  # made first, on the way
    name, png = png_download(app, downloads)
    with Image.open(io.BytesIO(png)) as full:
        assert (name, full.size) == ("large-k16.png", PREVIEWED)
    words = [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("Preview" in text or "full-size result is ready" in text for text in words)


def rotated_jpeg(size: tuple[int, int], orientation: int) -> bytes:
    """A JPEG stored at ``size`` whose EXIF says to turn it (6: a quarter turn clockwise)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    photo = Image.open(io.BytesIO(jpeg_bytes("chelsea.png", size)))
    photo.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_preview_is_the_full_results_display_copy_in_size_and_close_in_colour(orientation):
    """The split view needs one size for its two sides, and a preview must look like what it
    stands for: its pixels against the full-size run's own display copy."""
    data = rotated_jpeg(LARGE, orientation)
    digest, settings = compute.digest_of(data), Settings()
    full = load_image(data)
    facts = compute.photo_facts(digest, data)
    assert (facts.width, facts.height) == (full.width, full.height)

    preview = compute.photo_preview(digest, 16, settings, data)
    run = compute.photo_run(digest, 16, settings, data)
    original = Image.open(io.BytesIO(compute.shown_original(digest, data)))
    shown = Image.open(io.BytesIO(run.shown))
    previewed = Image.open(io.BytesIO(preview.shown))
    assert previewed.size == shown.size == original.size == (preview.width, preview.height)
    assert preview.width == min(layout.SHOWN_WIDTH, full.width)
    photo, redrawn, preview_pixels = (
        np.asarray(image.convert("RGB"), dtype=int) for image in (original, shown, previewed)
    )
    # As close to the photo as the full-size result is, and close to it: the same picture, its
    # colours chosen from fewer pixels.
    assert np.abs(preview_pixels - photo).mean() <= 1.25 * np.abs(redrawn - photo).mean()
    assert np.abs(preview_pixels - redrawn).mean() < 8

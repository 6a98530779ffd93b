"""The split view's Python side: input checks, data URLs, and a page that uses it under AppTest."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from dashboard.splitview import check_split_inputs, data_url, image_size
from kmeans.errors import KMeansError

APP = Path(__file__).parent / "apps" / "splitview_app.py"


def encoded(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (10, 20, 30, 255)[: len(mode)]).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_a_data_url_decodes_back_to_the_same_image(fmt, mime):
    data = encoded((7, 5), fmt)
    url = data_url(data)
    head, payload = url.split(",", 1)
    assert head == f"data:{mime};base64"
    with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
        assert image.size == (7, 5)
        assert image.format == fmt


def test_images_of_different_sizes_are_refused_in_one_sentence():
    with pytest.raises(KMeansError, match=r"^The after image is 8 × 5 but .*one size\.$"):
        check_split_inputs(encoded((7, 5)), encoded((8, 5)), None, None)


def test_an_overlay_of_another_size_is_refused():
    with pytest.raises(KMeansError, match="overlay image is 7 × 6"):
        check_split_inputs(encoded((7, 5)), encoded((7, 5)), encoded((7, 6), mode="RGBA"), None)


def test_matching_images_and_an_rgba_overlay_are_accepted():
    same = encoded((7, 5))
    assert check_split_inputs(same, same, encoded((7, 5), mode="RGBA"), (0.0, 1.0)) == (7, 5)


def test_a_focus_outside_the_image_is_refused():
    same = encoded((7, 5))
    with pytest.raises(KMeansError, match="focus"):
        check_split_inputs(same, same, None, (1.5, 0.5))


def test_bytes_that_are_not_an_image_are_refused():
    with pytest.raises(KMeansError, match="before image is not a PNG or JPEG"):
        image_size(b"not an image", "before")


def test_an_image_that_is_neither_png_nor_jpeg_is_refused():
    with pytest.raises(KMeansError, match="must be a PNG or a JPEG, not GIF"):
        image_size(encoded((3, 3), "GIF", "P"), "after")


def test_a_page_with_a_split_view_runs_and_starts_with_no_click():
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not app.exception
    assert [m.value for m in app.markdown] == ["Clicked: None"]


def test_a_page_shows_the_one_sentence_error_for_mismatched_images():
    def page():
        import io

        import streamlit as st
        from PIL import Image

        from dashboard.splitview import split_view
        from kmeans.errors import KMeansError

        def png(size):
            buffer = io.BytesIO()
            Image.new("RGB", size).save(buffer, "PNG")
            return buffer.getvalue()

        try:
            split_view(png((4, 4)), png((5, 4)), overlay=png((4, 4)), focus=(0.5, 0.5))
        except KMeansError as error:
            st.error(str(error))

    app = AppTest.from_function(page, default_timeout=30).run()
    assert not app.exception
    assert app.error[0].value.endswith("the split view needs images of one size.")

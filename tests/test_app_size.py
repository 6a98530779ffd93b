"""The page's sizes, in AppTest runs: two downloads with their bytes, where the bytes go, and
whether a lossy codec that looks as close would be smaller. Pillow reading back the files the
buttons hand over is the oracle; every size the page states must be that of a real file."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.helpers import SAMPLES, jpeg_bytes, no_errors, open_details, open_page, upload

CODEC_VIEW = "Is K colours the right format for this image?"


@pytest.fixture
def app(downloads) -> AppTest:
    """The page as a first-time visitor opens it (with its downloads recorded)."""
    return open_page(timeout=120)


def download(app: AppTest, downloads, file_format: str) -> tuple[str, str, bytes]:
    """(label, file name, bytes) of the PNG or WebP download button."""
    (button,) = [b for b in app.download_button if b.label.startswith(f"Download {file_format}")]
    return (button.label, *downloads(button))


def stated_size(label: str) -> float:
    """The size in a label, in bytes: '… · 35.1 kB' (to the label's rounding)."""
    number, unit = re.search(r"· ([\d.]+) (B|kB|MB)", label).groups()
    return float(number) * {"B": 1, "kB": 1000, "MB": 1_000_000}[unit]


def decoded(data: bytes) -> tuple[str, np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, np.asarray(image.convert("RGBA"))


def open_codec_view(app: AppTest) -> AppTest:
    """Open the codec view, as a click on it does."""
    app.session_state["codecs"] = True
    return app.run()


def test_the_download_offers_png_and_webp_with_their_bytes_and_says_which_is_smaller(
    app, downloads
):
    assert no_errors(app)
    png_label, png_name, png = download(app, downloads, "PNG")
    webp_label, webp_name, webp = download(app, downloads, "WebP")

    assert (png_name, webp_name) == ("astronaut-k16.png", "astronaut-k16.webp")
    assert decoded(png)[0] == "PNG" and decoded(webp)[0] == "WEBP"
    np.testing.assert_array_equal(decoded(png)[1], decoded(webp)[1])  # the same pixels
    for label, data in ((png_label, png), (webp_label, webp)):
        assert stated_size(label) == pytest.approx(len(data), rel=0.001, abs=1)
    smaller_label = png_label if len(png) <= len(webp) else webp_label
    assert [b.label for b in app.download_button if b.label.endswith("· smaller")] == [
        smaller_label
    ]


def test_the_size_sentence_states_the_bytes_of_the_downloaded_png(app, downloads):
    _, _, png = download(app, downloads, "PNG")
    (sentence,) = [m.value for m in app.markdown if "bytes →" in m.value]
    assert f"→ {len(png):,} bytes" in sentence


def test_a_result_larger_than_the_upload_says_so_and_points_to_what_is_smaller(app, downloads):
    photo = jpeg_bytes("coffee.png")
    upload(app, "coffee.jpg", photo)
    app.number_input(key="k").set_value(256).run()

    _, _, png = download(app, downloads, "PNG")
    _, _, webp = download(app, downloads, "WebP")
    assert min(len(png), len(webp)) > len(photo)
    (warning,) = [w.value for w in app.warning if "larger than the input" in w.value]
    assert f"{min(len(png), len(webp)):,} bytes" in warning
    assert CODEC_VIEW in warning


def test_where_the_bytes_go_is_a_chart_of_real_sizes(app, downloads):
    open_details(app)
    _, _, png = download(app, downloads, "PNG")
    _, _, webp = download(app, downloads, "WebP")

    (chart,) = [c for c in app.get("plotly_chart") if "Bytes of the same picture" in c.proto.spec]
    spec = chart.proto.spec
    values = [int(v) for v in re.search(r'"x":\[([\d,]+)\]', spec).group(1).split(",")]
    raw, indexed, _quick_png, optimised, original = values
    assert raw == 512 * 512 * 3
    assert indexed == (512 * 512 * 4 + 16 * 24) // 8  # 4 bits a pixel, and the palette
    assert optimised == min(len(png), len(webp))
    assert original == (SAMPLES / "astronaut.png").stat().st_size


def test_the_codec_view_is_computed_only_when_opened(app):
    assert not [c for c in app.get("plotly_chart") if "same closeness" in c.proto.spec]
    open_codec_view(app)
    assert no_errors(app)
    (chart,) = [
        c for c in app.get("plotly_chart") if "Bytes for the same closeness" in c.proto.spec
    ]
    assert "K colours, PNG" in chart.proto.spec
    verdicts = [
        m.value for m in app.markdown if "looks as close" in m.value or "K colours win" in m.value
    ]
    assert len(verdicts) == 1


def test_on_the_flat_poster_k_colours_win_and_on_a_photo_a_codec_does(app):
    open_codec_view(app)
    (photo_verdict,) = [m.value for m in app.markdown if m.value.startswith("**For this image")]
    assert "K colours pay off for logos" in photo_verdict

    app.selectbox(key="sample").set_value("Flat poster").run()
    assert no_errors(app)
    (poster_verdict,) = [
        m.value for m in app.markdown if m.value.startswith("**Here K colours win")
    ]
    assert poster_verdict

"""The page, run by Streamlit's AppTest: what a visitor does, and what they then see."""

from __future__ import annotations

import ast
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from kmeans.io import MAX_PIXELS
from tests.helpers import (
    HOSTILE_NAME,
    ROOT,
    SAMPLES,
    jpeg_bytes,
    metric,
    no_errors,
    open_page,
    png_download,
    read_config,
    sizes_stated,
    upload,
)
from tests.test_io import png_header_only


@pytest.fixture
def app(downloads) -> AppTest:
    """The page as a first-time visitor opens it (with its downloads recorded)."""
    return open_page()


def test_first_view_shows_the_whole_result_on_a_sample(app, downloads):
    assert no_errors(app)
    assert len(app.image) >= 4  # original, redrawn, two zoomed crops, palette strip
    assert metric(app, "Colours used") == "16"
    for label in ("Rounds", "PSNR", "SSIM", "Original file", "Indexed PNG", "Bits per pixel"):
        assert metric(app, label)

    original_bytes, png_bytes_stated = sizes_stated(app)
    assert original_bytes == (SAMPLES / "astronaut.png").stat().st_size
    file_name, png = png_download(app, downloads)
    assert png_bytes_stated == len(png)
    assert file_name == "astronaut-k16.png"
    with Image.open(io.BytesIO(png)) as image, Image.open(SAMPLES / "astronaut.png") as sample:
        assert image.format == "PNG" and image.mode == "P"
        assert image.size == sample.size
        assert len(image.getpalette()) == 3 * 16


def test_upload_a_photo_and_download_it_at_full_resolution(app, downloads):
    photo = jpeg_bytes("coffee.png")
    upload(app, "my holiday.jpg", photo)

    assert no_errors(app)
    (facts,) = app.text
    assert (
        facts.value
        == f"Your photo: my holiday.jpg · 600 × 400 pixels · JPEG · {len(photo):,} bytes"
    )
    original_bytes, png_bytes_stated = sizes_stated(app)
    assert original_bytes == len(photo)
    file_name, png = png_download(app, downloads)
    assert file_name == "my-holiday-k16.png"
    assert png_bytes_stated == len(png)
    with Image.open(io.BytesIO(png)) as image, Image.open(io.BytesIO(photo)) as sent:
        assert image.mode == "P" and image.size == sent.size


def test_a_png_larger_than_the_jpeg_is_said_plainly(app, downloads):
    photo = jpeg_bytes("coffee.png")
    upload(app, "coffee.jpg", photo)
    app.sidebar.slider[0].set_value(256).run()

    original_bytes, png_bytes_stated = sizes_stated(app)
    assert original_bytes == len(photo)
    assert png_bytes_stated == len(png_download(app, downloads)[1])
    assert png_bytes_stated > original_bytes
    (warning,) = app.warning
    larger = png_bytes_stated / original_bytes - 1
    assert warning.value.startswith(f"The indexed PNG is **{larger:.1%} larger** than")


def test_move_k_and_see_a_new_result(app, downloads):
    app.sidebar.slider[0].set_value(5).run()

    assert no_errors(app)
    assert metric(app, "Colours used") == "5"
    assert metric(app, "Bits per pixel") == "24 → 3"
    file_name, png = png_download(app, downloads)
    assert file_name == "astronaut-k5.png"
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "P" and len(image.getpalette()) == 3 * 5
    assert sizes_stated(app)[1] == len(png)


def zoomed_crop_and_window(app: AppTest, downloads) -> tuple[np.ndarray, tuple[int, ...]]:
    """The enlarged crop the page shows "from the PNG file", and (side, x, y, zoom) it states."""
    (crop,) = [i for i in app.image if any(c.endswith("from the PNG file") for c in i.captions)]
    _, shown = downloads(crop.value[0])
    (stated,) = [c.value for c in app.caption if "each pixel drawn" in c.value]
    pattern = r"(\d+) × \d+ pixels at x ([\d,]+), y ([\d,]+), each pixel drawn (\d+)×"
    found = re.search(pattern, stated)
    window = tuple(int(group.replace(",", "")) for group in found.groups())
    with Image.open(io.BytesIO(shown)) as image:
        return np.asarray(image.convert("RGB")), window


def test_the_zoomed_crop_shows_the_pixels_of_the_png_file(app, downloads):
    for across in (50, 10):  # the second window comes from the same decoded file
        app.slider(key="zoom_across").set_value(across).run()
        assert no_errors(app)
        shown, (side, x, y, zoom) = zoomed_crop_and_window(app, downloads)
        _, png = png_download(app, downloads)
        with Image.open(io.BytesIO(png)) as written:
            crop = written.convert("RGB").crop((x, y, x + side, y + side))
            expected = crop.resize((side * zoom, side * zoom), Image.Resampling.NEAREST)
        np.testing.assert_array_equal(shown, np.asarray(expected))


def test_palette_downloads_list_every_colour_with_its_share(app, downloads):
    app.sidebar.slider[0].set_value(8).run()
    by_name = dict(downloads(b) for b in app.download_button)

    gpl = by_name["astronaut-k8.gpl"].decode()
    assert gpl.startswith("GIMP Palette\n")
    colour_lines = [line for line in gpl.splitlines() if re.match(r"\s*\d+\s+\d+\s+\d+\s+#", line)]
    assert len(colour_lines) == 8

    palette = json.loads(by_name["astronaut-k8.json"])
    assert palette["k"] == 8 and len(palette["colours"]) == 8
    assert sum(c["share"] for c in palette["colours"]) == pytest.approx(1, abs=1e-4)
    with Image.open(io.BytesIO(by_name["astronaut-k8.png"])) as image:
        png_palette = image.getpalette()
    assert sorted(png_palette[i : i + 3] for i in range(0, 24, 3)) == sorted(
        c["rgb"] for c in palette["colours"]
    )


@pytest.mark.parametrize(
    "data",
    [
        b"hello, I am not a picture",
        jpeg_bytes("chelsea.png")[:3000],
        png_header_only(10**5, 10**5),
    ],
    ids=["not an image", "cut off", "too many pixels"],
)
def test_a_bad_upload_gives_one_sentence_and_the_sample_stays(app, downloads, data):
    upload(app, "broken.jpg", data)

    assert not app.exception
    (error,) = app.error
    assert error.value.endswith(".") and error.value.count(". ") == 0
    assert "Traceback" not in error.value
    assert metric(app, "Colours used") == "16"
    assert png_download(app, downloads)[0] == "astronaut-k16.png"

    app.sidebar.slider[0].set_value(4).run()  # the page keeps working
    assert not app.exception and metric(app, "Colours used") == "4"


def test_a_file_name_is_shown_as_plain_text_only(app, downloads):
    upload(app, HOSTILE_NAME, jpeg_bytes("chelsea.png"))

    assert no_errors(app)
    (facts,) = app.text
    assert facts.value.startswith(f"Your photo: {HOSTILE_NAME} · 451 × 300 pixels")
    rendered = [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("onerror" in text or "bold" in text for text in rendered)
    file_name, _ = png_download(app, downloads)
    assert file_name == "img-src-x-onerror-alert-1-bold-k16.png"


def test_the_colours_in_3d_tab_plots_the_sampled_pixels_and_the_convergence(app):
    app.session_state["view"] = "Colours in 3D"
    app.run()

    assert no_errors(app)
    clusters, convergence = (json.loads(chart.proto.spec) for chart in app.get("plotly_chart"))
    pixels, centroids = clusters["data"]
    assert 0 < len(pixels["marker"]["color"]) <= 20_000
    assert len(centroids["marker"]["color"]) == 16
    assert clusters["layout"]["scene"]["xaxis"]["range"] == [0, 255]
    inertia = convergence["data"][0]["y"]
    assert len(inertia) >= 2, "round 0 and at least one round are plotted"
    # The caption puts a number on the fall, since the plot's axis does not start at zero.
    (sentence,) = [c.value for c in app.caption if "lowered the inertia by" in c.value]
    assert "coarse colour histogram" in sentence
    stated = float(re.search(r"lowered the inertia by ([\d.]+)%", sentence).group(1))
    assert stated == pytest.approx(100 * (inertia[0] - inertia[-1]) / inertia[0], rel=0.05)


def test_with_random_starting_colours_the_convergence_says_so(app):
    app.sidebar.radio[0].set_value("random (classic)")
    app.session_state["view"] = "Colours in 3D"
    app.run()

    assert no_errors(app)
    assert any("K random pixel colours" in c.value for c in app.caption)


def test_after_a_single_round_the_convergence_speaks_of_one_round(app):
    (most_rounds,) = [s for s in app.sidebar.slider if s.label == "Most rounds"]
    most_rounds.set_value(1)
    app.session_state["view"] = "Colours in 3D"
    app.run()

    assert no_errors(app)
    assert any("; the round lowered the inertia by" in c.value for c in app.caption)


def test_compare_k_values_shows_a_labelled_grid_and_the_elbow_chart(app):
    app.session_state["view"] = "Compare K values"
    app.run()

    assert no_errors(app)
    captions = [caption for image in app.image for caption in image.captions]
    for k in (4, 8, 16, 32, 64):
        assert any(c.startswith(f"K = {k} · ") and "dB" in c and "kB" in c for c in captions)
    assert len(app.get("plotly_chart")) == 2  # PSNR and file size against K


def test_the_explanation_is_collapsed_and_steps_through_rounds_when_opened(app):
    (explanation,) = app.expander
    assert not explanation.proto.expanded
    assert "Give each pixel its nearest colour" in explanation.markdown[0].value
    assert not [s for s in app.slider if s.label == "Round"]

    app.session_state["explanation"] = True
    app.run()
    (rounds,) = [s for s in app.slider if s.label == "Round"]
    assert no_errors(app)
    assert any("Round 0: the starting colours" in c.value for c in app.caption)
    rounds.set_value(rounds.max).run()
    assert not app.exception


def test_the_limits_are_stated_on_the_page(app):
    config = read_config()
    limits = " ".join(c.value for c in app.sidebar.caption)
    assert f"{config['server']['maxUploadSize']} MB" in limits
    assert f"{MAX_PIXELS / 1e6:g} megapixels" in limits


def test_every_cache_of_the_page_is_bounded():
    """A stream of uploads must not grow the server: every cache holds a bounded number."""
    tree = ast.parse((ROOT / "dashboard" / "compute.py").read_text())
    caches = {
        function.name: {keyword.arg for keyword in decorator.keywords}
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for decorator in function.decorator_list
        if isinstance(decorator, ast.Call)
        and ast.unparse(decorator.func) in ("st.cache_data", "st.cache_resource")
    }
    assert "quantised_photo" in caches and "loaded_photo" in caches
    assert [name for name, options in caches.items() if "max_entries" not in options] == []


def test_a_run_reports_progress_through_its_callback_and_a_cached_run_replays_none():
    """The cached run draws nothing itself: progress reaches the caller's callback on a miss
    only, so a cache hit cannot replay a stale progress bar."""
    from dashboard.settings import RunSettings

    from dashboard.compute import digest_of, quantised_photo

    data = jpeg_bytes("coffee.png", (90, 60))
    settings = RunSettings(k=5, max_iters=3, init="random", seed=11)
    heard: list[tuple[float, str]] = []
    quantised_photo(digest_of(data), settings, data, _progress=lambda *told: heard.append(told))
    fractions = [fraction for fraction, _ in heard]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert any(text.startswith("K-Means round 1 of at most 3") for _, text in heard)

    again: list[tuple[float, str]] = []
    quantised_photo(digest_of(data), settings, data, _progress=lambda *told: again.append(told))
    assert again == []


def test_rerunning_the_same_settings_shows_no_progress_bar(app):
    app.run()  # every run now comes from the cache, and is replayed

    assert no_errors(app)
    assert len(app.get("progress")) == 0

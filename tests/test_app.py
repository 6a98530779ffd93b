"""The page, run by Streamlit's AppTest: what a visitor does, and what they then see."""

from __future__ import annotations

import ast
import base64
import gc
import io
import json
import re

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import structural_similarity
from streamlit.testing.v1 import AppTest

import kmeans
from kmeans.closeness import LEVELS
from kmeans.io import MAX_PIXELS
from kmeans.lesson import typical_error
from tests.helpers import (
    HOSTILE_NAME,
    ROOT,
    SAMPLES,
    banded_shadow_logo,
    component_args,
    jpeg_bytes,
    metric,
    no_errors,
    open_details,
    open_page,
    png_download,
    png_header_only,
    read_config,
    sample_rgb,
    saved_as,
    upload,
)
from tests.oracles import drawn_by_either, independent_delta_e, seen_delta_e

WORDS = {level.word for level in LEVELS}


@pytest.fixture
def app(downloads) -> AppTest:
    """The page as a first-time visitor opens it (with its downloads recorded)."""
    return open_page()


def set_k(app: AppTest, k: int) -> AppTest:
    return app.number_input(key="k").set_value(k).run()


def headline(app: AppTest) -> tuple[str, str]:
    """The closeness heading ("Close · 16 colours") and the sentence beneath it."""
    (heading,) = [m.value for m in app.markdown if m.value.startswith("### ")]
    (sentence,) = [m.value for m in app.markdown if "bytes →" in m.value]
    return heading, sentence


def sizes_stated(app: AppTest) -> tuple[int, int]:
    original, png = re.search(r"([\d,]+) bytes → ([\d,]+) bytes", headline(app)[1]).groups()
    return int(original.replace(",", "")), int(png.replace(",", ""))


def test_first_view_leads_with_words_sizes_and_the_download(app, downloads):
    assert no_errors(app)
    heading, sentence = headline(app)
    word = heading.removeprefix("### ").split(" · ")[0].lower()
    assert word in WORDS and heading.endswith("· 16 colours")
    file_name, png = png_download(app, downloads)
    assert file_name == "astronaut-k16.png"
    original, stated = sizes_stated(app)
    assert original == (SAMPLES / "astronaut.png").stat().st_size and stated == len(png)
    assert f"{original / len(png):.1f}× smaller" in sentence  # bytes, saving and ratio at once
    with Image.open(io.BytesIO(png)) as image, Image.open(SAMPLES / "astronaut.png") as sample:
        assert image.mode == "P" and image.size == sample.size
        redrawn = np.asarray(image.convert("RGB"))
        assert len(image.getpalette()) == 3 * 16
        original_rgb = np.asarray(sample.convert("RGB"))
    # the ΔE the sentence states is that of the file the visitor downloads
    stated_delta_e = float(re.search(r"ΔE ([\d.]+)", sentence).group(1))
    measured = kmeans.perceptual.perceptual_error(original_rgb, redrawn).delta_e
    assert stated_delta_e == pytest.approx(measured, abs=0.05)
    level = kmeans.closeness.closeness(measured, kmeans.psnr(original_rgb, redrawn))
    assert word == level.word


def test_the_numbers_behind_the_words_are_one_click_away(app, downloads):
    # SSIM, the slowest measure, waits until someone opens the numbers
    assert not [m for m in app.metric if m.label == "SSIM"]
    open_details(app)
    assert metric(app, "Colours used") == "16"
    with Image.open(io.BytesIO(png_download(app, downloads)[1])) as image:
        redrawn = np.asarray(image.convert("RGB"))
    with Image.open(SAMPLES / "astronaut.png") as sample:
        original = np.asarray(sample.convert("RGB"))
    expected = structural_similarity(original, redrawn, channel_axis=-1, data_range=255)
    assert float(metric(app, "SSIM")) == pytest.approx(expected, abs=0.0005)  # shown to 3 places
    for label in ("Rounds", "Time", "Worst 1%", "Lost hue", "SSIM", "PSNR", "Bits per pixel"):
        assert metric(app, label)
    rounds = next(m for m in app.metric if m.label.startswith("Rounds"))
    assert rounds.proto.delta in ("settled", "round limit reached")


def test_upload_a_photo_and_download_it_at_full_resolution(app, downloads):
    photo = jpeg_bytes("coffee.png")
    upload(app, "my holiday.jpg", photo)

    assert no_errors(app)
    (facts,) = app.text
    assert facts.value == (
        f"Your photo: my holiday.jpg · 600 × 400 pixels · JPEG · {len(photo):,} bytes"
    )
    file_name, png = png_download(app, downloads)
    assert file_name == "my-holiday-k16.png"
    assert sizes_stated(app) == (len(photo), len(png))
    with Image.open(io.BytesIO(png)) as image, Image.open(io.BytesIO(photo)) as sent:
        assert image.mode == "P" and image.size == sent.size


def test_choosing_a_sample_while_an_upload_is_there_switches_to_the_sample(app, downloads):
    upload(app, "my holiday.jpg", jpeg_bytes("coffee.png"))
    assert app.text[0].value.startswith("Your photo: my holiday.jpg")
    app.selectbox(key="sample").set_value("Cat").run()
    assert no_errors(app)
    assert app.text[0].value.startswith("Sample: chelsea.png")
    assert png_download(app, downloads)[0] == "chelsea-k16.png"


def test_a_png_larger_than_the_jpeg_is_said_plainly(app, downloads):
    photo = jpeg_bytes("coffee.png")
    upload(app, "coffee.jpg", photo)
    set_k(app, 256)

    original, stated = sizes_stated(app)
    assert original == len(photo) and stated == len(png_download(app, downloads)[1])
    assert stated > original
    assert f"The PNG is **{stated / original - 1:.0%} larger** than" in headline(app)[1]


def test_exact_k_and_presets_stay_in_step(app, downloads):
    set_k(app, 5)
    assert no_errors(app)
    assert metric(app, "Colours used") == "5"
    assert metric(app, "Bits per pixel") == "24 → 3"
    assert app.session_state["k_preset"] is None  # 5 is not a preset
    file_name, png = png_download(app, downloads)
    assert file_name == "astronaut-k5.png"
    with Image.open(io.BytesIO(png)) as image:
        assert len(image.getpalette()) == 3 * 5
    app.button_group(key="k_preset").set_value(64).run()
    assert app.number_input(key="k").value == 64
    assert metric(app, "Colours used") == "64"


def zoomed_crop_and_window(app: AppTest, downloads) -> tuple[np.ndarray, tuple[int, ...]]:
    """The enlarged crop the page shows "from the PNG file", and (side, x, y, zoom) it states."""
    (crop,) = [i for i in app.image if any(c.endswith("from the PNG file") for c in i.captions)]
    _, shown = downloads(crop.value[0])
    (stated,) = [c.value for c in app.caption if "each pixel drawn" in c.value]
    pattern = r"(\d+) × \d+ pixels at x ([\d,]+), y ([\d,]+) .*each pixel drawn (\d+)×"
    window = tuple(int(g.replace(",", "")) for g in re.search(pattern, stated).groups())
    with Image.open(io.BytesIO(shown)) as image:
        return np.asarray(image.convert("RGB")), window


def test_the_close_up_opens_where_it_differs_most_and_shows_the_png_pixels(app, downloads):
    shown, (side, x, y, zoom) = zoomed_crop_and_window(app, downloads)
    assert any("where it differs most" in c.value for c in app.caption)
    _, png = png_download(app, downloads)
    with Image.open(io.BytesIO(png)) as written, Image.open(SAMPLES / "astronaut.png") as sample:
        redrawn = np.asarray(written.convert("RGB")).astype(float)
        original = np.asarray(sample.convert("RGB")).astype(float)
        crop = written.convert("RGB").crop((x, y, x + side, y + side))
    np.testing.assert_array_equal(
        shown, np.asarray(crop.resize((side * zoom, side * zoom), Image.Resampling.NEAREST))
    )
    # The window's colour error (ΔE in Oklab, written out again here) is well above average.
    error = independent_delta_e(original, redrawn)
    assert error[y : y + side, x : x + side].mean() > 1.5 * error.mean()


@pytest.mark.parametrize("zoom", [2, 16])
def test_the_close_up_where_it_differs_most_decodes_nothing_again(app, downloads, zoom):
    """With a class of visitors the stores let photos and PNGs go; a close-up that decoded them
    again at every rerun queued each visitor's K change behind everyone's full-size work."""
    from dashboard import compute, stores

    stores.photo_store().items.clear()  # as a busy store would let them go
    compute.png_pixels.clear()
    app.select_slider(key="zoom").set_value(zoom).run()
    shown, (side, x, y, shown_zoom) = zoomed_crop_and_window(app, downloads)
    assert not stores.photo_store().items  # the photo was not decoded again
    _, png = png_download(app, downloads)
    with Image.open(io.BytesIO(png)) as written:
        crop = written.convert("RGB").crop((x, y, x + side, y + side))
    assert shown_zoom == zoom and side == 384 // zoom
    np.testing.assert_array_equal(
        shown, np.asarray(crop.resize((side * zoom, side * zoom), Image.Resampling.NEAREST))
    )


def test_a_transparent_photos_close_up_is_the_pngs_own_pixels_without_decoding_again(
    app, downloads
):
    """A see-through PNG's file may order its palette its own way: the close-up is cut from the
    written file once, when the run is made, and never decoded again at a rerun."""
    from dashboard import compute, stores

    upload(app, "shadow.png", transparent_png("coffee.png", (400, 300)), "image/png")
    assert no_errors(app)
    stores.photo_store().items.clear()
    compute.png_pixels.clear()
    app.select_slider(key="zoom").set_value(8).run()
    shown, (side, x, y, zoom) = zoomed_crop_and_window(app, downloads)
    assert not stores.photo_store().items
    _, png = png_download(app, downloads)
    with Image.open(io.BytesIO(png)) as written:
        assert written.mode == "P" and "transparency" in written.info
        crop = written.convert("RGB").crop((x, y, x + side, y + side))
    np.testing.assert_array_equal(
        shown, np.asarray(crop.resize((side * zoom, side * zoom), Image.Resampling.NEAREST))
    )


def test_a_click_on_the_picture_moves_the_close_up_there(app, downloads):
    app.session_state["split"] = {"x": 0.1, "y": 0.9, "click": 1}  # what a click sends
    app.run()
    _shown, (side, x, y, _zoom) = zoomed_crop_and_window(app, downloads)
    assert any("where you clicked" in c.value for c in app.caption)
    assert abs(x + side / 2 - 0.1 * 512) <= side / 2 + 1
    assert abs(y + side / 2 - 0.9 * 512) <= side / 2 + 1
    marker = component_args(app, "split_view")["marker"]
    assert marker == pytest.approx((x / 512, y / 512, side / 512, side / 512))


def test_palette_downloads_list_every_colour_with_its_share(app, downloads):
    set_k(app, 8)
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


def test_the_palette_table_shows_each_colour_of_the_png_as_a_swatch(app, downloads):
    set_k(app, 8)
    by_name = dict(downloads(b) for b in app.download_button)
    with Image.open(io.BytesIO(by_name["astronaut-k8.png"])) as image:
        png_palette = image.getpalette()[:24]
    in_png = {"#" + bytes(png_palette[i : i + 3]).hex() for i in range(0, 24, 3)}
    table = app.dataframe[0].value
    swatches = [re.search(r"fill='%23([0-9a-f]{6})'", url).group(1) for url in table["Colour"]]
    assert ["#" + s for s in swatches] == list(table["Hex"])  # each row drawn in its own colour
    assert set(table["Hex"]) == in_png
    assert list(table["Pixels"]) == sorted(table["Pixels"], reverse=True)  # by share, at first


@pytest.mark.parametrize(
    "data",
    [b"hello, I am not a picture", jpeg_bytes("chelsea.png")[:3000], png_header_only(10**5, 10**5)],
    ids=["not an image", "cut off", "too many pixels"],
)
def test_a_bad_upload_gives_one_sentence_and_the_sample_stays(app, downloads, data):
    upload(app, "broken.jpg", data)

    assert not app.exception
    (error,) = app.main.error  # where the visitor looks, not in a sidebar a phone folds away
    assert not app.sidebar.error
    assert error.value.endswith(".") and error.value.count(". ") == 0
    assert "Traceback" not in error.value
    assert png_download(app, downloads)[0] == "astronaut-k16.png"
    set_k(app, 4)  # the page keeps working
    assert not app.exception and metric(app, "Colours used") == "4"


def test_a_file_name_is_shown_as_plain_text_only(app, downloads):
    upload(app, HOSTILE_NAME, jpeg_bytes("chelsea.png"))

    assert no_errors(app)
    (facts,) = app.text
    assert facts.value.startswith(f"Your photo: {HOSTILE_NAME} · 451 × 300 pixels")
    rendered = [m.value for m in app.markdown] + [c.value for c in app.caption]
    assert not any("onerror" in text or "bold" in text for text in rendered)
    assert png_download(app, downloads)[0] == "img-src-x-onerror-alert-1-bold-k16.png"


def test_the_settings_live_in_the_url(downloads):
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params.update({"sample": "Coffee", "k": "8", "init": "random", "seed": "3"})
    app.run()
    assert no_errors(app)
    assert app.text[0].value.startswith("Sample: coffee.png")
    assert metric(app, "Colours used") == "8"
    assert png_download(app, downloads)[0] == "coffee-k8.png"
    set_k(app, 12)
    assert app.query_params["k"] == ["12"] or app.query_params["k"] == "12"
    assert app.query_params["sample"] in (["Coffee"], "Coffee")
    assert app.query_params["init"] in (["random"], "random")


def test_the_colours_in_3d_tab_plots_the_pixels_and_an_honest_convergence(app):
    app.session_state["view"] = "Colours in 3D"
    app.run()

    assert no_errors(app)
    plot = cluster_plot_args(app)
    points = np.frombuffer(plot["points"], np.uint8).reshape(-1, 3)
    assert 0 < len(points) <= 20_000
    photo = sample_rgb("astronaut.png").reshape(-1, 3)
    assert np.isin(rgb_codes(points), rgb_codes(photo)).all()  # the photo's own pixels
    teams = np.frombuffer(plot["teams"], np.uint8)
    assert len(teams) == len(points) and teams.max() < 16
    assert len(plot["centroids"]) == 16
    assert not plot["colour_by_team"] and plot["highlight"] is None
    (convergence,) = (json.loads(chart.proto.spec) for chart in app.get("plotly_chart"))
    errors = convergence["data"][0]["y"]
    assert convergence["layout"]["yaxis"]["range"][0] == 0  # the axis starts at zero
    run = kmeans.quantize(np.asarray(Image.open(SAMPLES / "astronaut.png").convert("RGB")), 16)
    expected = [
        typical_error(v, 512 * 512) for v in (*run.kmeans.inertia_history, run.kmeans.inertia)
    ]
    np.testing.assert_allclose(errors, expected, rtol=1e-6)
    (sentence,) = [c.value for c in app.caption if "Round 0 is" in c.value]
    assert "colour histogram" in sentence
    assert_the_sentence_says_what_the_rounds_did(sentence, expected)


def assert_the_sentence_says_what_the_rounds_did(sentence: str, errors: list[float]) -> None:
    """The convergence caption states the end error shown on the curve, and calls a change a
    fall only when the curve falls (it said "19.31 to 19.31 (-0.0236% less)")."""
    assert f"{errors[-1]:.2f} levels" in sentence
    fell = errors[0] - errors[-1] >= 0.005
    assert ("lowered the typical error" in sentence) == fell
    assert not re.search(r"-[\d.]+% less", sentence)


def cluster_plot_args(app: AppTest) -> dict:
    """What the 3D tab hands its plot."""
    return component_args(app, "lesson_plot")


def rgb_codes(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.int64) @ np.array([65536, 256, 1])


def pick_row(app: AppTest, row: int, order: str = "share", k: int = 16) -> str:
    """Tick a row of the astronaut's palette table, as a click on it does; the hex code there."""
    from dashboard.compute import digest_of
    from dashboard.palette_view import table_key

    run_key = (digest_of((SAMPLES / "astronaut.png").read_bytes()), k, kmeans.Settings())
    ticked = {"selection": {"rows": [row], "columns": [], "cells": []}}
    app.session_state[table_key(run_key, order)] = ticked
    app.run()
    return app.dataframe[0].value["Hex"][row]


def test_the_3d_toggle_and_the_highlight_recolour_the_same_points(app):
    picked = pick_row(app, 3)
    app.session_state["view"] = "Colours in 3D"
    app.run()
    before = cluster_plot_args(app)
    app.toggle(key="by_cluster").set_value(True).run()
    after = cluster_plot_args(app)
    assert no_errors(app)
    # The same points, named the same: the browser restyles the plot it has.
    assert (after["points"], after["points_id"]) == (before["points"], before["points_id"])
    assert after["colour_by_team"] and after["highlight"] == before["highlight"]
    lit = "#" + "".join(f"{round(v):02x}" for v in after["centroids"][after["highlight"]])
    assert lit == picked  # the colour ticked in the table is the one lit in 3D
    assert any(c.value == f"Showing the pixels of palette colour {picked}." for c in app.caption)


def test_with_random_starting_colours_the_convergence_says_so(app):
    app.sidebar.radio(key="init").set_value("random (classic)")
    app.session_state["view"] = "Colours in 3D"
    app.run()
    assert no_errors(app)
    assert any("K random pixel colours" in c.value for c in app.caption)


def test_after_a_single_round_the_convergence_speaks_of_one_round(app):
    app.sidebar.number_input(key="rounds").set_value(1)
    app.sidebar.radio(key="init").set_value("random (classic)")
    app.session_state["view"] = "Colours in 3D"
    app.run()
    assert no_errors(app)
    (sentence,) = [c.value for c in app.caption if "Round 0 is" in c.value]
    assert "the round " in sentence and "the 1 rounds" not in sentence


def test_compare_k_values_with_pills_words_and_a_marked_knee(app):
    app.session_state["view"] = "Compare K values"
    app.run()

    assert no_errors(app)
    captions = [caption for image in app.image for caption in image.captions]
    for k in (4, 8, 16, 32, 64):
        assert any(c.startswith(f"K = {k} · ") and "ΔE" in c for c in captions)
    quality = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert quality["layout"]["xaxis"]["type"] == "log"
    knee_traces = [t for t in quality["data"] if t.get("name") == "knee"]
    knee_sentences = [m.value for m in app.markdown if "doubling the colours" in m.value]
    if knee_traces:
        knee_k = knee_traces[0]["x"][0]
        assert any(f"Past K = {knee_k}," in s for s in knee_sentences)
    else:
        assert any("Every doubling" in m.value for m in app.markdown)


def test_a_thumbnail_applies_its_k(app, downloads):
    app.session_state["view"] = "Compare K values"
    app.run()
    app.button(key="use_32").click().run()
    assert no_errors(app)
    assert app.number_input(key="k").value == 32
    assert png_download(app, downloads)[0] == "astronaut-k32.png"


def test_the_page_finds_the_smallest_k_that_looks_close(app):
    app.session_state["view"] = "Compare K values"
    app.run()
    app.selectbox(key="auto_quality").set_value("close")
    app.button(key="find_quality").click().run()
    assert no_errors(app)
    (found,) = [m.value for m in app.markdown if m.value.startswith("**K = ")]
    k = int(re.search(r"K = (\d+)", found).group(1))
    rgb = np.asarray(Image.open(SAMPLES / "astronaut.png").convert("RGB"))
    close = next(level for level in LEVELS if level.word == "close")
    result = kmeans.quantize(rgb, k)
    assert result.perceptual.delta_e <= close.max_delta_e
    assert kmeans.psnr(rgb, result.image) >= close.min_psnr
    app.button(key="apply_quality").click().run()
    assert app.number_input(key="k").value == k


def test_the_limits_are_stated_on_the_page(app):
    config = read_config()
    limits = app.file_uploader(key="upload").help  # beside the box a visitor uploads in
    assert f"{config['server']['maxUploadSize']} MB" in limits
    assert f"{MAX_PIXELS / 1e6:g} megapixels" in limits


#: The modules whose functions hold the page's caches and stores.
PAGE_CACHE_MODULES = ("compute.py", "stores.py")


def test_every_cache_of_the_page_is_bounded():
    """A stream of uploads must not grow the server: every cache holds a bounded number."""
    trees = [ast.parse((ROOT / "dashboard" / name).read_text()) for name in PAGE_CACHE_MODULES]
    caches = {
        function.name: {keyword.arg for keyword in decorator.keywords}
        for tree in trees
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for decorator in function.decorator_list
        if isinstance(decorator, ast.Call)
        and ast.unparse(decorator.func) in ("st.cache_data", "st.cache_resource")
    }
    assert {"run_store", "photo_store", "counts_store"} <= caches.keys()
    assert [name for name, options in caches.items() if "max_entries" not in options] == []
    from dashboard import stores

    assert stores.MAX_RUNS <= 64
    budgets = (
        stores.MAX_RUN_BYTES,
        stores.MAX_PHOTO_BYTES,
        stores.MAX_COUNTS_BYTES,
        stores.MAX_SHOWN_PHOTO_BYTES,
        stores.MAX_ORIGINAL_BYTES,
        stores.MAX_PREVIEW_BYTES,
        stores.MAX_FILE_BYTES,  # the downloads' optimised files
        stores.MAX_FILE_BYTES,  # the codec comparisons
    )
    assert sum(budgets) <= 1_200_000_000  # with one run's working memory, under 2 GB


def test_a_photo_known_to_be_fine_is_not_decoded_again_just_to_check_it():
    """With a class of visitors the photo store lets most photos go; checking a known-good
    upload at every K change sent each visitor through the whole queue to decode it again."""
    from dashboard import compute, stores

    data = jpeg_bytes("chelsea.png")
    digest = compute.digest_of(data)
    assert compute.photo_problem(digest, data) is None
    assert stores.shown_photo_store().get(digest) is not None  # read the first time
    stores.shown_photo_store().items.pop(digest)  # as a busy store would let it go
    assert compute.photo_problem(digest, data) is None
    assert compute.photo_facts(digest, data).width == 451
    assert stores.shown_photo_store().get(digest) is None  # not read again


def test_a_colour_count_is_charged_for_the_photo_pixels_it_keeps_alive():
    """A count shares the photo's pixels; once the photo store lets the photo go, the count
    alone keeps them, so its store must count them or its bound means nothing."""
    from dashboard.stores import counts_bytes
    from kmeans import count_colours

    # Few colours, so the count's own arrays are small beside the pixels it shares.
    rgb = np.repeat(sample_rgb("coffee.png")[::50, ::50], 50, axis=0)
    counted = count_colours(rgb)
    assert counts_bytes(counted) >= rgb.nbytes + counted.inverse.nbytes + counted.colours.nbytes


def test_a_run_reports_progress_through_its_callback_and_a_stored_run_reports_none():
    from dashboard.compute import digest_of, photo_run

    data = jpeg_bytes("coffee.png", (90, 60))
    settings = kmeans.Settings(max_iters=3, init="random", seed=11)
    heard: list[tuple[float, str]] = []
    photo_run(digest_of(data), 5, settings, data, _progress=lambda *told: heard.append(told))
    fractions = [fraction for fraction, _ in heard]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any(text.startswith("K-Means round 1 of at most 3") for _, text in heard)
    again: list[tuple[float, str]] = []
    photo_run(digest_of(data), 5, settings, data, _progress=lambda *told: again.append(told))
    assert again == []


def transparent_png(sample: str, size: tuple[int, int]) -> bytes:
    """A sample with a fully transparent band across its middle, as a PNG."""
    rgba = Image.open(SAMPLES / sample).convert("RGBA").resize(size)
    alpha = np.full(size[::-1], 255, dtype=np.uint8)
    alpha[size[1] // 3 : size[1] // 2] = 0
    rgba.putalpha(Image.fromarray(alpha))
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("transparent", [False, True])
def test_highlighting_a_colour_dims_exactly_the_pixels_drawn_with_other_colours(transparent):
    from dashboard.compute import digest_of, highlight_overlay_of, photo_run

    size = (300, 200)
    data = transparent_png("coffee.png", size) if transparent else jpeg_bytes("coffee.png", size)
    digest, settings = digest_of(data), kmeans.Settings()
    run = photo_run(digest, 6, settings, data)
    with Image.open(io.BytesIO(run.display.shown)) as shown:
        drawn = np.asarray(shown.convert("RGBA"))
    visible = drawn[..., 3] > 0
    assert visible.all() != transparent
    for colour in range(run.k):
        overlay_png = highlight_overlay_of(digest, 6, settings, colour, run)
        with Image.open(io.BytesIO(overlay_png)) as overlay:
            alpha = np.asarray(overlay.convert("RGBA"))[..., 3]
        is_colour = visible & (drawn[..., :3] == run.palette[colour]).all(axis=-1)
        assert is_colour.any()
        assert (alpha[is_colour] == 0).all() and (alpha[visible & ~is_colour] == 200).all()


# ------------------------------------------------------------------------------- the lesson


def test_the_heatmap_is_clear_where_it_looks_the_same_and_red_where_it_differs():
    from dashboard.overlays import HEAT_FULL, heat_overlay

    delta_e = np.array([[0.0, HEAT_FULL / 2, HEAT_FULL, 40.0]], dtype=np.float32)
    with Image.open(io.BytesIO(heat_overlay(delta_e))) as written:
        rgba = np.asarray(written.convert("RGBA")).astype(int)[0]
    assert rgba[0, 3] == 0  # the same: see-through
    assert rgba[2, 3] == rgba[3, 3] >= 220 and tuple(rgba[3, :3]) == (255, 0, 0)  # full red
    assert 0 < rgba[1, 3] < rgba[2, 3]  # half-way: half-way red


def decoded_data_url(url: str) -> np.ndarray:
    header, encoded = url.split(",", 1)
    assert header == "data:image/png;base64"
    with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
        return np.asarray(image.convert("RGBA"))


def test_where_it_differs_paints_the_oklab_error_of_each_shown_pixel(app):
    """The heatmap is made only when turned on; it must still be the ΔE of every pixel."""
    assert component_args(app, "split_view")["overlay"] is None
    app.toggle(key="heat").set_value(True).run()
    args = component_args(app, "split_view")
    assert no_errors(app)
    shown = decoded_data_url(args["after"])[..., :3]
    heat_alpha = decoded_data_url(args["overlay"])[..., 3]
    # The sample is smaller than the display width, so the original is shown as it is.
    error = independent_delta_e(sample_rgb("astronaut.png").astype(float), shown.astype(float))
    assert_heat_paints(heat_alpha, error)
    assert (heat_alpha > 0).any() and (heat_alpha == 0).any()


def assert_heat_paints(heat_alpha: np.ndarray, error: np.ndarray) -> None:
    """The heatmap's opacity is the overlay's colour scale at each pixel's ``error``."""
    from dashboard.overlays import HEAT_FULL, HEAT_STEPS

    step = np.rint(np.clip(error / HEAT_FULL, 0, 1) * (HEAT_STEPS - 1)).astype(int)
    expected = (230 * np.sqrt(np.linspace(0, 1, HEAT_STEPS))).astype(np.uint8)[step]
    # float32 against float64 may round a pixel lying on a step's edge either way: one step.
    off = np.abs(heat_alpha.astype(int) - expected)
    assert (off <= expected.max() - expected[-2] + 1).all()
    assert (off == 0).mean() > 0.999


def test_where_it_differs_paints_a_banded_shadow_as_seen():
    """A logo whose shadow keeps 11 of its 156 alpha levels at K=16: its colour is right and its
    alpha is not, which shows over a white page. The heatmap paints what is seen there."""
    logo = banded_shadow_logo()
    app = upload(open_page(), "logo.png", saved_as(Image.fromarray(logo), "PNG"), "image/png")
    assert no_errors(app)
    heading, _ = headline(app)
    assert heading.endswith("· 16 colours") and not heading.startswith("### Looks the same")
    app.toggle(key="heat").set_value(True).run()
    args = component_args(app, "split_view")
    shown = decoded_data_url(args["after"])
    heat_alpha = decoded_data_url(args["overlay"])[..., 3]
    # The logo is smaller than the display width, so it is shown as it is.
    assert_heat_paints(heat_alpha, seen_delta_e(logo, shown))
    shadow = (logo[..., 3] > 0) & (logo[..., 3] < 255)
    assert (heat_alpha[shadow] > 0).mean() > 0.5
    assert (heat_alpha[~drawn_by_either(logo, shown)] == 0).all()


def test_the_close_up_window_found_on_one_pixel_a_cell_is_as_bad_as_the_worst():
    """The close-up opens where the result differs most; the search measures one pixel in each
    4 × 4 cell of the display copy. Checked on a sample enlarged to display size."""
    from dashboard.closeup import worst_region_of
    from dashboard.photo_run import nearest_scaled
    from kmeans.oklab import srgb_to_oklab
    from kmeans.perceptual import delta_e_ok_of_labels

    rgb = np.asarray(Image.open(SAMPLES / "coffee.png").convert("RGB").resize((1400, 933)))
    oklab = np.ascontiguousarray(srgb_to_oklab(rgb.reshape(-1, 3)).T.reshape(3, 933, 1400))
    for k in (4, 16, 64):
        result = kmeans.quantize(rgb, k)
        labels = nearest_scaled(result.labels)
        palette = srgb_to_oklab(result.palette)
        x, y = worst_region_of(oklab, palette, labels)
        every_pixel = delta_e_ok_of_labels(oklab, palette, labels)
        side = int(933 * 0.12)
        left, top = round(x * 1400 - side / 2), round(y * 933 - side / 2)
        found = float(every_pixel[top : top + side, left : left + side].mean())
        assert found >= 0.97 * _best_window_mean(every_pixel, side)


def _best_window_mean(delta_e: np.ndarray, side: int) -> float:
    """The largest mean of any side × side window at every pixel position (the oracle), from
    sums over strips of rows: exact, and quick enough for 1,400 px."""
    rows = np.lib.stride_tricks.sliding_window_view(delta_e.astype(np.float64), side, axis=0)
    strips = rows.sum(axis=2)  # each column's sum over every run of `side` rows
    windows = np.lib.stride_tricks.sliding_window_view(strips, side, axis=1).sum(axis=2)
    return float(windows.max()) / side**2


@pytest.mark.parametrize("shape", [(300, 400), (1050, 1400)])
def test_the_close_up_opens_on_the_window_that_differs_most(shape):
    from dashboard.closeup import worst_region

    rng = np.random.default_rng(7)
    delta_e = rng.gamma(2.0, 1.5, size=shape).astype(np.float32)  # errors everywhere, uneven
    height, width = shape
    side = int(min(shape) * 0.12)
    # A patch that differs more, off-centre and not aligned to any grid, plus a decoy: a
    # brighter spot too small to raise a whole window's mean as much.
    delta_e[int(0.63 * height) : int(0.63 * height) + side, 157 : 157 + side] += 6.0
    delta_e[40:44, 40:44] += 80.0
    x, y = worst_region(delta_e)
    left, top = round(x * width - side / 2), round(y * height - side / 2)
    found = float(delta_e[top : top + side, left : left + side].mean())
    assert found >= 0.97 * _best_window_mean(delta_e, side)
    assert abs(top - int(0.63 * height)) <= 4 and abs(left - 157) <= 4


def test_the_page_takes_its_imports_out_of_the_garbage_collectors_sight():
    """Streamlit collects garbage after every run; the imported modules' objects, frozen,
    are not walked each time (50-200 ms of every new K, measured in the server)."""
    open_page()
    assert gc.get_freeze_count() > 50_000

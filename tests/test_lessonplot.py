"""The lesson picture's Python side: the photo it sends, its input checks, and its plotly.js."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dashboard.lessonplot import check_plot_inputs, palette_png, plotly_js_source, provide_plotly_js
from kmeans.errors import KMeansError
from tests.helpers import sample_rgb


def test_the_redrawn_photo_reads_back_as_the_palette_at_each_pixel():
    pixels = sample_rgb("coffee.png")[::4, ::4]
    palette = np.array([[10, 20, 30], [200, 100, 0], [250, 250, 250]], dtype=np.uint8)
    teams = (pixels.sum(axis=2) % 3).astype(np.uint8)
    data = palette_png(teams, palette)
    read = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(read, palette[teams])
    assert len(data) < pixels.nbytes / 4  # an indexed PNG: far smaller than the pixels


@pytest.mark.parametrize(
    ("points", "teams", "changed", "centroids", "message"),
    [
        (np.zeros((4, 3)), None, None, np.zeros((2, 3)), "8-bit colours"),
        (np.zeros((4, 3), np.uint8), None, None, np.zeros((0, 3)), "K between 1 and 256"),
        (np.zeros((4, 3), np.uint8), None, None, np.zeros((257, 3)), "K between 1 and 256"),
        (np.zeros((4, 3), np.uint8), np.zeros(3, np.uint8), None, np.zeros((2, 3)), "teams"),
        (np.zeros((4, 3), np.uint8), None, np.zeros(5, bool), np.zeros((2, 3)), "changed"),
        (np.zeros((4, 3), np.uint8), np.full(4, 2, np.uint8), None, np.zeros((2, 3)), "one of"),
    ],
)
def test_inconsistent_plot_inputs_get_one_sentence(points, teams, changed, centroids, message):
    with pytest.raises(KMeansError, match=message):
        check_plot_inputs(points, teams, changed, centroids)


def test_the_3d_tab_plots_all_256_colours_of_a_full_palette():
    teams = np.array([0, 255, 7, 255], np.uint8)  # one byte each holds every team
    check_plot_inputs(np.zeros((4, 3), np.uint8), teams, None, np.zeros((256, 3)))


def test_plotly_js_is_served_as_the_plotly_package_ships_it(tmp_path):
    served = provide_plotly_js(tmp_path)
    assert served.read_bytes() == plotly_js_source().read_bytes()
    served.write_bytes(b"an old plotly.js")  # a plotly upgrade: the copy is replaced
    assert provide_plotly_js(tmp_path).read_bytes() == plotly_js_source().read_bytes()

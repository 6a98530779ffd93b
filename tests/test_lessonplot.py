"""The lesson picture's Python side: the photo it sends, its input checks, and its plotly.js."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from dashboard.lessonplot import check_plot_inputs, palette_png, plotly_js_source, provide_plotly_js
from kmeans.errors import KMeansError
from tests.helpers import component_args, sample_rgb


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
    """Teams travel as one byte each: 256 colours is the most, and team 255 must arrive as 255."""

    def page():
        import numpy as np

        from dashboard.lessonplot import cluster_plot

        centroids = np.stack([np.arange(256)] * 3, axis=1).astype(float)  # 256 greys
        points = np.array([[0, 0, 0], [255, 255, 255], [7, 7, 7], [250, 250, 250]], np.uint8)
        teams = np.array([0, 255, 7, 255], np.uint8)
        cluster_plot(
            points=points,
            teams=teams,
            centroids=centroids,
            colour_by_team=True,
            highlight=255,
            height=300,
        )

    app = AppTest.from_function(page, default_timeout=30).run()
    assert not app.exception
    sent = component_args(app, "lesson_plot")
    assert np.frombuffer(sent["teams"], np.uint8).tolist() == [0, 255, 7, 255]
    assert len(sent["centroids"]) == 256 and sent["centroids"][255] == [255.0, 255.0, 255.0]
    assert np.frombuffer(sent["points"], np.uint8).reshape(-1, 3)[1].tolist() == [255, 255, 255]
    assert sent["highlight"] == 255 and sent["colour_by_team"]


def test_plotly_js_is_served_as_the_plotly_package_ships_it(tmp_path):
    served = provide_plotly_js(tmp_path)
    assert served.read_bytes() == plotly_js_source().read_bytes()
    served.write_bytes(b"an old plotly.js")  # a plotly upgrade: the copy is replaced
    assert provide_plotly_js(tmp_path).read_bytes() == plotly_js_source().read_bytes()

"""Every renamed public name still works for one release, and says what to write instead.

Each old spelling is held against the new one: the same answer, and a DeprecationWarning that
names the new spelling.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import kmeans
from kmeans import metrics, perceptual
from kmeans.cli import main
from tests.helpers import sample_rgb

RGB = sample_rgb("chelsea.png")[::4, ::4]
X = RGB.reshape(-1, 3)


def old_and_new(old, new, warns: str):
    """The old spelling's value, checked to warn with ``warns``, and the new spelling's value."""
    with pytest.warns(DeprecationWarning, match=warns):
        before = old()
    return before, new()


def test_settings_keep_colours_is_fixed_colours():
    before, after = old_and_new(
        lambda: kmeans.Settings(keep_colours=[(1, 2, 3)]),
        lambda: kmeans.Settings(fixed_colours=[(1, 2, 3)]),
        "fixed_colours",
    )
    assert before == after


def test_reading_settings_keep_colours_reads_fixed_colours():
    settings = kmeans.Settings(fixed_colours=[(1, 2, 3)])
    with pytest.warns(DeprecationWarning, match="Settings.fixed_colours"):
        assert settings.keep_colours == ((1, 2, 3),)


def test_quantize_keep_colours_is_fixed_colours():
    before, after = old_and_new(
        lambda: kmeans.quantize(RGB, 4, keep_colours=[(255, 0, 0)]).palette,
        lambda: kmeans.quantize(RGB, 4, fixed_colours=[(255, 0, 0)]).palette,
        "fixed_colours=",
    )
    np.testing.assert_array_equal(before, after)


def test_init_kmeans_plus_plus_is_histogram_seeding():
    before, after = old_and_new(
        lambda: kmeans.quantize(RGB, 8, init="kmeans++").palette,
        lambda: kmeans.quantize(RGB, 8, init="histogram").palette,
        "init='histogram'",
    )
    np.testing.assert_array_equal(before, after)


def test_kmeans_init_centroids_keep_and_capital_k_are_fixed_colours_and_k():
    fixed = np.array([[250.0, 250, 250]])
    before, after = old_and_new(
        lambda: kmeans.kmeans_init_centroids(X, K=4, seed=0, keep=fixed),
        lambda: kmeans.kmeans_init_centroids(X, k=4, seed=0, fixed_colours=fixed),
        "k=|fixed_colours=",
    )
    np.testing.assert_array_equal(before, after)


def test_compute_centroids_capital_k_is_k():
    labels = np.arange(len(X)) % 3
    before, after = old_and_new(
        lambda: kmeans.compute_centroids(X, labels, K=3),
        lambda: kmeans.compute_centroids(X, labels, k=3),
        "k=",
    )
    np.testing.assert_array_equal(before, after)


def test_n_iter_is_n_iters():
    result = kmeans.run_kmeans(X, kmeans.kmeans_init_centroids(X, 4, seed=0), 3)
    before, after = old_and_new(lambda: result.n_iter, lambda: result.n_iters, "n_iters")
    assert before == after


def test_quantize_result_colours_is_colour_counts():
    result = kmeans.quantize(RGB, 4)
    before, after = old_and_new(
        lambda: result.colours, lambda: result.colour_counts, "colour_counts"
    )
    assert before is after


@pytest.mark.parametrize("name", ["perceptual_error", "delta_e_ok_of_labels", "PerceptualError"])
def test_perceptual_measures_are_still_found_in_metrics(name):
    before, after = old_and_new(
        lambda: getattr(metrics, name), lambda: getattr(perceptual, name), f"perceptual.{name}"
    )
    assert before is after


@pytest.mark.parametrize(
    "old, new", [(["--keep", "#ff0000"], ["--fixed", "#ff0000"]), (["--init", "kmeans++"], [])]
)
def test_the_command_lines_old_options_write_the_same_file(tmp_path, old, new):
    source = tmp_path / "chelsea.png"
    Image.fromarray(RGB).save(source)
    written = []
    for number, options in enumerate((old, new)):
        target = tmp_path / f"out-{number}.png"
        assert main([str(source), "-k", "6", *options, "-o", str(target), "-q"]) == 0
        written.append(target.read_bytes())
    assert written[0] == written[1]

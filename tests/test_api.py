"""The library's public face: what a NumPy or scikit-learn user reaches for, and how it refuses.

Each bad input must be refused at the boundary with the package's own error, one sentence, and
the same type from every entry point, instead of being silently reshaped or turned into NaN.
"""

from __future__ import annotations

import numpy as np
import pytest

import kmeans
from kmeans import KMeansError, Settings
from kmeans.cli import main
from tests.helpers import sample_rgb

EXPORTED = ["quantize", "QuantizeResult", "compress", "Compression", "MAX_K", "Settings"]


@pytest.mark.parametrize("name", EXPORTED)
def test_the_package_top_exports_the_recipe(name):
    assert name in kmeans.__all__
    assert getattr(kmeans, name) is not None


def test_quantize_at_the_top_is_the_function_not_a_module():
    rgb = sample_rgb("chelsea.png")
    result = kmeans.quantize(rgb, 8)
    assert isinstance(result, kmeans.QuantizeResult)
    assert len(np.unique(result.image.reshape(-1, 3), axis=0)) <= 8


def test_internals_stay_out_of_all():
    assert "ClusterSums" not in kmeans.__all__
    assert all(not name.startswith("_") for name in kmeans.__all__)


def test_the_error_is_a_value_error():
    assert issubclass(KMeansError, ValueError)


def test_rows_of_four_values_are_not_reshaped_into_colours():
    """A (6, 4) array is not reshaped into 8 RGB rows: with (K, 3) centroids it is refused."""
    X = np.arange(24, dtype=np.float64).reshape(6, 4)
    with pytest.raises(KMeansError, match=r"\(K, 4\)"):
        kmeans.run_kmeans(X, np.zeros((2, 3)), 5)
    with pytest.raises(KMeansError, match=r"\(K, 4\)"):
        kmeans.find_closest_centroids(X, np.zeros((2, 3)))


@pytest.mark.parametrize("shape", [(6, 5), (6, 2), (18,), (2, 3, 3)])
def test_points_of_any_other_shape_are_refused(shape):
    X = np.zeros(shape)
    for call in (
        lambda: kmeans.run_kmeans(X, np.zeros((2, 3)), 5),
        lambda: kmeans.find_closest_centroids(X, np.zeros((2, 3))),
        lambda: kmeans.kmeans_init_centroids(X, 2, seed=0),
        lambda: kmeans.compute_centroids(X, np.zeros(len(X), dtype=int), 2),
    ):
        with pytest.raises(KMeansError, match="must have shape"):
            call()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_points_are_refused_not_turned_into_nan_centroids(bad):
    X = np.array([[0.0, 0, 0], [bad, 1, 1], [9, 9, 9]])
    with pytest.raises(KMeansError, match="finite"):
        kmeans.run_kmeans(X, np.array([[0.0, 0, 0], [9, 9, 9]]), 5)
    C = np.array([[0.0, 0, 0], [bad, 9, 9]])
    with pytest.raises(KMeansError, match="finite"):
        kmeans.run_kmeans(np.zeros((3, 3)), C, 5)


def test_weights_must_match_the_rows_and_not_be_negative():
    X = np.zeros((3, 3))
    with pytest.raises(KMeansError, match="one weight per row"):
        kmeans.run_kmeans(X, np.zeros((1, 3)), 3, weights=np.ones(4))
    with pytest.raises(KMeansError, match="not negative"):
        kmeans.run_kmeans(X, np.zeros((1, 3)), 3, weights=np.array([1.0, -1, 1]))


def test_labels_use_one_documented_dtype_everywhere():
    X = sample_rgb("chelsea.png").reshape(-1, 3)
    C = kmeans.kmeans_init_centroids(X, 16, seed=0)
    assert kmeans.find_closest_centroids(X, C).dtype == np.uint8
    assert kmeans.run_kmeans(X, C, 3).labels.dtype == np.uint8
    assert kmeans.run_kmeans(X.astype(float), C, 3).labels.dtype == np.uint8
    assert kmeans.quantize(sample_rgb("chelsea.png"), 16).labels.dtype == np.uint8
    many = np.random.default_rng(0).uniform(0, 255, (2000, 3))
    assert kmeans.run_kmeans(many, many[:300], 2).labels.dtype == np.uint16


@pytest.mark.parametrize("k", [0, 257, 2.5, "16", True])
def test_bad_k_reads_the_same_from_every_entry_point(k, tmp_path, capsys):
    rgb = sample_rgb("chelsea.png")
    messages = set()
    for call in (lambda: kmeans.quantize(rgb, k), lambda: kmeans.compress(_png(tmp_path), k)):
        with pytest.raises(KMeansError) as raised:
            call()
        messages.add(str(raised.value))
    assert len(messages) == 1
    (message,) = messages
    assert message.startswith("K must be a whole number from 1 to 256")
    if isinstance(k, int) and not isinstance(k, bool):
        with pytest.raises(SystemExit) as exited:
            main([str(_png(tmp_path)), "-k", str(k)])
        assert exited.value.code == 2
        assert "K must be a whole number from 1 to 256" in capsys.readouterr().err


def test_settings_are_one_object_shared_by_quantize_and_compress(tmp_path):
    settings = Settings(max_iters=3, init="random", seed=7)
    direct = kmeans.quantize(kmeans.load_image(_png(tmp_path)), 12, settings)
    piped = kmeans.compress(_png(tmp_path), 12, settings).result
    np.testing.assert_array_equal(direct.palette, piped.palette)
    assert direct.settings == piped.settings == settings
    assert direct.kmeans.n_iters <= 3


def test_keyword_options_override_the_settings():
    rgb = sample_rgb("chelsea.png")
    with_keywords = kmeans.quantize(rgb, 8, max_iters=2, seed=3)
    with_object = kmeans.quantize(rgb, 8, Settings(max_iters=2, seed=3))
    np.testing.assert_array_equal(with_keywords.palette, with_object.palette)
    with pytest.raises(KMeansError, match="no setting called 'colour'"):
        kmeans.quantize(rgb, 8, colour="red")


@pytest.mark.parametrize(
    "options, word",
    [
        ({"init": "best"}, "initialisation"),
        ({"space": "lab"}, "colour space"),
        ({"dither": "noise"}, "dithering"),
        ({"max_iters": 0}, "rounds"),
        ({"tol": -1}, "tolerance"),
        ({"seed": -2}, "seed"),
    ],
)
def test_bad_settings_are_refused_in_one_sentence(options, word):
    with pytest.raises(KMeansError, match=word) as raised:
        Settings(**options)
    assert str(raised.value).count(".") >= 1 and "\n" not in str(raised.value)


def test_colours_counted_once_serve_every_k():
    rgb = sample_rgb("coffee.png")
    counted = kmeans.count_colours(rgb)
    assert counted.counts.sum() == rgb.shape[0] * rgb.shape[1]
    assert len(counted.colours) == len(np.unique(rgb.reshape(-1, 3), axis=0))
    for k in (4, 16):
        reused, fresh = kmeans.quantize(counted, k), kmeans.quantize(rgb, k)
        np.testing.assert_array_equal(reused.palette, fresh.palette)
        np.testing.assert_array_equal(reused.labels, fresh.labels)


def _png(folder) -> str:
    from PIL import Image

    path = folder / "chelsea.png"
    if not path.exists():
        Image.fromarray(sample_rgb("chelsea.png")).save(path)
    return str(path)

"""Fixed colours: centroids K-Means never moves, while the others follow textbook Lloyd.

The oracle is a brute-force Lloyd written here over every pixel: assign each pixel to its
nearest centroid, move every centroid that is not fixed to its pixels' mean, and put the fixed
ones back, until nothing changes.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import kmeans
from kmeans.cli import main
from tests.helpers import sample_rgb


def brute_force_lloyd(X: np.ndarray, C: np.ndarray, fixed: list[int], rounds: int) -> np.ndarray:
    X = X.astype(np.float64)
    C = C.astype(np.float64).copy()
    for _ in range(rounds):
        distances = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
        labels = np.argmin(distances, axis=1)
        moved = C.copy()
        for j in range(len(C)):
            if j not in fixed and (labels == j).any():
                moved[j] = X[labels == j].mean(axis=0)
        if np.array_equal(moved, C):
            break
        C = moved
    return C


@pytest.mark.parametrize("fixed", [[0], [2, 5], [0, 1, 2, 3, 4, 5, 6]])
def test_fixed_centroids_never_move_and_the_rest_follow_lloyd(fixed):
    X = sample_rgb("coffee.png")[::6, ::6].reshape(-1, 3)
    rng = np.random.default_rng(4)
    C0 = X[rng.choice(len(X), 8, replace=False)] + rng.uniform(-0.3, 0.3, (8, 3))
    ours = kmeans.run_kmeans(X, C0, 300, fixed=fixed)
    np.testing.assert_array_equal(ours.centroids[fixed], C0[fixed])
    np.testing.assert_allclose(ours.centroids, brute_force_lloyd(X, C0, fixed, 300), atol=1e-6)


def test_a_boolean_mask_fixes_the_same_centroids_as_indices():
    X = sample_rgb("chelsea.png")[::5, ::5].reshape(-1, 3)
    C0 = kmeans.kmeans_init_centroids(X, 6, seed=2)
    mask = np.array([False, True, False, False, True, False])
    by_mask = kmeans.run_kmeans(X, C0, 50, fixed=mask).centroids
    np.testing.assert_array_equal(by_mask, kmeans.run_kmeans(X, C0, 50, fixed=[1, 4]).centroids)


def test_the_round_by_round_stepper_keeps_fixed_centroids_too():
    X = sample_rgb("chelsea.png")[::5, ::5].reshape(-1, 3)
    C0 = kmeans.kmeans_init_centroids(X, 5, init="random", seed=1)
    rounds = list(kmeans.lloyd_rounds(X, C0, 100, fixed=[3]))
    assert all(np.array_equal(r.centroids[3], C0[3]) for r in rounds)
    np.testing.assert_allclose(rounds[-1].centroids, brute_force_lloyd(X, C0, [3], 100), atol=1e-6)


@pytest.mark.parametrize("bad", [[8], [-1], np.array([True, False])])
def test_fixed_indices_out_of_range_are_refused(bad):
    with pytest.raises(kmeans.KMeansError):
        kmeans.run_kmeans(np.zeros((4, 3)), np.zeros((3, 3)), 5, fixed=bad)


@pytest.mark.parametrize("space", ["rgb", "oklab"])
def test_a_fixed_colour_is_in_the_palette_exactly(space):
    rgb = sample_rgb("coffee.png")
    brand = (255, 0, 128)  # a colour the photo barely has
    result = kmeans.quantize(rgb, 8, fixed_colours=[brand], space=space)
    assert tuple(result.palette[0]) == brand
    assert len({tuple(c) for c in result.palette}) == 8


def test_a_fixed_colour_redraws_the_pixels_nearest_it():
    rgb = sample_rgb("chelsea.png")
    fixed = (200, 200, 200)
    result = kmeans.quantize(rgb, 4, fixed_colours=[fixed])
    centroids = result.kmeans.centroids
    distances = ((rgb.astype(float)[:, :, None, :] - centroids[None, None]) ** 2).sum(-1)
    nearest_is_fixed = np.argmin(distances, axis=2) == 0
    assert (result.image[nearest_is_fixed] == fixed).all()


def test_more_fixed_colours_than_k_is_refused_in_one_sentence():
    with pytest.raises(kmeans.KMeansError, match="3 colours cannot all be fixed with only K = 2"):
        kmeans.quantize(
            sample_rgb("chelsea.png"), 2, fixed_colours=[(0, 0, 0), (1, 1, 1), (2, 2, 2)]
        )


def test_the_command_line_fixes_a_hex_colour(tmp_path, capsys):
    source = tmp_path / "coffee.png"
    Image.fromarray(sample_rgb("coffee.png")).save(source)
    assert main([str(source), "-k", "6", "--fixed", "#ff0000", "--fixed", "0f0", "-q"]) == 0
    with Image.open(tmp_path / "coffee-k6.png") as written:
        palette = np.array(written.getpalette(), dtype=np.uint8).reshape(-1, 3)
    colours = {tuple(int(v) for v in c) for c in palette}
    assert {(255, 0, 0), (0, 255, 0)} <= colours
    assert len(palette) == 6


def test_a_badly_written_colour_is_a_usage_error(tmp_path, capsys):
    source = tmp_path / "coffee.png"
    Image.fromarray(sample_rgb("coffee.png")).save(source)
    with pytest.raises(SystemExit) as exited:
        main([str(source), "-k", "6", "--fixed", "reddish"])
    assert exited.value.code == 2
    assert "like #ff0000" in capsys.readouterr().err

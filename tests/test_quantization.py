"""quantize: a photo in, K colours and the photo redrawn with them out.

The reconstruction, the counts and the error are recomputed here with NumPy; the quality is held
against scikit-learn's full K-Means and Pillow's median cut on the sample photos.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from sklearn.cluster import KMeans

import kmeans
from kmeans.oklab import oklab_to_srgb, srgb_to_oklab
from kmeans.perceptual import perceptual_error
from kmeans.quantization import quantize
from kmeans.samples import ladybird, sky
from kmeans.seeding import hue_families, improve_by_swaps
from tests.helpers import SAMPLE_PHOTOS, sample_rgb

GREEN = (0, 255, 0)


def squared_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))


def png_bytes(rgba: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


def greys_on_hidden_green(size: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random visible greys; a quarter of the pixels fully transparent and bright green."""
    rng = np.random.default_rng(seed)
    grey = rng.integers(0, 256, (size, size), dtype=np.uint8)
    rgba = np.stack([grey, grey, grey, np.full_like(grey, 255)], axis=-1)
    hidden = rng.random((size, size)) < 0.25
    rgba[hidden] = (*GREEN, 0)
    return rgba, hidden


def assert_consistent(result, rgb: np.ndarray, k: int) -> None:
    height, width, _ = rgb.shape
    assert result.palette.dtype == np.uint8
    assert result.palette.shape == (k, 3)
    assert result.labels.shape == (height, width)
    assert result.labels.max() < k
    np.testing.assert_array_equal(result.image, result.palette[result.labels])
    np.testing.assert_array_equal(result.kmeans.labels, result.labels.ravel())
    assert np.shares_memory(result.kmeans.labels, result.labels)


@pytest.fixture(scope="module", params=SAMPLE_PHOTOS, ids=[path.stem for path in SAMPLE_PHOTOS])
def photo(request) -> np.ndarray:
    return sample_rgb(request.param.name)


@pytest.mark.parametrize("K", [2, 16, 64, 256])
def test_quantize_redraws_the_photo_with_k_colours(photo, K):
    assert_consistent(quantize(photo, K), photo, K)


@pytest.mark.parametrize("K", [2, 256])
def test_counts_are_the_pixels_drawn_with_each_colour(photo, K):
    result = quantize(photo, K)
    np.testing.assert_array_equal(result.counts, np.bincount(result.labels.ravel(), minlength=K))


@pytest.mark.parametrize("K", [2, 256])
def test_each_palette_colour_is_its_centroid_rounded(photo, K):
    result = quantize(photo, K)
    assert (np.abs(result.palette.astype(float) - result.kmeans.centroids) <= 0.5).all()


@pytest.mark.parametrize("space", ["rgb", "oklab"])
def test_each_pixel_takes_its_nearest_colour_of_the_stored_palette(space):
    """On a smooth gradient, clusters are a few levels wide, so rounding the means to bytes
    moves the borders between them: every pixel must still get the nearest colour the PNG
    really stores, measured in the clustering space (brute force over the palette)."""
    rgb = sky(width=400, height=300)
    result = quantize(rgb, 32, space=space)
    pixels = rgb.reshape(-1, 3).astype(np.float64)
    palette = result.palette.astype(np.float64)
    if space == "oklab":
        pixels, palette = srgb_to_oklab(pixels), srgb_to_oklab(palette)
    distances = ((pixels[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
    chosen = distances[np.arange(len(pixels)), result.labels.reshape(-1)]
    np.testing.assert_allclose(chosen, distances.min(axis=1), rtol=1e-9, atol=1e-12)


def test_quality_is_close_to_a_full_scikit_learn_fit():
    rgb = sample_rgb("coffee.png")
    pixels = rgb.reshape(-1, 3).astype(np.float64)
    fit = KMeans(n_clusters=16, n_init=1, random_state=0).fit(pixels)
    theirs = squared_error(pixels, fit.cluster_centers_[fit.labels_])
    ours = squared_error(rgb, quantize(rgb, 16).image)
    assert ours <= 1.02 * theirs


def test_quality_beats_pillow_median_cut(photo):
    median_cut = Image.fromarray(photo).quantize(16, method=Image.Quantize.MEDIANCUT)
    theirs = squared_error(photo, np.asarray(median_cut.convert("RGB")))
    ours = squared_error(photo, quantize(photo, 16).image)
    assert ours <= theirs


def test_five_colours_at_k_16_are_kept_exactly():
    colours = np.array(
        [[0, 0, 0], [255, 255, 255], [200, 30, 30], [30, 200, 30], [17, 34, 51]], dtype=np.uint8
    )
    rgb = colours[np.random.default_rng(0).integers(0, 5, (30, 40))]
    result = quantize(rgb, 16)
    assert_consistent(result, rgb, 5)
    np.testing.assert_array_equal(np.unique(result.palette, axis=0), np.unique(colours, axis=0))
    assert any("5" in notice for notice in result.notices)
    np.testing.assert_array_equal(result.image, rgb)


def test_one_colour_image():
    rgb = np.full((20, 30, 3), (90, 120, 150), dtype=np.uint8)
    result = quantize(rgb, 8)
    assert_consistent(result, rgb, 1)
    np.testing.assert_array_equal(result.image, rgb)
    assert result.notices


@pytest.mark.parametrize("K", [0, -1, 257, 2.5, True, "16"])
def test_k_that_is_not_a_whole_number_from_1_to_256_is_refused(K):
    with pytest.raises(
        kmeans.KMeansError, match=r"^K must be a whole number from 1 to 256, not .*\.$"
    ):
        quantize(sample_rgb(SAMPLE_PHOTOS[0].name), K)


def test_unknown_initialisation_is_refused_in_one_sentence():
    with pytest.raises(kmeans.KMeansError, match=r"^The initialisation must be .*\.$"):
        quantize(sample_rgb(SAMPLE_PHOTOS[0].name), 8, init="furthest-first")


def test_random_init_redraws_the_photo():
    rgb = sample_rgb(SAMPLE_PHOTOS[0].name)
    result = quantize(rgb, 16, init="random", seed=3)
    assert_consistent(result, rgb, 16)
    np.testing.assert_array_equal(result.counts, np.bincount(result.labels.ravel(), minlength=16))


@pytest.mark.parametrize("init", ["histogram", "random"])
def test_same_seed_same_result(init):
    rgb = sample_rgb(SAMPLE_PHOTOS[1].name)
    first, second = (quantize(rgb, 12, init=init, seed=5) for _ in range(2))
    np.testing.assert_array_equal(first.palette, second.palette)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.kmeans.inertia_history == second.kmeans.inertia_history


def test_transparent_pixels_are_kept_and_not_clustered():
    rgba, hidden = greys_on_hidden_green()
    image = kmeans.load_image(png_bytes(rgba))
    result = quantize(image, 2)
    np.testing.assert_array_equal(result.alpha, rgba[..., 3])
    assert_consistent(result, rgba[..., :3], 2)
    # Only the greys were clustered, so every palette colour is a grey.
    spread = result.palette.max(axis=1).astype(int) - result.palette.min(axis=1)
    assert spread.max() <= 1
    visible_labels = result.labels[~hidden]
    np.testing.assert_array_equal(result.counts, np.bincount(visible_labels, minlength=2))


def test_k_256_with_transparency_is_lowered_to_255():
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, (40, 40, 4), dtype=np.uint8)
    rgba[..., 3] = np.where(rng.random((40, 40)) < 0.1, 0, 255)
    result = quantize(kmeans.load_image(png_bytes(rgba)), 256)
    assert result.k == 255
    assert result.k_requested == 256
    assert any("255" in notice for notice in result.notices)
    assert_consistent(result, rgba[..., :3], 255)


def test_progress_is_reported_for_every_iteration():
    calls = []
    result = quantize(
        sample_rgb(SAMPLE_PHOTOS[0].name), 8, max_iters=7, progress=lambda *call: calls.append(call)
    )
    assert [call[0] for call in calls] == list(range(1, result.kmeans.n_iters + 1))
    assert {call[1] for call in calls} == {7}
    assert tuple(call[2] for call in calls) == result.kmeans.inertia_history


# ------------------------------------------------------------------ small vivid objects


@pytest.fixture(scope="module")
def ladybird_photo() -> tuple[np.ndarray, np.ndarray]:
    """The built ladybird photo at 800×600, and where its red shell is (read off the pixels)."""
    rgb = ladybird(800, 600)
    red = (rgb[..., 0] > 100) & (rgb[..., 0] > 2.5 * rgb[..., 1].astype(int))
    assert 0.0005 < red.mean() < 0.005  # a small object: 0.05-0.5% of the picture
    return rgb, red


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("K", [16, 32])
def test_a_small_red_object_keeps_its_red_for_every_seed(ladybird_photo, K, seed):
    rgb, red = ladybird_photo
    shell = quantize(rgb, K, seed=seed).image[red].astype(int)
    still_red = shell[:, 0] > 2 * shell[:, 1]
    assert still_red.mean() > 0.9


def test_keeping_the_red_costs_no_error_against_a_full_scikit_learn_fit(ladybird_photo):
    """The best-known answer (k-means++, 10 starts, on every distinct colour) as the oracle."""
    rgb, _ = ladybird_photo
    colours, counts = np.unique(rgb.reshape(-1, 3), axis=0, return_counts=True)
    full = KMeans(16, n_init=10, random_state=0).fit(colours.astype(float), sample_weight=counts)
    best_mse = full.inertia_ / rgb.size
    assert squared_error(rgb, quantize(rgb, 16).image) <= 1.03 * best_mse


@pytest.mark.parametrize("K", [32, 64])
def test_the_astronauts_pink_patch_ring_keeps_its_hue(K):
    """The mission patch's thin magenta ring (0.18% of the pixels) is the photo's worst-served
    vivid family; from K=32 it has a colour near its own. (At K=16 no Lloyd minimum near the
    best-known MSE keeps it: bench/results/NOTES.md.)"""
    rgb = sample_rgb("astronaut.png")
    assert perceptual_error(rgb, quantize(rgb, K).image).lost_hue <= 12


def test_oklab_centroids_are_means_in_oklab():
    rgb = sample_rgb("chelsea.png")[::4, ::4]
    result = quantize(rgb, 6, space="oklab", max_iters=300, tol=0)
    assert result.kmeans.converged
    lab = srgb_to_oklab(rgb.reshape(-1, 3))
    labels = result.labels.reshape(-1)
    for j, colour in enumerate(result.palette):
        mean_rgb = oklab_to_srgb(lab[labels == j].mean(axis=0))
        # Rounding to bytes (0.5), plus the few border pixels the last assignment, to the
        # rounded colours, moved between clusters.
        np.testing.assert_allclose(colour, np.clip(mean_rgb, 0, 255), atol=0.6)
    # and the RGB mean of a cluster is a different colour: the space matters
    rgb_means = [rgb.reshape(-1, 3)[labels == j].mean(axis=0) for j in range(6)]
    assert np.abs(np.array(rgb_means) - result.palette).max() > 1


def test_oklab_labels_are_nearest_in_oklab_not_rgb():
    rgb = sample_rgb("coffee.png")[::3, ::3]
    result = quantize(rgb, 8, space="oklab")
    lab = srgb_to_oklab(rgb.reshape(-1, 3))
    centroids = result.kmeans.centroids / 100
    nearest = np.argmin(((lab[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(result.labels.reshape(-1), nearest)


# Soft transparency (see tests/test_transparency.py for the written PNG) ----------------------


@pytest.mark.parametrize("space", ["rgb", "oklab"])
def test_one_rgba_centroid_is_the_alpha_weighted_mean(space):
    """Premultiplied means: the alpha is the mean alpha, the colour the alpha-weighted mean."""
    rgba = np.array([[[255, 0, 0, 200], [0, 0, 255, 50], [0, 0, 0, 0]]], dtype=np.uint8)
    result = quantize(rgba, 1, space=space)
    alphas = rgba[0, :2, 3].astype(float)
    assert result.palette_alpha.tolist() == [round(alphas.mean())]
    if space == "rgb":
        weighted = (rgba[0, :2, :3] * alphas[:, None]).sum(axis=0) / alphas.sum()
        np.testing.assert_allclose(result.palette[0], weighted, atol=1)
    else:  # the same mean taken in Oklab: more red than blue, and both present
        red, _, blue = result.palette[0].astype(int)
        assert red > blue > 0
    assert result.image_alpha.tolist() == [[125, 125, 0]]
    assert result.counts.tolist() == [2]


def test_rgba_array_with_a_fifth_channel_is_refused():
    with pytest.raises(kmeans.KMeansError, match=r"^The image must be .*\(height, width, 4\).*\.$"):
        quantize(np.zeros((4, 4, 5), dtype=np.uint8), 2)


def test_soft_alpha_is_clustered_premultiplied():
    """Faint pixels are near each other whatever their colour, so a strong colour keeps its own."""
    rgba = np.zeros((10, 10, 4), dtype=np.uint8)
    rgba[:5] = (0, 200, 0, 255)  # an opaque green half
    rgba[5:, :, :3] = np.random.default_rng(0).integers(0, 256, (5, 10, 3))
    rgba[5:, :, 3] = 3  # a nearly invisible haze of every colour
    result = quantize(rgba, 2)
    assert sorted(result.palette_alpha.tolist()) == [3, 255]
    green = result.palette[result.palette_alpha == 255][0]
    assert green.tolist() == [0, 200, 0]


def test_swaps_work_on_premultiplied_rgba_points():
    """Two centroids on a faint pair waste one; a swap gives the opaque red its own."""
    points = np.array(
        [[0.0, 0, 0, 10], [0, 0, 0, 12], [200, 0, 0, 255], [201, 0, 0, 255], [0, 0, 0, 11]]
    )
    weights = np.array([10.0, 10, 1, 1, 10])
    hues = hue_families(points, "rgb")
    assert hues[:, 2:4].any() and not hues[:, [0, 1, 4]].any()  # only the opaque red is vivid
    start = np.array([[0.0, 0, 0, 10], [0, 0, 0, 12]])
    centroids = improve_by_swaps(points, weights, start, np.random.default_rng(0), hues)
    assert sorted(centroids[:, 3].round().tolist()) == [11.0, 255.0]

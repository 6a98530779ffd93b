"""MSE, PSNR and SSIM checked against scikit-image and plain NumPy on the sample photos."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from kmeans import KMeansError, metrics
from kmeans.metrics import mse, mse_of_colours, psnr, ssim
from tests.helpers import SAMPLE_PHOTOS, sample_rgb

# Both compute the same exact window sums; only the last float roundings differ.
SSIM_TOLERANCE = 1e-9


def quantised(image: np.ndarray, colours: int = 16) -> np.ndarray:
    return np.asarray(Image.fromarray(image).quantize(colours).convert("RGB"))


def noisy(image: np.ndarray, sigma: float = 20.0, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, sigma, image.shape)
    return np.clip(np.rint(image + noise), 0, 255).astype(np.uint8)


def skimage_ssim(a: np.ndarray, b: np.ndarray, **options) -> float:
    channel_axis = -1 if a.ndim == 3 else None
    return structural_similarity(a, b, channel_axis=channel_axis, data_range=255, **options)


@pytest.fixture(scope="module", params=SAMPLE_PHOTOS, ids=[path.stem for path in SAMPLE_PHOTOS])
def photo(request) -> np.ndarray:
    return sample_rgb(request.param.name)


def test_samples_are_present():
    assert len(SAMPLE_PHOTOS) >= 3


def test_ssim_of_quantised_photo_matches_skimage(photo):
    reduced = quantised(photo)
    assert ssim(photo, reduced) == pytest.approx(skimage_ssim(photo, reduced), abs=SSIM_TOLERANCE)


def test_ssim_of_noisy_photo_matches_skimage(photo):
    grainy = noisy(photo)
    assert ssim(photo, grainy) == pytest.approx(skimage_ssim(photo, grainy), abs=SSIM_TOLERANCE)


def test_ssim_of_grayscale_photo_matches_skimage(photo):
    gray = np.asarray(Image.fromarray(photo).convert("L"))
    grainy = noisy(gray, seed=1)
    assert ssim(gray, grainy) == pytest.approx(skimage_ssim(gray, grainy), abs=SSIM_TOLERANCE)


def test_ssim_of_float_images_matches_skimage(photo):
    # Fractional values leave the exact uint8 path for float64 sums.
    blurred = np.asarray(Image.fromarray(photo).reduce(2).resize(photo.shape[1::-1]), np.float64)
    blurred += 0.25
    expected = skimage_ssim(photo.astype(np.float64), blurred)
    assert ssim(photo, blurred) == pytest.approx(expected, abs=SSIM_TOLERANCE)


def test_ssim_across_strip_boundaries_matches_skimage():
    tile = sample_rgb(SAMPLE_PHOTOS[0].name)
    image = np.tile(tile, (3, 2, 1))[:1500, :800]
    assert image.shape[0] * image.shape[1] > 3 * metrics.STRIP_PIXELS  # several strips a channel
    reduced = quantised(image, 8)
    assert ssim(image, reduced) == pytest.approx(skimage_ssim(image, reduced), abs=SSIM_TOLERANCE)


@pytest.mark.parametrize("strip_pixels", [40 * 7, 40 * 8, 40 * 100, 40 * 1493])
def test_ssim_of_tall_strip_matches_skimage_whatever_the_strip_size(monkeypatch, strip_pixels):
    # One output row per strip, two, many, and a last strip of a single row.
    image = np.tile(sample_rgb(SAMPLE_PHOTOS[0].name)[:, :40], (3, 1, 1))[:1500]
    grainy = noisy(image, seed=2)
    monkeypatch.setattr(metrics, "STRIP_PIXELS", strip_pixels)
    assert ssim(image, grainy) == pytest.approx(skimage_ssim(image, grainy), abs=SSIM_TOLERANCE)


def test_ssim_of_identical_images_is_one(photo):
    assert ssim(photo, photo.copy()) == 1.0


@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 1, 3), (1, 10_000), (10_000, 1, 3), (1, 10_000, 3), (6, 6, 3), (2, 9)]
)
def test_ssim_of_tiny_images_is_finite_and_in_range(shape):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, size=shape, dtype=np.uint8)
    b = rng.integers(0, 256, size=shape, dtype=np.uint8)
    value = ssim(a, b)
    assert math.isfinite(value)
    assert -1.0 <= value <= 1.0
    assert ssim(a, a) == 1.0


def test_ssim_of_6x6_image_uses_5x5_windows():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    b = noisy(a, seed=5)
    assert ssim(a, b) == pytest.approx(skimage_ssim(a, b, win_size=5), abs=SSIM_TOLERANCE)


@pytest.mark.parametrize("shape", [(1, 10_000), (10_000, 1)])
def test_ssim_of_one_pixel_line_uses_7_pixel_windows_along_it(shape):
    # A 1-D image with 7-wide windows is what scikit-image computes for a line of pixels.
    rng = np.random.default_rng(6)
    line = rng.integers(0, 256, size=10_000, dtype=np.uint8)
    other = noisy(line, seed=7)
    expected = structural_similarity(line, other, data_range=255)
    assert ssim(line.reshape(shape), other.reshape(shape)) == pytest.approx(
        expected, abs=SSIM_TOLERANCE
    )


def test_ssim_of_single_pixel_compares_brightness_only():
    a, b = np.array([[100]], np.uint8), np.array([[50]], np.uint8)
    c1 = (0.01 * 255) ** 2
    assert ssim(a, b) == pytest.approx((2 * 100 * 50 + c1) / (100**2 + 50**2 + c1))


@pytest.mark.parametrize("shape", [(1, 1), (5, 7), (4, 3, 3), (33, 17, 3)])
def test_mse_matches_direct_numpy(shape):
    rng = np.random.default_rng(8)
    a = rng.integers(0, 256, size=shape, dtype=np.uint8)
    b = rng.integers(0, 256, size=shape, dtype=np.uint8)
    expected = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    assert mse(a, b) == pytest.approx(expected, rel=1e-12)


def test_mse_of_photo_matches_skimage(photo):
    reduced = quantised(photo)
    assert mse(photo, reduced) == pytest.approx(mean_squared_error(photo, reduced), rel=1e-12)


def test_mse_over_distinct_colours_matches_skimage_over_pixels(photo):
    reduced = quantised(photo)
    pairs = np.concatenate([photo.reshape(-1, 3), reduced.reshape(-1, 3)], axis=1)
    distinct, counts = np.unique(pairs, axis=0, return_counts=True)
    assert len(distinct) < photo.shape[0] * photo.shape[1] // 2  # a real saving
    expected = mean_squared_error(photo, reduced)
    assert mse_of_colours(distinct[:, :3], distinct[:, 3:], counts) == pytest.approx(
        expected, rel=1e-12
    )


def test_mse_of_float_images_matches_skimage(photo):
    shifted = photo.astype(np.float64) + 0.5
    assert mse(photo, shifted) == pytest.approx(0.25, rel=1e-12)
    assert mse(photo, shifted) == pytest.approx(mean_squared_error(photo, shifted), rel=1e-12)


def test_psnr_of_photo_matches_skimage(photo):
    reduced = quantised(photo)
    expected = peak_signal_noise_ratio(photo, reduced, data_range=255)
    assert psnr(photo, reduced) == pytest.approx(expected, rel=1e-12)


def test_psnr_of_identical_images_is_infinite(photo):
    assert psnr(photo, photo.copy()) == math.inf
    assert mse(photo, photo.copy()) == 0.0


@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_images_of_different_shapes_are_refused(metric):
    a = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(KMeansError, match="differ in shape"):
        metric(a, a[:, :9])
    with pytest.raises(KMeansError, match="differ in shape"):
        metric(a, a[:, :, 0])


@pytest.mark.parametrize("metric", [mse, psnr, ssim])
def test_empty_or_one_dimensional_input_is_refused(metric):
    with pytest.raises(KMeansError, match="non-empty"):
        metric(np.zeros((0, 4), np.uint8), np.zeros((0, 4), np.uint8))
    with pytest.raises(KMeansError, match="non-empty"):
        metric(np.zeros(4, np.uint8), np.zeros(4, np.uint8))

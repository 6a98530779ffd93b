"""Dithering onto a palette: error diffusion everywhere, or only where it helps.

Oracles: brute-force nearest colours, local averages of a ramp computed here, and the
neighbourhood contrast measured here with NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

import kmeans
from kmeans.dither import BUSY_CONTRAST, SPECKLE, dither_labels
from kmeans.encode import encode_png
from kmeans.metrics import delta_e_ok, perceptual_error
from tests.helpers import sample_rgb

TWO_GREYS = np.array([[40, 40, 40], [200, 200, 200]], dtype=np.uint8)


def ramp(width: int = 256, height: int = 32) -> np.ndarray:
    row = np.linspace(40, 200, width).astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], 3, axis=2), height, axis=0)


def brute_nearest(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    d = ((rgb.astype(float)[..., None, :] - palette.astype(float)) ** 2).sum(-1)
    return np.argmin(d, axis=-1)


@pytest.mark.parametrize("method", ["none", "floyd-steinberg", "selective"])
def test_labels_are_palette_indices_of_the_image_shape(method):
    rgb = sample_rgb("coffee.png")
    palette = kmeans.quantize(rgb, 12).palette
    labels = dither_labels(rgb, palette, method)
    assert labels.shape == rgb.shape[:2] and labels.dtype == np.uint8
    assert labels.max() < len(palette)


def test_none_is_the_nearest_colour():
    rgb = sample_rgb("chelsea.png")
    palette = kmeans.quantize(rgb, 8).palette
    np.testing.assert_array_equal(dither_labels(rgb, palette, "none"), brute_nearest(rgb, palette))


def test_error_diffusion_keeps_the_local_average_of_a_ramp():
    rgb = ramp()
    plain = TWO_GREYS[dither_labels(rgb, TWO_GREYS, "none")].astype(float)
    diffused = TWO_GREYS[dither_labels(rgb, TWO_GREYS, "floyd-steinberg")].astype(float)
    # Average 16-pixel-wide bands: diffusion tracks the ramp, the nearest colour jumps once.
    bands = lambda image: image[..., 0].reshape(32, 16, 16).mean(axis=(0, 2))  # noqa: E731
    truth = bands(rgb.astype(float))
    assert np.abs(bands(diffused) - truth).max() < 12
    assert np.abs(bands(plain) - truth).max() > 40


def test_selective_dithers_a_smooth_ramp_between_close_colours():
    rgb = ramp()
    greys = np.repeat(np.arange(40, 201, 20, dtype=np.uint8)[:, None], 3, axis=1)
    labels = dither_labels(rgb, greys, "selective")
    assert (labels != brute_nearest(rgb, greys)).mean() > 0.1
    # but never between far-apart colours: two greys 160 levels apart would only speckle
    np.testing.assert_array_equal(
        dither_labels(rgb, TWO_GREYS, "selective"), brute_nearest(rgb, TWO_GREYS)
    )


def test_selective_leaves_busy_texture_alone():
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 1), dtype=np.uint8).repeat(3, 2)
    palette = np.array([[0, 0, 0], [85, 85, 85], [170, 170, 170], [255, 255, 255]], np.uint8)
    labels = dither_labels(rgb, palette, "selective")
    grey = rgb[..., 0].astype(int)
    padded = np.pad(grey, 1, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))
    busy = windows.max(axis=(2, 3)) - windows.min(axis=(2, 3)) > BUSY_CONTRAST
    nearest = brute_nearest(rgb, palette)
    np.testing.assert_array_equal(labels[busy], nearest[busy])


def test_selective_never_adds_a_speckle():
    rgb = sample_rgb("astronaut.png")
    result = kmeans.quantize(rgb, 16)
    labels = dither_labels(rgb, result.palette, "selective", result.labels)
    moved = labels != result.labels
    off = delta_e_ok(rgb, result.palette[labels])
    assert moved.any()
    assert off[moved].max() <= SPECKLE + 1e-3


def test_selective_costs_fewer_bytes_and_less_worst_error_than_floyd_steinberg():
    rgb = sample_rgb("astronaut.png")
    result = kmeans.quantize(rgb, 16)
    out = {}
    for method in ("none", "floyd-steinberg", "selective"):
        labels = dither_labels(rgb, result.palette, method, result.labels)
        image = result.palette[labels]
        out[method] = (len(encode_png(result.palette, labels)), perceptual_error(rgb, image))
    assert out["none"][0] < out["selective"][0] < out["floyd-steinberg"][0]
    assert out["selective"][1].delta_e_p99 < out["floyd-steinberg"][1].delta_e_p99


def test_unknown_dithering_is_refused_in_one_sentence():
    with pytest.raises(kmeans.KMeansError, match="dithering must be one of"):
        dither_labels(ramp(), TWO_GREYS, "blue-noise")


def test_quantize_with_dithering_reports_its_own_pixels():
    rgb = sample_rgb("coffee.png")
    result = kmeans.quantize(rgb, 8, dither="floyd-steinberg")
    np.testing.assert_array_equal(result.image, result.palette[result.labels])
    np.testing.assert_array_equal(result.counts, np.bincount(result.labels.ravel(), minlength=8))
    direct = perceptual_error(rgb, result.image)
    assert result.perceptual.delta_e == pytest.approx(direct.delta_e)
    plain = kmeans.quantize(rgb, 8)
    np.testing.assert_array_equal(result.palette, plain.palette)  # dithering maps, K-Means picks

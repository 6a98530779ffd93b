"""Dithering onto a palette: Pillow's error diffusion, or our own within a reach.

Oracles: brute-force nearest colours, local averages in linear light computed here from the
sRGB formula, the ΔE_OK of the metrics module, and Pillow reading the written PNG back.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import kmeans
import kmeans.dither
from kmeans.dither import REACH, dither_labels
from kmeans.encode import encode_png
from kmeans.perceptual import delta_e_ok, perceptual_error
from tests.helpers import sample_rgb

TWO_GREYS = np.array([[40, 40, 40], [200, 200, 200]], dtype=np.uint8)
GREYS = np.repeat(np.arange(40, 201, 20, dtype=np.uint8)[:, None], 3, axis=1)


def ramp(width: int = 256, height: int = 32, low: int = 40, high: int = 200) -> np.ndarray:
    row = np.linspace(low, high, width).round().astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], 3, axis=2), height, axis=0)


def brute_nearest(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    d = ((rgb.astype(float)[..., None, :] - palette.astype(float)) ** 2).sum(-1)
    return np.argmin(d, axis=-1)


def linear_light(rgb: np.ndarray) -> np.ndarray:
    """The sRGB transfer curve, written out here as the standard gives it."""
    v = rgb.astype(float) / 255
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def box_error(original: np.ndarray, redrawn: np.ndarray, side: int = 3) -> float:
    """Mean absolute difference of side×side local means of linear light (what a step back sees)."""
    diff = linear_light(redrawn) - linear_light(original)
    windows = np.lib.stride_tricks.sliding_window_view(diff, (side, side), axis=(0, 1))
    return float(np.abs(windows.mean(axis=(-2, -1))).mean())


@pytest.mark.parametrize("method", ["none", "floyd-steinberg", "selective"])
def test_labels_are_palette_indices_of_the_image_shape(method):
    rgb = sample_rgb("coffee.png")
    palette = kmeans.quantize(rgb, 12).palette
    labels = dither_labels(rgb, palette, method)
    assert labels.shape == rgb.shape[:2] and labels.dtype == np.uint8
    assert labels.max() < len(palette)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (2, 2), (2, 9), (9, 2), (40, 3)])
def test_selective_handles_thin_and_tall_images(shape):
    rgb = ramp(64, 64)[: shape[0], : shape[1]]
    labels = dither_labels(rgb, GREYS, "selective")
    assert labels.shape == shape and labels.max() < len(GREYS)


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


def test_selective_mixes_a_smooth_ramp_in_linear_light():
    rgb = ramp(width=320)
    plain = GREYS[dither_labels(rgb, GREYS, "none")]
    mixed = GREYS[dither_labels(rgb, GREYS, "selective")]
    # Seen from a step back (3×3 local means of light) the mix is much closer than the bands,
    assert box_error(rgb, mixed) < 0.5 * box_error(rgb, plain)
    # and closer than Pillow's mix of sRGB numbers, which makes the mixes too bright.
    pillow = GREYS[dither_labels(rgb, GREYS, "floyd-steinberg")]
    assert box_error(rgb, mixed) < box_error(rgb, pillow)


def test_selective_improves_what_a_step_back_sees_on_a_photo():
    rgb = sample_rgb("coffee.png")
    result = kmeans.quantize(rgb, 16)
    labels = dither_labels(rgb, result.palette, "selective", result.labels)
    assert box_error(rgb, result.palette[labels]) < 0.85 * box_error(rgb, result.image)


def dark_scene() -> tuple[np.ndarray, np.ndarray]:
    """Dark, nearly flat areas beside a bright one: navy on the left, a dark grey ramp below.

    The palette's dark colours are greys. The navy lies outside what they can mix, so plain
    diffusion piles up its blue error until it lands on the far bright blue: a speckle. The
    dark ramp lies between two palette greys, so mixing them is what it needs.
    """
    rng = np.random.default_rng(3)
    rgb = np.empty((96, 160, 3), np.uint8)
    rgb[:, :100] = (8, 8, 56)
    rgb[:, :100] += rng.integers(0, 3, (96, 100, 1), dtype=np.uint8)  # sensor noise
    rgb[:, 100:] = (220, 200, 120)
    rgb[64:] = ramp(width=160, height=32, low=4, high=20)
    palette = np.array(
        [[0, 0, 0], [24, 24, 24], [60, 80, 255], [220, 200, 120], [255, 255, 255]], np.uint8
    )
    return rgb, palette


def test_no_speckles_in_dark_flat_areas():
    rgb, palette = dark_scene()
    navy = (slice(2, 60), slice(2, 96))
    dark_ramp = (slice(66, 94), slice(2, -2))
    labels = dither_labels(rgb, palette, "selective")
    # A pixel's value moves at most REACH, and then takes the colour nearest that value.
    bound = 2 * REACH + delta_e_ok(rgb, palette[brute_nearest(rgb, palette)])
    assert (delta_e_ok(rgb, palette[labels]) <= bound + 1e-3).all()
    assert set(np.unique(labels[navy]).tolist()) <= {0, 1}  # dark colours only
    assert set(np.unique(labels[dark_ramp]).tolist()) == {0, 1}  # mixed, from dark colours
    # The scene is a real trap: Pillow's plain diffusion speckles the navy with bright blue.
    pillow = dither_labels(rgb, palette, "floyd-steinberg")
    assert (pillow[navy] == 2).sum() > 100


def test_pillow_reads_back_the_dithered_png():
    rgb = sample_rgb("astronaut.png")
    result = kmeans.quantize(rgb, 16)
    labels = dither_labels(rgb, result.palette, "selective", result.labels)
    read = np.asarray(Image.open(io.BytesIO(encode_png(result.palette, labels))).convert("RGB"))
    np.testing.assert_array_equal(read, result.palette[labels])


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


def test_a_large_photo_is_dithered_in_cells(monkeypatch):
    rgb = ramp(width=321, height=41)
    # Lower the threshold, so a small image stands for a large photo.
    monkeypatch.setattr(kmeans.dither, "LARGE_PIXELS", 1000)
    nearest = brute_nearest(rgb, GREYS)
    assert kmeans.dither.label_changes(nearest) < kmeans.dither.SMOOTH_CHANGES  # a smooth ramp
    labels = dither_labels(rgb, GREYS, "selective", nearest)
    pairs = labels[:40].reshape(20, 2, 321)  # cells two rows tall, one column wide
    assert (pairs == pairs[:, :1]).all()
    assert (labels[0, :320:2] != labels[0, 1:321:2]).any()  # columns are dithered one by one
    np.testing.assert_array_equal(labels[40], nearest[40])  # the odd row left over
    assert box_error(rgb, GREYS[labels]) < 0.5 * box_error(rgb, GREYS[nearest])


def test_a_large_photo_with_pixel_scale_detail_is_dithered_pixel_by_pixel(monkeypatch):
    # Grain makes the nearest colours change between most neighbours, as in a real photo.
    noise = np.random.default_rng(0).normal(0, 12, (41, 321, 1))
    rgb = np.clip(ramp(width=321, height=41) + noise, 0, 255).astype(np.uint8)
    monkeypatch.setattr(kmeans.dither, "LARGE_PIXELS", 1000)
    nearest = brute_nearest(rgb, GREYS)
    assert kmeans.dither.label_changes(nearest) >= kmeans.dither.SMOOTH_CHANGES
    labels = dither_labels(rgb, GREYS, "selective", nearest)
    assert (labels[0:40:2] != labels[1:41:2]).any()  # rows are not repeated in pairs
    assert box_error(rgb, GREYS[labels]) < box_error(rgb, GREYS[nearest])


def test_unknown_dithering_is_refused_in_one_sentence():
    with pytest.raises(kmeans.KMeansError, match="dithering must be one of"):
        dither_labels(ramp(), TWO_GREYS, "blue-noise")


def test_quantize_with_dithering_reports_its_own_pixels():
    rgb = sample_rgb("coffee.png")
    result = kmeans.quantize(rgb, 8, dither="selective")
    np.testing.assert_array_equal(result.image, result.palette[result.labels])
    np.testing.assert_array_equal(result.counts, np.bincount(result.labels.ravel(), minlength=8))
    direct = perceptual_error(rgb, result.image)
    assert result.perceptual.delta_e == pytest.approx(direct.delta_e)
    plain = kmeans.quantize(rgb, 8)
    np.testing.assert_array_equal(result.palette, plain.palette)  # dithering maps, K-Means picks

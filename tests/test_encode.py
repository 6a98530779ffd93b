"""encode_png and encode_gif write real indexed images; Pillow reading them back is the oracle."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from kmeans import KMeansError
from kmeans.encode import encode_gif, encode_png, teaching_sizes
from tests.helpers import png_chunks

# PNG bit depth for a palette of n entries, from the PNG specification: 1, 2, 4 or 8 bits.
PNG_BIT_DEPTH = {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 16: 4, 17: 8, 255: 8, 256: 8}


def distinct_palette(K: int, seed: int = 0) -> np.ndarray:
    """K different colours, so each decoded colour names exactly one index."""
    rng = np.random.default_rng(seed)
    keys = rng.choice(1 << 24, size=K, replace=False)
    return np.stack([keys >> 16, (keys >> 8) & 255, keys & 255], axis=1).astype(np.uint8)


def labels_using_every_index(K: int, shape=(23, 37), seed: int = 0) -> np.ndarray:
    labels = np.random.default_rng(seed).integers(0, K, size=shape)  # int64, as K-Means gives
    labels.flat[:K] = np.arange(K)
    return labels


def read_back(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# PNG -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [1, 2, 3, 4, 5, 16, 17, 256])
def test_png_is_indexed_with_exactly_k_colours(K):
    palette, labels = distinct_palette(K), labels_using_every_index(K)
    data = encode_png(palette, labels)
    image = read_back(data)
    assert image.format == "PNG" and image.mode == "P"
    assert len(image.getpalette()) // 3 == K
    assert len(png_chunks(data)[b"PLTE"]) == 3 * K
    assert b"tRNS" not in png_chunks(data)
    np.testing.assert_array_equal(np.asarray(image), labels)
    np.testing.assert_array_equal(np.asarray(image.convert("RGB")), palette[labels])


@pytest.mark.parametrize("K", [1, 2, 3, 4, 5, 16, 17, 256])
def test_png_bit_depth_is_the_smallest_for_k(K):
    data = encode_png(distinct_palette(K), labels_using_every_index(K))
    ihdr = png_chunks(data)[b"IHDR"]
    bit_depth, colour_type = ihdr[8], ihdr[9]
    assert data[24] == bit_depth == PNG_BIT_DEPTH[K]
    assert colour_type == 3  # indexed colour


def test_png_is_smaller_than_plain_rgb():
    palette, labels = distinct_palette(4), labels_using_every_index(4, shape=(200, 300))
    rgb = io.BytesIO()
    Image.fromarray(palette[labels]).save(rgb, "PNG", optimize=True)
    assert len(encode_png(palette, labels)) < len(rgb.getvalue())


def test_png_alpha_round_trip():
    K = 5
    palette, labels = distinct_palette(K), labels_using_every_index(K, shape=(6, 8))
    alpha = np.tile(np.array([0, 1, 127, 128, 200, 255, 64, 250], dtype=np.uint8), (6, 1))
    data = encode_png(palette, labels, alpha)
    image = read_back(data)
    assert image.mode == "P"
    assert len(image.getpalette()) // 3 == K + 1  # the K colours plus one transparent entry
    assert len(png_chunks(data)[b"PLTE"]) == 3 * (K + 1)
    rgba = np.asarray(image.convert("RGBA"))
    opaque = alpha >= 128
    np.testing.assert_array_equal(rgba[:, :, 3], np.where(opaque, 255, 0))
    np.testing.assert_array_equal(rgba[opaque][:, :3], palette[labels][opaque])


def test_png_alpha_without_transparent_pixels_adds_no_entry():
    palette, labels = distinct_palette(256), labels_using_every_index(256)
    data = encode_png(palette, labels, np.full(labels.shape, 128, dtype=np.uint8))
    image = read_back(data)
    assert len(image.getpalette()) // 3 == 256
    assert b"tRNS" not in png_chunks(data)
    np.testing.assert_array_equal(np.asarray(image.convert("RGB")), palette[labels])


def test_256_colours_leave_no_room_for_transparency():
    palette, labels = distinct_palette(256), labels_using_every_index(256)
    alpha = np.full(labels.shape, 255, dtype=np.uint8)
    alpha[0, 0] = 0
    with pytest.raises(KMeansError, match="at most 255"):
        encode_png(palette, labels, alpha)


def test_png_palette_alpha_round_trip():
    """Each entry's alpha in tRNS; alpha 0 pixels take one extra entry, the rest their own."""
    K = 5
    palette, labels = distinct_palette(K), labels_using_every_index(K, shape=(6, 8))
    palette_alpha = np.array([255, 1, 127, 128, 200], dtype=np.uint8)
    alpha = np.full(labels.shape, 77, dtype=np.uint8)
    alpha[0, :3] = 0
    data = encode_png(palette, labels, alpha, palette_alpha=palette_alpha)
    chunks = png_chunks(data)
    assert len(chunks[b"PLTE"]) == 3 * (K + 1)
    assert chunks[b"tRNS"] == bytes([*palette_alpha, 0])
    image = read_back(data)
    hidden = alpha == 0
    assert (np.asarray(image)[hidden] == K).all()
    rgba = np.asarray(image.convert("RGBA"))
    np.testing.assert_array_equal(rgba[:, :, 3], np.where(hidden, 0, palette_alpha[labels]))
    np.testing.assert_array_equal(rgba[~hidden][:, :3], palette[labels][~hidden])


def test_png_palette_alpha_with_256_colours_and_no_hidden_pixel():
    palette, labels = distinct_palette(256), labels_using_every_index(256)
    palette_alpha = np.arange(256)
    data = encode_png(palette, labels, np.full(labels.shape, 9), palette_alpha=palette_alpha)
    assert png_chunks(data)[b"tRNS"] == bytes(range(256))
    np.testing.assert_array_equal(np.asarray(read_back(data)), labels)


@pytest.mark.parametrize("palette_alpha", [np.zeros(2), np.zeros((3, 1)), np.full(3, 300)])
def test_invalid_palette_alpha_is_refused(palette_alpha):
    with pytest.raises(KMeansError, match="alpha"):
        encode_png(distinct_palette(3), labels_using_every_index(3), palette_alpha=palette_alpha)


def test_labels_are_not_changed():
    palette, labels = distinct_palette(3), labels_using_every_index(3).astype(np.uint8)
    before = labels.copy()
    encode_png(palette, labels, np.zeros(labels.shape, dtype=np.uint8))
    np.testing.assert_array_equal(labels, before)


def test_whole_number_float_palette_is_accepted():
    palette = distinct_palette(3)
    labels = labels_using_every_index(3)
    image = read_back(encode_png(palette.astype(np.float64), labels))
    np.testing.assert_array_equal(np.asarray(image.convert("RGB")), palette[labels])


@pytest.mark.parametrize(
    ("palette", "labels"),
    [
        (np.zeros((2, 3)), np.array([[0, 2]])),  # label beyond the palette
        (np.zeros((2, 3)), np.array([[0, -1]])),  # negative label
        (np.zeros((2, 4)), np.array([[0, 1]])),  # not RGB
        (np.zeros((0, 3)), np.zeros((1, 1), dtype=int)),  # no colours
        (np.zeros((257, 3)), np.array([[0, 1]])),  # too many colours
        (np.full((2, 3), 255.5), np.array([[0, 1]])),  # not whole numbers from 0 to 255
        (np.full((2, 3), 256), np.array([[0, 1]])),
        (np.zeros((2, 3)), np.array([0, 1])),  # labels not 2-D
    ],
)
def test_invalid_input_is_refused(palette, labels):
    with pytest.raises(KMeansError):
        encode_png(palette, labels)


# GIF -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [1, 2, 17, 256])
def test_gif_round_trip(K):
    palette, labels = distinct_palette(K), labels_using_every_index(K)
    image = read_back(encode_gif(palette, labels))
    assert image.format == "GIF" and image.mode == "P"
    assert len(image.getpalette()) // 3 >= K  # padded to a power of two
    np.testing.assert_array_equal(np.asarray(image), labels)
    np.testing.assert_array_equal(np.asarray(image.convert("RGB")), palette[labels])


def test_gif_alpha_round_trip():
    K = 7
    palette, labels = distinct_palette(K), labels_using_every_index(K, shape=(9, 11))
    alpha = np.random.default_rng(2).integers(0, 256, size=labels.shape, dtype=np.uint8)
    image = read_back(encode_gif(palette, labels, alpha))
    rgba = np.asarray(image.convert("RGBA"))
    opaque = alpha >= 128
    np.testing.assert_array_equal(rgba[:, :, 3], np.where(opaque, 255, 0))
    np.testing.assert_array_equal(rgba[opaque][:, :3], palette[labels][opaque])


# Sizes for teaching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_pixels", "K", "indexed_bits", "rgb_bits"),
    [
        (1_000, 1, 24, 24_000),  # one colour: no index bits, only the palette
        (1_000, 2, 1_000 + 48, 24_000),
        (1_000, 3, 2_000 + 72, 24_000),
        (1_000, 4, 2_000 + 96, 24_000),
        (1_000, 5, 3_000 + 120, 24_000),
        (1_000_000, 16, 4_000_000 + 384, 24_000_000),
        (1_000_000, 17, 5_000_000 + 408, 24_000_000),
        (12_000_000, 256, 96_000_000 + 6_144, 288_000_000),
        (0, 8, 192, 0),
    ],
)
def test_teaching_sizes(n_pixels, K, indexed_bits, rgb_bits):
    assert teaching_sizes(n_pixels, K) == (indexed_bits, rgb_bits)


@pytest.mark.parametrize(
    ("n_pixels", "K", "indexed_bits", "rgba_bits"),
    [
        (1_000, 1, 32, 32_000),
        (1_000, 17, 5_000 + 17 * 32, 32_000),
        (12_000_000, 256, 96_000_000 + 8_192, 384_000_000),
    ],
)
def test_teaching_sizes_for_rgba(n_pixels, K, indexed_bits, rgba_bits):
    assert teaching_sizes(n_pixels, K, channels=4) == (indexed_bits, rgba_bits)


def test_teaching_sizes_know_only_rgb_and_rgba():
    with pytest.raises(KMeansError, match="channels"):
        teaching_sizes(100, 4, channels=2)


def test_teaching_sizes_needs_at_least_one_colour():
    with pytest.raises(KMeansError):
        teaching_sizes(100, 0)

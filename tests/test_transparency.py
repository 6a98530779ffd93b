"""Soft transparency: a logo's drop shadow, an anti-aliased edge and an alpha ramp survive.

Every image here is built by the test. What is written is read back by Pillow
(``Image.open(...).convert("RGBA")``) and compared with the original in premultiplied RGBA, computed
with NumPy; the PNG's chunks are read by hand. pngquant, the tool whose method this follows, is
the quality oracle.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage.metrics import structural_similarity

import kmeans
from kmeans.closeness import JUST_NOTICEABLE
from kmeans.core import distinct_colours
from kmeans.encode import encode_gif, encode_png
from kmeans.pipeline import compress
from kmeans.quantization import count_colours, quantize
from tests.helpers import banded_shadow_logo, png_chunks, shadow_alpha
from tests.oracles import composited, drawn_by_either, seen_delta_e

ORANGE = (230, 120, 20)

# Images ----------------------------------------------------------------------------------------


def drop_shadow_logo(size: int = 128) -> np.ndarray:
    """An opaque orange square over a blurred black shadow (alpha 0..160), on transparency."""
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[:, :, 3] = np.roll(shadow_alpha(size, (30, 30, 100, 100), 8, 160), 8, axis=(0, 1))
    rgba[24:88, 24:88] = (*ORANGE, 255)
    return rgba


def shadow_only(rgba: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of the shadow that the square does not cover."""
    return (rgba[:, :, 3] > 0) & (rgba[:, :, 3] < 255)


def anti_aliased_circle(size: int = 96, scale: int = 4) -> np.ndarray:
    """A blue-to-red circle drawn at 4× and scaled down: its rim has every alpha level."""
    big = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    for row in range(size * scale):  # a vertical colour ramp, clipped to the circle below
        red = round(255 * row / (size * scale - 1))
        draw.line([(0, row), (size * scale, row)], fill=(red, 60, 255 - red, 255))
    circle = Image.new("L", big.size, 0)
    margin = 8 * scale
    ImageDraw.Draw(circle).ellipse(
        (margin, margin, size * scale - margin, size * scale - margin), 255
    )
    big.putalpha(circle)
    return np.asarray(big.resize((size, size), Image.Resampling.BOX))


def alpha_ramp(width: int = 256, height: int = 24) -> np.ndarray:
    """A colour gradient whose alpha rises from 0 at the left to 255 at the right."""
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    across = np.arange(width)[None, :]
    rgba[:, :, 0] = across * 255 // (width - 1)
    rgba[:, :, 1] = 80
    rgba[:, :, 2] = 255 - rgba[:, :, 0]
    rgba[:, :, 3] = across * 255 // (width - 1)
    return rgba


SOFT_IMAGES = {
    "drop shadow": drop_shadow_logo,
    "anti-aliased circle": anti_aliased_circle,
    "alpha ramp": alpha_ramp,
}


def png_of(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def read_rgba(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def premultiplied(rgba: np.ndarray) -> np.ndarray:
    rgba = rgba.astype(np.float64)
    return np.concatenate([rgba[..., :3] * rgba[..., 3:] / 255, rgba[..., 3:]], axis=-1)


def premultiplied_mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((premultiplied(a) - premultiplied(b)) ** 2))


def seen_mse(a: np.ndarray, b: np.ndarray) -> float:
    """MSE per channel over the drawn pixels, each as seen over black or white, the worse."""
    over = [np.sum((composited(a, g) - composited(b, g)) ** 2, axis=-1) for g in (0, 255)]
    return float(np.maximum(*over)[drawn_by_either(a, b)].mean() / 3)


def alpha_mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a[..., 3].astype(np.float64) - b[..., 3]) ** 2))


def one_bit(rgba: np.ndarray) -> np.ndarray:
    """What the previous release drew: alpha ≥ 128 opaque, the rest transparent."""
    return np.dstack([rgba[:, :, :3], np.where(rgba[:, :, 3] >= 128, 255, 0).astype(np.uint8)])


# The written PNG -------------------------------------------------------------------------------


def test_drop_shadow_is_not_solid_black():
    logo = drop_shadow_logo()
    back = read_rgba(compress(png_of(logo), 16).png)
    shadow = shadow_only(logo)
    # The shadow keeps its levels: many alphas, none opaque, each close to the original.
    assert len(np.unique(back[shadow][:, 3])) >= 8
    assert back[shadow][:, 3].max() <= 175
    assert np.abs(back[shadow][:, 3].astype(int) - logo[shadow][:, 3]).max() <= 20
    # And the whole image is far closer than the 1-bit alpha of before.
    assert alpha_mse(logo, back) < alpha_mse(logo, one_bit(logo)) / 100
    np.testing.assert_array_equal(back[~shadow & (logo[:, :, 3] == 255)][:, :3], [ORANGE] * 4096)


@pytest.mark.parametrize("name", SOFT_IMAGES)
@pytest.mark.parametrize("space", ["rgb", "oklab"])
def test_soft_alpha_is_reproduced(name, space):
    original = SOFT_IMAGES[name]()
    compression = compress(png_of(original), 16, kmeans.Settings(space=space))
    back = read_rgba(compression.png)
    assert alpha_mse(original, back) < alpha_mse(original, one_bit(original)) / 5
    # The reported numbers are those of the file written, as seen.
    assert compression.mse == pytest.approx(seen_mse(original, back), rel=1e-9)
    assert compression.psnr == pytest.approx(10 * np.log10(255**2 / seen_mse(original, back)))
    assert compression.alpha_mse == pytest.approx(alpha_mse(original, back), rel=1e-9)
    np.testing.assert_array_equal(compression.result.image_alpha, back[:, :, 3])
    visible = back[:, :, 3] > 0
    np.testing.assert_array_equal(compression.result.image[visible], back[visible][:, :3])


def test_a_banded_shadow_does_not_look_the_same():
    """At K=16 the shadow keeps about 11 of its 156 levels: bands that show on a white page."""
    logo = banded_shadow_logo()
    compression = compress(png_of(logo), 16)
    back = read_rgba(compression.png)
    assert len(np.unique(back[shadow_only(logo)][:, 3])) <= 12
    seen = seen_delta_e(logo, back)[drawn_by_either(logo, back)]
    assert np.percentile(seen, 99) > JUST_NOTICEABLE  # the bands' edges
    assert compression.perceptual.delta_e == pytest.approx(seen.mean(), rel=1e-5)
    assert compression.closeness.word != "looks the same"


@pytest.mark.parametrize("name", [*SOFT_IMAGES, "banded shadow"])
@pytest.mark.parametrize("dither", ["none", "floyd-steinberg"])
def test_delta_e_is_that_of_the_file_as_seen(name, dither):
    original = {**SOFT_IMAGES, "banded shadow": banded_shadow_logo}[name]()
    compression = compress(png_of(original), 8, kmeans.Settings(dither=dither))
    back = read_rgba(compression.png)
    seen = seen_delta_e(original, back)[drawn_by_either(original, back)]
    assert compression.perceptual.delta_e == pytest.approx(seen.mean(), rel=1e-5)
    p99 = np.percentile(seen, 99, method="inverted_cdf")
    assert compression.perceptual.delta_e_p99 == pytest.approx(p99, rel=1e-5)


@pytest.mark.parametrize("name", SOFT_IMAGES)
def test_fully_transparent_pixels_share_one_entry(name):
    original = SOFT_IMAGES[name]()
    K = 8
    data = compress(png_of(original), K).png
    chunks = png_chunks(data)
    with Image.open(io.BytesIO(data)) as written:
        indices = np.asarray(written)
    entries = len(chunks[b"PLTE"]) // 3
    assert entries <= K + 1
    alphas = np.frombuffer(chunks[b"tRNS"], dtype=np.uint8)
    hidden = original[:, :, 3] == 0
    assert len(np.unique(indices[hidden])) == 1
    transparent_entry = indices[hidden][0]
    assert alphas[transparent_entry] == 0
    # No other entry is fully transparent, and no visible pixel uses that one.
    assert np.count_nonzero(alphas == 0) == 1
    assert not (indices[~hidden] == transparent_entry).any()


def test_alpha_levels_beyond_k_are_shared_sensibly():
    """With fewer colours than alpha levels, alphas are still levels, not just 0 and 255."""
    back = read_rgba(compress(png_of(alpha_ramp()), 4).png)
    assert len(np.unique(back[:, :, 3])) >= 4
    assert alpha_mse(alpha_ramp(), back) < alpha_mse(alpha_ramp(), one_bit(alpha_ramp())) / 5


@pytest.mark.skipif(shutil.which("pngquant") is None, reason="needs the pngquant command")
@pytest.mark.parametrize("name", SOFT_IMAGES)
@pytest.mark.parametrize("K", [4, 16])
def test_error_is_no_worse_than_pngquant(name, K):
    original = SOFT_IMAGES[name]()
    theirs = subprocess.run(
        ["pngquant", "--nofs", "--speed", "1", str(K), "-"],
        input=png_of(original),
        capture_output=True,
        check=True,
    ).stdout
    ours = compress(png_of(original), K).png
    assert len(png_chunks(theirs)[b"PLTE"]) // 3 <= K  # the same budget of colours
    assert premultiplied_mse(original, read_rgba(ours)) <= 1.05 * premultiplied_mse(
        original, read_rgba(theirs)
    )


def test_ssim_is_taken_on_premultiplied_rgba():
    original = drop_shadow_logo()
    compression = compress(png_of(original), 6)
    back = read_rgba(compression.png)

    def premultiplied_bytes(rgba):
        return np.rint(premultiplied(rgba)).astype(np.uint8)

    expected = structural_similarity(
        premultiplied_bytes(original), premultiplied_bytes(back), channel_axis=-1, data_range=255
    )
    assert compression.ssim == pytest.approx(expected, abs=1e-6)


def test_teaching_sizes_count_32_bits_for_rgba():
    original = drop_shadow_logo()
    compression = compress(png_of(original), 16)
    n = original.shape[0] * original.shape[1]
    # 17 entries (16 colours and the transparent one) need 5-bit indices, each entry 32 bits.
    assert compression.teaching_bits == (5 * n + 32 * 17, 32 * n)


# Opaque and 1-bit images are as before ---------------------------------------------------------


def test_opaque_rgba_is_the_rgb_path():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, dtype=np.uint8)])
    from_rgb, from_rgba = quantize(rgb, 12), quantize(rgba, 12)
    for result in (from_rgb, from_rgba):
        assert result.palette_alpha is None and result.image_alpha is None
        assert result.colour_counts.colours.shape[1] == 3
    np.testing.assert_array_equal(from_rgb.palette, from_rgba.palette)
    np.testing.assert_array_equal(from_rgb.labels, from_rgba.labels)
    rgb_png, rgba_png = compress(png_of(rgba), 12), compress(png_of(rgba[:, :, :3].copy()), 12)
    assert rgb_png.png == rgba_png.png
    chunks = png_chunks(rgb_png.png)
    assert b"tRNS" not in chunks and len(chunks[b"PLTE"]) == 3 * 12
    assert rgb_png.teaching_bits == (4 * 2000 + 24 * 12, 24 * 2000)


def test_one_bit_alpha_clusters_the_opaque_rgb_as_before():
    """Alpha only 0 or 255: the opaque pixels' RGB is clustered, as an opaque image's would be."""
    rng = np.random.default_rng(4)
    rgba = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    shown = rng.random((30, 40)) < 0.7
    rgba[:, :, 3] = np.where(shown, 255, 0)
    result = quantize(kmeans.load_image(png_of(rgba)), 8)
    alone = quantize(rgba[:, :, :3][shown][None], 8)  # the opaque pixels as a 1-row image
    assert result.palette_alpha is None
    np.testing.assert_array_equal(result.palette, alone.palette)
    np.testing.assert_array_equal(result.labels[shown], alone.labels[0])
    back = read_rgba(compress(png_of(rgba), 8).png)
    np.testing.assert_array_equal(back[:, :, 3], rgba[:, :, 3])
    np.testing.assert_array_equal(result.image_alpha, rgba[:, :, 3])


# K and the counting ----------------------------------------------------------------------------


def test_k_256_with_soft_transparency_is_lowered_to_255():
    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (48, 48, 4), dtype=np.uint8)
    rgba[:8, :, 3] = 0
    result = quantize(rgba, 256)
    assert (result.k, result.k_requested) == (255, 256)
    assert any("255" in notice for notice in result.notices)
    data = compress(png_of(rgba), 256).png
    assert len(png_chunks(data)[b"PLTE"]) // 3 == 256
    assert len(png_chunks(data)[b"tRNS"]) == 256


def test_soft_alpha_without_fully_transparent_pixels_keeps_k_256():
    rng = np.random.default_rng(6)
    rgba = rng.integers(0, 256, (48, 48, 4), dtype=np.uint8)
    rgba[:, :, 3] = np.maximum(rgba[:, :, 3], 1)
    result = quantize(rgba, 256)
    assert result.k == 256 and not result.notices
    assert result.palette_alpha.shape == (256,) and result.palette_alpha.min() >= 1


def test_few_rgba_values_are_kept_exactly():
    values = np.array(
        [[0, 0, 0, 40], [0, 0, 0, 120], [200, 30, 30, 255], [200, 30, 30, 90], [9, 9, 9, 0]],
        dtype=np.uint8,
    )
    rgba = values[np.random.default_rng(7).integers(0, 5, (20, 30))]
    result = quantize(rgba, 8)
    assert result.k == 4  # the fully transparent value is not a colour
    back = read_rgba(compress(png_of(rgba), 8).png)
    visible = rgba[:, :, 3] > 0
    np.testing.assert_array_equal(back[visible], rgba[visible])
    assert (back[~visible][:, 3] == 0).all()


def test_rgba_colours_are_counted_as_numpy_does():
    logo = anti_aliased_circle()
    counted = count_colours(logo)
    visible = logo.reshape(-1, 4)[logo.reshape(-1, 4)[:, 3] > 0]
    expected, inverse, counts = np.unique(visible, axis=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(counted.colours, expected)
    np.testing.assert_array_equal(counted.counts, counts)
    np.testing.assert_array_equal(counted.inverse, inverse.ravel())
    assert counted.soft_alpha and counted.has_transparency


def test_distinct_rgba_values_equal_numpy_unique():
    rng = np.random.default_rng(8)
    X = rng.integers(0, 256, (50_000, 4), dtype=np.uint8)
    X[:25_000] = X[:25_000] // 64 * 64  # many repeats, and values differing in alpha alone
    expected, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    colours, got_counts, got_inverse = distinct_colours(X)
    np.testing.assert_array_equal(colours, expected)
    np.testing.assert_array_equal(got_counts, counts)
    np.testing.assert_array_equal(got_inverse, inverse.ravel())


# GIF -------------------------------------------------------------------------------------------


def test_gif_thresholds_the_palette_alpha_at_128():
    logo = drop_shadow_logo()
    result = quantize(logo, 16)
    data = encode_gif(
        result.palette, result.labels, result.alpha, palette_alpha=result.palette_alpha
    )
    back = read_rgba(data)
    drawn = result.image_alpha
    np.testing.assert_array_equal(back[:, :, 3], np.where(drawn >= 128, 255, 0))
    opaque = drawn >= 128
    np.testing.assert_array_equal(back[opaque][:, :3], result.image[opaque])


def test_png_without_pixel_alpha_writes_the_palette_alphas():
    palette = np.array([[255, 0, 0], [0, 0, 255], [0, 0, 0]], dtype=np.uint8)
    labels = np.array([[0, 1, 2, 2]])
    data = encode_png(palette, labels, palette_alpha=np.array([255, 128, 7]))
    assert png_chunks(data)[b"tRNS"] == bytes([255, 128, 7])
    np.testing.assert_array_equal(
        read_rgba(data)[0], [[255, 0, 0, 255], [0, 0, 255, 128], [0, 0, 0, 7], [0, 0, 0, 7]]
    )


def test_the_command_line_reports_the_alpha_it_wrote(tmp_path, capsys):
    import json

    from kmeans.cli import main

    logo = drop_shadow_logo()
    source = tmp_path / "logo.png"
    source.write_bytes(png_of(logo))
    assert main([str(source), "-k", "16", "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[0])
    written = read_rgba((tmp_path / "logo-k16.png").read_bytes())
    assert report["alpha_mse"] == pytest.approx(alpha_mse(logo, written), rel=1e-9)
    assert report["alpha_mse"] < 20  # the shadow's levels are kept, not cut to on or off

"""load_image: every format and colour mode becomes upright 8-bit RGB, and bad files are refused.

The images are built here with Pillow (or by hand, byte by byte), so each test knows the pixels
it expects without asking the code under test.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import warnings

import numpy as np
import pillow_heif
import pytest
from PIL import ExifTags, Image

from kmeans.errors import BadImageError
from kmeans.io import MAX_PIXELS, LoadedImage, load_image, load_image_reduced
from tests.helpers import (
    BLOCK_INDICES,
    BLOCK_PALETTE,
    ROOT,
    SAMPLES,
    UPRIGHT,
    assert_one_plain_sentence,
    heic,
    heic_box,
    palette_image,
    png_header_only,
    sample_rgb,
    saved_as,
)


def refusal(source, **kwargs) -> str:
    with pytest.raises(BadImageError) as caught:
        load_image(source, **kwargs)
    message = str(caught.value)
    assert_one_plain_sentence(message)
    return message


# Formats ---------------------------------------------------------------------------------------

LOSSLESS = {
    "PNG": {},
    "GIF": {},
    "BMP": {},
    "TIFF": {},
    "WEBP": {"lossless": True},
}
LOSSY = {
    "JPEG": {"quality": 95},
    "AVIF": {"quality": 90},
    "WEBP": {"quality": 95},
}


@pytest.mark.parametrize(("image_format", "options"), LOSSLESS.items())
def test_lossless_formats_round_trip_exactly(image_format, options):
    data = saved_as(palette_image(BLOCK_INDICES, BLOCK_PALETTE), image_format, **options)
    image = load_image(data)
    assert image.format == image_format
    assert image.n_bytes == len(data)
    assert image.rgb.dtype == np.uint8 and image.rgb.flags.c_contiguous
    np.testing.assert_array_equal(image.rgb, BLOCK_PALETTE[BLOCK_INDICES])
    assert image.alpha is None


@pytest.mark.parametrize(("image_format", "options"), LOSSY.items())
def test_lossy_formats_round_trip_closely(image_format, options):
    rgb = Image.fromarray(BLOCK_PALETTE[BLOCK_INDICES])
    image = load_image(saved_as(rgb, image_format, **options))
    assert image.format == image_format
    assert image.rgb.shape == (32, 64, 3)
    error = np.abs(image.rgb.astype(int) - BLOCK_PALETTE[BLOCK_INDICES])
    assert error.mean() < 5


def test_sample_photo_loads_from_a_path_like_pillow_reads_it():
    path = SAMPLES / "astronaut.png"
    image = load_image(path)
    expected = sample_rgb("astronaut.png")
    # Its ICC profile is sRGB, so colour management must leave every value as stored.
    np.testing.assert_array_equal(image.rgb, expected)
    assert (image.width, image.height, image.n_pixels) == (512, 512, 512 * 512)
    assert image.n_bytes == path.stat().st_size


def test_path_given_as_str(tmp_path):
    path = tmp_path / "blocks.png"
    path.write_bytes(saved_as(palette_image(BLOCK_INDICES, BLOCK_PALETTE), "PNG"))
    np.testing.assert_array_equal(load_image(str(path)).rgb, BLOCK_PALETTE[BLOCK_INDICES])


def test_arrays_are_read_only():
    image = load_image(saved_as(Image.new("RGBA", (3, 2), (1, 2, 3, 4)), "PNG"))
    assert not image.rgb.flags.writeable
    assert not image.alpha.flags.writeable


# Colour modes ----------------------------------------------------------------------------------


def test_black_and_white_mode_1():
    bits = np.array([[True, False, True], [False, False, True]])
    image = load_image(saved_as(Image.fromarray(bits), "PNG"))
    np.testing.assert_array_equal(image.rgb, np.repeat(bits[:, :, None] * 255, 3, axis=2))


def test_grey_mode_l():
    grey = np.arange(0, 240, 10, dtype=np.uint8).reshape(4, 6)
    image = load_image(saved_as(Image.fromarray(grey), "PNG"))
    np.testing.assert_array_equal(image.rgb, np.stack([grey] * 3, axis=2))
    assert image.alpha is None


def test_grey_with_alpha_mode_la():
    grey = np.full((2, 3), 90, dtype=np.uint8)
    alpha = np.array([[0, 127, 128], [200, 254, 255]], dtype=np.uint8)
    image = load_image(saved_as(Image.fromarray(np.stack([grey, alpha], axis=2), "LA"), "PNG"))
    np.testing.assert_array_equal(image.rgb, np.full((2, 3, 3), 90))
    np.testing.assert_array_equal(image.alpha, alpha)


def test_palette_mode_p():
    image = load_image(saved_as(palette_image(BLOCK_INDICES, BLOCK_PALETTE), "PNG"))
    np.testing.assert_array_equal(image.rgb, BLOCK_PALETTE[BLOCK_INDICES])


@pytest.mark.parametrize("image_format", ["PNG", "GIF"])
def test_palette_with_a_transparent_index(image_format):
    source = palette_image(BLOCK_INDICES, BLOCK_PALETTE)
    image = load_image(saved_as(source, image_format, transparency=2))
    transparent = BLOCK_INDICES == 2
    np.testing.assert_array_equal(image.alpha, np.where(transparent, 0, 255))
    np.testing.assert_array_equal(
        image.rgb[~transparent], BLOCK_PALETTE[BLOCK_INDICES][~transparent]
    )


def test_rgb_mode():
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    image = load_image(saved_as(Image.fromarray(rgb), "PNG"))
    np.testing.assert_array_equal(image.rgb, rgb)


def test_rgba_mode_keeps_alpha():
    rgba = np.random.default_rng(1).integers(0, 256, (5, 7, 4), dtype=np.uint8)
    image = load_image(saved_as(Image.fromarray(rgba), "PNG"))
    np.testing.assert_array_equal(image.rgb, rgba[:, :, :3])
    np.testing.assert_array_equal(image.alpha, rgba[:, :, 3])


def test_fully_opaque_alpha_gives_none():
    image = load_image(saved_as(Image.new("RGBA", (4, 4), (10, 20, 30, 255)), "PNG"))
    assert image.alpha is None
    np.testing.assert_array_equal(image.rgb, np.full((4, 4, 3), [10, 20, 30]))


def test_one_slightly_transparent_pixel_keeps_alpha():
    rgba = np.full((3, 3, 4), 255, dtype=np.uint8)
    rgba[1, 2, 3] = 254
    image = load_image(saved_as(Image.fromarray(rgba), "PNG"))
    assert image.alpha is not None and image.alpha[1, 2] == 254


def test_cmyk_jpeg():
    # Ink to colour by hand: no ink is white, full cyan removes red, full black is black.
    inks = {(0, 0, 0, 0): (255, 255, 255), (255, 0, 0, 0): (0, 255, 255), (0, 0, 0, 255): (0, 0, 0)}
    cmyk = np.zeros((16, 48, 4), dtype=np.uint8)
    expected = np.zeros((16, 48, 3), dtype=int)
    for block, (ink, colour) in enumerate(inks.items()):
        cmyk[:, 16 * block : 16 * (block + 1)] = ink
        expected[:, 16 * block : 16 * (block + 1)] = colour
    data = saved_as(Image.fromarray(cmyk, "CMYK"), "JPEG", quality=95)
    image = load_image(data)
    assert image.format == "JPEG"
    assert np.abs(image.rgb.astype(int) - expected).mean() < 5


def test_sixteen_bit_png_is_scaled_not_clipped():
    samples = np.array([[0, 255, 256, 32768, 65535]], dtype=np.uint16)
    source = Image.fromarray(samples)
    assert source.mode == "I;16"
    image = load_image(saved_as(source, "PNG"))
    np.testing.assert_array_equal(image.rgb[:, :, 0], [[0, 1, 1, 128, 255]])
    np.testing.assert_array_equal(image.rgb[:, :, 1], image.rgb[:, :, 2])


def test_sixteen_bit_gradient_keeps_its_order():
    gradient = np.linspace(0, 65535, 1000).astype(np.uint16).reshape(1, -1)
    grey = load_image(saved_as(Image.fromarray(gradient), "PNG")).rgb[0, :, 0]
    assert np.all(np.diff(grey.astype(int)) >= 0)
    assert grey[0] == 0 and grey[-1] == 255
    assert len(np.unique(grey)) == 256  # clipping would have left a few values and many 255s


def test_32_bit_integer_mode_i_with_16_bit_values_is_scaled():
    samples = np.array([[0, 32768, 65535]], dtype=np.int32)
    source = Image.fromarray(samples)
    assert source.mode == "I"
    image = load_image(saved_as(source, "TIFF"))
    np.testing.assert_array_equal(image.rgb[0, :, 0], [0, 128, 255])


def test_32_bit_integer_mode_i_with_8_bit_values_is_kept():
    samples = np.array([[0, 17, 255]], dtype=np.int32)
    image = load_image(saved_as(Image.fromarray(samples), "TIFF"))
    np.testing.assert_array_equal(image.rgb[0, :, 0], [0, 17, 255])


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        ([0.0, 0.25, 1.0], [0, 64, 255]),  # 0..1 is scaled to 0..255
        ([-5.0, 100.0, 300.0], [0, 100, 255]),  # anything else is clipped to 0..255
    ],
)
def test_floating_point_mode_f(samples, expected):
    source = Image.fromarray(np.array([samples], dtype=np.float32))
    assert source.mode == "F"
    image = load_image(saved_as(source, "TIFF"))
    np.testing.assert_array_equal(image.rgb[0, :, 0], expected)


def test_broken_icc_profile_is_ignored():
    rgb = np.full((4, 4, 3), [10, 120, 250], dtype=np.uint8)
    data = saved_as(Image.fromarray(rgb), "PNG", icc_profile=b"not a colour profile")
    np.testing.assert_array_equal(load_image(data).rgb, rgb)


# EXIF orientation ------------------------------------------------------------------------------


def corner_blocks(height: int, width: int) -> np.ndarray:
    """White, with a red block in one corner and a blue one in the opposite: every turn and
    flip is visible."""
    stored = np.full((height, width, 3), 255, dtype=np.uint8)
    stored[: height // 2, : width // 4] = [255, 0, 0]
    stored[height // 2 :, 3 * width // 4 :] = [0, 0, 255]
    return stored


def turned_jpeg(stored: np.ndarray, orientation: int) -> bytes:
    """A JPEG of the stored pixels whose EXIF says how to turn them upright."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return saved_as(Image.fromarray(stored), "JPEG", quality=95, exif=exif)


@pytest.mark.parametrize("orientation", UPRIGHT)
def test_exif_orientation_is_applied(orientation):
    stored = corner_blocks(32, 64)
    image = load_image(turned_jpeg(stored, orientation))
    expected = UPRIGHT[orientation](stored)
    assert image.rgb.shape == expected.shape
    assert np.abs(image.rgb.astype(int) - expected).mean() < 5


# HEIC (iPhone photos) -------------------------------------------------------------------------


def test_heic_photo_loads_close_to_its_source():
    rgb = sample_rgb("coffee.png")
    data = heic(rgb, quality=90)
    image = load_image(data)
    assert image.format == "HEIF"
    assert image.rgb.shape == rgb.shape
    assert image.alpha is None
    assert np.abs(image.rgb.astype(int) - rgb).mean() < 3


@pytest.mark.parametrize("orientation", UPRIGHT)
def test_heic_is_turned_upright_once(orientation):
    stored = np.full((32, 64, 3), 255, dtype=np.uint8)
    stored[:16, :16] = [255, 0, 0]
    stored[16:, 48:] = [0, 0, 255]
    data = heic(stored, orientation=orientation, quality=95)
    # The file carries both the container's turn and the EXIF tag, as an iPhone's does.
    assert (b"irot" in data or b"imir" in data) == (orientation != 1)
    with Image.open(io.BytesIO(data)) as opened:
        exif_orientation = opened.info.get("original_orientation") or 1
    assert exif_orientation == orientation
    expected = UPRIGHT[orientation](stored)
    image = load_image(data)
    assert image.rgb.shape == expected.shape
    assert np.abs(image.rgb.astype(int) - expected).mean() < 5


def test_heic_with_alpha_keeps_alpha():
    rgba = np.zeros((16, 32, 4), dtype=np.uint8)
    rgba[:, :, :3] = [200, 40, 90]
    rgba[:, :, 3] = np.arange(32, dtype=np.uint8) * 8  # a ramp from transparent to almost opaque
    image = load_image(heic(rgba, quality=100))
    assert image.alpha is not None
    assert np.abs(image.alpha.astype(int) - rgba[:, :, 3]).mean() < 3
    seen = rgba[:, :, 3] > 64
    assert np.abs(image.rgb[seen].astype(int) - [200, 40, 90]).mean() < 5


def test_ten_bit_heic_is_scaled_to_eight_bits():
    grey = np.linspace(0, 65535, 64).astype(np.uint16)
    samples = np.repeat(np.tile(grey, (16, 1))[:, :, None], 3, axis=2)
    data = heic(samples, mode="RGB;16", quality=100)
    stored = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=False)
    assert stored.info["bit_depth"] == 10
    image = load_image(data)
    expected = np.repeat(np.tile(np.round(grey / 257), (16, 1))[:, :, None], 3, axis=2)
    assert np.abs(image.rgb.astype(int) - expected).mean() < 3


WITHOUT_PILLOW_HEIF = """
import sys
sys.modules["pillow_heif"] = None  # as if it were not installed: importing it fails
from kmeans import KMeansError, load_image
try:
    load_image(sys.stdin.buffer.read())
except KMeansError as error:
    print(error)
"""


def test_heic_is_refused_in_one_sentence_without_pillow_heif():
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_PILLOW_HEIF],
        input=heic(np.zeros((8, 8, 3), dtype=np.uint8)),
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    message = run.stdout.decode().strip()
    assert_one_plain_sentence(message)
    assert "not an image this tool can read" in message and "HEIC" in message


@pytest.mark.parametrize("kept", [0.10, 0.50, 0.90])
def test_truncated_heic_is_refused(kept):
    data = heic(sample_rgb("chelsea.png"))
    assert "damaged or incomplete" in refusal(data[: int(len(data) * kept)])


def test_heic_header_declaring_huge_size_is_refused_before_decoding():
    data = bytearray(heic(np.zeros((64, 64, 3), dtype=np.uint8)))
    extent = heic_box(bytes(data), b"ispe") + 4  # width and height follow version and flags
    data[extent : extent + 8] = struct.pack(">II", 100_000, 100_000)
    start = time.perf_counter()
    message = refusal(bytes(data))
    assert time.perf_counter() - start < 1.0
    assert message.startswith("This image is 100,000 × 100,000 pixels")


# Animation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "options"),
    [("GIF", {}), ("PNG", {}), ("WEBP", {"lossless": True})],
)
def test_animation_gives_its_first_frame(image_format, options):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (8, 6), colour) for colour in colours]
    data = saved_as(frames[0], image_format, save_all=True, append_images=frames[1:], **options)
    with Image.open(io.BytesIO(data)) as reference:
        assert getattr(reference, "n_frames", 1) == 3
    np.testing.assert_array_equal(load_image(data).rgb, np.full((6, 8, 3), colours[0]))


# Refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "options"),
    [("PNG", {}), ("JPEG", {"quality": 90}), ("WEBP", {}), ("GIF", {}), ("TIFF", {})],
)
@pytest.mark.parametrize("kept", [0.10, 0.50, 0.99])
def test_truncated_file_is_refused(image_format, options, kept):
    with Image.open(SAMPLES / "coffee.png") as photo:
        data = saved_as(photo.convert("RGB"), image_format, **options)
    message = refusal(data[: int(len(data) * kept)])
    assert "damaged or incomplete" in message


@pytest.mark.parametrize(
    "data",
    [
        b"Just some words in a text file.\n",
        b"<!DOCTYPE html><html><body><p>Not an image</p></body></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" '
        b'height="10" fill="red"/></svg>',
        bytes(range(256)),
    ],
    ids=["text", "html", "svg", "binary"],
)
def test_non_image_is_refused(data):
    assert "not an image this tool can read" in refusal(data)


@pytest.mark.parametrize("image_format", ["ICO", "PPM", "TGA", "PCX"])
def test_images_in_other_formats_are_not_parsed(image_format):
    # Pillow reads all of these; the loader must not even try.
    assert "not an image this tool can read" in refusal(
        saved_as(Image.new("RGB", (8, 8)), image_format)
    )


def test_empty_bytes_are_refused():
    assert refusal(b"") == "This file is empty."


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    assert refusal(path) == "This file is empty."


def test_missing_file_is_refused(tmp_path):
    assert refusal(tmp_path / "nowhere.png") == f"No such file: {tmp_path / 'nowhere.png'}."


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (7_000, 7_000)])
def test_huge_header_is_refused_before_decoding(width, height):
    data = png_header_only(width, height)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor may Pillow's own decompression-bomb check fire
        message = refusal(data)
    assert time.perf_counter() - start < 1.0
    assert message == (
        f"This image is {width:,} × {height:,} pixels; the limit is 40,000,000 pixels "
        "(about 40 megapixels)."
    )


def test_pixel_limit_can_be_lowered():
    data = saved_as(Image.new("RGB", (10, 10)), "PNG")
    assert "the limit is 99 pixels" in refusal(data, max_pixels=99)
    assert load_image(data, max_pixels=100).n_pixels == 100


def test_limit_is_forty_megapixels():
    assert MAX_PIXELS == 40_000_000


def test_loaded_image_reports_its_size():
    image = LoadedImage(np.zeros((2, 5, 3), dtype=np.uint8), None, "PNG", 10)
    assert (image.width, image.height, image.n_pixels) == (5, 2, 10)


# A reduced copy to show first --------------------------------------------------------------------


def box_scaled(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX)).astype(int)


@pytest.mark.parametrize("orientation", UPRIGHT)
def test_a_reduced_jpeg_is_upright_and_names_the_full_size(orientation):
    data = turned_jpeg(corner_blocks(1200, 1600), orientation)
    full = load_image(data)
    reduced = load_image_reduced(data, 300)

    assert (reduced.full_width, reduced.full_height) == (full.width, full.height)
    small = reduced.image
    assert small.width == full.width // 4 and small.height == full.height // 4  # decoded at 1/4
    expected = box_scaled(full.rgb, (small.width, small.height))
    assert np.abs(small.rgb.astype(int) - expected).mean() < 3


def test_a_jpeg_is_never_decoded_narrower_than_asked():
    data = saved_as(Image.fromarray(sample_rgb("coffee.png")), "JPEG", quality=90)  # 600 wide
    for min_width, width in ((300, 300), (301, 600), (75, 75), (74, 75), (600, 600)):
        reduced = load_image_reduced(data, min_width)
        assert reduced.image.width == width and reduced.full_width == 600


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_other_formats_are_decoded_exactly_as_load_image_does(image_format):
    rgba = np.dstack([sample_rgb("astronaut.png"), np.full((512, 512), 255, np.uint8)])
    rgba[10, 20, 3] = 254  # one barely see-through pixel: the alpha must stay
    data = saved_as(Image.fromarray(rgba, "RGBA"), image_format, lossless=True)
    reduced, full = load_image_reduced(data, 100), load_image(data)
    np.testing.assert_array_equal(reduced.image.rgb, full.rgb)
    np.testing.assert_array_equal(reduced.image.alpha, full.alpha)
    assert (reduced.full_width, reduced.full_height) == (512, 512)
    assert reduced.image.format == image_format


def test_a_reduced_load_refuses_what_load_image_refuses():
    with Image.open(SAMPLES / "coffee.png") as photo:
        data = saved_as(photo.convert("RGB"), "JPEG", quality=90)
    for bad in (data[: len(data) // 2], b"Just some words.\n", png_header_only(9000, 9000)):
        with pytest.raises(BadImageError) as reduced:
            load_image_reduced(bad, 100)
        assert str(reduced.value) == refusal(bad)

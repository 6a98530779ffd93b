"""A corpus of hostile and unusual image files, built in memory (issue 4, section 1).

Each :class:`Case` is a file's bytes, the suffix it would have on disk, and what a correct
reader must do with it: either show the picture described by an :class:`Expected`, worked out
from how the file was built and never by asking ``kmeans``, or refuse the file with one sentence
that contains ``reason``. The tests of the library, the command line and the page all use it::

    from tests.corpus import build_corpus, write_corpus

    for case in build_corpus():
        ...
    paths = write_corpus(tmp_path)  # one file per case, named case.file_name

Two decisions the corpus records:

* A PNG whose IDAT chunk has a wrong CRC but intact data is read, not refused: Pillow does not
  check the CRC of image data, but zlib's Adler-32 checksum covers the same pixels, so the
  picture shown is exactly the one stored. Flipping a byte of the data itself is refused.
* An animated GIF whose second frame is broken is read: only the first frame is ever shown.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms

from tests.helpers import (
    BLOCK_INDICES,
    BLOCK_PALETTE,
    UPRIGHT,
    assert_one_plain_sentence,
    heic,
    heic_box,
    palette_image,
    png_header_only,
    saved_as,
)

# Refusals, by the words the loader's one sentence must contain.
EMPTY = "This file is empty."
NOT_AN_IMAGE = "not an image this tool can read"
DAMAGED = "damaged or incomplete"
TOO_MANY_PIXELS = "far too many pixels"

#: The K that reconstructs every lossless case exactly: the most distinct colours of any case.
LOSSLESS_K = 16


@dataclass(frozen=True)
class Expected:
    """The picture a correct reader shows.

    Attributes
    ----------
    rgb : (H, W, 3) uint8, upright. Colours under fully transparent pixels are not compared.
    alpha : (H, W) uint8, or None when every pixel is opaque.
    tolerance : the mean absolute difference per sample allowed against ``rgb``; 0 (exact) for
        lossless files.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None = None
    tolerance: float = 0.0

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), as Pillow reports an image's size."""
        return self.rgb.shape[1], self.rgb.shape[0]

    @property
    def opaque(self) -> np.ndarray:
        """(H, W) bool: the pixels an indexed PNG draws (alpha ≥ 128); the rest are transparent."""
        if self.alpha is None:
            return np.ones(self.rgb.shape[:2], dtype=bool)
        return self.alpha >= 128

    @property
    def n_colours(self) -> int:
        """Distinct colours among the opaque pixels."""
        return len(np.unique(self.rgb[self.opaque], axis=0))


@dataclass(frozen=True)
class Case:
    """One input file and what must become of it."""

    name: str
    data: bytes
    suffix: str
    expect: Literal["ok", "error"]
    check: Expected | None = None  # for "ok"
    reason: str = ""  # for "error": words the one-sentence refusal contains

    @property
    def file_name(self) -> str:
        return self.name + self.suffix


def build_corpus() -> list[Case]:
    """Every case, in a fixed order; names are unique and safe as file names."""
    return list(_corpus())


def write_corpus(folder: Path, cases: Iterable[Case] | None = None) -> list[Path]:
    """Write each case (default: all) into ``folder`` as ``case.file_name``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in build_corpus() if cases is None else cases:
        path = folder / case.file_name
        path.write_bytes(case.data)
        paths.append(path)
    return paths


@functools.cache
def _corpus() -> tuple[Case, ...]:
    return (*_broken_files(), *_size_extremes(), *_unusual_encodings(), *_degenerate_content())


def _ok(
    name: str,
    data: bytes,
    suffix: str,
    rgb: np.ndarray,
    alpha: np.ndarray | None = None,
    tolerance: float = 0.0,
) -> Case:
    alpha = None if alpha is None else _frozen(alpha)
    return Case(name, data, suffix, "ok", check=Expected(_frozen(rgb), alpha, tolerance))


def _frozen(samples: np.ndarray) -> np.ndarray:
    """An 8-bit read-only copy: the corpus is built once and shared by every test."""
    samples = np.array(samples, dtype=np.uint8)
    samples.flags.writeable = False
    return samples


def _refused(name: str, data: bytes, suffix: str, reason: str) -> Case:
    return Case(name, data, suffix, "error", reason=reason)


def _blocks() -> Image.Image:
    """Eight flat 16×16 blocks (test_io's), as a palette image: lossless formats keep it exactly."""
    return palette_image(BLOCK_INDICES, BLOCK_PALETTE)


BLOCKS_RGB = BLOCK_PALETTE[BLOCK_INDICES]


def _noisy_photo() -> np.ndarray:
    """A gradient with noise: many colours, so its files are long and every byte matters."""
    rng = np.random.default_rng(4)
    y, x = np.mgrid[0:96, 0:128]
    rgb = np.stack([x * 2, y * 2.5, (x + y) * 1.1], axis=-1) + rng.normal(0, 20, (96, 128, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, offset of the chunk, length of its body) of each chunk of a PNG."""
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        yield data[offset + 4 : offset + 8], offset, length
        offset += 12 + length


def _png_sixteen_bit(samples: np.ndarray, colour_type: int, *chunks: bytes) -> bytes:
    """A PNG with 16-bit samples, by hand (Pillow writes 16 bits only for one grey channel)."""
    height, width = samples.shape[:2]
    rows = samples.astype(">u2").reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + b"".join(chunks)
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def _gif_frames(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each image block (descriptor to block terminator) of a GIF."""
    flags = data[10]
    offset = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    frames = []
    while data[offset] != 0x3B:
        start = offset
        if data[offset] == 0x21:  # extension: label, then sub-blocks
            offset += 2
        else:  # image: descriptor, optional local palette, LZW code size, then sub-blocks
            local = data[offset + 9]
            offset += 11 + (3 * (2 << (local & 7)) if local & 0x80 else 0)
        while data[offset]:
            offset += data[offset] + 1
        offset += 1
        if data[start] == 0x2C:
            frames.append((start, offset))
    return frames


def _gif_header(width: int, height: int) -> bytes:
    """A GIF's signature, screen of width × height and a two-colour palette."""
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00" * 3 + b"\xff" * 3


def _gif_image(width: int, height: int) -> bytes:
    """An image block of width × height whose LZW data hold a single pixel, then the trailer."""
    return b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x4c\x01\x00;"


# Broken files ----------------------------------------------------------------------------------


def _broken_files() -> Iterator[Case]:
    yield _refused("empty", b"", ".png", EMPTY)
    yield _refused("text-named-png", b"Holiday photos, see attachment.\n" * 4, ".png", NOT_AN_IMAGE)
    yield _refused(
        "page",
        b"<!DOCTYPE html><html><head><title>x</title></head><body><img src=a.png></body></html>",
        ".html",
        NOT_AN_IMAGE,
    )
    yield _refused(
        "drawing",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="32">'
        b'<rect width="64" height="32" fill="red"/></svg>',
        ".svg",
        NOT_AN_IMAGE,
    )

    # A TIFF header whose first directory promises one entry and ends: Pillow warns, then fails.
    yield _refused("tiff-cut-in-header", b"II*\x00\x08\x00\x00\x00\x01\x00", ".tif", DAMAGED)

    photo = Image.fromarray(_noisy_photo())
    for image_format, suffix, options in [("JPEG", ".jpg", {"quality": 90}), ("PNG", ".png", {})]:
        whole = saved_as(photo, image_format, **options)
        for percent in (10, 50, 99):
            cut = whole[: len(whole) * percent // 100]
            yield _refused(f"{suffix[1:]}-cut-at-{percent}pct", cut, suffix, DAMAGED)

    png = saved_as(_blocks().convert("RGB"), "PNG")
    chunks = {kind: (offset, length) for kind, offset, length in _png_chunks(png)}
    idat, idat_length = chunks[b"IDAT"]
    bad_crc = bytearray(png)
    bad_crc[idat + 8 + idat_length] ^= 0xFF
    yield _ok("png-idat-wrong-crc", bytes(bad_crc), ".png", BLOCKS_RGB)
    bad_data = bytearray(png)
    bad_data[idat + 8 + idat_length // 2] ^= 0x10
    yield _refused("png-idat-corrupt-data", bytes(bad_data), ".png", DAMAGED)
    ihdr, ihdr_length = chunks[b"IHDR"]
    bad_header = bytearray(png)
    bad_header[ihdr + 8 + ihdr_length] ^= 0xFF
    yield _refused("png-ihdr-wrong-crc", bytes(bad_header), ".png", DAMAGED)

    frames = [_blocks(), Image.new("RGB", (64, 32), (0, 255, 0)), Image.new("RGB", (64, 32))]
    gif = saved_as(frames[0], "GIF", save_all=True, append_images=frames[1:])
    (first_start, first_end), (second_start, second_end), _ = _gif_frames(gif)
    yield _refused(
        "gif-first-frame-garbled", _garbled(gif, first_start + 12, first_end - 1), ".gif", DAMAGED
    )
    yield _ok(
        "gif-second-frame-garbled",
        _garbled(gif, second_start + 12, second_end - 1),
        ".gif",
        BLOCKS_RGB,
    )
    yield _ok(
        "gif-cut-in-second-frame", gif[: (second_start + second_end) // 2], ".gif", BLOCKS_RGB
    )

    whole = heic(_noisy_photo())
    yield _refused("heic-cut-at-50pct", whole[: len(whole) // 2], ".heic", DAMAGED)


def _garbled(data: bytes, start: int, end: int) -> bytes:
    """``data`` with bytes start..end (LZW codes and sub-block lengths alike) set to 0xFF."""
    return data[:start] + b"\xff" * (end - start) + data[end:]


# Size extremes ---------------------------------------------------------------------------------


def _size_extremes() -> Iterator[Case]:
    yield _refused(
        "png-bomb-100000x100000",
        png_header_only(100_000, 100_000),
        ".png",
        "This image is 100,000 × 100,000 pixels",
    )
    yield _refused(
        "gif-bomb-65535x65535",
        _gif_header(65_535, 65_535) + _gif_image(65_535, 65_535),
        ".gif",
        "This image is 65,535 × 65,535 pixels",
    )
    # A small screen with one frame far larger than it: Pillow's own frame check refuses it.
    yield _refused(
        "gif-frame-beyond-screen",
        _gif_header(10, 10) + _gif_image(65_535, 65_535),
        ".gif",
        TOO_MANY_PIXELS,
    )
    bmp_header = struct.pack("<IiiHHIIiiII", 40, 100_000, 100_000, 1, 24, 0, 0, 2835, 2835, 0, 0)
    yield _refused(
        "bmp-bomb-100000x100000",
        b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + bmp_header + b"\x00" * 64,
        ".bmp",
        "This image is 100,000 × 100,000 pixels",
    )
    jpeg = bytearray(saved_as(Image.new("RGB", (16, 16), (10, 200, 30)), "JPEG"))
    frame = jpeg.index(b"\xff\xc0")  # start of frame: length, precision, height, width
    jpeg[frame + 5 : frame + 9] = struct.pack(">HH", 65_500, 65_500)
    yield _refused(
        "jpeg-bomb-65500x65500", bytes(jpeg), ".jpg", "This image is 65,500 × 65,500 pixels"
    )

    # A real HEIC whose ispe box (the picture's width and height) is patched; 64 × 64 needs no
    # clean-aperture crop, so the patched size is the size the container reports.
    bomb = bytearray(heic(np.zeros((64, 64, 3), dtype=np.uint8)))
    extent = heic_box(bytes(bomb), b"ispe") + 4  # width and height follow version and flags
    bomb[extent : extent + 8] = struct.pack(">II", 100_000, 100_000)
    yield _refused(
        "heic-bomb-100000x100000", bytes(bomb), ".heic", "This image is 100,000 × 100,000 pixels"
    )

    one = np.array([[[200, 30, 90]]], dtype=np.uint8)
    yield _ok("png-1x1", saved_as(Image.fromarray(one), "PNG"), ".png", one)
    # Stripes of the eight block colours, a few pixels each.
    stripes = BLOCK_PALETTE[(np.arange(10_000) // 7) % 8]
    yield _ok(
        "png-1x10000", saved_as(Image.fromarray(stripes[:, None]), "PNG"), ".png", stripes[:, None]
    )
    yield _ok("png-10000x1", saved_as(Image.fromarray(stripes[None]), "PNG"), ".png", stripes[None])


# Unusual encodings -----------------------------------------------------------------------------


def _unusual_encodings() -> Iterator[Case]:
    yield from _sixteen_bit()
    yield from _colour_modes()
    yield from _animations()
    yield from _orientations()
    yield from _colour_profiles()
    yield from _heic()


def _sixteen_bit() -> Iterator[Case]:
    # b * 257 is the 16-bit sample that means exactly the 8-bit b (65535 = 255 * 257), so scaling
    # must give b back; clipping would turn all but 0 into 255. Eight colours, so K=8 is lossless.
    rng = np.random.default_rng(16)
    colours = rng.integers(0, 256, (8, 3), dtype=np.uint16)
    rgb = colours[rng.integers(0, 8, (6, 10))]
    alpha = np.array([0, 127, 128, 255], dtype=np.uint16)[rng.integers(0, 4, (6, 10))]
    eight = np.dstack([rgb, alpha])
    yield _ok("png-rgb-16-bit", _png_sixteen_bit(rgb * 257, 2), ".png", rgb)
    yield _ok("png-rgba-16-bit", _png_sixteen_bit(eight * 257, 6), ".png", rgb, alpha=alpha)
    grey = eight[:, :, 0]
    yield _ok(
        "png-grey-16-bit",
        saved_as(Image.fromarray(grey * 257), "PNG"),
        ".png",
        np.repeat(grey[:, :, None], 3, axis=2),
    )
    # A tRNS chunk names one 16-bit colour as transparent. The pixel beside it differs only in
    # its low bytes: it looks the same at 8 bits but must stay opaque.
    key = np.array([4660, 43981, 1], dtype=np.uint16)
    samples = (rgb * 257).copy()
    samples[2:4, 2:6] = key
    samples[5, 9] = key + 1
    expected = samples >> 8
    key_alpha = np.where((samples == key).all(axis=2), 0, 255)
    trns = _chunk(b"tRNS", key.astype(">u2").tobytes())
    yield _ok(
        "png-rgb-16-bit-transparent-colour",
        _png_sixteen_bit(samples, 2, trns),
        ".png",
        expected,
        alpha=key_alpha,
    )


def _colour_modes() -> Iterator[Case]:
    inks = {(0, 0, 0, 0): (255, 255, 255), (255, 0, 0, 0): (0, 255, 255), (0, 0, 0, 255): (0, 0, 0)}
    cmyk = np.zeros((16, 48, 4), dtype=np.uint8)
    printed = np.zeros((16, 48, 3), dtype=np.uint8)
    for block, (ink, colour) in enumerate(inks.items()):
        cmyk[:, 16 * block : 16 * (block + 1)] = ink
        printed[:, 16 * block : 16 * (block + 1)] = colour
    yield _ok(
        "jpeg-cmyk",
        saved_as(Image.fromarray(cmyk, "CMYK"), "JPEG", quality=95),
        ".jpg",
        printed,
        tolerance=5,
    )

    bits = (BLOCK_INDICES % 2).astype(bool)
    yield _ok(
        "png-mode-1",
        saved_as(Image.fromarray(bits), "PNG"),
        ".png",
        np.repeat(bits[:, :, None] * 255, 3, axis=2),
    )
    grey = (BLOCK_INDICES * 30).astype(np.uint8)
    grey_rgb = np.repeat(grey[:, :, None], 3, axis=2)
    yield _ok("png-mode-L", saved_as(Image.fromarray(grey), "PNG"), ".png", grey_rgb)
    alpha = np.array([0, 127, 128, 255, 255, 255, 60, 200], dtype=np.uint8)[BLOCK_INDICES]
    yield _ok(
        "png-mode-LA",
        saved_as(Image.fromarray(np.stack([grey, alpha], axis=2), "LA"), "PNG"),
        ".png",
        grey_rgb,
        alpha=alpha,
    )
    yield _ok(
        "png-mode-RGBA",
        saved_as(Image.fromarray(np.dstack([BLOCKS_RGB, alpha])), "PNG"),
        ".png",
        BLOCKS_RGB,
        alpha=alpha,
    )
    index_two_hidden = np.where(BLOCK_INDICES == 2, 0, 255)
    for image_format, suffix in [("PNG", ".png"), ("GIF", ".gif")]:
        yield _ok(
            f"{suffix[1:]}-mode-P-transparent-index",
            saved_as(_blocks(), image_format, transparency=2),
            suffix,
            BLOCKS_RGB,
            alpha=index_two_hidden,
        )
    wide = BLOCK_INDICES.astype(np.int32) * 30 * 257  # 16-bit values in 32-bit samples
    yield _ok("tiff-mode-I", saved_as(Image.fromarray(wide), "TIFF"), ".tif", grey_rgb)
    fractions = (BLOCK_INDICES * 30 / 255).astype(np.float32)  # 0..1
    yield _ok("tiff-mode-F", saved_as(Image.fromarray(fractions), "TIFF"), ".tif", grey_rgb)


def _animations() -> Iterator[Case]:
    later = [Image.new("RGB", (64, 32), colour) for colour in [(0, 255, 0), (9, 9, 9)]]
    for image_format, suffix, options in [
        ("GIF", ".gif", {}),
        ("PNG", ".png", {}),  # APNG
        ("WEBP", ".webp", {"lossless": True}),
    ]:
        first = _blocks() if image_format == "GIF" else _blocks().convert("RGB")
        data = saved_as(first, image_format, save_all=True, append_images=later, **options)
        name = "apng" if image_format == "PNG" else suffix[1:]
        yield _ok(f"{name}-animated", data, suffix, BLOCKS_RGB)


def _orientations() -> Iterator[Case]:
    stored = np.full((32, 64, 3), 255, dtype=np.uint8)
    stored[:16, :16] = [255, 0, 0]  # a corner block in each of two colours shows every turn
    stored[16:, 48:] = [0, 0, 255]
    for orientation, upright in UPRIGHT.items():
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        data = saved_as(Image.fromarray(stored), "JPEG", quality=95, exif=exif)
        yield _ok(
            f"jpeg-exif-orientation-{orientation}", data, ".jpg", upright(stored), tolerance=5
        )


def _colour_profiles() -> Iterator[Case]:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    blocks = _blocks().convert("RGB")
    yield _ok("png-icc-srgb", saved_as(blocks, "PNG", icc_profile=srgb), ".png", BLOCKS_RGB)
    yield _ok(
        "jpeg-icc-srgb",
        saved_as(blocks, "JPEG", quality=95, subsampling=0, icc_profile=srgb),
        ".jpg",
        BLOCKS_RGB,
        tolerance=5,
    )
    # A Lab profile cannot describe RGB samples; viewers ignore it and so must we.
    yield _ok("png-icc-lab-on-rgb", saved_as(blocks, "PNG", icc_profile=lab), ".png", BLOCKS_RGB)


def _heic() -> Iterator[Case]:
    """What an iPhone saves: HEVC in a HEIF container, lossy, often turned by the container."""
    blocks = BLOCKS_RGB.astype(np.uint8)
    yield _ok("heic-blocks", heic(blocks, quality=95), ".heic", blocks, tolerance=5)
    # Stored sideways with both the container's irot box and EXIF orientation 6, as a phone
    # held upright writes it: turned once it is upright, turned twice it is upside down.
    sideways = np.rot90(blocks, k=1)
    yield _ok(
        "heic-turned-by-container-and-exif",
        heic(np.ascontiguousarray(sideways), orientation=6, quality=95),
        ".heic",
        UPRIGHT[6](sideways),
        tolerance=5,
    )


# Degenerate content ----------------------------------------------------------------------------


def _degenerate_content() -> Iterator[Case]:
    flat = np.full((24, 40, 3), [17, 130, 240], dtype=np.uint8)
    yield _ok("png-single-colour", saved_as(Image.fromarray(flat), "PNG"), ".png", flat)
    rng = np.random.default_rng(LOSSLESS_K)
    palette = rng.permutation(256)[: 3 * LOSSLESS_K].reshape(LOSSLESS_K, 3).astype(np.uint8)
    indices = rng.permutation(np.arange(40 * 30) % LOSSLESS_K).reshape(30, 40)
    yield _ok(
        f"png-exactly-{LOSSLESS_K}-colours",
        saved_as(Image.fromarray(palette[indices]), "PNG"),
        ".png",
        palette[indices],
    )


# ------------------------------------------------------------ the corpus, sorted, for the tests

CASES = build_corpus()


GOOD = [case for case in CASES if case.expect == "ok"]


BAD = [case for case in CASES if case.expect == "error"]


def by_name(cases):
    return pytest.mark.parametrize("case", cases, ids=[case.name for case in cases])


def assert_refusal(message: str, reason: str = "") -> None:
    """One plain sentence of reasonable length, containing ``reason``."""
    assert_one_plain_sentence(message)
    assert len(message) < 200
    assert reason in message

"""Turning pixels into the bytes the browser shows."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def full_image(rgb: np.ndarray, alpha: np.ndarray | None) -> Image.Image:
    image = Image.fromarray(rgb)
    if alpha is not None:
        image.putalpha(Image.fromarray(np.asarray(alpha, dtype=np.uint8)))
    return image


def scaled_size(width: int, height: int, most_width: int) -> tuple[int, int]:
    """The size :func:`scaled` gives a ``width`` × ``height`` picture."""
    if width <= most_width:
        return width, height
    return most_width, max(1, round(height * most_width / width))


def scaled(image: Image.Image, width: int, exact: bool = False) -> Image.Image:
    """The picture at most ``width`` px wide; ``exact`` keeps palette colours (nearest pixel)."""
    size = scaled_size(image.width, image.height, width)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.NEAREST if exact else Image.Resampling.BOX)


def encoded(image: Image.Image) -> bytes:
    """PNG when it has transparency, else a high-quality JPEG: a display copy, not the result."""
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "PNG", compress_level=1)
    else:
        image.save(buffer, "JPEG", quality=92, subsampling=0)
    return buffer.getvalue()


def png_bytes(image: Image.Image | np.ndarray) -> bytes:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def indexed_image(indices: np.ndarray, palette: np.ndarray) -> Image.Image:
    """A "P" image: a palette index per pixel, and the colours (RGB, or RGBA) once."""
    image = Image.frombytes("P", indices.shape[::-1], np.ascontiguousarray(indices).tobytes())
    colours = np.asarray(palette, dtype=np.uint8)
    image.putpalette(colours.tobytes(), rawmode="RGBA" if colours.shape[1] == 4 else "RGB")
    return image


def indexed_png(indices: np.ndarray, palette: np.ndarray) -> bytes:
    """An indexed PNG: one byte per pixel, the colours (RGB, or RGBA for see-through ones) once.

    Exactly the colours given, in a fraction of the bytes of RGB or RGBA, and quicker to write.
    """
    return png_bytes(indexed_image(indices, palette))


def show_image(where, data: bytes, **options) -> None:
    """``where.image(data)``, sending the bytes in the format they are in.

    Streamlit's default, ``output_format="auto"``, re-encodes a PNG without transparency as a
    quality-90 JPEG, which would blur the exact pixels the zoom and the palette promise.
    """
    kept = "PNG" if data.startswith(PNG_SIGNATURE) else "JPEG"
    where.image(data, output_format=kept, **options)


def swatch_strip(colours: np.ndarray, shares: np.ndarray, height: int = 40) -> bytes:
    """A strip in which each colour's width is its share of the pixels."""
    widths = np.maximum(1, np.round(shares * 1000)).astype(int)
    return png_bytes(np.repeat(colours, widths, axis=0)[None, :, :].repeat(height, axis=0))


def decoded_rgba(data: bytes) -> np.ndarray:
    """An image file's pixels as (H, W, 4) uint8 RGBA."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def indices_and_palette(png: bytes) -> tuple[np.ndarray, np.ndarray]:
    """An indexed PNG's palette index per pixel, and its palette's RGBA colours (alpha 255
    where the file gives an entry none)."""
    with Image.open(io.BytesIO(png)) as redrawn:
        indices = np.asarray(redrawn)
        rgb = np.asarray(redrawn.getpalette("RGB"), dtype=np.uint8).reshape(-1, 3)
        transparency = redrawn.info.get("transparency")
    alpha = np.full(len(rgb), 255, dtype=np.uint8)
    if isinstance(transparency, int):  # one transparent entry
        alpha[transparency] = 0
    elif transparency is not None:  # tRNS: the alphas of the first entries
        stored = np.frombuffer(transparency, np.uint8)[: len(rgb)]
        alpha[: len(stored)] = stored
    return indices, np.column_stack([rgb, alpha])


def indexed_pixels_of(png: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """An indexed PNG's indices, palette colours and palette alphas (None when all opaque),
    as :func:`kmeans.optimise.optimised_png` takes them."""
    indices, palette = indices_and_palette(png)
    alphas = np.ascontiguousarray(palette[:, 3])
    return indices, np.ascontiguousarray(palette[:, :3]), None if (alphas == 255).all() else alphas

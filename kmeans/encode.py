"""Writing a K-Means result as an indexed image: a palette plus one small index per pixel.

After K-Means every pixel is one of K colours, so the file need not store 24 bits of RGB per
pixel. An *indexed* (palette) image stores the K colours once and, per pixel, only the index of
its colour: ⌈log₂ K⌉ bits. :func:`teaching_sizes` does that arithmetic; :func:`encode_png` and
:func:`encode_gif` write the real files, whose size is smaller still because the indices are
also compressed.

Transparency: the transparent pixels all share one extra palette entry, index K, that is fully
transparent. So an image with transparent pixels needs K + 1 entries, and K may then be at most
255. With an opaque palette (no ``palette_alpha``) the transparent pixels are those with alpha
below 128, and every other pixel is opaque. With ``palette_alpha``, each palette colour has its
own alpha, written in the PNG's tRNS chunk, so soft edges and shadows keep their levels; only the
pixels with alpha 0 take the transparent entry. GIF has 1-bit transparency only: there a pixel is
transparent when its palette colour's alpha is below 128, and opaque otherwise.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from kmeans.errors import KMeansError

#: An indexed PNG or GIF holds at most this many palette entries.
MAX_PALETTE_SIZE = 256
#: With 1-bit transparency (no palette alphas, or a GIF), pixels at least this opaque are drawn
#: opaque; the rest share the transparent entry.
OPAQUE = 128


def is_opaque(alpha: np.ndarray) -> np.ndarray:
    """Which pixels 1-bit transparency draws opaque (alpha ≥ 128); the rest are transparent.

    The rule wherever alpha is only on or off: clustering an image without soft alpha, a PNG
    written without palette alphas, and every GIF.

    >>> is_opaque(np.array([0, 127, 128, 255])).tolist()
    [False, False, True, True]
    """
    return np.asarray(alpha) >= OPAQUE


def bits_per_index(k: int) -> int:
    """⌈log₂ K⌉, exactly, without floating point: the bits each pixel's palette index needs.

    >>> [bits_per_index(k) for k in (1, 2, 16, 17, 256)]
    [0, 1, 4, 5, 8]
    """
    return (k - 1).bit_length()


def encode_png(
    palette: np.ndarray,
    labels: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    palette_alpha: np.ndarray | None = None,
    optimize: bool = True,
) -> bytes:
    """An indexed PNG whose pixel (y, x) has colour ``palette[labels[y, x]]``.

    The PLTE chunk holds exactly the K palette colours (K + 1 with transparent pixels), and the
    bit depth is the smallest PNG allows for that many: 1 bit for up to 2 entries, 2 for up to 4,
    4 for up to 16, else 8. Pillow picks it from the palette's length. A tRNS chunk, the
    entries' alphas, is written only when some entry is not opaque.

    Parameters
    ----------
    palette : (K, 3) array of whole numbers 0..255, 1 <= K <= 256.
    labels : (H, W) integer array of palette indices, each in [0, K).
    alpha : optional (H, W) array, the pixels' alpha. Without ``palette_alpha``, pixels with
        alpha < 128 become fully transparent and the rest opaque; with it, pixels with alpha 0
        become fully transparent.
    palette_alpha : optional (K,) array of whole numbers 0..255, each palette colour's alpha
        (as :attr:`~kmeans.quantization.QuantizeResult.palette_alpha`).
    optimize : compress as hard as zlib can (level 9). False uses zlib's default level 6,
        several times faster for a file a few percent larger: the page's choice, where a
        visitor waits for every change of K.

    >>> palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    >>> png = encode_png(palette, np.array([[0, 1, 1]]))
    >>> image = Image.open(io.BytesIO(png))
    >>> image.mode, image.getpalette(), np.asarray(image).tolist(), png[24]
    ('P', [255, 0, 0, 0, 0, 255], [[0, 1, 1]], 1)
    >>> png = encode_png(palette, np.array([[0, 1, 1]]), palette_alpha=np.array([255, 40]))
    >>> Image.open(io.BytesIO(png)).convert("RGBA").getpixel((1, 0))
    (0, 0, 255, 40)
    """
    if optimize:
        return _encode(palette, labels, alpha, palette_alpha, "PNG", optimize=True)
    return _encode(palette, labels, alpha, palette_alpha, "PNG", compress_level=6)


def encode_gif(
    palette: np.ndarray,
    labels: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    palette_alpha: np.ndarray | None = None,
) -> bytes:
    """An indexed GIF whose pixel (y, x) has colour ``palette[labels[y, x]]``.

    Arguments as for :func:`encode_png`. GIF stores a palette of a power-of-two length, so
    Pillow pads the K colours with unused entries; the indices are written as given. GIF has no
    partial transparency: pixels whose palette colour has an alpha below 128 are written fully
    transparent, the rest opaque.

    >>> palette = np.array([[255, 0, 0], [0, 0, 255], [0, 255, 0]], dtype=np.uint8)
    >>> image = Image.open(io.BytesIO(encode_gif(palette, np.array([[0, 1, 2]]))))
    >>> image.format, image.getpalette()[:9], np.asarray(image).tolist()
    ('GIF', [255, 0, 0, 0, 0, 255, 0, 255, 0], [[0, 1, 2]])
    """
    # Pillow's GIF optimisation drops and reorders unused palette entries; keep the K we chose.
    return _encode(palette, labels, alpha, palette_alpha, "GIF", optimize=False)


def teaching_sizes(n_pixels: int, k: int, channels: int = 3) -> tuple[int, int]:
    """Bits for N pixels stored indexed with K colours, and stored plainly, 8 bits per channel.

    Indexed: ⌈log₂ K⌉ bits per pixel plus 8·C bits for each palette colour,
    ``N·⌈log₂ K⌉ + 8·C·K``. Plain: ``8·C·N``. C is 3 for RGB, 4 for RGBA (a palette colour
    then also stores its alpha). With K = 1 every pixel has the same colour, so an index needs
    0 bits and only the palette's bits remain. Both ignore file headers and compression.

    >>> teaching_sizes(1_000_000, 16)
    (4000384, 24000000)
    >>> teaching_sizes(100, 1)
    (24, 2400)
    >>> teaching_sizes(1_000_000, 16, channels=4)
    (4000512, 32000000)
    """
    if k < 1:
        raise KMeansError("K must be at least 1.")
    if n_pixels < 0:
        raise KMeansError("The number of pixels cannot be negative.")
    if channels not in (3, 4):
        raise KMeansError(f"The channels must be 3 (RGB) or 4 (RGBA), not {channels!r}.")
    bits = 8 * channels
    return n_pixels * bits_per_index(k) + bits * k, bits * n_pixels


def _encode(
    palette: np.ndarray,
    labels: np.ndarray,
    alpha: np.ndarray | None,
    palette_alpha: np.ndarray | None,
    image_format: str,
    **options: object,
) -> bytes:
    alpha_per_entry = image_format == "PNG"  # GIF has no alpha per palette entry
    pixels = indexed_pixels(
        palette, labels, alpha, palette_alpha=palette_alpha, alpha_per_entry=alpha_per_entry
    )
    if pixels.transparent_index is not None:
        options["transparency"] = pixels.transparent_index
    buffer = io.BytesIO()
    _indexed_image(pixels).save(buffer, image_format, **options)
    return buffer.getvalue()


@dataclass(frozen=True)
class IndexedPixels:
    """What an indexed file stores: one palette index per pixel and the palette's entries.

    Attributes
    ----------
    indices : (H, W) uint8, each pixel's entry.
    colours : (E, 3) uint8, the entries' colours: the K palette colours, then the shared fully
        transparent entry when some pixel takes it (E = K + 1).
    alphas : (E,) uint8 or None, the entries' alphas when some entry is not opaque; None when the
        file needs no alpha per entry.
    transparent_index : the shared transparent entry, K, for a file that marks one entry as
        transparent instead of storing alphas (GIF, or a PNG without ``palette_alpha``); else None.
    """

    indices: np.ndarray
    colours: np.ndarray
    alphas: np.ndarray | None
    transparent_index: int | None

    @property
    def rgba(self) -> np.ndarray:
        """(E, 4) uint8: each entry's colour and alpha (255 where none is stored)."""
        alphas = np.full(len(self.colours), 255, np.uint8)
        if self.alphas is not None:
            alphas = self.alphas
        elif self.transparent_index is not None:
            alphas[self.transparent_index] = 0
        return np.hstack([self.colours, alphas[:, None]])


def indexed_pixels(
    palette: np.ndarray,
    labels: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    palette_alpha: np.ndarray | None = None,
    alpha_per_entry: bool = True,
) -> IndexedPixels:
    """The indices and palette entries of the labels, with the transparency rules above.

    Arguments as for :func:`encode_png`. ``alpha_per_entry`` says whether the file can store an
    alpha for each entry (PNG's tRNS, lossless WebP); False for GIF's 1-bit transparency. With
    ``palette_alpha`` and an alpha per entry every entry's alpha, the transparent entry's too,
    is in ``alphas``, so no ``transparent_index`` is returned.

    >>> palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    >>> pixels = indexed_pixels(palette, np.array([[0, 1]]), np.array([[255, 0]]))
    >>> pixels.indices.tolist(), pixels.transparent_index, pixels.rgba[-1].tolist()
    ([[0, 2]], 2, [0, 0, 0, 0])
    """
    colours = _checked_palette(palette)
    K = len(colours)
    labels = np.asarray(labels)
    _check_labels(labels, K)
    alphas = None if palette_alpha is None else _checked_palette_alpha(palette_alpha, K)
    # The one full-size copy: 8-bit indices, which Pillow then uses without copying again.
    indices = labels.astype(np.uint8)
    transparent_index = None
    transparent = _transparent_pixels(alpha, labels, alphas, one_bit=not alpha_per_entry)
    if transparent is not None and transparent.any():
        if K == MAX_PALETTE_SIZE:
            raise KMeansError("With transparent pixels the palette can hold at most 255 colours.")
        indices[transparent] = transparent_index = K
        colours = np.vstack([colours, np.zeros((1, 3), dtype=np.uint8)])
        alphas = None if alphas is None else np.append(alphas, np.uint8(0))
    if alphas is None or not alpha_per_entry:
        return IndexedPixels(indices, colours, None, transparent_index)
    return IndexedPixels(indices, colours, alphas, None)


def _indexed_image(pixels: IndexedPixels) -> Image.Image:
    """A mode "P" image of the pixels; an RGBA palette goes to PLTE and its alphas to tRNS."""
    image = Image.fromarray(pixels.indices)
    if pixels.alphas is None:
        image.putpalette(pixels.colours.tobytes(), "RGB")
    else:
        image.putpalette(pixels.rgba.tobytes(), "RGBA")
    return image


def _checked_palette(palette: np.ndarray) -> np.ndarray:
    colours = np.asarray(palette)
    if colours.ndim != 2 or colours.shape[1] != 3:
        raise KMeansError(f"The palette must be a (K, 3) array, not {colours.shape}.")
    if not 1 <= len(colours) <= MAX_PALETTE_SIZE:
        raise KMeansError(f"The palette must have 1 to 256 colours, not {len(colours)}.")
    as_bytes = colours.astype(np.uint8)
    if not np.array_equal(as_bytes, colours):
        raise KMeansError("Palette values must be whole numbers from 0 to 255.")
    return as_bytes


def _checked_palette_alpha(palette_alpha: np.ndarray, K: int) -> np.ndarray:
    alphas = np.asarray(palette_alpha)
    if alphas.shape != (K,):
        raise KMeansError(
            f"The palette alpha must have one value per colour, ({K},), not {alphas.shape}."
        )
    as_bytes = alphas.astype(np.uint8)
    if not np.array_equal(as_bytes, alphas):
        raise KMeansError("Palette alpha values must be whole numbers from 0 to 255.")
    return as_bytes


def _check_labels(labels: np.ndarray, K: int) -> None:
    if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
        raise KMeansError("The labels must be a 2-D integer array, one index per pixel.")
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise KMeansError(f"Every label must be a palette index from 0 to {K - 1}.")


def _transparent_pixels(
    alpha: np.ndarray | None, labels: np.ndarray, alphas: np.ndarray | None, one_bit: bool
) -> np.ndarray | None:
    """The pixels for the fully transparent entry, or None when no pixel can be transparent.

    Without palette alphas these are the pixels with alpha below 128. With them, the pixels
    with alpha 0, and for 1-bit transparency (GIF) also those whose palette alpha is below 128.
    """
    if alpha is not None:
        alpha = np.asarray(alpha)
        if alpha.shape != labels.shape:
            raise KMeansError(
                f"The alpha array must have the labels' shape {labels.shape}, not {alpha.shape}."
            )
    if alphas is None:
        return None if alpha is None else ~is_opaque(alpha)
    transparent = np.zeros(labels.shape, dtype=bool) if alpha is None else alpha == 0
    if one_bit:
        transparent |= ~is_opaque(alphas)[labels]
    return transparent

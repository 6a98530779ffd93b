"""The pipeline end to end: image file → pixels → K-Means → indexed file → how well it did.

The command line and the page both call :func:`compress`, so neither computes anything the
other lacks.

Images with transparency are judged **as seen**: the original and what the PNG draws are each
composited over white and over black, and each pixel counts with the worse of the two, over the
pixels that either draws (see :func:`composited_mse`, and :mod:`kmeans.perceptual` for ΔE_OK).
So MSE, PSNR, ΔE_OK and the verdict built from them all charge a shadow's error in alpha alone,
which shows over a white page, and none of them charges for colours under fully transparent
pixels, which nobody sees. Comparing straight RGB would do the second; compositing over one
background would hide errors that show over the other. SSIM, which compares structure, is taken
on premultiplied RGBA, ``(r·a/255, g·a/255, b·a/255, a)``, the quantity the clustering
minimises; ``alpha_mse`` reports the alpha channel's error alone.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from kmeans.closeness import Level, closeness
from kmeans.encode import encode_gif, teaching_sizes
from kmeans.errors import KMeansError
from kmeans.io import MAX_PIXELS, LoadedImage, load_image
from kmeans.metrics import mse, mse_of_colours, psnr_from_mse, ssim
from kmeans.optimise import DEFAULT_LEVEL, lossless_webp, optimised_png
from kmeans.quantization import ColourCounts, QuantizeResult, quantize
from kmeans.result import ProgressCallback
from kmeans.settings import Settings

#: The files a result can be written as (the optimised PNG, a lossless WebP, a GIF), by name.
FORMAT_NAMES = {"png": "PNG", "webp": "WebP", "gif": "GIF"}
FILE_FORMATS = tuple(FORMAT_NAMES)
#: Pixels per strip when compositing: a few MB of int32 at a time, whatever the image size.
STRIP_PIXELS = 1 << 18


@dataclass(frozen=True)
class Compression:
    """An image quantised, its indexed files (PNG, WebP, GIF), and the numbers that judge it.

    The files and the metrics are computed when first asked for, so a caller that wants only
    some of them (the command line writing a GIF, say) does not pay for the rest. Every file
    holds the same pixels; ``optimisation`` is the level of
    :func:`~kmeans.optimise.optimised_png` and :func:`~kmeans.optimise.lossless_webp`.
    """

    source: LoadedImage
    result: QuantizeResult
    optimisation: int = DEFAULT_LEVEL

    @cached_property
    def png(self) -> bytes:
        """The indexed PNG, optimised losslessly at ``optimisation``."""
        return optimised_png(
            *self._pixels, palette_alpha=self.result.palette_alpha, level=self.optimisation
        )

    @cached_property
    def webp(self) -> bytes:
        """The same pixels as a lossless WebP."""
        return lossless_webp(
            *self._pixels, palette_alpha=self.result.palette_alpha, level=self.optimisation
        )

    @cached_property
    def gif(self) -> bytes:
        """The same palette and labels as a GIF (whose transparency is on or off, see encode)."""
        return encode_gif(*self._pixels, palette_alpha=self.result.palette_alpha)

    def file(self, file_format: str) -> bytes:
        """The bytes of the file in one of ``FILE_FORMATS``."""
        if file_format not in FILE_FORMATS:
            raise KMeansError(f"The file format must be png, webp or gif, not {file_format!r}.")
        return getattr(self, file_format)

    def larger_notice(self, file_format: str) -> str | None:
        """:func:`larger_notice` for this file; the other lossless format is written only then."""
        if len(self.file(file_format)) <= self.input_bytes:
            return None
        sizes = {name: len(self.file(name)) for name in {file_format, "png", "webp"}}
        return larger_notice(file_format, sizes, self.input_bytes, self.result.k)

    @property
    def _pixels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        return self.result.palette, self.result.labels, self.result.alpha

    @property
    def input_bytes(self) -> int:
        return self.source.n_bytes

    @cached_property
    def mse(self) -> float:
        """Mean squared error per channel: of RGB, or as seen for a transparent image.

        Undithered and opaque, it is measured on the distinct colours K-Means clustered (see
        :func:`~kmeans.metrics.mse_of_colours`), without drawing the full-size image.
        """
        result = self.result
        if self.source.alpha is None and result.settings.dither == "none":
            drawn = result.palette[result.colour_labels]
            counted = result.colour_counts
            return mse_of_colours(counted.colours, drawn, counted.counts)
        if self.source.alpha is None:
            return mse(self.source.rgb, self.result.image)
        return composited_mse(
            self.source.rgb, self.source.alpha, self.result.image, self.result.image_alpha
        )

    @cached_property
    def alpha_mse(self) -> float:
        """Mean squared error of the alpha channel alone, 0–255 units; 0.0 for an opaque image."""
        if self.source.alpha is None:
            return 0.0
        return mse(self.source.alpha, self.result.image_alpha)

    @cached_property
    def psnr(self) -> float:
        return psnr_from_mse(self.mse)

    @cached_property
    def ssim(self) -> float:
        """SSIM of RGB, or of premultiplied RGBA (rounded to 8 bits) for a transparent image."""
        return ssim_of(self.source, self.result.image, self.result.image_alpha)

    @property
    def perceptual(self):
        """Mean and 99th-percentile ΔE_OK and lost hue: what the eye sees (see metrics)."""
        return self.result.perceptual

    @property
    def closeness(self) -> Level:
        """How close it looks, in one of four words (see :mod:`kmeans.closeness`)."""
        return closeness(self.perceptual.delta_e, self.psnr)

    @property
    def teaching_bits(self) -> tuple[int, int]:
        """(N·⌈log2 E⌉ + C·E, C·N): the indexed size the method teaches, and the plain size.

        C is 24 bits for RGB and 32 for an image with transparency (RGBA); E is the number of
        palette entries, K plus the transparent one when some pixel takes it.
        """
        result = self.result
        if result.image_alpha is None:
            return teaching_sizes(self.source.n_pixels, result.k)
        has_transparent_entry = bool((result.image_alpha == 0).any())
        return teaching_sizes(self.source.n_pixels, result.k + has_transparent_entry, channels=4)


def larger_notice(file_format: str, sizes: dict[str, int], input_bytes: int, k: int) -> str | None:
    """One sentence when the ``file_format`` file is larger than the input, naming what is smaller.

    ``sizes`` are the bytes of that file and of any other file of the same pixels (by format);
    None when the file is not larger than the input.

    >>> print(larger_notice("png", {"png": 1200, "webp": 900}, 1000, 16))
    ... # doctest: +NORMALIZE_WHITESPACE
    The PNG is 1,200 bytes, 20% larger than the input's 1,000; the same pixels as a WebP are
    smaller, 900 bytes.
    """
    n_bytes = sizes[file_format]
    if n_bytes <= input_bytes:
        return None
    larger = (
        f"The {FORMAT_NAMES[file_format]} is {n_bytes:,} bytes, "
        f"{math.ceil(100 * n_bytes / input_bytes) - 100}% larger than the input's {input_bytes:,}"
    )
    smaller = {name: size for name, size in sizes.items() if size < input_bytes}
    if smaller:
        name, size = min(smaller.items(), key=lambda item: item[1])
        return f"{larger}; the same pixels as a {FORMAT_NAMES[name]} are smaller, {size:,} bytes."
    return (
        f"{larger}, and no file of these {k} colours is smaller; keep the input, or compare a "
        "lossy codec at the same closeness."
    )


def ssim_of(source: LoadedImage, image: np.ndarray, image_alpha: np.ndarray | None) -> float:
    """SSIM between ``source`` and a redrawing of it (``image``, and the alpha it draws).

    RGB for an opaque source; for a transparent one, the mean over the four premultiplied RGBA
    channels (see the module's docstring), one channel at a time, so only two 8-bit planes are
    ever held.
    """
    if source.alpha is None:
        return ssim(source.rgb, image)
    original, redrawn = (source.rgb, source.alpha), (image, image_alpha)
    scores = [
        ssim(_premultiplied_plane(*original, c), _premultiplied_plane(*redrawn, c))
        for c in range(4)
    ]
    return sum(scores) / 4


def composited_mse(
    rgb: np.ndarray, alpha: np.ndarray, other_rgb: np.ndarray, other_alpha: np.ndarray
) -> float:
    """Mean squared error per channel of two images as seen, in 0–255 units.

    Each pixel of both images is composited over black and over white as the screen shows it
    (:func:`~kmeans.perceptual.composited`); it counts with the larger of its two squared
    errors, summed over the three channels, and the mean is over the pixels either image draws
    (alpha > 0), 0.0 if none. Before rounding, a channel c of alpha a shows ``c·a/255 +
    g·(1 − a/255)`` over a grey g, so the two images differ there by an amount linear in g: no
    grey background shows a larger error than white or black does.

    Over black a channel shows ``round(c·a/255)``, and over white exactly ``255 − a`` more, so
    everything is in integers, exact, and taken in strips of rows.

    Colours under fully transparent pixels do not count; a black shadow's alpha off by 10 shows
    as 10 levels in each channel over white:

    >>> white, black = np.full((1, 1, 3), 255, np.uint8), np.zeros((1, 1, 3), np.uint8)
    >>> hidden = np.zeros((1, 1), np.uint8)
    >>> composited_mse(white, hidden, black, hidden)
    0.0
    >>> shadow, lighter = np.full((1, 1), 100, np.uint8), np.full((1, 1), 90, np.uint8)
    >>> composited_mse(black, shadow, black, lighter)
    100.0
    """
    total = drawn = 0
    for rows in _row_strips(*alpha.shape):
        a, b = alpha[rows].astype(np.int32), other_alpha[rows].astype(np.int32)
        # 255 is odd, so (x + 127) // 255 rounds x / 255 with no ties, as composited() does.
        over_black = (rgb[rows] * a[:, :, None] + 127) // 255 - (
            other_rgb[rows] * b[:, :, None] + 127
        ) // 255
        over_white = over_black - (a - b)[:, :, None]
        squared = [np.einsum("ijk,ijk->ij", d, d) for d in (over_black, over_white)]
        total += int(np.maximum(*squared).sum(dtype=np.int64))
        drawn += int(np.count_nonzero((a > 0) | (b > 0)))
    return total / (3 * drawn) if drawn else 0.0


def _premultiplied_plane(rgb: np.ndarray, alpha: np.ndarray, channel: int) -> np.ndarray:
    """Channel 0-2 premultiplied (rounded to 8 bits), or 3, the alpha itself."""
    if channel == 3:
        return alpha
    product = rgb[:, :, channel].astype(np.uint16) * alpha  # at most 255² = 65025: fits
    product += 127  # 255 is odd, so (x + 127) // 255 rounds x / 255 with no ties
    return (product // 255).astype(np.uint8)


def _row_strips(height: int, width: int) -> Iterator[slice]:
    step = max(1, STRIP_PIXELS // max(width, 1))
    for top in range(0, height, step):
        yield slice(top, top + step)


def compress(
    source: str | os.PathLike[str] | bytes | LoadedImage,
    k: int,
    settings: Settings | None = None,
    *,
    progress: ProgressCallback | None = None,
    colours: ColourCounts | None = None,
    max_pixels: int = MAX_PIXELS,
    optimisation: int = DEFAULT_LEVEL,
) -> Compression:
    """Load an image and quantize it to ``k`` colours, ready to write as an indexed file.

    ``settings`` are those of :func:`~kmeans.quantization.quantize` (the defaults when None).
    ``colours`` may pass the image's :func:`~kmeans.quantization.count_colours`, already
    counted, when several K are tried on one image. ``optimisation`` is the level of
    :mod:`kmeans.optimise` (0 to 3; 0 is Pillow's zlib alone, the page's quick PNG).
    The reported size is always that of the bytes returned.

    Raises :class:`~kmeans.errors.KMeansError` (one sentence) for an unreadable image or bad K.
    """
    image = source if isinstance(source, LoadedImage) else load_image(source, max_pixels=max_pixels)
    result = quantize(colours if colours is not None else image, k, settings, progress=progress)
    return Compression(image, result, optimisation)

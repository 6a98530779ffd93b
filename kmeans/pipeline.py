"""The pipeline end to end: image file → pixels → K-Means → indexed PNG → how well it did.

The command line and the page both call :func:`compress`, so neither computes anything the
other lacks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from kmeans.closeness import Level, closeness
from kmeans.encode import encode_png, teaching_sizes
from kmeans.io import MAX_PIXELS, LoadedImage, load_image
from kmeans.metrics import mse, psnr_from_mse, ssim
from kmeans.quantization import ColourCounts, QuantizeResult, quantize
from kmeans.result import ProgressCallback
from kmeans.settings import Settings


@dataclass(frozen=True)
class Compression:
    """An image quantised and written as an indexed PNG, with the numbers that judge it.

    The PNG and the metrics are computed when first asked for, so a caller that wants only some
    of them (the command line writing a GIF, say) does not pay for the rest.
    """

    source: LoadedImage
    result: QuantizeResult
    optimize_png: bool = True

    @cached_property
    def png(self) -> bytes:
        result = self.result
        return encode_png(result.palette, result.labels, result.alpha, optimize=self.optimize_png)

    @property
    def input_bytes(self) -> int:
        return self.source.n_bytes

    @cached_property
    def mse(self) -> float:
        return mse(self.source.rgb, self.result.image)

    @cached_property
    def psnr(self) -> float:
        return psnr_from_mse(self.mse)

    @cached_property
    def ssim(self) -> float:
        return ssim(self.source.rgb, self.result.image)

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
        """(N·⌈log2 K⌉ + 24·K, 24·N): the indexed size the method teaches, and plain RGB's."""
        return teaching_sizes(self.source.n_pixels, self.result.k)


def compress(
    source: str | os.PathLike[str] | bytes | LoadedImage,
    k: int,
    settings: Settings | None = None,
    *,
    progress: ProgressCallback | None = None,
    colours: ColourCounts | None = None,
    max_pixels: int = MAX_PIXELS,
    optimize_png: bool = True,
) -> Compression:
    """Load an image, quantize it to ``k`` colours and encode it as an indexed PNG.

    ``settings`` are those of :func:`~kmeans.quantization.quantize` (the defaults when None).
    ``colours`` may pass the image's :func:`~kmeans.quantization.count_colours`, already
    counted, when several K are tried on one image. ``optimize_png=False`` trades a PNG 1-4%
    larger for an encode several times faster (see :func:`~kmeans.encode.encode_png`); the
    reported size is always that of the bytes returned.

    Raises :class:`~kmeans.errors.KMeansError` (one sentence) for an unreadable image or bad K.
    """
    image = source if isinstance(source, LoadedImage) else load_image(source, max_pixels=max_pixels)
    result = quantize(colours if colours is not None else image, k, settings, progress=progress)
    return Compression(image, result, optimize_png)

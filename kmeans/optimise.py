"""The smallest lossless file for the K colours: an optimised PNG, or a lossless WebP.

K-Means decides every pixel; how many bytes those pixels take is then a question of lossless
coding alone, and every file written here decodes to exactly the same pixels. Three choices
change the bytes of an indexed PNG without changing one pixel:

* **The palette's order.** Before compressing, PNG *filters* each row, predicting every byte
  from its neighbours (left, above) and storing the difference. Indices are arbitrary numbers,
  so that prediction only helps when colours that sit side by side in the picture also sit
  side by side in the palette. oxipng tries palette orders and keeps the smallest: by
  lightness, and from preset 3 also the orders of Battiato and of Zeng, which follow which
  colours are neighbours in the image.
* **The filter of each row**, including none, tried per row or for the whole image.
* **How hard deflate searches** for repeated runs (libdeflate's levels, up to 12).

`oxipng <https://github.com/shssoichiro/oxipng>`_ (Rust, MIT, through ``pyoxipng``) makes
these choices; it is given the labels and palette directly, so no PNG is written first only
to be read back and written again.

**Lossless WebP** codes the same indexed image differently: it stores the palette, packs the
indices, and compresses them with prediction from the pixels above and to the left and
back-references in two dimensions. libwebp picks its own palette order. On photos at K ≤ 256
it is often smaller than the best PNG, on noisy ones larger.

The optimisation level trades time for bytes; each is deterministic (the same image gives the
same bytes on every machine):

=====  ===========================================  ====================================
level  PNG                                          lossless WebP
=====  ===========================================  ====================================
0      Pillow alone, zlib level 6 (no optimiser)    method 0
1      oxipng preset 1: one filter, libdeflate 10   method 2
2      oxipng preset 2: four filters, the palette   method 4
       sorted by lightness, libdeflate 11
3      oxipng preset 4: every palette order and     method 5
       four filters, fully compressed, libdeflate
       12
=====  ===========================================  ====================================

The default, 2, is oxipng's own default. Level 3 is a few percent smaller on some images (a
palette order that follows the image's neighbours pays on smooth photos and graphics) for three
to five times the time, which grows with the pixels.

pyoxipng holds Python's GIL while oxipng works (seconds for a 12 MP picture at level 2), so a
large picture is optimised in a child process of this module's own (:mod:`kmeans.oxipng_child`):
meanwhile this process's other threads (the next file of a batch, the page's other visitors) go
on. If the child cannot be started or dies, the picture is optimised here instead: the same
bytes, only later.
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import threading

import numpy as np
import oxipng
from PIL import Image

from kmeans.encode import IndexedPixels, encode_png, indexed_pixels
from kmeans.errors import KMeansError

#: Levels of :func:`optimised_png` and :func:`lossless_webp`, fastest first.
LEVELS = (0, 1, 2, 3)
DEFAULT_LEVEL = 2
#: oxipng's preset (0-6) at each level from 1.
OXIPNG_PRESETS = {1: 1, 2: 2, 3: 4}
#: libwebp's ``method`` (its effort, 0-6) at each level; 6 takes ten times as long as 5.
WEBP_METHODS = {0: 0, 1: 2, 2: 4, 3: 5}
#: From this many pixels, oxipng works in the child process: below it, holding the GIL costs
#: a few milliseconds, less than sending the picture there and back.
CHILD_PIXELS = 250_000


def optimised_png(
    palette: np.ndarray,
    labels: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    palette_alpha: np.ndarray | None = None,
    level: int = DEFAULT_LEVEL,
) -> bytes:
    """The PNG of :func:`~kmeans.encode.encode_png`'s pixels, as small as ``level`` makes it.

    Arguments as for :func:`~kmeans.encode.encode_png`. The decoded pixels, colours and alphas
    are exactly those of ``encode_png``'s file, and so are its palette's entries, though they may
    be reordered; the bit depth is the smallest the entries allow. The file stays an indexed PNG
    (colour type 3).

    >>> palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    >>> png = optimised_png(palette, np.array([[0, 1, 1]]))
    >>> Image.open(io.BytesIO(png)).convert("RGB").getpixel((0, 0))
    (255, 0, 0)
    """
    _check_level(level)
    if level == 0:
        return encode_png(palette, labels, alpha, palette_alpha=palette_alpha, optimize=False)
    pixels = indexed_pixels(palette, labels, alpha, palette_alpha=palette_alpha)
    height, width = pixels.indices.shape
    entries = [tuple(int(value) for value in entry) for entry in pixels.rgba]
    used = bool(np.bincount(pixels.indices.ravel(), minlength=len(entries)).all())
    job = (pixels.indices.tobytes(), width, height, entries, OXIPNG_PRESETS[level], used)
    if width * height < CHILD_PIXELS:
        return oxipng_png(*job)
    return _in_child(job)


def oxipng_png(
    indices: bytes,
    width: int,
    height: int,
    entries: list[tuple[int, ...]],
    preset: int,
    palette_reduction: bool,
) -> bytes:
    """oxipng's PNG of the indexed pixels, in this process (the child process runs it too)."""
    image = oxipng.RawImage(indices, width, height, color_type=oxipng.ColorType.indexed(entries))
    # The file stays indexed, as the method teaches: no trial of greyscale or RGB instead.
    # An entry no pixel uses (a kept colour nothing is nearest to) stays too, so the file holds
    # the K colours it reports; oxipng would drop it, and sort the palette only when it may.
    return image.create_optimized_png(
        level=preset,
        color_type_reduction=False,
        grayscale_reduction=False,
        palette_reduction=palette_reduction,
    )


class _Child:
    """``python -m kmeans.oxipng_child``, with its pipes: one job at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kmeans.oxipng_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.lock = threading.Lock()

    def png(self, job: tuple) -> bytes | None:
        """The job's PNG, or None if the child has died."""
        from kmeans.oxipng_child import receive, send  # here: that module imports this one

        with self.lock:
            try:
                send(self.process.stdin, pickle.dumps(job))
                return receive(self.process.stdout)
            except OSError:  # a broken pipe: the child has gone
                return None

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


_child_lock = threading.Lock()
_child: _Child | None = None


def start_child() -> None:
    """Start the child process now, if it is not running, so that its start-up (a few tenths
    of a second) overlaps other work instead of delaying the first large picture."""
    _running_child()


def _running_child() -> _Child | None:
    """The child process, started if need be; None if it cannot be started here."""
    global _child
    with _child_lock:
        if _child is None or _child.process.poll() is not None:
            try:
                _child = _Child()
            except OSError:
                _child = None
        return _child


def _in_child(job: tuple) -> bytes:
    """``oxipng_png(*job)`` in the child process, started on first use and kept; here instead
    if it cannot start or has died (a new one is started next time)."""
    child = _running_child()
    png = None if child is None else child.png(job)
    if png is None:
        if child is not None:
            child.stop()
        return oxipng_png(*job)
    return png


def lossless_webp(
    palette: np.ndarray,
    labels: np.ndarray,
    alpha: np.ndarray | None = None,
    *,
    palette_alpha: np.ndarray | None = None,
    level: int = DEFAULT_LEVEL,
) -> bytes:
    """A lossless WebP with exactly the pixels of :func:`~kmeans.encode.encode_png`'s file.

    Arguments as for :func:`~kmeans.encode.encode_png`. WebP stores an alpha per pixel, so the
    soft alpha of ``palette_alpha`` is kept as the PNG's tRNS keeps it, and the decoded RGBA is
    the PNG's.

    >>> palette = np.array([[255, 0, 0], [0, 0, 255]], dtype=np.uint8)
    >>> webp = lossless_webp(palette, np.array([[0, 1, 1]]))
    >>> Image.open(io.BytesIO(webp)).convert("RGB").getpixel((2, 0))
    (0, 0, 255)
    """
    _check_level(level)
    pixels = indexed_pixels(palette, labels, alpha, palette_alpha=palette_alpha)
    buffer = io.BytesIO()
    _drawn(pixels).save(buffer, "WEBP", lossless=True, quality=100, method=WEBP_METHODS[level])
    return buffer.getvalue()


def _drawn(pixels: IndexedPixels) -> Image.Image:
    """The pixels as an RGB image, or RGBA when some entry is not opaque."""
    rgba = pixels.rgba
    if (rgba[:, 3] == 255).all():
        return Image.fromarray(pixels.colours[pixels.indices])
    return Image.fromarray(rgba[pixels.indices])


def _check_level(level: object) -> None:
    if isinstance(level, bool) or level not in LEVELS:
        raise KMeansError(f"The optimisation level must be one of 0, 1, 2 or 3, not {level!r}.")

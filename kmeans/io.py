"""Reading an image file into the pixels K-Means clusters.

This is the first arrow of the pipeline, image bytes → pixels. Whatever the file holds, the result
is the same simple thing: an (H, W, 3) array of 8-bit sRGB colours, upright, plus an (H, W) alpha
channel when some pixel is not fully opaque. On the way the loader

* reads only JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF and HEIC/HEIF (what iPhones save, through
  ``pillow-heif`` when it is installed), so no other parser ever sees the file;
* checks the pixel count in the header before decoding anything, so a small file that declares a
  gigantic picture costs nothing;
* decodes the whole first frame and refuses a damaged or cut-off file rather than show half of it;
* turns the picture upright as its EXIF orientation says, as a phone or camera viewer does (a
  HEIC file is turned by its container's rotation and mirror boxes instead, once);
* converts every colour mode to 8-bit RGB: 16-bit samples are scaled (65535 → 255), never clipped,
  and an embedded ICC profile is applied when colour management is available.

Anything it cannot read becomes a :class:`~kmeans.errors.BadImageError` whose message is one plain
sentence for the person who chose the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageOps

from kmeans.errors import BadImageError

try:
    from PIL import ImageCms
except ImportError:  # Pillow built without LittleCMS: colours are used as stored
    ImageCms = None

try:
    from pillow_heif import register_heif_opener
except ImportError:  # without pillow-heif a HEIC file is refused like any other unknown format
    pass
else:
    # libheif turns the picture by the container's irot/imir boxes, which the HEIF standard makes
    # the authority, and the plugin resets any EXIF orientation to 1 so that exif_transpose
    # below cannot turn it a second time.
    register_heif_opener()

#: The most pixels an image may have. The only place the limit lives; other code imports it.
MAX_PIXELS: int = 40_000_000

#: Pillow's names of the formats :func:`load_image` reads, in the order they are tried.
#: "HEIF" (HEIC files) is read only when pillow-heif is installed; AVIF comes first, so Pillow's
#: own AVIF reader keeps the AVIF files that also name the HEIF family's generic brand.
FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF", "HEIF")

NOT_AN_IMAGE = (
    "This file is not an image this tool can read (JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC)."
)
DAMAGED = "This image is damaged or incomplete, so it cannot be read."
EMPTY = "This file is empty."
OUT_OF_MEMORY = "This image is too large to read with the memory available."
UNKNOWN_COLOURS = "This image stores its colours in a way this tool cannot read."
TOO_MANY_PIXELS = "This image has far too many pixels to read."

# 16-bit sample → nearest 8-bit value, so 0 → 0, 32768 → 128 and 65535 → 255; one table lookup
# per pixel instead of arithmetic on a 32-bit copy of the whole image.
_SIXTEEN_TO_EIGHT = np.round(np.arange(65_536) * (255 / 65_535)).astype(np.uint8)

_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
_COLOUR_MANAGED_MODES = ("RGB", "RGBA", "CMYK")


@dataclass(frozen=True)
class LoadedImage:
    """The pixels of an image file, upright and in 8-bit sRGB.

    Attributes
    ----------
    rgb : (H, W, 3) uint8 array, C-contiguous and read-only.
    alpha : (H, W) uint8 array, read-only, or None when every pixel is fully opaque. Downstream,
        pixels with alpha 0 share one fully transparent palette entry, and soft alpha is kept
        (see :mod:`kmeans.quantization`).
    format : Pillow's name for the file format: "JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF",
        "AVIF", "HEIF" (a HEIC file) or "MPO" (a JPEG from a camera that holds several pictures).
    n_bytes : size of the input file in bytes.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    format: str
    n_bytes: int

    def __post_init__(self) -> None:
        # The loaded image is often cached and shared; read-only arrays cannot change under it.
        self.rgb.flags.writeable = False
        if self.alpha is not None:
            self.alpha.flags.writeable = False

    @property
    def height(self) -> int:
        return self.rgb.shape[0]

    @property
    def width(self) -> int:
        return self.rgb.shape[1]

    @property
    def n_pixels(self) -> int:
        return self.height * self.width


def load_image(
    source: str | os.PathLike[str] | bytes, *, max_pixels: int = MAX_PIXELS
) -> LoadedImage:
    """Read the first frame of an image file as upright 8-bit RGB pixels and optional alpha.

    Parameters
    ----------
    source : a path to the file, or the file's bytes (for example an upload).
    max_pixels : refuse images with more pixels than this, judged from the header alone.

    Raises
    ------
    BadImageError
        With a one-sentence message, when the file is missing, empty, not an image in one of
        the formats above, damaged or cut off, or larger than ``max_pixels``.

    Notes
    -----
    Colour modes become 8-bit RGB as follows. Grey, black-and-white, palette and CMYK images are
    converted as Pillow converts them (CMYK through its ICC profile when there is one).
    16-bit grey samples are scaled to 8 bits, ``round(v * 255 / 65535)``; 16-bit colour and
    alpha samples keep their high byte, ``v // 256``, as Pillow reads them (at most 1 less), and
    a 16-bit PNG's transparent colour is matched on all 16 bits. 32-bit integer samples ("I")
    are read as 16-bit when any exceeds 255, else as 8-bit. Floating-point samples ("F") are
    read as 0..1 when they all lie in that range, else as 0..255; both are clipped.

    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGBA", (4, 2), (255, 0, 0, 0)).save(buffer, "PNG")
    >>> image = load_image(buffer.getvalue())
    >>> image.rgb.shape, image.rgb[0, 0].tolist(), image.alpha.tolist(), image.format
    ((2, 4, 3), [255, 0, 0], [[0, 0, 0, 0], [0, 0, 0, 0]], 'PNG')
    """
    return _read(source, max_pixels, min_width=None).image


#: The formats whose decoder can scale while it decodes.
REDUCIBLE = ("JPEG", "MPO")


@dataclass(frozen=True)
class ReducedImage:
    """An image decoded at a reduced scale, and the upright size of the full picture."""

    image: LoadedImage
    full_width: int
    full_height: int


def load_image_reduced(
    source: str | os.PathLike[str] | bytes, min_width: int, *, max_pixels: int = MAX_PIXELS
) -> ReducedImage:
    """The image as :func:`load_image` reads it, but decoded at a reduced scale where the format
    allows it: a quick copy to show, at least ``min_width`` pixels wide (when the picture is).

    A JPEG's decoder can scale by 1/2, 1/4 or 1/8 while it decodes, for a fraction of the work
    and memory of the full picture; the largest of those that leaves ``min_width`` pixels is
    used. Other formats are decoded at full size. The checks, the upright turn and the colours
    are those of :func:`load_image`, which stays the one reader of the full picture.

    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (4000, 3000), (200, 30, 30)).save(buffer, "JPEG")
    >>> reduced = load_image_reduced(buffer.getvalue(), 1400)
    >>> reduced.image.width, reduced.image.height, reduced.full_width, reduced.full_height
    (2000, 1500, 4000, 3000)
    """
    return _read(source, max_pixels, min_width)


def _read(
    source: str | os.PathLike[str] | bytes, max_pixels: int, min_width: int | None
) -> ReducedImage:
    with _opened(source) as (file, n_bytes):
        if n_bytes == 0:
            raise BadImageError(EMPTY)
        image = _identify(file)
        _check_pixel_count(*image.size, max_pixels)
        image_format = image.format
        stored_size = image.size
        # Only a JPEG is decoded reduced; its EXIF is read from the header. (A PNG's getexif()
        # decodes the whole picture to look past it, and a damaged one then fails half-read.)
        can_reduce = min_width is not None and image_format in REDUCIBLE
        sideways = can_reduce and _turned_sideways(image)
        reduced = can_reduce and _decode_reduced(image, min_width, sideways)
        _decode_upright(image, file)
        rgb, alpha = _rgb_and_alpha(image)
    loaded = LoadedImage(rgb, alpha, image_format, n_bytes)
    if not reduced:
        return ReducedImage(loaded, loaded.width, loaded.height)
    return ReducedImage(loaded, *(stored_size[::-1] if sideways else stored_size))


def _turned_sideways(image: Image.Image) -> bool:
    """Whether the EXIF orientation swaps width and height (a portrait shot held sideways)."""
    try:
        return image.getexif().get(ExifTags.Base.Orientation, 1) in (5, 6, 7, 8)
    except Exception:  # unreadable EXIF: decoding will say whether the file is damaged
        return False


def _decode_reduced(image: Image.Image, min_width: int, sideways: bool) -> bool:
    """Ask a JPEG's decoder for the smallest scale still ``min_width`` wide once upright;
    whether it will decode at a reduced size."""
    stored = image.size
    image.draft(None, (1, min_width) if sideways else (min_width, 1))
    return image.size != stored


@contextmanager
def _opened(source: str | os.PathLike[str] | bytes) -> Iterator[tuple[BinaryIO, int]]:
    """The source as a binary stream, and its size in bytes."""
    if isinstance(source, bytes | bytearray):
        yield io.BytesIO(source), len(source)
        return
    name = os.fsdecode(source)
    try:
        file = open(source, "rb")  # noqa: SIM115 - closed by the with-block below
    except FileNotFoundError:
        raise BadImageError(f"No such file: {name}.") from None
    except OSError:
        raise BadImageError(f"This file cannot be opened: {name}.") from None
    with file:
        yield file, os.fstat(file.fileno()).st_size


def _identify(file: BinaryIO) -> Image.Image:
    """Parse the file's header with the first of :data:`FORMATS` whose signature it carries.

    This is :func:`PIL.Image.open` restricted to our formats, minus its decompression-bomb
    check: that check would refuse a huge header before we could tell the user its size, and
    its limit is a global that other code may rely on.
    """
    Image.init()
    prefix = file.read(16)
    recognised = False
    for name in FORMATS:
        if name not in Image.OPEN:
            continue
        factory, accept = Image.OPEN[name]
        signature = accept(prefix) if accept else True
        if not signature or isinstance(signature, str):  # a str says the codec is missing
            continue
        recognised = True
        file.seek(0)
        try:
            return factory(file, "")
        except SyntaxError:
            continue  # Pillow's way to say "not this format after all"; try the next one
        except Image.DecompressionBombError:  # a GIF frame reaching far beyond the screen size
            raise BadImageError(TOO_MANY_PIXELS) from None
        except Exception:
            # The signature matched but the header is broken; how Pillow fails depends on
            # where, and every way means the same thing to the user.
            raise BadImageError(DAMAGED) from None
    raise BadImageError(DAMAGED if recognised else NOT_AN_IMAGE)


def _check_pixel_count(width: int, height: int, max_pixels: int) -> None:
    """Refuse an image over the pixel limit, before a single pixel is decoded."""
    if width * height > max_pixels:
        raise BadImageError(
            f"This image is {width:,} × {height:,} pixels; the limit is {max_pixels:,} pixels "
            f"(about {max_pixels / 1e6:.3g} megapixels)."
        )


def _decode_upright(image: Image.Image, file: BinaryIO) -> None:
    """Decode every pixel of the current frame, then turn it upright as its EXIF says, in place.

    Pillow's ``LOAD_TRUNCATED_IMAGES`` stays False, so a cut-off file fails here.
    """
    try:
        key_colour = _sixteen_bit_key_colour(image)
        image.load()
        if key_colour is not None:
            _make_key_colour_transparent(image, key_colour, file)
        ImageOps.exif_transpose(image, in_place=True)
    except Image.DecompressionBombError:  # only when max_pixels is above Pillow's own limit
        raise BadImageError(TOO_MANY_PIXELS) from None
    except MemoryError:
        raise BadImageError(OUT_OF_MEMORY) from None
    except Exception:
        # Decoders fail on bad data with OSError, SyntaxError, ValueError, EOFError,
        # struct.error and more; to the user they all mean the file is damaged.
        raise BadImageError(DAMAGED) from None


def _sixteen_bit_key_colour(image: Image.Image) -> tuple[int, int, int] | None:
    """The transparent colour of a 16-bit RGB PNG (its tRNS chunk), or None; call before load."""
    key = image.info.get("transparency")
    rawmodes = {tile.args for tile in image.tile}
    if image.format == "PNG" and isinstance(key, tuple) and rawmodes == {"RGB;16B"}:
        return key
    return None


def _make_key_colour_transparent(
    image: Image.Image, key: tuple[int, int, int], file: BinaryIO
) -> None:
    """Give a decoded 16-bit RGB PNG an alpha channel that hides exactly its key colour.

    Pillow keeps only the high byte of each 16-bit sample, so colours that differ in the low
    byte alone look equal to it and its own tRNS matching misses the key colour entirely. The
    file is decoded once more for the low bytes, and the match is made on all 16 bits.
    """
    file.seek(0)
    with _identify(file) as low_bytes:
        # Read as little-endian, each sample's second (low) byte becomes its 8-bit value.
        low_bytes.tile = [tile._replace(args="RGB;16L") for tile in low_bytes.tile]
        low_bytes.load()
        high, low = np.asarray(image), np.asarray(low_bytes)
        is_key = np.ones(high.shape[:2], dtype=bool)
        for channel, sample in enumerate(key):
            is_key &= (high[:, :, channel] == sample >> 8) & (low[:, :, channel] == sample & 255)
    image.putalpha(Image.fromarray(np.where(is_key, 0, 255).astype(np.uint8)))
    del image.info["transparency"]


def _rgb_and_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """The decoded image as (H, W, 3) uint8 sRGB and (H, W) uint8 alpha, or None if opaque."""
    try:
        if image.mode in (*_SIXTEEN_BIT_MODES, "I", "F"):
            return _grey_rgb_and_alpha(image)
        image = _in_srgb(image)
        if image.has_transparency_data:
            return _split_alpha(np.asarray(_released(image, image.convert("RGBA"))))
        if image.mode != "RGB":
            image = _released(image, image.convert("RGB"))
        return np.asarray(image), None
    except MemoryError:
        raise BadImageError(OUT_OF_MEMORY) from None
    except ValueError:  # a mode Pillow cannot convert to RGB, such as premultiplied "La"
        raise BadImageError(UNKNOWN_COLOURS) from None


def _released(old: Image.Image, new: Image.Image) -> Image.Image:
    """Return ``new`` after freeing ``old``'s pixels, so only one decoded copy is ever held."""
    old.close()
    return new


def _in_srgb(image: Image.Image) -> Image.Image:
    """The image with its embedded ICC profile applied, or as stored when that is not possible."""
    icc = image.info.get("icc_profile")
    if not icc or ImageCms is None or image.mode not in _COLOUR_MANAGED_MODES:
        return image
    try:
        converted = ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except Exception:
        # A broken or unusual profile is no reason to refuse the picture: the stored colours
        # are what most viewers show anyway.
        return image
    return _released(image, converted)


def _split_alpha(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    alpha = rgba[:, :, 3]
    return np.ascontiguousarray(rgba[:, :, :3]), (None if alpha.min() == 255 else alpha.copy())


def _grey_rgb_and_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """RGB and alpha for a grey image with 16-bit, 32-bit integer or floating-point samples."""
    samples = np.asarray(image)
    grey = _float_to_eight_bits(samples) if image.mode == "F" else _int_to_eight_bits(samples)
    alpha = None
    transparent = image.info.get("transparency")
    if isinstance(transparent, int) and image.mode != "F":
        # A PNG tRNS chunk on a grey image names one sample value that is fully transparent.
        alpha = np.where(samples == transparent, 0, 255).astype(np.uint8)
        alpha = None if alpha.min() == 255 else alpha
    return np.repeat(grey[:, :, np.newaxis], 3, axis=2), alpha


def _int_to_eight_bits(samples: np.ndarray) -> np.ndarray:
    """16-bit samples scaled to 8 bits; samples that already fit in 8 bits kept as they are.

    >>> _int_to_eight_bits(np.array([[0, 32768, 65535]], dtype=np.uint16)).tolist()
    [[0, 128, 255]]
    >>> _int_to_eight_bits(np.array([[0, 17, 255]], dtype=np.int32)).tolist()
    [[0, 17, 255]]
    """
    if samples.max() > 255:
        return _SIXTEEN_TO_EIGHT[np.clip(samples, 0, 65_535)]
    return np.clip(samples, 0, 255).astype(np.uint8)


def _float_to_eight_bits(samples: np.ndarray) -> np.ndarray:
    """Floating-point samples in 0..1 scaled to 0..255; any other range clipped to 0..255.

    >>> _float_to_eight_bits(np.array([[0.0, 0.5, 1.0]], dtype=np.float32)).tolist()
    [[0, 128, 255]]
    >>> _float_to_eight_bits(np.array([[-3.0, 100.4, 300.0]], dtype=np.float32)).tolist()
    [[0, 100, 255]]
    """
    samples = np.nan_to_num(samples, nan=0.0)
    if samples.min() >= 0 and samples.max() <= 1:
        samples = samples * 255
    return np.clip(np.rint(samples), 0, 255).astype(np.uint8)

"""K colours against the codecs people use: the smallest JPEG, WebP and AVIF that look as close.

A K-colour file is only worth having if nothing else that looks as close is smaller. For each
lossy codec this module finds the **smallest file whose mean ΔE_OK and 99th-percentile ΔE_OK
are both no worse than the K-colour result's** (:func:`same_closeness`). The mean alone is kind
to blur and blocking, which spread a small error over many pixels; the 99th percentile catches
the ringing round an edge and the colour that went wrong.

The search is a bisection on the codec's quality (1 to 100). A higher quality almost always
looks closer and takes more bytes, so the smallest quality that meets both bounds gives the
smallest file that does. "Almost": a codec's rate control is not strictly monotonic, so the
search assumes it is, as :mod:`kmeans.autok` does for K. It never returns a quality it did not
measure as meeting both bounds, and the quality just below it was measured and failed; where
the codec is not monotonic a lower quality could also meet them. When even quality 100 fails,
the codec **cannot reach the closeness at any quality**, and the match says so.

On a large image every trial would encode, decode and measure millions of pixels, so the
bisection runs on a sample: ``SAMPLE_TILES`` tiles of ``TILE`` × ``TILE`` pixels on a regular
grid, aligned to the 16-pixel blocks all three codecs work in, joined into one small image.
The sample's errors are not the whole image's, but differ from them by about a constant ratio:
measured on the whole image at the sample's answer, that ratio corrects the bounds, and a second
bisection on the sample gives a second answer. The lower of the two that the whole image meets
is returned (when neither does, the quality is raised in growing steps, then by bisection), so
the sizes and the closeness reported are always those of the real, full-size file. On a large
image the quality below the answer was measured on the sample only, so the answer can be a
little above the true smallest.

Each codec runs with Pillow's defaults besides the quality: 4:2:0 chroma subsampling (WebP's
lossy mode has no other), and AVIF at speed 6.

A smooth ramp is easy for JPEG; a sharp red edge is not, whatever the quality, because JPEG
stores colour at half resolution:

>>> ramp = np.zeros((32, 32, 3), np.uint8); ramp[..., 0] = np.arange(32) * 8; ramp[..., 1] = 100
>>> match = same_closeness(ramp, PerceptualError(1.0, 3.0, 0.0), "jpeg")
>>> match.quality, match.delta_e <= 1.0, match.delta_e_p99 <= 3.0
(16, True, True)
>>> edge = np.zeros((32, 32, 3), np.uint8); edge[:, 16:] = (200, 40, 30)
>>> print(same_closeness(edge, PerceptualError(2.0, 10.0, 0.0), "jpeg").reason)
... # doctest: +NORMALIZE_WHITESPACE
JPEG cannot look this close at any quality: at quality 100 its ΔE is 0.74 (99%: 15.4),
against 2.00 (10.0).
"""

from __future__ import annotations

import io
import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image

from kmeans.autok import first_holding
from kmeans.errors import KMeansError
from kmeans.perceptual import Original, PerceptualError, perceptual_error

#: The lossy codecs compared, by the name Pillow saves them under.
CODECS = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF"}
LOWEST_QUALITY, HIGHEST_QUALITY = 1, 100
#: The codecs by the time one encode takes, slowest first.
SLOWEST_FIRST = ("avif", "webp", "jpeg")
#: Side of a sample tile: a multiple of the 16-pixel blocks of JPEG (4:2:0), WebP and AVIF.
TILE = 128
#: Tiles in the sample the bisection runs on (a quarter of a megapixel in all).
SAMPLE_TILES = 16
#: Pixels next to a join between tiles that the sample does not measure.
JOIN_MARGIN = 8

#: Called after each quality tried with (fraction done, what was just measured).
CodecProgress = Callable[[float, str], None]


@dataclass(frozen=True)
class CodecMatch:
    """The smallest file of one codec that looks at least as close as the K-colour result.

    Attributes
    ----------
    codec : ``jpeg``, ``webp`` or ``avif``.
    quality : the codec's quality for that file, or None when no quality reaches the closeness.
    data : the file's bytes at ``quality`` (None when not reached).
    delta_e, delta_e_p99 : that file's mean and 99th-percentile ΔE_OK over the whole image; when
        not reached, those of the closest file (quality 100).
    reason : one sentence when not reached, else None.
    """

    codec: str
    quality: int | None
    data: bytes | None
    delta_e: float
    delta_e_p99: float
    reason: str | None = None

    @property
    def reached(self) -> bool:
        return self.quality is not None

    @property
    def n_bytes(self) -> int | None:
        return None if self.data is None else len(self.data)

    @property
    def name(self) -> str:
        return CODECS[self.codec]


def encode_lossy(
    rgb: np.ndarray, codec: str, quality: int, alpha: np.ndarray | None = None
) -> bytes:
    """``rgb`` (and ``alpha``, for WebP and AVIF) written by ``codec`` at ``quality``.

    >>> data = encode_lossy(np.full((8, 8, 3), 90, np.uint8), "jpeg", 75)
    >>> data[:2] == b"\\xff\\xd8"
    True
    """
    _check_codec(codec)
    pixels = rgb if alpha is None else np.dstack([rgb, alpha])
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, CODECS[codec].upper(), quality=int(quality))
    return buffer.getvalue()


def closeness_of(
    rgb: np.ndarray,
    data: bytes,
    alpha: np.ndarray | None = None,
    measured: np.ndarray | None = None,
) -> PerceptualError:
    """Mean and 99th-percentile ΔE_OK of a lossy file against ``rgb``, read back by Pillow.

    With ``alpha`` both images are judged as seen, as the K-colour result is
    (:func:`~kmeans.perceptual.perceptual_error`). ``measured``, a boolean mask, leaves the
    other pixels out: they count as transparent in both images.
    """
    if alpha is None:
        return Original(rgb, measured).perceptual_error(_decoded(data, "RGB"))
    seen = _decoded(data, "RGBA")
    alphas = alpha, seen[..., 3]
    if measured is not None:
        alphas = tuple(np.where(measured, a, 0).astype(np.uint8) for a in alphas)
    return perceptual_error(rgb, np.ascontiguousarray(seen[..., :3]), *alphas)


def _decoded(data: bytes, mode: str) -> np.ndarray:
    """The pixels of a file, as Pillow reads them, in ``mode`` (``RGB`` or ``RGBA``)."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image if image.mode == mode else image.convert(mode))


def same_closeness(
    rgb: np.ndarray,
    target: PerceptualError,
    codec: str,
    *,
    alpha: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
    sample: bool = True,
) -> CodecMatch:
    """The smallest ``codec`` file whose mean and p99 ΔE_OK are at most ``target``'s.

    Parameters
    ----------
    rgb : (H, W, 3) uint8, the original image.
    target : the K-colour result's :class:`~kmeans.perceptual.PerceptualError`; only ``delta_e``
        and ``delta_e_p99`` count.
    codec : ``jpeg``, ``webp`` or ``avif``.
    alpha : the original's (H, W) alpha, or None for an opaque image. JPEG cannot store
        transparency, so with some transparent pixel it is not reached.
    progress : called with a few words after each quality measured.
    sample : bisect on a sample of tiles first when the image is large (see the module's
        docstring); False bisects on the whole image, exactly and more slowly.
    """
    _check_codec(codec)
    return _search(_Prepared.of(rgb, alpha, sample), target, codec, progress)


def _search(
    prepared: _Prepared,
    target: PerceptualError,
    codec: str,
    progress: Callable[[str], None] | None,
) -> CodecMatch:
    """:func:`same_closeness` on an image prepared for it."""
    if codec == "jpeg" and prepared.whole.alpha is not None:
        return CodecMatch(codec, None, None, 0.0, 0.0, "JPEG cannot store transparency.")
    whole = _Trials(prepared.whole, codec, target, progress)
    if prepared.sample is None:
        return whole.match(_lowest_meeting(LOWEST_QUALITY, HIGHEST_QUALITY, whole.meets))
    on_sample = _Trials(prepared.sample, codec, target, progress)
    first = _lowest_meeting(LOWEST_QUALITY, HIGHEST_QUALITY, on_sample.meets)
    if first is None:  # never on the sample: the whole image decides, from its best quality
        if not whole.meets(HIGHEST_QUALITY):
            return whole.match(None)
        return whole.match(_lowest_meeting(LOWEST_QUALITY, HIGHEST_QUALITY, whole.meets))
    # The sample's errors differ from the whole image's by about a constant ratio; measured at
    # the first answer, it corrects the bounds for a second search on the sample.
    corrected = _corrected(target, on_sample.error(first), whole.error(first))
    second = _lowest_meeting(
        LOWEST_QUALITY, HIGHEST_QUALITY, lambda q: on_sample.meets(q, corrected)
    )
    for quality in sorted({first, second or HIGHEST_QUALITY}):
        if whole.meets(quality):
            return whole.match(quality)
    return whole.match(_gallop_up(max(first, second or HIGHEST_QUALITY), whole.meets))


def compare_codecs(
    rgb: np.ndarray,
    target: PerceptualError,
    *,
    alpha: np.ndarray | None = None,
    codecs: tuple[str, ...] = tuple(CODECS),
    progress: CodecProgress | None = None,
) -> tuple[CodecMatch, ...]:
    """:func:`same_closeness` for each codec, two at a time, in the order of ``codecs``.

    The encoders and the ΔE measurement let go of Python's lock, so on two cores two codecs
    searching side by side take about half the time of one after the other. ``progress`` is
    called from the calling thread only (a page's progress bar can be updated from no other).
    """
    for codec in codecs:
        _check_codec(codec)
    prepared = _Prepared.of(rgb, alpha)
    measured: queue.SimpleQueue[str] = queue.SimpleQueue()
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The slowest encoder first, so that it is not the one left running alone at the end.
        searches = {
            codec: pool.submit(_search, prepared, target, codec, measured.put)
            for codec in sorted(codecs, key=SLOWEST_FIRST.index)
        }
        done = 0
        while not all(search.done() for search in searches.values()) or not measured.empty():
            try:
                words = measured.get(timeout=0.1)
            except queue.Empty:
                continue
            done += 1
            if progress is not None:
                # About 8 trials a codec on the sample and 2 on the whole image.
                progress(min(1.0, done / (10 * len(codecs))), words)
        return tuple(searches[codec].result() for codec in codecs)


def verdict(k_colour_bytes: int, matches: tuple[CodecMatch, ...]) -> str:
    """One sentence for a non-programmer: does a lossy codec that looks as close beat K colours?

    >>> jpeg = CodecMatch("jpeg", 80, bytes(1000), 1.0, 5.0)
    >>> print(verdict(3000, (jpeg,)))  # doctest: +NORMALIZE_WHITESPACE
    For this image a JPEG that looks as close is 3× smaller; K colours pay off for logos,
    charts, screenshots and pixel art.
    >>> avif = CodecMatch("avif", None, None, 3.0, 20.0, "AVIF cannot look this close.")
    >>> print(verdict(500, (jpeg, avif)))  # doctest: +NORMALIZE_WHITESPACE
    Here K colours win: the file is 2.0× smaller than the JPEG that looks as close, and AVIF
    cannot look this close at any quality.
    """
    reached = sorted((m for m in matches if m.reached), key=lambda m: m.n_bytes)
    missing = [m.name for m in matches if not m.reached]
    unreachable = f"{_joined(missing)} cannot look this close at any quality" if missing else ""
    if reached and reached[0].n_bytes < k_colour_bytes:
        best = reached[0]
        return (
            f"For this image {_a(best.name)} that looks as close is "
            f"{_times(k_colour_bytes / best.n_bytes)} smaller; K colours pay off for logos, "
            "charts, screenshots and pixel art."
        )
    if not reached:
        return f"Here K colours win: {unreachable}."
    best = reached[0]
    sentence = (
        f"Here K colours win: the file is {_times(best.n_bytes / k_colour_bytes)} smaller than "
        f"the {best.name} that looks as close"
    )
    return f"{sentence}, and {unreachable}." if missing else f"{sentence}."


def _check_codec(codec: str) -> None:
    if codec not in CODECS:
        raise KMeansError(f"The codec must be jpeg, webp or avif, not {codec!r}.")


def _a(name: str) -> str:
    """The name with its article: 'a JPEG', 'an AVIF'."""
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name}"


def _times(ratio: float) -> str:
    """'3×' from 3 up, else one decimal: '1.7×'."""
    return f"{ratio:.0f}×" if ratio >= 3 else f"{ratio:.1f}×"


def _joined(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class _Picture:
    """An image whose files the search measures: the whole image, or the sample of a large one.

    An opaque one is converted to Oklab once (:class:`~kmeans.perceptual.Original`), for every
    quality of every codec.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    measured: np.ndarray | None  # the pixels that count, when not all of them
    original: Original | None

    @classmethod
    def of(
        cls, rgb: np.ndarray, alpha: np.ndarray | None, measured: np.ndarray | None = None
    ) -> _Picture:
        original = Original(rgb, measured) if alpha is None else None
        return cls(rgb, alpha, measured, original)

    def closeness(self, data: bytes) -> PerceptualError:
        """:func:`closeness_of` a file of this image."""
        if self.original is not None:
            return self.original.perceptual_error(_decoded(data, "RGB"))
        return closeness_of(self.rgb, data, self.alpha, self.measured)


@dataclass(frozen=True)
class _Prepared:
    """The whole image and, for a large one, the sample: made once for every codec."""

    whole: _Picture
    sample: _Picture | None

    @classmethod
    def of(cls, rgb: np.ndarray, alpha: np.ndarray | None, sample: bool = True) -> _Prepared:
        if alpha is not None and (alpha == 255).all():
            alpha = None
        sampled = _sample(rgb, alpha) if sample else None
        return cls(_Picture.of(rgb, alpha), None if sampled is None else _Picture.of(*sampled))


class _Trials:
    """One image and one codec: each quality encoded, decoded and measured at most once."""

    def __init__(
        self,
        picture: _Picture,
        codec: str,
        target: PerceptualError,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.picture, self.codec, self.target = picture, codec, target
        self.progress = progress
        self.measured: dict[int, tuple[bytes, PerceptualError]] = {}

    def measure(self, quality: int) -> tuple[bytes, PerceptualError]:
        if quality not in self.measured:
            picture = self.picture
            data = encode_lossy(picture.rgb, self.codec, quality, picture.alpha)
            self.measured[quality] = data, picture.closeness(data)
            if self.progress is not None:
                error = self.measured[quality][1]
                self.progress(
                    f"{CODECS[self.codec]} quality {quality}: ΔE {error.delta_e:.2f}, "
                    f"99% {error.delta_e_p99:.1f}"
                )
        return self.measured[quality]

    def error(self, quality: int) -> PerceptualError:
        return self.measure(quality)[1]

    def meets(self, quality: int, target: PerceptualError | None = None) -> bool:
        """Whether ``quality`` meets both bounds of ``target`` (by default the search's)."""
        error, bounds = self.error(quality), target or self.target
        return error.delta_e <= bounds.delta_e and error.delta_e_p99 <= bounds.delta_e_p99

    def match(self, quality: int | None) -> CodecMatch:
        if quality is not None:
            data, error = self.measure(quality)
            return CodecMatch(self.codec, quality, data, error.delta_e, error.delta_e_p99)
        _, best = self.measure(HIGHEST_QUALITY)
        reason = (
            f"{CODECS[self.codec]} cannot look this close at any quality: at quality "
            f"{HIGHEST_QUALITY} its ΔE is {best.delta_e:.2f} (99%: {best.delta_e_p99:.1f}), "
            f"against {self.target.delta_e:.2f} ({self.target.delta_e_p99:.1f})."
        )
        return CodecMatch(self.codec, None, None, best.delta_e, best.delta_e_p99, reason)


def _lowest_meeting(low: int, high: int, meets: Callable[[int], bool]) -> int | None:
    """The lowest quality in [low, high] that meets, by bisection; None when none does.

    A quality just below the range is taken to fail and one just above it to meet, so every
    quality measured is in the range; ending above it means ``high`` itself was measured and
    failed.

    >>> _lowest_meeting(1, 100, lambda q: q >= 37), _lowest_meeting(1, 100, lambda q: False)
    (37, None)
    """
    found = first_holding(low - 1, high + 1, lambda quality: quality > high or meets(quality))
    return None if found > high else found


def _corrected(
    target: PerceptualError, on_sample: PerceptualError, on_whole: PerceptualError
) -> PerceptualError:
    """The bounds for the sample that the whole image's bounds correspond to, ratio by ratio."""

    def scaled(bound: float, sample_value: float, whole_value: float) -> float:
        return bound if whole_value == 0 else bound * sample_value / whole_value

    return PerceptualError(
        scaled(target.delta_e, on_sample.delta_e, on_whole.delta_e),
        scaled(target.delta_e_p99, on_sample.delta_e_p99, on_whole.delta_e_p99),
        target.lost_hue,
    )


def _gallop_up(failing: int, meets: Callable[[int], bool]) -> int | None:
    """The lowest quality above ``failing`` that meets: steps of 1, 2, 4, … then bisection.

    Where the sample was a little optimistic, the answer is a few qualities up, so this measures
    the whole image two or three times rather than bisecting all the way from 100.

    >>> _gallop_up(40, lambda q: q >= 45)
    45
    """
    step = 1
    while failing + step < HIGHEST_QUALITY and not meets(failing + step):
        failing, step = failing + step, step * 2
    high = min(failing + step, HIGHEST_QUALITY)
    if not meets(high):
        return None
    return _lowest_meeting(failing + 1, high, meets)


def _sample(
    rgb: np.ndarray, alpha: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray] | None:
    """``SAMPLE_TILES`` block-aligned tiles joined in a grid, or None for a small image.

    Returns the joined colours and alpha, and which pixels to measure: all but those within
    ``JOIN_MARGIN`` of a join between tiles. Where two tiles meet the sample has an edge the
    image does not, and the codecs' errors there are not the image's.
    """
    height, width = rgb.shape[:2]
    if height * width <= 2 * SAMPLE_TILES * TILE * TILE or min(height, width) < 2 * TILE:
        return None
    rows = max(1, min(height // TILE, round((SAMPLE_TILES * height / width) ** 0.5)))
    columns = max(1, min(width // TILE, SAMPLE_TILES // rows))
    tops, lefts = _starts(height, rows), _starts(width, columns)

    def tiled(plane: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                np.concatenate([plane[t : t + TILE, x : x + TILE] for x in lefts], axis=1)
                for t in tops
            ],
            axis=0,
        )

    inside = np.arange(TILE)
    inside = (inside >= JOIN_MARGIN) & (inside < TILE - JOIN_MARGIN)
    keep = np.tile(inside, rows)[:, None] & np.tile(inside, columns)[None, :]
    return tiled(rgb), None if alpha is None else tiled(alpha), keep


def _starts(length: int, count: int) -> list[int]:
    """``count`` tile starts spread over ``length``, each on a 16-pixel block boundary."""
    last = (length - TILE) // 16 * 16
    return [i * last // max(1, count - 1) // 16 * 16 for i in range(count)]

"""Choosing K for the user: the fewest colours that look close, or the most that fit a file size.

Two questions people ask of a quantiser more often than "give me K colours":

* **"The smallest K that looks close"** (:func:`smallest_k_for_quality`), as pngquant's
  ``--quality``: the least K whose result meets a :class:`QualityTarget`, a PSNR in decibels
  (higher is better) and/or a mean ΔE_OK (the Oklab colour difference × 100; lower is better,
  2 is just noticeable: :data:`kmeans.closeness.JUST_NOTICEABLE`).
* **"The largest K under N bytes"** (:func:`largest_k_under_bytes`): the most colours whose
  file, the real bytes that are written (an optimised PNG, a lossless WebP or a GIF), fits the
  budget.

Both search the same way. Quality and file size grow with K, but only *roughly*: K-Means stops
in a local minimum, so K = 23 can come out a little worse than K = 22. The search therefore
assumes monotonicity and checks every answer it gives:

1. **Coarse pass over powers of two.** K = 1, 2, 4, … 256 (capped at the image's number of
   distinct colours; the byte search may start from a larger smallest K), in order, until the
   first K that meets the target (quality) or breaks the budget (bytes). This brackets the
   answer between two neighbouring powers.
2. **Bisection inside the bracket**, keeping one end that meets the target and one that does
   not, until they are neighbours.

Every K the search returns as ``met`` was measured and meets the target; where monotonicity
fails, bisection may miss a smaller (or larger) K that would also have met it, but it never
returns one that does not. The colours are counted once (:func:`~kmeans.quantization.count_colours`)
and every K runs with the same :class:`~kmeans.settings.Settings`, so a search costs about 9 to
16 quantisations of the distinct colours, not of every pixel.

>>> rgb = np.zeros((8, 8, 3), dtype=np.uint8); rgb[:, 4:] = (200, 40, 30); rgb[4:, :4] = 90
>>> search = smallest_k_for_quality(rgb, QualityTarget(psnr=40))
>>> search.k, search.met, [t.k for t in search.tried]
(3, True, [1, 2, 3])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kmeans.errors import KMeansError
from kmeans.io import LoadedImage
from kmeans.optimise import DEFAULT_LEVEL
from kmeans.pipeline import FORMAT_NAMES, Compression, compress
from kmeans.quantization import ColourCounts, count_colours
from kmeans.settings import MAX_K, Settings, check_k


@dataclass(frozen=True)
class QualityTarget:
    """What "looks close" means: a PSNR to reach, a mean ΔE_OK to stay under, or both.

    Attributes
    ----------
    psnr : least PSNR in decibels (30 is rough, 40 close, 50 hard to tell apart), or None.
    delta_e : greatest mean ΔE_OK over the pixels (2 is just noticeable), or None.

    >>> QualityTarget(psnr=40).describe()
    'PSNR ≥ 40 dB'
    >>> QualityTarget()
    Traceback (most recent call last):
    kmeans.errors.KMeansError: A quality target needs a PSNR, a ΔE_OK or both.
    """

    psnr: float | None = None
    delta_e: float | None = None

    def __post_init__(self) -> None:
        if self.psnr is None and self.delta_e is None:
            raise KMeansError("A quality target needs a PSNR, a ΔE_OK or both.")
        for name, value, unit in (("PSNR", self.psnr, " dB"), ("ΔE_OK", self.delta_e, "")):
            if value is not None and not _is_positive_number(value):
                raise KMeansError(
                    f"The {name} target must be a positive finite number{unit}, not {value!r}."
                )

    def describe(self) -> str:
        """The target in words, for reports: 'PSNR ≥ 40 dB and ΔE_OK ≤ 2'."""
        parts = []
        if self.psnr is not None:
            parts.append(f"PSNR ≥ {self.psnr:g} dB")
        if self.delta_e is not None:
            parts.append(f"ΔE_OK ≤ {self.delta_e:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Tried:
    """One K the search measured.

    Attributes
    ----------
    k : the K asked for (the palette can be smaller when the image has fewer colours).
    psnr : PSNR in dB (``math.inf`` when the result is lossless) and
    delta_e : mean ΔE_OK, both of :class:`~kmeans.pipeline.Compression`: over every pixel, or
        for an image with transparency as seen, over white and over black.
    file_bytes : size of the file written for this K, or None when the search did not need it
        (the quality search does not encode the K it measures, only the one it returns).
    """

    k: int
    psnr: float
    delta_e: float
    file_bytes: int | None = None


@dataclass(frozen=True)
class KSearch:
    """The K a search chose, its result, and every K it tried on the way.

    Attributes
    ----------
    k : the chosen K.
    compression : the image quantised with it, ready to write (``compression.file(format)``).
    tried : every K measured, in the order tried.
    met : whether the chosen K meets the target; when False it is the closest the search found
        (K at its largest for quality, the smallest K for a byte budget) and ``reason`` says why.
    reason : one sentence when ``met`` is False, else None.
    """

    k: int
    compression: Compression
    tried: tuple[Tried, ...]
    met: bool
    reason: str | None = None


#: Called after each K is measured, with what was measured.
SearchProgress = Callable[[Tried], None]


def smallest_k_for_quality(
    image: LoadedImage | np.ndarray,
    target: QualityTarget,
    settings: Settings | None = None,
    *,
    progress: SearchProgress | None = None,
) -> KSearch:
    """The least K whose result meets ``target``, as pngquant's ``--quality``.

    Parameters
    ----------
    image : a :class:`~kmeans.io.LoadedImage` or an (H, W, 3) uint8 array.
    target : a :class:`QualityTarget`.
    settings : the :class:`~kmeans.settings.Settings` for every K (the defaults when None).
    progress : called with each :class:`Tried` as it is measured.

    Returns a :class:`KSearch` whose ``k`` meets the target; every tried K below it failed. When
    even the largest K fails, ``met`` is False and the result is that largest K.

    >>> rgb = np.arange(64 * 3, dtype=np.uint8).reshape(8, 8, 3)
    >>> search = smallest_k_for_quality(rgb, QualityTarget(psnr=30))
    >>> search.met, search.tried[-1].k - 1 in [t.k for t in search.tried]
    (True, True)
    """
    if not isinstance(target, QualityTarget):
        raise KMeansError(f"The quality target must be a QualityTarget, not {target!r}.")
    trial = _Trials(image, settings, progress)

    def meets(k: int) -> bool:
        return quality_meets(trial.measure(k), target)

    found = _first_power(trial.largest_k, meets)
    if found is None:
        best = trial.measure(trial.largest_k)
        reason = (
            f"No K up to {trial.largest_k} reaches {target.describe()}; the closest, "
            f"K={trial.largest_k}, has PSNR {best.psnr:.1f} dB and ΔE_OK {best.delta_e:.2f}."
        )
        return trial.search(trial.largest_k, met=False, reason=reason)
    failing, meeting = found
    return trial.search(first_holding(failing, meeting, meets), met=True)


def largest_k_under_bytes(
    image: LoadedImage | np.ndarray,
    max_bytes: int,
    settings: Settings | None = None,
    *,
    progress: SearchProgress | None = None,
    file_format: str = "png",
    optimisation: int = DEFAULT_LEVEL,
    smallest_k: int = 1,
) -> KSearch:
    """The most colours, from ``smallest_k`` up, whose file is at most ``max_bytes`` long.

    Sizes are those of the real file, ``compression.file(file_format)`` with the given
    :mod:`~kmeans.optimise` level. Every tried K above the one returned broke the budget. When
    even ``smallest_k`` does, ``met`` is False and the result is ``smallest_k``, the smallest
    file in the range searched.

    Parameters are as :func:`smallest_k_for_quality`, with ``max_bytes`` a whole number ≥ 1,
    ``file_format`` one of ``png``, ``webp`` or ``gif``, and ``smallest_k`` from 1 to 256.

    >>> rgb = np.arange(64 * 3, dtype=np.uint8).reshape(8, 8, 3)
    >>> search = largest_k_under_bytes(rgb, 200)
    >>> search.met, len(search.compression.png) <= 200
    (True, True)
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer) or max_bytes < 1:
        raise KMeansError(
            f"The byte budget must be a whole number of at least 1, not {max_bytes!r}."
        )
    check_k(smallest_k)
    trial = _Trials(image, settings, progress, file_format=file_format, optimisation=optimisation)
    lowest = min(smallest_k, trial.largest_k)

    def too_big(k: int) -> bool:
        return trial.measure(k).file_bytes > max_bytes

    found = _first_power(trial.largest_k, too_big, lowest)
    if found is None:
        return trial.search(trial.largest_k, met=True)
    fitting, breaking = found
    if fitting < lowest:
        size = trial.measure(lowest).file_bytes
        colours = "one colour makes" if lowest == 1 else f"{lowest} colours make"
        reason = (
            f"Even {colours} a {FORMAT_NAMES[file_format]} of {size:,} bytes, over the budget "
            f"of {max_bytes:,} bytes."
        )
        return trial.search(lowest, met=False, reason=reason)
    return trial.search(first_holding(fitting, breaking, too_big) - 1, met=True)


def quality_meets(tried: Tried, target: QualityTarget) -> bool:
    """Whether a measured K meets every part of the target.

    >>> quality_meets(Tried(8, psnr=41.0, delta_e=3.0), QualityTarget(psnr=40, delta_e=2))
    False
    """
    psnr_met = target.psnr is None or tried.psnr >= target.psnr
    delta_e_met = target.delta_e is None or tried.delta_e <= target.delta_e
    return psnr_met and delta_e_met


def _first_power(
    largest_k: int, stops: Callable[[int], bool], smallest_k: int = 1
) -> tuple[int, int] | None:
    """The bracket (previous K, first K) of the first coarse K (see :func:`_coarse_ks`) that
    ``stops``.

    The previous K is ``smallest_k - 1`` when ``smallest_k`` already stops; None when none does.
    """
    previous = smallest_k - 1
    for k in _coarse_ks(largest_k, smallest_k):
        if stops(k):
            return previous, k
        previous = k
    return None


def _coarse_ks(largest_k: int, smallest_k: int = 1) -> list[int]:
    """``smallest_k``, the powers of two between it and ``largest_k``, then ``largest_k`` itself.

    >>> _coarse_ks(256), _coarse_ks(100)
    ([1, 2, 4, 8, 16, 32, 64, 128, 256], [1, 2, 4, 8, 16, 32, 64, 100])
    >>> _coarse_ks(256, 3)
    [3, 4, 8, 16, 32, 64, 128, 256]
    """
    powers = [1 << power for power in range(largest_k.bit_length())]
    between = [k for k in powers if smallest_k < k < largest_k]
    return sorted({smallest_k, *between, largest_k})


def first_holding(low: int, high: int, stops: Callable[[int], bool]) -> int:
    """The whole number in (low, high] where ``stops`` first holds, given it fails at low and
    holds at high: a K here, a codec's quality in :mod:`kmeans.codecs`.

    Each step measures the middle and keeps the half whose ends still disagree, so ``high`` is
    always a value where ``stops`` was seen to hold, and ``low`` one where it was seen to fail.

    >>> first_holding(4, 8, lambda k: k >= 6)
    6
    """
    while high - low > 1:
        middle = (low + high) // 2
        if stops(middle):
            high = middle
        else:
            low = middle
    return high


class _Trials:
    """The image counted once, and each K quantised and measured at most once."""

    def __init__(
        self,
        image: LoadedImage | np.ndarray,
        settings: Settings | None,
        progress: SearchProgress | None,
        *,
        file_format: str | None = None,
        optimisation: int = DEFAULT_LEVEL,
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.file_format = file_format  # None: measure quality only, write no file
        self.optimisation = optimisation
        self.colour_counts: ColourCounts = count_colours(image)
        self.source = _as_loaded(image, self.colour_counts)
        limit = MAX_K - 1 if self.colour_counts.has_transparency else MAX_K
        # Past the number of distinct colours every K gives the same lossless result.
        self.largest_k = min(limit, len(self.colour_counts.colours))
        self.compressions: dict[int, Compression] = {}
        self.measured: dict[int, Tried] = {}

    def measure(self, k: int) -> Tried:
        if k not in self.measured:
            compression = compress(
                self.source,
                k,
                self.settings,
                colours=self.colour_counts,
                optimisation=self.optimisation,
            )
            size = None if self.file_format is None else len(compression.file(self.file_format))
            tried = Tried(
                k=k,
                psnr=compression.psnr,
                delta_e=compression.perceptual.delta_e,
                file_bytes=size,
            )
            self.compressions[k] = compression
            self.measured[k] = tried
            if self.progress is not None:
                self.progress(tried)
        return self.measured[k]

    def search(self, k: int, *, met: bool, reason: str | None = None) -> KSearch:
        self.measure(k)
        return KSearch(k, self.compressions[k], tuple(self.measured.values()), met, reason)


def _as_loaded(image: LoadedImage | np.ndarray, colours: ColourCounts) -> LoadedImage:
    """The image as :func:`~kmeans.pipeline.compress` takes it; an array becomes a raw image."""
    if isinstance(image, LoadedImage):
        return image
    # A view, so marking it read-only (as LoadedImage does) leaves the caller's array writable.
    rgb = colours.rgb.view()
    return LoadedImage(rgb, None, "raw", rgb.nbytes)


def _is_positive_number(value: object) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float | np.integer | np.floating)
        and math.isfinite(value)
        and value > 0
    )

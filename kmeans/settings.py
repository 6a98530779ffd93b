"""One object for every knob of a quantisation, shared by the library, the CLI and the page.

Like libimagequant's ``liq_attr``, :class:`Settings` carries the choices through the pipeline, so
:func:`~kmeans.quantization.quantize`, :func:`~kmeans.pipeline.compress`, the command line and the
page do not each repeat the same keyword arguments. It is frozen and hashable, so the page can use
it as a cache key as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmeans.deprecation import renamed_keywords, warn_renamed
from kmeans.dither import DITHER_METHODS
from kmeans.encode import MAX_PALETTE_SIZE
from kmeans.errors import KMeansError

#: Largest K: an indexed PNG holds at most 256 colours.
MAX_K = MAX_PALETTE_SIZE
#: How the starting colours are chosen: histogram seeding (:mod:`kmeans.seeding`), the default,
#: or K random pixel colours, the textbook method.
INITS = ("histogram", "random")
#: Older names of the choices above, still accepted for one release.
RENAMED_INITS = {"kmeans++": "histogram"}
#: Older names of Settings' fields, still accepted for one release.
RENAMED_FIELDS = {"keep_colours": "fixed_colours"}
#: Where distances are measured: the textbook RGB cube, or Oklab, where distance follows the eye.
SPACES = ("rgb", "oklab")
#: How pixels are mapped to the palette in the written image; see :mod:`kmeans.dither`.
DITHERS = DITHER_METHODS
#: Iterations of exact Lloyd after the seeding: the seed is close, so a few finish it.
DEFAULT_MAX_ITERS = 5
#: Stop the exact rounds once no centroid moves more than this, in 0–255 colour levels.
DEFAULT_TOL = 0.5


@dataclass(frozen=True)
class Settings:
    """How to quantise, apart from K itself.

    Attributes
    ----------
    max_iters : most iterations of exact Lloyd (assign, then update), at least 1.
    tol : stop earlier once no centroid moves more than this many colour levels; 0 waits until
        the assignment stops changing.
    init : ``"histogram"`` (K-Means on the colour histogram with k-means++ starts and swaps,
        :mod:`kmeans.seeding`; the default) or ``"random"`` (K random pixel colours, the
        textbook method). ``"kmeans++"``, its old name, still means ``"histogram"``.
    seed : random seed, or None for a fresh one; the same seed gives the same result.
    space : ``"rgb"`` (the textbook method, the default) or ``"oklab"``: where distances and
        means are taken.
    dither : ``"none"`` (each pixel its nearest palette colour, the default), ``"floyd-steinberg"``
        or ``"selective"``; dithering trades bytes for smoother gradients, see :mod:`kmeans.dither`.
    fixed_colours : 8-bit (r, g, b) colours that must be in the palette exactly, such as a brand
        colour or a skin tone; K-Means never moves them (``run_kmeans(fixed=...)``).

    >>> Settings(space="oklab").space
    'oklab'
    >>> Settings(space="cmyk")
    Traceback (most recent call last):
    kmeans.errors.KMeansError: The colour space must be one of 'rgb' or 'oklab', not 'cmyk'.
    """

    max_iters: int = DEFAULT_MAX_ITERS
    tol: float = DEFAULT_TOL
    init: str = "histogram"
    seed: int | None = 0
    space: str = "rgb"
    dither: str = "none"
    fixed_colours: tuple[tuple[int, int, int], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fixed_colours", _checked_colours(self.fixed_colours))
        if self.init in RENAMED_INITS:
            warn_renamed(f"Settings(init={self.init!r})", f"init={RENAMED_INITS[self.init]!r}")
        else:
            _check_choice("initialisation", self.init, INITS)
        _check_choice("colour space", self.space, SPACES)
        _check_choice("dithering", self.dither, DITHERS)
        if not _is_whole(self.max_iters) or self.max_iters < 1:
            raise KMeansError(
                "The number of rounds must be a whole number of at least 1, "
                f"not {self.max_iters!r}."
            )
        if isinstance(self.tol, bool) or not isinstance(self.tol, int | float) or not self.tol >= 0:
            raise KMeansError(f"The tolerance must be a number of at least 0, not {self.tol!r}.")
        if self.seed is not None and (not _is_whole(self.seed) or self.seed < 0):
            raise KMeansError(f"The seed must be a whole number of at least 0, not {self.seed!r}.")

    @property
    def seeds_on_histogram(self) -> bool:
        """Whether the run starts from histogram seeding (``init="histogram"``)."""
        return self.init != "random"

    @property
    def keep_colours(self) -> tuple[tuple[int, int, int], ...]:
        """Deprecated: :attr:`fixed_colours`."""
        warn_renamed("Settings.keep_colours", "Settings.fixed_colours")
        return self.fixed_colours


Settings.__init__ = renamed_keywords(**RENAMED_FIELDS)(Settings.__init__)


def check_k(k: object) -> int:
    """``k`` as an int from 1 to :data:`MAX_K`, or a :class:`KMeansError` saying what is allowed.

    Every entry point (``quantize``, ``compress``, the command line, the page) checks K here, so
    a bad K reads the same and raises the same type wherever it comes in.

    >>> check_k(16)
    16
    >>> check_k(0)
    Traceback (most recent call last):
    kmeans.errors.KMeansError: K must be a whole number from 1 to 256, not 0.
    """
    if not _is_whole(k) or not 1 <= k <= MAX_K:
        raise KMeansError(f"K must be a whole number from 1 to {MAX_K}, not {k!r}.")
    return int(k)


def _checked_colours(colours: object) -> tuple[tuple[int, int, int], ...]:
    """Fixed colours as a tuple of distinct (r, g, b) tuples, or a one-sentence KMeansError."""
    checked: list[tuple[int, int, int]] = []
    for colour in colours:  # type: ignore[attr-defined]
        values = tuple(colour)
        if len(values) != 3 or not all(_is_whole(v) and 0 <= v <= 255 for v in values):
            raise KMeansError(
                f"A fixed colour must be three whole numbers from 0 to 255, not {colour!r}."
            )
        rgb = (int(values[0]), int(values[1]), int(values[2]))
        if rgb not in checked:
            checked.append(rgb)
    return tuple(checked)


def parse_hex_colour(text: str) -> tuple[int, int, int]:
    """'#ff0000' or 'ff0000' (or '#f00') as (255, 0, 0), or a one-sentence KMeansError.

    >>> parse_hex_colour("#FF8000"), parse_hex_colour("0f0")
    ((255, 128, 0), (0, 255, 0))
    """
    digits = text.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    try:
        if len(digits) != 6:
            raise ValueError
        value = int(digits, 16)
    except ValueError:
        raise KMeansError(f"A colour must be written like #ff0000, not {text!r}.") from None
    return value >> 16, (value >> 8) & 255, value & 255


def _is_whole(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def _check_choice(what: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        names = " or ".join(", ".join(repr(a) for a in allowed).rsplit(", ", 1))
        raise KMeansError(f"The {what} must be one of {names}, not {value!r}.")

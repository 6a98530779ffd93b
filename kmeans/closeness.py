"""How close a redrawn image is to the original, in words a non-programmer can act on.

Numbers like "PSNR 31.2 dB" or "SSIM 0.79" mean little to most people, and SSIM does not even
rise steadily with K on photos. So the page and the command line lead with one of four words,
chosen from two numbers that do follow what the eye sees:

* **mean ΔE_OK** (:mod:`kmeans.metrics`): the average colour difference in Oklab, ×100. About 2
  is the smallest difference most people notice between two patches side by side.
* **PSNR** in decibels: the average error in 0–255 levels on a log scale; 40 dB is an error of
  about 2.5 levels, 30 dB about 8.

Each word has a limit on both; the verdict is the best word whose limits both numbers meet.
For an image with transparency both are measured as seen, over white and over black (see
:mod:`kmeans.pipeline`), so a shadow banded in alpha alone is judged like the bands it shows.

:func:`closeness_as_shown` judges the numbers as they are written (to one decimal), so a result
written "ΔE 2.0" is never told it misses "ΔE ≤ 2", and :func:`next_better` names the limits the
result missed, so a reader can see which number set the word.

=================  ==============  ===========  ==========================================
word               mean ΔE_OK ≤    PSNR ≥       what a person sees
=================  ==============  ===========  ==========================================
looks the same     1.0             40 dB        no difference, even side by side
close              2.0             33 dB        differences only when you look closely
visible changes    4.0             27 dB        banding or shifted colours at a glance
poster-like        (anything)      (anything)   flat areas of colour, like a poster
=================  ==============  ===========  ==========================================
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    """One word of the verdict and the limits a result must meet to earn it."""

    word: str
    max_delta_e: float
    min_psnr: float
    meaning: str


#: The mean ΔE_OK that most people just notice between two patches side by side. Every "just
#: noticeable" on the page, in the command line and in these docstrings means this number.
JUST_NOTICEABLE = 2.0

#: The thresholds, in one place: best first. The page's help text is built from these.
LEVELS = (
    Level("looks the same", 1.0, 40.0, "no difference, even side by side"),
    Level("close", 2.0, 33.0, "differences only when you look closely"),
    Level("visible changes", 4.0, 27.0, "banding or shifted colours at a glance"),
    Level("poster-like", math.inf, -math.inf, "flat areas of colour, like a poster"),
)

#: Doubling K is "not worth it" once it lowers the mean ΔE_OK by less than this: half of the
#: smallest difference people notice.
WORTHWHILE_GAIN = JUST_NOTICEABLE / 2


def closeness(delta_e: float, psnr: float) -> Level:
    """The best :data:`LEVELS` entry whose limits both numbers meet.

    >>> closeness(0.6, 45.0).word
    'looks the same'
    >>> closeness(0.6, 35.0).word  # colours close, but some pixels far off
    'close'
    >>> closeness(7.5, 22.0).word
    'poster-like'
    """
    for level in LEVELS:
        if delta_e <= level.max_delta_e and psnr >= level.min_psnr:
            return level
    return LEVELS[-1]


def closeness_as_shown(delta_e: float, psnr: float) -> Level:
    """:func:`closeness` of the two numbers as written, to one decimal.

    >>> closeness(2.04, 35.0).word, closeness_as_shown(2.04, 35.0).word  # written "ΔE 2.0"
    ('visible changes', 'close')
    """
    return closeness(round(delta_e, 1), round(psnr, 1))


def next_better(level: Level) -> Level | None:
    """The word above ``level`` (whose limits it missed), or None for the best word.

    >>> next_better(LEVELS[2]).word, next_better(LEVELS[0]) is None
    ('close', True)
    """
    place = LEVELS.index(level)
    return LEVELS[place - 1] if place else None


def limits(level: Level) -> str:
    """``level``'s two limits in words.

    >>> limits(LEVELS[1])
    'ΔE ≤ 2 and PSNR ≥ 33 dB'
    """
    return f"ΔE ≤ {level.max_delta_e:g} and PSNR ≥ {level.min_psnr:g} dB"


def knee(ks: Sequence[int], delta_es: Sequence[float]) -> int | None:
    """The K after which doubling the colours stops paying: the smallest K whose next doubling
    lowers the mean ΔE_OK by less than :data:`WORTHWHILE_GAIN`.

    "Look for the elbow" fails on photos: on a log axis the error falls almost in a straight
    line. A gain measured in just-noticeable steps is a knee a person can see. ``ks`` must be
    sorted; only pairs where the next K is at least double are compared. None when every
    doubling still pays (or there are too few K).

    >>> knee([2, 4, 8, 16, 32, 64], [14.0, 9.0, 5.5, 3.1, 1.9, 1.2])
    32
    >>> knee([2, 4], [14.0, 9.0]) is None
    True
    """
    pairs = list(zip(ks, delta_es, strict=True))
    for (k, error), (next_k, next_error) in itertools.pairwise(pairs):
        if next_k >= 2 * k and error - next_error < WORTHWHILE_GAIN:
            return k
    return None

"""K-Means one step at a time, for showing a class how it works.

A lesson runs textbook Lloyd on the pixels of a (small) picture, but stops after every half
step so each can be shown on its own:

* **assign** (:func:`~kmeans.core.find_closest_centroids`): every pixel takes the label of its
  nearest centroid; the lesson counts how many pixels changed cluster (the page calls a
  cluster a *team*).
* **update** (:func:`~kmeans.core.compute_centroids`): every centroid moves to the mean colour of
  its cluster; the lesson measures how far the biggest one moved.

It stops when an assignment changes no label: the centroids would then move nowhere, so every
later step would repeat the same picture. A cluster left empty takes over the pixel that fits
its own cluster worst, exactly as :func:`~kmeans.core.compute_centroids` does, and the lesson
says so. Fixed colours (``fixed``) never move, as in :func:`~kmeans.core.run_kmeans`.

These are the library's own steps on the same pixels, so a lesson run to the end lands on the
same centroids as :func:`~kmeans.core.run_kmeans` from the same start (tested), and its error
uses the same units: the inertia, also shown as :func:`typical_error`, the root mean squared
distance of a pixel to its centroid in 0–255 colour levels.

A run from a random start can take dozens of rounds, most of them changing nothing a room can
see. :func:`ending_of` runs a copy to the end first and finds the round from which the picture
already looks the same as the last one (mean ΔE_OK within "looks the same" of
:mod:`kmeans.closeness`), so a teacher can show where that is and jump there.

>>> pixels = np.array([[0, 0, 0], [10, 10, 10], [200, 200, 200], [210, 210, 210]], np.uint8)
>>> lesson = Lesson(pixels, np.array([[0.0, 0, 0], [10, 10, 10]]))
>>> lesson.assign().changed, round(lesson.update().moved, 1)
(4, 225.2)
>>> lesson.assign().changed, lesson.finished
(1, False)
>>> lesson.update().centroids.tolist()
[[5.0, 5.0, 5.0], [205.0, 205.0, 205.0]]
>>> lesson.assign().changed, lesson.finished
(0, True)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from kmeans.closeness import LEVELS
from kmeans.core import check_points, compute_centroids, find_closest_centroids, fixed_mask
from kmeans.errors import KMeansError
from kmeans.perceptual import delta_e_ok

ASSIGN, UPDATE = "assign", "update"


@dataclass(frozen=True)
class Step:
    """What one half step did.

    Attributes
    ----------
    kind : "assign" or "update".
    round : the round it belongs to: round 1 is the first assign and its update.
    centroids : (K, 3) float64, the centroids after the step.
    labels : (N,) each pixel's label (its cluster) after the step.
    inertia : sum of squared distances of the pixels to their centroids after the step.
    changed : assign: pixels whose label changed (all of them in round 1); update: 0.
    moved : update: how far the centroid that moved most went, in colour levels; assign: 0.
    refilled : update: clusters that were empty and took over a pixel instead.
    """

    kind: str
    round: int
    centroids: np.ndarray
    labels: np.ndarray
    inertia: float
    changed: int = 0
    moved: float = 0.0
    refilled: tuple[int, ...] = ()


class Lesson:
    """Lloyd's algorithm on ``pixels`` from ``initial_centroids``, one half step per call."""

    def __init__(self, pixels: np.ndarray, initial_centroids: np.ndarray, fixed: object = None):
        self.pixels = check_points(pixels)
        self.centroids = np.array(initial_centroids, dtype=np.float64)
        self.fixed = fixed_mask(fixed, len(self.centroids))
        self.labels: np.ndarray | None = None
        self.steps: list[Step] = []
        self.finished = False

    @property
    def next_kind(self) -> str:
        """The step a call to :meth:`step` would take: assign first, then they alternate."""
        return ASSIGN if not self.steps or self.steps[-1].kind == UPDATE else UPDATE

    @property
    def round(self) -> int:
        return sum(step.kind == ASSIGN for step in self.steps)

    def step(self) -> Step:
        """The next half step (assign or update); once finished, nothing changes."""
        return self.assign() if self.next_kind == ASSIGN else self.update()

    def assign(self) -> Step:
        """Every pixel takes the label of its nearest centroid."""
        if self.next_kind != ASSIGN:
            raise KMeansError("The centroids must move (update) before the pixels are reassigned.")
        labels = find_closest_centroids(self.pixels, self.centroids)
        changed = len(labels) if self.labels is None else int((labels != self.labels).sum())
        # No label changed, so the centroids are already their clusters' means: nothing would move.
        self.finished = self.labels is not None and changed == 0
        self.labels = labels
        return self._record(Step(ASSIGN, self.round + 1, self.centroids, labels, 0.0, changed))

    def update(self) -> Step:
        """Every centroid that is not fixed moves to the mean colour of its cluster."""
        if self.next_kind != UPDATE:
            raise KMeansError("The pixels must be assigned before the centroids can move.")
        k = len(self.centroids)
        sizes = np.bincount(self.labels, minlength=k)
        refilled = tuple(int(j) for j in np.flatnonzero((sizes == 0) & ~self.fixed))
        moved_to = compute_centroids(self.pixels, self.labels, k, fixed=self.fixed)
        moved_to[self.fixed] = self.centroids[self.fixed]
        if refilled:  # compute_centroids gave each empty cluster the worst-fitting pixel
            self.labels = find_closest_centroids(self.pixels, moved_to)
        distance = float(np.sqrt(((moved_to - self.centroids) ** 2).sum(axis=1)).max())
        self.centroids = moved_to
        step = Step(UPDATE, self.round, moved_to, self.labels, 0.0, 0, distance, refilled)
        return self._record(step)

    def _record(self, step: Step) -> Step:
        diff = self.pixels - step.centroids[step.labels]
        step = dataclasses.replace(step, inertia=float(np.einsum("ij,ij->", diff, diff)))
        self.steps.append(step)
        return step


def typical_error(inertia: float, n_pixels: int) -> float:
    """√(inertia / N): a pixel's typical distance from its centroid, in 0–255 colour levels.

    The inertia of a photo runs to ten digits; this says the same in units a person can picture
    ("the average colour is off by 12 levels out of 255").

    >>> typical_error(400.0, 4)
    10.0
    """
    return math.sqrt(inertia / n_pixels) if n_pixels else 0.0


#: A picture "looks the same" as another within the first word of :mod:`kmeans.closeness`.
LOOKS_THE_SAME = LEVELS[0].max_delta_e


@dataclass(frozen=True)
class Ending:
    """How a lesson will end: after how many rounds, and from which round its picture already
    looks the same as the last one (the rounds after it fine-tune what the eye cannot see)."""

    rounds: int
    settled: int


def drawn(lesson: Lesson) -> np.ndarray:
    """The picture as the lesson draws it now: each pixel its team's colour, in 8 bits."""
    return np.clip(np.rint(lesson.centroids), 0, 255).astype(np.uint8)[lesson.labels]


def ending_of(
    pixels: np.ndarray, initial_centroids: np.ndarray, fixed: object = None, most: int = 2000
) -> Ending:
    """Run a copy of the lesson to its end (at most ``most`` rounds) and say how it ends.

    >>> pixels = np.array([[0, 0, 0], [10, 10, 10], [200, 200, 200], [210, 210, 210]], np.uint8)
    >>> ending_of(pixels, np.array([[0.0, 0, 0], [10, 10, 10]]))
    Ending(rounds=3, settled=2)
    """
    lesson = Lesson(pixels, initial_centroids, fixed)
    pictures = []
    while not lesson.finished and lesson.round < most:
        lesson.step()
        if lesson.steps[-1].kind == UPDATE:
            pictures.append(drawn(lesson))
    last = drawn(lesson)[None]
    settled = next(
        (
            number
            for number, picture in enumerate(pictures, start=1)
            if float(delta_e_ok(picture[None], last).mean()) <= LOOKS_THE_SAME
        ),
        lesson.round,
    )
    return Ending(lesson.round, settled)

"""The close-up: where the redrawn photo differs most, and its full-size pixels there.

The page opens the close-up on the square window whose mean ΔE_OK is largest
(:func:`worst_region`), and cuts that window's pixels, the photo's and the PNG's, when the run is
made (:class:`CloseUp`), so a visitor who never clicks never makes the page decode the photo or
the PNG again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.images import indices_and_palette
from dashboard.layout import ZOOM_STEPS, ZOOMED_SIDE
from kmeans import LoadedImage, QuantizeResult
from kmeans.perceptual import delta_e_ok_of_labels

#: worst_region searches cells of about this many pixels' width a side, at least one pixel.
REGION_CELLS_ACROSS = 256


def worst_region(delta_e: np.ndarray, side_fraction: float = 0.12) -> tuple[float, float]:
    """Centre (as fractions) of the square window where the mean ΔE_OK is largest.

    The window's side is ``side_fraction`` of the picture's shorter side. It is searched on the
    sums of small square cells, not at every pixel: a window of about thirty cells a side is
    placed to within one cell.

    >>> delta_e = np.zeros((100, 200)); delta_e[80:, 150:] = 5.0  # the bottom right differs
    >>> [round(float(v), 2) for v in worst_region(delta_e)]
    [0.78, 0.86]
    """
    height, width = delta_e.shape
    cell = max(1, min(height, width) // REGION_CELLS_ACROSS)
    rows, columns = height // cell, width // cell
    cells = (
        delta_e[: rows * cell, : columns * cell]
        .reshape(rows, cell, columns, cell)
        .sum(axis=3)
        .sum(axis=1, dtype=np.float64)
    )
    side = max(1, int(min(rows, columns) * side_fraction))
    sums = np.pad(cells, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    window = sums[side:, side:] - sums[:-side, side:] - sums[side:, :-side] + sums[:-side, :-side]
    top, left = np.unravel_index(np.argmax(window), window.shape)
    return (left + side / 2) * cell / width, (top + side / 2) * cell / height


def worst_region_of(
    original: np.ndarray, palette: np.ndarray, labels: np.ndarray
) -> tuple[float, float]:
    """:func:`worst_region` of the ΔE_OK of ``palette[labels]`` against the Oklab planes
    ``original``, measured at one pixel of each of its cells.

    A window averages about a thousand cells, so one pixel of each places it as well as all
    of them would.
    """
    cell = max(1, min(labels.shape) // REGION_CELLS_ACROSS)
    sparse = delta_e_ok_of_labels(original[:, ::cell, ::cell], palette, labels[::cell, ::cell])
    return worst_region(sparse)


def zoom_window(focus: tuple[float, float], side: int, width: int, height: int) -> tuple[int, int]:
    """Left and top of the ``side``-pixel square centred on ``focus``, kept inside the photo.

    >>> zoom_window((0.5, 0.5), 10, 100, 40), zoom_window((1.0, 0.0), 10, 100, 40)
    ((45, 15), (90, 0))
    """
    left = min(max(0, round(focus[0] * width - side / 2)), width - side)
    top = min(max(0, round(focus[1] * height - side / 2)), height - side)
    return left, top


@dataclass(frozen=True)
class Window:
    """A square of the full-size photo: where the close-up looks, at which zoom, and why."""

    left: int
    top: int
    side: int
    zoom: int
    clicked: bool  # where the visitor clicked, rather than where it differs most

    @classmethod
    def at(
        cls, focus: tuple[float, float], zoom: int, width: int, height: int, clicked: bool
    ) -> Window:
        """The square that fills the close-up at ``zoom``, centred on ``focus`` (fractions).

        >>> Window.at((0.5, 0.5), 4, 1000, 500, clicked=False)
        Window(left=452, top=202, side=96, zoom=4, clicked=False)
        """
        side = min(ZOOMED_SIDE // zoom, width, height)
        left, top = zoom_window(focus, side, width, height)
        return cls(left, top, side, zoom, clicked)

    def marker(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The window as fractions (x, y, width, height) of a ``width`` × ``height`` photo."""
        return (self.left / width, self.top / height, self.side / width, self.side / height)


@dataclass(frozen=True)
class CloseUp:
    """The full-size pixels of the widest close-up window at the run's focus.

    Any narrower window at the same focus lies inside this one (:func:`zoom_window` is
    monotonic), so every zoom step at the focus is cut from here.
    """

    left: int
    top: int
    original: np.ndarray  # (side, side, 3) uint8, the photo
    redrawn: np.ndarray  # the same pixels as the PNG holds them

    @property
    def n_bytes(self) -> int:
        return self.original.nbytes + self.redrawn.nbytes

    def crops(
        self, left: int, top: int, width: int, height: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The original's and the PNG's pixels in that window, or None if it is not in here."""
        x, y = left - self.left, top - self.top
        held = self.original.shape[0]
        if min(x, y) < 0 or x + width > held or y + height > held:
            return None
        window = np.s_[y : y + height, x : x + width]
        return self.original[window], self.redrawn[window]


def close_up_at(
    focus: tuple[float, float], photo: LoadedImage, result: QuantizeResult, png: bytes
) -> CloseUp:
    """The widest close-up window at ``focus``: the photo's pixels and the PNG's colours there.

    Opaque, the PNG's colours are the palette's, looked up by label. With transparency the PNG
    may order and merge its entries differently (every fully transparent pixel shares one), so
    its colours are read from the file itself.
    """
    side = min(ZOOMED_SIDE // min(ZOOM_STEPS), photo.width, photo.height)
    left, top = zoom_window(focus, side, photo.width, photo.height)
    window = np.s_[top : top + side, left : left + side]
    if photo.alpha is None:
        redrawn = result.palette[result.labels[window]]
    else:
        indices, palette = indices_and_palette(png)
        redrawn = palette[indices[window], :3]
    return CloseUp(left, top, photo.rgb[window].copy(), redrawn)

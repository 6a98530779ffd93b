"""The nearest centroid of every colour, a block of colours at a time.

The direct way to find each point's nearest centroid builds an N×K table of distances, or even an
N×K×3 array of differences: 18 GB and 55 GB for an 18 MP photo at K=256. Here each block of
``BLOCK_ROWS`` points is compared with one centroid after another, keeping the nearest so far, so
memory holds a few vectors of one block's length, whatever N and K are.

Why not the matrix-product formula |x - c|² = |x|² - 2x·c + |c|²? With only three channels the
product is too thin for BLAS to gain much, its threads stall when other work shares the cores,
and its float32 cancellation blurs near-ties. The loop below does the same arithmetic in a
handful of vector operations per centroid, with direct squared differences, and the blocks run
on every core. Only small inputs use the formula (:func:`cross_products`): in float64, where it
loses no precision at colour magnitudes.

Lloyd's loop measures the same points against centroids that barely move from one round to the
next. :class:`NearestCentroidTracker` keeps each point's answer between rounds and measures again
only the points whose nearest centroid the moves could have changed (Hamerly's bounds).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np

#: Points per block: enough that each vector operation outweighs NumPy's per-call overhead, yet
#: a block's vectors take only a few MB.
BLOCK_ROWS = 131_072

#: Up to this many points (and DENSE_PAIRS point-centroid pairs), one dense (N, K) table is
#: cheapest: the per-centroid loop would spend more time dispatching vector operations than
#: computing them. Beyond, the loop wins, even for a table that fits in cache.
DENSE_ROWS = 1024
DENSE_PAIRS = 1 << 18

#: Side, in colour units, of the grid cells whose centres the tracker measures before the points:
#: each point is then within 2√3 units of a measured position.
GRID_CELL = 4.0
#: The grid is used only when it has at most this many cells, and at most half as many occupied
#: cells as there are points (for fewer points per cell, measuring the points costs as little).
GRID_MAX_CELLS = 1 << 20

#: Pairs per matrix product in :func:`cross_products`. OpenBLAS runs a product this small on the
#: calling thread; larger, it starts threads, which stall when other work shares the cores.
PRODUCT_PAIRS = 1 << 16

#: Slack, in colour units, for comparing the tracker's bounds: far more than float32 rounding
#: of any colour distance (below 1e-4), so a point is settled only when its nearest centroid is
#: beyond doubt, and a tie is always measured.
BOUND_SLACK = 1e-3


def nearest_centroids(points: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centroid and the squared distance to it, for each row of points.

    Ties go to the lower centroid index, as ``np.argmin`` would give them. Large inputs are
    measured in float32, so two centroids whose distances differ by less than its rounding (about
    one part in a million) may be told apart either way.

    >>> points = np.array([[0, 0, 0], [9, 9, 9]], dtype=np.uint8)
    >>> labels, distances = nearest_centroids(points, np.array([[1.0, 0, 0], [9, 9, 8]]))
    >>> labels.tolist(), distances.tolist()
    ([0, 1], [1.0, 1.0])
    """
    labels, nearest, _ = _search(points, centroids, runner_up=False)
    return labels, nearest


def nearest_two_centroids(
    points: np.ndarray, centroids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`nearest_centroids`, plus the squared distance to the second-nearest centroid.

    The second distance is infinite when there is only one centroid; it equals the first for a
    point exactly as far from two centroids.

    >>> points = np.array([[0, 0, 0], [9, 9, 9]], dtype=np.uint8)
    >>> labels, nearest, second = nearest_two_centroids(points, np.array([[1.0, 0, 0], [9, 9, 8]]))
    >>> labels.tolist(), nearest.tolist(), second.tolist()
    ([0, 1], [1.0, 1.0], [226.0, 226.0])
    """
    return _search(points, centroids, runner_up=True)


def _search(points: np.ndarray, centroids: np.ndarray, runner_up: bool):
    """Labels, nearest and (if ``runner_up``, else None) second-nearest squared distances."""
    centroids = np.asarray(centroids, dtype=np.float32).reshape(-1, points.shape[1])
    starts = range(0, len(points), BLOCK_ROWS)
    if len(starts) <= 1:
        return _search_serial(points, centroids, runner_up)
    labels = np.empty(len(points), dtype=np.intp)
    nearest = np.empty(len(points), dtype=np.float32)
    second = np.empty(len(points), dtype=np.float32) if runner_up else None

    def fill(start: int) -> None:
        rows = slice(start, start + BLOCK_ROWS)
        found = _nearest_in_block(points[rows], centroids, runner_up)
        labels[rows], nearest[rows] = found[0], found[1]
        if runner_up:
            second[rows] = found[2]

    # NumPy releases the GIL inside each vector operation, so blocks run on all cores.
    list(_block_workers().map(fill, starts))
    return labels, nearest, second


def _search_serial(points: np.ndarray, centroids: np.ndarray, runner_up: bool):
    """:func:`_search` in the calling thread, for inputs of at most one block."""
    if len(points) <= DENSE_ROWS and len(points) * len(centroids) <= DENSE_PAIRS:
        return _nearest_dense(points, centroids, runner_up)
    return _nearest_in_block(points, centroids, runner_up)


@cache
def _block_workers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="kmeans")


def _nearest_dense(points: np.ndarray, centroids: np.ndarray, runner_up: bool):
    """For small inputs: the whole (N, K) table, from |x - c|² = |x|² - 2x·c + |c|².

    |x|² is the same for every centroid, so the ranking needs only |c|² - 2x·c: one small
    matrix product, in float64, where this formula loses no precision at colour magnitudes.
    """
    x = np.asarray(points, dtype=np.float64)
    c = centroids.astype(np.float64)
    ranking = np.einsum("kj,kj->k", c, c) - 2.0 * cross_products(x, c)
    labels = np.argmin(ranking, axis=1)
    diff = x - c[labels]
    nearest = np.einsum("nj,nj->n", diff, diff).astype(np.float32)
    if not runner_up:
        return labels, nearest, None
    if len(c) == 1:
        return labels, nearest, np.full(len(x), np.inf, dtype=np.float32)
    rows = np.arange(len(x))
    ranking[rows, labels] = np.inf
    # Back from the ranking to a distance: add the |x|² it left out.
    second = ranking.min(axis=1) + np.einsum("nj,nj->n", x, x)
    return labels, nearest, np.maximum(second, nearest).astype(np.float32)


def cross_products(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The (N, K) table ``points @ centres.T``, a few rows at a time so BLAS uses one thread.

    >>> cross_products(np.array([[1.0, 2, 3]]), np.array([[1.0, 0, 0], [0, 1, 1]])).tolist()
    [[1.0, 5.0]]
    """
    rows = max(1, PRODUCT_PAIRS // max(len(centres), 1))
    if len(points) <= rows:
        return points @ centres.T
    return np.concatenate([points[i : i + rows] @ centres.T for i in range(0, len(points), rows)])


def _nearest_in_block(block: np.ndarray, centroids: np.ndarray, runner_up: bool = False):
    channels = np.asarray(block).T.astype(np.float32)  # a contiguous row per channel: R, G, B
    return _nearest_in_channels(channels, centroids, runner_up)


def _nearest_in_channels(channels: np.ndarray, centroids: np.ndarray, runner_up: bool):
    """:func:`_nearest_in_block` on points given as a (D, n) float32 row per channel."""
    n = channels.shape[1]
    nearest = np.full(n, np.inf, dtype=np.float32)
    second = np.full(n, np.inf, dtype=np.float32) if runner_up else None
    labels = np.zeros(n, dtype=np.intp)
    distance, term = np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32)
    closer = np.empty(n, dtype=bool)
    for k, centroid in enumerate(centroids):
        np.subtract(channels[0], centroid[0], out=distance)
        np.square(distance, out=distance)
        for j in range(1, len(channels)):
            np.subtract(channels[j], centroid[j], out=term)
            np.square(term, out=term)
            distance += term
        if runner_up:  # the new runner-up: the old one, or the loser of this comparison
            np.maximum(distance, nearest, out=term)
            np.minimum(second, term, out=second)
        np.less(distance, nearest, out=closer)
        np.minimum(distance, nearest, out=nearest)
        np.copyto(labels, k, where=closer)
    return labels, nearest, second


class NearestCentroidTracker:
    """Each point's nearest centroid, kept up to date as the centroids move (Hamerly, 2010).

    For every point it keeps an upper bound on the distance to its own centroid and a lower bound
    on the distance to every other. When centroid k moves by δ_k, the triangle inequality says
    the point's own distance grew by at most its centroid's δ and every other distance shrank by
    at most the largest other δ. A point whose upper bound stays below its lower bound keeps its
    centroid without a single distance measured. The others first measure the distance to their
    own centroid (a tighter upper bound), and only those still in doubt are measured against all
    K. Late in a Lloyd run, when centroids move by fractions of a colour level, that is a small
    share of the points. The labels are those :func:`nearest_centroids` would give, which does
    the measuring (a point is settled only by a margin far beyond float32 rounding).

    The first bounds come the same way, from a grid: where many points share few cells of
    ``GRID_CELL`` units, the cells' centres are measured, and each point, at most r = half a
    cell's diagonal from its cell's centre, is at most r farther from the centre's nearest
    centroid and at most r nearer to any other. Only the points near a boundary between two
    centroids are left in doubt.

    >>> points = np.array([[0, 0, 0], [10, 10, 10], [200, 200, 200]], dtype=np.uint8)
    >>> tracker = NearestCentroidTracker(points, np.array([[0.0, 0, 0], [250, 250, 250]]))
    >>> tracker.labels.tolist()
    [0, 0, 1]
    >>> tracker.update(np.array([[5.0, 5, 5], [200, 200, 200]]), tracker.labels).tolist()
    [0, 0, 1]
    """

    def __init__(self, points: np.ndarray, centroids: np.ndarray):
        self.points = points
        # A contiguous float32 row per channel, as the search measures them: the points in
        # doubt are gathered from these rows, one channel at a time, not converted anew from
        # (n, 3) uint8 rows every round.
        self.channels = np.ascontiguousarray(np.asarray(points).T, dtype=np.float32)
        self.centroids = np.array(centroids, dtype=np.float64)
        from_grid = _bounds_from_grid(points, self.centroids)
        if from_grid is None:
            self.labels, nearest, second = nearest_two_centroids(points, self.centroids)
            self.upper = np.sqrt(nearest, dtype=np.float64)
            self.lower = np.sqrt(second, dtype=np.float64)
        else:
            self.labels, self.upper, self.lower = from_grid
            self._measure_points_in_doubt()

    def update(self, centroids: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Every point's nearest centroid among the moved ``centroids``, as a (N,) array.

        ``labels`` are the points' clusters now: the last answer, except for points moved by
        hand since (to fill an empty cluster), whose bounds are then measured afresh.
        """
        self._follow_moves_by_hand(labels)
        centroids = np.array(centroids, dtype=np.float64)
        shift = np.sqrt(((centroids - self.centroids) ** 2).sum(axis=1))
        self.centroids = centroids
        self.upper += shift[self.labels]
        self.lower -= _largest_other(shift)[self.labels]
        self._measure_points_in_doubt()
        return self.labels

    def _measure_points_in_doubt(self) -> None:
        """Measure where the bounds cannot tell: own distance first, then all K if need be.

        A point is also beyond doubt when it is nearer its centroid than half the gap to the
        next centroid: no other centroid can then be nearer (Hamerly's second test).
        """
        safe = np.maximum(self.lower, _half_gap_to_next(self.centroids)[self.labels])
        doubt = np.flatnonzero(self.upper + BOUND_SLACK >= safe)
        if len(doubt):
            self.upper[doubt] = np.sqrt(self._own_squared_distance(doubt), dtype=np.float64)
            doubt = doubt[self.upper[doubt] + BOUND_SLACK >= safe[doubt]]
        if len(doubt):
            found, nearest, second = self._nearest_two(doubt)
            self.labels[doubt] = found
            self.upper[doubt] = np.sqrt(nearest, dtype=np.float64)
            self.lower[doubt] = np.sqrt(second, dtype=np.float64)

    def _own_squared_distance(self, rows: np.ndarray) -> np.ndarray:
        """Squared distance from each of ``rows`` to its own centroid (float32, as measured)."""
        own = self.centroids.T.astype(np.float32)[:, self.labels[rows]]
        squared = np.zeros(len(rows), dtype=np.float32)
        for channel, centre in zip(self.channels, own, strict=True):
            difference = channel[rows] - centre
            squared += difference * difference
        return squared

    def _nearest_two(self, rows: np.ndarray):
        """:func:`nearest_two_centroids` of the points at ``rows``, from the channel rows when
        they fit one block (more are split over every core)."""
        if len(rows) <= DENSE_ROWS or len(rows) > BLOCK_ROWS:
            return nearest_two_centroids(self.points[rows], self.centroids)
        centroids = self.centroids.astype(np.float32)
        return _nearest_in_channels(self.channels[:, rows], centroids, runner_up=True)

    def _follow_moves_by_hand(self, labels: np.ndarray) -> None:
        moved = np.flatnonzero(labels != self.labels)
        if len(moved):
            self.labels[moved] = labels[moved]
            self.upper[moved] = np.inf  # unknown: measured again on update
            self.lower[moved] = 0.0


def _bounds_from_grid(points: np.ndarray, centroids: np.ndarray):
    """Labels, upper and lower bounds for every point from its grid cell's centre, or None.

    None when the grid would not save work: too many cells, or too few points per cell.
    """
    cell, corner, shape = _grid_cells(points)
    n_cells = int(np.prod(shape, dtype=np.float64))
    if n_cells > GRID_MAX_CELLS:
        return None
    occupied = np.flatnonzero(np.bincount(cell, minlength=n_cells) != 0)
    if 2 * len(occupied) > len(points):
        return None
    centres = corner + (np.stack(np.unravel_index(occupied, shape), axis=1) + 0.5) * GRID_CELL
    labels, nearest, second = nearest_two_centroids(centres, centroids)
    # Every point of a cell is within half its diagonal of the centre.
    radius = GRID_CELL * np.sqrt(points.shape[1]) / 2
    row_of_cell = np.zeros(n_cells, dtype=np.intp)
    row_of_cell[occupied] = np.arange(len(occupied))
    row = row_of_cell[cell]
    upper = np.sqrt(nearest, dtype=np.float64) + radius
    lower = np.sqrt(second, dtype=np.float64) - radius
    return labels[row], upper[row], lower[row]


def _grid_cells(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Each point's cell index, the grid's corner and its shape in cells.

    8-bit colours fall in a fixed 64³ grid found by shifting bits; other points in a grid from
    their smallest coordinates to their largest.
    """
    if points.dtype == np.uint8 and GRID_CELL == 4:
        shift = np.uint8(2)
        corner, shape = np.zeros(points.shape[1]), (64,) * points.shape[1]
        coordinates = np.right_shift(points, shift).T
    else:
        corner = points.min(axis=0).astype(np.float64)
        extents = (points.max(axis=0) - corner) // GRID_CELL + 1
        shape = tuple(int(min(extent, GRID_MAX_CELLS + 1)) for extent in extents)
        if np.prod(shape, dtype=np.float64) > GRID_MAX_CELLS:  # checked before any cell is made
            return np.empty(0, dtype=np.intp), corner, shape
        coordinates = ((points - corner) // GRID_CELL).astype(np.intp).T
    return np.ravel_multi_index(tuple(coordinates), shape), corner, shape


def _half_gap_to_next(centroids: np.ndarray) -> np.ndarray:
    """For each centroid, half the distance to its nearest other centroid (inf if alone)."""
    gaps = np.sqrt(((centroids[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(gaps, np.inf)
    return gaps.min(axis=1) / 2


def _largest_other(shift: np.ndarray) -> np.ndarray:
    """For each centroid k, the largest shift of any other centroid (0 when there is none)."""
    if len(shift) == 1:
        return np.zeros(1)
    first, runner_up = np.argsort(shift)[::-1][:2]
    largest = np.full(len(shift), shift[first])
    largest[first] = shift[runner_up]
    return largest

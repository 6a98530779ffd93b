"""The fast paths give the textbook's answer: kmeans/engine.py, histogram.py and distance.py.

Each acceleration is held against an oracle of tests/oracles.py or NumPy itself, and the engine
as a whole against the textbook steps of kmeans/core.py, which share none of its code.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import KMeans

from kmeans import (
    compute_centroids,
    distinct_colours,
    engine,
    find_closest_centroids,
    kmeans_init_centroids,
    lloyd_rounds,
    run_kmeans,
)
from kmeans.core import fixed_mask
from kmeans.distance import (
    BLOCK_ROWS,
    NearestCentroidTracker,
    nearest_centroids,
    nearest_two_centroids,
)
from tests.oracles import brute_inertia, brute_labels, jittered, sample_pixels, squared_distances

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


def run_engine(X, C0, max_iters, *, fixed=None, **options):
    """The engine on inputs the caller has checked, as quantize calls it."""
    C0 = np.asarray(C0, dtype=np.float64)
    return engine.run(X, C0, fixed_mask(fixed, len(C0)), max_iters, **options)


# --- distinct colours -----------------------------------------------------------------------


@pytest.mark.parametrize("n_rows", [5_000, 2**20 + 4_321], ids=["pairs sorted", "keys sorted"])
def test_distinct_colours_equal_numpy_unique(n_rows):
    rng = np.random.default_rng(n_rows)
    X = rng.integers(0, 256, (n_rows, 3), dtype=np.uint8)
    X[: n_rows // 2] = X[: n_rows // 2] // 32 * 32  # many exact repeats
    expected, expected_inverse, expected_counts = np.unique(
        X, axis=0, return_inverse=True, return_counts=True
    )
    colours, counts, inverse = distinct_colours(X)
    np.testing.assert_array_equal(colours, expected)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())


def test_distinct_colours_of_an_image_shaped_array_give_back_every_pixel():
    image = sample_pixels("chelsea").reshape(300, 451, 3)
    colours, _, inverse = distinct_colours(image)
    np.testing.assert_array_equal(colours[inverse], image.reshape(-1, 3))


# --- the nearest centroid -------------------------------------------------------------------


@pytest.mark.parametrize("K", [1, 2, 17, 256])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_nearest_centroids_equal_brute_force_over_several_blocks(K, dtype):
    rng = np.random.default_rng(K)
    n_rows = 2 * BLOCK_ROWS + 123  # several blocks and a partial one
    if dtype == np.uint8:
        X = rng.integers(0, 256, (n_rows, 3), dtype=np.uint8)
    else:
        X = rng.uniform(0, 255, (n_rows, 3))
    # Random real centroids: an exact tie between two of them has probability zero.
    C = rng.uniform(0, 255, (K, 3))
    labels, _ = nearest_centroids(X, C)
    expected = brute_labels(X, C)
    # Distances are measured in float32: where two centroids are closer to equal than its
    # rounding (about 1e-6 relative), either may be chosen, and nowhere else.
    differ = np.flatnonzero(labels != expected)
    assert len(differ) <= n_rows // 10_000
    ours = squared_distances(X[differ], C)[np.arange(len(differ)), labels[differ]]
    best = squared_distances(X[differ], C)[np.arange(len(differ)), expected[differ]]
    np.testing.assert_allclose(ours, best, rtol=1e-5, atol=1e-4)


def test_nearest_centroids_never_hold_the_n_by_k_matrix():
    X = np.random.default_rng(0).integers(0, 256, (2_000_000, 3), dtype=np.uint8)
    C = np.random.default_rng(1).uniform(0, 255, (256, 3))
    tracemalloc.start()
    try:
        nearest_centroids(X, C)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # N×K float32 distances alone would be 2 GB.
    assert peak < 200 * 2**20


@pytest.mark.parametrize("n_rows", [5_000, BLOCK_ROWS + 1_000])
def test_nearest_two_centroids_equal_the_two_smallest_of_brute_force(n_rows):
    # Both sizes: the small one takes the dense table, the large one the blocks.
    X = np.random.default_rng(8).integers(0, 256, (n_rows, 3), dtype=np.uint8)
    C = np.random.default_rng(9).uniform(0, 255, (7, 3))
    labels, nearest, second = nearest_two_centroids(X, C)
    table = np.concatenate([squared_distances(X[i : i + 4096], C) for i in range(0, n_rows, 4096)])
    two_smallest = np.sort(table, axis=1)[:, :2]
    np.testing.assert_array_equal(labels, brute_labels(X, C))
    np.testing.assert_allclose(nearest, two_smallest[:, 0], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(second, two_smallest[:, 1], rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("scale", [1.0, 100 / 255], ids=["8-bit colours", "float, 0-100"])
def test_tracked_labels_equal_brute_force_however_the_centroids_move(scale):
    # The first bounds come from a grid (80,000 pixels in far fewer cells, for 8-bit and float
    # points alike); then small moves (late in a run, most points settled by their bounds),
    # large jumps (few settled), and points moved by hand to another cluster: the labels stay
    # exact throughout.
    X = sample_pixels("coffee")[::3]
    X = X if scale == 1.0 else X * scale
    rng = np.random.default_rng(6)
    C = rng.uniform(0, 255, (40, 3)) * scale
    tracker = NearestCentroidTracker(X, C)
    np.testing.assert_array_equal(tracker.labels, brute_labels(X, C))
    for step in (0.3, 2.0, 0.05, 40.0, 0.0, 1.0):
        C = C + rng.normal(0, step, C.shape)
        labels = tracker.labels.copy()
        by_hand = rng.choice(len(X), 50, replace=False)
        labels[by_hand] = rng.integers(0, 40, 50)
        np.testing.assert_array_equal(tracker.update(C, labels), brute_labels(X, C))


def test_tracker_on_points_too_spread_for_a_grid_equals_brute_force():
    X = np.random.default_rng(10).uniform(-1e12, 1e12, (20_000, 3))
    C = X[:5] + 1.0
    np.testing.assert_array_equal(NearestCentroidTracker(X, C).labels, brute_labels(X, C))


def test_tracker_with_one_centroid_gives_every_point_to_it():
    X = sample_pixels("chelsea")[::50]
    tracker = NearestCentroidTracker(X, np.array([[10.0, 20, 30]]))
    assert (tracker.update(np.array([[200.0, 0, 0]]), tracker.labels) == 0).all()


# --- the engine against the textbook --------------------------------------------------------


@st.composite
def distinct_colours_and_start(draw):
    """Up to 300 distinct uint8 colours (from a few levels, or any) and 1-8 starting colours.

    The starting colours may repeat, so some clusters start empty. The colours are distinct so
    that an empty cluster takes the same one point in both (a weighted colour moves whole).
    """
    n_rows = draw(st.integers(1, 300))
    levels = draw(st.sampled_from([2, 5, 256]))
    X = draw(arrays(np.uint8, (n_rows, 3), elements=st.integers(0, levels - 1)))
    X = np.unique(X * np.uint8(255 // (levels - 1)), axis=0)
    K = draw(st.integers(1, min(8, len(X))))
    rows = draw(st.lists(st.integers(0, len(X) - 1), min_size=K, max_size=K))
    return X, X[rows].astype(np.float64)


def test_the_engine_assigns_a_photo_as_the_textbook_does():
    pixels = sample_pixels("chelsea")
    C = np.random.default_rng(5).uniform(0, 255, (12, 3))
    labels, _ = nearest_centroids(pixels, C)
    np.testing.assert_array_equal(labels, find_closest_centroids(pixels, C))


@PROPERTY_SETTINGS
@given(distinct_colours_and_start(), st.data())
def test_the_engines_update_is_the_textbook_update(data, draw):
    # Random labels, some clusters empty: the sums' means, after the same refill, are the
    # textbook's plain means.
    X, C0 = data
    K = len(C0)
    labels = np.array(draw.draw(st.lists(st.integers(0, K - 1), min_size=len(X), max_size=len(X))))
    sums = engine.ClusterSums(X, np.ones(len(X)), labels.copy(), K)
    ours = sums.update(C0, np.zeros(K, dtype=bool))
    np.testing.assert_allclose(ours, compute_centroids(X, labels, K), rtol=1e-12, atol=1e-9)


@PROPERTY_SETTINGS
@given(distinct_colours_and_start(), st.integers(1, 10))
def test_run_kmeans_ends_where_the_textbook_loop_ends(data, max_iters):
    X, C0 = data
    *_, last = lloyd_rounds(X, C0, max_iters)
    result = run_kmeans(X, C0, max_iters)
    np.testing.assert_allclose(result.centroids, last.centroids, rtol=1e-9, atol=1e-9)


@PROPERTY_SETTINGS
@given(distinct_colours_and_start(), st.integers(1, 10), st.data())
def test_fixed_centroids_end_where_the_textbook_loop_leaves_them(data, max_iters, draw):
    X, C0 = data
    fixed = draw.draw(st.lists(st.integers(0, len(C0) - 1), max_size=len(C0), unique=True))
    *_, last = lloyd_rounds(X, C0, max_iters, fixed=fixed)
    result = run_kmeans(X, C0, max_iters, fixed=fixed)
    np.testing.assert_allclose(result.centroids, last.centroids, rtol=1e-9, atol=1e-9)


def test_run_kmeans_on_a_photo_ends_where_the_textbook_loop_ends():
    X = sample_pixels("coffee")[::3]
    C0 = jittered(kmeans_init_centroids(X, 16, init="random", seed=4), seed=4)
    *_, last = lloyd_rounds(X, C0, 8)
    np.testing.assert_allclose(run_kmeans(X, C0, 8).centroids, last.centroids, atol=1e-9)


# --- Anderson steps and the snap ------------------------------------------------------------


def smooth_gradient(n_rows: int = 40_000, seed: int = 0) -> np.ndarray:
    """Colours along a dusk sky's gradient, blue to orange, a little noisy: Lloyd's slow case."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, (n_rows, 1))
    colours = np.array([25, 45, 110]) + t * np.array([225, 105, -40])
    return np.clip(np.rint(colours + rng.normal(0, 3, (n_rows, 3))), 0, 255).astype(np.uint8)


def test_accelerated_steps_never_raise_the_inertia():
    X = smooth_gradient()
    C0 = jittered(kmeans_init_centroids(X, 24, init="random", seed=3), seed=3)
    # The Lloyd rounds start where n accelerated steps left the centroids; their first
    # inertia, with labels measured by brute force, must fall (or stay) with every step.
    starts = [run_engine(X, C0, 1, accelerate=n).inertia_history[0] for n in range(12)]
    assert starts[0] == pytest.approx(brute_inertia(X, C0, brute_labels(X, C0)), rel=1e-9)
    assert (np.diff(starts) <= 1e-9 * starts[0]).all()
    assert starts[-1] < starts[0]


def test_accelerated_run_ends_where_scikit_learn_lloyd_stays():
    colours, counts = np.unique(smooth_gradient(), axis=0, return_counts=True)
    C0 = jittered(kmeans_init_centroids(colours, 24, seed=1, weights=counts), seed=1)
    result = run_engine(colours, C0, 1_000, weights=counts.astype(float), accelerate=30)
    assert result.converged
    # A Lloyd fixed point, by oracles that share none of its code: every colour nearest its own
    # centroid, every centroid its colours' weighted mean, and scikit-learn's Lloyd stays put.
    labels = brute_labels(colours, result.centroids)
    np.testing.assert_array_equal(result.labels, labels)
    means = [
        np.average(colours[labels == k], axis=0, weights=counts[labels == k]) for k in range(24)
    ]
    np.testing.assert_allclose(result.centroids, means, atol=1e-9)
    theirs = KMeans(24, init=result.centroids, n_init=1, algorithm="lloyd", tol=0, max_iter=50)
    theirs.fit(colours.astype(np.float64), sample_weight=counts)
    np.testing.assert_allclose(theirs.cluster_centers_, result.centroids, atol=1e-6)


def test_accelerated_steps_skip_the_slow_creep():
    colours, counts = np.unique(smooth_gradient(), axis=0, return_counts=True)
    C0 = jittered(kmeans_init_centroids(colours, 24, seed=1, weights=counts), seed=1)
    weights = counts.astype(float)
    plain = run_engine(colours, C0, 1_000, weights=weights)
    accelerated = run_engine(colours, C0, 1_000, weights=weights, accelerate=30)
    assert accelerated.n_iters < plain.n_iters


def test_a_snapped_run_labels_each_point_with_its_nearest_snapped_colour():
    X = smooth_gradient(5_000)
    C0 = jittered(kmeans_init_centroids(X, 12, init="random", seed=2), seed=2)
    result = run_engine(X, C0, 5, snap=np.rint)
    assert (result.centroids == np.rint(result.centroids)).all()
    np.testing.assert_array_equal(result.labels, brute_labels(X, result.centroids))

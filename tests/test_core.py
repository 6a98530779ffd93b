"""The textbook K-Means of kmeans/core.py, checked against oracles that share none of its code.

The oracles: scikit-learn's Lloyd, ``np.unique``, hand-computed examples, and the textbook Lloyd
of tests/oracles.py (a brute-force N×K distance argmin, then one mean per cluster).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.cluster import KMeans

from kmeans import (
    compute_centroids,
    find_closest_centroids,
    kmeans_init_centroids,
    lloyd_rounds,
    run_kmeans,
)
from kmeans.core import TABLE_ENTRIES
from tests.oracles import (
    brute_inertia,
    brute_labels,
    cluster_means,
    jittered,
    sample_pixels,
    textbook_lloyd,
    textbook_lloyd_without_empty_clusters,
)

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


def rows_in(rows: np.ndarray, X: np.ndarray) -> bool:
    present = {tuple(row) for row in np.asarray(X, dtype=np.float64).tolist()}
    return all(tuple(row) in present for row in np.asarray(rows).tolist())


def n_distinct(rows: np.ndarray) -> int:
    return len(np.unique(rows, axis=0))


def four_tight_clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unequal groups (500, 300, 150, 50 pixels) of colours within ±4 of four far-apart centres."""
    centres = np.array([[30, 30, 30], [220, 40, 40], [40, 220, 40], [40, 40, 220]])
    sizes = [500, 300, 150, 50]
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(4), sizes)
    X = (centres[group] + rng.integers(-4, 5, (len(group), 3))).astype(np.uint8)
    return X, group


# --- kmeans_init_centroids ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["random", "kmeans++"])
@pytest.mark.parametrize("K", [1, 16, 64])
def test_init_returns_k_distinct_colours_of_the_image(method, K):
    X = sample_pixels("chelsea")
    C0 = kmeans_init_centroids(X, K, init=method, seed=3)
    assert C0.shape == (K, 3)
    assert C0.dtype == np.float64
    assert n_distinct(C0) == K
    assert rows_in(C0, X)


@pytest.mark.parametrize("method", ["random", "kmeans++"])
def test_init_same_seed_same_result_other_seeds_differ(method):
    X = sample_pixels("coffee")
    first = kmeans_init_centroids(X, 8, init=method, seed=11)
    np.testing.assert_array_equal(first, kmeans_init_centroids(X, 8, init=method, seed=11))
    others = [kmeans_init_centroids(X, 8, init=method, seed=s) for s in range(12, 17)]
    assert sum(not np.array_equal(first, other) for other in others) >= 4


def test_random_init_picks_a_heavy_point_first():
    X = np.arange(60, dtype=np.float64).reshape(20, 3)
    weights = np.ones(20)
    weights[7] = 1e6
    firsts = [
        kmeans_init_centroids(X, 3, init="random", seed=s, weights=weights)[0] for s in range(20)
    ]
    assert sum(np.array_equal(first, X[7]) for first in firsts) >= 19


@pytest.mark.parametrize("method", ["random", "kmeans++"])
def test_init_never_picks_a_point_of_zero_weight(method):
    X = np.arange(30, dtype=np.float64).reshape(10, 3)
    weights = np.ones(10)
    weights[4] = 0.0
    for seed in range(20):
        C0 = kmeans_init_centroids(X, 6, init=method, seed=seed, weights=weights)
        assert len(C0) == 6
        assert not any(np.array_equal(row, X[4]) for row in C0)


@pytest.mark.parametrize("method", ["random", "kmeans++"])
def test_init_with_fewer_colours_than_k_returns_them_all(method):
    colours = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [10, 20, 30], [255, 255, 255]])
    X = np.repeat(colours, [7, 1, 3, 2, 9], axis=0).astype(np.uint8)
    C0 = kmeans_init_centroids(X, 8, init=method, seed=0)
    assert C0.shape == (5, 3)
    np.testing.assert_array_equal(np.unique(C0, axis=0), np.unique(colours, axis=0))


@pytest.mark.parametrize(
    "K, method", [(0, "random"), (-2, "kmeans++"), (3, "farthest"), (3, "Random")]
)
def test_init_refuses_bad_arguments(K, method):
    X = np.zeros((10, 3), dtype=np.uint8)
    with pytest.raises(ValueError):
        kmeans_init_centroids(X, K, init=method, seed=0)


def test_kmeans_plus_plus_takes_one_colour_from_each_far_group():
    X, group = four_tight_clusters()
    lookup = {tuple(row): g for row, g in zip(X.tolist(), group.tolist(), strict=True)}
    spread = 0
    for seed in range(10):
        C0 = kmeans_init_centroids(X, 4, init="kmeans++", seed=seed)
        spread += sorted(lookup[tuple(row)] for row in C0.astype(int).tolist()) == [0, 1, 2, 3]
    assert spread >= 9


def test_random_init_of_float_colours_picks_distinct_colours():
    # The docstring promises "K distinct colours"; uint8 input gets them, float input does not.
    X = np.repeat(np.array([[0.0, 0, 0], [255, 255, 255], [128, 128, 128]]), [100, 100, 1], 0)
    for seed in range(20):
        assert n_distinct(kmeans_init_centroids(X, 2, init="random", seed=seed)) == 2


# --- find_closest_centroids -----------------------------------------------------------------


@pytest.mark.parametrize("K", [1, 2, 17, 256])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_find_closest_centroids_equals_brute_force_over_several_blocks(K, dtype):
    rng = np.random.default_rng(K)
    n_rows = 3 * TABLE_ENTRIES // K + 123  # several blocks and a partial one
    if dtype == np.uint8:
        X = rng.integers(0, 256, (n_rows, 3), dtype=np.uint8)
    else:
        X = rng.uniform(0, 255, (n_rows, 3))
    C = rng.uniform(0, 255, (K, 3))
    np.testing.assert_array_equal(find_closest_centroids(X, C), brute_labels(X, C))


def test_find_closest_centroids_gives_a_tie_to_the_lower_index():
    X = np.array([[10, 10, 10]], dtype=np.uint8)
    assert find_closest_centroids(X, np.array([[12.0, 10, 10], [8, 10, 10]])).tolist() == [0]


def test_find_closest_centroids_gives_labels_of_one_byte_up_to_k_256():
    pixels = sample_pixels("chelsea")
    C = np.random.default_rng(5).uniform(0, 255, (256, 3))
    assert find_closest_centroids(pixels, C).dtype == np.uint8


# --- compute_centroids ----------------------------------------------------------------------


def test_compute_centroids_equals_the_mean_of_each_cluster():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (1_000, 3), dtype=np.uint8)
    K = 7
    labels = rng.integers(0, K, len(X))
    labels[:K] = np.arange(K)
    np.testing.assert_allclose(
        compute_centroids(X, labels, K), cluster_means(X, labels, K), rtol=1e-12
    )


def test_weighted_centroids_equal_centroids_of_repeated_rows():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 255, (200, 3))
    weights = rng.integers(1, 6, len(X))
    K = 5
    labels = np.arange(len(X)) % K
    expected = cluster_means(np.repeat(X, weights, axis=0), np.repeat(labels, weights), K)
    np.testing.assert_allclose(
        compute_centroids(X, labels, K, weights=weights), expected, rtol=1e-12
    )


def test_empty_cluster_takes_the_farthest_colour_from_its_cluster():
    X = np.array(
        [[0, 0, 0], [30, 0, 0], [0, 60, 0], [90, 90, 0], [250, 250, 250], [240, 250, 250]],
        dtype=np.uint8,
    )
    # Cluster 0 has mean (30, 37.5, 0); (90, 90, 0) is 6356.25 from it, farther than any other
    # point is from its own mean, so it moves to the empty cluster 2 and leaves cluster 0 as the
    # mean of its first three points.
    centroids = compute_centroids(X, np.array([0, 0, 0, 0, 1, 1]), 3)
    np.testing.assert_array_equal(centroids, [[10, 20, 0], [245, 250, 250], [90, 90, 0]])


def test_more_clusters_than_points_gives_no_nan():
    X = np.array([[5, 6, 7], [100, 0, 200], [9, 9, 9]], dtype=np.uint8)
    centroids = compute_centroids(X, np.array([0, 1, 2]), 5)
    assert centroids.shape == (5, 3)
    assert np.isfinite(centroids).all()
    assert rows_in(centroids, X)


# --- run_kmeans -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["astronaut", "coffee"])
@pytest.mark.parametrize("K", [16, 64])
def test_run_kmeans_equals_scikit_learn_lloyd_on_a_photo(name, K):
    X = sample_pixels(name)
    C0 = jittered(kmeans_init_centroids(X, K, init="random", seed=K), seed=K)
    ours = run_kmeans(X, C0, 10, tol=0)
    # float64: scikit-learn's float32 path sums in float32 and drifts from textbook Lloyd.
    theirs = KMeans(n_clusters=K, init=C0, n_init=1, algorithm="lloyd", tol=0, max_iter=10).fit(
        X.astype(np.float64)
    )
    assert np.abs(ours.centroids - theirs.cluster_centers_).max() <= 0.5
    assert np.mean(ours.labels == theirs.labels_) >= 0.999
    assert ours.inertia == pytest.approx(theirs.inertia_, rel=1e-4)
    assert (ours.n_iters, ours.converged, theirs.n_iter_) == (10, False, 10)


def test_run_kmeans_equals_textbook_lloyd_on_a_photo():
    X = sample_pixels("chelsea")
    C0 = jittered(kmeans_init_centroids(X, 6, init="random", seed=2), seed=2)
    expected, steps = textbook_lloyd_without_empty_clusters(X, C0, 5)
    result = run_kmeans(X, C0, 5, tol=0)
    assert result.n_iters == 5
    np.testing.assert_allclose(result.centroids, expected, atol=1e-9)
    np.testing.assert_allclose(result.inertia_history, [s[1] for s in steps], rtol=1e-9)
    np.testing.assert_array_equal(result.labels, brute_labels(X, expected))


def test_run_kmeans_converges_as_computed_by_hand():
    X = np.repeat(np.array([0, 2, 4, 100, 102], dtype=np.uint8), 3).reshape(5, 3)
    # Iteration 1: {0, 2} and {4, 100, 102} give centroids 1 and 206/3, and 4 changes sides.
    # Iteration 2: {0, 2, 4} and {100, 102} give 2 and 101, and nothing changes: converged.
    result = run_kmeans(X, np.array([[1.0, 1, 1], [5, 5, 5]]), 10, tol=0)
    assert result.converged
    assert result.n_iters == 2
    np.testing.assert_allclose(result.centroids, [[2, 2, 2], [101, 101, 101]], rtol=1e-12)
    np.testing.assert_array_equal(result.labels, [0, 0, 0, 1, 1])
    np.testing.assert_allclose(result.inertia_history, [55311, 18935 / 3], rtol=1e-12)
    assert result.inertia == pytest.approx(30, rel=1e-12)


def test_run_kmeans_stops_at_max_iters_when_still_moving():
    X = np.random.default_rng(4).uniform(0, 255, (3_000, 3))
    C0 = X[:8].copy()
    _, steps = textbook_lloyd_without_empty_clusters(X, C0, 4)
    # The oracle's assignment still changes after the third update.
    assert not np.array_equal(steps[2][0], steps[3][0])
    result = run_kmeans(X, C0, 3, tol=0)
    assert (result.n_iters, result.converged) == (3, False)


def test_inertia_and_labels_belong_to_the_final_centroids():
    X = sample_pixels("chelsea")
    C0 = kmeans_init_centroids(X, 12, init="kmeans++", seed=0)
    result = run_kmeans(X, C0, 8, tol=0)
    assert len(result.inertia_history) == result.n_iters
    assert result.inertia == pytest.approx(
        brute_inertia(X, result.centroids, result.labels), rel=1e-9
    )
    np.testing.assert_array_equal(result.labels, brute_labels(X, result.centroids))


def test_progress_reports_every_iteration():
    X = sample_pixels("coffee")
    calls = []
    result = run_kmeans(
        X,
        kmeans_init_centroids(X, 8, init="random", seed=1),
        6,
        progress=lambda i, n, inertia: calls.append((i, n, inertia)),
    )
    assert [c[0] for c in calls] == list(range(1, result.n_iters + 1))
    assert {c[1] for c in calls} == {6}
    assert tuple(c[2] for c in calls) == result.inertia_history


def test_one_cluster_is_the_mean_colour():
    X = sample_pixels("chelsea")
    result = run_kmeans(X, np.array([[0.0, 0.0, 0.0]]), 5)
    np.testing.assert_allclose(result.centroids[0], X.astype(np.float64).mean(axis=0), rtol=1e-12)
    assert not result.labels.any()
    assert result.converged


def test_one_colour_image_is_drawn_exactly():
    X = np.tile(np.array([12, 34, 56], dtype=np.uint8), (500, 1))
    result = run_kmeans(X, np.array([[0.0, 0, 0], [255, 255, 255]]), 5)
    np.testing.assert_array_equal(result.centroids[result.labels], X)


@pytest.mark.parametrize(
    "C0",
    [
        [[100.0, 100, 100], [100, 100, 100], [5, 5, 5]],
        [[100.0, 100, 100], [900, 900, 900], [5, 5, 5]],
    ],
    ids=["two identical centroids", "one far from all data"],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_empty_clusters_never_give_nan(C0, dtype):
    X = np.random.default_rng(1).integers(0, 256, (500, 3)).astype(dtype)
    result = run_kmeans(X, np.array(C0), 10)
    assert np.isfinite(result.centroids).all()
    assert np.isfinite(result.inertia_history).all()


@pytest.mark.parametrize(
    "C0",
    [
        [[100.0, 100, 100], [100, 100, 100], [5, 5, 5]],
        [[100.0, 100, 100], [900, 900, 900], [5, 5, 5]],
    ],
    ids=["two identical centroids", "one far from all data"],
)
def test_an_empty_cluster_ends_with_points_of_its_own(C0):
    X = np.random.default_rng(1).integers(0, 256, (500, 3)).astype(np.uint8)
    assert len(np.unique(run_kmeans(X, np.array(C0), 10).labels)) == 3


def test_two_empty_clusters_fed_by_one_cluster_keep_a_true_inertia():
    # Clusters 3 and 4 start empty. Cluster 0 holds the two farthest points, so it can only
    # give one of them away; the second empty cluster should then take the next farthest.
    X = np.array([[190] * 3, [210] * 3, [50] * 3, [54] * 3, [120, 0, 0]], dtype=np.uint8)
    C0 = np.array([[200.0] * 3, [52] * 3, [120, 0, 0], [0, 255, 0], [0, 250, 0]])
    result = run_kmeans(X, C0, 10)
    assert result.inertia == pytest.approx(
        brute_inertia(X, result.centroids, result.labels), rel=1e-9
    )


@pytest.mark.parametrize(
    "X, C0",
    [
        ([[5, 6, 7]], [[5.0, 6, 7], [5, 6, 7], [5, 6, 7]]),
        ([[5, 6, 7]] * 500, [[5.0, 6, 7], [5, 6, 7], [5, 6, 7]]),
        ([[5, 6, 7], [9, 9, 9]], [[0.0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]),
    ],
    ids=["one pixel", "one colour", "two colours"],
)
def test_more_empty_clusters_than_colours_give_no_nan(X, C0):
    X = np.array(X, dtype=np.uint8)
    C0 = np.array(C0)
    assert np.isfinite(compute_centroids(X, brute_labels(X, C0), len(C0))).all()
    result = run_kmeans(X, C0, 5)
    assert np.isfinite(result.centroids).all()
    assert np.isfinite(result.inertia_history).all()


def test_an_empty_cluster_takes_a_weighted_row_whole():
    # The documented exception to "a weight of 3 counts like three copies": when a cluster
    # empties, the farthest row moves with all its weight. Every row starts in cluster 0 (mean
    # 78.75 in red). Copies: the two farthest rows, 0 and one copy of 126, fill clusters 1 and 2
    # and cluster 0 keeps 63 and the other 126, mean 94.5. Weighted: row 0 and the whole
    # weight-2 row 126 move, and cluster 0 keeps only 63.
    X = np.array([[0.0, 126, 126], [63, 126, 126], [126, 126, 126]])
    weights = np.array([1, 1, 2])
    C0 = np.array([[0.0, 126, 126]] * 3)
    copies = run_kmeans(np.repeat(X, weights, axis=0), C0, 1)
    np.testing.assert_allclose(copies.centroids[:, 0], [94.5, 0, 126])
    weighted = run_kmeans(X, C0, 1, weights=weights)
    np.testing.assert_allclose(weighted.centroids[:, 0], [63, 0, 126])


def test_lloyd_rounds_step_through_textbook_lloyd_and_stop_when_settled():
    X = sample_pixels("chelsea")[::4]
    C0 = jittered(kmeans_init_centroids(X, 6, init="random", seed=2), seed=3)
    rounds = list(lloyd_rounds(X, C0, 50))
    final, steps = textbook_lloyd_without_empty_clusters(X, C0, len(rounds) - 1)
    np.testing.assert_allclose(rounds[0].centroids, C0)
    for step, (labels, inertia) in zip(rounds, steps, strict=False):
        np.testing.assert_array_equal(step.labels, labels)
        assert step.inertia == pytest.approx(inertia, rel=1e-9)
    np.testing.assert_allclose(rounds[-1].centroids, final, atol=1e-9)
    assert [step.settled for step in rounds] == [False] * (len(rounds) - 1) + [True]
    assert len(rounds) <= 50


def test_lloyd_rounds_stop_after_max_iters_updates():
    X = sample_pixels("coffee")[::5]
    C0 = kmeans_init_centroids(X, 16, init="random", seed=0)
    rounds = list(lloyd_rounds(X, C0, 3))
    assert len(rounds) == 4  # the start and three updates
    assert not rounds[-1].settled
    np.testing.assert_allclose(
        rounds[-1].centroids, textbook_lloyd_without_empty_clusters(X, C0, 3)[0], atol=1e-9
    )


def test_same_seed_gives_the_same_run():
    X = sample_pixels("coffee")
    runs = [run_kmeans(X, kmeans_init_centroids(X, 10, seed=7), 5) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].centroids, runs[1].centroids)
    np.testing.assert_array_equal(runs[0].labels, runs[1].labels)
    assert runs[0].inertia_history == runs[1].inertia_history


# --- properties -----------------------------------------------------------------------------


@st.composite
def colours_and_start(draw):
    """Up to 300 uint8 colours (sometimes from a few levels, so they repeat) and 1-8 of them.

    The starting colours may repeat, so some clusters start empty.
    """
    n_rows = draw(st.integers(1, 300))
    levels = draw(st.sampled_from([2, 5, 256]))
    X = draw(arrays(np.uint8, (n_rows, 3), elements=st.integers(0, levels - 1)))
    X = X * np.uint8(255 // (levels - 1))
    K = draw(st.integers(1, min(8, n_distinct(X))))
    rows = draw(st.lists(st.integers(0, n_rows - 1), min_size=K, max_size=K))
    return X, X[rows].astype(np.float64)


@PROPERTY_SETTINGS
@given(colours_and_start(), st.integers(1, 10))
def test_every_point_has_one_label_in_range(data, max_iters):
    X, C0 = data
    labels = run_kmeans(X, C0, max_iters).labels
    assert labels.shape == (len(X),)
    assert 0 <= labels.min() <= labels.max() < len(C0)


@PROPERTY_SETTINGS
@given(colours_and_start(), st.integers(1, 10))
def test_inertia_never_rises(data, max_iters):
    X, C0 = data
    result = run_kmeans(X, C0, max_iters)
    history = np.array([*result.inertia_history, result.inertia])
    assert (np.diff(history) <= 1e-9 * history[:-1] + 1e-9).all()


@PROPERTY_SETTINGS
@given(colours_and_start(), st.integers(1, 10), st.randoms(use_true_random=False))
def test_pixel_order_does_not_matter(data, max_iters, random):
    X, C0 = data
    order = np.array(random.sample(range(len(X)), len(X)))
    result = run_kmeans(X, C0, max_iters)
    shuffled = run_kmeans(X[order], C0, max_iters)
    np.testing.assert_allclose(shuffled.centroids, result.centroids, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(shuffled.labels, result.labels[order])


@PROPERTY_SETTINGS
@given(colours_and_start(), st.integers(1, 10), st.data())
def test_weights_count_like_repeated_colours(data, max_iters, draw):
    # uint8 repeats are collapsed to weighted colours; the result must not tell them apart.
    X, C0 = data
    X = np.unique(X, axis=0)
    weights = np.array(draw.draw(st.lists(st.integers(1, 5), min_size=len(X), max_size=len(X))))
    assert_weighted_equals_repeated(X, weights, C0, max_iters)


@PROPERTY_SETTINGS
@given(colours_and_start(), st.integers(1, 10), st.data())
def test_weights_count_like_repeated_float_rows(data, max_iters, draw):
    # run_kmeans never collapses float rows, so this compares two different computations. Where
    # a cluster empties they differ by design (test_an_empty_cluster_takes_a_weighted_row_whole),
    # so those runs are skipped.
    X, C0 = data
    X = np.unique(X, axis=0).astype(np.float64)
    weights = np.array(draw.draw(st.lists(st.integers(1, 5), min_size=len(X), max_size=len(X))))
    assume(textbook_lloyd(X, C0, max_iters, weights=weights) is not None)
    assert_weighted_equals_repeated(X, weights, C0, max_iters)


def assert_weighted_equals_repeated(X, weights, C0, max_iters):
    weighted = run_kmeans(X, C0, max_iters, weights=weights)
    repeated = run_kmeans(np.repeat(X, weights, axis=0), C0, max_iters)
    np.testing.assert_allclose(weighted.centroids, repeated.centroids, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(np.repeat(weighted.labels, weights), repeated.labels)
    assert weighted.inertia == pytest.approx(repeated.inertia, rel=1e-9, abs=1e-6)

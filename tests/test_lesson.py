"""The lesson: K-Means one half step at a time, telling one story with the full run.

The oracles are the library's run_kmeans from the same start (the lesson must land on the same
centroids) and sums written out here with NumPy.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import kmeans
from kmeans.lesson import ASSIGN, UPDATE, Lesson, ending_of, typical_error
from tests.helpers import sample_rgb
from tests.oracles import independent_delta_e


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    return sample_rgb("coffee.png")[::8, ::8].reshape(-1, 3)


def start(pixels: np.ndarray, k: int = 6, seed: int = 3) -> np.ndarray:
    return kmeans.kmeans_init_centroids(pixels, k, init="random", seed=seed)


def run_to_the_end(lesson: Lesson, most: int = 2000) -> None:
    for _ in range(most):
        lesson.step()
        if lesson.finished:
            return
    raise AssertionError("the lesson did not finish")


def test_steps_alternate_assign_then_update(pixels):
    lesson = Lesson(pixels, start(pixels))
    kinds = [lesson.step().kind for _ in range(6)]
    assert kinds == [ASSIGN, UPDATE] * 3
    assert [s.round for s in lesson.steps] == [1, 1, 2, 2, 3, 3]


def test_the_order_is_enforced(pixels):
    lesson = Lesson(pixels, start(pixels))
    with pytest.raises(ValueError, match="assigned before"):
        lesson.update()
    lesson.assign()
    with pytest.raises(ValueError, match="must move"):
        lesson.assign()


def test_the_first_assign_gives_every_pixel_a_team(pixels):
    step = Lesson(pixels, start(pixels)).assign()
    assert step.changed == len(pixels)
    expected = np.argmin(((pixels[:, None, :] - step.centroids[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(step.labels, expected)


def test_changed_counts_the_pixels_that_switched_team(pixels):
    lesson = Lesson(pixels, start(pixels))
    first = lesson.assign().labels.copy()
    lesson.update()
    second = lesson.assign()
    assert second.changed == int((second.labels != first).sum())


def test_update_moves_each_centroid_to_its_teams_mean(pixels):
    lesson = Lesson(pixels, start(pixels))
    labels = lesson.assign().labels
    before = lesson.centroids.copy()
    step = lesson.update()
    for j in range(len(before)):
        np.testing.assert_allclose(step.centroids[j], pixels[labels == j].mean(axis=0))
    assert step.moved == pytest.approx(np.sqrt(((step.centroids - before) ** 2).sum(1)).max())


def test_the_error_never_rises_step_after_step(pixels):
    lesson = Lesson(pixels, start(pixels, k=8, seed=11))
    run_to_the_end(lesson)
    errors = [s.inertia for s in lesson.steps]
    assert all(later <= earlier + 1e-6 for earlier, later in itertools.pairwise(errors))
    direct = ((pixels - lesson.centroids[lesson.labels]).astype(float) ** 2).sum()
    assert errors[-1] == pytest.approx(direct)


@pytest.mark.parametrize("seed", [0, 5, 9])
def test_the_lesson_ends_where_run_kmeans_ends_from_the_same_start(pixels, seed):
    C0 = start(pixels, k=7, seed=seed)
    lesson = Lesson(pixels, C0)
    run_to_the_end(lesson)
    full = kmeans.run_kmeans(pixels, C0, 2000, tol=0)
    assert full.converged
    np.testing.assert_allclose(lesson.centroids, full.centroids, atol=1e-9)
    assert lesson.steps[-1].inertia == pytest.approx(full.inertia)
    assert lesson.steps[-1].kind == ASSIGN and lesson.steps[-1].changed == 0


def test_a_finished_lesson_only_repeats_itself(pixels):
    lesson = Lesson(pixels, start(pixels))
    run_to_the_end(lesson)
    final = lesson.centroids.copy()
    lesson.step()  # an update: every centroid is already its team's mean
    lesson.step()
    np.testing.assert_allclose(lesson.centroids, final)
    assert lesson.steps[-1].changed == 0


def test_an_empty_team_takes_over_the_worst_fitting_pixel():
    pixels = np.array([[0, 0, 0], [2, 2, 2], [4, 4, 4], [250, 250, 250]], dtype=np.uint8)
    lesson = Lesson(pixels, np.array([[1.0, 1, 1], [3.0, 3, 3], [0.0, 0, 600]]))
    lesson.assign()  # nobody is nearest to the blue centroid
    step = lesson.update()
    assert step.refilled == (2,)
    assert set(map(tuple, step.centroids.tolist())) >= {(250.0, 250.0, 250.0)}
    assert len(np.unique(step.labels)) == 3


def test_a_locked_colour_stays_while_the_others_move(pixels):
    C0 = start(pixels)
    lesson = Lesson(pixels, C0, fixed=[2])
    run_to_the_end(lesson)
    np.testing.assert_array_equal(lesson.centroids[2], C0[2])
    full = kmeans.run_kmeans(pixels, C0, 2000, tol=0, fixed=[2])
    np.testing.assert_allclose(lesson.centroids, full.centroids, atol=1e-9)


def test_typical_error_is_the_root_mean_squared_distance(pixels):
    lesson = Lesson(pixels, start(pixels))
    step = lesson.assign()
    distances = np.sqrt(((pixels - step.centroids[step.labels]) ** 2).sum(axis=1))
    assert typical_error(step.inertia, len(pixels)) == pytest.approx(np.sqrt(np.mean(distances**2)))


def picture(lesson: Lesson) -> np.ndarray:
    """The picture the lesson draws now, rebuilt here: each pixel its centroid, in 8 bits."""
    return np.clip(np.rint(lesson.centroids), 0, 255).astype(np.uint8)[lesson.labels]


@pytest.mark.parametrize("seed", [0, 3])
def test_the_ending_is_where_the_picture_first_looks_as_it_will_at_the_end(pixels, seed):
    start = kmeans.kmeans_init_centroids(pixels, 6, init="random", seed=seed)
    ending = ending_of(pixels, start)
    lesson, pictures = Lesson(pixels, start), []
    while not lesson.finished:
        lesson.step()
        if lesson.steps[-1].kind == UPDATE:
            pictures.append(picture(lesson))
    assert ending.rounds == lesson.round
    # The oracle: ΔE_OK from Ottosson's formulas, written out in the tests' helpers.
    apart = [
        float(independent_delta_e(p.astype(float), picture(lesson).astype(float)).mean())
        for p in pictures
    ]
    assert apart[ending.settled - 1] <= 1.0  # "looks the same" (kmeans.closeness)
    assert all(d > 1.0 for d in apart[: ending.settled - 1])
    assert ending.settled < ending.rounds  # the tail a room would sit through

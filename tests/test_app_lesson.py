"""The lesson, run by Streamlit's AppTest: what a teacher presses, and what the room is told.

The oracles are the library's run_kmeans from the same start, and the lesson object the page
keeps, read back against what its sentence and picture say.
"""

from __future__ import annotations

import re

import numpy as np
from streamlit.testing.v1 import AppTest

import kmeans
from kmeans.lesson import ending_of
from tests.helpers import component_args, no_errors, open_page


def open_lesson(app: AppTest, k: int = 4) -> AppTest:
    app.sidebar.button_group(key="mode").set_value("Lesson for a class").run()
    app.number_input(key="lesson_k").set_value(k).run()
    return app


def changed_count(app: AppTest) -> int | None:
    for m in app.markdown:
        found = re.search(r"\*\*([\d,]+) pixels changed team\*\*", m.value)
        if found:
            return int(found.group(1).replace(",", ""))
    return None


def test_the_lesson_steps_assign_and_update_to_convergence():
    app = open_page()
    open_lesson(app)
    assert no_errors(app)
    assert any("starting colours" in m.value for m in app.markdown)
    assert app.button(key="update_button").disabled
    app.button(key="assign_button").click().run()
    assert any("every one of the" in m.value for m in app.markdown)
    assert app.button(key="assign_button").disabled and not app.button(key="update_button").disabled
    app.button(key="update_button").click().run()
    assert any("the biggest move was" in m.value for m in app.markdown)
    app.button(key="assign_button").click().run()
    assert changed_count(app) is not None
    for _ in range(200):
        if app.button(key="round_button").disabled:
            break
        app.button(key="round_button").click().run()
    assert no_errors(app)
    assert any("it has finished" in m.value for m in app.markdown)


def test_the_lessons_end_is_run_kmeans_from_the_same_start():
    app = open_page()
    open_lesson(app, k=5)
    for _ in range(200):
        if app.button(key="round_button").disabled:
            break
        app.button(key="round_button").click().run()
    lesson = app.session_state["lesson"]
    start = app.session_state["lesson_start"]
    full = kmeans.run_kmeans(lesson.pixels, start, 1000, tol=0)
    np.testing.assert_allclose(lesson.centroids, full.centroids, atol=1e-9)


def test_a_locked_colour_stays_put_through_the_lesson():
    app = open_page()
    open_lesson(app)
    app.color_picker(key="lock_own").set_value("#d62828")
    app.button(key="lock_own_button").click().run()
    assert no_errors(app)
    for _ in range(60):
        if app.button(key="round_button").disabled:
            break
        app.button(key="round_button").click().run()
    lesson = app.session_state["lesson"]
    np.testing.assert_array_equal(lesson.centroids[0], [214, 40, 40])


def run_rounds(app: AppTest, rounds: int) -> AppTest:
    for _ in range(rounds):
        app.button(key="round_button").click().run()
    return app


def run_to_the_end(app: AppTest) -> AppTest:
    for _ in range(500):
        if app.button(key="round_button").disabled:
            return app
        app.button(key="round_button").click().run()
    raise AssertionError("the lesson did not finish")


def test_once_finished_no_step_button_is_left_on():
    app = run_to_the_end(open_lesson(open_page()))
    assert any("it has finished" in m.value for m in app.markdown)
    for key in ("assign_button", "update_button", "round_button", "step_button", "end_button"):
        assert app.button(key=key).disabled, key


def test_the_lesson_says_what_levels_and_typical_error_are():
    app = open_lesson(open_page())
    said = " ".join(m.value for m in app.markdown)
    assert "**level**" in said and "**typical error**" in said
    assert "0 to 255" in said


def test_the_error_curve_counts_rounds_as_the_sentence_does():
    app = run_rounds(open_lesson(open_page()), 3)
    app.button(key="assign_button").click().run()
    sent = component_args(app, "lesson_plot")
    (said,) = [m.value for m in app.markdown if m.value.startswith("Round ")]
    round_said = int(re.match(r"Round (\d+)", said).group(1))
    assert round_said == 4 and sent["error_rounds"][-1] == round_said - 0.5  # an assign
    assert sent["error_rounds"][:2] == [0.5, 1.0]


def test_the_picture_says_how_many_pixels_it_plots_of_how_many():
    app = open_lesson(open_page())
    sent = component_args(app, "lesson_plot")
    lesson = app.session_state["lesson"]
    assert sent["n_pixels"] == len(lesson.pixels) == 160 * 160
    assert len(sent["points"]) // 3 < sent["n_pixels"]
    assert sent["assigned"] is False  # no shares are claimed before the first assignment
    app.button(key="assign_button").click().run()
    assert component_args(app, "lesson_plot")["assigned"] is True


def test_past_the_settled_round_the_page_says_so_and_jumps_to_the_end():
    app = open_lesson(open_page())
    lesson = app.session_state["lesson"]
    ending = ending_of(lesson.pixels, app.session_state["lesson_start"])
    assert ending.settled < ending.rounds
    assert app.button(key="end_button").disabled
    run_rounds(app, ending.settled)
    assert not app.button(key="end_button").disabled
    assert any(
        f"Since round {ending.settled} the picture looks as it will" in m.value
        for m in app.markdown
    )
    assert component_args(app, "lesson_plot")["settled"] == ending.settled
    app.button(key="end_button").click().run()
    lesson = app.session_state["lesson"]
    assert lesson.finished and lesson.round == ending.rounds
    full = kmeans.run_kmeans(lesson.pixels, app.session_state["lesson_start"], 1000, tol=0)
    np.testing.assert_allclose(lesson.centroids, full.centroids, atol=1e-9)


def test_finished_starts_are_compared_with_their_rounds_whichever_start_they_had():
    app = run_to_the_end(open_lesson(open_page()))
    random_rounds = app.session_state["lesson"].round
    app.button_group(key="lesson_init").set_value("k-means++").run()
    run_to_the_end(app)
    plus_rounds = app.session_state["lesson"].round
    (said,) = [m.value for m in app.markdown if "Finished starts so far" in m.value]
    assert "random: " in said and f"after {random_rounds} round" in said
    assert "k-means++: " in said and f"after {plus_rounds} round" in said
    assert "fewer rounds" not in " ".join(m.value for m in app.markdown)

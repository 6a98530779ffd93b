"""The lesson: K-Means one step at a time, big enough to project for a class.

Each button press runs one real step of the library's Lloyd (:mod:`kmeans.lesson`) on a small
copy of the photo: "Assign" gives every pixel the team of its nearest colour, "Update" moves
every colour to its team's average. The 3D plot, the redrawn photo, the palette and the error
curve all follow, and a sentence says what just happened in plain words.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import compute
from dashboard.clusters_view import cluster_figure, convergence_figure
from dashboard.images import png_bytes, show_image, swatch_strip
from dashboard.layout import LESSON_PLOT_HEIGHT, LESSON_POINTS
from dashboard.sidebar import Photo
from kmeans import kmeans_init_centroids
from kmeans.lesson import ASSIGN, Lesson, typical_error
from kmeans.palette import hex_codes
from kmeans.settings import parse_hex_colour

STARTS = {"random": "random", "k-means++": "kmeans++"}
SPEEDS = {"slow": 2.0, "medium": 1.0, "fast": 0.3}
LESSON_CSS = """
<style>
.st-key-lesson p, .st-key-lesson li, .st-key-lesson label, .st-key-lesson button p {
  font-size: 19px !important; }
.st-key-lesson h3 { font-size: 28px !important; }
</style>
"""


def start_lesson(photo: Photo, k: int, init: str, seed: int, locked: tuple = ()) -> None:
    pixels = compute.lesson_pixels(photo.digest, _data=photo.data)
    flat = pixels.reshape(-1, 3)
    kept = np.array(locked, dtype=float).reshape(-1, 3) if locked else None
    start = kmeans_init_centroids(flat, k, init=init, seed=seed, keep=kept)
    st.session_state["lesson"] = Lesson(flat, start, fixed=list(range(len(locked))))
    st.session_state["lesson_start"] = start
    st.session_state["lesson_shape"] = pixels.shape
    st.session_state["lesson_key"] = (photo.digest, k, init, seed, locked)
    st.session_state["playing"] = False


def show_lesson(photo: Photo) -> None:
    st.html(LESSON_CSS)
    with st.container(key="lesson"):
        controls(photo)
        lesson: Lesson | None = st.session_state.get("lesson")
        if lesson is None:
            return
        playing = st.session_state.get("playing", False)
        interval = SPEEDS[st.session_state.get("lesson_speed", "medium")] if playing else None
        st.fragment(run_every=interval)(lesson_body)()


def controls(photo: Photo) -> None:
    row = st.columns([1, 1.7, 1.2, 1.2, 1, 1.5], vertical_alignment="bottom")
    k = row[0].number_input("Colours (K)", 2, 12, 4, key="lesson_k")
    init_label = (
        row[1].segmented_control(
            "Start from",
            list(STARTS),
            default="random",
            key="lesson_init",
            help="Random colours make every round visibly matter. k-means++ spreads the starting "
            "colours apart, so it starts closer to the answer and needs fewer rounds.",
        )
        or "random"
    )
    seed = st.session_state.setdefault("lesson_seed", 0)
    locked = tuple(st.session_state.get("locked", ()))
    wanted = (photo.digest, int(k), STARTS[init_label], seed, locked)
    if row[2].button("Start over", type="primary", width="stretch", icon=":material/replay:") or (
        st.session_state.get("lesson_key") != wanted
    ):
        start_lesson(photo, int(k), STARTS[init_label], seed, locked)
    if row[3].button(
        "New start",
        width="stretch",
        help="A new random start: K-Means may end somewhere else, with a different error.",
    ):
        st.session_state["lesson_seed"] = seed + 1
        st.rerun()
    playing = st.session_state.get("playing", False)
    row[4].button(
        "Pause" if playing else "Play",
        on_click=toggle_play,
        width="stretch",
        key="play_button",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        help="Step on its own, at the speed chosen, until K-Means settles.",
    )
    row[5].segmented_control("Speed", list(SPEEDS), default="medium", key="lesson_speed")


def lesson_body() -> None:
    lesson: Lesson = st.session_state["lesson"]
    if st.session_state.get("playing") and not lesson.finished:
        next_round(lesson)  # a whole round per tick: the slow tail of Lloyd takes many
    elif st.session_state.get("playing"):
        st.session_state["playing"] = False
        st.rerun()  # the whole page, so the fragment stops running on a timer
    buttons = st.columns(4)
    next_kind = lesson.next_kind
    buttons[0].button(
        "1 · Assign",
        on_click=lesson.assign,
        disabled=next_kind != ASSIGN or lesson.finished,
        width="stretch",
        key="assign_button",
        help="Every pixel joins the team of its nearest colour.",
    )
    buttons[1].button(
        "2 · Update",
        on_click=lesson.update,
        disabled=next_kind == ASSIGN,
        width="stretch",
        key="update_button",
        help="Every colour moves to the average of its team.",
    )
    buttons[2].button(
        "Next round",
        on_click=next_round,
        args=(lesson,),
        disabled=lesson.finished,
        width="stretch",
        key="round_button",
        help="Assign, then update.",
    )
    buttons[3].button(
        "Step (→ or space)",
        width="stretch",
        key="step_button",
        on_click=lesson.step,
        disabled=lesson.finished,
    )
    keyboard_shortcuts()
    show_state(lesson)


def next_round(lesson: Lesson) -> None:
    """Finish the round under way, or run a whole one: assign, then update."""
    if lesson.next_kind != ASSIGN:
        lesson.update()
    lesson.assign()
    if not lesson.finished:
        lesson.update()


def toggle_play() -> None:
    st.session_state["playing"] = not st.session_state.get("playing", False)


def keyboard_shortcuts() -> None:
    """→ or space presses the step button: a clicker in the teacher's hand works too."""
    st.html(
        """<script>
        if (!window.kmeansLessonKeys) {
          window.kmeansLessonKeys = true;
          window.parent.document.addEventListener('keydown', (e) => {
            const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName);
            if (typing || !['ArrowRight', ' '].includes(e.key)) return;
            const step = window.parent.document.querySelector('.st-key-step_button button');
            if (step && !step.disabled) { e.preventDefault(); step.click(); }
          });
        }
        </script>""",
        unsafe_allow_javascript=True,
    )


def sentence(lesson: Lesson) -> str:
    if not lesson.steps:
        return (
            f"These are the {len(lesson.centroids)} starting colours. Press **Assign**: every "
            "pixel will join the team of the colour closest to it."
        )
    step = lesson.steps[-1]
    if lesson.finished:
        return (
            f"**No pixel changed team, so it has finished** (round {step.round}). The colours "
            "are already the averages of their teams, so updating would leave them where they "
            "are, and the next assignment would be the same: K-Means has converged."
        )
    if step.kind == ASSIGN:
        if step.round == 1:
            return f"Every one of the {step.changed:,} pixels joined a team. Now **Update**."
        return (
            f"**{step.changed:,} pixels changed team** (outlined in the plot). Now **Update** "
            "to move each colour to its new team's average."
        )
    refilled = (
        f" Colour {', '.join(str(j + 1) for j in step.refilled)} had no pixels left, so it "
        "jumped to the pixel that fitted its team worst."
        if step.refilled
        else ""
    )
    return (
        f"Each colour moved to the average of its team; the biggest move was "
        f"**{step.moved:.1f} levels**.{refilled} Now **Assign** again."
    )


def different_starts(lesson: Lesson) -> str:
    """Each finished start's final error, so "New start" shows that the ending depends on it."""
    ends = st.session_state.setdefault("lesson_ends", {})
    key = st.session_state["lesson_key"]
    if lesson.finished:
        ends[key] = typical_error(lesson.steps[-1].inertia, len(lesson.pixels))
    same_photo = [error for k, error in ends.items() if k[:3] == key[:3]]
    if len(same_photo) < 2:
        return ""
    listed = ", ".join(f"{error:.2f}" for error in same_photo)
    return (
        f" Finished starts so far ended at typical errors of {listed} levels: K-Means finds a "
        "good answer, not always the best one, so where it starts matters."
    )


def show_state(lesson: Lesson) -> None:
    height, width, _ = st.session_state["lesson_shape"]
    n = len(lesson.pixels)
    st.markdown(sentence(lesson) + different_starts(lesson))
    left, right = st.columns([2, 3], gap="medium")
    palette = np.clip(np.rint(lesson.centroids), 0, 255).astype(np.uint8)
    with left:
        if lesson.labels is None:
            redrawn = lesson.pixels.reshape(height, width, 3)
            caption = f"The photo ({width} × {height} pixels, the copy the lesson works on)"
        else:
            redrawn = palette[lesson.labels].reshape(height, width, 3)
            caption = f"Redrawn with these {len(palette)} colours ({width} × {height} pixels)"
        show_image(
            st,
            png_bytes(np.repeat(np.repeat(redrawn, 3, 0), 3, 1)),
            caption=caption,
            width="stretch",
        )
        counts = (
            np.bincount(lesson.labels, minlength=len(palette))
            if lesson.labels is not None
            else np.ones(len(palette))
        )
        show_image(
            st, swatch_strip(palette, np.full(len(palette), 1 / len(palette)), 30), width="stretch"
        )
        lock_controls(lesson, palette, counts)
    with right:
        show_lesson_plot(lesson, palette)
        errors = [typical_error(s.inertia, n) for s in lesson.steps]
        if errors:
            figure = convergence_figure(errors, x_title="step")
            figure.update_layout(height=180)
            st.plotly_chart(figure, config={"displaylogo": False, "displayModeBar": False})
            st.caption(
                f"Typical colour error after each step, from zero: {errors[-1]:.1f} levels "
                "now. It never goes up."
            )


def show_lesson_plot(lesson: Lesson, palette: np.ndarray) -> None:
    pixels = lesson.pixels
    shown = np.linspace(0, len(pixels) - 1, min(LESSON_POINTS, len(pixels))).astype(int)
    points = pixels[shown]
    if lesson.labels is None:
        colours = hex_codes(points)
    else:
        colours = hex_codes(palette[lesson.labels[shown]])
    trail = None
    steps = lesson.steps
    if steps and steps[-1].kind != ASSIGN:
        previous = [s for s in steps[:-1] if s.kind != ASSIGN]
        trail = previous[-1].centroids if previous else st.session_state["lesson_start"]
    figure = cluster_figure(
        points.astype(float), colours, lesson.centroids, height=LESSON_PLOT_HEIGHT, trail=trail
    )
    changed = changed_pixels(lesson)
    if changed is not None and changed[shown].any():
        moved = points[changed[shown]]
        figure.add_scatter3d(
            x=moved[:, 0],
            y=moved[:, 1],
            z=moved[:, 2],
            mode="markers",
            marker={"size": 4, "color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2}},
            name="changed team",
            hoverinfo="skip",
        )
    st.plotly_chart(figure, config={"displaylogo": False, "displayModeBar": False})


def changed_pixels(lesson: Lesson) -> np.ndarray | None:
    """Which pixels changed team in the last assign (None before a second assign)."""
    assigns = [s for s in lesson.steps if s.kind == ASSIGN]
    if len(assigns) < 2 or lesson.steps[-1].kind != ASSIGN:
        return None
    return assigns[-1].labels != assigns[-2].labels


def lock_controls(lesson: Lesson, palette: np.ndarray, counts: np.ndarray) -> None:
    """Lock a colour: the update never moves it, like a brand colour that must survive."""
    hexes = hex_codes(palette)
    locked = list(st.session_state.get("locked", ()))
    pick, add = st.columns([3, 2], vertical_alignment="bottom")
    chosen = pick.selectbox(
        "Lock a colour",
        ["—", *hexes],
        key="lock_pick",
        help="A locked colour never moves when the others update.",
    )
    if chosen != "—" and add.button("Lock it", key="lock_button", width="stretch"):
        colour = parse_hex_colour(chosen)
        if colour not in locked:
            st.session_state["locked"] = (*locked, colour)
        st.rerun()
    own = st.color_picker("Or bring your own colour", "#d62828", key="lock_own")
    if st.button("Lock this colour and start over", key="lock_own_button"):
        colour = parse_hex_colour(own)
        if colour not in locked:
            st.session_state["locked"] = (*locked, colour)
        st.rerun()
    if locked:
        st.caption("Locked: " + ", ".join(hex_codes(np.array(locked, dtype=np.uint8))))
        if st.button("Unlock all", key="unlock"):
            st.session_state["locked"] = ()
            st.rerun()

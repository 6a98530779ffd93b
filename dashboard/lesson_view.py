"""The lesson: K-Means one step at a time, big enough to project for a class.

Each button press runs one real step of the library's Lloyd (:mod:`kmeans.lesson`) on a small
copy of the photo: "Assign" gives every pixel the team of its nearest colour, "Update" moves
every colour to its team's average. A sentence says what just happened in plain words, and the
lesson's picture (:mod:`dashboard.lessonplot`: the redrawn photo, the palette, the colours in
3D and the error curve) follows. A step reruns only the lesson's body (a fragment), and the
picture receives only what the step changed, so a step answers at once even on a projector's
laptop.
"""

from __future__ import annotations

import json

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import compute, photo_choice
from dashboard.layout import LESSON_PLOT_HEIGHT, LESSON_POINTS
from dashboard.lesson_words import LEVELS_AND_ERROR, different_starts, sentence
from dashboard.lessonplot import lesson_plot, palette_png, rgb_png
from dashboard.photo_choice import Photo
from kmeans import kmeans_init_centroids
from kmeans.lesson import ASSIGN, Ending, Lesson, ending_of, typical_error
from kmeans.palette import hex_codes
from kmeans.settings import parse_hex_colour

STARTS = {"random": "random", "k-means++": "kmeans++"}
#: The setup menu's first choices: K, the start and the speed of Play.
LESSON_DEFAULTS = {"k": 4, "init": "random", "speed": "medium"}
#: The step button, and the keys that press it: → and space, what a presenter's clicker sends.
STEP_BUTTON, STEP_KEYS = "step_button", ("ArrowRight", " ")
#: The lesson's picture; what the visitor does in it (a key, a swatch) comes back under this key.
PICTURE = "lesson_plot"
SPEEDS = {"slow": 2.0, "medium": 1.0, "fast": 0.3}
#: The lesson is projected: its words and buttons are at least 24 px on any screen wider than a
#: phone, and wrap rather than shrink; on a phone they are smaller, two buttons a row.
LESSON_CSS = """
<style>
.st-key-lesson p, .st-key-lesson li, .st-key-lesson label, .st-key-lesson button p {
  font-size: 24px !important; line-height: 1.3; }
.st-key-lesson [data-testid="stMarkdownContainer"] p { margin-bottom: 0; }
/* Room for three lines of the step's sentence, so the picture below does not move as it grows. */
.st-key-lesson_sentence { min-height: calc(3 * 1.3 * 24px); }
.st-key-lesson button [data-testid="stMarkdownContainer"],
.st-key-lesson button p { white-space: normal !important; }
/* The lesson is one screen high: the page's bar (only a menu, at the right) lies over the
   title, so it must not hide it under white. */
[data-testid="stHeader"] { background: transparent; }
[data-testid="stHeader"], [data-testid="stHeader"] * { pointer-events: none; }
[data-testid="stHeader"] button, [data-testid="stHeader"] a { pointer-events: auto; }
/* Narrower than 760 px (a 1024 px projector with the sidebar open, or a phone), two buttons a
   row instead of five, so their words keep their size; the query is on the lesson's own width,
   which the open sidebar changes, not the screen's. */
.st-key-lesson { container: lesson / inline-size; }
@container lesson (max-width: 760px) {
  .st-key-lesson [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  .st-key-lesson [data-testid="stColumn"] {
    flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important; }
  .st-key-lesson_sentence [data-testid="stColumn"] {
    flex-basis: 100% !important; min-width: 100% !important; }
}
/* A phone is held, not projected: smaller words, so the photo shows on the first screen. */
@media (max-width: 640px) {
  .st-key-lesson p, .st-key-lesson li, .st-key-lesson label, .st-key-lesson button p {
    font-size: 16px !important; }
}
</style>
"""


def start_lesson(photo: Photo, k: int, init: str, seed: int, locked: tuple = ()) -> None:
    """A new lesson, and how it will end (a copy runs to the end first: a few hundredths of a
    second on the lesson's small picture)."""
    pixels = compute.lesson_pixels(photo.digest, _data=photo.data)
    flat = pixels.reshape(-1, 3)
    kept = np.array(locked, dtype=float).reshape(-1, 3) if locked else None
    start = kmeans_init_centroids(flat, k, init=init, seed=seed, fixed_colours=kept)
    fixed = list(range(len(locked)))
    st.session_state["lesson"] = Lesson(flat, start, fixed=fixed)
    st.session_state["lesson_ending"] = ending_of(flat, start, fixed)
    st.session_state["lesson_start"] = start
    st.session_state["lesson_shape"] = pixels.shape
    st.session_state["lesson_key"] = (photo.digest, k, init, seed, locked)
    st.session_state["playing"] = False


def show_lesson(camera: UploadedFile | None, title: str) -> None:
    """The lesson under ``title``: its photo is chosen in its setup menu, with K and the start,
    so the first screen keeps room for the picture."""
    st.html(LESSON_CSS)
    heading = st.container()
    heading.title(title, anchor=False)
    with st.container(key="lesson"):
        controls(heading, camera)
        lesson: Lesson | None = st.session_state.get("lesson")
        if lesson is None:
            return
        playing = st.session_state.get("playing", False)
        interval = SPEEDS[st.session_state["lesson_chosen"]["speed"]] if playing else None
        st.fragment(run_every=interval)(lesson_body)()


def controls(heading: DeltaGenerator, camera: UploadedFile | None) -> None:
    """Setting up: the photo (named under ``heading``), K, how to start and the speed (in a
    popover), start over, lock a colour."""
    row = st.columns([1.25, 1, 1, 1.25], vertical_alignment="center")
    # The menu's choices are also kept apart from its widgets, and given to them as their
    # defaults: after a rerun with the menu shut, the browser forgets what its widgets held
    # and sends their defaults (K = 2, no start) the next time any of them changes.
    chosen = st.session_state.setdefault("lesson_chosen", dict(LESSON_DEFAULTS))
    with row[0].popover(
        f"K = {chosen['k']} · {chosen['init']}",
        icon=":material/tune:",
        width="stretch",
        key="setup",
    ):
        photo = photo_choice.choose_photo_in(heading, camera)
        k = st.number_input("Colours (K)", 2, 12, value=chosen["k"], key="lesson_k")
        init_label = st.segmented_control(
            "Start from",
            list(STARTS),
            default=chosen["init"],
            key="lesson_init",
            required=True,
            help="Random colours make every round visibly matter. k-means++ spreads the "
            "starting colours apart, so it usually starts with a lower error; how many rounds "
            "it then needs depends on the photo and the start (the lesson shows each "
            "finished start's rounds).",
        )
        speed = st.segmented_control(
            "Speed of Play",
            list(SPEEDS),
            default=chosen["speed"],
            key="lesson_speed",
            required=True,
        )
    chosen.update(k=int(k), init=init_label, speed=speed)
    seed = st.session_state.setdefault("lesson_seed", 0)
    locked = tuple(st.session_state.get("locked", ()))
    wanted = (photo.digest, int(k), STARTS[init_label], seed, locked)
    if row[1].button("Start over", type="primary", width="stretch", icon=":material/replay:") or (
        st.session_state.get("lesson_key") != wanted
    ):
        start_lesson(photo, int(k), STARTS[init_label], seed, locked)
    if row[2].button(
        "New start",
        width="stretch",
        help="A new random start: K-Means may end somewhere else, with a different error.",
    ):
        st.session_state["lesson_seed"] = seed + 1
        st.rerun()
    with row[3].popover(
        "Locked: " + ", ".join(hex_codes(np.array(locked, dtype=np.uint8)))
        if locked
        else "Lock a colour",
        icon=":material/lock:",
        width="stretch",
        key="lock_popover",
    ):
        lesson = st.session_state.get("lesson")
        if lesson is not None:
            lock_controls(lesson, locked)


def lesson_body() -> None:
    lesson: Lesson = st.session_state["lesson"]
    act_on_picture(lesson)
    if st.session_state.pop("play_toggled", False):
        st.rerun()  # the whole page, so that the fragment starts or stops its timer
    if st.session_state.get("playing") and not lesson.finished:
        next_round(lesson)  # a whole round per tick: the slow tail of Lloyd takes many
    elif st.session_state.get("playing"):
        st.session_state["playing"] = False
        st.rerun()  # the whole page, so the fragment stops running on a timer
    buttons = st.columns(5)
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
        disabled=next_kind == ASSIGN or lesson.finished,
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
        "Step",
        width="stretch",
        key=STEP_BUTTON,
        icon=":material/arrow_forward:",
        on_click=lesson.step,
        disabled=lesson.finished,
        help="The next half step. The → key and the space bar press it too, and so does a "
        "presenter's clicker.",
    )
    playing = st.session_state.get("playing", False)
    buttons[4].button(
        "Pause" if playing else "Play",
        on_click=toggle_play,
        width="stretch",
        key="play_button",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        disabled=lesson.finished and not playing,
        help="Step on its own, a round at a time, until K-Means settles.",
    )
    keyboard_shortcuts()
    show_state(lesson, st.session_state["lesson_ending"])


def to_the_end(lesson: Lesson) -> None:
    """Run every round left, at once: what Play would do, without the room waiting."""
    while not lesson.finished:
        next_round(lesson)
    st.session_state["playing"] = False


def next_round(lesson: Lesson) -> None:
    """Finish the round under way, or run a whole one: assign, then update."""
    if lesson.next_kind != ASSIGN:
        lesson.update()
    lesson.assign()
    if not lesson.finished:
        lesson.update()


def toggle_play() -> None:
    st.session_state["playing"] = not st.session_state.get("playing", False)
    st.session_state["play_toggled"] = True


def keyboard_shortcuts() -> None:
    """The step keys press the step button: a clicker in the teacher's hand works too."""
    st.html(
        f"""<script>
        if (!window.kmeansLessonKeys) {{
          window.kmeansLessonKeys = true;
          window.parent.document.addEventListener('keydown', (e) => {{
            const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement.tagName);
            if (typing || !{json.dumps(STEP_KEYS)}.includes(e.key)) return;
            const step = window.parent.document.querySelector('.st-key-{STEP_BUTTON} button');
            if (step && !step.disabled) {{ e.preventDefault(); step.click(); }}
          }});
        }}
        </script>""",
        unsafe_allow_javascript=True,
    )


def act_on_picture(lesson: Lesson) -> None:
    """What the visitor did in the picture since the last run: a step key, or a swatch clicked
    (which locks that colour). Each act is acted on once, not at every rerun."""
    done = st.session_state.get(PICTURE)
    if not done or done["event"] == st.session_state.get("lesson_event"):
        return
    st.session_state["lesson_event"] = done["event"]
    if "lock" in done:
        lock_colour(parse_hex_colour(done["lock"]))
    elif not lesson.finished:
        lesson.step()


def show_state(lesson: Lesson, ending: Ending) -> None:
    """The sentence (with, once the picture has settled, the offer to jump to the end) and the
    picture: the photo as redrawn now, its palette, the error curve and the 3D plot."""
    said, jump = st.container(key="lesson_sentence").columns([5, 1], vertical_alignment="center")
    said.markdown(sentence(lesson, ending) + different_starts(lesson))
    jump.button(
        "To the end",
        icon=":material/skip_next:",
        key="end_button",
        on_click=to_the_end,
        args=(lesson,),
        disabled=lesson.finished or lesson.round < ending.settled,
        width="stretch",
        help=f"The picture looks the same as at the end from round {ending.settled}: this runs "
        f"the remaining rounds, to round {ending.rounds}, at once. Next round and Step still "
        "go one at a time.",
    )
    height, width, _ = st.session_state["lesson_shape"]
    palette = np.clip(np.rint(lesson.centroids), 0, 255).astype(np.uint8)
    n = len(lesson.pixels)
    if lesson.labels is None:
        photo = rgb_png(lesson.pixels.reshape(height, width, 3))
        caption = f"The photo, {width} × {height} pixels"
        shares = None
    else:
        photo = palette_png(lesson.labels.reshape(height, width), palette)
        caption = f"Redrawn with these {len(palette)} colours"
        shares = np.bincount(lesson.labels, minlength=len(palette)) / n
    errors = [typical_error(s.inertia, n) for s in lesson.steps]
    shown = plotted_points(n)
    changed = changed_pixels(lesson)
    lesson_plot(
        points=lesson.pixels[shown],
        points_id=f"{st.session_state['lesson_key'][0]}:{len(shown)}",
        n_pixels=n,
        step_id=f"{st.session_state['lesson_key']}:{len(lesson.steps)}",
        centroids=lesson.centroids,
        teams=None if lesson.labels is None else lesson.labels[shown],
        changed=None if changed is None else changed[shown],
        previous=centroids_before_update(lesson),
        locked=lesson.fixed,
        shares=shares,
        photo_png=photo,
        photo_caption=caption,
        errors=errors,
        error_rounds=[s.round - 0.5 if s.kind == ASSIGN else float(s.round) for s in lesson.steps],
        settled=ending.settled,
        error_caption=(
            f"Typical error: {errors[-1]:.1f} levels" if errors else "Its error, round by round:"
        ),
        step_keys=STEP_KEYS,
        height=LESSON_PLOT_HEIGHT,
        key=PICTURE,
    )
    st.markdown(LEVELS_AND_ERROR)


def plotted_points(n: int) -> np.ndarray:
    """Evenly spaced pixels for the 3D plot: the same ones at every step, so only colours change."""
    return np.linspace(0, n - 1, min(LESSON_POINTS, n)).astype(int)


def centroids_before_update(lesson: Lesson) -> np.ndarray | None:
    """Where the centroids were before the last update, for its trail (None after an assign)."""
    steps = lesson.steps
    if not steps or steps[-1].kind == ASSIGN:
        return None
    previous = [s for s in steps[:-1] if s.kind != ASSIGN]
    return previous[-1].centroids if previous else st.session_state["lesson_start"]


def changed_pixels(lesson: Lesson) -> np.ndarray | None:
    """Which pixels changed team in the last assign (None before a second assign)."""
    assigns = [s for s in lesson.steps if s.kind == ASSIGN]
    if len(assigns) < 2 or lesson.steps[-1].kind != ASSIGN:
        return None
    return assigns[-1].labels != assigns[-2].labels


def lock_colour(colour: tuple[int, int, int]) -> None:
    """Lock ``colour`` and start over: the update never moves it, like a brand colour."""
    locked = tuple(st.session_state.get("locked", ()))
    if colour not in locked:
        st.session_state["locked"] = (*locked, colour)
    st.rerun()


def lock_controls(lesson: Lesson, locked: tuple) -> None:
    """Lock a colour of the palette, or one of your own: the update never moves it."""
    st.caption("Or click a colour of the palette under the photo.")
    hexes = hex_codes(np.clip(np.rint(lesson.centroids), 0, 255).astype(np.uint8))
    pick, add = st.columns([3, 2], vertical_alignment="bottom")
    chosen = pick.selectbox(
        "Lock a colour of the palette",
        ["—", *hexes],
        key="lock_pick",
        help="A locked colour never moves when the others update.",
    )
    if chosen != "—" and add.button("Lock it", key="lock_button", width="stretch"):
        lock_colour(parse_hex_colour(chosen))
    own = st.color_picker("Or bring your own colour", "#d62828", key="lock_own")
    if st.button("Lock this colour and start over", key="lock_own_button"):
        lock_colour(parse_hex_colour(own))
    if locked and st.button("Unlock all", key="unlock"):
        st.session_state["locked"] = ()
        st.rerun()

"""What the visitor chooses besides the photo: the view, K, and the finer settings.

The choices live in the URL (``st.query_params``): sample, K, rounds, initialisation, seed,
colour space and dithering, so a link opens the same view (the photo itself never travels in
one: see :mod:`dashboard.photo_choice`). K sits above the result rather than in the sidebar, so
on a phone it can be changed without the sidebar covering the picture.
"""

from __future__ import annotations

import streamlit as st

from dashboard.photo_choice import OWN_PHOTO, SAMPLES, Photo, shown_sample
from kmeans import MAX_K, KMeansError, Settings
from kmeans.settings import DEFAULT_MAX_ITERS, check_k

INITS = {"k-means++ (spread out)": "histogram", "random (classic)": "random"}
SPACES = {"RGB (textbook)": "rgb", "Oklab (follows the eye)": "oklab"}
DITHERS = {"none": "none", "selective": "selective", "Floyd–Steinberg": "floyd-steinberg"}
K_PRESETS = [2, 4, 8, 16, 32, 64, 128, 256]
DEFAULT_K = 16
COMPRESS, LESSON = "Compress and compare", "Lesson for a class"


#: The view's choices made under the tabs, kept when a run does not draw their widgets (another
#: tab is open, or the visitor's own photo is being replaced and there is none to show):
#: Streamlit forgets a widget's value when a run leaves it out.
KEPT_CHOICES = (
    "k",
    "view",
    "heat",
    "zoom",
    "palette_order",
    "compare_ks",
    "auto_quality",
    "by_cluster",
)


def keep_choices() -> None:
    """Keep the choices in :data:`KEPT_CHOICES` through a run that does not draw them."""
    for key in KEPT_CHOICES:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def remember_url_choices() -> None:
    """On a visitor's first run, start the widgets from the link's query parameters."""
    if st.session_state.get("_from_url"):
        return
    st.session_state["_from_url"] = True
    query = st.query_params
    if query.get("sample") in SAMPLES:
        st.session_state["sample"] = query["sample"]
    for name, key, convert in (
        ("k", "k", int),
        ("rounds", "rounds", int),
        ("seed", "seed", int),
    ):
        try:
            if name in query:
                st.session_state[key] = convert(query[name])
        except ValueError:
            pass
    if "k" in st.session_state:
        try:
            check_k(st.session_state["k"])
        except KMeansError as error:
            del st.session_state["k"]
            shown = f"the link's K is left out and the page shows K = {DEFAULT_K}"
            st.session_state["k_refused"] = f"{str(error).rstrip('.')}; {shown}."
    # A link made while someone looked at their own photo: it never carries the photo.
    st.session_state["link_without_photo"] = query.get("photo") == OWN_PHOTO
    for name, options in (("init", INITS), ("space", SPACES), ("dither", DITHERS)):
        labels = {value: label for label, value in options.items()}
        if query.get(name) in labels:
            st.session_state[name] = labels[query[name]]


def choose_mode() -> str:
    """Compressing a photo, or the step-by-step lesson, which takes the whole screen."""
    return (
        st.segmented_control(
            "View", [COMPRESS, LESSON], default=COMPRESS, key="mode", width="stretch"
        )
        or COMPRESS
    )


def choose_settings() -> Settings:
    """The finer settings, folded away: most visitors only ever change K."""
    with st.expander("How K-Means runs", expanded=False):
        max_iters = st.number_input(
            "Most rounds",
            1,
            500,
            DEFAULT_MAX_ITERS,
            key="rounds",
            help="K-Means stops earlier once the colours stop moving.",
        )
        init = st.radio(
            "Starting colours",
            list(INITS),
            key="init",
            help="k-means++ spreads the starting colours apart (on a colour histogram, then "
            "improves them); random picks K pixels, the classic textbook method.",
        )
        space = st.radio(
            "Measure colour distance in",
            list(SPACES),
            key="space",
            help="RGB is the textbook method. Oklab measures distance the way the eye sees "
            "it: usually a lower average colour error, at a somewhat higher MSE.",
        )
        dither = st.radio(
            "Dithering",
            list(DITHERS),
            key="dither",
            help="Mixing two palette colours in smooth areas hides banding when seen from a "
            "little way off, but makes every single pixel a little further off and the PNG "
            "larger. Selective mixes light as the eye does and never draws a pixel far from its "
            "own colour, so it adds no speckles.",
        )
        seed = st.number_input(
            "Random seed", 0, 2**31 - 1, 0, key="seed", help="The same seed, the same result."
        )
    return Settings(
        max_iters=int(max_iters),
        init=INITS[init],
        seed=int(seed),
        space=SPACES[space],
        dither=DITHERS[dither],
    )


def choose_k() -> int:
    """K: presets a click apart, plus any exact number, kept in step with each other.

    The exact box takes any whole number and the page checks it, so a K out of range gets its
    sentence and the box goes back to the K shown, instead of the box keeping a number the page
    silently ignores.
    """
    st.session_state.setdefault("k", DEFAULT_K)
    presets, exact = st.container(key="k_row").columns([4, 1], vertical_alignment="bottom")
    current = st.session_state["k"]
    st.session_state["k_preset"] = current if current in K_PRESETS else None
    presets.segmented_control(
        "Colours (K)",
        K_PRESETS,
        key="k_preset",
        on_change=_preset_chosen,
        help="How many colours the redrawn photo may use. Each step doubles the colours and "
        "adds one bit per pixel.",
    )
    exact.number_input(
        "Exact K", step=1, key="k", on_change=_exact_k_typed, help=f"Any K from 1 to {MAX_K}."
    )
    # One place for the refusal, there or not, so nothing below it moves (a component moved
    # is drawn again, its zoom and its clicks lost).
    refused, slot = st.session_state.pop("k_refused", None), st.empty()
    if refused:
        slot.error(refused)
    st.session_state["k_shown"] = int(st.session_state["k"])
    return int(st.session_state["k"])


def _preset_chosen() -> None:
    if st.session_state.get("k_preset") is not None:
        st.session_state["k"] = st.session_state["k_preset"]


def _exact_k_typed() -> None:
    try:
        check_k(st.session_state["k"])
    except KMeansError as error:
        stays = st.session_state["k_shown"]
        st.session_state["k_refused"] = f"{str(error).rstrip('.')}; the page stays at K = {stays}."
        st.session_state["k"] = st.session_state["k_shown"]


def write_url(photo: Photo, k: int, settings: Settings) -> None:
    """Put the view's choices in the address bar, so the link reopens the same view."""
    wanted = {
        "k": str(k),
        "rounds": str(settings.max_iters),
        "init": settings.init,
        "seed": str(settings.seed),
        "space": settings.space,
        "dither": settings.dither,
    }
    if photo.source == "sample":
        wanted["sample"] = shown_sample()
    else:  # said in the link, so whoever opens it is told the photo did not come along
        wanted["photo"] = OWN_PHOTO
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)

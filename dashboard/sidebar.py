"""What the visitor chooses: the photo (sample, upload or camera), K, and the finer settings.

The choices live in the URL (``st.query_params``): sample, K, rounds, initialisation, seed,
colour space and dithering, so a link opens the same view. K sits above the result rather than
in the sidebar, so on a phone it can be changed without the sidebar covering the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import compute
from kmeans import MAX_K, MAX_PIXELS, KMeansError, Settings
from kmeans.settings import DEFAULT_MAX_ITERS, check_k

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "samples"
SAMPLES = {"Astronaut": "astronaut.png", "Coffee": "coffee.png", "Cat": "chelsea.png"}
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "avif", "heic", "heif"]
INITS = {"k-means++ (spread out)": "kmeans++", "random (classic)": "random"}
SPACES = {"RGB (textbook)": "rgb", "Oklab (follows the eye)": "oklab"}
DITHERS = {"none": "none", "selective": "selective", "Floyd–Steinberg": "floyd-steinberg"}
K_PRESETS = [2, 4, 8, 16, 32, 64, 128, 256]
#: The upload box beside its caption: room for the button, or for the chosen file's name.
UPLOAD_WIDTH = 170
DEFAULT_K = 16
COMPRESS, LESSON = "Compress and compare", "Lesson for a class"


@dataclass(frozen=True)
class Photo:
    """The photo on the page: its name, bytes, digest, size and format, and where it came from.

    Not its pixels: those stay in compute's bounded store, taken out only inside the work that
    needs them.
    """

    name: str
    data: bytes
    digest: str
    facts: compute.PhotoFacts
    source: str  # "sample", "upload" or "camera"


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
        except KMeansError:
            del st.session_state["k"]
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


@dataclass(frozen=True)
class PhotoFile:
    """The file the visitor chose (or the sample), before anything has been read from it."""

    name: str
    data: bytes
    digest: str
    source: str  # "sample", "upload" or "camera"


def choose_photo(upload_place: DeltaGenerator) -> PhotoFile:
    """The photo choice: samples and the camera here, the upload box in ``upload_place``, in
    the main area, where a visitor on a phone (whose sidebar is folded away) looks."""
    st.header("Photo", anchor=False)
    st.selectbox(
        "Sample photo",
        list(SAMPLES),
        key="sample",
        on_change=_use,
        args=("sample",),
        help="Choosing a sample shows it, even while your own photo is in the upload box.",
    )
    upload = upload_place.file_uploader(
        "Your own photo",
        type=UPLOAD_TYPES,
        key="upload",
        on_change=_use,
        args=("upload",),
        help="JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC (iPhone). Your photo stays in "
        "memory for this session only and is never saved to disk.",
        label_visibility="collapsed",  # its button says "Upload"
        width=UPLOAD_WIDTH,
    )
    st.caption(
        f"Your own photo: use the Upload button. Up to "
        f"{st.get_option('server.maxUploadSize')} MB per file and {MAX_PIXELS / 1e6:g} "
        "megapixels."
    )
    with st.expander("Take a photo with the camera"):
        camera = st.camera_input(
            "Camera", key="camera", on_change=_use, args=("camera",), label_visibility="collapsed"
        )
        st.caption("For a live demo. Nothing is recorded until you press the button.")
    wanted = st.session_state.get("source", "upload" if upload else "sample")
    chosen = {"upload": upload, "camera": camera}.get(wanted)
    if chosen is not None:
        data = chosen.getvalue()
        name = chosen.name if wanted == "upload" else "camera photo.jpg"
        return PhotoFile(name, data, compute.digest_of(data), wanted)
    return sample_file()


def sample_file() -> PhotoFile:
    file_name = SAMPLES[st.session_state["sample"]]
    data = (SAMPLES_DIR / file_name).read_bytes()
    return PhotoFile(file_name, data, compute.digest_of(data), "sample")


def named(photo: Photo | PhotoFile) -> str:
    """Whose photo it is, and its name."""
    return f"{'Sample' if photo.source == 'sample' else 'Your photo'}: {photo.name}"


def photo_line(photo: Photo) -> str:
    """The photo's name, size, format and bytes, in one line."""
    facts = photo.facts
    return (
        f"{named(photo)} · {facts.width:,} × {facts.height:,} pixels · {facts.format} · "
        f"{facts.n_bytes:,} bytes"
    )


def read_photo(chosen: PhotoFile) -> Photo:
    """The chosen photo, read; a file that cannot be read gets one sentence, here in the main
    area, and the sample stays. A visitor queued behind others' photos is told their place."""
    if chosen.source != "sample":
        waiting = st.empty()
        problem = compute.photo_problem(
            chosen.digest, chosen.data, lambda fraction, words: waiting.progress(fraction, words)
        )
        waiting.empty()
        if problem is None:
            facts = compute.photo_facts(chosen.digest, chosen.data)
            return Photo(chosen.name, chosen.data, chosen.digest, facts, chosen.source)
        st.error(problem)
        st.info(
            f"Showing the sample photo ({st.session_state['sample']}) instead. Choose another "
            "file to try again."
        )
        chosen = sample_file()
    facts = compute.photo_facts(chosen.digest, chosen.data)
    return Photo(chosen.name, chosen.data, chosen.digest, facts, "sample")


def _use(source: str) -> None:
    st.session_state["source"] = source


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
    """K: presets a click apart, plus any exact number, kept in step with each other."""
    st.session_state.setdefault("k", DEFAULT_K)
    presets, exact = st.columns([4, 1], vertical_alignment="bottom")
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
    exact.number_input("Exact K", 1, MAX_K, key="k", help=f"Any K from 1 to {MAX_K}.")
    return int(st.session_state["k"])


def _preset_chosen() -> None:
    if st.session_state.get("k_preset") is not None:
        st.session_state["k"] = st.session_state["k_preset"]


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
        wanted["sample"] = st.session_state["sample"]
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def sample_credits() -> None:
    st.caption(
        "Sample photos from scikit-image: Eileen Collins (NASA, public domain); coffee by "
        "Rachel Michetti (CC0); Chelsea the cat by Stefan van der Walt (CC0)."
    )

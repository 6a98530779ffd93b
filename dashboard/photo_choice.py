"""The photo: a sample, the visitor's own upload, or the camera, chosen where they look.

The sample and the upload sit in the main area, under the title, on every screen: on a phone
the sidebar is folded away, and a choice made in it would leave it lying over the result. A
file that cannot be read gets its one sentence there too, above the sample shown instead. The
camera, for a live demo, waits in the sidebar.

A link to the page carries the settings (see :mod:`dashboard.choices`) but never a photo of the
visitor's own; the page says so beside such a photo, and to whoever opens a link made from one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from dashboard import compute
from kmeans import MAX_PIXELS

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "samples"
SAMPLES = {
    "Astronaut": "astronaut.png",
    "Coffee": "coffee.png",
    "Cat": "chelsea.png",
    "Flat poster": "illustration.png",  # where K colours beat every lossy codec
}
DEFAULT_SAMPLE = "Astronaut"
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "avif", "heic", "heif"]
#: The link's word for a photo of the visitor's own, which a link never carries.
OWN_PHOTO = "own"
#: Said beside a visitor's own photo, and to whoever opens a link made from one.
LINK_SETTINGS_ONLY = "A link to this page carries these settings, never your photo."
PHOTO_LOST = "Your photo was lost when the page reconnected to the server: upload it again."
NO_PHOTO = "No photo to show: upload one of your own, or choose a sample."
#: The facts line last shown, with its file's digest, so a rerun starts with the same words.
LAST_FACTS = "_last_facts"
LINK_OPENED_WITHOUT_PHOTO = (
    "This link was made with someone's own photo, which links never carry, so it opens with "
    "their settings on a sample photo; upload a photo to use them on yours."
)


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

    def described(self) -> str:
        """One line naming the photo and its size, as plain text (a name is never markup)."""
        facts = self.facts
        return (
            f"{named(self)} · {facts.width:,} × {facts.height:,} pixels · {facts.format} · "
            f"{facts.n_bytes:,} bytes"
        )


def choose_camera() -> UploadedFile | None:
    """The sidebar's camera, folded away until a teacher opens it for a live demo."""
    with st.expander("Take a photo with the camera"):
        camera = st.camera_input(
            "Camera", key="camera", on_change=_use, args=("camera",), label_visibility="collapsed"
        )
        st.caption("For a live demo. Nothing is recorded until you press the button.")
    return camera


def choose_file(camera: UploadedFile | None, title: str) -> tuple[PhotoFile, DeltaGenerator]:
    """The page's top: ``title`` beside the sample to show and a box to upload one's own; the
    file chosen (not read yet), and the line under the title that will say what is shown."""
    with st.container(key="photo_row"):
        heading, sample, own = st.columns([2.2, 1, 1.1], vertical_alignment="bottom")
        heading.title(title, anchor=False)
        upload = sample_and_upload(sample, own)
        chosen = chosen_file(upload, camera)
        # The line's first words are already the ones to show: an empty slot first would, for
        # a moment, leave the last photo's result under no name while a new photo is chosen.
        facts_line = heading.text(facts_so_far(chosen))
    if chosen is None:
        st.stop()
    return chosen, facts_line


def facts_so_far(chosen: PhotoFile | None) -> str:
    """What the facts line says before the chosen file is read: what it said last time for
    this file, else whose file it is, being read."""
    if chosen is None:
        return NO_PHOTO
    last = st.session_state.get(LAST_FACTS)
    if last is not None and last[0] == chosen.digest:
        return last[1]
    return f"{named(chosen)} · being read…"


def read_photo(chosen: PhotoFile, facts_line: DeltaGenerator) -> Photo:
    """The chosen file, read and named on ``facts_line`` (st.text: a file name is never read
    as Markdown); a file that cannot be read gets one sentence below, and the sample stays."""
    photo, problem = photo_read(chosen)
    facts_line.text(photo.described())
    st.session_state[LAST_FACTS] = (chosen.digest, photo.described())
    tell(photo, problem)
    return photo


def choose_photo_in(heading: DeltaGenerator, camera: UploadedFile | None) -> Photo:
    """The same choice in a menu of the lesson's own, what is shown said under ``heading``."""
    upload = sample_and_upload(st, st)
    chosen = chosen_file(upload, camera)
    if chosen is None:
        heading.text(NO_PHOTO)
        st.stop()
    photo, problem = photo_read(chosen)
    heading.text(photo.described())
    with heading:
        tell(photo, problem)
    return photo


def sample_and_upload(sample: DeltaGenerator, own: DeltaGenerator) -> UploadedFile | None:
    """The sample to show (drawn in ``sample``) and a box to upload one's own (in ``own``)."""
    sample.selectbox(
        "Sample photo",
        list(SAMPLES),
        key="sample",
        on_change=_use,
        args=("sample",),
        placeholder="Choose a sample",
        help="Choosing a sample shows it, even while an upload is in the box beside it.",
    )
    return own.file_uploader(
        "Your own photo",
        type=UPLOAD_TYPES,
        key="upload",
        on_change=_use,
        args=("upload",),
        help="JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF or HEIC (iPhone), up to "
        f"{st.get_option('server.maxUploadSize')} MB per file and {MAX_PIXELS / 1e6:g} "
        "megapixels. Your photo stays in memory for this session only and is never saved "
        "to disk.",
    )


def tell(photo: Photo, problem: str | None) -> None:
    """What the link carries, and why the chosen file is not the one shown, if it is not: in
    one container, whatever it holds, so nothing below it moves."""
    with st.container():
        show_link_note(photo)
        if problem is not None:
            tell_problem(problem)


def tell_problem(problem: str) -> None:
    st.error(problem)
    st.info(
        f"Showing the sample photo ({shown_sample()}) instead. Choose another file to try again."
    )


@dataclass(frozen=True)
class PhotoFile:
    """The file the visitor chose (or the sample), before anything has been read from it."""

    name: str
    data: bytes
    digest: str
    source: str  # "sample", "upload" or "camera"
    problem: str | None = None  # why the visitor's own choice is not this file


def named(photo: Photo | PhotoFile) -> str:
    """Whose photo it is, and its name."""
    return f"{'Sample' if photo.source == 'sample' else 'Your photo'}: {photo.name}"


def chosen_file(upload: UploadedFile | None, camera: UploadedFile | None) -> PhotoFile | None:
    """The file the visitor chose last, or the sample (and why, when their photo was lost); no
    file at all while their own box is empty (they removed the file, or are replacing it: the
    sample would be shown as if it were their choice)."""
    wanted = st.session_state.get("source", "upload" if upload else "sample")
    chosen = {"upload": upload, "camera": camera}.get(wanted)
    if chosen is None and wanted != "sample":
        return None
    if chosen is None:
        return sample_file(lost_photo(upload, camera))
    data = chosen.getvalue()
    name = chosen.name if wanted == "upload" else "camera photo.jpg"
    return PhotoFile(name, data, compute.digest_of(data), wanted)


def sample_file(problem: str | None = None) -> PhotoFile:
    file_name = SAMPLES[shown_sample()]
    data = (SAMPLES_DIR / file_name).read_bytes()
    return PhotoFile(file_name, data, compute.digest_of(data), "sample", problem)


def photo_read(chosen: PhotoFile) -> tuple[Photo, str | None]:
    """The chosen file read, or the sample and why the file was refused. A visitor queued
    behind others' photos is told their place meanwhile, where they look."""
    if chosen.source != "sample":
        waiting = st.empty()
        problem = compute.photo_problem(
            chosen.digest, chosen.data, lambda fraction, words: waiting.progress(fraction, words)
        )
        waiting.empty()
        if problem is not None:
            chosen = sample_file(problem)
    facts = compute.photo_facts(chosen.digest, chosen.data)
    photo = Photo(chosen.name, chosen.data, chosen.digest, facts, chosen.source)
    return photo, chosen.problem


def lost_photo(upload: UploadedFile | None, camera: UploadedFile | None) -> str | None:
    """One sentence when a box still names a photo this server does not have, else None.

    Streamlit then gives None but keeps the file's name in the widget's state: the page
    reconnected to another replica (its own was restarted), or to this one after the session
    expired. The box's state is the browser's; the ``source`` the visitor chose was the lost
    server's, so without this the sample would be shown as if it were their choice.
    """
    for photo, key in ((upload, "upload"), (camera, "camera")):
        if photo is None and st.session_state.get(key) is not None:
            return PHOTO_LOST
    return None


def shown_sample() -> str:
    """The sample shown when the visitor's own photo is not: the one chosen last."""
    return st.session_state.get("sample") or st.session_state.get("last_sample") or DEFAULT_SAMPLE


def _use(source: str) -> None:
    st.session_state["source"] = source
    st.session_state["link_without_photo"] = False  # the visitor has chosen a photo now
    if source != "sample" and st.session_state.get("sample"):
        # The box then offers every sample, the last one shown too, instead of naming a
        # sample that is not on the page.
        st.session_state["last_sample"] = st.session_state["sample"]
        st.session_state["sample"] = None


def show_link_note(photo: Photo) -> None:
    """What a link to this view carries, said where it matters: beside the visitor's own photo,
    and to someone who opened a link made from one."""
    if photo.source != "sample":
        st.caption(LINK_SETTINGS_ONLY)
    elif st.session_state.get("link_without_photo"):
        st.info(LINK_OPENED_WITHOUT_PHOTO, icon=":material/link:")


def sample_credits() -> None:
    st.caption(
        "Sample photos from scikit-image: Eileen Collins (NASA, public domain); coffee by "
        "Rachel Michetti (CC0); Chelsea the cat by Stefan van der Walt (CC0). The flat poster "
        "is drawn by this project's own code (CC0)."
    )

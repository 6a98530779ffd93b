"""What a visitor sees while their result is on its way: their place, then a preview.

One rule: nothing on screen describes anything but the photo and K the visitor asked for. So
while a result is made, the previous photo's page goes at once (:func:`photo_area`), and the
previous K's numbers and download make way for a progress bar (:func:`wait_for_run`), in the
main area, where the visitor looks. When the wait will be long (others' work first, or a photo
to decode), the close-up, palette and tabs go too, the bar tells the visitor's place, and a
photo larger than a display copy gets a preview, marked as one and with its own size; the page
runs again once the full-size result is stored, so the download and every number on it come
from that result alone.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import comparison_view, compute
from dashboard.formats import colour_count
from dashboard.layout import CLUSTERS_TAB, COMPARE_TAB, RESULT_TAB
from dashboard.photo_choice import Photo, PhotoFile, named
from dashboard.photo_run import PhotoRun, Preview
from kmeans import KMeansError, Settings

#: Which photo the page's main area describes now (its digest), in the visitor's session.
SHOWN_PHOTO = "_shown_photo"
#: The tabs of the result, the same whether it is ready or on its way.
TABS = [RESULT_TAB, CLUSTERS_TAB, COMPARE_TAB]
#: In each tab while the full-size result is on its way.
COMING = "Shown once the full-size result is ready: the file, the close-up and every number."


def photo_area(chosen: PhotoFile, facts_line: DeltaGenerator) -> DeltaGenerator:
    """The container for everything about the photo, emptied at once when the page described
    another photo, so that none of it stays while the new one is read and worked on; the
    facts line names the new photo meanwhile."""
    if st.session_state.get(SHOWN_PHOTO) == chosen.digest:
        return st.container()
    st.session_state[SHOWN_PHOTO] = chosen.digest
    facts_line.text(f"{named(chosen)} · being read…")
    return fresh_container(st.empty())


def fresh_container(slot: DeltaGenerator) -> DeltaGenerator:
    """A container in ``slot`` that starts empty, even where the last run drew a container.

    The browser keeps what a replaced container held when the new one is of the same kind
    (rows and columns are containers too), which keeps the widgets of a page that is drawn
    again; a block of another kind (a grid) in between makes it let go of the previous
    photo's or K's elements at once.
    """
    slot.grid(1)
    return slot.container()


def result_tabs() -> list:
    """The result's tabs; only the open one runs, so the others cost nothing until looked at."""
    return st.tabs(TABS, key="view", on_change="rerun")


class Status:
    """The progress bar a waiting visitor reads, wherever it is drawn now."""

    def __init__(self, bar: DeltaGenerator) -> None:
        self.bar = bar

    def report(self, fraction: float, words: str) -> None:
        self.bar.progress(fraction, text=words)


def wait_for_run(photo: Photo, k: int, settings: Settings, headline: DeltaGenerator) -> PhotoRun:
    """The run, waited for under a progress bar in the ``headline`` slot when it comes soon.

    When other visitors' work comes first, or the photo must first be decoded at full size,
    the page shows the visitor's place (and, for a large photo, a preview) in place of all that
    belonged to the previous result, and runs again once the result is stored. A KMeansError
    becomes one sentence.
    """
    try:
        with compute.pending_run(photo.digest, k, settings, photo.data) as pending:
            if pending.long:
                wait_with_a_preview(pending, photo, headline)
            return pending.wait(Status(headline.progress(0.0, text="Starting…")).report)
    except KMeansError as error:
        headline.error(str(error))
        st.stop()


def wait_with_a_preview(
    pending: compute.PendingRun, photo: Photo, headline: DeltaGenerator
) -> NoReturn:
    """The waiting page: the place in the queue, then the preview, then the page again."""
    with fresh_container(headline):
        st.markdown(f"### {colour_count(pending.k)}: on its way")
        status = Status(st.progress(0.0, text="Starting…"))
    result_tab, *other_tabs = result_tabs()
    with result_tab:
        picture = st.container()  # the split view's place: the old K's picture waits, faded
        st.caption(COMING)  # in place of the close-up, the palette and the numbers
    for tab in other_tabs:
        tab.caption(COMING)
    preview = pending.preview(status.report)
    if preview is not None:
        with headline.container():
            show_preview_headline(preview, photo)
            status.bar = st.progress(0.0, text="Starting…")
        with picture:
            original = compute.shown_original(photo.digest, photo.data)
            comparison_view.show_preview_view(preview, original)
    pending.wait(status.report)
    st.rerun()


def show_preview_headline(preview: Preview, photo: Photo) -> None:
    """Say plainly that this is a preview, at its own size, and what is still to come."""
    facts = photo.facts
    st.markdown(f"### Preview · {colour_count(preview.k)}")
    st.markdown(
        f"Preview at {preview.width:,} × {preview.height:,} pixels — the full "
        f"{facts.width:,} × {facts.height:,} result, its download and its numbers are on "
        "their way."
    )

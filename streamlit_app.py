"""K-Means colour quantiser: redraw a photo with K colours and see what it costs and saves.

The page reads top to bottom as a visitor sees it: the view, the camera and the finer settings
(sidebar); the title beside the photo choice, K, how close the result looks and how big it is,
then one tab per view. While the result is on its way, the visitor's place in the queue and a
preview take its place (``dashboard/pending_view.py``), and the page runs again once it is
ready. The lesson, for projecting to a class, is a mode of its own, so it has the whole screen.
Everything it shows comes from ``kmeans/`` through ``dashboard/compute.py`` (the cached and
queued work); the other ``dashboard`` modules only arrange it. Nothing a visitor supplies (a
file name, a file's content) is ever rendered as Markdown or HTML, and uploads are never
written to disk.
"""

from __future__ import annotations

import streamlit as st

from dashboard import (
    auto_k_view,
    choices,
    clusters_view,
    compare_view,
    compute,
    layout,
    lesson_view,
    palette_view,
    pending_view,
    photo_choice,
    result_view,
    tuning,
)

tuning.tune_for_many_visitors()

st.set_page_config(page_title="K-Means colour quantiser", page_icon="🎨", layout="wide")
st.html(layout.PAGE_CSS)
choices.remember_url_choices()
choices.keep_choices()

with st.sidebar:
    mode = choices.choose_mode()
    camera = photo_choice.choose_camera()
    settings = choices.choose_settings()
    photo_choice.sample_credits()

if mode == choices.LESSON:
    lesson_view.show_lesson(camera, "How K-Means chooses colours")
    st.stop()

chosen, facts_line = photo_choice.choose_file(camera, "K-Means colour quantiser")
# Everything about the photo, emptied at once when it is another photo than the page showed.
with pending_view.photo_area(chosen, facts_line):
    photo = photo_choice.read_photo(chosen, facts_line)
    k = choices.choose_k()
    choices.write_url(photo, k, settings)

    headline_slot = st.empty()  # the result's headline, or how the wait for it is going
    run = compute.stored_run(photo.digest, k, settings) or pending_view.wait_for_run(
        photo, k, settings, headline_slot
    )
    # The heading and the run's own PNG now; the smallest files once written, after the rest.
    headline = result_view.Headline(headline_slot, photo, run, settings)
    with st.container():  # one place for the notices, however many, so nothing below moves
        for notice in run.notices:
            st.info(notice)

    result_tab, clusters_tab, compare_tab = pending_view.result_tabs()
    # Only the open tab runs: the 3D plot and the comparison cost nothing until someone looks.
    # Each tab's parts sit in containers at the places where the waiting page puts its own.
    if result_tab.open:
        with result_tab:
            result_view.show_result(photo, run, settings, headline.files_written)
    if clusters_tab.open:
        with clusters_tab, st.container():
            plot_column, convergence_column = st.columns([3, 2], gap="large")
            with plot_column:
                highlight = palette_view.highlight_of((photo.digest, k, settings))
                clusters_view.show_cluster_plot(run, highlight)
            with convergence_column:
                clusters_view.show_convergence(run, settings.init)
    if compare_tab.open:
        with compare_tab, st.container():
            compare_view.show_comparison(photo, settings, k)
            auto_k_view.show_automatic_k(photo, settings)
    # Last: under load the smallest files wait until every visitor's picture is made.
    headline.files_written()

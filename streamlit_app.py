"""K-Means colour quantiser: redraw a photo with K colours and see what it costs and saves.

The page reads top to bottom as a visitor sees it: the photo (the upload box beside its facts,
the samples and settings in the sidebar), K, how close the result looks and how big it is,
then one tab per view. While the result is on its way, the visitor's place in the queue and a
preview take its place (``dashboard/pending_view.py``), and the page runs again once it is
ready. The lesson, for projecting to a class, is a mode of its own, so it has the whole screen.
Everything it shows comes from ``kmeans/`` through ``dashboard/compute.py``; the ``dashboard``
modules only arrange it. Nothing a visitor supplies (a file name, a file's content) is ever
rendered as Markdown or HTML, and uploads are never written to disk.
"""

from __future__ import annotations

import streamlit as st

from dashboard import (
    clusters_view,
    compare_view,
    compute,
    layout,
    lesson_view,
    pending_view,
    result_view,
    sidebar,
    tuning,
)

tuning.tune_for_many_visitors()

st.set_page_config(page_title="K-Means colour quantiser", page_icon="🎨", layout="wide")
st.html(layout.PAGE_CSS)
sidebar.remember_url_choices()

with st.sidebar:
    mode = sidebar.choose_mode()
lesson = mode == sidebar.LESSON
st.title("How K-Means chooses colours" if lesson else "K-Means colour quantiser", anchor=False)
if lesson:  # the lesson has the whole screen; its photo is chosen in the sidebar
    upload_place, facts_line = st.sidebar, st.empty()
else:  # the photo's facts and the upload box, on one line above the result
    upload_place = st.container(
        key="photo_row", horizontal=True, wrap=False, vertical_alignment="center"
    )
    facts_line = upload_place.empty()
with st.sidebar:
    chosen = sidebar.choose_photo(upload_place)
    settings = sidebar.choose_settings()
    sidebar.sample_credits()

with pending_view.photo_area(chosen, facts_line):
    photo = sidebar.read_photo(chosen)
    if lesson:
        facts_line.empty()
        lesson_view.show_lesson(photo)
        st.stop()

    # st.text, because a visitor's file name must never be read as Markdown or HTML.
    facts_line.text(sidebar.photo_line(photo))
    k = sidebar.choose_k()
    sidebar.write_url(photo, k, settings)
    headline = st.empty()  # the result's headline, or how the wait for it is going
    run = compute.stored_run(photo.digest, k, settings) or pending_view.wait_for_run(
        photo, k, settings, headline
    )
    with headline.container():
        for notice in run.notices:
            st.info(notice)
        result_view.show_headline(run, photo)
    result_tab, clusters_tab, compare_tab = pending_view.result_tabs()
    # Only the open tab runs: the 3D plot and the comparison cost nothing until someone looks.
    # Each tab's parts sit in containers at the places where the waiting page puts its own.
    if result_tab.open:
        with result_tab:
            versus_k = st.session_state.get("versus")
            versus = (
                compute.photo_run(photo.digest, versus_k, settings, photo.data)
                if versus_k and versus_k != k
                else None
            )
            highlight = st.session_state.get("highlight")
            with st.container():
                result_view.show_comparison_view(
                    run,
                    compute.shown_original(photo.digest, photo.data),
                    None
                    if highlight is None
                    else lambda: compute.highlight_overlay_of(
                        photo.digest, k, settings, highlight, run
                    ),
                    lambda: compute.heat_overlay_of(photo.digest, k, settings, photo.data, run),
                    versus,
                )
            with st.container():
                zoom_column, palette_column = st.columns(2, gap="large")
                with zoom_column:
                    result_view.show_zoom(photo, run, run_key=(photo.digest, k, settings))
                with palette_column:
                    result_view.show_palette(run, result_view.download_stem(photo.name))
                # Opened on demand: SSIM, the slowest measure, is computed only when asked for.
                details = st.expander("All the numbers", key="details", on_change="rerun")
                if details.open:
                    with details:
                        ssim = compute.run_ssim(photo.digest, k, settings, photo.data, run.png)
                        result_view.show_details(run, photo, ssim)
    if clusters_tab.open:
        with clusters_tab, st.container():
            plot_column, convergence_column = st.columns([3, 2], gap="large")
            with plot_column:
                clusters_view.show_cluster_plot(run, st.session_state.get("highlight"))
            with convergence_column:
                clusters_view.show_convergence(run, settings.init)
    if compare_tab.open:
        with compare_tab, st.container():
            compare_view.show_comparison(photo, settings, k)
            compare_view.show_automatic_k(photo, settings)

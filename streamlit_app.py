"""K-Means colour quantiser: redraw a photo with K colours and see what it costs and saves.

The page reads top to bottom as a visitor sees it: the photo and settings (sidebar), K, how
close the result looks and how big it is, then one tab per view. The lesson, for projecting
to a class, is a mode of its own, so it has the whole screen. Everything it shows comes from
``kmeans/`` through ``dashboard/compute.py``; the ``dashboard`` modules only arrange it.
Nothing a visitor supplies (a file name, a file's content) is ever rendered as Markdown or
HTML, and uploads are never written to disk.
"""

from __future__ import annotations

import streamlit as st

from dashboard import (
    auto_k_view,
    clusters_view,
    compare_view,
    compute,
    layout,
    lesson_view,
    palette_view,
    result_view,
    sidebar,
    tuning,
)
from kmeans import KMeansError

tuning.tune_for_many_visitors()

st.set_page_config(page_title="K-Means colour quantiser", page_icon="🎨", layout="wide")
st.html(layout.PAGE_CSS)
sidebar.remember_url_choices()

with st.sidebar:
    mode = sidebar.choose_mode()
    photo = sidebar.choose_photo()
    settings = sidebar.choose_settings()
    sidebar.sample_credits()

if mode == sidebar.LESSON:
    st.title("How K-Means chooses colours", anchor=False)
    lesson_view.show_lesson(photo)
    st.stop()

st.title("K-Means colour quantiser", anchor=False)
# st.text, because a visitor's file name must never be read as Markdown or HTML.
st.text(
    f"{'Sample' if photo.source == 'sample' else 'Your photo'}: {photo.name} · "
    f"{photo.facts.width:,} × {photo.facts.height:,} pixels · {photo.facts.format} · "
    f"{photo.facts.n_bytes:,} bytes"
)
sidebar.show_link_note(photo)
k = sidebar.choose_k()
sidebar.write_url(photo, k, settings)

bar = st.progress(0.0, text="Starting…")
try:
    run = compute.photo_run(photo.digest, k, settings, _data=photo.data, _progress=bar.progress)
except KMeansError as error:
    bar.empty()
    st.error(str(error))
    st.stop()
bar.empty()
for notice in run.notices:
    st.info(notice)

result_view.show_headline(run, photo)
result_tab, clusters_tab, compare_tab = st.tabs(
    [result_view.RESULT_TAB, "Colours in 3D", "Compare K values"],
    key="view",
    on_change="rerun",
)
run_key = (photo.digest, k, settings)
# Only the open tab runs: the 3D plot and the comparison cost nothing until someone looks.
if result_tab.open:
    with result_tab:
        # What the split view shows is read first: the table and the close-up that set it
        # are drawn below it.
        picked = palette_view.picked_colour(run, run_key)
        window = result_view.close_up_window(photo, run)
        versus_k = result_view.split_against(photo, settings, k)
        versus = (
            compute.photo_run(photo.digest, versus_k, settings, _data=photo.data)
            if versus_k
            else None
        )
        heat = result_view.show_view_controls(versus)
        if heat:
            overlay = compute.heat_overlay_of(photo.digest, k, settings, photo.data, run)
        elif picked is not None:
            overlay = compute.highlight_overlay_of(photo.digest, k, settings, picked, run)
        else:
            overlay = None
        original = compute.shown_original(photo.digest, photo.data)
        result_view.show_comparison_view(run, original, overlay, window, photo, versus)
        zoom_column, palette_column = st.columns(2, gap="large")
        with zoom_column:
            result_view.show_zoom(photo, run, run_key, window)
        with palette_column:
            palette_view.show_palette(run, result_view.download_stem(photo.name), run_key, picked)
        # Opened on demand: SSIM, the slowest measure, is computed only when someone looks.
        details = st.expander("All the numbers", key="details", on_change="rerun")
        if details.open:
            with details:
                ssim = compute.run_ssim(photo.digest, k, settings, photo.data, run.png)
                result_view.show_details(run, photo, ssim)
if clusters_tab.open:
    with clusters_tab:
        plot_column, convergence_column = st.columns([3, 2], gap="large")
        with plot_column:
            clusters_view.show_cluster_plot(run, palette_view.highlight_of(run_key))
        with convergence_column:
            clusters_view.show_convergence(run, settings.init)
if compare_tab.open:
    with compare_tab:
        compare_view.show_comparison(photo, settings, k)
        auto_k_view.show_automatic_k(photo, settings)

"""Choosing K: several K side by side, the knee of the quality curve, and K chosen for you."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard import compute
from dashboard.choices import K_PRESETS
from dashboard.comparison_view import compare_with
from dashboard.formats import decibels, file_size
from dashboard.images import show_image
from dashboard.photo_choice import Photo
from dashboard.photo_run import PhotoRun
from kmeans import Settings
from kmeans.closeness import (
    JUST_NOTICEABLE,
    LEVELS,
    WORTHWHILE_GAIN,
    knee,
)

DEFAULT_COMPARE = [4, 8, 16, 32, 64]
#: The words that say a result looks close to the photo.
LOOKS_CLOSE = LEVELS[:2]


def apply_k(k: int) -> None:
    """Make ``k`` the page's K (a button callback, so it runs before the widgets)."""
    st.session_state["k"] = k
    st.session_state["versus"] = None


def show_comparison(photo: Photo, settings: Settings, current_k: int) -> None:
    st.session_state.setdefault("compare_ks", DEFAULT_COMPARE)
    ks = st.pills(
        "K values to compare",
        K_PRESETS,
        selection_mode="multi",
        key="compare_ks",
        help="Click to add or remove a K. Each is computed once and then kept.",
    )
    ks = sorted(ks or [])
    if not ks:
        st.info("Pick at least one K to compare.")
        return
    bar = st.progress(0.0)
    runs: list[PhotoRun] = []
    for done, k in enumerate(ks):
        bar.progress(done / len(ks), text=f"Computing K = {k} ({done + 1} of {len(ks)})…")
        runs.append(compute.photo_run(photo.digest, k, settings, _data=photo.data))
    bar.empty()

    per_row = min(len(runs), 4)
    with st.container(key="compare_grid"):
        for first in range(0, len(runs), per_row):
            row = runs[first : first + per_row]
            for column, run in zip(st.columns(per_row), row, strict=False):
                with column:
                    thumbnail(run, current_k, photo, settings)

    used = [run.k for run in runs]
    errors = [run.delta_e for run in runs]
    bend = knee(used, errors)
    quality, size = st.columns(2, gap="large")
    quality.plotly_chart(quality_chart(used, errors, bend), config={"displaylogo": False})
    size.plotly_chart(
        size_chart(used, [len(run.png) for run in runs], photo.facts.n_bytes),
        config={"displaylogo": False},
    )
    st.markdown(knee_sentence(runs, bend))


def knee_sentence(runs: list[PhotoRun], bend: int | None) -> str:
    """Where more colours stop paying, in the headline's words: a K is called a good choice
    only if its own headline says it looks close."""
    half = f"half of a just-noticeable difference ({JUST_NOTICEABLE:g})"
    if bend is None:
        return (
            f"Every doubling of K in this range still lowers ΔE by at least "
            f"{WORTHWHILE_GAIN:g}, {half}: try larger K."
        )
    said = (
        f"**Past K = {bend}, doubling the colours lowers ΔE by less than {WORTHWHILE_GAIN:g}**, "
        f"{half}, yet adds a bit per pixel."
    )
    at = next(run for run in runs if run.k == bend)
    if at.looks in LOOKS_CLOSE:
        return f"{said} K = {bend} is headlined “{at.looks.word}”, so it is a good choice here."
    closer = next((run for run in runs if run.looks in LOOKS_CLOSE), None)
    where = (
        f"the smallest K compared here that looks close is {closer.k}"
        if closer is not None
        else "no K compared here looks close; the search below finds one that does"
    )
    return f"{said} But K = {bend} is headlined “{at.looks.word}”: {where}."


def thumbnail(run: PhotoRun, current_k: int, photo: Photo, settings: Settings) -> None:
    """One K of the comparison: its picture and numbers, and buttons to use or split with it."""
    show_image(
        st,
        run.display.small,
        caption=f"K = {run.k} · {run.looks.word} · ΔE {run.delta_e:.1f}, "
        f"{decibels(run.psnr)} · {file_size(len(run.png))} quick PNG",
        width="stretch",
    )
    # One above the other: side by side, four thumbnails to a row would cut their labels short on
    # a laptop.
    st.button(
        f"Use K = {run.k}",
        key=f"use_{run.k}",
        on_click=apply_k,
        args=(run.k,),
        disabled=run.k == current_k,
        width="stretch",
    )
    st.button(
        "Split with current",
        key=f"versus_{run.k}",
        on_click=compare_with,
        args=(photo, settings, run.k),
        disabled=run.k == current_k,
        help=f"Show K = {run.k} against K = {current_k} in the split view, on the Result tab.",
        width="stretch",
    )


def quality_chart(ks: list[int], errors: list[float], bend: int | None) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(
        x=ks,
        y=errors,
        mode="lines+markers",
        name="mean ΔE",
        hovertemplate="K = %{x}: ΔE %{y:.2f}<extra></extra>",
    )
    figure.add_hline(
        y=JUST_NOTICEABLE,
        line={"dash": "dot", "color": "grey"},
        annotation_text=f"just noticeable ({JUST_NOTICEABLE:g})",
    )
    if bend is not None:
        figure.add_scatter(
            x=[bend],
            y=[errors[ks.index(bend)]],
            mode="markers+text",
            name="knee",
            marker={"size": 16, "symbol": "star", "color": "#e4572e"},
            text=[f"knee: K = {bend}"],
            textposition="top right",
            hoverinfo="skip",
        )
    figure.update_layout(
        height=320,
        showlegend=False,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        xaxis={"title": {"text": "K (colours)"}, "type": "log", "tickvals": ks},
        yaxis={
            "title": {"text": "mean colour difference ΔE (lower is closer)"},
            "rangemode": "tozero",
        },
    )
    return figure


def size_chart(ks: list[int], sizes: list[int], original: int) -> go.Figure:
    figure = go.Figure()
    figure.add_scatter(
        x=ks,
        y=[s / 1000 for s in sizes],
        mode="lines+markers",
        name="quick PNG (the download is optimised further)",
        hovertemplate="K = %{x}: %{y:,.1f} kB<extra></extra>",
    )
    figure.add_scatter(
        x=[ks[0], ks[-1]],
        y=[original / 1000] * 2,
        name="original file",
        mode="lines",
        line={"dash": "dash", "color": "grey"},
        hovertemplate="original file: %{y:,.1f} kB<extra></extra>",
    )
    figure.update_layout(
        height=320,
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        legend={"orientation": "h", "y": 1.12, "x": 0},
        xaxis={"title": {"text": "K (colours)"}, "type": "log", "tickvals": ks},
        yaxis={"title": {"text": "quick PNG size (kB)"}, "rangemode": "tozero"},
    )
    return figure

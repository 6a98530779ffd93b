"""Choosing K: several K side by side, the knee of the quality curve, and K chosen for you."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard import compute
from dashboard.images import show_image
from dashboard.photo_run import PhotoRun
from dashboard.result_view import colour_count, compare_with, file_size
from dashboard.sidebar import K_PRESETS, Photo
from kmeans import QualityTarget, Settings, largest_k_under_bytes, smallest_k_for_quality
from kmeans.closeness import LEVELS, knee

DEFAULT_COMPARE = [4, 8, 16, 32, 64]


def apply_k(k: int) -> None:
    """Make ``k`` the page's K (a button callback, so it runs before the widgets)."""
    st.session_state["k"] = k
    st.session_state["versus"] = None


def show_comparison(photo: Photo, settings: Settings, current_k: int) -> None:
    ks = st.pills(
        "K values to compare",
        K_PRESETS,
        selection_mode="multi",
        default=DEFAULT_COMPARE,
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
    if bend is not None:
        st.markdown(
            f"**Past K = {bend}, doubling the colours improves the picture by less than a "
            "just-noticeable step** (ΔE falls by under 1), but still adds a bit per pixel. "
            f"K = {bend} is a good choice here."
        )
    else:
        st.markdown(
            "Every doubling of K in this range still makes a visible difference: try larger K."
        )


def thumbnail(run: PhotoRun, current_k: int, photo: Photo, settings: Settings) -> None:
    """One K of the comparison: its picture and numbers, and buttons to use or split with it."""
    show_image(
        st,
        run.display.small,
        caption=f"K = {run.k} · {run.looks.word} · ΔE {run.delta_e:.1f} · "
        f"{file_size(len(run.png))}",
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
        y=2, line={"dash": "dot", "color": "grey"}, annotation_text="just noticeable (2)"
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
        name="PNG",
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
        yaxis={"title": {"text": "PNG size (kB)"}, "rangemode": "tozero"},
    )
    return figure


@st.cache_data(max_entries=16, ttl=compute.ONE_HOUR, show_spinner=False)
def quality_search(digest: str, word: str, settings: Settings, _data: bytes) -> tuple:
    level = next(level for level in LEVELS if level.word == word)
    photo = compute.loaded_photo(digest, _data)
    search = smallest_k_for_quality(
        photo, QualityTarget(psnr=level.min_psnr, delta_e=level.max_delta_e), settings
    )
    return search.k, search.met, search.reason, [(t.k, t.delta_e, t.psnr) for t in search.tried]


@st.cache_data(max_entries=16, ttl=compute.ONE_HOUR, show_spinner=False)
def bytes_search(digest: str, max_bytes: int, settings: Settings, _data: bytes) -> tuple:
    photo = compute.loaded_photo(digest, _data)
    search = largest_k_under_bytes(photo, max_bytes, settings, optimize_png=False)
    return search.k, search.met, search.reason, [(t.k, t.png_bytes) for t in search.tried]


def show_automatic_k(photo: Photo, settings: Settings) -> None:
    """K chosen for the visitor: by how close it should look, or by how big the file may be."""
    st.subheader("Let the page choose K", anchor=False)
    close, small = st.columns(2, gap="large")
    with close:
        word = st.selectbox(
            "Smallest K that looks…",
            [level.word for level in LEVELS[:3]],
            index=1,
            key="auto_quality",
        )
        if st.button("Find it", key="find_quality"):
            with st.spinner("Trying K values…"):
                k, met, reason, tried = quality_search(
                    photo.digest, word, settings, _data=photo.data
                )
            st.session_state["auto_quality_result"] = (k, met, reason, tried)
        found = st.session_state.get("auto_quality_result")
        if found:
            k, met, reason, tried = found
            st.markdown(f"**K = {k}**" + ("" if met else f" (closest: {reason})"))
            st.caption("Tried: " + ", ".join(f"K={t[0]} (ΔE {t[1]:.1f})" for t in sorted(tried)))
            st.button(f"Use K = {k}", key="apply_quality", on_click=apply_k, args=(k,))
    with small:
        budget = st.number_input(
            "Largest K whose PNG fits in (kB)",
            1,
            100_000,
            max(1, photo.facts.n_bytes // 4000),
            key="auto_bytes",
        )
        if st.button("Find it", key="find_bytes"):
            with st.spinner("Trying K values and writing their PNGs…"):
                k, met, reason, tried = bytes_search(
                    photo.digest, int(budget) * 1000, settings, _data=photo.data
                )
            st.session_state["auto_bytes_result"] = (k, met, reason, tried)
        found = st.session_state.get("auto_bytes_result")
        if found:
            k, met, reason, tried = found
            st.markdown(f"**K = {k}**" + ("" if met else f" ({reason})"))
            st.caption(
                "Tried: " + ", ".join(f"K={t[0]} ({file_size(t[1])})" for t in sorted(tried))
            )
            st.button(f"Use K = {k}", key="apply_bytes", on_click=apply_k, args=(k,))
    st.caption(
        f"Both try powers of two, then halve the gap; the file sizes are those of the PNG the "
        f"page writes ({colour_count(2)} to {colour_count(256)})."
    )

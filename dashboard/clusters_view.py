"""The colours in 3D, and how K-Means settled, on one honest scale."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from dashboard.layout import PLOT_HEIGHT
from dashboard.lessonplot import cluster_plot
from dashboard.photo_run import PhotoRun
from kmeans.lesson import typical_error
from kmeans.palette import hex_codes


def show_cluster_plot(run: PhotoRun, highlight: int | None) -> None:
    st.subheader("The colours in 3D", anchor=False)
    by_cluster = st.toggle("Draw each pixel in its cluster's colour", key="by_cluster")
    # The lesson's component, not st.plotly_chart: that one sends a whole new figure at every
    # rerun and the browser rebuilds the WebGL scene (seconds in software rendering), where
    # the toggle and the highlight only recolour the points the browser already has.
    cluster_plot(
        points=run.sample.colours,
        teams=run.sample.labels,
        centroids=run.palette,
        colour_by_team=by_cluster,
        highlight=highlight,
        height=PLOT_HEIGHT,
        key="clusters_3d",
    )
    if highlight is not None:
        st.caption(f"Showing the pixels of palette colour {hex_codes(run.palette)[highlight]}.")


def convergence_figure(errors: list[float], x_title: str = "round") -> go.Figure:
    """Typical colour error per pixel, from zero, so a small fall looks small."""
    figure = go.Figure()
    figure.add_scatter(
        x=list(range(len(errors))),
        y=errors,
        mode="lines+markers",
        hovertemplate="%{x}: %{y:.2f} levels<extra></extra>",
    )
    figure.update_layout(
        height=280,
        margin={"l": 0, "r": 0, "t": 10, "b": 0},
        xaxis={"title": {"text": x_title}, "dtick": max(1, math.ceil(len(errors) / 10))},
        yaxis={
            "title": {"text": "typical colour error (levels)"},
            "rangemode": "tozero",
            "range": [0, max(errors) * 1.1 if errors else 1],
        },
    )
    return figure


def show_convergence(run: PhotoRun, init: str) -> None:
    st.subheader("How K-Means settled", anchor=False)
    errors = [typical_error(value, run.n_pixels) for value in run.inertia]
    st.plotly_chart(convergence_figure(errors), config={"displaylogo": False})
    st.caption(
        "Typical colour error: how far, in levels out of 255, a pixel's colour is from the "
        "palette colour it is drawn with (the square root of the inertia per pixel). "
        + convergence_sentence(errors, init)
    )


#: Changes of the typical error below this would print as no change at two decimals.
UNCHANGED = 0.005


def convergence_sentence(errors: list[float], init: str) -> str:
    """Where round 0 came from, and what the rounds changed, said as it happened: a fall, no
    change worth a number, or a rise from rounding the colours to those the PNG stores."""
    seeded = init == "histogram"
    start = (
        "Round 0 is where the seeding placed the colours, on a colour histogram"
        if seeded
        else "Round 0 is the starting colours, K random pixel colours"
    )
    if len(errors) < 2 or errors[0] <= 0:
        return start + "."
    rounds = len(errors) - 1
    said = "the round" if rounds == 1 else f"the {rounds} rounds"
    first, last = errors[0], errors[-1]
    if abs(first - last) < UNCHANGED:
        already = ": the colours were already where the rounds would put them" if seeded else ""
        return f"{start}; {said} left the typical error at {last:.2f} levels{already}."
    if last < first:
        fall = 100 * (first - last) / first
        less = f"{fall:.1f}% less" if fall >= 0.1 else "under 0.1% less"
        return (
            f"{start}; {said} lowered the typical error from {first:.2f} to {last:.2f} levels "
            f"({less})."
        )
    return (
        f"{start}; after {said} the typical error is {last:.2f} levels, {last - first:.2f} "
        "above where it started: the last step rounds each colour to the 8-bit colour the PNG "
        "stores, and that can cost a little."
    )

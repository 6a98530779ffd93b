"""The colours in 3D, and how K-Means settled, on one honest scale."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard.compute import PhotoRun
from dashboard.layout import PLOT_HEIGHT
from kmeans.lesson import typical_error
from kmeans.palette import hex_codes

AXIS = {"range": [0, 255], "backgroundcolor": "#f4f4f6"}


def centroid_size(k: int) -> float:
    """Marker size for K centroids: large enough to read at K=16, small enough at K=256."""
    return float(np.clip(26 - 4 * math.log2(max(k, 1)), 6, 20))


def cluster_figure(
    points: np.ndarray,
    point_colours: list[str],
    centroids: np.ndarray,
    *,
    highlight: int | None = None,
    labels: np.ndarray | None = None,
    height: int = PLOT_HEIGHT,
    trail: np.ndarray | None = None,
) -> go.Figure:
    """Sampled pixels at their RGB position, and the centroids as outlined balls.

    ``highlight`` greys out every pixel but that cluster's; ``trail`` (previous centroids) draws
    a line from where each centroid was to where it is.
    """
    opacity = 0.55
    if highlight is not None and labels is not None:
        point_colours = [
            c if label == highlight else "#d0d0d0"
            for c, label in zip(point_colours, labels, strict=True)
        ]
    data = [
        {
            "type": "scatter3d",
            "x": points[:, 0],
            "y": points[:, 1],
            "z": points[:, 2],
            "mode": "markers",
            "marker": {"size": 2, "color": point_colours, "opacity": opacity},
            "hovertemplate": "R %{x}, G %{y}, B %{z}<extra>pixel</extra>",
            "name": f"{len(points):,} pixels",
        },
    ]
    if trail is not None:
        xs, ys, zs = [], [], []
        for old, new in zip(trail, centroids, strict=True):
            xs += [old[0], new[0], None]
            ys += [old[1], new[1], None]
            zs += [old[2], new[2], None]
        data.append(
            {
                "type": "scatter3d",
                "x": xs,
                "y": ys,
                "z": zs,
                "mode": "lines",
                "line": {"color": "black", "width": 4},
                "hoverinfo": "skip",
                "name": "how far each moved",
            }
        )
    fills = hex_codes(np.clip(np.rint(centroids), 0, 255).astype(np.uint8))
    data.append(
        {
            "type": "scatter3d",
            "x": centroids[:, 0],
            "y": centroids[:, 1],
            "z": centroids[:, 2],
            "mode": "markers",
            "marker": {
                "size": centroid_size(len(centroids)),
                "color": fills,
                "line": {"color": "black", "width": 3},
                "opacity": 1.0,
            },
            "text": fills,
            "hovertemplate": "R %{x:.0f}, G %{y:.0f}, B %{z:.0f}<br>%{text}<extra>centroid</extra>",
            "name": "palette colours (centroids)",
        }
    )
    layout = {
        "height": height,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "legend": {"orientation": "h", "y": 0, "x": 0, "yanchor": "top"},
        "uirevision": "keep the camera",
        "scene": {
            "xaxis": {**AXIS, "title": {"text": "R"}},
            "yaxis": {**AXIS, "title": {"text": "G"}},
            "zaxis": {**AXIS, "title": {"text": "B"}},
            "aspectmode": "cube",
            # Look across the grey diagonal, along which most photos lie, not down it.
            "camera": {"eye": {"x": 1.55, "y": -1.35, "z": 0.55}},
            "domain": {"x": [0, 1], "y": [0.06, 1]},
        },
    }
    # The colour strings are ours (hex_codes of uint8 values): Plotly's check of 20k of them
    # one by one took most of a second, so it is skipped.
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def show_cluster_plot(run: PhotoRun, highlight: int | None) -> None:
    st.subheader("The colours in 3D", anchor=False)
    by_cluster = st.toggle("Draw each pixel in its cluster's colour", key="by_cluster")
    points = run.sample_colours
    colours = run.palette[run.sample_labels] if by_cluster else points
    figure = cluster_figure(
        points,
        hex_codes(colours),
        run.palette.astype(float),
        highlight=highlight,
        labels=run.sample_labels,
    )
    # A key keeps one chart across reruns, so the toggle restyles it instead of building a new
    # WebGL scene (which took seconds in software rendering).
    st.plotly_chart(
        figure, config={"displaylogo": False, "displayModeBar": False}, key="clusters_3d"
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
        "palette colour it is drawn with (the square root of the inertia per pixel). Every "
        f"round lowers it. {convergence_sentence(errors, init)}"
    )


def convergence_sentence(errors: list[float], init: str) -> str:
    """Where round 0 came from, and how much the rounds lowered the error."""
    start = (
        "Round 0 is the starting colours, already placed by K-Means on a colour histogram"
        if init == "kmeans++"
        else "Round 0 is the starting colours, K random pixel colours"
    )
    if len(errors) < 2 or errors[0] <= 0:
        return start + "."
    rounds = len(errors) - 1
    said = "the round" if rounds == 1 else f"the {rounds} rounds"
    return (
        f"{start}; {said} lowered the typical error from {errors[0]:.2f} to {errors[-1]:.2f} "
        f"levels ({100 * (errors[0] - errors[-1]) / errors[0]:.3g}% less)."
    )

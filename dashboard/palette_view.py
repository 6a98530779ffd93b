"""The palette: its colours with their shares, the files to take them away, and the one picked.

A colour picked in the table lights its pixels in the split view above the table and in the 3D
plot. The split view is drawn first, so the pick is read (:func:`picked_colour`) before anything
is drawn, from the table's own state; and the table of each run and each order is a widget of
its own, so a tick always stands on the row of the colour that is lit, in either order.
"""

from __future__ import annotations

import colorsys
import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.images import show_image, swatch_strip
from dashboard.photo_run import PhotoRun
from kmeans.palette import hex_codes, palette_gpl, palette_json

ORDERS = ("share", "hue")


def palette_order(run: PhotoRun, by: str) -> np.ndarray:
    """Palette indices sorted by share of pixels, or by hue (greys first, by lightness)."""
    if by == "share":
        return np.argsort(-run.counts, kind="stable")
    hls = [colorsys.rgb_to_hls(*(c / 255)) for c in run.palette.astype(float)]
    keys = [(s > 0.12, round(h * 24) if s > 0.12 else 0, light) for h, light, s in hls]
    return np.array(sorted(range(run.k), key=lambda i: keys[i]), dtype=int)


def chosen_order() -> str:
    return st.session_state.get("palette_order") or ORDERS[0]


def table_key(run_key: tuple, order: str) -> str:
    """The palette table's widget key: one per run and order, so no tick outlives its table."""
    named = hashlib.blake2b(repr(run_key).encode(), digest_size=8).hexdigest()
    return f"palette_pick_{order}_{named}"


def picked_colour(run: PhotoRun, run_key: tuple) -> int | None:
    """The palette index picked in this run's table, or None; remembered for the 3D tab.

    A table not drawn before in this order (the visitor has just re-sorted) keeps the colour
    picked in the other order, and ticks it on its own row when drawn.
    """
    order_name = chosen_order()
    table = st.session_state.get(table_key(run_key, order_name))
    if table is None:
        colour = highlight_of(run_key)
    else:
        rows = [row for row in table["selection"]["rows"] if 0 <= row < run.k]
        colour = int(palette_order(run, order_name)[rows[0]]) if rows else None
    st.session_state["highlight"] = (run_key, colour)
    return colour


def highlight_of(run_key: tuple) -> int | None:
    """The colour picked for this run, wherever the visitor picked it; None for another run."""
    remembered = st.session_state.get("highlight")
    return remembered[1] if remembered and remembered[0] == run_key else None


def swatch_url(hex_code: str) -> str:
    """A block of one colour as an SVG data URL: the palette table's swatch cell.

    An image column, not a pandas Styler colouring text cells: styling is the slow part of
    a table, paid at every new K.
    """
    return (
        "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='48' height='24'>"
        f"<rect width='48' height='24' fill='{hex_code.replace('#', '%23')}'/></svg>"
    )


def show_palette(run: PhotoRun, stem: str, run_key: tuple, picked: int | None) -> None:
    """The palette as swatches with shares, ``picked`` ticked, and its two downloads."""
    st.subheader("The palette", anchor=False)
    st.session_state.setdefault("palette_order", ORDERS[0])
    by = st.segmented_control("Order", list(ORDERS), key="palette_order", width="content")
    order = palette_order(run, by or ORDERS[0])
    colours, counts = run.palette[order], run.counts[order]
    shares = counts / max(1, counts.sum())
    show_image(st, swatch_strip(colours, shares), width="stretch")
    hexes = hex_codes(colours)
    table = pd.DataFrame(
        {
            "Colour": [swatch_url(h) for h in hexes],
            "Hex": hexes,
            "Share of pixels": shares * 100,
            "Pixels": counts,
        }
    )
    ticked = (
        None
        if picked is None
        else {"selection": {"rows": [int(np.flatnonzero(order == picked)[0])]}}
    )
    with st.container(key="palette_table"):  # one place on the page, whichever table it holds
        st.dataframe(
            table,
            hide_index=True,
            height=260,
            on_select="rerun",
            selection_mode="single-row",
            selection_default=ticked,
            key=table_key(run_key, by or ORDERS[0]),
            column_config={
                "Colour": st.column_config.ImageColumn(width="small"),
                "Share of pixels": st.column_config.ProgressColumn(
                    format="%.1f%%", min_value=0, max_value=max(100 * shares.max(), 1e-9)
                ),
                "Pixels": st.column_config.NumberColumn(format="localized"),
            },
        )
    st.caption("Pick a row to see where that colour is used, in the picture and in 3D.")
    palette_downloads(run, f"{stem}-k{run.k}")


def palette_downloads(run: PhotoRun, name: str) -> None:
    gimp, js = st.columns(2)
    gimp.download_button(
        "Palette for GIMP (.gpl)",
        data=palette_gpl(run.palette, run.counts, name),
        file_name=f"{name}.gpl",
        mime="text/plain",
        on_click="ignore",
        width="stretch",
    )
    js.download_button(
        "Palette as JSON",
        data=palette_json(run.palette, run.counts),
        file_name=f"{name}.json",
        mime="application/json",
        on_click="ignore",
        width="stretch",
    )

"""The result: how close it looks in words, the split view, the close-up, the palette, the file."""

from __future__ import annotations

import colorsys
import math
import re
from collections.abc import Callable
from pathlib import PurePath

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from dashboard import compute
from dashboard.closeup import zoom_window
from dashboard.images import png_bytes, show_image, swatch_strip
from dashboard.layout import SPLIT_HEIGHT, ZOOM_STEPS, ZOOMED_SIDE
from dashboard.photo_run import PhotoRun, Preview
from dashboard.sidebar import Photo
from dashboard.splitview import split_view
from kmeans.closeness import LEVELS
from kmeans.encode import bits_per_index
from kmeans.palette import hex_codes, palette_gpl, palette_json

CLOSENESS_HELP = (
    "How close the redrawn photo looks, from two numbers. **ΔE** is the average colour "
    "difference per pixel, measured in Oklab, a colour space built so that equal numbers look "
    "like equal differences: about 2 is the smallest difference most people notice side by "
    "side. **PSNR** is the average error in decibels; higher is closer.\n\n"
    + "\n".join(
        f"- **{level.word}**: {level.meaning}"
        + (
            f" (ΔE ≤ {level.max_delta_e:g} and PSNR ≥ {level.min_psnr:g} dB)"
            if math.isfinite(level.max_delta_e)
            else ""
        )
        for level in LEVELS
    )
)


def file_size(n_bytes: int) -> str:
    if n_bytes < 1000:
        return f"{n_bytes} B"
    if n_bytes < 1_000_000:
        return f"{n_bytes / 1000:.1f} kB"
    return f"{n_bytes / 1_000_000:.2f} MB"


def colour_count(k: int) -> str:
    return "1 colour" if k == 1 else f"{k} colours"


def decibels(psnr: float) -> str:
    return "∞ dB (identical)" if math.isinf(psnr) else f"{psnr:.1f} dB"


def download_stem(file_name: str) -> str:
    """A safe file name stem from the visitor's: letters, digits, - and _ only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", PurePath(file_name.replace("\\", "/")).stem)
    return stem.strip("-")[:60] or "photo"


def size_sentence(run: PhotoRun, photo: Photo) -> str:
    """The size, said once: bytes, saving and ratio together."""
    png, original = len(run.png), run.input_bytes
    sizes = f"{original:,} bytes → {png:,} bytes"
    if png <= original:
        return (
            f"The PNG is **{1 - png / original:.0%} smaller** than the original file "
            f"({sizes}, {original / png:.1f}× smaller)."
        )
    why = (
        " JPEG stores photos compactly by discarding detail the eye barely sees; an indexed PNG "
        "keeps every pixel exactly, so it is not always smaller."
        if photo.facts.format in ("JPEG", "MPO", "WEBP", "AVIF", "HEIF")
        else ""
    )
    return (
        f"The PNG is **{png / original - 1:.0%} larger** than the original "
        f"{photo.facts.format} file ({sizes}).{why}"
    )


def show_headline(run: PhotoRun, photo: Photo) -> None:
    """One sentence on closeness, one on size, and the download, its label never cut short."""
    st.markdown(
        f"### {run.looks.word.capitalize()} · {colour_count(run.k)}",
        help=CLOSENESS_HELP,
    )
    st.markdown(
        f"{run.looks.meaning.capitalize()}: colours differ by **ΔE {run.delta_e:.1f}** on "
        f"average (2 is just noticeable), PSNR {decibels(run.psnr)}. " + size_sentence(run, photo)
    )
    st.download_button(
        f"Download PNG: {colour_count(run.k)}, {photo.facts.width:,} × {photo.facts.height:,}",
        data=run.png,
        file_name=f"{download_stem(photo.name)}-k{run.k}.png",
        mime="image/png",
        type="primary",
        icon=":material/download:",
        on_click="ignore",
        width="content",
    )


def show_comparison_view(
    run: PhotoRun | Preview,
    original: bytes,
    highlight_overlay: Callable[[], bytes] | None,
    heat_overlay: Callable[[], bytes] | None,
    other: PhotoRun | None = None,
) -> None:
    """The split view, with the error heatmap (made by ``heat_overlay``, only when turned on)
    or, when a palette colour is highlighted, its pixels (``highlight_overlay``) on top. A
    preview is labelled as one, and has neither (nor a close-up box) until its full result."""
    heat = st.toggle(
        "Where it differs",
        key="heat",
        disabled=heat_overlay is None,
        help="Paint the redrawn side red where its colours differ visibly from the original "
        "(ΔE in Oklab, computed at display size; full red at ΔE 12 or more).",
    )
    overlay = heat_overlay() if heat and heat_overlay is not None else None
    if highlight_overlay is not None and not heat:
        overlay = highlight_overlay()
    preview = isinstance(run, Preview)
    marker = None if preview else st.session_state.get("zoom_marker")
    if other is None:
        left, left_label = original, "Original"
        right_label = f"{colour_count(run.k)} · preview" if preview else f"{run.k} colours"
    else:
        left, left_label, right_label = (
            other.shown,
            f"{other.k} colours",
            f"{run.k} colours",
        )
    clicked = split_view(
        left,
        run.shown,
        before_label=left_label,
        after_label=right_label,
        overlay=overlay,
        marker=marker,
        height=SPLIT_HEIGHT,
        key="split",
    )
    if clicked is not None:
        st.session_state["zoom_at"] = (float(clicked["x"]), float(clicked["y"]))
    st.caption(
        "Drag the divider to compare; scroll or pinch to zoom, drag to move, 1:1 for actual "
        "pixels. Click a spot to look closely at it below."
    )


def show_zoom(photo: Photo, run: PhotoRun, run_key: tuple) -> None:
    """A pixel-exact close-up of the PNG file's pixels, where the visitor clicked."""
    st.subheader("Look closely", anchor=False)
    facts = photo.facts
    focus = st.session_state.get("zoom_at") or run.display.focus
    zoom = st.select_slider(
        "Zoom", options=list(ZOOM_STEPS), value=4, format_func="×{}".format, key="zoom"
    )
    side = min(ZOOMED_SIDE // zoom, facts.width, facts.height)
    left, top = zoom_window(focus, side, facts.width, facts.height)
    st.session_state["zoom_marker"] = (
        left / facts.width,
        top / facts.height,
        side / facts.width,
        side / facts.height,
    )
    pixels, redrawn_pixels = window_pixels(photo, run, run_key, left, top, side)
    enlarged = (side * zoom, side * zoom)
    before, after = st.columns(2)
    original = Image.fromarray(pixels).resize(enlarged, Image.Resampling.NEAREST)
    redrawn = Image.fromarray(redrawn_pixels).resize(enlarged, Image.Resampling.NEAREST)
    show_image(before, png_bytes(original), caption="Original")
    show_image(after, png_bytes(redrawn), caption=f"{run.k} colours, from the PNG file")
    where = "where you clicked" if st.session_state.get("zoom_at") else "where it differs most"
    st.caption(
        f"{side} × {side} pixels at x {left:,}, y {top:,} ({where}; the yellow box in the "
        f"picture above), each pixel drawn {zoom}× as a square."
    )


def window_pixels(
    photo: Photo, run: PhotoRun, run_key: tuple, left: int, top: int, side: int
) -> tuple[np.ndarray, np.ndarray]:
    """The original's and the PNG's pixels in a window: from the run if it holds them, else
    decoded (in the full-size queue) from the photo and the PNG file."""
    held = run.close_up.crops(left, top, side)
    if held is not None:
        return held
    window = np.s_[top : top + side, left : left + side]
    indices, palette = compute.png_pixels(run_key, _png=run.png)
    return compute.original_window(photo.digest, photo.data, window), palette[indices[window]]


def palette_order(run: PhotoRun, by: str) -> np.ndarray:
    """Palette indices sorted by share of pixels, or by hue (greys first, by lightness)."""
    if by == "share":
        return np.argsort(-run.counts, kind="stable")
    hls = [colorsys.rgb_to_hls(*(c / 255)) for c in run.palette.astype(float)]
    keys = [(s > 0.12, round(h * 24) if s > 0.12 else 0, light) for h, light, s in hls]
    return np.array(sorted(range(run.k), key=lambda i: keys[i]), dtype=int)


def swatch_url(hex_code: str) -> str:
    """A block of one colour as an SVG data URL: the palette table's swatch cell.

    An image column, not a pandas Styler colouring text cells: styling is the slow part of
    a table, paid at every new K.
    """
    return (
        "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='48' height='24'>"
        f"<rect width='48' height='24' fill='{hex_code.replace('#', '%23')}'/></svg>"
    )


def show_palette(run: PhotoRun, stem: str) -> int | None:
    """The palette as swatches with shares; returns the colour picked for highlighting."""
    st.subheader("The palette", anchor=False)
    by = st.segmented_control(
        "Order", ["share", "hue"], default="share", key="palette_order", width="content"
    )
    order = palette_order(run, by or "share")
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
    picked = st.dataframe(
        table,
        hide_index=True,
        height=260,
        on_select="rerun",
        selection_mode="single-row",
        key="palette_pick",
        column_config={
            "Colour": st.column_config.ImageColumn(width="small"),
            "Share of pixels": st.column_config.ProgressColumn(
                format="%.1f%%", min_value=0, max_value=max(100 * shares.max(), 1e-9)
            ),
            "Pixels": st.column_config.NumberColumn(format="localized"),
        },
    )
    st.caption("Pick a row to see where that colour is used, in the picture and in 3D.")
    name = f"{stem}-k{run.k}"
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
    rows = picked.selection.rows if picked is not None else []
    chosen = int(order[rows[0]]) if rows else None
    st.session_state["highlight"] = chosen
    return chosen


def show_details(run: PhotoRun, photo: Photo, ssim: float) -> None:
    """The numbers behind the headline, for those who want them."""
    facts = photo.facts
    index_bits = bits_per_index(run.k)
    indexed_bits, rgb_bits = run.teaching_bits
    plain = 32 if facts.has_alpha else 24  # RGBA stores transparency too
    columns = st.columns(5)
    columns[0].metric("Colours used (K)", run.k, help="K-Means may use fewer than asked for.")
    columns[1].metric(
        "Rounds of K-Means",
        run.n_iter,
        delta="settled" if run.converged else "round limit reached",
        delta_color="off",
        delta_arrow="off",
        help="One round: give every pixel its nearest colour, then move every colour to the "
        "average of its pixels. K-Means stops when no colour moves more than half a level, or "
        "at 'Most rounds'. The colours are first placed on a colour histogram, so a few rounds "
        "finish the job; reaching the limit is normal and costs little quality.",
    )
    columns[2].metric(
        "Time",
        f"{run.timings.total:.2f} s",
        help=f"K-Means {run.timings.kmeans:.2f} s, then writing the PNG "
        f"({run.timings.png:.2f} s) at the same time as measuring the quality "
        f"({run.timings.measuring:.2f} s) and making the copies shown here.",
    )
    columns[3].metric(
        "Worst 1% of pixels",
        f"ΔE {run.delta_e_p99:.1f}",
        help="99 in 100 pixels differ by less than this (ΔE in Oklab; 2 is just noticeable).",
    )
    columns[4].metric(
        "Lost hue",
        f"ΔE {run.lost_hue:.1f}",
        help="The worst-served vivid colour family: the average ΔE of the pixels of the most "
        "damaged hue (a red ladybird turned green shows here, even if it is tiny).",
    )
    more = st.columns(4 if run.alpha_mse is not None else 3)
    if run.alpha_mse is not None:
        more[3].metric(
            "Transparency error",
            f"{run.alpha_mse:.1f}",
            help="Mean squared error of the alpha channel alone, in 0–255 levels: soft edges "
            "and shadows are kept as levels of see-through, not cut to on or off.",
        )
    more[0].metric(
        "SSIM",
        f"{ssim:.3f}",
        help="Structural similarity, 0 to 1: whether local patterns of light and dark (edges, "
        "textures) survive, rather than whether the colours match. It can dip as K rises, so "
        "it is not the headline.",
    )
    more[1].metric("PSNR", decibels(run.psnr), help="Higher is closer; 40 dB is very close.")
    more[2].metric(
        "Bits per pixel",
        f"{plain} → {index_bits}",
        help="Plain RGB stores 24 bits per pixel (RGBA 32); an index into K colours needs "
        "⌈log₂ K⌉.",
    )
    st.caption(
        f"What the method teaches: stored plainly, each of the {facts.n_pixels:,} pixels takes "
        f"{plain} bits, {rgb_bits // 8:,} bytes in all. With {run.k} colours a pixel needs only "
        f"its colour's number, ⌈log₂ {run.k}⌉ = {index_bits} bits, plus {run.k} × {plain} bits "
        "for the "
        f"palette: {math.ceil(indexed_bits / 8):,} bytes, {rgb_bits / indexed_bits:.1f}× less. "
        "PNG then compresses those numbers further."
    )

"""The result: how close it looks in words, the split view, the close-up and the numbers."""

from __future__ import annotations

import math
import re
from pathlib import PurePath

import numpy as np
import streamlit as st
from PIL import Image

from dashboard import compute
from dashboard.closeup import Window
from dashboard.images import png_bytes, show_image
from dashboard.layout import SPLIT_HEIGHT, ZOOM_STEPS
from dashboard.overlays import HEAT_FULL
from dashboard.photo_run import PhotoRun
from dashboard.sidebar import Photo
from dashboard.splitview import split_view
from kmeans import Settings
from kmeans.closeness import JUST_NOTICEABLE, LEVELS, limits, next_better
from kmeans.encode import bits_per_index

#: The tab that holds the split view.
RESULT_TAB = "Result"
#: The close-up's zoom until the visitor moves its slider.
DEFAULT_ZOOM = 4

CLOSENESS_HELP = (
    "How close the redrawn photo looks, from two numbers. **ΔE** is the average colour "
    "difference per pixel, measured in Oklab, a colour space built so that equal numbers look "
    f"like equal differences: about {JUST_NOTICEABLE:g} is the smallest difference most people "
    "notice side by side. **PSNR** is the average error in decibels; higher is closer. Each "
    "word needs both numbers within its limits, as written to one decimal.\n\n"
    + "\n".join(
        f"- **{level.word}**: {level.meaning}"
        + (f" ({limits(level)})" if math.isfinite(level.max_delta_e) else "")
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


def closeness_sentence(run: PhotoRun) -> str:
    """What the word means, the two numbers it was read from, and the limits that decided it:
    two results a reader cannot tell apart by their numbers never get different words."""
    level = run.looks
    numbers = (
        f"colours differ by **ΔE {run.delta_e:.1f}** on average ({JUST_NOTICEABLE:g} is just "
        f"noticeable), PSNR {decibels(run.psnr)}"
    )
    better = next_better(level)
    decided = (
        f"within “{level.word}” ({limits(level)})"
        if better is None
        else f"“{better.word}” needs {limits(better)}"
    )
    return f"{level.meaning.capitalize()}: {numbers}; {decided}."


def show_headline(run: PhotoRun, photo: Photo) -> None:
    """One sentence on closeness, one on size, and the download, its label never cut short."""
    st.markdown(
        f"### {run.looks.word.capitalize()} · {colour_count(run.k)}",
        help=CLOSENESS_HELP,
    )
    st.markdown(f"{closeness_sentence(run)} {size_sentence(run, photo)}")
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


def close_up_window(photo: Photo, run: PhotoRun) -> Window:
    """Where the close-up looks in this run, decided before anything is drawn, so the split
    view's yellow box and the close-up below it show the same square of the same result.

    A click on the split view moves it there, for this photo only: a new photo opens where it
    differs most. The zoom is the close-up's slider, as the visitor last set it.
    """
    remember_click(photo)
    clicked = st.session_state.get("zoom_at")
    on_this_photo = clicked is not None and clicked[0] == photo.digest
    focus = clicked[1:] if on_this_photo else run.display.focus
    zoom = st.session_state.get("zoom", DEFAULT_ZOOM)
    return Window.at(focus, zoom, photo.facts.width, photo.facts.height, clicked=on_this_photo)


def remember_click(photo: Photo) -> None:
    """Keep the split view's newest click (each once, by its count) as the close-up's spot."""
    clicked = st.session_state.get("split")
    if clicked is None:  # a view newly drawn: it counts its clicks from one again
        st.session_state["split_click"] = None
        return
    if clicked.get("click") != st.session_state.get("split_click"):
        st.session_state["split_click"] = clicked.get("click")
        st.session_state["zoom_at"] = (photo.digest, float(clicked["x"]), float(clicked["y"]))


def split_against(photo: Photo, settings: Settings, k: int) -> int | None:
    """The K shown left of the divider instead of the original, if the visitor chose one for
    this photo and these settings ("Split with current") and it is not the current K."""
    chosen = st.session_state.get("versus")
    if chosen is None or chosen[:2] != (photo.digest, settings) or chosen[2] == k:
        return None
    return chosen[2]


def compare_with(photo: Photo, settings: Settings, k: int) -> None:
    """Show K = ``k`` left of the divider, and take the visitor to the split view to see it."""
    st.session_state["versus"] = (photo.digest, settings, k)
    st.session_state["view"] = RESULT_TAB


def stop_comparing() -> None:
    st.session_state["versus"] = None


def show_view_controls(other: PhotoRun | None) -> bool:
    """The split view's two choices: paint where it differs, and the original back on the left
    when another K is there. Returns whether the heatmap is on."""
    heat_column, back_column = st.columns([1, 1], vertical_alignment="center")
    heat = heat_column.toggle(
        "Where it differs",
        key="heat",
        help="Paint the redrawn side red where its colours differ visibly from the original "
        f"(ΔE in Oklab, computed at display size; full red at ΔE {HEAT_FULL:g} or more).",
    )
    if other is not None:
        back_column.button(
            "Original on the left",
            key="versus_off",
            icon=":material/undo:",
            on_click=stop_comparing,
            help=f"Left of the divider is K = {other.k} now; this puts the original back.",
        )
    return heat


def show_comparison_view(
    run: PhotoRun,
    original: bytes,
    overlay: bytes | None,
    window: Window,
    photo: Photo,
    other: PhotoRun | None = None,
) -> None:
    """The split view: ``other`` (or the original) left of the divider, this run right of it,
    ``overlay`` over the redrawn side, and the close-up's ``window`` marked on both."""
    left, left_label = (
        (original, "Original") if other is None else (other.display.shown, colour_count(other.k))
    )
    split_view(
        left,
        run.display.shown,
        before_label=left_label,
        after_label=colour_count(run.k),
        overlay=overlay,
        marker=window.marker(photo.facts.width, photo.facts.height),
        height=SPLIT_HEIGHT,
        key="split",
    )
    st.caption(
        "Drag the divider to compare; scroll or pinch to zoom, drag to move, 1:1 for actual "
        "pixels. Click a spot to look closely at it below."
    )


def show_zoom(photo: Photo, run: PhotoRun, run_key: tuple, window: Window) -> None:
    """A pixel-exact close-up of the PNG file's pixels in ``window``."""
    st.subheader("Look closely", anchor=False)
    st.select_slider(
        "Zoom", options=list(ZOOM_STEPS), value=DEFAULT_ZOOM, format_func="×{}".format, key="zoom"
    )
    left, top, side, zoom = window.left, window.top, window.side, window.zoom
    pixels, redrawn_pixels = window_pixels(photo, run, run_key, left, top, side)
    enlarged = (side * zoom, side * zoom)
    before, after = st.columns(2)
    original = Image.fromarray(pixels).resize(enlarged, Image.Resampling.NEAREST)
    redrawn = Image.fromarray(redrawn_pixels).resize(enlarged, Image.Resampling.NEAREST)
    show_image(before, png_bytes(original), caption="Original")
    show_image(after, png_bytes(redrawn), caption=f"{colour_count(run.k)}, from the PNG file")
    where = "where you clicked" if window.clicked else "where it differs most"
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
        help="99 in 100 pixels differ by less than this (ΔE in Oklab; "
        f"{JUST_NOTICEABLE:g} is just noticeable).",
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

"""The close-up: a square of the full-size photo and of the PNG file, each pixel a square.

It opens where the result differs most and moves to where the visitor clicks in the split
view. Where it looks is decided before anything is drawn (:func:`close_up_window`), because the
split view above marks the same square with its yellow box.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image

from dashboard import compute
from dashboard.closeup import Window
from dashboard.formats import colour_count
from dashboard.images import png_bytes, show_image
from dashboard.layout import ZOOM_STEPS
from dashboard.photo_choice import Photo
from dashboard.photo_run import PhotoRun

#: The close-up's zoom until the visitor moves its slider.
DEFAULT_ZOOM = 4


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
    """Keep the split view's newest click (each once, by its name) as the close-up's spot."""
    clicked = st.session_state.get("split")
    if clicked is None or clicked.get("x") is None:
        return
    if clicked["click"] != st.session_state.get("split_click"):
        st.session_state["split_click"] = clicked.get("click")
        st.session_state["zoom_at"] = (photo.digest, float(clicked["x"]), float(clicked["y"]))


def show_zoom(photo: Photo, run: PhotoRun, run_key: tuple, window: Window) -> None:
    """A pixel-exact close-up of the PNG file's pixels in ``window``."""
    st.subheader("Look closely", anchor=False)
    st.session_state.setdefault("zoom", DEFAULT_ZOOM)
    st.select_slider("Zoom", options=list(ZOOM_STEPS), format_func="×{}".format, key="zoom")
    left, top, side, zoom = window.left, window.top, window.side, window.zoom
    pixels, redrawn_pixels = window_pixels(photo, run, run_key, left, top, side, side)
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
    photo: Photo, run: PhotoRun, run_key: tuple, left: int, top: int, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """The original's and the PNG's RGB pixels in a window: from the run if it holds them,
    else decoded (in the full-size queue) from the photo and the PNG file."""
    held = run.close_up.crops(left, top, width, height)
    if held is not None:
        return held
    window = np.s_[top : top + height, left : left + width]
    original = compute.original_window(photo.digest, photo.data, window)
    return original, png_window(run, run_key, window)[..., :3]


def png_window(run: PhotoRun, run_key: tuple, window: tuple[slice, slice]) -> np.ndarray:
    """The PNG file's RGBA pixels in a window, decoded once per run."""
    indices, palette = compute.png_pixels(run_key, _png=run.png)
    return palette[indices[window]]

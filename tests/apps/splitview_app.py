"""A tiny page for the split view's tests: a red image left of the divider, a blue one right."""

import io

import streamlit as st
from PIL import Image

from dashboard.splitview import split_view

SIZE = (600, 400)

st.set_page_config(page_title="Split view test", layout="wide")


def solid_png(colour: tuple[int, ...], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, SIZE, colour).save(buffer, "PNG")
    return buffer.getvalue()


# ?overlay=1 adds a half-transparent green heatmap; ?focus=1 opens zoomed about (0.25, 0.5).
overlay = solid_png((0, 255, 0, 128), "RGBA") if st.query_params.get("overlay") == "1" else None
focus = (0.25, 0.5) if st.query_params.get("focus") == "1" else None


clicked = split_view(
    solid_png((255, 0, 0)),
    solid_png((0, 0, 255)),
    before_label="Red",
    after_label="Blue",
    overlay=overlay,
    focus=focus,
    height=480,
    key="split",
)
st.write(f"Clicked: {clicked}")

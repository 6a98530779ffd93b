"""The split view: the original (or another K) left of the divider, the result right of it.

What it shows is read before it is drawn: the palette colour picked, the close-up's square and
the K chosen for its left side all come from widgets drawn below it or on another tab. Zoomed
in past the display copies, it is sent the window it shows at full resolution
(:func:`full_resolution_detail`), so "1:1" is the result's own pixels.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
import streamlit as st
from PIL import Image

from dashboard import compute, images
from dashboard.closeup import Window
from dashboard.closeup_view import png_window
from dashboard.formats import colour_count
from dashboard.layout import RESULT_TAB, SPLIT_HEIGHT
from dashboard.overlays import HEAT_FULL
from dashboard.photo_choice import Photo
from dashboard.photo_run import PhotoRun, Preview
from dashboard.size_view import JpegSide
from dashboard.splitview import Detail, split_view
from kmeans import Settings


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
    st.session_state["split_jpeg"] = False


def show_view_controls(left_label: str | None) -> None:
    """The split view's two choices, under it: paint where it differs, and the original back on
    the left when another K is there. The page reads them before it draws the view."""
    heat_column, back_column = st.columns([1, 1], vertical_alignment="center")
    heat_column.toggle(
        "Where it differs",
        key="heat",
        help="Paint the redrawn side red where its colours differ visibly from the original "
        f"(ΔE in Oklab, computed at display size; full red at ΔE {HEAT_FULL:g} or more).",
    )
    if left_label is not None:
        back_column.button(
            "Original on the left",
            key="versus_off",
            icon=":material/undo:",
            on_click=stop_comparing,
            help=f"Left of the divider is {left_label} now; this puts the original back.",
        )


def show_comparison_view(
    photo: Photo,
    run: PhotoRun,
    run_key: tuple,
    original: bytes,
    overlay: bytes | None,
    window: Window,
    other: tuple[PhotoRun, tuple] | None = None,
    jpeg: JpegSide | None = None,
) -> None:
    """The split view: ``jpeg`` (the JPEG that looks as close), ``other`` (a run and its key)
    or the original left of the divider, this run right of it, ``overlay`` over the redrawn
    side, and the close-up's ``window`` marked on both; zoomed in past the display copies, the
    full-size pixels of the window it shows."""
    if jpeg is not None:
        left, left_label, other = jpeg.shown, jpeg.label, None
    elif other is None:
        left, left_label = original, "Original"
    else:
        left, left_label = other[0].display.shown, colour_count(other[0].k)
    side = jpeg.label if jpeg is not None else other and other[1]
    result_id = hashlib.blake2b(repr((run_key, side)).encode(), digest_size=8)
    asked = st.session_state.get("split") or {}
    wanted = asked.get("window") if asked.get("result") == result_id.hexdigest() else None
    facts = photo.facts
    split_view(
        left,
        run.display.shown,
        before_label=left_label,
        after_label=colour_count(run.k),
        overlay=overlay,
        marker=window.marker(facts.width, facts.height),
        full_size=(facts.width, facts.height),
        result_id=result_id.hexdigest(),
        detail=None
        if wanted is None
        else full_resolution_detail(photo, run_key, run, other, wanted, jpeg),
        height=SPLIT_HEIGHT,
        key="split",
    )
    show_view_controls(None if left is original else left_label)
    st.caption(
        "The wheel and a swipe scroll the page. To zoom: Ctrl/⌘ + scroll, pinch, or click the "
        "picture, then scroll; drag to move, 1:1 for the result's actual pixels. Drag the "
        "divider to compare. A click also moves the close-up below to that spot."
    )


def show_preview_view(preview: Preview, original: bytes) -> None:
    """A preview in the split view's place, labelled as one: no overlay, close-up box or
    full-resolution windows, which come with the full-size result."""
    split_view(
        original,
        preview.shown,
        before_label="Original",
        after_label=f"{colour_count(preview.k)} · preview",
        height=SPLIT_HEIGHT,
        key="split",
    )


#: The most pixels a full-resolution window may hold: a 1:1 view of a large screen at 2×.
MAX_DETAIL_PIXELS = 2_500_000


def full_resolution_detail(
    photo: Photo,
    run_key: tuple,
    run: PhotoRun,
    other: tuple[PhotoRun, tuple] | None,
    wanted: list[int],
    jpeg: JpegSide | None = None,
) -> Detail:
    """The window the split view asked for, cut from the full-size photo (or the other run's
    PNG, or the JPEG) and this run's PNG, so zoomed in it shows the result's own pixels."""
    facts = photo.facts
    left, top, width, height = (int(v) for v in wanted)
    width, height = min(width, facts.width), min(height, facts.height)
    shrink = min(1.0, (MAX_DETAIL_PIXELS / max(1, width * height)) ** 0.5)
    centre_x, centre_y = left + width / 2, top + height / 2
    width, height = max(1, int(width * shrink)), max(1, int(height * shrink))
    left = min(max(0, round(centre_x - width / 2)), facts.width - width)
    top = min(max(0, round(centre_y - height / 2)), facts.height - height)
    window = np.s_[top : top + height, left : left + width]
    with_alpha = facts.has_alpha
    if jpeg is not None:
        with Image.open(io.BytesIO(jpeg.data)) as decoded:
            box = (left, top, left + width, top + height)
            before_file = images.encoded(decoded.convert("RGB").crop(box))
    elif other is None:
        before = compute.original_window(photo.digest, photo.data, window, with_alpha)
        before_file = images.encoded(Image.fromarray(before))
    else:
        before_file = images.png_bytes(exact_pixels(png_window(*other, window), with_alpha))
    after = exact_pixels(png_window(run, run_key, window), with_alpha)
    return Detail(left, top, before_file, images.png_bytes(after))


def exact_pixels(rgba: np.ndarray, with_alpha: bool) -> np.ndarray:
    return rgba if with_alpha else rgba[..., :3]

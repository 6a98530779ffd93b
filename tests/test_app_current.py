"""Nothing on the page describes anything but the current photo and K (issue 19, section 1).

Each test takes the steps that showed a previous result as current, under AppTest, and checks
that every element naming a photo, a K or a colour agrees with the state the visitor is in.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.helpers import (
    ROOT,
    component_args,
    jpeg_bytes,
    no_errors,
    open_page,
    upload,
)


def close_up_caption(app: AppTest) -> tuple[int, int, int]:
    """(side, x, y) of the close-up, as its caption states them."""
    (caption,) = [c.value for c in app.caption if "each pixel drawn" in c.value]
    side, x, y = re.search(r"(\d+) × \d+ pixels at x ([\d,]+), y ([\d,]+)", caption).groups()
    return int(side), int(x.replace(",", "")), int(y.replace(",", ""))


def photo_size(app: AppTest) -> tuple[int, int]:
    (facts,) = app.text
    width, height = re.search(r"([\d,]+) × ([\d,]+) pixels", facts.value).groups()
    return int(width.replace(",", "")), int(height.replace(",", ""))


def assert_box_marks_the_close_up(app: AppTest) -> None:
    """The split view's yellow box is the square the close-up below shows, of this photo."""
    side, x, y = close_up_caption(app)
    width, height = photo_size(app)
    marker = component_args(app, "split_view")["marker"]
    assert marker == [x / width, y / height, side / width, side / height]


def test_the_yellow_box_is_the_close_ups_square_after_an_upload_and_each_k():
    app = open_page()
    assert_box_marks_the_close_up(app)
    upload(app, "coffee.jpg", jpeg_bytes("coffee.png", (900, 600)))
    assert no_errors(app)
    assert_box_marks_the_close_up(app)
    for k in (4, 64, 8):
        app.number_input(key="k").set_value(k).run()
        assert_box_marks_the_close_up(app)


def test_a_click_on_one_photo_does_not_move_the_close_up_of_the_next():
    app = open_page()
    app.session_state["split"] = {"x": 0.05, "y": 0.05, "click": 1}  # what a click sends
    app.run()
    assert any("where you clicked" in c.value for c in app.caption)
    upload(app, "coffee.jpg", jpeg_bytes("coffee.png"))
    assert any("where it differs most" in c.value for c in app.caption)
    assert_box_marks_the_close_up(app)


def widget_key(element) -> str:
    """The key the page gave a widget, read off the element Streamlit drew for it."""
    return element.proto.id.split("-", 2)[2]


def palette_table(app: AppTest):
    (table,) = [t for t in app.dataframe if "Hex" in t.value]
    return table


def pick_row(app: AppTest, row: int) -> str:
    """Tick a row of the palette table, as a click does; the hex code written on that row."""
    table = palette_table(app)
    ticked = {"selection": {"rows": [row], "columns": [], "cells": []}}
    app.session_state[widget_key(table)] = ticked
    app.run()
    return table.value["Hex"][row]


def decoded(url: str) -> np.ndarray:
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        return np.asarray(image.convert("RGBA"))


def lit_colours(app: AppTest) -> set[str]:
    """The colours of the redrawn side that the split view's overlay leaves clear (lit)."""
    args = component_args(app, "split_view")
    assert args["overlay"] is not None, "no colour is lit"
    shown, overlay = decoded(args["after"]), decoded(args["overlay"])
    lit = shown[overlay[..., 3] == 0][:, :3]
    return {"#" + bytes(colour).hex() for colour in np.unique(lit, axis=0)}


def ticked_hex(app: AppTest) -> str | None:
    """The hex code on the row the palette table has ticked (its selection), or None."""
    table = palette_table(app)
    rows = app.session_state[widget_key(table)]["selection"]["rows"]
    return table.value["Hex"][rows[0]] if rows else None


def test_a_picked_colour_is_lit_at_once():
    app = open_page()
    picked = pick_row(app, 2)
    assert lit_colours(app) == {picked}


def test_after_re_sorting_the_ticked_row_and_the_lit_pixels_are_one_colour():
    app = open_page()
    picked = pick_row(app, 2)
    app.button_group(key="palette_order").set_value("hue").run()
    assert no_errors(app)
    assert lit_colours(app) == {picked}  # the colour picked stays lit
    assert ticked_hex(app) == picked  # and its new row is the one ticked


def test_a_new_k_lights_nothing_until_a_colour_of_it_is_picked():
    app = open_page()
    pick_row(app, 1)
    app.number_input(key="k").set_value(4).run()
    assert component_args(app, "split_view")["overlay"] is None
    assert ticked_hex(app) is None


def test_split_with_current_shows_the_split_and_the_original_can_come_back():
    app = open_page()
    app.session_state["view"] = "Compare K values"
    app.run()
    app.button(key="versus_8").click().run()
    assert no_errors(app)
    args = component_args(app, "split_view")  # the visitor is taken to the split view
    assert (args["before_label"], args["after_label"]) == ("8 colours", "16 colours")
    app.button(key="versus_off").click().run()
    assert component_args(app, "split_view")["before_label"] == "Original"


def test_a_new_photo_is_split_against_its_own_original():
    app = open_page()
    app.session_state["view"] = "Compare K values"
    app.run()
    app.button(key="versus_64").click().run()
    upload(app, "coffee.jpg", jpeg_bytes("coffee.png"))
    args = component_args(app, "split_view")
    assert (args["before_label"], args["after_label"]) == ("Original", "16 colours")


def query(app: AppTest) -> dict[str, str]:
    """The address bar's query, one value per name."""
    return {
        name: value[0] if isinstance(value, list) else value
        for name, value in dict(app.query_params).items()
    }


def test_a_link_made_from_ones_own_photo_says_so_on_both_sides():
    app = open_page()
    upload(app, "holiday.jpg", jpeg_bytes("chelsea.png"))
    link = query(app)
    assert "sample" not in link and link.get("photo") == "own"
    said = " ".join(c.value for c in app.caption)
    assert "A link to this page carries these settings, never your photo." in said
    opened = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    opened.query_params.update(link)
    opened.run()
    assert no_errors(opened)
    (note,) = [i.value for i in opened.info if "own photo" in i.value]
    assert "opens with their settings on a sample photo" in note
    assert opened.text[0].value.startswith("Sample: astronaut.png")


def test_an_exact_k_out_of_range_is_refused_in_one_sentence_and_the_box_shows_the_k_shown():
    app = open_page()
    app.number_input(key="k").set_value(300).run()
    assert not app.exception
    (error,) = app.error
    assert (
        error.value == "K must be a whole number from 1 to 256, not 300; the page stays at K = 16."
    )
    assert app.number_input(key="k").value == 16
    headings = [m.value for m in app.markdown if m.value.startswith("### ")]
    assert headings and headings[0].endswith("· 16 colours")
    app.number_input(key="k").set_value(17).run()  # and the next good K works, with no error
    assert not app.error and app.number_input(key="k").value == 17

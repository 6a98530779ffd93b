"""The hostile corpus through the page (issue 4, section 1): a one-sentence error, or a result.

One visitor keeps the page open and uploads every file of :mod:`tests.corpus` in turn, as someone
trying file after file would. A refused file must leave exactly one ``st.error`` holding the
loader's one-sentence refusal, no exception, and the sample's result still on the page, which
must keep answering when K is moved. An accepted file must give its own result and a PNG that
Pillow reads at the file's size. Every script run has a time bound (the AppTest timeout).
"""

from __future__ import annotations

import io
import re
from pathlib import PurePath

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.corpus import BAD, GOOD, assert_refusal, by_name
from tests.helpers import metric, open_page, png_download, upload

#: Seconds one script run of the page may take on a corpus file (they are all tiny).
SECONDS_PER_RUN = 20

pytestmark = pytest.mark.timeout(3 * SECONDS_PER_RUN)


@pytest.fixture(scope="module")
def visitor() -> AppTest:
    """One visitor's page, left open across every upload of this module."""
    return open_page(timeout=SECONDS_PER_RUN)


def name_a_visitor_can_pick(visitor: AppTest, file_name: str) -> str:
    """The file name, renamed to ``.png`` if the uploader would not offer it (HTML, SVG).

    The browser only lets a visitor pick the uploader's types, so hostile content arrives
    under an accepted name; the page must judge a file by its bytes, not its name.
    """
    accepted = visitor.file_uploader[0].allowed_type
    suffix = PurePath(file_name).suffix.lower()
    return file_name if suffix in accepted else f"{PurePath(file_name).stem}.png"


def shows_the_sample(visitor: AppTest) -> bool:
    (facts,) = visitor.text
    buttons = [b.label for b in visitor.download_button if b.label.startswith("Download PNG")]
    return facts.value.startswith("Sample: ") and len(buttons) == 1 and "512 × 512" in buttons[0]


@by_name(BAD)
def test_a_refused_file_gives_one_sentence_and_the_page_keeps_working(visitor, case):
    upload(visitor, name_a_visitor_can_pick(visitor, case.file_name), case.data)

    assert not visitor.exception
    (error,) = visitor.error
    assert_refusal(error.value, case.reason)
    assert shows_the_sample(visitor)

    other_k = 8 if metric(visitor, "Colours used") == "16" else 16
    visitor.number_input(key="k").set_value(other_k).run()
    assert not visitor.exception
    assert [e.value for e in visitor.error] == [error.value]
    assert metric(visitor, "Colours used") == str(other_k)
    assert shows_the_sample(visitor)


@by_name(GOOD)
def test_an_accepted_file_gives_its_own_result(visitor, downloads, case):
    name = name_a_visitor_can_pick(visitor, case.file_name)
    upload(visitor, name, case.data)

    assert not visitor.exception
    assert not visitor.error
    width, height = case.check.size
    (facts,) = visitor.text
    assert facts.value.startswith(f"Your photo: {name} · {width:,} × {height:,} pixels")
    file_name, png = png_download(visitor, downloads)
    assert re.fullmatch(rf"{re.escape(case.name)}-k\d+\.png", file_name)
    with Image.open(io.BytesIO(png)) as written:
        assert written.format == "PNG" and written.mode == "P"
        assert written.size == (width, height)

"""Advice that agrees with itself (issue 19, section 3), under AppTest.

The page's words are checked against its own numbers and against one another: one "just
noticeable", a knee that calls a K good only if its headline says it looks close, a verdict
that names the limits it was read from, searches that say what they found in the same words,
and a convergence caption that says what the rounds did.
"""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from kmeans.closeness import JUST_NOTICEABLE, LEVELS
from tests.helpers import jpeg_bytes, no_errors, open_page, upload

LIMITS = {level.word: (level.max_delta_e, level.min_psnr) for level in LEVELS}


def compare_tab(app: AppTest) -> AppTest:
    app.session_state["view"] = "Compare K values"
    return app.run()


def page_words(app: AppTest) -> list[str]:
    """Every sentence the page shows, keeps in a help tooltip or writes on a chart."""
    texts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    helps = [m.proto.help for m in app.markdown if m.proto.help]
    charts = [chart.proto.spec for chart in app.get("plotly_chart")]
    return texts + helps + charts


#: A number the page sets beside "just noticeable": "(2 is just noticeable)", "just noticeable
#: (2)", "a just-noticeable difference (2)", "just-noticeable step** (ΔE falls by under 1)".
NOTICEABLE = re.compile(
    r"\(([\d.]+) is just noticeable\)"
    r"|just.noticeable(?: difference| step)?\**\s*\((?:ΔE [a-z ]*?)?([\d.]+)\)"
)


def test_just_noticeable_is_one_number_wherever_the_page_says_it():
    app = compare_tab(open_page())
    said = [float(a or b) for text in page_words(app) for a, b in NOTICEABLE.findall(text)]
    assert said, "the page never says what just noticeable is"
    assert set(said) == {JUST_NOTICEABLE}


def thumbnail_words(app: AppTest) -> dict[int, str]:
    """K → the word its thumbnail's caption gives it."""
    words = {}
    for image in app.image:
        for caption in image.captions:
            found = re.match(r"K = (\d+) · ([a-z -]+) · ", caption)
            if found:
                words[int(found.group(1))] = found.group(2)
    return words


def test_the_knee_calls_a_k_good_only_if_its_headline_says_it_looks_close():
    app = compare_tab(open_page())
    (sentence,) = [m.value for m in app.markdown if "doubling" in m.value]
    words = thumbnail_words(app)
    bend = re.search(r"Past K = (\d+)", sentence)
    assert bend, sentence
    word = words[int(bend.group(1))]
    assert ("good choice" in sentence) == (word in ("looks the same", "close"))
    if "good choice" not in sentence:
        assert f"“{word}”" in sentence  # the headline's own word for that K


def headline(app: AppTest) -> tuple[str, str]:
    (heading,) = [m.value for m in app.markdown if m.value.startswith("### ")]
    (sentence,) = [m.value for m in app.markdown if "bytes →" in m.value]
    return heading.removeprefix("### ").split(" · ")[0].lower(), sentence


def test_the_verdict_is_read_from_the_numbers_it_shows_and_names_the_next_words_limits():
    app = open_page()
    for k in (4, 16, 64, 256):
        app.number_input(key="k").set_value(k).run()
        word, sentence = headline(app)
        delta_e = float(re.search(r"ΔE ([\d.]+)\*\* on average", sentence).group(1))
        psnr = re.search(r"PSNR ([\d.]+|∞) dB", sentence).group(1)
        psnr = float("inf") if psnr == "∞" else float(psnr)
        # The oracle: the best word whose limits the numbers as shown meet.
        expected = next(
            w for w, (most, least) in LIMITS.items() if delta_e <= most and psnr >= least
        )
        assert word == expected, (k, sentence)
        better = [w for w in LIMITS][max(0, list(LIMITS).index(word) - 1)]
        if better != word:
            most, least = LIMITS[better]
            assert f"“{better}” needs ΔE ≤ {most:g} and PSNR ≥ {least:g} dB" in sentence


def test_a_byte_budget_that_even_two_colours_miss_offers_nothing_and_says_so():
    app = compare_tab(open_page())
    app.number_input(key="auto_bytes").set_value(5).run()
    app.button(key="find_bytes").click().run()
    assert no_errors(app)
    assert not [b for b in app.button if b.key == "apply_bytes"]
    (warning,) = app.warning
    assert warning.value.startswith("No K from 2 to 256 fits in 5 kB")
    captions = " ".join(c.value for c in app.caption)
    assert "the second 2 colours to 256 colours" in captions  # the range it really tries


FOUND = re.compile(
    r"^\*\*K = (\d+)\*\* · (looks the same|close|visible changes|poster-like) · ΔE [\d.]+, "
    r"[\d.]+ dB · [\d.]+ (?:B|kB|MB)$"
)


def test_each_search_says_how_close_its_k_looks_and_how_big_its_png_is():
    app = compare_tab(open_page())
    app.button(key="find_quality").click().run()
    app.number_input(key="auto_bytes").set_value(60).run()
    app.button(key="find_bytes").click().run()
    found = [FOUND.match(m.value) for m in app.markdown if FOUND.match(m.value)]
    assert len(found) == 2, [m.value for m in app.markdown]
    quality, budget = found
    assert quality.group(2) in ("looks the same", "close")  # it met "close"
    assert int(budget.group(1)) > 1


def test_a_search_answer_is_never_shown_for_another_photo():
    app = compare_tab(open_page())
    app.button(key="find_quality").click().run()
    assert [m.value for m in app.markdown if FOUND.match(m.value)]
    upload(app, "coffee.jpg", jpeg_bytes("coffee.png"))
    assert not [m.value for m in app.markdown if FOUND.match(m.value)]

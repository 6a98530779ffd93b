"""A class at once, in real browsers on the real server: what a visitor sees while other
visitors' work is ahead of theirs, and what a visitor who leaves still costs.

Each test starts a server of its own (its queues and stores empty) and makes the first visitor
busy with long full-size work: a 36 MP photo at K = 256 from random starting colours with up to
300 rounds. The others then upload in their own browser contexts, each with a watcher that
records every state of the page (the photo named, the downloads offered, the progress text, and
whether the sidebar speaks of the queue), so the tests can say what a visitor was ever shown,
not only what they see at the end. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import functools
import re
from contextlib import contextmanager

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.helpers import (
    jpeg_bytes,
    png_button_name,
    quick_button_name,
    served,
)

pytestmark = pytest.mark.browser

#: Milliseconds any one wait may take: the busy visitor's work takes tens of seconds here.
PATIENCE_MS = 300_000
expect.set_options(timeout=PATIENCE_MS)
BUSY_SETTINGS = "?k=256&init=random&rounds=300"
BUSY_SIZE = (6928, 5196)
SAMPLE_DOWNLOAD = png_button_name(16, 512, 512)
SAME_WORK = "Another visitor asked for the same thing"
PLACE = re.compile(r"Waiting: (\d+) photos? ahead of yours")
#: The result's PNG: the smallest, or the run's own while the smallest files are written.
RESULT_DOWNLOAD = re.compile(r"^Download (unoptimised )?PNG")

#: Records each new state of the page: the photo named, every download offered, the progress
#: text, the headline, and whether the sidebar says anything of the queue.
WATCH_JS = """
(() => {
  const log = window.__states = [];
  let last = "";
  const record = () => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return;
    const side = document.querySelector('[data-testid="stSidebar"]');
    const text = selector => [...main.querySelectorAll(selector)].map(e => e.innerText.trim());
    const state = {
      facts: text('[data-testid="stText"]').join(" "),
      // One label per button: a button with an icon holds its label's markup twice.
      downloads: [...main.querySelectorAll('[data-testid="stDownloadButton"] button')].map(
        b => (b.querySelector('[data-testid="stMarkdownContainer"]')?.innerText ?? "").trim()),
      progress: text('[data-testid="stProgress"]').join(" "),
      heading: text("h3").join(" "),
      sidebarQueue: side ? /Waiting:|Another visitor/.test(side.innerText) : false,
      sameWork: document.body.innerText.includes("Another visitor asked for the same thing"),
    };
    const key = JSON.stringify(state);
    if (key !== last) { last = key; log.push({ t: performance.now(), ...state }); }
  };
  new MutationObserver(record).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
})();
"""


@functools.cache
def photo(sample: str, size: tuple[int, int]) -> bytes:
    return jpeg_bytes(sample, size)


@pytest.fixture
def server_url(artifacts, request):
    """A server of the test's own: nothing queued or stored by another test."""
    with served(artifacts / f"queue-{request.node.name}-server.log") as (url, _):
        yield url


@contextmanager
def visitor(browser, url: str, query: str = ""):
    """A visitor in a browser context of their own, on a 1280 × 720 laptop screen, watched."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    context.set_default_timeout(PATIENCE_MS)
    page = context.new_page()
    page.add_init_script(WATCH_JS)
    page.goto(url + query)
    page.get_by_role(
        "button", name=re.compile(r"^Download PNG: \d+ colours?, 512 × 512 · ")
    ).wait_for()
    try:
        yield page
    finally:
        context.close()


def upload(page, name: str, data: bytes) -> float:
    """Pick a file from memory in the upload box; when, on the page's own clock."""
    started = page.evaluate("performance.now()")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        {"name": name, "mimeType": "image/jpeg", "buffer": data}
    )
    return started


def make_busy(page) -> None:
    """Upload the big photo, and wait until its full-size work has started."""
    upload(page, "busy.jpg", photo("astronaut.png", BUSY_SIZE))
    # Decoding and counting 36 MP come first: seconds, more on a loaded machine.
    working = page.get_by_test_id("stMain").get_by_text(re.compile("K-Means round"))
    expect(working).to_be_visible(timeout=PATIENCE_MS)


def states_since(page, started: float) -> list[dict]:
    return [state for state in page.evaluate("window.__states") if state["t"] >= started]


def places_told(states: list[dict]) -> list[int]:
    return [int(m.group(1)) for s in states if (m := PLACE.search(s["progress"]))]


def choose_k(page, k: int) -> None:
    group = page.get_by_role("radiogroup", name="Colours (K)")
    group.get_by_role("radio", name=str(k), exact=True).click()


def test_a_waiting_visitor_sees_their_place_and_a_preview_never_the_previous_result(
    browser, server_url, artifacts
):
    with visitor(browser, server_url, BUSY_SETTINGS) as ada, visitor(browser, server_url) as bob:
        make_busy(ada)
        started = upload(bob, "bob.jpg", photo("coffee.png", (4000, 3000)))
        main = bob.get_by_test_id("stMain")

        # Bob's place, then his preview, marked as one with its own size, where he looks.
        expect(main.get_by_text("Your photo: bob.jpg")).to_be_visible()
        expect(main.get_by_text(PLACE)).to_be_visible()
        expect(
            main.get_by_text("Preview at 1,400 × 1,050 pixels — the full 4,000 × 3,000")
        ).to_be_visible()
        split = bob.frame_locator('iframe[title*="split_view"]')
        expect(split.locator("#after-label")).to_have_text("16 colours · preview")
        expect(main.get_by_text(PLACE)).to_be_visible()  # still waiting behind Ada's work
        bob.screenshot(path=artifacts / "queue-waiting-with-preview.png")
        assert main.get_by_test_id("stDownloadButton").count() == 0
        assert "ΔE" not in main.inner_text()  # no number until the full-size result

        bob.get_by_role("button", name=png_button_name(16, 4000, 3000)).wait_for()
        expect(split.locator("#after-label")).to_have_text("16 colours")
        bob.screenshot(path=artifacts / "queue-full-result.png")
        with bob.expect_download() as download:
            bob.get_by_role("button", name=png_button_name(16, 4000, 3000)).click()
        with Image.open(download.value.path()) as png:
            assert png.size == (4000, 3000)

        states = states_since(bob, started)
        assert places_told(states)  # told his place...
        assert not any(state["sidebarQueue"] for state in states)  # ...never only in the sidebar
        bobs = (png_button_name(16, 4000, 3000), quick_button_name(16, 4000, 3000))
        for state in states:  # never a file that is not Bob's full-size result
            pngs = [d for d in state["downloads"] if RESULT_DOWNLOAD.match(d)]
            # (Bob's headline drawn again may show beside his last for a moment: the same file.)
            assert all(d.startswith(tuple(f"{name} · " for name in bobs)) for d in pngs), state
            assert pngs or not state["downloads"], state  # the palette's files come with it
            assert not any(d.startswith(SAMPLE_DOWNLOAD) for d in state["downloads"])
        expect(bob.get_by_role("button", name=re.compile("^Download PNG"))).to_have_count(1)


def test_the_same_work_message_goes_only_to_a_visitor_waiting_for_another_visitors_work(
    browser, server_url, artifacts
):
    """Bob changes K while his photo waits; Carol then asks for exactly what Bob waits for."""
    shared = photo("chelsea.png", (4000, 3000))
    with (
        visitor(browser, server_url, BUSY_SETTINGS) as ada,
        visitor(browser, server_url) as bob,
        visitor(browser, server_url, "?k=8") as carol,
    ):
        make_busy(ada)
        bob_started = upload(bob, "our photo.jpg", shared)
        expect(bob.get_by_test_id("stMain").get_by_text(PLACE)).to_be_visible()
        choose_k(bob, 8)  # while waiting: his first script stops, his second asks again
        expect(bob.get_by_text("Preview · 8 colours")).to_be_visible()
        carol_started = upload(carol, "our photo.jpg", shared)
        expect(carol.get_by_test_id("stMain").get_by_text(SAME_WORK)).to_be_visible()
        carol.screenshot(path=artifacts / "queue-same-work.png")

        for page in (bob, carol):
            page.get_by_role("button", name=png_button_name(8, 4000, 3000)).wait_for()
        assert not any(state["sameWork"] for state in states_since(bob, bob_started))
        assert any(SAME_WORK in state["progress"] for state in states_since(carol, carol_started))


def test_a_visitor_who_closes_the_tab_while_queued_costs_nothing_more(
    browser, server_url, artifacts
):
    with (
        visitor(browser, server_url, BUSY_SETTINGS) as ada,
        visitor(browser, server_url) as carol,
        visitor(browser, server_url) as dave,
    ):
        make_busy(ada)
        with visitor(browser, server_url) as bob:
            upload(bob, "bob.jpg", photo("coffee.png", (4000, 3000)))
            expect(bob.get_by_test_id("stMain").get_by_text(PLACE)).to_be_visible()
            upload(carol, "carol.jpg", photo("chelsea.png", (4000, 3000)))
            expect(carol.get_by_text("Waiting: 2 photos ahead of yours…")).to_be_visible()
        # Bob has closed his tab: Carol moves up while Ada's work is still being made...
        expect(carol.get_by_text("Waiting: 1 photo ahead of yours…")).to_be_visible()
        busy_download = png_button_name(256, *BUSY_SIZE)
        assert ada.get_by_role("button", name=busy_download).count() == 0
        # ...and Dave, arriving now, waits behind Ada and Carol only.
        dave_started = upload(dave, "dave.jpg", photo("astronaut.png", (4000, 3000)))
        expect(dave.get_by_text("Preview · 16 colours")).to_be_visible()
        expect(dave.get_by_test_id("stMain").get_by_text(PLACE)).to_be_visible()
        dave.screenshot(path=artifacts / "queue-after-a-visitor-left.png")
        assert ada.get_by_role("button", name=busy_download).count() == 0
        previewed = [
            s for s in states_since(dave, dave_started) if s["heading"].startswith("Preview")
        ]
        # Ada's and Carol's work at most (Ada's run may be done, her downloads being written):
        # never Bob's, which nobody waits for now.
        assert 1 <= places_told(previewed)[0] <= 2

        for page, k, size in (
            (ada, 256, BUSY_SIZE),
            (carol, 16, (4000, 3000)),
            (dave, 16, (4000, 3000)),
        ):
            page.get_by_role("button", name=png_button_name(k, *size)).wait_for()


def test_the_runs_own_png_comes_at_once_and_the_smallest_files_after_other_visitors_work(
    browser, server_url, artifacts
):
    """Ada's new K is a small photo's run, made at once; its optimised files wait for Bob's."""
    with visitor(browser, server_url, BUSY_SETTINGS) as bob, visitor(browser, server_url) as ada:
        make_busy(bob)
        choose_k(ada, 8)
        quick = ada.get_by_role("button", name=quick_button_name(8, 512, 512))
        expect(quick).to_be_visible()
        expect(
            ada.get_by_text("Writing the smallest PNG and WebP files: 1 other task first…")
        ).to_be_visible()
        smallest = ada.get_by_role("button", name=png_button_name(8, 512, 512))
        assert smallest.count() == 0
        ada.screenshot(path=artifacts / "queue-quick-download.png")
        with ada.expect_download() as download:
            quick.click()
        with Image.open(download.value.path()) as png:
            assert png.size == (512, 512) and png.mode == "P"
            quick_pixels, quick_bytes = png.convert("RGBA").tobytes(), download.value.path()
        quick_size = quick_bytes.stat().st_size

        smallest.wait_for()  # once Bob's run is made, before Bob's own files
        expect(quick).to_have_count(0)
        assert bob.get_by_role("button", name=png_button_name(256, *BUSY_SIZE)).count() == 0
        with ada.expect_download() as download:
            smallest.click()
        with Image.open(download.value.path()) as png:
            assert png.convert("RGBA").tobytes() == quick_pixels  # the same pixels, fewer bytes
        assert download.value.path().stat().st_size < quick_size

"""What the tests share, in one importable place.

Fixtures stay in ``conftest.py`` (pytest finds them there); everything else a test needs (paths,
sample photos and images built for a test, the steps a visitor takes in an AppTest run, and the
steps a visitor takes in a real browser) is here, so no test module imports another or
``conftest``. The server's start and stop and the browser's settings live in
:mod:`dashboard.serving`, which ``bench/`` uses too.

In the browser, a test waits for what it expects (Playwright's auto-waiting ``expect()``, or
:func:`settled`: the script run an act started has finished), never for a fixed time.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import struct
import subprocess
import sys
import time
import tomllib
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageFilter
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest

from dashboard.serving import (  # noqa: F401  (the tests take the server's tools from here too)
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_IDLE,
    free_port,
    served,
    start_streamlit,
    stop_streamlit,
    wait_until_healthy,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "assets" / "samples"
#: The sample photos, in name order.
SAMPLE_PHOTOS = sorted(SAMPLES.glob("*.png"))
#: The page's server settings.
CONFIG = ROOT / ".streamlit" / "config.toml"
#: A file name that is HTML and Markdown, to check the page shows names as plain text only.
HOSTILE_NAME = "<img src=x onerror=alert(1)>**bold**.png"
#: Screenshots, timings and the server's log from browser runs (git-ignored).
ARTIFACTS = ROOT / "test-artifacts"


# Photos and settings ---------------------------------------------------------------------------


@functools.cache
def sample_rgb(name: str) -> np.ndarray:
    """The sample ``name`` (a file in assets/samples) as a read-only (H, W, 3) uint8 RGB array."""
    with Image.open(SAMPLES / name) as image:
        rgb = np.asarray(image.convert("RGB"))
    rgb.setflags(write=False)
    return rgb


def jpeg_bytes(sample: str, size: tuple[int, int] | None = None) -> bytes:
    """A sample photo re-saved as a JPEG, the commonest upload, resized to ``size`` if given."""
    buffer = io.BytesIO()
    with Image.open(SAMPLES / sample) as image:
        photo = image.convert("RGB")
        if size is not None:
            photo = photo.resize(size, Image.Resampling.LANCZOS)
        photo.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def read_config() -> dict:
    """.streamlit/config.toml, parsed."""
    return tomllib.loads(CONFIG.read_text())


def png_button_name(k: int, width: int, height: int) -> str:
    """The page's download button for the result with K colours of a width × height photo."""
    return f"Download PNG: {k} colours, {width:,} × {height:,}"


def quick_button_name(k: int, width: int, height: int) -> str:
    """The download of the run's own PNG, offered while the smallest files are written."""
    return f"Download unoptimised PNG: {k} colours, {width:,} × {height:,}"


# A visitor's steps in an AppTest run -----------------------------------------------------------


def open_page(timeout: float = 60) -> AppTest:
    """The page as a first-time visitor opens it, each script run bounded by ``timeout`` s."""
    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout).run()


def upload(app: AppTest, name: str, data: bytes, mime: str = "image/jpeg") -> AppTest:
    """Pick a file in the page's uploader, and let the page run."""
    return app.file_uploader(key="upload").set_value((name, data, mime)).run()


def open_details(app: AppTest) -> AppTest:
    """Open "All the numbers", as a click on it does."""
    app.session_state["details"] = True
    return app.run()


def metric(app: AppTest, label_start: str) -> str:
    """The value of the one metric whose label starts with ``label_start`` (in the numbers)."""
    if not app.session_state["details"]:
        open_details(app)
    (found,) = [m.value for m in app.metric if m.label.startswith(label_start)]
    return found


def png_download(app: AppTest, downloads) -> tuple[str, bytes]:
    """(file name, bytes) behind the result's PNG download button; ``downloads`` is the fixture."""
    (button,) = [b for b in app.download_button if b.label.startswith("Download PNG")]
    return downloads(button)


def no_errors(app: AppTest) -> bool:
    """Neither a traceback nor an error box on the page."""
    return not app.exception and not app.error


def component_args(app: AppTest, name: str) -> dict:
    """What the page hands its one component called ``name``: JSON arguments and byte arrays."""
    (component,) = [
        element.proto
        for element in app.get("component_instance")
        if element.proto.component_name.endswith(name)
    ]
    return {
        **json.loads(component.json_args),
        **{a.key: a.bytes for a in component.special_args},
    }


# A visitor's steps in a real browser -------------------------------------------------------------

#: True once the page is still: no script running and every image loaded.
STILL_JS = f"""() => document.querySelector('{PAGE_IDLE}') !== null
  && [...document.images].every(img => img.complete && img.naturalWidth > 0)"""
#: What the page is doing, for a wait that ran out: the script's state, and which images have
#: not loaded.
DOING_JS = """() => ({
  state: document.querySelector('[data-testid="stApp"]')?.getAttribute("data-test-script-state"),
  unloaded: [...document.images].filter(img => !(img.complete && img.naturalWidth > 0))
    .map(img => img.outerHTML.slice(0, 200)),
})"""
#: How a script run ends when it was not cut short by another one.
RUN_ENDS = (
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
)


def run_finished(payload: str | bytes) -> bool:
    """Whether a message from the server says a script run (or a fragment's) has finished.

    The server's own word, read off the websocket: the page's "running" state is not enough,
    because a quick run can start and end between two of the browser's renders.
    """
    if isinstance(payload, str):
        return False
    message = ForwardMsg.FromString(payload)
    return message.WhichOneof("type") == "script_finished" and message.script_finished in RUN_ENDS


def new_visitor(browser: Browser, width: int = 1280, height: int = 720, **options) -> Page:
    """A fresh visitor's tab, in a browser context of its own; close it with ``page.context``."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True, **options
    )
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.on("websocket", lambda socket: setattr(page, "streamlit_socket", socket))
    return page


def still(page: Page) -> None:
    """Wait until no script runs and every image has loaded: once what an act was expected
    to show is there, the rest of its run has finished drawing too."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(STILL_JS)
    except PlaywrightTimeoutError as error:
        raise AssertionError(f"the page did not settle: {page.evaluate(DOING_JS)}") from error


def settled(page: Page, act: Callable[[], object]) -> None:
    """Do ``act`` (a click, a key), then wait until the server has finished the script run it
    started and the page has drawn it. ``act`` must be something that runs the page's script."""
    with page.streamlit_socket.expect_event("framereceived", run_finished, timeout=90_000):
        act()
    still(page)


def eventually(check: Callable[[], object], page: Page, timeout: float = 15.0) -> None:
    """Run ``check`` until it passes, as Playwright's expect() retries, or raise its last
    AssertionError after ``timeout`` seconds: for what a component's frame draws a moment after
    the page has finished its run."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            check()
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(100)


def first_result(page: Page, url: str) -> None:
    """Open ``url`` and wait until its first result (a download button) is drawn and still."""
    page.goto(url)
    page.get_by_role("button", name=re.compile("^Download PNG")).wait_for()
    still(page)


@contextmanager
def opened_page(
    browser: Browser, url: str, width: int = 1280, height: int = 720, **options
) -> Iterator[Page]:
    """The page in a fresh browser context, once its first result is drawn; closed after."""
    page = new_visitor(browser, width, height, **options)
    try:
        first_result(page, url)
        yield page
    finally:
        page.context.close()


def png_button(page: Page, k: int, width: int, height: int) -> Locator:
    """The download button of the result for K colours of a width × height photo."""
    return page.get_by_role("button", name=png_button_name(k, width, height))


def k_preset(page: Page, k: int) -> Locator:
    """The preset button for ``k`` in the K control (a radio in a segmented control)."""
    return page.get_by_role("radiogroup", name="Colours (K)").get_by_role(
        "radio", name=str(k), exact=True
    )


def set_exact_k(page: Page, k: int) -> None:
    """Type a K into the exact-K box, as a visitor with a keyboard would."""
    box = page.get_by_label("Exact K", exact=True)
    box.fill(str(k))
    box.press("Enter")


def exact_k(page: Page) -> int:
    return int(page.get_by_label("Exact K", exact=True).input_value())


def choose_file(page: Page, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    """Pick a file in the uploader, straight from memory: no copy of it lands on disk."""
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """Save what the visitor sees now to test-artifacts/``name``.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def screenshot_whole_page(page: Page, name: str) -> Path:
    """The whole page at the same width; Streamlit scrolls inside stMain, so grow the viewport."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    still(page)
    path = screenshot(page, name)
    page.set_viewport_size(size)
    return path


# ------------------------------------------------------------ images the tests build and read


# Eight flat 16×16 blocks, two rows of four: few colours (so GIF holds them exactly) and edges
# on the 8×8 grid of JPEG, so lossy formats stay close.
BLOCK_PALETTE = np.array(
    [
        [255, 0, 0],
        [0, 200, 0],
        [0, 0, 255],
        [255, 255, 0],
        [0, 0, 0],
        [255, 255, 255],
        [128, 64, 32],
        [40, 160, 200],
    ],
    dtype=np.uint8,
)


def shadow_alpha(size: int, box: tuple[int, ...], blur: float, darkest: int) -> np.ndarray:
    """A soft drop shadow's alpha: a rounded ``box`` Gaussian-blurred, darkest at ``darkest``."""
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle(box, 12, fill=255)
    blurred = np.asarray(mask.filter(ImageFilter.GaussianBlur(blur)), dtype=np.float64)
    return np.rint(blurred * darkest / 255).astype(np.uint8)


#: A logo's flat colours, one band each, so that at K=16 the shadow keeps only about 11 levels.
LOGO_COLOURS = [(230, 120, 20), (20, 90, 200), (240, 200, 30), (200, 30, 60), (30, 160, 80)]


def banded_shadow_logo(size: int = 160) -> np.ndarray:
    """A five-colour flat logo over a Gaussian-blurred black shadow of alpha 0..156."""
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[:, :, 3] = np.roll(shadow_alpha(size, (40, 40, 110, 110), 14, 156), 12, axis=(0, 1))
    for band, colour in enumerate(LOGO_COLOURS):
        rgba[30 + 12 * band : 42 + 12 * band, 30:90] = (*colour, 255)
    return rgba


BLOCK_INDICES = np.kron(np.arange(8).reshape(2, 4), np.ones((16, 16), dtype=int)).astype(np.uint8)


def saved_as(image: Image.Image, image_format: str, **options) -> bytes:
    """The bytes of ``image`` saved by Pillow in ``image_format``, as a user's file holds it."""
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def heic(samples: np.ndarray, *, orientation: int = 1, mode: str = "", quality: int = 90) -> bytes:
    """A HEIC file of the (H, W, C) samples as stored pixels, written with pillow-heif.

    A phone stores the sensor's pixels with irot/imir boxes saying how to turn them upright and
    an EXIF orientation tag saying the same; libheif writes both for ``orientation`` != 1.
    """
    import pillow_heif  # only the HEIC cases need it

    height, width = samples.shape[:2]
    mode = mode or {3: "RGB", 4: "RGBA"}[samples.shape[2]]
    container = pillow_heif.from_bytes(mode, (width, height), samples.tobytes())
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    container.save(buffer, quality=quality, exif=exif.tobytes())
    return buffer.getvalue()


def heic_box(data: bytes, kind: bytes) -> int:
    """Offset of the body of the first box of this kind (its 4-byte size and type before it)."""
    return data.index(kind) + 4


def palette_image(indices: np.ndarray, palette: np.ndarray) -> Image.Image:
    image = Image.fromarray(indices.astype(np.uint8))
    image.putpalette(palette.astype(np.uint8).tobytes())
    return image


def assert_one_plain_sentence(message: str) -> None:
    assert message.endswith(".")
    assert "\n" not in message
    assert "Traceback" not in message
    assert ". " not in message.rstrip(".")  # one sentence, not two


# What a viewer shows for each EXIF orientation, from the stored (H, W, 3) pixels S.
UPRIGHT = {
    1: lambda S: S,
    2: lambda S: S[:, ::-1],
    3: lambda S: S[::-1, ::-1],
    4: lambda S: S[::-1],
    5: lambda S: S.transpose(1, 0, 2),
    6: lambda S: np.rot90(S, k=-1),
    7: lambda S: np.rot90(S, k=2).transpose(1, 0, 2),
    8: lambda S: np.rot90(S, k=1),
}


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width × height RGB pixels but holds almost no image data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


# ------------------------------------------------------------ the command line, run as a user would


def run_cli(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kmeans`` with the repository importable, as a user would from its root."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kmeans", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def json_reports(stdout: str) -> list[dict]:
    """Every stdout line parsed as strict JSON: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not valid JSON")

    return [json.loads(line, parse_constant=refuse) for line in stdout.splitlines()]


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    """Chunk type → body, read from the file's bytes by hand."""
    chunks, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        chunks.setdefault(kind, data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return chunks

"""Fixtures shared by the page's tests: the app under AppTest, the real server, a browser."""

from __future__ import annotations

import functools
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "assets" / "samples"
#: The sample photos, in name order.
SAMPLE_PHOTOS = sorted(SAMPLES.glob("*.png"))
#: The page's server settings.
CONFIG = ROOT / ".streamlit" / "config.toml"
#: A file name that is HTML and Markdown, to check the page shows names as plain text only.
HOSTILE_NAME = "<img src=x onerror=alert(1)>**bold**.png"
ARTIFACTS = ROOT / "test-artifacts"
#: Debian's Chromium, where `apt-get install -y chromium` puts it.
CHROMIUM = Path("/usr/bin/chromium")
#: Matches once Streamlit has finished running the page's script.
PAGE_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@functools.cache
def sample_rgb(name: str) -> np.ndarray:
    """The sample ``name`` (a file in assets/samples) as a read-only (H, W, 3) uint8 RGB array."""
    with Image.open(SAMPLES / name) as image:
        rgb = np.asarray(image.convert("RGB"))
    rgb.setflags(write=False)
    return rgb


def read_config() -> dict:
    """.streamlit/config.toml, parsed."""
    return tomllib.loads(CONFIG.read_text())


def png_button_name(k: int, width: int, height: int) -> str:
    """The page's download button for the result with K colours of a width × height photo."""
    return f"Download PNG: {k} colours, {width:,} × {height:,}"


@pytest.fixture
def downloads(monkeypatch):
    """Read what a download button would hand the visitor, in an AppTest run.

    AppTest keeps media files in a MemoryMediaFileStorage it creates per run and then drops;
    this records each one so a test can open the file behind a button's URL.
    """
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test

    storages: list[MemoryMediaFileStorage] = []

    class RecordedStorage(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            storages.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", RecordedStorage)

    def file_behind(element):
        """(file name, bytes) of a download button, or of an image URL, from the latest run."""
        url = element if isinstance(element, str) else element.proto.url
        stored = storages[-1].get_file(url.rsplit("/", 1)[-1])
        return stored.filename, stored.content

    return file_behind


@pytest.fixture(scope="session")
def photo_4mp(tmp_path_factory) -> Path:
    """A 4-megapixel JPEG, as a phone would send: the coffee sample upscaled with Lanczos."""
    path = tmp_path_factory.mktemp("photos") / "holiday photo.jpg"
    path.write_bytes(jpeg_bytes("coffee.png", (2309, 1732)))
    return path


def jpeg_bytes(sample: str, size: tuple[int, int] | None = None) -> bytes:
    """A sample photo re-saved as a JPEG, the commonest upload, resized to ``size`` if given."""
    buffer = io.BytesIO()
    with Image.open(SAMPLES / sample) as image:
        photo = image.convert("RGB")
        if size is not None:
            photo = photo.resize(size, Image.Resampling.LANCZOS)
        photo.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode} before serving")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within {timeout} s")


def start_streamlit(port: int, log) -> subprocess.Popen:
    """`streamlit run streamlit_app.py`, headless on 127.0.0.1:``port``, its output to ``log``."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_streamlit(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="session")
def app_url(artifacts):
    """The real page, served by `streamlit run` on a free port for the whole session."""
    port = free_port()
    with (artifacts / "streamlit-server.log").open("wb") as log:
        server = start_streamlit(port, log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, server)
            yield url
        finally:
            stop_streamlit(server)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skipped when absent, unless CI requires it."""
    executable = CHROMIUM
    if not executable.exists():
        found = shutil.which("chromium")
        executable = Path(found) if found else None
    if executable is None:
        reason = "no Chromium browser: install Debian's chromium to run the browser tests"
        if os.environ.get("KMEANS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (KMEANS_REQUIRE_BROWSER=1 makes them required)")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh visitor: their own browser context, on a 1366-wide laptop screen."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

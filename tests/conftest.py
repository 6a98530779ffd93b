"""Fixtures shared by the page's tests: the app under AppTest, the real server, a browser."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    jpeg_bytes,
    new_visitor,
    served,
)


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


@dataclass(frozen=True)
class Server:
    """The page's real server: where it answers, its process id, and its own TMPDIR."""

    url: str
    pid: int
    temp_dir: Path


@pytest.fixture(scope="session")
def streamlit_server(artifacts, tmp_path_factory) -> Server:
    """The real page, served by `streamlit run` on a free port for the whole session.

    Its temporary files go to a folder of its own, so a test can read everything it wrote.
    """
    temp_dir = tmp_path_factory.mktemp("server-tmp")
    with served(artifacts / "streamlit-server.log", temp_dir) as (url, server):
        yield Server(url, server.pid, temp_dir)


@pytest.fixture(scope="session")
def app_url(streamlit_server) -> str:
    """The real page's address."""
    return streamlit_server.url


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
    page = new_visitor(browser, 1366, 900)
    yield page
    page.context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

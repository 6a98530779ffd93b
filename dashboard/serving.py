"""How to serve the page and drive it headless: for the tests, the page benchmarks and a class.

The tests, ``bench/`` and the deployment checks all start the real server the same way, and
open it in the same headless Chromium, so that code lives here once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
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


def free_port() -> int:
    """A TCP port nobody listens on now, for a server of our own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    """Until Streamlit's health endpoint answers 'ok'; fails early if the server exits."""
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


def start_streamlit(
    port: int,
    log: IO[bytes],
    temp_dir: Path | None = None,
    cwd: Path = ROOT,
    script: str | Path = "streamlit_app.py",
) -> subprocess.Popen:
    """`streamlit run streamlit_app.py`, headless on 127.0.0.1:``port``, its output to ``log``.

    With ``temp_dir``, the server's temporary files (TMPDIR) go there and nowhere else, so a
    test can look for what the server wrote without scanning every other process's files.
    ``cwd`` is the tree whose page is served: another checkout lets a benchmark compare two.
    ``script`` is the page to serve (a test's own small page, say), relative to ``cwd``.
    """
    env = None if temp_dir is None else {**os.environ, "TMPDIR": str(temp_dir)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
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
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_streamlit(server: subprocess.Popen) -> None:
    """Terminate the server, and kill it if it has not gone within 10 s."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()

"""How to serve the page and drive it headless: for the tests, the page benchmarks and a class.

The tests, ``bench/`` and the deployment checks all start the real server the same way, and
open it in the same headless Chromium, so that code lives here once.

For a class, ``deploy/serve.sh`` is the one-server command and ``deploy/nginx-site.conf`` the
proxy in front of several of them; :func:`start_replica` and :func:`start_nginx` run exactly
those, and ``python -m dashboard.serving nginx-site ADDRESS...`` writes the proxy's site for a
server's own replicas.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
#: The one-server command: ``deploy/serve.sh [PORT] [ADDRESS]``.
SERVE = DEPLOY / "serve.sh"
NGINX_SITE = DEPLOY / "nginx-site.conf"
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


@contextmanager
def served(
    log_path: Path,
    temp_dir: Path | None = None,
    cwd: Path = ROOT,
    script: str | Path = "streamlit_app.py",
) -> Iterator[tuple[str, subprocess.Popen]]:
    """The page served by ``streamlit run`` on a free port until the block ends: its URL and
    process, once healthy. The server's output goes to ``log_path``."""
    port = free_port()
    with Path(log_path).open("wb") as log:
        server = start_streamlit(port, log, temp_dir, cwd, script)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(url, server)
            yield url, server
        finally:
            stop_streamlit(server)


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


def start_replica(port: int, log: IO[bytes], cookie_secret: str | None = None) -> subprocess.Popen:
    """``deploy/serve.sh port`` with this Python first on PATH, as a class's server runs it.

    ``cookie_secret`` is what every replica behind one nginx must share; the script execs
    Streamlit, so the returned process is the server itself.
    """
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if cookie_secret is not None:
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = cookie_secret
    return subprocess.Popen(
        [str(SERVE), str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def max_upload_mb() -> int:
    """Streamlit's ``server.maxUploadSize`` for the page: the MB an upload may have."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    return config.get("server", {}).get("maxUploadSize", 200)


def nginx_site(listen: str, replicas: list[str], access_log: str) -> str:
    """``deploy/nginx-site.conf`` filled in for these replica addresses ("host:port").

    Replica ``n`` (from 1) is the cookie value ``n`` and the upstream ``kmeans_n``: that
    replica first, the others as its backups.
    """
    if len(set(replicas)) != len(replicas) or not replicas:
        raise ValueError("name each replica's address once")
    numbered = list(enumerate(replicas, start=1))
    upstreams = []
    for n, address in numbered:
        backups = "".join(f"    server {other} backup;\n" for other in replicas if other != address)
        upstreams.append(
            f"upstream kmeans_{n} {{\n    zone kmeans_{n} 64k;\n    server {address};\n{backups}}}"
        )
    filled = {
        "@COOKIE_TO_UPSTREAM@": "\n".join(f"    {n} kmeans_{n};" for n, _ in numbered),
        "@ADDRESS_TO_REPLICA@": "\n".join(
            f'    "~(^|, ){re.escape(address)}$" {n};' for n, address in numbered
        ),
        "@EVERY_REPLICA@": "\n".join(f"    server {address};" for address in replicas),
        "@ONE_UPSTREAM_PER_REPLICA@": "\n\n".join(upstreams),
        "@LISTEN@": listen,
        "@ACCESS_LOG@": access_log,
        "@MAX_UPLOAD_MB@": str(max_upload_mb()),
    }
    site = NGINX_SITE.read_text()
    for placeholder, text in filled.items():
        site = site.replace(placeholder, text)
    return site


def nginx_executable() -> Path | None:
    """Debian's nginx (``apt-get install -y nginx``), or None where it is not installed."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    return Path(found) if found else None


def nginx_config(site: str, prefix: Path) -> Path:
    """A main nginx.conf around ``site`` that keeps every file nginx writes under ``prefix``.

    It stays in the foreground (``daemon off``), logs errors to ``prefix/error.log`` and keeps
    request and response bodies it would spool to disk in ``prefix/client_body`` and
    ``prefix/proxy``; ``site`` is included as Debian's nginx.conf includes conf.d. Its workers
    run as the user who starts it (root would otherwise hand them to ``nobody``), so they can
    write there.
    """
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "site.conf").write_text(site)
    temp_paths = "".join(
        f"    {kind}_temp_path {prefix / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = prefix / "nginx.conf"
    config.write_text(
        f"daemon off;\nuser {getpass.getuser()};\nworker_processes 1;\n"
        f"pid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events { worker_connections 512; }\n"
        f"http {{\n{temp_paths}    include {prefix / 'site.conf'};\n}}\n"
    )
    return config


def start_nginx(site: str, prefix: Path, log: IO[bytes]) -> subprocess.Popen:
    """nginx serving ``site`` in the foreground, every file it writes under ``prefix``."""
    executable = nginx_executable()
    if executable is None:
        raise RuntimeError("nginx is not installed: apt-get install -y nginx")
    config = nginx_config(site, prefix)
    return subprocess.Popen(
        [str(executable), "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m dashboard.serving nginx-site``: print the proxy's site for these replicas."""
    parser = argparse.ArgumentParser(prog="python -m dashboard.serving")
    commands = parser.add_subparsers(dest="command", required=True)
    site = commands.add_parser("nginx-site", help="the nginx site for these replicas")
    site.add_argument("replicas", nargs="+", metavar="HOST:PORT", help="each replica's address")
    site.add_argument("--listen", default="80", help="nginx's listen (default 80)")
    site.add_argument(
        "--access-log",
        default="/var/log/nginx/kmeans-quantiser.log",
        help="where nginx logs each request with the replica that answered it",
    )
    options = parser.parse_args(argv)
    print(nginx_site(options.listen, options.replicas, options.access_log), end="")


if __name__ == "__main__":
    main()

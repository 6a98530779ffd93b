"""The page online for a class (issue 22, sections 2 and 3), with the recipe in deploy/.

One server: ``deploy/serve.sh`` is run exactly as the systemd unit runs it, and
``deploy/healthcheck.sh`` must tell a serving page from a missing one (the unit's start waits
on it); the unit must pass ``systemd-analyze verify``. systemd cannot run as this machine's
first process, so the restart policy is verified, not exercised.

Several replicas: two started by the recipe behind Debian's nginx with the site from
``deploy/nginx-site.conf``, opened by a real Chromium at a hostname and port of its own, as a
class opens a school's server. nginx's access log names the replica that answered each
request, and each visitor's browser is told apart there by its user agent. The last test
kills the replica a visitor is on while their photo is being worked on.

A container: ``deploy/Containerfile`` built with podman and serving the page to Chromium. No
container registry answers here, so its Debian 12 base is made with debootstrap from Debian's
own packages, and pip installs the same pinned wheels from a folder the host's pip downloaded.
It takes minutes, so it runs only with KMEANS_CONTAINER_TEST=1 (CI sets it).

nginx, curl, systemd-analyze, podman, runc and debootstrap are installed by CI; without them
these tests are skipped, unless KMEANS_REQUIRE_BROWSER=1 makes them required.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEPLOY,
    PAGE_IDLE,
    ROOT,
    free_port,
    max_upload_mb,
    nginx_config,
    nginx_site,
    start_nginx,
    start_replica,
    stop_streamlit,
    wait_until_healthy,
)
from tests.helpers import png_button_name

UNIT = DEPLOY / "kmeans-quantiser@.service"
#: Where the unit expects the checkout; the tests put this one in its place.
INSTALLED_AT = "/opt/kmeans-quantiser"


def required_tool(name: str) -> str:
    """The path of a tool CI installs; skipped when absent, unless KMEANS_REQUIRE_BROWSER=1."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        reason = f"no {name}: install Debian's package to run the deployment tests"
        if os.environ.get("KMEANS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (KMEANS_REQUIRE_BROWSER=1 makes them required)")
        pytest.skip(reason)
    return found


def health_check(port: int, seconds: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEPLOY / "healthcheck.sh"), str(port), str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )


def test_the_recipe_serves_the_page_and_stops_cleanly(artifacts):
    required_tool("curl")
    port = free_port()
    with (artifacts / "deploy-serve.log").open("wb") as log:
        server = start_replica(port, log)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", server)
            assert health_check(port, 10).returncode == 0
            # The script execs Streamlit, so the process systemd watches and signals is the
            # server, and it runs with the recipe's memory setting.
            assert b"streamlit_app.py" in Path(f"/proc/{server.pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
            assert b"MALLOC_ARENA_MAX=2" in environ
        finally:
            server.send_signal(signal.SIGTERM)
            returncode = server.wait(timeout=30)
    # `systemctl stop` sends SIGTERM: a clean exit, so Restart=on-failure leaves it stopped.
    assert returncode == 0


def test_the_health_check_fails_when_no_page_answers():
    required_tool("curl")
    checked = health_check(free_port(), 2)
    assert checked.returncode == 1
    assert "did not answer /_stcore/health" in checked.stderr


def test_the_systemd_unit_verifies(tmp_path):
    analyze = required_tool("systemd-analyze")
    # The unit names /opt/kmeans-quantiser; here the checkout under test stands in for it, so
    # verify also checks that its commands exist and are executable.
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(INSTALLED_AT, str(ROOT)))
    verified = subprocess.run(
        [analyze, "verify", "kmeans-quantiser@8501.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


# ------------------------------------------------------------------ replicas behind nginx

#: The name the class's browsers open the page by; Chromium resolves it to this machine.
HOSTNAME = "kmeans.test"
LOST_PHOTO = "Your photo was lost when the page reconnected to the server: upload it again."
LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) "(?P<agent>[^"]*)" '
    r"cookie=(?P<cookie>\S*) upstream=(?P<upstream>.*)$"
)


@dataclass(frozen=True)
class Request:
    """One line of nginx's access log."""

    method: str
    path: str
    status: int
    agent: str
    cookie: str  # the replica the visitor's cookie named, "" for a newcomer
    answered_by: str  # the address of the replica that answered: the last one nginx tried


@dataclass
class Proxy:
    """Two replicas behind nginx. Replica n (from 1) is the cookie value n."""

    url: str
    port: int
    ports: list[int]
    servers: list[subprocess.Popen]
    secret: str
    prefix: Path
    log: Path

    def address(self, replica: str) -> str:
        return f"127.0.0.1:{self.ports[int(replica) - 1]}"

    def requests(self, agent_end: str) -> list[Request]:
        """Every request so far from the browser whose user agent ends with ``agent_end``."""
        found = []
        for line in (self.prefix / "access.log").read_text().splitlines():
            fields = LOG_LINE.search(line)
            if fields and fields["agent"].endswith(agent_end):
                answered_by = fields["upstream"].split(", ")[-1]
                found.append(
                    Request(
                        fields["method"],
                        fields["path"],
                        int(fields["status"]),
                        fields["agent"],
                        fields["cookie"].replace("-", ""),  # nginx logs an empty value as -
                        answered_by,
                    )
                )
        return found

    def requests_once_logged(self, agent_end: str, path: str, timeout: float = 30) -> list:
        """:meth:`requests`, once a request for ``path`` is among them (logged as it ends)."""
        deadline = time.monotonic() + timeout
        while not any(r.path == path for r in self.requests(agent_end)):
            assert time.monotonic() < deadline, f"nginx logged no request for {path}"
            time.sleep(0.1)
        return self.requests(agent_end)

    def kill(self, replica: str) -> None:
        server = self.servers[int(replica) - 1]
        server.send_signal(signal.SIGKILL)
        server.wait()

    def restart(self, replica: str) -> None:
        """Start a killed replica again on its port, as systemd's Restart=on-failure would."""
        n = int(replica) - 1
        with self.log.open("ab") as log:
            self.servers[n] = start_replica(self.ports[n], log, self.secret)
        wait_until_healthy(f"http://{self.address(replica)}", self.servers[n])


@pytest.fixture(scope="module")
def proxy(artifacts, tmp_path_factory) -> Proxy:
    """Two replicas started by deploy/serve.sh with one cookie secret, behind nginx."""
    required_tool("nginx")
    ports, port = [free_port(), free_port()], free_port()
    prefix = tmp_path_factory.mktemp("nginx")
    secret = secrets.token_hex(32)
    log = artifacts / "deploy-replicas.log"
    with log.open("wb") as replica_log, (artifacts / "deploy-nginx.log").open("wb") as nginx_log:
        servers = [start_replica(p, replica_log, secret) for p in ports]
        site = nginx_site(
            f"127.0.0.1:{port}", [f"127.0.0.1:{p}" for p in ports], str(prefix / "access.log")
        )
        nginx = start_nginx(site, prefix, nginx_log)
        proxy = Proxy(f"http://{HOSTNAME}:{port}", port, ports, servers, secret, prefix, log)
        try:
            for replica, server in zip("12", servers, strict=True):
                wait_until_healthy(f"http://{proxy.address(replica)}", server)
            wait_until_healthy(f"http://127.0.0.1:{port}", nginx)
            yield proxy
        finally:
            nginx.terminate()
            nginx.wait(timeout=30)
            for server in proxy.servers:
                if server.poll() is None:
                    stop_streamlit(server)


@pytest.fixture(scope="module")
def class_browser(browser):
    """Chromium that resolves HOSTNAME to this machine (``browser`` skips when it is absent).

    A page opened by a name and a port other than 80 is what catches a proxy that drops the
    port from the Host header: Streamlit's websocket then sees a cross-origin page.
    """
    executable = CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium"))
    chromium = browser.browser_type.launch(
        executable_path=str(executable),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOSTNAME} 127.0.0.1"],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def visitors(class_browser):
    """Open a visitor's own browser context, told apart in nginx's log by its user agent."""
    contexts = []
    probe = class_browser.new_page()
    agent = probe.evaluate("navigator.userAgent")
    probe.close()

    def visitor(name: str):
        context = class_browser.new_context(
            viewport={"width": 1366, "height": 900}, user_agent=f"{agent} {name}"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(90_000)
        expect.set_options(timeout=90_000)
        return page

    yield visitor
    expect.set_options(timeout=5_000)  # Playwright's default, for the other modules' tests
    for context in contexts:
        context.close()


def replica_of(page) -> str:
    """The replica the visitor's cookie names."""
    return {c["name"]: c["value"] for c in page.context.cookies()}["kmeans_replica"]


def result_button(page, k: int, width: int, height: int):
    return page.get_by_role("button", name=png_button_name(k, width, height))


def type_k(page, k: int) -> None:
    box = page.get_by_label("Exact K", exact=True)
    box.fill(str(k))
    box.press("Enter")


def until_drawn(page) -> None:
    """Until the script has finished and every image on the page has loaded."""
    page.wait_for_selector(PAGE_IDLE)
    page.wait_for_function(
        "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"
    )


def test_the_site_the_readme_makes_is_valid_for_replicas_on_other_machines(tmp_path):
    nginx = required_tool("nginx")
    replicas = ["192.0.2.10:8501", "192.0.2.11:8501", "192.0.2.12:8502"]  # never contacted
    made = subprocess.run(
        [sys.executable, "-m", "dashboard.serving", "nginx-site", *replicas, "--listen", "8080"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    site = made.stdout.replace("/var/log/nginx/", f"{tmp_path}/")
    config = nginx_config(site, tmp_path)
    tested = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tested.returncode == 0, tested.stderr
    # Each replica's own upstream has every other replica as its backup.
    for n, address in enumerate(replicas, start=1):
        upstream = site.split(f"upstream kmeans_{n} {{")[1].split("}")[0]
        assert f"server {address};" in upstream
        assert all(f"server {other} backup;" in upstream for other in replicas if other != address)


def test_nginx_passes_every_upload_streamlit_accepts_and_no_larger(proxy):
    """Streamlit refuses an upload request over server.maxUploadSize MiB by its length."""
    limit = max_upload_mb() * 1024 * 1024

    def answer_to_upload_of(length: int) -> tuple[int, str]:
        # Only the headers are sent: both nginx and Streamlit answer before reading a body.
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=60)
        connection.putrequest("PUT", "/_stcore/upload_file/some-session/some-file")
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        response = connection.getresponse()
        answer = response.status, response.read().decode()
        connection.close()
        return answer

    # At the limit, the request reaches Streamlit, which wants the page's XSRF token first.
    assert answer_to_upload_of(limit) == (403, "XSRF token missing or invalid")
    status, body = answer_to_upload_of(limit + 1)
    assert (status, "nginx" in body) == (413, True)


def test_a_visitor_uploads_and_changes_k_all_on_one_replica(proxy, visitors, photo_4mp):
    page = visitors("visitor-a")
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket))
    page.goto(proxy.url)
    expect(result_button(page, 16, 512, 512)).to_be_visible()
    # The replica read the checkout's .streamlit/config.toml (Streamlit's own default is 200).
    page.get_by_role("button", name="Help for Your own photo").hover()  # the box's limits
    expect(page.get_by_text(f"up to {max_upload_mb()} MB per file", exact=False)).to_be_visible()

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(photo_4mp)
    expect(result_button(page, 16, 2309, 1732)).to_be_visible()
    type_k(page, 17)
    expect(result_button(page, 17, 2309, 1732)).to_be_visible()
    until_drawn(page)
    with page.expect_download() as download:
        result_button(page, 17, 2309, 1732).click()
    assert Path(download.value.path()).stat().st_size > 100_000
    page.screenshot(path=ROOT / "test-artifacts" / "deploy-through-nginx.png")

    # The websocket was upgraded through nginx, and stayed open.
    assert [s.url for s in sockets] == [f"ws://{HOSTNAME}:{proxy.port}/_stcore/stream"]
    assert not sockets[0].is_closed()
    replica = replica_of(page)
    page.context.close()  # nginx logs the websocket's request once it has closed
    requests = proxy.requests_once_logged("visitor-a", "/_stcore/stream")
    assert ("GET", "/_stcore/stream", 101) in [(r.method, r.path, r.status) for r in requests]
    assert {r.answered_by for r in requests} == {proxy.address(replica)}
    assert {r.cookie for r in requests} == {"", replica}  # "": the first request, a newcomer
    # The upload was not refused for its XSRF token, and nginx kept none of it on disk.
    assert [r.status for r in requests if r.method == "PUT"] == [204]
    assert "buffered to a temporary file" not in (proxy.prefix / "error.log").read_text()


def test_two_visitors_land_on_different_replicas(proxy, visitors):
    first, second = visitors("visitor-b1"), visitors("visitor-b2")
    for page in (first, second):
        page.goto(proxy.url)
        expect(result_button(page, 16, 512, 512)).to_be_visible()
    # A newcomer goes to the replica with fewer open connections: each open page holds one.
    assert replica_of(first) != replica_of(second)
    for page, name in ((first, "visitor-b1"), (second, "visitor-b2")):
        answered = {r.answered_by for r in proxy.requests(name)}
        assert answered == {proxy.address(replica_of(page))}


def test_a_replica_killed_mid_run_tells_the_visitor_and_a_retry_works(
    proxy, visitors, photo_4mp, artifacts
):
    page = visitors("visitor-c")
    page.goto(proxy.url)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(photo_4mp)
    expect(result_button(page, 16, 2309, 1732)).to_be_visible()
    killed = replica_of(page)

    type_k(page, 100)
    expect(page.get_by_test_id("stProgress")).to_be_visible()  # their photo is being worked on
    proxy.kill(killed)
    page.screenshot(path=artifacts / "deploy-replica-killed.png")

    # The page reconnects to the other replica by itself and says, in one sentence, what
    # happened and what to do; it claims no result for the photo it no longer has.
    expect(page.get_by_text(LOST_PHOTO)).to_be_visible()  # where the photo was
    page.wait_for_selector(PAGE_IDLE)
    page.screenshot(path=artifacts / "deploy-after-failover.png")
    expect(page.get_by_text("Sample: astronaut.png")).to_be_visible()
    expect(result_button(page, 100, 2309, 1732)).to_have_count(0)
    survivor = replica_of(page)
    assert survivor != killed

    # Retry: the visitor picks the same photo again in the file dialog.
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").click()
    chooser.value.set_files(photo_4mp)
    expect(result_button(page, 100, 2309, 1732)).to_be_visible()
    expect(page.get_by_text(LOST_PHOTO)).to_have_count(0)

    # Their replica comes back; they stay on the one that has their session and photo now.
    proxy.restart(killed)
    retried = len(proxy.requests("visitor-c"))
    type_k(page, 24)
    expect(result_button(page, 24, 2309, 1732)).to_be_visible()
    until_drawn(page)
    page.screenshot(path=artifacts / "deploy-retried.png")
    after = proxy.requests("visitor-c")[retried:]
    assert after
    assert {r.answered_by for r in after} == {proxy.address(survivor)}
    assert 403 not in {r.status for r in proxy.requests("visitor-c")}  # no XSRF refusal


# ------------------------------------------------------------------ the container

IMAGE = "localhost/kmeans-quantiser-test"
DEBIAN_BASE = "localhost/kmeans-debian-minbase:bookworm"


def container_limits() -> list[str]:
    """podman's options for this machine: runc (crun refuses its mix of cgroup versions), and
    limits a container here may set: this process's own open files, fewer processes."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
    return [
        "--runtime",
        "runc",
        "--ulimit",
        f"nofile={nofile[0]}:{nofile[1]}",
        "--ulimit",
        "nproc=4096:4096",
    ]


def debian_base(podman: str, workdir: Path) -> str:
    """Debian 12's minimal system as a local image, made from Debian's packages, once."""
    if subprocess.run([podman, "image", "exists", DEBIAN_BASE]).returncode != 0:
        debootstrap = required_tool("debootstrap")
        root = workdir / "rootfs"
        subprocess.run(
            [
                debootstrap,
                "--variant=minbase",
                "bookworm",
                str(root),
                "http://deb.debian.org/debian",
            ],
            check=True,
            capture_output=True,
            timeout=1800,
        )
        with subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE) as tar:
            subprocess.run(
                [podman, "import", "-", DEBIAN_BASE], stdin=tar.stdout, check=True, timeout=600
            )
    return DEBIAN_BASE


@pytest.mark.skipif(
    os.environ.get("KMEANS_CONTAINER_TEST") != "1",
    reason="builds an image for minutes: KMEANS_CONTAINER_TEST=1 runs it (CI does)",
)
def test_the_container_builds_and_serves_the_page(browser, tmp_path, artifacts):
    podman = required_tool("podman")
    required_tool("runc")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-r", "requirements.txt", "-d", wheels],
        cwd=ROOT,
        check=True,
        timeout=1800,
    )
    with (artifacts / "container.log").open("wb") as log:
        subprocess.run(
            [
                *(podman, "build", *container_limits(), "--format", "docker", "--network", "host"),
                *("--build-arg", f"BASE={debian_base(podman, tmp_path)}"),
                *("--build-arg", "PIP_OPTIONS=--no-index --find-links /wheels"),
                *("--volume", f"{wheels}:/wheels:ro", "--tag", IMAGE),
                *("--file", "deploy/Containerfile", "."),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=1800,
        )
        port, name = free_port(), f"kmeans-test-{os.getpid()}"
        server = subprocess.Popen(
            [
                *(podman, "run", "--rm", *container_limits(), "--name", name),
                *("--publish", f"127.0.0.1:{port}:8501", IMAGE),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", server, timeout=180)
            # The image's own HEALTHCHECK passes, and the page does not run as root.
            assert subprocess.run([podman, "healthcheck", "run", name]).returncode == 0
            user = subprocess.run(
                [podman, "exec", name, "id", "-un"], capture_output=True, text=True, check=True
            )
            assert user.stdout.strip() == "kmeans"
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}")
            try:
                try:
                    expect(result_button(page, 16, 512, 512)).to_be_visible(timeout=90_000)
                except AssertionError:
                    # Twice in fresh-clone CI runs the first load stayed a blank page for the
                    # whole wait while the container was healthy and logged no error; the cause
                    # is not found (the same page outside the container never did this). The
                    # page must come on a second load, or the test fails.
                    print("Blank after 90 s; the page said:", page.locator("body").inner_text())
                    page.reload()
                    expect(result_button(page, 16, 512, 512)).to_be_visible(timeout=120_000)
            finally:
                page.screenshot(path=artifacts / "container.png")
                # CI keeps only what pytest prints: what the page said and the server logged.
                print("The page said:", page.locator("body").inner_text()[:3000])
                log.flush()
                print("The container logged:", (artifacts / "container.log").read_text()[-3000:])
            page.close()
        finally:
            subprocess.run([podman, "rm", "--force", name], capture_output=True, timeout=120)
            server.wait(timeout=120)

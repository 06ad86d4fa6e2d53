"""Fixtures for opening the built book in headless Chromium, offline.

* ``site_dir``: ``_build/html``. With ``PUMPBILL_BUILD_BOOK=1`` the book is
  built first (``scripts/build-book.sh``, once per session); otherwise the tests
  are skipped if it has not been built.
* ``site_url``: the site served by ``http.server`` on 127.0.0.1 (free port,
  background thread).
* ``visit``: opens a page in a fresh browser context in which every request to a
  non-loopback host is aborted and recorded. ``Visit.check()`` fails the test on
  any such attempt, on an HTTP error from the local server and on an uncaught
  JavaScript error.

Chromium is Debian's (``apt-get install chromium``), driven by Playwright for
Python; ``playwright install`` is neither needed nor possible here. Override the
binary with ``PUMPBILL_CHROMIUM``. Set ``PUMPBILL_SCREENSHOT_DIR`` to save a
full-page screenshot of every page visited.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("PUMPBILL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: opens the built book in headless Chromium")


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if os.environ.get("PUMPBILL_BUILD_BOOK") == "1":
        subprocess.run(["bash", str(ROOT / "scripts" / "build-book.sh")], cwd=ROOT, check=True)
    if not (SITE_DIR / "index.html").is_file():
        if os.environ.get("PUMPBILL_REQUIRE_SITE") == "1":  # scripts/test.sh: a missing site is a failure
            pytest.fail(f"{SITE_DIR} does not exist although PUMPBILL_REQUIRE_SITE=1")
        pytest.skip(
            f"{SITE_DIR.relative_to(ROOT)} does not exist: build the book first "
            "(scripts/build-book.sh) or set PUMPBILL_BUILD_BOOK=1"
        )
    return SITE_DIR


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _serving(handler) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port for the length of a with-block; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def serving():
    """The loopback server of the site fixtures, for tests that serve a folder or handler of their own."""
    return _serving


@pytest.fixture(scope="session")
def site_url(site_dir: Path):
    with _serving(functools.partial(_QuietHandler, directory=str(site_dir))) as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium, site_url: str):
    """Chromium, for tests of the built site (skipped or failed as site_dir says when there is none)."""
    return chromium


@pytest.fixture(scope="session")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One page load, with what it tried to fetch."""

    page: object
    blocked: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    def check_requests(self) -> None:
        """Only the network rule (JupyterLab itself may log unrelated console errors)."""
        assert not self.blocked, f"requests to non-loopback hosts: {self.blocked}"

    def check(self) -> None:
        assert not self.blocked, f"requests to non-loopback hosts: {self.blocked}"
        assert not self.http_errors, f"HTTP errors from the local site: {self.http_errors}"
        assert not self.js_errors, f"uncaught JavaScript errors: {self.js_errors}"


@pytest.fixture
def visit(browser, site_url: str):
    yield from _offline_visit(browser)


@pytest.fixture
def offline_visit(chromium):
    """A page in a context that blocks and records every non-loopback request (no built site needed)."""
    yield from _offline_visit(chromium)


def _offline_visit(browser):
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    record = Visit(page=page)

    def route(route) -> None:
        url = route.request.url
        record.requested.append(url)
        if is_loopback(url):
            route.continue_()
        else:
            record.blocked.append(url)
            route.abort()

    def route_ws(ws) -> None:
        if is_loopback(ws.url):
            ws.connect_to_server()
        else:
            record.blocked.append(ws.url)
            ws.close()

    context.route("**/*", route)
    context.route_web_socket(re.compile(".*"), route_ws)
    page.on("response", lambda r: r.status >= 400 and record.http_errors.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda exc: record.js_errors.append(str(exc)))
    try:
        yield record
    finally:
        context.close()

"""Every page of the built book, opened in headless Chromium with no network.

The page list comes from ``_toc.yml``, so new chapters are covered without
touching this file. Each page must render (a title, no traceback); a page that
embeds widget state must draw every widget, from files the site serves itself.
Any request to a non-loopback host fails the test (see ``conftest.py``).

Build first (``scripts/build-book.sh``) or run with ``PUMPBILL_BUILD_BOOK=1``.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOC = ROOT / "_toc.yml"
SOURCE_SUFFIXES = (".md", ".ipynb", ".rst")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.browser


def _docname(entry: str) -> str:
    for suffix in SOURCE_SUFFIXES:
        if entry.endswith(suffix):
            return entry[: -len(suffix)]
    return entry


def toc_pages(toc_path: Path = TOC) -> list[str]:
    """Docnames of all pages in a jb-book ``_toc.yml``, in order (``url:`` entries skipped)."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    pages = [_docname(toc["root"])]

    def walk(node: dict) -> None:
        if "file" in node:
            pages.append(_docname(node["file"]))
        if "glob" in node:
            matches = sorted(toc_path.parent.glob(node["glob"]))
            pages.extend(
                _docname(p.relative_to(toc_path.parent).as_posix()) for p in matches if p.suffix in SOURCE_SUFFIXES
            )
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key) or []:
                walk(child)

    walk(toc)
    return list(dict.fromkeys(pages))


PAGES = toc_pages()


def test_toc_pages_have_sources() -> None:
    assert len(PAGES) >= 2
    for docname in PAGES:
        sources = [ROOT / f"{docname}{suffix}" for suffix in SOURCE_SUFFIXES]
        assert any(p.is_file() for p in sources), f"{docname} is in _toc.yml but has no source file"


class _RemoteAssets(HTMLParser):
    """Collect src/href attributes that make a browser fetch from another host."""

    FETCHING_LINKS = {"stylesheet", "preload", "modulepreload", "icon", "prefetch", "manifest"}

    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        urls = [a.get("src", ""), a.get("data-jupyter-widgets-cdn", "")]
        if tag == "link" and set(a.get("rel", "").split()) & self.FETCHING_LINKS:
            urls.append(a.get("href", ""))
        for url in urls:
            if url.startswith(("http://", "https://", "//")):
                self.remote.append(f"<{tag}> {url}")


def test_built_html_loads_nothing_remote(site_dir: Path) -> None:
    found = {}
    for html_file in sorted(site_dir.rglob("*.html")):
        parser = _RemoteAssets()
        parser.feed(html_file.read_text(encoding="utf-8"))
        if parser.remote:
            found[html_file.relative_to(site_dir).as_posix()] = parser.remote
    assert not found, f"remote scripts/styles in the built HTML: {found}"


@pytest.mark.parametrize("docname", PAGES)
def test_page_renders_offline(docname: str, site_dir: Path, site_url: str, visit) -> None:
    html_file = site_dir / f"{docname}.html"
    assert html_file.is_file(), f"{docname} is in _toc.yml but {html_file} was not built"
    source = html_file.read_text(encoding="utf-8")
    page = visit.page

    page.goto(site_url + f"{docname}.html", wait_until="load", timeout=TIMEOUT_MS)
    h1 = page.locator("article h1").first
    h1.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert h1.inner_text().strip(), "empty page title"
    assert page.title().strip()

    if WIDGET_STATE in source:
        views = page.locator(f'script[type="{WIDGET_VIEW}"]').count()
        assert views, "widget state but no widget view on the page"
        page.locator(".jupyter-widgets").first.wait_for(state="visible", timeout=TIMEOUT_MS)
        page.wait_for_function(
            "n => document.querySelectorAll('.widget-subarea').length >= n", arg=views, timeout=TIMEOUT_MS
        )

    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    text = page.locator("body").inner_text()
    assert "Traceback" not in text
    assert "Error displaying widget" not in text
    visit.check()

    shots = os.environ.get("PUMPBILL_SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"{docname.replace('/', '__')}.png"), full_page=True)

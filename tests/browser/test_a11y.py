"""axe-core on every page of the built site, in light and in dark mode.

Every ``.html`` under ``_build/html`` except ``lite/`` (JupyterLite's own app)
and ``_static/`` is opened in headless Chromium with no network and checked with
axe-core (``scripts/fetch-web-assets.sh`` fetches it from npm into
``build/web-assets/npm/axe-core/``; it is injected by the test, never served by
the site). A critical or serious violation fails the test; moderate and minor
ones are not gated.

Speed: one context per mode and a few tabs at once (axe runs inside each tab
while Python starts the next), about a minute per mode on two cores. Widget
pages are scanned as the reader first sees them, the static snapshot: the
automatic Python start is switched off through its own setting, so a scan does
not race the live swap.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "build" / "web-assets" / "npm" / "axe-core" / "axe.min.js"
TABS = 3
PAGE_TIMEOUT_S = 60
SEVERE = ("critical", "serious")

pytestmark = pytest.mark.browser

# Runs in the page: wait for the widget snapshots to render, then axe. Stores a
# summary of the critical/serious violations in window.__pbAxe.
RUN_AXE = r"""
(severe) => {
  window.__pbAxe = undefined;
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const start = Date.now();
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  (async () => {
    while (document.querySelectorAll('.widget-subarea').length < views && Date.now() - start < 20000) await sleep(100);
    await sleep(100);
    if (document.fonts && document.fonts.ready) await document.fonts.ready;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    window.__pbAxe = {
      theme: document.documentElement.dataset.theme || '',
      violations: result.violations.filter((v) => severe.includes(v.impact)).map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + '  ' + n.html.slice(0, 120) + '\n        '
          + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 240)),
        count: v.nodes.length,
      })),
    };
  })().catch((e) => { window.__pbAxe = { error: String(e) }; });
}
"""


def site_pages(site_dir: Path) -> list[str]:
    """Paths of the site's own pages; redirect stubs (index.html) are left to their target."""
    pages = []
    for path in sorted(site_dir.rglob("*.html")):
        rel = path.relative_to(site_dir).as_posix()
        if rel.startswith(("lite/", "_static/")):
            continue
        if 'http-equiv="refresh"' in path.read_text(encoding="utf-8", errors="replace")[:2000].lower():
            continue
        pages.append(rel)
    return pages


def _scan(context, site_url: str, pages: list[str]) -> dict[str, dict]:
    """axe results per page, with TABS pages in flight at a time."""
    tabs = [context.new_page() for _ in range(TABS)]
    queue, running, results = list(pages), {}, {}

    def start(tab, rel: str) -> None:
        tab.goto(site_url + rel, wait_until="load", timeout=PAGE_TIMEOUT_S * 1000)
        tab.evaluate(RUN_AXE, list(SEVERE))
        running[tab] = (rel, time.monotonic())

    while queue or running:
        for tab in tabs:
            if tab not in running and queue:
                start(tab, queue.pop(0))
        finished = False
        for tab, (rel, began) in list(running.items()):
            summary = tab.evaluate("() => window.__pbAxe")
            if summary is None:
                assert time.monotonic() - began < PAGE_TIMEOUT_S, f"axe did not finish on {rel}"
                continue
            results[rel] = summary
            del running[tab]
            finished = True
        if not finished:
            tabs[0].wait_for_timeout(100)
    for tab in tabs:
        tab.close()
    return results


@pytest.fixture(scope="module")
def axe_source() -> Path:
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} missing: run scripts/fetch-web-assets.sh (build-book.sh does)")
    return AXE


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_no_critical_or_serious_axe_violation(mode: str, browser, site_dir: Path, site_url: str,
                                              axe_source: Path) -> None:
    pages = site_pages(site_dir)
    assert len(pages) > 20 and "book/intro.html" in pages and "search.html" in pages
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900},
                                  color_scheme=mode)
    blocked: list[str] = []

    def route(r) -> None:
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    # the theme's stored choice, and no automatic Python start (scan the snapshot)
    context.add_init_script(
        f"try {{ localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
        " localStorage.setItem('pumpbill-live-autostart', 'false'); } catch (e) {}"
    )
    context.add_init_script(path=str(axe_source))
    try:
        results = _scan(context, site_url, pages)
    finally:
        context.close()

    assert not blocked, f"requests to non-loopback hosts: {blocked[:5]}"
    problems = []
    for rel in pages:
        res = results[rel]
        assert "error" not in res, f"axe failed on {rel}: {res['error']}"
        assert res["theme"] == mode, f"{rel} rendered in {res['theme']!r} mode, not {mode!r}"
        for v in res["violations"]:
            nodes = "\n      ".join(v["nodes"])
            problems.append(f"{rel}: {v['impact']} {v['id']} ({v['count']}x) {v['help']}\n      {nodes}")
    assert not problems, f"{len(problems)} critical/serious axe violations in {mode} mode:\n" + "\n".join(problems)


def widget_pages(site_dir: Path) -> list[str]:
    """Pages whose widget cell goes live (pumpbill_live marks them)."""
    return [rel for rel in site_pages(site_dir)
            if "text/x-pumpbill-cell" in (site_dir / rel).read_text(encoding="utf-8", errors="replace")]


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_live_widgets_have_no_critical_or_serious_axe_violation(mode: str, browser, site_dir: Path,
                                                                 site_url: str, axe_source: Path) -> None:
    """The same gate once Python runs: the live widgets (controls enabled, outputs recomputed) in place."""
    pages = widget_pages(site_dir)
    assert "book/choosing/family.html" in pages and "book/exercises/practice.html" in pages
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900},
                                  color_scheme=mode)
    blocked: list[str] = []
    context.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost")
                  else (blocked.append(r.request.url), r.abort()))
    context.add_init_script(f"try {{ localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
                            " } catch (e) {}")
    context.add_init_script(path=str(axe_source))
    problems = []
    try:
        tab = context.new_page()
        for rel in pages:
            tab.goto(site_url + rel, wait_until="load", timeout=PAGE_TIMEOUT_S * 1000)
            tab.wait_for_selector('.pb-live-cell[data-live="live"]', timeout=180_000)
            tab.evaluate(RUN_AXE, list(SEVERE))
            tab.wait_for_function("() => window.__pbAxe !== undefined", timeout=PAGE_TIMEOUT_S * 1000)
            res = tab.evaluate("() => window.__pbAxe")
            assert "error" not in res, f"axe failed on {rel}: {res['error']}"
            for v in res["violations"]:
                nodes = "\n      ".join(v["nodes"])
                problems.append(f"{rel}: {v['impact']} {v['id']} ({v['count']}x) {v['help']}\n      {nodes}")
    finally:
        context.close()
    assert not blocked, f"requests to non-loopback hosts: {blocked[:5]}"
    assert not problems, f"{len(problems)} critical/serious axe violations, live, {mode} mode:\n" + "\n".join(problems)

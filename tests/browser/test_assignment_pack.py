"""The assignment page with an instructor's course pack, in headless Chromium, offline.

The built site is served as it is, plus one file an instructor would copy next to it after
``pumpbill pack``: ``book/exercises/packs/wk1.json`` (the guide's demo set, ``book/instructors/demo-wk1``).
Nothing is rebuilt. The tests:

* a link whose pack is on another site is refused on the page itself, and nothing is fetched from there;
* a link ``assignment.html?pack=packs/wk1.json`` opens the pack in the live widget (the page's own widget
  cell gets the pack before Python runs it); the example id is refused, a typed id is used, the downloaded
  submission grades with ``pumpbill grade``;
* a pack opened from a file (the widget's file picker) on the assignment page; the practice page refuses
  the same pack, because it is an assignment.

Build first: ``scripts/build-book.sh`` (the fixtures skip without ``_build/html``).
"""

from __future__ import annotations

import csv
import functools
import json
import subprocess
import sys
import time
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pumpbill.exercises import load_set
from pumpbill.exercises.pack import make_pack, pack_text

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "book" / "instructors" / "demo-wk1"
PACK_PATH = "/book/exercises/packs/wk1.json"

pytestmark = pytest.mark.browser

live = pytest.importorskip("test_live", reason="shares the live-widget helpers of test_live.py")


class _PackHandler(SimpleHTTPRequestHandler):
    """The built site, plus the instructor's pack at PACK_PATH."""

    pack_file: Path

    def translate_path(self, path: str) -> str:
        if path.split("?", 1)[0] == PACK_PATH:
            return str(self.pack_file)
        return super().translate_path(path)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pack_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pack") / "wk1.json"
    path.write_text(pack_text(make_pack(load_set(DEMO))), "utf-8")
    return path


@pytest.fixture(scope="module")
def pack_site(site_dir: Path, pack_file: Path, serving):
    handler = functools.partial(type("H", (_PackHandler,), {"pack_file": pack_file}), directory=str(site_dir))
    with serving(handler) as url:
        yield url


@pytest.fixture
def page_visit(visit, pack_site):
    """A page that blocks and records every request to a non-loopback host (conftest's ``visit``)."""
    return visit


def test_a_link_to_a_pack_on_another_site_is_refused(pack_site: str, page_visit) -> None:
    page = page_visit.page
    page.goto(pack_site + "book/exercises/assignment.html?pack=https://evil.example/wk1.json", wait_until="load")
    box = page.locator(".pumpbill-pack-link")
    box.wait_for(state="visible", timeout=20_000)
    assert box.get_attribute("data-state") == "refused"
    assert "Course pack refused" in box.inner_text() and "another site" in box.inner_text()
    assert page.get_by_role("button", name="Open the assignment").count() == 0
    # the page's own address carries the foreign link in its query string; no request may go to that host
    assert not [u for u in page_visit.requested if urlsplit(u).hostname == "evil.example"], \
        "the page fetched the foreign pack"
    page_visit.check()


def test_a_pack_link_opens_in_the_live_widget_and_the_download_grades(pack_site: str, page_visit, pack_file: Path,
                                                                      tmp_path: Path, capsys) -> None:
    page = page_visit.page
    page.set_default_timeout(live.BOOT_TIMEOUT_MS)
    url = pack_site + "book/exercises/assignment.html?pack=packs/wk1.json"
    t0 = time.perf_counter()
    page.goto(url, wait_until="load")
    box = page.locator(".pumpbill-pack-link")
    box.wait_for(state="visible", timeout=20_000)
    assert box.get_attribute("data-state") == "ready" and "wk1.json" in box.inner_text()
    page.get_by_role("button", name="Open the assignment").click()
    page.wait_for_selector(live.LIVE, timeout=live.BOOT_TIMEOUT_MS)
    cell = page.locator(live.LIVE).first
    cell.get_by_text("Opened the course pack").wait_for(timeout=live.CHANGE_TIMEOUT_MS)
    t_live = time.perf_counter() - t0
    assert any(u.endswith(PACK_PATH) for u in page_visit.requested), "the pack was not fetched from the site"
    assert "Week 1 (demo)" in cell.inner_text() and "due 2026-03-16 23:59" in cell.inner_text()
    assert cell.get_by_role("button", name="Check").count() == 0, "assignment mode must not offer Check"

    cell.get_by_label("Exercise", exact=True).select_option(label="wk1-refill-30ml: A nurse refill of 30 mL (easy)")
    page.wait_for_function("c => document.querySelector(c).innerText.includes('wk1-refill-30ml')",
                           arg=live.LIVE + " .cell_output", timeout=live.CHANGE_TIMEOUT_MS)
    live.fill_claim(page, cell, {"dx": ["Z45.1", "G80.1"],
                                 "lines": [("95990", [], "AB", "1"), ("J0475", ["JZ"], "AB", "6")]})
    id_box = cell.get_by_label("Trainee ID", exact=True)
    id_box.fill("trainee")
    cell.get_by_role("button", name="Save submission").click()
    cell.get_by_role("alert").get_by_text("only the example id").wait_for(timeout=live.CHANGE_TIMEOUT_MS)
    assert cell.locator("a[download]").count() == 0

    id_box.fill("t042")
    cell.get_by_role("button", name="Save submission").click()
    link = cell.locator("a[download]")
    link.wait_for(timeout=live.CHANGE_TIMEOUT_MS)
    with page.expect_download(timeout=live.CHANGE_TIMEOUT_MS) as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "submission-t042-wk1-refill-30ml.yaml"
    saved = tmp_path / "hand-in" / download.suggested_filename
    saved.parent.mkdir()
    download.save_as(saved)
    page_visit.check()

    out = tmp_path / "out"
    # the demo set's due date has passed (its late policy would halve the points): this test is about the answer
    run = subprocess.run([sys.executable, "-m", "pumpbill", "grade", str(DEMO), str(saved), "--out", str(out),
                          "--due", "2099-12-31T23:59:00+00:00", "--jobs", "1", "--no-progress"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), f"pumpbill grade failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as fh:
        rows = {row["trainee"]: row for row in csv.DictReader(fh)}
    assert rows["t042"]["wk1-refill-30ml"] == "10", rows
    live.report(capsys, f"{'pack link':16} {'book/exercises/assignment.html':34} link -> live widget with the pack "
                        f"{t_live:5.1f} s")


@pytest.mark.parametrize(("page_name", "mode"), [("assignment", "assignment"), ("practice", "practice")])
def test_a_pack_opened_from_a_file(page_name: str, mode: str, pack_site: str, page_visit, pack_file: Path) -> None:
    page = page_visit.page
    cell, _ = live.go_live(page, pack_site + f"book/exercises/{page_name}.html")
    # ipywidgets' upload button opens the browser's file chooser; the file's bytes go to Python in the worker
    with page.expect_file_chooser(timeout=live.CHANGE_TIMEOUT_MS) as chooser:
        cell.get_by_role("button", name="Open a course pack").first.click()
    chooser.value.set_files(str(pack_file))
    if mode == "assignment":
        cell.get_by_text("Opened the course pack").wait_for(timeout=live.CHANGE_TIMEOUT_MS)
        assert "Week 1 (demo)" in cell.inner_text()
    else:
        cell.get_by_text("This course pack is an assignment").wait_for(timeout=live.CHANGE_TIMEOUT_MS)
        assert "Week 1 (demo)" not in cell.inner_text()
    page_visit.check()


# -- the page script alone (no built site needed) ------------------------------------------------------------

STUB_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>stub</title><script>
window.started = 0;
window.pumpbillLive = { start() { window.started += 1; } };
</script></head><body>
__SCRIPT__
<div class="cell pb-live-cell"><script type="text/x-pumpbill-cell">__CODE__</script>
<div class="cell_output">the widget</div></div></body></html>"""
#: What pumpbill_live embeds for the assignment page's widget cell (a JSON string).
STUB_CODE = json.dumps('from pumpbill.exercises.widget import exercise_picker\n\nexercise_picker(mode="assignment")')


def cell_code(page) -> str:
    return json.loads(page.locator('script[type="text/x-pumpbill-cell"]').evaluate("s => s.textContent"))


@pytest.fixture
def stub_site(tmp_path: Path, serving):
    from pumpbill.exercises.pack import page_script

    (tmp_path / "book" / "exercises").mkdir(parents=True)
    (tmp_path / "book" / "exercises" / "assignment.html").write_text(
        STUB_PAGE.replace("__SCRIPT__", page_script("assignment")).replace("__CODE__", STUB_CODE), "utf-8")
    handler = functools.partial(type("Q", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}),
                                directory=str(tmp_path))
    with serving(handler) as url:
        yield url + "book/exercises/assignment.html"


def test_the_page_script_hands_a_same_site_pack_to_the_live_cell(stub_site: str, offline_visit) -> None:
    page = offline_visit.page
    page.goto(stub_site + "?pack=packs/wk1.json", wait_until="load")
    box = page.locator(".pumpbill-pack-link")
    assert box.get_attribute("data-state") == "ready" and box.is_visible()
    code = cell_code(page)
    assert code.endswith(f'exercise_picker(mode="assignment", pack="packs/wk1.json", '
                         f'page_url="{stub_site}?pack=packs/wk1.json")'), code
    page.get_by_role("button", name="Open the assignment").click()
    assert page.evaluate("() => window.started") == 1, "the button starts Python"
    assert cell_code(page) == code, "the pack is handed over once"
    offline_visit.check()


@pytest.mark.parametrize("ref", ["https://evil.example/wk1.json", "//evil.example/wk1.json", "javascript:alert(1)",
                                 "/\\evil.example/wk1.json", ""])
def test_the_page_script_refuses_a_foreign_pack(ref: str, stub_site: str, offline_visit) -> None:
    from urllib.parse import quote

    page = offline_visit.page
    page.goto(stub_site + "?pack=" + quote(ref, safe=""), wait_until="load")
    box = page.locator(".pumpbill-pack-link")
    assert box.get_attribute("data-state") == "refused" and box.is_visible()
    assert "Course pack refused" in box.inner_text()
    assert page.get_by_role("button", name="Open the assignment").count() == 0
    assert "pack=" not in cell_code(page), "the widget cell runs without any pack"
    offline_visit.check()


def test_the_page_script_is_silent_without_a_pack(stub_site: str, offline_visit) -> None:
    page = offline_visit.page
    page.goto(stub_site, wait_until="load")
    assert not page.locator(".pumpbill-pack-link").is_visible()
    offline_visit.check()

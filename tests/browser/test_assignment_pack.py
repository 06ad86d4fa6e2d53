"""The assignment page with an instructor's course pack, in headless Chromium, offline.

The built site is served as it is, plus one file an instructor would copy next to it after
``pumpbill pack``: ``book/exercises/packs/wk1.json`` (the guide's demo set, ``book/instructors/demo-wk1``).
Nothing is rebuilt. The tests:

* a link whose pack is on another site is refused on the page itself, and nothing is fetched from there;
* a link ``assignment.html?pack=packs/wk1.json`` opens the pack in the live widget (the page's button starts
  it); the example id is refused, a typed id is used, the saved download grades with ``pumpbill grade``;
* a pack opened from a file (the widget's file picker) on the assignment page; the practice page refuses
  the same pack, because it is an assignment.

Build first: ``scripts/build-book.sh`` (the fixtures skip without ``_build/html``).
"""

from __future__ import annotations

import csv
import functools
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


def _frame(page):
    container = page.locator(".jupyterlite_sphinx_iframe_container[onclick*='repl/index.html']").first
    iframe = container.locator("iframe")
    iframe.wait_for(state="attached", timeout=live.BOOT_TIMEOUT_MS)
    frame = iframe.element_handle().content_frame()
    assert frame is not None
    return frame


def _expected(**kw) -> list[str]:
    """The live widget's HTML texts, as the venv's pumpbill draws the same widget."""
    from pumpbill.exercises.widget import exercise_picker

    return live.html_texts(exercise_picker(**kw))


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
    live.check_visit(page_visit)


def test_a_pack_link_opens_in_the_live_widget_and_the_download_grades(pack_site: str, page_visit, pack_file: Path,
                                                                      tmp_path: Path, capsys) -> None:
    page = page_visit.page
    page.set_default_timeout(live.BOOT_TIMEOUT_MS)
    url = pack_site + "book/exercises/assignment.html?pack=packs/wk1.json"
    want = _expected(mode="assignment", pack="packs/wk1.json", page_url=url,
                     fetch=lambda _u: pack_file.read_text("utf-8"))
    t0 = time.perf_counter()
    page.goto(url, wait_until="load")
    box = page.locator(".pumpbill-pack-link")
    box.wait_for(state="visible", timeout=20_000)
    assert box.get_attribute("data-state") == "ready" and "wk1.json" in box.inner_text()
    page.get_by_role("button", name="Open the assignment").click()
    frame = _frame(page)
    live.wait_texts(frame, want, "the pack in the live widget", live.BOOT_TIMEOUT_MS)
    t_live = time.perf_counter() - t0
    assert any(u.endswith(PACK_PATH) for u in page_visit.requested), "the pack was not fetched from the site"
    scope = frame.locator(".jp-CodeConsole-content .jp-OutputArea-output").last
    assert "Opened the course pack" in scope.inner_text()
    assert "Week 1 (demo)" in scope.inner_text() and "due 2026-03-16 23:59" in scope.inner_text()
    assert scope.get_by_role("button", name="Check").count() == 0, "assignment mode must not offer Check"

    scope.get_by_label("Exercise", exact=True).select_option(label="wk1-refill-30ml: A nurse refill of 30 mL (easy)")
    scope.locator(".widget-textarea textarea").first.wait_for()
    scope.locator(".widget-textarea textarea").first.fill("95990\nJ0475 JZ x6")
    scope.get_by_label("Diagnoses", exact=True).fill("Z45.1, G80.1")
    id_box = scope.get_by_label("Your id", exact=True)
    id_box.fill("trainee")
    scope.get_by_role("button", name="Save submission").click()
    scope.get_by_text("only the example id").wait_for(timeout=live.CHANGE_TIMEOUT_MS)
    assert scope.locator("a[download]").count() == 0

    id_box.fill("t042")
    scope.get_by_role("button", name="Save submission").click()
    link = scope.locator("a[download]")
    link.wait_for(timeout=live.CHANGE_TIMEOUT_MS)
    with page.expect_download(timeout=live.CHANGE_TIMEOUT_MS) as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "submission-t042-wk1-refill-30ml.yaml"
    saved = tmp_path / "hand-in" / download.suggested_filename
    saved.parent.mkdir()
    download.save_as(saved)
    live.check_visit(page_visit)

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
    frame, _status, _t0 = live.start_replite(page, pack_site + f"book/exercises/{page_name}.html")
    live.wait_texts(frame, _expected(mode=mode), "the live widget", live.BOOT_TIMEOUT_MS)
    scope = frame.locator(".jp-CodeConsole-content .jp-OutputArea-output").last
    # ipywidgets' upload button opens the browser's file chooser (its <input type=file> may stay detached)
    with page.expect_file_chooser(timeout=live.CHANGE_TIMEOUT_MS) as chooser:
        scope.get_by_role("button", name="Open a course pack").first.click()
    chooser.value.set_files(str(pack_file))
    if mode == "assignment":
        scope.get_by_text("Opened the course pack").wait_for(timeout=live.CHANGE_TIMEOUT_MS)
        assert "Week 1 (demo)" in scope.inner_text()
    else:
        scope.get_by_text("This course pack is an assignment").wait_for(timeout=live.CHANGE_TIMEOUT_MS)
        assert "Week 1 (demo)" not in scope.inner_text()
    live.check_visit(page_visit)


# -- the page script alone (no built site needed) ------------------------------------------------------------

STUB_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>stub</title><script>
window.shown = [];
window.jupyterliteConcatSearchParams = (src, params) => src;
window.jupyterliteShowIframe = (id, src) => { window.shown.push(src); };
</script></head><body>
__SCRIPT__
<div class="jupyterlite_sphinx_iframe_container"
     onclick="window.jupyterliteShowIframe('x', window.jupyterliteConcatSearchParams('__SRC__', false))">
  <div class="jupyterlite_sphinx_try_it_button">Run this widget live</div>
</div></body></html>"""
#: What jupyterlite-sphinx 0.23 writes for the page's {replite} block (the code URL-encoded in the frame's URL).
STUB_SRC = ("../../lite/repl/index.html?kernel=python&code=from%20pumpbill.exercises.widget%20import%20"
            "exercise_picker%0Aexercise_picker%28mode%3D%22assignment%22%29")


@pytest.fixture
def stub_site(tmp_path: Path, serving):
    from pumpbill.exercises.pack import page_script

    (tmp_path / "book" / "exercises").mkdir(parents=True)
    (tmp_path / "book" / "exercises" / "assignment.html").write_text(
        STUB_PAGE.replace("__SCRIPT__", page_script("assignment")).replace("__SRC__", STUB_SRC), "utf-8")
    handler = functools.partial(type("Q", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}),
                                directory=str(tmp_path))
    with serving(handler) as url:
        yield url + "book/exercises/assignment.html"


def test_the_page_script_hands_a_same_site_pack_to_the_live_block(stub_site: str, offline_visit) -> None:
    from urllib.parse import parse_qs, urlsplit

    page = offline_visit.page
    page.goto(stub_site + "?pack=packs/wk1.json", wait_until="load")
    box = page.locator(".pumpbill-pack-link")
    assert box.get_attribute("data-state") == "ready" and box.is_visible()
    page.get_by_role("button", name="Open the assignment").click()
    page.wait_for_function("() => window.shown.length === 1")
    src = page.evaluate("() => window.shown[0]")
    code = parse_qs(urlsplit(src).query)["code"][0]
    assert code.endswith(f'exercise_picker(mode="assignment", pack="packs/wk1.json", '
                         f'page_url="{stub_site}?pack=packs/wk1.json")'), code
    assert urlsplit(src).netloc == urlsplit(stub_site).netloc
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
    page.locator(".jupyterlite_sphinx_try_it_button").click()  # the live block starts without any pack
    src = page.evaluate("() => window.shown[0]")
    assert "pack=" not in src
    offline_visit.check()


def test_the_page_script_is_silent_without_a_pack(stub_site: str, offline_visit) -> None:
    page = offline_visit.page
    page.goto(stub_site, wait_until="load")
    assert not page.locator(".pumpbill-pack-link").is_visible()
    offline_visit.check()

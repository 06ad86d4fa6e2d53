"""Live widgets in place (lite/sphinx_ext/pumpbill_live.py), in headless Chromium, offline.

A widget page shows the build's snapshot first, locked and labelled; Python (Pyodide in a web worker) then
runs the page's own cell and the live widget replaces the snapshot in place. For each widget kind the test
waits for it to be live, makes a change the way a person would (keyboard where a person types) and waits
for the output to become what the engine computes for the same change: the expected outputs are computed
here, by building the same widget with the venv's ``pumpbill`` and making the same change, so the browser
must agree with the engine text for text.

Every request to a non-loopback host, every HTTP error and every uncaught JavaScript error fails a test
(the ``visit`` fixture). Timings are printed, not asserted (benchmarks/bench_live.py measures them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from pumpbill.render import squashed_text

BOOT_TIMEOUT_MS = 180_000
CHANGE_TIMEOUT_MS = 30_000
LIVE = '.pb-live-cell[data-live="live"]'
NO_AUTOSTART = "window.localStorage.setItem('pumpbill-live-autostart', 'false')"

pytestmark = pytest.mark.browser

ipywidgets = pytest.importorskip("ipywidgets", reason="the expected outputs are computed with ipywidgets")

# The HTML widgets of a cell's output, as text without whitespace (textContent: no CSS involved).
HTML_TEXTS_JS = """(cell) => Array.from(cell.querySelectorAll('.cell_output .widget-html-content'))
  .map(e => e.textContent.replace(/\\s+/g, ''))"""


# -- what the engine says: the same widget, built and changed here ------------------------------------
def _walk(w) -> Iterator:
    yield w
    for child in getattr(w, "children", ()):
        yield from _walk(child)


def html_texts(w) -> list[str]:
    """The HTML widgets' values, in the order the browser draws them."""
    return [squashed_text(x.value) for x in _walk(w) if isinstance(x, ipywidgets.HTML)]


def by_description(w, description: str):
    return next(x for x in _walk(w) if getattr(x, "description", None) == description)


def of_type(w, cls):
    return next(x for x in _walk(w) if type(x) is cls)


@dataclass
class Kind:
    name: str
    page: str  # a book page whose widget cell builds this widget
    build: Callable  # () -> widget, as the page's cell builds it
    change_local: Callable  # (widget) -> None: the change, made with the venv's pumpbill
    change_browser: Callable  # (page, cell locator) -> None: the same change, as a person makes it


def _build(module: str, call: str, **kwargs) -> Callable:
    def build():
        mod = __import__(module, fromlist=[call])
        return getattr(mod, call)(**kwargs)

    return build


def _set(description: str, value) -> Callable:
    def change(w) -> None:
        by_description(w, description).value = value

    return change


def _type_over(label: str, text: str) -> Callable:
    """Click into a field, select what is there and type, with the keyboard, no Enter: live as typed."""

    def change(page, cell) -> None:
        field = cell.get_by_label(label, exact=True)
        field.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(text)

    return change


CLAIM_EDIT = ('{code: "62369", units: 1', '{code: "95990", units: 1')


def _claim_local(w) -> None:
    from pumpbill.widgets import EXAMPLE_CLAIM

    assert CLAIM_EDIT[0] in EXAMPLE_CLAIM
    of_type(w, ipywidgets.Textarea).value = EXAMPLE_CLAIM.replace(*CLAIM_EDIT)
    by_description(w, "Check").click()


def _claim_browser(page, cell) -> None:
    from pumpbill.widgets import EXAMPLE_CLAIM

    cell.locator(".widget-textarea textarea").fill(EXAMPLE_CLAIM.replace(*CLAIM_EDIT))
    cell.get_by_role("button", name="Check").click()


def _doc_local(w) -> None:
    by_description(w, "next refill date").value = True


KINDS = [
    Kind("code chooser", "book/choosing/family.html", _build("pumpbill.widgets", "code_chooser"),
         _set("Done by", "physician"),
         lambda page, cell: cell.get_by_label("Done by", exact=True).select_option(label="physician")),
    Kind("claim checker", "book/start/how-to-use.html", _build("pumpbill.widgets", "claim_checker"),
         _claim_local, _claim_browser),
    Kind("units calculator", "book/drugs/units.html", _build("pumpbill.widgets", "units_calculator"),
         _set("mL added", 30.0), _type_over("mL added", "30")),
    Kind("refill planner", "book/frequency/intervals.html", _build("pumpbill.widgets", "refill_planner"),
         _set("Daily dose", "600 mcg"), _type_over("Daily dose", "600 mcg")),
    Kind("documentation checker", "book/documentation/elements.html",
         _build("pumpbill.widgets", "documentation_checker"), _doc_local,
         lambda page, cell: cell.get_by_label("next refill date", exact=True).check()),
    Kind("diagnosis pointer", "book/diagnosis/coding.html", _build("pumpbill.widgets", "diagnosis_pointer"),
         _set("Codes", "G80.1, Z45.1, G89.4"), _type_over("Codes", "G80.1, Z45.1, G89.4")),
    Kind("NDC builder", "book/drugs/compounded.html", _build("pumpbill.widgets_ndc", "ndc_builder"),
         _set("mL instilled", 30.0), _type_over("mL instilled", "30")),
    Kind("both claims", "book/payment/facility.html", _build("pumpbill.widgets_facility", "both_claims"),
         _set("POS", "31"),
         lambda page, cell: cell.get_by_label("POS", exact=True).select_option(label="31 skilled nursing facility")),
    Kind("payer comparison", "book/coverage/payers.html", _build("pumpbill.widgets_payers", "payer_comparison"),
         _set("prior authorization number recorded", True),
         lambda page, cell: cell.get_by_label("prior authorization number recorded", exact=True).check()),
]


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n[live] {line}", end="")


def texts(page, cell) -> list[str]:
    return cell.evaluate(HTML_TEXTS_JS)


def wait_texts(page, cell, want: list[str], what: str, timeout_ms: int) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    got = None
    while time.monotonic() < deadline:
        got = texts(page, cell)
        if got == want:
            return
        page.wait_for_timeout(25)
    pytest.fail(f"{what}: the live widget's outputs are not the engine's\n got: {got}\nwant: {want}")


def go_live(page, url: str) -> tuple[object, float]:
    """Open a widget page (Python starts by itself) and wait until its widget is live."""
    page.set_default_timeout(BOOT_TIMEOUT_MS)
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(f'{LIVE}, .pb-live-cell[data-live="failed"]', timeout=BOOT_TIMEOUT_MS)
    cell = page.locator(".pb-live-cell").first
    assert cell.get_attribute("data-live") == "live", cell.locator(".pb-live-bar").inner_text()
    return cell, time.perf_counter() - t0


def one_copy(page, cell) -> None:
    """Live in place: one widget in the cell, no frame, no prompt, no second copy on the page."""
    assert page.locator("iframe").count() == 0, "a live widget must not need a frame"
    assert cell.locator(".cell_output > .widget-subarea").count() == 1, "snapshot and live copy both shown"
    assert cell.locator(".cell_output script[type='application/vnd.jupyter.widget-view+json']").count() == 0
    assert cell.locator(".pb-live-widget [aria-disabled='true']").count() == 0, "the live widget is still locked"
    assert page.locator(".jp-CodeConsole, .jp-InputPrompt").count() == 0


# -- tests -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS, ids=[k.name.replace(" ", "-") for k in KINDS])
def test_snapshot_is_locked_and_labelled_until_python_runs(kind: Kind, site_url: str, visit) -> None:
    """With Python not started, the snapshot shows the engine's default answer, and cannot be changed."""
    page = visit.page
    page.add_init_script(NO_AUTOSTART)
    page.goto(site_url + kind.page, wait_until="load")
    cell = page.locator(".pb-live-cell").first
    cell.locator(".cell_output .widget-html-content").first.wait_for(timeout=20_000)
    assert cell.get_attribute("data-live") == "snapshot"
    bar = cell.locator(".pb-live-bar")
    assert "Snapshot" in bar.inner_text() and "default case" in bar.inner_text()
    controls = cell.locator(".cell_output :is(input, select, textarea, button)")
    assert controls.count() > 0
    assert cell.locator(".cell_output :is(input, select, textarea, button):not([disabled])").count() == 0, \
        "a snapshot control is usable"
    # the answer shown is the engine's for the values shown
    assert texts(page, cell) == html_texts(kind.build())
    # a person cannot change it: clicks do not reach it, Tab does not enter it
    control = cell.locator(".cell_output select, .cell_output input, .cell_output textarea").first
    with pytest.raises(Exception):  # noqa: B017,PT011 - playwright's TimeoutError: the control never accepts input
        control.click(timeout=1500)
    start = cell.get_by_role("button", name="Start live Python")
    start.focus()
    out = cell.locator(".cell_output")
    for _ in range(6):
        page.keyboard.press("Tab")
        # its links (a rule page) and scroll boxes may take focus; no control may
        assert not out.evaluate("o => o.contains(document.activeElement) && "
                                "document.activeElement.matches('input, select, textarea, button')"), \
            "Tab reached a control of the locked snapshot"
    assert start.is_visible()
    visit.check()


def test_python_starts_before_the_page_loads_its_stylesheets(site_dir) -> None:
    """The worker is created by the first script in the <head>: an inline script after a stylesheet waits
    for it (a quarter of a second of a cold start, benchmarks/bench_live.py)."""
    pages = [p for p in site_dir.rglob("*.html") if "text/x-pumpbill-cell" in p.read_text(encoding="utf-8")]
    assert len(pages) > 5
    for page in pages:
        head = page.read_text(encoding="utf-8").split("</head>", 1)[0]
        start, sheet = head.find("window.__pumpbillEarly"), head.find('rel="stylesheet"')
        assert -1 < start < sheet, page.relative_to(site_dir)
        assert head.find("<script", 0, start) == head.rfind("<script", 0, start)  # the first script of all


def test_keyboard_reaches_the_start_button_and_it_goes_live(site_url: str, visit, capsys) -> None:
    """The live launcher is a real button: Tab reaches it, Enter starts Python, the widget becomes live."""
    page = visit.page
    page.add_init_script(NO_AUTOSTART)
    page.goto(site_url + "book/choosing/family.html", wait_until="load")
    button = page.get_by_role("button", name="Start live Python").first
    for _ in range(300):
        page.keyboard.press("Tab")
        if button.evaluate("b => document.activeElement === b"):
            break
    else:
        pytest.fail("Tab never reached the Start live Python button")
    assert button.evaluate("b => getComputedStyle(b).outlineStyle") != "none", "no visible focus"
    t0 = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_selector(LIVE, timeout=BOOT_TIMEOUT_MS)
    report(capsys, f"Enter on Start -> live {time.perf_counter() - t0:5.1f} s")
    one_copy(page, page.locator(LIVE).first)
    visit.check()


@pytest.mark.parametrize("kind", KINDS, ids=[k.name.replace(" ", "-") for k in KINDS])
def test_live_widget_follows_a_change(kind: Kind, site_url: str, visit, capsys) -> None:
    widget = kind.build()
    before = html_texts(widget)
    kind.change_local(widget)
    after = html_texts(widget)
    assert after != before, f"the change does not change the {kind.name}'s output (test data)"

    page = visit.page
    cell, t_live = go_live(page, site_url + kind.page)
    one_copy(page, cell)
    wait_texts(page, cell, before, "first output", 10_000)
    t = time.perf_counter()
    kind.change_browser(page, cell)
    wait_texts(page, cell, after, f"after the change ({kind.name})", CHANGE_TIMEOUT_MS)
    t_change = time.perf_counter() - t
    report(capsys, f"{kind.name:22} {kind.page:36} navigation -> live {t_live:5.1f} s, "
                   f"change -> output {t_change:5.2f} s")
    visit.check()


def test_when_python_stops_the_live_widget_gives_way_to_the_locked_snapshot(site_url: str, visit) -> None:
    """After a change, Python stops: the changed live widget goes, the default snapshot comes back locked."""
    page = visit.page
    cell, _ = go_live(page, site_url + "book/choosing/family.html")
    default = texts(page, cell)
    cell.get_by_label("Done by", exact=True).select_option(label="physician")
    page.wait_for_function("c => document.querySelector(c).innerText.includes('62370')",
                           arg=LIVE + " .pb-live-widget", timeout=CHANGE_TIMEOUT_MS)
    page.evaluate("() => window.pumpbillLive.fail('stopped by the test')")
    assert cell.get_attribute("data-live") == "failed"
    assert cell.locator(".pb-live-widget").count() == 0, "the live widget outlived Python"
    assert texts(page, cell) == default, "the snapshot is not the default case"
    assert cell.locator(".cell_output :is(input, select, textarea):not([disabled])").count() == 0
    assert "stopped" in cell.locator(".pb-live-bar").inner_text()
    assert cell.get_by_role("button", name="Try again").is_visible()
    visit.check()


def test_enter_and_tab_in_the_claim_box_stay_in_the_widget(site_url: str, visit) -> None:
    """Typing in the claim checker: Enter is a new line in the box, Tab goes to Check, Space presses it."""
    from pumpbill.widgets import claim_html

    page = visit.page
    cell, _ = go_live(page, site_url + "book/start/how-to-use.html")
    box = cell.locator(".widget-textarea textarea")
    box.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# a comment typed here\n")
    assert box.evaluate("b => document.activeElement === b"), "Enter took the focus out of the box"
    value = box.input_value()
    assert value.endswith("\n# a comment typed here\n")
    page.keyboard.press("Tab")
    check = cell.get_by_role("button", name="Check")
    assert check.evaluate("b => document.activeElement === b"), "Tab does not lead from the box to Check"
    page.keyboard.press("Space")
    want = squashed_text(claim_html(value))
    wait_texts(page, cell, [texts(page, cell)[0], want], "after Space on Check", CHANGE_TIMEOUT_MS)
    visit.check()


def test_rule_link_from_a_live_widget_opens_the_rule_page(site_url: str, visit) -> None:
    """A finding's rule code is a link; it opens the rule's page (a new tab), and the widget keeps its state."""
    page = visit.page
    cell, _ = go_live(page, site_url + "book/start/how-to-use.html")
    link = cell.locator(".cell_output a", has_text="PB002").first
    assert link.evaluate("a => getComputedStyle(a).textDecorationLine").startswith("underline")
    with page.context.expect_page(timeout=CHANGE_TIMEOUT_MS) as info:
        link.click()
    rule = info.value
    rule.wait_for_load_state("load")
    assert rule.url.endswith("/book/reference/rules/pb002.html"), rule.url
    assert "PB002" in rule.title()
    assert page.locator(LIVE).count() == 1, "following the link cost the live widget"
    visit.check()


# -- the exercise widget: a claim form, sets, the hand-in ------------------------------------------------
F01 = {"dx": ["Z45.1", "G80.1"], "lines": [("95990", [], "AB", "1"), ("J0475", ["JZ"], "AB", "4")]}


def fill_claim(page, cell, answer: dict = F01) -> None:
    """Type an answer on the CMS-1500-like form, with the keyboard, as a coder would."""
    for letter, code in zip("AB", answer["dx"], strict=False):
        cell.get_by_label(f"21{letter}", exact=True).click()
        page.keyboard.type(code)
    for i, (code, mods, pointer, units) in enumerate(answer["lines"]):
        cell.get_by_label("24D Code", exact=True).nth(i).click()
        page.keyboard.type(code)
        for j, mod in enumerate(mods):
            cell.get_by_label(f"Mod {j + 1}", exact=True).nth(i).click()
            page.keyboard.type(mod)
        cell.get_by_label("24E Pointer", exact=True).nth(i).click()
        page.keyboard.type(pointer)
        field = cell.get_by_label("24G Units", exact=True).nth(i)
        field.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(units)


def heading(cell) -> str:
    return cell.locator(".cell_output h3").first.inner_text()


def wait_heading(page, ex_id: str) -> None:
    """The exercise on screen is ex_id (its heading, drawn after the pickers' own update)."""
    page.wait_for_function("([c, id]) => { const h = document.querySelector(c); "
                           "return !!h && h.innerText.includes(id); }",
                           arg=[LIVE + " .cell_output h3", ex_id], timeout=CHANGE_TIMEOUT_MS)


def test_switching_sets_shows_checks_the_exercise_on_screen(site_url: str, visit) -> None:
    from pumpbill.exercises.catalog import public_sets

    sets = public_sets()
    first = {k: v["exercises"][0]["id"] for k, v in sets.items() if v.get("mode") != "assignment"}
    page = visit.page
    cell, _ = go_live(page, site_url + "book/exercises/practice.html")
    select = cell.get_by_label("Set", exact=True)
    order = list(first.items())  # the Set drop-down lists the practice sets in this order
    for i in [*range(1, len(order)), 0]:
        select.select_option(index=i)
        wait_heading(page, order[i][1])
    # f01 (first set, first exercise) on screen: answer it on the form and check it
    fill_claim(page, cell)
    cell.get_by_role("button", name="Check").click()
    cell.get_by_text("All correct").wait_for(timeout=CHANGE_TIMEOUT_MS)
    cell.get_by_role("button", name="Next exercise").click()
    second = sets[next(iter(first))]["exercises"][1]["id"]
    wait_heading(page, second)
    visit.check()


def test_live_assignment_downloads_a_submission_that_grades(site_url: str, visit, capsys, tmp_path) -> None:
    """Assignment page, live: the trainee's id in its field, the answer on the form, the download graded."""
    import csv
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    trainee = "t042"
    page = visit.page
    cell, t_live = go_live(page, site_url + "book/exercises/assignment.html")
    assert cell.get_by_role("button", name="Check").count() == 0, "assignment mode must not offer Check"
    ex_id = heading(cell).split()[0].strip(":")
    cell.get_by_label("Trainee ID", exact=True).click()
    page.keyboard.type(trainee)
    fill_claim(page, cell)
    t = time.perf_counter()
    cell.get_by_role("button", name="Save submission").click()
    link = cell.locator("a[download]")
    link.wait_for(timeout=CHANGE_TIMEOUT_MS)
    t_save = time.perf_counter() - t
    shown = cell.inner_text()
    assert "Score" not in shown and "All correct" not in shown, "assignment mode showed a grade"
    with page.expect_download(timeout=CHANGE_TIMEOUT_MS) as info:
        link.click()
    download = info.value
    name = download.suggested_filename
    assert name.startswith(f"submission-{trainee}-") and ex_id in name, (name, ex_id)
    saved = tmp_path / "hand-in" / name
    saved.parent.mkdir()
    download.save_as(saved)
    visit.check()

    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "pumpbill", "grade", "exercises/foundations", str(saved),
                          "--out", str(out), "--jobs", "1", "--no-progress"],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"pumpbill grade failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert any(trainee in row.values() for row in rows), f"{trainee} not in the gradebook: {rows}"
    report(capsys, f"{'assignment':22} {'book/exercises/assignment.html':36} navigation -> live {t_live:5.1f} s, "
                   f"Save -> download link {t_save:5.2f} s")

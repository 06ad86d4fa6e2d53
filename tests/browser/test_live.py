"""The live (JupyterLite + Pyodide) widgets of the built book, in headless Chromium, offline.

For each widget kind the test opens a book page that has it, clicks the page's own ``{replite}``
prompt, waits for Python to start in the browser and for the widget to appear, changes one input and
waits for the output to become what the engine computes for the same change. The expected outputs are
computed here, by building the same widget with the venv's ``pumpbill`` and making the same change,
so the browser must agree with the engine text for text. The assignment test saves a submission in
the browser, captures the download and grades it with ``pumpbill grade``.

Every request to a non-loopback host fails the test (the ``visit`` fixture blocks and records them).
The fixture also blocks service workers, and JupyterLite uses one to give the kernel the browser's file
system (``/drive``): without it the kernel's file calls reach the static server (HTTP 501 on
``lite/api/drive``) and JupyterLite's worker registration rejects (an uncaught ``undefined``). Those
two known effects are allowed; any other HTTP or JavaScript error fails. In assignment mode the widget
then says it could not save in the browser, and still offers the download, which is what is tested.

Timings (printed): page load -> live widget (navigation, click on the prompt, Pyodide start, the
widget drawn) and change -> updated output. Build first: ``scripts/build-book.sh``.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pumpbill.render import squashed_text

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT_MS = 180_000
CHANGE_TIMEOUT_MS = 30_000
LITE_HTTP_ERRORS = re.compile(r"^501 http://127\.0\.0\.1:\d+/lite/api/drive$")  # service worker blocked
LITE_JS_ERRORS = {"undefined"}  # JupyterLite's service-worker registration, blocked

pytestmark = pytest.mark.browser

ipywidgets = pytest.importorskip("ipywidgets", reason="the expected outputs are computed with ipywidgets")

# The HTML widgets of the last REPL output, as text without whitespace (textContent: no CSS involved).
HTML_TEXTS_JS = """() => {
  const outs = document.querySelectorAll('.jp-CodeConsole-content .jp-OutputArea-output');
  if (!outs.length) return null;
  return Array.from(outs[outs.length - 1].querySelectorAll('.widget-html-content'))
    .map(e => e.textContent.replace(/\\s+/g, ''));
}"""
WAIT_TEXTS_JS = ("(want) => { const got = (" + HTML_TEXTS_JS + ")();"
                 " return !!got && JSON.stringify(got) === JSON.stringify(want); }")


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
    page: str  # a book page whose own live block shows this widget
    build: Callable  # () -> widget, as the page's live block builds it
    change_local: Callable  # (widget) -> None: the change, made with the venv's pumpbill
    change_browser: Callable  # (scope locator) -> None: the same change, in the browser; its last action is timed


def _field(scope, label: str):
    """The input of a labelled ipywidgets control (Text, FloatText, Dropdown: <label for=...>)."""
    return scope.get_by_label(label, exact=True)


CLAIM_EDIT = ('{code: "62369", units: 1', '{code: "95990", units: 1')
EXERCISE_ANSWER = ("95990\nJ0475 JZ x4", "Z45.1, G80.1")


def _claim_local(w) -> None:
    from pumpbill.widgets import EXAMPLE_CLAIM

    assert CLAIM_EDIT[0] in EXAMPLE_CLAIM
    of_type(w, ipywidgets.Textarea).value = EXAMPLE_CLAIM.replace(*CLAIM_EDIT)
    by_description(w, "Check").click()


def _claim_browser(scope) -> None:
    from pumpbill.widgets import EXAMPLE_CLAIM

    scope.locator(".widget-textarea textarea").fill(EXAMPLE_CLAIM.replace(*CLAIM_EDIT))
    scope.get_by_role("button", name="Check").click()


def _exercise_local(w) -> None:
    of_type(w, ipywidgets.Textarea).value = EXERCISE_ANSWER[0]
    by_description(w, "Diagnoses").value = EXERCISE_ANSWER[1]
    by_description(w, "Check").click()


def _exercise_browser(scope) -> None:
    scope.locator(".widget-textarea textarea").first.fill(EXERCISE_ANSWER[0])
    _field(scope, "Diagnoses").fill(EXERCISE_ANSWER[1])
    scope.get_by_role("button", name="Check").click()


def _build(module: str, call: str, **kwargs) -> Callable:
    def build():
        mod = __import__(module, fromlist=[call])
        return getattr(mod, call)(**kwargs)

    return build


def _set(description: str, value) -> Callable:
    def change(w) -> None:
        by_description(w, description).value = value

    return change


def _fill_enter(label: str, text: str) -> Callable:
    def change(scope) -> None:
        field = _field(scope, label)
        field.fill(text)
        field.press("Enter")

    return change


KINDS = [
    Kind("code chooser", "book/choosing/family.html", _build("pumpbill.widgets", "code_chooser"),
         _set("Done by", "physician"),
         lambda scope: _field(scope, "Done by").select_option(label="physician")),
    Kind("claim checker", "book/start/how-to-use.html", _build("pumpbill.widgets", "claim_checker"),
         _claim_local, _claim_browser),
    Kind("units calculator", "book/drugs/units.html", _build("pumpbill.widgets", "units_calculator"),
         _set("mL added", 30.0), _fill_enter("mL added", "30")),
    Kind("refill planner", "book/frequency/intervals.html", _build("pumpbill.widgets", "refill_planner"),
         _set("Daily dose", "600 mcg"), _fill_enter("Daily dose", "600 mcg")),
    Kind("exercise widget", "book/exercises/practice.html",
         _build("pumpbill.exercises.widget", "exercise_picker", mode="practice"), _exercise_local, _exercise_browser),
]


# -- the browser side --------------------------------------------------------------------------------
def check_visit(visit) -> None:
    """The fixture's network rule, strictly; HTTP and JS errors except the known service-worker effects."""
    visit.check_requests()
    http = [e for e in visit.http_errors if not LITE_HTTP_ERRORS.match(e)]
    js = [e for e in visit.js_errors if e not in LITE_JS_ERRORS]
    assert not http, f"HTTP errors from the local site: {http}"
    assert not js, f"uncaught JavaScript errors: {js}"


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n[live] {line}", end="")


def start_replite(page, url: str):
    """Open the page, click its first {replite} prompt; return (frame, status locator, t_navigation)."""
    page.set_default_timeout(BOOT_TIMEOUT_MS)
    t0 = time.perf_counter()
    page.goto(url, wait_until="load")
    container = page.locator(".jupyterlite_sphinx_iframe_container[onclick*='repl/index.html']").first
    container.locator(".jupyterlite_sphinx_try_it_button").click()
    iframe = container.locator("iframe")
    iframe.wait_for(state="attached")
    frame = iframe.element_handle().content_frame()
    assert frame is not None, "the live block has no frame"
    status = page.locator(".pumpbill-lite-status").first
    status.wait_for(state="attached")
    return frame, status, t0


def wait_texts(frame, want: list[str], what: str, timeout_ms: int) -> None:
    try:
        frame.wait_for_function(WAIT_TEXTS_JS, arg=want, timeout=timeout_ms)
    except Exception as exc:  # playwright TimeoutError: say what differs
        got = frame.evaluate(HTML_TEXTS_JS)
        pytest.fail(f"{what}: the live widget's outputs are not the engine's\n got: {got}\nwant: {want}\n({exc})")


def boot(page, url: str, want: list[str]) -> tuple[object, float]:
    """Start the page's live block and wait until its widget shows the engine's output."""
    frame, status, t0 = start_replite(page, url)
    stage = status.get_attribute("data-stage")
    assert stage in ("loading", "kernel"), f"no progress shown while Python starts (stage {stage!r})"
    wait_texts(frame, want, "first output", BOOT_TIMEOUT_MS)
    t_live = time.perf_counter() - t0
    page.wait_for_function("() => document.querySelector('.pumpbill-lite-status').dataset.stage === 'ready'",
                           timeout=10_000)
    return frame, t_live


# -- tests -------------------------------------------------------------------------------------------
def test_static_widget_page_renders_widget_and_offers_live_version(site_url: str, visit) -> None:
    """Without starting anything: the page's widget is drawn from its saved state, the live block waits."""
    page = visit.page
    page.goto(site_url + "book/choosing/family.html", wait_until="load")
    static = page.locator(".cell_output .jupyter-widgets").first
    static.wait_for(state="visible", timeout=20_000)
    page.locator(".cell_output .widget-html-content", has_text="62369").first.wait_for(timeout=20_000)
    assert page.locator(".cell_output select").count() >= 4, "the static code chooser has no drop-downs"
    prompt = page.locator(".jupyterlite_sphinx_try_it_button", has_text="Run this widget live")
    assert prompt.count() == 1 and prompt.is_visible()
    assert page.get_by_role("button", name="Open this page as a live notebook").count() == 1
    assert page.locator("iframe").count() == 0, "the live version must start only when asked"
    check_visit(visit)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name.replace(" ", "-") for k in KINDS])
def test_live_widget_follows_a_change(kind: Kind, site_url: str, visit, capsys) -> None:
    widget = kind.build()
    before = html_texts(widget)
    kind.change_local(widget)
    after = html_texts(widget)
    assert after != before, f"the change does not change the {kind.name}'s output (test data)"

    page = visit.page
    frame, t_live = boot(page, site_url + kind.page, before)
    scope = frame.locator(".jp-CodeConsole-content .jp-OutputArea-output").last
    t = time.perf_counter()
    kind.change_browser(scope)
    wait_texts(frame, after, f"after the change ({kind.name})", CHANGE_TIMEOUT_MS)
    t_change = time.perf_counter() - t
    report(capsys, f"{kind.name:16} {kind.page:34} page load -> live widget {t_live:5.1f} s, "
                   f"change -> output {t_change:5.2f} s")
    check_visit(visit)


def test_live_assignment_saves_a_submission_that_grades(site_url: str, visit, capsys, tmp_path: Path) -> None:
    """Assignment page, live: a trainee id typed in the REPL, an answer, Save, the download graded."""
    from pumpbill.exercises.widget import exercise_picker

    trainee = "t042"
    want = html_texts(exercise_picker(mode="assignment", trainee="trainee"))
    page = visit.page
    frame, t_live = boot(page, site_url + "book/exercises/assignment.html", want)

    # as the page says: run the widget again with one's own id, in the live version's input line
    prompt = frame.locator(".jp-CodeConsole-promptCell .cm-content")
    prompt.click()
    page.keyboard.type(f'exercise_picker(mode="assignment", trainee="{trainee}")')
    page.keyboard.press("Shift+Enter")
    frame.wait_for_function(
        "() => document.querySelectorAll('.jp-CodeConsole-content .jp-OutputArea-output textarea').length >= 2",
        timeout=CHANGE_TIMEOUT_MS)
    scope = frame.locator(".jp-CodeConsole-content .jp-OutputArea-output").last
    assert scope.get_by_role("button", name="Check").count() == 0, "assignment mode must not offer Check"

    scope.locator(".widget-textarea textarea").first.fill(EXERCISE_ANSWER[0])
    _field(scope, "Diagnoses").fill(EXERCISE_ANSWER[1])
    t = time.perf_counter()
    scope.get_by_role("button", name="Save submission").click()
    link = scope.locator("a[download]")
    link.wait_for(timeout=CHANGE_TIMEOUT_MS)
    t_save = time.perf_counter() - t
    shown = scope.locator(".widget-html-content").all_text_contents()
    assert not any("Score" in s or "All correct" in s for s in shown), "assignment mode showed a grade"
    with page.expect_download(timeout=CHANGE_TIMEOUT_MS) as info:
        link.click()
    download = info.value
    name = download.suggested_filename
    assert name == f"submission-{trainee}-f01-refill-no-reprogramming.yaml"
    saved = tmp_path / "hand-in" / name
    saved.parent.mkdir()
    download.save_as(saved)
    check_visit(visit)

    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "pumpbill", "grade", "exercises/foundations", str(saved),
                          "--out", str(out), "--jobs", "1", "--no-progress"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"pumpbill grade failed ({run.returncode}):\n{run.stdout}\n{run.stderr}"
    with (out / "gradebook.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert any(trainee in row.values() for row in rows), f"{trainee} not in the gradebook: {rows}"
    report(capsys, f"{'assignment save':16} {'book/exercises/assignment.html':34} page load -> live widget "
                   f"{t_live:5.1f} s, Save -> download link {t_save:5.2f} s")

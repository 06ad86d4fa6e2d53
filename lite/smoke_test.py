#!/usr/bin/env python3
"""Offline smoke test of the live (JupyterLite / Pyodide) widgets of the built book.

    python lite/smoke_test.py _build/html [--page book/live-demo.html] [--mode repl|notebook|both]

Serves SITE_DIR on 127.0.0.1, opens the page in Chromium (the Debian package,
``/usr/bin/chromium``; Playwright's own browser download is not used) and, for
each JupyterLite frame on the page:

* ``repl``: clicks the ``{replite}`` prompt, waits for the status line that
  pumpbill_lite adds (progress while Python starts), for the kernel and for the
  directive's code to render an ipywidgets Dropdown; then picks another option
  and waits for the output widget (``Output`` or ``HTML``) to change.
* ``notebook``: clicks the ``{notebooklite}`` prompt, waits for the kernel to be
  idle, runs all cells from the menu, then does the same Dropdown check.

Every request that does not go to 127.0.0.1 is blocked and recorded (route
handler + request listener); Chromium is also started with a dead proxy and a
host-resolver rule, so nothing can leave the machine even from a worker. The
test fails on any such request. Prints a JSON report (timings in seconds) and
exits non-zero on failure. Screenshots go to --screenshots (default: a temp dir).

Timings: ``to_live_widget`` is from the click on the prompt to a Dropdown that a
Python kernel drives; ``from_navigation`` adds the page load; ``change_to_output``
is from selecting an option to the output showing the change.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Frame, Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # belt and braces: nothing non-loopback resolves or connects, even from workers
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1;localhost",
]
LOCAL_SCHEMES = ("data:", "blob:", "about:", "chrome-extension:")


class _Handler(http.server.SimpleHTTPRequestHandler):
    # Python 3.11's mimetypes lacks .mjs; .wasm must be application/wasm for streaming compile
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".whl": "application/octet-stream",
    }

    def log_message(self, *args):  # quiet
        pass


def serve(site: Path) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def find_page(site: Path) -> str:
    for html in sorted(site.rglob("*.html")):
        if "lite" in html.relative_to(site).parts[:1]:
            continue
        if "jupyterlite_sphinx_iframe_container" in html.read_text(encoding="utf-8", errors="ignore"):
            return html.relative_to(site).as_posix()
    raise SystemExit(f"no page with a prompted JupyterLite frame under {site}")


class Failure(Exception):
    pass


def widget_text(frame: Frame) -> str:
    return frame.evaluate(
        """() => Array.from(document.querySelectorAll('.widget-output, .widget-html'))
                 .map(e => e.innerText.trim()).join(' | ')"""
    )


def exercise_dropdown(frame: Frame, timeout_s: float, expect: str | None) -> dict:
    """Pick another option of the first Dropdown; wait for the output widget to change."""
    select = frame.locator(".widget-dropdown select").first
    before = widget_text(frame)
    options = select.locator("option").all_inner_texts()
    current = select.evaluate("s => s.options[s.selectedIndex] && s.options[s.selectedIndex].text")
    target = next((o for o in options if o != current), None)
    if target is None:
        raise Failure(f"Dropdown has no other option than {current!r}")
    t = time.perf_counter()
    select.select_option(label=target)
    deadline = t + timeout_s
    after = before
    while time.perf_counter() < deadline:
        after = widget_text(frame)
        if after != before and after.strip():  # an Output is briefly empty after clear_output()
            break
        time.sleep(0.01)
    else:
        raise Failure(f"output did not change within {timeout_s} s after choosing {target!r} (still {before!r})")
    elapsed = time.perf_counter() - t
    if expect:
        pattern = expect.replace("{value}", re.escape(target))
        if not re.search(pattern, after):
            raise Failure(f"output {after!r} does not match {pattern!r} after choosing {target!r}")
    return {"chose": target, "output_before": before, "output_after": after, "change_to_output": round(elapsed, 3)}


def open_frame(page: Page, kind: str) -> tuple[Frame, float, int]:
    """Click the prompt of the first lite frame of this kind; return its frame."""
    marker = {"repl": "repl/index.html", "notebook": "notebooks/index.html"}[kind]
    containers = page.locator(".jupyterlite_sphinx_iframe_container")
    index = next(
        (i for i in range(containers.count()) if marker in (containers.nth(i).get_attribute("onclick") or "")),
        None,
    )
    if index is None:
        raise Failure(f"no prompted {kind} frame on the page")
    container = containers.nth(index)
    container.locator(".jupyterlite_sphinx_try_it_button").click()
    t_click = time.perf_counter()
    iframe = container.locator("iframe")
    iframe.wait_for(state="attached", timeout=10_000)
    frame = iframe.element_handle().content_frame()
    if frame is None:
        raise Failure("the lite iframe has no frame")
    return frame, t_click, index


def wait_live(page: Page, frame: Frame, t_click: float, timeout_s: float, shots: Path, name: str) -> dict:
    """Wait for a Dropdown in the frame, recording the status line stages meanwhile."""
    stages: list[str] = []
    texts: list[str] = []
    deadline = t_click + timeout_s
    shot_at = {5.0, 15.0}
    while time.perf_counter() < deadline:
        st = page.evaluate(
            """() => Array.from(document.querySelectorAll('.pumpbill-lite-status'))
                     .map(s => [s.dataset.stage || '', s.innerText.replace(/\\s+/g, ' ')])"""
        )
        for stage, text in st:
            if stage and (not stages or stages[-1] != stage):
                stages.append(stage)
                texts.append(text)
        elapsed = time.perf_counter() - t_click
        for at in sorted(shot_at):
            if elapsed >= at:
                page.screenshot(path=str(shots / f"{name}-{int(at):02d}s.png"))
                shot_at.discard(at)
        if frame.locator(".widget-dropdown select").count():
            break
        if frame.locator(".jp-Dialog").count():
            raise Failure("JupyterLite shows a dialog: " + frame.locator(".jp-Dialog").first.inner_text()[:200])
        time.sleep(0.1)
    else:
        raise Failure(f"no live Dropdown within {timeout_s} s; status stages seen: {stages}")
    t_live = time.perf_counter()
    time.sleep(0.6)  # one tick of the status line
    final = page.evaluate(
        "() => Array.from(document.querySelectorAll('.pumpbill-lite-status')).map(s => s.dataset.stage)"
    )
    return {"t_live": t_live, "status_stages": stages, "status_texts": texts, "status_final": final}


def run_repl(page: Page, args, shots: Path, t_nav: float) -> dict:
    frame, t_click, _ = open_frame(page, "repl")
    live = wait_live(page, frame, t_click, args.timeout, shots, "repl")
    page.screenshot(path=str(shots / "repl-live.png"))
    result = {
        "to_live_widget": round(live["t_live"] - t_click, 2),
        "from_navigation": round(live["t_live"] - t_nav, 2),
        "status_stages": live["status_stages"],
        "status_texts": live["status_texts"],
        "status_after": live["status_final"],
    }
    if args.require_progress and not ({"loading", "kernel"} & set(live["status_stages"])):
        raise Failure(f"no progress shown while Python started (status stages: {live['status_stages']})")
    result.update(exercise_dropdown(frame, 30, args.expect))
    page.screenshot(path=str(shots / "repl-changed.png"))
    return result


def open_notebook(page: Page) -> tuple[Frame, float, Page, str]:
    """The {notebooklite} of the page: a prompted frame, else its "new tab" button."""
    try:
        frame, t_click, _ = open_frame(page, "notebook")
        return frame, t_click, page, "frame"
    except Failure:
        pass
    button = page.locator("button.try_examples_button[onclick*='notebooks/index.html']").first
    if not button.count():
        raise Failure("no {notebooklite} frame or new-tab button on the page")
    with page.context.expect_page() as new_page:
        button.click()
    t_click = time.perf_counter()
    tab = new_page.value
    return tab.main_frame, t_click, tab, "new tab"


def run_notebook(page: Page, args, shots: Path, t_nav: float) -> dict:
    frame, t_click, page, how = open_notebook(page)
    deadline = t_click + args.timeout
    while not frame.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').count():
        if frame.locator(".jp-Dialog").count():
            raise Failure("JupyterLite shows a dialog: " + frame.locator(".jp-Dialog").first.inner_text()[:200])
        if time.perf_counter() > deadline:
            raise Failure(f"kernel not idle within {args.timeout} s")
        time.sleep(0.1)
    t_idle = time.perf_counter()
    # Run > Run All Cells
    frame.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    frame.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    t_run = time.perf_counter()
    frame.locator(".widget-dropdown select").first.wait_for(timeout=args.timeout * 1000)
    t_live = time.perf_counter()
    page.screenshot(path=str(shots / "notebook-live.png"))
    result = {
        "opened_in": how,
        "kernel_idle": round(t_idle - t_click, 2),
        "run_all_to_widget": round(t_live - t_run, 2),
        "to_live_widget": round(t_live - t_click, 2),
        "from_navigation": round(t_live - t_nav, 2),
    }
    result.update(exercise_dropdown(frame, 30, args.expect))
    page.screenshot(path=str(shots / "notebook-changed.png"))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("site", type=Path, help="the built site, e.g. _build/html")
    ap.add_argument("--page", help="page to open, relative to the site (default: first page with a lite frame)")
    ap.add_argument("--mode", choices=["repl", "notebook", "both"], default="repl")
    ap.add_argument("--timeout", type=float, default=180, help="seconds to wait for a live widget")
    ap.add_argument("--expect", help="regex the output must match after the change; {value} = the chosen option")
    ap.add_argument("--no-progress-check", dest="require_progress", action="store_false")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--screenshots", type=Path)
    args = ap.parse_args(argv)

    site = args.site.resolve()
    if not (site / "lite" / "jupyter-lite.json").is_file():
        raise SystemExit(f"{site} has no lite/ (JupyterLite) build")
    page_path = args.page or find_page(site)
    shots = args.screenshots or Path(tempfile.mkdtemp(prefix="lite-smoke-"))
    shots.mkdir(parents=True, exist_ok=True)
    server = serve(site)
    host, port = server.server_address[:2]
    base = f"http://{host}:{port}"

    external: list[str] = []
    failed_local: list[str] = []
    console_errors: list[str] = []

    def is_local(url: str) -> bool:
        if url.startswith(LOCAL_SCHEMES):
            return True
        return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")

    report: dict = {"site": str(site), "page": page_path, "mode": args.mode, "screenshots": str(shots)}
    ok = True
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})

        def route(r):
            if is_local(r.request.url):
                r.continue_()
            else:
                external.append(r.request.url)
                r.abort("blockedbyclient")

        context.route("**/*", route)
        context.on("request", lambda req: None if is_local(req.url) else external.append(req.url))
        context.on(
            "requestfailed",
            lambda req: failed_local.append(f"{req.url} {req.failure}") if is_local(req.url) else None,
        )
        context.on("weberror", lambda e: console_errors.append(f"pageerror: {e.error}"))

        def on_page(p: Page) -> None:
            p.on("console", lambda m: console_errors.append(m.text[:300]) if m.type == "error" else None)

        context.on("page", on_page)
        page = context.new_page()
        t_nav = time.perf_counter()
        page.goto(f"{base}/{page_path}", wait_until="load")
        report["page_load"] = round(time.perf_counter() - t_nav, 2)
        modes = ["repl", "notebook"] if args.mode == "both" else [args.mode]
        for mode in modes:
            if mode == "notebook" and "repl" in modes:  # a fresh page, so timings do not overlap
                t_nav = time.perf_counter()
                page.goto(f"{base}/{page_path}", wait_until="load")
            try:
                report[mode] = (run_repl if mode == "repl" else run_notebook)(page, args, shots, t_nav)
            except Failure as e:
                ok = False
                report[mode] = {"error": str(e)}
                page.screenshot(path=str(shots / f"{mode}-failure.png"))
        browser.close()
    server.shutdown()

    report["external_requests"] = sorted(set(external))
    report["failed_local_requests"] = failed_local
    report["console_errors"] = console_errors[:20]
    if external:
        ok = False
    report["ok"] = ok
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the live (JupyterLite + Pyodide) code chooser of the built book, and the site's size.

    .venv/bin/python benchmarks/bench_live.py [--site _build/html] [--runs 3] [--changes 6]

Builds nothing: serves SITE on 127.0.0.1 and opens book/choosing/family.html in Debian's Chromium
(headless, Playwright), RUNS times, each in a fresh browser context (a first visit: empty cache).
Per run:

* page load -> live widget: from navigation, through the click on the page's "Run this widget live"
  prompt, Python starting in the browser, to the code chooser showing the engine's output;
* change -> output: the "Done by" drop-down switched between physician and clinical staff CHANGES
  times, timed in the page (performance.now()) from the change event to the output text being the
  one the engine computes (pumpbill.widgets.choose_html, run here);
* bytes the site served for it (what a reader downloads for a first live widget).

Nothing leaves the machine: Chromium gets a dead proxy and a host-resolver rule, every non-loopback
request is also aborted and recorded, and the run fails if there was one. Service workers are allowed
by default (as in a reader's browser); --service-workers block to compare.

Then the site's size: total, lite/ (JupyterLite + Pyodide + wheels) and the largest parts of lite/.
Prints a table and, with --json FILE, writes the numbers.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PAGE = "book/choosing/family.html"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost",
]
LOCAL_SCHEMES = ("data:", "blob:", "about:")
BASE = ("programmable", "intrathecal", True, True, True, "daily_dose")  # the chooser's starting state
PERFORMERS = {"physician": "physician", "clinical staff (RN)": "clinical_staff"}  # option label -> value

# the chooser's output (its only HTML widget) as text without whitespace, as in tests/browser/test_live.py
OUT_JS = """() => Array.from(document.querySelectorAll('.jp-CodeConsole-content .widget-html-content'))
  .map(e => e.textContent.replace(/\\s+/g, '')).join('|')"""
CHANGE_JS = """async ([label, want, timeoutMs]) => {
  const out = """ + OUT_JS + """;
  const box = Array.from(document.querySelectorAll('.jp-CodeConsole-content .widget-dropdown'))
    .find(d => d.querySelector('label').textContent.trim() === 'Done by');
  const select = box.querySelector('select');
  const t0 = performance.now();
  select.value = label;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  while (out() !== want) {
    if (performance.now() - t0 > timeoutMs) throw new Error('no output ' + want + ' (got ' + out() + ')');
    await new Promise(r => setTimeout(r, 2));
  }
  return performance.now() - t0;
}"""




def expected(performer: str) -> str:
    from pumpbill.render import squashed_text
    from pumpbill.widgets import choose_html

    return squashed_text(choose_html(*BASE, performer, "11", "medicare"))


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json"}
    served = 0
    lock = threading.Lock()

    def copyfile(self, source, outputfile) -> None:
        data = source.read()
        with _Handler.lock:
            _Handler.served += len(data)
        outputfile.write(data)

    def log_message(self, *args) -> None:
        pass


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def site_sizes(site: Path) -> dict:
    lite = site / "lite"
    pyodide = lite / "static" / "pyodide"
    parts = {
        "pyodide runtime (wasm, js, stdlib)": sum(f.stat().st_size for f in pyodide.iterdir()
                                                  if f.is_file() and not f.name.endswith(".whl")),
        "wheels": sum(f.stat().st_size for f in pyodide.glob("*.whl")),
        "JupyterLite app (lite/ minus static/pyodide)": dir_size(lite) - dir_size(pyodide),
    }
    largest = sorted(((f.stat().st_size, f.relative_to(site).as_posix()) for f in lite.rglob("*") if f.is_file()),
                     reverse=True)[:5]
    return {"total": dir_size(site), "lite": dir_size(lite), "book_without_lite": dir_size(site) - dir_size(lite),
            "lite_parts": parts, "largest_files": [{"path": p, "bytes": s} for s, p in largest]}


def one_run(browser, base: str, changes: int, service_workers: str) -> dict:
    external: list[str] = []

    def is_local(url: str) -> bool:
        return url.startswith(LOCAL_SCHEMES) or urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")

    def route(r) -> None:
        if is_local(r.request.url):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort("blockedbyclient")

    context = browser.new_context(service_workers=service_workers, viewport={"width": 1280, "height": 900})
    context.route("**/*", route)
    context.on("request", lambda req: None if is_local(req.url) else external.append(req.url))
    page = context.new_page()
    page.set_default_timeout(180_000)
    served0 = _Handler.served
    t0 = time.perf_counter()
    page.goto(base + PAGE, wait_until="load")
    t_load = time.perf_counter() - t0
    container = page.locator(".jupyterlite_sphinx_iframe_container[onclick*='repl/index.html']").first
    container.locator(".jupyterlite_sphinx_try_it_button").click()
    t_click = time.perf_counter() - t0
    iframe = container.locator("iframe")
    iframe.wait_for(state="attached")
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function("(want) => (" + OUT_JS + ")() === want", arg=expected("clinical_staff"), polling=50)
    t_live = time.perf_counter() - t0
    served_boot = _Handler.served - served0
    change_ms = []
    labels = list(PERFORMERS)
    for i in range(changes):
        label = labels[i % 2]
        change_ms.append(frame.evaluate(CHANGE_JS, [label, expected(PERFORMERS[label]), 30_000]))
    context.close()
    if external:
        raise SystemExit(f"non-loopback requests: {sorted(set(external))}")
    return {"page_load_event_s": round(t_load, 2), "click_at_s": round(t_click, 2),
            "page_load_to_live_widget_s": round(t_live, 2), "served_for_live_widget_bytes": served_boot,
            "change_to_output_ms": [round(x, 1) for x in change_ms]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--changes", type=int, default=6, help="drop-down changes timed per run")
    ap.add_argument("--service-workers", choices=["allow", "block"], default="allow")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)

    site = args.site.resolve()
    if not (site / PAGE).is_file() or not (site / "lite" / "jupyter-lite.json").is_file():
        raise SystemExit(f"{site} has no built book with lite/: run scripts/build-book.sh first")
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    runs = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            try:
                for i in range(args.runs):
                    r = one_run(browser, base, args.changes, args.service_workers)
                    runs.append(r)
                    ch = r["change_to_output_ms"]
                    served = mb(r["served_for_live_widget_bytes"])
                    print(f"run {i + 1}: page load -> live widget {r['page_load_to_live_widget_s']:5.1f} s "
                          f"(load event {r['page_load_event_s']:.2f} s), served {served};"
                          f" change -> output median {statistics.median(ch):.0f} ms (min {min(ch):.0f}, "
                          f"max {max(ch):.0f})", flush=True)
            finally:
                browser.close()
    finally:
        server.shutdown()

    sizes = site_sizes(site)
    live = [r["page_load_to_live_widget_s"] for r in runs]
    changes = [x for r in runs for x in r["change_to_output_ms"]]
    summary = {
        "page": PAGE, "runs": args.runs, "service_workers": args.service_workers,
        "page_load_to_live_widget_s": {"median": statistics.median(live), "min": min(live), "max": max(live)},
        "change_to_output_ms": {"median": round(statistics.median(changes), 1), "min": min(changes),
                                "max": max(changes), "n": len(changes)},
        "served_for_live_widget_bytes": statistics.median(r["served_for_live_widget_bytes"] for r in runs),
        "site": sizes, "per_run": runs,
    }
    print(f"\ncode chooser, {args.runs} cold runs (fresh browser context each), service workers {args.service_workers}")
    print(f"  page load -> live widget : median {summary['page_load_to_live_widget_s']['median']:.1f} s "
          f"(min {min(live):.1f}, max {max(live):.1f})")
    print(f"  change -> output         : median {summary['change_to_output_ms']['median']:.0f} ms over "
          f"{len(changes)} changes (min {min(changes):.0f}, max {max(changes):.0f})")
    print(f"  downloaded for it        : {mb(summary['served_for_live_widget_bytes'])}")
    print(f"site {site}")
    print(f"  total                    : {mb(sizes['total'])}")
    print(f"  lite/                    : {mb(sizes['lite'])}")
    for name, n in sizes["lite_parts"].items():
        print(f"    {name:44}: {mb(n)}")
    print(f"  book pages and assets    : {mb(sizes['book_without_lite'])}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

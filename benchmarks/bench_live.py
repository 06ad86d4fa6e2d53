"""Benchmark: time to a live widget on the built book, change -> output, and the bytes downloaded.

    .venv/bin/python benchmarks/bench_live.py [--site _build/html] [--runs 5] [--changes 10] [--json FILE]

Builds nothing: serves SITE on 127.0.0.1 (a counting static server) and drives Debian's Chromium
(headless, Playwright). Each run uses a NEW persistent browser profile (an empty cache, as a first visit;
a persistent profile, because Chromium keeps compiled WebAssembly only there):

* cold: book/choosing/family.html, from navigation to the code chooser being live (its cell says
  data-live="live": Python ran the page's cell and the live widget replaced the snapshot), read in the
  page as performance.now() since navigation start;
* change -> output: the chooser's "Done by" switched between physician and clinical staff CHANGES times,
  timed in the page from the change event to the output showing the code the engine gives (62370 or
  62369);
* warm, next page: book/drugs/units.html in the same profile (what a reader sees on the next chapter);
* bytes: what the server sent for each page load (uncompressed; HTTP 304 revalidations count 0).

Nothing leaves the machine: Chromium gets a dead proxy and a host-resolver rule (no route handler: it
would turn the HTTP cache off); every request to another host is recorded and fails the run. Prints
medians (and min/max) and, with --json FILE, writes every number.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLD_PAGE = "book/choosing/family.html"
WARM_PAGE = "book/drugs/units.html"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost",
]
LIVE_MS_JS = "() => window.pumpbillLive.liveMs[0]"  # ms since navigation start
STAGES_JS = "() => ({script: window.pumpbillLive.t0, ...window.pumpbillLive.stages})"
CHANGE_JS = """async ([label, want]) => {
  const cell = document.querySelector('.pb-live-cell[data-live="live"]');
  const select = Array.from(cell.querySelectorAll('.widget-dropdown'))
    .find(d => d.querySelector('label').textContent.trim() === 'Done by').querySelector('select');
  const out = () => Array.from(cell.querySelectorAll('.widget-html-content')).map(e => e.textContent).join('|');
  const t0 = performance.now();
  select.value = label;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  while (!out().includes(want)) {
    if (performance.now() - t0 > 10000) throw new Error('no output ' + want);
    await new Promise(r => setTimeout(r, 1));
  }
  return performance.now() - t0;
}"""


class Counter(http.server.SimpleHTTPRequestHandler):
    sent = 0
    requests = 0

    def log_message(self, *args: object) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        super().send_response(code, message)
        type(self).requests += 1

    def copyfile(self, source, outputfile) -> None:  # type: ignore[override]
        data = source.read()
        type(self).sent += len(data)
        outputfile.write(data)


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Counter, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def load(page, url: str) -> tuple[float, int, int]:
    """Navigate; wait for the live widget. (ms from navigation to live, bytes served, requests)."""
    Counter.sent = Counter.requests = 0
    page.goto(url, wait_until="commit")
    page.wait_for_selector('.pb-live-cell[data-live="live"]', timeout=120_000)
    return page.evaluate(LIVE_MS_JS), Counter.sent, Counter.requests, page.evaluate(STAGES_JS)


def one_run(pw, base: str, changes: int) -> dict:
    blocked: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pb-bench-profile-") as profile:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium",
                                                    args=CHROMIUM_ARGS, headless=True,
                                                    viewport={"width": 1280, "height": 900})
        # No route handler: Playwright turns the HTTP cache off when one is set, and the warm load is
        # about that cache. The proxy and resolver flags already make every other host unreachable;
        # attempts are recorded from the request events (pages and their workers).
        ctx.on("request", lambda req: None if req.url.startswith((base, "data:", "blob:"))
               else blocked.append(req.url))
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        cold_ms, cold_bytes, cold_requests, cold_stages = load(page, base + COLD_PAGE)
        times = []
        for i in range(changes):
            label, want = (("physician", "62370") if i % 2 == 0 else ("clinical staff (RN)", "62369"))
            times.append(page.evaluate(CHANGE_JS, [label, want]))
        warm_ms, warm_bytes, warm_requests, warm_stages = load(page, base + WARM_PAGE)
        ctx.close()
    if blocked:
        sys.exit(f"non-loopback requests were attempted: {blocked[:5]}")
    return {"cold_ms": cold_ms, "cold_bytes": cold_bytes, "cold_requests": cold_requests,
            "change_ms": statistics.median(times), "change_ms_max": max(times),
            "warm_ms": warm_ms, "warm_bytes": warm_bytes, "warm_requests": warm_requests,
            "cold_stages": cold_stages, "warm_stages": warm_stages}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--changes", type=int, default=10)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if not (args.site / COLD_PAGE).is_file():
        sys.exit(f"{args.site / COLD_PAGE} not found: build the book first (scripts/build-book.sh)")
    from playwright.sync_api import sync_playwright

    server, base = serve(args.site)
    runs = []
    with sync_playwright() as pw:
        for i in range(args.runs):
            runs.append(one_run(pw, base, args.changes))
            r = runs[-1]
            print(f"run {i + 1}: cold {r['cold_ms'] / 1000:.2f} s ({r['cold_bytes'] / 1e6:.1f} MB), "
                  f"change {r['change_ms']:.1f} ms, next page {r['warm_ms'] / 1000:.2f} s "
                  f"({r['warm_bytes'] / 1e6:.2f} MB)", flush=True)
    server.shutdown()

    def row(name: str, key: str, scale: float, unit: str) -> str:
        vals = [r[key] * scale for r in runs]
        return (f"| {name} | {statistics.median(vals):.2f} {unit} | {min(vals):.2f} | {max(vals):.2f} |")

    print(f"\nMedian of {args.runs} runs (fresh profile each), {args.changes} changes per run\n")
    print("| What | median | min | max |\n|---|---|---|---|")
    print(row(f"cold: navigation -> live code chooser ({COLD_PAGE})", "cold_ms", 1e-3, "s"))
    print(row(f"warm, next page: navigation -> live widget ({WARM_PAGE})", "warm_ms", 1e-3, "s"))
    print(row("change -> output (Done by, in the page)", "change_ms", 1, "ms"))
    print(row("bytes downloaded, cold page", "cold_bytes", 1e-6, "MB"))
    print(row("bytes downloaded, next page", "warm_bytes", 1e-6, "MB"))
    print(row("requests, cold page", "cold_requests", 1, ""))
    for which in ("cold", "warm"):
        names = runs[0][f"{which}_stages"].keys()
        print(f"\n{which}: where the time goes (median ms since navigation): "
              + ", ".join(f"{n} {statistics.median(r[f'{which}_stages'][n] for r in runs):.0f}" for n in names)
              + f", live {statistics.median(r[f'{which}_ms'] for r in runs):.0f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

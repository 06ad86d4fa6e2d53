"""Local study mode (scripts/study.sh): a book page opened live in JupyterLab on this machine, offline.

Starts JupyterLab the way the script does (jupytext opens the MyST page as a notebook), runs the page,
changes a widget and waits for its output to follow; any non-loopback request fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "book/choosing/family.md"
TOKEN = "pumpbill-study-test"

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    settings = tmp_path_factory.mktemp("lab-settings")
    plugin = settings / "@jupyterlab" / "docmanager-extension"
    plugin.mkdir(parents=True)
    viewers = {"defaultViewers": {"markdown": "Jupytext Notebook"}}
    (plugin / "plugin.jupyterlab-settings").write_text(json.dumps(viewers))
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    # render every cell (JupyterLab 4 otherwise detaches cells scrolled out of view)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    # JupyterLab autosaves what it opens: work on a copy of the book, never on the repository
    root = tmp_path_factory.mktemp("study-root")
    shutil.copytree(ROOT / "book", root / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path_factory.mktemp("jcfg")))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={TOKEN}", "--allow-root",
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp_path_factory.mktemp('ws')}",
           "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False"]
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited: {proc.stderr.read()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start within 90 s")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_page_runs_live_and_widget_updates(lab, offline_visit):
    page = offline_visit.page
    page.set_default_timeout(120_000)
    t0 = time.perf_counter()
    page.goto(f"{lab}/lab/tree/{PAGE}?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    done_by = page.locator(".jp-Notebook .widget-dropdown", has_text="Done by").locator("select").first
    done_by.wait_for(state="visible")
    done_by.scroll_into_view_if_needed()
    ready = time.perf_counter() - t0
    # let "run all" finish first: later cells of the page must not race the change below
    page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget;"
                           " const k = w.sessionContext.session.kernel;"
                           " return k && k.status === 'idle' && w.content.widgets"
                           "   .filter(c => c.model.type === 'code').every(c => c.model.executionCount !== null); }")
    page.wait_for_timeout(500)
    out = page.locator(".jp-Notebook .widget-html", has_text="Bill").first
    out.wait_for(state="visible")
    before = out.inner_text()
    t1 = time.perf_counter()
    options = done_by.evaluate("s => [...s.options].map(o => o.textContent)")
    done_by.select_option(index=next(i for i, o in enumerate(options) if o.strip() == "physician"))
    texts: list[str] = []
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        texts = page.locator(".jp-Notebook .widget-html").all_inner_texts()
        if any("Bill 62370" in t for t in texts):
            break
        page.wait_for_timeout(50)
    assert any("Bill 62370" in t for t in texts), f"output did not follow the change: {before!r}"
    updated = time.perf_counter() - t1
    print(f"study mode: page load to live widget {ready:.1f} s; change to updated output {updated:.2f} s")
    offline_visit.check_requests()

"""Live widgets in place: the page's own widget cell runs in a Pyodide web worker.

Register in ``_config.yml`` (``sphinx: local_extensions: {pumpbill_live: lite/sphinx_ext}``). On every page
whose notebook cell outputs an ipywidget, this extension

* marks the cell (class ``pb-live-cell``) and embeds the cell's source in it, as a non-executable
  ``<script type="text/x-pumpbill-cell">`` holding a JSON string (the page script sends it to the worker);
* adds ``pumpbill-output.css`` to every page (engine output: severity colours and the refill chart in
  light and dark mode, rule links that look like links);
* adds ``pumpbill-live.js`` and ``pumpbill-live.css`` to the page. The script shows the static snapshot as
  inert, with a "Snapshot" label, until Python runs; starts the worker (``pumpbill-live-worker.mjs``) in the
  background unless the reader turned that off; then renders the live widget in place of the snapshot with
  the same ``@jupyter-widgets/html-manager`` that drew the snapshot.

The worker loads Pyodide and only the wheels the widgets need (``pumpbill``, ``pydantic``, ``pyyaml``,
``ipywidgets``, ``traitlets``, ``comm`` and their small dependencies; no IPython, no kernel) from the
JupyterLite Pyodide folder the site already serves (``lite/static/pyodide/``, see ``lite/README.md``);
``pumpbill.live`` is the Python half of the bridge.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
CELL_MIME = "text/x-pumpbill-cell"
# What the worker installs (names in the Pyodide lock); ipywidgets' own dependencies on IPython and
# widgetsnbextension are left out on purpose (pumpbill.live stubs the few IPython names it imports).
LIVE_PACKAGES = ("pumpbill", "pydantic", "pydantic-core", "annotated-types", "typing-extensions",
                 "typing-inspection", "pyyaml", "ipywidgets", "traitlets", "comm")


EARLY_START = """(function (boot) {
  try { if (window.localStorage.getItem("pumpbill-live-autostart") === "false") return; } catch (e) {}
  if (!window.Worker) return;
  var early = { messages: [], worker: new Worker(boot.worker, { type: "module" }) };
  early.worker.onmessage = function (e) { early.messages.push(e); };
  early.worker.onerror = function (e) { early.error = e.message || "the worker stopped"; };
  early.worker.postMessage({ type: "init", pyodide: new URL(boot.pyodide, location.href).href,
                             packages: boot.packages });
  window.__pumpbillEarly = early;
})(%s);"""


def _has_widget(node: nodes.Node) -> bool:
    return any(VIEW_MIME in raw.astext() for raw in node.findall(nodes.raw))


def _notebook_cells(app: Sphinx, docname: str) -> list[Any] | None:
    path = Path(app.env.doc2path(docname))
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        import nbformat

        return list(nbformat.reads(text, as_version=4).cells)
    from myst_nb.core.read import read_myst_markdown_notebook

    return list(read_myst_markdown_notebook(text, path=path).cells)


def _mark_cells(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    cells = [c for c in doctree.findall(nodes.container) if c.get("nb_element") == "cell_code" and _has_widget(c)]
    if not cells:
        return
    notebook = _notebook_cells(app, docname)
    for cell in cells:
        index = cell.get("cell_index")
        source = notebook[index] if notebook is not None and isinstance(index, int) and index < len(notebook) else None
        if source is None or source.get("cell_type") != "code":
            logger.warning("widget cell %s: its source was not found; it stays a snapshot", index,
                           location=docname, type="pumpbill", subtype="live")
            continue
        # JSON in a <script>: no "<" at all, so neither "</script" nor "<!--" can end or bend it
        code = json.dumps(source["source"]).replace("<", "\\u003c")
        cell["classes"].append("pb-live-cell")
        cell.insert(0, nodes.raw("", f'<script type="{CELL_MIME}">{code}</script>', format="html"))
    app.env.metadata[docname]["pumpbill_live"] = True


def _page_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if not app.env.metadata.get(pagename, {}).get("pumpbill_live"):
        return
    app.add_css_file("pumpbill-live.css")
    if app.config.pumpbill_live_autostart:
        # Python's download and compile start from the <head>, before the page's large scripts; the page
        # script adopts this worker (window.__pumpbillEarly) when it runs.
        pathto = context["pathto"]
        boot = {"worker": pathto("_static/pumpbill-live-worker.mjs", 1),
                "pyodide": pathto(app.config.pumpbill_live_pyodide.rstrip("/"), 1) + "/",
                "packages": list(LIVE_PACKAGES)}
        # First thing in the <head> (the meta tags come before every stylesheet): an inline script placed
        # after a stylesheet waits for it, which held the worker back about 0.25 s on a cold load.
        script = EARLY_START % json.dumps(boot).replace("<", "\\u003c")  # nothing in it can close the <script>
        context["metatags"] = f"{context.get('metatags') or ''}\n<script>{script}</script>"
    app.add_js_file("pumpbill-live.js", defer="defer", **{
        "data-pyodide": app.config.pumpbill_live_pyodide,
        "data-packages": " ".join(LIVE_PACKAGES),
        "data-autostart": "true" if app.config.pumpbill_live_autostart else "false",
    })


def _static_path(app: Sphinx, config: Any) -> None:
    static = str(HERE / "static")
    if static not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, static]


def setup(app: Sphinx) -> dict[str, Any]:
    # Pyodide folder relative to the site root; the JupyterLite build puts it there.
    app.add_config_value("pumpbill_live_pyodide", "lite/static/pyodide/", "html")
    # Start Python when a page with widgets opens; readers can turn it off (it is remembered).
    app.add_config_value("pumpbill_live_autostart", True, "html")
    app.connect("config-inited", _static_path)
    app.add_css_file("pumpbill-output.css")  # engine output appears on most pages, not only widget pages
    app.connect("doctree-read", _mark_cells)
    app.connect("html-page-context", _page_assets, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

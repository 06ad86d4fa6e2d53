"""Glue between the book and JupyterLite (jupyterlite-sphinx 0.23), for an offline site.

Register in ``_config.yml``::

    sphinx:
      extra_extensions: [jupyterlite_sphinx]
      local_extensions: {pumpbill_lite: lite/sphinx_ext}

What it does:

* Stops the build early, with the fix, if the lite dir has not been prepared by
  ``scripts/build-lite.sh`` (no ``static/pyodide/pyodide-lock.json``): without
  it the kernel would load Pyodide from a CDN.
* Drops the Google Fonts stylesheet that jupyterlite-sphinx adds to every page
  (the prompt button is restyled with the theme's font instead).
* Re-reads, on every build, the pages that carry a JupyterLite directive.
  jupyterlite-sphinx empties ``_contents/`` at the start of each build but
  rewrites a page's notebook only when the page is read, so an incremental build
  would ship a lite site without the unchanged pages' notebooks.
* Fixes the notebooks written to ``_contents/`` before the JupyterLite build:
  kernelspec set to the Pyodide kernel (``python``; with the book's ``python3``
  JupyterLite asks the reader to pick a kernel), cells tagged ``jupyterlite_sphinx_strip``
  dropped, ``remove-cell`` cells (the book's hidden checks and setup) kept but collapsed, and the
  JupyterLite directives themselves removed from the markdown cells.
* On pages with a JupyterLite directive, adds a status line above each lite
  frame (``role=status``): what is loading, elapsed seconds, then "ready"; and
  restyles the "try it" prompt as a normal button.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
LITE_DIRECTIVES = ("notebooklite", "retrolite", "jupyterlite", "voici", "replite")
# ```{notebooklite} ...``` / :::{replite} ... ::: (MyST) and .. notebooklite:: (rST)
_DIRECTIVE_RE = re.compile(r"(?:\{|\.\.\s+)(" + "|".join(LITE_DIRECTIVES) + r")(?:\}|::)")
_FENCED_RE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?:" + "|".join(LITE_DIRECTIVES) + r")\}.*?^(?P=fence)[ \t]*$\n?",
    re.MULTILINE | re.DOTALL,
)
REMOTE_FONTS = "fonts.googleapis.com"
PYODIDE_KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}


def _check_lite_dir(app: Sphinx, config: Config) -> None:
    lite_dir = Path(app.srcdir, config.jupyterlite_dir)
    if not (lite_dir / "static" / "pyodide" / "pyodide-lock.json").is_file():
        raise ConfigError(
            f"JupyterLite dir {lite_dir} is not prepared (no offline Pyodide in it): run scripts/build-lite.sh"
        )
    paths = list(config.html_static_path)
    static = str(HERE / "static")
    if static not in paths:
        paths.append(static)
    config.html_static_path = paths


# -- which pages use JupyterLite ----------------------------------------------------
def _lite_docs(env: BuildEnvironment) -> set[str]:
    if not hasattr(env, "pumpbill_lite_docs"):
        env.pumpbill_lite_docs = set()
    return env.pumpbill_lite_docs


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if _DIRECTIVE_RE.search(source[0]):
        _lite_docs(app.env).add(docname)
    else:
        _lite_docs(app.env).discard(docname)


def _purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    _lite_docs(env).discard(docname)


def _merge(app: Sphinx, env: BuildEnvironment, docnames: set[str], other: BuildEnvironment) -> None:
    _lite_docs(env).update(_lite_docs(other) & set(docnames))


def _reread(app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    return sorted(d for d in _lite_docs(env) if d in env.found_docs and d not in added | changed)


# -- the notebooks JupyterLite serves -------------------------------------------------
def _fix_notebook(path: Path, strip_tags: set[str], hide_tags: set[str] = frozenset()) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb.setdefault("metadata", {})["kernelspec"] = dict(PYODIDE_KERNELSPEC)
    cells = []
    for cell in nb.get("cells", []):
        tags = set(cell.get("metadata", {}).get("tags", []))
        if strip_tags & tags:
            continue
        if hide_tags & tags:
            # the book's hidden cells also define names later cells use: keep them, collapsed
            cell["metadata"].setdefault("jupyter", {}).update(source_hidden=True, outputs_hidden=True)
        if cell.get("cell_type") == "markdown":
            src = cell.get("source", "")
            text = "".join(src) if isinstance(src, list) else src
            new = _FENCED_RE.sub("", text)
            if new != text:
                if not new.strip():
                    continue
                cell["source"] = new
        cells.append(cell)
    nb["cells"] = cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _fix_contents(app: Sphinx, error: Exception | None) -> None:
    if error is not None or app.builder.format != "html":
        return
    contents = Path(app.srcdir, app.config.jupyterlite_content_dir)
    strip = set(app.config.pumpbill_lite_strip_tags)
    hide = set(app.config.pumpbill_lite_hide_tags)
    for path in sorted(contents.rglob("*.ipynb")):
        _fix_notebook(path, strip, hide)


# -- page assets ----------------------------------------------------------------------
def _page_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    css = context.get("css_files")
    if css:  # jupyterlite-sphinx adds https://fonts.googleapis.com/css?family=Vibur to every page
        css[:] = [f for f in css if REMOTE_FONTS not in str(getattr(f, "filename", f) or "")]
    if pagename in _lite_docs(app.env):
        app.add_css_file("pumpbill-lite.css")
        app.add_js_file("pumpbill-lite.js", defer="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("jupyterlite_sphinx")
    app.add_config_value("pumpbill_lite_strip_tags", ["jupyterlite_sphinx_strip"], "html")
    app.add_config_value("pumpbill_lite_hide_tags", ["remove-cell"], "html")
    app.connect("config-inited", _check_lite_dir)
    app.connect("source-read", _source_read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _reread)
    # before jupyterlite-sphinx's own build-finished handler (priority 500) runs `jupyter lite build`
    app.connect("build-finished", _fix_contents, priority=400)
    app.connect("html-page-context", _page_assets, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

"""Serve the ipywidgets JavaScript from the book itself (no CDN).

``scripts/fetch-web-assets.sh`` puts RequireJS and the
``@jupyter-widgets/html-manager`` embed bundle in
``build/web-assets/static/pumpbill-widgets/``. This extension

* adds ``build/web-assets/static`` to ``html_static_path``, so the files are
  copied to ``_build/html/_static/pumpbill-widgets/``. They are not in the
  source ``_static/`` folder, so Jupyter Book does not add them to every page;
  myst-nb adds them (``nb_ipywidgets_js`` in ``_config.yml``) only to pages
  that carry widget state;
* warns (an error under ``-W``) on any page with math while ``mathjax_path``
  is a remote URL: the book serves no MathJax, and Sphinx would load it from a
  CDN on such pages only (math needs a local MathJax first);
* on pages with widgets, rewrites the relative ``data-jupyter-widgets-cdn``
  attribute (given relative to the output root in ``_config.yml``) into a path
  relative to the page (the html-manager uses it as is, and pages live at
  different depths), and adds a ``require.config`` so the embed bundle loads its
  font files from the same folder;
* drops sphinx-thebe's scripts (thebe needs Binder and unpkg.com).

The build stops with a clear error if the assets have not been fetched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ASSET_NAME = "pumpbill-widgets"
CDN_ATTR = "data-jupyter-widgets-cdn"
HTML_MANAGER = "@jupyter-widgets/html-manager"


def _add_static_path(app: Sphinx, config: Config) -> None:
    static_root = Path(app.srcdir, config.pumpbill_offline_assets).resolve()
    if not (static_root / ASSET_NAME / "embed-amd.js").is_file():
        raise ConfigError(
            f"offline widget assets missing in {static_root / ASSET_NAME}: "
            "run scripts/fetch-web-assets.sh (or scripts/build-book.sh)"
        )
    paths = list(config.html_static_path)
    if str(static_root) not in paths:
        paths.append(str(static_root))
    config.html_static_path = paths


def _fix_page_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    pathto = context.get("pathto")
    if not scripts or pathto is None:
        return
    # sphinx-thebe (always loaded by Jupyter Book) adds its config script twice
    # ("Identifier 'THEBE_JS_URL' has already been declared" on every page) and
    # points at unpkg.com; thebe needs Binder, so it has no use here.
    scripts[:] = [js for js in scripts if not _is_thebe(js)]
    for js in list(scripts):
        attrs = getattr(js, "attributes", None) or {}
        cdn = attrs.get(CDN_ATTR)
        if not cdn or "://" in cdn or cdn.startswith("/"):
            continue
        rel = pathto(cdn.rstrip("/"), resource=True).rstrip("/")
        here = scripts.index(js)
        scripts[here] = type(js)(js.filename, priority=js.priority, **{**attrs, CDN_ATTR: rel + "/"})
        # The embed bundle loads its font files from the folder of the URL that
        # RequireJS gives its module ids, by default the page's own folder: map
        # both ids into this folder.
        paths = {HTML_MANAGER: f"{rel}/embed-amd", f"{HTML_MANAGER}/dist": rel}
        body = f"if (window.require && window.require.config) {{ require.config({{paths: {json.dumps(paths)}}}); }}"
        scripts.insert(here, type(js)("", priority=js.priority, body=body))


def _is_thebe(js: Any) -> bool:
    filename = str(getattr(js, "filename", "") or "")
    body = (getattr(js, "attributes", None) or {}).get("body", "")
    return filename.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def _no_remote_mathjax(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    if "://" not in (app.config.mathjax_path or ""):
        return
    if app.env.get_domain("math").has_equations(pagename):
        logger.warning(
            "page has math, which would load MathJax from %s; this book serves nothing "
            "from a CDN (serve MathJax locally first, see book/_ext/pumpbill_offline.py)",
            app.config.mathjax_path,
            location=pagename,
            type="pumpbill",
            subtype="mathjax",
        )


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("pumpbill_offline_assets", "build/web-assets/static", "env", [str])
    app.connect("config-inited", _add_static_path)
    # after myst-nb's add_per_page_html_resources (default priority 500)
    app.connect("html-page-context", _fix_page_scripts, priority=600)
    app.connect("html-page-context", _no_remote_mathjax)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

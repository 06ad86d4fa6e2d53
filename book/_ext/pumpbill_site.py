"""Site chrome fixes: search, narrow screens, dark mode and accessibility.

The theme pair Jupyter Book 1 ships (pydata-sphinx-theme 0.17, sphinx-book-theme
1.3) and Sphinx's search leave gaps a trainee hits at once; this extension
closes them without forking a theme:

* serves ``site_static/pumpbill-site.js`` and ``pumpbill-site.css`` on every page
  (search shim for all-digit codes, sidebar toggles that open at any width,
  accessible names for theme controls, widget styles for every screen and dark
  mode, focus rings, print rules);
* keeps the source of hidden code cells (``hide-input``/``remove-input``) out of
  the search index, so hits are prose, not Python;
* puts a "Start here" link under the landing page's title, pointing at the next
  page of the table of contents.

Nothing here loads anything remote.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config

STATIC = Path(__file__).parent / "site_static"
HIDDEN_INPUT_TAGS = {"tag_hide-input", "tag_remove-input", "tag_hide-cell", "tag_remove-cell"}


def _add_static_path(app: Sphinx, config: Config) -> None:
    paths = list(config.html_static_path)
    if str(STATIC) not in paths:
        paths.append(str(STATIC))
    config.html_static_path = paths


def without_hidden_inputs(doctree: nodes.document) -> nodes.document:
    """A copy of ``doctree`` without the input of code cells the reader does not see."""
    copy = doctree.deepcopy()
    doomed = []
    for cell in copy.findall(nodes.Element):
        classes = set(cell.get("classes", []))
        if "cell" in classes and classes & HIDDEN_INPUT_TAGS:
            doomed.extend(n for n in cell.findall(nodes.Element) if "cell_input" in n.get("classes", []))
    for node in doomed:
        if node.parent is not None:
            node.parent.remove(node)
    return copy


def _index_visible_text_only(app: Sphinx) -> None:
    builder = app.builder
    index_page = getattr(builder, "index_page", None)
    if index_page is None or getattr(index_page, "_pumpbill_site", False):
        return

    def visible_index_page(pagename: str, doctree: nodes.document, title: str) -> None:
        index_page(pagename, without_hidden_inputs(doctree), title)

    visible_index_page._pumpbill_site = True  # type: ignore[attr-defined]
    builder.index_page = visible_index_page  # type: ignore[method-assign]


def _start_here(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """On the landing page, a link to the first chapter right under the title (above the fold)."""
    nxt = context.get("next")
    body = context.get("body")
    if pagename != app.config.root_doc or not nxt or not body or "</h1>" not in body:
        return
    link = (
        f'<p class="pb-start-here"><a class="pb-start-here__link" href="{escape(nxt["link"])}">'
        f"Start here: {nxt['title']} <span aria-hidden=\"true\">&rarr;</span></a></p>"
    )
    head, _, rest = body.partition("</h1>")
    context["body"] = f"{head}</h1>{link}{rest}"


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _add_static_path)
    app.connect("builder-inited", _index_visible_text_only)
    app.connect("html-page-context", _start_here)
    app.add_css_file("pumpbill-site.css", priority=900)
    # defer: runs after searchtools.js has defined Search and before its DOMContentLoaded init
    app.add_js_file("pumpbill-site.js", loading_method="defer", priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}

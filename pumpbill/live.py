"""The Python half of the book's live widgets: ipywidgets without a Jupyter kernel.

On a book page, a web worker runs Pyodide and this module; the page renders the widgets with
``@jupyter-widgets/html-manager`` (the same renderer as the static snapshot) in place of the snapshot.
Between the two there are only comm messages, sent as JSON strings through ``post`` (``postMessage`` in
the worker). No IPython, no kernel, no file system: that is what makes a live widget start in a few
seconds (TECH-NOTES, "the measured floor and the fastest design").

The page talks to :func:`handle` with JSON messages:

* ``{"type": "run", "id": n, "code": "..."}``: run a page's widget cell; the answer is
  ``{"type": "result", "id": n, "model_ids": [...]}`` (the widget the cell's last expression built) or
  ``{"type": "result", "id": n, "error": "one line"}``.
* ``{"type": "comm_msg", "id": n, "comm_id": "...", "data": {...}}``: a state change from the page; the
  answer, after every message the change caused, is ``{"type": "idle", "id": n}``.

This module also runs under CPython (tests drive the same bridge with a list as ``post``).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import sys
import types
from collections.abc import Callable
from typing import Any

Post = Callable[[str], None]
_post: Post | None = None


def _stub_ipython() -> None:
    """The few IPython names ipywidgets imports; only where IPython is absent (the browser's lean stack)."""
    if "IPython" in sys.modules or importlib.util.find_spec("IPython") is not None:
        return
    ip = types.ModuleType("IPython")
    ip.get_ipython = lambda: None  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")
    display.display = lambda *a, **k: None  # type: ignore[attr-defined]
    display.clear_output = lambda *a, **k: None  # type: ignore[attr-defined]
    core = types.ModuleType("IPython.core")
    shell = types.ModuleType("IPython.core.interactiveshell")

    class InteractiveShell:  # ipywidgets' Output widget asks whether a shell exists
        @classmethod
        def initialized(cls) -> bool:
            return False

    shell.InteractiveShell = InteractiveShell  # type: ignore[attr-defined]
    ip.display = display  # type: ignore[attr-defined]
    ip.core = core  # type: ignore[attr-defined]
    core.interactiveshell = shell  # type: ignore[attr-defined]
    sys.modules.update({"IPython": ip, "IPython.display": display, "IPython.core": core,
                        "IPython.core.interactiveshell": shell})


def _send(message: dict[str, Any]) -> None:
    """JSON only: a state with binary parts (Python to page) raises, and the page then shows the locked
    snapshot with a message instead of a widget that silently lost data. No book widget sends any."""
    if _post is not None:
        _post(json.dumps(message, separators=(",", ":")))


def install(post: Post) -> Callable[[], None]:
    """Route every widget comm to ``post``; returns a function that undoes it (for tests)."""
    global _post
    echo = os.environ.get("JUPYTER_WIDGETS_ECHO")
    os.environ["JUPYTER_WIDGETS_ECHO"] = "0"  # the page already holds what it sent (read at ipywidgets' import)
    _stub_ipython()
    import comm
    from comm.base_comm import BaseComm

    class PageComm(BaseComm):
        def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None,
                        **keys: Any) -> None:
            _send({"type": msg_type, "comm_id": self.comm_id, "target_name": self.target_name,
                   "data": data or {}, "metadata": metadata or {}})

    previous = comm.create_comm
    comm.create_comm = lambda *a, **k: PageComm(*a, **k)
    _post = post

    def undo() -> None:
        global _post
        comm.create_comm = previous
        _post = None
        if echo is None:
            os.environ.pop("JUPYTER_WIDGETS_ECHO", None)
        else:
            os.environ["JUPYTER_WIDGETS_ECHO"] = echo

    return undo


def run_cell(code: str, namespace: dict[str, Any]) -> list[str]:
    """Run a widget cell as a notebook would; the model ids of the widget its last expression gives."""
    tree = ast.parse(code, "<widget cell>", "exec")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<widget cell>", "exec"), namespace)  # noqa: S102 - the book's own cell, not user input
    if last is None:
        return []
    value = eval(compile(ast.Expression(last.value), "<widget cell>", "eval"), namespace)  # noqa: S307
    model_id = getattr(value, "model_id", None)
    return [model_id] if isinstance(model_id, str) else []


def handle(raw: str, namespace: dict[str, Any], buffers: Any = ()) -> None:
    """One message from the page (see the module docstring); ``buffers`` are a state's binary parts
    (a file upload's content), in the order of its ``buffer_paths``."""
    msg = json.loads(raw)
    kind, ident = msg.get("type"), msg.get("id")
    if kind == "run":
        try:
            _send({"type": "result", "id": ident, "model_ids": run_cell(msg["code"], namespace)})
        except Exception as exc:  # noqa: BLE001 - the page shows one line and keeps the snapshot
            _send({"type": "result", "id": ident, "error": f"{type(exc).__name__}: {exc}"[:300]})
    elif kind == "comm_msg":
        import comm

        target = comm.get_comm_manager().get_comm(msg["comm_id"])
        if target is not None:
            target.handle_msg({"content": {"comm_id": msg["comm_id"], "data": msg.get("data") or {}},
                               "buffers": [memoryview(b) for b in buffers], "metadata": {}})
        _send({"type": "idle", "id": ident})

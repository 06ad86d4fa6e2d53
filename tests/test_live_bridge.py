"""pumpbill.live: the comm bridge between a page's widgets and Python, driven here under CPython.

The browser runs the same module in a Pyodide worker (tests/browser/test_live.py drives it there); here a
list stands in for postMessage, so each message the page would get can be read.
"""

from __future__ import annotations

import json

import pytest

ipywidgets = pytest.importorskip("ipywidgets")

from pumpbill import live  # noqa: E402


@pytest.fixture
def page():
    sent: list[str] = []
    undo = live.install(sent.append)
    try:
        yield sent
    finally:
        undo()


def messages(sent: list[str]) -> list[dict]:
    out = [json.loads(m) for m in sent]
    sent.clear()
    return out


def run(sent: list[str], ns: dict, code: str) -> list[dict]:
    live.handle(json.dumps({"type": "run", "id": 1, "code": code}), ns)
    return messages(sent)


def test_a_widget_cell_opens_every_model_and_names_its_root(page) -> None:
    ns: dict = {}
    msgs = run(page, ns, "from pumpbill.widgets import code_chooser\n\ncode_chooser()")
    opens = [m for m in msgs if m["type"] == "comm_open"]
    result = msgs[-1]
    assert result["type"] == "result" and result["id"] == 1 and len(result["model_ids"]) == 1
    root = result["model_ids"][0]
    assert root in {m["comm_id"] for m in opens}
    assert all(m["target_name"] == "jupyter.widget" and m["metadata"]["version"].startswith("2.") for m in opens)
    # children are opened before the box that holds them (the page resolves IPY_MODEL_ references in order)
    order = [m["comm_id"] for m in opens]
    box = next(m for m in opens if m["comm_id"] == root)
    for ref in box["data"]["state"]["children"]:
        assert order.index(ref.removeprefix("IPY_MODEL_")) < order.index(root)


def test_a_change_from_the_page_reaches_the_callback_and_comes_back(page) -> None:
    ns: dict = {}
    opens = [m for m in run(page, ns, "from pumpbill.widgets import code_chooser\ncode_chooser()")
             if m["type"] == "comm_open"]
    done_by = next(m for m in opens if m["data"]["state"].get("description") == "Done by")
    labels = done_by["data"]["state"]["_options_labels"]
    live.handle(json.dumps({"type": "comm_msg", "id": 7, "comm_id": done_by["comm_id"],
                            "data": {"method": "update", "state": {"index": labels.index("physician")},
                                     "buffer_paths": []}}), ns)
    msgs = messages(page)
    assert msgs[-1] == {"type": "idle", "id": 7}, "the page waits for idle to send the next change"
    updates = [m for m in msgs if m["type"] == "comm_msg" and "value" in m["data"].get("state", {})]
    assert any("<code>62370</code>" in m["data"]["state"]["value"] for m in updates), updates


def test_a_failing_cell_is_one_line_and_nothing_else(page) -> None:
    msgs = run(page, {}, "import pumpbill\nraise ValueError('no such widget')")
    assert msgs == [{"type": "result", "id": 1, "error": "ValueError: no such widget"}]
    msgs = run(page, {}, "x = 1")  # a cell that builds no widget
    assert msgs == [{"type": "result", "id": 1, "model_ids": []}]


def test_a_file_upload_arrives_with_its_bytes(page) -> None:
    ns: dict = {}
    opens = [m for m in run(page, ns, "import ipywidgets as W\nup = W.FileUpload()\nup") if m["type"] == "comm_open"]
    upload = next(m for m in opens if m["data"]["state"]["_model_name"] == "FileUploadModel")
    state = {"value": [{"name": "wk1.json", "type": "application/json", "size": 4, "last_modified": 0}]}
    live.handle(json.dumps({"type": "comm_msg", "id": 3, "comm_id": upload["comm_id"],
                            "data": {"method": "update", "state": state,
                                     "buffer_paths": [["value", 0, "content"]]}}), ns, [b"{}\n\n"[:4]])
    assert messages(page)[-1] == {"type": "idle", "id": 3}
    assert bytes(ns["up"].value[0]["content"]) == b"{}\n\n"[:4]


def test_install_is_undone() -> None:
    import comm

    before = comm.create_comm
    sent: list[str] = []
    undo = live.install(sent.append)
    assert comm.create_comm is not before
    undo()
    assert comm.create_comm is before
    ipywidgets.Button()
    assert sent == [], "after undo, nothing reaches the page"

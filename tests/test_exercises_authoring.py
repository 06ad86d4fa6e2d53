"""Authoring and publishing a set: ``pumpbill validate`` (every problem, in one run), ``pumpbill pack`` (one
file, never a key), the widget opening a pack (link or file; practice refuses assignments; the trainee types
an id and the example id is refused), and no answer key in the built site (``keyscan``).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import keyscan
import pytest
import yaml

from pumpbill.cli import main
from pumpbill.errors import InputError
from pumpbill.exercises import Submission, load_exercise, load_set
from pumpbill.exercises.pack import (
    CoursePack,
    PackError,
    load_pack,
    make_pack,
    pack_ref_problem,
    pack_text,
    page_script,
    resolve_pack_url,
)
from pumpbill.exercises.validate import Problem, errors, validate_set
from pumpbill.exercises.widget import exercise_picker, exercise_widget, trainee_problem
from pumpbill.grading import grade

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
F01 = EXERCISES / "foundations" / "f01-refill-no-reprogramming.yaml"
D01 = EXERCISES / "documentation" / "d01-record-device-and-plan.yaml"
C02 = EXERCISES / "claim-review" / "c02-hospital-nurse-refill.yaml"
SITE = ROOT / "_build" / "html"
PAGE = "http://127.0.0.1:8000/book/exercises/assignment.html?pack=packs/wk1.json"


def _data(path: Path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


def _write(folder: Path, name: str, data: dict | str) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def _exercise(src: Path, ident: str, **changes) -> dict:
    data = _data(src)
    data["id"] = ident
    data.update(changes)
    return data


def _review_hospital(key: list[str], **extra) -> dict:
    """The instructor review's i02: a hospital nurse's refill billed on the physician group's claim."""
    data = _data(C02)
    data.update(id="i02", kind="review_claim", rubric={"points": {"rules": 6}}, key={"rules": key}, **extra)
    data["scenario"]["claim"] = {"lines": [
        {"code": "95990", "units": 1, "diagnoses": ["Z45.1", "G80.1"]},
        {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": ["Z45.1", "G80.1"]}]}
    data["references"] = {"book": ["book/payment/place-of-service"]}
    return data


@pytest.fixture
def good_set(tmp_path: Path) -> Path:
    """A clean instructor set: three shipped exercises under new ids, one saved as .yml."""
    folder = tmp_path / "wk1"
    folder.mkdir()
    _write(folder, "set.yaml", {"id": "wk1", "title": "Week 1", "mode": "assignment",
                                "due": "2026-03-09T23:59:00+01:00"})
    _write(folder, "e01.yaml", _exercise(F01, "e01"))
    _write(folder, "e02.yml", _exercise(D01, "e02"))
    _write(folder, "e03.yaml", _review_hospital(["PB701", "PB705"]))
    (folder / "e03.yaml").rename(folder / "i02.yaml")
    return folder


def _lines(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def _has(problems: list[Problem], file: str, field: str, text: str, severity: str = "error") -> bool:
    return any(Path(p.file).name == file and p.field == field and text in p.message and p.severity == severity
               for p in problems)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


# --- validate -----------------------------------------------------------------------------------------


def test_a_clean_set_validates_and_the_yml_file_is_read(good_set: Path):
    problems = validate_set(good_set)
    assert errors(problems) == [], _lines(problems)
    assert [e.id for e in load_set(good_set).exercises] == ["e01", "e02", "i02"]  # e02.yml is not skipped


def test_shipped_sets_have_no_errors():
    for folder in sorted(p.parent for p in EXERCISES.glob("*/set.yaml")):
        assert errors(validate_set(folder)) == [], folder.name


def test_validate_reports_every_mistake_in_every_file_in_one_run(tmp_path: Path):
    folder = tmp_path / "myset"
    folder.mkdir()
    _write(folder, "set.yaml", "id: myset\ntitle: My set\nmode: assignment\ndue: 2026-03-09\nsumary: typo\n")
    # a misspelt field, twice (top level and deep in the scenario), and more in the same file
    e01 = _exercise(F01, "e01")
    e01["narative"] = e01.pop("narrative")
    e01["scenario"]["encounter"]["refill"]["volume_add_ml"] = e01["scenario"]["encounter"]["refill"].pop(
        "volume_added_ml")
    e01["level"] = "difficult"
    e01["references"]["rules"] = ["PB220", "PB002"]
    _write(folder, "e01.yaml", e01)
    # codes, modifiers and diagnoses in the key; units that disagree with the engine
    e02 = _exercise(F01, "e02")
    e02["key"] = {"lines": [{"code": "95990", "units": 1}, {"code": "J2275", "modifiers": ["QQ"], "units": 180}],
                  "diagnoses": ["Z451", "G35", "Q99.99"]}
    _write(folder, "e02.yaml", e02)
    # id against the file name, a book page that does not exist, an unknown payer
    e03 = _exercise(F01, "e03-renamed", payer="aetna")
    e03["references"]["book"] = ["book/choosing/familly"]
    _write(folder, "e03.yaml", e03)
    # a .yml file is validated too; the scenario draws PB604 by itself
    e04 = _exercise(F01, "e04")
    e04["scenario"]["encounter"]["next_refill_date"] = "2026-12-01"
    _write(folder, "e04.yml", e04)
    # a file that is not YAML, one that is not a mapping, a duplicate id, a file that is not read at all
    _write(folder, "e05.yaml", "id: e05\ntitle: [unclosed\n")
    _write(folder, "e06.yaml", "- just\n- a list\n")
    _write(folder, "e07.yaml", _exercise(F01, "e04"))
    _write(folder, "e08.yaml.bak", "whatever")

    problems = validate_set(folder, book_dir=ROOT / "book")
    text = "\n".join(_lines(problems))
    expected = [
        ("set.yaml", "sumary", "unknown field"),
        ("set.yaml", "due", "time zone"),
        ("e01.yaml", "narative", "unknown field (did you mean narrative?)"),
        ("e01.yaml", "narrative", "required field is missing (misspelt as narative?)"),
        ("e01.yaml", "scenario.encounter.refill.volume_add_ml", "did you mean volume_added_ml?"),
        ("e01.yaml", "level", "'easy', 'medium' or 'hard'"),
        ("e01.yaml", "references.rules[0]", "unknown rule 'PB220'"),
        ("e02.yaml", "key.lines[1].code", "unknown code 'J2275'"),
        ("e02.yaml", "key.lines[1].modifiers[0]", "unknown modifier 'QQ'"),
        ("e02.yaml", "key.diagnoses[0]", "not written like an ICD-10-CM code"),
        ("e02.yaml", "key.diagnoses[1]", "G35 is a category header"),
        ("e02.yaml", "key.diagnoses[2]", "Q99.99 is not in the ICD-10-CM code set"),
        ("e02.yaml", "key.lines", "the engine bills 95990 x 1; J0475-JZ x 4"),
        ("e02.yaml", "key.diagnoses", "the engine lists Z45.1, G80.1"),
        ("e03.yaml", "id", "differs from the file name 'e03'"),
        ("e03.yaml", "payer", "unknown payer profile 'aetna'"),
        ("e03.yaml", "references.book[0]", "no page book/choosing/familly in the book"),
        ("e05.yaml", "(file)", "invalid YAML"),
        ("e06.yaml", "(top level)", "expected a mapping"),
        ("e07.yaml", "id", "duplicate exercise id 'e04'"),
    ]
    missing = [e for e in expected if not _has(problems, *e)]
    assert not missing, f"not reported: {missing}\n{text}"
    assert _has(problems, "e04.yml", "scenario", "the scenario itself draws PB604: trainees will see it",
                "warning"), text
    assert _has(problems, "e08.yaml.bak", "(file)", "not read", "note"), text
    assert "did you mean book/choosing/family?" in text
    # every line is FILE: FIELD: message
    for p in problems:
        assert str(p).startswith(f"{p.file}: {p.field}: ")


def test_a_key_that_disagrees_with_the_engine_is_an_error_unless_key_note_says_why(tmp_path: Path):
    folder = tmp_path / "s"
    folder.mkdir()
    _write(folder, "set.yaml", {"id": "s", "title": "S"})
    _write(folder, "i02.yaml", _review_hospital(["PB208", "PB702"]))
    problems = validate_set(folder)
    bad = [p for p in problems if p.field == "key.rules"]
    assert len(bad) == 1 and bad[0].severity == "error", _lines(problems)
    assert "PB208, PB702" in bad[0].message and "also reports PB701, PB705" in bad[0].message
    assert _run(["validate", str(folder)])[0] == 1

    _write(folder, "i02.yaml", _review_hospital(["PB208", "PB702"], key_note="our payer reads it this way"))
    problems = validate_set(folder)
    note = [p for p in problems if p.field == "key.rules"]
    assert [p.severity for p in note] == ["note"] and "our payer reads it this way" in note[0].message
    assert errors(problems) == []
    assert _run(["validate", str(folder)])[0] == 0


def test_a_model_answer_that_leaves_a_gap_is_an_error(tmp_path: Path):
    folder = tmp_path / "s"
    folder.mkdir()
    _write(folder, "set.yaml", {"id": "s", "title": "S"})
    d = _exercise(D01, "d")
    d["key"] = {"documentation": {"next_refill_date": "2026-04-20"}}  # the pump is not recorded
    _write(folder, "d.yaml", d)
    problems = validate_set(folder)
    assert _has(problems, "d.yaml", "key", "the model answer does not earn full points"), _lines(problems)


def test_unknown_payer_is_refused_when_the_set_loads(tmp_path: Path):
    path = _write(tmp_path, "e01.yaml", _exercise(F01, "e01", payer="aetna"))
    with pytest.raises(InputError) as info:
        load_exercise(path)
    assert info.value.field == "payer" and "aetna" in info.value.problem


def test_book_references_are_checked_only_where_the_book_is(tmp_path: Path):
    folder = tmp_path / "s"
    folder.mkdir()
    _write(folder, "set.yaml", {"id": "s", "title": "S"})
    e = _exercise(F01, "e")
    e["references"]["book"] = ["book/nowhere/page"]
    _write(folder, "e.yaml", e)
    assert _has(validate_set(folder, book_dir=ROOT / "book"), "e.yaml", "references.book[0]", "no page")
    assert not [p for p in validate_set(folder, book_dir=None) if p.field.startswith("references")]


def test_validate_command_lines_summary_and_exit_status(good_set: Path, tmp_path: Path):
    rc, out, err = _run(["validate", str(good_set)])
    assert rc == 0 and err == ""
    assert out.strip().splitlines()[-1] == "1 set(s), 3 exercise file(s): no problems"

    rc, out, err = _run(["validate", str(good_set), str(tmp_path / "nowhere")])
    assert rc == 2 and "nowhere: no such folder" in err

    e = _exercise(F01, "e01")
    e["narative"] = e.pop("narrative")
    _write(good_set, "e01.yaml", e)
    rc, out, _ = _run(["validate", str(good_set)])
    assert rc == 1
    assert f"{good_set / 'e01.yaml'}: narative: unknown field (did you mean narrative?)" in out.splitlines()
    assert out.strip().splitlines()[-1].endswith("2 errors")

    e = _exercise(F01, "e01")
    e["scenario"]["encounter"]["next_refill_date"] = "2026-12-01"
    _write(good_set, "e01.yaml", e)
    assert _run(["validate", str(good_set)])[0] == 0
    rc, out, _ = _run(["validate", "--strict", str(good_set)])
    assert rc == 1 and ": scenario: warning: the scenario itself draws PB604" in out


def test_show_keys_prints_keys_in_the_terminal_only_on_request(good_set: Path):
    _, plain, _ = _run(["validate", str(good_set)])
    _, shown, _ = _run(["validate", "--show-keys", str(good_set)])
    assert "PB701" not in plain and "J0475" not in plain
    assert "i02 (review_claim): rules PB701, PB705  [stored; the engine agrees]" in shown
    assert "e01 (choose_claim): lines 95990 x 1; J0475-JZ x 4; diagnoses Z45.1, G80.1" in shown


def test_a_due_date_needs_its_time_zone(tmp_path: Path):
    folder = tmp_path / "s"
    folder.mkdir()
    _write(folder, "set.yaml", "id: s\ntitle: S\ndue: 2026-03-09T23:59:00\n")
    _write(folder, "e.yaml", _exercise(F01, "e"))
    assert _has(validate_set(folder), "set.yaml", "due", "give the time zone")
    _write(folder, "set.yaml", "id: s\ntitle: S\ndue: 2026-03-09T23:59:00Z\nmode: assignment\n")
    s = load_set(folder)
    assert s.due == datetime(2026, 3, 9, 23, 59, tzinfo=UTC) and s.mode == "assignment"


# --- pack ---------------------------------------------------------------------------------------------


def _no_answer_fields(data) -> bool:
    if isinstance(data, dict):
        return all(k not in ("key", "key_note") and _no_answer_fields(v) for k, v in data.items())
    if isinstance(data, list):
        return all(_no_answer_fields(v) for v in data)
    return True


@pytest.mark.parametrize("folder", sorted(p.parent for p in EXERCISES.glob("*/set.yaml")), ids=lambda p: p.name)
def test_a_pack_of_a_shipped_set_holds_no_key_anywhere(folder: Path, tmp_path: Path):
    exercise_set = load_set(folder)
    for mode in ("assignment", "practice"):
        pack = make_pack(exercise_set, mode)
        assert _no_answer_fields(pack)
        out = tmp_path / mode
        out.mkdir()
        (out / "pack.json").write_text(pack_text(pack), "utf-8")
        hits = keyscan.scan(out, keyscan.exercise_files(folder))
        assert not hits, [(f.exercise, f.what) for _, f in hits]


def test_pack_contents_and_schema(good_set: Path, tmp_path: Path):
    out = tmp_path / "wk1.json"
    rc, text, err = _run(["pack", str(good_set), "--out", str(out)])
    assert rc == 0, err
    assert "no answer keys" in text and "book/exercises/assignment.html?pack=packs/wk1.json" in text
    data = json.loads(out.read_text("utf-8"))
    assert set(data) == {"format", "version", "rules_version", "set", "exercises"}
    assert data["format"] == "pumpbill-course-pack" and data["version"] == 1
    assert data["set"] == {"id": "wk1", "title": "Week 1", "description": "", "mode": "assignment",
                           "due": "2026-03-09T23:59:00+01:00"}
    assert [e["id"] for e in data["exercises"]] == ["e01", "e02", "i02"]
    for e in data["exercises"]:
        assert not {"key", "key_note", "hints", "objectives", "references"} & set(e), sorted(e)
        assert {"id", "title", "kind", "narrative", "ask", "scenario", "rubric"} <= set(e)
    assert "PB701" not in out.read_text() and "PB705" not in out.read_text()
    pack = load_pack(out.read_bytes())
    assert pack.set.mode == "assignment" and len(pack.exercises) == 3
    schema = CoursePack.model_json_schema()
    assert set(schema["required"]) >= {"format", "version", "set", "exercises"}

    rc, _, _ = _run(["pack", str(good_set), "--out", str(tmp_path / "p.json"), "--mode", "practice"])
    practice = json.loads((tmp_path / "p.json").read_text())
    assert rc == 0 and practice["set"]["mode"] == "practice"
    assert practice["exercises"][0]["hints"] and "key" not in practice["exercises"][0]
    assert "rules" not in practice["exercises"][2]["references"]  # a review exercise's rules are its key


def test_pack_refuses_a_set_that_does_not_validate(good_set: Path, tmp_path: Path):
    _write(good_set, "i02.yaml", _review_hospital(["PB208", "PB702"]))
    out = tmp_path / "wk1.json"
    rc, _, err = _run(["pack", str(good_set), "--out", str(out)])
    assert rc == 1 and not out.exists()
    assert "key.rules" in err and "does not validate (1 error)" in err
    assert _run(["pack", str(good_set), "--out", str(tmp_path)])[0] == 2
    assert _run(["pack", str(tmp_path / "nowhere"), "--out", str(out)])[0] == 2


def test_load_pack_refuses_keys_and_other_files(good_set: Path):
    pack = make_pack(load_set(good_set))
    pack["exercises"][0]["key"] = {"rules": ["PB002"]}
    with pytest.raises(PackError, match="contains answer keys"):
        load_pack(json.dumps(pack))
    with pytest.raises(PackError, match="not a course pack"):
        load_pack(b'{"trainee": "t07", "exercise": "e01", "answer": {}}')
    with pytest.raises(PackError, match="not valid JSON"):
        load_pack(b"id: e01\n")
    with pytest.raises(PackError, match="too large"):
        load_pack(b" " * 6_000_000)


@pytest.mark.parametrize("ref", ["https://evil.example/wk1.json", "//evil.example/wk1.json", "javascript:alert(1)",
                                 "data:application/json,{}", "\\\\evil.example\\wk1.json", "/\\evil.example/x",
                                 "packs/wk1.json\n", ""])
def test_a_pack_link_must_stay_on_the_site(ref: str):
    assert pack_ref_problem(ref)
    with pytest.raises(PackError):
        resolve_pack_url(ref, PAGE)


def test_relative_pack_links_resolve_on_the_same_site():
    assert resolve_pack_url("packs/wk1.json", PAGE) == "http://127.0.0.1:8000/book/exercises/packs/wk1.json"
    assert resolve_pack_url("../../packs/wk1.json", PAGE) == "http://127.0.0.1:8000/packs/wk1.json"
    assert resolve_pack_url("/packs/wk1.json#x", PAGE) == "http://127.0.0.1:8000/packs/wk1.json"


# --- the widget ----------------------------------------------------------------------------------------


def _upload(name: str, content: bytes) -> tuple[dict, ...]:
    return ({"name": name, "type": "application/json", "size": len(content), "content": memoryview(content),
             "last_modified": datetime.now(UTC)},)


def test_the_assignment_page_opens_a_pack_from_its_link(good_set: Path):
    text = pack_text(make_pack(load_set(good_set)))
    asked: list[str] = []

    def fetch(url: str) -> str:
        asked.append(url)
        return text

    w = exercise_picker(mode="assignment", pack="packs/wk1.json", page_url=PAGE, fetch=fetch)
    pb = w.pumpbill
    assert asked == ["http://127.0.0.1:8000/book/exercises/packs/wk1.json"]
    assert "Opened the course pack" in pb["status"].value
    assert pb["sets"].options == (("Week 1", "wk1"),)
    assert "assignment: hand in your answers; due 2026-03-09 23:59 (UTC+01:00), 3 exercises" in pb["set_info"].value
    assert [label.split(":")[0] for label, _ in pb["exercises"].options] == ["e01", "e02", "i02"]

    ex_widget = pb["holder"].children[0]
    assert "check" not in [b.description.lower() for b in ex_widget.pumpbill["buttons"]]
    assert ex_widget.pumpbill["exercise"].key is None
    ex_widget.pumpbill["form"].claim.fill([{"code": "62369"}, {"code": "J0475", "units": 40}], ["G80.1", "Z45.1"])
    for typed, why in (("", "Type your trainee ID first"), ("trainee", "only the example ID"),
                       ("Ann Smith", "letters, digits")):
        pb["trainee"].value = typed
        ex_widget.pumpbill["save"]()
        assert "Not ready" in ex_widget.pumpbill["out"].value and why in ex_widget.pumpbill["out"].value
        assert "download=" not in ex_widget.pumpbill["out"].value
    pb["trainee"].value = "t07"
    ex_widget.pumpbill["save"]()
    out = ex_widget.pumpbill["out"].value
    name, data = re.search(r"download='([^']+)' href='data:application/x-yaml;base64,([^']+)'", out).groups()
    assert name == "submission-t07-e01.yaml" and "Score" not in out
    sub = Submission.model_validate(yaml.safe_load(base64.b64decode(data)))
    assert sub.trainee == "t07" and sub.mode == "assignment"
    g = grade(load_set(good_set).get("e01"), sub)
    assert g.status == "graded" and g.points < g.max_points


@pytest.mark.parametrize("ref", ["https://evil.example/wk1.json", "//evil.example/wk1.json"])
def test_a_foreign_pack_link_is_refused_before_any_request(ref: str):
    asked: list[str] = []
    w = exercise_picker(mode="assignment", pack=ref, page_url=PAGE, fetch=asked.append)
    assert asked == []
    assert "Course pack not opened" in w.pumpbill["status"].value and "another site" in w.pumpbill["status"].value
    assert w.pumpbill["sets"].options == () and w.pumpbill["holder"].children == ()  # no silent fallback


def test_a_pack_opened_from_a_file(good_set: Path):
    w = exercise_picker(mode="assignment")
    assert len(w.pumpbill["sets"].options) >= 3  # the book's sets until a pack is opened
    w.pumpbill["opener"].value = _upload("wk1.json", pack_text(make_pack(load_set(good_set))).encode())
    assert w.pumpbill["sets"].options == (("Week 1", "wk1"),)
    w.pumpbill["opener"].value = _upload("notes.json", b"{not json")
    assert "The file notes.json is not a course pack" in w.pumpbill["status"].value
    assert w.pumpbill["sets"].options == (("Week 1", "wk1"),)  # a bad file changes nothing


def test_practice_refuses_an_assignment_pack(good_set: Path):
    assignment = make_pack(load_set(good_set))
    w = exercise_picker(mode="practice", pack=assignment)
    assert "is an assignment" in w.pumpbill["status"].value
    assert "wk1" not in [k for _, k in w.pumpbill["sets"].options]
    w = exercise_picker(mode="practice")
    w.pumpbill["opener"].value = _upload("wk1.json", pack_text(assignment).encode())
    assert "is an assignment" in w.pumpbill["status"].value
    assert "wk1" not in [k for _, k in w.pumpbill["sets"].options]
    # a practice pack is answered in practice, with instant feedback from the engine
    w = exercise_picker(mode="practice", pack=make_pack(load_set(good_set), "practice"))
    assert w.pumpbill["sets"].options == (("Week 1", "wk1"),)
    ex_widget = w.pumpbill["holder"].children[0]
    ex_widget.pumpbill["form"].claim.fill([{"code": "62369"}, {"code": "J0475", "units": 40}], ["G80.1", "Z45.1"])
    ex_widget.pumpbill["check"]()
    assert "PB002" in ex_widget.pumpbill["out"].value


def test_practice_leaves_out_shipped_assignment_sets(monkeypatch):
    from pumpbill.exercises import catalog

    sets = dict(catalog.public_sets())
    first = next(iter(sets))
    sets[first] = {**sets[first], "mode": "assignment"}
    monkeypatch.setattr(catalog, "public_sets", lambda: sets)
    assert first not in [k for _, k in exercise_picker(mode="practice").pumpbill["sets"].options]
    assert first in [k for _, k in exercise_picker(mode="assignment").pumpbill["sets"].options]


def test_trainee_ids():
    assert trainee_problem("t07") is None
    for bad in ("", "  ", "trainee", "TRAINEE", "ann@example.org", "a b"):
        assert trainee_problem(bad)
    w = exercise_widget(load_exercise(F01), mode="assignment", trainee="trainee")
    assert w.pumpbill["trainee"].value == ""  # the example id is never filled in
    assert exercise_widget(load_exercise(F01), mode="assignment", trainee="t09").pumpbill["trainee"].value == "t09"


def test_the_page_script_hands_the_link_to_the_live_cell():
    html = page_script("assignment")
    assert 'data-mode="assignment"' in html and "<script>" in html
    # it edits the page's widget cell (pumpbill_live) before Python runs it, and starts Python
    assert 'script[type="text/x-pumpbill-cell"]' in html and 'exercise_picker(mode="' in html
    assert "pumpbillLive.start()" in html
    assert "window.location.origin" in html
    with pytest.raises(ValueError):
        page_script("quiz")


def test_pack_and_validate_import_without_pandas():
    from test_core_without_pandas import run

    r = run("import pumpbill.exercises.pack, pumpbill.exercises.validate, pumpbill.exercises.widget; print('ok')")
    assert r.returncode == 0, r.stderr


# --- no key in the published site -------------------------------------------------------------------------


def test_keyscan_finds_a_printed_key_and_not_the_book_teaching(tmp_path: Path):
    f01 = load_exercise(F01)
    (tmp_path / "printed.html").write_text(
        "<pre><span class='nt'>" + F01.read_text().replace("\n", "</span>\n<span>") + "</span></pre>")
    (tmp_path / "teaching.html").write_text("<p>Bill 95990 and J0475-JZ x 4; Z45.1 first, then G80.1.</p>")
    (tmp_path / "widget.json").write_text(json.dumps({"id": f01.id, "value": "95990\nJ0475 JZ x4"}))
    (tmp_path / "placeholder.json").write_text(json.dumps({"id": f01.id, "value": "95990\nJ0475 JZ x40"}))
    hits = {name for name, _ in keyscan.scan(tmp_path, [F01])}
    assert hits == {"printed.html", "widget.json"}


def test_the_published_site_contains_no_answer_key():
    """Every shipped exercise's key (as a file block, JSON/YAML, typed claim lines, rule lists, model
    answers) is absent from _build/html: pages, page sources, live notebooks and the pumpbill wheel."""
    if not (SITE / "index.html").is_file():
        pytest.skip("_build/html does not exist: build the book first (scripts/build-book.sh)")
    hits = keyscan.scan(SITE)
    assert not hits, "answer keys in the published site:\n" + "\n".join(
        f"  {name}: {fp.exercise}: {fp.what}" for name, fp in hits)


def test_the_exercise_pages_sources_print_no_key(tmp_path: Path):
    """The sources of the pages about exercises (they ship as _sources and as live notebooks) hold no key."""
    book = ROOT / "book"
    for page in ("exercises/practice.md", "exercises/assignment.md", "instructors/guide.md", "start/exercises.md"):
        shutil.copy(book / page, tmp_path / page.replace("/", "-"))
    hits = keyscan.scan(tmp_path)
    assert not hits, [(n, fp.exercise, fp.what) for n, fp in hits]

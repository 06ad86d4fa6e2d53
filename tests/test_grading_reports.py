"""`pumpbill grade`: batch reading, malformed submissions, duplicates, reports, determinism, atomic output.

Uses its own copy of the foundations exercise f01 (others add exercises to exercises/ concurrently).
"""

from __future__ import annotations

import csv
import html
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pumpbill import RULES_VERSION
from pumpbill.cli import main as pumpbill_main
from pumpbill.errors import InputError
from pumpbill.exercises.feedback import HOW_SCORED
from pumpbill.exercises.store import load_set
from pumpbill.grading import batch, reports
from pumpbill.grading.cli import Bar, book_base
from pumpbill.grading.formulas import first_then_set, per_line_exact, right_minus_extra
from pumpbill.rules import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
F01 = ROOT / "exercises" / "foundations" / "f01-refill-no-reprogramming.yaml"
E1, E2 = "f01-refill-no-reprogramming", "f01b-refill-all-or-nothing"

PERFECT = {"lines": [{"code": "95990", "units": 1}, {"code": "J0475", "modifiers": ["JZ"], "units": 4}],
           "diagnoses": ["Z45.1", "G80.1"]}
#: Right codes and modifiers, J0475 billed in mg (40 instead of 4): partial credit on 'units'.
UNITS_WRONG = {"lines": [{"code": "95990"}, {"code": "J0475", "modifiers": ["JZ"], "units": 40}],
               "diagnoses": ["Z45.1", "G80.1"]}
#: 62369 for a plain refill, J0475 without JZ and in mg, diagnoses reversed.
POOR = {"lines": [{"code": "62369"}, {"code": "J0475", "units": 40}], "diagnoses": ["G80.1", "Z45.1"]}

MARKER = "pumpbill-grade-was-executed"


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data):  # the loader refuses aliases: never write any
        return True


def _dump(path: Path, data) -> Path:
    path.write_text(yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False), encoding="utf-8")
    return path


def make_set(folder: Path) -> Path:
    folder.mkdir(parents=True)
    _dump(folder / "set.yaml", {"id": "tiny", "title": "Tiny set, for tests"})
    shutil.copy(F01, folder / F01.name)
    second = yaml.safe_load(F01.read_text(encoding="utf-8"))
    second.update(id=E2, title="The same refill, graded all or nothing")
    second["rubric"]["formulas"] = {"codes": "all-or-nothing"}
    _dump(folder / f"{E2}.yaml", second)
    return folder


def sub(trainee, exercise, answer, **extra) -> dict:
    return {"trainee": trainee, "exercise": exercise, "answer": answer, **extra}


def make_submissions(folder: Path, marker_dir: Path) -> Path:
    folder.mkdir(parents=True)
    # Good ones. alice: a hand-in, both perfect.
    _dump(folder / "alice.yaml", {"trainee": "alice", "submitted_at": "2026-03-02T10:00:00",
                                  "answers": [{"exercise": E1, "answer": PERFECT},
                                              {"exercise": E2, "answer": PERFECT}]})
    # bob: units wrong on E1 (partial credit), poor on E2 (JSON).
    _dump(folder / "bob.yaml", sub("bob", E1, UNITS_WRONG))
    (folder / "bob-2.json").write_text(json.dumps(sub("bob", E2, POOR)), encoding="utf-8")
    # carol: duplicates; the later submitted_at wins although its file comes first.
    _dump(folder / "carol-1.yaml", sub("carol", E1, PERFECT, submitted_at="2026-03-03T09:00:00+01:00"))
    _dump(folder / "carol-2.yaml", sub("carol", E1, POOR, submitted_at="2026-03-02T09:00:00Z"))
    # dave: duplicates without submitted_at: the last file wins. Only E1: E2 is 'missing'.
    _dump(folder / "dave-1.yaml", sub("dave", E1, PERFECT))
    _dump(folder / "dave-2.yaml", sub("dave", E1, POOR))
    # A list of submissions: one good, one with a wrong type.
    _dump(folder / "list.yaml", [sub("erin", E2, UNITS_WRONG), sub("erin", E1, {"lines": "95990"})])
    # Malformed ones.
    _dump(folder / "m-missing-answer.yaml", {"trainee": "frank", "exercise": E1})
    _dump(folder / "m-unknown-exercise.yaml", sub("gina", "f99-no-such-exercise", PERFECT))
    _dump(folder / "m-no-lines.yaml", sub("hank", E1, {"diagnoses": ["Z45.1"]}))
    _dump(folder / "m-bad-time.yaml", sub("ivan", E1, PERFECT, submitted_at="yesterday"))
    _dump(folder / "m-bad-trainee.yaml", sub("../../etc/passwd", E1, PERFECT))
    _dump(folder / "m-handin-mismatch.yaml", {"trainee": "judy", "answers": [
        {"exercise": E1, "answer": PERFECT}, {"trainee": "mallory", "exercise": E2, "answer": PERFECT}]})
    (folder / "m-binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "m-latin1.yaml").write_bytes("trainee: jos\xe9\n".encode("latin-1"))
    (folder / "m-invalid.yaml").write_text("trainee: [unclosed\n", encoding="utf-8")
    (folder / "m-empty.yaml").write_text("", encoding="utf-8")
    (folder / "m-scalar.yaml").write_text("just a string\n", encoding="utf-8")
    (folder / "m-alias.yaml").write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    (folder / "m-deep.json").write_text("[" * 100_000, encoding="utf-8")
    (folder / "m-huge.yaml").write_text("# " + "x" * 1_100_000 + "\n", encoding="utf-8")
    target = marker_dir / MARKER
    (folder / "m-python-tag.yaml").write_text(
        f"trainee: kim\nexercise: {E1}\nanswer: !!python/object/apply:os.system [\"touch {target}\"]\n",
        encoding="utf-8")
    (folder / "m-python-name.yaml").write_text(
        f"trainee: !!python/name:os.system\nexercise: {E1}\nanswer: {{}}\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a submission: ignored\n", encoding="utf-8")
    (folder / ".hidden.yaml").write_text("ignored: true\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    return {"root": root, "set": make_set(root / "set"), "subs": make_submissions(root / "subs", root)}


@pytest.fixture(scope="module")
def entries(world):
    return batch.read_submissions([world["subs"]])


@pytest.fixture(scope="module")
def graded(world):
    """One in-process CLI run shared by the read-only checks."""
    out = world["root"] / "out"
    rc = pumpbill_main(["grade", str(world["set"]), str(world["subs"]), "--out", str(out), "--no-progress",
                        "--jobs", "1"])
    return {"rc": rc, "out": out}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------- reading


def by_source(entries):
    return {Path(e.file).name + (f"#{e.where}" if e.where else ""): e for e in entries}


def test_folder_reading_is_sorted_and_skips_other_files(world):
    files = batch.submission_files([world["subs"]])
    assert [p.name for p in files] == sorted(p.name for p in files)
    assert not any(p.name in ("notes.txt", ".hidden.yaml") for p in files)
    # the same file named twice (and in a folder) is read once; the order does not depend on the arguments
    again = batch.submission_files([world["subs"] / "bob.yaml", world["subs"], world["subs"] / "alice.yaml"])
    assert again == files


@pytest.mark.parametrize(("name", "trainee", "exercise", "needle"), [
    ("m-missing-answer.yaml", "frank", E1, "answer: required field is missing"),
    ("list.yaml#[1]", "erin", E1, "[1].answer.lines"),
    ("m-bad-time.yaml", "ivan", E1, "submitted_at: not an ISO date"),
    ("m-bad-trainee.yaml", "", E1, "trainee"),
    ("m-handin-mismatch.yaml#answers[1]", "judy", E2, "differs from the hand-in's trainee"),
    ("m-binary.yaml", "", "", "binary file"),
    ("m-latin1.yaml", "", "", "not UTF-8"),
    ("m-invalid.yaml", "", "", "invalid YAML at line"),
    ("m-empty.yaml", "", "", "empty file"),
    ("m-scalar.yaml", "", "", "expected a mapping"),
    ("m-alias.yaml", "", "", "aliases are not allowed"),
    ("m-deep.json", "", "", "nested too deeply"),
    ("m-huge.yaml", "", "", "too large"),
    ("m-python-tag.yaml", "", "", "could not determine a constructor"),
    ("m-python-name.yaml", "", "", "could not determine a constructor"),
])
def test_malformed_submissions_are_entries_with_a_reason(entries, name, trainee, exercise, needle):
    e = by_source(entries)[name]
    assert e.submission is None
    assert needle in e.reason
    assert "\n" not in e.reason and len(e.reason) < 400
    assert (e.trainee, e.exercise) == (trainee, exercise)


def test_good_submissions_are_read_whatever_the_shape(world, entries):
    positions = [e.position for e in entries]
    assert positions == list(range(len(positions)))
    entries = by_source(entries)
    assert entries["alice.yaml#answers[0]"].submission.trainee == "alice"
    assert entries["alice.yaml#answers[1]"].submission.submitted_at == "2026-03-02T10:00:00"  # from the hand-in
    assert entries["bob-2.json"].submission.exercise == E2
    assert entries["list.yaml#[0]"].submission.trainee == "erin"
    assert entries["m-handin-mismatch.yaml#answers[0]"].submission.trainee == "judy"


def test_unquoted_yaml_timestamps_are_accepted(tmp_path):
    (tmp_path / "s.yaml").write_text(f"trainee: t\nexercise: {E1}\nsubmitted_at: 2026-03-02 10:00:00\n"
                                     "answer: {rules: [PB001]}\n", encoding="utf-8")
    [e] = batch.read_submissions([tmp_path])
    assert e.submission is not None and e.submission.submitted_at == "2026-03-02T10:00:00"


def test_a_missing_submission_path_is_not_gradable(tmp_path):
    [e] = batch.read_submissions([tmp_path / "nope.yaml"])
    assert e.submission is None and "no such file" in e.reason


def test_nothing_in_a_submission_is_executed(world, graded):
    assert not (world["root"] / MARKER).exists()
    assert not (Path.cwd() / MARKER).exists()


# ---------------------------------------------------------------------------------------------- grading


def test_duplicates_latest_wins_and_others_are_superseded(world):
    s = batch.prepare_set(load_set(world["set"]))
    results = batch.grade_all(s, batch.read_submissions([world["subs"]]))
    carol = [r for r in results if r.trainee == "carol" and r.exercise == E1]
    assert [(r.status, Path(r.source).name, r.counted) for r in carol] == [
        ("graded", "carol-1.yaml", True), ("superseded", "carol-2.yaml", False)]
    assert carol[0].points == 10 and "later submission" in carol[1].reason
    dave = [r for r in results if r.trainee == "dave" and r.exercise == E1]
    assert [(r.status, Path(r.source).name) for r in dave] == [("graded", "dave-2.yaml"),
                                                               ("superseded", "dave-1.yaml")]
    assert "last file wins" in dave[1].reason
    [missing] = [r for r in results if r.trainee == "dave" and r.exercise == E2]
    assert (missing.status, missing.points, missing.counted) == ("missing", 0.0, True)
    # sorted by trainee, then exercise
    keys = [(r.trainee, r.exercise) for r in results]
    assert keys == sorted(keys)


def test_grade_all_is_the_same_with_worker_processes(world, monkeypatch):
    s = batch.prepare_set(load_set(world["set"]))
    one = batch.grade_all(s, batch.read_submissions([world["subs"]]))
    monkeypatch.setattr(batch, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(batch, "PARALLEL_MIN_GRADES", 1)
    with batch.Workers.start(2, s) as pool:
        assert pool is not None
        two = batch.grade_all(s, batch.read_submissions([world["subs"]], pool=pool), pool=pool)
    assert [(r.trainee, r.exercise, r.status, r.reason, r.source, r.points, r.counted) for r in one] == \
        [(r.trainee, r.exercise, r.status, r.reason, r.source, r.points, r.counted) for r in two]


def test_prepare_set_refuses_a_formula_that_cannot_grade_its_part(tmp_path):
    folder = make_set(tmp_path / "set")
    data = yaml.safe_load((folder / f"{E2}.yaml").read_text(encoding="utf-8"))
    data["rubric"]["formulas"] = {"codes": "resolved-share"}
    _dump(folder / f"{E2}.yaml", data)
    # refused when the set is loaded, with the file and field named
    with pytest.raises(InputError, match=rf"{E2}.yaml: rubric: formula 'resolved-share' cannot grade part 'codes'"):
        load_set(folder)


# ---------------------------------------------------------------------------------------------- reports


def test_exit_status_is_1_when_something_was_not_gradable(graded):
    assert graded["rc"] == 1


def test_results_csv_long_format(graded):
    rows = read_csv(graded["out"] / "results.csv")
    assert list(rows[0]) == reports.RESULT_COLUMNS
    alice = [r for r in rows if r["trainee"] == "alice" and r["exercise"] == E1]
    assert [(r["part"], r["points"], r["max_points"]) for r in alice] == [
        ("codes", "4", "4"), ("modifiers", "2", "2"), ("units", "2", "2"), ("diagnoses", "2", "2")]
    assert {r["status"] for r in alice} == {"graded"} and {r["rules_version"] for r in alice} == {RULES_VERSION}
    # partial credit, exactly as the named formulas say
    bob = {r["part"]: r for r in rows if r["trainee"] == "bob" and r["exercise"] == E1}
    assert bob["units"]["formula"] == "per-line-exact"
    assert bob["units"]["points"] == str(int(per_line_exact([1, 4], [1, 40])[0] * 2)) == "1"
    assert bob["units"]["detail"] == "1 of 2 right"
    assert bob["codes"]["points"] == "4"
    bob2 = {r["part"]: r for r in rows if r["trainee"] == "bob" and r["exercise"] == E2}
    assert bob2["codes"]["formula"] == "all-or-nothing" and bob2["codes"]["points"] == "0"
    # the poor answer (dave's winning one): 0 for codes (1 right, 1 extra), half the diagnoses (first wrong)
    dave = {r["part"]: r for r in rows if r["trainee"] == "dave" and r["exercise"] == E1 and r["status"] == "graded"}
    assert right_minus_extra(["95990", "J0475"], ["62369", "J0475"])[0] == 0.0
    assert first_then_set(["Z45.1", "G80.1"], ["G80.1", "Z45.1"])[0] == 0.5
    assert (dave["codes"]["points"], dave["diagnoses"]["points"]) == ("0", "1")
    assert dave["codes"]["detail"] == "1 of 2 right, 1 extra"
    # every status shows up, one row per rubric part for known exercises
    statuses = {r["status"] for r in rows}
    assert statuses == {"graded", "not gradable", "superseded", "missing"}
    sup = [r for r in rows if r["status"] == "superseded"]
    assert len(sup) == 8 and {r["points"] for r in sup} == {""}
    hank = [r for r in rows if r["trainee"] == "hank"]
    assert {r["status"] for r in hank if r["exercise"] == E1} == {"not gradable"}
    assert "answer.lines is missing" in hank[0]["reason"]


def test_gradebook_one_row_per_trainee(graded):
    rows = read_csv(graded["out"] / "gradebook.csv")
    assert list(rows[0]) == ["trainee", E1, E2, "total", "max", "percent", "graded", "missing", "not_gradable",
                             "late", "penalty", "feedback"]
    people = [r["trainee"] for r in rows]
    assert people == sorted(people) == ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivan",
                                        "judy"]
    book = {r["trainee"]: r for r in rows}
    assert (book["alice"]["total"], book["alice"]["max"], book["alice"]["percent"]) == ("20", "20", "100")
    assert book["bob"][E1] == "9" and book["bob"][E2] == "1"
    assert (book["carol"][E1], book["carol"][E2], book["carol"]["missing"]) == ("10", "0", "1")
    assert (book["dave"][E1], book["dave"]["graded"]) == ("1", "1")  # the last file (the poor answer) won
    assert (book["frank"][E1], book["frank"]["not_gradable"], book["frank"]["missing"]) == ("0", "1", "1")
    assert book["gina"]["missing"] == "2"  # only an unknown exercise
    assert book["judy"][E1] == "10"


def test_lms_canvas_csv(graded):
    text = (graded["out"] / "lms_canvas.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    # without --canvas-assignment the column is the set's title (Canvas matches it by title; a warning says so)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Tiny set, for tests"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][-1] == "20"
    alice = next(r for r in rows if r[0] == "alice")
    assert alice == ["alice", "", "alice", "", "", "20"]
    assert len(rows) == 2 + 10


def test_not_gradable_csv_names_file_trainee_exercise_and_reason(graded):
    rows = read_csv(graded["out"] / "not_gradable.csv")
    assert list(rows[0]) == reports.NOT_GRADABLE_COLUMNS
    got = {Path(r["source"]).name: r for r in rows}
    assert got["m-unknown-exercise.yaml"]["trainee"] == "gina"
    assert "not in set 'tiny'" in got["m-unknown-exercise.yaml"]["reason"]
    assert got["m-missing-answer.yaml"]["reason"] == "answer: required field is missing"
    assert "binary" in got["m-binary.yaml"]["reason"]
    assert "m-no-lines.yaml" in got and "notes.txt" not in got
    assert all(r["reason"] for r in rows)


def test_feedback_pages_are_offline_html(graded):
    folder = graded["out"] / "feedback"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"{t}.html" for t in ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivan",
                                          "judy"]]
    page = (folder / "bob.html").read_text(encoding="utf-8")
    assert "Synthetic training data only" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "per-line-exact" in page and "1 of 2 right" in page
    assert "PB203" in page  # J0475 billed in mg
    # the practice widget's words: how each part was scored in a sentence, the rule's plain title, not its slug
    assert ">How it was scored</th>" in page and ">Formula</th>" not in page
    assert html.escape(HOW_SCORED["per-line-exact"], quote=False) in page
    pb203 = REGISTRY["PB203"]
    assert html.escape(pb203.title, quote=False) in page and f"{pb203.name}:" not in page
    assert 'href="../../_build/html/book/reference/rules/pb203.html"' in page or \
        "reference/rules/pb203.html" in page
    carol = (folder / "carol.html").read_text(encoding="utf-8")
    assert "superseded" in carol and "carol-2.yaml" in carol
    gina = (folder / "gina.html").read_text(encoding="utf-8")
    assert "f99-no-such-exercise" in gina


def test_item_analysis(graded):
    rows = read_csv(graded["out"] / "item_analysis.csv")
    assert [r["exercise"] for r in rows] == [E1, E2]
    assert list(rows[0]) == reports.ITEM_COLUMNS
    for r in rows:
        assert 0 <= float(r["difficulty"]) <= 1
        assert r["discrimination"] == "" or -1 <= float(r["discrimination"]) <= 1
    assert "PB203" in rows[0]["most_missed_rules"]
    analysis = (graded["out"] / "item_analysis.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in analysis and "Synthetic training data only" in analysis
    assert (graded["out"] / "item_analysis.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_item_discrimination_is_the_item_rest_correlation(world):
    s = batch.prepare_set(load_set(world["set"]))
    results = batch.grade_all(s, batch.read_submissions([world["subs"]]))
    items = reports.item_numbers(s, results)
    book = reports.Book(s, results)
    cells = book.cells
    graded = [t for t in book.people if cells[(t, E1)].status == "graded"]
    frac = [cells[(t, E1)].fraction for t in graded]
    rest = [book.points.at[t, E2] for t in graded]
    import numpy as np

    expected = float(np.corrcoef(frac, rest)[0, 1])
    assert items.loc[0, "discrimination"] == pytest.approx(expected)
    assert items.loc[0, "difficulty"] == pytest.approx(sum(frac) / len(frac))


def test_csv_cells_cannot_become_formulas():
    assert reports.cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert reports.cell("@x") == "'@x" and reports.cell("plain") == "plain"
    assert reports.num(1 / 3) == "0.3333" and reports.num(4.0) == "4" and reports.num(-0.0) == "0"


def test_feedback_file_names_survive_case_insensitive_disks():
    """Look-alike ids all get a name derived from the exact id: none of them gets the plain name a
    look-alike might expect, and '<id>-2' style names cannot collide with a real id (G2)."""
    names = reports.feedback_names(["bob", "Alice", "alice", "ALICE", "alice-2", "a@b.org"])
    assert names["bob"] == "bob.html" and names["alice-2"] == "alice-2.html"
    for t in ("Alice", "alice", "ALICE"):
        assert names[t].startswith(f"{t}~") and names[t].endswith(".html")
    assert names["a@b.org"].startswith("a_b.org~")
    assert len({n.casefold() for n in names.values()}) == len(names)
    assert reports.feedback_names(["alice", "Alice"]) == {k: v for k, v in names.items() if k in ("alice", "Alice")}


def test_book_links():
    assert reports.book_href("book/reference/rules/pb002", "../../_build/html") == \
        "../../_build/html/book/reference/rules/pb002.html"
    assert reports.book_href("book/choosing#jz", "https://example.org/pb/") == \
        "https://example.org/pb/book/choosing.html#jz"
    assert reports.book_href("", "x") == ""
    assert book_base("https://example.org/pb/", "out") == "https://example.org/pb"
    assert book_base("_build/html", "grades") == "../../_build/html"
    assert book_base("_build/html", "a/b/grades") == "../../../../_build/html"


# ---------------------------------------------------------------------------------------------- outputs


def test_rerun_gives_byte_identical_outputs(world, graded, tmp_path):
    first = tree_bytes(graded["out"])
    assert set(first) >= set(reports.OUTPUTS)
    # again, into the same folder, and with worker processes into a sibling folder at the same depth
    pumpbill_main(["grade", str(world["set"]), str(world["subs"]), "--out", str(graded["out"]), "--no-progress"])
    assert tree_bytes(graded["out"]) == first
    sibling = graded["out"].parent / "out-again"
    pumpbill_main(["grade", str(world["set"]), str(world["subs"]), "--out", str(sibling), "--no-progress",
                   "--jobs", "2"])
    assert tree_bytes(sibling) == first


def test_outputs_are_replaced_atomically(world, tmp_path):
    """Outputs of an older pumpbill (no manifest) are replaced; the instructor's own files, even an .html in
    feedback/, are kept (G8); a later run removes the pages it wrote for trainees no longer in the batch."""
    out = tmp_path / "out"
    (out / "feedback").mkdir(parents=True)
    (out / "results.csv").write_text("old\n", encoding="utf-8")
    (out / "feedback" / "instructor-notes.html").write_text("mine", encoding="utf-8")
    (out / "instructor-notes.txt").write_text("mine", encoding="utf-8")
    rc = pumpbill_main(["grade", str(world["set"]), str(world["subs"] / "alice.yaml"), str(world["subs"] / "bob.yaml"),
                        "--out", str(out), "--no-progress"])
    assert rc == 0
    assert (out / "results.csv").read_text(encoding="utf-8").startswith("trainee,exercise,part")
    assert (out / "feedback" / "bob.html").is_file()
    rc = pumpbill_main(["grade", str(world["set"]), str(world["subs"] / "alice.yaml"), "--out", str(out),
                        "--no-progress"])
    assert rc == 0
    assert not (out / "feedback" / "bob.html").exists()  # the grader wrote it: replaced with the set
    assert (out / "instructor-notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "feedback" / "instructor-notes.html").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder or lock left
    manifest = (out / ".pumpbill-outputs").read_text(encoding="utf-8")
    assert "instructor-notes" not in manifest and "feedback/alice.html" in manifest


def test_a_crash_while_writing_keeps_the_old_outputs(world, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert pumpbill_main(["grade", str(world["set"]), str(world["subs"] / "alice.yaml"), "--out", str(out),
                          "--no-progress"]) == 0
    before = tree_bytes(out)

    def boom(*_a, **_k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(reports, "chart_png", boom)
    s = batch.prepare_set(load_set(world["set"]))
    results = batch.grade_all(s, batch.read_submissions([world["subs"]]))
    with pytest.raises(RuntimeError):
        reports.write_reports(out, s, results)
    assert tree_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ---------------------------------------------------------------------------------------------- progress


def test_progress_bar_draws_moves_forward_and_finishes():
    stream = io.StringIO()
    bar = Bar(True, stream, interval=0)
    bar.phase("reading", 4, 0.3)
    seen = []
    for _ in range(4):
        bar.advance()
        seen.append(bar.fraction)
    bar.phase("grading", 100, 0.7)  # a bigger total after reading: the bar does not go back
    for _ in range(100):
        bar.advance()
        seen.append(bar.fraction)
    bar.close()
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    text = stream.getvalue()
    assert "\r[" in text and "100.0%" in text and text.endswith("\n") and "grading" in text
    quiet = io.StringIO()
    off = Bar(False, quiet)
    off.phase("reading", 10, 1.0)
    off.advance(5)
    off.close()
    assert quiet.getvalue() == ""
    assert Bar.wanted("auto", 10_000, io.StringIO()) is False  # not a terminal
    assert Bar.wanted("always", 1, io.StringIO()) is True and Bar.wanted("never", 10**6) is False


# ---------------------------------------------------------------------------------------------- CLI


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pumpbill", "grade", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_cli_exit_codes_and_summary(world, tmp_path):
    good = run(str(world["set"]), str(world["subs"] / "alice.yaml"), str(world["subs"] / "bob.yaml"),
               "--out", str(tmp_path / "good"), "--progress")
    assert good.returncode == 0, good.stderr
    assert "graded 3 submission(s) from 2 trainee(s)" in good.stdout and "not gradable: 0" in good.stdout
    assert "[###" in good.stderr and "100.0%" in good.stderr  # the bar, forced on
    assert (tmp_path / "good" / "feedback" / "alice.html").is_file()

    bad = run(str(world["set"]), str(world["subs"]), "--out", str(tmp_path / "bad"))
    assert bad.returncode == 1, bad.stderr
    assert "not gradable: " in bad.stdout and "not_gradable.csv" in bad.stdout
    assert "[#" not in bad.stderr  # stderr is not a terminal: no bar
    assert all(line.startswith("pumpbill: warning: ") for line in bad.stderr.splitlines())
    assert "Traceback" not in bad.stderr
    assert (tmp_path / "bad" / "gradebook.csv").is_file()
    assert not (world["root"] / MARKER).exists()


@pytest.mark.parametrize("case", ["no-set", "not-a-set", "out-is-a-file", "rules-version", "no-submissions"])
def test_cli_unusable_input_exits_2_with_one_line(world, tmp_path, case):
    set_, subs, out, extra = str(world["set"]), str(world["subs"] / "alice.yaml"), str(tmp_path / "out"), []
    if case == "no-set":
        set_ = str(tmp_path / "nowhere")
    elif case == "not-a-set":
        set_ = str(world["subs"])
    elif case == "out-is-a-file":
        out = str(world["subs"] / "bob.yaml")
    elif case == "rules-version":
        extra = ["--rules-version", "1999.1.0"]
    else:
        (tmp_path / "empty").mkdir()
        subs = str(tmp_path / "empty")
    r = pumpbill_main_captured(["grade", set_, subs, "--out", out, "--no-progress", *extra])
    assert r[0] == 2
    assert r[2].count("\n") == 1 and r[2].startswith("pumpbill: ") and "Traceback" not in r[2]
    assert r[1] == ""
    if case != "out-is-a-file":
        assert not Path(out).exists()


def pumpbill_main_captured(argv: list[str]) -> tuple[int, str, str]:
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = pumpbill_main(argv)
    return rc, out.getvalue(), err.getvalue()


def test_cli_exit_2_in_a_subprocess(tmp_path):
    r = run(str(tmp_path / "nowhere"), str(tmp_path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr

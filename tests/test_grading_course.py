"""A whole graded course through `pumpbill grade`: a set with a due date and a late policy, a Canvas
"Download submissions" archive and a Canvas gradebook export as the roster, an extension, grading, the
Canvas import file checked column by column, and a regrade after a key and a points change.

Builds everything in a temporary folder from the shipped exercises f01, f13, d01 and d08.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from pumpbill.cli import main as pumpbill_main
from pumpbill.grading import canvas

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "exercises"
F01, F13 = "f01-refill-no-reprogramming", "f13-review-62369-for-plain-refill"
D01, D08 = "d01-record-device-and-plan", "d08-gaps-thin-note"
FILES = {F01: EX / "foundations" / f"{F01}.yaml", F13: EX / "foundations" / f"{F13}.yaml",
         D01: EX / "documentation" / f"{D01}.yaml", D08: EX / "documentation" / f"{D08}.yaml"}
DUE = "2026-03-09T23:59:00-05:00"
ON_TIME, LATE_2D, LATE_2_5D = "2026-03-09T20:00:00-05:00", "2026-03-11T08:00:00-05:00", "2026-03-11T12:00:00-05:00"

PERFECT = {F01: {"lines": [{"code": "95990"}, {"code": "J0475", "modifiers": ["JZ"], "units": 4}],
                 "diagnoses": ["Z45.1", "G80.1"]},
           F13: {"rules": ["PB002"]},
           D01: {"documentation": {"pump": {"manufacturer": "Medtronic", "model": "SynchroMed II 20 mL"},
                                   "next_refill_date": "2026-04-20"}},
           D08: {"rules": ["PB501", "PB504", "PB506"]}}
POOR_F01 = {"lines": [{"code": "62369"}, {"code": "J0475", "units": 40}], "diagnoses": ["G80.1", "Z45.1"]}
COPIED = "Lot written from the shared cheat sheet, row 42"
ROSTER = [("One, Alice", "1001", "t01", "alice@example.org", "Section A"),
          ("Two, Bob", "1002", "t02", "bob@example.org", "Section A"),
          ("Three, Carol", "1003", "t03", "carol@example.org", "Section B"),
          ("Four, Dan", "1004", "t04", "dan@example.org", "Section B"),
          ("Five, Eve", "1005", "t05", "eve@example.org", "Section B"),
          ("Six, Fay", "1006", "t06", "fay@example.org", "Section A")]
ASSIGNMENT = "Week 1: pump refills (48213)"


def _yaml(data) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def make_set(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "set.yaml").write_text(_yaml({
        "id": "wk1", "title": "Week 1: pump refills", "due": DUE,
        "late": {"penalty_per_day": 10, "max_penalty": 50, "grace_minutes": 15}}), encoding="utf-8")
    for ex_id, path in FILES.items():
        shutil.copy(path, folder / f"{ex_id}.yaml")
    return folder


def handin(trainee: str, exercise: str, answer: dict, at: str | None) -> str:
    data = {"trainee": trainee, "exercise": exercise, "answer": answer, "mode": "assignment"}
    if at is not None:
        data["submitted_at"] = at
    return _yaml(data)


def canvas_name(sortable: str, user: str, attachment: int, original: str, late: bool = False) -> str:
    """Canvas's own naming (lib/content_zipper.rb): <name>[_LATE]_<user id>_<attachment id>_<file name>."""
    return f"{sortable}{'_LATE' if late else ''}_{user}_{attachment}_{original}"


def make_archive(path: Path) -> Path:
    att = iter(range(70001, 70100))

    def add(z, who, user, trainee, ex, answer, at, late=False, suffix=".yaml", text=None):
        name = canvas_name(who, user, next(att), f"submission-{trainee}-{ex}{suffix}", late)
        z.writestr(name, text if text is not None else handin(trainee, ex, answer, at))

    with zipfile.ZipFile(path, "w") as z:
        for ex in FILES:  # t01: everything right, on time
            add(z, "onealice", "1001", "t01", ex, PERFECT[ex], ON_TIME)
        # t02: a poor f01 on time, then a right one 2 days late (worth more after its 20% penalty: counts);
        # f13 right on time, then a wrong one late (does not count); d08 with an impossible submitted_at
        add(z, "twobob", "1002", "t02", F01, POOR_F01, ON_TIME)
        add(z, "twobob", "1002", "t02", F01, PERFECT[F01], LATE_2D, late=True)
        add(z, "twobob", "1002", "t02", F13, PERFECT[F13], ON_TIME)
        add(z, "twobob", "1002", "t02", F13, {"rules": ["PB001"]}, LATE_2D, late=True)
        add(z, "twobob", "1002", "t02", D08, {"rules": ["PB501", "PB504"]}, "0001-01-01T00:00:00+01:00")
        # t03 hands in a file that says t02 (the LMS says it is t03), and a d01 with copied free text
        add(z, "threecarol", "1003", "t02", F01, PERFECT[F01], ON_TIME)
        doc = {"documentation": {**PERFECT[D01]["documentation"], "refill": {"lot": COPIED}}}
        add(z, "threecarol", "1003", "t03", D01, doc, ON_TIME)
        # t04: the same free text; f13 saved by a mail client as .yaml.txt
        add(z, "fourdan", "1004", "t04", D01, doc, ON_TIME)
        add(z, "fourdan", "1004", "t04", F13, PERFECT[F13], ON_TIME, suffix=".yaml.txt")
        # t05 hands in nothing; t06 is 2.5 days late on f01 but has 3 extra days
        add(z, "sixfay", "1006", "t06", F01, PERFECT[F01], LATE_2_5D, late=True)
        # someone who is not on the roster
        add(z, "stranger", "1099", "t99", F01, PERFECT[F01], ON_TIME)
        z.writestr("__MACOSX/._onealice_1001_70001_x.yaml", b"\x00\x05\x16\x07")
    return path


def make_roster(path: Path) -> Path:
    """A Canvas gradebook export, as Canvas writes it (lib/gradebook_exporter.rb): the header, a "Manual
    Posting" row, the "Points Possible" row, the students (test student last)."""
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT, "Current Points", "Final Score"],
            ["", "", "", "", "", "Manual Posting", "", ""],
            ["    Points Possible", "", "", "", "", "39", "(read only)", "(read only)"]]
    rows += [[*r, "", "", ""] for r in ROSTER]
    rows.append(["Student, Test", "1999", "", "", "Section A", "", "", ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")  # Canvas may add a BOM for Excel
    return path


def run(*argv: str) -> tuple[int, str, str]:
    import contextlib

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = pumpbill_main(["grade", *argv])
    return rc, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    make_set(root / "wk1")
    make_archive(root / "submissions.zip")
    make_roster(root / "roster.csv")
    (root / "extensions.csv").write_text("trainee,extra_days,note\nt06,3,medical\n", encoding="utf-8")
    args = [str(root / "wk1"), str(root / "submissions.zip"), "--out", str(root / "out"), "--roster",
            str(root / "roster.csv"), "--canvas-assignment", ASSIGNMENT, "--extensions", str(root / "extensions.csv"),
            "--not-gradable", "ex", "--book-url", "https://training.example.org/pumpbill", "--no-progress"]
    rc, out, err = run(*args)
    return {"root": root, "out": root / "out", "rc": rc, "stdout": out, "stderr": err, "args": args}


# ------------------------------------------------------------------------------------------ the run


def test_the_run_grades_the_class_and_says_what_to_look_at(course):
    assert course["rc"] == 1, course["stderr"]  # the .yaml.txt and the stranger are not gradable
    assert "graded " in course["stdout"] and "from 6 trainee(s)" in course["stdout"]
    assert "to review:" in course["stdout"]
    # no warning about links or the Canvas column: both were given; the test student is mentioned
    assert "book-url" not in course["stderr"] and "assignment id" not in course["stderr"]
    assert "test student" in course["stderr"]
    assert sorted(p.name for p in course["root"].iterdir()) == ["extensions.csv", "out", "roster.csv",
                                                                "submissions.zip", "wk1"]


def test_lms_canvas_csv_follows_the_canvas_import_rules_column_by_column(course):
    """The rules Canvas's importer applies (instructure/canvas-lms, app/models/gradebook_importer.rb):

    * header: row[0] includes "Student" and row[1] includes "ID" (``row_has_student_headers?``); row[2]
      matching /SIS\\s+User\\s+ID/ and row[3] /SIS\\s+Login\\s+ID/ are the SIS columns; the last student
      column must include "Section" (``header?``);
    * an assignment column is matched by id only through ``Assignment.title_and_id``,
      /\\A(.*)\\s\\((\\d+)\\)\\z/; titles containing "Current Score", "Final Points"... are dropped as totals;
    * a row whose first cell includes "Points Possible" sets the points possible (``process_pp``);
    * students are found by ID (Canvas user id, ``to_i``), then SIS User ID, then SIS Login ID, then name
      (``process_student``): a row that matches nothing becomes a new "unknown" student;
    * a grade "EX" is excused; an empty cell or "-" is no score (``no_score?``); the exporter writes
      numbers with two decimals at most (``format_numbers``), and the importer compares at that precision.
    """
    rows = list(csv.reader(io.StringIO((course["out"] / "lms_canvas.csv").read_text(encoding="utf-8"))))
    header, pp, students = rows[0], rows[1], rows[2:]
    # header
    assert "Student" in header[0] and "ID" in header[1]
    assert re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3])
    assert "Section" in header[4]
    assert len(header) == 6 and header[5] == ASSIGNMENT
    title, assignment_id = re.fullmatch(r"(.*)\s\((\d+)\)", header[5]).groups()  # Assignment.title_and_id
    assert (title, assignment_id) == ("Week 1: pump refills", "48213")
    assert not any(n in header[5] for n in canvas.NON_ASSIGNMENT)
    # points possible
    assert "Points Possible" in pp[0] and pp[1:5] == ["", "", "", ""] and pp[5] == "39"
    # one row per roster student, in roster order, with the roster's own ids: no one else, no test student
    assert [r[:5] for r in students] == [list(r) for r in ROSTER]
    assert all(r[1].isdigit() for r in students)  # the Canvas user id: matched first
    # the grades: points with at most two decimals, EX for not-gradable work (--not-gradable ex),
    # 0 for a trainee with nothing handed in (--missing zero, the default)
    grades = {r[2]: r[5] for r in students}
    assert grades == {"t01": "39", "t02": "24", "t03": "20", "t04": "EX", "t05": "0", "t06": "10"}
    for value in grades.values():
        assert value == "EX" or re.fullmatch(r"\d+(\.\d{1,2})?", value)
    assert all(len(r) == 6 for r in rows)


def test_identity_comes_from_the_lms_and_the_file_is_only_checked(course):
    book = {r["trainee"]: r for r in read_csv(course["out"] / "gradebook.csv")}
    assert list(book) == ["t01", "t02", "t03", "t04", "t05", "t06"]  # the roster: no stranger, no phantom
    assert book["t03"][F01] == "10" and book["t02"][F01] == "8"  # t03's file said t02: credited to t03
    assert book["t05"]["missing"] == "4"
    review = read_csv(course["out"] / "review.csv")
    kinds = {(r["kind"], r["trainee"]) for r in review}
    assert ("id-mismatch", "t03") in kinds and ("not-on-roster", "1099") in kinds
    mismatch = next(r for r in review if r["kind"] == "id-mismatch")
    assert "'t02'" in mismatch["detail"] and "graded as t03" in mismatch["detail"]
    ng = {Path(r["source"].split("!")[-1]).name: r for r in read_csv(course["out"] / "not_gradable.csv")}
    stranger = next(r for k, r in ng.items() if "_1099_" in k)
    assert stranger["trainee"] == "1099" and "not on the roster" in stranger["reason"]
    assert not (course["out"] / "feedback" / "1099.html").exists()
    assert sorted(p.name for p in (course["out"] / "feedback").iterdir()) == [f"t0{i}.html" for i in range(1, 7)]


def test_late_work_penalties_and_which_file_counted(course):
    grades = {(r["trainee"], r["exercise"]): r for r in read_csv(course["out"] / "grades.csv")}
    f01 = grades[("t02", F01)]
    assert (f01["raw_points"], f01["penalty"], f01["points"], f01["late_days"]) == ("10", "2", "8", "2")
    assert "late submission scored more" in f01["why"] and f01["source"].endswith(f"{F01}.yaml")
    f13 = grades[("t02", F13)]
    assert (f13["points"], f13["late_days"]) == ("10", "0") and "latest on-time submission" in f13["why"]
    assert grades[("t06", F01)]["late_days"] == "0" and grades[("t06", F01)]["points"] == "10"  # extension
    d08 = grades[("t02", D08)]  # impossible submitted_at: graded, never late, flagged
    assert d08["status"] == "graded" and d08["late_days"] == "0" and d08["points"] == "6"
    review = read_csv(course["out"] / "review.csv")
    assert any(r["kind"] == "bad-timestamp" and r["trainee"] == "t02" for r in review)
    assert any(r["kind"] == "late-not-counted" and r["exercise"] == F13 for r in review)
    # the penalty is in every output
    results = read_csv(course["out"] / "results.csv")
    counted = [r for r in results if r["trainee"] == "t02" and r["exercise"] == F01 and r["counted"] == "yes"]
    assert counted and {r["late_days"] for r in counted} == {"2"} and {r["penalty"] for r in counted} == {"2"}
    superseded = [r for r in results if r["trainee"] == "t02" and r["exercise"] == F01 and r["status"] == "superseded"]
    assert superseded and "scored more after its penalty" in superseded[0]["reason"]
    book = {r["trainee"]: r for r in read_csv(course["out"] / "gradebook.csv")}
    assert (book["t02"]["late"], book["t02"]["penalty"], book["t02"]["total"]) == ("1", "2", "24")
    page = (course["out"] / "feedback" / "t02.html").read_text(encoding="utf-8")
    assert "Late: 2 day(s) after the due date" in page and "2 point(s) deducted" in page
    assert "after 2 point(s) of late penalties" in page


def test_feedback_pages_use_the_absolute_book_url_and_show_the_question_and_answer(course):
    page = (course["out"] / "feedback" / "t01.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"#][^"]*)"', page)
    assert links and all(h.startswith("https://training.example.org/pumpbill/book/") for h in links)
    assert "Your answer" in page and "Which lines does the practice bill" in page
    assert "The claim as billed" in page  # f13 is a review: the claim is part of the question


def test_copied_free_text_and_skipped_files_are_listed(course):
    review = read_csv(course["out"] / "review.csv")
    copied = [r for r in review if r["kind"] == "identical-free-text"]
    assert len(copied) == 1 and copied[0]["exercise"] == D01 and "t03, t04" in copied[0]["detail"]
    assert any(r["kind"] == "skipped-file" and "__MACOSX" in r["source"] for r in review)
    ng = read_csv(course["out"] / "not_gradable.csv")
    txt = next(r for r in ng if r["source"].endswith(".yaml.txt"))
    assert txt["trainee"] == "t04" and txt["exercise"] == F13 and "rename it to" in txt["reason"]


def test_no_previous_outputs_means_an_empty_changes_file(course):
    rows = read_csv(course["out"] / "changes.csv")
    assert rows == []
    assert "changed since" not in course["stdout"]


def test_worker_processes_give_the_same_outputs(course, tmp_path, monkeypatch):
    """Archive members are read in the workers too: the outputs must not depend on --jobs."""
    from pumpbill.grading import batch

    monkeypatch.setattr(batch, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(batch, "PARALLEL_MIN_GRADES", 1)
    args = [a if a != str(course["out"]) else str(tmp_path / "out") for a in course["args"]]
    rc, _, _ = run(*args, "--jobs", "2")
    assert rc == course["rc"]
    tree = lambda d: {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}  # noqa: E731
    assert tree(tmp_path / "out") == tree(course["out"])


# ------------------------------------------------------------------------------------------ regrade


def test_a_regrade_after_a_key_and_points_change_reports_every_moved_grade(course, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(course["out"], out)
    before = {r[2]: r[5] for r in csv.reader(io.StringIO((out / "lms_canvas.csv").read_text(encoding="utf-8")))}
    s = tmp_path / "wk1"
    shutil.copytree(course["root"] / "wk1", s)
    f01 = yaml.safe_load((s / f"{F01}.yaml").read_text(encoding="utf-8"))
    f01["rubric"]["points"]["codes"] = 6  # 10 -> 12 points
    (s / f"{F01}.yaml").write_text(_yaml(f01), encoding="utf-8")
    f13 = yaml.safe_load((s / f"{F13}.yaml").read_text(encoding="utf-8"))
    f13["key"]["rules"] = ["PB001", "PB002"]  # the instructor also wants PB001 named
    f13["key_note"] = "PB001 is named too, as the family rule behind PB002"
    (s / f"{F13}.yaml").write_text(_yaml(f13), encoding="utf-8")
    args = [a if a != str(course["out"]) else str(out) for a in course["args"]]
    args[0] = str(s)
    rc, stdout, _ = run(*args)
    assert rc == 1 and "changed since the previous outputs" in stdout
    changes = read_csv(out / "changes.csv")
    by = {(r["trainee"], r["exercise"]): r for r in changes}
    # f01: 2 more points possible for everyone; t01 scores the extra points
    assert by[("t01", F01)]["old_points"] == "10" and by[("t01", F01)]["new_points"] == "12"
    assert "points possible changed (10 -> 12)" in by[("t01", F01)]["why"]
    assert by[("t05", F01)]["old_status"] == by[("t05", F01)]["new_status"] == "missing"
    # f13: the same submissions, graded against the new key
    assert (by[("t01", F13)]["old_points"], by[("t01", F13)]["new_points"]) == ("10", "5")
    assert "same submission, graded differently" in by[("t01", F13)]["why"]
    # totals
    assert (by[("t01", "(total)")]["old_points"], by[("t01", "(total)")]["new_points"]) == ("39", "36")
    assert ("t04", F13) not in by  # not gradable before and after: nothing moved
    # the Canvas file follows: 41 points possible, t01 36
    after = {r[2]: r[5] for r in csv.reader(io.StringIO((out / "lms_canvas.csv").read_text(encoding="utf-8")))}
    assert before[""] == "39" and after[""] == "41" and after["t01"] == "36"
    # a third run with nothing changed reports nothing
    rc, stdout, _ = run(*args)
    assert read_csv(out / "changes.csv") == [] and "changed since the previous outputs: 0" in stdout


def test_a_set_that_does_not_validate_is_refused(course, tmp_path):
    s = tmp_path / "wk1"
    shutil.copytree(course["root"] / "wk1", s)
    (s / f"{F01}.yaml").rename(s / "f01-renamed.yaml")  # the id no longer matches the file name
    rc, out, err = run(str(s), str(course["root"] / "submissions.zip"), "--out", str(tmp_path / "out"))
    assert rc == 2 and out == "" and err.count("\n") == 1 and "does not validate" in err
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------ options


@pytest.mark.parametrize(("argv", "needle"), [
    (["--canvas-assignment", "Week 1 (wk1)"], "numeric id"),
    (["--canvas-assignment-id", "12a"], "is a number"),
    (["--canvas-assignment", "Final Score (12)"], "something else than an assignment"),
    (["--due", "2026-03-09T23:59"], "no UTC offset"),
    (["--late-penalty-per-day", "110"], "percentage from 0 to 100"),
    (["--book-url", "javascript://x"], "http(s) address"),
])
def test_bad_options_exit_2_with_one_line(course, tmp_path, argv, needle):
    rc, out, err = run(str(course["root"] / "wk1"), str(course["root"] / "submissions.zip"), "--out",
                       str(tmp_path / "out"), *argv)
    assert rc == 2 and out == "" and err.count("\n") == 1 and needle in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_relative_book_url_works_but_warns(course, tmp_path):
    rc, _, err = run(str(course["root"] / "wk1"), str(course["root"] / "submissions.zip"), "--out",
                     str(tmp_path / "out"), "--roster", str(course["root"] / "roster.csv"), "--book-url", "site")
    assert rc == 1 and "warning: feedback links point to the folder site" in err
    page = (tmp_path / "out" / "feedback" / "t01.html").read_text(encoding="utf-8")
    assert re.search(r'href="(\.\./)+[^":]*site/book/start/exercises\.html', page)  # relative, from OUT/feedback


def test_missing_and_not_gradable_choices(course, tmp_path):
    rc, _, _ = run(str(course["root"] / "wk1"), str(course["root"] / "submissions.zip"), "--out", str(tmp_path / "o"),
                   "--roster", str(course["root"] / "roster.csv"), "--missing", "blank", "--not-gradable", "zero",
                   "--canvas-assignment-id", "48213")
    rows = list(csv.reader(io.StringIO((tmp_path / "o" / "lms_canvas.csv").read_text(encoding="utf-8"))))
    assert rows[0][5] == "Week 1: pump refills (48213)"
    grades = {r[2]: r[5] for r in rows[2:]}
    assert grades["t05"] == "" and grades["t04"] == "10"  # t04: d01 10 + f13 not gradable as 0


def test_canvas_values_are_rounded_once():
    assert canvas.money(35.00005) == "35" and canvas.money(2 / 3 * 3) == "2" and canvas.money(2 / 3) == "0.67"
    assert canvas.money(2.675) == "2.68" and canvas.money(0.0) == "0"
    assert canvas.cell_value(["graded", "not gradable"], 5, "zero", "ex") == "EX"
    assert canvas.cell_value(["missing", "missing"], 0, "blank", "ex") == ""
    assert canvas.cell_value(["missing", "graded"], 4.5, "blank", "ex") == "4.5"

"""`pumpbill grade` against odd and hostile hand-ins (security review G1, G2, G3, G6, G7, G9), deadlines
and resubmissions, feedback a trainee can use, and answers that look copied.

Uses the tiny set of test_grading_reports (f01 and an all-or-nothing copy) plus copies of shipped
exercises where a kind needs one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from test_grading_reports import E1, E2, PERFECT, POOR, make_set

from pumpbill.cli import main as pumpbill_main
from pumpbill.grading import deadlines

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = pumpbill_main(["grade", *argv, "--no-progress", "--jobs", "1"])
    return rc, out.getvalue(), err.getvalue()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def sub(trainee, exercise, answer, **extra) -> dict:
    return {"trainee": trainee, "exercise": exercise, "answer": answer, **extra}


@pytest.fixture
def tiny(tmp_path):
    return make_set(tmp_path / "set")


def set_with(tmp_path: Path, *paths: Path, **meta) -> Path:
    folder = tmp_path / "set2"
    folder.mkdir()
    write(folder / "set.yaml", {"id": "s2", "title": "Two kinds", **meta})
    for p in paths:
        shutil.copy(p, folder / p.name)
    return folder


# ------------------------------------------------------------------------------------------ identity


def test_ids_that_differ_only_in_case_or_punctuation_never_collide(tiny, tmp_path):
    """G2: 'A', 'a' and 'a-2' used to map two of them to feedback/a-2.html and abort the batch."""
    subs = tmp_path / "subs"
    for t in ("A", "a", "a-2", "t-07", "t07"):
        write(subs / f"{t}.yaml", sub(t, E1, PERFECT))
    rc, out, err = run(str(tiny), str(subs), "--out", str(tmp_path / "out"))
    assert rc == 0, err
    book = rows(tmp_path / "out" / "gradebook.csv")
    assert [r["trainee"] for r in book] == ["A", "a", "a-2", "t-07", "t07"]
    pages = {r["trainee"]: r["feedback"] for r in book}
    assert len(set(pages.values())) == 5 and len({p.casefold() for p in pages.values()}) == 5
    assert pages["a-2"] == "feedback/a-2.html" and pages["A"] != "feedback/A.html"
    for t, page in pages.items():
        assert f"Feedback for {t}</h1>" in (tmp_path / "out" / page).read_text(encoding="utf-8")
    similar = [r for r in rows(tmp_path / "out" / "review.csv") if r["kind"] == "similar-ids"]
    assert {r["detail"].split(": ")[-1] for r in similar} == {"A, a", "t-07, t07"}


def test_a_roster_without_an_archive_matches_the_ids_inside_the_files(tiny, tmp_path):
    roster = write(tmp_path / "roster.csv", "Student,ID,SIS User ID,SIS Login ID,Section\n"
                   "\"One, Al\",11,t01,al@x.org,S\n\"Two, Bo\",12,t02,bo@x.org,S\n")
    subs = tmp_path / "subs"
    write(subs / "a.yaml", sub("t01", E1, PERFECT))
    write(subs / "b.yaml", sub("T02", E1, PERFECT))  # differs in case: not matched, and said so
    write(subs / "c.yaml", sub("trainee", E1, PERFECT))  # the widget's default id
    rc, _, _ = run(str(tiny), str(subs), "--out", str(tmp_path / "out"), "--roster", str(roster))
    assert rc == 1
    book = {r["trainee"]: r for r in rows(tmp_path / "out" / "gradebook.csv")}
    assert list(book) == ["t01", "t02"] and book["t02"]["missing"] == "2"
    review = rows(tmp_path / "out" / "review.csv")
    t02 = next(r for r in review if r["kind"] == "not-on-roster" and r["trainee"] == "T02")
    assert "differs only in case" in t02["detail"] and "'t02'" in t02["detail"]
    assert any(r["kind"] == "default-id" for r in review)


# ------------------------------------------------------------------------------------------ odd input


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                   "2999-01-01T00:00:00Z", "1970-01-01T00:00:00Z"])
def test_impossible_or_future_timestamps_never_stop_the_batch_nor_win(tiny, tmp_path, stamp):
    """G1 (OverflowError stopped the batch) and G6 (a far-future time beat a real later hand-in)."""
    subs = tmp_path / "subs"
    write(subs / "a-real.yaml", sub("alice", E1, PERFECT, submitted_at="2026-03-02T10:00:00Z"))
    write(subs / "b-odd.yaml", sub("alice", E1, POOR, submitted_at=stamp))
    write(subs / "c-bob.yaml", sub("bob", E1, PERFECT, submitted_at=stamp))
    rc, _, err = run(str(tiny), str(subs), "--out", str(tmp_path / "out"), "--due", "2026-03-09T23:59:00Z",
                     "--late-penalty-per-day", "10")
    assert rc == 0, err
    grades = {(r["trainee"], r["exercise"]): r for r in rows(tmp_path / "out" / "grades.csv")}
    assert grades[("alice", E1)]["source"].endswith("a-real.yaml") and grades[("alice", E1)]["points"] == "10"
    assert grades[("bob", E1)]["points"] == "10" and grades[("bob", E1)]["late_days"] == "0"
    flagged = [r for r in rows(tmp_path / "out" / "review.csv") if r["kind"] == "bad-timestamp"]
    assert {Path(r["source"]).name for r in flagged} == {"b-odd.yaml", "c-bob.yaml"}


def test_lone_surrogates_and_odd_text_never_stop_a_batch(tmp_path):
    """G3: a lone surrogate in a documentation answer raised PydanticSerializationError."""
    d01 = ROOT / "exercises" / "documentation" / "d01-record-device-and-plan.yaml"
    s = set_with(tmp_path, d01)
    subs = tmp_path / "subs"
    write(subs / "odd.yaml", 'trainee: t1\nexercise: d01-record-device-and-plan\nanswer:\n  documentation:\n'
          '    refill: {lot: "\\ud800 \\u202e =HYPERLINK(1) \\x07"}\n    next_refill_date: "2026-04-20"\n')
    write(subs / "ok.yaml", sub("t2", "d01-record-device-and-plan",
                                {"documentation": {"next_refill_date": "2026-04-20"}}))
    rc, _, err = run(str(s), str(subs), "--out", str(tmp_path / "out"))
    assert rc in (0, 1), err
    for p in (tmp_path / "out").rglob("*"):
        if p.is_file() and p.suffix in (".csv", ".html"):
            p.read_bytes().decode("utf-8")  # valid UTF-8 everywhere
    page = (tmp_path / "out" / "feedback" / "t1.html").read_text(encoding="utf-8")
    assert "\ufffd" in page and "Your answer" in page
    assert {r["trainee"] for r in rows(tmp_path / "out" / "gradebook.csv")} == {"t1", "t2"}


def test_symlinks_out_of_the_folder_are_not_followed(tiny, tmp_path):
    """G9: a hand-in linking to a file elsewhere put that file's content in the reports."""
    secret = write(tmp_path / "elsewhere" / "secret.yaml", {"aws_secret_access_key": "x",
                                                             "exercise": "hunter2-db-password"})
    subs = tmp_path / "subs"
    write(subs / "alice.yaml", sub("alice", E1, PERFECT))
    (subs / "evil.yaml").symlink_to(secret)
    (subs / "inside.yaml").symlink_to(subs / "alice.yaml")  # a link within the folder is fine
    (subs / "linked-dir").symlink_to(secret.parent, target_is_directory=True)
    rc, _, _ = run(str(tiny), str(subs), "--out", str(tmp_path / "out"))
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.csv"))
    text += "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.html"))
    assert "hunter2" not in text and "aws_secret" not in text
    review = {Path(r["source"]).name: r for r in rows(tmp_path / "out" / "review.csv") if r["kind"] == "skipped-file"}
    assert "outside the folder" in review["evil.yaml"]["detail"] and "not followed" in review["linked-dir"]["detail"]
    assert rc == 0


def test_unreadable_folders_are_reported(tiny, tmp_path, monkeypatch):
    """G7: a hand-in inside an unreadable folder vanished with exit 0. (Permissions are simulated: the
    tests may run as root, which reads everything.)"""
    subs = tmp_path / "subs"
    write(subs / "alice.yaml", sub("alice", E1, PERFECT))
    write(subs / "locked" / "bob.yaml", sub("bob", E1, PERFECT))
    real = os.scandir

    def scandir(path="."):
        if Path(os.fsdecode(path)).name == "locked":
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    rc, out, _ = run(str(tiny), str(subs), "--out", str(tmp_path / "out"))
    assert rc == 1 and "not gradable: 1" in out
    [ng] = rows(tmp_path / "out" / "not_gradable.csv")
    assert ng["source"].endswith("locked") and "cannot read this folder" in ng["reason"]
    assert any(r["kind"] == "unreadable" for r in rows(tmp_path / "out" / "review.csv"))


def test_yaml_txt_and_utf16_files_are_not_gradable_with_a_precise_reason(tiny, tmp_path):
    subs = tmp_path / "subs"
    write(subs / f"submission-t19-{E1}.yaml.txt", sub("t19", E1, PERFECT))
    (subs / f"submission-t20-{E1}.yaml").write_bytes(yaml.safe_dump(sub("t20", E1, PERFECT)).encode("utf-16"))
    write(subs / "readme.txt", "not a hand-in")
    rc, _, _ = run(str(tiny), str(subs), "--out", str(tmp_path / "out"))
    assert rc == 1
    ng = {Path(r["source"]).name: r for r in rows(tmp_path / "out" / "not_gradable.csv")}
    txt = ng[f"submission-t19-{E1}.yaml.txt"]
    assert (txt["trainee"], txt["exercise"]) == ("t19", E1)
    assert f"rename it to submission-t19-{E1}.yaml" in txt["reason"]
    utf16 = ng[f"submission-t20-{E1}.yaml"]
    assert (utf16["trainee"], utf16["exercise"]) == ("t20", E1)  # from the widget's file name
    assert "UTF-16" in utf16["reason"] and "binary" not in utf16["reason"]
    book = {r["trainee"]: r for r in rows(tmp_path / "out" / "gradebook.csv")}
    assert book["t19"]["not_gradable"] == "1" and book["t20"]["not_gradable"] == "1"  # not "missing"
    skipped = [r for r in rows(tmp_path / "out" / "review.csv") if r["kind"] == "skipped-file"]
    assert [Path(r["source"]).name for r in skipped] == ["readme.txt"]


# ------------------------------------------------------------------------------------------ deadlines


DUE = "2026-03-09T23:59:00-05:00"


@pytest.mark.parametrize(("rule", "counted", "points"), [("best", "late.yaml", "7.5"), ("on-time", "early.yaml", "1"),
                                                          ("latest", "late.yaml", "7.5")])
def test_resubmission_rules_and_the_late_policy(tiny, tmp_path, rule, counted, points):
    """Due 23:59 at -05:00, 10% a day, at most 25%, 15 minutes' grace. A late resubmission never replaces
    an on-time one silently: the outputs say which file counted and why."""
    subs = tmp_path / "subs"
    write(subs / "early.yaml", sub("t1", E1, POOR, submitted_at="2026-03-09T12:00:00-05:00"))
    write(subs / "late.yaml", sub("t1", E1, PERFECT, submitted_at="2026-03-20T00:00:00-05:00"))  # 11 days: capped
    write(subs / "grace.yaml", sub("t2", E1, PERFECT, submitted_at="2026-03-10T00:10:00"))  # no offset: due's
    write(subs / "late2.yaml", sub("t3", E1, PERFECT, submitted_at="2026-03-10T05:15:00Z"))  # 16 min after: late
    set_yaml = tiny / "set.yaml"
    write(set_yaml, {**yaml.safe_load(set_yaml.read_text()), "due": DUE,
                     "late": {"penalty_per_day": 10, "max_penalty": 25, "grace_minutes": 15}})
    rc, _, err = run(str(tiny), str(subs), "--out", str(tmp_path / "out"), "--resubmission", rule)
    assert rc == 0, err
    grades = {(r["trainee"], r["exercise"]): r for r in rows(tmp_path / "out" / "grades.csv")}
    g = grades[("t1", E1)]
    assert Path(g["source"]).name == counted and g["points"] == points and g["why"]
    assert grades[("t2", E1)]["late_days"] == "0" and grades[("t2", E1)]["points"] == "10"
    assert grades[("t3", E1)]["late_days"] == "1" and grades[("t3", E1)]["points"] == "9"
    superseded = [r for r in rows(tmp_path / "out" / "results.csv") if r["status"] == "superseded"]
    assert {Path(r["source"]).name for r in superseded} == {"early.yaml", "late.yaml"} - {counted}
    assert all(r["reason"] for r in superseded)
    if rule != "latest":
        flagged = [r for r in rows(tmp_path / "out" / "review.csv") if r["kind"] == "late-not-counted"]
        assert bool(flagged) == (counted == "early.yaml")


def test_an_extension_file_and_due_on_the_command_line(tiny, tmp_path):
    subs = tmp_path / "subs"
    write(subs / "a.yaml", sub("t1", E1, PERFECT, submitted_at="2026-03-12T10:00:00Z"))
    write(subs / "b.yaml", sub("t2", E1, PERFECT, submitted_at="2026-03-12T10:00:00Z"))
    ext = write(tmp_path / "ext.yaml", [{"trainee": "t1", "due": "2026-03-15T23:59:00Z", "exercise": E1},
                                        {"trainee": "t9", "extra_days": 2}])
    rc, _, err = run(str(tiny), str(subs), "--out", str(tmp_path / "out"), "--due", "2026-03-09T23:59:00Z",
                     "--late-penalty-per-day", "10", "--extensions", str(ext))
    assert rc == 0, err
    grades = {(r["trainee"], r["exercise"]): r for r in rows(tmp_path / "out" / "grades.csv")}
    assert grades[("t1", E1)]["late_days"] == "0" and grades[("t1", E1)]["due"] == "2026-03-15T23:59:00+00:00"
    assert grades[("t2", E1)]["late_days"] == "3" and grades[("t2", E1)]["penalty"] == "3"
    assert any(r["kind"] == "extension-unknown" and r["trainee"] == "t9"
               for r in rows(tmp_path / "out" / "review.csv"))


def test_a_late_policy_without_a_due_date_is_refused(tiny, tmp_path):
    subs = write(tmp_path / "subs" / "a.yaml", sub("t1", E1, PERFECT)).parent
    rc, out, err = run(str(tiny), str(subs), "--out", str(tmp_path / "out"), "--late-penalty-per-day", "10")
    assert rc == 2 and "need a due date" in err and err.count("\n") == 1


def test_deadline_arithmetic():
    s = deadlines.Schedule(deadlines.parse_due(DUE, "t"), deadlines.Policy(10, 25, 15))
    when = lambda text: deadlines.parse_instant(text, s.default_tz)[0]  # noqa: E731
    assert s.days_late(when("2026-03-10T00:14:00"), s.due) == 0  # within the grace, read at -05:00
    assert s.days_late(when("2026-03-10T00:15:00-05:00"), s.due) == 1
    assert s.days_late(when("2026-03-11T00:00:00-05:00"), s.due) == 2
    assert s.penalty(10, 10, 1) == 1 and s.penalty(10, 10, 9) == 2.5 and s.penalty(1, 10, 9) == 1
    assert deadlines.parse_instant("0001-01-01T00:00:00+01:00")[0] is None
    assert deadlines.parse_instant(None)[1] == "no submitted_at"


def test_practice_mode_files_count_only_without_an_assignment_one(tiny, tmp_path):
    subs = tmp_path / "subs"
    write(subs / "p.yaml", sub("t1", E1, PERFECT, mode="practice", submitted_at="2026-03-05T10:00:00Z"))
    write(subs / "a.yaml", sub("t1", E1, POOR, submitted_at="2026-03-02T10:00:00Z"))
    write(subs / "only.yaml", sub("t2", E1, PERFECT, mode="practice"))
    rc, _, _ = run(str(tiny), str(subs), "--out", str(tmp_path / "out"))
    grades = {(r["trainee"], r["exercise"]): r for r in rows(tmp_path / "out" / "grades.csv")}
    assert grades[("t1", E1)]["source"].endswith("a.yaml") and grades[("t2", E1)]["points"] == "10"
    assert any(r["kind"] == "practice-mode" for r in rows(tmp_path / "out" / "review.csv"))


# ------------------------------------------------------------------------------------------ feedback


def test_feedback_has_the_whole_fix_and_keeps_the_notes_own_findings_apart(tmp_path):
    """The fix used to be cut at its first '{' ("Fix: Bill"); a finding that fires with the right answer
    is about the note, not the trainee, and stays out of the most missed rules."""
    f13 = ROOT / "exercises" / "foundations" / "f13-review-62369-for-plain-refill.yaml"
    f08 = ROOT / "exercises" / "foundations" / "f08-hydromorphone-units.yaml"
    s = set_with(tmp_path, f13, f08)
    key08 = yaml.safe_load(f08.read_text(encoding="utf-8"))["key"]
    subs = tmp_path / "subs"
    for t in ("t1", "t2", "t3"):
        write(subs / f"{t}-13.yaml", sub(t, "f13-review-62369-for-plain-refill", {"rules": ["PB001"]}))
        write(subs / f"{t}-08.yaml", sub(t, "f08-hydromorphone-units", key08))
    rc, _, err = run(str(s), str(subs), "--out", str(tmp_path / "out"), "--book-url", "https://b.example.org")
    assert rc == 0, err
    page = (tmp_path / "out" / "feedback" / "t1.html").read_text(encoding="utf-8")
    assert "Fix: Bill 95990 for a refill without reprogramming" in page
    section = page[page.index('<section id="f08-hydromorphone-units">'):]
    section = section[:section.index("</section>")]
    assert "All correct" in section and "not your mistake" in section and "PB213" in section
    assert "About your answer" not in section
    assert '<a href="https://b.example.org/book/start/exercises.html#partial-credit-named-formulas"' in page
    assert "right-minus-wrong" in page and "(found - false alarms) / expected" in page
    items = {r["exercise"]: r for r in rows(tmp_path / "out" / "item_analysis.csv")}
    assert "PB213" not in items["f08-hydromorphone-units"]["most_missed_rules"]
    assert items["f13-review-62369-for-plain-refill"]["most_missed_rules"] == "PB002 (3)"
    assert items["f13-review-62369-for-plain-refill"]["false_alarms"] == "PB001 (3)"


# ------------------------------------------------------------------------------------------ copying


def test_shared_uncommon_wrong_answers_are_flagged_and_common_mistakes_are_not(tmp_path):
    f01 = yaml.safe_load((ROOT / "exercises" / "foundations" / f"{E1}.yaml").read_text(encoding="utf-8"))
    folder = tmp_path / "set"
    write(folder / "set.yaml", {"id": "four", "title": "Four refills"})
    ids = [f"r{i}-refill" for i in range(1, 5)]
    for ex_id in ids:
        write(folder / f"{ex_id}.yaml", {**f01, "id": ex_id})
    subs = tmp_path / "subs"
    for i in range(10):
        t = f"t{i:02d}"
        for n, ex_id in enumerate(ids):
            if t in ("t08", "t09"):  # the same odd answers, which nobody else gave
                answer = {"lines": [{"code": "95990"}, {"code": "J0475", "units": 7 + n}], "diagnoses": ["Z45.1"]}
            else:
                answer = POOR if i % 2 else PERFECT  # a common mistake, shared by half the class
            write(subs / f"{t}-{ex_id}.yaml", sub(t, ex_id, answer))
    rc, _, err = run(str(folder), str(subs), "--out", str(tmp_path / "out"))
    assert rc == 0, err
    flagged = [r for r in rows(tmp_path / "out" / "review.csv") if r["kind"] == "identical-wrong-answers"]
    assert len(flagged) == 1 and flagged[0]["trainee"] == "t08" and "t08 and t09" in flagged[0]["detail"]


def test_reports_stay_byte_identical_with_the_new_outputs(tiny, tmp_path):
    subs = tmp_path / "subs"
    write(subs / "a.yaml", sub("alice", E1, PERFECT, submitted_at="2026-03-02T10:00:00Z"))
    write(subs / "b.json", json.dumps(sub("bob", E2, POOR)))
    for out in ("o1", "o2"):
        assert run(str(tiny), str(subs), "--out", str(tmp_path / out))[0] == 0
    tree = lambda d: {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}  # noqa: E731
    assert tree(tmp_path / "o1") == tree(tmp_path / "o2")
    assert {"grades.csv", "review.csv", "changes.csv", ".pumpbill-outputs"} <= set(tree(tmp_path / "o1"))


# ------------------------------------------------------------------------------------------ LMS formats


def test_canvas_archive_names():
    """lib/content_zipper.rb: [name][_LATE]_<user id>_<attachment id>_<file>, or [LATE_]anon_<id>_..."""
    from pumpbill.grading.identity import lms_name, widget_name

    n = lms_name("smithjo_12345_678901_submission-t01-f01.yaml")
    assert (n.user, n.late, n.attachment, n.original) == ("12345", False, 678901, "submission-t01-f01.yaml")
    n = lms_name("obrienpat2_LATE_12345_678901_my_1_2_file.yaml")
    assert (n.user, n.late, n.original) == ("12345", True, "my_1_2_file.yaml")
    n = lms_name("LATE_anon_Ab3dE_678901_x.yaml")
    assert (n.user, n.late, n.anonymous) == ("anon_Ab3dE", True, True)
    assert lms_name("submission-t01-f01.yaml") is None and lms_name("t01.yaml") is None
    ids = ["f01", "f01-refill"]
    assert widget_name("submission-t-01-f01-refill.yaml", ids) == ("t-01", "f01-refill")
    assert widget_name("submission-t01-f01-refill (1).yaml.txt", ids) == ("t01", "f01-refill")
    assert widget_name("notes.yaml", ids) is None


@pytest.mark.parametrize("variant", ["semicolon", "last-first", "no-sis-user-id"])
def test_roster_reads_the_variants_of_a_canvas_export(tmp_path, variant):
    from pumpbill.grading.identity import read_roster

    if variant == "semicolon":
        text = ("Student;ID;SIS User ID;SIS Login ID;Section;A (1)\n    Points Possible;;;;;10\n"
                "\"One, Al\";11;t01;al;S\n")
    elif variant == "last-first":
        text = "LastName,FirstName,ID,SIS User ID,SIS Login ID,Section\nOne,Al,11,t01,al,S\n"
    else:
        text = "Student,ID,SIS Login ID,Section\n\"One, Al\",11,t01,S\n"
    s = read_roster(str(write(tmp_path / "r.csv", text))).students[0]
    assert (s.key, s.canvas_id, s.section) == ("t01", "11", "S") and s.name == "One, Al"


@pytest.mark.parametrize(("text", "needle"), [
    ("Name,Email\nA,a@x\n", "not a Canvas gradebook export"),
    ("Student,ID,SIS User ID,SIS Login ID,Section\nA,11,t1,,S\nB,11,t2,,S\n", "Canvas user 11 is also on row 2"),
    ("Student,ID,SIS User ID,SIS Login ID,Section\nA,x1,t1,,S\n", "not a Canvas user id"),
])
def test_a_bad_roster_exits_2_with_one_line(tiny, tmp_path, text, needle):
    roster = write(tmp_path / "roster.csv", text)
    subs = write(tmp_path / "subs" / "a.yaml", sub("t1", E1, PERFECT)).parent
    rc, out, err = run(str(tiny), str(subs), "--out", str(tmp_path / "out"), "--roster", str(roster))
    assert rc == 2 and needle in err and err.count("\n") == 1 and not (tmp_path / "out").exists()

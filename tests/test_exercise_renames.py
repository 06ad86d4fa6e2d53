"""A set's former exercise ids (``renamed`` in set.yaml): a submission saved before a rename is graded as
the exercise it names now, review.csv says so, and the former ids (which named the answer) are never
published."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from pumpbill.cli import main as pumpbill_main
from pumpbill.errors import InputError
from pumpbill.exercises.catalog import public_payload
from pumpbill.exercises.store import load_set
from pumpbill.exercises.validate import validate_set
from pumpbill.grading.grade import derive_key

ROOT = Path(__file__).resolve().parents[1]
FOUNDATIONS = ROOT / "exercises" / "foundations"
OLD, NEW = "f08-hydromorphone-j1171", "f08-hydromorphone-units"


def _answer(exercise_id: str) -> dict:
    ex = load_set(FOUNDATIONS).get(exercise_id)
    assert ex is not None
    return (ex.key or derive_key(ex)).model_dump(mode="json", exclude_none=True)


def _grade(tmp_path: Path, subs: list[dict], status: int = 0, extra: tuple[str, ...] = (),
           files: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    for i, sub in enumerate(subs):
        (folder / f"s{i}.yaml").write_text(yaml.safe_dump(sub), encoding="utf-8")
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    out = tmp_path / "out"
    args = ["grade", str(FOUNDATIONS), str(folder), "--out", str(out), "--no-progress", "--jobs", "1", *extra]
    assert pumpbill_main(args) == status
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_repo_sets_name_their_renames():
    assert load_set(FOUNDATIONS).renamed == {OLD: NEW}
    assert load_set(ROOT / "exercises" / "claim-review").renamed == {"c07-em-with-25": "c07-em-same-visit-problem"}


def test_a_submission_under_a_former_id_is_graded_as_the_exercise_now(tmp_path):
    answer = _answer(NEW)
    out = _grade(tmp_path, [{"trainee": "olga", "exercise": OLD, "answer": answer},
                            {"trainee": "nina", "exercise": NEW, "answer": answer}])
    grades = {r["trainee"]: r for r in _rows(out / "grades.csv") if r["exercise"] == NEW}
    assert grades["olga"]["status"] == "graded" and grades["olga"]["points"] == grades["nina"]["points"]
    assert float(grades["olga"]["points"]) == float(grades["olga"]["max_points"])  # the key scores full marks
    assert not any(r["exercise"] == OLD for r in _rows(out / "grades.csv"))
    flags = [r for r in _rows(out / "review.csv") if r["kind"] == "renamed-exercise"]
    assert [(f["trainee"], f["exercise"]) for f in flags] == [("olga", NEW)]
    assert OLD in flags[0]["detail"]


def test_an_unknown_id_is_still_not_gradable(tmp_path):
    out = _grade(tmp_path, [{"trainee": "olga", "exercise": "f08-no-such-exercise", "answer": _answer(NEW)}], status=1)
    rows = _rows(out / "not_gradable.csv")
    assert len(rows) == 1 and "is not in set" in rows[0]["reason"]


def test_former_ids_are_never_published():
    text = json.dumps(public_payload())
    assert OLD not in text and "c07-em-with-25" not in text
    assert NEW in text


def _set_with(tmp_path: Path, renamed: dict) -> Path:
    folder = tmp_path / "set"
    folder.mkdir()
    meta = yaml.safe_load((FOUNDATIONS / "set.yaml").read_text(encoding="utf-8"))
    meta["renamed"] = renamed
    (folder / "set.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    for name in ("f01-refill-no-reprogramming.yaml", "f08-hydromorphone-units.yaml"):
        (folder / name).write_text((FOUNDATIONS / name).read_text(encoding="utf-8"), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("renamed", "says"), [
    ({"f07-old": "f09-not-here"}, "'f09-not-here' is not an exercise in this set"),
    ({"f01-refill-no-reprogramming": NEW}, "still an exercise id in this set"),
    ({"Bad Id": NEW}, "renamed.Bad Id"),
])
def test_a_bad_rename_is_one_clear_problem(tmp_path, renamed, says):
    folder = _set_with(tmp_path, renamed)
    with pytest.raises(InputError) as err:
        load_set(folder)
    assert err.value.path.endswith("set.yaml")
    problems = [p for p in validate_set(folder) if p.severity == "error"]
    assert len(problems) == 1 and problems[0].file.endswith("set.yaml")
    assert says in f"{problems[0].field}: {problems[0].message}"


def test_a_good_rename_validates(tmp_path):
    folder = _set_with(tmp_path, {OLD: NEW})
    assert load_set(folder).current_id(OLD) == NEW
    assert not [p for p in validate_set(folder) if p.severity == "error"]


def test_an_extension_under_a_former_id_still_applies(tmp_path):
    ext = tmp_path / "ext.csv"
    ext.write_text(f"trainee,exercise,extra_days\nnina,{OLD},10\nnina,f99-not-in-the-set,3\n", encoding="utf-8")
    late = {"trainee": "nina", "exercise": NEW, "answer": _answer(NEW), "submitted_at": "2026-03-12T10:00:00Z"}
    out = _grade(tmp_path, [late], extra=("--due", "2026-03-09T23:59:00Z", "--late-penalty-per-day", "10",
                                          "--extensions", str(ext)))
    row = next(r for r in _rows(out / "grades.csv") if r["exercise"] == NEW)
    assert row["late_days"] == "0" and row["penalty"] == "0"  # without the extension: 3 days late, 3 points off
    flags = {(r["kind"], r["exercise"]) for r in _rows(out / "review.csv")}
    assert ("renamed-exercise", NEW) in flags and ("extension-unknown", "f99-not-in-the-set") in flags


def test_an_unreadable_hand_in_named_with_a_former_id_is_still_attributed(tmp_path):
    out = _grade(tmp_path, [], status=1, files={f"submission-olga-{OLD}.yaml": b"answer: [unclosed\n"})
    rows = [r for r in _rows(out / "not_gradable.csv") if r["trainee"] == "olga"]
    assert [r["exercise"] for r in rows] == [NEW]


def test_an_empty_renamed_is_no_renames(tmp_path):
    folder = _set_with(tmp_path, {})
    (folder / "set.yaml").write_text((folder / "set.yaml").read_text(encoding="utf-8").replace("renamed: {}",
                                     "renamed:\n  # f07-old: f07-new\n"), encoding="utf-8")
    assert load_set(folder).renamed == {}
    assert not [p for p in validate_set(folder) if p.severity == "error"]


def test_a_chain_of_renames_names_the_id_now(tmp_path):
    folder = _set_with(tmp_path, {"f08-a": "f08-b", "f08-b": NEW})
    problems = [p for p in validate_set(folder) if p.severity == "error"]
    assert len(problems) == 1 and f"point 'f08-a' at the id the exercise has now ('{NEW}')" in problems[0].message


def test_a_broken_exercise_file_is_not_also_reported_as_a_missing_rename_target(tmp_path):
    folder = _set_with(tmp_path, {OLD: NEW})
    (folder / f"{NEW}.yaml").write_text("id: [broken\n", encoding="utf-8")
    problems = [p for p in validate_set(folder) if p.severity == "error"]
    assert problems and all(p.file.endswith(f"{NEW}.yaml") for p in problems)

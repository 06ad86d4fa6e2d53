"""Named partial-credit formulas and the pure grader (exercise, submission, rules version) -> grade."""

from __future__ import annotations

from pathlib import Path

import pytest

from pumpbill import RULES_VERSION
from pumpbill.exercises import Submission
from pumpbill.exercises.catalog import public_exercise, public_sets
from pumpbill.exercises.store import load_set
from pumpbill.exercises.widget import build_answer, exercise_widget, parse_lines, submission_yaml
from pumpbill.grading import FORMULAS, grade
from pumpbill.grading.formulas import (
    first_then_set,
    no_contradictions,
    per_line_exact,
    resolved_share,
    right_minus_extra,
    right_minus_wrong,
)

F01 = "f01-refill-no-reprogramming"


def ex01():
    return next(e for e in load_set("exercises/foundations").exercises if e.id == F01)


def sub(answer, exercise=F01, trainee="t1"):
    return Submission.model_validate({"trainee": trainee, "exercise": exercise, "answer": answer})


# --- formulas ------------------------------------------------------------------------------------
def test_right_minus_extra_never_below_zero_and_counts_repeats():
    assert right_minus_extra(["95990", "J0475"], ["95990", "J0475"])[0] == 1.0
    assert right_minus_extra(["95990", "J0475"], ["95990"])[0] == 0.5
    assert right_minus_extra(["95990", "J0475"], ["95990", "J0475", "62367"])[0] == 0.5
    assert right_minus_extra(["95990"], ["62369", "62367", "A4220"])[0] == 0.0
    assert right_minus_extra(["J0475", "J0475"], ["J0475"])[0] == 0.5
    assert right_minus_extra([], [])[0] == 1.0 and right_minus_extra([], ["95990"])[0] == 0.0


def test_other_formulas():
    assert per_line_exact([("JZ",), ()], [("JZ",), ("JW",)])[0] == 0.5
    assert per_line_exact([1, 4], [1, None])[0] == 0.5
    assert first_then_set(["Z45.1", "G80.1"], ["Z45.1", "G80.1"])[0] == 1.0
    assert first_then_set(["Z45.1", "G80.1"], ["G80.1", "Z45.1"])[0] == 0.5
    assert first_then_set(["Z45.1", "G80.1"], ["Z45.1"])[0] == 0.75
    assert first_then_set(["Z45.1"], [])[0] == 0.0
    assert right_minus_wrong(["PB503", "PB506"], ["PB503", "PB999"])[0] == 0.0
    assert right_minus_wrong(["PB503", "PB506"], ["PB503", "PB503"])[0] == 0.5
    assert resolved_share(4, 1)[0] == 0.75 and resolved_share(0, 0)[0] == 1.0 and resolved_share(2, 5)[0] == 0.0
    assert no_contradictions(0, 2)[0] == 1.0 and no_contradictions(1, 2)[0] == 0.5 and no_contradictions(9, 2)[0] == 0
    assert set(FORMULAS) >= {"right-minus-extra", "per-line-exact", "first-then-set", "right-minus-wrong",
                             "resolved-share", "no-contradictions", "all-or-nothing"}
    for fn in FORMULAS.values():
        assert fn.__doc__


# --- the grader --------------------------------------------------------------------------------------
def test_perfect_answer_is_all_correct_and_records_rules_version():
    g = grade(ex01(), sub({"lines": [{"code": "95990"}, {"code": "J0475", "modifiers": ["JZ"], "units": 4}],
                           "diagnoses": ["Z45.1", "G80.1"]}))
    assert g.all_correct and g.points == g.max_points == 10 and g.rules_version == RULES_VERSION
    assert "every part was checked" in g.summary()


def test_seed_article_answer_gets_partial_credit_with_rule_feedback():
    g = grade(ex01(), sub({"lines": [{"code": "62369"}, {"code": "J0475", "units": 40}],
                           "diagnoses": ["G80.1", "Z45.1"]}))
    assert g.status == "graded" and not g.all_correct
    parts = {p.part: p for p in g.parts}
    assert parts["codes"].points == 0 and parts["codes"].formula == "right-minus-extra"
    assert parts["diagnoses"].points == 1.0
    rules = {f.rule for f in g.feedback}
    assert {"PB002", "PB203", "PB302", "PB404"} <= rules
    assert all(f.link.startswith("book/reference/rules/pb") for f in g.feedback if f.rule)


def test_missing_part_is_not_gradable_not_zero():
    g = grade(ex01(), sub({"lines": [{"code": "95990"}]}))
    assert g.status == "not gradable" and "diagnoses" in g.reason and not g.all_correct
    assert g.summary().startswith("not gradable")


def test_wrong_exercise_and_wrong_rules_version():
    assert grade(ex01(), sub({"lines": []}, exercise="other")).status == "not gradable"
    assert "rules version" in grade(ex01(), sub({"lines": []}), rules_version="1999.1").reason


def test_grading_without_a_key_uses_the_engine():
    ex = public_exercise(F01)
    assert ex.key is None
    g = grade(ex, sub({"lines": [{"code": "95990"}, {"code": "J0475", "modifiers": ["JZ"], "units": 4}],
                       "diagnoses": ["Z45.1", "G80.1"]}))
    assert g.all_correct


def test_grading_is_deterministic():
    s = sub({"lines": [{"code": "62369"}], "diagnoses": ["G80.1"]})
    assert grade(ex01(), s).to_dict() == grade(ex01(), s).to_dict()


def test_submission_content_is_data():
    """A submission cannot smuggle code: unknown fields are refused, strings stay strings."""
    with pytest.raises(Exception, match="extra"):
        sub({"lines": [], "__import__": "os"})
    g = grade(ex01(), sub({"lines": [{"code": "__import__('os').system('x')"[:10]}], "diagnoses": []}))
    assert g.status == "graded" and g.points < g.max_points


# --- the widget's pure parts ------------------------------------------------------------------------
def test_parse_lines():
    assert parse_lines("62369\nJ0475 JZ x4\n99213-25\n\n# note\nJ0475 jw x 2") == [
        {"code": "62369", "modifiers": [], "units": 1}, {"code": "J0475", "modifiers": ["JZ"], "units": 4},
        {"code": "99213", "modifiers": ["25"], "units": 1}, {"code": "J0475", "modifiers": ["JW"], "units": 2}]
    with pytest.raises(ValueError, match="row 1"):
        parse_lines("sixty-two")


def test_practice_widget_gives_feedback_and_hints():
    w = exercise_widget(ex01())
    c = w.pumpbill
    form = c["form"].claim
    form.fill([{"code": "62369"}, {"code": "J0475", "units": 40}], ["G80.1", "Z45.1"])
    c["check"]()
    assert "Here is what to fix" in c["out"].value and "PB002" in c["out"].value
    c["hint"]()
    assert "Hint 1" in c["hints"].value
    form.lines[0].code.value = "six"
    c["check"]()
    assert "line 1" in c["out"].value and "5-character" in c["out"].value


def test_assignment_widget_offers_a_gradable_download_and_has_no_key():
    import base64
    import re

    import yaml

    w = exercise_widget(ex01(), mode="assignment", trainee="t42")
    c = w.pumpbill
    assert c["exercise"].key is None
    c["form"].claim.fill([{"code": "95990"}, {"code": "J0475", "modifiers": ["JZ"], "units": 4}], ["Z45.1", "G80.1"])
    c["save"]()
    out = c["out"].value
    name, data = re.search(r"download='([^']+)' href='data:application/x-yaml;base64,([^']+)'", out).groups()
    assert name == f"submission-t42-{F01}.yaml" and "Score" not in out and "Saved" not in out
    s = Submission.model_validate(yaml.safe_load(base64.b64decode(data)))
    assert grade(ex01(), s).all_correct


def test_public_catalogue_ships_no_keys():
    sets = public_sets()
    assert sum(len(s["exercises"]) for s in sets.values()) >= 40
    assert all("key" not in e for s in sets.values() for e in s["exercises"])


def test_build_answer_for_each_kind():
    ex = ex01()
    assert build_answer(ex, "95990", "Z45.1").lines[0].code == "95990"
    text = submission_yaml(ex, "t1", build_answer(ex, "95990", "Z45.1"))
    assert text.startswith("# pumpbill submission") and "Synthetic" in text


def test_exercise_json_schema_validates_the_real_files():
    """`pumpbill schema exercise` is what instructors' editors use: every real exercise must pass it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import jsonschema
    import yaml

    out = subprocess.run([sys.executable, "-m", "pumpbill", "schema", "exercise"], capture_output=True, text=True,
                         check=True).stdout
    schema = json.loads(out)
    files = sorted(p for p in Path("exercises").glob("*/*.yaml") if p.name != "set.yaml")
    assert len(files) >= 40
    for path in files:
        jsonschema.validate(json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str)), schema)
    bad = yaml.safe_load(files[0].read_text())
    bad["level"] = "impossible"
    try:
        jsonschema.validate(json.loads(json.dumps(bad, default=str)), schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("the schema accepted an invalid level")


def test_review_claim_a_warning_that_fires_is_neither_right_nor_a_false_alarm():
    """f14 bills J0475 x 40: PB203 is the error it breaks; PB213 (over the MUE) really fires, as a warning."""
    from pumpbill.exercises.models import Answer, Submission
    from pumpbill.exercises.store import load_exercise
    from pumpbill.grading.grade import grade

    ex = load_exercise(Path(__file__).resolve().parents[1] / "exercises/foundations/f14-review-units-in-mg.yaml")
    both = grade(ex, Submission(trainee="t1", exercise=ex.id, answer=Answer(rules=["PB203", "PB213"])))
    only = grade(ex, Submission(trainee="t1", exercise=ex.id, answer=Answer(rules=["PB203"])))
    wrong = grade(ex, Submission(trainee="t1", exercise=ex.id, answer=Answer(rules=["PB203", "PB705"])))
    assert both.points == only.points == ex.max_points and wrong.points < ex.max_points
    assert any(f.rule == "PB213" and "not scored" in f.message for f in both.feedback)

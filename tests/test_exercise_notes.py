"""The synthetic clinical note (pumpbill.exercises.note) and its authoring check (validate.note_problems).

The note is what the trainee codes from, so it must say what the scenario records, in words, and nothing
more: no code, modifier, unit count or rule code, and no documentation element the scenario lacks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pumpbill.exercises import load_set
from pumpbill.exercises.models import Exercise
from pumpbill.exercises.note import BADGE, chart_note_html, chart_note_text
from pumpbill.exercises.validate import answer_terms, note_leaks, validate_exercise_file
from pumpbill.icd import code_set
from pumpbill.models import KNOWN_CODES

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
F01 = EXERCISES / "foundations" / "f01-refill-no-reprogramming.yaml"
SHIPPED = [ex for folder in sorted(p for p in EXERCISES.iterdir() if (p / "set.yaml").is_file())
           for ex in load_set(folder).exercises]
BY_ID = {ex.id: ex for ex in SHIPPED}


def _with(ex: Exercise, **encounter) -> Exercise:
    """The exercise with some encounter fields replaced (validated again, like a file would be)."""
    data = ex.model_dump(mode="json")
    data["scenario"]["encounter"].update(encounter)
    return Exercise.model_validate(data)


def _day(iso: str) -> str:
    from datetime import date

    d = date.fromisoformat(iso)
    return f"{d:%B} {d.day}, {d.year}"


def test_there_are_shipped_exercises_of_every_kind():
    assert len(SHIPPED) >= 40
    assert {ex.kind for ex in SHIPPED} == {"choose_claim", "complete_documentation", "find_gaps", "review_claim"}


@pytest.mark.parametrize("ex", SHIPPED, ids=lambda ex: ex.id)
def test_note_never_gives_the_answer(ex: Exercise):
    text = chart_note_text(ex)
    assert text.startswith(BADGE)
    assert note_leaks(text, answer_terms(ex)) == []
    # Belt and braces, independent of note_leaks: no code pumpbill knows, no rule, no ICD-10-CM code.
    assert not re.search(r"\bPB\d{3}\b", text, re.IGNORECASE)
    assert not [c for c in KNOWN_CODES if re.search(rf"\b{c}\b", text)]
    codes = {d.code for d in ex.scenario.encounter.diagnoses} | set(ex.key.diagnoses if ex.key and
                                                                     ex.key.diagnoses else [])
    assert not [c for c in codes if c in text]
    assert not re.search(r"\b(JZ|JW|GA|GZ|XU|XE|XS|XP)\b", text)
    assert not re.search(r"\bunits?\b", text, re.IGNORECASE)


@pytest.mark.parametrize("ex", SHIPPED, ids=lambda ex: ex.id)
def test_note_states_the_scenarios_facts_in_words(ex: Exercise):
    text = chart_note_text(ex)
    enc = ex.scenario.encounter
    assert _day(enc.date.isoformat()) in text
    rf = enc.refill
    if enc.services.refill and rf is not None:
        assert f"{rf.volume_added_ml} mL of" in text
        assert rf.concentration in text
        if rf.drug != "other":
            assert rf.drug in text
        assert {"practice": "bought by the practice", "pharmacy": "not bought by the practice",
                "facility": "hospital pharmacy"}[rf.supplied_by] in text
        assert ("multi-dose vial" if rf.container == "multi_dose" else "single-dose container") in text
        if rf.lot:
            assert f"lot {rf.lot}".lower() in text.lower()
        if rf.residual_ml is not None:
            assert f"Residual aspirated: {rf.residual_ml} mL" in text
    if enc.performed_by:
        assert {"physician": "Performed by: physician", "qhp": "Performed by: nurse practitioner",
                "clinical_staff": "Performed by: clinic nurse"}[enc.performed_by] in text
    if enc.supervising_practitioner:
        assert enc.supervising_practitioner in text
    if enc.next_refill_date:
        assert f"Next refill due {_day(enc.next_refill_date.isoformat())}" in text
    if enc.reprogramming and enc.reprogramming.old_value and enc.reprogramming.new_value:
        assert f"from {enc.reprogramming.old_value} to {enc.reprogramming.new_value}" in text
    for d in enc.diagnoses:
        words = code_set().description(d.code)
        assert words and words[1:] in text
    if enc.em_visit and enc.em_visit.performed and enc.em_visit.documentation:
        assert enc.em_visit.documentation[1:].rstrip(".") in text


#: How each documentation element shows in the note: the element absent from the scenario, the words absent
#: from the note (documentation exercises depend on it).
ABSENT = {
    "refill.lot": (lambda e: e.refill and not e.refill.lot, re.compile(r"\blot\b", re.I)),
    "refill.discarded": (lambda e: e.refill and e.refill.discarded is None, re.compile(r"wasted|discard", re.I)),
    "refill.residual_ml": (lambda e: e.refill and e.refill.residual_ml is None, re.compile("Residual")),
    "refill.port": (lambda e: e.refill and not e.refill.port, re.compile(r"\bport\b")),
    "next_refill_date": (lambda e: e.next_refill_date is None, re.compile("Next refill")),
    "performed_by": (lambda e: e.performed_by is None, re.compile(r"Performed by|physician,|nurse,")),
    "supervising_practitioner": (lambda e: not e.supervising_practitioner, re.compile("Supervis|Co-signed")),
    "physician_reason": (lambda e: not e.physician_reason, re.compile("Why the physician", re.I)),
    "pump.manufacturer": (lambda e: e.pump and not e.pump.manufacturer and not e.pump.model,
                          re.compile("Medtronic|Flowonix|Codman|SynchroMed|Prometra")),
    "interval_reason": (lambda e: not e.interval_reason, re.compile("Refill timing")),
    "imaging_reason": (lambda e: not e.imaging_reason, re.compile(r"guidance used\. Reason")),
    "reprogramming.values": (lambda e: e.reprogramming and not e.reprogramming.new_value,
                             re.compile(r"changed (from|to) ")),
    "reprogramming.reason": (lambda e: e.reprogramming and not e.reprogramming.reason, re.compile("Reason: ")),
    "interrogation": (lambda e: e.interrogation is None, re.compile("Reservoir volume by|Alarms:|Battery:")),
}


@pytest.mark.parametrize("ex", SHIPPED, ids=lambda ex: ex.id)
def test_note_omits_what_the_scenario_lacks(ex: Exercise):
    text = chart_note_text(ex)
    enc = ex.scenario.encounter
    for name, (lacks, shown) in ABSENT.items():
        if lacks(enc):
            assert not shown.search(text), f"{name} is not in the scenario, yet the note says {shown.pattern!r}"


#: What each field a documentation trainee records looks like in a note: it must not be there already.
RECORDED = {
    "pump.manufacturer": None, "pump.model": None,  # the value itself
    "next_refill_date": re.compile("Next refill"),
    "reprogramming.old_value": re.compile("changed from"),
    "reprogramming.new_value": re.compile(r"changed (from .+ )?to "),
    "reprogramming.reason": re.compile("Reason: "),
    "interrogation.battery": re.compile("Battery:"),
    "interrogation.reservoir_ml": re.compile("Reservoir volume by"),
    "interrogation.alarms": re.compile("Alarms:"),
    "refill.discarded": re.compile(r"wasted|discard", re.I),
    "refill.lot": re.compile(r"\blot\b", re.I),
    "refill.residual_ml": re.compile("Residual"), "refill.expected_residual_ml": re.compile("expected"),
    "refill.port": re.compile(r"\bport\b"),
    "performed_by": re.compile("Performed by"),
    "physician_reason": re.compile("Why the physician"),
    "imaging_reason": re.compile(r"guidance used\. Reason"),
    "supervising_practitioner": None, "supervision": re.compile(r"supervision\)|Supervision:"),
    "coverage.prior_authorization": re.compile("Prior authorization"),
    "interval_reason": re.compile("Refill timing"),
}


def _leaves(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for k, v in data.items():
        out += _leaves(v, f"{prefix}{k}.") if isinstance(v, dict) else [(f"{prefix}{k}", v)]
    return out


def test_documentation_exercises_keep_their_gaps():
    """What a complete_documentation trainee must record (the model answer) is not already in the note."""
    checked = 0
    for ex in SHIPPED:
        if ex.kind != "complete_documentation" or not (ex.key and ex.key.documentation):
            continue
        text = chart_note_text(ex)
        for path, value in _leaves(ex.key.documentation):
            assert path in RECORDED, f"{ex.id}: add {path} to RECORDED (how it would show in a note)"
            shown = RECORDED[path]
            if shown is None:
                assert str(value) not in text, f"{ex.id}: the note already holds {path}: {value!r}"
            else:
                assert not shown.search(text), f"{ex.id}: the note already shows {path} ({shown.pattern!r})"
            checked += 1
    assert checked >= 15


def test_d03_and_d04_gaps_are_the_ones_the_narrative_describes():
    d03 = chart_note_text(BY_ID["d03-support-the-jw-line"])
    assert "15 mL of baclofen 2000 mcg/mL" in d03 and not re.search(r"wasted|discard", d03, re.I)
    d04 = chart_note_text(BY_ID["d04-who-did-the-work"])
    assert "Performed by" not in d04 and "Why the physician" not in d04
    assert "Electronically signed by the clinician" in d04


def test_uncertain_diagnosis_is_written_as_uncertain_and_in_words():
    ex = _with(BY_ID["c10-review-complication-with-z451"],
               diagnoses=[{"code": "T85.630A", "certainty": "suspected"}, "G80.1"])
    text = chart_note_text(ex)
    assert "1. Suspected: leakage of cranial or spinal infusion catheter" in text
    assert "T85" not in text and "G80" not in text
    rule_out = _with(ex, diagnoses=[{"code": "T85.630A", "certainty": "rule_out"}])
    assert "Rule out: leakage" in chart_note_text(rule_out)


def test_em_problem_and_same_session_procedure_in_words():
    c07 = chart_note_text(BY_ID["c07-em-same-visit-problem"])
    assert "Problem addressed: Drug induced constipation" in c07
    c14 = chart_note_text(BY_ID["c14-review-programming-at-implant"])
    assert "implantation of a programmable pump" in c14 and "62362" not in c14


def test_authored_note_overrides_and_is_escaped():
    ex = BY_ID["f01-refill-no-reprogramming"].model_copy(update={
        "note": "Nurse refill, <b>no</b> dose change.\nPhysician in the suite.\n\nPlan: refill in 12 weeks."})
    text = chart_note_text(ex)
    assert "Nurse refill, <b>no</b> dose change." in text and "SynchroMed" not in text
    page = chart_note_html(ex)
    assert "&lt;b&gt;no&lt;/b&gt;" in page and "<b>no</b>" not in page
    assert page.count('<p style="margin:.4em 0">') == 2 and "dose change.<br>Physician" in page
    headed = ex.model_copy(update={"note": "REFILL\nNurse refill, 20 mL.\n\nPLAN\nNext refill in 12 weeks."})
    assert "<strong>Refill.</strong> Nurse refill, 20 mL.</p>" in chart_note_html(headed)


def test_html_is_semantic_escaped_and_theme_neutral():
    ex = _with(BY_ID["f03-dose-change-no-refill"],
               reprogramming={"changes": ["daily_dose"], "old_value": "300 mcg/day", "new_value": "340 mcg/day",
                              "reason": "spasms <script>alert(1)</script> & pain"})
    page = chart_note_html(ex)
    assert page.startswith('<section class="pb-chart-note" aria-label="Clinical note"')
    assert page.endswith("</section>") and "<h3" in page and "<dl" in page and "<ol" in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; pain" in page
    assert BADGE in page
    assert "color:inherit" in page and "border:1px solid" in page
    assert not re.search(r"background(-color)?:\s*(#f|#e|white|rgb\(2)", page, re.I)


def test_note_module_is_pure_and_pandas_free():
    code = ("import sys, pumpbill.exercises.note as n; from pumpbill.exercises import load_exercise; "
            f"n.chart_note_html(load_exercise({str(F01)!r})); print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the authoring check (pumpbill validate) -------------------------------------------------------------


def _fixture(tmp_path: Path, note: str | None, **encounter) -> Path:
    data = yaml.safe_load(F01.read_text())
    if note is not None:
        data["note"] = note
    data["scenario"]["encounter"].update(encounter)
    path = tmp_path / F01.name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _note_problems(path: Path) -> list:
    problems, _ = validate_exercise_file(path, book_dir=None)
    return [p for p in problems if p.field.startswith("note")]


def test_validate_rejects_an_authored_note_with_the_key(tmp_path: Path):
    bad = _fixture(tmp_path, "Nurse refill, bill 95990 and J0475 with JZ, 4 units; Z45.1 first (see PB002).")
    [problem] = _note_problems(bad)
    assert problem.severity == "error" and problem.field == "note"
    line = str(problem)
    assert "\n" not in line and line.startswith(f"{bad}: note: ")
    for named in ("95990", "J0475", "modifier JZ", "Z45.1", "PB002", "4 units"):
        assert named in line


def test_validate_accepts_a_clean_authored_note(tmp_path: Path):
    good = _fixture(tmp_path, "Nurse refill of the baclofen pump with 20 mL of 2000 mcg/mL; nothing wasted.\n\n"
                    "Assessment: spastic diplegic cerebral palsy; pump management. Next refill May 25, 2026.")
    assert _note_problems(good) == []
    problems, ex = validate_exercise_file(good, book_dir=None)
    assert ex is not None and ex.note and not [p for p in problems if p.severity == "error"]


def test_validate_rejects_a_generated_note_that_leaks_through_scenario_text(tmp_path: Path):
    leaky = _fixture(tmp_path, None, interval_reason="early per the JZ policy; code as 95990")
    [problem] = _note_problems(leaky)
    assert problem.field == "note (written from the scenario)" and "95990" in problem.message
    assert "modifier JZ" in problem.message


def test_digit_modifiers_only_count_as_modifiers():
    terms = {"codes": set(), "modifiers": {"25"}, "diagnoses": set(), "rules": set()}
    assert note_leaks("ziconotide 25 mcg/mL, 25 days", terms) == []
    assert note_leaks("E/M with modifier 25", terms) == ["modifier 25"]
    assert note_leaks("office visit-25", terms) == ["modifier 25"]


def test_every_shipped_exercise_passes_the_note_check():
    for folder in sorted(p for p in EXERCISES.iterdir() if (p / "set.yaml").is_file()):
        for path in sorted(folder.glob("*.yaml")):
            if path.name == "set.yaml":
                continue
            assert _note_problems(path) == [], path


def test_schema_documents_the_note_field():
    schema = Exercise.model_json_schema()
    assert "note" in schema["properties"] and "note" not in schema.get("required", [])

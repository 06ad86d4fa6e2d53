"""The exercise widget as a trainee uses it: the claim form, the documentation form, the rule checkboxes,
the picker (set switch, Next), the hand-in download, and the feedback. Driven in Python: values are set on
the widgets and buttons are clicked, as the browser would."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import ipywidgets as W
import pytest
import yaml

from pumpbill.exercises import Submission
from pumpbill.exercises.catalog import REPO_EXERCISES, public_exercise, public_sets
from pumpbill.exercises.claimform import LETTERS, ClaimForm
from pumpbill.exercises.docform import LABELS, DocForm
from pumpbill.exercises.feedback import HOW_SCORED, grade_html
from pumpbill.exercises.models import Answer
from pumpbill.exercises.ruleform import RuleForm
from pumpbill.exercises.store import load_set
from pumpbill.exercises.widget import exercise_picker, exercise_widget, trainee_problem
from pumpbill.grading import FORMULAS, derive_key, grade
from pumpbill.rules import REGISTRY

BOOK = Path(__file__).resolve().parents[1] / "book"
PAGES = [BOOK / "exercises" / "practice.md", BOOK / "exercises" / "assignment.md", BOOK / "start" / "exercises.md"]
ALL = [e["id"] for s in public_sets().values() for e in s["exercises"]]
KEYED = {e.id: e for p in sorted(REPO_EXERCISES.iterdir()) if (p / "set.yaml").is_file() for e in load_set(p).exercises}


def by_kind(*kinds: str) -> list[str]:
    return [i for i in ALL if public_exercise(i).kind in kinds]


def walk(w: W.Widget):
    yield w
    for c in getattr(w, "children", ()):
        yield from walk(c)


def practice_grade(ex, answer: Answer):
    return grade(ex, Submission(trainee="practice", exercise=ex.id, mode="practice", answer=answer))


def decode_download(html: str) -> tuple[str, str]:
    m = re.search(r"download='([^']+)' href='data:application/x-yaml;base64,([^']+)'", html)
    assert m, html
    return m[1], base64.b64decode(m[2]).decode("utf-8")


def wrong_claim(key: Answer) -> Answer:
    """A plausible wrong answer: the last line dropped, the units off by one, the diagnoses reversed."""
    lines = [ln.model_dump() for ln in key.lines or []]
    lines = lines[:-1] if len(lines) > 1 else [{**lines[0], "units": lines[0]["units"] + 1}]
    dx = list(reversed(key.diagnoses)) if key.diagnoses is not None else None
    return Answer(lines=lines, diagnoses=dx)


# --- the claim form ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("ex_id", by_kind("choose_claim"))
def test_the_claim_form_grades_like_the_answer_it_holds(ex_id: str):
    ex = public_exercise(ex_id)
    key = derive_key(ex)
    for answer in (key, wrong_claim(key)) if key.lines else (wrong_claim(Answer(lines=[{"code": "95990"}])),):
        w = exercise_widget(ex)
        form = w.pumpbill["form"].claim
        form.fill([ln.model_dump() for ln in answer.lines], answer.diagnoses or [])
        w.pumpbill["check"]()
        direct = Answer(lines=answer.lines, diagnoses=answer.diagnoses if "diagnoses" in ex.rubric.points else None)
        assert w.pumpbill["out"].value == grade_html(practice_grade(ex, direct))
    if key.lines:
        form.fill([ln.model_dump() for ln in key.lines], key.diagnoses or [])
        w.pumpbill["check"]()
        assert "All correct" in w.pumpbill["out"].value


def test_the_claim_form_typed_field_by_field():
    """Box 21 and the line fields typed one by one; the pointer sets the diagnosis order."""
    ex = public_exercise("f01-refill-no-reprogramming")
    w = exercise_widget(ex)
    f: ClaimForm = w.pumpbill["form"].claim
    f.dx[0].value, f.dx[1].value = "g80.1", "Z45.1"
    f.lines[0].code.value, f.lines[0].pointer.value, f.lines[0].date.value = "62369", "B A", "2026-01-05"
    f.lines[1].code.value, f.lines[1].units.value, f.lines[1].pointer.value = "j0475", 40, "BA"
    assert f.answer_data() == {"lines": [{"code": "62369", "modifiers": [], "units": 1},
                                         {"code": "J0475", "modifiers": [], "units": 40}],
                               "diagnoses": ["Z45.1", "G80.1"]}
    f.lines[0].pointer.value = ""  # no pointer on line 1: box 21's order
    assert f.answer_data()["diagnoses"] == ["G80.1", "Z45.1"]
    f.lines[1].modifiers[0].value = "jz"
    assert f.answer_data()["lines"][1]["modifiers"] == ["JZ"]
    for field, value, says in ((f.lines[0].pointer, "C", "box 21 C is empty"),
                               (f.lines[0].pointer, "M", "letters A to L"),
                               (f.lines[0].date, "05/01/2026", "YYYY-MM-DD"),
                               (f.lines[1].code, "J47", "5-character"),
                               (f.dx[2], "diplegia", "ICD-10-CM")):
        old = field.value
        field.value = value
        w.pumpbill["check"]()
        assert says in w.pumpbill["out"].value and "role='alert'" in w.pumpbill["out"].value
        field.value = old
    w.pumpbill["check"]()
    assert "Score" in w.pumpbill["out"].value or "right" in w.pumpbill["out"].value
    assert "Not scored: Line 1: the date of service (24A)" in w.pumpbill["out"].value


def test_add_line_stops_at_six_and_every_field_is_labelled():
    f = ClaimForm()
    for _ in range(10):
        f.add.click()
    assert len(f.lines) == 6 and f.add.disabled and "Six lines" in f.add_note.value
    for w in f.widgets():
        assert w.description.strip(), w
        if isinstance(w, W.Text):
            assert w.continuous_update
    assert [b.description for b in f.dx] == [f"21{c}" for c in LETTERS]


def test_a_changed_answer_withdraws_the_old_feedback():
    ex = public_exercise("f01-refill-no-reprogramming")
    w = exercise_widget(ex)
    f = w.pumpbill["form"].claim
    f.fill([{"code": "95990"}], ["Z45.1"])
    w.pumpbill["check"]()
    assert "right" in w.pumpbill["out"].value
    f.lines[0].code.value = "62369"
    assert "Your answer changed" in w.pumpbill["out"].value and "right" not in w.pumpbill["out"].value


def test_a_line_added_after_the_check_withdraws_the_old_feedback_too():
    ex = public_exercise("f01-refill-no-reprogramming")
    for mode, button, shown in (("practice", "check", "right"), ("assignment", "save", "download")):
        w = exercise_widget(ex, mode=mode, trainee="t07")
        f = w.pumpbill["form"].claim
        f.fill([{"code": "95990"}, {"code": "J0475", "modifiers": ["JZ"], "units": 4}], ["Z45.1", "G80.1"])
        w.pumpbill[button]()
        assert shown in w.pumpbill["out"].value.lower(), mode
        f.add_line()  # line 3: added after the check or the save
        assert "Your answer changed" in w.pumpbill["out"].value, mode
        w.pumpbill[button]()
        f.lines[2].code.value = "A4220"  # typing on the new line withdraws it again
        assert "Your answer changed" in w.pumpbill["out"].value, mode


def test_the_graded_diagnoses_are_the_pump_service_lines_wherever_it_sits():
    form = ClaimForm()
    form.fill([{"code": "99214", "modifiers": ["25"]}, {"code": "62370"}], ["K59.03", "Z45.1", "M96.1"])
    form.lines[0].pointer.value = "A"  # the E/M line, first on the form, points to its own problem
    form.lines[1].pointer.value = "BC"
    assert form.answer_data()["diagnoses"] == ["Z45.1", "M96.1"]
    form.lines[1].code.value = "99213"  # no pump-service line: line 1's pointer
    assert form.answer_data()["diagnoses"] == ["K59.03"]


# --- placeholders and pages never give an answer --------------------------------------------------------------


def key_strings() -> set[str]:
    out: set[str] = set()
    for ex in KEYED.values():
        key = ex.key or derive_key(ex)
        out |= {ln.code for ln in key.lines or []} | set(key.diagnoses or []) | set(key.rules or [])
        out |= {m for ln in key.lines or [] for m in ln.modifiers}
    return out


def test_no_placeholder_holds_an_answer():
    keys = key_strings()
    assert {"95990", "Z45.1", "JZ"} <= keys  # the check below has teeth
    for ex_id in ALL:
        for mode in ("practice", "assignment"):
            for w in walk(exercise_widget(public_exercise(ex_id), mode=mode)):
                text = getattr(w, "placeholder", "") or ""
                assert not set(re.findall(r"[0-9A-Z.]+", text.upper())) & keys, (ex_id, text)


def test_the_pages_solve_no_exercise():
    """No page walks through a set's exercise or spells out a key as an answer."""
    text = "\n".join(p.read_text("utf-8") for p in PAGES)
    assert "{replite}" not in text and "{notebooklite}" in text
    for ex in KEYED.values():
        assert ex.id not in text and ex.id.split("-")[0] + ":" not in text, ex.id
        key = ex.key or derive_key(ex)
        for ln in key.lines or []:
            spelled = " ".join([ln.code, *ln.modifiers]) + (f" x{ln.units}" if ln.units > 1 else "")
            if ln.modifiers or ln.units > 1:
                assert spelled not in text, (ex.id, spelled)
        if key.diagnoses and len(key.diagnoses) > 1:
            assert ", ".join(key.diagnoses) not in text, (ex.id, key.diagnoses)


def test_widget_cells_hide_their_source():
    for page in PAGES:
        cells = re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", page.read_text("utf-8"), re.S)
        for cell in cells:
            if re.search(r"^(exercise_picker|spot_the_error)\(", cell, re.M):
                assert "remove-input" in cell, (page.name, cell[:80])


# --- the documentation form ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ex_id", by_kind("complete_documentation"))
def test_the_documentation_form_reaches_the_graded_answer(ex_id: str):
    ex = public_exercise(ex_id)
    doc = KEYED[ex_id].key.documentation
    w = exercise_widget(ex)
    form: DocForm = w.pumpbill["form"].doc
    form.fill(doc)
    w.pumpbill["check"]()
    direct = practice_grade(ex, Answer(documentation=doc))
    assert direct.status == "graded"
    assert w.pumpbill["out"].value == grade_html(direct)
    recorded = form.documentation()
    assert {k: (set(v) if isinstance(v, dict) else v) for k, v in recorded.items()} == \
        {k: (set(v) if isinstance(v, dict) else str(v)) for k, v in doc.items()}


def test_the_documentation_form_speaks_plain_words():
    ex = public_exercise("d01-record-device-and-plan")
    w = exercise_widget(ex)
    form: DocForm = w.pumpbill["form"].doc
    labels = [x.description for x in form.widgets()]
    assert "Pump model" in labels and "Next refill date (YYYY-MM-DD)" in labels
    for label in labels:
        assert "_" not in label and "." not in label, label
    html = " ".join(x.value for x in walk(w) if isinstance(x, W.HTML))
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", html.replace("pb-chart-note", "")), "a YAML field name on screen"
    form.fields[("pump", "model")].value = "Model X"
    form.fields[("next_refill_date", None)].value = "next month"
    w.pumpbill["check"]()
    assert "Next refill date (YYYY-MM-DD): " in w.pumpbill["out"].value and "next_refill" not in w.pumpbill["out"].value
    form.fields[("next_refill_date", None)].value = ""
    form.fields[("refill", "residual_ml")].value = "a little"
    w.pumpbill["check"]()
    assert "Residual volume aspirated (mL): write a number" in w.pumpbill["out"].value
    form.fields[("refill", "residual_ml")].value = ""
    w.pumpbill["check"]()
    assert "right" in w.pumpbill["out"].value  # graded: the pump model closes one gap


def test_every_recordable_element_has_a_label():
    from pumpbill.grading.grade import DOC_FIELDS

    for group, fields in DOC_FIELDS.items():
        for name in fields or [None]:
            if fields is None and (group, None) not in LABELS:
                assert any(g == group for g, _ in LABELS), group
            else:
                assert (group, name) in LABELS, (group, name)


# --- the rule checkboxes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("ex_id", by_kind("find_gaps", "review_claim"))
def test_the_rule_form_grades_like_the_rules_it_holds(ex_id: str):
    ex = public_exercise(ex_id)
    key = sorted(derive_key(ex).rules or [])
    extra = next(c for c in sorted(REGISTRY) if c not in key)
    for rules in (key, key[1:] + [extra]):
        w = exercise_widget(ex)
        form: RuleForm = w.pumpbill["form"].rules
        for code in rules:
            form.boxes[code].value = True
        w.pumpbill["check"]()
        assert w.pumpbill["out"].value == grade_html(practice_grade(ex, Answer(rules=sorted(rules))))
    assert "‹" not in w.pumpbill["out"].value  # the missed rule's fix is whole, not a template


def test_rules_are_grouped_by_family_with_titles_and_links():
    form = RuleForm()
    heads = [w.value for w in form.box.children if isinstance(w, W.HTML)][1:]
    assert [re.search(r"\((PB\d)xx\)", h)[1] for h in heads] == sorted({c[:3] for c in REGISTRY})
    assert "Code selection" in heads[0]
    assert form.boxes["PB002"].description == f"PB002 {REGISTRY['PB002'].title}"
    links = [w.value for w in walk(form.box) if isinstance(w, W.HTML) and "<a " in w.value]
    assert len(links) == len(REGISTRY)
    assert all("target='_blank'" in a and "rel='noopener'" in a for a in links)
    assert "href='../reference/rules/pb002.html'" in " ".join(links)


# --- feedback --------------------------------------------------------------------------------------------------


def test_feedback_reads_like_a_teacher():
    ex = public_exercise("f01-refill-no-reprogramming")
    g = practice_grade(ex, Answer(lines=[{"code": "62369"}, {"code": "J0475", "units": 40}],
                                  diagnoses=["Z45.1", "G80.1"]))
    html = grade_html(g, link_base="/book/reference/rules/")
    right = sum(p.points == p.max_points for p in g.parts)
    assert f"Good start: {right} of {len(g.parts)} parts right" in html and "Here is what to fix:" in html
    assert "Formula" not in html and "How it was scored" in html
    assert "right-minus-extra" not in html and HOW_SCORED["right-minus-extra"] in html
    assert '<a href="/book/reference/rules/pb002.html" target="_blank" rel="noopener">PB002</a>' in html
    assert "<b>Fix: " in html and "<small>Fix" not in html
    assert set(HOW_SCORED) == set(FORMULAS)


def test_missed_rule_fixes_are_never_templates():
    from pumpbill.grading.grade import full_fix

    for code, rule in REGISTRY.items():
        fix = full_fix(code)
        assert fix and not re.search(r"\{[a-z_]+\}", fix) and "‹" not in fix, code
        if not re.search(r"\{[a-z_]+\}", rule.fix):
            assert fix == rule.fix


# --- the picker ------------------------------------------------------------------------------------------------


def test_switching_the_set_shows_checks_and_saves_the_displayed_exercise():
    p = exercise_picker(mode="assignment", trainee="t07")
    pb = p.pumpbill
    for set_id in ("documentation", "claim-review", "foundations"):
        pb["sets"].value = set_id
        shown = pb["holder"].children[0]
        first = public_sets()[set_id]["exercises"][0]["id"]
        assert shown.pumpbill["exercise"].id == first
        heading = shown.pumpbill["header"].value
        assert f"<h3 style='margin:.2em 0'>{first}:" in heading
        form = shown.pumpbill["form"]
        if form.claim:
            form.claim.fill([{"code": "99999"}], ["A00.0"])
        elif form.doc:
            form.doc.fields[("pump", "model")].value = "Model X"
        shown.pumpbill["save"]()
        name, text = decode_download(shown.pumpbill["out"].value)
        assert name == f"submission-t07-{first}.yaml" and f"<b>{first}</b>" in shown.pumpbill["out"].value
        assert Submission.model_validate(yaml.safe_load(text)).exercise == first
    # practice: the check grades the exercise on screen
    p = exercise_picker(mode="practice")
    p.pumpbill["sets"].value = "claim-review"
    shown = p.pumpbill["holder"].children[0]
    ex = shown.pumpbill["exercise"]
    shown.pumpbill["check"]()
    assert shown.pumpbill["out"].value == grade_html(practice_grade(ex, shown.pumpbill["form"].answer()))


def test_next_exercise_walks_every_set_then_says_it_is_the_last():
    p = exercise_picker(mode="practice")
    pb = p.pumpbill
    seen = [pb["holder"].children[0].pumpbill["exercise"].id]
    for _ in range(len(ALL) - 1):
        pb["next"].click()
        seen.append(pb["holder"].children[0].pumpbill["exercise"].id)
    assert seen == ALL and pb["next_msg"].value == ""
    pb["next"].click()
    assert "last exercise" in pb["next_msg"].value and pb["holder"].children[0].pumpbill["exercise"].id == ALL[-1]


# --- assignment hand-in ------------------------------------------------------------------------------------------


def test_trainee_id_is_checked_as_typed_and_before_the_download():
    p = exercise_picker(mode="assignment")
    field = p.pumpbill["trainee"]
    msg = p.children[1].children[1]
    assert field.description == "Trainee ID"
    shown = p.pumpbill["holder"].children[0]
    shown.pumpbill["form"].claim.fill([{"code": "99999"}], ["A00.0"])
    for typed, why in (("", "Type your trainee ID first"), ("trainee", "only the example ID"),
                       ("Ann Smith", "letters, digits")):
        field.value = typed
        assert (why in msg.value) == bool(typed)
        shown.pumpbill["save"]()
        assert "Not ready" in shown.pumpbill["out"].value and why in shown.pumpbill["out"].value
        assert "download=" not in shown.pumpbill["out"].value
    field.value = "t07"
    assert msg.value == "" and trainee_problem("t07") is None
    shown.pumpbill["save"]()
    out = shown.pumpbill["out"].value
    assert "Saved" not in out and "Download your submission" in out and "Next:" in out
    assert "background:#1565c0" in out
    field.value = "t08"  # the file named t07 no longer matches: withdrawn
    assert "download=" not in shown.pumpbill["out"].value


def test_the_download_parses_back_to_the_submission():
    ex = public_exercise("d01-record-device-and-plan")
    w = exercise_widget(ex, mode="assignment", trainee="t42")
    doc = KEYED[ex.id].key.documentation
    w.pumpbill["form"].doc.fill(doc)
    w.pumpbill["save"]()
    name, text = decode_download(w.pumpbill["out"].value)
    sub = Submission.model_validate(yaml.safe_load(text))
    assert name == f"submission-t42-{ex.id}.yaml" and sub.trainee == "t42" and sub.mode == "assignment"
    assert "Score" not in w.pumpbill["out"].value and "right" not in w.pumpbill["out"].value
    assert grade(KEYED[ex.id], sub).to_dict()["parts"] == practice_grade(
        KEYED[ex.id], Answer(documentation=doc)).to_dict()["parts"]

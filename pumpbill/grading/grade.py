"""grade(exercise, submission, rules_version) -> Grade. Pure: no I/O, nothing executed.

Feedback is the engine's own findings (rule code, what was wrong, the fix, a link to the rule's book
page), so that practice feedback, instructor reports and the checker say the same thing. Each item says
what it is about (``Feedback.kind``): the trainee's answer (``finding``, ``missed``, ``false-alarm``) or
the exercise's own note (``note``: it fires with the right answer too, so it is not the trainee's
mistake and stays out of the "most missed rules"). Fixes are given in full: the engine's rendered text
for this case, or the rule's template with its placeholders named when the case has no such finding.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from .. import RULES_VERSION
from ..engine import CheckResult, check
from ..errors import from_validation
from ..exercises.models import Answer, Exercise, Submission
from ..models import KNOWN_CODES, Scenario
from ..rules import REGISTRY
from ..selection import matching_line
from .formulas import COMPATIBLE, DEFAULTS, FORMULAS

RULE_PAGE = "book/reference/rules/{code}"
#: Encounter fields a trainee may record in a complete_documentation exercise (FACTS section 8).
DOC_FIELDS: dict[str, set[str] | None] = {
    "pump": {"manufacturer", "model", "reservoir_ml", "alarm_ml"},
    "interrogation": None,
    "refill": {"residual_ml", "expected_residual_ml", "lot", "ndc", "port", "discarded"},
    "reprogramming": {"reason", "old_value", "new_value"},
    "prescription": None,
    "next_refill_date": None,
    "performed_by": None,
    "physician_reason": None,
    "supervising_practitioner": None,
    "supervision": None,
    "imaging_reason": None,
    "interval_reason": None,
    "coverage": {"prior_authorization"},
}
#: Gaps a note closes by recording an element, besides the documentation rules (PB5xx): the reason for an
#: underdosing (PB413) and the payer's prior-authorization number (PB808).
OTHER_GAP_RULES = frozenset({"PB413", "PB808"})


def is_gap(rule: str) -> bool:
    """A finding the trainee can close by documenting (what complete_documentation exercises grade)."""
    return rule.startswith("PB5") or rule in OTHER_GAP_RULES


#: Feedback.kind values: about the trainee's answer, or about the exercise's note.
ANSWER_KINDS = ("finding", "missed", "false-alarm")
NOTE_KIND = "note"


@dataclass(frozen=True)
class Feedback:
    rule: str | None
    message: str
    fix: str = ""
    link: str = ""
    kind: str = "finding"  # see ANSWER_KINDS and NOTE_KIND


@dataclass(frozen=True)
class PartScore:
    part: str
    formula: str
    points: float
    max_points: float
    detail: str


@dataclass
class Grade:
    exercise: str
    trainee: str
    status: Literal["graded", "not gradable"]
    rules_version: str
    reason: str = ""
    parts: list[PartScore] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    max_points: float = 0.0

    @property
    def points(self) -> float:
        """Rounded for display; sums of several grades add the parts' unrounded points."""
        return round(sum(p.points for p in self.parts), 4)

    @property
    def fraction(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def all_correct(self) -> bool:
        """True only when graded, every rubric part was checked, and every part got full credit."""
        return (self.status == "graded" and len(self.parts) > 0
                and all(abs(p.points - p.max_points) < 1e-9 for p in self.parts))

    def summary(self) -> str:
        if self.status != "graded":
            return f"not gradable: {self.reason}"
        if self.all_correct:
            return f"all correct ({self.points:g}/{self.max_points:g}); every part was checked"
        return f"{self.points:g}/{self.max_points:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "trainee": self.trainee, "status": self.status,
                "reason": self.reason, "points": self.points, "max_points": self.max_points,
                "rules_version": self.rules_version,
                "parts": [p.__dict__ for p in self.parts], "feedback": [f.__dict__ for f in self.feedback]}


def _link(code: str | None) -> str:
    return RULE_PAGE.format(code=code.lower()) if code else ""


def _finding_feedback(result: CheckResult, *, severities=("error", "warning"),
                      note_rules: frozenset[str] = frozenset()) -> list[Feedback]:
    """The findings on the trainee's answer; those in ``note_rules`` fire with the right answer too, so
    they are about the exercise's note, not the trainee."""
    return [Feedback(f.rule, f"{f.name}: {f.message}" + (f" (your line {f.line})" if f.line else ""), f.fix,
                     _link(f.rule), NOTE_KIND if f.rule in note_rules else "finding")
            for f in result.findings if f.severity in severities]


def full_fix(code: str, ex: Exercise | None = None) -> str:
    """The whole fix for a rule, never cut and never a template: the engine's text for this exercise's note
    when the rule fires there; else the rule's fix when it has no placeholder; else the rule's generic
    sentence of the correct coding (a trainee cannot act on "Bill ‹expected›")."""
    if ex is not None:
        for f in _cached(_BASELINE, ex, lambda e: check(e.scenario, payer=e.payer)).findings:
            if f.rule == code and f.fix:
                return f.fix
    rule = REGISTRY[code]
    if re.search(r"(?<!\{)\{[a-z_]+\}(?!\})", rule.fix):
        return rule.correct
    return rule.fix.replace("{{", "{").replace("}}", "}")


def _scenario_with_claim(ex: Exercise, lines: list[dict[str, Any]] | None) -> Scenario:
    data = ex.scenario.model_dump(mode="json", exclude_none=True)
    if lines is not None:
        data["claim"] = {"lines": lines}
    return Scenario.model_validate(data)


#: Per-exercise results that do not depend on the submission (id(exercise) -> (exercise, value)).
_KEYS: dict[int, tuple[Exercise, Answer]] = {}
_BASELINE: dict[int, tuple[Exercise, CheckResult]] = {}


def _cached(store: dict, ex: Exercise, make):
    hit = store.get(id(ex))
    if hit is not None and hit[0] is ex:
        return hit[1]
    if len(store) > 4096:
        store.clear()
    value = make(ex)
    store[id(ex)] = (ex, value)
    return value


def derive_key(ex: Exercise) -> Answer:
    """What the engine says the answer is. Tests hold every stored key to it."""
    return _cached(_KEYS, ex, _derive_key)


def _derive_key(ex: Exercise) -> Answer:
    if ex.kind == "choose_claim":
        result = check(_scenario_with_claim(ex, None).model_copy(update={"claim": None}), payer=ex.payer)
        # The claim form grades code, modifiers and units; a line's NDC fields and claim note are not graded.
        return Answer(lines=[{k: v for k, v in ln.public().items() if k in ("code", "modifiers", "units")}
                             for ln in result.recommended], diagnoses=result.diagnoses)
    result = check(ex.scenario, payer=ex.payer)
    if ex.kind == "find_gaps":
        return Answer(rules=sorted({f.rule for f in result.findings if f.line is None and f.severity != "info"}))
    if ex.kind == "review_claim":
        return Answer(rules=sorted({f.rule for f in result.findings if f.severity == "error"}))
    return Answer()  # complete_documentation is graded by the engine directly


def _not_gradable(ex: Exercise | None, sub: Submission | None, reason: str, exercise_id: str = "",
                  trainee: str = "") -> Grade:
    return Grade(exercise=ex.id if ex else (sub.exercise if sub else exercise_id),
                 trainee=sub.trainee if sub else trainee, status="not gradable", rules_version=RULES_VERSION,
                 reason=reason, max_points=ex.max_points if ex else 0.0)


def _formula(ex: Exercise, part: str) -> str:
    name = ex.rubric.formulas.get(part, DEFAULTS[part])  # type: ignore[arg-type]
    if name not in COMPATIBLE[part]:
        raise ValueError(f"formula {name!r} cannot grade part {part!r}")
    return name


def _pair_lines(key: list[tuple[str, tuple[str, ...], int]], given: list[tuple[str, tuple[str, ...], int]]):
    """Pair each key line with a given line: same code and modifiers first, then same code."""
    pool = list(given)
    paired: list[tuple[str, tuple[str, ...], int] | None] = []
    for k in key:
        match = next((g for g in pool if g[:2] == k[:2]), None) or next((g for g in pool if g[0] == k[0]), None)
        if match is not None:
            pool.remove(match)
        paired.append(match)
    return paired


def grade(ex: Exercise, sub: Submission, rules_version: str = RULES_VERSION) -> Grade:
    """Grade one submission. Never raises for a bad submission: it is 'not gradable' with the reason."""
    if rules_version != RULES_VERSION:
        return _not_gradable(ex, sub, f"rules version {rules_version} requested, {RULES_VERSION} installed")
    if sub.exercise != ex.id:
        return _not_gradable(ex, sub, f"submission is for exercise {sub.exercise!r}, not {ex.id!r}")
    key = ex.key or derive_key(ex)
    g = Grade(ex.id, sub.trainee, "graded", RULES_VERSION, max_points=ex.max_points)
    ans = sub.answer
    try:
        if ex.kind == "choose_claim":
            _grade_claim(ex, key, ans, g)
        elif ex.kind in ("find_gaps", "review_claim"):
            _grade_rules(ex, key, ans, g)
        else:
            _grade_documentation(ex, ans, g)
    except _NotGradable as exc:
        return _not_gradable(ex, sub, str(exc))
    return g


class _NotGradable(Exception):
    pass


def _add(g: Grade, ex: Exercise, part: str, *args: Any) -> None:
    name = _formula(ex, part)
    frac, detail = FORMULAS[name](*args)
    pts = ex.rubric.points[part]  # type: ignore[index]
    g.parts.append(PartScore(part, name, frac * pts, pts, detail))  # unrounded: totals are rounded once


def _grade_claim(ex: Exercise, key: Answer, ans: Answer, g: Grade) -> None:
    parts = ex.rubric.points
    need_lines = {"codes", "modifiers", "units"} & set(parts)
    if need_lines and ans.lines is None:
        raise _NotGradable("answer.lines is missing (the claim lines)")
    if "diagnoses" in parts and ans.diagnoses is None:
        raise _NotGradable("answer.diagnoses is missing")
    key_lines = [ln.key() for ln in key.lines or []]
    given = [ln.key() for ln in ans.lines or []]
    if "codes" in parts:
        _add(g, ex, "codes", [k[0] for k in key_lines], [x[0] for x in given])
    paired = _pair_lines(key_lines, given)
    if "modifiers" in parts:
        _add(g, ex, "modifiers", [k[1] for k in key_lines], [p[1] if p else None for p in paired])
    if "units" in parts:
        _add(g, ex, "units", [k[2] for k in key_lines], [p[2] if p else None for p in paired])
    if "diagnoses" in parts:
        _add(g, ex, "diagnoses", list(key.diagnoses or []), [d.upper() for d in ans.diagnoses or []])
    # Feedback: run the checker on the trainee's claim, as a payer's edits would.
    unknown = [x[0] for x in given if x[0] not in KNOWN_CODES]
    for code in unknown:
        g.feedback.append(Feedback(None, f"{code} is not a code for this service", "Use the codes of the family",
                                   "book/choosing/family"))
    lines = [{"code": c, "modifiers": list(m), "units": max(u, 1), "diagnoses": list(ans.diagnoses or [])}
             for c, m, u in given if c in KNOWN_CODES]
    _fill_line_extras(ex, lines)
    try:
        result = check(_scenario_with_claim(ex, lines), payer=ex.payer)
    except (ValidationError, ValueError) as exc:
        g.feedback.append(Feedback(None, f"your claim could not be checked: {exc}".splitlines()[0]))
        return
    g.feedback.extend(_finding_feedback(result, note_rules=_cached(_KEY_RULES, ex, lambda e: _key_rules(e, key))))
    missing = [k for k, p in zip(key_lines, paired, strict=True) if p is None]
    for code, mods, units in missing:
        g.feedback.append(Feedback(None, f"missing line: {code}{'-' + '-'.join(mods) if mods else ''} x {units}",
                                   "Add the line the documentation supports"))


_KEY_RULES: dict[int, tuple[Exercise, frozenset[str]]] = {}


def _fill_line_extras(ex: Exercise, lines: list[dict[str, Any]]) -> None:
    """The claim form has no NDC or claim-note fields, so a trainee's line for the same code and modifiers as
    a recommended one takes the engine's NDC and note: feedback then judges what the trainee chose, and does not
    report a missing NDC (PB215) or NOC note (PB217) the form never asked for."""
    recommended = _cached(_BASELINE, ex, lambda e: check(e.scenario, payer=e.payer)).recommended
    extras = [ln for ln in recommended if ln.ndc or ln.note]
    for line in lines:
        rec = matching_line(extras, line["code"], line["modifiers"])
        if rec is not None:
            if rec.ndc:
                line["ndc"] = {"code": rec.ndc[0], "unit": rec.ndc[1], "quantity": rec.ndc[2]}
            if rec.note:
                line["note"] = rec.note


def _key_rules(ex: Exercise, key: Answer) -> frozenset[str]:
    """Rules that fire on the key's own claim: the note's problems, not the trainee's."""
    lines = [{"code": c, "modifiers": list(m), "units": max(u, 1), "diagnoses": list(key.diagnoses or [])}
             for c, m, u in (ln.key() for ln in key.lines or []) if c in KNOWN_CODES]
    _fill_line_extras(ex, lines)
    try:
        result = check(_scenario_with_claim(ex, lines), payer=ex.payer)
    except (ValidationError, ValueError):
        return frozenset()
    return frozenset(f.rule for f in result.findings if f.severity in ("error", "warning"))


def _grade_rules(ex: Exercise, key: Answer, ans: Answer, g: Grade) -> None:
    if ans.rules is None:
        raise _NotGradable("answer.rules is missing (the rule codes you found)")
    given = sorted({r.strip().upper() for r in ans.rules})
    expected = sorted(set(key.rules or []))
    if ex.kind == "review_claim":  # a warning that really fires is not a rule the claim breaks, nor a false alarm
        fired = _cached(_BASELINE, ex, lambda e: check(e.scenario, payer=e.payer)).findings
        risks = {f.rule: f.severity for f in fired if f.severity != "error"}
        for code in [r for r in given if r in risks and r not in expected]:
            given.remove(code)
            kind = "a warning" if risks[code] == "warning" else "a note"
            g.feedback.append(Feedback(code, f"{code} fires here as {kind} ({REGISTRY[code].name}): a risk to "
                                       "know about, not a rule the claim breaks; not scored", "", _link(code),
                                       NOTE_KIND))
    unknown = [r for r in given if r not in REGISTRY]
    _add(g, ex, "rules", expected, [r for r in given if r in REGISTRY] + unknown)
    for code in expected:
        if code not in given:
            r = REGISTRY[code]
            g.feedback.append(Feedback(code, f"missed: {r.name}: {r.what}", full_fix(code, ex), _link(code),
                                       "missed"))
    for code in given:
        if code in expected:
            continue
        if code in REGISTRY:
            g.feedback.append(Feedback(code, f"not a problem in this case: {REGISTRY[code].name}", "",
                                       _link(code), "false-alarm"))
        else:
            g.feedback.append(Feedback(None, f"{code} is not a rule code", "Use the codes of the rule catalogue",
                                       "book/reference/rules/index", "false-alarm"))


def _check_doc_fields(doc: dict[str, Any]) -> None:
    for k, v in doc.items():
        if k not in DOC_FIELDS:
            raise _NotGradable(f"answer.documentation.{k} cannot be recorded in this exercise")
        allowed = DOC_FIELDS[k]
        if allowed is not None:
            if not isinstance(v, dict):
                raise _NotGradable(f"answer.documentation.{k} must be a mapping")
            bad = sorted(set(v) - allowed)
            if bad:
                raise _NotGradable(f"answer.documentation.{k}.{bad[0]} cannot be recorded in this exercise")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _grade_documentation(ex: Exercise, ans: Answer, g: Grade) -> None:
    if ans.documentation is None:
        raise _NotGradable("answer.documentation is missing (the elements you record)")
    _check_doc_fields(ans.documentation)
    data = ex.scenario.model_dump(mode="json", exclude_none=True)
    before = _cached(_BASELINE, ex, lambda e: check(e.scenario, payer=e.payer))
    data["encounter"] = _merge(data["encounter"], ans.documentation)
    try:
        merged = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _NotGradable(str(from_validation("submission", exc, ())).removeprefix("submission: ")) from None
    after = check(merged, payer=ex.payer)
    gaps_before = {f.rule for f in before.findings if is_gap(f.rule)}
    gaps_after = {f.rule for f in after.findings if is_gap(f.rule)}
    if "documentation" in ex.rubric.points:
        _add(g, ex, "documentation", len(gaps_before), len(gaps_after))
    errors = [f for f in after.findings if f.severity == "error"]
    if "consistency" in ex.rubric.points:
        _add(g, ex, "consistency", len(errors), len(merged.claim.lines) if merged.claim else 1)
    # a finding the note had before the trainee wrote anything, and that is not one of the gaps to fill,
    # is about the note; a gap left open, or anything new, is the trainee's
    note = frozenset(f.rule for f in before.findings if not is_gap(f.rule))
    g.feedback.extend(_finding_feedback(after, note_rules=note))

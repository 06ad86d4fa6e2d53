"""The exercise and submission formats (YAML/JSON, validated; JSON Schema via ``pumpbill schema``).

Four kinds:

* ``choose_claim``: from the note, choose the claim (codes, modifiers, units, diagnosis order).
* ``complete_documentation``: record what the note needs for the billed claim; graded for completeness
  (the documentation rules no longer fire) and consistency (the documented amounts give the billed units).
* ``find_gaps``: pick what is missing or wrong in the note (documentation rules).
* ``review_claim``: spot the denial risks in a submitted claim and name the rules.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..models import Scenario, _payer

Kind = Literal["choose_claim", "complete_documentation", "find_gaps", "review_claim"]
Level = Literal["easy", "medium", "hard"]
PART_NAMES = ("codes", "modifiers", "units", "diagnoses", "rules", "documentation", "consistency")
Part = Literal["codes", "modifiers", "units", "diagnoses", "rules", "documentation", "consistency"]
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def _ident(v: str) -> str:
    if not _ID.match(v):
        raise ValueError("use letters, digits, '-', '_' or '.', at most 80 characters")
    return v


def _rule_code(v: str) -> str:
    from ..rules import REGISTRY

    v = v.strip().upper()
    if v not in REGISTRY:
        raise ValueError(f"unknown rule {v!r}")
    return v


Ident = Annotated[str, AfterValidator(_ident)]
RuleCode = Annotated[str, AfterValidator(_rule_code)]
PayerName = Annotated[str, AfterValidator(_payer)]
SetMode = Literal["practice", "assignment"]
#: Fields of an exercise that may point at its answer: never in a pack, and not in an assignment's public view.
ANSWER_FIELDS = frozenset({"key", "key_note"})
#: Fields that help a learner and may give the answer away: kept for practice, dropped from assignments.
LEARNING_FIELDS = frozenset({"hints", "objectives", "references"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)


class AnswerLine(_Strict):
    code: str = Field(max_length=10)
    modifiers: list[Annotated[str, Field(max_length=4)]] = Field(default_factory=list, max_length=6)
    units: Annotated[int, Field(ge=0, le=99999)] = 1

    def key(self) -> tuple[str, tuple[str, ...], int]:
        return (self.code.upper(), tuple(sorted(m.upper() for m in self.modifiers)), self.units)


class Answer(_Strict):
    """What a trainee answers (and what a key holds): only the parts the exercise asks for."""

    @field_validator("diagnoses", "rules", mode="after")
    @classmethod
    def _upper(cls, v: list[str] | None) -> list[str] | None:
        return [x.strip().upper() for x in v] if v is not None else None

    lines: list[AnswerLine] | None = Field(None, max_length=20)
    diagnoses: list[Annotated[str, Field(max_length=10)]] | None = Field(None, max_length=12)
    rules: list[Annotated[str, Field(max_length=8)]] | None = Field(None, max_length=40)
    documentation: dict[str, Any] | None = Field(
        None, description="complete_documentation: encounter fields the trainee records (merged into the "
        "exercise's encounter)")


class Rubric(_Strict):
    """Points per part, and the named partial-credit formula for each (see pumpbill.grading.formulas)."""

    points: dict[Part, Annotated[float, Field(gt=0, le=100)]]
    formulas: dict[Part, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_formulas(self) -> Rubric:
        from ..grading.formulas import COMPATIBLE

        for part, name in self.formulas.items():
            if name not in COMPATIBLE[part]:
                raise ValueError(f"formula {name!r} cannot grade part {part!r}; use one of "
                                 f"{', '.join(sorted(COMPATIBLE[part]))}")
        return self


class References(_Strict):
    book: list[str] = Field(default_factory=list, description="book page paths, e.g. book/choosing/family")
    rules: list[RuleCode] = Field(default_factory=list)


class Exercise(_Strict):
    id: Ident
    title: str
    level: Level
    kind: Kind
    objectives: list[str] = Field(min_length=1)
    narrative: str
    ask: str
    note: str | None = Field(None, max_length=6000, description="the clinical note the trainee codes from (plain "
                             "text; a blank line starts a paragraph). Without one, the site writes it from the "
                             "scenario (pumpbill.exercises.note). Never a code, modifier, unit count or rule code")
    scenario: Scenario
    key: Answer | None = Field(None, description="the answer key; never shipped in the site or in a course pack. "
                               "Without one, the engine's answer (derive_key) is the key")
    key_note: str | None = Field(None, max_length=2000, description="why the key deliberately differs from what "
                                 "the engine derives (pumpbill validate then reports the difference as a note, "
                                 "not an error); never shipped")
    rubric: Rubric
    hints: list[str] = Field(default_factory=list)
    references: References = References()
    payer: PayerName | None = Field(None, description="payer profile the engine grades with (overrides the "
                                    "scenario's); see pumpbill/payers")

    @model_validator(mode="after")
    def _fits_kind(self) -> Exercise:
        needs = {"choose_claim": {"codes"}, "complete_documentation": {"documentation"},
                 "find_gaps": {"rules"}, "review_claim": {"rules"}}[self.kind]
        missing = needs - set(self.rubric.points)
        if missing:
            raise ValueError(f"rubric for a {self.kind} exercise needs the part(s): {', '.join(sorted(missing))}")
        if self.kind in ("review_claim", "complete_documentation") and self.scenario.claim is None:
            raise ValueError(f"a {self.kind} exercise needs scenario.claim (the billed claim)")
        if self.key is not None:
            for part in self.rubric.points:
                field = {"codes": "lines", "modifiers": "lines", "units": "lines", "diagnoses": "diagnoses",
                         "rules": "rules", "documentation": None, "consistency": None}[part]
                if field and getattr(self.key, field) is None:
                    raise ValueError(f"key.{field} is required for rubric part '{part}'")
        return self

    @property
    def max_points(self) -> float:
        return float(sum(self.rubric.points.values()))

    def public(self, mode: SetMode = "practice") -> dict[str, Any]:
        """The exercise without its key (what the site and a course pack may ship). For an assignment, also
        without hints, objectives and references, which often name the answer; in practice, the rules of a
        rule-finding exercise's references are its key, so they stay home too."""
        drop = ANSWER_FIELDS | (LEARNING_FIELDS if mode == "assignment" else frozenset())
        data = self.model_dump(mode="json", exclude=set(drop))
        if "references" in data and self.kind in ("find_gaps", "review_claim"):
            data["references"] = {k: v for k, v in data["references"].items() if k != "rules"}
        return data


def _aware_datetime(v: Any) -> Any:
    """An ISO date-time with its time zone (a deadline without one would mean different moments to different
    readers)."""
    if isinstance(v, date) and not isinstance(v, datetime):
        raise ValueError(f"give a date and time with its time zone, e.g. {v.isoformat()}T23:59:00+00:00")
    if isinstance(v, str):
        try:
            v = datetime.fromisoformat(v.strip())
        except ValueError:
            raise ValueError(f"not an ISO date-time: {v!r} (e.g. 2026-03-09T23:59:00+01:00)") from None
    if isinstance(v, datetime) and v.tzinfo is None:
        raise ValueError(f"give the time zone, e.g. {v.isoformat()}+00:00 (or Z for UTC)")
    return v


def _percent(v: Any) -> Any:
    """10, 10.5 or '10%' -> a number (checked 0-100 by the field)."""
    return v.strip().removesuffix("%").strip() if isinstance(v, str) else v


Percent = Annotated[float, BeforeValidator(_percent), Field(ge=0, le=100)]


class LatePolicy(_Strict):
    """``late:`` in set.yaml: what late work costs (applied by ``pumpbill grade``; see pumpbill.grading.deadlines)."""

    penalty_per_day: Percent = Field(0, description="percent of the exercise's points per started day late")
    max_penalty: Percent = Field(100, description="at most this percent in all")
    grace_minutes: float = Field(0, ge=0, le=60 * 24 * 365, description="minutes after the due date still on time")


class ExerciseSet(_Strict):
    id: Ident
    title: str
    description: str = ""
    order: int = Field(100, description="position in the book's list of sets")
    mode: SetMode = Field("practice", description="practice: the practice page may grade it at once; "
                          "assignment: trainees hand in answers for grading, and the practice page refuses it")
    due: Annotated[datetime, BeforeValidator(_aware_datetime)] | None = Field(
        None, description="when the set is due: an ISO date-time with its time zone, e.g. 2026-03-09T23:59:00+01:00")
    late: LatePolicy | None = Field(None, description="the late policy (needs a due date): penalty_per_day, "
                                    "max_penalty, grace_minutes")
    renamed: Annotated[dict[Ident, Ident], BeforeValidator(lambda v: {} if v is None else v)] = Field(
        default_factory=dict, description="former exercise ids, each with the id it has now: a submission that "
        "names a former id is graded as the exercise it names now (review.csv says so). Never published: "
        "a former id may have given the answer away")
    exercises: list[Exercise]

    @model_validator(mode="after")
    def _renames_point_at_exercises(self) -> ExerciseSet:
        ids = {e.id for e in self.exercises}
        for old, new in self.renamed.items():
            if old in ids:
                raise ValueError(f"renamed: {old!r} is still an exercise id in this set; a former id cannot be reused")
            if new in self.renamed:
                raise ValueError(f"renamed: {old!r} -> {new!r}, but {new!r} was renamed too: point {old!r} at the id "
                                 f"the exercise has now ({self.renamed[new]!r})")
            if new not in ids:
                raise ValueError(f"renamed: {old!r} -> {new!r}, but {new!r} is not an exercise in this set")
        return self

    @property
    def known_ids(self) -> list[str]:
        """Every id a submission may name: the exercises' own, then their former ones."""
        return [e.id for e in self.exercises] + list(self.renamed)

    def get(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)

    def current_id(self, exercise_id: str) -> str:
        """The id an exercise has now (a former id is followed to its new one; anything else is returned as is)."""
        return self.renamed.get(exercise_id, exercise_id)


class Submission(_Strict):
    """One trainee's answer to one exercise. Data only: nothing in it is ever executed."""

    trainee: Ident
    exercise: Ident
    answer: Answer
    submitted_at: str | None = Field(None, max_length=40, description="ISO timestamp, used to pick the latest "
                                     "of duplicate submissions")

    @field_validator("submitted_at", mode="before")
    @classmethod
    def _iso_time(cls, v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        if isinstance(v, str):
            try:
                datetime.fromisoformat(v)
            except ValueError:
                raise ValueError(f"not an ISO date-time: {v!r} (e.g. 2026-03-02T10:15:00+00:00)") from None
        return v
    mode: Literal["practice", "assignment"] = "assignment"

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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..models import Scenario

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
    scenario: Scenario
    key: Answer | None = Field(None, description="the answer key; stripped from assignments shipped in the site")
    rubric: Rubric
    hints: list[str] = Field(default_factory=list)
    references: References = References()
    payer: str | None = None

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

    def public(self) -> dict[str, Any]:
        """The exercise without its key: what an assignment may ship."""
        return self.model_dump(mode="json", exclude={"key"})


class ExerciseSet(_Strict):
    id: Ident
    title: str
    description: str = ""
    order: int = Field(100, description="position in the book's list of sets")
    exercises: list[Exercise]

    def get(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)


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

"""The rule registry, in the style of ruff: a stable code, a name for the bad pattern (a slug that never
changes), a plain-English title for people, a one-line message with the evidence, a fix, and a docs text
with fixed sections. The CLI's ``rules`` and ``explain``, the book's rule catalogue and the exercise
feedback all read this one registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from ..edits import EditData
from ..facts import SOURCES
from ..intervals import Interval, Plan, plan_for, since_previous
from ..models import ClaimLine, Encounter, Severity
from ..payers import PayerProfile
from ..selection import DrugUnits, Selection, drug_units

FAMILIES: dict[str, str] = {
    "PB0": "code selection",
    "PB1": "bundling and edits",
    "PB2": "units and drugs",
    "PB3": "modifiers",
    "PB4": "diagnosis",
    "PB5": "documentation",
    "PB6": "frequency",
    "PB7": "place of service",
    "PB8": "payer policy",
}


@dataclass(frozen=True)
class Hit:
    """One place a rule fired: the billed line (1-based) or None, and the evidence for the message."""

    line: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Everything a rule may look at; derived facts are computed once and shared."""

    enc: Encounter
    lines: list[ClaimLine]
    has_claim: bool
    profile: PayerProfile
    selection: Selection
    edits: EditData

    @property
    def dos(self) -> date:
        return self.enc.date

    def billed(self, codes: Iterable[str]) -> list[tuple[int, ClaimLine]]:
        """Billed lines (1-based index, line) whose code is in ``codes``."""
        wanted = set(codes)
        return [(i, ln) for i, ln in enumerate(self.lines, 1) if ln.code in wanted]

    @cached_property
    def drug(self) -> DrugUnits | None:
        return drug_units(self.enc)

    @cached_property
    def interval(self) -> Interval | None:
        return since_previous(self.enc)

    @cached_property
    def plan(self) -> Plan | None:
        return plan_for(self.enc)

    @cached_property
    def all_dx(self) -> list[str]:
        """Every reportable diagnosis in the note and every diagnosis on the claim, in first-seen order."""
        seen: dict[str, None] = dict.fromkeys(self.enc.dx_codes)
        for ln in self.lines:
            seen.update(dict.fromkeys(ln.diagnoses))
        if self.enc.em_visit:
            seen.update(dict.fromkeys(self.enc.em_visit.diagnoses))
        return list(seen)


Check = Callable[[Context], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    message: str  # one line, str.format()-ed with the hit's evidence
    fix: str
    what: str
    why: str
    correct: str
    source: str  # a key of facts.SOURCES
    check: Check
    since: str = "0.1.0"
    supersedes: tuple[str, ...] = ()
    confidence: str | None = None  # defaults to the source's
    title: str = ""  # plain English for coders; ``name`` stays the stable machine name

    @property
    def family(self) -> str:
        return FAMILIES[self.code[:3]]

    @property
    def source_title(self) -> str:
        return SOURCES[self.source].title

    @property
    def confidence_level(self) -> str:
        return self.confidence or SOURCES[self.source].confidence

    def describe(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "title": self.title, "family": self.family,
                "severity": self.severity, "message": self.message, "fix": self.fix, "what": self.what, "why": self.why,
                "correct": self.correct, "source": self.source_title, "confidence": self.confidence_level,
                "since": self.since}


REGISTRY: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, *, title: str, message: str, fix: str, what: str, why: str,
         correct: str, source: str, since: str = "0.1.0", supersedes: tuple[str, ...] = (),
         confidence: str | None = None) -> Callable[[Check], Check]:
    """Register a check function under a stable code. ``title`` is what a coder reads (page heading,
    ``explain``, widgets); ``name`` is the slug scripts and old links rely on."""

    def register(fn: Check) -> Check:
        if code in REGISTRY:
            raise ValueError(f"duplicate rule code {code}")
        if code[:3] not in FAMILIES or len(code) != 5 or not code[2:].isdigit():
            raise ValueError(f"bad rule code {code}")
        if source not in SOURCES:
            raise ValueError(f"{code}: unknown source {source}")
        if not title.strip() or title == name or "{" in title or len(title) > 70:
            raise ValueError(f"{code}: the title must be plain English, at most 70 characters")
        REGISTRY[code] = Rule(code, name, severity, message, fix, " ".join(what.split()),
                              " ".join(why.split()), " ".join(correct.split()), source, fn, since,
                              supersedes, confidence, title)
        return fn

    return register

"""The rules an audit can report, with the severity and source of each.

Codes ``PB...`` are rule codes of the core registry (``pumpbill.rules.REGISTRY``): a finding of the
audit and a finding of ``pumpbill check`` on the same error carry the same code, name, severity and
source, because the audit takes them *from* the registry (no second copy to keep in step). What is
kept here is only what the audit alone knows: ``docs``, what the audit can see from claim lines
alone, and ``facts``, the FACTS.md section it rests on. ``AUD..`` codes are audit-only checks that
look across many claims (trends, peers) and have no single-encounter rule: they are defined here in
full.

Why lazily: importing the registry (pydantic models, payer profiles, edits) costs about 0.15 s, and
the audit's command-line wiring, ``pumpbill.audit`` and the book import this module. ``RULES``
derives its entries on first *lookup*; its codes, their order (``RULE_ORDER``), ``len`` and ``in``
need no registry. This module imports neither pandas nor, until then, the registry.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class AuditRule:
    """One kind of finding: its registry code, short name, severity, what it means and why."""

    code: str
    name: str
    severity: Severity
    docs: str
    facts: str  # the FACTS.md section the rule rests on
    source: str  # key into pumpbill.facts.SOURCES


@dataclass(frozen=True)
class AuditText:
    """What the audit adds to a registry rule. ``severity`` overrides the registry's only with a reason
    (``why``), for a finding the audit can see less surely than ``check`` does; none does today."""

    docs: str
    facts: str
    severity: Severity | None = None
    why: str = ""

    def __post_init__(self) -> None:
        if self.severity is not None and not self.why.strip():
            raise ValueError("an audit severity that differs from the registry's needs its reason (why)")


#: Registry rules the audit checks, in report order: the audit's own text only.
AUDIT_TEXT: dict[str, AuditText] = {
    "PB101": AuditText(
        "More than one pump-service code (62367-62370, 95990/95991, 96521/96522; units "
        "counted) for one patient on one day: the codes are alternatives, one per session. "
        "A single 62367-62370 + 95990/95991 pair is left to PB102.", "FACTS s.1"),
    "PB102": AuditText(
        "62367-62370 billed with 95990/95991 for the same patient and day: CPT says not to "
        "report them together (interrogation is included in 95990/95991 when performed).",
        "FACTS s.1"),
    "PB103": AuditText(
        "E/M line on a pump-service day (same patient, provider and date) without modifier "
        "25: a same-day E/M is billable only when separately identifiable, with 25.",
        "FACTS s.5"),
    "PB206": AuditText(
        "J1170 (hydromorphone) after 2024-09-30: terminated on that date (CMS HCPCS file), use "
        "J1171 (per 0.1 mg) from 2024-10-01.",
        "FACTS s.3"),
    "PB302": AuditText(
        "Drug line (a FACTS s.3 drug code) with neither JZ nor JW on the same claim and code. "
        "The audit cannot see the container, so this one finding stands for both registry "
        "rules PB302 (JZ missing) and PB303 (JW missing); it does not apply to a multi-dose "
        "container or a drug the practice did not buy. JZ/JW are Medicare Part B rules: only rows "
        "whose payer is Medicare (or every row when the export has no payer column) are checked.",
        "FACTS s.3"),
    "PB402": AuditText(
        "Bare G35 (multiple sclerosis) on a date of service on or after 2025-10-01: use "
        "G35.A, G35.B0-G35.B2, G35.C0-G35.C2 or G35.D.", "FACTS s.4"),
    "PB601": AuditText(
        "A refill far sooner than expected: with dose data, sooner than half the computed "
        "days to the low-reservoir alarm; without dose data, sooner than half the patient's "
        "median refill interval. For review.", "FACTS s.7"),
    "PB602": AuditText(
        "A refill later than the computed low-reservoir alarm date of the previous refill "
        "(dose data needed). For review.", "FACTS s.7"),
    "PB603": AuditText(
        "A ziconotide (J2278) refill later than the labelled limit: 40 days diluted, 84 "
        "undiluted (40 is used when the dilution is not given). For review.",
        "FACTS s.7"),
    "PB701": AuditText(
        "95990, 96521 or 96522 billed by a practitioner with a facility place of service: "
        "PC/TC 5 codes are not payable to a practitioner there (the hospital bills them).",
        "FACTS s.2"),
}

#: Audit-only rules (patterns across claims; not in the registry), after the registry rules.
AUDIT_ONLY: tuple[AuditRule, ...] = (
    AuditRule("AUD01", "physician-code-share-outlier", "warning",
              "Provider whose share of physician-skill refill codes (62370/95991 among "
              "62369/62370/95990/95991) is far above its peers'. A pattern for review, not an "
              "error: 62370/95991 are right when the physician/QHP personally performs the refill.",
              "FACTS s.1", "cpt-family"),
    AuditRule("AUD02", "modifier-25-rate-outlier", "warning",
              "Provider who bills an E/M with modifier 25 on a far larger share of pump-service "
              "days than its peers. For review: each such E/M must be separately identifiable.",
              "FACTS s.5", "em-25"),
    AuditRule("AUD03", "code-mix-drift", "warning",
              "A refill visit coded differently from the patient's usual refill code with no "
              "documented change (no change note, dose and concentration unchanged). Keep coding "
              "consistent unless there is a clear clinical reason. For review.",
              "FACTS s.1, s.6", "cpt-family"),
)

#: Rule codes in report order.
RULE_ORDER: tuple[str, ...] = (*AUDIT_TEXT, *(r.code for r in AUDIT_ONLY))


def derive(registry: Mapping[str, Any] | None = None) -> dict[str, AuditRule]:
    """The audit's rules: name, severity and source of each PB code from ``registry`` (default: the core
    registry), with the audit's text; then the audit-only rules. A PB code missing from the registry
    (renumbered there) raises KeyError; an audit-only code that the registry also uses raises ValueError."""
    if registry is None:
        from ..rules import REGISTRY as registry
    out: dict[str, AuditRule] = {}
    for code, text in AUDIT_TEXT.items():
        reg = registry[code]
        out[code] = AuditRule(code, reg.name, text.severity or reg.severity, text.docs, text.facts, reg.source)
    for rule in AUDIT_ONLY:
        if rule.code in registry:
            raise ValueError(f"audit-only code {rule.code} is also a registry rule")
        out[rule.code] = rule
    return out


class _Rules(Mapping[str, AuditRule]):
    """``code -> AuditRule``, derived from the registry on the first lookup (see the module doc)."""

    def __init__(self) -> None:
        self._rules: dict[str, AuditRule] | None = None

    def _all(self) -> dict[str, AuditRule]:
        if self._rules is None:
            self._rules = derive()
        return self._rules

    def __getitem__(self, code: str) -> AuditRule:
        return self._all()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(RULE_ORDER)

    def __len__(self) -> int:
        return len(RULE_ORDER)

    def __contains__(self, code: object) -> bool:
        return code in RULE_ORDER

    def __repr__(self) -> str:
        return f"RULES({', '.join(RULE_ORDER)})"


#: ``code -> AuditRule`` in report order (a read-only mapping; derived on first lookup).
RULES: Mapping[str, AuditRule] = _Rules()

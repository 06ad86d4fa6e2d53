"""Check a scenario: choose the lines the documentation supports and run every rule.

A pure function of (scenario, payer profile, edit tables). I/O lives in the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import RULES_VERSION, __version__
from .edits import EditData
from .errors import InputError
from .models import Finding, Line, Scenario
from .payers import PayerProfile, get_profile
from .rules import REGISTRY, Context, Rule
from .selection import Selection, recommended_diagnoses, select

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass
class CheckResult:
    scenario: Scenario
    profile: PayerProfile
    selection: Selection
    diagnoses: list[str]
    findings: list[Finding] = field(default_factory=list)

    @property
    def recommended(self) -> list[Line]:
        return self.selection.lines

    @property
    def exit_code(self) -> int:
        return 1 if any(f.severity == "error" for f in self.findings) else 0

    def fired(self) -> set[str]:
        return {f.rule for f in self.findings}

    def payments(self) -> list[dict[str, Any]]:
        """National fee-schedule amounts for the recommended service and E/M lines, from the CMS table of the
        date of service's year and the setting's rate (facility or not); drugs are paid from the quarterly ASP
        file, which pumpbill does not ship."""
        from . import cms
        from .facts import is_facility

        dos = self.scenario.encounter.date
        facility = is_facility(self.scenario.encounter.place_of_service)
        out = []
        for ln in self.recommended:
            pay = cms.payment(ln.code, dos)
            if pay is None:
                continue
            amount = pay.facility if facility else pay.office
            out.append({"code": ln.code, "year": pay.year, "rate": "facility" if facility else "non-facility",
                        "amount": None if amount is None else str(amount), "source": str(pay.source)})
        return out

    def to_json(self) -> dict[str, Any]:
        """The contract's object (recommended, findings) plus explanations."""
        return {
            "recommended": [dict(ln.public(), reasons=list(ln.reasons)) for ln in self.recommended],
            "findings": [f.public() for f in self.findings],
            "diagnoses": self.diagnoses,
            "notes": self.selection.notes,
            "hospital_bills": self.selection.hospital_bills,
            "payment": self.payments(),
            "payer": self.profile.name,
            "pumpbill_version": __version__,
            "rules_version": RULES_VERSION,
        }


def _finding(rule: Rule, line: int | None, evidence: dict[str, Any]) -> Finding:
    # built from registry data, so validation would only cost time
    return Finding.model_construct(rule=rule.code, name=rule.name, severity=rule.severity,
                                   message=rule.message.format(**evidence), line=line,
                                   fix=rule.fix.format(**evidence), confidence=rule.confidence_level,
                                   source=rule.source_title)


def resolve_profile(scenario: Scenario, payer: str | None = None, source: str = "<scenario>") -> PayerProfile:
    name = payer or scenario.encounter.payer
    try:
        return get_profile(name)
    except KeyError as exc:
        raise InputError(source, "encounter.payer", str(exc.args[0])) from None


def check(scenario: Scenario, *, payer: str | None = None, edits: EditData | None = None,
          source: str = "<scenario>", select_rules: set[str] | None = None) -> CheckResult:
    """Evaluate a scenario: the recommended lines, and every finding on the claim and the note."""
    profile = resolve_profile(scenario, payer, source)
    enc = scenario.encounter
    selection = select(enc, profile)
    ctx = Context(enc=enc, lines=list(scenario.claim.lines) if scenario.claim else [],
                  has_claim=scenario.claim is not None, profile=profile, selection=selection,
                  edits=edits or _DEFAULT_EDITS)
    hits: list[tuple[Rule, int | None, dict[str, Any]]] = []
    for code, rule in REGISTRY.items():
        if select_rules is not None and code not in select_rules:
            continue
        hits.extend((rule, h.line, h.evidence) for h in rule.check(ctx))
    suppressed = {(old, line) for rule, line, _ in hits for old in rule.supersedes}
    findings = [_finding(r, line, ev) for r, line, ev in hits if (r.code, line) not in suppressed]
    findings.sort(key=lambda f: (SEVERITY_RANK[f.severity], f.line or 0, f.rule))
    return CheckResult(scenario, profile, selection, recommended_diagnoses(enc), findings)


_DEFAULT_EDITS = EditData()

"""How a check result is shown to a person (text) and to a program (JSON)."""

from __future__ import annotations

import json

from .engine import CheckResult


def as_json(result: CheckResult) -> str:
    return json.dumps(result.to_json(), indent=2, sort_keys=False)


def as_text(result: CheckResult, name: str) -> str:
    s = result.scenario
    out = [f"{name}: {s.title or s.id or 'scenario'} (DOS {s.encounter.date}, POS {s.encounter.place_of_service}, "
           f"payer {result.profile.name})"]
    out.append("Recommended professional claim:")
    if not result.recommended:
        out.append("  (no line for the practitioner)")
    for i, ln in enumerate(result.recommended, 1):
        mods = ("-" + "-".join(sorted(ln.modifiers))) if ln.modifiers else ""
        out.append(f"  {i}. {ln.code}{mods} x {ln.units}")
        out.extend(f"       because {r}" for r in ln.reasons)
    for note in result.selection.notes:
        out.append(f"  note: {note}")
    if result.diagnoses:
        out.append("Diagnoses, in order: " + ", ".join(result.diagnoses))
    counts = {k: sum(f.severity == k for f in result.findings) for k in ("error", "warning", "info")}
    out.append(f"Findings: {counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)")
    for f in result.findings:
        where = f"line {f.line}" if f.line else "-"
        verify = "" if f.confidence == "high" else f" [confidence {f.confidence}: verify]"
        out.append(f"  {f.rule} {f.severity:<7} {where:<7} {f.name}: {f.message}{verify}")
        out.append(f"          fix: {f.fix}")
    return "\n".join(out)

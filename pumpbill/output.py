"""How a check result is shown to a person (text) and to a program (JSON)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import CheckResult

#: Characters a terminal acts on instead of showing: C0/C1 controls (escape sequences, carriage return,
#: bell) and the bidirectional overrides that reorder what a reader sees. Shown as \uXXXX instead.
_UNSAFE = {c: f"\\u{c:04x}" for c in (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
                                         0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def printable(text: str) -> str:
    """Text that cannot move the cursor, retitle the window or reorder a line on a terminal (one line)."""
    return text.translate(_UNSAFE)


def as_json(result: CheckResult) -> str:
    return json.dumps(result.to_json(), indent=2, sort_keys=False)


def as_json_line(result: CheckResult, name: str) -> str:
    """One JSON Lines record: the contract object plus the file it came from (several files in one run)."""
    return json.dumps({"file": name, **result.to_json()}, sort_keys=False)


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
    return "\n".join(printable(line) for line in out)

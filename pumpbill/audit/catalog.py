"""The rules an audit can report, with the severity and source of each.

Codes ``PB...`` are the rule codes of the core registry (``pumpbill.rules.REGISTRY``): a
finding of the audit and a finding of ``pumpbill check`` on the same error carry the same
code, name, severity and source (a test keeps them in step). The ``docs`` here say what the
*audit* can see from claim lines alone. ``AUD..`` codes are audit-only checks that look
across many claims (trends, peers) and have no single-encounter rule. This module is plain
data, importing neither the registry nor pandas, so that ``pumpbill --help`` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


RULES: dict[str, AuditRule] = {
    r.code: r
    for r in [
        AuditRule("PB101", "multiple-pump-service-codes", "error",
                  "More than one pump-service code (62367-62370, 95990/95991, 96521/96522; units "
                  "counted) for one patient on one day: the codes are alternatives, one per session. "
                  "A single 62367-62370 + 95990/95991 pair is left to PB102.", "FACTS s.1", "cpt-family"),
        AuditRule("PB102", "family-with-refill-code", "error",
                  "62367-62370 billed with 95990/95991 for the same patient and day: CPT says not to "
                  "report them together (interrogation is included in 95990/95991 when performed).",
                  "FACTS s.1", "cpt-family"),
        AuditRule("PB103", "em-without-modifier-25", "error",
                  "E/M line on a pump-service day (same patient, provider and date) without modifier "
                  "25: a same-day E/M is billable only when separately identifiable, with 25.",
                  "FACTS s.5", "em-25-risk"),
        AuditRule("PB206", "deleted-code-j1170", "error",
                  "J1170 (hydromorphone) after 2024-09-30: terminated on that date (CMS HCPCS file), use "
                  "J1171 (per 0.1 mg) from 2024-10-01.",
                  "FACTS s.3", "hcpcs"),
        AuditRule("PB302", "jz-missing", "error",
                  "Drug line (a FACTS s.3 drug code) with neither JZ nor JW on the same claim and code. "
                  "The audit cannot see the container, so this one finding stands for both registry "
                  "rules PB302 (JZ missing) and PB303 (JW missing); it does not apply to a multi-dose "
                  "container or a drug the practice did not buy. JZ/JW are Medicare Part B rules: only rows "
                  "whose payer is Medicare (or every row when the export has no payer column) are checked.",
                  "FACTS s.3", "jw-jz"),
        AuditRule("PB402", "bare-g35", "error",
                  "Bare G35 (multiple sclerosis) on a date of service on or after 2025-10-01: use "
                  "G35.A, G35.B0-G35.B2, G35.C0-G35.C2 or G35.D.", "FACTS s.4", "g35-fy2026"),
        AuditRule("PB601", "refill-interval-short", "warning",
                  "A refill far sooner than expected: with dose data, sooner than half the computed "
                  "days to the low-reservoir alarm; without dose data, sooner than half the patient's "
                  "median refill interval. For review.", "FACTS s.7", "labelling"),
        AuditRule("PB602", "refill-interval-beyond-alarm", "warning",
                  "A refill later than the computed low-reservoir alarm date of the previous refill "
                  "(dose data needed). For review.", "FACTS s.7", "labelling"),
        AuditRule("PB603", "refill-interval-beyond-drug-limit", "warning",
                  "A ziconotide (J2278) refill later than the labelled limit: 40 days diluted, 84 "
                  "undiluted (40 is used when the dilution is not given). For review.",
                  "FACTS s.7", "prialt"),
        AuditRule("PB701", "incident-to-code-in-facility", "error",
                  "95990, 96521 or 96522 billed by a practitioner with a facility place of service: "
                  "PC/TC 5 codes are not payable to a practitioner there (the hospital bills them).",
                  "FACTS s.2", "pfs-2026"),
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
    ]
}

#: Rule codes in report order.
RULE_ORDER: tuple[str, ...] = tuple(RULES)

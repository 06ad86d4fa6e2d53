"""The facility's claim next to the practitioner's (FACTS sections 2 and 3).

The engine (:mod:`pumpbill.selection`) decides the practitioner's lines and, where the practitioner cannot bill
a service, which code the facility bills instead (``Selection.hospital_bills``). This module reads that result
and says what the *facility* reports for the same visit, under which payment system, with the CY2025 OPPS APC
and payment of the service (``facts.OPPS_2025``) and the CY2025 OPPS status of a facility-supplied drug
(``data/cms/opps_2025_drugs.csv``, from FACTS v2 section 3, medium confidence). Nothing here chooses a code:
the pump-service code is the engine's (:func:`pumpbill.selection.pump_service`).

What pumpbill's reference does not support is said as such (ASC payment, the facility's modifiers for a reduced
service, inpatient coding): never guessed. Standard library only; no pandas.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from . import facts
from .selection import drug_units, pump_service

if TYPE_CHECKING:  # pragma: no cover
    from .engine import CheckResult
    from .models import Encounter

#: The OPPS figures' calendar year (facts.OPPS_2025); no later OPPS figures are shipped.
OPPS_YEAR = 2025
OPPS_SOURCE = "opps-2025"
DRUG_STATUS_SOURCE = "opps-drug-status"

Setting = str  # "office/home" | "hospital outpatient" | "inpatient" | "ASC" | "SNF" | "other facility"


@dataclass(frozen=True)
class DrugStatus:
    """A drug's OPPS status indicator in one year's Addendum B: K paid separately, N packaged."""

    hcpcs: str
    drug: str
    status: str
    meaning: str
    year: int
    source: str
    confidence: str

    @property
    def paid_separately(self) -> bool:
        return self.status == "K"


@cache
def drug_statuses() -> dict[str, DrugStatus]:
    """The shipped CY2025 OPPS drug statuses, by HCPCS code."""
    text = resources.files("pumpbill").joinpath("data/cms/opps_2025_drugs.csv").read_text(encoding="utf-8")
    return {r["hcpcs"]: DrugStatus(r["hcpcs"], r["drug"], r["status"], r["meaning"], int(r["year"]), r["source"],
                                   r["confidence"]) for r in csv.DictReader(io.StringIO(text))}


def drug_status(hcpcs: str) -> DrugStatus | None:
    """The CY2025 OPPS status of a pump drug, or None when pumpbill ships none for the code."""
    return drug_statuses().get(hcpcs)


def opps_for(code: str) -> tuple[str, Decimal] | None:
    """(APC, CY2025 OPPS payment) of a pump-service code, or None when none is shipped."""
    if code in facts.FAMILY_CODES:
        return facts.OPPS_2025.get("62367-62370")
    return facts.OPPS_2025.get(code)


@dataclass(frozen=True)
class FacilityLine:
    """One item the facility reports: its own service, or the drug it supplied."""

    code: str
    kind: str  # "service" | "drug"
    performed_by: str  # who did the work ("hospital staff", "physician/QHP personally", "-": a drug)
    payment: str  # how it is paid, in words: "paid separately", "packaged", "APC ...", "not verified"
    units: int | None = None
    apc: str | None = None
    amount: Decimal | None = None  # the CY2025 OPPS national payment of the APC
    status: str | None = None  # drug: the OPPS status indicator (K, N)
    year: int | None = None  # the year of the APC or status
    confidence: str = "high"
    source: str = ""  # a facts.SOURCES key


@dataclass(frozen=True)
class FacilityClaim:
    """What the facility bills for the visit, beside the practitioner's professional claim."""

    pos: str
    setting: Setting
    system: str  # the payment system, in words ("none", "OPPS", "inpatient (Part A)", ...)
    bills: bool  # does a facility claim exist for this visit at all
    lines: tuple[FacilityLine, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    confidence: str = "high"  # the setting's statement, as FACTS rates it

    @property
    def codes(self) -> list[str]:
        return [ln.code for ln in self.lines]


def setting_of(pos: str) -> tuple[Setting, str, str]:
    """(setting, payment system, confidence) of a place of service (FACTS section 2)."""
    if pos in facts.HOSPITAL_OUTPATIENT_POS:
        return "hospital outpatient", "OPPS (hospital outpatient prospective payment system)", "high"
    if pos == facts.INPATIENT_POS:
        return "inpatient", "inpatient system (Medicare Part A), not OPPS", "medium"
    if pos == "24":
        return "ASC", "ambulatory surgical center payment (not in pumpbill's reference)", "medium"
    if pos == "31":
        return "SNF", "SNF consolidated billing (Part A stay)", "medium"
    if facts.is_facility(pos):
        return "other facility", "not covered by pumpbill's reference", "low"
    return "office/home", "none: the practitioner's claim is the only claim", "high"


def _performer(performed_by: str | None) -> str:
    if performed_by in ("physician", "qhp"):
        return "physician/QHP personally"
    if performed_by == "clinical_staff":
        return "facility staff"
    return "not documented"


def facility_claim(result: CheckResult) -> FacilityClaim:
    """The facility's side of the visit the engine checked (never raises for a valid scenario)."""
    enc = result.scenario.encounter
    sel = result.selection
    pos = enc.place_of_service
    setting, system, confidence = setting_of(pos)
    if setting == "office/home":
        unlisted = ("" if pos in facts.NON_FACILITY_POS else
                    f" (pumpbill does not classify POS {pos}: treated as non-facility, rule PB704; verify)")
        return FacilityClaim(pos, setting, system, False, (), (
            f"POS {pos} is not a facility setting{unlisted}: no facility claim. The practitioner bills the service "
            "(and a drug the practice bought) on the professional claim at the non-facility rate.",), confidence)
    code, _why = pump_service(enc, result.profile)
    notes: list[str] = []
    cancelled = enc.outcome == "cancelled"
    service_code = None if cancelled else (sel.hospital_bills or code)
    who = _performer(enc.performed_by)
    if sel.hospital_bills:
        why = ("an incident-to code (PC/TC 5), not payable to a practitioner in a facility"
               if sel.hospital_bills in facts.INCIDENT_TO_CODES else
               "facility staff did the work, and incident-to does not exist in a facility")
        notes.append(f"{sel.hospital_bills}: {why}; the facility bills it, the practitioner bills no line for it")
    elif service_code and sel.service is not None and setting == "hospital outpatient":
        notes.append(f"{service_code} performed by the physician/QHP personally: the practitioner bills it at the "
                     "facility rate; the hospital bills its own (facility) part of the same service under OPPS")
    if cancelled:
        notes.append("the service was cancelled before it started: nothing to bill on either claim")
    elif enc.outcome == "discontinued":
        notes.append("discontinued after it started: the practitioner's line takes 53; the facility uses 73 or 74 "
                     "only for a procedure that needed anesthesia, and 52 otherwise (medium confidence: verify with "
                     "the facility's billing office)")
    elif enc.outcome == "reduced":
        notes.append("reduced service: the practitioner's line takes 52; the facility's modifier for a reduced "
                     "service is not in pumpbill's reference (verify)")
    drug_code, units = _facility_drug(enc)
    if sel.procedures:
        notes.append("the session's other procedures (" + ", ".join(ln.code for ln in sel.procedures) + ") have a "
                     "facility part too; pumpbill ships no facility payment for them (not verified)")

    if setting == "inpatient":
        covered = " and ".join(x for x in (service_code and f"the pump service ({service_code})",
                                           drug_code and f"the drug ({drug_code})") if x)
        notes.insert(0, "hospital inpatient: the hospital is paid for the stay under the inpatient system "
                     "(Medicare Part A), not OPPS; there is no line-level payment for the pump service or the "
                     "drug" + (f" ({covered} are part of the stay)" if covered else "")
                     + ". How the inpatient claim codes the stay is outside pumpbill's reference.")
        return FacilityClaim(pos, setting, system, True, (), tuple(notes), confidence)

    lines: list[FacilityLine] = []
    if service_code and (setting == "hospital outpatient" or sel.hospital_bills):
        lines.append(_service_line(service_code, who, setting, enc.date.year, notes))
    elif service_code and sel.service is not None:
        notes.append(f"{service_code} is the practitioner's own service here; whether the {setting} reports a "
                     "facility part of it is not in pumpbill's reference (not verified)")
    if drug_code:
        lines.append(_drug_line(drug_code, units, setting, notes))
        if enc.refill is not None and enc.refill.supplied_by != "facility":
            notes.append(f"the note says the {enc.refill.supplied_by} supplied the drug; at POS {pos} the drug is a "
                         f"facility service ({facts.facility_drug_basis(pos)}): it belongs on the facility's claim, "
                         "never the practitioner's (rule PB705); settle the supply with the facility")
    if setting == "SNF":
        notes.insert(0, "SNF Part A stay: the facility's part (staff work, the drug) falls under consolidated billing, "
                     "paid within the stay; the practitioner still bills their own professional service (medium "
                     "confidence: verify with the MAC)")
    elif setting == "ASC":
        notes.insert(0, "ambulatory surgical center: the ASC supplies and bills the drug (high confidence); "
                     "pumpbill's reference has no ASC payment or status for the pump-service codes (not verified)")
    elif setting == "other facility":
        notes.insert(0, f"POS {pos} is a facility rate setting, but pumpbill's reference does not say how its facility "
                     "bills these services (not verified)")
    return FacilityClaim(pos, setting, system, bool(lines), tuple(lines), tuple(notes), confidence)


def _facility_drug(enc: Encounter) -> tuple[str | None, int | None]:
    """The drug the facility supplies (its HCPCS code and, for a refill, the engine's units)."""
    if enc.place_of_service not in facts.FACILITY_DRUG_POS or enc.outcome in ("cancelled", "discontinued"):
        return None, None
    refill = enc.refill
    if enc.services.refill and refill is not None:
        if refill.compounded:
            return "NOC", None
        du = drug_units(enc)
        if du is not None:
            return du.drug.hcpcs, du.units
        return None, None
    if enc.trial is not None:
        return facts.BACLOFEN_TRIAL.hcpcs, None
    return None, None


def _service_line(code: str, who: str, setting: Setting, year: int, notes: list[str]) -> FacilityLine:
    if setting == "hospital outpatient":
        opps = opps_for(code)
        if opps is None:
            return FacilityLine(code, "service", who, "no OPPS figure shipped (not verified)", confidence="low")
        apc, amount = opps
        if year != OPPS_YEAR:
            notes.append(f"the OPPS figures are CY{OPPS_YEAR}; the date of service is in {year}, for which pumpbill "
                         "ships no OPPS figures: verify the current APC and payment")
        return FacilityLine(code, "service", who, f"{apc}, paid under OPPS", apc=apc, amount=amount,
                            year=OPPS_YEAR, source=OPPS_SOURCE)
    if setting == "SNF":
        return FacilityLine(code, "service", who, "within the Part A stay (consolidated billing)",
                            confidence="medium")
    return FacilityLine(code, "service", who, "not verified (no facility payment in pumpbill's reference)",
                        confidence="low")


def _drug_line(code: str, units: int | None, setting: Setting, notes: list[str]) -> FacilityLine:
    if code == "NOC":
        notes.append("a compounded or mixed drug: the facility reports it under its own rules (a NOC code, per "
                     "payer); pumpbill ships no OPPS status for the NOC codes (not verified)")
        return FacilityLine("NOC", "drug", "-", "not verified", units=None, confidence="low", source="noc-ndc")
    if setting == "hospital outpatient":
        st = drug_status(code)
        if st is None:
            return FacilityLine(code, "drug", "-", "no OPPS status shipped (not verified)", units=units,
                                confidence="low")
        if st.paid_separately:
            notes.append(f"{code} is status {st.status} (CY{st.year}): paid separately, so the hospital's line follows "
                         "the JZ/JW rules for a separately payable drug from a single-dose container (medium)")
        else:
            notes.append(f"{code} is status {st.status} (CY{st.year}): packaged into the service's payment; JZ/JW do "
                         "not apply to a packaged hospital drug (medium)")
        return FacilityLine(code, "drug", "-", st.meaning, units=units, status=st.status, year=st.year,
                            confidence=st.confidence, source=DRUG_STATUS_SOURCE)
    if setting == "SNF":
        return FacilityLine(code, "drug", "-", "within the Part A stay (consolidated billing)", units=units,
                            confidence="medium")
    return FacilityLine(code, "drug", "-", "billed by the facility; its payment is not in pumpbill's reference",
                        units=units, confidence="medium", source="incident-to")

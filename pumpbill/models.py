"""The scenario contract as pydantic models: what the documentation says happened, and what was billed.

Field names follow ``shared/spec/SCENARIO.md`` exactly; the extra fields
(documentation elements, history) are optional so that a minimal scenario
stays valid. Unknown fields are rejected: a typo in an instructor's file must
not silently change the answer.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .dates import IsoDate
from .facts import (
    DRUG_CODES,
    EM_CODES,
    IMAGING_CODES,
    IMPLANT_CODES,
    NOC_DRUG_CODES,
    OTHER_PAIRED_CODES,
    PUMP_SERVICE_CODES,
    REFILL_KIT_CODE,
    TRIAL_INJECTION_CODES,
)
from .quantities import Amount, Concentration

PumpType = Literal["programmable", "nonprogrammable", "portable"]
Route = Literal["intrathecal", "epidural", "intraventricular", "intravenous", "intra_arterial"]
Performer = Literal["physician", "qhp", "clinical_staff"]
Change = Literal["daily_dose", "rate", "mode", "bolus", "concentration", "reservoir_volume", "alarm", "alarm_date"]
Certainty = Literal["confirmed", "suspected", "probable", "rule_out"]
DrugName = Literal["baclofen", "morphine", "ziconotide", "hydromorphone", "fentanyl", "clonidine",
                   "bupivacaine", "other"]
Supplier = Literal["practice", "pharmacy", "facility"]
Container = Literal["single_dose", "multi_dose"]
Imaging = Literal["none", "ultrasound", "fluoroscopy", "ct"]
Supervision = Literal["direct", "virtual_direct", "general", "none"]
ExpectedDenial = Literal["none", "not_reasonable_necessary", "statutory_exclusion"]
Outcome = Literal["completed", "reduced", "discontinued", "cancelled"]
NdcUnit = Literal["F2", "GR", "ME", "ML", "UN"]

#: Every procedure/supply code pumpbill knows; anything else on a claim is bad input.
KNOWN_CODES: frozenset[str] = frozenset(PUMP_SERVICE_CODES) | DRUG_CODES | EM_CODES | frozenset(
    IMPLANT_CODES) | frozenset(IMAGING_CODES) | frozenset(OTHER_PAIRED_CODES) | {REFILL_KIT_CODE} | frozenset(
    TRIAL_INJECTION_CODES) | frozenset(NOC_DRUG_CODES)

_POS = re.compile(r"^[0-9]{2}$")
_ICD = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_MOD = re.compile(r"^[0-9A-Z]{2}$")


def _pos(v: str) -> str:
    if not _POS.match(v):
        raise ValueError(f"place of service must be a two-digit CMS code such as '11', got {v!r}")
    return v


def _icd(v: str) -> str:
    v = v.strip().upper()
    if not _ICD.match(v):
        raise ValueError(f"{v!r} is not written like an ICD-10-CM code (e.g. 'Z45.1', 'G80.1')")
    return v


def _amount(v: str) -> str:
    Amount.parse(v)
    return v


def _positive_amount(v: str) -> str:
    if Amount.parse(v).value <= 0:
        raise ValueError("the daily dose must be greater than zero")
    return v


def _conc(v: str) -> str:
    Concentration.parse(v)
    return v


def _code(v: str) -> str:
    v = v.strip().upper()
    if v not in KNOWN_CODES:
        raise ValueError(f"unknown code {v!r}: pumpbill knows the pump-service, drug, E/M, implant, "
                         "imaging and refill-kit codes of its reference, and the codes its CMS pairs name")
    return v


def _modifier(v: str) -> str:
    v = v.strip().upper()
    if not _MOD.match(v):
        raise ValueError(f"modifier {v!r} must be two letters or digits, e.g. '25', 'JZ'")
    return v


def _payer(v: str) -> str:
    from .payers import profiles

    if v not in profiles():
        raise ValueError(f"unknown payer profile {v!r}; known: {', '.join(sorted(profiles()))}")
    return v


def _em_code(v: str) -> str:
    if v not in EM_CODES:
        raise ValueError(f"{v!r} is not one of the office E/M codes pumpbill knows ({', '.join(sorted(EM_CODES))})")
    return v


def _trial_code(v: str) -> str:
    v = _code(v)
    if v not in TRIAL_INJECTION_CODES:
        raise ValueError(f"{v!r} is not a trial injection code (62320-62327)")
    return v


def _procedure_code(v: str) -> str:
    v = _code(v)
    if v not in IMPLANT_CODES:
        raise ValueError(f"{v!r} is not an implant or removal code ({', '.join(sorted(IMPLANT_CODES))})")
    return v


def _label_ndc(v: str) -> str:
    from .ndc import parse_ndc

    parse_ndc(v)
    return v


def _ndc11(v: str) -> str:
    v = v.strip()
    if not (len(v) == 11 and v.isascii() and v.isdigit()):
        raise ValueError(f"the NDC on a claim line is 11 digits with no hyphens or spaces (5-4-2), got {v!r}")
    return v


PosCode = Annotated[str, AfterValidator(_pos)]
IcdCode = Annotated[str, AfterValidator(_icd)]
AmountText = Annotated[str, AfterValidator(_amount)]
DoseText = Annotated[str, AfterValidator(_positive_amount)]
ConcentrationText = Annotated[str, AfterValidator(_conc)]
Code = Annotated[str, AfterValidator(_code)]
Modifier = Annotated[str, AfterValidator(_modifier)]
def _ascii_number(v: object) -> object:
    """Decimal() reads any Unicode digit ('٢٠' is 20): a number in a file must be written with ASCII digits."""
    if isinstance(v, str) and not v.isascii():
        raise ValueError(f"{v!r} is not a number written with the digits 0-9")
    return v


def _not_bool(v: object) -> object:
    """A count written as true/false is a mistake, not 1/0."""
    if isinstance(v, bool):
        raise ValueError("expected a whole number, not true/false")
    return v


AsciiDecimal = Annotated[Decimal, BeforeValidator(_ascii_number)]
Volume = Annotated[AsciiDecimal, Field(ge=0, le=1000, description="millilitres")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, coerce_numbers_to_str=True)


class Diagnosis(_Strict):
    """A documented diagnosis with its certainty (SCENARIO.md); a plain code in a file means confirmed."""

    code: IcdCode
    certainty: Certainty = "confirmed"

    @property
    def uncertain(self) -> bool:
        return self.certainty != "confirmed"


def _as_diagnoses(items: list[str | Diagnosis]) -> list[Diagnosis]:
    """Plain codes become confirmed diagnoses, so the engine sees one shape."""
    return [Diagnosis(code=d) if isinstance(d, str) else d for d in items]


class Pump(_Strict):
    type: PumpType
    route: Route
    manufacturer: str | None = None
    model: str | None = None
    reservoir_ml: Volume | None = None
    alarm_ml: Volume | None = Field(None, description="low-reservoir alarm volume; 2 mL if not given")


class Services(_Strict):
    analysis: bool = False
    reprogramming: bool = False
    refill: bool = False

    @property
    def any(self) -> bool:
        return self.analysis or self.reprogramming or self.refill


class Reprogramming(_Strict):
    changes: list[Change] = Field(min_length=1)
    reason: str | None = None
    old_value: str | None = None
    new_value: str | None = None


class Refill(_Strict):
    drug: DrugName
    concentration: ConcentrationText
    volume_added_ml: Annotated[AsciiDecimal, Field(gt=0, le=1000)]
    supplied_by: Supplier = "practice"
    container: Container = "single_dose"
    discarded: AmountText | None = Field(None, description="drug discarded from the container; "
                                         "not given = not documented")
    residual_ml: Volume | None = Field(None, description="residual volume aspirated from the pump")
    expected_residual_ml: Volume | None = None
    lot: str | None = None
    ndc: Annotated[str, AfterValidator(_label_ndc)] | None = Field(
        None, description="the NDC on the label: 10 digits with hyphens (4-4-2, 5-3-2, 5-4-1) or 11 digits (5-4-2)")
    port: str | None = Field(None, description="refill port used (e.g. central reservoir port)")
    undiluted: bool | None = Field(None, description="ziconotide: undiluted (84-day) vs diluted (40-day)")
    residual_note: str | None = Field(None, description="what was done about a residual discrepancy")
    chemotherapy: bool = Field(False, description="the solution is antineoplastic chemotherapy (systemic pumps)")
    compounded: bool = Field(False, description="a compounded concentration or a mix of drugs (e.g. baclofen with "
                             "clonidine) prepared by a pharmacy: billed with a NOC code, not the single-drug J-code")
    description: str | None = Field(None, max_length=80, description="what the label says: drug name(s), strengths "
                                    "and amount, for the NOC line's claim note")
    ndc_unit: NdcUnit = Field("ML", description="the NDC unit qualifier for the drug as supplied (ML for a solution)")

    @model_validator(mode="after")
    def _compounded_named(self) -> Refill:
        if self.compounded and self.drug == "other" and not self.description:
            raise ValueError("description is required for a compounded drug 'other': the label's drug name(s), "
                             "strengths and amount, for the NOC line's claim note")
        return self

    @property
    def concentration_q(self) -> Concentration:
        return Concentration.parse(self.concentration)

    @property
    def discarded_q(self) -> Amount | None:
        return Amount.parse(self.discarded) if self.discarded is not None else None


class Prescription(_Strict):
    """The prescription left in the pump at the end of the visit."""

    daily_dose: DoseText | None = None
    mode: str | None = None
    bolus: str | None = None


class Interrogation(_Strict):
    """Findings of the electronic analysis (FACTS section 8, element 2)."""

    reservoir_ml: Volume | None = None
    alarms: str | None = None
    battery: str | None = None


class PreviousRefill(_Strict):
    date: IsoDate
    volume_ml: Volume = Field(description="volume in the reservoir after that refill")
    concentration: ConcentrationText | None = None
    daily_dose: DoseText | None = None
    undiluted: bool | None = None


class Coverage(_Strict):
    """What the practitioner expected of coverage before the service, and the notice given (FACTS section 9)."""

    expected_denial: ExpectedDenial = Field("none", description="none | not_reasonable_necessary (medical "
                                            "necessity in doubt) | statutory_exclusion (never a Medicare benefit)")
    abn: Literal["none", "signed"] = Field("none", description="ABN (or a voluntary notice) signed before the "
                                           "service")
    prior_authorization: str | None = Field(None, max_length=40, description="the payer's authorization number, "
                                            "when one was obtained")


class TrialInjection(_Strict):
    """An intrathecal screening trial: one injection of the 62320-62327 family with a bolus of drug."""

    code: Annotated[str, AfterValidator(_trial_code)]
    drug: Literal["baclofen"] = "baclofen"
    dose: DoseText = Field(description="the bolus, e.g. '50 mcg'")
    supplied_by: Supplier = "practice"
    container: Container = "single_dose"
    discarded: AmountText | None = Field(None, description="trial drug discarded from the ampules; not given = "
                                         "not documented")


class PriorProcedure(_Strict):
    """A surgical procedure on the pump before this visit (its global period may cover the visit)."""

    code: Annotated[str, AfterValidator(_procedure_code)]
    date: IsoDate


class EMVisit(_Strict):
    performed: bool = False
    separately_identifiable: bool = False
    code: Annotated[str, AfterValidator(_em_code)] | None = None
    documentation: str | None = Field(None, description="what makes it separate (its own history, "
                                      "exam, decision-making)")
    diagnoses: list[IcdCode] = Field(default_factory=list, description="the E/M's own problem, if any")

    @model_validator(mode="after")
    def _code_when_performed(self) -> EMVisit:
        if self.performed and self.code is None:
            raise ValueError("code is required when performed is true (e.g. code: '99213')")
        return self


class Encounter(_Strict):
    date: IsoDate
    place_of_service: PosCode
    payer: Annotated[str, AfterValidator(_payer)] = "medicare"
    performed_by: Performer | None = None
    physician_reason: str | None = Field(None, description="why the physician/QHP performed the service "
                                         "personally (62370/95991: 'requiring physician/QHP skill')")
    supervising_practitioner: str | None = None
    supervision: Supervision | None = None
    pump: Pump | None = None
    services: Services = Services()
    reprogramming: Reprogramming | None = None
    refill: Refill | None = None
    prescription: Prescription | None = None
    interrogation: Interrogation | None = None
    previous_refill: PreviousRefill | None = None
    first_refill_after_implant: bool = False
    interval_reason: str | None = Field(None, description="why this refill came earlier or later than planned")
    next_refill_date: IsoDate | None = None
    em_visit: EMVisit | None = None
    imaging: Imaging = "none"
    imaging_reason: str | None = None
    other_procedures: list[Code] = Field(default_factory=list,
                                         description="other procedures at the session, e.g. '62362'")
    coverage: Coverage | None = None
    trial: TrialInjection | None = None
    prior_procedure: PriorProcedure | None = None
    outcome: Outcome = Field("completed", description="completed | reduced (less than the full service, modifier "
                             "52) | discontinued (stopped after it started, 53) | cancelled (before it started: "
                             "nothing to bill)")
    outcome_reason: str | None = None
    same_day_sessions: Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=4)] = Field(
        1, description="separate pump sessions on this date (a second one cannot be billed as such)")
    diagnoses: Annotated[list[IcdCode | Diagnosis], AfterValidator(_as_diagnoses)] = Field(
        default_factory=list, description="the pump visit's diagnoses in the order documented, each a code or "
        "{code, certainty}; an E/M's own problem goes in em_visit.diagnoses")

    @property
    def dx_codes(self) -> list[str]:
        """The codes that may be reported: confirmed diagnoses only (ICD-10-CM Guidelines IV.H)."""
        return [d.code for d in self.diagnoses if not d.uncertain]

    @property
    def uncertain_dx(self) -> dict[str, str]:
        """Suspected, probable or rule-out diagnoses: code -> certainty. Never coded on this claim."""
        return {d.code: d.certainty for d in self.diagnoses if d.uncertain}

    @model_validator(mode="after")
    def _consistent(self) -> Encounter:
        if self.services.any and self.pump is None:
            raise ValueError("pump is required when a pump service was performed")
        if self.services.reprogramming and self.reprogramming is None:
            raise ValueError("reprogramming is required when services.reprogramming is true")
        if self.services.refill and self.refill is None:
            raise ValueError("refill is required when services.refill is true")
        if self.previous_refill and self.previous_refill.date >= self.date:
            raise ValueError("previous_refill.date must be before the date of service")
        if self.next_refill_date and self.next_refill_date <= self.date:
            raise ValueError("next_refill_date must be after the date of service")
        if self.prior_procedure and self.prior_procedure.date > self.date:
            raise ValueError("prior_procedure.date must be on or before the date of service")
        return self


class LineNdc(_Strict):
    """The drug's NDC as reported on the claim line (shaded line 24 / 837P LIN and CTP): N4 is implied."""

    code: Annotated[str, AfterValidator(_ndc11)]
    unit: NdcUnit
    quantity: Annotated[AsciiDecimal, Field(gt=0, le=99999)]


class ClaimLine(_Strict):
    code: Code
    modifiers: list[Modifier] = Field(default_factory=list)
    units: Annotated[int, Field(ge=1, le=99999)] = 1
    diagnoses: list[IcdCode] = Field(default_factory=list)
    ndc: LineNdc | None = None
    note: str | None = Field(None, max_length=80, description="the line's claim note, e.g. a NOC drug's name and "
                             "amount")


class Claim(_Strict):
    lines: list[ClaimLine] = Field(default_factory=list)


class Scenario(_Strict):
    id: str | None = None
    title: str | None = None
    narrative: str | None = None
    tags: list[str] = Field(default_factory=list)
    encounter: Encounter
    claim: Claim | None = None


Severity = Literal["error", "warning", "info"]


class Line(BaseModel):
    """A claim line the documentation supports, with the facts that chose it."""

    model_config = ConfigDict(frozen=True)

    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1
    reasons: tuple[str, ...] = ()
    ndc: tuple[str, str, str] | None = None  # (11-digit NDC, unit qualifier, quantity) when the payer wants it
    note: str | None = None  # the claim note a NOC drug line needs

    def public(self) -> dict:
        out: dict = {"code": self.code, "modifiers": sorted(self.modifiers), "units": self.units}
        if self.ndc:
            out["ndc"] = {"code": self.ndc[0], "unit": self.ndc[1], "quantity": self.ndc[2]}
        if self.note:
            out["note"] = self.note
        return out


class Finding(BaseModel):
    """One rule firing: what is wrong, where, and how to fix it."""

    model_config = ConfigDict(frozen=True)

    rule: str
    name: str
    severity: Severity
    message: str
    line: int | None = None
    fix: str = ""
    confidence: str = "high"
    source: str = ""

    def public(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "line": self.line,
                "name": self.name, "fix": self.fix, "confidence": self.confidence, "source": self.source}

"""Code selection: from what the note documents to the lines the practitioner bills.

Pure functions over an Encounter (FACTS sections 1-5). Every line carries the
documented facts that chose it, so a learner sees *why*, not only *what*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from . import facts
from .models import Encounter, Line
from .payers import PayerProfile
from .quantities import Amount, ceil_div, fmt

SPINAL = frozenset({"intrathecal", "epidural"})
BRAIN = frozenset({"intraventricular"})
SYSTEMIC = frozenset({"intravenous", "intra_arterial"})


def routine_pump_visit(enc: Encounter) -> bool:
    """A maintenance visit for an implanted pump (not an implant session, not a portable pump)."""
    pump = enc.pump
    return bool(enc.services.any and pump is not None and pump.type != "portable"
                and "62362" not in enc.other_procedures)


def is_physician(enc: Encounter) -> bool:
    return enc.performed_by in ("physician", "qhp")


def effective_reprogramming(enc: Encounter, profile: PayerProfile) -> bool:
    """Was the pump reprogrammed, under this payer's reading of the word (FACTS section 6)?

    No reading is Medicare's: there is no national CMS definition. The strict reading (the default)
    counts dose, rate, mode, bolus and concentration changes; the lenient one any documented change.
    """
    if not enc.services.reprogramming or enc.reprogramming is None:
        return False
    if profile.reprogramming_reading == "lenient":
        return True
    return bool(set(enc.reprogramming.changes) & facts.STRICT_REPROGRAMMING_CHANGES)


def incident_to_barrier(enc: Encounter) -> str | None:
    """Why clinical staff's work cannot be billed incident-to here, or None when it can (FACTS section 2).

    Incident-to needs direct supervision (Pub 100-02 ch.15 s.60). Virtual direct supervision by real-time
    audio-video counts from 2020-03-01 (temporary through 2025, permanent from 2026 for the pump codes).
    Supervision that is not documented at all is a documentation gap (PB507), not a barrier.
    """
    if enc.performed_by != "clinical_staff" or facts.is_facility(enc.place_of_service):
        return None
    if enc.supervision in ("none", "general"):
        level = "with no supervision" if enc.supervision == "none" else "under general supervision"
        return (f"clinical staff performed the service {level}: incident-to billing needs direct supervision, so "
                "the practitioner bills no line for it")
    if enc.supervision == "virtual_direct" and enc.date < facts.VIRTUAL_DIRECT_SUPERVISION_FROM:
        return (f"virtual direct supervision before {facts.VIRTUAL_DIRECT_SUPERVISION_FROM.isoformat()} did not "
                "count as direct supervision: no incident-to line")
    return None


@dataclass(frozen=True)
class DrugUnits:
    """Billing units for the drug placed into the pump (FACTS section 3)."""

    drug: facts.Drug
    amount: Decimal  # in drug.unit_measure
    units: int
    discarded: Decimal | None  # documented discard, in drug.unit_measure
    jw_units: int  # discarded billing units beyond what rounding covers

    def explain(self) -> str:
        d = self.drug
        return (f"{fmt(self.amount)} {d.unit_measure} placed in the pump / {d.unit_label} per unit "
                f"= {fmt(self.amount / d.unit_amount)} -> {self.units} unit{'s' if self.units != 1 else ''}")


def drug_units(enc: Encounter) -> DrugUnits | None:
    """Units of the drug instilled (never the residual), and the discarded units for JW."""
    refill = enc.refill
    if refill is None or refill.drug not in facts.DRUGS:
        return None
    drug = facts.drug_for(refill.drug, enc.date)
    if drug is None:
        return None
    amount = refill.volume_added_ml * refill.concentration_q.per_ml(drug.unit_measure)
    units = ceil_div(amount, drug.unit_amount)
    discarded_q: Amount | None = refill.discarded_q
    discarded = discarded_q.to(drug.unit_measure) if discarded_q else None
    jw = 0
    if discarded:
        jw = ceil_div(amount + discarded, drug.unit_amount) - units
    return DrugUnits(drug, amount, units, discarded, jw)


@dataclass
class Selection:
    """What the documentation supports, plus the notes that explain the choices."""

    service: Line | None = None
    drug_lines: list[Line] = field(default_factory=list)
    em: Line | None = None
    notes: list[str] = field(default_factory=list)
    hospital_bills: str | None = None  # the code the hospital bills instead, when that is the answer
    procedures: list[Line] = field(default_factory=list)  # surgical/trial procedures of the session, billed first

    @property
    def lines(self) -> list[Line]:
        return [x for x in [*self.procedures, self.service, *self.drug_lines, self.em] if x is not None]


def pump_service(enc: Encounter, profile: PayerProfile) -> tuple[str | None, list[str]]:
    """The one pump-service code this session supports, ignoring who gets paid (FACTS section 1)."""
    s, pump = enc.services, enc.pump
    if pump is None or not s.any:
        return None, ["no pump service documented"]
    if "62362" in enc.other_procedures:
        return None, ["the pump was implanted at this session (62362): initial programming is included in 62362"]
    why: list[str] = []
    reprog = effective_reprogramming(enc, profile)
    if s.reprogramming and not reprog:
        why.append("the documented change is not reprogramming under the strict reading, pumpbill's default "
                   f"({', '.join(enc.reprogramming.changes) if enc.reprogramming else 'none'})")
    doc = is_physician(enc)
    who = "a physician/QHP performed it" if doc else (
        "clinical staff performed it" if enc.performed_by == "clinical_staff" else
        "the performer is not documented, so the physician-skill code is not supported")
    if pump.type == "portable":
        if s.refill:
            return facts.PORTABLE_REFILL_CODE, why + ["portable (external) pump refilled"]
        return None, why + ["62367-62370 are for implanted spinal pumps; pumpbill's reference names no code for "
                            "analysing or programming a portable pump (not verified: check the CPT book)"]
    if pump.route in SYSTEMIC:
        if s.refill:
            return facts.SYSTEMIC_REFILL_CODE, why + [f"implanted pump for systemic ({pump.route}) delivery refilled"]
        return None, why + ["no CPT code for electronic analysis of a systemic pump (low confidence)"]
    refill_code = "95991" if doc else "95990"
    if pump.route in BRAIN:
        if s.refill:
            return refill_code, why + ["brain (intraventricular) pump/reservoir refilled: 62367-62370 are "
                                       "spinal only", who]
        return None, why + ["62367-62370 are for spinal pumps only; pumpbill's reference names no code for "
                            "analysing a brain pump without a refill (not verified: check the CPT book)"]
    # spinal
    if pump.type == "nonprogrammable":
        if s.refill:
            return refill_code, why + ["non-programmable (constant-flow) spinal pump refilled: nothing to "
                                       "analyse or reprogram", who]
        return None, why + ["a non-programmable pump cannot be analysed or reprogrammed electronically"]
    if s.refill and reprog:
        code = "62370" if doc else "62369"
        return code, why + ["programmable spinal pump: analysis with reprogramming and refill", who]
    if s.refill:
        return refill_code, why + ["refill without reprogramming: 95990/95991 (interrogation included "
                                   "when performed)", who]
    if reprog:
        return "62368", why + ["programmable spinal pump: analysis with reprogramming, no refill"]
    if s.analysis or s.reprogramming:
        return "62367", why + ["programmable spinal pump: electronic analysis only"]
    return None, why  # pragma: no cover - services.any guarantees one branch above


def select(enc: Encounter, profile: PayerProfile) -> Selection:
    """The professional-claim lines in billing order: the session's procedures, pump service, drug lines, E/M."""
    sel = Selection()
    code, why = pump_service(enc, profile)
    pos = enc.place_of_service
    facility = facts.is_facility(pos)
    barrier = incident_to_barrier(enc) if code is not None else None
    if code is not None and enc.outcome == "cancelled":
        sel.notes.append("the service was cancelled before it started: nothing to bill, by the practitioner or the "
                         "facility (modifier 53 is not for an elective cancellation before the service started)")
    elif code is not None:
        if facility and code in facts.INCIDENT_TO_CODES:
            sel.hospital_bills = code
            sel.notes.append(f"{code} is an incident-to code (PC/TC 5): not payable to a practitioner in a "
                             f"facility (POS {pos}); {facility_bills(pos)}")
        elif facility and enc.performed_by == "clinical_staff":
            sel.hospital_bills = code
            sel.notes.append(f"clinical staff performed the service in a facility (POS {pos}): no incident-to "
                             f"there; {facility_bills(pos)}")
        elif barrier:
            sel.notes.append(barrier)
        else:
            sel.service = _with_outcome(Line(code=code, reasons=tuple(why)), enc)
    elif why and not (not enc.services.any and (enc.trial or set(enc.other_procedures) & set(facts.IMPLANT_CODES))):
        sel.notes.extend(why)
    sel.procedures = _procedure_lines(enc, profile)
    sel.notes.extend(_mue_notes([ln for ln in sel.procedures if ln.code in facts.DRUG_CODES], enc))
    refill = enc.refill
    if enc.services.refill and refill is not None and code is not None:
        if pos in facts.FACILITY_DRUG_POS:
            sel.notes.append(f"POS {pos}: the facility supplies and bills the drug ({facts.facility_drug_basis(pos)}); "
                             "the practitioner never bills it there")
        elif refill.supplied_by != "practice":
            sel.notes.append(f"drug supplied by the {refill.supplied_by}: the practice bills no drug line")
        elif refill.drug == "other" and not refill.compounded:
            sel.notes.append("drug 'other': look up its HCPCS code and billing unit; pumpbill has none")
        elif enc.outcome in ("discontinued", "cancelled"):
            sel.notes.append("the refill was not completed: no drug was placed in the pump, so no drug line")
        elif sel.service is not None:
            sel.drug_lines = _drug_lines(enc, profile)
            sel.notes.extend(_mue_notes(sel.drug_lines, enc))
    em = enc.em_visit
    if em and em.performed and em.code:
        billed_work = sel.service is not None or bool(sel.procedures)
        if not em.separately_identifiable and billed_work:
            sel.notes.append("the E/M is not separately identifiable from the pump service: no E/M line")
        elif (em.code == "99211" and billed_work and enc.performed_by == "clinical_staff"
              and not own_diagnosis(enc)):
            sel.notes.append("99211 with a nurse-performed pump service: the nurse's visit is the refill; a 99211 "
                             "needs its own separately identifiable problem (medium confidence): no E/M line")
        elif (profile.em_same_day == "separate_diagnosis_required" and billed_work
              and not own_diagnosis(enc)):
            sel.notes.append(f"payer '{profile.name}' pays a same-day E/M only for a problem with its own "
                             "diagnosis; none documented")
        else:
            mods = ("25",) if billed_work else ()
            reason = ("significant, separately identifiable E/M on the day of a pump service or procedure: modifier 25"
                      if mods else "E/M with no pump service billed by the practitioner: no modifier needed")
            sel.em = Line(code=em.code, modifiers=mods, reasons=(reason,))
    if enc.same_day_sessions > 1 and sel.service is not None:
        sel.notes.append(f"{enc.same_day_sessions} separate pump sessions documented today: one line, 1 unit. The "
                         "one-code-per-session pairs are modifier indicator 0 and the MUE is 1, so 59, XE, 76 or 77 "
                         "cannot bypass them; appeal a denial of the second session with the record (MAI 3)")
    _apply_abn(sel, enc, profile)
    uncertain = enc.uncertain_dx
    if uncertain:
        listed = ", ".join(f"{c} ({v.replace('_', ' ')})" for c, v in uncertain.items())
        where = ("in outpatient settings (ICD-10-CM Guidelines IV.H)" if pos != facts.INPATIENT_POS else
                 "on a practitioner's claim for an inpatient, as coding sources teach (medium confidence: the "
                 "project's reference covers outpatient settings; verify)")
        sel.notes.append(f"not coded: {listed}. An uncertain diagnosis is not coded {where}: code the documented "
                         "signs and symptoms")
    return sel


def _with_outcome(line: Line, enc: Encounter) -> Line:
    """Modifier 52 for a reduced service, 53 for one discontinued after it started (FACTS section 5)."""
    if enc.outcome == "reduced":
        return line.model_copy(update={"modifiers": (*line.modifiers, facts.REDUCED_MODIFIER), "reasons": (
            *line.reasons, "less than the full service was done: modifier 52 (reduced)")})
    if enc.outcome == "discontinued":
        where = (" (the facility reports its own part: 73 or 74 only for a procedure that needed anesthesia, "
                 "otherwise 52; verify)" if facts.is_facility(enc.place_of_service)
                 else "")
        return line.model_copy(update={"modifiers": (*line.modifiers, facts.DISCONTINUED_MODIFIER), "reasons": (
            *line.reasons, "the service was stopped after it started: modifier 53 (discontinued)" + where)})
    return line


def _procedure_lines(enc: Encounter, profile: PayerProfile) -> list[Line]:
    """The session's implant/removal procedures and the trial injection with its drug (FACTS section 9).

    A pair the shipped CMS PTP table marks modifier indicator 0 is never billed together: the column-2 code is
    left off, with the table named (for a replacement, 62365 with 62362).
    """
    from .edits import shipped_ptp

    out: list[Line] = []
    codes = list(dict.fromkeys(c for c in enc.other_procedures if c in facts.IMPLANT_CODES))
    bundled: dict[str, list[str]] = {}  # column-1 code -> why its column-2 partner is left off
    left_off: set[str] = set()
    ptp = shipped_ptp()
    for i, a in enumerate(codes):
        for b in codes[i + 1:]:
            found = ptp.lookup(a, b, enc.date)
            edit = found.edit
            if found.answer == "applies" and edit is not None and edit.modifier_indicator in ("0", "1"):
                left_off.add(edit.column2)
                how = ("no modifier bypasses the pair" if edit.modifier_indicator == "0" else
                       "an NCCI-associated modifier may bypass it only when the record shows a separate site or "
                       "session, which pumpbill cannot see: bill it only then, with the modifier")
                bundled.setdefault(edit.column1, []).append(
                    f"{edit.column2} left off: it is column 2 to {edit.column1} at modifier indicator "
                    f"{edit.modifier_indicator} in the {found.table} ({how}; verify against the practitioner table)")
    for c in codes:
        if c not in left_off:
            out.append(Line(code=c, reasons=(f"{c}: {facts.IMPLANT_CODES[c]}, documented at this session",
                                             *bundled.get(c, []))))
    trial = enc.trial
    if trial is not None and enc.outcome != "cancelled":
        out.append(_with_outcome(Line(code=trial.code, reasons=(
            f"intrathecal screening trial: {trial.code}, {facts.TRIAL_INJECTION_CODES[trial.code]}",)), enc))
        if enc.outcome != "discontinued":  # stopped before the bolus went in: no drug line
            out.extend(_trial_drug(enc, profile))
    return out


def _trial_drug(enc: Encounter, profile: PayerProfile) -> list[Line]:
    """The trial bolus: J0476 per 50 mcg, only when the practice bought it and bills in an office-type setting;
    JZ/JW as for any separately payable single-dose drug (FACTS section 3)."""
    trial = enc.trial
    assert trial is not None
    if enc.place_of_service in facts.FACILITY_DRUG_POS or trial.supplied_by != "practice":
        return []
    d = facts.BACLOFEN_TRIAL
    amount = Amount.parse(trial.dose).to(d.unit_measure)
    units = ceil_div(amount, d.unit_amount)
    why = (f"trial bolus of baclofen bought by the practice: {d.hcpcs}, {fmt(amount)} {d.unit_measure} / "
           f"{d.unit_label} per unit -> {units} unit{'s' if units != 1 else ''} (J0475 is the refill code, per 10 mg)")
    if trial.container != "single_dose" or not profile.jz_jw_required or enc.date < facts.JW_REQUIRED_FROM:
        return [Line(code=d.hcpcs, units=units, reasons=(why,))]
    discarded = Amount.parse(trial.discarded).to(d.unit_measure) if trial.discarded else Decimal(0)
    jw = ceil_div(amount + discarded, d.unit_amount) - units if discarded else 0
    if jw > 0:
        return [Line(code=d.hcpcs, units=units, reasons=(why,)),
                Line(code=d.hcpcs, modifiers=("JW",), units=jw, reasons=(
                    f"{fmt(discarded)} {d.unit_measure} discarded from the single-dose ampules: {jw} more unit(s) on "
                    "a separate JW line",))]
    if enc.date < facts.JZ_REQUIRED_FROM:
        return [Line(code=d.hcpcs, units=units, reasons=(why,))]
    return [Line(code=d.hcpcs, modifiers=("JZ",), units=units, reasons=(
        why, "single-dose ampules, nothing discarded beyond rounding: JZ"))]


def _apply_abn(sel: Selection, enc: Encounter, profile: PayerProfile) -> None:
    """GA/GZ/GX on the lines the practitioner expects Original Medicare not to pay (FACTS section 9)."""
    cov = enc.coverage
    if cov is None or cov.expected_denial == "none":
        return
    if not profile.abn_applies:
        sel.notes.append(f"coverage in doubt, but the ABN and GA/GZ/GX are Original Medicare notices: payer "
                         f"'{profile.name}' has its own process (ask the plan before the service)")
        return
    if cov.expected_denial == "not_reasonable_necessary":
        mod = "GA" if cov.abn == "signed" else "GZ"
    elif cov.abn == "signed":
        mod = "GX"
    else:
        sel.notes.append("a service Medicare excludes by statute, with no voluntary notice: no GA/GZ/GX; the claim "
                         "is denied as a non-covered service (Medicare also has a modifier for statutorily excluded "
                         "services, GY, which pumpbill's reference does not cover: verify with your MAC)")
        return
    why = f"{mod}: {facts.ABN_MODIFIERS[mod]}"

    def add(ln: Line) -> Line:
        return ln.model_copy(update={"modifiers": (*ln.modifiers, mod), "reasons": (*ln.reasons, why)})

    sel.procedures = [add(ln) for ln in sel.procedures]
    if sel.service is not None:
        sel.service = add(sel.service)
    sel.drug_lines = [add(ln) for ln in sel.drug_lines]


def _mue_notes(lines: list[Line], enc: Encounter) -> list[str]:
    """Warn when the drug the note supports exceeds the shipped per-day MUE: the whole line will be denied."""
    from .edits import shipped_mue

    totals: dict[str, int] = {}
    for ln in lines:
        totals[ln.code] = totals.get(ln.code, 0) + ln.units
    notes = []
    for code, units in totals.items():
        mue = shipped_mue().lookup(code, enc.date)
        if mue.mue is not None and units > mue.mue:
            notes.append(f"{code} x {units} exceeds the MUE of {mue.mue} per day (adjudication indicator "
                         f"{mue.mue_indicator}, {mue.table} {mue.version}): the whole line will be denied, not cut "
                         "back; bill the units given and appeal with the record")
    return notes


def matching_line(lines: Iterable[Line], code: str, modifiers: Iterable[str]) -> Line | None:
    """The recommended line a billed line stands for: same code and modifiers, else the first with the same code."""
    same_code = [r for r in lines if r.code == code]
    mods = sorted(modifiers)
    return next((r for r in same_code if sorted(r.modifiers) == mods), None) or next(iter(same_code), None)


def facility_bills(pos: str) -> str:
    """Who bills a service the practitioner cannot bill in a facility, and under which system."""
    if pos == facts.INPATIENT_POS:
        return "the hospital is paid for it under the inpatient system (Part A), not OPPS"
    if pos in facts.HOSPITAL_OUTPATIENT_POS:
        return "the hospital bills it (OPPS)"
    if pos == "31":
        return "a SNF Part A stay falls under consolidated billing"
    return "the facility bills it"


def own_diagnosis(enc: Encounter) -> bool:
    """Does the same-day E/M have a problem of its own: a diagnosis besides the pump visit's?"""
    em = enc.em_visit
    pump_dx = set(enc.dx_codes)
    return bool(em and any(d not in pump_dx for d in em.diagnoses))


def _drug_lines(enc: Encounter, profile: PayerProfile) -> list[Line]:
    """The practice-bought drug: units of what was placed in the pump; JZ/JW where the payer requires them."""
    refill = enc.refill
    assert refill is not None
    if refill.compounded:
        return [_ndc(_noc_line(enc, profile), enc, profile)]
    du = drug_units(enc)
    if du is None:
        return []
    return [_ndc(ln, enc, profile) for ln in _single_drug_lines(enc, profile, du)]


def _noc_line(enc: Encounter, profile: PayerProfile) -> Line:
    """A compounded or mixed drug: the payer's NOC code, one unit, the drug named in the claim note."""
    refill = enc.refill
    assert refill is not None
    code = profile.compounded_code
    what = refill.description or f"{refill.drug} {refill.concentration}"
    amount = f", {fmt(refill.volume_added_ml)} mL"
    note = what[:80 - len(amount)] + amount  # the amount is never cut off
    reasons = [f"compounded or mixed drug: no single-drug J-code describes it; payer '{profile.name}' takes {code} "
               f"({facts.NOC_DRUG_CODES[code]}) with the drug, strength and amount in the claim note",
               "units on a NOC line: 1 here; payers' instructions differ (some count containers): verify"]
    mods: tuple[str, ...] = ()
    discarded = refill.discarded_q
    if refill.container == "single_dose" and profile.jz_jw_required and enc.date >= facts.JZ_REQUIRED_FROM:
        if discarded is None or discarded.value == 0:
            mods = ("JZ",)
            reasons.append("single-dose container, nothing discarded: JZ, which CMS applies to NOC drug codes too "
                           "(verify that your MAC treats a pharmacy-compounded syringe as a single-dose container)")
        else:
            reasons.append("drug discarded from the compounded container: how a NOC line reports it (a JW line, "
                           "its units) is the payer's instruction; pumpbill's reference does not say: verify")
    return Line(code=code, modifiers=mods, units=1, note=note, reasons=tuple(reasons))


def _ndc(line: Line, enc: Encounter, profile: PayerProfile) -> Line:
    """The NDC fields of a drug line, for a payer that wants them on every drug line."""
    refill = enc.refill
    if not profile.ndc_required or refill is None:
        return line
    if refill.ndc is None:
        return line.model_copy(update={"reasons": (*line.reasons, f"payer '{profile.name}' wants the NDC on every "
                                                   "drug line, but the note records none: copy it from the label")})
    from .ndc import parse_ndc, quantity_text

    qty = refill.volume_added_ml if "JW" not in line.modifiers else None
    if qty is None:  # the JW line: the discarded volume, when the discard can be put in mL
        dq = refill.discarded_q
        per_ml = refill.concentration_q.per_ml(dq.unit) if dq is not None else None
        qty = (dq.value / per_ml) if dq is not None and per_ml else None
    if qty is None or refill.ndc_unit != "ML" or quantity_text(qty) == "0":
        return line.model_copy(update={"reasons": (*line.reasons, f"payer '{profile.name}' wants the NDC on the "
                                                   "line: pumpbill computes NDC quantities in millilitres only; "
                                                   "report the quantity in the label's unit by hand")})
    n = parse_ndc(refill.ndc)
    return line.model_copy(update={"ndc": (n.eleven, "ML", quantity_text(qty)), "reasons": (
        *line.reasons, f"payer '{profile.name}' wants the NDC on the line: N4 {n.eleven} ML {quantity_text(qty)} "
        f"(label {n.label})")})


def _single_drug_lines(enc: Encounter, profile: PayerProfile, du: DrugUnits) -> list[Line]:
    refill = enc.refill
    assert refill is not None
    why = [f"{du.drug.name} bought by the practice (buy and bill): {du.drug.hcpcs}, {du.explain()}"]
    if refill.container == "multi_dose":
        return [Line(code=du.drug.hcpcs, units=du.units, reasons=tuple(why + ["multi-dose container: no JZ/JW"]))]
    if not profile.jz_jw_required:
        return [Line(code=du.drug.hcpcs, units=du.units, reasons=tuple(why + [
            f"payer '{profile.name}' does not require JZ/JW (Medicare Part B rules); check its policy on "
            "discarded drug"]))]
    if du.jw_units > 0 and enc.date >= facts.JW_REQUIRED_FROM:
        return [
            Line(code=du.drug.hcpcs, units=du.units, reasons=tuple(why)),
            Line(code=du.drug.hcpcs, modifiers=("JW",), units=du.jw_units,
                 reasons=(f"{fmt(du.discarded or Decimal(0))} {du.drug.unit_measure} discarded from a single-dose "
                          f"container: {du.jw_units} more unit(s) on a separate JW line",)),
        ]
    if enc.date < facts.JZ_REQUIRED_FROM:
        return [Line(code=du.drug.hcpcs, units=du.units, reasons=tuple(why + [
            f"JZ is required from {facts.JZ_REQUIRED_FROM.isoformat()}"]))]
    note = ("single-dose container, nothing discarded: JZ" if not du.discarded else
            "single-dose container; the discard is covered by rounding up: JZ, no JW line")
    return [Line(code=du.drug.hcpcs, modifiers=("JZ",), units=du.units, reasons=tuple(why + [note]))]


def chemotherapy_encounter(enc: Encounter) -> bool:
    """A systemic pump refilled with chemotherapy: the encounter is for chemotherapy (guideline I.C.2.e.2)."""
    r, pump = enc.refill, enc.pump
    return bool(r and r.chemotherapy and enc.services.refill and pump and pump.route in SYSTEMIC)


def recommended_diagnoses(enc: Encounter) -> list[str]:
    """Diagnosis order for the pump service (FACTS section 4): confirmed codes only; a complication first,
    else Z51.11 then the neoplasm for a chemotherapy encounter, else Z45.1 first."""
    dx = [d for d in enc.dx_codes if d not in facts.WRONG_DEVICE_DX]
    complications = [d for d in dx if d.startswith(facts.COMPLICATION_PREFIXES)]
    if complications:
        rest = [d for d in dx if d not in complications and d not in (facts.ROUTINE_PUMP_DX,)]
        return complications + rest
    if chemotherapy_encounter(enc):
        neoplasms = [d for d in dx if facts.is_neoplasm(d)]
        rest = [d for d in dx if d != facts.CHEMOTHERAPY_DX and d not in neoplasms]
        return [facts.CHEMOTHERAPY_DX] + neoplasms + rest
    if not routine_pump_visit(enc):
        return dx
    rest = [d for d in dx if d not in (facts.ROUTINE_PUMP_DX, facts.LESS_SPECIFIC_PUMP_DX)]
    return [facts.ROUTINE_PUMP_DX] + rest

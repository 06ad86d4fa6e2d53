"""PB4xx: ICD-10-CM validity and order (FACTS section 4), against the maintained code set."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import (
    CHEMOTHERAPY_DX,
    COMPLICATION_PREFIXES,
    G35_EXPANDED_ON,
    G35_REPLACEMENTS,
    LESS_SPECIFIC_PUMP_DX,
    NEOPLASM_PAIN_DX,
    PUMP_SERVICE_CODES,
    ROUTINE_PUMP_DX,
    WRONG_DEVICE_DX,
    is_neoplasm,
)
from ..icd import code_set
from ..selection import chemotherapy_encounter, recommended_diagnoses, routine_pump_visit
from .registry import Context, Hit, rule


def _line_of(ctx: Context, dx: str) -> int | None:
    for i, ln in enumerate(ctx.lines, 1):
        if dx in ln.diagnoses:
            return i
    return None


def _implanted_service(ctx: Context) -> bool:
    return routine_pump_visit(ctx.enc) and not chemotherapy_encounter(ctx.enc)


def _complications(ctx: Context) -> list[str]:
    """Device complications that may be coded: T85.6-/T85.7-/T85.8-, not the ones the note calls uncertain."""
    uncertain = ctx.enc.uncertain_dx
    return [d for d in ctx.all_dx if d.startswith(COMPLICATION_PREFIXES) and d not in uncertain]


@rule("PB401", "invalid-diagnosis", "error",
      title="Diagnosis code not valid for the date of service",
      message="{dx} is {status} in {code_set}",
      fix="{fix_text}",
      what="A diagnosis code that does not exist, or is a header that needs more characters, in the "
           "ICD-10-CM code set for the date of service.",
      why="Claims with invalid or non-billable (non-leaf) diagnosis codes are rejected before review.",
      correct="Code to the highest specificity: a billable leaf code such as G80.1 or G89.4.",
      source="icd10cm")
def invalid_diagnosis(ctx: Context) -> Iterator[Hit]:
    cs = code_set()
    for dx in ctx.all_dx:
        if dx == "G35" or dx.startswith("G35."):
            continue  # PB402 and PB409 explain G35 by date of service
        status = cs.status(dx)
        if status == "billable":
            continue
        if status == "header":
            children = cs.billable_under(dx)
            fix_text = f"pick a billable code under {dx}" + (f", e.g. {', '.join(children)}" if children else "")
            text = "a category header, not billable (it needs more characters)"
        else:
            fix_text, text = "check the code in the current ICD-10-CM tabular list", "not a code"
        yield Hit(_line_of(ctx, dx), {"dx": dx, "status": text, "code_set": cs.label, "fix_text": fix_text})


@rule("PB402", "bare-g35", "error",
      title="Bare G35 for multiple sclerosis from October 2025",
      message="G35 on {dos}: bare G35 is not valid for dates of service on or after 2025-10-01",
      fix="Code the multiple sclerosis type: " + G35_REPLACEMENTS,
      what="Multiple sclerosis coded as G35 for a date of service on or after 2025-10-01.",
      why="FY2026 ICD-10-CM expanded G35 into subcodes; G35 became a header and claims with it are rejected.",
      correct="Relapsing-remitting MS: G35.A (for example); see the tabular list for G35.B0-G35.D.",
      source="g35-fy2026")
def bare_g35(ctx: Context) -> Iterator[Hit]:
    if ctx.dos >= G35_EXPANDED_ON and "G35" in ctx.all_dx:
        yield Hit(_line_of(ctx, "G35"), {"dos": ctx.dos.isoformat()})


@rule("PB403", "z451-missing", "warning",
      title="Routine pump visit without Z45.1",
      message="routine pump visit without Z45.1 (encounter for adjustment and management of infusion pump)",
      fix="List Z45.1 first, then the underlying condition",
      what="A routine refill/adjustment visit for an implanted pump whose diagnoses lack Z45.1.",
      why="Z45.1 tells the payer why the patient came: to manage the pump. The condition (spasticity, "
          "chronic pain) supports medical necessity as a secondary diagnosis.",
      correct="Z45.1, G80.1 for a baclofen refill in spastic diplegia.",
      source="icd10cm-z451")
def z451_missing(ctx: Context) -> Iterator[Hit]:
    if _implanted_service(ctx) and not _complications(ctx) and ROUTINE_PUMP_DX not in ctx.all_dx:
        yield Hit(None, {})


@rule("PB404", "z451-not-first", "warning",
      title="Z45.1 not listed first for a routine pump visit",
      message="Z45.1 is listed {position} on {where}; for a routine pump visit it is first-listed",
      fix="Move Z45.1 to the first position, the underlying condition after it",
      what="Z45.1 present but not first for a routine pump-management visit.",
      why="The first-listed diagnosis is the reason for the encounter; for a refill or adjustment visit "
          "that is the pump management, with the condition after it.",
      correct="Z45.1 first, then the condition (e.g. Z45.1, G89.4).",
      source="icd10cm-z451")
def z451_not_first(ctx: Context) -> Iterator[Hit]:
    if not _implanted_service(ctx) or _complications(ctx):
        return
    billed = ctx.billed(PUMP_SERVICE_CODES)
    targets = [(i, ln.diagnoses, f"line {i}") for i, ln in billed if ln.diagnoses]
    if not targets:
        targets = [(None, ctx.enc.dx_codes, "the encounter")]
    for i, dx, where in targets:
        if ROUTINE_PUMP_DX in dx and dx[0] != ROUTINE_PUMP_DX:
            yield Hit(i, {"position": f"#{dx.index(ROUTINE_PUMP_DX) + 1}", "where": where})


@rule("PB405", "complication-with-z451", "error",
      title="Device complication coded with Z45.1",
      message="{comp} (a device complication) coded together with Z45.1; Z45 excludes complications",
      fix="Drop Z45.1: {comp} is first-listed for a visit for a device problem",
      what="A documented T85.6-/T85.7-/T85.8- device complication code and Z45.1 on the same visit.",
      why="Z45 carries an Excludes1 note for malfunction and other complications of the device: a visit for a "
          "documented malfunction, leak, infection or other complication (T85.8-: pain due to the device, "
          "fibrosis, hemorrhage, stenosis, thrombosis) is coded with the T85 code instead of Z45.1.",
      correct="Confirmed catheter breakdown: T85.610A first, then the condition.",
      source="icd10cm-guidelines")
def complication_with_z451(ctx: Context) -> Iterator[Hit]:
    comps = _complications(ctx)
    if comps and ROUTINE_PUMP_DX in ctx.all_dx:
        yield Hit(_line_of(ctx, ROUTINE_PUMP_DX), {"comp": comps[0]})


@rule("PB406", "wrong-device-z-code", "error",
      title="Z code for the wrong kind of device",
      message="{dx} is for a {device}, not an implanted drug pump",
      fix="Use Z45.1 (infusion pump) for a drug-pump visit",
      what="Z45.42 (neurostimulator) or Z96.41 (insulin pump) on a drug-pump visit.",
      why="These codes describe other devices; payers match the diagnosis to the service.",
      correct="Z45.1 for adjustment and management of an infusion pump.",
      source="icd10cm-z451")
def wrong_device_z_code(ctx: Context) -> Iterator[Hit]:
    if not ctx.enc.services.any:
        return
    for dx in ctx.all_dx:
        if dx in WRONG_DEVICE_DX:
            yield Hit(_line_of(ctx, dx), {"dx": dx, "device": WRONG_DEVICE_DX[dx]})


@rule("PB407", "less-specific-z4549", "warning",
      title="Z45.49 used where Z45.1 is more specific",
      message="Z45.49 (other implanted nervous system device) is less specific than Z45.1 for a drug pump",
      fix="Use Z45.1",
      what="Z45.49 used for a drug-pump visit.",
      why="Z45.1 names the infusion pump; the less specific code invites a request for records.",
      correct="Z45.1 first-listed.",
      source="icd10cm-z451")
def less_specific_z4549(ctx: Context) -> Iterator[Hit]:
    if ctx.enc.services.any and LESS_SPECIFIC_PUMP_DX in ctx.all_dx:
        yield Hit(_line_of(ctx, LESS_SPECIFIC_PUMP_DX), {})


@rule("PB408", "underlying-condition-missing", "warning",
      title="No underlying condition coded",
      message="no underlying condition coded: the pump visit's medical necessity rests on {have}",
      fix="Add the condition the pump treats (e.g. G80.1 spastic diplegia, G89.4 chronic pain syndrome)",
      what="A pump visit with no diagnosis besides Z45.1 (or none at all).",
      why="Z45.1 says what the visit was; the condition says why the therapy is needed. Payers' coverage "
          "policies list the conditions (spasticity, intractable pain) that support it.",
      correct="Z45.1 plus the condition, e.g. Z45.1, G89.4.",
      source="icd10cm-z451")
def underlying_condition_missing(ctx: Context) -> Iterator[Hit]:
    if not ctx.enc.services.any:
        return
    other = [d for d in ctx.all_dx if not d.startswith("Z")]
    if not other:
        yield Hit(None, {"have": ", ".join(ctx.all_dx) or "no diagnosis at all"})


@rule("PB409", "g35-subcode-before-fy2026", "error",
      title="G35 subcode used before October 2025",
      message="{dx} on {dos}: the G35 subcodes exist only for dates of service on or after 2025-10-01; use G35",
      fix="Code G35 for dates of service before 2025-10-01",
      what="A G35.A-G35.D multiple sclerosis subcode on a date of service before 2025-10-01.",
      why="The subcodes were created by the FY2026 code set; before it, G35 itself was the billable code.",
      correct="DOS 2025-09-15: G35. DOS 2025-10-01 or later: G35.A (for example).",
      source="g35-fy2026")
def g35_subcode_before_fy2026(ctx: Context) -> Iterator[Hit]:
    if ctx.dos >= G35_EXPANDED_ON:
        return
    for dx in ctx.all_dx:
        if dx.startswith("G35."):
            yield Hit(_line_of(ctx, dx), {"dx": dx, "dos": ctx.dos.isoformat()})


@rule("PB410", "uncertain-diagnosis-coded", "error",
      title="Uncertain diagnosis coded as if confirmed",
      message="{dx} is coded, but the note records it as {certainty}: an uncertain diagnosis is not coded here",
      fix="Remove {dx}; code the documented signs and symptoms instead (and Z45.1 for the device check)",
      what="A diagnosis the note calls suspected, probable, 'rule out' or possible, coded on the claim, in an "
           "outpatient setting (any place of service but the inpatient hospital, 21).",
      why="ICD-10-CM Guidelines IV.H: in outpatient settings (office, hospital outpatient, home) an uncertain "
          "diagnosis is not coded as if it were established; the signs and symptoms are. A T85 code for a suspected "
          "leak claims a complication nobody confirmed. (The inpatient exception, II.H, is for the hospital's own "
          "inpatient coding; coding sources say a practitioner's claim for an inpatient follows the outpatient "
          "rule too, but pumpbill's sources cover outpatient settings only, so this rule does not judge "
          "POS 21.)",
      correct="Suspected catheter leak with new itching at the site: Z45.1, the documented symptoms (e.g. L29.9 "
              "pruritus), G80.1; T85.630A once the leak is confirmed.",
      source="icd10cm-guidelines", since="0.2.0", supersedes=("PB405",))
def uncertain_diagnosis_coded(ctx: Context) -> Iterator[Hit]:
    if ctx.enc.place_of_service == "21":
        return  # an inpatient stay's professional claim: the reference covers outpatient settings only
    uncertain = ctx.enc.uncertain_dx
    for i, ln in enumerate(ctx.lines, 1):
        for dx in ln.diagnoses:
            if dx in uncertain:
                yield Hit(i, {"dx": dx, "certainty": uncertain[dx].replace("_", " ")})


@rule("PB411", "g89-3-without-neoplasm", "error",
      title="G89.3 coded without a neoplasm",
      message="G89.3 (neoplasm-related pain) is coded without a neoplasm code",
      fix="Add the neoplasm code (C00-D49) the pain is related to",
      what="G89.3 on a visit whose diagnoses include no neoplasm (C00-D49).",
      why="ICD-10-CM guideline I.C.6.b.5: G89.3 is reported together with the code for the neoplasm. (G89.4 "
          "is used only when the provider documents chronic pain syndrome: I.C.6.b.6.)",
      correct="Z45.1, G89.3, C79.51 for a pump refill in pain from bone metastases.",
      source="icd10cm-guidelines", since="0.2.0")
def g89_3_without_neoplasm(ctx: Context) -> Iterator[Hit]:
    if NEOPLASM_PAIN_DX in ctx.all_dx and not any(is_neoplasm(d) for d in ctx.all_dx):
        yield Hit(_line_of(ctx, NEOPLASM_PAIN_DX), {})


@rule("PB412", "chemotherapy-encounter-order", "warning",
      title="Chemotherapy pump visit not led by Z51.11",
      message="a visit to give chemotherapy through a systemic pump lists Z51.11 first, then the neoplasm; "
              "{where} has {have}",
      fix="List {expected}",
      what="A systemic (e.g. hepatic artery) pump refilled with chemotherapy whose diagnoses do not start with "
           "Z51.11.",
      why="ICD-10-CM guideline I.C.2.e.2: when the encounter is solely to give chemotherapy, Z51.11 is "
          "first-listed and the neoplasm follows.",
      correct="Hepatic artery pump filled with chemotherapy for liver metastases: Z51.11, C78.7.",
      source="icd10cm-guidelines", since="0.2.0")
def chemotherapy_encounter_order(ctx: Context) -> Iterator[Hit]:
    if not chemotherapy_encounter(ctx.enc):
        return
    expected = recommended_diagnoses(ctx.enc)
    billed = [(i, ln.diagnoses) for i, ln in ctx.billed(PUMP_SERVICE_CODES) if ln.diagnoses]
    targets = billed or [(None, ctx.enc.dx_codes)]
    for i, dx in targets:
        if not dx or dx[0] != CHEMOTHERAPY_DX:
            yield Hit(i, {"where": f"line {i}" if i else "the note", "have": ", ".join(dx) or "no diagnosis",
                          "expected": ", ".join(expected)})


def underdosing_codes(codes: list[str]) -> list[str]:
    """The underdosing codes among ``codes``: those the code set titles "Underdosing of ..." (T36-T50, sixth
    character 6, e.g. T42.8X6A for baclofen). Read from the code set, not from a pattern typed here."""
    cs = code_set()
    return [c for c in codes if (cs.description(c) or "").startswith("Underdosing of")]


def underdosing_reason_codes(codes: list[str]) -> list[str]:
    """Codes that say why the drug ran short: the code set's other "underdosing" titles (the patient's or
    caregiver's underdosing of a medication regimen, underdosing during medical care)."""
    cs = code_set()
    return [c for c in codes
            if not c.startswith("T") and "underdosing" in (cs.description(c) or "").lower()]


@rule("PB413", "underdosing-without-reason", "warning",
      title="Underdosing coded without a documented reason",
      message="{dx} (underdosing) is coded, but the note does not record why the patient got less drug than "
              "prescribed",
      fix="Document why the pump ran short (e.g. the missed or delayed refill and its cause) and code the reason "
          "as the documentation supports; code the withdrawal symptoms the note records",
      what="An underdosing code (e.g. T42.8X6A for baclofen) on a pump visit whose note gives no reason for the "
           "underdosing: no refill-timing reason (interval_reason) and no code that states one.",
      why="A pump that ran dry or a missed refill is coded as underdosing with the reason and the withdrawal "
          "symptoms as documented (medium confidence). An underdosing code with no reason in the record is "
          "what a reviewer asks about first: was the refill missed, delayed, or did the device fail?",
      correct="Pump ran dry after a refill missed during a hospital stay elsewhere, with itching and fever: Z45.1, "
              "T42.8X6A, the documented symptoms (e.g. L29.9, R50.9), G80.1, and the reason in the note.",
      source="underdosing", since="0.3.0")
def underdosing_without_reason(ctx: Context) -> Iterator[Hit]:
    found = underdosing_codes(ctx.all_dx)
    if not found or (ctx.enc.interval_reason or "").strip() or underdosing_reason_codes(ctx.all_dx):
        return
    yield Hit(_line_of(ctx, found[0]), {"dx": found[0]})

"""PB4xx: ICD-10-CM validity and order (FACTS section 4), against the maintained code set."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import (
    COMPLICATION_PREFIXES,
    G35_EXPANDED_ON,
    G35_REPLACEMENTS,
    LESS_SPECIFIC_PUMP_DX,
    PUMP_SERVICE_CODES,
    ROUTINE_PUMP_DX,
    WRONG_DEVICE_DX,
)
from ..icd import code_set
from ..selection import routine_pump_visit
from .registry import Context, Hit, rule


def _line_of(ctx: Context, dx: str) -> int | None:
    for i, ln in enumerate(ctx.lines, 1):
        if dx in ln.diagnoses:
            return i
    return None


def _implanted_service(ctx: Context) -> bool:
    return routine_pump_visit(ctx.enc)


def _complications(ctx: Context) -> list[str]:
    return [d for d in ctx.all_dx if d.startswith(COMPLICATION_PREFIXES)]


@rule("PB401", "invalid-diagnosis", "error",
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
            children = sorted(c for c in cs.codes if c.startswith(dx) and c != dx and cs.codes[c][0])[:4]
            fix_text = f"pick a billable code under {dx}" + (f", e.g. {', '.join(children)}" if children else "")
            text = "a category header, not billable (it needs more characters)"
        else:
            fix_text, text = "check the code in the current ICD-10-CM tabular list", "not a code"
        yield Hit(_line_of(ctx, dx), {"dx": dx, "status": text, "code_set": cs.label, "fix_text": fix_text})


@rule("PB402", "bare-g35", "error",
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
        targets = [(None, ctx.enc.diagnoses, "the encounter")]
    for i, dx, where in targets:
        if ROUTINE_PUMP_DX in dx and dx[0] != ROUTINE_PUMP_DX:
            yield Hit(i, {"position": f"#{dx.index(ROUTINE_PUMP_DX) + 1}", "where": where})


@rule("PB405", "complication-with-z451", "error",
      message="{comp} (a device complication) coded together with Z45.1; Z45 excludes complications",
      fix="Drop Z45.1: {comp} is first-listed for a visit for a device problem",
      what="A T85.6-/T85.7- complication code and Z45.1 on the same visit.",
      why="Z45 carries an Excludes1 note for complications of the device: a visit for a malfunction, "
          "leak or infection is coded with the T85 complication instead of Z45.1.",
      correct="Catheter breakdown visit: T85.610A first, then the condition.",
      source="icd10cm")
def complication_with_z451(ctx: Context) -> Iterator[Hit]:
    comps = _complications(ctx)
    if comps and ROUTINE_PUMP_DX in ctx.all_dx:
        yield Hit(_line_of(ctx, ROUTINE_PUMP_DX), {"comp": comps[0]})


@rule("PB406", "wrong-device-z-code", "error",
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

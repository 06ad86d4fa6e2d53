"""PB2xx: units on the service and the drug lines (FACTS sections 2, 3 and 5)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import (
    DRUG_CODES,
    J1170_TERMINATED,
    J1171_FIRST_DOS,
    NOC_DRUG_CODES,
    PUMP_SERVICE_CODES,
    drug_for,
)
from ..quantities import ceil_div
from .registry import Context, Hit, rule


@rule("PB201", "pump-service-units-above-one", "error",
      title="Pump service billed with more than one unit",
      message="{code} billed with {units} units; a pump service is one unit per session (MUE {mue} per day: "
              "the whole line is denied)",
      fix="Bill {code} x 1",
      what="A pump-service code with more than one unit.",
      why="Each code describes the whole session's service, whatever the volume or the number of "
          "parameters changed. The CMS MUE of each pump-service code is a small number of units per day "
          "(the message gives the value from the shipped table), and a line above the MUE is denied in full, "
          "not cut back.",
      correct="One unit per session; the drug's units go on the J-code line.",
      source="ncci-mue")
def pump_service_units(ctx: Context) -> Iterator[Hit]:
    for i, ln in ctx.billed(PUMP_SERVICE_CODES):
        mue = ctx.edits.official_mue(ln.code, ctx.dos)
        limit = mue.mue if mue is not None and mue.mue is not None else 1
        if ln.units > limit:
            yield Hit(i, {"code": ln.code, "units": ln.units, "mue": limit})


def _drug_lines(ctx: Context):
    """Billed non-JW lines of the documented drug's code, with the documented amount. None for a compounded or
    mixed drug: no single-drug J-code's units describe it (PB214 says so)."""
    du = ctx.drug
    if du is None or (ctx.enc.refill is not None and ctx.enc.refill.compounded):
        return None, []
    return du, [(i, ln) for i, ln in ctx.billed((du.drug.hcpcs,)) if "JW" not in ln.modifiers]


@rule("PB202", "drug-units-mismatch", "error",
      title="Drug units don't match the amount placed in the pump",
      message="{code} billed with {units} units; the note supports {expected} ({explain})",
      fix="Bill {code} x {expected}",
      what="The units on the drug line do not match the amount placed into the pump.",
      why="Units are the amount instilled divided by the HCPCS billing unit, rounded up. Wrong units are "
          "the commonest drug-line denial and overpayments are recouped.",
      correct="Example: 20 mL of baclofen 2000 mcg/mL = 40 mg; J0475 is per 10 mg, so J0475 x 4.",
      source="hcpcs")
def drug_units_mismatch(ctx: Context) -> Iterator[Hit]:
    du, lines = _drug_lines(ctx)
    for i, ln in lines:
        if ln.units != du.units:
            yield Hit(i, {"code": ln.code, "units": ln.units, "expected": du.units, "explain": du.explain()})


@rule("PB203", "drug-billed-in-mg", "error",
      title="Drug units billed in milligrams, not billing units",
      message="{code} billed with {units} units, the drug amount in mg; the billing unit is {unit}, so {expected}",
      fix="Divide the amount by the billing unit: {code} x {expected}",
      what="Drug units billed as milligrams (or micrograms) instead of HCPCS billing units.",
      why="The HCPCS unit is a fixed amount (J0475 is 10 mg of baclofen). Billing 40 units for 40 mg "
          "claims ten times the drug.",
      correct="Units = amount placed in the pump / billing unit, rounded up.",
      source="hcpcs", supersedes=("PB202",))
def drug_billed_in_mg(ctx: Context) -> Iterator[Hit]:
    du, lines = _drug_lines(ctx)
    for i, ln in lines:
        in_mg = ceil_div(du.amount if du.drug.unit_measure == "mg" else du.amount / 1000, 1)
        in_mcg = ceil_div(du.amount if du.drug.unit_measure == "mcg" else du.amount * 1000, 1)
        if ln.units != du.units and ln.units in (in_mg, in_mcg):
            yield Hit(i, {"code": ln.code, "units": ln.units, "unit": du.drug.unit_label, "expected": du.units})


@rule("PB204", "residual-drug-billed", "error",
      title="Drug units include the residual taken out of the pump",
      message="{code} units ({units}) include the residual drug aspirated from the pump; bill only what was "
              "placed in the pump ({expected})",
      fix="Bill {code} x {expected}; document the residual volume, do not bill it",
      what="Drug units computed on the residual aspirated from the pump plus the new drug.",
      why="The residual was billed at the previous refill. It is removed and wasted for safety; its volume "
          "is documented (a discrepancy can signal a pocket fill or a malfunction) but not billed again.",
      correct="Units come from the volume instilled only.",
      source="hcpcs", supersedes=("PB202",))
def residual_drug_billed(ctx: Context) -> Iterator[Hit]:
    du, lines = _drug_lines(ctx)
    refill = ctx.enc.refill
    if du is None or refill is None or not refill.residual_ml:
        return
    with_residual = ceil_div((refill.volume_added_ml + refill.residual_ml)
                             * refill.concentration_q.per_ml(du.drug.unit_measure), du.drug.unit_amount)
    for i, ln in lines:
        if ln.units != du.units and ln.units == with_residual:
            yield Hit(i, {"code": ln.code, "units": ln.units, "expected": du.units})


@rule("PB205", "wrong-drug-code", "error",
      title="Drug code doesn't match the drug in the pump",
      message="{code} billed, but the drug placed in the pump is {drug} ({expected})",
      fix="Bill {expected} for {drug}",
      what="A drug J-code that does not match the drug documented for the refill.",
      why="Each drug has its own HCPCS code and billing unit; the wrong code misstates both.",
      correct="baclofen J0475 (10 mg), morphine PF J2274 (10 mg), ziconotide J2278 (1 mcg), hydromorphone "
              "J1171 (0.1 mg; J1170, up to 4 mg, before 2024-10-01), fentanyl J3010 (0.1 mg), clonidine J0735 "
              "(1 mg), bupivacaine J0665 (0.5 mg).",
      source="hcpcs")
def wrong_drug_code(ctx: Context) -> Iterator[Hit]:
    refill = ctx.enc.refill
    drug = drug_for(refill.drug, ctx.dos) if refill is not None else None
    if drug is None or refill.compounded:  # a compounded or mixed drug: PB214
        return
    expected = drug.hcpcs
    explained = {"J1170", "J1171"} if refill.drug == "hydromorphone" else set()  # PB206/PB212 by date
    for i, ln in ctx.billed(DRUG_CODES - {expected, "J0476"} - explained):
        yield Hit(i, {"code": ln.code, "drug": refill.drug, "expected": expected})


@rule("PB206", "deleted-code-j1170", "error",
      title="Deleted hydromorphone code J1170 billed",
      message="J1170 billed for {dos}; J1170 was terminated on {term}: use J1171 (per 0.1 mg)",
      fix="Bill J1171 with units per 0.1 mg",
      what="HCPCS J1170 (hydromorphone, up to 4 mg) for a date of service after its termination date.",
      why="The CMS HCPCS file terminates J1170 on 2024-09-30 and adds J1171 (per 0.1 mg) from 2024-10-01: "
          "the line is rejected as an invalid code, and the units must be recomputed.",
      correct="Hydromorphone from 2024-10-01: J1171, units = mg placed in the pump / 0.1, rounded up.",
      source="hcpcs")
def deleted_code_j1170(ctx: Context) -> Iterator[Hit]:
    if ctx.dos > J1170_TERMINATED:
        for i, _ in ctx.billed(("J1170",)):
            yield Hit(i, {"dos": ctx.dos.isoformat(), "term": J1170_TERMINATED.isoformat()})


@rule("PB212", "j1171-before-2024-10", "error",
      title="Hydromorphone code J1171 billed before it existed",
      message="J1171 billed for {dos}; J1171 is valid from {start}: before that, hydromorphone was J1170 "
              "(up to 4 mg)",
      fix="Bill J1170 with units per 4 mg for a date of service before {start}",
      what="HCPCS J1171 (hydromorphone, 0.1 mg) for a date of service before the code existed.",
      why="The CMS HCPCS file adds J1171 on 2024-10-01; earlier dates of service use J1170, whose billing "
          "unit is 'up to 4 mg'.",
      correct="Hydromorphone on 2024-09-15: J1170, units = mg placed in the pump / 4, rounded up.",
      source="hcpcs", since="0.2.0")
def j1171_before_its_date(ctx: Context) -> Iterator[Hit]:
    if ctx.dos < J1171_FIRST_DOS:
        for i, _ in ctx.billed(("J1171",)):
            yield Hit(i, {"dos": ctx.dos.isoformat(), "start": J1171_FIRST_DOS.isoformat()})


@rule("PB207", "drug-line-missing", "warning",
      title="Drug the practice bought is not billed",
      message="the practice bought {drug}, but no {code} line is on the claim; report the drug with its refill",
      fix="Add {code} x {units} to the same claim as the refill",
      what="A practice-supplied (buy-and-bill) drug with no drug line on the refill's claim.",
      why="The drug is paid separately only if billed, and billing guidance (CMS article A55239, as "
          "summarised by a university billing office) reports the refill and its drug on the same claim.",
      correct="One claim: the pump service, the drug line(s), and the E/M if any.",
      source="a55239")
def drug_line_missing(ctx: Context) -> Iterator[Hit]:
    if not ctx.has_claim or not ctx.selection.drug_lines:
        return
    main = ctx.selection.drug_lines[0]
    refill = ctx.enc.refill
    if refill is not None and refill.compounded and ctx.billed(DRUG_CODES | frozenset(NOC_DRUG_CODES)):
        return  # a compounded drug billed under another code: PB214 says which
    if not ctx.billed((main.code,)):
        yield Hit(None, {"drug": ctx.enc.refill.drug if ctx.enc.refill else "the drug", "code": main.code,
                         "units": main.units})


@rule("PB208", "drug-not-purchased-billed", "error",
      title="Drug billed that the practice didn't buy",
      message="{code} billed, but the drug was {supplied}; the practice bills only drugs it bought",
      fix="Remove the {code} line",
      what="A drug line (a J-code or a NOC code such as J3490/J7999) on the practitioner's claim for a drug the "
           "practice did not buy (pharmacy- or facility-supplied) or when no refill is documented.",
      why="Whoever buys the drug bills it. Billing a pharmacy-supplied drug double-bills it.",
      correct="Pharmacy- or facility-supplied: document the drug, lot and volume; bill only the service.",
      source="hcpcs")
def drug_not_purchased_billed(ctx: Context) -> Iterator[Hit]:
    refill, trial = ctx.enc.refill, ctx.enc.trial
    bought = refill is not None and refill.supplied_by == "practice" and ctx.enc.services.refill
    supplied = f"supplied by the {refill.supplied_by}" if refill is not None else "not documented as refilled"
    for i, ln in ctx.billed(DRUG_CODES | frozenset(NOC_DRUG_CODES)):
        if ln.code == "J0476" and trial is not None:  # the trial bolus: its own supplier decides
            if trial.supplied_by != "practice":
                yield Hit(i, {"code": ln.code, "supplied": f"supplied by the {trial.supplied_by} (trial bolus)"})
        elif not bought:
            yield Hit(i, {"code": ln.code, "supplied": supplied})


@rule("PB209", "trial-code-for-refill", "error",
      title="Trial baclofen code billed for a refill",
      message="J0476 (intrathecal baclofen trial, per 50 mcg) billed for a pump refill; use J0475 (per 10 mg)",
      fix="Bill J0475 x {units}",
      what="J0476, the screening-bolus (trial) baclofen code, on a pump-refill claim.",
      why="J0476 is for the intrathecal trial dose before implant, in 50 mcg units. Pump refills use J0475 "
          "in 10 mg units; the wrong code misstates the amount by orders of magnitude.",
      correct="Baclofen pump refill: J0475, units = mg placed in the pump / 10, rounded up.",
      source="hcpcs")
def trial_code_for_refill(ctx: Context) -> Iterator[Hit]:
    if not ctx.enc.services.refill or ctx.enc.trial is not None:
        return  # a trial at the same session bills its own J0476 (PB218 checks it)
    du = ctx.drug
    units = du.units if du and du.drug.hcpcs == "J0475" else "(mg / 10, rounded up)"
    for i, _ in ctx.billed(("J0476",)):
        yield Hit(i, {"units": units})


def _mue_excess(ctx: Context, appealable: bool) -> Iterator[Hit]:
    """Codes whose units exceed the MUE; MAI 3 ones when ``appealable``, else MAI 1/2. Indicator 1 counts each
    line on its own; 2 and 3 count the day's lines together."""
    by_code: dict[str, list[tuple[int, int]]] = {}
    for i, ln in enumerate(ctx.lines, 1):
        by_code.setdefault(ln.code, []).append((i, ln.units))
    for code, lines in by_code.items():
        if code in PUMP_SERVICE_CODES and len(lines) == 1:
            continue  # one line: PB201 says it
        result = ctx.edits.official_mue(code, ctx.dos)
        if result is None or result.mue is None or (result.mue_indicator == "3") != appealable:
            continue
        counted = lines if result.mue_indicator == "1" else [(lines[0][0], sum(u for _, u in lines))]
        for line, units in counted:
            if units > result.mue:
                yield Hit(line, {"code": code, "units": units, "dos": ctx.dos.isoformat(), "mue": result.mue,
                                 "mai": result.mue_indicator, "provenance": result.provenance})


_MUE_WHY = ("When the units on a line (for indicators 2 and 3, the day's lines together) exceed the MUE, the "
            "whole line is denied, not reduced to the MUE. Indicator 1 is per line; 2 is per date and absolute "
            "(no appeal); 3 is per date and clinical: it can be appealed with the record.")


@rule("PB210", "mue-exceeded", "error",
      title="Units above the MUE: the whole line is denied",
      message="{code} billed {units} units on {dos}; the MUE is {mue} (adjudication indicator {mai}): "
              "the whole line is denied, not cut back; {provenance}",
      fix="Bill the units the record supports; an indicator 2 MUE is absolute (no appeal), and above an indicator "
          "1 MUE check the payer's rules for reporting the units on separate lines with a modifier",
      what="Units of a code on one date of service above an MUE with adjudication indicator 1 or 2 (the "
           "shipped CMS values, or an official file you load).",
      why=_MUE_WHY,
      correct="Never shorten a line to fit under an MUE: report what the record supports and know that above an "
              "indicator 2 MUE the line will not be paid.",
      source="ncci-mue")
def mue_exceeded(ctx: Context) -> Iterator[Hit]:
    yield from _mue_excess(ctx, appealable=False)


@rule("PB213", "mue-exceeded-appealable", "warning",
      title="Units above an appealable MUE",
      message="{code} billed {units} units on {dos}; the MUE is {mue} (adjudication indicator 3): the whole line "
              "will be denied, not cut back; appeal with the record if the units are right; {provenance}",
      fix="Check the units against the record; if they are right, bill them and appeal the denial with the "
          "documentation (a pump refill holds weeks of drug, which can exceed a per-day MUE)",
      what="Units of a code on one date of service above an MUE with adjudication indicator 3 (clinical, "
           "appealable).",
      why=_MUE_WHY + " A refill fills the pump for weeks or months, so a large but correct drug line can exceed a "
          "per-day MUE: the denial is expected, and the record carries the appeal.",
      correct="Units that match the amount placed in the pump, with the amount, concentration and volume "
              "documented for the appeal.",
      source="ncci-mue", since="0.2.0")
def mue_exceeded_appealable(ctx: Context) -> Iterator[Hit]:
    yield from _mue_excess(ctx, appealable=True)

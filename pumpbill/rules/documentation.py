"""PB5xx: the documentation elements a pump service needs (FACTS section 8). All warnings:
a note that does not mention a detail is an audit risk, not a rejected claim."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .. import facts
from .registry import Context, Hit, rule

SRC = "documentation"
#: pumpbill's own review threshold for a residual discrepancy (not an official number).
RESIDUAL_TOLERANCE_ML = Decimal("1")
RESIDUAL_TOLERANCE_SHARE = Decimal("0.2")


@rule("PB501", "device-not-documented", "warning",
      title="Pump make and model not recorded",
      message="the device is not fully described: {missing} not recorded",
      fix="Record the pump's manufacturer and model (and that it is programmable, and the route)",
      what="A pump service whose note does not name the device (manufacturer and model).",
      why="The device decides the code family (programmable or not; spinal, brain or systemic) and the "
          "refill limits (reservoir size). An auditor checks the code against it.",
      correct="'Medtronic SynchroMed II, 40 mL, programmable, intrathecal.'",
      source=SRC)
def device_not_documented(ctx: Context) -> Iterator[Hit]:
    pump = ctx.enc.pump
    if pump is None or not ctx.enc.services.any:
        return
    missing = [n for n, v in (("manufacturer", pump.manufacturer), ("model", pump.model)) if not v]
    if missing:
        yield Hit(None, {"missing": " and ".join(missing)})


@rule("PB502", "interrogation-findings-missing", "warning",
      title="Interrogation findings not recorded",
      message="electronic analysis documented without its findings: {missing} not recorded",
      fix="Record the reservoir volume, alarm status/history and battery status read from the programmer",
      what="An electronic analysis (interrogation) whose findings are not in the note.",
      why="62367-62370 pay for the analysis itself: reservoir status, alarms, the current prescription "
          "and the battery. A note that says only 'pump interrogated' does not show the work.",
      correct="'Interrogated: reservoir 3.1 mL, no alarms, battery ERI not reached, 400 mcg/day simple continuous.'",
      source=SRC)
def interrogation_findings_missing(ctx: Context) -> Iterator[Hit]:
    pump = ctx.enc.pump
    if not ctx.enc.services.analysis or pump is None or pump.type != "programmable":
        return
    it = ctx.enc.interrogation
    fields = (("reservoir volume", it.reservoir_ml if it else None), ("alarm status", it.alarms if it else None),
              ("battery status", it.battery if it else None))
    missing = [n for n, v in fields if v is None]
    if missing:
        yield Hit(None, {"missing": ", ".join(missing)})


@rule("PB503", "refill-details-missing", "warning",
      title="Refill details missing from the note",
      message="refill documented without {missing}",
      fix="Record the residual volume aspirated (and the expected residual), the lot or NDC, and the port used",
      what="A refill whose note lacks the residual volume, the lot/NDC of the drug, or the port used.",
      why="The residual against the expected volume is the safety check for a pocket fill or a "
          "malfunction; the lot/NDC ties the drug line to what was instilled.",
      correct="'Residual 2.9 mL (expected 3.0). Baclofen 2000 mcg/mL lot A123, 20 mL via central port.'",
      source=SRC)
def refill_details_missing(ctx: Context) -> Iterator[Hit]:
    r = ctx.enc.refill
    if r is None or not ctx.enc.services.refill or ctx.enc.outcome in ("discontinued", "cancelled"):
        return  # nothing was aspirated or instilled
    missing = []
    if r.residual_ml is None:
        missing.append("the residual volume")
    if not r.lot and not r.ndc:
        missing.append("the lot or NDC")
    if not r.port:
        missing.append("the refill port used")
    if missing:
        yield Hit(None, {"missing": ", ".join(missing)})


@rule("PB504", "waste-not-documented", "warning",
      title="Drug waste not documented",
      message="single-dose {drug} bought by the practice, but neither the discarded amount nor a no-waste "
              "attestation is recorded",
      fix="Record the amount discarded (for JW) or that nothing was discarded (for JZ)",
      what="A practice-bought single-dose drug with no record of the discarded amount.",
      why="JZ and JW are attestations: the note must support whichever is billed.",
      correct="'Discarded: 0 mg' (JZ) or 'Discarded: 20 mg' (JW line for 2 units of J0475).",
      source="jw-jz")
def waste_not_documented(ctx: Context) -> Iterator[Hit]:
    r = ctx.enc.refill
    if (r and ctx.enc.services.refill and r.supplied_by == "practice" and r.container == "single_dose"
            and r.discarded is None and r.drug in facts.DRUGS):
        yield Hit(None, {"drug": r.drug})


@rule("PB505", "reprogramming-details-missing", "warning",
      title="Reprogramming details missing from the note",
      message="reprogramming documented without {missing}",
      fix="Record the parameter changed, its old and new values, and the clinical reason",
      what="Reprogramming without the parameter's old and new values or the clinical reason.",
      why="Reprogramming is disputed territory: the note must say exactly what changed and why (pain "
          "scores, spasticity scale, side effects) to support 62368-62370.",
      correct="'Daily dose 400 -> 450 mcg/day for increased lower-limb spasticity (Ashworth 3).'",
      source=SRC)
def reprogramming_details_missing(ctx: Context) -> Iterator[Hit]:
    rp = ctx.enc.reprogramming
    if rp is None or not ctx.enc.services.reprogramming:
        return
    missing = [n for n, v in (("the clinical reason", rp.reason), ("the old value", rp.old_value),
                              ("the new value", rp.new_value)) if not v]
    if missing:
        yield Hit(None, {"missing": ", ".join(missing)})


@rule("PB506", "next-refill-date-missing", "warning",
      title="Next refill date not recorded",
      message="refill documented without the next refill date (or the alarm date)",
      fix="Record the next refill date, set before the low-reservoir alarm date",
      what="A refill note with no next refill date.",
      why="The next date proves the interval was planned from the pump and dose, which is what payers "
          "look at when refills come close together.",
      correct="'Next refill 2026-05-25 (alarm date 2026-05-31).'",
      source=SRC)
def next_refill_date_missing(ctx: Context) -> Iterator[Hit]:
    pump = ctx.enc.pump
    if ctx.enc.services.refill and ctx.enc.next_refill_date is None and pump and pump.type != "portable":
        yield Hit(None, {})


@rule("PB507", "performer-not-documented", "warning",
      title="Who performed or supervised the service is not recorded",
      message="{problem}",
      fix="Record who performed each part of the service and, for clinical staff, the supervising practitioner",
      what="A pump service whose note does not say who performed it, or a staff service with no "
           "supervising practitioner named.",
      why="The performer decides between 62369 and 62370, and 95990 and 95991; incident-to billing "
          "needs the supervising practitioner.",
      correct="'Refill and reprogramming by RN J. Doe under direct supervision of Dr. A. Smith (in suite).'",
      source=SRC)
def performer_not_documented(ctx: Context) -> Iterator[Hit]:
    enc = ctx.enc
    if not enc.services.any:
        return
    if enc.performed_by is None:
        yield Hit(None, {"problem": "the note does not say who performed the pump service"})
    elif (enc.performed_by == "clinical_staff" and not enc.supervising_practitioner
          and not facts.is_facility(enc.place_of_service)):
        yield Hit(None, {"problem": "clinical staff performed the service, but no supervising practitioner is named"})


@rule("PB508", "imaging-reason-missing", "warning",
      title="Reason for imaging guidance not recorded",
      message="{imaging} guidance documented without the reason it was needed",
      fix="Record why imaging was needed (e.g. port could not be located by palpation)",
      what="Imaging used for a refill with no documented reason.",
      why="Routine refills are done by palpation with a template. Guidance without a reason looks "
          "routine, and routine guidance is what payers deny.",
      correct="'Port not palpable (BMI 41); ultrasound used to locate the central port.'",
      source=SRC)
def imaging_reason_missing(ctx: Context) -> Iterator[Hit]:
    if ctx.enc.imaging != "none" and not ctx.enc.imaging_reason:
        yield Hit(None, {"imaging": ctx.enc.imaging})


@rule("PB509", "residual-discrepancy", "warning",
      title="Unexplained difference in the residual volume",
      message="residual {residual} mL vs expected {expected} mL: a difference of {diff} mL needs an explanation",
      fix="Document the discrepancy and what was done about it (residual_note: pocket-fill check, pump evaluation)",
      what="A residual volume that differs from the expected residual by more than pumpbill's review "
           "threshold (1 mL or 20% of the expected volume, whichever is larger; a teaching threshold, not "
           "an official number).",
      why="A residual lower than expected can mean drug was injected into the pocket at the last refill or "
          "the pump over-delivered; higher can mean under-delivery. Either is a safety event to document.",
      correct="'Residual 1.0 mL vs 3.0 expected: pocket-fill symptoms absent; pump log reviewed; neurology informed.'",
      source=SRC, confidence="low")
def residual_discrepancy(ctx: Context) -> Iterator[Hit]:
    r = ctx.enc.refill
    if r is None or r.residual_ml is None or r.expected_residual_ml is None or r.residual_note:
        return
    diff = abs(r.residual_ml - r.expected_residual_ml)
    if diff > max(RESIDUAL_TOLERANCE_ML, r.expected_residual_ml * RESIDUAL_TOLERANCE_SHARE):
        yield Hit(None, {"residual": r.residual_ml, "expected": r.expected_residual_ml, "diff": diff})


@rule("PB510", "physician-reason-missing", "warning",
      title="No reason recorded for the physician doing the service",
      message="{code} billed without a documented reason why the physician/QHP performed it personally",
      fix="Record why the physician/QHP did the work (e.g. a dose titration, a complication, a complex patient) "
          "(physician_reason)",
      what="62370 or 95991 billed when the note does not say why the physician or QHP performed the service.",
      why="The code follows who personally performed the work: there is no simple/complex axis. But the "
          "descriptors say 'requiring the skill of a physician or QHP', and some payers and auditors read that as "
          "a medical-necessity test: a high share of 62370/95991 without a reason is a review trigger.",
      correct="'Refill and titration by Dr. Lee personally: rising spasticity after a dose change last month.'",
      source="physician-skill", since="0.2.0")
def physician_reason_missing(ctx: Context) -> Iterator[Hit]:
    if ctx.enc.physician_reason or ctx.enc.performed_by not in ("physician", "qhp") or not ctx.enc.services.any:
        return
    for i, ln in ctx.billed(facts.PHYSICIAN_CODES):
        yield Hit(i, {"code": ln.code})

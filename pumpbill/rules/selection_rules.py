"""PB0xx: the pump-service code itself (FACTS section 1)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import (
    DISPUTED_REPROGRAMMING_CHANGES,
    FAMILY_CODES,
    PUMP_SERVICE_CODES,
    STRICT_REPROGRAMMING_CHANGES,
    is_facility,
)
from ..selection import SPINAL, effective_reprogramming, is_physician
from .registry import Context, Hit, rule

SRC = "cpt-family"


@rule("PB001", "pump-code-mismatch", "error",
      title="Billed code doesn't match the documented work",
      message="billed {billed}, but the documentation supports {expected}: {why}",
      fix="Bill {expected}, the code the documented work supports",
      what="A billed pump-service code differs from the one code the documented services support "
           "(what was done: analysis, reprogramming, refill; on which pump; by whom).",
      why="Each code in 62367-62370, 95990/95991 and 96521/96522 describes a specific bundle of work. "
          "Billing another level over- or under-states it and is denied or recouped on audit.",
      correct="Choose from the documentation: analysis only 62367; with reprogramming 62368; with "
              "reprogramming and refill 62369 (staff) or 62370 (physician/QHP); refill without "
              "reprogramming 95990 (staff) or 95991 (physician/QHP); systemic pump refill 96522; portable 96521.",
      source=SRC)
def pump_code_mismatch(ctx: Context) -> Iterator[Hit]:
    expected = ctx.selection.service
    if expected is None:
        return
    for i, ln in ctx.billed(PUMP_SERVICE_CODES):
        if ln.code != expected.code:
            yield Hit(i, {"billed": ln.code, "expected": expected.code, "why": "; ".join(expected.reasons)})


@rule("PB002", "refill-code-without-reprogramming", "error",
      title="Reprogramming-and-refill code billed without reprogramming",
      message="{billed} includes reprogramming, but no reprogramming is documented",
      fix="Bill {expected} for a refill without reprogramming",
      what="62369 or 62370 is billed although the note documents no reprogramming.",
      why="62369 and 62370 are analysis *with reprogramming and refill*. Guides that call 62369 a "
          "'simple refill' lead practices to bill it for every refill; without reprogramming the refill "
          "is 95990 (staff) or 95991 (physician/QHP), which already includes the interrogation.",
      correct="Refill without reprogramming: 95990 or 95991, and do not add 62367 for the interrogation.",
      source=SRC, supersedes=("PB001",))
def refill_code_without_reprogramming(ctx: Context) -> Iterator[Hit]:
    if ctx.enc.services.reprogramming:
        return
    expected = "95991" if is_physician(ctx.enc) else "95990"
    for i, ln in ctx.billed(("62369", "62370")):
        yield Hit(i, {"billed": ln.code, "expected": expected})


@rule("PB003", "physician-code-without-physician", "error",
      title="Physician code billed when the physician didn't do the work",
      message="{billed} requires a physician/QHP to perform the service, but the note says: {performer}",
      fix="{fix_text}",
      what="62370 or 95991 is billed when the service was not performed personally by a physician or "
           "other qualified health care professional.",
      why="The code follows who personally performed the work: there is no 'complex refill' axis, so a "
          "difficult refill by a nurse is still the staff code. (The descriptors' words 'requiring the skill of "
          "a physician or QHP' are read by some payers as a medical-necessity test too: see PB510.)",
      correct="Clinical staff performing: 62369 (with reprogramming) or 95990 (without).",
      source=SRC, supersedes=("PB001",))
def physician_code_without_physician(ctx: Context) -> Iterator[Hit]:
    if is_physician(ctx.enc):
        return
    performer = ctx.enc.performed_by or "performer not documented"
    facility_staff = ctx.enc.performed_by == "clinical_staff" and is_facility(ctx.enc.place_of_service)
    for i, ln in ctx.billed(("62370", "95991")):
        staff_code = "62369" if ln.code == "62370" else "95990"
        fix_text = ("Remove the line: in a facility the hospital bills its staff's work" if facility_staff else
                    f"Bill {staff_code}, the code for the same work by clinical staff, or document the "
                    "physician's work")
        yield Hit(i, {"billed": ln.code, "performer": performer, "fix_text": fix_text})


@rule("PB004", "spinal-code-wrong-route", "error",
      title="Spinal pump code billed for a pump that isn't spinal",
      message="{billed} is for intrathecal/epidural pumps, but this pump is {pump}",
      fix="Use the code for this device: 95990/95991 for a brain reservoir, 96522 systemic, 96521 portable",
      what="62367-62370 billed for a pump that is not an implanted intrathecal or epidural pump.",
      why="The 62367-62370 family is limited to spinal (intrathecal/epidural) programmable pumps. Brain "
          "(intraventricular) reservoirs refill with 95990/95991; systemic implanted pumps with 96522; "
          "portable pumps with 96521.",
      correct="Match the code to the device and route.",
      source=SRC, supersedes=("PB001",))
def spinal_code_wrong_route(ctx: Context) -> Iterator[Hit]:
    pump = ctx.enc.pump
    if pump is None or (pump.type != "portable" and pump.route in SPINAL):
        return
    for i, ln in ctx.billed(FAMILY_CODES):
        yield Hit(i, {"billed": ln.code, "pump": f"a {pump.type} {pump.route} pump"})


@rule("PB005", "family-code-nonprogrammable", "error",
      title="Programmable-pump code billed for a non-programmable pump",
      message="{billed} billed for a non-programmable pump, which cannot be analysed or reprogrammed",
      fix="Bill the refill as 95990/95991; nothing else applies to a constant-flow pump",
      what="62367-62370 billed for a non-programmable (constant-flow, e.g. gas-driven) pump.",
      why="62367-62370 apply only to programmable pumps. A constant-flow pump has no electronics to "
          "interrogate or reprogram; its refills are 95990/95991.",
      correct="Refill of a non-programmable spinal pump: 95990 (staff) or 95991 (physician/QHP).",
      source=SRC, supersedes=("PB001",))
def family_code_nonprogrammable(ctx: Context) -> Iterator[Hit]:
    pump = ctx.enc.pump
    if pump is None or pump.type != "nonprogrammable" or pump.route not in SPINAL:
        return
    for i, ln in ctx.billed(FAMILY_CODES):
        yield Hit(i, {"billed": ln.code})


@rule("PB006", "programming-on-nonprogrammable", "warning",
      title="Analysis or reprogramming recorded for a non-programmable pump",
      message="the note documents {what} on a non-programmable pump",
      fix="Correct the note: a constant-flow pump is refilled, not interrogated or reprogrammed",
      what="Electronic analysis or reprogramming documented for a non-programmable pump.",
      why="The documentation contradicts the device: an auditor reads it as either the wrong device or "
          "a template that does not reflect the visit, and both undermine the claim.",
      correct="Document what was actually done to the constant-flow pump (refill, residual volume, rate check).",
      source=SRC)
def programming_on_nonprogrammable(ctx: Context) -> Iterator[Hit]:
    pump, s = ctx.enc.pump, ctx.enc.services
    if pump is None or pump.type != "nonprogrammable":
        return
    done = [n for n, v in (("electronic analysis", s.analysis), ("reprogramming", s.reprogramming)) if v]
    if done:
        yield Hit(None, {"what": " and ".join(done)})


@rule("PB007", "volume-update-as-reprogramming", "warning",
      title="Volume or alarm-date update billed as reprogramming",
      message="{billed} counts '{changes}' as reprogramming; under the strict reading it is not (pumpbill's "
              "default reading; there is no national CMS definition, so check your MAC)",
      fix="Bill {expected}, or document a change to the dose, rate, mode, bolus or concentration and its reason",
      what="A reprogramming code (62368-62370) where the only documented change is one the payer's reading "
           "does not count: updating the reservoir volume or the alarm date after a refill, or an alarm "
           "threshold alone.",
      why="What counts as 'reprogramming' is disputed and there is no national CMS definition. Some "
          "contractors count only changes to the dose, rate or regimen (the AMA's examples); some practices cite "
          "CPT Assistant (2006) and the manufacturer to count the reservoir-volume update. pumpbill defaults to "
          "the strict reading (a new concentration counts under both); payer profiles may differ: check your MAC.",
      correct="Under the strict reading, a refill with only a reservoir-volume update is 95990/95991.",
      source="reprogramming", supersedes=("PB001",))
def volume_update_as_reprogramming(ctx: Context) -> Iterator[Hit]:
    enc = ctx.enc
    if not enc.services.reprogramming or enc.reprogramming is None or effective_reprogramming(enc, ctx.profile):
        return
    svc = ctx.selection.service
    for i, ln in ctx.billed(("62368", "62369", "62370")):
        yield Hit(i, {"billed": ln.code, "changes": ", ".join(enc.reprogramming.changes),
                      "payer": ctx.profile.name, "expected": svc.code if svc else "no pump-service code"})


@rule("PB008", "programming-at-implant", "error",
      title="Pump programming billed with the implant",
      message="{billed} billed with the pump implant (62362), which includes the initial programming",
      fix="Remove {billed}: initial programming is part of 62362",
      what="62367-62370 reported for the initial programming done at the implant session.",
      why="Initial programming of a programmable pump is included in the implant code 62362.",
      correct="Bill 62362 alone for the implant session; 62367-62370 start with later maintenance visits.",
      source="cpt-62362", supersedes=("PB001", "PB108"))
def programming_at_implant(ctx: Context) -> Iterator[Hit]:
    implant = "62362" in ctx.enc.other_procedures or bool(ctx.billed(("62362",)))
    if implant:
        for i, ln in ctx.billed(FAMILY_CODES):
            yield Hit(i, {"billed": ln.code})


@rule("PB009", "pump-service-not-documented", "error",
      title="Pump service billed but not documented",
      message="{billed} billed, but the note documents no pump service",
      fix="Remove {billed}, or document the analysis, reprogramming or refill that was done",
      what="A pump-service code billed when the note records no analysis, reprogramming or refill.",
      why="If it is not documented, it is not billable: the claim cannot be defended on review.",
      correct="Bill only services the note records.",
      source="documentation", supersedes=("PB001",), confidence="high")
def pump_service_not_documented(ctx: Context) -> Iterator[Hit]:
    if ctx.enc.services.any:
        return
    for i, ln in ctx.billed(PUMP_SERVICE_CODES):
        yield Hit(i, {"billed": ln.code})


@rule("PB010", "pump-service-not-billed", "warning",
      title="Documented pump service not billed",
      message="the note supports {expected}, but no pump-service code is billed",
      fix="Add {expected} to the claim",
      what="A documented, billable pump service with no pump-service line on the claim.",
      why="Unbilled documented work is lost revenue, and a drug line without its service may be questioned.",
      correct="Bill the one pump-service code the documentation supports.",
      source=SRC)
def pump_service_not_billed(ctx: Context) -> Iterator[Hit]:
    svc = ctx.selection.service
    if ctx.has_claim and svc is not None and not ctx.billed(PUMP_SERVICE_CODES):
        yield Hit(None, {"expected": svc.code})


@rule("PB011", "alarm-threshold-disputed", "info",
      title="Only an alarm threshold changed: reprogramming is disputed",
      message="only an alarm threshold was changed: not reprogramming under the strict reading (pumpbill's "
              "default), reprogramming under the lenient one; verify with the payer",
      fix="Keep the payer's written position on alarm-setting changes with the claim",
      what="A visit whose only programming change is an alarm threshold (the alarm setting itself, not the "
           "alarm date after a refill).",
      why="The readings disagree here: the strict reading counts changes to the dose, rate, mode, bolus or "
          "concentration; the lenient one counts any programming change. No national CMS definition settles it.",
      correct="Strict reading: a refill with only an alarm-threshold change is 95990/95991; lenient: 62369/62370.",
      source="reprogramming", since="0.2.0")
def alarm_threshold_disputed(ctx: Context) -> Iterator[Hit]:
    rp = ctx.enc.reprogramming
    if (ctx.enc.services.reprogramming and rp is not None and set(rp.changes) & DISPUTED_REPROGRAMMING_CHANGES
            and not set(rp.changes) & STRICT_REPROGRAMMING_CHANGES):
        yield Hit(None, {})

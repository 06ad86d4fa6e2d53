"""PB7xx: place of service and who may bill (FACTS section 2)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import (
    DRUG_CODES,
    FACILITY_DRUG_POS,
    FACILITY_POS,
    FAMILY_CODES,
    HOME_POS,
    INCIDENT_TO_CODES,
    NOC_DRUG_CODES,
    NON_FACILITY_POS,
    PUMP_SERVICE_CODES,
    is_facility,
)
from ..selection import incident_to_barrier
from .registry import Context, Hit, rule


@rule("PB701", "incident-to-code-in-facility", "error",
      title="Incident-to pump code billed in a facility",
      message="{code} billed by a practitioner at POS {pos} (a facility setting); it is not payable to a "
              "practitioner there, the hospital bills it",
      fix="Remove {code} from the professional claim; the facility reports it",
      what="95990, 96521 or 96522 on a practitioner's claim with a facility place of service.",
      why="These codes have PC/TC indicator 5 (incident-to): the fee schedule pays them to a practitioner only "
          "in office-type settings. For hospital outpatients the hospital bills them under OPPS (95990: APC "
          "5694 in CY2025); for inpatients the hospital is paid under the inpatient system (Part A); a SNF "
          "Part A stay falls under consolidated billing.",
      correct="Hospital outpatient refill by hospital staff: no professional line; the hospital bills 95990. "
              "A physician who refilled personally bills 95991 at the facility rate.",
      source="pfs-2026")
def incident_to_code_in_facility(ctx: Context) -> Iterator[Hit]:
    pos = ctx.enc.place_of_service
    if is_facility(pos):
        for i, ln in ctx.billed(INCIDENT_TO_CODES):
            yield Hit(i, {"code": ln.code, "pos": pos})


@rule("PB702", "staff-service-in-facility", "error",
      title="Staff work in a facility billed by the practitioner",
      message="{code} billed by the practitioner for work clinical staff did at POS {pos}; incident-to does not "
              "exist in a facility setting",
      fix="Remove {code}: the facility bills its staff's service; the practitioner bills only work done personally",
      what="A practitioner billing a pump service that clinical staff performed in a facility setting.",
      why="Incident-to billing exists only in office/home-type settings under the practitioner's direct "
          "supervision (Pub 100-02 ch.15 s.60). Hospital staff's work is billed by the hospital.",
      correct="Physician performed it personally in the hospital: bill the code at the facility rate. Staff "
              "performed it: no professional line.",
      source="incident-to", supersedes=("PB001",))
def staff_service_in_facility(ctx: Context) -> Iterator[Hit]:
    pos = ctx.enc.place_of_service
    if is_facility(pos) and ctx.enc.performed_by == "clinical_staff":
        for i, ln in ctx.billed(FAMILY_CODES + ("95991",)):
            yield Hit(i, {"code": ln.code, "pos": pos})


@rule("PB703", "supervision-not-direct", "error",
      title="Incident-to billing without direct supervision",
      message="{code} billed incident-to, but {barrier}",
      fix="Remove {code} (and the drug line): without direct supervision the practitioner cannot bill the staff's "
          "work; document direct supervision (on site, or real-time audio-video) when it was given",
      what="A staff-performed service billed incident-to in an office or home with the supervision documented "
           "as general or none, or as virtual before 2020-03-01.",
      why="Incident-to billing needs the practitioner's direct supervision (Pub 100-02 ch.15 s.60). Virtual "
          "direct supervision by real-time audio-video (never audio-only) counts from 2020-03-01: under the "
          "temporary rules through 2025-12-31 and permanently from 2026-01-01 for services other than "
          "010/090-global surgery, which covers every pump-service code (medium-high).",
      correct="'RN refill; Dr. Smith on site (direct supervision).' or '... Dr. Smith by real-time video.'",
      source="incident-to", confidence="medium-high")
def supervision_not_direct(ctx: Context) -> Iterator[Hit]:
    barrier = incident_to_barrier(ctx.enc)
    if barrier is None or not ctx.enc.services.any:
        return
    for i, ln in ctx.billed(PUMP_SERVICE_CODES + tuple(sorted(DRUG_CODES | set(NOC_DRUG_CODES)))):
        yield Hit(i, {"code": ln.code, "barrier": barrier.split(": ")[0]})


@rule("PB704", "pos-unclassified", "info",
      title="Place of service not classified: payment not checked",
      message="POS {pos} is not in pumpbill's facility or non-facility list; the payment rate was not checked",
      fix="Verify the setting's rate class in CMS Pub 100-04 ch.12 s.20.4.2",
      what="A place-of-service code that pumpbill's setting list (from Pub 100-04 ch.12) does not classify as "
           "facility or non-facility.",
      why="Whether a practitioner may bill 95990/96521/96522, and at which rate, depends on the setting. "
          "pumpbill treats unlisted codes as non-facility and says so.",
      correct="Office: 11. Hospital outpatient: 19 or 22. Inpatient: 21.",
      source="pub100-04-12")
def pos_unclassified(ctx: Context) -> Iterator[Hit]:
    pos = ctx.enc.place_of_service
    if pos not in FACILITY_POS and pos not in NON_FACILITY_POS:
        yield Hit(None, {"pos": pos})


@rule("PB705", "drug-billed-in-facility", "error",
      title="Drug billed by the practitioner in a facility",
      message="{code} on the practitioner's claim at POS {pos}: the facility supplies and bills the drug there",
      fix="Remove the {code} line from the professional claim",
      what="A drug line on the practitioner's claim for a patient who is a hospital inpatient or outpatient, "
           "an ASC patient or a SNF Part A resident (POS 19, 21, 22, 24, 31).",
      why="Drugs for these patients are facility services: the facility furnishes and bills them (hospital "
          "bundling, SSA 1862(a)(14), 42 CFR 410.42). Buy-and-bill drug lines exist only in office and home-type "
          "settings; in a facility the professional claim carries only the practitioner's own service.",
      correct="Physician refill in a hospital outpatient department: 95991 (or 62370) alone on the professional "
              "claim; the hospital bills the drug.",
      source="incident-to", since="0.2.0",
      supersedes=("PB202", "PB203", "PB204", "PB205", "PB208", "PB302", "PB305"))
def drug_billed_in_facility(ctx: Context) -> Iterator[Hit]:
    pos = ctx.enc.place_of_service
    if pos in FACILITY_DRUG_POS:
        for i, ln in ctx.billed(DRUG_CODES | set(NOC_DRUG_CODES)):
            yield Hit(i, {"code": ln.code, "pos": pos})


@rule("PB706", "home-incident-to", "info",
      title="Nurse pump service at home: rarely billable incident-to",
      message="a practice nurse's pump service at home (POS 12) is rarely billable incident-to",
      fix="Bill it incident-to only with the practitioner's direct supervision documented (physically present, or "
          "real-time audio-video where allowed); otherwise the home health agency or pharmacy route applies",
      what="A pump service performed by clinical staff in the patient's home.",
      why="In the home, direct supervision means the practitioner physically present (or virtual as the PFS "
          "rules allow); home-health and home-infusion refills are billed by the agency or pharmacy, outside "
          "the practitioner codes (medium).",
      correct="Check the payer's home-setting rules before billing a home refill incident-to.",
      source="incident-to", since="0.2.0", confidence="medium")
def home_incident_to(ctx: Context) -> Iterator[Hit]:
    enc = ctx.enc
    if enc.place_of_service == HOME_POS and enc.performed_by == "clinical_staff" and enc.services.any:
        yield Hit(None, {})

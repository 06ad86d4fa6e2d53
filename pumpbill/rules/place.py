"""PB7xx: place of service and who may bill (FACTS section 2)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import (
    FACILITY_POS,
    FAMILY_CODES,
    INCIDENT_TO_CODES,
    NON_FACILITY_POS,
    VIRTUAL_DIRECT_SUPERVISION_FROM,
    is_facility,
)
from .registry import Context, Hit, rule


@rule("PB701", "incident-to-code-in-facility", "error",
      message="{code} billed by a practitioner at POS {pos} (a facility setting); it is not payable to a "
              "practitioner there, the hospital bills it",
      fix="Remove {code} from the professional claim; the facility reports it",
      what="95990, 96521 or 96522 on a practitioner's claim with a facility place of service.",
      why="These codes have PC/TC indicator 5 (incident-to): the fee schedule pays them only in office-type "
          "settings. In a hospital the facility bills them under OPPS (95990: APC 5694).",
      correct="Hospital outpatient refill by hospital staff: no professional line; the hospital bills 95990. "
              "A physician who refilled personally bills 95991 at the facility rate.",
      source="pfs-2025")
def incident_to_code_in_facility(ctx: Context) -> Iterator[Hit]:
    pos = ctx.enc.place_of_service
    if is_facility(pos):
        for i, ln in ctx.billed(INCIDENT_TO_CODES):
            yield Hit(i, {"code": ln.code, "pos": pos})


@rule("PB702", "staff-service-in-facility", "error",
      message="{code} billed by the practitioner for work clinical staff did at POS {pos}; incident-to does not "
              "exist in a facility setting",
      fix="Remove {code}: the facility bills its staff's service; the practitioner bills only work done personally",
      what="A practitioner billing a pump service that clinical staff performed in a facility setting.",
      why="Incident-to billing exists only in office/home-type settings under the practitioner's "
          "supervision. Hospital staff's work is billed by the hospital.",
      correct="Physician performed it personally in the hospital: bill the code at the facility rate. Staff "
              "performed it: no professional line.",
      source="supervision-2026", supersedes=("PB001",))
def staff_service_in_facility(ctx: Context) -> Iterator[Hit]:
    pos = ctx.enc.place_of_service
    if is_facility(pos) and ctx.enc.performed_by == "clinical_staff":
        for i, ln in ctx.billed(FAMILY_CODES + ("95991",)):
            yield Hit(i, {"code": ln.code, "pos": pos})


@rule("PB703", "supervision-not-direct", "warning",
      message="clinical staff performed the service under {level} supervision; incident-to billing needs direct "
              "supervision{virtual}",
      fix="Document direct supervision (the practitioner immediately available{virtual}), or do not bill incident-to",
      what="A staff-performed service billed incident-to in an office with general or no supervision recorded, "
           "or with virtual direct supervision before 2026.",
      why="Incident-to requires the billing practitioner's direct supervision. Since 2026, direct "
          "supervision may be virtual (real-time audio-video) for PC/TC-5 codes such as 95990.",
      correct="'RN refill; Dr. Smith on site (direct supervision).'",
      source="supervision-2026")
def supervision_not_direct(ctx: Context) -> Iterator[Hit]:
    enc = ctx.enc
    if (enc.performed_by == "clinical_staff" and enc.services.any and not is_facility(enc.place_of_service)
            and enc.supervision in ("general", "none")):
        virtual = ", in person or, from 2026, by real-time audio-video" if enc.date.year >= 2026 else ""
        yield Hit(None, {"level": enc.supervision, "virtual": virtual})
    elif (enc.performed_by == "clinical_staff" and enc.services.any and not is_facility(enc.place_of_service)
          and enc.supervision == "virtual_direct" and enc.date < VIRTUAL_DIRECT_SUPERVISION_FROM):
        yield Hit(None, {"level": "virtual direct",
                         "virtual": " in person; the reference allows virtual direct supervision from 2026 "
                                    "(for earlier dates, verify with your MAC)"})


@rule("PB704", "pos-unclassified", "info",
      message="POS {pos} is not in pumpbill's facility or non-facility list; the payment rate was not checked",
      fix="Verify the setting's rate class in CMS Pub 100-04 ch.12 s.20.4.2",
      what="A place-of-service code that the reference does not classify as facility or non-facility.",
      why="Whether a practitioner may bill 95990/96521/96522, and at which rate, depends on the setting. "
          "pumpbill treats unlisted codes as non-facility and says so.",
      correct="Office: 11. Hospital outpatient: 19 or 22. Inpatient: 21.",
      source="pub100-04-12")
def pos_unclassified(ctx: Context) -> Iterator[Hit]:
    pos = ctx.enc.place_of_service
    if pos not in FACILITY_POS and pos not in NON_FACILITY_POS:
        yield Hit(None, {"pos": pos})

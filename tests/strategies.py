"""Hypothesis strategies for schema-valid scenarios, shared by the property tests and the fuzz test.

``valid_scenarios()`` with its defaults draws everyday scenarios (dates 2023-2027, ordinary doses);
the fuzz test passes wider strategies (the whole supported date range, tiny and huge quantities at the
input bounds) to the same generator, so both cover the same fields.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from pumpbill import facts
from pumpbill.dates import MAX_DATE, MIN_DATE
from pumpbill.models import KNOWN_CODES

CODES = sorted(KNOWN_CODES)
DX = ["Z45.1", "G80.1", "G89.4", "G35", "G35.A", "T85.610A", "Z45.42", "Z96.41", "Z45.49", "G80", "R25.2"]
POS = sorted(facts.FACILITY_POS | facts.NON_FACILITY_POS | {"99", "02"})
CHANGES = ["daily_dose", "rate", "mode", "bolus", "concentration", "reservoir_volume", "alarm"]
DRUGS = sorted(facts.DRUGS) + ["other"]
MODIFIERS = ["25", "26", "TC", "JZ", "JW", "59", "XU"]


@st.composite
def everyday_concentrations(draw) -> str:
    unit = draw(st.sampled_from(["mg/mL", "mcg/mL"]))
    return f"{draw(st.integers(1, 1000 if unit == 'mg/mL' else 5000))} {unit}"


EVERYDAY_DATES = st.dates(date(2023, 1, 1), date(2027, 12, 31))
EVERYDAY_DOSES = st.integers(1, 2000).map(lambda n: f"{n} mcg")
EVERYDAY_DISCARDS = st.one_of(st.none(), st.sampled_from(["0 mg", "4 mg", "250 mcg", "35 mg"]))
EVERYDAY_VOLUMES = st.decimals("0.1", "60", places=1)
PLAIN_DIAGNOSES = st.sampled_from(DX)
EVERYDAY_UNITS = st.integers(1, 600)


def _clamp(day: date) -> date:
    return min(max(day, MIN_DATE), MAX_DATE)


@st.composite
def valid_scenarios(draw, *, dates: st.SearchStrategy[date] = EVERYDAY_DATES,
                    concentrations: st.SearchStrategy[str] | None = None,
                    doses: st.SearchStrategy[str] = EVERYDAY_DOSES,
                    discards: st.SearchStrategy[str | None] = EVERYDAY_DISCARDS,
                    volumes: st.SearchStrategy[Decimal] = EVERYDAY_VOLUMES,
                    diagnoses: st.SearchStrategy = PLAIN_DIAGNOSES,
                    units: st.SearchStrategy[int] = EVERYDAY_UNITS,
                    max_gap_days: int = 200,
                    max_lines: int = 6) -> dict:
    """A scenario that passes the schema; each keyword widens or narrows one part of the space."""
    concentrations = everyday_concentrations() if concentrations is None else concentrations
    dos = draw(dates)
    services = {k: draw(st.booleans()) for k in ("analysis", "reprogramming", "refill")}
    enc = {
        "date": dos.isoformat(),
        "place_of_service": draw(st.sampled_from(POS)),
        "payer": draw(st.sampled_from(["medicare", "example-commercial"])),
        "performed_by": draw(st.sampled_from([None, "physician", "qhp", "clinical_staff"])),
        "pump": {"type": draw(st.sampled_from(["programmable", "nonprogrammable", "portable"])),
                 "route": draw(st.sampled_from(["intrathecal", "epidural", "intraventricular", "intravenous",
                                                "intra_arterial"]))},
        "services": services,
        "imaging": draw(st.sampled_from(["none", "ultrasound", "fluoroscopy", "ct"])),
        "diagnoses": draw(st.lists(diagnoses, max_size=4, unique_by=lambda d: d if isinstance(d, str) else d["code"])),
    }
    if services["reprogramming"]:
        changes = draw(st.lists(st.sampled_from(CHANGES), min_size=1, max_size=3, unique=True))
        enc["reprogramming"] = {"changes": changes}
    if services["refill"]:
        enc["refill"] = {
            "drug": draw(st.sampled_from(DRUGS)),
            "concentration": draw(concentrations),
            "volume_added_ml": draw(volumes),
            "supplied_by": draw(st.sampled_from(["practice", "pharmacy", "facility"])),
            "container": draw(st.sampled_from(["single_dose", "multi_dose"])),
            "discarded": draw(discards),
            "residual_ml": draw(st.one_of(st.none(), st.decimals("0", "40", places=1))),
            "expected_residual_ml": draw(st.one_of(st.none(), st.decimals("0", "40", places=1))),
            "undiluted": draw(st.one_of(st.none(), st.booleans())),
        }
        if draw(st.booleans()):
            enc["prescription"] = {"daily_dose": draw(doses)}
        before = _clamp(dos - timedelta(days=draw(st.integers(1, max_gap_days))))
        if draw(st.booleans()) and before < dos:
            enc["previous_refill"] = {"date": before.isoformat(),
                                      "volume_ml": draw(st.decimals("0", "40", places=1)),
                                      "daily_dose": draw(doses)}
        after = _clamp(dos + timedelta(days=draw(st.integers(1, max_gap_days))))
        if draw(st.booleans()) and after > dos:
            enc["next_refill_date"] = after.isoformat()
    if draw(st.booleans()):
        enc["em_visit"] = {"performed": True, "separately_identifiable": draw(st.booleans()),
                           "code": draw(st.sampled_from(sorted(facts.EM_CODES))),
                           "diagnoses": draw(st.lists(st.sampled_from(DX), max_size=2))}
    data = {"encounter": enc}
    if draw(st.booleans()):
        data["claim"] = {"lines": draw(st.lists(st.fixed_dictionaries({
            "code": st.sampled_from(CODES),
            "modifiers": st.lists(st.sampled_from(MODIFIERS), max_size=2),
            "units": units,
            "diagnoses": st.lists(st.sampled_from(DX), max_size=3)}), max_size=max_lines))}
    return data

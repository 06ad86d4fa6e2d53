"""Build scenarios in tests without repeating the whole YAML each time."""

from __future__ import annotations

import copy
from typing import Any

from pumpbill.engine import check
from pumpbill.models import Scenario

#: The smallest valid scenario text: a nurse refill with no documentation details (the CLI tests edit it).
MINIMAL_YAML = """\
encounter:
  date: 2026-03-02
  place_of_service: "11"
  performed_by: clinical_staff
  pump: {type: programmable, route: intrathecal}
  services: {refill: true}
  refill: {drug: baclofen, concentration: 2000 mcg/mL, volume_added_ml: 20, discarded: 0 mg}
  diagnoses: [Z45.1, G80.1]
"""

BASE: dict[str, Any] = {
    "encounter": {
        "date": "2026-03-02",
        "place_of_service": "11",
        "performed_by": "clinical_staff",
        "supervising_practitioner": "Dr. Synthetic",
        "supervision": "direct",
        "pump": {"type": "programmable", "route": "intrathecal", "manufacturer": "Medtronic",
                 "model": "SynchroMed II 40 mL"},
        "services": {"analysis": True, "reprogramming": False, "refill": True},
        "interrogation": {"reservoir_ml": 3, "alarms": "none", "battery": "OK"},
        "refill": {"drug": "baclofen", "concentration": "2000 mcg/mL", "volume_added_ml": 20,
                   "supplied_by": "practice", "container": "single_dose", "discarded": "0 mg",
                   "residual_ml": 3, "expected_residual_ml": 3, "lot": "SYN123", "port": "central"},
        "prescription": {"daily_dose": "400 mcg"},
        "next_refill_date": "2026-05-25",
        "diagnoses": ["Z45.1", "G80.1"],
    }
}


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def scenario(encounter: dict | None = None, claim: list[dict] | None = None, **top: Any) -> Scenario:
    data = merge(BASE, {"encounter": encounter or {}})
    if claim is not None:
        data["claim"] = {"lines": claim}
    data.update(top)
    return Scenario.model_validate(data)


def lines(sc: Scenario, **kw: Any) -> list[tuple[str, tuple[str, ...], int]]:
    return [(ln.code, tuple(sorted(ln.modifiers)), ln.units) for ln in check(sc, **kw).recommended]


def fired(sc: Scenario, **kw: Any) -> set[str]:
    return check(sc, **kw).fired()

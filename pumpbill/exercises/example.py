"""The book's example exercise: in no set, so the pages can show the widget, a sample submission and a
worked grade without giving away the answer to any exercise a trainee is asked to solve."""

from __future__ import annotations

from functools import lru_cache

from .models import Exercise

EXAMPLE: dict = {
    "id": "x00-example-quadriplegia-refill",
    "title": "Example: a nurse refill at a low concentration",
    "level": "easy",
    "kind": "choose_claim",
    "objectives": ["Show how the exercises work (this example is in no set)"],
    "narrative": ("A synthetic adult with spastic quadriplegic cerebral palsy came for a baclofen pump refill. "
                  "The clinic nurse interrogated the pump and refilled it; nothing was reprogrammed."),
    "ask": "Which lines does the practice bill, and in which order do the diagnoses go?",
    "scenario": {"encounter": {
        "date": "2026-03-02", "place_of_service": "11", "performed_by": "clinical_staff",
        "supervising_practitioner": "Dr. Synthetic Example", "supervision": "direct",
        "pump": {"type": "programmable", "route": "intrathecal", "manufacturer": "Medtronic",
                 "model": "SynchroMed II 20 mL"},
        "services": {"analysis": True, "reprogramming": False, "refill": True},
        "interrogation": {"reservoir_ml": 2.5, "alarms": "none", "battery": "ERI not reached"},
        "refill": {"drug": "baclofen", "concentration": "500 mcg/mL", "volume_added_ml": 20,
                   "supplied_by": "practice", "container": "single_dose", "discarded": "0 mg",
                   "residual_ml": 2.4, "expected_residual_ml": 2.5, "lot": "SYN-X0001", "port": "central reservoir"},
        "prescription": {"daily_dose": "100 mcg", "mode": "simple continuous"},
        "next_refill_date": "2026-05-25",
        "diagnoses": ["Z45.1", "G80.0"]}},
    "rubric": {"points": {"codes": 5, "modifiers": 1, "units": 2, "diagnoses": 2}},
    "hints": ["Was anything reprogrammed?", "500 mcg/mL times 20 mL is the amount placed in the pump."],
}


@lru_cache(maxsize=1)
def example_exercise() -> Exercise:
    return Exercise.model_validate(EXAMPLE)

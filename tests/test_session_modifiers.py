"""PB311-PB314: modifiers 52/53, 73/74, a cancelled service, and a second pump session the same day."""

from __future__ import annotations

import pytest

from pumpbill.edits import EditData
from pumpbill.rules import REGISTRY
from pumpbill.teaching import DX, MUE_DOS, PTP_DOS, case, on

PORT = "port could not be accessed"
JZ4 = {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": DX}
HOSPITAL = {"drug": "baclofen", "concentration": "2000 mcg/mL", "volume_added_ml": 20, "supplied_by": "facility",
            "container": "single_dose", "lot": "SYN-001", "port": "central reservoir port"}


def line(code, *mods, units=1):
    return {"code": code, "modifiers": list(mods), "units": units, "diagnoses": DX}


def errors(result):
    return {f.rule: f for f in result.findings if f.severity == "error"}


def test_registered_in_the_modifier_family():
    for code in ("PB311", "PB312", "PB313", "PB314"):
        assert REGISTRY[code].family == "modifiers" and REGISTRY[code].severity == "error"
    assert REGISTRY["PB314"].confidence_level == "medium-high"
    assert REGISTRY["PB311"].confidence_level == "medium"


# --- PB311: 73/74 ---------------------------------------------------------------------------------

@pytest.mark.parametrize("mod", ["73", "74"])
def test_facility_modifier_replaced_by_53(mod):
    r = case(base="physician", place_of_service="22", refill=HOSPITAL, outcome="discontinued", outcome_reason=PORT,
             claim=[line("95991", mod)])
    found = errors(r)
    assert set(found) == {"PB311"}  # PB312 does not repeat it
    assert found["PB311"].fix == f"Replace {mod} with 53 on 95991 (discontinued after it started)"


def test_facility_modifier_on_completed_service_is_removed():
    found = errors(case(claim=[line("95990", "74"), JZ4]))
    assert found["PB311"].fix == "Remove 74 from 95990"


def test_right_modifier_in_facility_is_clean():
    r = case(base="physician", place_of_service="22", refill=HOSPITAL, outcome="discontinued", outcome_reason=PORT,
             claim=[line("95991", "53")])
    assert not errors(r)


# --- PB312: 52/53 ---------------------------------------------------------------------------------

def test_discontinued_without_53():
    r = case(base="physician", outcome="discontinued", outcome_reason=PORT, claim=[line("95991")])
    f = errors(r)["PB312"]
    assert f.line == 1 and "53" in f.message and PORT in f.message and f.fix == "Append 53 to 95991"


def test_reduced_without_52_and_swapped():
    assert "52" in errors(case(outcome="reduced", claim=[line("95990"), JZ4]))["PB312"].message
    swapped = errors(case(outcome="reduced", claim=[line("95990", "53"), JZ4]))["PB312"]
    assert swapped.fix == "Replace 53 with 52 on 95990"
    swapped = errors(case(outcome="discontinued", claim=[line("95990", "52")]))["PB312"]
    assert swapped.fix == "Replace 52 with 53 on 95990"


@pytest.mark.parametrize("mod", ["52", "53"])
def test_modifier_on_completed_service(mod):
    f = errors(case(claim=[line("95990", mod), JZ4]))["PB312"]
    assert "completed" in f.message and f.fix.startswith(f"Remove {mod}")


@pytest.mark.parametrize("outcome,mod", [("reduced", "52"), ("discontinued", "53")])
def test_right_modifier_is_clean(outcome, mod):
    claim = [line("95990", mod)] + ([JZ4] if outcome == "reduced" else [])
    r = case(outcome=outcome, outcome_reason="x", claim=claim)
    assert not errors(r)
    assert [ln.public() for ln in r.recommended] == [{k: v for k, v in ln.items() if k != "diagnoses"}
                                                     for ln in claim]


def test_discontinued_trial_needs_53():
    trial = {"code": "62322", "dose": "50 mcg"}
    r = case(services={"analysis": False, "reprogramming": False, "refill": False}, pump=None, trial=trial,
             outcome="discontinued", outcome_reason="could not enter the intrathecal space",
             claim=[line("62322"), line("J0476")])
    assert "PB312" in errors(r)


# --- PB313: cancelled ------------------------------------------------------------------------------

@pytest.mark.parametrize("mods", [[], ["53"], ["73"]])
def test_cancelled_service_billed(mods):
    r = case(outcome="cancelled", outcome_reason="fever", claim=[line("95990", *mods), JZ4])
    found = errors(r)
    assert set(found) == {"PB313"}  # PB311 superseded on the same line
    assert {f.line for f in r.findings if f.rule == "PB313"} == {1, 2}
    assert r.recommended == []


def test_cancelled_nothing_billed_is_clean():
    assert not errors(case(outcome="cancelled", outcome_reason="fever", claim=[]))


def test_discontinued_refill_drug_line():
    r = case(base="physician", outcome="discontinued", outcome_reason=PORT, claim=[line("95991", "53"), JZ4])
    f = errors(r)
    assert set(f) == {"PB313"} and f["PB313"].line == 2 and "no drug line" in f["PB313"].message


# --- PB314: a second session ------------------------------------------------------------------------

@pytest.mark.parametrize("mod", ["76", "77", "59", "XE", "XU"])
def test_same_code_twice_with_a_bypass_modifier(mod):
    r = case(**on(MUE_DOS), same_day_sessions=2, claim=[line("95990"), JZ4, line("95990", mod)])
    f = errors(r)
    assert set(f) == {"PB314"}  # PB101 and PB306 superseded on that line
    assert f["PB314"].line == 3
    assert "MUE of 1 per day, adjudication indicator 3" in f["PB314"].message
    assert "appeal" in f["PB314"].fix and "2 separate sessions" in f["PB314"].message


def test_other_pump_code_at_indicator_0():
    r = case(**on(PTP_DOS), same_day_sessions=2, claim=[line("95990"), JZ4, line("62367", "XE")])
    f = errors(r)
    assert set(f) == {"PB314"}
    assert "95990/62367 is modifier indicator 0" in f["PB314"].message


def test_repeat_modifier_on_the_only_line():
    f = errors(case(claim=[line("95990", "76"), JZ4]))["PB314"]
    assert "one session" in f.message and "no second session" in f.fix


def test_indicator_1_pair_left_to_pb108():
    r = case(**on(PTP_DOS), claim=[line("95990", "59"), JZ4, line("96522")])
    assert "PB314" not in r.fired()


def test_one_line_is_clean_and_notes_the_appeal():
    r = case(same_day_sessions=2, claim=[line("95990"), JZ4])
    assert not r.findings
    assert any("appeal" in n for n in r.selection.notes)


def test_without_the_shipped_tables_the_cpt_instruction_is_named():
    from pumpbill.engine import check
    from pumpbill.loader import scenario_from_data
    from pumpbill.teaching import encounter

    sc = scenario_from_data("x", {"encounter": encounter(same_day_sessions=2),
                                  "claim": {"lines": [line("95990"), JZ4, line("95990", "76")]}})
    f = next(f for f in check(sc, edits=EditData(shipped=False)).findings if f.rule == "PB314")
    assert "CPT" in f.message


def test_59_splitting_one_session_stays_pb306():
    r = case(**on(PTP_DOS), claim=[line("95990"), JZ4, line("62367", "59")])
    assert "PB306" in r.fired() and "PB314" not in r.fired()
    r = case(claim=[line("95990"), JZ4, line("95990", "XE")])  # same code, one session documented
    assert {"PB101", "PB306"} <= r.fired() and "PB314" not in r.fired()

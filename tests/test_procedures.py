"""The procedures around the pump: PB109 (fluoroscopy add-on without a primary), PB218 (the trial bolus's drug
line), PB606 (a pump service inside a global period), and the replacement pair PB108 reports."""

from __future__ import annotations

from datetime import date

import pytest

from pumpbill import cms
from pumpbill.edits import shipped_ptp
from pumpbill.engine import check
from pumpbill.loader import scenario_from_data
from pumpbill.rules.procedures import global_days, global_period, global_window

DX = ["G80.1"]


def _trial(dose: str = "50 mcg", pos: str = "11", supplied_by: str = "practice") -> dict:
    return {"date": "2026-03-02", "place_of_service": pos, "payer": "medicare", "performed_by": "physician",
            "trial": {"code": "62322", "dose": dose, "supplied_by": supplied_by}, "diagnoses": DX}


def _run(enc: dict, lines: list[dict] | None):
    data = {"encounter": enc}
    if lines is not None:
        data["claim"] = {"lines": [{"units": 1, "diagnoses": DX, **ln} for ln in lines]}
    return check(scenario_from_data("t", data))


def _reprogramming(prior: str, dos: str = "2026-03-02", code: str = "62362") -> dict:
    return {"date": dos, "place_of_service": "11", "payer": "medicare", "performed_by": "physician",
            "pump": {"type": "programmable", "route": "intrathecal", "manufacturer": "Medtronic",
                     "model": "SynchroMed II", "reservoir_ml": 20},
            "services": {"analysis": True, "reprogramming": True},
            "interrogation": {"reservoir_ml": 18.6, "alarms": "none", "battery": "normal"},
            "reprogramming": {"changes": ["daily_dose"], "old_value": "100 mcg/day", "new_value": "150 mcg/day",
                              "reason": "spasticity unchanged"},
            "prescription": {"daily_dose": "150 mcg", "mode": "simple continuous"},
            "prior_procedure": {"code": code, "date": prior}, "diagnoses": ["Z45.1", "G80.1"]}


# --- global periods from the shipped CMS fee schedule -------------------------------------------


def test_global_days_of_each_indicator() -> None:
    assert global_days("010") == 10 and global_days("090") == 90 and global_days("000") == 0
    for text in ("XXX", "ZZZ", "YYY", "MMM", ""):
        assert global_days(text) is None


def test_global_period_reads_the_shipped_fee_schedule() -> None:
    for code in ("62350", "62362", "62365"):
        indicator, year = global_period(code, date(2026, 3, 2))
        assert (indicator, year) == (cms.payment(code, 2026).global_period, 2026)
    assert global_period("62351", date(2026, 1, 5))[0] == cms.payment("62351", 2026).global_period
    assert global_period("62367", date(2026, 1, 5))[0] == "XXX"
    assert global_window("62367", date(2026, 1, 5)) is None  # XXX: no period after it


def test_global_period_of_an_unshipped_year_names_the_nearest_year() -> None:
    first = min(cms.payment_years())
    _, year = global_period("62362", date(first - 3, 6, 1))
    assert year == first
    assert global_period("99999", date(2026, 1, 1)) is None


def test_global_window_is_the_day_and_the_days_after() -> None:
    start, end, indicator, _ = global_window("62362", date(2026, 2, 23))
    assert start == date(2026, 2, 23) and (end - start).days == int(indicator)


# --- PB606 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prior", "fires"), [("2026-02-23", True), ("2026-03-02", True),
                                                ("2026-02-20", True), ("2026-02-19", False),
                                                ("2025-12-01", False)])
def test_pb606_window_edges(prior: str, fires: bool) -> None:
    # 010 global: the day of the implant and the 10 days after (2026-02-20 + 10 = 2026-03-02)
    r = _run(_reprogramming(prior), [{"code": "62368", "diagnoses": ["Z45.1", "G80.1"]}])
    assert ("PB606" in r.fired()) is fires


def test_pb606_needs_a_pump_service_and_names_the_year() -> None:
    r = _run(_reprogramming("2026-02-23"), [{"code": "62368", "diagnoses": ["Z45.1", "G80.1"]}])
    f = next(f for f in r.findings if f.rule == "PB606")
    assert f.severity == "warning" and f.confidence == "low"
    assert "CMS PFS 2026" in f.message and "010-day" in f.message and f.line == 1
    assert "PB606" not in _run(_trial(), None).fired()


def test_pb606_catheter_090_global() -> None:
    if cms.payment("62351", 2026).global_period != "090":
        pytest.skip("the shipped global of 62351 changed")
    r = _run(_reprogramming("2026-01-10", code="62351"), [{"code": "62368", "diagnoses": ["Z45.1", "G80.1"]}])
    assert "PB606" in r.fired()


# --- PB218 ---------------------------------------------------------------------------------------


def test_pb218_refill_code_on_a_trial() -> None:
    r = _run(_trial(), [{"code": "62322"}, {"code": "J0475"}])
    f = next(f for f in r.findings if f.rule == "PB218")
    assert f.line == 2 and "J0476 x 1" in f.message and f.fix == "Bill J0476 x 1"
    assert "PB208" not in r.fired()  # one finding on the line, not two


def test_pb218_units_follow_the_dose() -> None:
    rec = _run(_trial("100 mcg"), None).recommended
    assert [(ln.code, ln.units) for ln in rec] == [("62322", 1), ("J0476", 2)]
    wrong = _run(_trial("100 mcg"), [{"code": "62322"}, {"code": "J0476", "units": 3}])
    assert "PB218" in wrong.fired() and "PB213" not in wrong.fired()
    right = _run(_trial("100 mcg"), [{"code": "62322"}, {"code": "J0476", "units": 2}])
    assert "PB218" not in right.fired()


def test_pb218_silent_where_no_drug_line_is_due() -> None:
    # in a hospital outpatient department the facility bills the drug: PB705 says so, not PB218
    r = _run(_trial(pos="22"), [{"code": "62322"}, {"code": "J0475"}])
    assert "PB218" not in r.fired() and "PB705" in r.fired()
    r = _run(_trial(supplied_by="pharmacy"), [{"code": "62322"}, {"code": "J0476"}])
    assert "PB218" not in r.fired() and "PB208" in r.fired()


# --- PB109 and PB106 -----------------------------------------------------------------------------


def _refill(imaging: str = "none") -> dict:
    enc = _reprogramming("2025-12-01")
    enc.update(performed_by="clinical_staff", supervising_practitioner="Dr. A. Rivera", supervision="direct",
               services={"analysis": True, "refill": True}, reprogramming=None, prior_procedure=None,
               refill={"drug": "baclofen", "concentration": "2000 mcg/mL", "volume_added_ml": 20,
                       "supplied_by": "practice", "container": "single_dose", "discarded": "0 mg",
                       "residual_ml": 3.1, "expected_residual_ml": 3.2, "lot": "SYN-B2041",
                       "port": "central reservoir port"},
               prescription={"daily_dose": "400 mcg", "mode": "simple continuous"},
               interrogation={"reservoir_ml": 3.1, "alarms": "none", "battery": "normal"})
    if imaging != "none":
        enc.update(imaging=imaging, imaging_reason="port not palpable")
    return enc


REFILL_LINES = [{"code": "95990", "diagnoses": ["Z45.1", "G80.1"]},
                {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": ["Z45.1", "G80.1"]}]


@pytest.mark.parametrize("code", ["77002", "77003"])
def test_pb109_fires_on_a_fluoroscopy_add_on_and_supersedes_pb106(code: str) -> None:
    r = _run(_refill("fluoroscopy"), [*REFILL_LINES, {"code": code, "diagnoses": ["Z45.1"]}])
    assert "PB109" in r.fired() and "PB106" not in r.fired()
    f = next(f for f in r.findings if f.rule == "PB109")
    assert f.line == 3 and f.severity == "error" and "none of the codes on this claim" in f.message


@pytest.mark.parametrize("code", ["76942", "77012"])
def test_stand_alone_imaging_is_review_not_pb109(code: str) -> None:
    r = _run(_refill("ultrasound"), [*REFILL_LINES, {"code": code, "diagnoses": ["Z45.1"]}])
    assert "PB109" not in r.fired() and "PB106" in r.fired()


def test_pb109_on_a_trial_claim_and_pb106_only_with_a_pump_service() -> None:
    r = _run(_trial(), [{"code": "62322"}, {"code": "J0476"}, {"code": "77003"}])
    assert "PB109" in r.fired() and "PB106" not in r.fired()
    assert "PB106" not in _run(_trial(), [{"code": "62322"}, {"code": "J0476"}, {"code": "76942"}]).fired()


# --- the replacement: removal + implant against the shipped CMS pair -----------------------------


def test_replacement_leaves_the_removal_off_and_pb108_explains() -> None:
    enc = {"date": "2026-03-02", "place_of_service": "22", "payer": "medicare", "performed_by": "physician",
           "other_procedures": ["62365", "62362"], "diagnoses": ["Z45.1", "G80.1"]}
    found = shipped_ptp().lookup("62362", "62365", date(2026, 3, 2))
    assert found.answer == "applies" and found.edit.column1 == "62362" and found.edit.modifier_indicator == "0"
    r = _run(enc, None)
    assert [ln.code for ln in r.recommended] == ["62362"]
    both = _run(enc, [{"code": "62365"}, {"code": "62362"}])
    f = next(f for f in both.findings if f.rule == "PB108")
    assert f.line == 1 and "62362 and 62365" in f.message and "remove 62365" in f.fix
    assert not {"PB109", "PB218", "PB606"} & both.fired()


def test_implant_with_programming_is_pb008() -> None:
    enc = {"date": "2026-03-02", "place_of_service": "22", "payer": "medicare", "performed_by": "physician",
           "other_procedures": ["62362"], "diagnoses": ["G80.1"]}
    r = _run(enc, [{"code": "62362"}, {"code": "62368"}])
    assert "PB008" in r.fired()

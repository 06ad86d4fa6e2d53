"""Complication and problem visits (FACTS section 4, section 5): T85 instead of Z45.1, suspected complications
left uncoded in outpatient settings, a pump that ran dry (underdosing, PB413), opioid codes, and a refill visit
that turns into a separate E/M with modifier 25."""

from __future__ import annotations

import pytest

from pumpbill import facts
from pumpbill.icd import code_set
from pumpbill.rules import REGISTRY
from pumpbill.rules.diagnosis import underdosing_codes, underdosing_reason_codes
from pumpbill.teaching import PHYSICIAN_REFILL, case, codes

ANALYSIS_ONLY = {"services": {"analysis": True, "reprogramming": False, "refill": False}}
DRY_DX = ["Z45.1", "T42.8X6A", "L29.9", "R50.9", "G80.1"]
DRY = {"interrogation": {"reservoir_ml": 0, "alarms": "empty-reservoir alarm logged", "battery": "OK"},
       "refill": {**PHYSICIAN_REFILL["refill"], "residual_ml": 0, "expected_residual_ml": None},
       "diagnoses": DRY_DX}
DRY_CLAIM = [{"code": "95991", "diagnoses": DRY_DX},
             {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": DRY_DX}]
REASON = "refill missed while the patient was an inpatient at another hospital"
EM = {"performed": True, "separately_identifiable": True, "code": "99214",
      "documentation": "separate history and exam of fever and flank swelling; sent to the emergency department",
      "diagnoses": ["R50.9", "R22.2"]}
SUSPECTED_INFECTION = {"code": "T85.735A", "certainty": "suspected"}


def pb4(result) -> set[str]:
    return {r for r in result.fired() if r.startswith("PB4")}


# --- the codes the chapter uses come from the shipped code set -------------------------------------------

@pytest.mark.parametrize("code", ["T85.610A", "T85.620A", "T85.630A", "T85.690A", "T85.735A", "T85.738A",
                                  "T85.840A", "T85.735D", "T85.735S", "T42.8X6A", "T40.2X5A", "T40.415A",
                                  "Z79.891", "R25.2", "G89.29", "R50.9", "L29.9", "R22.2", "R51.9", "M96.1"])
def test_chapter_codes_are_billable(code):
    assert code_set().status(code) == "billable"


def test_family_headers_are_not_billable():
    cs = code_set()
    assert [cs.status(p) for p in facts.COMPLICATION_PREFIXES] == ["header"] * 3
    assert "PB401" in case(base="physician", **ANALYSIS_ONLY, diagnoses=["T85.7", "G80.1"]).fired()


def test_seventh_characters_are_titled_by_the_code_set():
    cs = code_set()
    titles = [cs.description(f"T85.735{c}") for c in "ADS"]
    assert [t.rsplit(", ", 1)[1] for t in titles] == ["initial encounter", "subsequent encounter", "sequela"]


# --- confirmed complications: T85 instead of Z45.1 --------------------------------------------------------

@pytest.mark.parametrize("comp", ["T85.620A", "T85.735A", "T85.840A", "T85.735D"])
def test_confirmed_complication_replaces_z451(comp):
    clean = case(base="physician", **ANALYSIS_ONLY, diagnoses=[comp, "G80.1"])
    assert clean.diagnoses == [comp, "G80.1"] and not pb4(clean)
    both = case(base="physician", **ANALYSIS_ONLY, diagnoses=["Z45.1", comp, "G80.1"],
                claim=[{"code": "62367", "diagnoses": ["Z45.1", comp, "G80.1"]}])
    assert both.diagnoses == [comp, "G80.1"]
    assert "PB405" in both.fired() and not {"PB403", "PB404"} & both.fired()


def test_complication_visit_keeps_the_service_code_of_the_work():
    refill = case(base="physician", diagnoses=["T85.630A", "G80.1"])
    assert codes(refill) == ["95991", "J0475-JZ x4"] and refill.diagnoses == ["T85.630A", "G80.1"]


# --- suspected complications: not coded outside the inpatient hospital ------------------------------------

@pytest.mark.parametrize("certainty", ["suspected", "probable", "rule_out"])
def test_uncertain_complication_is_not_coded(certainty):
    dx = ["Z45.1", "R50.9", "G80.1", {"code": "T85.735A", "certainty": certainty}]
    documented = case(base="physician", diagnoses=dx)
    assert documented.diagnoses == ["Z45.1", "R50.9", "G80.1"]
    assert "PB410" not in documented.fired() and "PB405" not in documented.fired()
    assert any("IV.H" in n for n in documented.selection.notes)
    coded = case(base="physician", diagnoses=dx,
                 claim=[{"code": "95991", "diagnoses": ["T85.735A", "G80.1"]},
                        {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": ["T85.735A", "G80.1"]}])
    assert "PB410" in coded.fired()
    # the suspicion does not silence Z45.1: it is not a documented complication
    assert "PB405" not in coded.fired()


def test_suspected_then_confirmed():
    week1 = case(base="physician", diagnoses=["Z45.1", "R50.9", "G80.1", SUSPECTED_INFECTION])
    week2 = case(base="physician", **ANALYSIS_ONLY, date="2026-03-09", diagnoses=["T85.735A", "G80.1"])
    assert week1.diagnoses[0] == "Z45.1" and week2.diagnoses[0] == "T85.735A"


def test_inpatient_claim_is_not_judged_by_pb410():
    r = case(base="physician", place_of_service="21", diagnoses=["Z45.1", "G80.1", SUSPECTED_INFECTION],
             claim=[{"code": "62367", "diagnoses": ["T85.735A", "G80.1"]}])
    assert "PB410" not in r.fired()


# --- a pump that ran dry: PB413 ------------------------------------------------------------------------

def test_pb413_registered_as_a_medium_warning():
    r = REGISTRY["PB413"]
    assert r.severity == "warning" and r.confidence_level == "medium" and r.source == "underdosing"
    assert len(r.title) <= 70 and r.name == "underdosing-without-reason"


def test_underdosing_without_reason_warns():
    r = case(DRY_CLAIM, base="physician", **DRY)
    hits = [f for f in r.findings if f.rule == "PB413"]
    assert len(hits) == 1 and hits[0].line == 1 and "T42.8X6A" in hits[0].message
    assert r.diagnoses == DRY_DX and codes(r) == ["95991", "J0475-JZ x4"]


def test_underdosing_with_interval_reason_is_clean():
    r = case(DRY_CLAIM, base="physician", **DRY, interval_reason=REASON)
    assert not r.findings


def test_underdosing_reason_as_a_code_counts():
    r = case(base="physician", **{**DRY, "diagnoses": DRY_DX + ["Z91.138"]})
    assert "PB413" not in r.fired()


def test_blank_interval_reason_is_no_reason():
    assert "PB413" in case(base="physician", **DRY, interval_reason="   ").fired()


def test_pb413_reads_the_note_without_a_claim():
    r = case(base="physician", **DRY)
    assert [f.line for f in r.findings if f.rule == "PB413"] == [None]


def test_pb413_quiet_without_underdosing():
    routine = case(base="physician")
    assert "PB413" not in routine.fired()
    adverse = case(base="physician", diagnoses=["Z45.1", "G80.1", "T42.8X5A"])  # adverse effect, not underdosing
    assert "PB413" not in adverse.fired()


def test_pb413_sees_underdosing_coded_only_on_the_claim():
    r = case([{"code": "95991", "diagnoses": ["Z45.1", "T42.8X6A", "G80.1"]},
              {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": ["Z45.1", "G80.1"]}],
             base="physician")
    assert "PB413" in r.fired()


def test_underdosing_codes_follow_the_code_set_titles():
    cs = code_set()
    assert underdosing_codes(["T42.8X6A", "T40.2X6A", "T36.96XA"]) == ["T42.8X6A", "T40.2X6A", "T36.96XA"]
    assert underdosing_codes(["T42.8X5A", "T40.2X5A", "T40.2X1A", "Z45.1", "NOPE", ""]) == []
    sample = [c for c, (leaf, _) in list(cs.codes.items()) if leaf and c.startswith("T4")][:400]
    for c in sample:
        assert (c in underdosing_codes([c])) == cs.description(c).startswith("Underdosing of")


def test_underdosing_reason_codes():
    assert underdosing_reason_codes(["Z91.138", "Z91.128", "Y63.6", "T42.8X6A", "G80.1", "XX"]) == [
        "Z91.138", "Z91.128", "Y63.6"]


# --- opioids ---------------------------------------------------------------------------------------------

def test_long_term_opiate_use_follows_z451():
    morphine = {**PHYSICIAN_REFILL["refill"], "drug": "morphine", "concentration": "10 mg/mL"}
    r = case(base="physician", refill=morphine, prescription={"daily_dose": "4 mg"}, next_refill_date="2026-04-13",
             diagnoses=["M96.1", facts.LONG_TERM_OPIATE_DX, "Z45.1"])
    assert r.diagnoses == ["Z45.1", "M96.1", "Z79.891"]
    assert codes(r)[1].startswith("J2274-JZ")


# --- a refill visit that turns urgent --------------------------------------------------------------------

def test_urgent_evaluation_is_an_em_with_25_and_the_suspicion_is_not_coded():
    r = case(base="physician", em_visit=EM, diagnoses=["Z45.1", "G80.1", SUSPECTED_INFECTION])
    assert codes(r) == ["95991", "J0475-JZ x4", "99214-25"]
    assert r.diagnoses == ["Z45.1", "G80.1"]


def test_urgent_em_mistakes():
    pump = [{"code": "95991", "diagnoses": ["Z45.1", "G80.1"]},
            {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": ["Z45.1", "G80.1"]}]
    dx = ["Z45.1", "G80.1", SUSPECTED_INFECTION]
    no25 = case(pump + [{"code": "99214", "diagnoses": ["R50.9", "R22.2"]}], base="physician", em_visit=EM,
                diagnoses=dx)
    assert no25.fired() == {"PB103"}
    coded = case(pump + [{"code": "99214", "modifiers": ["25"], "diagnoses": ["T85.735A", "R50.9"]}],
                 base="physician", em_visit=EM, diagnoses=dx)
    assert [f.line for f in coded.findings if f.rule == "PB410"] == [3]
    right = case(pump + [{"code": "99214", "modifiers": ["25"], "diagnoses": ["R50.9", "R22.2"]}],
                 base="physician", em_visit=EM, diagnoses=dx)
    assert not right.findings


def test_not_separate_evaluation_is_no_em():
    r = case(base="physician", em_visit={**EM, "separately_identifiable": False},
             diagnoses=["Z45.1", "G80.1", SUSPECTED_INFECTION])
    assert codes(r) == ["95991", "J0475-JZ x4"]

"""Every code-selection path of FACTS section 1 and every drug of section 3."""

from __future__ import annotations

import pytest
from helpers import check, lines, merge, scenario

JZ4 = ("J0475", ("JZ",), 4)
REPROG = {"services": {"reprogramming": True},
          "reprogramming": {"changes": ["daily_dose"], "reason": "spasticity", "old_value": "400", "new_value": "450"}}


@pytest.mark.parametrize(
    ("enc", "expected"),
    [
        # programmable spinal pump
        ({"services": {"refill": False}, "refill": None}, [("62367", (), 1)]),
        (merge(REPROG, {"services": {"refill": False}, "refill": None}), [("62368", (), 1)]),
        (REPROG, [("62369", (), 1), JZ4]),
        ({**REPROG, "performed_by": "physician"}, [("62370", (), 1), JZ4]),
        ({**REPROG, "performed_by": "qhp"}, [("62370", (), 1), JZ4]),
        ({}, [("95990", (), 1), JZ4]),  # refill without reprogramming, analysis included
        ({"performed_by": "physician"}, [("95991", (), 1), JZ4]),
        ({"pump": {"route": "epidural"}}, [("95990", (), 1), JZ4]),
        # strict reading: a reservoir-volume update alone is not reprogramming
        ({"services": {"reprogramming": True}, "reprogramming": {"changes": ["reservoir_volume"]}},
         [("95990", (), 1), JZ4]),
        # non-programmable: refill only
        ({"pump": {"type": "nonprogrammable"}, "services": {"analysis": False}}, [("95990", (), 1), JZ4]),
        ({"pump": {"type": "nonprogrammable"}, "services": {"refill": False}, "refill": None}, []),
        # brain reservoir
        ({"pump": {"route": "intraventricular"}, **REPROG}, [("95990", (), 1), JZ4]),
        # systemic implanted pump and portable pump
        ({"pump": {"route": "intravenous"}}, [("96522", (), 1), JZ4]),
        ({"pump": {"route": "intra_arterial"}, "services": {"refill": False}, "refill": None}, []),
        ({"pump": {"type": "portable", "route": "intravenous"}}, [("96521", (), 1), JZ4]),
    ],
)
def test_pump_service_paths(enc, expected):
    assert lines(scenario(enc)) == expected


def test_lenient_payer_counts_volume_update():
    sc = scenario({"payer": "example-commercial", "services": {"reprogramming": True},
                   "reprogramming": {"changes": ["reservoir_volume"]}})
    assert lines(sc)[0] == ("62369", (), 1)
    assert lines(sc, payer="medicare")[0] == ("95990", (), 1)


@pytest.mark.parametrize("pos", ["19", "21", "22", "23"])
def test_facility_staff_service_is_the_hospitals(pos):
    result = check(scenario({"place_of_service": pos}))
    assert result.recommended == []
    assert result.selection.hospital_bills == "95990"


def test_physician_in_facility_bills_facility_rate_code_without_modifiers():
    result = check(scenario({"place_of_service": "22", "performed_by": "physician", **REPROG}))
    assert [ln.public() for ln in result.recommended][0] == {"code": "62370", "modifiers": [], "units": 1}


def test_incident_to_code_not_payable_in_facility_even_for_physician():
    result = check(scenario({"place_of_service": "22", "performed_by": "physician",
                             "pump": {"route": "intravenous"}}))
    assert result.selection.hospital_bills == "96522" and result.recommended == []


def test_performer_unknown_chooses_staff_code():
    sc = scenario({"performed_by": None, **REPROG})
    assert lines(sc)[0][0] == "62369"


@pytest.mark.parametrize(
    ("drug", "conc", "ml", "expected"),
    [
        ("baclofen", "2000 mcg/mL", 20, ("J0475", 4)),      # 40 mg / 10 mg
        ("baclofen", "500 mcg/mL", 18, ("J0475", 1)),       # 9 mg -> 0.9 -> 1
        ("morphine", "25 mg/mL", 20, ("J2274", 50)),        # 500 mg / 10 mg
        ("ziconotide", "25 mcg/mL", 20, ("J2278", 500)),    # 500 mcg / 1 mcg
        ("hydromorphone", "10 mg/mL", 20, ("J1171", 2000)),  # 200 mg / 0.1 mg
        ("fentanyl", "50 mcg/mL", 20, ("J3010", 10)),       # 1 mg / 0.1 mg
        ("clonidine", "1000 mcg/mL", 20, ("J0735", 20)),    # 20 mg / 1 mg
        ("bupivacaine", "7.5 mg/mL", 20, ("J0665", 300)),   # 150 mg / 0.5 mg
        ("bupivacaine", "7.5 mg/mL", 0.1, ("J0665", 2)),    # 0.75 mg / 0.5 -> 1.5 -> 2
    ],
)
def test_every_drug_units_round_up(drug, conc, ml, expected):
    sc = scenario({"refill": {"drug": drug, "concentration": conc, "volume_added_ml": ml}})
    code, mods, units = lines(sc)[1]
    assert (code, units) == expected and mods == ("JZ",)


def test_facts_example_36_of_40_mg_is_4_units_jz_no_jw():
    sc = scenario({"refill": {"concentration": "2000 mcg/mL", "volume_added_ml": 18, "discarded": "4 mg"}})
    assert lines(sc)[1:] == [("J0475", ("JZ",), 4)]


def test_discard_beyond_rounding_gets_separate_jw_line():
    sc = scenario({"refill": {"concentration": "2000 mcg/mL", "volume_added_ml": 20, "discarded": "20 mg"}})
    assert lines(sc)[1:] == [("J0475", (), 4), ("J0475", ("JW",), 2)]


def test_multi_dose_has_no_jz_or_jw():
    sc = scenario({"refill": {"container": "multi_dose", "discarded": "30 mg"}})
    assert lines(sc)[1:] == [("J0475", (), 4)]


@pytest.mark.parametrize("supplier", ["pharmacy", "facility"])
def test_drug_not_bought_by_practice_has_no_line(supplier):
    assert lines(scenario({"refill": {"supplied_by": supplier}})) == [("95990", (), 1)]


def test_other_drug_gets_no_line_and_a_note():
    result = check(scenario({"refill": {"drug": "other"}}))
    assert [ln.code for ln in result.recommended] == ["95990"]
    assert any("look up its HCPCS" in n for n in result.selection.notes)


def test_residual_is_never_billed():
    sc = scenario({"refill": {"residual_ml": 10}})
    assert lines(sc)[1] == JZ4


@pytest.mark.parametrize(
    ("em", "expected"),
    [
        ({"performed": True, "separately_identifiable": True, "code": "99213"}, ("99213", ("25",), 1)),
        ({"performed": True, "separately_identifiable": False, "code": "99213"}, None),
    ],
)
def test_em_with_25_only_when_separately_identifiable(em, expected):
    got = lines(scenario({"em_visit": em}))
    assert (got[-1] if expected else None) == expected
    if not expected:
        assert all(c != "99213" for c, _, _ in got)


def test_em_without_pump_service_needs_no_25():
    sc = scenario({"services": {"analysis": False, "refill": False}, "refill": None,
                   "em_visit": {"performed": True, "separately_identifiable": True, "code": "99214"}})
    assert lines(sc) == [("99214", (), 1)]


def test_strict_em_payer_requires_own_diagnosis():
    em = {"performed": True, "separately_identifiable": True, "code": "99213"}
    assert "99213" not in [c for c, _, _ in lines(scenario({"payer": "example-commercial", "em_visit": em}))]
    em_own = dict(em, diagnoses=["R51.9"])
    assert lines(scenario({"payer": "example-commercial", "em_visit": em_own}))[-1] == ("99213", ("25",), 1)


@pytest.mark.parametrize(
    ("dx", "expected"),
    [
        (["G80.1", "Z45.1"], ["Z45.1", "G80.1"]),
        (["G89.4"], ["Z45.1", "G89.4"]),
        (["Z45.1", "T85.610A", "G80.1"], ["T85.610A", "G80.1"]),
        (["Z45.42", "G89.4"], ["Z45.1", "G89.4"]),
    ],
)
def test_recommended_diagnosis_order(dx, expected):
    assert check(scenario({"diagnoses": dx})).diagnoses == expected


def test_every_line_carries_its_reasons():
    result = check(scenario(REPROG))
    assert all(ln.reasons for ln in result.recommended)
    assert "clinical staff" in " ".join(result.recommended[0].reasons)

"""The engine reads the shipped CMS tables (FACTS v2 change 6 and 7): payment by the date of service's year,
PTP pairs from the outpatient-hospital table v32.3, MUE values from the practitioner table; and the book's
canonical visits (pumpbill.teaching) are clean claims."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pumpbill import cms, teaching
from pumpbill.edits import EditData, shipped_mue, shipped_ptp

ANALYSIS_ONLY = {"services": {"analysis": True, "reprogramming": False, "refill": False}}


def rules(result) -> dict[str, str]:
    return {f.rule: f.severity for f in result.findings}


def test_canonical_visits_are_clean_claims():
    for base in ("nurse", "physician"):
        recommended = [ln.public() for ln in teaching.case(base=base).recommended]
        result = teaching.case(base=base, claim=[dict(ln, diagnoses=teaching.DX) for ln in recommended])
        assert result.findings == [], (base, [f.rule for f in result.findings])
    assert teaching.codes(teaching.case()) == ["95990", "J0475-JZ x4"]
    assert teaching.codes(teaching.case(base="physician")) == ["95991", "J0475-JZ x4"]


@pytest.mark.parametrize(("dos", "year"), [("2025-12-31", 2025), ("2026-01-01", 2026)])
def test_payment_uses_the_table_of_the_date_of_services_year(dos, year):
    pay = teaching.case(date=dos).to_json()["payment"]
    assert [p["code"] for p in pay] == ["95990"]
    expected = cms.payment("95990", year)
    assert pay[0]["year"] == year and pay[0]["amount"] == str(expected.office)
    assert pay[0]["rate"] == "non-facility" and expected.source.source_file in pay[0]["source"]


def test_payment_uses_the_facility_rate_in_a_facility_and_none_outside_the_shipped_years():
    pay = teaching.case(base="physician", place_of_service="22").to_json()["payment"]
    assert pay == [{"code": "95991", "year": 2026, "rate": "facility",
                    "amount": str(cms.payment("95991", 2026).facility),
                    "source": str(cms.payment("95991", 2026).source)}]
    assert teaching.case(date="2024-06-03").to_json()["payment"] == []


def test_the_shipped_ptp_pair_is_used_by_default_with_its_label_and_professional_claim_note():
    result = teaching.case(**ANALYSIS_ONLY, claim=[{"code": "62367"}, {"code": "36000"}])
    (f,) = [f for f in result.findings if f.rule == "PB108"]
    assert f.line == 2 and "modifier indicator 1" in f.message and "v32.3" in f.message
    assert "practitioner PTP table was not available" in f.message
    # indicator 1: a supported NCCI-associated modifier bypasses it; indicator 0 (69990): nothing does
    assert "PB108" not in rules(teaching.case(**ANALYSIS_ONLY, claim=[{"code": "62367"},
                                                                      {"code": "36000", "modifiers": ["59"]}]))
    assert "PB108" in rules(teaching.case(**ANALYSIS_ONLY, claim=[{"code": "62367"},
                                                                  {"code": "69990", "modifiers": ["59"]}]))
    # without the shipped rows, nothing is invented
    assert EditData(shipped=False).official_pair("62367", "36000", teaching.case().scenario.encounter.date) is None


def test_specific_rules_explain_their_own_pairs_without_a_second_ptp_finding():
    both = teaching.case(services={"analysis": True, "reprogramming": True, "refill": True},
                         reprogramming=teaching.DOSE_UP, claim=[{"code": "62369"}, {"code": "95990"}])
    fired = rules(both)
    assert "PB102" in fired and "PB108" not in fired
    (f,) = [f for f in both.findings if f.rule == "PB102"]
    assert "modifier indicator 0" in f.message and "v32.3" in f.message
    implant = teaching.case(**ANALYSIS_ONLY, other_procedures=["62362"],
                            claim=[{"code": "62362"}, {"code": "62367"}])
    assert "PB008" in rules(implant) and "PB108" not in rules(implant)


def test_teaching_table_keeps_only_pairs_the_cms_rows_do_not_cover_and_shows_no_indicator():
    teach = EditData().teaching
    for (a, b), edits in teach.edits.items():
        assert shipped_ptp().lookup(a, b, teaching.case().scenario.encounter.date).answer != "applies", (a, b)
        assert all(e.modifier_indicator == "CPT" for e in edits)
    assert "not NCCI data" in teach.name


def test_shipped_mue_values_are_the_cms_practitioner_rows():
    table = shipped_mue()
    for code in ("62367", "62368", "62369", "62370", "95990", "95991", "96522"):
        assert table.values[code] == (1, "3") == (cms.mue(code).value, cms.mue(code).mai)
    assert table.values["J0475"] == (cms.mue("J0475").value, "3")
    assert "J0665" not in table.values  # not in the MAI-3 table: unknown, never invented


def test_a_correct_drug_line_above_its_mue_is_a_warning_and_a_note_not_an_error():
    big = teaching.case(refill=dict(teaching.REFILL, drug="hydromorphone", concentration="10 mg/mL"))
    (line,) = [ln for ln in big.recommended if ln.code == "J1171"]
    assert line.units == 2000 > cms.mue("J1171").value
    assert any("whole line will be denied" in n for n in big.selection.notes)
    billed = teaching.case(refill=dict(teaching.REFILL, drug="hydromorphone", concentration="10 mg/mL"),
                           claim=[{"code": "95990", "diagnoses": teaching.DX},
                                  {"code": "J1171", "modifiers": ["JZ"], "units": 2000, "diagnoses": teaching.DX}])
    # PB807 (info) only reminds that intrathecal hydromorphone is off-label: coverage is the MAC's call.
    assert rules(billed) == {"PB213": "warning", "PB807": "info"}


def test_check_json_carries_the_payment_list(tmp_path):
    f = tmp_path / "s.json"
    f.write_text(json.dumps({"encounter": teaching.encounter()}))
    out = subprocess.run([sys.executable, "-m", "pumpbill", "check", str(f), "--format", "json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["payment"][0]["code"] == "95990" and data["payment"][0]["year"] == 2026


def test_99211_with_a_nurse_refill_needs_its_own_problem():
    """FACTS s.5: the nurse's visit is the refill; a 99211 needs its own separately identifiable problem."""
    own = {"performed": True, "separately_identifiable": True, "code": "99211", "diagnoses": ["R03.0"],
           "documentation": "elevated blood pressure reading: rechecked, recorded, physician informed"}
    bare = dict(own, diagnoses=[])
    assert teaching.codes(teaching.case(em_visit=own))[-1] == "99211-25"
    assert "99211" not in " ".join(teaching.codes(teaching.case(em_visit=bare)))
    claim = [{"code": "95990", "diagnoses": teaching.DX},
             {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": teaching.DX},
             {"code": "99211", "modifiers": ["25"], "diagnoses": ["R03.0"]}]
    assert "PB107" not in rules(teaching.case(em_visit=own, claim=claim))
    assert rules(teaching.case(em_visit=bare, claim=claim)).get("PB107") == "warning"


def test_mue_indicator_1_counts_each_line_and_2_the_day(tmp_path):
    """NCCI: MAI 1 is a claim-line edit; MAI 2 and 3 add up the date of service's lines."""
    from pumpbill.edits import load_mue
    from pumpbill.engine import check
    from pumpbill.loader import scenario_from_data

    def mue_file(mai: str):
        f = tmp_path / f"mue{mai}.txt"
        f.write_text(f"SYNTHETIC TEST ROWS, NOT CMS DATA\nJ0475\t4\t{mai} Line Edit\tSynthetic\n")
        return EditData(mue=[load_mue(f, valid_from=teaching.case().scenario.encounter.date,
                                      valid_to=teaching.case().scenario.encounter.date)])

    claim = [{"code": "95990", "diagnoses": teaching.DX},
             {"code": "J0475", "modifiers": ["JZ"], "units": 3, "diagnoses": teaching.DX},
             {"code": "J0475", "modifiers": ["JZ"], "units": 3, "diagnoses": teaching.DX}]
    data = {"encounter": teaching.encounter(), "claim": {"lines": claim}}
    per_line = check(scenario_from_data("x", data), edits=mue_file("1"))
    per_day = check(scenario_from_data("x", data), edits=mue_file("2"))
    assert "PB210" not in rules(per_line)
    (f,) = [f for f in per_day.findings if f.rule == "PB210"]
    assert f.line == 2 and "6 units" in f.message


def test_96521_on_two_lines_is_judged_by_its_mue_not_the_spinal_one_code_rule():
    portable = {"pump": {"type": "portable", "route": "intravenous", "manufacturer": "x", "model": "y"},
                "refill": dict(teaching.REFILL, supplied_by="pharmacy")}
    two = teaching.case(claim=[{"code": "96521", "diagnoses": teaching.DX},
                               {"code": "96521", "diagnoses": teaching.DX}], **portable)
    assert "PB101" not in rules(two)
    assert cms.mue("96521").value >= 2 and "PB213" not in rules(two) and "PB210" not in rules(two)
    spinal = teaching.case(claim=[{"code": "95990", "diagnoses": teaching.DX},
                                  {"code": "95990", "diagnoses": teaching.DX}])
    assert rules(spinal)["PB101"] == "error"


def test_pb804_stays_silent_where_the_facility_bills_the_drug():
    commercial = teaching.case(base="physician", payer="example-commercial", place_of_service="22",
                               claim=[{"code": "95991"}, {"code": "J0475", "units": 4}])
    assert "PB705" in rules(commercial) and "PB804" not in rules(commercial)

"""FACTS.md version 2: every change the engine can check, each with a scenario that triggers the right
rule or recommendation and one that does not.

Sections follow "Changes in version 2" at the end of shared/domain/FACTS.md (numbers in the test names),
and the engine items of the v2 engine notes (drug in a facility, direct supervision, uncertain diagnoses,
reprogramming, J1170/J1171, JZ/JW by payer, MUEs, PTP provenance, payment by year, refill plan,
"requiring skill"). Scenarios are variants of the canonical synthetic visits in ``pumpbill.teaching``.
Not checked here because the engine has no rule for them: the sequelae order (I.B.10), the JW container
size, compounded drugs/NDC, coverage/ABN modifiers, modifiers 52/53/73/74 and home-health billing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import pumpbill
from pumpbill import cms, facts
from pumpbill.docs import rule_markdown
from pumpbill.edits import EditData, load_mue
from pumpbill.engine import CheckResult, check
from pumpbill.facts import SOURCES
from pumpbill.intervals import plan, supplied_undiluted
from pumpbill.loader import scenario_from_data
from pumpbill.quantities import Amount, Concentration
from pumpbill.rules import REGISTRY
from pumpbill.teaching import DOSE_UP, DX, REFILL, case, codes, encounter

SERVICE = {"code": "95990", "diagnoses": DX}
PHYS_SERVICE = {"code": "95991", "diagnoses": DX}
DRUG_JZ = {"code": "J0475", "modifiers": ["JZ"], "units": 4, "diagnoses": DX}
DRUG_PLAIN = {"code": "J0475", "units": 4, "diagnoses": DX}
FACILITY_DRUG_POS = ["19", "21", "22", "24", "31"]
DRUG_CODES = facts.DRUG_CODES


def fired(result: CheckResult) -> dict[str, list]:
    """rule -> [(severity, line)] of every finding."""
    out: dict[str, list] = {}
    for f in result.findings:
        out.setdefault(f.rule, []).append((f.severity, f.line))
    return out


def finding(result: CheckResult, rule: str):
    hits = [f for f in result.findings if f.rule == rule]
    assert hits, f"{rule} did not fire: {[(f.rule, f.message) for f in result.findings]}"
    return hits[0]


def notes(result: CheckResult) -> str:
    return " | ".join(result.selection.notes)


def on(day: str, **over: Any) -> dict[str, Any]:
    """A visit on another date, its next refill 84 days later (inside the 90-day baclofen alarm)."""
    d = date.fromisoformat(day)
    return {"date": day, "next_refill_date": (d + timedelta(days=84)).isoformat(), **over}


def with_refill(**over: Any) -> dict[str, Any]:
    return {**REFILL, **over}


# --- 1. Drugs in a facility (POS 19, 21, 22, 24, 31) are never on the practitioner's claim ------------


@pytest.mark.parametrize("pos", FACILITY_DRUG_POS)
def test_1_no_drug_line_recommended_in_a_facility(pos: str) -> None:
    """The physician bought the drug (supplied_by practice) and refilled personally: still no drug line."""
    r = case(base="physician", place_of_service=pos)
    assert codes(r) == ["95991"]
    assert not {ln.code for ln in r.recommended} & DRUG_CODES
    assert "the facility supplies and bills the drug" in notes(r)


@pytest.mark.parametrize("pos", FACILITY_DRUG_POS)
def test_1_drug_billed_in_a_facility_is_pb705(pos: str) -> None:
    r = case([PHYS_SERVICE, DRUG_JZ], base="physician", place_of_service=pos)
    assert fired(r)["PB705"] == [("error", 2)]
    assert f"POS {pos}" in finding(r, "PB705").message
    assert "PB208" not in fired(r) and "PB302" not in fired(r)  # PB705 says it


def test_1_facility_supplied_drug_billed_is_pb705_not_pb208() -> None:
    r = case([PHYS_SERVICE, DRUG_JZ], base="physician", place_of_service="22",
             refill=with_refill(supplied_by="facility"))
    assert fired(r)["PB705"] == [("error", 2)] and "PB208" not in fired(r)


def test_1_office_drug_line_is_recommended() -> None:
    r = case([PHYS_SERVICE, DRUG_JZ], base="physician", place_of_service="11")
    assert codes(r) == ["95991", "J0475-JZ x4"]
    assert "PB705" not in fired(r)
    assert not [f for f in r.findings if f.severity == "error"]


def test_1_staff_refill_in_a_hospital_outpatient_department_has_no_professional_line() -> None:
    r = case([DRUG_JZ], place_of_service="22")
    assert r.recommended == [] and r.selection.hospital_bills == "95990"
    assert "PB705" in fired(r)


def test_12_inpatient_is_part_a_not_opps() -> None:
    inpatient = notes(case(place_of_service="21"))
    assert "inpatient system (Part A), not OPPS" in inpatient
    assert "(OPPS)" in notes(case(place_of_service="22"))
    assert "consolidated billing" in notes(case(place_of_service="31"))


# --- 3. Incident-to needs direct supervision; virtual direct counts from 2020-03-01 -------------------


@pytest.mark.parametrize("supervision", ["none", "general"])
def test_3_no_incident_to_line_without_direct_supervision(supervision: str) -> None:
    r = case([SERVICE, DRUG_JZ], supervision=supervision)
    assert r.recommended == []
    assert "needs direct supervision" in notes(r)
    assert fired(r)["PB703"] == [("error", 1), ("error", 2)]  # the service and the drug line


def test_3_direct_supervision_is_billable() -> None:
    r = case([SERVICE, DRUG_JZ], supervision="direct")
    assert codes(r) == ["95990", "J0475-JZ x4"] and "PB703" not in fired(r)


@pytest.mark.parametrize("day", ["2020-03-01", "2023-06-15", "2025-12-31", "2026-01-01", "2026-03-02"])
def test_3_virtual_direct_supervision_counts_from_2020_03_01(day: str) -> None:
    r = case([SERVICE], supervision="virtual_direct", **on(day))
    assert codes(r)[0] == "95990" and "PB703" not in fired(r)


@pytest.mark.parametrize("day", ["2019-06-03", "2020-02-29"])
def test_3_virtual_supervision_before_2020_03_01_is_not_direct(day: str) -> None:
    r = case([SERVICE], supervision="virtual_direct", **on(day))
    assert r.recommended == []
    assert "before 2020-03-01" in notes(r)
    assert fired(r)["PB703"] == [("error", 1)]


def test_3_physician_performed_service_needs_no_supervision() -> None:
    r = case([PHYS_SERVICE, DRUG_JZ], base="physician")
    assert codes(r) == ["95991", "J0475-JZ x4"] and "PB703" not in fired(r)


def test_3_staff_refill_at_home_is_pb706() -> None:
    home = case([SERVICE, DRUG_JZ], place_of_service="12")
    assert fired(home)["PB706"] == [("info", None)]
    assert codes(home) == ["95990", "J0475-JZ x4"]  # direct supervision at home: billable, rarely done
    assert "PB706" not in fired(case([SERVICE, DRUG_JZ], place_of_service="11"))
    assert "PB706" not in fired(case([PHYS_SERVICE, DRUG_JZ], base="physician", place_of_service="12"))


# --- 2. Diagnoses: uncertain complications, T85.6-/7-/8-, G89.3, Z51.11 ------------------------------


@pytest.mark.parametrize("certainty", ["suspected", "probable", "rule_out"])
def test_2_uncertain_complication_is_not_coded(certainty: str) -> None:
    dx = ["Z45.1", {"code": "T85.630A", "certainty": certainty}, "G80.1"]
    r = case(diagnoses=dx)
    assert r.diagnoses == ["Z45.1", "G80.1"]
    assert "T85.630A" in notes(r) and "signs and symptoms" in notes(r) and "IV.H" in notes(r)
    billed = case([{"code": "95990", "diagnoses": ["T85.630A", "G80.1"]}, DRUG_JZ], diagnoses=dx)
    assert fired(billed)["PB410"] == [("error", 1)]
    assert "PB405" not in fired(billed)


def test_2_uncertain_complication_left_off_the_claim_is_clean() -> None:
    dx = ["Z45.1", "R25.2", "G80.1", {"code": "T85.630A", "certainty": "suspected"}]
    r = case([{"code": "95990", "diagnoses": ["Z45.1", "R25.2", "G80.1"]}, DRUG_JZ], diagnoses=dx)
    assert "PB410" not in fired(r) and "PB405" not in fired(r)
    assert r.diagnoses == ["Z45.1", "R25.2", "G80.1"]


@pytest.mark.parametrize("comp", ["T85.630A", "T85.840A", "T85.735A"])
def test_2_confirmed_complication_replaces_z451(comp: str) -> None:
    r = case(diagnoses=["Z45.1", comp, "G80.1"])
    assert r.diagnoses == [comp, "G80.1"]
    with_z = case([{"code": "95990", "diagnoses": ["Z45.1", comp, "G80.1"]}, DRUG_JZ],
                  diagnoses=["Z45.1", comp, "G80.1"])
    assert fired(with_z)["PB405"] == [("error", 1)]
    right = case([{"code": "95990", "diagnoses": [comp, "G80.1"]}, {**DRUG_JZ, "diagnoses": [comp, "G80.1"]}],
                 diagnoses=[comp, "G80.1"])
    assert not {"PB405", "PB403", "PB404"} & set(fired(right))


def test_2_g89_3_needs_the_neoplasm() -> None:
    bad = case([{"code": "95990", "diagnoses": ["Z45.1", "G89.3"]}], diagnoses=["Z45.1", "G89.3"])
    assert fired(bad)["PB411"] == [("error", 1)]
    good = case([{"code": "95990", "diagnoses": ["Z45.1", "G89.3", "C79.51"]}], diagnoses=["Z45.1", "G89.3", "C79.51"])
    assert "PB411" not in fired(good)


HAI_PUMP = {"type": "nonprogrammable", "route": "intra_arterial", "manufacturer": "Codman", "model": "3000"}


def hai(chemotherapy: bool, dx: list[str], claim_dx: list[str] | None = None) -> CheckResult:
    refill = {"drug": "other", "concentration": "3 mg/mL", "volume_added_ml": 30, "supplied_by": "pharmacy",
              "residual_ml": 2.8, "expected_residual_ml": 3.0, "lot": "SYN-F", "port": "central reservoir port",
              "chemotherapy": chemotherapy}
    claim = [{"code": "96522", "diagnoses": claim_dx}] if claim_dx is not None else None
    return case(claim, pump=HAI_PUMP, services={"refill": True}, refill=refill, prescription=None,
                interrogation=None, next_refill_date="2026-03-16", diagnoses=dx)


def test_2_chemotherapy_refill_lists_z51_11_first() -> None:
    r = hai(True, ["Z45.1", "C78.7", "C18.9"], ["Z45.1", "C78.7", "C18.9"])
    assert codes(r) == ["96522"]
    assert r.diagnoses[:3] == ["Z51.11", "C78.7", "C18.9"]
    assert fired(r)["PB412"] == [("warning", 1)]
    good = hai(True, ["Z51.11", "C78.7", "C18.9"], ["Z51.11", "C78.7", "C18.9"])
    assert "PB412" not in fired(good) and not [f for f in good.findings if f.severity == "error"]


def test_2_systemic_refill_without_chemotherapy_keeps_z451() -> None:
    r = hai(False, ["Z45.1", "C78.7", "C18.9"], ["Z45.1", "C78.7", "C18.9"])
    assert r.diagnoses[0] == "Z45.1" and "PB412" not in fired(r)


# --- 4. Reprogramming: no reading is Medicare's; concentration counts; the alarm threshold is disputed ---


def reprogrammed(changes: list[str], payer: str = "medicare", claim=None, base: str = "nurse") -> CheckResult:
    return case(claim, base=base, payer=payer, services={"analysis": True, "reprogramming": True, "refill": True},
                reprogramming={"changes": changes, "reason": "documented reason", "old_value": "old",
                               "new_value": "new"})


@pytest.mark.parametrize("base,code", [("nurse", "62369"), ("physician", "62370")])
def test_4_new_concentration_is_reprogramming(base: str, code: str) -> None:
    r = reprogrammed(["concentration"], base=base)
    assert codes(r)[0] == code
    assert "PB011" not in fired(r) and "PB007" not in fired(r)


@pytest.mark.parametrize("changes", [["reservoir_volume"], ["alarm_date"], ["reservoir_volume", "alarm_date"]])
def test_4_volume_or_alarm_date_update_alone_is_not_reprogramming(changes: list[str]) -> None:
    r = reprogrammed(changes)
    assert codes(r)[0] == "95990"
    assert "strict reading" in " ".join(r.selection.service.reasons)
    assert "PB011" not in fired(r)
    billed = reprogrammed(changes, claim=[{"code": "62369", "diagnoses": DX}, DRUG_JZ])
    assert fired(billed)["PB007"] == [("warning", 1)]


def test_4_alarm_threshold_alone_is_disputed() -> None:
    strict = reprogrammed(["alarm"])
    assert codes(strict)[0] == "95990" and fired(strict)["PB011"] == [("info", None)]
    lenient = reprogrammed(["alarm"], payer="example-commercial")
    assert codes(lenient)[0] == "62369" and fired(lenient)["PB011"] == [("info", None)]
    assert "PB801" in fired(lenient)
    with_dose = reprogrammed(["daily_dose", "alarm"])
    assert codes(with_dose)[0] == "62369" and "PB011" not in fired(with_dose)


def test_4_no_reading_is_called_medicares() -> None:
    for rule in REGISTRY.values():
        for key, text in rule.describe().items():
            if isinstance(text, str):
                assert "Medicare's" not in text and "Medicare\u2019s" not in text, f"{rule.code}.{key}: {text}"
    from pumpbill.payers import get_profile

    medicare = get_profile("medicare")
    assert medicare.reprogramming_reading == "strict"
    assert "no national CMS definition" in medicare.description
    r = reprogrammed(["reservoir_volume"], claim=[{"code": "62369", "diagnoses": DX}])
    assert "strict reading" in finding(r, "PB007").message and "Medicare's" not in finding(r, "PB007").message


# --- 5. J1170 terminated 2024-09-30, J1171 from 2024-10-01 ------------------------------------------


def hydromorphone(day: str, claim=None) -> CheckResult:
    """18 mL of 1 mg/mL = 18 mg: J1170 (up to 4 mg) x 5, rounded up; J1171 (0.1 mg) x 180."""
    return case(claim, refill=with_refill(drug="hydromorphone", concentration="1 mg/mL", volume_added_ml=18),
                prescription={"daily_dose": "0.2 mg"}, **on(day))


def test_5_hcpcs_dates_come_from_the_shipped_file() -> None:
    assert facts.J1170_TERMINATED == date(2024, 9, 30) == cms.hcpcs("J1170").term_date
    assert facts.J1171_FIRST_DOS == date(2024, 10, 1) == cms.hcpcs("J1171").add_date
    assert cms.hcpcs("J1171").term_date is None


def test_5_recommended_code_by_date_of_service() -> None:
    assert codes(hydromorphone("2024-09-30"))[1] == "J1170-JZ x5"
    assert codes(hydromorphone("2024-10-01"))[1] == "J1171-JZ x180"


def test_5_j1171_before_its_add_date_is_pb212() -> None:
    r = hydromorphone("2024-09-30", [SERVICE, {"code": "J1171", "modifiers": ["JZ"], "units": 180}])
    assert fired(r)["PB212"] == [("error", 2)] and "PB205" not in fired(r) and "PB206" not in fired(r)
    ok = hydromorphone("2024-09-30", [SERVICE, {"code": "J1170", "modifiers": ["JZ"], "units": 5}])
    assert not {"PB206", "PB212", "PB205", "PB202"} & set(fired(ok))


def test_5_j1170_after_its_termination_is_pb206() -> None:
    r = hydromorphone("2024-10-01", [SERVICE, {"code": "J1170", "modifiers": ["JZ"], "units": 5}])
    assert fired(r)["PB206"] == [("error", 2)] and "PB205" not in fired(r) and "PB212" not in fired(r)
    ok = hydromorphone("2024-10-01", [SERVICE, {"code": "J1171", "modifiers": ["JZ"], "units": 180}])
    assert not {"PB206", "PB212", "PB205", "PB202"} & set(fired(ok))


# --- 6. Payment: the table of the date of service's year ----------------------------------------------

#: FACTS section 2: code -> (2026 work RVU, office $, facility $ or None), (2025 ...)
PAYMENT = {
    "62367": (("0.47", "33.40", "21.38"), ("0.48", "31.05", "23.61")),
    "62368": (("0.65", "46.43", "29.39"), ("0.67", "43.34", "32.99")),
    "62369": (("0.65", "97.20", "29.73"), ("0.67", "88.63", "33.32")),
    "62370": (("0.88", "97.20", "39.41"), ("0.90", "88.95", "44.31")),
    "95990": (("0.00", "98.20", None), ("0.00", "84.42", None)),
    "95991": (("0.75", "115.90", "33.73"), ("0.77", "105.77", "37.85")),
    "96521": (("0.21", "143.62", None), ("0.21", "114.18", None)),
    "96522": (("0.21", "125.25", None), ("0.21", "108.36", None)),
}


@pytest.mark.parametrize("code", sorted(PAYMENT))
def test_6_payment_by_year_of_service(code: str) -> None:
    for day, (work, office, facility), year, cf in ((date(2026, 1, 1), PAYMENT[code][0], 2026, "33.4009"),
                                                    (date(2025, 12, 31), PAYMENT[code][1], 2025, "32.3465")):
        p = cms.payment(code, day)
        assert p is not None and p.year == year and p.conversion_factor == Decimal(cf)
        assert (p.work_rvu, p.office) == (Decimal(work), Decimal(office))
        assert p.facility == (Decimal(facility) if facility else None)
        assert p.global_period == "XXX" and p.pctc == (5 if code in facts.INCIDENT_TO_CODES else 0)
        assert str(p.source).startswith("CMS ")
    assert cms.payment(code, date(2024, 6, 1)) is None  # no table shipped: never a guessed figure


def test_6_payment_table_module_is_gone_from_facts() -> None:
    assert not hasattr(facts, "PAYMENT_2025")
    assert cms.conversion_factor(2026) == Decimal("33.4009") and cms.conversion_factor(2025) == Decimal("32.3465")


# --- 7. PTP pairs and MUEs from the CMS tables; MUE excess denies the whole line; E/M without 25 at risk ---


def test_7_ptp_provenance_is_named_for_62369_with_95990() -> None:
    r = case([{"code": "62369", "diagnoses": DX}, SERVICE, DRUG_JZ],
             services={"analysis": True, "reprogramming": True, "refill": True}, reprogramming=DOSE_UP)
    msg = finding(r, "PB102").message
    assert "CMS NCCI outpatient-hospital PTP table v32.3" in msg and "modifier indicator 0" in msg
    assert "practitioner PTP table was not available" in msg
    assert finding(r, "PB102").severity == "error"


def test_7_official_rows_take_precedence_over_the_teaching_table() -> None:
    edits = EditData()
    for a, b, mi in [("62369", "95990", "0"), ("62370", "62369", "0"), ("96522", "99213", "1"),
                     ("62362", "95991", "1"), ("95991", "95990", "0")]:
        res = edits.pair(a, b, date(2026, 3, 2))
        assert res.answer == "applies" and res.official and res.edit.modifier_indicator == mi, (a, b)
    # no CMS pair between the spinal family and E/M (FACTS section 5)
    assert edits.official_pair("62369", "99213", date(2026, 3, 2)).answer == "not applicable"


#: FACTS sections 3 and 5: practitioner MUEs (units per day, MAI 3).
MUES = {"62367": 1, "62368": 1, "62369": 1, "62370": 1, "95990": 1, "95991": 1, "96522": 1, "96521": 2,
        "J0475": 8, "J0476": 2, "J2274": 250, "J2278": 1000, "J1171": 240, "J3010": 100, "J0735": 50}


def test_7_shipped_mue_values() -> None:
    for code, value in MUES.items():
        m = cms.mue(code)
        assert (m.value, m.mai) == (value, "3"), code
    assert cms.mue("J0665") is None  # not in the MAI-3 table: unknown
    assert cms.mue("J2274", "outpatient_hospital").value == 100


ZICONOTIDE_100 = with_refill(drug="ziconotide", concentration="100 mcg/mL", discarded="0 mcg", undiluted=True)


def test_7_drug_above_its_mue_denies_the_whole_line() -> None:
    r = case([SERVICE, {"code": "J2278", "modifiers": ["JZ"], "units": 2000, "diagnoses": DX}],
             refill=ZICONOTIDE_100, prescription={"daily_dose": "10 mcg"}, next_refill_date="2026-05-18")
    f = finding(r, "PB213")
    assert (f.severity, f.line) == ("warning", 2)  # MAI 3: appealable, so a warning (PB210 is MAI 1/2)
    assert "whole line will be denied, not cut back" in f.message and "MUE is 1000" in f.message
    assert "J2278 x 2000 exceeds the MUE of 1000" in notes(r)
    within = case([SERVICE, {"code": "J2278", "modifiers": ["JZ"], "units": 1000, "diagnoses": DX}],
                  refill={**ZICONOTIDE_100, "volume_added_ml": 10}, prescription={"daily_dose": "10 mcg"},
                  next_refill_date="2026-05-18")
    assert not {"PB210", "PB213"} & set(fired(within))


def test_7_indicator_2_mue_from_a_loaded_file_is_pb210(tmp_path: Path) -> None:
    mue = tmp_path / "mue.txt"
    mue.write_text("SYNTHETIC - NOT CMS DATA\nJ0475\t4\t2 Date of Service Edit: Policy\tSYNTHETIC TEST ROW\n")
    edits = EditData(mue=[load_mue(mue, valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 31))])
    scenario = scenario_from_data("t", {"encounter": encounter("nurse", refill=with_refill(volume_added_ml=30)),
                                        "claim": {"lines": [SERVICE, {**DRUG_JZ, "units": 6}]}})
    r = check(scenario, edits=edits)
    f = finding(r, "PB210")
    assert (f.severity, f.line) == ("error", 2) and "denied, not cut back" in f.message
    assert "PB213" not in fired(r)


def test_7_two_pump_service_units_or_lines_are_denied() -> None:
    units = case([{**SERVICE, "units": 2}, DRUG_JZ])
    assert fired(units)["PB201"] == [("error", 1)] and "whole line is denied" in finding(units, "PB201").message
    lines = case([SERVICE, SERVICE, DRUG_JZ])
    assert fired(lines)["PB101"] == [("error", 2)]
    assert "PB213" in fired(lines)  # the day's 95990 units together exceed the MUE of 1


EM = {"performed": True, "separately_identifiable": True, "code": "99213", "diagnoses": ["M25.511"]}


def test_7_em_without_25_is_at_risk_not_denied() -> None:
    r = case([PHYS_SERVICE, DRUG_JZ, {"code": "99213", "diagnoses": ["M25.511"]}], base="physician", em_visit=EM)
    f = finding(r, "PB103")
    assert (f.severity, f.line) == ("error", 3)
    assert "at risk" in f.message and " denied" not in f.message
    good = case([PHYS_SERVICE, DRUG_JZ, {"code": "99213", "modifiers": ["25"], "diagnoses": ["M25.511"]}],
                base="physician", em_visit=EM)
    assert "PB103" not in fired(good) and codes(good)[-1] == "99213-25"


# --- 8. JZ/JW: Medicare Part B rules by payer profile; JW since 2017, JZ since 2023-07-01 ---------------


def test_8_missing_jz_is_an_error_for_medicare_only() -> None:
    medicare = case([SERVICE, DRUG_PLAIN])
    assert fired(medicare)["PB302"] == [("error", 2)] and "PB804" not in fired(medicare)
    commercial = case([SERVICE, DRUG_PLAIN], payer="example-commercial")
    assert codes(commercial) == ["95990", "J0475 x4"]
    assert "PB302" not in fired(commercial) and fired(commercial)["PB804"] == [("info", None)]
    assert not [f for f in commercial.findings if f.severity == "error"]


DISCARD_20 = with_refill(volume_added_ml=10, discarded="20 mg")  # 20 mg placed, 20 mg discarded: JW x 2


@pytest.mark.parametrize("day,expected", [
    ("2016-12-31", ["95990", "J0475 x2"]),
    ("2017-01-01", ["95990", "J0475 x2", "J0475-JW x2"]),
])
def test_8_jw_from_2017(day: str, expected: list[str]) -> None:
    assert codes(case(refill=DISCARD_20, **on(day))) == expected


@pytest.mark.parametrize("day,expected", [("2023-06-30", "J0475 x4"), ("2023-07-01", "J0475-JZ x4")])
def test_8_jz_from_2023_07_01(day: str, expected: str) -> None:
    assert codes(case(**on(day)))[1] == expected


def test_8_jw_units_mismatch_is_pb308() -> None:
    bad = case([SERVICE, {"code": "J0475", "units": 2}, {"code": "J0475", "modifiers": ["JW"], "units": 3}],
               refill=DISCARD_20, next_refill_date="2026-04-06")
    assert fired(bad)["PB308"] == [("error", 3)]
    good = case([SERVICE, {"code": "J0475", "units": 2}, {"code": "J0475", "modifiers": ["JW"], "units": 2}],
                refill=DISCARD_20, next_refill_date="2026-04-06")
    assert "PB308" not in fired(good) and not [f for f in good.findings if f.severity == "error"]


@pytest.mark.parametrize("refill,state", [
    (REFILL, "nothing discarded"),
    (with_refill(volume_added_ml=18, discarded="4 mg"), "covered by rounding"),
])
def test_8_jw_without_billable_discard_is_pb309(refill: dict, state: str) -> None:
    r = case([SERVICE, DRUG_JZ, {"code": "J0475", "modifiers": ["JW"], "units": 1}], refill=refill,
             next_refill_date="2026-05-13")
    assert ("error", 3) in fired(r)["PB309"] and state in finding(r, "PB309").message
    assert codes(r)[1] == "J0475-JZ x4"  # 36 mg -> 3.6 -> 4 units: rounding covers the 4 mg, JZ


def test_8_jz_and_jw_on_the_same_drug_is_pb310() -> None:
    bad = case([SERVICE, {"code": "J0475", "modifiers": ["JZ"], "units": 2},
                {"code": "J0475", "modifiers": ["JW"], "units": 2}], refill=DISCARD_20, next_refill_date="2026-04-06")
    assert fired(bad)["PB310"] == [("error", 2)] and "PB305" not in fired(bad)
    good = case([SERVICE, {"code": "J0475", "units": 2}, {"code": "J0475", "modifiers": ["JW"], "units": 2}],
                refill=DISCARD_20, next_refill_date="2026-04-06")
    assert "PB310" not in fired(good)


# --- 10. Refill plan: the latest refill is the day before the alarm; ziconotide dilution ----------------


def test_10_latest_refill_is_the_day_before_the_alarm() -> None:
    p = plan(date(2026, 3, 2), Decimal(20), Decimal(2), Amount.parse("400 mcg"), Concentration.parse("2000 mcg/mL"))
    assert p.alarm_days == 90 and p.alarm_date == date(2026, 5, 31) and p.latest_refill == date(2026, 5, 30)
    assert "PB604" not in fired(case(next_refill_date="2026-05-30"))
    late = case(next_refill_date="2026-05-31")
    assert fired(late)["PB604"] == [("warning", None)] and "2026-05-30" in finding(late, "PB604").message


ZICONOTIDE_10 = with_refill(drug="ziconotide", concentration="10 mcg/mL", discarded="0 mcg")


def test_10_ziconotide_other_than_25_or_100_is_diluted() -> None:
    assert supplied_undiluted(Concentration.parse("25 mcg/mL"))
    assert supplied_undiluted(Concentration.parse("100 mcg/mL"))
    assert not supplied_undiluted(Concentration.parse("10 mcg/mL"))
    p = plan(date(2026, 3, 2), Decimal(20), Decimal(2), Amount.parse("2 mcg"), Concentration.parse("10 mcg/mL"),
             "ziconotide", undiluted=True)
    assert p.limit[0] == 40 and p.latest_refill == date(2026, 4, 11)
    bad = case(refill={**ZICONOTIDE_10, "undiluted": True}, prescription={"daily_dose": "2 mcg"},
               next_refill_date="2026-05-18")
    assert fired(bad)["PB605"] == [("warning", None)] and "PB604" in fired(bad)
    good = case(refill={**ZICONOTIDE_10, "undiluted": False}, prescription={"daily_dose": "2 mcg"},
                next_refill_date="2026-04-06")
    assert not {"PB604", "PB605"} & set(fired(good))


def test_10_undiluted_ziconotide_at_a_supplied_strength_keeps_84_days() -> None:
    p = plan(date(2026, 3, 2), Decimal(20), Decimal(2), Amount.parse("2 mcg"), Concentration.parse("25 mcg/mL"),
             "ziconotide", undiluted=True)
    assert p.limit[0] == 84 and p.latest_refill == date(2026, 5, 25)
    r = case(refill={**ZICONOTIDE_10, "concentration": "25 mcg/mL", "undiluted": True},
             prescription={"daily_dose": "5 mcg"}, next_refill_date="2026-05-18")
    assert not {"PB604", "PB605"} & set(fired(r))


# --- 9. 62370/95991 "requiring skill"; 96521/96522 are refill-and-maintenance codes -------------------


@pytest.mark.parametrize("code,services", [
    ("95991", {"analysis": True, "refill": True}),
    ("62370", {"analysis": True, "reprogramming": True, "refill": True}),
])
def test_9_physician_code_without_a_reason_is_pb510(code: str, services: dict) -> None:
    extra = {"reprogramming": DOSE_UP} if services.get("reprogramming") else {}
    bare = encounter("physician", services=services, **extra)
    bare.pop("physician_reason")
    r = case([{"code": code, "diagnoses": DX}, DRUG_JZ], base=bare)
    assert codes(r)[0] == code and fired(r)["PB510"] == [("warning", 1)]
    ok = case([{"code": code, "diagnoses": DX}, DRUG_JZ], base="physician", services=services, **extra)
    assert "PB510" not in fired(ok)


def test_9_selection_follows_who_performed_not_difficulty() -> None:
    assert codes(case())[0] == "95990"
    assert codes(case(base="physician"))[0] == "95991"


@pytest.mark.parametrize("pump", [
    {"type": "portable", "route": "intravenous"},
    {"type": "programmable", "route": "intravenous", "manufacturer": "x", "model": "y"},
])
def test_9_systemic_or_portable_pump_without_refill_has_no_code(pump: dict) -> None:
    r = case(pump=pump, services={"analysis": True})
    assert r.recommended == []
    refilled = case(pump=pump, services={"analysis": True, "refill": True}, refill=with_refill(supplied_by="pharmacy"))
    assert codes(refilled) == (["96521"] if pump["type"] == "portable" else ["96522"])


# --- every rule's confidence follows its cited source, unless it says why not -------------------------

#: Rules that set a confidence different from their source's, and why.
CONFIDENCE_OVERRIDES: dict[str, tuple[str, str]] = {
    "PB009": ("high", "billing a service the note does not record at all needs no documentation-practice "
                      "judgement: undocumented is unbillable, whatever the medium-confidence checklist says"),
    "PB509": ("low", "the residual-discrepancy threshold (1 mL or 20%) is pumpbill's own teaching threshold, not "
                     "an official or manufacturer number"),
    "PB703": ("medium-high", "direct supervision itself is high, but the virtual-supervision dates the rule "
                             "applies are medium-high (2020 start: medium) in FACTS section 2"),
    "PB706": ("medium", "home incident-to: FACTS section 2 rates the home-setting statement medium, below the "
                        "high-confidence incident-to manual it cites"),
    "PB803": ("high", "the finding states a fact about pumpbill's own example profile, not the disputed "
                      "reprogramming reading its source describes"),
}


def test_confidence_follows_the_source_unless_overridden() -> None:
    overridden = {code for code, rule in REGISTRY.items() if rule.confidence is not None}
    assert overridden == set(CONFIDENCE_OVERRIDES), "list every override here with its reason"
    for code, rule in REGISTRY.items():
        source = SOURCES[rule.source].confidence
        if code in CONFIDENCE_OVERRIDES:
            level, why = CONFIDENCE_OVERRIDES[code]
            assert rule.confidence_level == level != source, f"{code}: override is {rule.confidence_level}"
            assert len(why.split()) >= 8
        else:
            assert rule.confidence_level == source, code


def test_confidence_reaches_findings_and_docs() -> None:
    r = case([SERVICE, DRUG_JZ], place_of_service="12")
    assert finding(r, "PB706").confidence == REGISTRY["PB706"].confidence_level == "medium"
    for rule in REGISTRY.values():
        page = rule_markdown(rule)
        assert ("Verify with" in page) == (rule.confidence_level != "high"), rule.code


def test_v2_rule_codes_are_registered() -> None:
    for code in ["PB011", "PB212", "PB213", "PB308", "PB309", "PB310", "PB410", "PB411", "PB412", "PB510",
                 "PB605", "PB705", "PB706", "PB804"]:
        assert code in REGISTRY and REGISTRY[code].since == "0.2.0", code
    assert REGISTRY["PB703"].severity == "error" and REGISTRY["PB705"].severity == "error"
    assert pumpbill.__version__

"""The facility's claim (pumpbill.facility) and the side-by-side widget (pumpbill.widgets_facility)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

from pumpbill import facts
from pumpbill.facility import drug_status, drug_statuses, facility_claim, opps_for, setting_of
from pumpbill.teaching import DOSE_UP, case, codes


def visit(pos: str, who: str = "physician", reprogram: bool = False, **over):
    over["place_of_service"] = pos
    if reprogram:
        over.update(services={"analysis": True, "reprogramming": True, "refill": True}, reprogramming=DOSE_UP)
    return case(base="nurse" if who == "clinical_staff" else "physician", **over)


# --- data -------------------------------------------------------------------------------------------------------

def test_drug_statuses_match_facts_v2_section_3():
    st = drug_statuses()
    assert {c for c, s in st.items() if s.status == "K"} == {"J0475", "J2278", "J1171"}
    assert {c for c, s in st.items() if s.status == "N"} == {"J2274", "J0476", "J3010", "J0735", "J0665"}
    assert all(s.year == 2025 and s.confidence == "medium" and "Addendum B" in s.source for s in st.values())
    assert all(s.paid_separately == (s.status == "K") for s in st.values())
    assert drug_status("J1170") is None and drug_status("J7999") is None


def test_opps_for_maps_the_family_to_one_apc():
    for code in facts.FAMILY_CODES:
        assert opps_for(code) == facts.OPPS_2025["62367-62370"]
    assert opps_for("95990") == ("APC 5694", Decimal("331.69"))
    assert opps_for("95991") == facts.OPPS_2025["95991"]
    assert opps_for("96522") is None and opps_for("96521") is None


@pytest.mark.parametrize("pos,setting,conf", [("11", "office/home", "high"), ("12", "office/home", "high"),
                                              ("19", "hospital outpatient", "high"),
                                              ("22", "hospital outpatient", "high"), ("21", "inpatient", "medium"),
                                              ("24", "ASC", "medium"), ("31", "SNF", "medium"),
                                              ("23", "other facility", "low")])
def test_setting_of(pos, setting, conf):
    s, system, c = setting_of(pos)
    assert (s, c) == (setting, conf)
    assert ("OPPS" in system) == (pos in ("19", "22", "21"))


# --- the facility's claim -----------------------------------------------------------------------------------------

def test_office_has_no_facility_claim():
    fc = facility_claim(visit("11", "clinical_staff"))
    assert not fc.bills and fc.lines == () and "not a facility setting" in fc.notes[0]


def test_unclassified_pos_says_so():
    fc = facility_claim(visit("99"))
    assert not fc.bills and "PB704" in fc.notes[0]


@pytest.mark.parametrize("pos", ["19", "22"])
def test_hospital_outpatient_nurse_refill(pos):
    r = visit(pos, "clinical_staff")
    assert codes(r) == [] and r.selection.hospital_bills == "95990"
    fc = facility_claim(r)
    assert fc.bills and fc.codes == ["95990", "J0475"]
    svc, drug = fc.lines
    assert (svc.apc, svc.amount, svc.year, svc.performed_by) == ("APC 5694", Decimal("331.69"), 2025, "facility staff")
    assert (drug.status, drug.year, drug.units, drug.payment) == ("K", 2025, 4, "paid separately")
    assert any("2026" in n and "CY2025" in n for n in fc.notes)  # the year mismatch is said
    assert any("practice supplied the drug" in n and "PB705" in n for n in fc.notes)


def test_hospital_outpatient_staff_reprogramming_is_the_hospitals_62369():
    fc = facility_claim(visit("22", "clinical_staff", reprogram=True))
    assert fc.lines[0].code == "62369" and fc.lines[0].apc == "APC 5743"
    assert any("incident-to does not exist" in n for n in fc.notes)


def test_hospital_outpatient_physician_both_claims_carry_the_code():
    r = visit("22", reprogram=True)
    assert codes(r) == ["62370"]
    fc = facility_claim(r)
    assert fc.codes == ["62370", "J0475"] and fc.lines[0].performed_by == "physician/QHP personally"
    assert any("facility rate" in n for n in fc.notes)


def test_packaged_drug_status_n():
    refill = {**visit("22").scenario.encounter.refill.model_dump(mode="json"), "drug": "morphine",
              "concentration": "25 mg/mL"}
    fc = facility_claim(visit("22", refill=refill))
    drug = fc.lines[1]
    assert (drug.code, drug.status, drug.payment) == ("J2274", "N", "packaged")
    assert any("JZ/JW do not apply" in n for n in fc.notes)


def test_compounded_drug_is_not_verified():
    refill = {**visit("22").scenario.encounter.refill.model_dump(mode="json"), "compounded": True,
              "description": "baclofen 3000 mcg/mL compounded"}
    fc = facility_claim(visit("22", refill=refill))
    assert fc.lines[1].code == "NOC" and fc.lines[1].confidence == "low"


def test_inpatient_is_the_stay_without_lines():
    fc = facility_claim(visit("21", "clinical_staff"))
    assert fc.bills and fc.lines == () and fc.setting == "inpatient"
    assert "Part A" in fc.notes[0] and "95990" in fc.notes[0] and "J0475" in fc.notes[0]


def test_snf_consolidated_billing_physician_service_not_duplicated():
    fc = facility_claim(visit("31"))
    assert fc.codes == ["J0475"] and fc.confidence == "medium"
    assert "consolidated billing" in fc.notes[0]
    staff = facility_claim(visit("31", "clinical_staff"))
    assert staff.codes == ["95990", "J0475"] and all(ln.confidence == "medium" for ln in staff.lines)


def test_asc_marks_payment_not_verified():
    fc = facility_claim(visit("24", "clinical_staff"))
    assert fc.codes == ["95990", "J0475"]
    assert fc.lines[0].confidence == "low" and "not verified" in fc.lines[0].payment
    assert "not verified" in fc.notes[0]


def test_cancelled_and_discontinued():
    assert facility_claim(visit("22", outcome="cancelled", outcome_reason="patient unwell")).lines == ()
    fc = facility_claim(visit("22", outcome="discontinued", outcome_reason="port not accessed"))
    assert fc.codes == ["95991"] and any("73 or 74" in n for n in fc.notes)


def test_facility_drug_from_a_trial():
    trial = {"code": "62323", "drug": "baclofen", "dose": "50 mcg", "supplied_by": "facility"}
    r = case(base="physician", place_of_service="22", services={}, trial=trial, refill=None)
    fc = facility_claim(r)
    assert "J0476" in fc.codes and fc.lines[-1].status == "N"


def test_facility_module_does_not_import_pandas():
    blocker = textwrap.dedent("""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("pandas", "numpy", "matplotlib"):
                    raise ImportError(name)
        sys.meta_path.insert(0, Block())
        import pumpbill.facility as f
        assert f.drug_status("J0475").status == "K"
    """)
    r = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


# --- the widget ----------------------------------------------------------------------------------------------------

def test_both_claims_html_side_by_side():
    from pumpbill.widgets_facility import both_claims_html

    h = both_claims_html("22", "clinical_staff", False, "facility")
    assert "Practitioner" in h and "Facility" in h and "APC 5694" in h and "$331.69" in h and "CY2025" in h
    assert "No line for the practitioner" in h
    h = both_claims_html("22", "physician", True, "practice")
    assert "62370" in h and "APC 5743" in h and "status K" in h and "facility" in h
    office = both_claims_html("11", "clinical_staff", False, "practice")
    assert "No facility line" in office and "J0475" in office and "non-facility" in office and "ASP" in office


@pytest.mark.parametrize("args", [("xx", "physician", False, "practice"), ("22", "nobody", False, "practice"),
                                  ("22", "physician", False, "nowhere"), (None, None, None, None),
                                  ("21", "clinical_staff", True, "pharmacy"), ("24", "physician", True, "facility"),
                                  ("31", "clinical_staff", False, "pharmacy"), ("19", "physician", True, "practice")])
def test_both_claims_html_never_raises(args):
    from pumpbill.widgets_facility import both_claims_html

    h = both_claims_html(*args)
    assert isinstance(h, str) and h
    assert "Traceback" not in h


def test_both_claims_widget_builds():
    from pumpbill.widgets_facility import both_claims

    w = both_claims()
    out = w.children[-1]
    assert "Facility" in out.value
    pos = w.children[0].children[0]
    pos.value = "21"
    assert "inpatient" in out.value

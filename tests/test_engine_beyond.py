"""The engine's issue-10 additions: ABN modifiers, the trial, session procedures, incomplete sessions, second
sessions, compounded NOC lines and NDC fields, and the new scenario fields' bad input."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pumpbill.engine import check
from pumpbill.loader import scenario_from_data
from pumpbill.payers import profiles
from pumpbill.teaching import NURSE_REFILL, PHYSICIAN_REFILL


def result(enc: dict[str, Any], claim: list[dict[str, Any]] | None = None):
    data: dict[str, Any] = {"encounter": enc}
    if claim is not None:
        data["claim"] = {"lines": claim}
    return check(scenario_from_data("<test>", data))


def lines(enc: dict[str, Any]) -> list[tuple[str, tuple[str, ...], int]]:
    return [(ln.code, tuple(sorted(ln.modifiers)), ln.units) for ln in result(enc).recommended]


def visit(base: dict[str, Any] = PHYSICIAN_REFILL, **over: Any) -> dict[str, Any]:
    enc = copy.deepcopy(base)
    enc.update(over)
    return enc


# --- coverage and the ABN ------------------------------------------------------------------------

@pytest.mark.parametrize(("denial", "abn", "modifier"), [
    ("not_reasonable_necessary", "signed", "GA"),
    ("not_reasonable_necessary", "none", "GZ"),
    ("statutory_exclusion", "signed", "GX"),
])
def test_abn_modifier_goes_on_the_service_and_the_drug(denial: str, abn: str, modifier: str) -> None:
    got = lines(visit(coverage={"expected_denial": denial, "abn": abn}))
    assert got == [("95991", (modifier,), 1), ("J0475", tuple(sorted((modifier, "JZ"))), 4)]


def test_statutory_exclusion_without_notice_adds_no_modifier_and_says_why() -> None:
    r = result(visit(coverage={"expected_denial": "statutory_exclusion", "abn": "none"}))
    assert all(not {"GA", "GZ", "GX"} & set(ln.modifiers) for ln in r.recommended)
    assert any("excludes by statute" in n for n in r.selection.notes)


def test_no_expected_denial_means_no_abn_modifier() -> None:
    assert lines(visit(coverage={"expected_denial": "none", "abn": "signed"})) == lines(visit())


@pytest.mark.parametrize("payer", ["example-commercial", "example-medicaid", "example-medicare-advantage"])
def test_abn_is_an_original_medicare_notice(payer: str) -> None:
    r = result(visit(payer=payer, coverage={"expected_denial": "not_reasonable_necessary", "abn": "signed"}))
    assert all(not {"GA", "GZ", "GX"} & set(ln.modifiers) for ln in r.recommended)
    assert any("Original Medicare" in n for n in r.selection.notes)


# --- the trial, implant and replacement ------------------------------------------------------------

TRIAL = {"date": "2026-03-02", "place_of_service": "11", "performed_by": "physician", "diagnoses": ["G80.1"]}


@pytest.mark.parametrize(("dose", "units"), [("50 mcg", 1), ("75 mcg", 2), ("0.1 mg", 2), ("25 mcg", 1)])
def test_trial_bills_the_injection_and_j0476_per_50_mcg(dose: str, units: int) -> None:
    assert lines({**TRIAL, "trial": {"code": "62323", "dose": dose}}) == [("62323", (), 1), ("J0476", ("JZ",), units)]


def test_trial_drug_discard_goes_on_a_jw_line_and_other_payers_get_no_jz() -> None:
    trial = {"code": "62323", "dose": "50 mcg", "discarded": "50 mcg"}
    assert lines({**TRIAL, "trial": trial}) == [("62323", (), 1), ("J0476", (), 1), ("J0476", ("JW",), 1)]
    assert lines({**TRIAL, "payer": "example-commercial", "trial": {"code": "62323", "dose": "50 mcg"}}) == [
        ("62323", (), 1), ("J0476", (), 1)]


def test_trial_discontinued_before_the_bolus_bills_no_drug_and_an_em_takes_25() -> None:
    r = result({**TRIAL, "outcome": "discontinued", "trial": {"code": "62323", "dose": "50 mcg"}})
    assert [(ln.code, ln.modifiers) for ln in r.recommended] == [("62323", ("53",))]
    em = {"performed": True, "separately_identifiable": True, "code": "99213", "diagnoses": ["R51.9"]}
    with_em = lines({**TRIAL, "trial": {"code": "62323", "dose": "50 mcg"}, "em_visit": em})
    assert with_em[-1] == ("99213", ("25",), 1)
    not_separate = lines({**TRIAL, "trial": {"code": "62323", "dose": "50 mcg"},
                          "em_visit": {**em, "separately_identifiable": False}})
    assert [c for c, _, _ in not_separate] == ["62323", "J0476"]


def test_cancelled_in_a_hospital_is_billed_by_nobody() -> None:
    r = result(visit(NURSE_REFILL, place_of_service="22", outcome="cancelled"))
    assert r.recommended == [] and r.selection.hospital_bills is None
    assert any("nothing to bill, by the practitioner or the facility" in n for n in r.selection.notes)


def test_indicator_1_procedure_pair_leaves_the_column_2_code_off_with_the_reason() -> None:
    r = result({**TRIAL, "place_of_service": "22", "other_procedures": ["62355", "62350"]})
    codes = [ln.code for ln in r.recommended]
    assert len(codes) == 1
    assert any("modifier indicator 1" in why for ln in r.recommended for why in ln.reasons)
    assert not [f for f in r.findings if f.severity == "error"]


def test_noc_note_keeps_its_amount_when_the_label_text_is_long() -> None:
    long = {**MIX, "description": "x" * 80}
    note = result(visit(refill=long)).recommended[1].note
    assert note is not None and len(note) <= 80 and note.endswith(", 20 mL")


@pytest.mark.parametrize(("pos", "supplier"), [("22", "practice"), ("11", "pharmacy"), ("21", "practice")])
def test_trial_drug_not_on_the_practitioners_claim_when_not_bought_or_in_a_facility(pos: str, supplier: str) -> None:
    enc = {**TRIAL, "place_of_service": pos, "trial": {"code": "62322", "dose": "50 mcg", "supplied_by": supplier}}
    assert lines(enc) == [("62322", (), 1)]


def test_replacement_leaves_the_removal_off_with_the_cms_pair_named() -> None:
    r = result({**TRIAL, "place_of_service": "22", "other_procedures": ["62365", "62362"]})
    assert [ln.code for ln in r.recommended] == ["62362"]
    why = " ".join(r.recommended[0].reasons)
    assert "62365 left off" in why and "modifier indicator 0" in why
    assert not r.selection.notes  # "no pump service documented" is not news at a surgical session


def test_procedures_without_an_indicator_0_pair_are_all_billed() -> None:
    r = result({**TRIAL, "place_of_service": "22", "other_procedures": ["62350", "62362"]})
    assert [ln.code for ln in r.recommended] == ["62350", "62362"]


def test_implant_session_bills_the_implant_not_the_programming() -> None:
    enc = visit(other_procedures=["62362"], reprogramming={"changes": ["daily_dose"]},
                services={"analysis": True, "reprogramming": True, "refill": False})
    enc.pop("refill")
    assert [c for c, _, _ in lines(enc)] == ["62362"]


# --- reduced, discontinued, cancelled; a second session -------------------------------------------

def test_reduced_service_takes_52_and_keeps_its_drug() -> None:
    assert lines(visit(outcome="reduced")) == [("95991", ("52",), 1), ("J0475", ("JZ",), 4)]


def test_discontinued_service_takes_53_and_no_drug_line() -> None:
    r = result(visit(outcome="discontinued", outcome_reason="port could not be accessed"))
    assert [(ln.code, ln.modifiers) for ln in r.recommended] == [("95991", ("53",))]
    assert any("no drug" in n for n in r.selection.notes)


def test_discontinued_in_a_facility_mentions_the_facility_modifiers() -> None:
    r = result(visit(place_of_service="22", outcome="discontinued"))
    assert r.recommended[0].modifiers == ("53",) and "73 or 74" in " ".join(r.recommended[0].reasons)


@pytest.mark.parametrize("enc", [visit(outcome="cancelled"),
                                 {**TRIAL, "outcome": "cancelled", "trial": {"code": "62323", "dose": "50 mcg"}}])
def test_cancelled_before_start_bills_nothing(enc: dict[str, Any]) -> None:
    r = result(enc)
    assert r.recommended == []


def test_second_session_is_one_line_with_the_appeal_note() -> None:
    r = result(visit(same_day_sessions=2))
    assert [ln.code for ln in r.recommended] == ["95991", "J0475"]
    note = next(n for n in r.selection.notes if "separate pump sessions" in n)
    assert "cannot bypass" in note and "appeal" in note


# --- compounded drugs and NDC fields ---------------------------------------------------------------

MIX = {**PHYSICIAN_REFILL["refill"], "compounded": True,
       "description": "baclofen 2000 mcg/mL with clonidine 100 mcg/mL"}


@pytest.mark.parametrize(("payer", "code", "mods"), [("medicare", "J7999", ("JZ",)),
                                                     ("example-commercial", "J3490", ()),
                                                     ("example-medicaid", "J3490", ())])
def test_compounded_drug_is_one_noc_line_with_its_note(payer: str, code: str, mods: tuple[str, ...]) -> None:
    r = result(visit(payer=payer, refill=MIX))
    drug = r.recommended[1]
    assert (drug.code, drug.modifiers, drug.units) == (code, mods, 1)
    assert drug.note == "baclofen 2000 mcg/mL with clonidine 100 mcg/mL, 20 mL"
    assert drug.public()["note"] == drug.note
    assert code == profiles()[payer].compounded_code


def test_compounded_discard_gets_no_jz_and_a_verify_reason() -> None:
    r = result(visit(refill={**MIX, "discarded": "4 mg"}))
    drug = r.recommended[1]
    assert drug.modifiers == () and any("payer's instruction" in why for why in drug.reasons)
    assert result(visit(refill={**MIX, "container": "multi_dose"})).recommended[1].modifiers == ()


def test_ndc_fields_only_for_a_payer_that_wants_them() -> None:
    refill = {**PHYSICIAN_REFILL["refill"], "ndc": "9999-1234-01"}
    medicaid = result(visit(payer="example-medicaid", refill=refill)).recommended[1]
    assert medicaid.ndc == ("09999123401", "ML", "20")
    assert medicaid.public()["ndc"] == {"code": "09999123401", "unit": "ML", "quantity": "20"}
    medicare = result(visit(refill=refill)).recommended[1]
    assert medicare.ndc is None and "ndc" not in medicare.public()


def test_ndc_quantity_of_a_jw_line_is_the_discarded_volume() -> None:
    refill = {**NURSE_REFILL["refill"], "ndc": "99999-123-45", "volume_added_ml": 10, "discarded": "20 mg"}
    enc = visit(NURSE_REFILL, payer="example-medicare-advantage", refill=refill)
    got = {ln.modifiers: ln for ln in result(enc).recommended if ln.code == "J0475"}
    assert set(got) == {(), ("JW",)}
    assert got[()].ndc is None  # this plan does not ask for NDCs
    medicaid = result(visit(NURSE_REFILL, payer="example-medicaid", refill=refill)).recommended
    assert [ln.ndc for ln in medicaid if ln.code == "J0475"] == [("99999012345", "ML", "10")]


# --- bad input: one line, the field named, exit 2 --------------------------------------------------

BASE = {"encounter": visit()}


@pytest.mark.parametrize(("path", "value", "field"), [
    (("encounter", "refill", "ndc"), "1234567890", "encounter.refill.ndc"),
    (("encounter", "refill", "ndc"), "12-34-56", "encounter.refill.ndc"),
    (("encounter", "refill", "ndc"), "١٢٣٤٥-6789-01", "encounter.refill.ndc"),
    (("encounter", "trial"), {"code": "62362", "dose": "50 mcg"}, "encounter.trial.code"),
    (("encounter", "trial"), {"code": "62323", "dose": "-5 mcg"}, "encounter.trial.dose"),
    (("encounter", "coverage"), {"expected_denial": "maybe"}, "encounter.coverage.expected_denial"),
    (("encounter", "outcome"), "abandoned", "encounter.outcome"),
    (("encounter", "same_day_sessions"), 9, "encounter.same_day_sessions"),
    (("encounter", "prior_procedure"), {"code": "62369", "date": "2026-02-20"}, "encounter.prior_procedure.code"),
    (("claim",), {"lines": [{"code": "J0475", "ndc": {"code": "9999-1234-01", "unit": "ML", "quantity": 20}}]},
     "claim.lines[0].ndc.code"),
    (("claim",), {"lines": [{"code": "J0475", "ndc": {"code": "09999123401", "unit": "MG", "quantity": 20}}]},
     "claim.lines[0].ndc.unit"),
])
def test_bad_new_fields_exit_2_with_the_field(tmp_path: Path, path: tuple[str, ...], value: Any, field: str) -> None:
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    f = tmp_path / "s.json"
    f.write_text(json.dumps(data), encoding="utf-8")
    p = subprocess.run([sys.executable, "-m", "pumpbill", "check", str(f), "--format", "json"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert field in p.stderr and str(f.name) in p.stderr and "Traceback" not in p.stderr


def test_prior_procedure_after_the_visit_is_refused() -> None:
    with pytest.raises(Exception, match="prior_procedure"):
        result(visit(prior_procedure={"code": "62362", "date": "2026-04-01"}))


def test_profiles_load_with_their_differences() -> None:
    p = profiles()
    assert {"medicare", "example-commercial", "example-medicaid", "example-medicare-advantage"} <= set(p)
    assert [n for n, x in p.items() if x.abn_applies] == ["medicare"]
    assert p["example-medicaid"].ndc_required and not p["medicare"].ndc_required
    assert p["example-medicare-advantage"].prior_authorization_required
    assert all(x.example for n, x in p.items() if n != "medicare")


def test_ndc_unit_qualifiers_are_the_facts_list() -> None:
    from typing import get_args

    from pumpbill.facts import NDC_UNIT_QUALIFIERS
    from pumpbill.models import NdcUnit

    assert set(get_args(NdcUnit)) == set(NDC_UNIT_QUALIFIERS)


@pytest.mark.parametrize(("path", "value", "field"), [
    (("encounter", "refill", "volume_added_ml"), "٢٠", "encounter.refill.volume_added_ml"),
    (("encounter", "same_day_sessions"), True, "encounter.same_day_sessions"),
    (("encounter", "refill"), {**PHYSICIAN_REFILL["refill"], "drug": "other", "compounded": True},
     "encounter.refill"),
])
def test_more_bad_values_exit_2(tmp_path: Path, path: tuple[str, ...], value: Any, field: str) -> None:
    test_bad_new_fields_exit_2_with_the_field(tmp_path, path, value, field)


def test_claim_line_ndc_quantity_in_non_ascii_digits_is_refused(tmp_path: Path) -> None:
    test_bad_new_fields_exit_2_with_the_field(
        tmp_path, ("claim",), {"lines": [{"code": "J0475", "ndc": {"code": "09999123401", "unit": "ML",
                                                                  "quantity": "٢٠"}}]}, "claim.lines[0].ndc.quantity")


@pytest.mark.parametrize("volume", [0.0001, "٢٠", "nan", -1])
def test_ndc_builder_refuses_a_volume_it_cannot_report(volume: Any) -> None:
    from pumpbill.widgets_ndc import ndc_builder_html

    html = ndc_builder_html("99999-123-45", "baclofen", "2000 mcg/mL", volume, False, "")
    assert "ML0<" not in html and "N499999012345ML" not in html
    assert "volume instilled" in html

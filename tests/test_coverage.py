"""Coverage, medical necessity and the ABN: rules PB805-PB807 (FACTS section 9)."""

from __future__ import annotations

from typing import Any

import pytest

from pumpbill import facts
from pumpbill.models import Coverage
from pumpbill.payers import get_profile
from pumpbill.rules import REGISTRY
from pumpbill.rules.coverage import abn_modifier_problem
from pumpbill.teaching import DX, PHYSICIAN_REFILL, REFILL, case, codes

SIGNED = {"expected_denial": "not_reasonable_necessary", "abn": "signed"}
NO_ABN = {"expected_denial": "not_reasonable_necessary", "abn": "none"}
EXCLUDED_SIGNED = {"expected_denial": "statutory_exclusion", "abn": "signed"}
EXCLUDED_NONE = {"expected_denial": "statutory_exclusion", "abn": "none"}
MEDICARE = get_profile("medicare")


def claim(service: list[str], drug: list[str], code: str = "95990") -> list[dict[str, Any]]:
    return [{"code": code, "modifiers": service, "units": 1, "diagnoses": DX},
            {"code": "J0475", "modifiers": drug, "units": 4, "diagnoses": DX}]


def hits(result, rule: str) -> list:
    return [f for f in result.findings if f.rule == rule]


# --- the registry entries ---------------------------------------------------------------------------


def test_rules_registered_with_their_sources() -> None:
    assert REGISTRY["PB805"].name == "abn-modifier-missing" and REGISTRY["PB805"].severity == "error"
    assert REGISTRY["PB806"].name == "abn-modifier-unsupported" and REGISTRY["PB806"].severity == "error"
    assert REGISTRY["PB807"].name == "off-label-intrathecal-drug" and REGISTRY["PB807"].severity == "info"
    assert REGISTRY["PB805"].source == REGISTRY["PB806"].source == "abn"
    assert REGISTRY["PB807"].source == "ncd-280-14" and REGISTRY["PB807"].confidence_level == "medium"
    for code in ("PB805", "PB806", "PB807"):
        assert REGISTRY[code].family == "payer policy"
        text = " ".join([REGISTRY[code].message, REGISTRY[code].why, REGISTRY[code].correct])
        assert "the Medicare LCD" not in text


# --- PB805: the modifier the engine recommends is missing ----------------------------------------


@pytest.mark.parametrize(("coverage", "mod"), [(SIGNED, "GA"), (NO_ABN, "GZ"), (EXCLUDED_SIGNED, "GX")])
def test_pb805_fires_on_every_line_without_the_modifier(coverage: dict, mod: str) -> None:
    r = case(coverage=coverage, claim=claim([], ["JZ"]))
    found = hits(r, "PB805")
    assert [f.line for f in found] == [1, 2]
    for f, c in zip(found, ["95990", "J0475"], strict=True):
        assert mod in f.message and f.fix == f"Add {mod} to the {c} line"
    assert "PB806" not in r.fired()


@pytest.mark.parametrize(("coverage", "mod"), [(SIGNED, "GA"), (NO_ABN, "GZ"), (EXCLUDED_SIGNED, "GX")])
def test_recommended_claim_is_clean(coverage: dict, mod: str) -> None:
    r = case(coverage=coverage)
    assert codes(r) == [f"95990-{mod}", f"J0475-{'-'.join(sorted([mod, 'JZ']))} x4"]
    billed = [{"code": ln.code, "modifiers": list(ln.modifiers), "units": ln.units, "diagnoses": DX}
              for ln in r.recommended]
    assert not {"PB805", "PB806"} & case(coverage=coverage, claim=billed).fired()


def test_pb805_only_the_line_that_lacks_it() -> None:
    r = case(coverage=SIGNED, claim=claim(["GA"], ["JZ"]))
    assert [f.line for f in hits(r, "PB805")] == [2]


def test_pb805_silent_without_an_expected_denial_or_outside_medicare() -> None:
    assert "PB805" not in case(claim=claim([], ["JZ"])).fired()
    assert "PB805" not in case(coverage=EXCLUDED_NONE, claim=claim([], ["JZ"])).fired()
    commercial = case(coverage=SIGNED, payer="example-commercial", claim=claim([], []))
    assert "PB805" not in commercial.fired()


def test_pb805_leaves_a_wrong_modifier_to_pb806() -> None:
    r = case(coverage=SIGNED, claim=claim(["GZ"], ["GZ", "JZ"]))
    assert "PB805" not in r.fired() and len(hits(r, "PB806")) == 2


def test_pb805_physician_service_and_hydromorphone() -> None:
    hydro = {**REFILL, "drug": "hydromorphone", "concentration": "1 mg/mL"}
    r = case(base=PHYSICIAN_REFILL, refill=hydro, coverage=SIGNED,
             claim=[{"code": "95991", "modifiers": ["GA"], "diagnoses": DX},
                    {"code": "J1171", "modifiers": ["JZ"], "units": 200, "diagnoses": DX}])
    assert [(f.line, f.rule) for f in r.findings if f.rule in ("PB805", "PB806")] == [(2, "PB805")]


# --- PB806: a modifier the record does not support ---------------------------------------------


@pytest.mark.parametrize(("coverage", "billed", "right", "words"), [
    (NO_ABN, "GA", "GZ", "no signed ABN"),
    (SIGNED, "GZ", "GA", "GA, not GZ"),
    (SIGNED, "GX", "GA", "GX is for a service Medicare excludes"),
    (EXCLUDED_SIGNED, "GA", "GX", "excluded by statute"),
    (EXCLUDED_SIGNED, "GZ", "GX", "excluded by statute"),
    (EXCLUDED_NONE, "GX", None, "no signed notice"),
    (None, "GA", None, "no expected denial"),
])
def test_pb806_names_which_and_why(coverage: dict | None, billed: str, right: str | None, words: str) -> None:
    over = {"coverage": coverage} if coverage else {}
    r = case(claim=claim([billed], [billed, "JZ"]), **over)
    found = hits(r, "PB806")
    assert [f.line for f in found] == [1, 2]
    assert words in found[0].message and found[0].message.startswith(f"{billed} on 95990")
    assert found[0].fix == f"Replace {billed} on 95990 with {right or 'no ABN modifier (remove it)'}"


@pytest.mark.parametrize("payer", ["example-commercial", "example-medicaid", "example-medicare-advantage"])
def test_pb806_abn_is_original_medicare_only(payer: str) -> None:
    r = case(payer=payer, coverage={**SIGNED, "prior_authorization": "SYN-PA-1"},
             claim=claim(["GA"], ["GA", "JZ"]))
    found = hits(r, "PB806")
    assert found and all("Original Medicare notices" in f.message and payer in f.message for f in found)
    assert not any(m in ln.modifiers for ln in r.recommended for m in facts.ABN_MODIFIERS)


def test_pb806_silent_on_supported_modifiers() -> None:
    for coverage, mod in ((SIGNED, "GA"), (NO_ABN, "GZ"), (EXCLUDED_SIGNED, "GX")):
        assert "PB806" not in case(coverage=coverage, claim=claim([mod], [mod, "JZ"])).fired()


def test_abn_modifier_problem_pure() -> None:
    signed, none = Coverage(**SIGNED), Coverage(**NO_ABN)
    assert abn_modifier_problem("GA", signed, MEDICARE) is None
    assert abn_modifier_problem("GZ", none, MEDICARE) is None
    assert abn_modifier_problem("GX", Coverage(**EXCLUDED_SIGNED), MEDICARE) is None
    assert "no signed ABN" in abn_modifier_problem("GA", none, MEDICARE)
    assert "GA, not GZ" in abn_modifier_problem("GZ", signed, MEDICARE)
    assert "no expected denial" in abn_modifier_problem("GZ", None, MEDICARE)
    assert "no expected denial" in abn_modifier_problem("GA", Coverage(abn="signed"), MEDICARE)
    assert "Original Medicare" in abn_modifier_problem("GA", signed, get_profile("example-commercial"))


# --- PB807: off-label intrathecal drugs ----------------------------------------------------------

CONCENTRATIONS = {"hydromorphone": "1 mg/mL", "fentanyl": "50 mcg/mL", "bupivacaine": "5 mg/mL",
                  "clonidine": "0.5 mg/mL", "baclofen": "2000 mcg/mL", "morphine": "10 mg/mL",
                  "ziconotide": "25 mcg/mL"}


@pytest.mark.parametrize("drug", sorted(facts.DRUGS))
def test_pb807_fires_for_the_off_label_drugs_only(drug: str) -> None:
    r = case(refill={**REFILL, "drug": drug, "concentration": CONCENTRATIONS[drug]})
    assert ("PB807" in r.fired()) == (drug in facts.OFF_LABEL_INTRATHECAL)


def test_pb807_message_and_route() -> None:
    hydro = {**REFILL, "drug": "hydromorphone", "concentration": "1 mg/mL"}
    f = hits(case(refill=hydro), "PB807")[0]
    assert f.severity == "info" and f.confidence == "medium" and f.line is None
    assert "off-label intrathecally" in f.message and "your MAC's call under NCD 280.14" in f.message
    epidural = case(refill=hydro, pump={**PHYSICIAN_REFILL["pump"], "route": "epidural"})
    assert "PB807" not in epidural.fired()  # FACTS: off-label intrathecally; some are labelled for epidural use


def test_pb807_needs_a_spinal_refill() -> None:
    hydro = {**REFILL, "drug": "hydromorphone", "concentration": "1 mg/mL"}
    no_refill = case(refill=hydro, services={"analysis": True, "reprogramming": False, "refill": False})
    assert "PB807" not in no_refill.fired()
    systemic = case(refill=hydro, pump={"type": "programmable", "route": "intravenous"})
    assert "PB807" not in systemic.fired()

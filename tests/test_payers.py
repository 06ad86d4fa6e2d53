"""Payers and settings (FACTS section 9): rule PB808 (prior authorization) and the payer comparison widget."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pumpbill import widgets_payers as wp
from pumpbill.engine import check
from pumpbill.exercises import load_exercise
from pumpbill.loader import scenario_from_data
from pumpbill.payers import profiles
from pumpbill.rules import REGISTRY
from pumpbill.rules.payer_settings import authorized_work, prior_authorization_number
from pumpbill.teaching import case, codes

MA = "example-medicare-advantage"
NO_SERVICE = {"services": {"analysis": False, "reprogramming": False, "refill": False}}
ROOT = Path(__file__).resolve().parent.parent


# --- PB808 ----------------------------------------------------------------------------------------------


def test_pb808_is_registered_as_a_medium_warning():
    rule = REGISTRY["PB808"]
    assert rule.name == "prior-authorization-missing" and rule.severity == "warning"
    assert rule.source == "payers-settings" and rule.confidence_level == "medium"
    assert rule.family == "payer policy" and len(rule.title) <= 70


def test_pb808_fires_without_an_authorization_number_and_not_with_one():
    bad = case(payer=MA)
    assert "PB808" in bad.fired()
    (finding,) = [f for f in bad.findings if f.rule == "PB808"]
    assert finding.line is None and MA in finding.message and "a pump service" in finding.message
    assert "PB808" not in case(payer=MA, coverage={"prior_authorization": "SYN-PA-0001"}).fired()


def test_pb808_blank_authorization_counts_as_missing():
    result = case(payer=MA, coverage={"prior_authorization": "   "})
    assert "PB808" in result.fired()
    assert prior_authorization_number(result.scenario.encounter) is None


@pytest.mark.parametrize("payer", sorted(set(profiles()) - {MA}))
def test_pb808_only_for_profiles_that_require_it(payer):
    assert not profiles()[payer].prior_authorization_required
    assert "PB808" not in case(payer=payer).fired()


def test_pb808_does_not_change_the_lines():
    """Medicare Advantage follows CMS coding: the same lines as Original Medicare, with or without the number."""
    assert codes(case(payer=MA)) == codes(case(payer="medicare")) == ["95990", "J0475-JZ x4"]
    assert codes(case(base="physician", payer=MA, coverage={"prior_authorization": "SYN-PA-1"})) == \
        codes(case(base="physician"))


def test_pb808_covers_a_trial_and_a_procedure():
    trial = case(payer=MA, **NO_SERVICE, trial={"code": "62323", "dose": "50 mcg"})
    assert "PB808" in trial.fired()
    assert "trial injection (62323)" in authorized_work(trial.scenario.encounter)
    implant = case(payer=MA, **NO_SERVICE, other_procedures=["62362"])
    assert "PB808" in implant.fired() and "62362" in authorized_work(implant.scenario.encounter)


def test_pb808_nothing_to_authorize():
    assert "PB808" not in case(payer=MA, outcome="cancelled", outcome_reason="patient unwell").fired()
    em_only = {**NO_SERVICE, "em_visit": {"performed": True, "separately_identifiable": True, "code": "99213",
                                          "diagnoses": ["R51.9"]}}
    result = case(payer=MA, **em_only)
    assert authorized_work(result.scenario.encounter) is None and "PB808" not in result.fired()


def test_pb808_examples_use_the_advantage_profile():
    for kind in ("bad", "good"):
        path = ROOT / "pumpbill" / "data" / "examples" / "PB808" / f"{kind}.yaml"
        assert "payer: example-medicare-advantage" in path.read_text("utf-8")


# --- the payer comparison widget -------------------------------------------------------------------------


def test_comparison_shows_every_profile_and_labels_the_examples():
    html = wp.payer_comparison_html()
    for name in profiles():
        assert f"<code>{name}</code>" in html
    assert html.count("EXAMPLE ONLY") == sum(p.example for p in profiles().values()) + 1  # + the footnote
    assert wp.ordered_names()[0] == "medicare"


def test_comparison_default_shows_the_differences():
    results = {n: codes(s) for n, (s, _) in wp.compare().items()}
    assert results["medicare"] == results[MA] == ["95991", "J0475-JZ x4"]
    assert results["example-medicaid"] == ["95991", "J0475 x4"]
    assert results["example-commercial"] == ["62370", "J0475 x4"]
    html = wp.payer_comparison_html()
    assert "differ" in html and "NDC N4 99999012345 ML 20" in html and "PB808" in html and "PB801" in html


def test_comparison_controls_change_the_answer():
    no_ndc = wp.payer_comparison_html(ndc_recorded=False)
    assert "NDC N4" not in no_ndc
    with_pa = wp.payer_comparison_html(prior_authorization=True)
    assert "PB808" not in with_pa and wp.SYNTHETIC_PA in with_pa
    em_same = wp.compare("daily_dose", "physician", "pump_only")
    assert codes(em_same["medicare"][0])[-1] == "99213-25"
    assert "99213" not in " ".join(codes(em_same["example-commercial"][0]))
    em_own = wp.compare("daily_dose", "physician", "own_dx")
    assert codes(em_own["example-commercial"][0])[-1] == "99213-25"
    mix = wp.compare("none", "nurse", "none", "compounded")
    assert {n: s.recommended[1].code for n, (s, _) in mix.items()} == {
        "medicare": "J7999", MA: "J7999", "example-medicaid": "J3490", "example-commercial": "J3490"}
    assert all(s.recommended[1].note for s, _ in mix.values())
    pharmacy = wp.compare("none", "nurse", "none", "pharmacy")
    assert all(codes(s) == ["95990"] for s, _ in pharmacy.values())


def test_same_lines_summary():
    html = wp.payer_comparison_html("daily_dose", "physician", "none", "pharmacy", True, True)
    assert "the same</b> for every profile" in html


@pytest.mark.parametrize("args", [("bogus",), ("none", "physician", "bogus"), ("none", "physician", "none", "x"),
                                  (None, 3, [], {}, "x", 1)])
def test_comparison_never_raises(args):
    html = wp.payer_comparison_html(*args)
    assert "Cannot check" in html and "Traceback" not in html


def test_every_combination_gives_a_clean_claim_for_every_profile():
    """The lines the note supports, billed as they are, draw no error under any profile."""
    choices = itertools.product([c for _, c in wp.PUMP_CHANGES], [p for _, p in wp.PERFORMER_CHOICES],
                                [e for _, e in wp.EM_CHOICES], [d for _, d in wp.DRUG_CHOICES], [True, False],
                                [True, False])
    for args in choices:
        for name, (_, billed) in wp.compare(*args).items():
            errors = [f"{f.rule}: {f.message}" for f in billed.findings if f.severity == "error"]
            # a Medicaid drug line without an NDC in the note is an error on purpose: the plan wants it
            errors = [e for e in errors if not (name == "example-medicaid" and not args[4] and e.startswith("PB215"))]
            assert not errors, (args, name, errors)


def test_visit_is_the_canonical_refill():
    enc = wp.visit("none", "nurse")
    assert enc["performed_by"] == "clinical_staff" and enc["refill"]["ndc"] == wp.SYNTHETIC_NDC
    assert "payer" not in enc or enc["payer"] == "medicare"
    check(scenario_from_data("t", {"encounter": {**enc, "payer": MA}}))


def test_payer_comparison_widget_follows_its_inputs():
    box = wp.payer_comparison()
    kids = []
    stack = [box]
    while stack:
        node = stack.pop()
        kids.append(node)
        stack.extend(getattr(node, "children", ()))
    out = next(k for k in kids if isinstance(k, wp.W.HTML))
    assert "PB808" in out.value
    pa = next(k for k in kids if isinstance(k, wp.W.Checkbox) and "prior authorization" in k.description)
    pa.value = True
    assert "PB808" not in out.value
    change = next(k for k in kids if isinstance(k, wp.W.Dropdown) and k.description == "Changed in the pump")
    change.value = "daily_dose"
    assert "<code>95991</code>" not in out.value


# --- the exercises ---------------------------------------------------------------------------------------


def test_payer_exercises_use_non_medicare_profiles():
    files = sorted((ROOT / "exercises" / "beyond").glob("e0[4-6]-*.yaml"))
    assert len(files) == 3
    kinds = set()
    for path in files:
        ex = load_exercise(path)
        kinds.add(ex.kind)
        assert (ex.payer or ex.scenario.encounter.payer) != "medicare"
    assert len(kinds) >= 2

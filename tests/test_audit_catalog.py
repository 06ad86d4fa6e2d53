"""The audit's rules take name, severity and source from the core registry, so both tools agree by
construction; the catalogue keeps only the audit's own text and its audit-only rules."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from pumpbill.audit import catalog
from pumpbill.audit.catalog import AUDIT_ONLY, AUDIT_TEXT, RULE_ORDER, RULES, AuditText, derive
from pumpbill.facts import SOURCES
from pumpbill.rules import REGISTRY


def test_pb_codes_carry_the_registry_name_severity_and_source():
    for code in RULE_ORDER:
        rule = RULES[code]
        assert rule.code == code and rule.source in SOURCES, code
        if code.startswith("PB"):
            reg = REGISTRY[code]
            assert (rule.name, rule.severity, rule.source) == (reg.name, reg.severity, reg.source), code
            assert rule.docs == AUDIT_TEXT[code].docs and rule.facts.startswith("FACTS s.")


def test_a_registry_rename_or_new_severity_shows_up_in_the_audit():
    """Derived, not copied: change the registry's entry and the audit's rule follows."""
    changed = dict(REGISTRY)
    changed["PB101"] = dataclasses.replace(REGISTRY["PB101"], name="renamed-in-the-registry")
    changed["PB601"] = dataclasses.replace(REGISTRY["PB601"], severity="error", source="hcpcs")
    rules = derive(changed)
    assert rules["PB101"].name == "renamed-in-the-registry"
    assert (rules["PB601"].severity, rules["PB601"].source) == ("error", "hcpcs")
    assert rules["PB102"] == RULES["PB102"]  # the others are untouched
    del changed["PB206"]
    with pytest.raises(KeyError):  # a code the registry no longer has is an error, not a stale copy
        derive(changed)


def test_the_catalogue_source_holds_no_copy_of_a_registry_name():
    text = Path(catalog.__file__).read_text(encoding="utf-8")
    for code in AUDIT_TEXT:
        assert f'"{REGISTRY[code].name}"' not in text, code


def test_a_severity_override_needs_its_reason_and_wins():
    with pytest.raises(ValueError, match="reason"):
        AuditText("docs", "FACTS s.1", severity="warning")
    text = dict(AUDIT_TEXT)
    text["PB103"] = AuditText("docs", "FACTS s.5", severity="warning", why="the audit cannot see the note")
    orig = catalog.AUDIT_TEXT
    try:
        catalog.AUDIT_TEXT = text
        assert derive()["PB103"].severity == "warning" != REGISTRY["PB103"].severity
    finally:
        catalog.AUDIT_TEXT = orig
    assert all(t.severity is None for t in AUDIT_TEXT.values())  # today the audit agrees everywhere


def test_audit_only_codes_do_not_collide_and_are_warnings():
    assert [r.code for r in AUDIT_ONLY] == [c for c in RULE_ORDER if c.startswith("AUD")]
    for rule in AUDIT_ONLY:
        assert rule.code not in REGISTRY
        assert rule.severity == "warning"  # patterns for review, never errors
        assert rule.docs and rule.facts.startswith("FACTS s.")
    clash = dict(REGISTRY)
    clash["AUD01"] = REGISTRY["PB101"]
    with pytest.raises(ValueError, match="AUD01"):
        derive(clash)


def test_rules_is_a_read_only_mapping_in_report_order():
    assert list(RULES) == list(RULE_ORDER) == [*AUDIT_TEXT, "AUD01", "AUD02", "AUD03"]
    assert len(RULES) == 13 and "PB302" in RULES and "PB303" not in RULES
    assert dict(RULES.items()) == derive()
    with pytest.raises(TypeError):
        RULES["PB101"] = RULES["PB102"]  # type: ignore[index]


def test_the_registry_loads_only_on_the_first_lookup():
    code = ("import sys; from pumpbill.audit.catalog import RULES, RULE_ORDER; "
            "a = 'pumpbill.rules' in sys.modules; n = len(RULES); c = 'PB101' in RULES; o = list(RULES); "
            "b = 'pumpbill.rules' in sys.modules; name = RULES['PB101'].name; "
            "print(a, b, 'pumpbill.rules' in sys.modules, name)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "True", REGISTRY["PB101"].name]

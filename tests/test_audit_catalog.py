"""The audit's rule codes match the core registry (name, severity, source), so both tools agree."""

from __future__ import annotations

from pumpbill.audit.catalog import RULES
from pumpbill.facts import SOURCES
from pumpbill.rules import REGISTRY


def test_pb_codes_match_the_registry():
    for code, rule in RULES.items():
        assert rule.source in SOURCES, code
        if code.startswith("PB"):
            reg = REGISTRY[code]
            assert (rule.name, rule.severity, rule.source) == (reg.name, reg.severity, reg.source), code


def test_audit_only_codes_do_not_collide_and_are_warnings():
    for code, rule in RULES.items():
        if code.startswith("AUD"):
            assert code not in REGISTRY
            assert rule.severity == "warning"  # patterns for review, never errors
            assert rule.docs and rule.facts.startswith("FACTS s.")

"""The rules: importing this package registers every rule family in REGISTRY."""

from . import (
    bundling,
    coverage,
    diagnosis,
    documentation,
    drug_reporting,
    frequency,
    modifiers,
    payer,
    payer_settings,
    place,
    procedures,
    selection_rules,
    session_modifiers,
    units,
)
from .registry import FAMILIES, REGISTRY, Context, Hit, Rule

__all__ = ["FAMILIES", "REGISTRY", "Context", "Hit", "Rule", "bundling", "coverage", "diagnosis", "documentation",
           "drug_reporting", "frequency", "modifiers", "payer", "payer_settings", "place", "procedures",
           "selection_rules", "session_modifiers", "units"]

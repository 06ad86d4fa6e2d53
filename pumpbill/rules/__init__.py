"""The rules: importing this package registers every rule family in REGISTRY."""

from . import bundling, diagnosis, documentation, frequency, modifiers, payer, place, selection_rules, units
from .registry import FAMILIES, REGISTRY, Context, Hit, Rule

__all__ = ["FAMILIES", "REGISTRY", "Context", "Hit", "Rule", "bundling", "diagnosis", "documentation",
           "frequency", "modifiers", "payer", "place", "selection_rules", "units"]

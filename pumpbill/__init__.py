"""pumpbill: check and teach implantable drug-pump service coding.

The core (models, engine, rules, grading, widgets) deliberately imports nothing
heavy (no pandas) so that it runs in the browser under Pyodide.
"""

__version__ = "0.2.0"

#: Version of the rule set. A grade records it so that a regrade is exact.
RULES_VERSION = "2026.11.1"  # FACTS version 2

__all__ = ["__version__", "RULES_VERSION"]

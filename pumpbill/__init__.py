"""pumpbill: check and teach implantable drug-pump service coding.

The core (models, engine, rules, grading, widgets) deliberately imports nothing
heavy (no pandas) so that it runs in the browser under Pyodide.
"""

__version__ = "0.1.0"

#: Version of the rule set. A grade records it so that a regrade is exact.
RULES_VERSION = "2026.11.0"

__all__ = ["__version__", "RULES_VERSION"]

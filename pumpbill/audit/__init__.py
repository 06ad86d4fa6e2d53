"""Practice audit: find a practice's pump-billing risks in its claims history (pandas).

This is the only part of pumpbill that uses pandas. Importing ``pumpbill.audit`` (or its
``cli`` module) does not import pandas: the names below load on first use.

    from pumpbill.audit import audit_file, write_outputs
    result = audit_file("claims.csv")
    write_outputs(result, "audit-out")

Modules: ``schema`` (read and validate the CSV, line numbers), ``checks`` (vectorised
checks), ``outliers`` (peer comparison), ``pipeline`` (runs them), ``report`` (outputs),
``synth`` (synthetic data), ``evaluate`` (recall/precision against the synthetic truth),
``catalog`` (rule codes), ``cli`` (argparse).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .catalog import RULES, AuditRule

_LAZY = {
    "audit_file": "pipeline", "audit_claims": "pipeline", "AuditResult": "pipeline",
    "read_claims": "schema", "Claims": "schema", "AuditInputError": "schema",
    "write_outputs": "report", "text_summary": "report", "summary": "report",
    "SynthConfig": "synth", "generate": "synth", "write_synth": "synth",
    "score": "evaluate",
}

__all__ = ["RULES", "AuditRule", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

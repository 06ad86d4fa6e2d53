"""Spreadsheet-safe CSV cells: the one guard every CSV that pumpbill writes goes through.

Why: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets when someone opens the CSV ("CSV Injection", OWASP). Claim
exports and hand-ins are written by other people, so any text we copy into a CSV (codes, IDs, file
names, answers, reasons quoting a bad value) could carry ``=HYPERLINK(...)`` or ``+cmd|...``. The OWASP
rule: prefix such a cell with a single quote ``'``, which spreadsheets show as text. The check looks
at the value exactly as written: nothing is stripped first (``"\\t=1+1"`` becomes ``"'\\t=1+1"``, not
``"=1+1"``, security review A1).

Numbers are not text. A negative number that pumpbill computed and formatted itself (a score ``-0.25``,
a line number) stays unprefixed so spreadsheets still read it as a number; this holds only for a real
number we produced, never for user text that looks like one:

* :func:`safe_cell` leaves a Python/numpy number (``int``, finite ``float``, ``Decimal``) unprefixed and
  treats every ``str`` as text;
* :func:`safe_number_text` is for a column of numbers we already formatted as text (``num(-0.5)``): a
  plain decimal literal stays, anything else in that column (a bug, or user text) is neutralised;
* :func:`safe_series` does either for a whole pandas column, vectorised (used by the pandas writers
  only; this module imports no pandas, so the core stays light).

:func:`csv_row` joins safe cells into one record, quoting a field that holds a comma, a quote, a line
feed *or a carriage return*: Python's ``csv`` module (3.11) with ``lineterminator="\\n"`` leaves a bare
``\\r`` unquoted, and a spreadsheet or ``csv.reader`` then starts a new row there, whose first cell
(``"x\\r=1+1"`` -> ``=1+1``) would escape the first-character rule.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

#: First characters that make a spreadsheet evaluate a cell (OWASP "CSV Injection").
DANGEROUS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: What goes in front of a dangerous cell: spreadsheets show the rest as text.
PREFIX = "'"
_DANGER = frozenset(DANGEROUS)
#: A plain decimal number as pumpbill formats one (ASCII digits only: ``\\d`` would accept ``١``).
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _text(s: str) -> str:
    return PREFIX + s if s[:1] in _DANGER else s


def safe_cell(value: Any) -> str:
    """The text of one CSV cell that a spreadsheet will not run as a formula.

    ``None`` is ``""``; a ``str`` is text (prefixed with ``'`` when it starts with a dangerous
    character); a real number we hold as a number (``-1``, ``-0.5``, ``Decimal('-2')``) is written as
    itself, since a number cannot carry a formula (``-inf``, which is not a plain number, is text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, (numbers.Real, Decimal)) and not isinstance(value, bool):
        s = str(value)
        if NUMBER.fullmatch(s) and math.isfinite(value):
            return s
        return _text(s)
    return _text(str(value))


def safe_number_text(text: str) -> str:
    """A cell of a column of numbers we formatted ourselves: ``"-0.5"`` stays a number, anything else
    that could run as a formula is neutralised like text (so a mistake never becomes a formula)."""
    if text[:1] in _DANGER and not NUMBER.fullmatch(text):
        return PREFIX + text
    return text


def safe_series(text: Any, numbers: bool = False) -> Any:
    """:func:`safe_cell` (or, with ``numbers``, :func:`safe_number_text`) for a whole pandas Series of
    ``str`` (missing values already made ``""``), vectorised: one ``startswith`` pass over the column,
    then a look at the distinct dangerous values only. Returns the same Series when nothing is
    dangerous (the usual case: no copy)."""
    mask = text.str.startswith(DANGEROUS)
    if not mask.any():
        return text
    if numbers:
        plain = [v for v in text[mask].unique() if NUMBER.fullmatch(v)]
        if plain:
            mask = mask & ~text.isin(plain)
            if not mask.any():
                return text
    out = text.copy()
    out[mask] = PREFIX + text[mask]
    return out


def _field(s: str) -> str:
    if "," in s or '"' in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_row(cells: Iterable[str]) -> str:
    """One CSV record without its line end (RFC 4180 quoting, CR included), from cells already made
    safe with :func:`safe_cell` or :func:`safe_number_text`."""
    return ",".join(_field(c) for c in cells)


__all__ = ["DANGEROUS", "NUMBER", "PREFIX", "csv_row", "safe_cell", "safe_number_text", "safe_series"]

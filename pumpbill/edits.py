"""Code-pair (PTP) and units (MUE) edits, with provenance.

Two kinds of table, never confused:

* the **teaching table**: pairs derived from the CPT instructions in the
  reference (one 62367-62370 code per session; 62367-62370 not with
  95990/95991). It is labelled as derived, not official NCCI data.
* **official CMS NCCI files** a user downloads (quarterly PTP and MUE files in
  their published tab-delimited layout), loaded with :func:`load_ptp` and
  :func:`load_mue`.

A lookup is keyed by date of service and answers "applies", "not applicable"
or "no data", naming the table and version it used. pumpbill never ships
unverified pairs or MUE values as official.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Literal

from .errors import InputError
from .facts import FAMILY_CODES, REFILL_CODES
from .loader import read_text

Answer = Literal["applies", "not applicable", "no data"]
_CODE = re.compile(r"^[0-9A-Z]{5}$")
FAR_FUTURE = date(9999, 12, 31)


@dataclass(frozen=True)
class PtpEdit:
    column1: str
    column2: str
    effective: date
    deleted: date | None  # None: still in force
    modifier_indicator: str  # 0 never bypassed, 1 NCCI-associated modifier may bypass, 9 not applicable
    rationale: str = ""

    def in_force(self, dos: date) -> bool:
        return self.effective <= dos and (self.deleted is None or dos < self.deleted)


@dataclass(frozen=True)
class LookupResult:
    answer: Answer
    table: str
    version: str
    official: bool
    edit: PtpEdit | None = None
    mue: int | None = None
    mue_indicator: str | None = None

    @property
    def provenance(self) -> str:
        kind = ("official CMS NCCI file" if self.official
                else "not official NCCI data: teaching/synthetic table")
        return f"{self.table} {self.version} ({kind})"


@dataclass
class PtpTable:
    name: str
    version: str
    official: bool
    edits: dict[tuple[str, str], list[PtpEdit]] = field(default_factory=dict)
    #: dates the table covers; outside them the answer is "no data"
    covers: tuple[date, date] = (date.min, FAR_FUTURE)

    def add(self, edit: PtpEdit) -> None:
        self.edits.setdefault((edit.column1, edit.column2), []).append(edit)

    def lookup(self, a: str, b: str, dos: date) -> LookupResult:
        """Is the pair (either order) edited on this date of service?"""
        if not (self.covers[0] <= dos <= self.covers[1]):
            return LookupResult("no data", self.name, self.version, self.official)
        for key in ((a, b), (b, a)):
            for edit in self.edits.get(key, []):
                if edit.in_force(dos):
                    return LookupResult("applies", self.name, self.version, self.official, edit=edit)
        return LookupResult("not applicable", self.name, self.version, self.official)


def teaching_table() -> PtpTable:
    """Pairs that follow from CPT's own instructions (FACTS section 1), labelled as derived."""
    table = PtpTable("pumpbill teaching table", "2026.11", official=False)
    why_family = "CPT: 62367-62370 are alternatives, one per session"
    for a, b in combinations(FAMILY_CODES, 2):
        table.add(PtpEdit(max(a, b), min(a, b), date(2000, 1, 1), None, "0", why_family))
    for a in FAMILY_CODES:
        for b in REFILL_CODES:
            table.add(PtpEdit(a, b, date(2000, 1, 1), None, "0", "CPT: do not report 62367-62370 with 95990/95991"))
    table.add(PtpEdit("95991", "95990", date(2000, 1, 1), None, "0", "CPT: one refill code per session"))
    return table


@dataclass
class MueTable:
    name: str
    version: str
    values: dict[str, tuple[int, str]]  # code -> (units per day or line, adjudication indicator)
    covers: tuple[date, date]
    official: bool = True

    def lookup(self, code: str, dos: date) -> LookupResult:
        if not (self.covers[0] <= dos <= self.covers[1]) or code not in self.values:
            return LookupResult("no data", self.name, self.version, self.official)
        value, mai = self.values[code]
        return LookupResult("applies", self.name, self.version, self.official, mue=value, mue_indicator=mai)


def _date(text: str, path: str, lineno: int, column: str) -> date | None:
    text = text.strip()
    if text in ("*", ""):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, IndexError):
        raise InputError(path, f"line {lineno} {column}", f"expected a date as YYYYMMDD, got {text!r}") from None


def _marked_synthetic(text: str) -> bool:
    """A file that says it is synthetic or not CMS data is never reported as official."""
    return bool(re.search(r"SYNTHETIC|NOT CMS DATA", text, re.IGNORECASE))


def load_ptp(path: str | Path, *, version: str | None = None, official: bool = True) -> PtpTable:
    """Read a CMS quarterly PTP file (practitioner or hospital): tab-delimited, with preamble lines.

    Columns: Column 1, Column 2, '*' (in existence before 1996), effective date
    (YYYYMMDD), deletion date (YYYYMMDD or '*'), modifier indicator (0/1/9),
    rationale. Preamble and header lines are skipped; a malformed data line is an error.
    """
    name = str(path)
    text = read_text(path, max_bytes=200_000_000)
    official = official and not _marked_synthetic(text)
    label = "CMS NCCI PTP" if official else "SYNTHETIC example PTP (not CMS data)"
    table = PtpTable(f"{label} {Path(name).name}", version or Path(name).stem, official=official)
    found = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        parts = [p.strip() for p in raw.split("\t")]
        if len(parts) < 6 or not (_CODE.match(parts[0]) and _CODE.match(parts[1])):
            continue  # preamble, header or blank
        effective = _date(parts[3], name, lineno, "effective date")
        if effective is None:
            raise InputError(name, f"line {lineno} effective date", "missing")
        if parts[5] not in ("0", "1", "9"):
            raise InputError(name, f"line {lineno} modifier indicator", f"expected 0, 1 or 9, got {parts[5]!r}")
        deleted = _date(parts[4], name, lineno, "deletion date")
        table.add(PtpEdit(parts[0], parts[1], effective, deleted, parts[5], parts[6] if len(parts) > 6 else ""))
        found += 1
    if not found:
        raise InputError(name, None, "no PTP rows found (expected the CMS tab-delimited layout)")
    return table


def load_mue(path: str | Path, *, valid_from: date, valid_to: date, version: str | None = None,
             official: bool = True) -> MueTable:
    """Read a CMS quarterly MUE file: code, MUE value, adjudication indicator, rationale (tab or comma).

    MUE files carry no dates per row: the quarter they cover is given by the caller.
    """
    name = str(path)
    text = read_text(path, max_bytes=50_000_000)
    official = official and not _marked_synthetic(text)
    values: dict[str, tuple[int, str]] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        sep = "\t" if "\t" in raw else ","
        parts = [p.strip().strip('"') for p in raw.split(sep)]
        if len(parts) < 3 or not _CODE.match(parts[0]):
            continue
        if not parts[1].isdigit():
            raise InputError(name, f"line {lineno} MUE value", f"expected a whole number, got {parts[1]!r}")
        values[parts[0]] = (int(parts[1]), parts[2][:1])
    if not values:
        raise InputError(name, None, "no MUE rows found (expected the CMS layout)")
    label = "CMS NCCI MUE" if official else "SYNTHETIC example MUE (not CMS data)"
    return MueTable(f"{label} {Path(name).name}", version or Path(name).stem, values, (valid_from, valid_to),
                    official=official)


@dataclass
class EditData:
    """The tables a check consults: the teaching table always, official files when given."""

    teaching: PtpTable = field(default_factory=teaching_table)
    ptp: list[PtpTable] = field(default_factory=list)
    mue: list[MueTable] = field(default_factory=list)

    def official_pair(self, a: str, b: str, dos: date) -> LookupResult | None:
        """The first official table that has data for this date, or None when no table does."""
        for table in self.ptp:
            result = table.lookup(a, b, dos)
            if result.answer != "no data":
                return result
        return None

    def official_mue(self, code: str, dos: date) -> LookupResult | None:
        for table in self.mue:
            result = table.lookup(code, dos)
            if result.answer != "no data":
                return result
        return None

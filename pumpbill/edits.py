"""Code-pair (PTP) and units (MUE) edits, with provenance.

Two kinds of table, never confused:

* the **teaching table**: pairs derived from the CPT instructions in the
  reference (one 62367-62370 code per session; 62367-62370 not with
  95990/95991). It is labelled as derived, not official NCCI data.
* **official CMS NCCI tables**: the rows pumpbill ships (``pumpbill.cms``: the
  outpatient-hospital PTP table v32.3 and the practitioner MUE table 2026 Q2,
  each labelled with its version), and the quarterly files a user downloads
  (their published tab-delimited layout), loaded with :func:`load_ptp` and
  :func:`load_mue`, which take precedence.

A lookup is keyed by date of service and answers "applies", "not applicable"
or "no data", naming the table and version it used. pumpbill never ships
unverified pairs or MUE values as official.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
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
    note: str = ""

    @property
    def provenance(self) -> str:
        kind = ("official CMS NCCI data" if self.official
                else "not official NCCI data: teaching/synthetic table")
        name = f"{self.table} {self.version}".strip()
        return f"{name} ({kind}{'; ' + self.note if self.note else ''})"


@dataclass
class PtpTable:
    name: str
    version: str
    official: bool
    edits: dict[tuple[str, str], list[PtpEdit]] = field(default_factory=dict)
    #: dates the table covers; outside them the answer is "no data"
    covers: tuple[date, date] = (date.min, FAR_FUTURE)
    note: str = ""
    #: the quarter the table was published for, when it is applied beyond it (the shipped CMS rows)
    quarter: tuple[date, date] | None = None

    def note_for(self, dos: date) -> str:
        return _note_for(self.note, self.quarter, dos)

    def add(self, edit: PtpEdit) -> None:
        self.edits.setdefault((edit.column1, edit.column2), []).append(edit)

    def lookup(self, a: str, b: str, dos: date) -> LookupResult:
        """Is the pair (either order) edited on this date of service?"""
        if not (self.covers[0] <= dos <= self.covers[1]):
            return LookupResult("no data", self.name, self.version, self.official, note=self.note_for(dos))
        for key in ((a, b), (b, a)):
            for edit in self.edits.get(key, []):
                if edit.in_force(dos):
                    return LookupResult("applies", self.name, self.version, self.official, edit=edit,
                                        note=self.note_for(dos))
        return LookupResult("not applicable", self.name, self.version, self.official, note=self.note_for(dos))


#: The teaching table carries no NCCI modifier indicator: CPT says "do not report together", nothing more.
CPT_INSTRUCTION = "CPT"


def teaching_table(exclude: PtpTable | None = None) -> PtpTable:
    """Pairs that follow from CPT's own instructions (FACTS section 1), labelled as derived.

    Only pairs the shipped CMS table does not cover (``exclude``) are kept: where CMS has the pair, its
    row is the answer.
    """
    table = PtpTable("pumpbill teaching table (CPT instructions, not NCCI data)", "2026.11", official=False)
    pairs = [(max(a, b), min(a, b), "CPT: 62367-62370 are alternatives, one per session")
             for a, b in combinations(FAMILY_CODES, 2)]
    pairs += [(a, b, "CPT: do not report 62367-62370 with 95990/95991") for a in FAMILY_CODES for b in REFILL_CODES]
    pairs.append(("95991", "95990", "CPT: one refill code per session"))
    for a, b, why in pairs:
        if exclude is not None and exclude.lookup(a, b, date(2026, 10, 1)).answer == "applies":
            continue
        table.add(PtpEdit(a, b, date(2000, 1, 1), None, CPT_INSTRUCTION, why))
    return table


@lru_cache(maxsize=1)
def shipped_ptp() -> PtpTable:
    """The CMS outpatient-hospital PTP rows pumpbill ships (active edits of v32.3; no effective dates kept)."""
    from . import cms

    table = PtpTable(cms.PTP_TABLE_LABEL, "", official=True,
                     note="active edits, effective dates not retained; " + cms.PTP_PROFESSIONAL_NOTE,
                     quarter=(date(2026, 10, 1), date(2026, 12, 31)))
    for pair in cms.ptp_pairs():
        table.add(PtpEdit(pair.column1, pair.column2, date.min, None, pair.modifier_indicator,
                          "active edit in v32.3; effective date not retained"))
    return table


@lru_cache(maxsize=1)
def shipped_mue() -> MueTable:
    """The CMS practitioner MUE values pumpbill ships (2026 Q2, MAI 3 rows), for any date, with that caveat."""
    from . import cms

    values = {m.code: (m.value, m.mai) for m in cms.mue_values("practitioner")}
    return MueTable("CMS NCCI practitioner MUE table", "2026 Q2", values, (date.min, FAR_FUTURE), official=True,
                    quarter=(date(2026, 4, 1), date(2026, 6, 30)))


@dataclass
class MueTable:
    name: str
    version: str
    values: dict[str, tuple[int, str]]  # code -> (units per day or line, adjudication indicator)
    covers: tuple[date, date]
    official: bool = True
    note: str = ""
    quarter: tuple[date, date] | None = None

    def lookup(self, code: str, dos: date) -> LookupResult:
        note = _note_for(self.note, self.quarter, dos)
        if not (self.covers[0] <= dos <= self.covers[1]) or code not in self.values:
            return LookupResult("no data", self.name, self.version, self.official, note=note)
        value, mai = self.values[code]
        return LookupResult("applies", self.name, self.version, self.official, mue=value, mue_indicator=mai,
                            note=note)


def _note_for(note: str, quarter: tuple[date, date] | None, dos: date) -> str:
    """A shipped table applied outside the quarter it was published for says so, with the date of service."""
    if quarter is None or quarter[0] <= dos <= quarter[1]:
        return note
    outside = (f"published for {quarter[0].isoformat()} to {quarter[1].isoformat()}; the date of service "
               f"{dos.isoformat()} is outside it: check the table in force then")
    return f"{note}; {outside}" if note else outside


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
        if not (parts[1].isascii() and parts[1].isdigit() and len(parts[1]) <= 6):
            raise InputError(name, f"line {lineno} MUE value",
                             f"expected a whole number of at most 6 digits, got {parts[1][:20]!r}")
        values[parts[0]] = (int(parts[1]), parts[2][:1])
    if not values:
        raise InputError(name, None, "no MUE rows found (expected the CMS layout)")
    label = "CMS NCCI MUE" if official else "SYNTHETIC example MUE (not CMS data)"
    return MueTable(f"{label} {Path(name).name}", version or Path(name).stem, values, (valid_from, valid_to),
                    official=official)


@dataclass
class EditData:
    """The tables a check consults: files the user loaded first, then the shipped CMS rows, then the
    teaching table (CPT instructions) for the pump-service pairs the CMS rows do not cover."""

    ptp: list[PtpTable] = field(default_factory=list)
    mue: list[MueTable] = field(default_factory=list)
    shipped: bool = True

    @property
    def ptp_tables(self) -> list[PtpTable]:
        return [*self.ptp, shipped_ptp()] if self.shipped else list(self.ptp)

    @property
    def mue_tables(self) -> list[MueTable]:
        return [*self.mue, shipped_mue()] if self.shipped else list(self.mue)

    @property
    def teaching(self) -> PtpTable:
        return _teaching_beyond_cms() if self.shipped else teaching_table()

    def official_pair(self, a: str, b: str, dos: date) -> LookupResult | None:
        """The first official table that has data for this date, or None when no table does."""
        for table in self.ptp_tables:
            result = table.lookup(a, b, dos)
            if result.answer != "no data":
                return result
        return None

    def pair(self, a: str, b: str, dos: date) -> LookupResult:
        """The answer for a pair: an official table's when one has data, else the teaching table's."""
        official = self.official_pair(a, b, dos)
        if official is not None and official.answer == "applies":
            return official
        taught = self.teaching.lookup(a, b, dos)
        return taught if taught.answer == "applies" or official is None else official

    def official_mue(self, code: str, dos: date) -> LookupResult | None:
        for table in self.mue_tables:
            result = table.lookup(code, dos)
            if result.answer != "no data":
                return result
        return None


@lru_cache(maxsize=1)
def _teaching_beyond_cms() -> PtpTable:
    return teaching_table(exclude=shipped_ptp())

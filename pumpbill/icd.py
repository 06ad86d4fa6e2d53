"""Diagnosis validity from the maintained ICD-10-CM code set (not a hand-written list).

A code is usable on a claim when it exists and is a billable leaf. The index
is built from the CMS files by ``scripts/build_icd_index.py``; its first line
names the fiscal year, which every finding about validity states.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources


@dataclass(frozen=True)
class IcdCodeSet:
    """The code set. One check looks up a handful of codes: they are found in the index text on demand
    (a few ms each) instead of building a 98,000-entry dict first (over 0.1 s, most of a check's time).
    A long run (grading, many files) that asks for many codes gets the dict after all."""

    label: str
    raw: bytes = field(repr=False)  # the index: a label line, then one "code<TAB>leaf<TAB>description" per line
    _seen: dict[str, tuple[bool, str] | None] = field(default_factory=dict, repr=False, compare=False)

    def _entry(self, code: str) -> tuple[bool, str] | None:
        if "codes" in self.__dict__ or len(self._seen) >= 64:
            return self.codes.get(code)
        if code not in self._seen:
            self._seen[code] = self._find(code)
        return self._seen[code]

    def _find(self, code: str) -> tuple[bool, str] | None:
        if not code or not code.isascii() or any(c in code for c in "\t\r\n"):
            return None
        start = self.raw.find(b"\n" + code.encode("ascii") + b"\t")
        if start < 0:
            return None
        end = self.raw.find(b"\n", start + 1)
        _, leaf, desc = self.raw[start + 1:end if end >= 0 else None].decode("utf-8").split("\t", 2)
        return leaf == "1", desc

    @cached_property
    def codes(self) -> dict[str, tuple[bool, str]]:
        """Every code: code -> (billable leaf, description). Built on first use only."""
        codes: dict[str, tuple[bool, str]] = {}
        for row in self.raw.decode("utf-8").splitlines()[1:]:
            code, leaf, desc = row.split("\t", 2)
            codes[code] = (leaf == "1", desc)
        return codes

    def status(self, code: str) -> str:
        """'billable', 'header' (exists, not billable: needs more characters) or 'unknown'."""
        entry = self._entry(code)
        if entry is None:
            return "unknown"
        return "billable" if entry[0] else "header"

    def description(self, code: str) -> str | None:
        entry = self._entry(code)
        return entry[1] if entry else None


@lru_cache(maxsize=1)
def code_set() -> IcdCodeSet:
    raw = gzip.decompress(resources.files("pumpbill").joinpath("data/icd10cm.tsv.gz").read_bytes())
    label = raw[:raw.index(b"\n")].decode("utf-8").lstrip("# ").split(";")[0]
    return IcdCodeSet(label, raw)

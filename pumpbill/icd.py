"""Diagnosis validity from the maintained ICD-10-CM code set (not a hand-written list).

A code is usable on a claim when it exists and is a billable leaf. The index
is built from the CMS files by ``scripts/build_icd_index.py``; its first line
names the fiscal year, which every finding about validity states.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class IcdCodeSet:
    label: str
    codes: dict[str, tuple[bool, str]]  # code -> (billable leaf, description)

    def status(self, code: str) -> str:
        """'billable', 'header' (exists, not billable: needs more characters) or 'unknown'."""
        entry = self.codes.get(code)
        if entry is None:
            return "unknown"
        return "billable" if entry[0] else "header"

    def description(self, code: str) -> str | None:
        entry = self.codes.get(code)
        return entry[1] if entry else None


@lru_cache(maxsize=1)
def code_set() -> IcdCodeSet:
    raw = resources.files("pumpbill").joinpath("data/icd10cm.tsv.gz").read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    lines = text.splitlines()
    label = lines[0].lstrip("# ").split(";")[0]
    codes: dict[str, tuple[bool, str]] = {}
    for row in lines[1:]:
        code, leaf, desc = row.split("\t", 2)
        codes[code] = (leaf == "1", desc)
    return IcdCodeSet(label, codes)

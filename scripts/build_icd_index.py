"""Regenerate pumpbill/data/icd10cm.tsv.gz from the maintained ICD-10-CM code set.

The code set comes from the PyPI package simple-icd-10-cm (CMS FY2026 files,
April 1, 2026 update). We keep a compact index (code, billable leaf or header,
description) so that the checker starts fast and runs in the browser without
parsing the 30 MB XML; it is packed one gzip member per first letter, so a check decompresses only the
letters it needs (pumpbill.icd.pack_index). tests/test_reference_data.py checks the index against the package.

    .venv/bin/python scripts/build_icd_index.py
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import simple_icd_10_cm as cm

from pumpbill.icd import pack_index

OUT = Path(__file__).resolve().parent.parent / "pumpbill" / "data" / "icd10cm.tsv.gz"
CODE_SET = "ICD-10-CM FY2026 (CMS April 1, 2026 update)"


def main() -> None:
    rows = [f"# {CODE_SET}; from simple-icd-10-cm {version('simple-icd-10-cm')}"]
    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        desc = cm.get_description(code).replace("\t", " ").replace("\n", " ")
        rows.append(f"{code}\t{int(cm.is_leaf(code))}\t{desc}")
    data = ("\n".join(rows) + "\n").encode("utf-8")
    OUT.write_bytes(pack_index(data))
    print(f"wrote {OUT} ({len(rows) - 1} codes, {OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()

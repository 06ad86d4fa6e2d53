"""``changes.csv``: which grades a regrade moved, and why, compared with the outputs it replaces.

Why: after a key or points change, or a trainee's resubmission, the instructor has to tell trainees
whose grade moved, and Canvas has to be updated; overwriting the outputs silently (instructor review,
"Regrade") leaves them diffing spreadsheets. The comparison uses ``grades.csv`` (one row per trainee
and exercise, the record that counts) of the previous run in the same ``--out`` (or ``--compare DIR``),
read before the new outputs replace it. One row per trainee and exercise whose status or points
changed, and one ``(total)`` row per trainee whose total changed.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from ..csvsafe import NUMBER

COLUMNS = ["trainee", "exercise", "old_status", "new_status", "old_points", "new_points", "old_max", "new_max",
           "why"]
TOTAL = "(total)"


def read_previous(path: Path | None) -> list[dict[str, str]] | None:
    """The previous grades.csv rows, or None when there is none to compare with."""
    if path is None or not path.is_file():
        return None
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    need = {"trainee", "exercise", "status", "points", "max_points", "source"}
    return rows if rows and need <= set(rows[0]) else ([] if not rows else None)


def _f(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return 0.0


def _same_file(a: str, b: str) -> bool:
    """Sources compare by file name: a run from another folder, or another download of the same archive,
    changes only the path (an archive member is named ``archive.zip!member``: the member decides)."""
    def name(s: str) -> str:
        return s.rsplit("!", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]
    return name(a) == name(b)


def _renumber(text: str | None, num) -> str | None:
    """A number read back from the previous grades.csv, formatted again by us: the old_* columns then
    hold numbers this program produced (a negative one stays a number in changes.csv), never the
    file's own text. Anything that is not a plain ASCII decimal stays text (neutralised when written)."""
    if not isinstance(text, str) or not NUMBER.fullmatch(text):
        return text
    x = float(text)
    return num(x) if math.isfinite(x) else text


def _why(old: dict[str, str] | None, new: dict[str, str] | None) -> str:
    if old is None:
        return "new in this run"
    if new is None:
        return "not in this run"
    reasons = []
    if old["max_points"] != new["max_points"]:
        reasons.append(f"points possible changed ({old['max_points']} -> {new['max_points']})")
    if old.get("source", "") != new.get("source", "") and not _same_file(old.get("source", ""), new.get("source", "")):
        reasons.append("another submission counts" if new.get("source") and old.get("source")
                       else "submission added" if new.get("source") else "submission no longer counted")
    elif old.get("raw_points", "") != new.get("raw_points", "") or old["status"] != new["status"]:
        reasons.append("same submission, graded differently (key, rubric or rules changed)")
    if old.get("penalty", "") != new.get("penalty", ""):
        reasons.append(f"late penalty {old.get('penalty') or '0'} -> {new.get('penalty') or '0'}")
    return "; ".join(reasons) or "changed"


def changes_frame(previous: list[dict[str, str]] | None, current: list[dict[str, str]], num=str) -> pd.DataFrame:
    """The changed grades (empty with the header when nothing changed or there is nothing to compare)."""
    if previous is None:
        return pd.DataFrame([], columns=COLUMNS, dtype=object)
    old = {(r["trainee"], r["exercise"]): r for r in previous}
    new = {(r["trainee"], r["exercise"]): r for r in current}
    rows = []
    totals_old: dict[str, float] = {}
    totals_new: dict[str, float] = {}
    for (t, _), r in old.items():
        totals_old[t] = totals_old.get(t, 0.0) + _f(r["points"])
    for (t, _), r in new.items():
        totals_new[t] = totals_new.get(t, 0.0) + _f(r["points"])
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key), new.get(key)
        if o is not None and n is not None and (o["status"], o["points"], o["max_points"]) == \
                (n["status"], n["points"], n["max_points"]):
            continue
        rows.append([key[0], key[1], o["status"] if o else "", n["status"] if n else "",
                     _renumber(o["points"], num) if o else "", n["points"] if n else "",
                     _renumber(o["max_points"], num) if o else "", n["max_points"] if n else "", _why(o, n)])
    for t in sorted(set(totals_old) | set(totals_new)):
        a, b = totals_old.get(t), totals_new.get(t)
        if a is None or b is None or abs(a - b) > 5e-5:
            rows.append([t, TOTAL, "", "", "" if a is None else num(a), "" if b is None else num(b), "", "",
                         "new in this run" if a is None else "not in this run" if b is None else "total changed"])
    rows.sort(key=lambda r: (r[0], r[1] == TOTAL, r[1]))
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


__all__ = ["COLUMNS", "TOTAL", "changes_frame", "read_previous"]

"""``lms_canvas.csv``: a Canvas gradebook import that fills the assignment the instructor already made.

Why each detail (Canvas's importer, ``app/models/gradebook_importer.rb``, and exporter,
``lib/gradebook_exporter.rb``, in instructure/canvas-lms):

* The header starts ``Student, ID, SIS User ID, SIS Login ID, Section``: the importer wants a row
  whose first cell includes "Student" and second "ID"; "SIS User ID" then "SIS Login ID" are read as
  SIS columns; the last student column must include "Section". Assignment columns follow.
* The assignment column is ``Title (12345)`` with the assignment's numeric id: ``Assignment.title_and_id``
  reads an id only from ``/\\A(.*)\\s\\((\\d+)\\)\\z/``; anything else is matched by title, or makes
  Canvas offer to create a new assignment. Titles containing "Current Score", "Final Grade" and the
  like are dropped by the importer as total columns, so they are refused here.
* A row whose first cell includes "Points Possible" gives the points possible.
* Students are matched by ``ID`` (Canvas user id), then SIS User ID, then SIS Login ID, then name: with a
  roster every row carries the roster's ids, so each row reaches its student.
* ``EX`` is Canvas's "excused"; an empty cell is "no grade". Scores are written with at most two
  decimals, as Canvas's exporter does, computed from the unrounded sum (no ``35.0001``).
* Rows: exactly the roster's students (no one who is not on it), or without a roster the trainees
  who handed something in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from ..errors import InputError
from .identity import Roster

COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "    Points Possible"
TITLE_AND_ID = re.compile(r"(.*)\s\((\d+)\)")  # Canvas: /\A(.*)\s\((\d+)\)\z/ ('.' stops at a newline)
NON_ASSIGNMENT = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
                  "Override Score", "Override Grade", "Override Status")
RESERVED = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Section", "Integration ID",
            "Root Account")
MISSING = ("zero", "blank")
NOT_GRADABLE = ("blank", "zero", "ex")


def assignment_column(set_title: str, title_and_id: str | None = None, assignment_id: str | None = None
                      ) -> tuple[str, str]:
    """(the assignment column header, a warning or ""). InputError (exit 2) for a header Canvas would
    misread."""
    if title_and_id is not None and assignment_id is not None:
        raise InputError("--canvas-assignment", None, "give either --canvas-assignment or --canvas-assignment-id")
    if title_and_id is not None:
        header = title_and_id.strip()
        if not TITLE_AND_ID.fullmatch(header):
            raise InputError("--canvas-assignment", None, f"{title_and_id!r}: write the title and the assignment's "
                             "numeric id as Canvas shows them in its own export, e.g. \"Week 1 refills (48213)\"")
    elif assignment_id is not None:
        if not assignment_id.strip().isdigit():
            raise InputError("--canvas-assignment-id", None, f"{assignment_id!r}: the assignment id is a number "
                             "(in the assignment's address: /assignments/48213)")
        header = f"{' '.join(set_title.split())} ({assignment_id.strip()})"
    else:
        header = " ".join(set_title.split())
    if "\n" in header or "\r" in header:
        raise InputError("--canvas-assignment", None, "the title must be one line")
    bad = next((n for n in NON_ASSIGNMENT if n in header), None)
    if bad or header in RESERVED:
        raise InputError("--canvas-assignment", None, f"{header!r}: Canvas reads a column named like this "
                         f"({bad or header}) as something else than an assignment; choose another title")
    warning = "" if TITLE_AND_ID.fullmatch(header) else (
        "lms_canvas.csv: no Canvas assignment id (give --canvas-assignment \"Title (12345)\" or "
        "--canvas-assignment-id 12345); Canvas will match the column by its title or offer to create a new "
        "assignment")
    return header, warning


def money(x: float) -> str:
    """Two decimals at most, rounded once and half up: 35.00005 -> '35', 2/3 -> '0.67', 2.675 -> '2.68'."""
    d = Decimal(repr(round(x, 9))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    s = f"{d:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def cell_value(statuses: Sequence[str], points: float, missing: str, not_gradable: str) -> str:
    """The Canvas cell for a trainee: not gradable work as the instructor chose (never a silent 0 unless
    they chose zero), nothing handed in at all as zero or blank, else the points."""
    if "not gradable" in statuses:
        if not_gradable == "blank":
            return ""
        if not_gradable == "ex":
            return "EX"
    elif statuses and all(s == "missing" for s in statuses) and missing == "blank":
        return ""
    return money(points)


def canvas_frame(people: Sequence[str], values: dict[str, str], max_points: float, header: str,
                 roster: Roster | None = None, canvas_ids: dict[str, str] | None = None,
                 names: dict[str, str] | None = None, cell=str) -> pd.DataFrame:
    """The import file: the Points Possible row, then one row per person (roster order when there is a
    roster, else the sorted trainee ids). Without a roster, a trainee known by a Canvas user id (an
    archive) gets it in ID and the id inside their files as the name."""
    canvas_ids, names = canvas_ids or {}, names or {}
    rows = [[POINTS_POSSIBLE, "", "", "", "", money(max_points)]]
    if roster is not None:
        order = [s.key for s in roster.students]
        for key in order:
            s = roster.by_key[key]
            rows.append([cell(s.name), s.canvas_id, cell(s.sis_user_id), cell(s.sis_login_id), cell(s.section),
                         values.get(key, "")])
    else:
        for t in people:
            cid = canvas_ids.get(t, "")
            rows.append([cell(names.get(t) or t), cid, "" if cid else cell(t), "", "", values.get(t, "")])
    return pd.DataFrame(rows, columns=[*COLUMNS, cell(header)], dtype=object)


__all__ = ["COLUMNS", "MISSING", "NOT_GRADABLE", "POINTS_POSSIBLE", "TITLE_AND_ID", "assignment_column",
           "canvas_frame", "cell_value", "money"]

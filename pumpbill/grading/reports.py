"""Instructor reports from a graded batch (pandas and matplotlib here only; the core stays light).

``write_reports(out_dir, exercise_set, results)`` writes, as one set (see :mod:`.outputs`):

* ``results.csv``: long format, one row per trainee, exercise and rubric part (every status), with
  whether the record counts, the days late, the penalty and why it counts;
* ``grades.csv``: one row per trainee and exercise, the record that counts: points after the penalty,
  raw points, penalty, due date, file, and why it counts (the regrade comparison reads it);
* ``gradebook.csv``: one row per trainee, a column per exercise (after penalties), total, max, percent,
  counts, days late, penalty and the trainee's feedback file;
* ``lms_canvas.csv``: Canvas gradebook import (see :mod:`.canvas`);
* ``feedback/<trainee>.html``: self-contained, readable offline (see :mod:`.pages`);
* ``item_analysis.csv`` / ``.html`` / ``.png``: difficulty, discrimination, most missed rules and false
  alarms (findings about the exercise's own note left out), chart;
* ``not_gradable.csv``: file, trainee, exercise and reason of every submission that was not graded;
* ``review.csv``: what a person should check (see :mod:`.review`);
* ``changes.csv``: the grades that moved since the outputs this run replaces (see :mod:`.changes`).

Re-running on the same inputs gives byte-identical files: fixed number formats, sorted rows, no dates,
``\\n`` line ends, PNG without software/date metadata. Totals are sums of unrounded points, rounded
once when written. Every CSV cell that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import RULES_VERSION
from ..csvsafe import csv_row, safe_cell, safe_number_text
from ..exercises.models import ExerciseSet
from . import canvas
from .batch import Result, trainees
from .changes import changes_frame, read_previous
from .formulas import DEFAULTS
from .grade import ANSWER_KINDS
from .identity import Roster
from .outputs import OutputSet
from .pages import FEEDBACK, SYNTHETIC, book_href, feedback_html, feedback_names, num
from .pages import item_analysis_html as _items_page
from .review import COLUMNS as REVIEW_COLUMNS
from .review import Flag

RESULTS = "results.csv"
GRADES = "grades.csv"
GRADEBOOK = "gradebook.csv"
CANVAS = "lms_canvas.csv"
ITEMS = "item_analysis.csv"
ITEMS_HTML = "item_analysis.html"
ITEMS_PNG = "item_analysis.png"
NOT_GRADABLE = "not_gradable.csv"
REVIEW = "review.csv"
CHANGES = "changes.csv"
OUTPUTS = (RESULTS, GRADES, GRADEBOOK, CANVAS, ITEMS, ITEMS_HTML, ITEMS_PNG, NOT_GRADABLE, REVIEW, CHANGES)

RESULT_COLUMNS = ["trainee", "exercise", "part", "formula", "points", "max_points", "detail", "status", "reason",
                  "rules_version", "source", "submitted_at", "mode", "counted", "late_days", "penalty", "why"]
GRADE_COLUMNS = ["trainee", "exercise", "status", "points", "raw_points", "penalty", "max_points", "late_days", "due",
                 "submitted_at", "source", "file_trainee", "why", "reason"]
NOT_GRADABLE_COLUMNS = ["source", "trainee", "exercise", "reason"]
ITEM_COLUMNS = ["exercise", "title", "kind", "level", "max_points", "trainees", "n", "missing", "not_gradable",
                "mean_points", "difficulty", "discrimination", "most_missed_rules", "false_alarms", "note"]
_ITEM_NUMERIC = {"max_points", "trainees", "n", "missing", "not_gradable", "mean_points", "difficulty",
                 "discrimination"}
#: Columns of numbers the grader computes and formats itself (``num``, ``money``, counts): a negative value
#: (a discrimination of -0.25) is written as a number. Every other column is text and neutralised. Not here:
#: changes.csv's old_* values, read from the previous grades.csv, unless ``changes_frame`` re-formatted them
#: as numbers (it does for plain decimals, see changes.py).
RESULT_NUMERIC = {"points", "max_points", "late_days", "penalty"}
GRADE_NUMERIC = {"points", "raw_points", "penalty", "max_points", "late_days"}
GRADEBOOK_TEXT = {"trainee", "feedback"}  # every other gradebook column (exercises, totals, counts) is a number
CHANGES_NUMERIC = {"old_points", "new_points", "old_max", "new_max"}

# ---------------------------------------------------------------------------------------------- format


def cell(text: Any) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula (submissions are data): always
    text, through the one guard :func:`pumpbill.csvsafe.safe_cell`."""
    return safe_cell(None if text is None else str(text))


def _text_cell(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else safe_cell(value)


def _number_cell(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else safe_number_text(str(value))


def _csv_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], numbers: Collection[str] = ()) -> str:
    """CSV text (header, minimal quoting, ``\\n`` line ends) with every cell spreadsheet-safe, whatever
    the caller already did: text through ``safe_cell``; ``numbers`` names the columns of numbers this
    program formatted (``num``, ``money``, counts), whose negative values stay numbers (a non-number
    in them is still neutralised). Built row by row without a frame: a class's results run to tens
    of thousands of rows."""
    guards = [_number_cell if c in numbers else _text_cell for c in columns]
    out = [csv_row(safe_cell(str(c)) for c in columns)]
    out.extend(csv_row([g(v) for g, v in zip(guards, row, strict=True)]) for row in rows)
    return "\n".join(out) + "\n"


def _csv(frame: pd.DataFrame, numbers: Collection[str] = ()) -> str:
    return _csv_rows([str(c) for c in frame.columns], frame.itertuples(index=False, name=None), numbers)


# ---------------------------------------------------------------------------------------------- frames


def results_frame(exercise_set: ExerciseSet, results: Sequence[Result]) -> pd.DataFrame:
    """One row per trainee, exercise and rubric part. Records that were not graded get one row per part
    of the exercise (0 points; empty points when superseded), or one row when the exercise is unknown."""
    return pd.DataFrame(results_rows(exercise_set, results), columns=RESULT_COLUMNS, dtype=object)


def results_rows(exercise_set: ExerciseSet, results: Sequence[Result]) -> list[list[str]]:
    by_id = {ex.id: ex for ex in exercise_set.exercises}
    rows: list[list[str]] = []
    for r in results:
        common = [r.status, cell(r.reason), RULES_VERSION if r.grade is None else r.grade.rules_version,
                  cell(r.source), cell(r.submitted_at), r.mode, "yes" if r.counted else "",
                  str(r.late_days) if r.late_days else "", num(r.penalty) if r.penalty else "", cell(r.why)]
        if r.status == "graded" and r.grade is not None:
            for p in r.grade.parts:
                rows.append([cell(r.trainee), r.exercise, p.part, p.formula, num(p.points), num(p.max_points),
                             cell(p.detail), *common])
            continue
        ex = by_id.get(r.exercise)
        pts = "" if r.status == "superseded" else "0"
        if ex is None:
            rows.append([cell(r.trainee), cell(r.exercise), "", "", pts, "", "", *common])
            continue
        for part, max_pts in ex.rubric.points.items():
            formula = ex.rubric.formulas.get(part, DEFAULTS[part])  # type: ignore[arg-type]
            rows.append([cell(r.trainee), r.exercise, part, formula, pts, num(max_pts), "", *common])
    return rows


class Book:
    """The gradebook numbers, computed once: people (sorted) x exercises (set order); missing and not
    gradable count 0. ``people``: everyone with a row (the roster), by default who handed something in."""

    def __init__(self, exercise_set: ExerciseSet, results: Sequence[Result], people: Sequence[str] | None = None
                 ) -> None:
        self.ids = [ex.id for ex in exercise_set.exercises]
        self.people = sorted(people) if people is not None else trainees(results)
        everyone = set(self.people)
        self.cells = {(r.trainee, r.exercise): r for r in results if r.counted and r.trainee in everyone}

        def matrix(attr: str) -> pd.DataFrame:
            data = [[getattr(self.cells[(t, e)], attr) if (t, e) in self.cells else 0.0 for e in self.ids]
                    for t in self.people]
            return pd.DataFrame(np.array(data, dtype=float).reshape(len(self.people), len(self.ids)),
                                index=pd.Index(self.people, name="trainee"), columns=self.ids)

        self.points = matrix("points")
        self.raw = matrix("raw")
        self.totals = self.points.sum(axis=1).tolist()  # unrounded: rounded once when written
        self.max = set_max(exercise_set)


def gradebook_numbers(exercise_set: ExerciseSet, results: Sequence[Result]) -> pd.DataFrame:
    """Points per trainee (rows, sorted) and exercise (columns, set order); missing and not gradable = 0."""
    return Book(exercise_set, results).points


def set_max(exercise_set: ExerciseSet) -> float:
    return float(sum(ex.max_points for ex in exercise_set.exercises))


def gradebook_frame(exercise_set: ExerciseSet, results: Sequence[Result], book: Book | None = None,
                    pages: dict[str, str] | None = None) -> pd.DataFrame:
    book = book or Book(exercise_set, results)
    pages = pages if pages is not None else feedback_names(book.people)
    pts = book.points
    out = pd.DataFrame({"trainee": pd.Series([cell(t) for t in book.people], dtype=object)})
    for e in book.ids:
        out[e] = [num(v) for v in pts[e].tolist()]
    out["total"] = [num(v) for v in book.totals]
    out["max"] = num(book.max)
    out["percent"] = [num(100 * v / book.max if book.max else 0.0, 2) for v in book.totals]
    mine = {t: [book.cells[(t, e)] for e in book.ids if (t, e) in book.cells] for t in book.people}
    counts = {t: Counter(r.status for r in rs) for t, rs in mine.items()}
    for status, col in (("graded", "graded"), ("missing", "missing"), ("not gradable", "not_gradable")):
        out[col] = [str(counts[t].get(status, 0)) for t in book.people]
    out["late"] = [str(sum(1 for r in mine[t] if r.late_days)) for t in book.people]
    out["penalty"] = [num(sum(r.penalty for r in mine[t])) for t in book.people]
    out["feedback"] = [f"{FEEDBACK}/{pages[t]}" for t in book.people]
    return out.astype(object)


def grades_frame(book: Book) -> pd.DataFrame:
    return pd.DataFrame(grades_rows(book), columns=GRADE_COLUMNS, dtype=object)


def grades_rows(book: Book) -> list[list[str]]:
    rows = []
    for t in book.people:
        for e in book.ids:
            r = book.cells.get((t, e))
            if r is None:
                continue
            rows.append([cell(t), e, r.status, num(r.points), num(r.raw), num(r.penalty), num(r.max_points),
                         str(r.late_days), cell(r.due), cell(r.submitted_at), cell(r.source), cell(r.file_trainee),
                         cell(r.why), cell(r.reason)])
    return rows


def not_gradable_frame(results: Sequence[Result]) -> pd.DataFrame:
    rows = [[cell(r.source), cell(r.trainee), cell(r.exercise), cell(r.reason)]
            for r in sorted(results, key=lambda r: (r.source, r.position)) if r.status == "not gradable"]
    return pd.DataFrame(rows, columns=NOT_GRADABLE_COLUMNS, dtype=object)


def review_frame(flags: Sequence[Flag]) -> pd.DataFrame:
    rows = [[f.kind, cell(f.trainee), cell(f.exercise), cell(f.source), cell(f.detail)] for f in sorted(set(flags))]
    return pd.DataFrame(rows, columns=REVIEW_COLUMNS, dtype=object)


# ---------------------------------------------------------------------------------------------- items


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3:
        return float("nan")
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    return float((dx * dy).sum()) / den if den > 1e-12 else float("nan")


def _top(counter: Counter[str]) -> str:
    return "; ".join(f"{code} ({n})" for code, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:3])


def item_numbers(exercise_set: ExerciseSet, results: Sequence[Result], book: Book | None = None) -> pd.DataFrame:
    """Per exercise: n graded, difficulty (mean fraction of the points before late penalties; higher is
    easier), discrimination (Pearson correlation of the item's fraction with the rest-of-test total;
    point-biserial when the item is all-or-nothing), the rules most often missed or broken, and the
    false alarms. Findings about the exercise's own note (kind 'note') are in neither list."""
    book = book or Book(exercise_set, results)
    people = book.people
    totals = dict(zip(people, book.raw.sum(axis=1).tolist(), strict=True))
    cells = book.cells
    rows = []
    for ex in exercise_set.exercises:
        mine = [cells[(t, ex.id)] for t in people if (t, ex.id) in cells]
        graded = [r for r in mine if r.status == "graded"]
        statuses = Counter(r.status for r in mine)
        frac = np.array([r.raw_fraction for r in graded], dtype=float)
        rest = np.array([totals[r.trainee] - r.raw for r in graded], dtype=float)
        missed: Counter[str] = Counter()
        alarms: Counter[str] = Counter()
        for r in graded:
            fb = r.grade.feedback if r.grade else []
            missed.update({f.rule for f in fb if f.rule and f.kind in ANSWER_KINDS and f.kind != "false-alarm"})
            alarms.update({f.rule for f in fb if f.rule and f.kind == "false-alarm"})
        difficulty = float(frac.mean()) if len(frac) else float("nan")
        disc = _pearson(frac, rest)
        notes = []
        if len(frac) and difficulty >= 0.9:
            notes.append("very easy")
        if len(frac) and difficulty <= 0.3:
            notes.append("very hard")
        if not math.isnan(disc) and disc < 0.2:
            notes.append("low discrimination")
        rows.append({"exercise": ex.id, "title": ex.title, "kind": ex.kind, "level": ex.level,
                     "max_points": ex.max_points, "trainees": len(people), "n": len(graded),
                     "missing": statuses.get("missing", 0), "not_gradable": statuses.get("not gradable", 0),
                     "mean_points": float(frac.mean() * ex.max_points) if len(frac) else float("nan"),
                     "difficulty": difficulty, "discrimination": disc, "most_missed_rules": _top(missed),
                     "false_alarms": _top(alarms), "note": ", ".join(notes)})
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def item_frame(items: pd.DataFrame) -> pd.DataFrame:
    out = items.astype(object).copy()
    out["title"] = [cell(t) for t in items["title"]]
    for col, places in (("max_points", 4), ("mean_points", 4), ("difficulty", 3), ("discrimination", 3)):
        out[col] = [num(v, places) for v in items[col]]
    for col in ("trainees", "n", "missing", "not_gradable"):
        out[col] = [str(int(v)) for v in items[col]]
    return out


def item_analysis_html(exercise_set: ExerciseSet, items: pd.DataFrame, png: bytes) -> str:
    return _items_page(exercise_set, item_frame(items), ITEM_COLUMNS, _ITEM_NUMERIC, png)


def chart_png(items: pd.DataFrame) -> bytes:
    """Difficulty and discrimination per exercise as a PNG with deterministic bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = max(len(items), 1)
    fig = Figure(figsize=(9.0, 1.6 + 0.26 * n), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2, sharey=True)
    labels = list(items["exercise"]) or ["(none)"]
    y = np.arange(len(labels))
    diff = np.nan_to_num(np.array(items["difficulty"], dtype=float)) if len(items) else np.zeros(1)
    disc = np.nan_to_num(np.array(items["discrimination"], dtype=float)) if len(items) else np.zeros(1)
    ax1.barh(y, diff, color="#4c78a8")
    ax1.set_xlim(0, 1)
    ax1.set_title("Difficulty (mean fraction; higher = easier)", fontsize=9)
    ax1.set_yticks(y, labels, fontsize=8)
    ax1.invert_yaxis()
    ax2.barh(y, disc, color=["#b2182b" if v < 0.2 else "#2166ac" for v in disc])
    ax2.axvline(0.2, color="#555555", linewidth=0.8, linestyle="--")
    ax2.set_xlim(-1, 1)
    ax2.set_title("Discrimination (item-rest correlation; dashed: 0.2)", fontsize=9)
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", linewidth=0.3)
    # fixed margins (tight_layout measures every label: slow, and nothing to gain at a fixed size)
    fig.subplots_adjust(left=0.24, right=0.98, top=1 - 0.45 / fig.get_figheight(),
                        bottom=0.45 / fig.get_figheight(), wspace=0.08)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- writing


@dataclass
class Options:
    """What the reports need beyond the results (all optional: the defaults are today's plain run)."""

    people: Sequence[str] | None = None  # everyone with a row (the roster's keys)
    roster: Roster | None = None
    canvas_header: str = ""  # default: the set's title
    missing: str = "zero"  # Canvas cell for someone who handed in nothing: zero | blank
    not_gradable: str = "blank"  # Canvas cell when something was not gradable: blank | zero | ex
    canvas_ids: dict[str, str] = field(default_factory=dict)  # key -> Canvas user id (archive, no roster)
    names: dict[str, str] = field(default_factory=dict)  # key -> name for Canvas (no roster)
    flags: Sequence[Flag] = ()
    extra_files: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # trainee -> (file, why)
    due_text: str = ""  # the schedule in words, for the feedback pages
    compare: str | Path | None = None  # a folder whose grades.csv to compare with (default: --out's own)


def write_reports(out_dir: str | Path, exercise_set: ExerciseSet, results: Sequence[Result],
                  book_url: str = "../../_build/html", progress: Callable[[int], None] | None = None,
                  options: Options | None = None, output: OutputSet | None = None) -> dict[str, Any]:
    """Write all outputs (see the module doc) as one set; returns the numbers for a terminal summary.
    ``output``: an OutputSet the caller already holds (and its lock); otherwise one is taken here."""
    if output is None:
        with OutputSet(out_dir) as held:
            return write_reports(out_dir, exercise_set, results, book_url, progress, options, held)
    opts = options or Options()
    numbers = Book(exercise_set, results, opts.people)
    items = item_numbers(exercise_set, results, numbers)
    pages = feedback_names(numbers.people)
    if opts.compare is not None:
        previous = read_previous(Path(opts.compare) / GRADES)
    else:
        previous = read_previous(output.previous(GRADES))
    grades = grades_rows(numbers)
    changes = changes_frame(previous, [dict(zip(GRADE_COLUMNS, g, strict=True)) for g in grades], num)
    output.write(RESULTS, _csv_rows(RESULT_COLUMNS, results_rows(exercise_set, results), RESULT_NUMERIC))
    output.write(GRADES, _csv_rows(GRADE_COLUMNS, grades, GRADE_NUMERIC))
    book = gradebook_frame(exercise_set, results, numbers, pages)
    output.write(GRADEBOOK, _csv(book, [c for c in book.columns if c not in GRADEBOOK_TEXT]))
    header = opts.canvas_header or canvas.assignment_column(exercise_set.title)[0]
    values = {}
    for t, total in zip(numbers.people, numbers.totals, strict=True):
        statuses = [numbers.cells[(t, e)].status for e in numbers.ids if (t, e) in numbers.cells]
        values[t] = canvas.cell_value(statuses, total, opts.missing, opts.not_gradable)
    lms = canvas.canvas_frame(numbers.people, values, numbers.max, header, opts.roster, opts.canvas_ids, opts.names,
                              cell)
    output.write(CANVAS, _csv(lms, [lms.columns[-1]]))  # the assignment column: money(), "" or EX
    output.write(NOT_GRADABLE, _csv(not_gradable_frame(results)))
    output.write(REVIEW, _csv(review_frame(opts.flags)))
    output.write(CHANGES, _csv(changes, CHANGES_NUMERIC))
    output.write(ITEMS, _csv(item_frame(items), _ITEM_NUMERIC))
    per_trainee: dict[str, list[Result]] = {t: [] for t in numbers.people}
    for r in results:
        if r.trainee in per_trainee:
            per_trainee[r.trainee].append(r)
    memo: dict = {}
    for t in numbers.people:
        output.write(f"{FEEDBACK}/{pages[t]}", feedback_html(exercise_set, t, per_trainee[t], book_url, memo,
                                                           opts.extra_files.get(t, ()), opts.due_text))
        if progress:
            progress(1)
    png = chart_png(items)
    output.write(ITEMS_PNG, png)
    output.write(ITEMS_HTML, item_analysis_html(exercise_set, items, png))
    output.commit()
    counts = Counter(r.status for r in results)
    percents = [100 * v / numbers.max if numbers.max else 0.0 for v in numbers.totals]
    return {"trainees": len(numbers.people), "exercises": len(exercise_set.exercises),
            "graded": counts.get("graded", 0), "not_gradable": counts.get("not gradable", 0),
            "superseded": counts.get("superseded", 0), "missing": counts.get("missing", 0),
            "mean_percent": sum(percents) / len(percents) if percents else float("nan"),
            "late": sum(1 for r in numbers.cells.values() if r.late_days),
            "review": len(set(opts.flags)), "changes": len(changes), "compared": previous is not None,
            "canvas_blank": sum(1 for v in values.values() if v == ""),
            "canvas_ex": sum(1 for v in values.values() if v == "EX")}


__all__ = ["Book", "OUTPUTS", "Options", "SYNTHETIC", "book_href", "cell", "chart_png", "feedback_html",
           "feedback_names", "gradebook_frame", "grades_frame", "item_numbers", "not_gradable_frame", "num",
           "results_frame", "review_frame", "write_reports"]

"""Instructor reports from a graded batch (pandas and matplotlib here only; the core stays light).

``write_reports(out_dir, exercise_set, results)`` writes:

* ``results.csv``: long format, one row per trainee, exercise and rubric part (every status);
* ``gradebook.csv``: one row per trainee, a column per exercise, total, max, percent;
* ``lms_canvas.csv``: Canvas gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, one
  assignment column for the set) with the 'Points Possible' row;
* ``feedback/<trainee>.html``: self-contained, readable offline, links to the book pages;
* ``item_analysis.csv`` / ``.html`` / ``.png``: difficulty, discrimination, most-missed rules, chart;
* ``not_gradable.csv``: file, trainee, exercise and reason of every submission that was not graded.

Re-running on the same inputs gives byte-identical files: fixed number formats, sorted rows, no dates,
``\\n`` line ends, PNG without software/date metadata. Outputs are first written into a temporary
sibling folder and then moved over the old ones file by file (``os.replace``): a crash leaves the
previous outputs whole, never a half-written file.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import RULES_VERSION
from ..errors import InputError
from ..exercises.models import ExerciseSet
from .batch import Result, trainees
from .formulas import DEFAULTS
from .grade import Grade

SYNTHETIC = "Synthetic training data only"
RESULTS = "results.csv"
GRADEBOOK = "gradebook.csv"
CANVAS = "lms_canvas.csv"
ITEMS = "item_analysis.csv"
ITEMS_HTML = "item_analysis.html"
ITEMS_PNG = "item_analysis.png"
NOT_GRADABLE = "not_gradable.csv"
FEEDBACK = "feedback"
OUTPUTS = (RESULTS, GRADEBOOK, CANVAS, ITEMS, ITEMS_HTML, ITEMS_PNG, NOT_GRADABLE)

RESULT_COLUMNS = ["trainee", "exercise", "part", "formula", "points", "max_points", "detail", "status", "reason",
                  "rules_version", "source", "submitted_at", "mode"]
NOT_GRADABLE_COLUMNS = ["source", "trainee", "exercise", "reason"]
ITEM_COLUMNS = ["exercise", "title", "kind", "level", "max_points", "trainees", "n", "missing", "not_gradable",
                "mean_points", "difficulty", "discrimination", "most_missed_rules", "note"]


# ---------------------------------------------------------------------------------------------- format


@functools.lru_cache(maxsize=65536)
def num(x: float | None, places: int = 4) -> str:
    """A fixed, short number: 4 -> '4', 1.33333 -> '1.3333', NaN/None -> ''."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    s = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def cell(text: Any) -> str:
    """Text for a CSV cell that a spreadsheet will not run as a formula (submissions are data)."""
    s = "" if text is None else str(text)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------- frames


def results_frame(exercise_set: ExerciseSet, results: Sequence[Result]) -> pd.DataFrame:
    """One row per trainee, exercise and rubric part. Records that were not graded get one row per part
    of the exercise (0 points; empty points when superseded), or one row when the exercise is unknown."""
    by_id = {ex.id: ex for ex in exercise_set.exercises}
    rows: list[list[str]] = []
    for r in results:
        common = [r.status, cell(r.reason), RULES_VERSION if r.grade is None else r.grade.rules_version,
                  cell(r.source), cell(r.submitted_at), r.mode]
        if r.status == "graded" and r.grade is not None:
            for p in r.grade.parts:
                rows.append([r.trainee, r.exercise, p.part, p.formula, num(p.points), num(p.max_points),
                             cell(p.detail), *common])
            continue
        ex = by_id.get(r.exercise)
        pts = "" if r.status == "superseded" else "0"
        if ex is None:
            rows.append([r.trainee, cell(r.exercise), "", "", pts, "", "", *common])
            continue
        for part, max_pts in ex.rubric.points.items():
            formula = ex.rubric.formulas.get(part, DEFAULTS[part])  # type: ignore[arg-type]
            rows.append([r.trainee, r.exercise, part, formula, pts, num(max_pts), "", *common])
    return pd.DataFrame(rows, columns=RESULT_COLUMNS, dtype=object)


class Book:
    """The gradebook numbers, computed once: trainees (sorted) x exercises (set order); missing and not
    gradable count 0."""

    def __init__(self, exercise_set: ExerciseSet, results: Sequence[Result]) -> None:
        self.ids = [ex.id for ex in exercise_set.exercises]
        self.cells = {(r.trainee, r.exercise): r for r in results if r.counted}
        self.people = trainees(results)
        data = [[self.cells[(t, e)].points if (t, e) in self.cells else 0.0 for e in self.ids] for t in self.people]
        self.points = pd.DataFrame(np.array(data, dtype=float).reshape(len(self.people), len(self.ids)),
                                   index=pd.Index(self.people, name="trainee"), columns=self.ids)
        self.totals = [round(v, 4) for v in self.points.sum(axis=1).tolist()]
        self.max = set_max(exercise_set)


def gradebook_numbers(exercise_set: ExerciseSet, results: Sequence[Result]) -> pd.DataFrame:
    """Points per trainee (rows, sorted) and exercise (columns, set order); missing and not gradable = 0."""
    return Book(exercise_set, results).points


def set_max(exercise_set: ExerciseSet) -> float:
    return float(sum(ex.max_points for ex in exercise_set.exercises))


def gradebook_frame(exercise_set: ExerciseSet, results: Sequence[Result], book: Book | None = None) -> pd.DataFrame:
    book = book or Book(exercise_set, results)
    pts = book.points
    out = pd.DataFrame({"trainee": pd.Series(book.people, dtype=object)})
    for e in book.ids:
        out[e] = [num(v) for v in pts[e].tolist()]
    out["total"] = [num(v) for v in book.totals]
    out["max"] = num(book.max)
    out["percent"] = [num(100 * v / book.max if book.max else 0.0, 2) for v in book.totals]
    counts = {t: Counter(book.cells[(t, e)].status for e in book.ids if (t, e) in book.cells) for t in book.people}
    for status, col in (("graded", "graded"), ("missing", "missing"), ("not gradable", "not_gradable")):
        out[col] = [str(counts[t].get(status, 0)) for t in book.people]
    return out.astype(object)


def canvas_frame(exercise_set: ExerciseSet, results: Sequence[Result], book: Book | None = None) -> pd.DataFrame:
    """Canvas gradebook import: the pseudonymous trainee id as name and SIS User ID, one assignment."""
    book = book or Book(exercise_set, results)
    column = f"{exercise_set.title} ({exercise_set.id})"
    rows = [["    Points Possible", "", "", "", "", num(book.max)]]
    rows += [[t, "", t, "", "", num(v)] for t, v in zip(book.people, book.totals, strict=True)]
    return pd.DataFrame(rows, columns=["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column],
                        dtype=object)


def not_gradable_frame(results: Sequence[Result]) -> pd.DataFrame:
    rows = [[cell(r.source), r.trainee, cell(r.exercise), cell(r.reason)]
            for r in sorted(results, key=lambda r: (r.source, r.position)) if r.status == "not gradable"]
    return pd.DataFrame(rows, columns=NOT_GRADABLE_COLUMNS, dtype=object)


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3:
        return float("nan")
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    return float((dx * dy).sum()) / den if den > 1e-12 else float("nan")


def item_numbers(exercise_set: ExerciseSet, results: Sequence[Result], book: Book | None = None) -> pd.DataFrame:
    """Per exercise: n graded, difficulty (mean fraction of the points; higher is easier), discrimination
    (Pearson correlation of the item's fraction with the rest-of-test total; point-biserial when the
    item is all-or-nothing), and the rules most often in the feedback."""
    book = book or Book(exercise_set, results)
    people = book.people
    totals = dict(zip(people, book.points.sum(axis=1).tolist(), strict=True))
    cells = book.cells
    rows = []
    for ex in exercise_set.exercises:
        mine = [cells[(t, ex.id)] for t in people if (t, ex.id) in cells]
        graded = [r for r in mine if r.status == "graded"]
        statuses = Counter(r.status for r in mine)
        frac = np.array([r.fraction for r in graded], dtype=float)
        rest = np.array([totals[r.trainee] - r.points for r in graded], dtype=float)
        rules: Counter[str] = Counter()
        for r in graded:
            g = r.grade
            rules.update({f.rule for f in (g.feedback if g else []) if f.rule})
        missed = "; ".join(f"{code} ({n})" for code, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
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
                     "difficulty": difficulty, "discrimination": disc, "most_missed_rules": missed,
                     "note": ", ".join(notes)})
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)


def item_frame(items: pd.DataFrame) -> pd.DataFrame:
    out = items.astype(object).copy()
    out["title"] = [cell(t) for t in items["title"]]
    for col, places in (("max_points", 4), ("mean_points", 4), ("difficulty", 3), ("discrimination", 3)):
        out[col] = [num(v, places) for v in items[col]]
    for col in ("trainees", "n", "missing", "not_gradable"):
        out[col] = [str(int(v)) for v in items[col]]
    return out


# ---------------------------------------------------------------------------------------------- chart


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
    ax1.set_yticks(y, labels, fontsize=7)
    ax1.invert_yaxis()
    ax2.barh(y, disc, color=["#e45756" if v < 0.2 else "#54a24b" for v in disc])
    ax2.axvline(0.2, color="#888888", linewidth=0.8, linestyle="--")
    ax2.set_xlim(-1, 1)
    ax2.set_title("Discrimination (item-rest correlation)", fontsize=9)
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", linewidth=0.3)
    # fixed margins (tight_layout measures every label: slow, and nothing to gain at a fixed size)
    fig.subplots_adjust(left=0.24, right=0.98, top=1 - 0.45 / fig.get_figheight(),
                        bottom=0.45 / fig.get_figheight(), wspace=0.08)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
.synthetic{background:#fff4cc;border:1px solid #e0c050;padding:.3rem .6rem;display:inline-block;font-weight:600}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
section{border-top:2px solid #ddd;margin-top:1.2rem;padding-top:.4rem}
.graded{color:#1a6b2a}.notgradable{color:#a11}.missing{color:#777}.superseded{color:#777}
code{background:#f4f4f4;padding:0 .2rem}
.fix{color:#333}
footer{margin-top:2rem;color:#666;font-size:.9em}
"""


@functools.lru_cache(maxsize=4096)
def book_href(link: str, book_url: str) -> str:
    """'book/reference/rules/pb002' -> '<book_url>/book/reference/rules/pb002.html'."""
    if not link:
        return ""
    page, _, anchor = link.partition("#")
    page = page.strip("/")
    if not page.endswith(".html"):
        page += ".html"
    base = book_url.rstrip("/")
    return (f"{base}/{page}" if base else page) + (f"#{anchor}" if anchor else "")


@functools.lru_cache(maxsize=65536)
def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _e(text: Any) -> str:
    return _escape("" if text is None else str(text))


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<p class=\"synthetic\">{SYNTHETIC}</p>\n{body}\n"
            f"<footer>{SYNTHETIC}. Rules version {_e(RULES_VERSION)}.</footer>\n</body>\n</html>\n")


_CLASS = {"graded": "graded", "not gradable": "notgradable", "missing": "missing", "superseded": "superseded"}


def _graded_html(g: Grade, book_url: str) -> str:
    """The parts table and the feedback list of one grade (the same for every trainee who answered alike)."""
    out = []
    if g.all_correct:
        out.append("<p>All correct; every part was checked.</p>")
    out.append("<table><thead><tr><th>Part</th><th>Formula</th><th>Points</th><th>Detail</th></tr></thead><tbody>")
    for p in g.parts:
        out.append(f"<tr><td>{_e(p.part)}</td><td><code>{_e(p.formula)}</code></td>"
                   f'<td class="num">{num(p.points)} / {num(p.max_points)}</td><td>{_e(p.detail)}</td></tr>')
    out.append("</tbody></table>")
    if g.feedback:
        out.append("<ul>")
        for f in g.feedback:
            rule = f"<code>{_e(f.rule)}</code> " if f.rule else ""
            fix = f'<br><span class="fix">Fix: {_e(f.fix)}</span>' if f.fix else ""
            href = book_href(f.link, book_url)
            more = f' <a href="{_e(href)}">Read more</a>' if href else ""
            out.append(f"<li>{rule}{_e(f.message)}{fix}{more}</li>")
        out.append("</ul>")
    return "\n".join(out)


def feedback_html(exercise_set: ExerciseSet, trainee: str, results: Sequence[Result], book_url: str,
                  memo: dict | None = None) -> str:
    """One trainee's feedback page: a summary table, then per exercise the score, each part with its
    formula and detail, and each feedback item with rule, message, fix and a link to the book.
    ``results`` may be the whole batch or only this trainee's records; ``memo`` (a dict kept across
    trainees) reuses the HTML of identical grades."""
    memo = {} if memo is None else memo
    mine = [r for r in results if r.trainee == trainee]
    cells = {r.exercise: r for r in mine if r.counted}
    others: dict[str, list[Result]] = {}
    for r in mine:
        if not r.counted:
            others.setdefault(r.exercise, []).append(r)
    total = round(sum(r.points for r in cells.values()), 4)
    total_max = set_max(exercise_set)
    known = {ex.id for ex in exercise_set.exercises}
    maxes = {ex.id: ex.max_points for ex in exercise_set.exercises}
    pct = 100 * total / total_max if total_max else 0.0
    out = [f"<h1>Feedback for {_e(trainee)}</h1>",
           f"<p>Set: <strong>{_e(exercise_set.title)}</strong> (<code>{_e(exercise_set.id)}</code>). "
           f"Total: <strong>{num(total)} / {num(total_max)}</strong> ({num(pct, 1)}%).</p>",
           "<table><thead><tr><th>Exercise</th><th>Status</th><th>Points</th></tr></thead><tbody>"]
    for ex in exercise_set.exercises:
        r = cells.get(ex.id)
        status = r.status if r else "missing"
        out.append(f'<tr><td><a href="#{_e(ex.id)}">{_e(ex.title)}</a></td>'
                   f'<td class="{_CLASS[status]}">{_e(status)}</td>'
                   f'<td class="num">{num(r.points if r else 0.0)} / {num(maxes[ex.id])}</td></tr>')
    out.append("</tbody></table>")
    for ex in exercise_set.exercises:
        r = cells.get(ex.id)
        status = r.status if r else "missing"
        out.append(f'<section id="{_e(ex.id)}">\n<h2>{_e(ex.title)}</h2>')
        out.append(f'<p><code>{_e(ex.id)}</code> · {_e(ex.level)} · <span class="{_CLASS[status]}">'
                   f"{_e(status)}</span> · <strong>{num(r.points if r else 0.0)} / {num(maxes[ex.id])}</strong>"
                   "</p>")
        if r is not None and r.status == "graded" and r.grade is not None:
            key = (ex.id, tuple(r.grade.parts), tuple(r.grade.feedback))
            if key not in memo:
                memo[key] = _graded_html(r.grade, book_url)
            out.append(memo[key])
        elif r is not None and r.status == "not gradable":
            out.append(f"<p>Not gradable: {_e(r.reason)}<br>File: <code>{_e(r.source)}</code></p>")
        else:
            out.append("<p>No submission for this exercise.</p>")
        for o in others.get(ex.id, []):
            out.append(f"<p class=\"{_CLASS[o.status]}\">Also received: <code>{_e(o.source)}</code>: "
                       f"{_e(o.status)} ({_e(o.reason)})</p>")
        if ex.references.book:
            key = ("read", ex.id)
            if key not in memo:
                memo[key] = "<p>Read: " + ", ".join(f'<a href="{_e(book_href(b, book_url))}">'
                                                    f'{_e(b.removeprefix("book/"))}</a>' for b in ex.references.book)
            out.append(memo[key] + "</p>")
        out.append("</section>")
    stray = sorted((r for r in mine if r.exercise not in known), key=lambda r: r.position)
    if stray:
        out.append("<section><h2>Other files</h2><ul>")
        out.extend(f"<li><code>{_e(r.source)}</code>: {_e(r.status)} ({_e(r.reason)})</li>" for r in stray)
        out.append("</ul></section>")
    return _page(f"Feedback for {trainee}: {exercise_set.title}", "\n".join(out))


def item_analysis_html(exercise_set: ExerciseSet, items: pd.DataFrame, png: bytes) -> str:
    shown = item_frame(items)
    head = "".join(f"<th>{_e(c)}</th>" for c in ITEM_COLUMNS)
    body = []
    for row in shown.itertuples(index=False):
        tds = []
        for c, v in zip(ITEM_COLUMNS, row, strict=True):
            klass = ' class="num"' if c in ("max_points", "trainees", "n", "missing", "not_gradable", "mean_points",
                                            "difficulty", "discrimination") else ""
            tds.append(f"<td{klass}>{_e(v)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    img = base64.b64encode(png).decode("ascii")
    text = (f"<h1>Item analysis: {_e(exercise_set.title)}</h1>\n"
            "<p><strong>Difficulty</strong> is the mean fraction of the points among graded trainees (higher is "
            "easier). <strong>Discrimination</strong> is the correlation of the item's fraction with the rest of "
            "the test (total minus this item); below 0.2 the item tells strong and weak trainees apart poorly. "
            "<strong>Most missed rules</strong> count the trainees whose feedback named the rule.</p>\n"
            f'<p><img alt="Difficulty and discrimination per exercise" src="data:image/png;base64,{img}"></p>\n'
            f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>")
    return _page(f"Item analysis: {exercise_set.title}", text)


# ---------------------------------------------------------------------------------------------- writing


class AtomicOutput:
    """Write every output into a temporary sibling folder, then move each file over the old one.

    Old outputs stay whole until the new ones are complete; feedback pages of trainees who are no
    longer in the batch are removed only after the new files are in place. Other files in the folder
    are left alone.
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out = Path(out_dir)
        if self.out.exists() and not self.out.is_dir():
            raise InputError(str(self.out), None, "--out must be a folder, and this is a file")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            try:
                self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.tmp-", dir=self.out.parent))
            except OSError:  # parent not writable: use a hidden folder inside
                self.tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.out))
        except OSError as exc:
            raise InputError(str(self.out), None, f"cannot write the output folder: {exc.strerror or exc}") from None
        self.written: list[str] = []

    def write(self, rel: str, data: bytes | str) -> None:
        path = self.tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self.written.append(rel)

    def commit(self) -> None:
        for rel in sorted(self.written):
            target = self.out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tmp / rel, target)
        keep = {Path(r).name for r in self.written if r.startswith(FEEDBACK + "/")}
        fb = self.out / FEEDBACK
        if fb.is_dir():
            for old in sorted(fb.glob("*.html")):
                if old.name not in keep:
                    old.unlink()

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def feedback_names(people: Iterable[str]) -> dict[str, str]:
    """trainee -> file name: '<trainee>.html', with '-2', '-3'... for ids that differ only in case, which
    would be one file on a case-insensitive disk (macOS, Windows). Deterministic: sorted order."""
    names: dict[str, str] = {}
    taken: Counter[str] = Counter()
    for t in sorted(people):
        taken[t.casefold()] += 1
        n = taken[t.casefold()]
        names[t] = f"{t}.html" if n == 1 else f"{t}-{n}.html"
    return names


def write_reports(out_dir: str | Path, exercise_set: ExerciseSet, results: Sequence[Result],
                  book_url: str = "../../_build/html", progress: Callable[[int], None] | None = None
                  ) -> dict[str, Any]:
    """Write all outputs (see the module doc); returns the numbers for a terminal summary."""
    numbers = Book(exercise_set, results)
    items = item_numbers(exercise_set, results, numbers)
    with AtomicOutput(out_dir) as out:
        out.write(RESULTS, _csv(results_frame(exercise_set, results)))
        book = gradebook_frame(exercise_set, results, numbers)
        out.write(GRADEBOOK, _csv(book))
        out.write(CANVAS, _csv(canvas_frame(exercise_set, results, numbers)))
        out.write(NOT_GRADABLE, _csv(not_gradable_frame(results)))
        out.write(ITEMS, _csv(item_frame(items)))
        png = chart_png(items)
        out.write(ITEMS_PNG, png)
        out.write(ITEMS_HTML, item_analysis_html(exercise_set, items, png))
        per_trainee: dict[str, list[Result]] = {}
        for r in results:
            if r.trainee:
                per_trainee.setdefault(r.trainee, []).append(r)
        memo: dict = {}
        for t, name in feedback_names(per_trainee).items():
            out.write(f"{FEEDBACK}/{name}", feedback_html(exercise_set, t, per_trainee[t], book_url, memo))
            if progress:
                progress(1)
        out.commit()
    counts = Counter(r.status for r in results)
    percents = [float(p) for p in book["percent"]] if len(book) else []
    return {"trainees": len(book), "exercises": len(exercise_set.exercises),
            "graded": counts.get("graded", 0), "not_gradable": counts.get("not gradable", 0),
            "superseded": counts.get("superseded", 0), "missing": counts.get("missing", 0),
            "mean_percent": sum(percents) / len(percents) if percents else float("nan")}


__all__ = ["AtomicOutput", "Book", "OUTPUTS", "book_href", "canvas_frame", "chart_png", "feedback_html",
           "gradebook_frame", "item_numbers", "not_gradable_frame", "results_frame", "write_reports"]

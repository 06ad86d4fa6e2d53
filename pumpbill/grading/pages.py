"""The HTML pages of a graded batch: one feedback page per trainee, and the item analysis.

Why these pages look as they do: a trainee reads their page alone, often e-mailed, long after the
exercise. So each exercise shows the question and the trainee's own answer, every part's score with
how it was scored in the practice widget's plain words (the formula's name beside them, linked to the
book page about partial credit), each feedback item with its whole fix, and, apart, what is wrong
with the exercise's own note (not the trainee's mistake). Lateness, the penalty and which file
counted are stated in words. Links are absolute when the instructor gives
``--book-url https://...``. Pages are self-contained (no script, no remote resource) and escape
everything a submission contains.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from .. import RULES_VERSION
from ..exercises.feedback import HOW_SCORED, PART_TITLES, plain_message
from ..exercises.models import Answer, Exercise, ExerciseSet
from .batch import Result, answer_key
from .formulas import FORMULAS
from .grade import NOTE_KIND, Grade

SYNTHETIC = "Synthetic training data only"
FORMULA_PAGE = "book/start/exercises#partial-credit-named-formulas"
FEEDBACK = "feedback"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
.synthetic{background:#fff4cc;border:1px solid #e0c050;padding:.3rem .6rem;display:inline-block;font-weight:600}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}
td.num{text-align:right;font-variant-numeric:tabular-nums}
section{border-top:2px solid #ddd;margin-top:1.2rem;padding-top:.4rem}
.graded{color:#1a6b2a}.notgradable{color:#a11}.missing{color:#595959}.superseded{color:#595959}
.late{color:#8a4b00}
code{background:#f4f4f4;padding:0 .2rem}
td a code{white-space:nowrap}
.fix{color:#333}
.question{border-left:3px solid #ccc;padding-left:.8rem;margin:.5rem 0}
.note{background:#f6f6f6;border:1px solid #ddd;padding:.2rem .8rem}
footer{margin-top:2rem;color:#595959;font-size:.9em}
"""


# ---------------------------------------------------------------------------------------------- helpers


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


@functools.lru_cache(maxsize=65536)
def num(x: float | None, places: int = 4) -> str:
    """A fixed, short number: 4 -> '4', 1.33333 -> '1.3333', NaN/None -> ''."""
    if x is None or x != x:
        return ""
    s = f"{x:.{places}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{_e(title)}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<p class=\"synthetic\">{SYNTHETIC}</p>\n{body}\n"
            f"<footer>{SYNTHETIC}. Rules version {_e(RULES_VERSION)}.</footer>\n</body>\n</html>\n")


_NUM = ' class="num"'
_CLASS = {"graded": "graded", "not gradable": "notgradable", "missing": "missing", "superseded": "superseded"}
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def feedback_names(people: Iterable[str]) -> dict[str, str]:
    """trainee -> file name. ``<id>.html`` when no other id could share the file (ids that differ only
    in case would be one file on a case-insensitive disk; other characters are replaced); otherwise
    every one of the look-alikes gets ``<id>~<hash of the exact id>.html``, so that no trainee receives
    the plain name that a look-alike might expect (G2). ``~`` is not allowed in ids: never a clash."""
    people = sorted(set(people))
    safe = {t: _SAFE.sub("_", t) or "_" for t in people}
    groups = Counter(s.casefold() for s in safe.values())
    names: dict[str, str] = {}
    taken: set[str] = set()
    for t in people:
        if groups[safe[t].casefold()] == 1 and safe[t] == t:
            names[t] = f"{t}.html"
        else:
            digest = hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest()
            n = 10
            while f"{safe[t]}~{digest[:n]}".casefold() in taken:
                n += 2
            names[t] = f"{safe[t]}~{digest[:n]}.html"
        taken.add(names[t].removesuffix(".html").casefold())
    return names


# ---------------------------------------------------------------------------------------------- parts


def _how_scored(name: str, book_url: str) -> str:
    """The formula in one plain sentence (what the practice widget says), its name kept as the link an
    instructor recognises."""
    doc = " ".join((FORMULAS[name].__doc__ or "").split()) if name in FORMULAS else ""
    link = f'<a href="{_e(book_href(FORMULA_PAGE, book_url))}" title="{_e(doc)}"><code>{_e(name)}</code></a>'
    plain = HOW_SCORED.get(name)
    return f"{_e(plain)} ({link})" if plain else link


def _feedback_item(f: Any, book_url: str) -> str:
    rule = f"<code>{_e(f.rule)}</code> " if f.rule else ""
    fix = f'<br><span class="fix">Fix: {_e(f.fix)}</span>' if f.fix else ""
    href = book_href(f.link, book_url)
    more = f' <a href="{_e(href)}">Read more{(" about " + _e(f.rule)) if f.rule else ""}</a>' if href else ""
    return f"<li>{rule}{_e(plain_message(f.rule, f.message))}{fix}{more}</li>"


def graded_html(g: Grade, book_url: str) -> str:
    """The parts table (how each part was scored, in plain words) and the feedback (yours, then the note's)."""
    out = []
    if g.all_correct:
        out.append("<p>All correct; every part was checked.</p>")
    # The same words as the practice widget (pumpbill.exercises.feedback): a trainee reads both.
    out.append('<table><thead><tr><th scope="col">Part</th><th scope="col">Points</th><th scope="col">How it was '
               'scored</th><th scope="col">Detail</th></tr></thead><tbody>')
    for p in g.parts:
        out.append(f"<tr><td>{_e(PART_TITLES.get(p.part, p.part))}</td>"
                   f'<td class="num">{num(p.points)} / {num(p.max_points)}</td>'
                   f"<td>{_how_scored(p.formula, book_url)}</td><td>{_e(p.detail)}</td></tr>")
    out.append("</tbody></table>")
    if any(p.formula in FORMULAS for p in g.parts):
        out.append(f'<p><a href="{_e(book_href(FORMULA_PAGE, book_url))}">How partial credit works</a></p>')
    mine = [f for f in g.feedback if getattr(f, "kind", "finding") != NOTE_KIND]
    note = [f for f in g.feedback if getattr(f, "kind", "finding") == NOTE_KIND]
    if mine:
        out.append("<p><strong>About your answer</strong></p><ul>")
        out.extend(_feedback_item(f, book_url) for f in mine)
        out.append("</ul>")
    if note:
        out.append('<div class="note"><p><strong>About the exercise\'s note (not your mistake)</strong>: these '
                   "findings come with the right answer too; they are not scored.</p><ul>")
        out.extend(_feedback_item(f, book_url) for f in note)
        out.append("</ul></div>")
    return "\n".join(out)


def question_html(ex: Exercise) -> str:
    """The narrative, the claim the trainee was given (review and documentation kinds), and the ask."""
    paras = "".join(f"<p>{_e(p.strip())}</p>" for p in ex.narrative.split("\n\n") if p.strip())
    claim = ""
    if ex.scenario.claim is not None and ex.kind != "choose_claim":
        rows = "".join(f'<tr><td class="num">{i}</td><td><code>{_e(ln.code)}</code></td><td>'
                       f"{_e(' '.join(ln.modifiers)) or '-'}</td><td class=\"num\">{ln.units}</td><td>"
                       f"{_e(', '.join(ln.diagnoses)) or '-'}</td></tr>"
                       for i, ln in enumerate(ex.scenario.claim.lines, 1))
        claim = ('<table><caption>The claim as billed</caption><thead><tr><th scope="col">Line</th><th scope="col">'
                 'Code</th><th scope="col">Modifiers</th><th scope="col">Units</th><th scope="col">Diagnoses</th>'
                 f"</tr></thead><tbody>{rows}</tbody></table>")
    return f'<div class="question">{paras}{claim}<p><strong>{_e(ex.ask)}</strong></p></div>'


def answer_html(ex: Exercise, answer: Answer | None) -> str:
    """The trainee's own answer, as the page shows it next to the question."""
    if answer is None:
        return ""
    out = ["<p><strong>Your answer</strong></p>"]
    if answer.lines is not None:
        if answer.lines:
            out.append('<table><thead><tr><th scope="col">Line</th><th scope="col">Code</th><th scope="col">'
                       'Modifiers</th><th scope="col">Units</th></tr></thead><tbody>')
            out.extend(f'<tr><td class="num">{i}</td><td><code>{_e(ln.code)}</code></td>'
                       f"<td>{_e(' '.join(ln.modifiers)) or '-'}</td><td class=\"num\">{ln.units}</td></tr>"
                       for i, ln in enumerate(answer.lines, 1))
            out.append("</tbody></table>")
        else:
            out.append("<p>No claim lines.</p>")
    if answer.diagnoses is not None:
        out.append("<p>Diagnoses, in order: " + (", ".join(f"<code>{_e(d)}</code>" for d in answer.diagnoses)
                                                 or "none") + "</p>")
    if answer.rules is not None:
        out.append("<p>Rules named: " + (", ".join(f"<code>{_e(r)}</code>" for r in answer.rules) or "none")
                   + "</p>")
    if answer.documentation is not None:
        items = list(_flatten(answer.documentation))
        out.append("<ul>" + "".join(f"<li><code>{_e(k)}</code>: {_e(v)}</li>" for k, v in items) + "</ul>"
                   if items else "<p>Nothing recorded.</p>")
    return "\n".join(out)


def _flatten(data: Any, prefix: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(data, list):
        yield prefix, ", ".join(str(x) for x in data)
    else:
        yield prefix, str(data)


def _late_html(r: Result) -> str:
    bits = []
    if r.late_days:
        pen = f"; {num(r.penalty, 2)} point(s) deducted" if r.penalty else "; no penalty"
        bits.append(f'<span class="late">Late: {r.late_days} day(s) after the due date {_e(r.due)}{pen}.</span>')
    if r.why and r.why != "the only submission":
        bits.append(f"Counted: {_e(r.why)}.")
    return f"<p>{' '.join(bits)}</p>" if bits else ""


# ---------------------------------------------------------------------------------------------- pages


def feedback_html(exercise_set: ExerciseSet, trainee: str, results: Sequence[Result], book_url: str,
                  memo: dict | None = None, extra_files: Sequence[tuple[str, str]] = (), due: str = "") -> str:
    """One trainee's feedback page: a summary table, then per exercise the question, the trainee's
    answer, the score with each part's formula, the feedback, lateness and which file counted.
    ``results`` may be the whole batch or only this trainee's records; ``memo`` (a dict kept across
    trainees) reuses the HTML of identical grades and answers; ``extra_files`` are files of theirs that
    were not read (name, reason)."""
    memo = {} if memo is None else memo
    mine = [r for r in results if r.trainee == trainee]
    cells = {r.exercise: r for r in mine if r.counted}
    others: dict[str, list[Result]] = {}
    for r in mine:
        if not r.counted:
            others.setdefault(r.exercise, []).append(r)
    total = sum(r.points for r in cells.values())
    maxes = memo.get("maxes")
    if maxes is None:
        maxes = memo["maxes"] = {ex.id: num(ex.max_points) for ex in exercise_set.exercises}
    total_max = float(sum(ex.max_points for ex in exercise_set.exercises))
    penalty = sum(r.penalty for r in cells.values())
    known = {ex.id for ex in exercise_set.exercises}
    pct = 100 * total / total_max if total_max else 0.0
    out = [f"<h1>Feedback for {_e(trainee)}</h1>",
           f"<p>Set: <strong>{_e(exercise_set.title)}</strong> (<code>{_e(exercise_set.id)}</code>). "
           f"Total: <strong>{num(total)} / {num(total_max)}</strong> ({num(pct, 1)}%)"
           + (f", after {num(penalty, 2)} point(s) of late penalties" if penalty else "") + ".</p>"]
    if due:
        out.append(f"<p>{_e(due)}</p>")
    out.append('<table><thead><tr><th scope="col">Exercise</th><th scope="col">Status</th><th scope="col">Points'
               "</th></tr></thead><tbody>")
    for ex in exercise_set.exercises:
        r = cells.get(ex.id)
        status = r.status if r else "missing"
        late = f' <span class="late">(late {r.late_days} d)</span>' if r is not None and r.late_days else ""
        out.append(f'<tr><td><a href="#{_e(ex.id)}">{_e(ex.title)}</a></td>'
                   f'<td class="{_CLASS[status]}">{_e(status)}{late}</td>'
                   f'<td class="num">{num(r.points if r else 0.0)} / {maxes[ex.id]}</td></tr>')
    out.append("</tbody></table>")
    for ex in exercise_set.exercises:
        r = cells.get(ex.id)
        status = r.status if r else "missing"
        out.append(f'<section id="{_e(ex.id)}">\n<h2>{_e(ex.title)}</h2>')
        out.append(f'<p><code>{_e(ex.id)}</code> · {_e(ex.level)} · <span class="{_CLASS[status]}">'
                   f"{_e(status)}</span> · <strong>{num(r.points if r else 0.0)} / {maxes[ex.id]}</strong>"
                   "</p>")
        qkey = ("question", ex.id)
        if qkey not in memo:
            memo[qkey] = question_html(ex)
        out.append(memo[qkey])
        if r is not None and r.answer is not None:
            akey = ("answer", ex.id, r.akey or answer_key(r.answer))
            if akey not in memo:
                memo[akey] = answer_html(ex, r.answer)
            out.append(memo[akey])
        if r is not None and r.status == "graded" and r.grade is not None:
            key = (ex.id, tuple(r.grade.parts), tuple(r.grade.feedback))
            if key not in memo:
                memo[key] = graded_html(r.grade, book_url)
            out.append(memo[key])
            out.append(_late_html(r))
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
    if stray or extra_files:
        out.append("<section><h2>Other files</h2><ul>")
        out.extend(f"<li><code>{_e(r.source)}</code>: {_e(r.status)} ({_e(r.reason)})</li>" for r in stray)
        out.extend(f"<li><code>{_e(name)}</code>: not read ({_e(reason)})</li>" for name, reason in extra_files)
        out.append("</ul></section>")
    return page(f"Feedback for {trainee}: {exercise_set.title}", "\n".join(out))


ITEM_TEXT = (
    "<p><strong>Difficulty</strong> is the mean fraction of the points among graded trainees, before late "
    "penalties (higher is easier). <strong>Discrimination</strong> is the correlation of the item's fraction "
    "with the rest of the test (total minus this item); below 0.2 the item tells strong and weak trainees apart "
    "poorly. <strong>Most missed rules</strong> count the trainees whose feedback named a rule they missed or "
    "broke; <strong>false alarms</strong> count the trainees who named a rule that does not apply. Findings "
    "about the exercise's own note (they fire with the right answer too) are in neither.</p>")


def item_analysis_html(exercise_set: ExerciseSet, shown: pd.DataFrame, columns: Sequence[str],
                       numeric: set[str], png: bytes) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    body = []
    for row in shown.itertuples(index=False):
        tds = [f"<td{_NUM if c in numeric else ''}>{_e(v)}</td>" for c, v in zip(columns, row, strict=True)]
        body.append("<tr>" + "".join(tds) + "</tr>")
    img = base64.b64encode(png).decode("ascii")
    text = (f"<h1>Item analysis: {_e(exercise_set.title)}</h1>\n{ITEM_TEXT}\n"
            f'<p><img alt="Difficulty and discrimination per exercise; the same numbers are in the table below" '
            f'src="data:image/png;base64,{img}"></p>\n'
            f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>")
    return page(f"Item analysis: {exercise_set.title}", text)


__all__ = ["FEEDBACK", "FORMULA_PAGE", "SYNTHETIC", "answer_html", "book_href", "feedback_html", "feedback_names",
           "graded_html", "item_analysis_html", "num", "page", "question_html"]

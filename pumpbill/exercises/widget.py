"""The exercise widget: practice mode (instant feedback, hints) and assignment mode (no feedback; the
answer is saved as a submission file that ``pumpbill grade`` accepts). No pandas: runs in Pyodide."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as W
import yaml
from pydantic import ValidationError

from ..errors import from_validation
from ..grading.grade import Grade, grade
from ..render import DISCLAIMER
from ..rules import REGISTRY
from .models import Answer, Exercise, Submission

_LINE = re.compile(r"^\s*(?P<code>[0-9A-Za-z]{5})(?P<mods>(?:[\s,-]+(?!x\s*\d)[0-9A-Za-z]{2}\b)*)"
                   r"(?:\s*[x\u00d7*]\s*(?P<units>\d+))?\s*$", re.IGNORECASE)


def parse_lines(text: str) -> list[dict[str, Any]]:
    """'62369' / 'J0475 JZ x4' / '99213-25', one claim line per row -> answer lines; ValueError names the row."""
    lines = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.strip().startswith("#"):
            continue
        m = _LINE.match(raw)
        if not m:
            raise ValueError(f"row {n}: write CODE [MODIFIERS] [x UNITS], e.g. 'J0475 JZ x4', not {raw.strip()!r}")
        mods = [x.upper() for x in re.split(r"[\s,-]+", m["mods"] or "") if x]
        lines.append({"code": m["code"].upper(), "modifiers": sorted(mods), "units": int(m["units"] or 1)})
    return lines


def parse_codes(text: str) -> list[str]:
    return [c.strip().upper() for c in re.split(r"[,;\s]+", text) if c.strip()]


def build_answer(ex: Exercise, lines_text: str = "", dx_text: str = "", rules: tuple[str, ...] = (),
                 documentation_text: str = "") -> Answer:
    """The trainee's inputs as an Answer (ValueError with a readable message when they cannot be read)."""
    if ex.kind == "choose_claim":
        parts = ex.rubric.points
        return Answer(lines=parse_lines(lines_text),
                      diagnoses=parse_codes(dx_text) if "diagnoses" in parts else None)
    if ex.kind in ("find_gaps", "review_claim"):
        return Answer(rules=sorted(rules))
    try:
        doc = yaml.safe_load(documentation_text) if documentation_text.strip() else {}
    except yaml.YAMLError as exc:
        raise ValueError(f"documentation is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise ValueError("documentation: write encounter fields, e.g. 'next_refill_date: 2026-05-25'")
    return Answer(documentation=doc)


def grade_html(g: Grade, *, link_base: str = "../reference/rules/") -> str:
    if g.status != "graded":
        return f"<p style='color:#b00020'><b>Not gradable:</b> {escape(g.reason)}</p>"
    head = ("<p style='color:#1b5e20'><b>All correct.</b> Every part was checked.</p>" if g.all_correct
            else f"<p><b>Score {g.points:g} / {g.max_points:g}</b></p>")
    parts = "".join(f"<tr><td>{escape(p.part)}</td><td>{p.points:g} / {p.max_points:g}</td>"
                    f"<td><code>{escape(p.formula)}</code></td><td>{escape(p.detail)}</td></tr>" for p in g.parts)
    table = f"<table><tr><th>Part</th><th>Points</th><th>Formula</th><th>Detail</th></tr>{parts}</table>"
    items = []
    for f in g.feedback:
        code = (f"<a href='{link_base}{f.rule.lower()}.html'>{escape(f.rule)}</a> " if f.rule else "")
        fix = f"<br><small>Fix: {escape(f.fix)}</small>" if f.fix else ""
        items.append(f"<li>{code}{escape(f.message)}{fix}</li>")
    fb = f"<ul>{''.join(items)}</ul>" if items else ""
    return head + table + fb


def submission_yaml(ex: Exercise, trainee: str, answer: Answer, now: datetime | None = None) -> str:
    sub = Submission(trainee=trainee, exercise=ex.id, answer=answer, mode="assignment",
                     submitted_at=(now or datetime.now(UTC)).replace(microsecond=0).isoformat())
    data = sub.model_dump(mode="json", exclude_none=True)
    return "# pumpbill submission: hand this file in to your instructor. Synthetic data only.\n" + yaml.safe_dump(
        data, sort_keys=False)


def save_submission(text: str, folder: Path, ex_id: str, trainee: str) -> Path:
    """Write the hand-in file (in the browser this lands in JupyterLite's file browser)."""
    path = folder / f"submission-{trainee}-{ex_id}.yaml"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
    return path


def download_link(text: str, filename: str) -> str:
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (f"<a download='{escape(filename)}' href='data:application/x-yaml;base64,{data}'>"
            f"Download {escape(filename)}</a>")


def scenario_html(ex: Exercise) -> str:
    data = ex.scenario.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    text = yaml.safe_dump(data, sort_keys=False, width=100)
    return f"<pre style='font-size:0.85em;max-height:26em;overflow:auto'>{escape(text)}</pre>"


def exercise_widget(ex: Exercise | dict[str, Any], mode: str = "practice", trainee: str = "trainee",
                    folder: str | Path = ".") -> W.Widget:
    """One exercise. ``mode='practice'``: Check gives feedback at once, Hint reveals hints one by one.
    ``mode='assignment'``: no feedback; Save writes a submission file (and offers it as a download)."""
    if isinstance(ex, dict):
        ex = Exercise.model_validate(ex)
    if mode == "assignment":
        ex = Exercise.model_validate(ex.public())  # the key never reaches an assignment page
    header = W.HTML(f"<h4>{escape(ex.title)} <small>({escape(ex.level)}, {escape(ex.kind.replace('_', ' '))}, "
                    f"{ex.max_points:g} points)</small></h4><p>{escape(ex.narrative)}</p>"
                    f"<p><b>{escape(ex.ask)}</b></p>" + scenario_html(ex))
    lines = W.Textarea(placeholder="one claim line per row, e.g.\n62369\nJ0475 JZ x4",
                       layout=W.Layout(width="60%", height="7em"))
    dx = W.Text(placeholder="e.g. Z45.1, G80.1", description="Diagnoses")
    rule_pick = W.SelectMultiple(options=[(f"{c} {r.name}", c) for c, r in REGISTRY.items()], rows=10,
                                 layout=W.Layout(width="70%"))
    doc = W.Textarea(placeholder="encounter fields to record, as YAML, e.g.\nnext_refill_date: 2026-05-25",
                     layout=W.Layout(width="70%", height="9em"))
    inputs: list[W.Widget]
    if ex.kind == "choose_claim":
        inputs = [W.Label("Claim lines:"), lines] + ([dx] if "diagnoses" in ex.rubric.points else [])
    elif ex.kind in ("find_gaps", "review_claim"):
        inputs = [W.Label("Pick the rules that apply (Ctrl/Cmd-click for several):"), rule_pick]
    else:
        inputs = [W.Label("What the note must record:"), doc]
    out = W.HTML()
    hint_out = W.HTML()
    shown_hints = {"n": 0}

    def answer() -> Answer:
        return build_answer(ex, lines.value, dx.value, tuple(rule_pick.value), doc.value)

    def on_check(_b=None) -> None:
        try:
            sub = Submission(trainee=trainee, exercise=ex.id, answer=answer(), mode="practice")
        except ValidationError as exc:
            out.value = f"<p style='color:#b00020'>{escape(str(from_validation('answer', exc)))}</p>"
            return
        except ValueError as exc:
            out.value = f"<p style='color:#b00020'>{escape(str(exc))}</p>"
            return
        out.value = grade_html(grade(ex, sub))

    def on_hint(_b=None) -> None:
        n = min(shown_hints["n"] + 1, len(ex.hints))
        shown_hints["n"] = n
        hint_out.value = "".join(f"<p><i>Hint {i + 1}:</i> {escape(h)}</p>" for i, h in enumerate(ex.hints[:n])) or \
            "<p>No hints for this one.</p>"

    def on_save(_b=None) -> None:
        try:
            text = submission_yaml(ex, trainee, answer())
        except (ValueError, ValidationError) as exc:
            out.value = f"<p style='color:#b00020'>{escape(str(exc).splitlines()[0])}</p>"
            return
        try:
            path = save_submission(text, Path(folder), ex.id, trainee)
            where = f"Saved <code>{escape(str(path))}</code>. "
        except OSError:
            where = "This browser did not let the page save a copy in its own files; use the download link. "
        out.value = f"<p>{where}{download_link(text, f'submission-{trainee}-{ex.id}.yaml')}</p>"

    if mode == "practice":
        check = W.Button(description="Check", button_style="primary")
        hint = W.Button(description="Hint")
        check.on_click(on_check)
        hint.on_click(on_hint)
        buttons = [check, hint]
    else:
        save = W.Button(description="Save submission", button_style="primary")
        save.on_click(on_save)
        buttons = [save]
    box = W.VBox([header, *inputs, W.HBox(buttons), hint_out, out,
                  W.HTML(f"<small>{escape(DISCLAIMER)}</small>")],
                 layout=W.Layout(border="1px solid #ccc", padding="8px"))
    box.pumpbill = {"lines": lines, "dx": dx, "rules": rule_pick, "doc": doc, "out": out, "hints": hint_out,  # type: ignore[attr-defined]
                    "check": on_check, "hint": on_hint, "save": on_save}
    return box


def exercise_picker(mode: str = "practice", trainee: str = "trainee", set_ids: tuple[str, ...] | None = None,
                    folder: str | Path = ".") -> W.Widget:
    """Choose a set and an exercise; the exercise appears below. Exercises come without keys."""
    from .catalog import public_sets

    sets = {k: v for k, v in public_sets().items() if set_ids is None or k in set_ids}
    set_pick = W.Dropdown(options=[(v["title"], k) for k, v in sets.items()], description="Set",
                          layout=W.Layout(width="90%"))
    ex_pick = W.Dropdown(description="Exercise", layout=W.Layout(width="90%"))
    holder = W.VBox()

    def on_set(_c=None) -> None:
        exs = sets[set_pick.value]["exercises"]
        ex_pick.options = [(f"{e['id']}: {e['title']} ({e['level']})", i) for i, e in enumerate(exs)]
        ex_pick.value = 0

    def on_ex(_c=None) -> None:
        if ex_pick.value is None:
            return
        data = sets[set_pick.value]["exercises"][ex_pick.value]
        holder.children = [exercise_widget(data, mode=mode, trainee=trainee, folder=folder)]

    set_pick.observe(on_set, names="value")
    ex_pick.observe(on_ex, names="value")
    on_set()
    on_ex()
    return W.VBox([set_pick, ex_pick, holder])

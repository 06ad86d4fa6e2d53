"""The exercise widget: practice mode (instant feedback, hints) and assignment mode (no feedback; the
answer is saved as a submission file that ``pumpbill grade`` accepts). No pandas: runs in Pyodide.

The picker lists the book's sets, or an instructor's course pack (``pumpbill.exercises.pack``) opened from
a page link (``?pack=``, handed over by the page) or from a file the trainee picks. In assignment mode the
trainee types their id in a form field; an empty, invalid or example id (``trainee``) is refused. The
practice page refuses a set marked as an assignment."""

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
from .models import _ID, Answer, Exercise, Submission

#: The example id of the documentation; refused as a real trainee's id.
DEFAULT_TRAINEE = "trainee"
_RED = "color:#b00020"

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


def trainee_problem(trainee: str | None) -> str | None:
    """Why ``trainee`` cannot go on a hand-in, or None."""
    text = (trainee or "").strip()
    if not text:
        return "Type your trainee id first, in the 'Your id' box (the id your instructor gave you)."
    if text.lower() == DEFAULT_TRAINEE:
        return (f"'{DEFAULT_TRAINEE}' is only the example id: type the id your instructor gave you (e.g. t07) in "
                "the 'Your id' box.")
    if not _ID.match(text):
        return ("A trainee id has letters, digits, '-', '_' or '.' only (at most 80 characters), e.g. t07; never "
                "your name or e-mail address.")
    return None


def trainee_field(trainee: str | None = None) -> W.Text:
    """The 'Your id' form field (empty unless a real id is given: the example id is never filled in)."""
    value = "" if not trainee or trainee.strip().lower() == DEFAULT_TRAINEE else trainee.strip()
    return W.Text(value=value, description="Your id", placeholder="the id your instructor gave you, e.g. t07",
                  style={"description_width": "initial"}, layout=W.Layout(width="60%"))


def exercise_widget(ex: Exercise | dict[str, Any], mode: str = "practice", trainee: str | None = None,
                    folder: str | Path = ".", id_field: W.Text | None = None) -> W.Widget:
    """One exercise. ``mode='practice'``: Check gives feedback at once, Hint reveals hints one by one.
    ``mode='assignment'``: no feedback; Save writes a submission file (and offers it as a download) for the id
    typed in ``id_field`` (a 'Your id' field of its own when none is given; ``trainee`` pre-fills it)."""
    if isinstance(ex, dict):
        from .pack import PackExercise

        ex = PackExercise.model_validate({k: v for k, v in ex.items() if k not in ("key", "key_note")})
    if mode == "assignment":
        ex = ex.model_copy(update={"key": None, "key_note": None})  # the key never reaches an assignment page
    own_id = id_field is None and mode == "assignment"
    if id_field is None:
        id_field = trainee_field(trainee)
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
            sub = Submission(trainee="practice", exercise=ex.id, answer=answer(), mode="practice")
        except ValidationError as exc:
            out.value = f"<p style='{_RED}'>{escape(str(from_validation('answer', exc)))}</p>"
            return
        except ValueError as exc:
            out.value = f"<p style='{_RED}'>{escape(str(exc))}</p>"
            return
        out.value = grade_html(grade(ex, sub))

    def on_hint(_b=None) -> None:
        n = min(shown_hints["n"] + 1, len(ex.hints))
        shown_hints["n"] = n
        hint_out.value = "".join(f"<p><i>Hint {i + 1}:</i> {escape(h)}</p>" for i, h in enumerate(ex.hints[:n])) or \
            "<p>No hints for this one.</p>"

    def on_save(_b=None) -> None:
        who = id_field.value.strip()
        problem = trainee_problem(who)
        if problem:
            out.value = f"<p style='{_RED}'><b>Not saved.</b> {escape(problem)}</p>"
            return
        try:
            text = submission_yaml(ex, who, answer())
        except (ValueError, ValidationError) as exc:
            out.value = f"<p style='{_RED}'>{escape(str(exc).splitlines()[0])}</p>"
            return
        try:
            path = save_submission(text, Path(folder), ex.id, who)
            where = f"Saved <code>{escape(str(path))}</code>. "
        except OSError:
            where = "This browser did not let the page save a copy in its own files; use the download link. "
        out.value = f"<p>{where}{download_link(text, f'submission-{who}-{ex.id}.yaml')}</p>"

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
    box = W.VBox(([id_field] if own_id else []) + [header, *inputs, W.HBox(buttons), hint_out, out,
                  W.HTML(f"<small>{escape(DISCLAIMER)}</small>")],
                 layout=W.Layout(border="1px solid #ccc", padding="8px"))
    box.pumpbill = {"lines": lines, "dx": dx, "rules": rule_pick, "doc": doc, "out": out, "hints": hint_out,  # type: ignore[attr-defined]
                    "check": on_check, "hint": on_hint, "save": on_save, "trainee": id_field, "exercise": ex}
    return box


def _due_text(due: str | None) -> str:
    if not due:
        return ""
    from datetime import datetime as _dt

    try:
        when = _dt.fromisoformat(due)
    except ValueError:
        return f"due {due}"
    offset = when.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"due {when.strftime('%Y-%m-%d %H:%M')} ({zone})"


def set_info_html(s: dict[str, Any]) -> str:
    """One line about the chosen set: its title, whether it is an assignment, and when it is due."""
    bits = ["assignment: hand in your answers" if s.get("mode") == "assignment" else "practice"]
    if s.get("due"):
        bits.append(_due_text(s["due"]))
    return (f"<p><b>{escape(s['title'])}</b> <small>({escape('; '.join(bits))}, {len(s['exercises'])} "
            f"exercise{'s' if len(s['exercises']) != 1 else ''})</small></p>")


def refusal_for(mode: str, pack_mode: str) -> str | None:
    """Why a pack of ``pack_mode`` cannot be answered on a page in ``mode`` (the practice page refuses
    assignments: practice would grade them at once), or None."""
    if mode == "practice" and pack_mode == "assignment":
        return ("This course pack is an assignment: it is answered on the Assignments page, where you save your "
                "answers and hand them in, not in practice mode. Open it there.")
    return None


def exercise_picker(mode: str = "practice", trainee: str | None = None, set_ids: tuple[str, ...] | None = None,
                    folder: str | Path = ".", pack: Any = None, page_url: str | None = None,
                    fetch: Any = None) -> W.Widget:
    """Choose a set and an exercise; the exercise appears below. Exercises come without keys.

    ``pack``: a course pack to open at once: the ``?pack=`` address of the page link (with ``page_url``, the
    page's address; checked and fetched from the same site), a local file path (without ``page_url``), or a
    pack already loaded. A **file picker** opens one too. In practice mode, assignment sets (shipped or in a
    pack) are refused. In assignment mode a 'Your id' field comes first (``trainee`` pre-fills it)."""
    from .catalog import public_sets
    from .pack import CoursePack, PackError, fetch_pack, fetch_text, load_pack

    sets: dict[str, dict[str, Any]] = {
        k: v for k, v in public_sets().items()
        if (set_ids is None or k in set_ids) and not (mode == "practice" and v.get("mode") == "assignment")}
    status = W.HTML()
    set_info = W.HTML()
    id_field = trainee_field(trainee) if mode == "assignment" else None
    opener = W.FileUpload(accept=".json,application/json", multiple=False,
                          description="Open a course pack", layout=W.Layout(width="auto"))
    set_pick = W.Dropdown(description="Set", layout=W.Layout(width="90%"))
    ex_pick = W.Dropdown(description="Exercise", layout=W.Layout(width="90%"))
    holder = W.VBox()
    state: dict[str, Any] = {"sets": sets}

    def on_set(_c=None) -> None:
        if state.get("busy"):
            return
        current = state["sets"].get(set_pick.value)
        state["busy"] = True
        try:
            exs = current["exercises"] if current else []
            set_info.value = set_info_html(current) if current else ""
            ex_pick.options = [(f"{e['id']}: {e['title']} ({e['level']})", i) for i, e in enumerate(exs)]
            ex_pick.value = 0 if exs else None
        finally:
            state["busy"] = False
        on_ex()

    def on_ex(_c=None) -> None:
        if state.get("busy"):
            return
        current = state["sets"].get(set_pick.value)
        if ex_pick.value is None or current is None:
            holder.children = ()
            return
        data = current["exercises"][ex_pick.value]
        holder.children = [exercise_widget(data, mode=mode, folder=folder, id_field=id_field)]

    def show_sets(new: dict[str, dict[str, Any]]) -> None:
        state["sets"] = new
        state["busy"] = True
        try:
            set_pick.options = [(v["title"], k) for k, v in new.items()]
            set_pick.value = next(iter(new), None)
        finally:
            state["busy"] = False
        on_set()

    def refuse(message: str, *, keep: bool = True) -> None:
        text = message[:1].upper() + message[1:]
        status.value = f"<p style='{_RED}' role='alert'><b>Course pack not opened.</b> {escape(text)}</p>"
        if not keep:
            show_sets({})

    def apply_pack(cp: CoursePack, source: str) -> None:
        why = refusal_for(mode, cp.set.mode)
        if why:
            refuse(why)
            return
        status.value = (f"<p style='color:#1b5e20'>Opened the course pack <code>{escape(source)}</code>: "
                        f"{escape(cp.set.title)}.</p>")
        show_sets({cp.set.id: cp.payload()})

    def on_upload(change) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = str(item.get("name") or "the file")
        try:
            apply_pack(load_pack(bytes(item["content"]), name=f"the file {name}"), name)
        except PackError as exc:
            refuse(str(exc))

    set_pick.observe(on_set, names="value")
    ex_pick.observe(on_ex, names="value")
    opener.observe(on_upload, names="value")
    show_sets(sets)
    if pack is not None:
        try:
            if isinstance(pack, CoursePack):
                apply_pack(pack, pack.set.id)
            elif isinstance(pack, dict):
                apply_pack(load_pack(pack), str(pack.get("set", {}).get("id", "pack")))
            elif page_url is not None:
                apply_pack(fetch_pack(str(pack), page_url, fetch or fetch_text), str(pack))
            else:
                apply_pack(load_pack(Path(pack).read_bytes(), name=str(pack)), str(pack))
        except PackError as exc:
            refuse(str(exc), keep=False)  # the link named a pack: never fall back to other sets silently
        except OSError as exc:
            refuse(f"{pack}: {exc.strerror or exc}", keep=False)
    top: list[W.Widget] = [status]
    if id_field is not None:
        top.append(id_field)
    picker = W.VBox([*top, W.HBox([opener]), set_pick, set_info, ex_pick, holder])
    picker.pumpbill = {"status": status, "set_info": set_info, "trainee": id_field, "opener": opener,  # type: ignore[attr-defined]
                       "sets": set_pick, "exercises": ex_pick, "holder": holder, "state": state,
                       "upload": on_upload}
    return picker

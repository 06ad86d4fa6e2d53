"""The exercise widget: practice mode (instant feedback, hints) and assignment mode (no feedback; the
answer becomes a submission file, offered as a download, that ``pumpbill grade`` accepts). No pandas: runs in
Pyodide, where the widget lives inside the book page (relative links resolve against the page).

The trainee reads a synthetic chart note (``note.chart_note_html``) and answers on a form of the
exercise's kind: a CMS-1500 claim form (``claimform``), a per-field documentation form (``docform``) or
rule checkboxes grouped by family (``ruleform``). Each form reads into the ``Answer`` the grader grades.

The picker lists the book's sets, or an instructor's course pack (``pumpbill.exercises.pack``) opened from
a page link (``?pack=``, handed over by the page) or from a file the trainee picks; it always shows, checks
and saves the exercise on screen, and "Next exercise" moves on. In assignment mode the trainee types their
id in a form field; an empty, invalid or example id (``trainee``) is refused. The practice page refuses a
set marked as an assignment."""

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
from ..grading.grade import grade
from ..render import DISCLAIMER
from .claimform import ClaimForm
from .docform import DocForm
from .feedback import LINK_BASE, grade_html
from .models import _ID, Answer, Exercise, Submission
from .note import chart_note_html
from .ruleform import RuleForm

__all__ = ["build_answer", "exercise_picker", "exercise_widget", "grade_html", "parse_lines", "submission_yaml",
           "trainee_problem"]

#: The example id of the documentation; refused as a real trainee's id.
DEFAULT_TRAINEE = "trainee"
#: Where the file goes, when the page does not say: the instructor decides (LMS, e-mail, shared drive).
HAND_IN = ("Hand this file in the way your instructor asked (for example, upload it to your course site or attach "
           "it to an e-mail). Keep a copy until your grade is back.")
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
    """An answer typed as text (instructors' scripts and the guide; the widget uses its forms), as an Answer;
    ValueError with a readable message when it cannot be read."""
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


def submission_yaml(ex: Exercise, trainee: str, answer: Answer, now: datetime | None = None) -> str:
    sub = Submission(trainee=trainee, exercise=ex.id, answer=answer, mode="assignment",
                     submitted_at=(now or datetime.now(UTC)).replace(microsecond=0).isoformat())
    data = sub.model_dump(mode="json", exclude_none=True)
    return "# pumpbill submission: hand this file in to your instructor. Synthetic data only.\n" + yaml.safe_dump(
        data, sort_keys=False)


def submission_name(trainee: str, exercise_id: str) -> str:
    return f"submission-{trainee}-{exercise_id}.yaml"


_BUTTON = ("display:inline-block;background:#1565c0;color:#fff;padding:.45em 1em;border-radius:4px;"
           "text-decoration:none;font-weight:600")


def download_link(text: str, filename: str) -> str:
    """The hand-in as a download button: a data: link works with no file system (the page runs Python in
    the browser, where nothing the widget writes is visible to the trainee)."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (f"<a class='pb-download' download='{escape(filename)}' href='data:application/x-yaml;base64,{data}' "
            f"style='{_BUTTON}'>Download your submission</a>")


def handin_html(ex_id: str, trainee: str, text: str, hand_in: str = HAND_IN) -> str:
    """What the trainee sees after Save: which exercise, the file's name, the download, where it goes."""
    name = submission_name(trainee, ex_id)
    return (f"<p>Your answer to <b>{escape(ex_id)}</b> is ready as <code>{escape(name)}</code>.</p>"
            f"<p>{download_link(text, name)}</p><p><b>Next:</b> {escape(hand_in)}</p>")


def trainee_problem(trainee: str | None) -> str | None:
    """Why ``trainee`` cannot go on a hand-in, or None."""
    text = (trainee or "").strip()
    if not text:
        return "Type your trainee ID first, in the 'Trainee ID' box (the ID your instructor gave you)."
    if text.lower() == DEFAULT_TRAINEE:
        return (f"'{DEFAULT_TRAINEE}' is only the example ID: type the ID your instructor gave you (e.g. t07) in "
                "the 'Trainee ID' box.")
    if not _ID.match(text):
        return ("A trainee ID has letters, digits, '-', '_' or '.' only (at most 80 characters), e.g. t07; never "
                "your name or e-mail address.")
    return None


def trainee_field(trainee: str | None = None) -> W.Text:
    """The 'Trainee ID' form field (empty unless a real id is given: the example id is never filled in)."""
    value = "" if not trainee or trainee.strip().lower() == DEFAULT_TRAINEE else trainee.strip()
    return W.Text(value=value, description="Trainee ID", placeholder="the ID your instructor gave you, e.g. t07",
                  continuous_update=True, style={"description_width": "initial"},
                  layout=W.Layout(width="min(100%, 30em)"))


def trainee_box(field: W.Text) -> W.VBox:
    """The field with a message that checks the id as it is typed (a typo is caught before Save)."""
    msg = W.HTML()

    def update(_c=None) -> None:
        why = trainee_problem(field.value) if field.value.strip() else None
        msg.value = f"<small style='{_RED}' role='status'>{escape(why)}</small>" if why else ""

    field.observe(update, names="value")
    update()
    return W.VBox([field, msg])


def billed_claim_html(ex: Exercise) -> str:
    """The claim under review (review and documentation exercises), as its service lines."""
    if ex.scenario.claim is None:
        return ""
    rows = "".join(
        f"<tr><td>{i}</td><td>{escape(ln.code)}</td><td>{escape(' '.join(ln.modifiers)) or '-'}</td>"
        f"<td>{ln.units}</td><td>{escape(', '.join(ln.diagnoses)) or '-'}</td></tr>"
        for i, ln in enumerate(ex.scenario.claim.lines, 1))
    return ("<p style='margin:.6em 0 .2em'><b>The claim as billed</b></p><table><thead><tr><th scope='col'>Line</th>"
            "<th scope='col'>24D Code</th><th scope='col'>Modifiers</th><th scope='col'>24G Units</th>"
            f"<th scope='col'>Diagnoses</th></tr></thead><tbody>{rows}</tbody></table>")


def exercise_html(ex: Exercise) -> str:
    """The exercise as the trainee reads it: the id and title, the situation, the chart note, the billed
    claim when there is one, and the task."""
    kind = {"choose_claim": "choose the claim", "complete_documentation": "complete the documentation",
            "find_gaps": "find the gaps", "review_claim": "review the claim"}[ex.kind]
    return (f"<h3 style='margin:.2em 0'>{escape(ex.id)}: {escape(ex.title)}</h3>"
            f"<p><small>{escape(ex.level)} &middot; {kind} &middot; {ex.max_points:g} points</small></p>"
            f"<p><b>What you know.</b> {escape(ex.narrative)}</p>" + chart_note_html(ex)
            + (billed_claim_html(ex) if ex.kind != "choose_claim" else "")
            + f"<p><b>Your task:</b> {escape(ex.ask)}</p>")


class _Form:
    """The answer form of an exercise's kind, read into an ``Answer``."""

    def __init__(self, ex: Exercise, link_base: str) -> None:
        self.ex = ex
        self.claim = self.rules = self.doc = None
        if ex.kind == "choose_claim":
            self.claim = ClaimForm(with_diagnoses="diagnoses" in ex.rubric.points)
            self.box = self.claim.box
        elif ex.kind in ("find_gaps", "review_claim"):
            self.rules = RuleForm(link_base)
            self.box = self.rules.box
        else:
            self.doc = DocForm(ex)
            self.box = self.doc.box

    def widgets(self) -> list[W.Widget]:
        return (self.claim or self.rules or self.doc).widgets()  # type: ignore[union-attr]

    def on_change(self, callback: Any) -> None:
        """``callback`` on any change of the answer, including claim lines added later."""
        if self.claim is not None:
            self.claim.on_change(callback)
        else:
            for w in self.widgets():
                w.observe(callback, names="value")

    def answer(self) -> Answer:
        if self.claim is not None:
            data = self.claim.answer_data()
            if not data["lines"]:
                raise ValueError("Fill in at least one service line (its code in 24D).")
            return Answer(**data)
        if self.rules is not None:
            return Answer(rules=self.rules.rules())
        doc = self.doc.documentation()  # type: ignore[union-attr]
        if not doc:
            raise ValueError("Fill in at least one field: what you would add to the note.")
        return Answer(documentation=doc)


def exercise_widget(ex: Exercise | dict[str, Any], mode: str = "practice", trainee: str | None = None,
                    id_field: W.Text | None = None, link_base: str = LINK_BASE,
                    hand_in: str = HAND_IN) -> W.Widget:
    """One exercise. ``mode='practice'``: Check gives feedback at once, Hint reveals hints one by one.
    ``mode='assignment'``: no feedback; Save submission offers the hand-in as a download for the id typed
    in ``id_field`` (a 'Trainee ID' field of its own when none is given; ``trainee`` pre-fills it).
    Feedback or a download made for an earlier answer is withdrawn as soon as the answer changes."""
    if isinstance(ex, dict):
        from .pack import PackExercise

        ex = PackExercise.model_validate({k: v for k, v in ex.items() if k not in ("key", "key_note")})
    if mode == "assignment":
        ex = ex.model_copy(update={"key": None, "key_note": None})  # the key never reaches an assignment page
    own_id = id_field is None and mode == "assignment"
    if id_field is None:
        id_field = trainee_field(trainee)
    form = _Form(ex, link_base)
    out = W.HTML()
    hint_out = W.HTML()
    shown_hints = {"n": 0}
    stale_text = ("<p><i>Your answer changed: click Check to grade it again.</i></p>" if mode == "practice" else
                  "<p><i>Your answer changed: click Save submission again for a file with this answer.</i></p>")

    def answer() -> Answer:
        return form.answer()

    def error(exc: Exception) -> str:
        text = str(from_validation("answer", exc)) if isinstance(exc, ValidationError) else str(exc)
        return f"<p style='{_RED}' role='alert'>{escape(text.splitlines()[0])}</p>"

    def on_check(_b=None) -> None:
        try:
            sub = Submission(trainee="practice", exercise=ex.id, answer=answer(), mode="practice")
        except (ValueError, ValidationError) as exc:
            out.value = error(exc)
            return
        notes = (form.claim.not_scored_notes(ex.scenario.encounter.date, ex.scenario.encounter.place_of_service)
                 if form.claim is not None else [])
        out.value = grade_html(grade(ex, sub), link_base=link_base) + "".join(
            f"<p><small>Not scored: {escape(n)}</small></p>" for n in notes)

    def on_hint(_b=None) -> None:
        n = min(shown_hints["n"] + 1, len(ex.hints))
        shown_hints["n"] = n
        hint_out.value = "".join(f"<p><i>Hint {i + 1}:</i> {escape(h)}</p>" for i, h in enumerate(ex.hints[:n])) or \
            "<p>No hints for this one.</p>"

    def on_save(_b=None) -> None:
        who = id_field.value.strip()
        problem = trainee_problem(who)
        if problem:
            out.value = f"<p style='{_RED}' role='alert'><b>Not ready.</b> {escape(problem)}</p>"
            return
        try:
            text = submission_yaml(ex, who, answer())
        except (ValueError, ValidationError) as exc:
            out.value = error(exc)
            return
        out.value = handin_html(ex.id, who, text, hand_in)

    def stale(_c=None) -> None:
        if out.value and out.value != stale_text and "role='alert'" not in out.value:
            out.value = stale_text

    form.on_change(stale)
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
        if own_id:
            id_field.observe(stale, names="value")
    header = W.HTML(exercise_html(ex))
    box = W.VBox(([trainee_box(id_field)] if own_id else []) + [
        header, form.box, W.HBox(buttons), hint_out, out,
        W.HTML(f"<small>{escape(DISCLAIMER)}</small>")],
        layout=W.Layout(border="1px solid #ccc", padding="8px"))
    box.pumpbill = {"header": header, "form": form, "out": out, "hints": hint_out, "check": on_check,  # type: ignore[attr-defined]
                    "hint": on_hint, "save": on_save, "stale": stale, "trainee": id_field, "exercise": ex,
                    "buttons": buttons}
    return box


def _close_tree(w: W.Widget, keep: W.Widget | None = None) -> None:
    """Close a widget and everything in it (a Box does not close its children), except ``keep``."""
    if w is keep:
        return
    for child in getattr(w, "children", ()):
        _close_tree(child, keep)
    w.close()


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
                    pack: Any = None, page_url: str | None = None, fetch: Any = None,
                    link_base: str = LINK_BASE, hand_in: str = HAND_IN) -> W.Widget:
    """Choose a set and an exercise; the exercise appears below. Exercises come without keys.

    ``pack``: a course pack to open at once: the ``?pack=`` address of the page link (with ``page_url``, the
    page's address; checked and fetched from the same site), a local file path (without ``page_url``), or a
    pack already loaded. A **file picker** opens one too. In practice mode, assignment sets (shipped or in a
    pack) are refused. In assignment mode a 'Trainee ID' field comes first (``trainee`` pre-fills it).
    Whatever changes the set or the exercise, the exercise shown is the one checked and saved."""
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
    set_pick = W.Dropdown(description="Set", layout=W.Layout(width="min(100%, 40em)"))
    ex_pick = W.Dropdown(description="Exercise", layout=W.Layout(width="min(100%, 40em)"))
    next_button = W.Button(description="Next exercise", icon="arrow-right",
                           tooltip="The next exercise of this set, then the first of the next set")
    next_msg = W.HTML()
    holder = W.VBox()
    state: dict[str, Any] = {"sets": sets}

    def show_exercise() -> None:
        """Put the exercise the pickers name on screen (the only place an exercise widget is made)."""
        current = state["sets"].get(set_pick.value)
        exs = current["exercises"] if current else []
        index = ex_pick.value
        next_msg.value = ""
        if index is None or not 0 <= index < len(exs):
            holder.children = ()
            state["shown"] = None
            return
        data = exs[index]
        state["shown"] = (set_pick.value, data["id"])
        for old in holder.children:  # the previous exercise's widgets are closed, not left to pile up
            _close_tree(old, keep=id_field)
        holder.children = [exercise_widget(data, mode=mode, id_field=id_field, link_base=link_base,
                                           hand_in=hand_in)]

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
        show_exercise()  # always: the value may already have been 0, which fires no change

    def on_ex(_c=None) -> None:
        if not state.get("busy"):
            show_exercise()

    def on_next(_b=None) -> None:
        keys = list(state["sets"])
        current = state["sets"].get(set_pick.value)
        count = len(current["exercises"]) if current else 0
        if ex_pick.value is not None and ex_pick.value + 1 < count:
            ex_pick.value += 1
            return
        later = [k for k in keys[keys.index(set_pick.value) + 1:] if state["sets"][k]["exercises"]] \
            if set_pick.value in keys else []
        if later:
            set_pick.value = later[0]
            return
        next_msg.value = "<small role='status'>This is the last exercise.</small>"

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

    def on_id(_c=None) -> None:
        for child in holder.children:
            child.pumpbill["stale"]()

    set_pick.observe(on_set, names="value")
    ex_pick.observe(on_ex, names="value")
    opener.observe(on_upload, names="value")
    next_button.on_click(on_next)
    if id_field is not None:
        id_field.observe(on_id, names="value")
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
        top.append(trainee_box(id_field))
    picker = W.VBox([*top, W.HBox([opener]), set_pick, set_info, ex_pick, holder,
                     W.HBox([next_button, next_msg], layout=W.Layout(align_items="center"))])
    picker.pumpbill = {"status": status, "set_info": set_info, "trainee": id_field, "opener": opener,  # type: ignore[attr-defined]
                       "sets": set_pick, "exercises": ex_pick, "holder": holder, "state": state,
                       "upload": on_upload, "next": next_button, "next_msg": next_msg}
    return picker

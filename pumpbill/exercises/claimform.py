"""The answer form of a "choose the claim" exercise, laid out like the CMS-1500 service lines.

Why a form: a trainee on the job fills in box 21 (diagnoses A-L) and the service lines (24A date, 24B place
of service, 24D code and up to four modifiers, 24E diagnosis pointer, 24G units), not a text format of
our own. The form reads into the same ``Answer`` the grader grades: the lines (code, modifiers, units) and
the diagnoses in the order line 1 points to them (the first pointer letter is the line's primary
diagnosis; without a pointer, box 21's order). Date and place of service are read and checked for form
but not scored. No placeholder holds a real code: the examples are neutral (99999, A00.0)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ipywidgets as W

from ..facts import PUMP_SERVICE_CODES as SERVICE_CODES

#: A CMS-1500 page holds six service lines; box 21 holds twelve diagnoses.
MAX_LINES = 6
LETTERS = "ABCDEFGHIJKL"
PLACEHOLDERS = {"date": "YYYY-MM-DD", "pos": "2 digits", "code": "e.g. 99999", "modifier": "",
                "pointer": "e.g. A", "dx": "e.g. A00.0"}
_CODE = re.compile(r"^[0-9A-Z]{5}$")
_MOD = re.compile(r"^[0-9A-Z]{2}$")
_POS = re.compile(r"^[0-9]{2}$")
_DX = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")


def _text(description: str, placeholder: str, width: str) -> W.Text:
    return W.Text(description=description, placeholder=placeholder, continuous_update=True,
                  style={"description_width": "initial"}, layout=W.Layout(width=width))


@dataclass
class ServiceLine:
    """One row of box 24: every field carries its own visible label (the box number and what it is)."""

    n: int
    date: W.Text = field(init=False)
    pos: W.Text = field(init=False)
    code: W.Text = field(init=False)
    modifiers: list[W.Text] = field(init=False)
    pointer: W.Text = field(init=False)
    units: W.BoundedIntText = field(init=False)
    box: W.HBox = field(init=False)

    def __post_init__(self) -> None:
        self.date = _text("24A Date", PLACEHOLDERS["date"], "12em")
        self.pos = _text("24B POS", PLACEHOLDERS["pos"], "8em")
        self.code = _text("24D Code", PLACEHOLDERS["code"], "11em")
        self.modifiers = [_text(f"Mod {i}", PLACEHOLDERS["modifier"], "6.5em") for i in range(1, 5)]
        self.pointer = _text("24E Pointer", PLACEHOLDERS["pointer"], "10em")
        self.units = W.BoundedIntText(value=1, min=0, max=99999, description="24G Units", continuous_update=True,
                                      style={"description_width": "initial"}, layout=W.Layout(width="9em"))
        self.box = W.HBox([W.HTML(f"<b aria-label='Service line {self.n}'>{self.n}</b>",
                                  layout=W.Layout(width="1.5em")),
                           self.date, self.pos, self.code, *self.modifiers, self.pointer, self.units],
                          layout=W.Layout(flex_flow="row wrap", align_items="center"))

    @property
    def empty(self) -> bool:
        return not self.code.value.strip()


def _problem(where: str, what: str) -> ValueError:
    return ValueError(f"{where}: {what}")


def read_line(line: ServiceLine, dx_letters: set[str]) -> dict[str, Any]:
    """One filled row as an answer line; ValueError names the row and the box in plain words."""
    where = f"line {line.n}"
    code = line.code.value.strip().upper()
    if not _CODE.match(code):
        raise _problem(where, f"24D code {code!r} is not a 5-character CPT or HCPCS code (e.g. 99999)")
    mods = [m.value.strip().upper() for m in line.modifiers if m.value.strip()]
    for m in mods:
        if not _MOD.match(m):
            raise _problem(where, f"modifier {m!r} should be 2 letters or digits")
    if line.units.value < 1:
        raise _problem(where, "24G units must be at least 1")
    read_pointer(line, dx_letters)
    if line.date.value.strip():
        try:
            date.fromisoformat(line.date.value.strip())
        except ValueError:
            raise _problem(where, "24A date of service: write it as YYYY-MM-DD") from None
    if line.pos.value.strip() and not _POS.match(line.pos.value.strip()):
        raise _problem(where, "24B place of service is a 2-digit code")
    return {"code": code, "modifiers": sorted(mods), "units": int(line.units.value)}


def read_pointer(line: ServiceLine, dx_letters: set[str]) -> list[str]:
    """The pointer letters of a row, in order ('AB', 'A, B' or 'a b' all read as A then B)."""
    letters = [c for c in line.pointer.value.upper() if not c.isspace() and c != ","]
    for c in letters:
        if c not in LETTERS:
            raise _problem(f"line {line.n}", f"24E pointer: use the letters A to L of box 21, not {c!r}")
        if c not in dx_letters:
            raise _problem(f"line {line.n}", f"24E pointer {c}: box 21 {c} is empty")
    if len(set(letters)) != len(letters):
        raise _problem(f"line {line.n}", "24E pointer: each letter once")
    return letters


class ClaimForm:
    """Box 21 and the service lines, with an "Add line" button (up to six lines)."""

    def __init__(self, *, with_diagnoses: bool = True, lines: int = 2) -> None:
        self.with_diagnoses = with_diagnoses
        self._watchers: list[Any] = []
        self.dx = [_text(f"21{c}", PLACEHOLDERS["dx"], "10em") for c in LETTERS]
        self.lines = [ServiceLine(i + 1) for i in range(max(1, min(lines, MAX_LINES)))]
        self.add = W.Button(description="Add line", icon="plus", tooltip="Add a service line (up to six)")
        self.add_note = W.HTML()
        self.add.on_click(self.add_line)
        self.rows = W.VBox([ln.box for ln in self.lines])
        intro = ("<p><b>Box 21. Diagnoses</b> (ICD-10-CM, A to L). In 24E, give the letters of the diagnoses each "
                 "line is for, the primary one first. Graded: the diagnoses line 1 points to, in that order "
                 "(without a pointer, box 21's order).</p>")
        parts: list[W.Widget] = []
        if with_diagnoses:
            parts += [W.HTML(intro), W.HBox(self.dx, layout=W.Layout(flex_flow="row wrap"))]
        parts += [W.HTML("<p><b>Box 24. Service lines</b>: one line per code billed. Numbers update as you type. "
                         "Date of service and place of service are checked for form but not scored.</p>"),
                  self.rows, W.HBox([self.add, self.add_note])]
        self.box = W.VBox(parts)

    def on_change(self, callback: Any) -> None:
        """Call ``callback`` whenever any field changes, including the fields of lines added later."""
        self._watchers.append(callback)
        for w in self.widgets():
            w.observe(callback, names="value")

    def add_line(self, _b: Any = None) -> None:
        if len(self.lines) >= MAX_LINES:
            return
        line = ServiceLine(len(self.lines) + 1)
        self.lines.append(line)
        for callback in self._watchers:
            for w in [line.date, line.pos, line.code, *line.modifiers, line.pointer, line.units]:
                w.observe(callback, names="value")
            callback(None)  # a new line is a changed answer
        self.rows.children = [ln.box for ln in self.lines]
        if len(self.lines) >= MAX_LINES:
            self.add.disabled = True
            self.add_note.value = "<small>Six lines is the most one CMS-1500 page holds.</small>"

    def widgets(self) -> list[W.Widget]:
        """Every input, for tests and for disabling the form."""
        out: list[W.Widget] = list(self.dx) if self.with_diagnoses else []
        for ln in self.lines:
            out += [ln.date, ln.pos, ln.code, *ln.modifiers, ln.pointer, ln.units]
        return out

    def diagnoses_by_letter(self) -> dict[str, str]:
        out = {}
        for c, box in zip(LETTERS, self.dx, strict=True):
            code = box.value.strip().upper()
            if code:
                if not _DX.match(code):
                    raise _problem(f"box 21{c}", f"{code!r} is not written like an ICD-10-CM code (e.g. A00.0)")
                out[c] = code
        return out

    def answer_data(self) -> dict[str, Any]:
        """{"lines": [...], "diagnoses": [...] (when graded)}: the Answer's fields; ValueError in plain words."""
        by_letter = self.diagnoses_by_letter() if self.with_diagnoses else {}
        filled = [ln for ln in self.lines if not ln.empty]
        lines = [read_line(ln, set(by_letter) if self.with_diagnoses else set(LETTERS)) for ln in filled]
        data: dict[str, Any] = {"lines": lines}
        if self.with_diagnoses:
            # graded: the diagnoses of the pump service, in its pointer's order, wherever that line sits on the
            # form (line order means nothing on a CMS-1500); without such a line, line 1; without a pointer,
            # box 21's order
            service = next((ln for ln in filled if ln.code.value.strip().upper() in SERVICE_CODES), None)
            pointed = service or (filled[0] if filled else None)
            first = read_pointer(pointed, set(by_letter)) if pointed is not None else []
            data["diagnoses"] = [by_letter[c] for c in first] if first else list(by_letter.values())
        return data

    def fill(self, lines: list[dict[str, Any]], diagnoses: list[str] = ()) -> None:
        """Type an answer into the form, as a trainee would (every line points to every diagnosis in order)."""
        for box, code in zip(self.dx, [*diagnoses, *[""] * len(LETTERS)], strict=False):
            box.value = code
        while len(self.lines) < len(lines):
            self.add_line()
        pointer = LETTERS[:len(diagnoses)]
        for ln, data in zip(self.lines, [*lines, *[None] * len(self.lines)], strict=False):
            ln.code.value = data["code"] if data else ""
            mods = list(data.get("modifiers", [])) if data else []
            for box, m in zip(ln.modifiers, [*mods, "", "", "", ""], strict=False):
                box.value = m
            ln.units.value = int(data.get("units", 1)) if data else 1
            ln.pointer.value = pointer if data else ""

    def not_scored_notes(self, visit_date: date, pos: str) -> list[str]:
        """Practice hints about the unscored boxes: a date or place that differs from the note."""
        out = []
        for ln in self.lines:
            if ln.empty:
                continue
            if ln.date.value.strip() and ln.date.value.strip() != visit_date.isoformat():
                out.append(f"Line {ln.n}: the date of service (24A) is not the visit date in the note.")
            if ln.pos.value.strip() and ln.pos.value.strip() != pos:
                out.append(f"Line {ln.n}: the place of service (24B) does not match where the note says the "
                           "visit took place.")
        return out

"""What differs between a rule's bad and good example: the claim lines, aligned, and the note's fields.

The rule pages show the two examples side by side with the changed cells marked. The marks are computed
from the example files themselves, so they can never disagree with the examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import zip_longest
from typing import Any

from .ndc import shaded_text

NOT_RECORDED = "not recorded"
LINE_HEADINGS = ("Line", "Code", "Modifiers", "Units", "Dx pointer")
#: The extra column when a line carries a drug's NDC or a NOC claim note (shaded line 24 of the CMS-1500).
DRUG_HEADING = "NDC, claim note"
_FLOW_LINE = re.compile(r"^\s*-\s*\{.*\}\s+#\s*(?P<note>.+?)\s*$")


@dataclass(frozen=True)
class Cell:
    text: str
    changed: bool = False


@dataclass(frozen=True)
class Row:
    """One claim line as a claim form shows it: line number, code, modifiers, units, diagnosis pointers."""

    cells: tuple[Cell, ...]
    only_here: bool = False  # the other example has no matching line
    note: str = ""  # the example's own comment on this line


@dataclass(frozen=True)
class Side:
    title: str
    narrative: str
    diagnoses: tuple[Cell, ...]  # the claim's diagnosis list (CMS-1500 item 21): "A Z45.1", "B G80.1"
    rows: tuple[Row, ...]
    fields: tuple[tuple[str, Cell], ...]  # the note's fields that differ from the other example
    headings: tuple[str, ...] = LINE_HEADINGS


@dataclass(frozen=True)
class Comparison:
    bad: Side
    good: Side

    def changes(self) -> list[str]:
        """The differences in words, for plain-text output (``pumpbill explain``)."""
        out = [f"{label}: {b.text} -> {g.text}"
               for (label, b), (_, g) in zip(self.bad.fields, self.good.fields, strict=True)]
        for side, verb in ((self.bad, "only in the bad example"), (self.good, "only in the good example")):
            out += [f"line {_code_line(r)}: {verb}" for r in side.rows if r.only_here]
        for b, g in _paired_rows(self):
            for head, cb, cg in zip(self.bad.headings[1:], b.cells[1:], g.cells[1:], strict=True):
                if cb.changed or cg.changed:
                    out.append(f"line {b.cells[0].text} {head.lower()}: {cb.text or '(none)'} -> {cg.text or '(none)'}")
        for cb, cg in zip_longest(self.bad.diagnoses, self.good.diagnoses):
            if (cb and cb.changed) or (cg and cg.changed):
                out.append(f"claim diagnosis {(cb or cg).text[0]}: {cb.text[2:] if cb else '(none)'} -> "
                           f"{cg.text[2:] if cg else '(none)'}")
        return out


def compare(bad: dict[str, Any], good: dict[str, Any], bad_text: str = "", good_text: str = "") -> Comparison:
    """Compare two parsed scenarios; the texts (optional) supply the comments written beside claim lines."""
    fb, fg = _flatten(bad.get("encounter") or {}), _flatten(good.get("encounter") or {})
    differing = [k for k in dict.fromkeys([*fb, *fg]) if fb.get(k) != fg.get(k)]
    lb, lg = _lines(bad), _lines(good)
    db, dg = _dx_list(lb), _dx_list(lg)
    drug = any(ln.get("ndc") or ln.get("note") for ln in (*lb, *lg))
    headings = (*LINE_HEADINGS, DRUG_HEADING) if drug else LINE_HEADINGS
    rows_b, rows_g = _align(lb, db, lg, dg, _notes(bad_text, len(lb)), _notes(good_text, len(lg)), drug)
    dx_b = tuple(Cell(_pointed(i, db), _at(db, i) != _at(dg, i)) for i in range(len(db)))
    dx_g = tuple(Cell(_pointed(i, dg), _at(db, i) != _at(dg, i)) for i in range(len(dg)))
    return Comparison(
        Side(str(bad.get("title") or ""), _one_line(bad.get("narrative")), dx_b, rows_b,
             tuple((_label(k), Cell(fb.get(k, NOT_RECORDED), True)) for k in differing), headings),
        Side(str(good.get("title") or ""), _one_line(good.get("narrative")), dx_g, rows_g,
             tuple((_label(k), Cell(fg.get(k, NOT_RECORDED), True)) for k in differing), headings))


def _flatten(node: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(node, dict):
        out: dict[str, str] = {}
        for key, value in node.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: _value(node)}


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return ", ".join(_value(x) for x in v) or "none"
    if isinstance(v, dict):
        rest = [_value(x) for k, x in v.items() if k != "code"]
        return f"{v['code']} ({', '.join(rest)})" if "code" in v and rest else ", ".join(_value(x) for x in v.values())
    if v is None:
        return ""
    return str(v).replace("_", " ") if re.fullmatch(r"[a-z]+(_[a-z]+)+", str(v)) else str(v)


def _label(path: str) -> str:
    """'reprogramming.old_value' -> 'Reprogramming › old value': the note's words, not YAML keys."""
    parts = [f"{p[:-3]} (mL)" if p.endswith("_ml") else p for p in path.split(".")]
    text = " \u203a ".join(part.replace("_", " ") for part in parts)
    return text[:1].upper() + text[1:]


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


def _lines(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    return list(((scenario.get("claim") or {}).get("lines")) or [])


def _dx_list(lines: list[dict[str, Any]]) -> list[str]:
    """The claim's diagnosis list: every line's diagnoses in first-seen order (as item 21 lists them)."""
    return list(dict.fromkeys(str(d) for ln in lines for d in ln.get("diagnoses") or []))


def _at(items: list[str], i: int) -> str | None:
    return items[i] if i < len(items) else None


def _pointed(i: int, dx: list[str]) -> str:
    return f"{chr(ord('A') + i)} {dx[i]}"


def _cells(number: int, ln: dict[str, Any], dx: list[str], drug: bool = False) -> list[str]:
    pointers = " ".join(chr(ord("A") + dx.index(str(d))) for d in ln.get("diagnoses") or [])
    out = [str(number), str(ln.get("code", "")), " ".join(str(m) for m in ln.get("modifiers") or []),
           str(ln.get("units", 1)), pointers]
    if drug:
        ndc, note = ln.get("ndc") or {}, ln.get("note")
        shaded = shaded_text(str(ndc.get("code", "")), str(ndc.get("unit", "")), str(ndc.get("quantity", ""))) \
            if ndc else ""
        out.append("; ".join(x for x in (shaded, f"note: {note}" if note else "") if x))
    return out


def _align(lb, db, lg, dg, nb, ng, drug: bool = False) -> tuple[tuple[Row, ...], tuple[Row, ...]]:
    """Match lines by code (a removed or added line shifts the rest); compare matched lines cell by cell.
    Pointers are letters into the diagnosis list, as on the form: a changed list is marked there."""
    cb = [_cells(i, ln, db, drug) for i, ln in enumerate(lb, 1)]
    cg = [_cells(i, ln, dg, drug) for i, ln in enumerate(lg, 1)]
    rows_b: list[Row | None] = [None] * len(lb)
    rows_g: list[Row | None] = [None] * len(lg)
    matcher = SequenceMatcher(a=[c[1] for c in cb], b=[c[1] for c in cg], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        pairs = list(zip(range(i1, i2), range(j1, j2), strict=False)) if tag in ("equal", "replace") else []
        for i, j in pairs:
            same = [cb[i][k] == cg[j][k] for k in range(len(cb[i]))]
            same[0] = True  # the line number is where the line sits, not a change
            rows_b[i] = Row(tuple(Cell(t, not s) for t, s in zip(cb[i], same, strict=True)), note=nb[i])
            rows_g[j] = Row(tuple(Cell(t, not s) for t, s in zip(cg[j], same, strict=True)), note=ng[j])
    for rows, cells, notes in ((rows_b, cb, nb), (rows_g, cg, ng)):
        for i, row in enumerate(rows):
            if row is None:
                rows[i] = Row(tuple(Cell(t, True) for t in cells[i]), only_here=True, note=notes[i])
    return tuple(r for r in rows_b if r), tuple(r for r in rows_g if r)


def _notes(text: str, count: int) -> list[str]:
    """The comment written after each flow-style claim line ('- {code: ...}   # why'), if every line is one."""
    text_lines = text.splitlines()
    start = next((i for i, ln in enumerate(text_lines) if re.match(r"^\s+lines:\s*$", ln)), len(text_lines))
    found = [m.group("note") if (m := _FLOW_LINE.match(ln)) else ""
             for ln in text_lines[start:] if re.match(r"^\s*-\s*\{\s*code:", ln)]
    return found if len(found) == count else [""] * count


def _paired_rows(c: Comparison) -> list[tuple[Row, Row]]:
    return list(zip([r for r in c.bad.rows if not r.only_here], [r for r in c.good.rows if not r.only_here],
                    strict=True))


def _code_line(r: Row) -> str:
    return f"{r.cells[0].text} ({r.cells[1].text})"

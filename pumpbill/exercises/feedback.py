"""Practice feedback as HTML: an encouraging opening, how each part was scored in plain words, and the
findings with their rule links and fixes. Pure (no widgets), so it is tested without a kernel.

Why plain words: a trainee does not know what ``right-minus-extra`` means, so the trainee reads a
sentence. The feedback pages of ``pumpbill grade`` (``pumpbill.grading.pages``) use the same sentences
and titles, with the formula's name kept beside them for the instructor."""

from __future__ import annotations

from html import escape

from ..grading.grade import NOTE_KIND, Grade
from ..rules import REGISTRY

#: One plain sentence per partial-credit formula (``pumpbill.grading.formulas.FORMULAS``).
HOW_SCORED: dict[str, str] = {
    "right-minus-extra": "Each right code earns a share; each code that should not be there takes one away.",
    "all-or-nothing": "Full points only when this part is exactly right.",
    "exact-sequence": "Full points only for the right codes in the right order.",
    "per-line-exact": "Each expected line you got exactly right earns a share.",
    "first-then-set": "Half for the right first-listed code, half for how well your codes match the "
                      "expected ones.",
    "right-minus-wrong": "Each rule you found earns a share; each rule you named that does not apply "
                         "takes one away.",
    "resolved-share": "Each gap in the note that your entries close earns a share.",
    "no-contradictions": "Full points when what you record agrees with the billed claim; each contradiction "
                         "takes a share away.",
}
#: The rubric parts, as a trainee would name them.
PART_TITLES: dict[str, str] = {
    "codes": "Codes", "modifiers": "Modifiers", "units": "Units", "diagnoses": "Diagnoses and their order",
    "rules": "Problems found", "documentation": "Gaps in the note closed",
    "consistency": "Agreement with the billed claim",
}
LINK_BASE = "../reference/rules/"


def rule_link(code: str, link_base: str = LINK_BASE) -> str:
    """A rule code as a link to its page, in a new tab: a live widget sits inside the page, and a
    click must not throw away the trainee's answer."""
    href = f"{link_base}{code.lower()}.html"
    return f'<a href="{escape(href)}" target="_blank" rel="noopener">{escape(code)}</a>'


def plain_message(rule: str | None, message: str) -> str:
    """The finding with the rule's plain title where the grader wrote its slug ('pump-code-mismatch: ...')."""
    r = REGISTRY.get(rule or "")
    if r is None or not r.title:
        return message
    for lead in ("", "missed: ", "not a problem in this case: "):
        if message.startswith(lead + r.name):
            return lead + r.title + message[len(lead) + len(r.name):]
    return message


def opening_html(g: Grade) -> str:
    """'All correct', or the encouraging opening with the parts right and the score."""
    if g.all_correct:
        return "<p style='color:#1b5e20'><b>All correct.</b> Every part was checked.</p>"
    right = sum(1 for p in g.parts if abs(p.points - p.max_points) < 1e-9)
    start = "Good start" if right else "A first try"
    return (f"<p><b>{start}: {right} of {len(g.parts)} part{'s' if len(g.parts) != 1 else ''} right</b> "
            f"(score {g.points:g} of {g.max_points:g}). Here is what to fix:</p>")


def parts_table(g: Grade) -> str:
    rows = "".join(
        f"<tr><td>{escape(PART_TITLES.get(p.part, p.part))}</td><td>{p.points:g} / {p.max_points:g}</td>"
        f"<td>{escape(HOW_SCORED.get(p.formula, p.formula))}</td><td>{escape(p.detail)}</td></tr>"
        for p in g.parts)
    return ("<table><thead><tr><th scope='col'>Part</th><th scope='col'>Points</th>"
            f"<th scope='col'>How it was scored</th><th scope='col'>Detail</th></tr></thead><tbody>{rows}"
            "</tbody></table>")


def feedback_items(g: Grade, link_base: str = LINK_BASE) -> str:
    """Your answer's findings first, then the note's own (they fire with the right answer too)."""
    mine = [f for f in g.feedback if f.kind != NOTE_KIND]
    note = [f for f in g.feedback if f.kind == NOTE_KIND]

    def item(f) -> str:
        code = f"{rule_link(f.rule, link_base)} " if f.rule else ""
        fix = f"<br><b>Fix: {escape(f.fix)}</b>" if f.fix else ""
        return f"<li>{code}{escape(plain_message(f.rule, f.message))}{fix}</li>"

    out = ""
    if mine:
        out += f"<ul>{''.join(item(f) for f in mine)}</ul>"
    if note:
        out += ("<p>About the note itself (these show with the right answer too):</p>"
                f"<ul>{''.join(item(f) for f in note)}</ul>")
    return out


def grade_html(g: Grade, *, link_base: str = LINK_BASE) -> str:
    """The whole practice feedback for one graded answer."""
    if g.status != "graded":
        return f"<p style='color:#b00020' role='alert'><b>Not gradable:</b> {escape(g.reason)}</p>"
    return opening_html(g) + parts_table(g) + feedback_items(g, link_base)

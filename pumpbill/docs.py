"""Rule documentation, rendered from the registry and the rule's bad/good examples.

One source for ``pumpbill explain``, the book's rule catalogue and exercise feedback links:
rule pages are never written twice. Every message and fix shown is the engine's own output on the
rule's bad example, never a template, so a reader sees a real sentence with real codes.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape
from importlib import resources

from .example_diff import Comparison, Row, Side, compare
from .models import Finding
from .rules import REGISTRY, Rule

SECTIONS = ("What it checks", "Why it matters", "Example", "Correct coding", "Source", "Confidence")
BOOK_CATALOGUE = "book/reference/rules"
MARK = "\u25c6"  # beside every changed cell: a cue that does not rely on colour


def example_text(code: str, kind: str) -> str | None:
    """The text of ``data/examples/<code>/<kind>.yaml`` (kind: bad or good), if present."""
    node = resources.files("pumpbill").joinpath(f"data/examples/{code}/{kind}.yaml")
    return node.read_text("utf-8") if node.is_file() else None


@cache
def example_result(code: str, kind: str) -> tuple[Finding, ...]:
    """This rule's findings on its example, as the checker reports them (so the docs show real output)."""
    from .engine import check
    from .loader import loads_scenario

    text = example_text(code, kind)
    if text is None:
        return ()
    result = check(loads_scenario(text, f"{code}/{kind}.yaml"), edits=example_edits(code))
    return tuple(f for f in result.findings if f.rule == code)


def example_findings(code: str, kind: str) -> tuple[str, ...]:
    """The findings as ``pumpbill check`` prints them, one line each."""
    return tuple(_finding_line(f) for f in example_result(code, kind))


def _finding_line(f: Finding) -> str:
    return f"{f.rule} {f.severity}: {f.message}" + (f" (line {f.line})" if f.line else "")


def example_edits(code: str):
    """Official-layout NCCI files an example ships beside it (a synthetic mue.txt for PB210), loaded as a user
    would; the shipped CMS rows are always consulted too."""
    from datetime import date

    from .edits import EditData, load_mue, load_ptp

    base = resources.files("pumpbill").joinpath(f"data/examples/{code}")
    data = EditData()
    ptp, mue = base.joinpath("ptp.txt"), base.joinpath("mue.txt")
    with resources.as_file(base) as folder:
        if ptp.is_file():
            data.ptp.append(load_ptp(folder / "ptp.txt", version="example", official=False))
        if mue.is_file():
            data.mue.append(load_mue(folder / "mue.txt", valid_from=date(2000, 1, 1),
                                     valid_to=date(9999, 12, 31), version="example", official=False))
    return data


@cache
def example_comparison(code: str) -> Comparison | None:
    """What differs between the rule's bad and good example, cell by cell."""
    from .loader import parse_data

    bad, good = example_text(code, "bad"), example_text(code, "good")
    if bad is None or good is None:
        return None
    return compare(parse_data("bad.yaml", bad), parse_data("good.yaml", good), bad, good)


def template(text: str) -> str:
    """A message or fix template for reading: '{code}' becomes '\u2039code\u203a'."""
    return re.sub(r"(?<!\{)\{([a-z_]+)\}(?!\})", "\u2039\\1\u203a", text).replace("{{", "{").replace("}}", "}")


def public_source(rule: Rule) -> str:
    """The source as a reader can look it up: internal cross-references (the project's own fact sheet,
    'FACTS s.9') point at a document the reader cannot open, so they are dropped."""
    return re.sub(r"\s*:?\s*FACTS\s+s(?:ection)?\.?\s*\d+", "", rule.source_title)


def rule_markdown(rule: Rule, *, heading: str = "#", myst: bool = False) -> str:
    """A rule's page with the fixed sections, in Markdown: MyST with HTML for the book, plain for a terminal."""
    title = f"{{bdg}}`{rule.code}` {rule.title}" if myst else f"{rule.code} {rule.title}"
    meta = (f"{rule.family} · severity {rule.severity} · confidence {rule.confidence_level} · "
            f"stable name {{}} · since {rule.since}")
    out = [f"{heading} {title}", ""]
    out += ([f'<p class="pb-rule-meta">{escape(meta).format(f"<code>{rule.name}</code>")}</p>', ""] if myst
            else [meta.format(rule.name), ""])
    h = heading + "#"
    out += [f"{h} What it checks", "", rule.what, "", f"{h} Why it matters", "", rule.why, ""]
    out += [f"{h} Example", ""] + _example(rule, myst)
    out += [f"{h} Correct coding", "", rule.correct, ""]
    fired = example_result(rule.code, "bad")
    if fired and fired[0].fix:
        out += [f"**Fix for the example above: {fired[0].fix}**", ""]
    out += [f"{h} Source", "", public_source(rule), "", f"{h} Confidence", ""]
    if rule.confidence_level == "high":
        out += [f"**{rule.confidence_level}**.", ""]
    else:
        where = ("the current ICD-10-CM Official Guidelines or Coding Clinic" if rule.code.startswith("PB4")
                 else "the current CPT book, your MAC and your payer")
        note = (f"Confidence **{rule.confidence_level}**. Verify with {where} before relying on it. "
                f"Source: {public_source(rule)}.")
        out += ([":::{admonition} Verify", ":class: warning", note, ":::", ""] if myst else [note, ""])
    return "\n".join(out)


def _example(rule: Rule, myst: bool) -> list[str]:
    bad, good = example_text(rule.code, "bad"), example_text(rule.code, "good")
    comp = example_comparison(rule.code)
    fired = example_findings(rule.code, "bad")
    intro = "`pumpbill check` says about the first claim:" if myst else "`pumpbill check` says:"
    said = [intro, "", "```text", *fired, "```", ""] if fired else []
    if not myst:
        out = []
        if bad:
            out += ["A scenario that triggers it:", "", "```yaml", bad.rstrip(), "```", ""]
        out += said
        if good:
            out += ["The same case done right (this rule does not fire):", "", "```yaml", good.rstrip(), "```", ""]
        if comp and comp.changes():
            out += ["What changes:", "", *(f"- {c}" for c in comp.changes()), ""]
        return out
    out = []
    if comp:
        out += [f"The first claim triggers {rule.code}; the second is the same case done right. "
                f"Bold with {MARK} marks what differs between the two.", "", _compare_html(rule.code, comp), ""]
    out += said
    for kind, text, label in (("bad", bad, "The first example in full"), ("good", good, "The second example in full")):
        if text:
            out += [f"::::{{dropdown}} {label} (scenario YAML)", f":name: {rule.code.lower()}-{kind}-yaml", "",
                    "```yaml", text.rstrip(), "```", "::::", ""]
    return out


def _compare_html(code: str, comp: Comparison) -> str:
    """The two examples side by side as claim forms: one block of HTML with no blank line (MyST keeps it raw)."""
    sides = [_side_html(comp.bad, "pb-bad", f"\u2717 Triggers {code}"),
             _side_html(comp.good, "pb-good", "\u2713 Done right")]
    return "\n".join(['<div class="pb-compare">', *sides, "</div>"])


def _cell(tag: str, text: str, changed: bool, empty: str = "(none)") -> str:
    """A cell; a changed one is highlighted, bold and marked, and says so to a screen reader."""
    if not changed:
        return f"<{tag}>{escape(text)}</{tag}>"
    if not text and not empty:
        return f'<{tag} class="pb-diff"></{tag}>'
    return (f'<{tag} class="pb-diff"><span class="pb-mark" aria-hidden="true">{MARK}</span>'
            f'{escape(text) or empty}<span class="pb-sr"> (differs)</span></{tag}>')


def _row_html(row: Row) -> str:
    """A line only one claim has is marked whole; its empty cells stay empty (nothing was removed there)."""
    empty = "" if row.only_here else "(none)"
    return "<tr>" + "".join(_cell("td", c.text, c.changed, empty) for c in row.cells) + "</tr>"


def _side_html(side: Side, css: str, verdict: str) -> str:
    out = [f'<section class="pb-side {css}" aria-label="{escape(verdict)}">',
           f'<p class="pb-side-head"><span class="pb-verdict">{escape(verdict)}:</span> {escape(side.title)}</p>',
           f'<p class="pb-narrative">{escape(side.narrative)}</p>',
           # a scrolling box is a named stop for the keyboard (it may hide columns on a phone)
           f'<div class="pb-scroll" tabindex="0" role="region" aria-label="{escape(verdict)}: claim lines">'
           '<table class="pb-claim"><caption>Claim lines</caption><thead><tr>'
           + "".join(f'<th scope="col">{h}</th>' for h in side.headings) + "</tr></thead><tbody>",
           *(_row_html(r) for r in side.rows), "</tbody></table></div>"]
    if side.diagnoses:
        out.append('<p class="pb-dx">Diagnoses (CMS-1500 item 21): '
                   + " · ".join(_cell("span", d.text, d.changed) for d in side.diagnoses) + "</p>")
    if side.fields:
        out += [f'<div class="pb-scroll" tabindex="0" role="region" aria-label="{escape(verdict)}: the note">'
                '<table class="pb-fields"><caption>In the note (only what differs)</caption>'
                '<tbody>', *(f'<tr><th scope="row">{escape(label)}</th>{_cell("td", c.text, c.changed)}</tr>'
                             for label, c in side.fields), "</tbody></table></div>"]
    else:
        out.append('<p class="pb-same">The note is the same in both examples: only the claim differs.</p>')
    notes = [(r.cells[0].text, r.only_here, r.note) for r in side.rows if r.only_here or r.note]
    if notes:
        out += ['<ul class="pb-notes">', *(
            f"<li>Line {n}{' (not on the other claim)' if only else ''}{': ' + escape(note) if note else ''}</li>"
            for n, only, note in notes), "</ul>"]
    return "\n".join([*out, "</section>"])


def rule_text(code: str) -> str:
    """Plain text for ``pumpbill explain``."""
    return rule_markdown(REGISTRY[code])

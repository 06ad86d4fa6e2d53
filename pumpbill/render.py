"""HTML fragments for widgets and the book: small, escaped, no JavaScript, no external assets."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from .models import Finding, Line

# Light-background colours, inline (notebooks have no book stylesheet); the book recolours each one for dark
# mode (book/_ext/site_static/pumpbill-site.css matches these values).
SEVERITY_STYLE = {"error": "#b00020", "warning": "#8a5a00", "info": "#1f5f99"}
DISCLAIMER = ("Synthetic training data only: never enter real patient information. Training material; "
              "verify with the current CPT book and your payer.")


def lines_table(lines: list[Line], *, reasons: bool = True) -> str:
    if not lines:
        return "<p><b>No line for the practitioner.</b></p>"
    rows = []
    for i, ln in enumerate(lines, 1):
        mods = ", ".join(sorted(ln.modifiers)) or "&ndash;"
        why = "<br>".join(escape(r) for r in ln.reasons) if reasons else ""
        rows.append(f"<tr><td>{i}</td><td><code>{escape(ln.code)}</code></td><td>{mods}</td>"
                    f"<td>{ln.units}</td><td>{why}</td></tr>")
    head = "<tr><th>#</th><th>Code</th><th>Modifiers</th><th>Units</th><th>Why</th></tr>"
    return f"<table class='pumpbill-lines'>{head}{''.join(rows)}</table>"


def findings_list(findings: list[Finding], *, link_base: str | None = None) -> str:
    if not findings:
        return "<p>&#10003; No findings.</p>"
    items = []
    for f in findings:
        color = SEVERITY_STYLE[f.severity]
        code = escape(f.rule)
        if link_base:
            # a new tab: the widget (and what the reader typed) stays as it was
            code = (f"<a class='pb-rule-link' href='{escape(link_base)}{code.lower()}.html' target='_blank' "
                    f"rel='noopener'>{code}</a>")
        where = f" (line {f.line})" if f.line else ""
        verify = "" if f.confidence == "high" else (
            f" <span title='{escape(f.source)}'>[confidence {escape(f.confidence)}: verify]</span>")
        items.append(f"<li><b style='color:{color}'>{escape(f.severity)}</b> {code} "
                     f"<i>{escape(f.name)}</i>{where}: {escape(f.message)}{verify}"
                     f"<br><small>Fix: {escape(f.fix)}</small></li>")
    return f"<ul class='pumpbill-findings'>{''.join(items)}</ul>"


def notes_list(notes: list[str]) -> str:
    return "".join(f"<p><small>Note: {escape(n)}</small></p>" for n in notes)


def error_box(message: str) -> str:
    return f"<p style='color:#b00020'><b>Cannot check:</b> {escape(message)}</p>"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def squashed_text(html: str) -> str:
    """The text of an HTML fragment with all whitespace removed: what a browser's textContent shows,
    comparable across renderers (used to check live widgets against the engine)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", "", "".join(parser.parts))

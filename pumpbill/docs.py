"""Rule documentation, rendered from the registry and the rule's bad/good examples.

One source for ``pumpbill explain``, the book's rule catalogue and exercise feedback links:
rule pages are never written twice.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from .rules import REGISTRY, Rule

SECTIONS = ("What it checks", "Why it matters", "Example", "Correct coding", "Source", "Confidence")
BOOK_CATALOGUE = "book/reference/rules"


def example_text(code: str, kind: str) -> str | None:
    """The text of ``data/examples/<code>/<kind>.yaml`` (kind: bad or good), if present."""
    node = resources.files("pumpbill").joinpath(f"data/examples/{code}/{kind}.yaml")
    return node.read_text("utf-8") if node.is_file() else None


@cache
def example_findings(code: str, kind: str) -> tuple[str, ...]:
    """What the checker says about the example, restricted to this rule (so the docs show real output)."""
    from .engine import check
    from .loader import loads_scenario

    text = example_text(code, kind)
    if text is None:
        return ()
    result = check(loads_scenario(text, f"{code}/{kind}.yaml"), edits=example_edits(code))
    return tuple(f"{f.rule} {f.severity}: {f.message}" + (f" (line {f.line})" if f.line else "")
                 for f in result.findings if f.rule == code)


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


def template(text: str) -> str:
    """A message or fix template for reading: '{code}' becomes '\u2039code\u203a'."""
    return re.sub(r"(?<!\{)\{([a-z_]+)\}(?!\})", "\u2039\\1\u203a", text).replace("{{", "{").replace("}}", "}")


def rule_markdown(rule: Rule, *, heading: str = "#", myst: bool = False) -> str:
    """A rule's page with the fixed sections, in Markdown."""
    out = [f"{heading} {rule.code} {rule.name}", "",
           f"*{rule.family}* · severity **{rule.severity}** · since {rule.since} · "
           f"confidence **{rule.confidence_level}**", "",
           f"> {template(rule.message)}", ""]
    h = heading + "#"
    out += [f"{h} What it checks", "", rule.what, "", f"{h} Why it matters", "", rule.why, ""]
    bad = example_text(rule.code, "bad")
    out += [f"{h} Example", ""]
    if bad:
        out += ["A scenario that triggers it:", "", "```yaml", bad.rstrip(), "```", ""]
        fired = example_findings(rule.code, "bad")
        if fired:
            out += ["`pumpbill check` says:", "", "```text", *fired, "```", ""]
    out += [f"{h} Correct coding", "", rule.correct, "", f"Fix: {template(rule.fix)}", ""]
    good = example_text(rule.code, "good")
    if good:
        out += ["The same case done right (this rule does not fire):", "", "```yaml", good.rstrip(), "```", ""]
    out += [f"{h} Source", "", rule.source_title, "", f"{h} Confidence", ""]
    if rule.confidence_level == "high":
        out += [f"**{rule.confidence_level}**.", ""]
    else:
        where = ("the current ICD-10-CM Official Guidelines or Coding Clinic" if rule.code.startswith("PB4")
                 else "the current CPT book, your MAC and your payer")
        note = (f"Confidence **{rule.confidence_level}**. Verify with {where} before relying on it. "
                f"Source: {rule.source_title}.")
        out += ([":::{admonition} Verify", ":class: warning", note, ":::", ""] if myst else [note, ""])
    return "\n".join(out)


def rule_text(code: str) -> str:
    """Plain text for ``pumpbill explain``."""
    return rule_markdown(REGISTRY[code])

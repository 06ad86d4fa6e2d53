"""The answer form of "find the gaps" and "review the claim": a checkbox per rule, grouped by family.

Why: a 78-entry multi-select of slugs is hard to scan and needs Ctrl-click; checkboxes under family
headings (the family is the code's hundreds, PB0xx code selection, PB1xx bundling...) work with a
finger, a keyboard and a screen reader, and each rule links to its page (in a new tab, so the answer
stays)."""

from __future__ import annotations

from html import escape

import ipywidgets as W

from ..rules import REGISTRY
from ..rules.registry import FAMILIES
from .feedback import LINK_BASE


def rule_title(code: str) -> str:
    """The rule's plain-English title (its slug in words when it has none)."""
    rule = REGISTRY[code]
    return rule.title or rule.name.replace("-", " ").capitalize()


def family_of(code: str) -> str:
    """'PB203' -> 'Units and drugs': from the code's hundreds."""
    return FAMILIES[code[:3]].capitalize()


class RuleForm:
    def __init__(self, link_base: str = LINK_BASE) -> None:
        self.boxes: dict[str, W.Checkbox] = {}
        families: dict[str, list[W.Widget]] = {}
        for code in sorted(REGISTRY):
            box = W.Checkbox(value=False, description=f"{code} {rule_title(code)}", indent=False,
                             layout=W.Layout(width="auto"))
            link = W.HTML(f"<a href='{escape(link_base)}{code.lower()}.html' target='_blank' rel='noopener' "
                          f"aria-label='Rule page of {code} (opens in a new tab)'>rule page</a>")
            self.boxes[code] = box
            families.setdefault(code[:3], []).append(W.HBox([box, link], layout=W.Layout(align_items="center")))
        parts: list[W.Widget] = [W.HTML("<p><b>Tick every problem you find.</b> A problem you tick that is not "
                                        "there costs as much as one you miss.</p>")]
        for prefix, rows in families.items():
            parts += [W.HTML(f"<p style='margin:.5em 0 .1em'><b>{escape(family_of(prefix + '00'))}</b> "
                             f"<small>({prefix}xx)</small></p>"), *rows]
        self.box = W.VBox(parts)

    def widgets(self) -> list[W.Widget]:
        return list(self.boxes.values())

    def rules(self) -> list[str]:
        return sorted(code for code, box in self.boxes.items() if box.value)

    def fill(self, rules: list[str]) -> None:
        for code, box in self.boxes.items():
            box.value = code in rules

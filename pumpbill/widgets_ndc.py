"""The NDC builder: from a drug label to the claim's NDC fields and drug line (FACTS section 3).

A thin ipywidgets layer over :func:`ndc_builder_html`, which never raises. The reader types the NDC as the
(synthetic) label prints it, with its hyphens, and the refill's drug and amount; the page shows the 11-digit
5-4-2 form with the added zero marked, the CMS-1500 shaded-line text (``pumpbill.ndc.shaded_line``), the values
of the 837P LIN and CTP segments, and the drug line the engine recommends for the example Medicaid profile,
which wants the NDC on every drug line. No coding logic lives here: ``pumpbill.ndc`` and the engine decide.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

import ipywidgets as W

from . import facts, teaching
from .engine import check
from .errors import InputError
from .loader import scenario_from_data
from .models import Line
from .ndc import Ndc, parse_ndc, quantity_text, shaded_line, shaded_text
from .payers import get_profile
from .render import error_box, notes_list
from .widgets import _live, _never_raises

#: The payer profile the builder bills: the example Medicaid profile requires the NDC on every drug line.
PAYER = "example-medicaid"
#: Made-up label NDCs, one per 10-digit layout (labeler 9999x does not belong to any real drug maker here).
SAMPLE_LABELS: list[tuple[str, str]] = [
    ("99999-123-45 (5-3-2, made up)", "99999-123-45"),
    ("9999-1234-01 (4-4-2, made up)", "9999-1234-01"),
    ("99999-1234-1 (5-4-1, made up)", "99999-1234-1"),
]
_SEGMENT_WIDTH = {"labeler": 5, "product": 4, "package": 2}


def eleven_html(n: Ndc) -> str:
    """The 11-digit NDC as 5-4-2 segments, the zero that was added marked."""
    parts = []
    for name, seg in (("labeler", n.labeler), ("product", n.product), ("package", n.package)):
        pad = _SEGMENT_WIDTH[name] - len(seg)
        added = f"<mark title='added zero'>{'0' * pad}</mark>" if pad else ""
        parts.append(f"<span title='{name}'>{added}{escape(seg)}</span>")
    return "<code>" + "-".join(parts) + "</code>"


def _quantity(volume_ml: Any) -> Decimal:
    text = str(volume_ml).strip()
    try:
        if not text.isascii():
            raise ValueError
        q = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(f"volume instilled {volume_ml!r} is not a number of mL") from None
    if not q.is_finite() or q < Decimal("0.001") or q > 1000:
        raise ValueError("volume instilled: give the mL placed in the pump, at least 0.001 and at most 1000")
    return q


def recommended_drug_line(label: str, drug: str, concentration: str, volume_ml: Any, compounded: bool = False,
                          description: str = "", payer: str = PAYER) -> list[Line]:
    """The drug line(s) the engine recommends for the canonical nurse refill with this drug and label NDC."""
    refill: dict[str, Any] = {**teaching.REFILL, "drug": drug, "concentration": concentration,
                              "volume_added_ml": str(volume_ml), "ndc": label, "compounded": compounded}
    if compounded and description.strip():
        refill["description"] = description.strip()
    enc = teaching.encounter("nurse", payer=payer, refill=refill)
    result = check(scenario_from_data("ndc-builder", {"encounter": enc}))
    return [ln for ln in result.recommended if ln.code not in facts.PUMP_SERVICE_CODES]


@_never_raises
def ndc_builder_html(label: str, drug: str = "baclofen", concentration: str = "2000 mcg/mL",
                     volume_ml: Any = 20, compounded: bool = False, description: str = "",
                     payer: str = PAYER) -> str:
    """What the claim carries for a drug with this label NDC: never raises (a bad NDC is one clear line)."""
    try:
        n = parse_ndc(label)
        qty = _quantity(volume_ml)
    except ValueError as exc:
        return error_box(str(exc))
    layout = "-".join(str(len(s)) for s in (n.labeler, n.product, n.package))
    if n.padded_segment is None:
        how = "The label already has 11 digits (5-4-2): nothing is added."
    else:
        how = (f"The label prints {layout}; the claim wants 5-4-2, so one zero goes in front of the "
               f"<b>{n.padded_segment}</b> segment (marked).")
    shaded = shaded_line(n.eleven, "ML", qty)
    q = quantity_text(qty)
    out = [
        "<p><small>Made-up NDCs for teaching: no real product has them.</small></p>",
        f"<p>Label NDC <code>{escape(n.label)}</code> &rarr; 11 digits {eleven_html(n)} "
        f"(<code>{n.eleven}</code>). {how}</p>",
        "<table class='pumpbill-table'><tr><th>Where</th><th>What goes there</th></tr>"
        f"<tr><td>CMS-1500 item 24, shaded line</td><td><code>{escape(shaded)}</code>: N4, the 11-digit NDC, "
        f"the unit qualifier ML ({facts.NDC_UNIT_QUALIFIERS['ML']}) and the quantity {q}</td></tr>"
        f"<tr><td>837P LIN</td><td>product ID qualifier <code>N4</code>, product ID <code>{n.eleven}</code></td></tr>"
        f"<tr><td>837P CTP</td><td>quantity <code>{q}</code>, unit <code>ML</code></td></tr></table>",
    ]
    try:
        lines = recommended_drug_line(n.label, drug, concentration, qty, compounded, description, payer)
    except InputError as exc:
        return "".join(out) + error_box(f"{exc.field}: {exc.problem}" if exc.field else exc.problem)
    if not lines:
        out.append(f"<p>For payer '{escape(payer)}' the engine recommends no drug line for this refill.</p>")
    rows = []
    for ln in lines:
        mods = ", ".join(ln.modifiers) or "&ndash;"
        ndc = f"<code>{shaded_text(*ln.ndc)}</code>" if ln.ndc else "&ndash;"
        note = escape(ln.note) if ln.note else "&ndash;"
        rows.append(f"<tr><td><code>{escape(ln.code)}</code></td><td>{mods}</td><td>{ln.units}</td>"
                    f"<td>{ndc}</td><td>{note}</td></tr>")
    if rows:
        wants = ("wants the NDC on every drug line" if get_profile(payer).ndc_required else
                 "does not ask for the NDC, so the engine puts none on the line")
        out.append(f"<p><b>The drug line the engine recommends</b> (payer '{escape(payer)}', whose profile {wants}):"
                   "</p><table class='pumpbill-lines'><tr><th>Code</th>"
                   "<th>Modifiers</th><th>Units</th><th>NDC (shaded line)</th><th>Claim note</th></tr>"
                   + "".join(rows) + "</table>")
        out.append(notes_list([r for ln in lines for r in ln.reasons]))
    return "".join(out)


def ndc_builder() -> W.Widget:
    """The live NDC builder: type the label NDC and the refill, see the claim's NDC fields and drug line."""
    short = {"description_width": "initial"}
    label = W.Combobox(value="99999-123-45", options=[v for _, v in SAMPLE_LABELS], description="Label NDC",
                       placeholder="as printed, with hyphens", continuous_update=True, style=short)
    drug = W.Dropdown(options=sorted(facts.DRUGS), value="baclofen", description="Drug", style=short)
    conc = W.Text(value="2000 mcg/mL", description="Concentration", continuous_update=True, style=short)
    volume = W.FloatText(value=20, description="mL instilled", continuous_update=True, style=short)
    compounded = W.Checkbox(value=False, description="compounded or mixed by a pharmacy", indent=False)
    desc = W.Text(value="baclofen 2000 mcg/mL + clonidine 100 mcg/mL", description="Label text (mix)",
                  continuous_update=True, style=short, layout=W.Layout(width="32em"))
    out = W.HTML()

    def update() -> None:
        out.value = ndc_builder_html(label.value, drug.value, conc.value, volume.value, compounded.value,
                                     desc.value)

    _live([label, drug, conc, volume, compounded, desc], update)
    return W.VBox([label, drug, conc, volume, compounded, desc, out],
                  layout=W.Layout(border="1px solid #ccc", padding="8px"))

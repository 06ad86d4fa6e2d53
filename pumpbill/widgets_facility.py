"""A live widget: the practitioner's claim and the facility's claim for the same pump visit, side by side.

A thin layer over :func:`both_claims_html` (pure, never raises), which runs the engine on a fully documented
synthetic refill and reads the facility's side with :func:`pumpbill.facility.facility_claim`. No pandas.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

import ipywidgets as W

from .facility import FacilityClaim, facility_claim
from .render import lines_table, notes_list
from .teaching import DOSE_UP, dollars
from .widgets import _encounter, _live, _never_raises, _run

FACILITY_POS_CHOICES = [("11 office", "11"), ("22 hospital outpatient (on campus)", "22"),
                        ("19 hospital outpatient (off campus)", "19"), ("21 inpatient hospital", "21"),
                        ("24 ambulatory surgical center", "24"), ("31 skilled nursing facility", "31")]
WHO = [("nurse (clinical staff)", "clinical_staff"), ("physician, personally", "physician")]
SUPPLIERS = [("the practice (bought it)", "practice"), ("the facility", "facility"), ("a pharmacy", "pharmacy")]
_BOX = "flex:1 1 280px;min-width:0;max-width:100%;overflow-x:auto;border:1px solid #ccc;padding:6px"


def both_claims_data(pos: str, performer: str, reprogramming: bool, supplied_by: str):
    """The engine's result and the facility's claim for the canonical refill visit in one situation."""
    over: dict[str, Any] = {"place_of_service": pos, "performed_by": performer}
    if performer != "clinical_staff":
        over.update(physician_reason="dose titration after a fall in spasticity control")
        over.update(supervising_practitioner=None, supervision=None)
    if reprogramming:
        over.update(services={"analysis": True, "reprogramming": True, "refill": True}, reprogramming=DOSE_UP)
    enc = _encounter(**over)
    enc["refill"] = dict(enc["refill"], supplied_by=supplied_by)
    result = _run({k: v for k, v in enc.items() if v is not None})
    return result, facility_claim(result)


def practitioner_html(result) -> str:
    pays = result.payments()
    rows = "".join(f"<tr><td><code>{escape(p['code'])}</code></td><td>{p['year']}</td><td>{escape(p['rate'])}</td>"
                   f"<td>{dollars(Decimal(p['amount']) if p['amount'] is not None else None)}</td></tr>"
                   for p in pays)
    pay = ("<table class='pumpbill-table'><tr><th>Code</th><th>Year</th><th>Rate</th><th>National PFS amount</th>"
           f"</tr>{rows}</table>" if pays else "")
    if any(ln.code.startswith("J") for ln in result.recommended):
        pay += ("<p><small>The drug line is paid from the quarterly ASP file, which pumpbill does not ship."
                "</small></p>")
    return lines_table(result.recommended) + pay + notes_list(result.selection.notes)


def facility_html(fc: FacilityClaim) -> str:
    head = (f"<p><b>{escape(fc.setting)}</b> (POS {escape(fc.pos)}): {escape(fc.system)}"
            + ("" if fc.confidence == "high" else f" <small>[confidence {escape(fc.confidence)}: verify]</small>")
            + "</p>")
    if not fc.lines:
        body = "<p><b>No facility line.</b></p>"
    else:
        rows = []
        for ln in fc.lines:
            what = ln.apc or (f"status {ln.status}" if ln.status else "&ndash;")
            amount = dollars(ln.amount) if ln.amount is not None else "&ndash;"
            year = f"CY{ln.year}" if ln.year else "&ndash;"
            flag = "" if ln.confidence == "high" else f" <small>[{escape(ln.confidence)}: verify]</small>"
            rows.append(f"<tr><td><code>{escape(ln.code)}</code></td><td>{escape(ln.performed_by)}</td>"
                        f"<td>{ln.units if ln.units is not None else '&ndash;'}</td><td>{escape(what)}</td>"
                        f"<td>{year}</td><td>{amount}</td><td>{escape(ln.payment)}{flag}</td></tr>")
        body = ("<table class='pumpbill-table'><tr><th>Code</th><th>Performed by</th><th>Units</th>"
                "<th>APC / status</th><th>Year</th><th>OPPS payment</th><th>Paid how</th></tr>"
                + "".join(rows) + "</table>")
    return head + body + notes_list(list(fc.notes))


@_never_raises
def both_claims_html(pos: str = "22", performer: str = "physician", reprogramming: bool = False,
                     supplied_by: str = "practice") -> str:
    """Side by side: the professional claim (engine lines and PFS amounts) and the facility's claim."""
    result, fc = both_claims_data(pos, performer, reprogramming, supplied_by)
    return (f"<div style='display:flex;flex-wrap:wrap;gap:8px'>"
            f"<div style='{_BOX}'><h4>Practitioner's claim (professional)</h4>{practitioner_html(result)}</div>"
            f"<div style='{_BOX}'><h4>Facility's claim</h4>{facility_html(fc)}</div></div>"
            "<p><small>Synthetic visit: a baclofen refill (20 mL of 2000 mcg/mL). OPPS figures are CY2025, drug "
            "statuses CY2025 Addendum B (medium confidence: verify the current quarter).</small></p>")


def both_claims() -> W.Widget:
    """Choose the setting, who did the work, reprogramming and who supplied the drug; see both claims."""
    pos = W.Dropdown(options=FACILITY_POS_CHOICES, value="22", description="POS")
    who = W.Dropdown(options=WHO, value="physician", description="Done by")
    reprog = W.Checkbox(value=False, description="dose reprogrammed", indent=False, layout=W.Layout(width="auto"))
    supplier = W.Dropdown(options=SUPPLIERS, value="practice", description="Drug from",
                          style={"description_width": "initial"})
    out = W.HTML()

    def update() -> None:
        out.value = both_claims_html(pos.value, who.value, reprog.value, supplier.value)

    _live([pos, who, reprog, supplier], update)
    return W.VBox([W.HBox([pos, who]), W.HBox([reprog, supplier]), out],
                  layout=W.Layout(border="1px solid #ccc", padding="8px"))

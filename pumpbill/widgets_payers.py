"""The payer comparison widget: one synthetic visit, every payer profile side by side (FACTS section 9).

A thin ipywidgets layer over :func:`payer_comparison_html`, which never raises. The visit is the book's
canonical refill (``pumpbill.teaching``); the reader changes the few facts where payers differ and sees, for each
profile in ``pumpbill.payers.profiles()``, the lines the engine recommends and what it finds when those lines are
billed. No coding logic lives here: the engine and the profiles decide.
"""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as W

from . import teaching
from .engine import CheckResult, check
from .loader import scenario_from_data
from .models import Line
from .payers import PayerProfile, profiles
from .render import findings_list, notes_list
from .widgets import RULES_LINK, _live, _never_raises

#: What changed in the pump at the refill (the reprogramming readings differ on the first two).
PUMP_CHANGES: list[tuple[str, str]] = [
    ("nothing: refill only", "none"),
    ("reservoir volume updated after the refill", "reservoir_volume"),
    ("alarm threshold only (disputed)", "alarm"),
    ("daily dose", "daily_dose"),
    ("drug concentration", "concentration"),
]
#: A same-day E/M: none, one about the pump's own problem only, or one with a problem of its own.
EM_CHOICES: list[tuple[str, str]] = [
    ("no E/M", "none"),
    ("separate E/M, pump problem only", "pump_only"),
    ("separate E/M with its own diagnosis", "own_dx"),
]
#: The drug placed in the pump.
DRUG_CHOICES: list[tuple[str, str]] = [
    ("baclofen, single-dose ampule the practice bought", "single"),
    ("compounded baclofen-clonidine mix the practice bought", "compounded"),
    ("supplied by a pharmacy (not bought by the practice)", "pharmacy"),
]
PERFORMER_CHOICES: list[tuple[str, str]] = [("physician", "physician"), ("clinical staff (RN)", "nurse")]

#: Made-up identifiers (never a real product or authorization).
SYNTHETIC_NDC = "99999-0123-45"
SYNTHETIC_PA = "SYN-PA-0001"
COMPOUNDED_LABEL = "baclofen 2000 mcg/mL with clonidine 100 mcg/mL (compounded)"
#: The E/M's own problem when it has one: a new headache, documented with its own history and exam.
OWN_DX = "R51.9"
KINDS = {"medicare": "Original Medicare (Part B)", "medicare_advantage": "Medicare Advantage (Part C)",
         "medicaid": "Medicaid", "commercial": "Commercial"}

_REPROGRAMMING: dict[str, dict[str, str]] = {
    "reservoir_volume": {"reason": "refill completed", "old_value": "reservoir 3 mL", "new_value": "reservoir 20 mL"},
    "alarm": {"reason": "earlier warning requested", "old_value": "low-reservoir alarm 2 mL",
              "new_value": "low-reservoir alarm 4 mL"},
    "daily_dose": {"reason": "increased lower-limb spasticity", "old_value": "400 mcg/day",
                   "new_value": "450 mcg/day"},
    "concentration": {"reason": "concentration changed to hold the dose", "old_value": "1000 mcg/mL",
                      "new_value": "2000 mcg/mL"},
}


def visit(change: str = "reservoir_volume", performer: str = "physician", em: str = "none", drug: str = "single",
          ndc_recorded: bool = True, prior_authorization: bool = False) -> dict[str, Any]:
    """The canonical refill visit (``pumpbill.teaching``) with the reader's choices applied, payer not set."""
    if change not in {"none", *_REPROGRAMMING}:
        raise ValueError(f"unknown change {change!r}")
    if em not in {e for _, e in EM_CHOICES} or drug not in {d for _, d in DRUG_CHOICES}:
        raise ValueError("unknown E/M or drug choice")
    over: dict[str, Any] = {}
    if change != "none":
        over["services"] = {"analysis": True, "reprogramming": True, "refill": True}
        over["reprogramming"] = {"changes": [change], **_REPROGRAMMING[change]}
    refill = dict(teaching.REFILL)
    if drug == "compounded":
        refill.update(compounded=True, description=COMPOUNDED_LABEL)
    elif drug == "pharmacy":
        refill.update(supplied_by="pharmacy")
    if ndc_recorded:
        refill["ndc"] = SYNTHETIC_NDC
    over["refill"] = refill
    if em != "none":
        over["em_visit"] = {
            "performed": True, "separately_identifiable": True, "code": "99213",
            "documentation": ("its own history, exam and decision-making for a new headache" if em == "own_dx"
                              else "its own history and exam reviewing the spasticity the pump treats"),
            "diagnoses": [OWN_DX] if em == "own_dx" else [],
        }
    if prior_authorization:
        over["coverage"] = {"prior_authorization": SYNTHETIC_PA}
    return teaching.encounter("physician" if performer == "physician" else "nurse", **over)


def _billed(result: CheckResult, enc: dict[str, Any]) -> list[dict[str, Any]]:
    """The recommended lines as a billed claim, each pointing to its diagnoses (the E/M to its own first)."""
    dx = list(result.diagnoses)
    em_dx = (enc.get("em_visit") or {}).get("diagnoses") or []
    lines = []
    for ln in result.recommended:
        line = ln.public()
        line["diagnoses"] = (list(dict.fromkeys(em_dx + dx)) if ln.code.startswith("99") else dx)
        lines.append(line)
    return lines


def compare(change: str = "reservoir_volume", performer: str = "physician", em: str = "none",
            drug: str = "single", ndc_recorded: bool = True,
            prior_authorization: bool = False) -> dict[str, tuple[CheckResult, CheckResult]]:
    """For every payer profile: (what the note supports, the check of those lines billed as a claim)."""
    base = visit(change, performer, em, drug, ndc_recorded, prior_authorization)
    out = {}
    for name in ordered_names():
        enc = {**base, "payer": name}
        supported = check(scenario_from_data(f"payers-{name}", {"encounter": enc}))
        billed = check(scenario_from_data(f"payers-{name}-claim", {
            "encounter": enc, "claim": {"lines": _billed(supported, enc)}}))
        out[name] = (supported, billed)
    return out


def line_text(ln: Line) -> str:
    """One recommended line as a coder writes it, with its NDC fields and claim note when it has them."""
    mods = "-".join(sorted(ln.modifiers))
    text = f"<code>{escape(ln.code)}{'-' + escape(mods) if mods else ''}</code> &times; {ln.units}"
    if ln.ndc:
        code, unit, qty = ln.ndc
        text += f"<br><small>NDC N4 {escape(code)} {escape(unit)} {escape(qty)}</small>"
    if ln.note:
        text += f"<br><small>note: {escape(ln.note)}</small>"
    return text


def _profile_head(p: PayerProfile) -> str:
    label = "<br><b style='color:#b00020'>EXAMPLE ONLY</b>" if p.example else ""
    return f"<b>{escape(KINDS.get(p.kind, p.kind))}</b><br><small><code>{escape(p.name)}</code></small>{label}"


def _policy(p: PayerProfile) -> str:
    items = [f"reprogramming: {p.reprogramming_reading} reading",
             "same-day E/M: " + ("25 and its own diagnosis" if p.em_same_day == "separate_diagnosis_required"
                                 else "modifier 25"),
             "JZ/JW: " + ("required" if p.jz_jw_required else "not required by the profile"),
             "ABN (GA/GZ/GX): " + ("applies" if p.abn_applies else "does not apply"),
             "prior authorization: " + ("required" if p.prior_authorization_required else "not required"),
             "NDC on drug lines: " + ("required" if p.ndc_required else "not required"),
             f"compounded drug: {p.compounded_code}"]
    return "<small>" + "<br>".join(escape(i) for i in items) + "</small>"


def payer_reasons(result: CheckResult) -> list[str]:
    """What the payer profile changed: the selection's notes and the line reasons that name the payer."""
    reasons = [r for ln in result.recommended for r in ln.reasons if "payer '" in r]
    return list(dict.fromkeys(reasons + list(result.selection.notes)))


def ordered_names() -> list[str]:
    """Profiles in a reading order: Original Medicare first, then Medicare Advantage, Medicaid, commercial."""
    rank = {"medicare": 0, "medicare_advantage": 1, "medicaid": 2, "commercial": 3}
    return sorted(profiles(), key=lambda n: (rank.get(profiles()[n].kind, 9), n))


@_never_raises
def payer_comparison_html(change: str = "reservoir_volume", performer: str = "physician", em: str = "none",
                          drug: str = "single", ndc_recorded: bool = True, prior_authorization: bool = False) -> str:
    """The same visit under every payer profile, side by side: the lines, then the findings on those lines."""
    results = compare(change, performer, em, drug, ndc_recorded, prior_authorization)
    profs = profiles()
    names = list(results)
    head = "<tr><th></th>" + "".join(f"<th>{_profile_head(profs[n])}</th>" for n in names) + "</tr>"
    rows = [
        ("The profile", [_policy(profs[n]) for n in names]),
        ("Lines the note supports", [
            "<br>".join(line_text(ln) for ln in results[n][0].recommended) or "<i>no line</i>" for n in names]),
        ("What the payer changed", [notes_list(payer_reasons(results[n][0])) or "<small>&ndash;</small>"
                                    for n in names]),
        ("Findings on those lines", [findings_list(results[n][1].findings, link_base=RULES_LINK)
                                     for n in names]),
    ]
    body = "".join(f"<tr><th style='text-align:left;vertical-align:top'>{escape(label)}</th>"
                   + "".join(f"<td style='vertical-align:top'>{cell}</td>" for cell in cells) + "</tr>"
                   for label, cells in rows)
    same = len({repr([ln.public() for ln in results[n][0].recommended]) for n in names}) == 1
    summary = ("<p>The lines are <b>the same</b> for every profile here; the findings still differ.</p>" if same
               else "<p>The lines <b>differ</b> between the profiles: compare the columns.</p>")
    return (summary + "<div class='pb-scroll' role='region' aria-label='Claims by payer profile (scrolls sideways)' "
            "tabindex='0' style='overflow-x:auto;max-width:100%'>"
            f"<table class='pumpbill-table pumpbill-payers' style='min-width:44rem'>{head}{body}</table></div>"
            "<p><small>Profiles marked EXAMPLE ONLY are made up for teaching, not any real payer's policy; the NDC "
            f"({SYNTHETIC_NDC}) and the authorization number ({SYNTHETIC_PA}) are made up too.</small></p>")


def payer_comparison() -> W.Widget:
    """Change what happened at the visit; see every payer profile's claim side by side."""
    wide = W.Layout(width="auto")
    style = {"description_width": "initial"}
    change = W.Dropdown(options=PUMP_CHANGES, value="reservoir_volume", description="Changed in the pump",
                        style=style, layout=wide)
    performer = W.Dropdown(options=PERFORMER_CHOICES, value="physician", description="Done by", style=style,
                           layout=wide)
    em = W.Dropdown(options=EM_CHOICES, value="none", description="Same-day E/M", style=style, layout=wide)
    drug = W.Dropdown(options=DRUG_CHOICES, value="single", description="Drug", style=style, layout=wide)
    ndc = W.Checkbox(value=True, description="NDC recorded in the note", indent=False, layout=wide)
    pa = W.Checkbox(value=False, description="prior authorization number recorded", indent=False, layout=wide)
    out = W.HTML()

    def update() -> None:
        out.value = payer_comparison_html(change.value, performer.value, em.value, drug.value, ndc.value, pa.value)

    _live([change, performer, em, drug, ndc, pa], update)
    return W.VBox([W.HBox([change, performer]), W.HBox([em, drug]), W.HBox([ndc, pa]), out],
                  layout=W.Layout(border="1px solid #ccc", padding="8px"))

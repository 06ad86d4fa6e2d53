"""Live widgets for the book, built on the engine: the book itself holds no coding logic.

Each widget is a thin ipywidgets layer over a pure ``*_html`` function (testable without a
kernel, and the source of the page's text alternative). No pandas: these run in Pyodide.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

import ipywidgets as W
import yaml

from . import facts
from .dates import parse_iso_date
from .engine import check
from .errors import InputError
from .icd import code_set
from .intervals import plan
from .loader import loads_scenario, scenario_from_data
from .quantities import Amount, Concentration, fmt
from .render import DISCLAIMER, error_box, findings_list, lines_table, notes_list
from .rules import REGISTRY
from .selection import facility_bills

DOS = "2026-03-02"
POS_CHOICES = [("11 office", "11"), ("12 home", "12"), ("22 hospital outpatient (on campus)", "22"),
               ("19 hospital outpatient (off campus)", "19"), ("21 inpatient hospital", "21"),
               ("31 skilled nursing facility", "31")]
PERFORMERS = [("clinical staff (RN)", "clinical_staff"), ("physician", "physician"), ("NP/PA (QHP)", "qhp")]
CHANGES = [("daily dose", "daily_dose"), ("rate", "rate"), ("mode", "mode"), ("bolus settings", "bolus"),
           ("concentration", "concentration"), ("reservoir volume only", "reservoir_volume"),
           ("alarm date only", "alarm_date"), ("alarm threshold only (disputed)", "alarm")]
RULES_LINK = "../reference/rules/"  # from a page in book/<part>/: widgets render inside the page
_SHORT = {"description_width": "initial"}  # a label as wide as its text


def _encounter(**over: Any) -> dict[str, Any]:
    """A fully documented refill visit; widgets override what the learner changes."""
    enc: dict[str, Any] = {
        "date": DOS, "place_of_service": "11", "performed_by": "clinical_staff",
        "supervising_practitioner": "Dr. Example", "supervision": "direct",
        "pump": {"type": "programmable", "route": "intrathecal", "manufacturer": "Medtronic",
                 "model": "SynchroMed II 40 mL"},
        "services": {"analysis": True, "reprogramming": False, "refill": True},
        "interrogation": {"reservoir_ml": 3, "alarms": "none", "battery": "OK"},
        "refill": {"drug": "baclofen", "concentration": "2000 mcg/mL", "volume_added_ml": 20,
                   "supplied_by": "practice", "container": "single_dose", "discarded": "0 mg",
                   "residual_ml": 3, "expected_residual_ml": 3, "lot": "SYN-001", "port": "central reservoir"},
        "prescription": {"daily_dose": "400 mcg"},
        "next_refill_date": "2026-05-25",
        "diagnoses": ["Z45.1", "G80.1"],
    }
    enc.update(over)
    return enc


def _run(data: dict[str, Any]):
    return check(scenario_from_data("widget", {"encounter": data}))


def _never_raises(html: Callable[..., str]) -> Callable[..., str]:
    """A widget's answer is HTML whatever the learner types: bad input is one line naming the field, and
    anything unexpected one friendly line, never a traceback or raw exception text on the page."""

    @functools.wraps(html)
    def safe(*args: Any, **kwargs: Any) -> str:
        try:
            return html(*args, **kwargs)
        except InputError as exc:
            return error_box(f"{exc.field}: {exc.problem}" if exc.field else exc.problem)
        except Exception:  # noqa: BLE001 - whatever it is, the page shows a sentence, not the exception
            return error_box("these values could not be checked (an unexpected problem); change them and try "
                             "again, and please report it if they look right")

    return safe


def _live(inputs: list[W.Widget], update) -> None:
    for w in inputs:
        w.observe(lambda _change: update(), names="value")
    update()


# --- 1. code chooser ------------------------------------------------------------------------------------------


@_never_raises
def choose_html(pump_type: str, route: str, analysis: bool, reprogramming: bool, refill: bool, change: str,
                performer: str, pos: str, payer: str = "medicare") -> str:
    """Which pump-service code the documented work supports, and why."""
    services = {"analysis": analysis, "reprogramming": reprogramming, "refill": refill}
    enc = _encounter(place_of_service=pos, performed_by=performer, payer=payer,
                     pump={"type": pump_type, "route": route}, services=services)
    if reprogramming:
        enc["reprogramming"] = {"changes": [change], "reason": "clinical change", "old_value": "a", "new_value": "b"}
    if not refill:
        enc.pop("refill")
    if not any(services.values()):
        return "<p>Tick at least one service that was done.</p>"
    try:
        result = _run(enc)
    except InputError as exc:
        return error_box(exc.problem)
    sel = result.selection
    if sel.service is not None:
        head = (f"<p style='font-size:1.3em'>Bill <b><code>{sel.service.code}</code></b> &mdash; "
                f"{escape(facts.CODE_DESCRIPTIONS.get(sel.service.code, ''))}</p>")
        why = "<ul>" + "".join(f"<li>{escape(r)}</li>" for r in sel.service.reasons) + "</ul>"
    elif sel.hospital_bills:
        head = (f"<p style='font-size:1.3em'><b>No professional pump-service line</b> for "
                f"<code>{sel.hospital_bills}</code>: {escape(facility_bills(enc['place_of_service']))}.</p>")
        why = ""
    else:
        head, why = "<p style='font-size:1.3em'><b>No pump-service code applies.</b></p>", ""
    docs = [f for f in result.findings if f.rule in ("PB006", "PB801", "PB803")]
    return head + why + notes_list(sel.notes) + (findings_list(docs, link_base=RULES_LINK) if docs else "")


def code_chooser() -> W.Widget:
    """Tick what was done and by whom; see the code and the reasons."""
    pump_type = W.Dropdown(options=[("programmable", "programmable"), ("non-programmable (constant flow)",
                                    "nonprogrammable"), ("portable (external)", "portable")], description="Pump")
    route = W.Dropdown(options=[("intrathecal", "intrathecal"), ("epidural", "epidural"),
                                ("intraventricular (brain)", "intraventricular"), ("intravenous", "intravenous"),
                                ("intra-arterial", "intra_arterial")], description="Route")
    wide = W.Layout(width="auto")  # the whole label, at any width
    analysis = W.Checkbox(value=True, description="electronic analysis", indent=False, layout=wide)
    reprog = W.Checkbox(value=True, description="reprogramming", indent=False, layout=wide)
    refill = W.Checkbox(value=True, description="refill", indent=False, layout=wide)
    change = W.Dropdown(options=CHANGES, description="Changed")
    performer = W.Dropdown(options=PERFORMERS, description="Done by")
    pos = W.Dropdown(options=POS_CHOICES, description="POS")
    payer = W.Dropdown(options=[("Medicare (pumpbill's strict reading)", "medicare"),
                                ("EXAMPLE commercial (lenient)", "example-commercial")], description="Payer")
    out = W.HTML()

    def update() -> None:
        change.disabled = not reprog.value
        out.value = choose_html(pump_type.value, route.value, analysis.value, reprog.value, refill.value,
                                change.value, performer.value, pos.value, payer.value)

    inputs = [pump_type, route, analysis, reprog, refill, change, performer, pos, payer]
    _live(inputs, update)
    return W.VBox([W.HBox([pump_type, route]), W.HBox([analysis, reprog, refill]), change,
                   W.HBox([performer, pos]), payer, out], layout=W.Layout(border="1px solid #ccc", padding="8px"))


# --- 2. documentation checker ---------------------------------------------------------------------------------

DOC_ELEMENTS: list[tuple[str, str]] = [
    ("device", "device: manufacturer and model"),
    ("interrogation", "interrogation findings: reservoir, alarms, battery"),
    ("residual", "residual volume aspirated"),
    ("lot", "drug lot or NDC"),
    ("port", "refill port used"),
    ("waste", "amount discarded / no-waste attestation"),
    ("reprogramming", "parameter changed, old and new values, reason"),
    ("next", "next refill date"),
    ("performer", "who performed it and the supervising practitioner"),
]


@_never_raises
def documentation_html(code: str, documented: set[str]) -> str:
    """Which documentation elements the chosen service still needs (rules PB501-PB509)."""
    reprog = code in ("62368", "62369", "62370")
    refill = code in ("62369", "62370", "95990", "95991")
    enc = _encounter(services={"analysis": True, "reprogramming": reprog, "refill": refill},
                     performed_by="physician" if code in facts.PHYSICIAN_CODES else "clinical_staff")
    if reprog:
        enc["reprogramming"] = {"changes": ["daily_dose"], "reason": "increased spasticity",
                                "old_value": "400 mcg/day", "new_value": "450 mcg/day"}
    if not refill:
        enc.pop("refill")
        enc.pop("next_refill_date")
    if "device" not in documented:
        enc["pump"] = {"type": "programmable", "route": "intrathecal"}
    if "interrogation" not in documented:
        enc.pop("interrogation")
    if refill:
        r = enc["refill"]
        for key, fields in (("residual", ["residual_ml", "expected_residual_ml"]), ("lot", ["lot"]),
                            ("port", ["port"]), ("waste", ["discarded"])):
            if key not in documented:
                for f in fields:
                    r.pop(f, None)
        if "next" not in documented:
            enc.pop("next_refill_date")
    if reprog and "reprogramming" not in documented:
        enc["reprogramming"] = {"changes": ["daily_dose"]}
    if "performer" not in documented:
        enc.pop("performed_by")
        enc.pop("supervising_practitioner")
    result = _run(enc)
    gaps = [f for f in result.findings if f.rule.startswith("PB5")]
    if not gaps:
        return f"<p>&#10003; The note supports <code>{code}</code>: every element this service needs is recorded.</p>"
    return (f"<p><b>{len(gaps)} gap(s)</b> for <code>{code}</code>. If it is not documented, it is not "
            f"billable:</p>" + findings_list(gaps, link_base=RULES_LINK))


def documentation_checker() -> W.Widget:
    code = W.Dropdown(options=["62367", "62368", "62369", "62370", "95990", "95991"], value="62369",
                      description="Code")
    boxes = {k: W.Checkbox(value=k not in ("lot", "next"), description=label, indent=False,
                           layout=W.Layout(width="auto")) for k, label in DOC_ELEMENTS}
    out = W.HTML()

    def update() -> None:
        out.value = documentation_html(code.value, {k for k, b in boxes.items() if b.value})

    _live([code, *boxes.values()], update)
    return W.VBox([code, W.Label("What the note records:"), *boxes.values(), out],
                  layout=W.Layout(border="1px solid #ccc", padding="8px"))


# --- 3. claim checker -------------------------------------------------------------------------------------------

EXAMPLE_CLAIM = """\
# Synthetic example: edit it and click Check. Never paste real patient information.
encounter:
  date: 2026-05-04
  place_of_service: "11"
  performed_by: clinical_staff
  supervising_practitioner: Dr. Example
  supervision: direct
  pump: {type: programmable, route: intrathecal, manufacturer: Medtronic, model: SynchroMed II}
  services: {analysis: true, reprogramming: false, refill: true}
  interrogation: {reservoir_ml: 3, alarms: none, battery: OK}
  refill: {drug: baclofen, concentration: 2000 mcg/mL, volume_added_ml: 20, discarded: 0 mg,
           residual_ml: 3, lot: SYN-001, port: central}
  next_refill_date: 2026-07-27
  diagnoses: [G80.1, Z45.1]
claim:
  lines:
    - {code: "62369", units: 1, diagnoses: [G80.1, Z45.1]}
    - {code: J0475, units: 40}
    - {code: A4220}
"""


STALE_CLAIM = "<p><i>The scenario changed: click Check to check it.</i></p>"


@_never_raises
def claim_html(text: str) -> str:
    """Check a scenario with its billed claim: each finding with its rule, and the right claim."""
    try:
        result = check(loads_scenario(text, "your scenario"))
    except InputError as exc:
        return error_box(str(exc))
    errors = sum(f.severity == "error" for f in result.findings)
    verdict = ("<p style='color:#b00020'><b>This claim would be denied or is wrong as coded.</b></p>"
               if errors
               else "<p>&#10003; No error on the claim.</p>")
    return (verdict + "<h4>Findings</h4>" + findings_list(result.findings, link_base=RULES_LINK)
            + "<h4>What the documentation supports</h4>" + lines_table(result.recommended)
            + notes_list(result.selection.notes))


def claim_checker(text: str = EXAMPLE_CLAIM) -> W.Widget:
    area = W.Textarea(value=text, layout=W.Layout(width="100%", height="380px"))
    button = W.Button(description="Check", button_style="primary")
    out = W.HTML(value=claim_html(text))
    checked = {"text": text}

    def check_it(_b: Any = None) -> None:
        checked["text"] = area.value
        out.value = claim_html(area.value)

    def edited(_c: Any = None) -> None:
        # the findings were for the text as it was: say so at once rather than show them for the new text
        if area.value != checked["text"] and not out.value.startswith(STALE_CLAIM):
            out.value = STALE_CLAIM

    button.on_click(check_it)
    area.observe(edited, names="value")
    return W.VBox([W.HTML(f"<small>{escape(DISCLAIMER)}</small>"), area, button, out])


# --- 4. units calculator ------------------------------------------------------------------------------------------


@_never_raises
def units_html(drug: str, concentration: str, volume_ml: float, discarded: str, container: str,
               supplied_by: str = "practice") -> str:
    try:
        enc = _encounter(refill={"drug": drug, "concentration": concentration, "volume_added_ml": volume_ml,
                                 "discarded": discarded, "container": container, "supplied_by": supplied_by,
                                 "residual_ml": 3, "lot": "SYN", "port": "central"})
        result = _run(enc)
    except InputError as exc:
        return error_box(exc.problem.replace("(and", "(and"))
    drug_lines = [ln for ln in result.recommended if ln.code.startswith("J")]
    return lines_table(drug_lines) + notes_list(result.selection.notes)


def units_calculator() -> W.Widget:
    drug = W.Dropdown(options=sorted(facts.DRUGS), value="baclofen", description="Drug")
    # numbers update as they are typed (continuous_update), no Enter needed; each unit list has its own label
    conc = W.FloatText(value=2000, description="Conc.", continuous_update=True)
    conc_unit = W.Dropdown(options=["mcg/mL", "mg/mL"], value="mcg/mL", description="unit", style=_SHORT,
                           layout=W.Layout(width="auto"))
    volume = W.FloatText(value=20, description="mL added", continuous_update=True)
    disc = W.FloatText(value=0, description="Discarded", continuous_update=True)
    disc_unit = W.Dropdown(options=["mg", "mcg"], value="mg", description="unit", style=_SHORT,
                           layout=W.Layout(width="auto"))
    container = W.Dropdown(options=[("single-dose", "single_dose"), ("multi-dose", "multi_dose")],
                           description="Container")
    supplier = W.Dropdown(options=[("practice (buy and bill)", "practice"), ("pharmacy", "pharmacy"),
                                   ("facility", "facility")], description="Bought by")
    out = W.HTML()

    def update() -> None:
        unit = facts.DRUGS[drug.value]
        out.value = (f"<p><small>{drug.value}: {unit.hcpcs}, billing unit {unit.unit_label}</small></p>"
                     + units_html(drug.value, f"{_num(conc.value)} {conc_unit.value}", volume.value,
                                  f"{_num(disc.value)} {disc_unit.value}", container.value, supplier.value))

    _live([drug, conc, conc_unit, volume, disc, disc_unit, container, supplier], update)
    return W.VBox([drug, W.HBox([conc, conc_unit]), volume, W.HBox([disc, disc_unit]), container, supplier, out],
                  layout=W.Layout(border="1px solid #ccc", padding="8px"))


def _num(x: float) -> str:
    try:
        return fmt(Decimal(str(x)))
    except InvalidOperation:
        return "0"


# --- 5. diagnosis pointer ----------------------------------------------------------------------------------------


@_never_raises
def diagnosis_html(codes: str, dos: str, visit: str = "routine") -> str:
    """Validity (FY code set), the order to point to, and the diagnosis findings."""
    dx = [c.strip().upper() for c in codes.replace(";", ",").split(",") if c.strip()]
    try:
        day = parse_iso_date(dos)
        enc = _encounter(date=dos, diagnoses=dx, next_refill_date=None)
        result = _run(enc)
    except (InputError, ValueError) as exc:
        return error_box(exc.problem if isinstance(exc, InputError) else f"date: {exc}")
    cs = code_set()
    rows = "".join(f"<tr><td><code>{escape(c)}</code></td><td>{cs.status(c)}</td>"
                   f"<td>{escape(cs.description(c) or '')}</td></tr>" for c in dx)
    table = (f"<table><tr><th>Code</th><th>Status in {escape(cs.label)}</th><th>Description</th></tr>{rows}"
             "</table>")
    order = ", ".join(result.diagnoses) or "(none)"
    gaps = [f for f in result.findings if f.rule.startswith("PB4")]
    hint = ("" if visit == "routine" else "<p><small>Visit for a documented (confirmed) device problem: code the "
            "T85.6-/T85.7-/T85.8- complication first, instead of Z45.1; a suspected one is not coded.</small></p>")
    era = ("" if day >= facts.G35_EXPANDED_ON else
           f"<p><small>Status is from the {escape(cs.label)} set; the date of service is earlier, when the code "
           "set differed (for example, G35 itself was billable before 2025-10-01).</small></p>")
    return (table + era + f"<p>Point the pump-service line to: <b>{escape(order)}</b></p>" + hint
            + findings_list(gaps, link_base=RULES_LINK))


def diagnosis_pointer() -> W.Widget:
    codes = W.Text(value="G80.1, Z45.1", description="Codes", continuous_update=True)
    dos = W.Text(value=DOS, description="DOS", continuous_update=True)
    visit = W.Dropdown(options=[("routine refill/adjustment", "routine"), ("device problem", "complication")],
                       description="Visit")
    out = W.HTML()
    _live([codes, dos, visit], lambda: setattr(out, "value", diagnosis_html(codes.value, dos.value, visit.value)))
    return W.VBox([codes, dos, visit, out], layout=W.Layout(border="1px solid #ccc", padding="8px"))


# --- 6. refill planner --------------------------------------------------------------------------------------------


@_never_raises
def planner_html(start: str, volume_ml: float, alarm_ml: float, concentration: str, daily_dose: str,
                 drug: str = "baclofen", undiluted: bool | None = None) -> str:
    if not all(isinstance(v, int | float) and math.isfinite(v) and 0 <= v <= 1000 for v in (volume_ml, alarm_ml)):
        return error_box("volumes must be numbers of mL from 0 to 1000")
    try:  # these parsers' and the planner's messages are written for a person
        p = plan(parse_iso_date(start), Decimal(str(volume_ml)), Decimal(str(alarm_ml)), Amount.parse(daily_dose),
                 Concentration.parse(concentration), drug, undiluted=undiluted)
    except ValueError as exc:
        return error_box(str(exc))
    limit = f"<li>Drug limit: {escape(p.limit[1])}</li>" if p.limit else ""
    return (f"<ul><li>Daily volume: {fmt(round(p.daily_volume_ml, 3))} mL/day</li>"
            f"<li>Days to low-reservoir alarm: <b>{fmt(round(p.alarm_days, 1))}</b> "
            f"(alarm on {p.alarm_date.isoformat()})</li>{limit}"
            f"<li>Latest refill date: <b>{p.latest_refill.isoformat()}</b> (the day before the alarm, or the "
            "drug's limit if it comes first)</li></ul>"
            + reservoir_svg(float(volume_ml), float(alarm_ml), float(p.daily_volume_ml), float(p.alarm_days),
                            p.limit[0] if p.limit else None))


def reservoir_svg(volume: float, alarm: float, per_day: float, alarm_days: float, limit: int | None) -> str:
    """Reservoir volume over time as inline SVG (no plotting library in the browser).

    It scales to its container (viewBox, width 100%, so a phone shows all of it); axes and labels use the
    text colour, and the coloured marks carry classes that the book's stylesheet recolours in dark mode.
    """
    w, h, pad = 420, 180, 30
    horizon = max(alarm_days * 1.15, (limit or 0) * 1.1, 1)
    def x(d: float) -> float:
        return pad + (w - 2 * pad) * d / horizon
    def y(v: float) -> float:
        return h - pad - (h - 2 * pad) * v / max(volume, 1e-9)
    end_day = min(horizon, volume / per_day if per_day else horizon)
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {w} {h}' width='100%' "
             f"style='max-width:{w * 3 // 2}px;height:auto' class='pb-chart' role='img' "
             f"aria-label='Reservoir volume falls from {volume:g} mL to the {alarm:g} mL alarm in "
             f"{alarm_days:.0f} days'>",
             f"<line x1='{pad}' y1='{h - pad}' x2='{w - pad}' y2='{h - pad}' stroke='currentColor'/>",
             f"<line x1='{pad}' y1='{pad}' x2='{pad}' y2='{h - pad}' stroke='currentColor'/>",
             f"<line class='pb-svg-volume' x1='{x(0):.1f}' y1='{y(volume):.1f}' x2='{x(end_day):.1f}' "
             f"y2='{y(volume - per_day * end_day):.1f}' stroke='#1f5f99' stroke-width='2'/>",
             f"<line class='pb-svg-alarm' x1='{pad}' y1='{y(alarm):.1f}' x2='{w - pad}' y2='{y(alarm):.1f}' "
             "stroke='#b00020' stroke-dasharray='4'/>",
             f"<text class='pb-svg-alarm' x='{w - pad}' y='{y(alarm) - 4:.1f}' font-size='10' text-anchor='end' "
             f"fill='#b00020'>alarm {alarm:g} mL</text>",
             f"<line class='pb-svg-day' x1='{x(alarm_days):.1f}' y1='{pad}' x2='{x(alarm_days):.1f}' y2='{h - pad}' "
             "stroke='#8a5a00'/>",
             f"<text x='{min(x(alarm_days) + 3, w - 50):.1f}' y='{pad + 10}' font-size='10' fill='currentColor'>"
             f"day {alarm_days:.0f}</text>"]
    if limit:
        parts.append(f"<line class='pb-svg-limit' x1='{x(limit):.1f}' y1='{pad}' x2='{x(limit):.1f}' y2='{h - pad}' "
                     f"stroke='#6a1b9a' stroke-dasharray='2'/><text class='pb-svg-limit' "
                     f"x='{min(x(limit) + 3, w - 50):.1f}' y='{pad + 22}' font-size='10' fill='#6a1b9a'>"
                     f"limit {limit} d</text>")
    parts.append(f"<text x='{pad}' y='{h - 8}' font-size='10' fill='currentColor'>days after refill</text>"
                 f"<text x='4' y='{pad - 8}' font-size='10' fill='currentColor'>{volume:g} mL</text></svg>")
    return "".join(parts)


def refill_planner() -> W.Widget:
    start = W.Text(value=DOS, description="Refill on", continuous_update=True)
    volume = W.FloatText(value=20, description="mL after", continuous_update=True)
    alarm = W.FloatText(value=2, description="Alarm mL", continuous_update=True)
    drug = W.Dropdown(options=sorted(facts.DRUGS), value="baclofen", description="Drug")
    conc = W.Text(value="2000 mcg/mL", description="Conc.", continuous_update=True)
    dose = W.Text(value="400 mcg", description="Daily dose", continuous_update=True)
    undiluted = W.Checkbox(value=False, description="undiluted (ziconotide)", indent=False,
                           layout=W.Layout(width="auto"))
    out = W.HTML()

    def update() -> None:
        out.value = planner_html(start.value, volume.value, alarm.value, conc.value, dose.value, drug.value,
                                 undiluted.value if drug.value == "ziconotide" else None)

    _live([start, volume, alarm, drug, conc, dose, undiluted], update)
    return W.VBox([start, W.HBox([volume, alarm]), drug, conc, dose, undiluted, out],
                  layout=W.Layout(border="1px solid #ccc", padding="8px"))


# --- 7. spot the error -------------------------------------------------------------------------------------------

SPOT_RULES = ("PB002", "PB003", "PB102", "PB103", "PB105", "PB203", "PB206", "PB301", "PB402", "PB405", "PB701",
              "PB209")


def spot_cases(codes: tuple[str, ...] = SPOT_RULES) -> list[tuple[str, str]]:
    """(rule code, scenario text) for each rule's bad example."""
    from .docs import example_text

    return [(c, t) for c in codes if (t := example_text(c, "bad"))]


def spot_case_text(case_text: str) -> str:
    """What the learner sees: the encounter and the claim only (no title, story or comments: they give it away)."""
    sc = loads_scenario(case_text, "case")
    data = sc.model_dump(mode="json", include={"encounter", "claim"}, exclude_none=True, exclude_defaults=True)
    return yaml.safe_dump(_numbers(data), sort_keys=False, width=100)


def _numbers(node: Any, key: str = "") -> Any:
    """Volumes come back from JSON mode as strings ('20'); show them as numbers."""
    if isinstance(node, dict):
        return {k: _numbers(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers(v) for v in node]
    if isinstance(node, str) and key.endswith("_ml"):
        return float(node) if "." in node else int(node)
    return node


@_never_raises
def spot_html(case_text: str, answer: str, truth: str) -> str:
    result = check(loads_scenario(case_text, "case"))
    fired = result.fired()
    if answer == truth or answer in fired and REGISTRY[answer].severity == "error":
        r = REGISTRY[answer]
        return (f"<p style='color:#1b5e20'><b>Right:</b> {answer} {escape(r.title)}.</p>"
                f"<p>{escape(r.why)}</p><p><i>Correct coding:</i> {escape(r.correct)}</p>")
    return (f"<p style='color:#b00020'><b>Not this one.</b> {escape(REGISTRY[answer].what)}</p>"
            "<p><small>Look again at the codes, units, modifiers and the note.</small></p>")


def spot_the_error(seed: int = 0) -> W.Widget:
    cases = spot_cases()
    random.Random(seed).shuffle(cases)
    pick = W.Dropdown(options=[(f"Case {i + 1}", i) for i in range(len(cases))], description="Case")
    choices = sorted({c for c, _ in cases} | {"PB001", "PB101", "PB201", "PB302"})
    answer = W.Dropdown(options=[(f"{c} {REGISTRY[c].title}", c) for c in choices], description="Error")
    button = W.Button(description="Check my answer")
    shown, out = W.HTML(), W.HTML()

    def show() -> None:
        shown.value = f"<pre style='font-size:0.85em'>{escape(spot_case_text(cases[pick.value][1]))}</pre>"
        out.value = ""

    button.on_click(lambda _b: setattr(out, "value", spot_html(cases[pick.value][1], answer.value,
                                                              cases[pick.value][0])))
    # a verdict is for the answer it was given: a new choice clears it
    answer.observe(lambda _c: setattr(out, "value", ""), names="value")
    _live([pick], show)
    return W.VBox([pick, shown, answer, button, out])

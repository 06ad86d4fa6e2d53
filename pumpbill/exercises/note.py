"""The synthetic clinical note a trainee codes from: the exercise's scenario written as a chart entry.

Why: a trainee on the job reads what the nurse or physician wrote, not a YAML scenario. The note states in
words exactly what the scenario records (an element the scenario lacks is absent, so documentation exercises
still have their gaps) and never a code, modifier, unit count or rule code: the trainee codes from words.
An exercise's authored ``note`` replaces the generated one. Pure: no I/O beyond the packaged ICD-10-CM names.
"""

from __future__ import annotations

import html
import re
import zlib
from datetime import date
from decimal import Decimal

from ..models import Encounter, Refill, Scenario
from .models import Exercise

BADGE = "Synthetic note for training"

_PLACES = {
    "11": "physician office", "12": "patient's home", "13": "assisted living facility",
    "19": "hospital outpatient department (off campus)", "21": "hospital (inpatient)",
    "22": "hospital outpatient department (on campus)", "23": "hospital emergency department",
    "24": "ambulatory surgical center", "31": "skilled nursing facility", "32": "nursing facility",
    "49": "independent clinic", "50": "federally qualified health center",
}
_PERFORMERS = {"physician": "physician", "qhp": "nurse practitioner (qualified health professional)",
               "clinical_staff": "clinic nurse (clinical staff)"}
_SUPERVISION = {
    "direct": "{where} and immediately available throughout (direct supervision)",
    "virtual_direct": "immediately available throughout by real-time audio and video (virtual direct supervision)",
    "general": "available by telephone, not on site (general supervision)",
    "none": "none during the service",
}
_ROUTES = {"intrathecal": "intrathecal catheter", "epidural": "epidural catheter",
           "intraventricular": "intraventricular catheter", "intravenous": "intravenous catheter",
           "intra_arterial": "intra-arterial (hepatic artery) catheter"}
_PUMP_TYPES = {"programmable": "programmable implanted pump", "nonprogrammable": "non-programmable implanted pump",
               "portable": "portable external pump"}
_CHANGES = {"daily_dose": "daily dose", "rate": "infusion rate", "mode": "infusion mode",
            "bolus": "bolus settings", "concentration": "drug concentration in the pump's settings",
            "reservoir_volume": "reservoir volume in the pump's settings",
            "alarm": "low-reservoir alarm threshold", "alarm_date": "alarm date"}
_SUPPLIERS = {"practice": "from the practice's own stock (bought by the practice)",
              "pharmacy": "dispensed for this patient by an outside pharmacy (not bought by the practice)",
              "facility": "supplied by the hospital pharmacy"}
_CONTAINERS = {"single_dose": "single-dose container", "multi_dose": "multi-dose vial"}
_CERTAINTY = {"suspected": "suspected", "probable": "probable", "rule_out": "rule out"}
_PROCEDURES = {
    "62350": "implantation of a spinal catheter", "62351": "implantation of a spinal catheter with laminectomy",
    "62355": "removal of a spinal catheter", "62360": "implantation of a subcutaneous reservoir",
    "62361": "implantation of a non-programmable pump", "62362": "implantation of a programmable pump",
    "62365": "removal of the pump", "69990": "use of the operating microscope",
}

#: (heading, lines) of one part of the note.
Section = tuple[str, list[str]]


def _day(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def _ml(v: Decimal) -> str:
    return f"{v} mL"


def _sentence(text: str) -> str:
    """Free text from the scenario as a sentence: first letter up, one full stop (the rest as written)."""
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def _supervision(enc: Encounter) -> str:
    where = "in the office suite" if enc.place_of_service == "11" else "on site"
    return _SUPERVISION[enc.supervision or "none"].format(where=where)


def _dx_words(code: str, certainty: str = "confirmed") -> str:
    from ..icd import code_set

    words = code_set().description(code) or "diagnosis as documented in the problem list"
    words = words[0].upper() + words[1:]
    return f"{_CERTAINTY[certainty].capitalize()}: {words[0].lower() + words[1:]}" if certainty in _CERTAINTY \
        else words


def _insurance(name: str) -> str:
    from ..payers import profiles

    if name == "medicare":
        return "Medicare (traditional, Part B)"
    title = profiles()[name].title
    return title.split(" (")[0]


def _header(ex: Exercise, enc: Encounter) -> list[str]:
    out = [f"Patient: Synthetic patient, record SYN-{zlib.crc32(ex.id.encode()) % 900000 + 100000}",
           f"Date of service: {_day(enc.date)}", f"Place: {_PLACES.get(enc.place_of_service, 'outpatient clinic')}",
           f"Insurance: {_insurance(ex.payer or enc.payer)}"]
    if enc.performed_by:
        out.append(f"Performed by: {_PERFORMERS[enc.performed_by]}")
    if enc.supervising_practitioner:
        how = f", {_supervision(enc)}" if enc.supervision and enc.supervision != "none" else ""
        out.append(f"Supervising practitioner: {enc.supervising_practitioner}{how}")
    elif enc.supervision:
        out.append(f"Supervision: {_supervision(enc)}")
    return out


def _device(enc: Encounter) -> list[str]:
    pump = enc.pump
    if pump is None:
        return []
    name = " ".join(p for p in (pump.manufacturer, pump.model) if p)
    line = f"{name}, {_PUMP_TYPES[pump.type]}" if name else _PUMP_TYPES[pump.type].capitalize()
    line += f", {_ROUTES[pump.route]}."
    extra = []
    if pump.reservoir_ml is not None:
        extra.append(f"reservoir {_ml(pump.reservoir_ml)}")
    if pump.alarm_ml is not None:
        extra.append(f"low-reservoir alarm at {_ml(pump.alarm_ml)}")
    return [line + (f" {_sentence('; '.join(extra))}" if extra else "")]


def _interrogation(enc: Encounter) -> list[str]:
    if not enc.services.analysis:
        return []
    out = ["Pump interrogated with the clinician programmer."]
    found = enc.interrogation
    if found is not None:
        if found.reservoir_ml is not None:
            out.append(f"Reservoir volume by the pump's log: {_ml(found.reservoir_ml)}.")
        if found.alarms:
            out.append(f"Alarms: {found.alarms}.")
        if found.battery:
            out.append(f"Battery: {found.battery}.")
    return out


def _refill_lines(enc: Encounter, rf: Refill) -> list[str]:
    out = []
    if enc.previous_refill is not None:
        prev = enc.previous_refill
        bits = [f"{_ml(prev.volume_ml)} in the reservoir after the fill"]
        if prev.concentration:
            bits.append(prev.concentration)
        if prev.daily_dose:
            bits.append(f"{prev.daily_dose}/day")
        out.append(f"Previous refill {_day(prev.date)}: {', '.join(bits)}.")
    if enc.first_refill_after_implant:
        out.append("First refill since the pump was implanted.")
    if rf.residual_ml is not None:
        expected = f" (expected {_ml(rf.expected_residual_ml)})" if rf.expected_residual_ml is not None else ""
        out.append(f"Residual aspirated: {_ml(rf.residual_ml)}{expected}.")
    if rf.residual_note:
        out.append(_sentence(rf.residual_note))
    drug = rf.drug if rf.drug != "other" else "chemotherapy solution" if rf.chemotherapy else "the prescribed solution"
    if rf.compounded:
        drug = f"a pharmacy-compounded mixture ({rf.description})" if rf.description else \
            f"a pharmacy-compounded {drug} preparation"
    strength = rf.concentration
    if rf.undiluted is not None:
        strength += " undiluted" if rf.undiluted else " diluted with preservative-free saline"
    port = f" through the {rf.port.removesuffix(' port')} port" if rf.port else ""
    chemo = " (antineoplastic chemotherapy)" if rf.chemotherapy and rf.drug != "other" else ""
    if enc.outcome in ("discontinued", "cancelled"):
        out.append(f"Refill planned with {_ml(rf.volume_added_ml)} of {drug} {strength}{chemo}, "
                   f"{_CONTAINERS[rf.container]}, {_SUPPLIERS[rf.supplied_by]}: not placed in the pump (see Session).")
    else:
        out.append(f"Refilled{port} with {_ml(rf.volume_added_ml)} of {drug} {strength}{chemo}, "
                   f"{_CONTAINERS[rf.container]}, {_SUPPLIERS[rf.supplied_by]}.")
    ids = [i for i in (f"lot {rf.lot}" if rf.lot else "", f"NDC {rf.ndc}" if rf.ndc else "") if i]
    if ids:
        out.append(_sentence(", ".join(ids)))
    if rf.discarded_q is not None:
        if rf.discarded_q.value == 0:
            out.append("No drug wasted: nothing was discarded from the container.")
        else:
            out.append(f"Wasted: {rf.discarded} of {drug} discarded from the container.")
    if enc.interval_reason:
        out.append(f"Refill timing: {_sentence(enc.interval_reason)}")
    return out


_OUTCOMES = {"reduced": "Service reduced: less than the full service was done",
             "discontinued": "Service stopped after it had begun",
             "cancelled": "Cancelled before the service began"}
_DENIALS = {"not_reasonable_necessary": "Coverage reviewed before the service: expected not to be covered as "
                                        "reasonable and necessary for this patient",
            "statutory_exclusion": "Coverage reviewed before the service: a service the plan never covers"}


def _coverage(enc: Encounter) -> list[str]:
    cov, out = enc.coverage, []
    if cov is not None and cov.expected_denial != "none":
        out.append(_DENIALS[cov.expected_denial] + ".")
        out.append("Advance Beneficiary Notice explained and signed by the patient before the service."
                   if cov.abn == "signed" else "No advance notice was given to the patient.")
    if cov is not None and cov.prior_authorization:
        out.append(f"Prior authorization: {cov.prior_authorization}, on file.")
    return out


def _session(enc: Encounter) -> list[str]:
    out = []
    if enc.trial is not None:
        from ..facts import TRIAL_INJECTION_CODES

        t = enc.trial
        out.append(f"Intrathecal screening trial: {TRIAL_INJECTION_CODES[t.code]}, a bolus of {t.drug} {t.dose}, "
                   f"{_SUPPLIERS[t.supplied_by]}.")
    if enc.prior_procedure is not None:
        pp = enc.prior_procedure
        out.append(f"Earlier procedure: {_PROCEDURES.get(pp.code, 'pump surgery')} on {_day(pp.date)}.")
    if enc.outcome != "completed":
        why = f": {_sentence(enc.outcome_reason)}" if enc.outcome_reason else "."
        out.append(_OUTCOMES[enc.outcome] + (why if why != "." else "."))
    if enc.same_day_sessions > 1:
        earlier = "the earlier one" if enc.same_day_sessions == 2 else "the earlier ones"
        out.append(f"This is pump session {enc.same_day_sessions} of the day, separate from {earlier} "
                   "(see the earlier entries of the day).")
    return out


def _programming(enc: Encounter) -> list[str]:
    rp = enc.reprogramming
    if rp is None:
        return []
    what = " and ".join(_CHANGES[c] for c in rp.changes)
    line = f"{what[0].upper()}{what[1:]} changed"
    if rp.old_value and rp.new_value:
        line += f" from {rp.old_value} to {rp.new_value}"
    elif rp.new_value:
        line += f" to {rp.new_value}"
    out = [line + "."]
    if rp.reason:
        out.append(f"Reason: {_sentence(rp.reason)}")
    return out


def _prescription(enc: Encounter) -> list[str]:
    rx = enc.prescription
    if rx is None:
        return []
    bits = [f"{rx.daily_dose}/day" if rx.daily_dose else "", rx.mode or "",
            f"bolus {rx.bolus}" if rx.bolus else ""]
    bits = [b for b in bits if b]
    return [f"Prescription in the pump at the end of the visit: {', '.join(bits)}."] if bits else []


def _em(enc: Encounter) -> list[str]:
    em = enc.em_visit
    if em is None or not em.performed:
        return []
    if em.documentation:
        out = [_sentence(em.documentation)]
    elif em.separately_identifiable:
        out = ["Separately documented evaluation of a problem besides the pump service."]
    else:
        out = ["Physician evaluation at this visit limited to the pump service; no other problem addressed."]
    if em.diagnoses:
        out.append("Problem addressed: " + "; ".join(_dx_words(c) for c in em.diagnoses) + ".")
    return out


def note_sections(ex: Exercise) -> list[Section]:
    """The note as (heading, lines): the one source of the text and the HTML forms."""
    sc: Scenario = ex.scenario
    enc = sc.encounter
    parts: list[Section] = [("Visit", _header(ex, enc)), ("Coverage", _coverage(enc)), ("Device", _device(enc)),
                            ("Session", _session(enc)), ("Interrogation", _interrogation(enc))]
    if enc.services.refill and enc.refill is not None:
        parts.append(("Refill", _refill_lines(enc, enc.refill)))
    parts.append(("Programming", _programming(enc) + _prescription(enc)))
    if enc.physician_reason:
        parts.append(("Why the physician performed it", [_sentence(enc.physician_reason)]))
    if enc.imaging != "none":
        kind = {"ultrasound": "Ultrasound", "fluoroscopy": "Fluoroscopic", "ct": "CT"}[enc.imaging]
        why = f" Reason: {_sentence(enc.imaging_reason)}" if enc.imaging_reason else ""
        parts.append(("Imaging", [f"{kind} guidance used.{why}"]))
    if enc.other_procedures:
        parts.append(("Same session", ["Also at this session: " + "; ".join(
            _PROCEDURES.get(c, "another procedure (see the operative note)") for c in enc.other_procedures) + "."]))
    separate = enc.em_visit is not None and enc.em_visit.separately_identifiable
    parts.append(("Other concerns" if separate else "Physician evaluation", _em(enc)))
    if enc.diagnoses:
        parts.append(("Assessment", [f"{i}. {_dx_words(d.code, d.certainty)}"
                                     for i, d in enumerate(enc.diagnoses, 1)]))
    if enc.next_refill_date:
        parts.append(("Plan", [f"Next refill due {_day(enc.next_refill_date)}."]))
    signer = _PERFORMERS.get(enc.performed_by or "", "clinician")
    sign = f"Electronically signed by the {signer}, {_day(enc.date)}."
    if enc.supervising_practitioner and enc.performed_by == "clinical_staff":
        sign += f" Co-signed: {enc.supervising_practitioner}."
    parts.append(("Signature", [sign]))
    return [(h, lines) for h, lines in parts if lines]


def chart_note_text(ex: Exercise) -> str:
    """The note as plain text (the authored ``note`` when the exercise has one)."""
    if ex.note:
        return f"{BADGE}\n\n{ex.note.strip()}\n"
    out = [BADGE, ""]
    for heading, lines in note_sections(ex):
        out.append(heading.upper())
        out += lines
        out.append("")
    return "\n".join(out)


_BOX = ("border:1px solid rgba(128,128,128,.6);border-radius:6px;padding:.6em .9em;margin:.5em 0;"
        "color:inherit;background:transparent;max-width:48rem;line-height:1.45")


def chart_note_html(ex: Exercise) -> str:
    """The note as escaped, semantic HTML for a widget: readable in light and dark mode (inherited colours)."""
    e = html.escape
    body: list[str] = []
    if ex.note:
        for para in re.split(r"\n\s*\n", ex.note.strip()):
            lines = [x.strip() for x in para.splitlines() if x.strip()]
            # A first line in capitals is a heading, as in the generated text form ("REFILL").
            head = f"<strong>{e(lines.pop(0).capitalize())}.</strong> " if len(lines) > 1 and \
                lines[0].isupper() else ""
            body.append(f'<p style="margin:.4em 0">{head}' + "<br>".join(e(x) for x in lines) + "</p>")
    else:
        for heading, lines in note_sections(ex):
            if heading == "Visit":
                items = [ln.split(": ", 1) for ln in lines]
                body.append('<dl style="display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;'
                            'margin:.3em 0">' + "".join(f"<dt style=\"font-weight:600\">{e(k)}</dt><dd "
                                                        f"style=\"margin:0\">{e(v)}</dd>" for k, v in items)
                            + "</dl>")
            elif heading == "Assessment":
                body.append(f"<p style=\"margin:.4em 0 .1em\"><strong>{e(heading)}</strong></p><ol style=\""
                            f"margin:0 0 .3em 1.4em;padding:0\">"
                            + "".join(f"<li>{e(ln.split('. ', 1)[1])}</li>" for ln in lines) + "</ol>")
            else:
                body.append(f"<p style=\"margin:.4em 0\"><strong>{e(heading)}.</strong> {e(' '.join(lines))}</p>")
    return (f'<section class="pb-chart-note" aria-label="Clinical note" style="{_BOX}">'
            f'<h3 style="margin:0 0 .2em;font-size:1.05em">Clinical note</h3>'
            f'<p class="pb-chart-note-badge" style="margin:0 0 .4em;font-size:.85em;font-style:italic">'
            f'{e(BADGE)}: not a real patient</p>' + "".join(body) + "</section>")

"""The answer form of a "complete the documentation" exercise: one labelled field per element the note may
record (the grader's ``DOC_FIELDS``), grouped like a chart, never a YAML field name on screen.

Why: a trainee records "the pump model" or "the next refill date", not ``pump.model``. The form's values
become the same ``Answer.documentation`` mapping the grader merges into the note; a value the note cannot
hold is reported in plain words, naming the field by its label. A group whose part of the visit did not
happen (no refill, no reprogramming, no pump on record) is left out: its fields could not be recorded.
Fields start empty: an empty field records nothing."""

from __future__ import annotations

from typing import Any

import ipywidgets as W
from pydantic import ValidationError

from ..grading.grade import DOC_FIELDS, _merge
from ..models import Scenario
from .models import Exercise

#: (group, field) -> the label a trainee reads; None as field: a top-level element of the encounter.
LABELS: dict[tuple[str, str | None], str] = {
    ("pump", "manufacturer"): "Pump manufacturer",
    ("pump", "model"): "Pump model",
    ("pump", "reservoir_ml"): "Reservoir size (mL)",
    ("pump", "alarm_ml"): "Low-reservoir alarm volume (mL)",
    ("interrogation", "reservoir_ml"): "Volume in the reservoir at interrogation (mL)",
    ("interrogation", "alarms"): "Alarms found",
    ("interrogation", "battery"): "Battery status",
    ("refill", "residual_ml"): "Residual volume aspirated (mL)",
    ("refill", "expected_residual_ml"): "Expected residual volume (mL)",
    ("refill", "lot"): "Drug lot number",
    ("refill", "ndc"): "Drug NDC",
    ("refill", "port"): "Refill port used",
    ("refill", "discarded"): "Drug discarded (amount and unit)",
    ("reprogramming", "old_value"): "Setting before the change",
    ("reprogramming", "new_value"): "Setting after the change",
    ("reprogramming", "reason"): "Clinical reason for the change",
    ("prescription", "daily_dose"): "Daily dose (amount and unit per day)",
    ("prescription", "mode"): "Infusion mode",
    ("prescription", "bolus"): "Bolus settings",
    ("next_refill_date", None): "Next refill date (YYYY-MM-DD)",
    ("performed_by", None): "Who performed the service",
    ("physician_reason", None): "Why the physician or QHP performed it",
    ("supervising_practitioner", None): "Supervising practitioner",
    ("supervision", None): "How supervision was given",
    ("imaging_reason", None): "Why imaging was used",
    ("interval_reason", None): "Why the refill came earlier or later than planned",
    ("coverage", "prior_authorization"): "Prior authorization number",
}
#: The chart sections the fields appear under.
GROUPS: dict[str, str] = {"pump": "Device", "interrogation": "Interrogation", "refill": "Refill",
                          "reprogramming": "Reprogramming", "prescription": "Prescription in the pump",
                          "next_refill_date": "Plan", "performed_by": "Who did the work",
                          "physician_reason": "Who did the work", "supervising_practitioner": "Who did the work",
                          "supervision": "Who did the work", "imaging_reason": "Imaging",
                          "interval_reason": "Plan", "coverage": "Coverage"}
#: Choices for the fields with a fixed list (the scenario's values, in words).
CHOICES: dict[str, list[tuple[str, str | None]]] = {
    "performed_by": [("(not recorded)", None), ("physician", "physician"),
                     ("qualified health care professional (NP, PA)", "qhp"),
                     ("clinical staff (e.g. a nurse)", "clinical_staff")],
    "supervision": [("(not recorded)", None), ("direct (practitioner on site)", "direct"),
                    ("virtual direct (real-time audio and video)", "virtual_direct"),
                    ("general (available, not on site)", "general"), ("none", "none")],
}
_NUMBERS = {"reservoir_ml", "alarm_ml", "residual_ml", "expected_residual_ml"}
#: Groups that exist only when the visit has that part (their records need the part's own data).
_NEEDS_PARENT = {"pump", "refill", "reprogramming"}


def field_keys(ex: Exercise) -> list[tuple[str, str | None]]:
    """The (group, field) pairs this exercise can record, in chart order."""
    enc = ex.scenario.encounter
    out: list[tuple[str, str | None]] = []
    for group, fields in DOC_FIELDS.items():
        if group in _NEEDS_PARENT and getattr(enc, group) is None:
            continue
        names = [f for (g, f) in LABELS if g == group and (fields is None or f in fields)]
        out += [(group, f) for f in names]
    return out


def _label(key: tuple[str, str | None]) -> str:
    return LABELS[key]


def _message(exc: ValidationError, where: dict[tuple[str, ...], str]) -> str:
    """The first problem, with the field's label instead of its path."""
    first = exc.errors(include_url=False)[0]
    loc = tuple(str(x) for x in first["loc"] if not isinstance(x, int))
    label = next((lbl for path, lbl in where.items() if loc[:len(path)] == path), "One of your entries")
    kind = first["type"]
    if kind in ("decimal_parsing", "float_parsing", "decimal_type", "greater_than", "less_than_equal"):
        what = "write a number of mL, e.g. 2.5"
    elif kind.startswith("date"):
        what = "write a date as YYYY-MM-DD, e.g. 2030-01-31"
    else:
        what = str(first["msg"]).removeprefix("Value error, ")
    return f"{label}: {what}"


class DocForm:
    def __init__(self, ex: Exercise) -> None:
        self.ex = ex
        self.fields: dict[tuple[str, str | None], W.Widget] = {}
        sections: dict[str, list[W.Widget]] = {}
        for key in field_keys(ex):
            group, name = key
            if (name or group) in CHOICES:
                w: W.Widget = W.Dropdown(options=CHOICES[name or group], value=None, description=_label(key),
                                         style={"description_width": "initial"})
            else:
                w = W.Text(description=_label(key), continuous_update=True, style={"description_width": "initial"},
                           layout=W.Layout(width="min(100%, 34em)"))
            self.fields[key] = w
            sections.setdefault(GROUPS[group], []).append(w)
        parts: list[W.Widget] = [W.HTML("<p><b>Record what the note is missing.</b> Fill in only what you would "
                                        "add to the note; leave the rest empty.</p>")]
        for title, ws in sections.items():
            parts += [W.HTML(f"<p style='margin:.5em 0 .1em'><b>{title}</b></p>"), *ws]
        self.box = W.VBox(parts)

    def widgets(self) -> list[W.Widget]:
        return list(self.fields.values())

    def documentation(self) -> dict[str, Any]:
        """The filled fields as the grader's mapping ({"pump": {"model": ...}, "next_refill_date": ...})."""
        doc: dict[str, Any] = {}
        for (group, name), w in self.fields.items():
            value = w.value.strip() if isinstance(w.value, str) else w.value
            if value in (None, ""):
                continue
            if name in _NUMBERS:
                try:
                    value = float(value)
                except ValueError:
                    raise ValueError(f"{_label((group, name))}: write a number of mL, e.g. 2.5") from None
            if name is None:
                doc[group] = value
            else:
                doc.setdefault(group, {})[name] = value
        self.check(doc)
        return doc

    def check(self, doc: dict[str, Any]) -> None:
        """Would the note accept these values? ValueError in plain words, naming the field's label."""
        data = self.ex.scenario.model_dump(mode="json", exclude_none=True)
        data["encounter"] = _merge(data["encounter"], doc)
        try:
            Scenario.model_validate(data)
        except ValidationError as exc:
            where = {("encounter", g, *((n,) if n else ())): _label((g, n)) for (g, n) in self.fields}
            raise ValueError(_message(exc, where)) from None

    def fill(self, doc: dict[str, Any]) -> None:
        """Type a documentation answer into the form (tests)."""
        for (group, name), w in self.fields.items():
            value = doc.get(group) if name is None else (doc.get(group) or {}).get(name)
            if isinstance(w, W.Dropdown):
                w.value = value
            else:
                w.value = "" if value is None else str(value)

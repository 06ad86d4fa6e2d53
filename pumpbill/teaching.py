"""The book's teaching kit: the canonical synthetic visits and the display helpers.

Every chapter checks variants of the same few fully documented, synthetic
visits. They live here once, so a page holds its prose and its examples, not
plumbing. Nothing here needs pandas; IPython is imported only when a helper
returns something to display (the core stays importable in Pyodide).
"""

from __future__ import annotations

import copy
from html import escape
from typing import Any

from .engine import CheckResult, check
from .loader import scenario_from_data
from .render import findings_list, lines_table, notes_list

#: Rule pages, relative to a chapter page (book/<part>/<page>.md).
RULES = "../reference/rules/"
#: The diagnoses of the canonical visits: the pump management, then the condition.
DX = ["Z45.1", "G80.1"]

#: A baclofen refill from a single-dose ampule the practice bought, nothing wasted.
REFILL: dict[str, Any] = {
    "drug": "baclofen", "concentration": "2000 mcg/mL", "volume_added_ml": 20, "supplied_by": "practice",
    "container": "single_dose", "discarded": "0 mg", "residual_ml": 3, "expected_residual_ml": 3,
    "lot": "SYN-001", "port": "central reservoir port",
}
#: A fully documented, synthetic office refill by a nurse under direct supervision, dose unchanged.
NURSE_REFILL: dict[str, Any] = {
    "date": "2026-03-02", "place_of_service": "11", "payer": "medicare",
    "performed_by": "clinical_staff", "supervising_practitioner": "Dr. Example", "supervision": "direct",
    "pump": {"type": "programmable", "route": "intrathecal", "manufacturer": "Medtronic",
             "model": "SynchroMed II 40 mL"},
    "services": {"analysis": True, "reprogramming": False, "refill": True},
    "interrogation": {"reservoir_ml": 3, "alarms": "none", "battery": "OK"},
    "refill": REFILL,
    "prescription": {"daily_dose": "400 mcg"},
    "next_refill_date": "2026-05-25",
    "diagnoses": DX,
}
#: The same visit done personally by the physician.
PHYSICIAN_REFILL: dict[str, Any] = {
    **{k: v for k, v in NURSE_REFILL.items() if k not in ("supervising_practitioner", "supervision")},
    "performed_by": "physician",
    "physician_reason": "dose titration after a fall in spasticity control",
}
#: A documented dose increase (reprogramming) with its reason and values.
DOSE_UP: dict[str, Any] = {"changes": ["daily_dose"], "reason": "increased lower-limb spasticity",
                           "old_value": "400 mcg/day", "new_value": "450 mcg/day"}
VISITS = {"nurse": NURSE_REFILL, "physician": PHYSICIAN_REFILL}

#: Dates of service inside the quarters the shipped CMS tables were published for, so that a page showing a
#: lookup reads cleanly: the PTP table v32.3 (2026-10-01 to 2026-12-31) and the practitioner MUE table 2026 Q2.
PTP_DOS = "2026-10-05"
MUE_DOS = "2026-05-04"


def on(dos: str) -> dict[str, Any]:
    """Overrides moving a canonical visit to another date of service, its documented next refill date moved
    with it (same interval): ``case(**on(PTP_DOS), claim=...)``."""
    from datetime import date, timedelta

    interval = date.fromisoformat(NURSE_REFILL["next_refill_date"]) - date.fromisoformat(NURSE_REFILL["date"])
    return {"date": dos, "next_refill_date": (date.fromisoformat(dos) + timedelta(days=interval.days)).isoformat()}


def encounter(base: str | dict[str, Any] = "nurse", **over: Any) -> dict[str, Any]:
    """A deep copy of a canonical visit with ``over`` applied; drops the refill parts when none was done."""
    enc = copy.deepcopy(VISITS[base] if isinstance(base, str) else base)
    enc.update(copy.deepcopy(over))
    if not enc.get("services", {}).get("refill"):
        enc.pop("refill", None)
        enc.pop("next_refill_date", None)
    return enc


def case(claim: list[dict[str, Any]] | None = None, base: str | dict[str, Any] = "nurse",
         **over: Any) -> CheckResult:
    """Check a variant of a canonical visit (and, if given, a billed claim) with the engine."""
    data: dict[str, Any] = {"encounter": encounter(base, **over)}
    if claim is not None:
        data["claim"] = {"lines": claim}
    return check(scenario_from_data("example", data))


def codes(result: CheckResult) -> list[str]:
    """The recommended codes, with modifiers and units, as a coder writes them (J0475-JZ x4)."""
    out = []
    for ln in result.recommended:
        mods = "-".join(sorted(ln.modifiers))
        out.append(ln.code + (f"-{mods}" if mods else "") + (f" x{ln.units}" if ln.units != 1 else ""))
    return out


def service(result: CheckResult) -> str | None:
    svc = result.selection.service
    return svc.code if svc else None


def table_html(headers: list[str], rows: list[list[Any]]) -> str:
    """A plain table; cells are HTML already (escape text before passing it)."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='pumpbill-table'><tr>{head}</tr>{body}</table>"


def result_html(result: CheckResult, *, link_base: str = RULES, findings: bool = True) -> str:
    """The findings on the billed claim (unless ``findings=False``), then what the note supports and why."""
    supported = ("<p><b>What the note supports</b></p>" + lines_table(result.recommended)
                 + notes_list(result.selection.notes))
    if not findings:
        return supported
    return ("<p><b>Findings on the billed claim</b></p>" + findings_list(result.findings, link_base=link_base)
            + supported)


def table(headers: list[str], rows: list[list[Any]]):
    """Display a table in a notebook."""
    from IPython.display import HTML

    return HTML(table_html(headers, rows))


def show(result: CheckResult, *, link_base: str = RULES, findings: bool = True):
    """Display a check: the findings on the billed claim (``findings=False``: none was billed), then what the
    note supports and why."""
    from IPython.display import HTML

    return HTML(result_html(result, link_base=link_base, findings=findings))


def glue(name: str, value: Any) -> None:
    """Make ``value`` pasteable in the page's prose as {glue:text}`name` (figures are rendered, never typed).

    A no-op where myst-nb is absent (the live notebook in the browser), so a page's setup cell still runs there.
    """
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    _glue(name, value, display=False)


def dollars(amount: Any, na: str = "not payable (NA)") -> str:
    """A CMS dollar amount as $1,234.56, or ``na`` when the file has none (facility NA)."""
    return na if amount is None else f"${amount:,.2f}"


def payment_table_html(codes: list[str], years: tuple[int, ...] = (2026, 2025)) -> str:
    """The CMS national PFS figures of ``codes`` for each year, with the source file and conversion factor.

    Every figure comes from the shipped CMS data (pumpbill.cms); a code missing from a year's file shows "-".
    """
    from . import cms

    rows, sources = [], {}
    for code in codes:
        pays = [cms.payment(code, y) for y in years]
        first = next((p for p in pays if p is not None), None)
        row = [f"<code>{escape(code)}</code>", escape(str(first.global_period)) if first else "-",
               escape(str(first.pctc)) if first else "-"]
        for y, p in zip(years, pays, strict=True):
            if p is None:
                row += ["-", "-", "-"]
                continue
            sources.setdefault(y, p)
            row += [escape(str(p.work_rvu)), dollars(p.office), dollars(p.facility)]
        rows.append(row)
    headers = ["Code", "Global", "PC/TC"] + [f"{y} {h}" for y in years
                                             for h in ("work RVU", "office (non-facility)", "facility")]
    cite = "; ".join(f"{y}: {escape(str(p.source))}, conversion factor ${p.conversion_factor}"
                     for y, p in sorted(sources.items(), reverse=True))
    return table_html(headers, rows) + f"<p><small>National amounts (no geographic adjustment). Source: {cite}." \
        "</small></p>"


def payment_table(codes: list[str], years: tuple[int, ...] = (2026, 2025)):
    """Display :func:`payment_table_html` in a notebook."""
    from IPython.display import HTML

    return HTML(payment_table_html(codes, years))

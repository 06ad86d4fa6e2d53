"""Rules for the procedures around the pump (FACTS sections 5 and 9): the intrathecal screening trial's drug
line, fluoroscopy add-on codes without a primary procedure, and a pump service inside the global period of an
implant or removal.

A replacement billed as removal + implant (62365 + 62362) is not a rule of its own here: the shipped CMS
outpatient-hospital PTP table pairs 62362 (column 1) with 62365 (column 2) at modifier indicator 0, and PB108
reports that pair with the table named.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from .. import cms
from ..facts import BACLOFEN_TRIAL, PUMP_SERVICE_CODES
from .registry import Context, Hit, rule

#: The fluoroscopic guidance add-on codes (global ZZZ): reportable only with a primary procedure CPT lists.
IMAGING_ADD_ON_CODES: tuple[str, ...] = ("77002", "77003")
#: The refill drug code a trial bolus is sometimes billed with by mistake (baclofen, per 10 mg).
REFILL_BACLOFEN_CODE = "J0475"


# --- the global period of a prior implant or removal ------------------------------------------


def global_period(code: str, when: date) -> tuple[str, int] | None:
    """The CMS PFS global indicator of ``code`` and the fee-schedule year it was read from.

    The year of ``when`` when pumpbill ships that year's table, else the nearest shipped year (a global
    indicator rarely changes; the year is returned so a message can name it). None when no shipped table
    has the code.
    """
    years = cms.payment_years()
    for year in sorted(years, key=lambda y: (abs(y - when.year), -y)):
        p = cms.payment(code, year)
        if p is not None:
            return p.global_period, year
    return None


def global_days(indicator: str) -> int | None:
    """The post-operative days of a numeric global indicator ("010" -> 10, "090" -> 90, "000" -> 0).

    None for the indicators that are not a period of days after a procedure: XXX (the concept does not
    apply), ZZZ (an add-on code: the primary's period applies), YYY, MMM and anything else.
    """
    text = indicator.strip()
    return int(text) if text.isdigit() else None


def global_window(code: str, when: date) -> tuple[date, date, str, int] | None:
    """(first day, last day, indicator, fee-schedule year) of the global period of ``code`` done on ``when``:
    the day of the procedure and the ``N`` days after it. None when the code has no numeric global."""
    found = global_period(code, when)
    if found is None:
        return None
    indicator, year = found
    days = global_days(indicator)
    if days is None:
        return None
    return when, when + timedelta(days=days), indicator, year


# --- the rules ---------------------------------------------------------------------------------


@rule("PB109", "imaging-add-on-without-primary", "error",
      title="Fluoroscopy add-on code billed without its primary procedure",
      message="{code} is an add-on code (global ZZZ), reportable only with a primary procedure CPT lists for it; "
              "none of the codes on this claim is a primary CPT lists for it",
      fix="Remove {code}; if imaging was needed and documented, ask the payer how it wants guidance reported",
      what="Fluoroscopic guidance 77002 or 77003 billed on a claim that has no primary procedure CPT lists for "
           "the add-on code. pumpbill knows no such primary among the codes it checks: the pump-service codes, "
           "the implant and removal family and the trial injections are not on the lists it knows.",
      why="An add-on code (global ZZZ) describes extra work done with a primary procedure and is paid only with "
          "one of the primaries CPT lists for it. The pump-service codes are not among them, so with a refill the "
          "line has nothing to attach to. Ultrasound (76942) and CT (77012) guidance are stand-alone codes: they "
          "are a payer-policy question (PB106), not this error.",
      correct="Bill 77002/77003 only with a primary procedure CPT lists for them; for a pump visit, bill no "
              "fluoroscopy add-on and document why any imaging was used.",
      source="imaging", supersedes=("PB106",))
def imaging_add_on_without_primary(ctx: Context) -> Iterator[Hit]:
    for i, ln in ctx.billed(IMAGING_ADD_ON_CODES):
        yield Hit(i, {"code": ln.code})


def _trial_drug_units(ctx: Context) -> int | None:
    """The J0476 units the engine recommends for the documented trial, or None when it recommends no drug line
    (facility setting, or the drug not bought by the practice)."""
    for line in ctx.selection.procedures:
        if line.code == BACLOFEN_TRIAL.hcpcs:
            return line.units
    return None


@rule("PB218", "trial-billed-as-refill-drug", "error",
      title="Trial bolus billed with the wrong baclofen code or units",
      message="the {dose} intrathecal trial bolus is billed as {billed}; the trial code is J0476, per 50 mcg: "
              "{expected}",
      fix="Bill J0476 x {units}",
      what="A screening-trial claim whose baclofen line is J0475 (the pump-refill code, per 10 mg) instead of "
           "J0476 (the trial code, per 50 mcg), or whose J0476 units do not match the bolus.",
      why="The trial bolus is measured in micrograms and has its own code: J0476, one unit per 50 mcg. J0475 is "
          "for baclofen placed in a pump, per 10 mg; one unit of it claims two hundred times a 50 mcg bolus. "
          "The mirror mistake, the trial code on a refill, is PB209.",
      correct="Trial: the injection code and J0476 x the bolus in mcg / 50, rounded up (only when the practice "
              "bought the drug and bills in an office-type setting).",
      source="trial", supersedes=("PB208", "PB213"))
def trial_billed_as_refill_drug(ctx: Context) -> Iterator[Hit]:
    trial = ctx.enc.trial
    if trial is None or ctx.enc.services.refill:
        return  # a refill claim's baclofen lines are PB202/PB209's
    units = _trial_drug_units(ctx)
    if units is None:
        return  # no drug line is due: PB705 (facility setting) or PB208 (not bought by the practice) says why
    for i, ln in ctx.billed((REFILL_BACLOFEN_CODE,)):
        yield Hit(i, {"dose": trial.dose, "billed": f"{ln.code} x {ln.units} (the refill code, per 10 mg)",
                      "expected": f"J0476 x {units}", "units": units})
    for i, ln in ctx.billed((BACLOFEN_TRIAL.hcpcs,)):
        if ln.units != units:
            yield Hit(i, {"dose": trial.dose, "billed": f"J0476 x {ln.units}", "expected": f"J0476 x {units}",
                          "units": units})


@rule("PB606", "refill-in-global-period", "warning",
      title="Pump service inside the global period of an implant or removal",
      message="{service} on {dos}, {days} day(s) after {code} on {when}: inside its {indicator}-day global period "
              "(to {end}; CMS PFS {year}); hold for review",
      fix="Hold for review: a pump service in the global period may be part of the surgical package; document "
          "why it was needed (a complication, a dose change, an unplanned refill) and check the payer's rules",
      what="A pump service (analysis, reprogramming or refill) on a date inside the global period of a prior "
           "implant or removal (the CMS fee schedule's global indicator, e.g. 010: the day of the procedure and "
           "the 10 days after).",
      why="Follow-up care inside a surgical global period is paid with the procedure. A pump is filled when it is "
          "implanted, so a refill within days of the implant is rare and needs a reason; whether a given pump "
          "service is separately payable inside the global is not settled here (low confidence).",
      correct="Bill the pump service after the global period ends, or hold it for review with the reason "
              "documented.",
      source="global-refill")
def refill_in_global_period(ctx: Context) -> Iterator[Hit]:
    prior = ctx.enc.prior_procedure
    if prior is None:
        return
    billed = ctx.billed(PUMP_SERVICE_CODES)
    if not billed and not ctx.enc.services.any:
        return
    window = global_window(prior.code, prior.date)
    if window is None:
        return
    start, end, indicator, year = window
    if not start <= ctx.dos <= end:
        return
    service = billed[0][1].code if billed else "a documented pump service"
    yield Hit(billed[0][0] if billed else None,
              {"service": service, "dos": ctx.dos.isoformat(), "days": (ctx.dos - start).days, "code": prior.code,
               "when": start.isoformat(), "indicator": indicator, "end": end.isoformat(), "year": year})

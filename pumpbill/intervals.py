"""Refill intervals (FACTS section 7): days to the low-reservoir alarm and the drug's own limits.

    daily volume (mL/day) = daily dose / concentration
    days to alarm         = (volume after refill - alarm volume) / daily volume

Example: 20 mL of 2000 mcg/mL baclofen at 400 mcg/day: 0.2 mL/day, (20 - 2) / 0.2 = 90 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from . import facts
from .models import Encounter
from .quantities import Amount, Concentration

#: Dates further out than this are not planned (a tiny dose would otherwise overflow the calendar).
MAX_PLAN_DAYS = 3650
#: Days to the alarm are capped here (about 270 years, "never" for any refill): a tiny dose or a huge
#: concentration would otherwise give 1e30 days, which the rules cannot round or print. The cap is longer
#: than any interval between two supported dates (pumpbill.dates), so comparisons with it stay right.
MAX_ALARM_DAYS = Decimal(100_000)


def daily_volume_ml(daily_dose: Amount, concentration: Concentration) -> Decimal:
    return daily_dose.to("mcg") / concentration.per_ml("mcg")


def days_to_alarm(volume_ml: Decimal, alarm_ml: Decimal, daily_dose: Amount, concentration: Concentration) -> Decimal:
    """Days until the reservoir reaches the alarm volume; 0 if it starts at or below it, at most MAX_ALARM_DAYS."""
    per_day = daily_volume_ml(daily_dose, concentration)
    if per_day <= 0:
        raise ValueError("daily dose must be greater than zero")
    left = volume_ml - alarm_ml
    if left <= 0:
        return Decimal(0)
    if left >= per_day * MAX_ALARM_DAYS:  # compared before dividing, so no huge quotient is ever formed
        return MAX_ALARM_DAYS
    return left / per_day


def supplied_undiluted(concentration: Concentration) -> bool:
    """Ziconotide is supplied only as 25 and 100 mcg/mL: any other concentration was diluted (labelling)."""
    return concentration.per_ml("mcg") in facts.ZICONOTIDE_SUPPLIED_MCG_PER_ML


def drug_limit_days(drug: str, *, first_refill: bool, undiluted: bool | None,
                    concentration: Concentration | None = None) -> tuple[int, str] | None:
    """The labelled maximum interval, where the reference has one (ziconotide only; high, manufacturer).

    A concentration the drug is not supplied at is diluted whatever the note says, so the 40-day limit holds.
    """
    if drug != "ziconotide":
        return None
    if first_refill:
        return facts.ZICONOTIDE_FIRST_REFILL_DAYS, "ziconotide: first refill of a new pump within 14 days"
    if concentration is not None and not supplied_undiluted(concentration):
        return (facts.ZICONOTIDE_DILUTED_DAYS,
                "ziconotide diluted (not a supplied concentration): at least every 40 days")
    if undiluted:
        return facts.ZICONOTIDE_UNDILUTED_DAYS, "ziconotide undiluted: at least every 84 days"
    note = "" if undiluted is False else " (dilution not documented: the 40-day limit is assumed)"
    return facts.ZICONOTIDE_DILUTED_DAYS, "ziconotide diluted: at least every 40 days" + note


@dataclass(frozen=True)
class Interval:
    """The interval since the previous refill against what the pump and dose allowed."""

    actual_days: int
    alarm_days: Decimal | None  # None when dose or concentration is unknown
    limit: tuple[int, str] | None


def alarm_volume(enc: Encounter) -> Decimal:
    return enc.pump.alarm_ml if enc.pump and enc.pump.alarm_ml is not None else facts.DEFAULT_ALARM_ML


def since_previous(enc: Encounter) -> Interval | None:
    prev, refill = enc.previous_refill, enc.refill
    if prev is None or refill is None or not enc.services.refill:
        return None
    conc_text = prev.concentration or refill.concentration
    dose_text = prev.daily_dose or (enc.prescription.daily_dose if enc.prescription else None)
    alarm_days = None
    if dose_text:
        alarm_days = days_to_alarm(prev.volume_ml, alarm_volume(enc), Amount.parse(dose_text),
                                   Concentration.parse(conc_text))
    undiluted = prev.undiluted if prev.undiluted is not None else refill.undiluted
    limit = drug_limit_days(refill.drug, first_refill=enc.first_refill_after_implant, undiluted=undiluted,
                            concentration=Concentration.parse(conc_text))
    return Interval((enc.date - prev.date).days, alarm_days, limit)


def _later(start: date, days: int) -> date:
    """start + days, or a ValueError a person can read (not an OverflowError) past the calendar's end."""
    try:
        return start + timedelta(days=days)
    except OverflowError:
        raise ValueError(f"{start.isoformat()} plus {days} days is past the end of the calendar") from None


@dataclass(frozen=True)
class Plan:
    """After this refill: when the alarm sounds and the latest safe refill date."""

    daily_volume_ml: Decimal
    alarm_days: Decimal
    alarm_date: date
    latest_refill: date
    limit: tuple[int, str] | None


def plan(start: date, volume_ml: Decimal, alarm_ml: Decimal, daily_dose: Amount, concentration: Concentration,
         drug: str = "baclofen", *, first_refill: bool = False, undiluted: bool | None = None) -> Plan:
    """The refill planner: days to alarm, alarm date, and the drug's limit if it comes first."""
    days = days_to_alarm(volume_ml, alarm_ml, daily_dose, concentration)
    alarm_date = _later(start, min(int(days), MAX_PLAN_DAYS))
    limit = drug_limit_days(drug, first_refill=first_refill, undiluted=undiluted, concentration=concentration)
    # the latest refill is the day before the alarm date (FACTS section 7), never beyond the drug's limit
    before_alarm = alarm_date - timedelta(days=1) if alarm_date > start else start
    latest = before_alarm if limit is None else min(before_alarm, _later(start, limit[0]))
    return Plan(daily_volume_ml(daily_dose, concentration), days, alarm_date, latest, limit)


def plan_for(enc: Encounter) -> Plan | None:
    """The plan after this encounter's refill, when the prescription's daily dose is documented."""
    r = enc.refill
    if r is None or not enc.services.refill or not enc.prescription or not enc.prescription.daily_dose:
        return None
    return plan(enc.date, r.volume_added_ml, alarm_volume(enc), Amount.parse(enc.prescription.daily_dose),
                r.concentration_q, r.drug, first_refill=False, undiluted=r.undiluted)

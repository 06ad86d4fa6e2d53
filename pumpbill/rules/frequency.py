"""PB6xx: refill intervals against the pump, the dose and the drug's limits (FACTS section 7)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

from ..facts import SHORT_INTERVAL_RATIO
from ..intervals import supplied_undiluted
from ..quantities import fmt
from .registry import Context, Hit, rule

SRC = "labelling"


def _days(d) -> str:
    return fmt(d.quantize(1) if d == d.to_integral() else round(d, 1))


@rule("PB601", "refill-interval-short", "warning",
      title="Refill much sooner than the pump needed",
      message="refill {actual} days after the previous one, but the pump and drug allowed {alarm} days (the "
              "earlier of the alarm and the drug's limit); under half the computed interval",
      fix="Document why the early refill was needed (interval_reason: dose increase, concentration change, "
          "alarm, malfunction)",
      what="A refill much sooner than the previous fill and dose allowed (under half the computed days to "
           "the low-reservoir alarm; the half is pumpbill's review threshold, not a payer rule).",
      why="Payers watch how often refills are billed. An early refill is fine with a reason; without one "
          "it looks like scheduling by routine rather than need.",
      correct="Schedule from the computed alarm date, or document the clinical reason for an early refill.",
      source=SRC)
def refill_interval_short(ctx: Context) -> Iterator[Hit]:
    iv = ctx.interval
    if ctx.enc.interval_reason:
        return
    if not iv or not iv.alarm_days:
        return
    planned = min(iv.alarm_days, Decimal(iv.limit[0])) if iv.limit else iv.alarm_days  # the drug's limit may come first
    if iv.actual_days < planned * SHORT_INTERVAL_RATIO:
        yield Hit(None, {"actual": iv.actual_days, "alarm": _days(planned)})


@rule("PB602", "refill-interval-beyond-alarm", "warning",
      title="Refill after the low-reservoir alarm date",
      message="refill {actual} days after the previous one; the low-reservoir alarm was due after {alarm} days",
      fix="Refill before the alarm date; document why this one was late (interval_reason), any alarm and the "
          "patient's status",
      what="A refill later than the computed low-reservoir alarm date.",
      why="Past the alarm the pump may run dry: baclofen withdrawal is dangerous. Auditors and risk "
          "managers read a late refill as a safety lapse.",
      correct="Set the next refill date before the alarm date computed from volume, dose and concentration.",
      source=SRC)
def refill_interval_beyond_alarm(ctx: Context) -> Iterator[Hit]:
    iv = ctx.interval
    if ctx.enc.interval_reason:
        return
    if iv and iv.alarm_days is not None and iv.actual_days > iv.alarm_days:
        yield Hit(None, {"actual": iv.actual_days, "alarm": _days(iv.alarm_days)})


@rule("PB603", "refill-interval-beyond-drug-limit", "warning",
      title="Refill interval beyond the drug's limit",
      message="refill {actual} days after the previous one, beyond the drug's limit of {limit} days ({label})",
      fix="Refill within the labelled interval and document the reason for any delay (interval_reason)",
      what="An interval longer than the drug's labelled limit (ziconotide: first refill within 14 days; "
           "then every 40 days diluted, 84 days undiluted).",
      why="Past the labelled stability limit the drug may no longer be reliable, whatever the reservoir "
          "volume. (A baclofen limit, often quoted as 180 days, was not verified and is not checked.)",
      correct="Plan the refill by the earlier of the alarm date and the drug's limit.",
      source="prialt")
def refill_interval_beyond_drug_limit(ctx: Context) -> Iterator[Hit]:
    iv = ctx.interval
    if ctx.enc.interval_reason:
        return
    if iv and iv.limit and iv.actual_days > iv.limit[0]:
        yield Hit(None, {"actual": iv.actual_days, "limit": iv.limit[0], "label": iv.limit[1]})


@rule("PB604", "next-refill-after-alarm", "warning",
      title="Next refill scheduled too late",
      message="next refill {next} is after {what} ({latest})",
      fix="Set the next refill on or before {latest}",
      what="A next refill date on or after the computed alarm date (the latest refill is the day before it), or "
           "later than the drug's limit, for this refill.",
      why="The plan in the note is what the patient follows: a date past the alarm leaves the pump to alarm "
          "or run dry.",
      correct="Next refill = the earlier of the alarm date and the drug's limit, with a margin.",
      source=SRC)
def next_refill_after_alarm(ctx: Context) -> Iterator[Hit]:
    nxt = ctx.enc.next_refill_date
    p = ctx.plan
    if nxt is None or p is None or nxt <= p.latest_refill:
        return
    limit_date = ctx.enc.date + timedelta(days=p.limit[0]) if p.limit else None
    what = (f"the drug's limit ({p.limit[1]})" if limit_date is not None and p.latest_refill == limit_date
            else f"the day before the computed alarm date ({p.alarm_date.isoformat()})")
    yield Hit(None, {"next": nxt.isoformat(), "what": what, "latest": p.latest_refill.isoformat()})


@rule("PB605", "ziconotide-dilution-inconsistent", "warning",
      title="Ziconotide recorded as undiluted at a diluted strength",
      message="ziconotide {conc} is recorded as undiluted, but it is supplied only as 25 and 100 mcg/mL: this "
              "concentration is diluted, so the 40-day limit applies",
      fix="Correct the note (undiluted: false) and plan refills within 40 days",
      what="A ziconotide refill recorded as undiluted at a concentration the drug is not supplied at.",
      why="Prialt is supplied only as 25 mcg/mL (20 mL vial) and 100 mcg/mL (1 mL and 5 mL vials). Any other "
          "concentration was diluted, and diluted ziconotide must be refilled at least every 40 days (84 days "
          "only undiluted).",
      correct="Ziconotide 10 mcg/mL: diluted, refill within 40 days.",
      source="prialt", since="0.2.0")
def ziconotide_dilution_inconsistent(ctx: Context) -> Iterator[Hit]:
    r = ctx.enc.refill
    if r is None or r.drug != "ziconotide" or not r.undiluted or supplied_undiluted(r.concentration_q):
        return
    yield Hit(None, {"conc": r.concentration})

"""PB808: payers and settings (FACTS section 9).

Medicare Advantage plans follow CMS coding, so the codes, units and diagnoses do not change; what a plan may add
is a prior authorization for the service. A payer profile says whether it wants one
(``prior_authorization_required``); the note records the authorization number in ``coverage.prior_authorization``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import IMPLANT_CODES
from ..models import Encounter
from .registry import Context, Hit, rule


def authorized_work(enc: Encounter) -> str | None:
    """What in the note a prior authorization would cover (a pump service, a trial, an implant or removal), or
    None when nothing was done (no service, or a session cancelled before it started)."""
    if enc.outcome == "cancelled":
        return None
    parts = []
    if enc.services.any:
        parts.append("a pump service")
    if enc.trial is not None:
        parts.append(f"a trial injection ({enc.trial.code})")
    procs = [c for c in dict.fromkeys(enc.other_procedures) if c in IMPLANT_CODES]
    if procs:
        parts.append("an implant or removal procedure (" + ", ".join(procs) + ")")
    return " and ".join(parts) or None


def prior_authorization_number(enc: Encounter) -> str | None:
    cov = enc.coverage
    number = cov.prior_authorization if cov is not None else None
    return number.strip() if number and number.strip() else None


@rule("PB808", "prior-authorization-missing", "warning",
      title="Payer wants a prior authorization: none recorded",
      message="payer '{payer}' requires a prior authorization for {what}; the note records no authorization number",
      fix="Record the plan's authorization number (coverage.prior_authorization), or obtain one before the "
          "service (check the plan's provider manual for which services need one)",
      what="A pump service, trial injection or pump procedure for a payer whose profile requires prior "
           "authorization, with no authorization number in the note.",
      why="Medicare Advantage plans follow CMS coding, so the claim lines are the same as for Original Medicare, "
          "but a plan may require a prior authorization for the service, and a plan that requires one may deny a "
          "claim without it however well it is coded. The ABN is an Original Medicare notice and does not replace "
          "it. Whether a given plan requires one, and for which services, is in its provider manual (medium).",
      correct="'Prior authorization SYN-PA-0001 on file, valid for the refill.' The codes stay those CMS coding "
              "gives.",
      source="payers-settings", since="0.3.0")
def prior_authorization_missing(ctx: Context) -> Iterator[Hit]:
    if not ctx.profile.prior_authorization_required or prior_authorization_number(ctx.enc):
        return
    what = authorized_work(ctx.enc)
    if what:
        yield Hit(None, {"payer": ctx.profile.name, "what": what})

"""PB311-PB314: how the session ended (52, 53, 73/74, a cancellation) and a second session the same day
(FACTS section 5: modifiers 52/53 and 73/74, medium; a second session, medium-high).

The engine reads ``encounter.outcome``: reduced -> 52 on the service line, discontinued -> 53 and no drug line,
cancelled -> nothing billed. These rules compare the billed claim with that, and catch the repeat/bypass
modifiers used to get a second pump session paid on one date.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..edits import LookupResult
from ..facts import (
    DISCONTINUED_MODIFIER,
    DRUG_CODES,
    FACILITY_DISCONTINUED_MODIFIERS,
    NCCI_BYPASS_MODIFIERS,
    NOC_DRUG_CODES,
    PUMP_SERVICE_CODES,
    REDUCED_MODIFIER,
    REPEAT_MODIFIERS,
    TRIAL_INJECTION_CODES,
)
from .registry import Context, Hit, rule

#: The lines whose modifiers say how the session ended: the pump service and the trial injection.
SESSION_CODES: tuple[str, ...] = PUMP_SERVICE_CODES + tuple(TRIAL_INJECTION_CODES)
#: Every drug line a pump visit or a trial can carry.
ALL_DRUG_CODES: frozenset[str] = DRUG_CODES | frozenset(NOC_DRUG_CODES)
#: The modifiers used to try to get a second session of the same service paid on one date.
BYPASS_MODIFIERS: frozenset[str] = REPEAT_MODIFIERS | NCCI_BYPASS_MODIFIERS

OUTCOME_MODIFIER = {"reduced": REDUCED_MODIFIER, "discontinued": DISCONTINUED_MODIFIER}
MEANING = {REDUCED_MODIFIER: "reduced service", DISCONTINUED_MODIFIER: "discontinued after it started"}


def _reason(ctx: Context) -> str:
    return f" ({ctx.enc.outcome_reason})" if ctx.enc.outcome_reason else ""


@rule("PB311", "facility-modifier-on-professional-claim", "error",
      title="Facility modifier 73 or 74 on the practitioner's claim",
      message="modifier {mod} on {code}: 73 and 74 report a discontinued procedure on the facility's claim "
              "(hospital outpatient department or ASC), not on the practitioner's",
      fix="{fix_text}",
      what="Modifier 73 or 74 on a line of the practitioner's (professional) claim.",
      why="73 and 74 are the facility's version of a discontinued procedure: the hospital outpatient department or "
          "the ambulatory surgical center reports them on its own claim. The practitioner reports a service stopped "
          "after it started with 53, and a reduced one with 52; the two claims are separate even for the same "
          "session.",
      correct="A physician stops a refill in the hospital outpatient department because the port cannot be "
              "accessed: the practitioner bills the service with 53; the hospital decides its own modifier.",
      source="modifiers-52-53", since="0.3.0")
def facility_modifier_on_professional_claim(ctx: Context) -> Iterator[Hit]:
    expected = OUTCOME_MODIFIER.get(ctx.enc.outcome)
    for i, ln in enumerate(ctx.lines, 1):
        for mod in sorted(set(ln.modifiers) & FACILITY_DISCONTINUED_MODIFIERS):
            if expected and ln.code in SESSION_CODES:
                fix_text = f"Replace {mod} with {expected} on {ln.code} ({MEANING[expected]})"
            else:
                fix_text = f"Remove {mod} from {ln.code}"
            yield Hit(i, {"mod": mod, "code": ln.code, "fix_text": fix_text})


@rule("PB312", "reduced-discontinued-modifier-missing", "error",
      title="Modifier 52 or 53 doesn't match how the service ended",
      message="{code}: {problem}",
      fix="{fix_text}",
      what="The note records the service as reduced or discontinued, and the service line lacks the matching "
           "modifier (52 reduced, 53 discontinued) or carries the other one; or the note records it as completed "
           "and the line carries 52 or 53.",
      why="52 says less than the full service was done; 53 says the physician stopped the service after it "
          "started (for example, the port could not be accessed). The payer prices and reviews the line by that "
          "modifier: without it the claim reports a full service that did not happen, and with the wrong one (or "
          "one on a completed service) it misstates what was done. A discontinued refill placed no drug, so it "
          "has no drug line either.",
      correct="Refill stopped after the needle could not reach the port: the service code with 53, no drug line. "
              "Service reduced: the code with 52. Completed: no 52 or 53.",
      source="modifiers-52-53", since="0.3.0")
def reduced_discontinued_modifier_missing(ctx: Context) -> Iterator[Hit]:
    outcome = ctx.enc.outcome
    if outcome == "cancelled":
        return  # PB313: nothing is billed at all
    codes = (PUMP_SERVICE_CODES if ctx.selection.service is not None else ()) + (
        tuple(TRIAL_INJECTION_CODES) if ctx.enc.trial is not None else ())
    if outcome == "completed":
        codes = SESSION_CODES
    for i, ln in ctx.billed(codes):
        mods = set(ln.modifiers)
        if outcome == "completed":
            for mod in sorted(mods & set(MEANING)):
                yield Hit(i, {"code": ln.code,
                              "problem": f"modifier {mod} ({MEANING[mod]}), but the note records the service as "
                                         "completed",
                              "fix_text": f"Remove {mod}, or document what was reduced or stopped and why"})
            continue
        expected = OUTCOME_MODIFIER[outcome]
        other = REDUCED_MODIFIER if expected == DISCONTINUED_MODIFIER else DISCONTINUED_MODIFIER
        if mods & FACILITY_DISCONTINUED_MODIFIERS and expected not in mods:
            continue  # PB311 says to replace the facility modifier with the right one
        if other in mods:
            yield Hit(i, {"code": ln.code,
                          "problem": f"modifier {other} ({MEANING[other]}), but the note records the service as "
                                     f"{outcome}{_reason(ctx)}",
                          "fix_text": f"Replace {other} with {expected} on {ln.code}"})
        elif expected not in mods:
            yield Hit(i, {"code": ln.code,
                          "problem": f"billed as a full service, but the note records it as {outcome}"
                                     f"{_reason(ctx)}: modifier {expected} ({MEANING[expected]}) is missing",
                          "fix_text": f"Append {expected} to {ln.code}"})


@rule("PB313", "cancelled-service-billed", "error",
      title="Cancelled service, or drug never placed, billed",
      message="{code} billed, but {state}",
      fix="Remove the {code} line",
      what="A pump-service, trial or drug line when the note records the service as cancelled before it started; "
           "or a drug line when the refill was discontinued before any drug was placed in the pump.",
      why="Modifier 53 is for a service the physician stopped after it started; it is not used for an elective "
          "cancellation before the service started (the patient declined, the visit was rescheduled). A cancelled "
          "service was not performed, so nothing is billed for it, with or without 53. A refill stopped before "
          "the drug went in placed no drug, so the drug line bills drug nobody received.",
      correct="Cancelled before it started: no pump-service, trial or drug line (document the reason). "
              "Discontinued after it started: the service with 53 and no drug line.",
      source="modifiers-52-53", since="0.3.0", supersedes=("PB311", "PB302", "PB303", "PB305"))
def cancelled_service_billed(ctx: Context) -> Iterator[Hit]:
    outcome = ctx.enc.outcome
    if outcome == "cancelled":
        state = (f"the note records it as cancelled before it started{_reason(ctx)}: nothing was done, so nothing "
                 "is billed (53 is not for an elective cancellation before the service started)")
        for i, ln in ctx.billed(set(SESSION_CODES) | ALL_DRUG_CODES):
            yield Hit(i, {"code": ln.code, "state": state})
    elif outcome == "discontinued" and (ctx.enc.services.refill or ctx.enc.trial is not None):
        state = (f"the service was discontinued{_reason(ctx)} before any drug was given: no drug line "
                 "(only the service, with 53)")
        for i, ln in ctx.billed(ALL_DRUG_CODES):
            yield Hit(i, {"code": ln.code, "state": state})


@rule("PB314", "repeat-session-bypass", "error",
      title="Second pump session billed with 76, 77, 59 or an X modifier",
      message="{code}-{mods} billed as another session on the same date: {blocker}, so no modifier bypasses it "
              "({sessions})",
      fix="Bill {code} once, 1 unit, without {mods}; {appeal}",
      what="A pump-service code on a second line of the same date's claim carrying 76 or 77 (repeat procedure), or "
           "59 or XE/XS/XP/XU when the note documents a second session, when the two lines are the same code or a "
           "pair no modifier bypasses; or 76/77 on the only pump-service line, repeating a session billed on "
           "another claim that day. (59/X splitting a single session is PB306.)",
      why="The one-code-per-session pairs of the pump-service codes have modifier indicator 0 and each code's "
          "MUE is one unit per day, so 76, 77, 59 and the X modifiers cannot bypass them: the second line is denied "
          "whatever it carries. A genuinely separate second session (the patient came back later that day) is "
          "documented in full and, if it is to be paid, appealed with the record (the MUE is date-of-service and "
          "clinical, adjudication indicator 3).",
      correct="One line, 1 unit, for the day; both sessions documented; a denial of the second appealed with the "
              "record.",
      source="second-session", since="0.3.0",
      supersedes=("PB001", "PB101", "PB102", "PB306"))
def repeat_session_bypass(ctx: Context) -> Iterator[Hit]:
    lines = ctx.billed(PUMP_SERVICE_CODES)
    n = ctx.enc.same_day_sessions
    sessions = (f"the note documents {n} separate sessions today" if n > 1 else
                "the note documents one session")
    for i, ln in lines:
        # 76/77 claim a repeat session by themselves; 59/X do so only next to another pump-service line when the
        # note documents a second session (otherwise they split one session: PB306)
        allowed = BYPASS_MODIFIERS if len(lines) > 1 and n > 1 else REPEAT_MODIFIERS
        mods = sorted(set(ln.modifiers) & allowed)
        if not mods:
            continue
        blocker, appeal = _blocker(ctx, ln.code, [o.code for j, o in lines if j != i])
        if blocker is None:
            continue  # a pair at modifier indicator 1 (96522 with 95990): PB108 judges the modifier
        yield Hit(i, {"code": ln.code, "mods": "-".join(mods), "blocker": blocker, "sessions": sessions,
                      "appeal": appeal if n > 1 else "the note documents no second session"})


def _blocker(ctx: Context, code: str, others: list[str]) -> tuple[str | None, str]:
    """Why no modifier can add this line next to the other pump-service lines: the same code's MUE, or a pair
    the tables mark modifier indicator 0 (or CPT's one-code-per-session instruction). None at indicator 1."""
    mue = ctx.edits.official_mue(code, ctx.dos)
    appeal = ("appeal a denial of the second session with the record" +
              (f" (MUE adjudication indicator {mue.mue_indicator})" if mue is not None and mue.mue_indicator else ""))
    if code in others or not others:  # the same code twice, or 76/77 repeating a session billed elsewhere
        if mue is not None and mue.mue is not None and mue.mue_indicator in ("2", "3"):
            return (f"{code} has an MUE of {mue.mue} per day, adjudication indicator {mue.mue_indicator}, counted "
                    f"over the date of service ({_table(mue)})"), appeal
        return f"{code} is one line per session (CPT: one pump-service code per session)", appeal
    for other in dict.fromkeys(others):
        pair = ctx.edits.pair(code, other, ctx.dos)
        if pair.answer == "applies" and pair.edit is not None and pair.edit.modifier_indicator != "1":
            e = pair.edit
            ind = (f"modifier indicator {e.modifier_indicator}" if e.modifier_indicator.isdigit()
                   else "a CPT instruction")
            return f"{e.column1}/{e.column2} is {ind} ({_table(pair)})", appeal
    return None, appeal


def _table(result: LookupResult) -> str:
    name = f"{result.table} {result.version}".strip()
    return name + ("" if result.official else ", not official NCCI data")

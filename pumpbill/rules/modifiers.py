"""PB3xx: modifiers 26/TC, JZ/JW, 59/X{EPSU}, 25 (FACTS sections 2, 3 and 5)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import (
    BACLOFEN_TRIAL,
    DRUG_CODES,
    EM_CODES,
    FACILITY_DRUG_POS,
    FAMILY_CODES,
    JW_REQUIRED_FROM,
    JZ_REQUIRED_FROM,
    NCCI_BYPASS_MODIFIERS,
    NOC_DRUG_CODES,
    PUMP_SERVICE_CODES,
)
from .registry import Context, Hit, rule

PCTC0 = FAMILY_CODES + ("95991",)


@rule("PB301", "pctc-modifier", "error",
      title="Modifier 26 or TC on a pump service",
      message="modifier {mod} on {code}: {code} has PC/TC indicator 0 (physician service); 26 and TC do not apply",
      fix="Remove modifier {mod} from {code}",
      what="Modifier 26 (professional component) or TC (technical component) on 62367-62370 or 95991.",
      why="These codes have PC/TC indicator 0 in the fee schedule: there is no professional/technical "
          "split. In a facility the practitioner bills the code without a modifier and is paid the facility rate.",
      correct="Bill the code plain; the place of service sets the rate.",
      source="pfs-2026")
def pctc_modifier(ctx: Context) -> Iterator[Hit]:
    for i, ln in ctx.billed(PCTC0):
        for mod in ("26", "TC"):
            if mod in ln.modifiers:
                yield Hit(i, {"mod": mod, "code": ln.code})


def single_dose_bought_here(ctx: Context) -> bool:
    """A single-dose drug the practice bought and may bill here (not in a facility, where the facility bills it):
    the drug line JZ/JW are about, whatever the payer."""
    r = ctx.enc.refill
    return bool(r and ctx.enc.services.refill and r.supplied_by == "practice" and r.container == "single_dose"
                and not r.compounded  # a compounded drug's line is the NOC line (PB214; JZ checked in PB302)
                and ctx.drug is not None and ctx.enc.place_of_service not in FACILITY_DRUG_POS)


def _single_dose_bought(ctx: Context, since=JZ_REQUIRED_FROM) -> bool:
    """That drug, billed to a payer that requires JZ/JW (Medicare Part B) on a date the modifier was required."""
    return single_dose_bought_here(ctx) and ctx.dos >= since and ctx.profile.jz_jw_required


@rule("PB302", "jz-missing", "error",
      title="Single-dose drug billed without JZ or JW",
      message="{code} from a single-dose container billed without JZ or JW ({state})",
      fix="Append JZ to the {code} line",
      what="A separately payable drug from a single-dose container with no billable discard, billed without JZ.",
      why="Since 2023-07-01 Medicare requires JZ to attest that nothing was discarded (claims edits from "
          "2023-10-01); claims without JZ or JW can be returned. Rounding up to whole units covers a small "
          "remainder (36 mg from a 40 mg ampule is 4 units, JZ). JZ/JW are Medicare Part B rules: the payer "
          "profile decides for other payers.",
      correct="J0475 JZ x 4 for 40 mg of baclofen with nothing discarded.",
      source="jw-jz")
def jz_missing(ctx: Context) -> Iterator[Hit]:
    # The trial bolus (J0476) the engine gives JZ. A compounded drug's NOC line is not checked: whether a
    # pharmacy-compounded syringe is a single-dose container is not settled (the engine recommends JZ, verify).
    trial_jz = {ln.code for ln in ctx.selection.procedures if ln.code == BACLOFEN_TRIAL.hcpcs and "JZ" in ln.modifiers}
    for i, ln in ctx.billed(trial_jz):
        if "JZ" not in ln.modifiers and "JW" not in ln.modifiers:
            yield Hit(i, {"code": ln.code, "state": "trial bolus from single-dose ampules, nothing discarded"})
    if not _single_dose_bought(ctx) or ctx.drug.jw_units > 0:
        return
    state = ("the discard is not documented" if ctx.enc.refill.discarded is None
             else "nothing discarded beyond rounding")
    for i, ln in ctx.billed((ctx.drug.drug.hcpcs,)):
        if "JZ" not in ln.modifiers and "JW" not in ln.modifiers:
            yield Hit(i, {"code": ln.code, "state": state})


@rule("PB303", "jw-missing", "error",
      title="Discarded drug not billed on a JW line",
      message="{discarded} of {drug} discarded ({jw} billing unit(s) beyond rounding), but no {code}-JW line",
      fix="Add a separate line {code} JW x {jw}, and document the discarded amount",
      what="A documented discard of billable size from a single-dose container with no JW line.",
      why="Since 2017-01-01 Medicare requires discarded drug from a single-dose container to be billed on "
          "its own line with JW and the amount documented; without it the discard is unpaid and the JW/JZ "
          "attestation is missing. Waste is billable only from a container size that fits the dose.",
      correct="Administered units on one line, discarded units on a second line with JW.",
      source="jw-jz")
def jw_missing(ctx: Context) -> Iterator[Hit]:
    if not _single_dose_bought(ctx, JW_REQUIRED_FROM) or ctx.drug.jw_units == 0:
        return
    du = ctx.drug
    jw_lines = [ln for _, ln in ctx.billed((du.drug.hcpcs,)) if "JW" in ln.modifiers]
    if not jw_lines and ctx.billed((du.drug.hcpcs,)):
        yield Hit(None, {"discarded": ctx.enc.refill.discarded, "drug": du.drug.name, "jw": du.jw_units,
                         "code": du.drug.hcpcs})


@rule("PB304", "jz-jw-not-applicable", "error",
      title="JZ or JW where it doesn't apply",
      message="{mod} on {code}: {reason}",
      fix="Remove {mod} from {code}",
      what="JZ or JW on a line where they do not apply: a non-drug code or a drug from a multi-dose container.",
      why="JZ/JW attest to the discard from single-dose containers of separately payable drugs. They are "
          "not used for multi-dose containers, for drugs the practice did not buy, or on service codes.",
      correct="Multi-dose container: the drug line carries neither JZ nor JW.",
      source="jw-jz")
def jz_jw_not_applicable(ctx: Context) -> Iterator[Hit]:
    refill = ctx.enc.refill
    for i, ln in enumerate(ctx.lines, 1):
        for mod in ("JZ", "JW"):
            if mod not in ln.modifiers:
                continue
            if ln.code not in DRUG_CODES and ln.code not in NOC_DRUG_CODES:
                yield Hit(i, {"mod": mod, "code": ln.code, "reason": "not a drug code"})
            elif refill is not None and refill.container == "multi_dose":
                yield Hit(i, {"mod": mod, "code": ln.code, "reason": "the drug came from a multi-dose container"})


@rule("PB305", "jz-with-discard", "error",
      title="JZ billed although drug was discarded",
      message="JZ on {code} attests that nothing was discarded, but the note records {discarded} discarded "
              "({jw} billable unit(s))",
      fix="Replace JZ with a separate JW line for the {jw} discarded unit(s)",
      what="JZ billed while the documented discard exceeds what rounding covers.",
      why="JZ is an attestation of zero waste. A JZ claim that contradicts the note is a false attestation.",
      correct="Administered units on one line (no JZ), discarded units on a JW line.",
      source="jw-jz")
def jz_with_discard(ctx: Context) -> Iterator[Hit]:
    if not _single_dose_bought(ctx, JW_REQUIRED_FROM) or ctx.drug.jw_units == 0:
        return
    for i, ln in ctx.billed((ctx.drug.drug.hcpcs,)):
        if "JZ" in ln.modifiers:
            yield Hit(i, {"code": ln.code, "discarded": ctx.enc.refill.discarded, "jw": ctx.drug.jw_units})


@rule("PB306", "ncci-modifier-on-pump-code", "error",
      title="Modifier 59 or X on a pump code with no edit to bypass",
      message="modifier {mod} on {code}: no billed code pairs with {code} at a modifier indicator that 59/X{{EPSU}} "
              "can bypass",
      fix="Remove {mod} and bill one pump-service code",
      what="Modifier 59, XE, XS, XP or XU on a pump-service code when no other billed code pairs with it at "
           "modifier indicator 1 in the CMS PTP rows.",
      why="These modifiers bypass only NCCI pair edits with modifier indicator 1, for truly distinct services. "
          "The CMS PTP rows that pair 62367-62370 with each other and with 95990/95991 cannot be bypassed, and a "
          "pump-service code's MUE is per day: using 59 to get two sessions paid is a classic audit target. A "
          "genuinely separate second session is appealed with the record.",
      correct="One pump-service code per session, without 59/X{EPSU}.",
      source="cpt-family")
def ncci_modifier_on_pump_code(ctx: Context) -> Iterator[Hit]:
    for i, ln in ctx.billed(PUMP_SERVICE_CODES):
        mods = sorted(set(ln.modifiers) & NCCI_BYPASS_MODIFIERS)
        if not mods or _bypassable_partner(ctx, ln.code):
            continue  # next to a code it pairs with at indicator 1 (e.g. 96522 with 95990): PB108 judges it
        for mod in mods:
            yield Hit(i, {"mod": mod, "code": ln.code})


def _bypassable_partner(ctx: Context, code: str) -> bool:
    """Another billed code that an official PTP row pairs with ``code`` at modifier indicator 1."""
    for other in {ln.code for ln in ctx.lines} - {code}:  # distinct codes: a long claim costs no more
        result = ctx.edits.official_pair(code, other, ctx.dos)
        if result is not None and result.edit is not None and result.edit.modifier_indicator == "1":
            return True
    return False


@rule("PB307", "modifier-25-not-em", "error",
      title="Modifier 25 on a code that isn't an E/M",
      message="modifier 25 on {code}, which is not an E/M code",
      fix="Move modifier 25 to the E/M line; remove it from {code}",
      what="Modifier 25 appended to a non-E/M line (often the pump service).",
      why="25 marks a significant, separately identifiable E/M on the day of a procedure. It belongs on "
          "the E/M code only.",
      correct="99213-25 plus 62369 (for example), never 62369-25.",
      source="em-25")
def modifier_25_not_em(ctx: Context) -> Iterator[Hit]:
    for i, ln in enumerate(ctx.lines, 1):
        if "25" in ln.modifiers and ln.code not in EM_CODES:
            yield Hit(i, {"code": ln.code})


def _jw_lines(ctx: Context):
    du = ctx.drug
    r = ctx.enc.refill
    if du is None or r is None or r.container != "single_dose":
        return du, []
    return du, [(i, ln) for i, ln in ctx.billed((du.drug.hcpcs,)) if "JW" in ln.modifiers]


@rule("PB308", "jw-units-mismatch", "error",
      title="JW units don't match the documented discard",
      message="{code}-JW billed with {units} unit(s); the documented discard ({discarded}) supports {expected}",
      fix="Bill {code}-JW x {expected}, the discarded amount beyond rounding, in billing units",
      what="A JW line whose units do not match the amount the note records as discarded.",
      why="The JW line claims the discarded drug: its units are the documented discard in billing units, "
          "beyond what rounding the administered line up already covers. Any other number misstates the waste.",
      correct="A 20 mL vial of ziconotide 25 mcg/mL (500 mcg, the only size at that strength), 300 mcg placed in "
              "the pump, 200 mcg discarded: J2278 x 300 and J2278-JW x 200.",
      source="jw-jz", since="0.2.0")
def jw_units_mismatch(ctx: Context) -> Iterator[Hit]:
    du, lines = _jw_lines(ctx)
    if du is None or du.jw_units == 0:
        return
    for i, ln in lines:
        if ln.units != du.jw_units:
            yield Hit(i, {"code": ln.code, "units": ln.units, "discarded": ctx.enc.refill.discarded,
                          "expected": du.jw_units})


@rule("PB309", "jw-without-discard", "error",
      title="JW billed without a billable discard",
      message="{code}-JW billed, but {state}",
      fix="Remove the JW line{jz_hint}",
      what="A JW line when the note records no billable discard: nothing discarded, a discard that rounding "
           "already covers, or no discard documented at all.",
      why="JW claims drug that was discarded and documented. Without a documented discard beyond rounding, "
          "the line bills drug nobody gave or wasted.",
      correct="Nothing discarded (or only a remainder that rounding covers): one line with JZ.",
      source="jw-jz", since="0.2.0")
def jw_without_discard(ctx: Context) -> Iterator[Hit]:
    du, lines = _jw_lines(ctx)
    if du is None or du.jw_units > 0:
        return
    r = ctx.enc.refill
    state = ("the note records no discarded amount" if r.discarded is None else
             "the note records nothing discarded" if not du.discarded else
             f"the discard ({r.discarded}) is covered by rounding the administered units up")
    jz_hint = "; attest with JZ on the drug line" if ctx.profile.jz_jw_required else ""
    for i, ln in lines:
        yield Hit(i, {"code": ln.code, "state": state, "jz_hint": jz_hint})


@rule("PB310", "jz-and-jw-together", "error",
      title="JZ and JW on the same drug",
      message="{code} billed with both JZ and JW; JZ attests that nothing was discarded, JW bills a discard",
      fix="Keep one: JZ when nothing billable was discarded, a JW line for a documented discard (no JZ)",
      what="JZ and JW on the same drug on the same claim.",
      why="The two modifiers contradict each other: one attests zero waste, the other bills waste.",
      correct="Discard documented: J2278 x 300 and J2278-JW x 200. None discarded: J0475-JZ x 4.",
      source="jw-jz", since="0.2.0", supersedes=("PB305",))
def jz_and_jw_together(ctx: Context) -> Iterator[Hit]:
    by_code: dict[str, list[tuple[int, set[str]]]] = {}
    for i, ln in enumerate(ctx.lines, 1):
        if ln.code in DRUG_CODES or ln.code in NOC_DRUG_CODES:
            by_code.setdefault(ln.code, []).append((i, set(ln.modifiers)))
    for code, lines in by_code.items():
        mods = set().union(*(m for _, m in lines))
        if {"JZ", "JW"} <= mods:
            first_jz = next(i for i, m in lines if "JZ" in m)
            yield Hit(first_jz, {"code": code})

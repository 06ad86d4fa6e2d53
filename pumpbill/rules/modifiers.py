"""PB3xx: modifiers 26/TC, JZ/JW, 59/X{EPSU}, 25 (FACTS sections 2, 3 and 5)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import DRUG_CODES, EM_CODES, FAMILY_CODES, JZ_REQUIRED_FROM, NCCI_BYPASS_MODIFIERS, PUMP_SERVICE_CODES
from .registry import Context, Hit, rule

PCTC0 = FAMILY_CODES + ("95991",)


@rule("PB301", "pctc-modifier", "error",
      message="modifier {mod} on {code}: {code} has PC/TC indicator 0 (physician service); 26 and TC do not apply",
      fix="Remove modifier {mod} from {code}",
      what="Modifier 26 (professional component) or TC (technical component) on 62367-62370 or 95991.",
      why="These codes have PC/TC indicator 0 in the fee schedule: there is no professional/technical "
          "split. In a facility the practitioner bills the code without a modifier and is paid the facility rate.",
      correct="Bill the code plain; the place of service sets the rate.",
      source="pfs-2025")
def pctc_modifier(ctx: Context) -> Iterator[Hit]:
    for i, ln in ctx.billed(PCTC0):
        for mod in ("26", "TC"):
            if mod in ln.modifiers:
                yield Hit(i, {"mod": mod, "code": ln.code})


def _single_dose_bought(ctx: Context) -> bool:
    r = ctx.enc.refill
    return bool(r and ctx.enc.services.refill and r.supplied_by == "practice" and r.container == "single_dose"
                and ctx.drug is not None and ctx.dos >= JZ_REQUIRED_FROM)


@rule("PB302", "jz-missing", "error",
      message="{code} from a single-dose container billed without JZ or JW ({state})",
      fix="Append JZ to the {code} line",
      what="A separately payable drug from a single-dose container with no billable discard, billed without JZ.",
      why="Since 2023-07-01 CMS requires JZ to attest that nothing was discarded; claims without JZ or JW "
          "can be returned. Rounding up to whole units covers a small remainder (36 mg from a 40 mg "
          "ampule is 4 units, JZ).",
      correct="J0475 JZ x 4 for 40 mg of baclofen with nothing discarded.",
      source="jw-jz")
def jz_missing(ctx: Context) -> Iterator[Hit]:
    if not _single_dose_bought(ctx) or ctx.drug.jw_units > 0:
        return
    state = ("the discard is not documented" if ctx.enc.refill.discarded is None
             else "nothing discarded beyond rounding")
    for i, ln in ctx.billed((ctx.drug.drug.hcpcs,)):
        if "JZ" not in ln.modifiers and "JW" not in ln.modifiers:
            yield Hit(i, {"code": ln.code, "state": state})


@rule("PB303", "jw-missing", "error",
      message="{discarded} of {drug} discarded ({jw} billing unit(s) beyond rounding), but no {code}-JW line",
      fix="Add a separate line {code} JW x {jw}, and document the discarded amount",
      what="A documented discard of billable size from a single-dose container with no JW line.",
      why="Discarded drug from a single-dose container is billed on its own line with JW and the amount "
          "documented; without it the discard is unpaid, and the JW/JZ attestation is missing.",
      correct="Administered units on one line, discarded units on a second line with JW.",
      source="jw-jz")
def jw_missing(ctx: Context) -> Iterator[Hit]:
    if not _single_dose_bought(ctx) or ctx.drug.jw_units == 0:
        return
    du = ctx.drug
    jw_lines = [ln for _, ln in ctx.billed((du.drug.hcpcs,)) if "JW" in ln.modifiers]
    if not jw_lines and ctx.billed((du.drug.hcpcs,)):
        yield Hit(None, {"discarded": ctx.enc.refill.discarded, "drug": du.drug.name, "jw": du.jw_units,
                         "code": du.drug.hcpcs})


@rule("PB304", "jz-jw-not-applicable", "error",
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
            if ln.code not in DRUG_CODES:
                yield Hit(i, {"mod": mod, "code": ln.code, "reason": "not a drug code"})
            elif refill is not None and refill.container == "multi_dose":
                yield Hit(i, {"mod": mod, "code": ln.code, "reason": "the drug came from a multi-dose container"})


@rule("PB305", "jz-with-discard", "error",
      message="JZ on {code} attests that nothing was discarded, but the note records {discarded} discarded "
              "({jw} billable unit(s))",
      fix="Replace JZ with a separate JW line for the {jw} discarded unit(s)",
      what="JZ billed while the documented discard exceeds what rounding covers.",
      why="JZ is an attestation of zero waste. A JZ claim that contradicts the note is a false attestation.",
      correct="Administered units on one line (no JZ), discarded units on a JW line.",
      source="jw-jz")
def jz_with_discard(ctx: Context) -> Iterator[Hit]:
    if not _single_dose_bought(ctx) or ctx.drug.jw_units == 0:
        return
    for i, ln in ctx.billed((ctx.drug.drug.hcpcs,)):
        if "JZ" in ln.modifiers:
            yield Hit(i, {"code": ln.code, "discarded": ctx.enc.refill.discarded, "jw": ctx.drug.jw_units})


@rule("PB306", "ncci-modifier-on-pump-code", "error",
      message="modifier {mod} on {code}: pump-service codes are alternatives per session, not distinct "
              "services that 59/X{{EPSU}} can separate",
      fix="Remove {mod} and bill one pump-service code",
      what="Modifier 59, XE, XS, XP or XU on a pump-service code.",
      why="These modifiers bypass NCCI pair edits for truly distinct services. Two pump services in one "
          "session are not distinct: CPT allows one code per session, and using 59 to get both paid is "
          "a classic audit target.",
      correct="One pump-service code per session, without 59/X{EPSU}.",
      source="cpt-family")
def ncci_modifier_on_pump_code(ctx: Context) -> Iterator[Hit]:
    for i, ln in ctx.billed(PUMP_SERVICE_CODES):
        for mod in sorted(set(ln.modifiers) & NCCI_BYPASS_MODIFIERS):
            yield Hit(i, {"mod": mod, "code": ln.code})


@rule("PB307", "modifier-25-not-em", "error",
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

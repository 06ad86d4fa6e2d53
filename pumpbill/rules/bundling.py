"""PB1xx: code pairs, same-day E/M, supplies and imaging (FACTS sections 1, 2 and 5)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from ..facts import (
    EM_CODES,
    FAMILY_CODES,
    IMAGING_CODES,
    NCCI_ASSOCIATED_MODIFIERS,
    PUMP_SERVICE_CODES,
    REFILL_CODES,
    REFILL_KIT_CODE,
)
from ..selection import own_diagnosis
from .registry import Context, Hit, rule


@rule("PB101", "multiple-pump-service-codes", "error",
      title="More than one pump-service code for one session",
      message="{codes} billed for one session; only one pump-service code is reported per session ({table})",
      fix="Keep the single code that describes all the work done ({keep})",
      what="More than one of 62367-62370 and 95990/95991 on one session's claim, or one of them billed on "
           "more than one line.",
      why="62367-62370 are one family of alternatives, one code per session, and CPT says not to report them "
          "with 95990/95991: each higher code includes the work of the lower ones (62369 includes the analysis "
          "and reprogramming), so reporting two is unbundling. The same code on two lines is two sessions' worth "
          "for one, above the code's MUE. (96521/96522 are a different device's refill: next to a spinal code "
          "they are judged by the CMS PTP pair, PB108.)",
      correct="Report the one code that covers everything that was done.",
      source="cpt-family")
def multiple_pump_service_codes(ctx: Context) -> Iterator[Hit]:
    keep = ctx.selection.service.code if ctx.selection.service else "the code the note supports"
    spinal = ctx.billed(SPINAL_SESSION_CODES)
    codes = [ln.code for _, ln in spinal]
    family = [c for c in codes if c in FAMILY_CODES]
    flagged: list[int] = []
    if len(codes) >= 2 and not (len(family) == 1 and len(codes) == 2):  # one family + one refill code: PB102
        flagged = [i for i, _ in spinal[1:]]
        result = ctx.edits.pair(codes[0], next((c for c in codes if c != codes[0]), codes[0]), ctx.dos)
        shown = " + ".join(dict.fromkeys(codes))  # each code once: the message stays short on a long claim
        for i in flagged:
            yield Hit(i, {"codes": shown, "table": _cited(result), "keep": keep})
    seen: dict[str, int] = {}
    for i, ln in spinal:  # 96521/96522 on several lines: their MUE decides (PB213/PB210)
        seen[ln.code] = seen.get(ln.code, 0) + 1
        if seen[ln.code] > 1 and i not in flagged:
            yield Hit(i, {"codes": f"{ln.code} on more than one line", "keep": keep,
                          "table": "one session is one line of one code"})


SPINAL_SESSION_CODES = FAMILY_CODES + REFILL_CODES


def _cited(result) -> str:
    """Name the table behind a pair; an official row shows its modifier indicator, CPT's instruction none."""
    if result.answer != "applies" or result.edit is None:
        return "CPT instruction: one pump-service code per session"
    if result.official:
        return f"modifier indicator {result.edit.modifier_indicator}; {result.provenance}"
    return f"{result.edit.rationale}; {result.provenance}"


@rule("PB102", "family-with-refill-code", "error",
      title="Analysis or reprogramming code billed with a refill-only code",
      message="{family} billed with {refill}: 62367-62370 are not reported with 95990/95991 ({table})",
      fix="Report one code: {keep}",
      what="A 62367-62370 code and a 95990/95991 code on the same session.",
      why="CPT instructs not to report 62367-62370 with 95990/95991. A refill with reprogramming is "
          "62369/62370; a refill without reprogramming is 95990/95991, and its interrogation is included.",
      correct="Refill with reprogramming: 62369/62370 alone. Refill without: 95990/95991 alone.",
      source="cpt-family")
def family_with_refill_code(ctx: Context) -> Iterator[Hit]:
    fam = ctx.billed(FAMILY_CODES)
    ref = ctx.billed(REFILL_CODES)
    if not fam or not ref:
        return
    result = ctx.edits.pair(fam[0][1].code, ref[0][1].code, ctx.dos)
    svc = ctx.selection.service
    keep = svc.code if svc else "the code the note supports"
    # point at the line to drop: the refill code, unless it is the one the note supports
    drop = fam if svc is not None and svc.code in REFILL_CODES and any(ln.code == svc.code for _, ln in ref) else ref
    for i, _ln in drop:
        yield Hit(i, {"family": fam[0][1].code, "refill": ref[0][1].code, "table": _cited(result), "keep": keep})


@rule("PB103", "em-without-modifier-25", "error",
      title="Same-day E/M billed without modifier 25",
      message="E/M {code} billed on the same day as a pump service without modifier 25: {risk}",
      fix="Append modifier 25 to {code} if the E/M is significant and separately identifiable; otherwise remove it",
      what="A same-day E/M code billed with a pump-service code and no modifier 25.",
      why="A same-day E/M is payable only when it is significant and separately identifiable, shown by "
          "modifier 25 and its own history, exam or decision-making (NCCI Policy Manual ch. I). The CMS "
          "outpatient-hospital PTP table has no pair between 99211-99215 and 62367-62370/95990/95991, so that line "
          "is not necessarily denied automatically: without 25 it is likely denied, or paid and recouped on "
          "review. It does pair 96521/96522 with the E/M codes, at an indicator that 25 can bypass: there the E/M "
          "is denied by the edit unless 25 is supported.",
      correct="Separately identifiable E/M: 99213-25 (for example) plus the pump service.",
      source="em-25-risk", supersedes=("PB108",))
def em_without_modifier_25(ctx: Context) -> Iterator[Hit]:
    pumps = ctx.billed(PUMP_SERVICE_CODES)
    if not pumps:
        return
    for i, ln in ctx.billed(EM_CODES):
        if "25" in ln.modifiers:
            continue
        risk = "at risk of denial, or of recoupment on review"
        for pump_code in dict.fromkeys(pump.code for _, pump in pumps):
            edit = ctx.edits.official_pair(pump_code, ln.code, ctx.dos)
            if edit is not None and edit.answer == "applies" and edit.edit is not None:
                risk = (f"denied by the PTP edit {edit.edit.column1}/{edit.edit.column2} (modifier indicator "
                        f"{edit.edit.modifier_indicator}; {edit.provenance})")
                break
        yield Hit(i, {"code": ln.code, "risk": risk})


@rule("PB104", "em-not-separately-identifiable", "error",
      title="E/M billed without a separately identifiable visit",
      message="E/M {code} billed, but the note {problem}",
      fix="Remove {code}; the pump visit's own evaluation is part of the pump service",
      what="An E/M billed when the note does not document a significant, separately identifiable E/M.",
      why="The visit's own work is the pump service: the assessment that goes with a refill or "
          "reprogramming belongs to it (for a nurse refill, 95990 carries no physician work at all: the visit "
          "is the refill). An E/M is payable only when it addresses more than that, documented on its own.",
      correct="Bill the pump service alone, or document the separate problem and bill the E/M with 25.",
      source="em-25")
def em_not_separately_identifiable(ctx: Context) -> Iterator[Hit]:
    em = ctx.enc.em_visit
    if not ctx.enc.services.any:
        return
    for i, ln in ctx.billed(EM_CODES):
        if em is None or not em.performed:
            yield Hit(i, {"code": ln.code, "problem": "records no E/M visit"})
        elif not em.separately_identifiable:
            yield Hit(i, {"code": ln.code, "problem": "says the E/M is not separately identifiable"})


@rule("PB105", "refill-kit-billed", "error",
      title="Refill kit billed separately",
      message="refill kit A4220 billed; it is bundled (status P) and never billed separately by the practice",
      fix="Remove the A4220 line",
      what="HCPCS A4220 (refill kit for an implantable pump) on the practitioner's claim.",
      why="CMS lists A4220 with status P (bundled): its cost is part of the pump service's payment, and the "
          "CMS PTP table pairs it with 62369, 62370, 95990 and 95991 at an indicator no modifier bypasses.",
      correct="Bill the pump-service code and, if the practice bought it, the drug. No kit line.",
      source="pfs-2026", supersedes=("PB108",))
def refill_kit_billed(ctx: Context) -> Iterator[Hit]:
    for i, _ in ctx.billed((REFILL_KIT_CODE,)):
        yield Hit(i, {})


@rule("PB106", "imaging-guidance-review", "warning",
      title="Imaging guidance with a refill needs review",
      message="imaging guidance ({imaging}) with a pump refill: manual review against the payer's policy{addon}",
      fix="Hold for manual review against the payer's policy, with the reason imaging was needed documented",
      what="Imaging guidance (76942, 77002, 77003, 77012) billed or documented with a pump refill.",
      why="77002 and 77003 are add-on codes (global ZZZ) reportable only with the primary procedures CPT lists, "
          "and the pump-service codes are not among them; 76942 (ultrasound) and 77012 (CT) stand alone. "
          "Imaging with a refill is never auto-allowed: routine refills do not need it, and a difficult access "
          "must be documented.",
      correct="Bill guidance only with a documented reason and the payer's policy in hand.",
      source="imaging")
def imaging_guidance_review(ctx: Context) -> Iterator[Hit]:
    billed = ctx.billed(IMAGING_CODES)
    if billed and (ctx.enc.services.refill or ctx.billed(PUMP_SERVICE_CODES)):
        # 77002/77003 lines: PB109 (add-on without a primary) supersedes this warning on the same line
        for i, ln in billed:
            addon = ("; an add-on code needs a primary procedure CPT lists, which the pump codes are not"
                     if ln.code in ("77002", "77003") else "")
            yield Hit(i, {"imaging": ln.code, "addon": addon})
    elif not billed and ctx.enc.imaging != "none" and ctx.enc.services.refill:
        yield Hit(None, {"imaging": ctx.enc.imaging + " documented", "addon": ""})


@rule("PB107", "nurse-visit-em-with-refill", "warning",
      title="Nurse visit (99211) billed on top of a staff refill",
      message="99211 billed with a pump service performed by clinical staff, with no separately identifiable "
              "problem of its own: the nurse's visit is the refill",
      fix="Remove 99211: the nurse's assessment is part of the pump service",
      what="99211 (the nurse visit E/M) on the same day as a staff-performed pump service, with no separately "
           "identifiable problem of its own (no diagnosis besides the pump visit's).",
      why="The staff's encounter is the pump service itself: a 99211 needs its own separately identifiable "
          "problem. The CMS outpatient-hospital PTP table has no pair between 99211 and 62367-62370/95990/95991, "
          "so this is a risk note, not an official edit.",
      correct="Bill the pump service alone for a nurse refill visit.",
      source="99211")
def nurse_visit_em_with_refill(ctx: Context) -> Iterator[Hit]:
    if ctx.enc.performed_by != "clinical_staff" or not ctx.billed(PUMP_SERVICE_CODES) or own_diagnosis(ctx.enc):
        return
    for i, _ in ctx.billed(("99211",)):
        yield Hit(i, {})


@rule("PB108", "official-ptp-edit", "error",
      title="Billed codes form an NCCI edit pair",
      message="{col1} and {col2} form a PTP edit for {dos} (modifier indicator {mi}): {provenance}",
      fix="{fix_text}",
      what="A pair of billed codes that an official CMS NCCI PTP file (loaded by the user) edits on "
           "the date of service.",
      why="Column 2 of an edited pair is denied unless the modifier indicator is 1 and an NCCI-associated "
          "modifier (e.g. 25, 59, XE, XS, XP, XU) is supported by the documentation. pumpbill ships the rows of "
          "the CMS outpatient-hospital PTP table v32.3 for these codes (the practitioner table was not "
          "available; most pairs are the same); official files you load take precedence.",
      correct="Bill column 1; bill column 2 only when the indicator is 1 and the documentation supports a modifier.",
      source="ncci-ptp-oph")
def official_ptp_edit(ctx: Context) -> Iterator[Hit]:
    # pairs of distinct codes, not of lines: a long claim repeating a code costs nothing more
    by_code: dict[str, list[int]] = {}
    for n, ln in enumerate(ctx.lines, 1):
        by_code.setdefault(ln.code, []).append(n)
    for a, b in combinations(by_code, 2):
        if _specific_rule_covers(a, b):
            continue
        result = ctx.edits.official_pair(a, b, ctx.dos)
        if result is None or result.answer != "applies" or result.edit is None:
            continue
        edit = result.edit
        col2_lines = by_code[edit.column2 if edit.column2 in (a, b) else b]
        if edit.modifier_indicator == "1":
            col2_lines = [n for n in col2_lines
                          if not set(ctx.lines[n - 1].modifiers) & NCCI_ASSOCIATED_MODIFIERS]
        for col2_line in col2_lines[:1]:
            fix_text = ("remove " + edit.column2 if edit.modifier_indicator != "1" else
                        f"remove {edit.column2}, or append the NCCI-associated modifier the documentation "
                        "supports (25 for a separate E/M; 59/X{EPSU} for a distinct procedure)")
            yield Hit(col2_line, {"col1": edit.column1, "col2": edit.column2, "dos": ctx.dos.isoformat(),
                                  "mi": edit.modifier_indicator, "provenance": result.provenance,
                                  "fix_text": fix_text})


def _specific_rule_covers(a: str, b: str) -> bool:
    """Pairs a more specific rule explains: two of 62367-62370/95990/95991 (PB101/PB102), the refill kit (PB105)."""
    pair = {a, b}
    return pair <= set(SPINAL_SESSION_CODES) or REFILL_KIT_CODE in pair

"""PB214-PB217: compounded or mixed drugs, NOC codes and the NDC on the drug line (FACTS section 3).

A compounded or mixed drug (a baclofen-clonidine admixture, a compounded strength) has no single-drug J-code:
the practice that bought it bills the payer's NOC code (J7999 or J3490, per payer) with the drug, strength and
amount in the line's claim note. A payer that wants the NDC on every drug line (Medicaid, many commercial plans)
gets it on the claim's shaded line: N4, the 11-digit NDC, the unit qualifier and the quantity.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import DRUG_CODES, NOC_DRUG_CODES
from ..models import ClaimLine, Line
from ..ndc import parse_ndc, quantity_text, shaded_text
from ..selection import matching_line
from .registry import Context, Hit, rule

#: Every code a drug line may carry: the single-drug J-codes and the NOC codes.
DRUG_LINE_CODES = DRUG_CODES | frozenset(NOC_DRUG_CODES)


def _recommended_for(ctx: Context, ln: ClaimLine) -> Line | None:
    """The engine's drug line that a billed line stands for."""
    return matching_line(ctx.selection.drug_lines, ln.code, ln.modifiers)


def _shaded(ndc: tuple[str, str, str]) -> str:
    return shaded_text(*ndc)


@rule("PB214", "compounded-drug-single-code", "error",
      title="Compounded or mixed drug billed with the wrong drug code",
      message="{code} billed for a compounded or mixed drug ({what}); {reason}",
      fix="Bill {expected} x 1 with the drug, strength and amount in the line's claim note",
      what="A compounded or mixed drug the practice bought (an admixture such as baclofen with clonidine, or a "
           "strength no manufacturer makes) billed with a single-drug J-code, or with the NOC code the payer "
           "does not use for compounded drugs.",
      why="A single-drug J-code describes one drug in its own billing unit (J0475 is 10 mg of baclofen): it "
          "cannot describe a pharmacy's mix, and billing the mix under it misstates what was given. A compounded "
          "drug is billed with a not-otherwise-classified (NOC) code, J7999 (compounded drug) or J3490 "
          "(unclassified drug) as the payer instructs, with the drug names, strengths and amount in the claim "
          "note so that the payer can price it (usually from the invoice).",
      correct="Medicare profile: J7999 x 1, note 'baclofen 2000 mcg/mL + clonidine 100 mcg/mL, 20 mL'; the "
              "example Medicaid profile wants J3490 with the same note and the NDC. If the pharmacy bills the "
              "payer for the mix, the practice bills no drug line.",
      source="noc-ndc", since="0.3.0")
def compounded_drug_single_code(ctx: Context) -> Iterator[Hit]:
    refill = ctx.enc.refill
    if refill is None or not refill.compounded or refill.supplied_by != "practice" or not ctx.enc.services.refill:
        return  # a drug the practice did not buy: PB208
    expected = ctx.profile.compounded_code
    what = refill.description or f"{refill.drug} {refill.concentration}"
    for i, ln in ctx.billed(DRUG_LINE_CODES - {expected}):
        if ln.code in NOC_DRUG_CODES:
            reason = (f"payer '{ctx.profile.name}' takes {expected} ({NOC_DRUG_CODES[expected]}) for a compounded "
                      f"drug, not {ln.code}")
        else:
            reason = ("a single-drug J-code describes one drug in its own billing unit; it cannot describe a mix or a "
                      "compounded strength")
        yield Hit(i, {"code": ln.code, "what": what, "reason": reason, "expected": expected})


@rule("PB215", "ndc-missing", "error",
      title="Drug line without the NDC the payer requires",
      message="{code} billed without an NDC; payer '{payer}' wants the NDC on every drug line ({expected})",
      fix="Add the NDC to the line's shaded part (837P LIN/CTP): {expected}",
      what="A drug line (a J-code or a NOC code) with no NDC, for a payer whose profile requires the NDC on "
           "every drug line.",
      why="Medicaid programs (for drug rebates) and many commercial payers require the National Drug Code of "
          "the product given on each drug line: on the CMS-1500 the shaded part of item 24 holds the qualifier "
          "N4, the 11-digit NDC with no hyphens, the unit qualifier and the quantity; on an 837P the LIN and CTP "
          "segments hold them. A drug line without it is rejected or denied.",
      correct="Label NDC 99999-123-45 (made up), 20 mL instilled: shaded line 'N499999012345ML20' above the "
              "drug line.",
      source="noc-ndc", since="0.3.0")
def ndc_missing(ctx: Context) -> Iterator[Hit]:
    if not ctx.profile.ndc_required:
        return
    for i, ln in ctx.billed(DRUG_LINE_CODES):
        if ln.ndc is not None:
            continue
        rec = _recommended_for(ctx, ln)
        expected = (_shaded(rec.ndc) if rec is not None and rec.ndc else
                    "N4, the 11-digit NDC from the label, the unit qualifier and the quantity; record the label NDC "
                    "in the note too")
        yield Hit(i, {"code": ln.code, "payer": ctx.profile.name, "expected": expected})


def _ndc_detail(label: str, billed: str) -> str:
    """Why a billed 11-digit NDC is not the label's, in words."""
    n = parse_ndc(label)
    digits = label.replace("-", "")
    if len(digits) == 10 and billed in {digits[:k] + "0" + digits[k:] for k in range(11)}:
        return (f"the label NDC {label} becomes {n.eleven} (a zero in front of the {n.padded_segment} segment, "
                f"{n.eleven_hyphenated}); the line has {billed}, the zero in the wrong place: another product or "
                "package, or none")
    return f"the note records the label NDC {label}, which is {n.eleven} in 11 digits; the line has {billed}"


@rule("PB216", "ndc-mismatch", "error",
      title="NDC on the drug line doesn't match the label or the amount",
      message="{code} line: {detail}",
      fix="Report {expected} on the line's shaded part (N4, the 11-digit NDC, the unit, the quantity)",
      what="A drug line whose NDC is not the 11-digit form of the label NDC the note records (typically the "
           "10-digit label number with the zero put in the wrong place), or whose NDC unit or quantity differs "
           "from the amount placed in the pump.",
      why="A label prints the NDC in 10 digits as 4-4-2, 5-3-2 or 5-4-1; claims want 11 digits, 5-4-2, made "
          "by putting one zero in front of the short segment. A zero in the wrong place is a different (or "
          "no) product, and the line is rejected or priced wrong. The NDC quantity is the amount of the "
          "product in the NDC unit (mL for a solution), which is not the HCPCS units of the line.",
      correct="Label 9999-1234-01 (made up) -> 09999123401; label 99999-123-45 -> 99999012345; label "
              "99999-1234-1 -> 99999123401. 20 mL instilled: unit ML, quantity 20.",
      source="ndc-format", since="0.3.0")
def ndc_mismatch(ctx: Context) -> Iterator[Hit]:
    refill = ctx.enc.refill
    label = refill.ndc if refill is not None else None
    for i, ln in ctx.billed(DRUG_LINE_CODES):
        if ln.ndc is None:
            continue
        rec = _recommended_for(ctx, ln)
        if label is not None and ln.ndc.code != parse_ndc(label).eleven:
            n = parse_ndc(label)
            qty = rec.ndc if rec is not None and rec.ndc else (n.eleven, ln.ndc.unit, quantity_text(ln.ndc.quantity))
            yield Hit(i, {"code": ln.code, "detail": _ndc_detail(label, ln.ndc.code),
                          "expected": _shaded((n.eleven, qty[1], qty[2]))})
        elif rec is not None and rec.ndc and (ln.ndc.unit != rec.ndc[1]
                                              or quantity_text(ln.ndc.quantity) != rec.ndc[2]):
            yield Hit(i, {"code": ln.code, "expected": _shaded(rec.ndc), "detail": (
                f"NDC quantity {ln.ndc.unit} {quantity_text(ln.ndc.quantity)}, but the note supports "
                f"{rec.ndc[1]} {rec.ndc[2]} (the amount placed in the pump, in the NDC unit)")})


@rule("PB217", "noc-note-missing", "error",
      title="NOC drug line without the drug and amount in its note",
      message="{code} ({noc}) billed {problem}; the payer cannot tell what was given",
      fix="Put the drug name(s), strength and amount in the line's claim note: {expected}",
      what="A J3490 or J7999 line whose claim note is missing, or does not name the drug or give the amount.",
      why="A not-otherwise-classified code says nothing about the drug. The payer prices and reviews the line "
          "from its claim note (placed where the payer's instructions for unlisted drugs say): the drug name(s) "
          "and strengths and the amount, with the NDC where the payer wants it; keep the invoice, which payers "
          "may ask for.",
      correct="J7999 x 1 with the note 'baclofen 2000 mcg/mL + clonidine 100 mcg/mL, 20 mL' (80 characters at "
              "most).",
      source="noc-ndc", since="0.3.0")
def noc_note_missing(ctx: Context) -> Iterator[Hit]:
    refill = ctx.enc.refill
    for i, ln in ctx.billed(NOC_DRUG_CODES):
        note = (ln.note or "").strip()
        names = [] if refill is None or refill.drug == "other" else [refill.drug]
        if refill is not None and refill.description:
            names.append(refill.description)
        if not note:
            problem = "with no claim note"
        elif not any(ch.isdigit() for ch in note):
            problem = f"with the note {note!r}, which gives no amount"
        elif names and not any(n.lower() in note.lower() for n in names):
            problem = f"with the note {note!r}, which does not name the drug ({names[0]})"
        else:
            continue
        rec = _recommended_for(ctx, ln)
        expected = f"'{rec.note}'" if rec is not None and rec.note else "drug, strength, amount"
        yield Hit(i, {"code": ln.code, "noc": NOC_DRUG_CODES[ln.code], "problem": problem, "expected": expected})

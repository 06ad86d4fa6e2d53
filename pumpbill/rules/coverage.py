"""PB805-PB807: coverage, medical necessity and the ABN (FACTS section 9; section 3 for off-label drugs)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import ABN_MODIFIERS, OFF_LABEL_INTRATHECAL
from ..models import Coverage
from ..payers import PayerProfile
from .registry import Context, Hit, rule

#: Routes of the spinal pumps NCD 280.14 and the MACs' LCDs/articles speak to for these drugs.


def expected_abn_modifiers(ctx: Context) -> dict[str, str]:
    """Code -> the GA/GZ/GX modifier the engine recommends on that code's line (empty when none applies)."""
    out: dict[str, str] = {}
    for ln in ctx.selection.lines:
        for mod in ln.modifiers:
            if mod in ABN_MODIFIERS:
                out.setdefault(ln.code, mod)
    return out


def abn_modifier_problem(mod: str, coverage: Coverage | None, profile: PayerProfile) -> str | None:
    """Why the documentation does not support ``mod`` (GA, GZ or GX) on a line, or None when it does."""
    if not profile.abn_applies:
        return (f"the ABN and its modifiers are Original Medicare notices; payer '{profile.name}' has its own "
                "process (ask the plan before the service)")
    expected = coverage.expected_denial if coverage else "none"
    signed = coverage is not None and coverage.abn == "signed"
    if expected == "none":
        return "the note records no expected denial, so no ABN modifier applies"
    if mod in ("GA", "GZ") and expected == "statutory_exclusion":
        return (f"{mod} is for a service expected to be denied as not reasonable and necessary; this one is excluded "
                "by statute (GX with a voluntary notice)")
    if mod == "GX" and expected == "not_reasonable_necessary":
        return ("GX is for a service Medicare excludes by statute; a service whose medical necessity is in doubt takes "
                "GA (ABN signed) or GZ (no ABN)")
    if mod == "GA" and not signed:
        return "GA says an ABN is on file, but no signed ABN is documented (without one the modifier is GZ)"
    if mod == "GZ" and signed:
        return "an ABN was signed before the service, so the modifier is GA, not GZ"
    if mod == "GX" and not signed:
        return "GX reports a voluntary notice, but no signed notice is documented"
    return None


@rule("PB805", "abn-modifier-missing", "error",
      title="Expected Medicare denial billed without GA, GZ or GX",
      message="{code} billed without {mod}: the note records {why}",
      fix="Add {mod} to the {code} line",
      what="An Original Medicare claim for a service the practitioner expected Medicare to deny (medical necessity "
           "in doubt, or a statutory exclusion with a voluntary notice), with a line of that service, drug or "
           "procedure billed without any of GA, GZ or GX.",
      why="The modifier tells Medicare that the practitioner expected the denial and whether the beneficiary was "
          "told in writing. GA (ABN on file) lets the practice bill the patient when Medicare denies; without it "
          "the denial cannot be passed on to the patient. GZ says no ABN was obtained; GX marks a voluntary "
          "notice for a service Medicare never covers.",
      correct="Medical necessity in doubt and an ABN signed before the service: 95990-GA and J0475-GA-JZ x 4. "
              "The same visit without an ABN: 95990-GZ and J0475-GZ-JZ x 4.",
      source="abn", since="0.3.0")
def abn_modifier_missing(ctx: Context) -> Iterator[Hit]:
    expected = expected_abn_modifiers(ctx)
    if not expected:
        return
    cov = ctx.enc.coverage
    assert cov is not None  # the engine adds GA/GZ/GX only from the coverage block
    why = {"GA": "an expected medical-necessity denial and a signed ABN",
           "GZ": "an expected medical-necessity denial and no ABN",
           "GX": "a statutorily excluded service and a signed voluntary notice"}
    for i, ln in ctx.billed(expected):
        if not set(ln.modifiers) & set(ABN_MODIFIERS):
            mod = expected[ln.code]
            yield Hit(i, {"code": ln.code, "mod": mod, "why": why[mod]})


@rule("PB806", "abn-modifier-unsupported", "error",
      title="GA, GZ or GX the documentation doesn't support",
      message="{mod} on {code}: {reason}",
      fix="Replace {mod} on {code} with {right}",
      what="GA, GZ or GX on a line where the note does not support it: GA without a signed ABN, GZ although an ABN "
           "was signed, GX without a statutory exclusion and a signed notice, any of them when the note records "
           "no expected denial, or any of them for a payer other than Original Medicare.",
      why="Each modifier is a statement about the notice: GA says a signed ABN is on file, GZ that none was "
          "obtained, GX that a voluntary notice was given for an excluded service. A wrong one misstates who may "
          "be billed after a denial. The ABN is an Original Medicare (Part B) notice: Medicare Advantage, "
          "Medicaid and commercial plans have their own pre-service process.",
      correct="ABN signed and medical necessity in doubt: GA. No ABN: GZ. Statutory exclusion with a voluntary "
              "notice: GX. A commercial plan: no ABN modifier; ask the plan before the service.",
      source="abn", since="0.3.0")
def abn_modifier_unsupported(ctx: Context) -> Iterator[Hit]:
    expected = expected_abn_modifiers(ctx)
    for i, ln in enumerate(ctx.lines, 1):
        for mod in ln.modifiers:
            if mod not in ABN_MODIFIERS:
                continue
            reason = abn_modifier_problem(mod, ctx.enc.coverage, ctx.profile)
            if reason is None:
                continue
            right = expected.get(ln.code) or "no ABN modifier (remove it)"
            yield Hit(i, {"mod": mod, "code": ln.code, "reason": reason, "right": right})


@rule("PB807", "off-label-intrathecal-drug", "info",
      title="Off-label spinal pump drug: check coverage first",
      message="{drug} in an {route} pump: {label}; coverage is your MAC's call under NCD 280.14 and its "
              "LCD/article",
      fix="Check your MAC's LCD/article (or the plan's policy) for {drug} by pump; document the medical necessity; "
          "for Original Medicare, consider an ABN when coverage is doubtful",
      what="A refill of an intrathecal pump with hydromorphone, fentanyl, bupivacaine or clonidine.",
      why="NCD 280.14 (Infusion Pumps) is the national Medicare policy for implanted pumps; the MAC's own LCD or "
          "billing article adds diagnosis lists. These four drugs are commonly used off-label intrathecally, so "
          "whether their use in the pump is covered is decided by the MAC (other payers: their own policy).",
      correct="Before an off-label drug goes into the pump: the MAC's LCD/article checked, the indication and the "
              "reason for the drug documented, and, where coverage is doubtful for an Original Medicare patient, an "
              "ABN signed before the refill (the lines then carry GA).",
      source="ncd-280-14", since="0.3.0")
def off_label_intrathecal_drug(ctx: Context) -> Iterator[Hit]:
    enc = ctx.enc
    pump, refill = enc.pump, enc.refill
    if (pump is None or refill is None or not enc.services.refill or pump.route != "intrathecal"
            or refill.drug not in OFF_LABEL_INTRATHECAL):
        return  # epidural use is left alone: some of these drugs are labelled for it (e.g. epidural clonidine)
    yield Hit(None, {"drug": refill.drug, "route": pump.route, "label": "it is used off-label intrathecally"})

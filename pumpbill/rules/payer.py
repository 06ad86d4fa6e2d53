"""PB8xx: where the payer profile changes the answer (FACTS sections 5 and 6)."""

from __future__ import annotations

from collections.abc import Iterator

from ..facts import EM_CODES, PUMP_SERVICE_CODES, STRICT_REPROGRAMMING_CHANGES
from .modifiers import single_dose_bought_here
from .registry import Context, Hit, rule


@rule("PB801", "lenient-reprogramming-payer", "info",
      title="Payer counts a volume update as reprogramming",
      message="payer '{payer}' counts {changes} as reprogramming; under the strict reading (pumpbill's default) it "
              "would not be",
      fix="Keep the payer's written policy on file; bill strictly for payers without one",
      what="A reservoir-volume (or other non-dose) update counted as reprogramming because the payer "
           "profile takes the lenient reading.",
      why="There is no national CMS definition of reprogramming. The lenient reading (CPT Assistant 2006, "
          "manufacturer) is disputed: it is safe only where the payer has said so in writing.",
      correct="Without a written payer policy, treat a volume-only update as no reprogramming (95990/95991).",
      source="reprogramming")
def lenient_reprogramming_payer(ctx: Context) -> Iterator[Hit]:
    rp = ctx.enc.reprogramming
    if (ctx.profile.reprogramming_reading == "lenient" and ctx.enc.services.reprogramming and rp
            and not set(rp.changes) & STRICT_REPROGRAMMING_CHANGES):
        yield Hit(None, {"payer": ctx.profile.name, "changes": ", ".join(rp.changes)})


@rule("PB802", "payer-em-policy", "warning",
      title="Same-day E/M without its own diagnosis (payer policy)",
      message="payer '{payer}' pays a same-day E/M with a pump service only for a problem with its own "
              "diagnosis; {code} has none",
      fix="Document and code the separate problem the E/M addressed, or do not bill the E/M to this payer",
      what="A same-day E/M billed to a payer whose profile requires a diagnosis of its own for it.",
      why="Some payers are stricter than modifier 25 alone: they look for a problem other than the pump "
          "management in the E/M's diagnoses.",
      correct="E/M for new headaches on a refill day: 99213-25 pointing to its own diagnosis.",
      source="payer-policy")
def payer_em_policy(ctx: Context) -> Iterator[Hit]:
    if ctx.profile.em_same_day != "separate_diagnosis_required" or not ctx.billed(PUMP_SERVICE_CODES):
        return
    pump_dx = set(ctx.enc.dx_codes)
    for _, ln in ctx.billed(PUMP_SERVICE_CODES):
        pump_dx.update(ln.diagnoses)
    em = ctx.enc.em_visit
    for i, ln in ctx.billed(EM_CODES):
        own = [d for d in list(ln.diagnoses) + (list(em.diagnoses) if em else []) if d not in pump_dx]
        if not own:
            yield Hit(i, {"payer": ctx.profile.name, "code": ln.code})


@rule("PB803", "example-payer-profile", "info",
      title="Example payer profile, not a real payer",
      message="payer profile '{payer}' is an EXAMPLE for teaching, not a real payer's policy",
      fix="Check the real payer's written policy before billing",
      what="A scenario checked against an example payer profile.",
      why="Example profiles show how policies differ; they are not any insurer's actual rules.",
      correct="Use 'medicare' or a profile built from your payer's written policy.",
      source="payer-policy", confidence="high")
def example_payer_profile(ctx: Context) -> Iterator[Hit]:
    if ctx.profile.example:
        yield Hit(None, {"payer": ctx.profile.name})


@rule("PB804", "jz-jw-payer-policy", "info",
      title="Payer doesn't require JZ/JW: check its policy",
      message="payer '{payer}' does not require JZ/JW in its profile (they are Medicare Part B rules); check its "
              "written policy on discarded drug",
      fix="Follow the payer's written policy; add JZ/JW only where it requires them",
      what="A practice-bought single-dose drug billed to a payer whose profile does not require JZ/JW.",
      why="JZ and JW are Medicare Part B requirements (JW since 2017, JZ since July 2023). Medicaid, Medicare "
          "Advantage and commercial plans require them only where their own policy says so; for them a missing "
          "JZ is not an error.",
      correct="Medicare: J0475-JZ x 4. A payer that does not use JZ: J0475 x 4.",
      source="jw-jz-part-b", since="0.2.0")
def jz_jw_payer_policy(ctx: Context) -> Iterator[Hit]:
    if (not ctx.profile.jz_jw_required and single_dose_bought_here(ctx)
            and ctx.billed((ctx.drug.drug.hcpcs,))):  # type: ignore[union-attr]
        yield Hit(None, {"payer": ctx.profile.name})

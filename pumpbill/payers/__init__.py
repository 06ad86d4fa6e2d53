"""Payer profiles as data: the policy choices where payers differ (FACTS sections 5 and 6)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict


class PayerProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    example: bool = False
    description: str
    #: strict (pumpbill's default): only dose, rate, mode, bolus or concentration changes are reprogramming;
    #: lenient: any documented change (a reservoir-volume update, an alarm setting). No reading is Medicare's.
    reprogramming_reading: Literal["strict", "lenient"] = "strict"
    #: modifier_25: a separately identifiable E/M with 25; separate_diagnosis_required: also its own diagnosis.
    em_same_day: Literal["modifier_25", "separate_diagnosis_required"] = "modifier_25"
    #: JZ/JW are Medicare Part B rules; other payers require them only where their own policy says so.
    jz_jw_required: bool = True
    #: which kind of payer this profile stands for (FACTS section 9)
    kind: Literal["medicare", "medicare_advantage", "medicaid", "commercial"] = "medicare"
    #: the ABN and GA/GZ/GX are Original Medicare (Part B) notices; other payers have their own processes
    abn_applies: bool = False
    #: the payer wants a prior authorization for the pump service (Medicare Advantage plans may)
    prior_authorization_required: bool = False
    #: the NDC on every drug line (N4, 11 digits, unit qualifier, quantity): Medicaid commonly, many commercial payers
    ndc_required: bool = False
    #: the NOC code for a compounded or mixed drug: J7999 (compounded drug NOC) or J3490 (unclassified drugs)
    compounded_code: Literal["J7999", "J3490"] = "J7999"
    sources: list[str] = []


@lru_cache(maxsize=1)
def profiles() -> dict[str, PayerProfile]:
    out: dict[str, PayerProfile] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            profile = PayerProfile.model_validate(yaml.safe_load(entry.read_text("utf-8")))
            out[profile.name] = profile
    return out


def get_profile(name: str) -> PayerProfile:
    """The named profile; KeyError lists the known names."""
    known = profiles()
    if name not in known:
        raise KeyError(f"unknown payer profile {name!r}; known: {', '.join(sorted(known))}")
    return known[name]

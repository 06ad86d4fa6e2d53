"""The coding facts the rules are built on, as data, each with its confidence and source.

Everything here is transcribed from the project's verified reference
(``shared/domain/FACTS.md``). Nothing here may be invented: a fact that is not
in the reference must be looked up, given a source, and a confidence below
"high" is shown to learners as "verify".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Confidence = Literal["high", "medium-high", "medium", "low-medium", "low"]


@dataclass(frozen=True)
class Source:
    """A citation: what it is and how much we trust what we took from it."""

    key: str
    title: str
    confidence: Confidence


SOURCES: dict[str, Source] = {
    s.key: s
    for s in [
        Source("cpt-family", "CPT descriptors for 62367-62370, 95990/95991, 96521/96522 "
               "(paraphrased) and CMS HCPCS short descriptors", "high"),
        Source("pfs-2025", "CMS 2025 Physician Fee Schedule Relative Value File RVU25D "
               "(PPRRVU2025_Oct.csv and README): RVUs, PC/TC, global, status", "high"),
        Source("opps-2025", "CMS CY2025 OPPS final rule addenda A, B, D1", "high"),
        Source("pub100-04-12", "CMS Pub 100-04 ch.12 s.20.4.2 (facility / non-facility settings)", "high"),
        Source("hcpcs", "CMS HCPCS Level II file (drug codes and billing units; J1171 new and "
               "J1170 deleted for 2025)", "high"),
        Source("jw-jz", "CMS JW/JZ change request (06/02/2023) and MAC articles (CGS, Noridian)", "medium"),
        Source("a55239", "CMS billing and coding article A55239, as summarised by a university "
               "billing office (refill and drug on the same claim)", "medium"),
        Source("icd10cm", "CMS ICD-10-CM code files (FY2026, April 2026 update) and guidelines", "high"),
        Source("icd10cm-z451", "ICD-10-CM tabular: Z45.1 for adjustment and management of infusion "
               "pump; Excludes1 for complications", "medium-high"),
        Source("g35-fy2026", "ICD-10-CM FY2026: G35 expanded to G35.A-G35.D (DOS on or after 2025-10-01)",
               "high"),
        Source("em-25", "CPT/CMS policy on significant, separately identifiable E/M with modifier 25",
               "medium-high"),
        Source("ncci-defs", "CMS NCCI Policy Manual and PTP/MUE file layouts (definitions only "
               "verified; the pairs and values for these codes were not)", "low"),
        Source("reprogramming", "Contractor guidance (strict reading) vs CPT Assistant 2006 and "
               "manufacturer (lenient reading)", "low-medium"),
        Source("labelling", "Manufacturer labelling: Prialt, Lioresal Intrathecal, SynchroMed II, Prometra",
               "medium"),
        Source("prialt", "Prialt (ziconotide) prescribing information", "high"),
        Source("documentation", "Documentation elements assembled from descriptors, CMS rules, "
               "manufacturer and clinic protocols", "medium"),
        Source("supervision-2026", "CY2025 and CY2026 PFS final rules (incident-to, direct and "
               "virtual direct supervision)", "high"),
        Source("cpt-62362", "CPT: initial programming at implant is included in 62362", "medium"),
        Source("ncci-modifiers", "NCCI-associated modifiers (anatomic, 24, 25, 27, 57, 58, 78, 79, 59, 91, "
               "X{EPSU}) from the NCCI Policy Manual, as listed by findacode.com and the Texas Medical "
               "Association", "medium"),
        Source("imaging", "No CPT instruction found either way for imaging guidance with a refill", "low"),
        Source("99211", "Expected NCCI bundling of 99211 with a nurse refill (rows not verified)", "low"),
    ]
}

# --- 1. The code family -----------------------------------------------------------------------

#: 62367-62370: analysis of a programmable spinal pump, with reprogramming, with refill. One per session.
FAMILY_CODES: tuple[str, ...] = ("62367", "62368", "62369", "62370")
#: Refilling and maintenance codes (no reprogramming).
REFILL_CODES: tuple[str, ...] = ("95990", "95991")
SYSTEMIC_REFILL_CODE = "96522"
PORTABLE_REFILL_CODE = "96521"
#: Every pump-service code the engine chooses among; at most one per session.
PUMP_SERVICE_CODES: tuple[str, ...] = FAMILY_CODES + REFILL_CODES + ("96521", "96522")
#: Codes that require the physician/QHP to perform the service personally.
PHYSICIAN_CODES: frozenset[str] = frozenset({"62370", "95991"})
#: PC/TC indicator 5 (incident-to): not payable to a practitioner in a facility setting.
INCIDENT_TO_CODES: frozenset[str] = frozenset({"95990", "96521", "96522"})
#: Implant/removal family, for contrast (not maintenance).
IMPLANT_CODES: dict[str, str] = {
    "62350": "implant/revise intrathecal or epidural catheter",
    "62351": "implant/revise catheter with laminectomy",
    "62355": "remove catheter",
    "62360": "implant subcutaneous reservoir",
    "62361": "implant non-programmable pump",
    "62362": "implant programmable pump (includes initial programming)",
    "62365": "remove pump or reservoir",
}
IMAGING_CODES: dict[str, str] = {
    "76942": "ultrasound guidance",
    "77002": "fluoroscopic guidance",
    "77003": "fluoroscopic guidance for spinal injection",
    "77012": "CT guidance",
}
REFILL_KIT_CODE = "A4220"

#: CMS short descriptors (public data, quotable) and our own paraphrase of each service.
CODE_DESCRIPTIONS: dict[str, str] = {
    "62367": "Electronic analysis of a programmable spinal pump (no reprogramming, no refill)",
    "62368": "Electronic analysis of a programmable spinal pump, with reprogramming",
    "62369": "Analysis with reprogramming and refill of a programmable spinal pump",
    "62370": "Analysis with reprogramming and refill, requiring physician/QHP skill",
    "95990": "Refilling and maintenance of a spinal or brain pump/reservoir (analysis included when done)",
    "95991": "Refilling and maintenance of a spinal or brain pump/reservoir, requiring physician/QHP skill",
    "96522": "Refilling and maintenance of an implanted pump for systemic (IV, intra-arterial) delivery",
    "96521": "Refilling and maintenance of a portable (external) pump",
}
CMS_SHORT_DESCRIPTORS: dict[str, str] = {
    "62367": "Analyze spine infus pump",
    "62368": "Analyze sp inf pump w/reprog",
    "62369": "Anal sp inf pmp w/reprg&fill",
    "62370": "Anl sp inf pmp w/mdreprg&fil",
}

# --- 2. Payment (CMS 2025 PFS, RVU25D; CF $32.3465) ---------------------------------------------


@dataclass(frozen=True)
class Payment:
    code: str
    work_rvu: Decimal
    global_period: str
    pctc: int
    office_2025: Decimal
    facility_2025: Decimal | None  # None: not payable to a practitioner in a facility


PAYMENT_2025: dict[str, Payment] = {
    p.code: p
    for p in [
        Payment("62367", Decimal("0.48"), "XXX", 0, Decimal("31.05"), Decimal("23.61")),
        Payment("62368", Decimal("0.67"), "XXX", 0, Decimal("43.34"), Decimal("32.99")),
        Payment("62369", Decimal("0.67"), "XXX", 0, Decimal("88.63"), Decimal("33.32")),
        Payment("62370", Decimal("0.90"), "XXX", 0, Decimal("88.95"), Decimal("44.31")),
        Payment("95990", Decimal("0.00"), "XXX", 5, Decimal("84.42"), None),
        Payment("95991", Decimal("0.77"), "XXX", 0, Decimal("105.77"), Decimal("37.85")),
        Payment("96521", Decimal("0.21"), "XXX", 5, Decimal("114.18"), None),
        Payment("96522", Decimal("0.21"), "XXX", 5, Decimal("108.36"), None),
    ]
}
CONVERSION_FACTOR_2025 = Decimal("32.3465")
CONVERSION_FACTOR_2026 = Decimal("33.4009")
#: Hospital (OPPS) payment in 2025, for "who bills in a hospital".
OPPS_2025: dict[str, tuple[str, Decimal]] = {
    "95990": ("APC 5694", Decimal("331.69")),
    "62367-62370": ("APC 5743", Decimal("299.91")),
    "95991": ("APC 5441", Decimal("295.19")),
}

#: Facility-rate places of service (Pub 100-04 ch.12 s.20.4.2).
FACILITY_POS: frozenset[str] = frozenset(
    {"19", "21", "22", "23", "24", "26", "31", "34", "41", "42", "51", "52", "53", "56", "61"}
)
#: Places of service FACTS names as non-facility; others exist ("and others").
NON_FACILITY_POS: frozenset[str] = frozenset({"11", "12", "13", "14", "15", "20", "32", "33", "49", "50"})

# --- 3. Drugs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drug:
    name: str
    hcpcs: str
    unit_amount: Decimal  # one billing unit, in unit_measure
    unit_measure: Literal["mg", "mcg"]
    note: str = ""

    @property
    def unit_label(self) -> str:
        return f"{self.unit_amount.normalize():f} {self.unit_measure}"


DRUGS: dict[str, Drug] = {
    d.name: d
    for d in [
        Drug("baclofen", "J0475", Decimal("10"), "mg"),
        Drug("morphine", "J2274", Decimal("10"), "mg", "preservative-free, epidural/intrathecal"),
        Drug("ziconotide", "J2278", Decimal("1"), "mcg"),
        Drug("hydromorphone", "J1171", Decimal("0.1"), "mg", "J1171 is new for 2025; J1170 was deleted"),
        Drug("fentanyl", "J3010", Decimal("0.1"), "mg"),
        Drug("clonidine", "J0735", Decimal("1"), "mg"),
        Drug("bupivacaine", "J0665", Decimal("0.5"), "mg"),
    ]
}
BACLOFEN_TRIAL = Drug("baclofen trial", "J0476", Decimal("50"), "mcg", "intrathecal trial (screening bolus)")
#: J1170 (hydromorphone) was deleted for 2025: not valid on or after this date.
J1170_DELETED_ON = date(2025, 1, 1)
J1171_FIRST_DOS = date(2025, 1, 1)
#: JZ is required from this date on single-dose containers with nothing discarded.
JZ_REQUIRED_FROM = date(2023, 7, 1)
DRUG_CODES: frozenset[str] = frozenset({d.hcpcs for d in DRUGS.values()} | {"J0476", "J1170"})

# --- 4. Diagnoses ----------------------------------------------------------------------------------
ROUTINE_PUMP_DX = "Z45.1"
LESS_SPECIFIC_PUMP_DX = "Z45.49"
WRONG_DEVICE_DX: dict[str, str] = {
    "Z45.42": "neurostimulator",
    "Z96.41": "insulin pump",
}
#: Prefixes of the complication codes used instead of Z45.1 for a device problem.
COMPLICATION_PREFIXES: tuple[str, ...] = ("T85.6", "T85.7")
#: Underlying conditions the pump treats (FACTS section 4), as codes or code families ("I69.3-": any code under it;
#: spinal cord injury sequelae take the 7th character S).
UNDERLYING_CONDITIONS: dict[str, tuple[str, ...]] = {
    "pain": ("G89.29", "G89.4", "G89.3", "G89.21", "G89.28", "M96.1"),
    "spasticity": ("G80.0", "G80.1", "G80.2", "G80.8", "G82.20", "G82.21", "G82.22", "G82.50", "G82.51", "G82.52",
                   "G82.53", "G82.54", "G95.89", "R25.2", "M62.838", "I69.3-"),
}
#: Bare G35 is invalid for dates of service on or after this date.
G35_EXPANDED_ON = date(2025, 10, 1)
G35_REPLACEMENTS = "G35.A, G35.B0-G35.B2, G35.C0-G35.C2 or G35.D"

# --- 5. Same-day services ----------------------------------------------------------------------------
EM_CODES: frozenset[str] = frozenset(
    {"99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215"}
)
NCCI_BYPASS_MODIFIERS: frozenset[str] = frozenset({"59", "XE", "XS", "XP", "XU"})
#: Every NCCI-associated modifier that may bypass an indicator-1 PTP edit when the documentation supports it
#: (source "ncci-modifiers": NCCI Policy Manual as listed by findacode.com and the Texas Medical Association).
NCCI_ASSOCIATED_MODIFIERS: frozenset[str] = NCCI_BYPASS_MODIFIERS | frozenset(
    {"24", "25", "27", "57", "58", "78", "79", "91", "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5",
     "F6", "F7", "F8", "F9", "TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "LT", "RT", "LC", "LD",
     "RC", "LM", "RI"})

# --- 6. Reprogramming readings --------------------------------------------------------------------
#: Strict reading: only these changes are reprogramming (a reservoir-volume update is not).
STRICT_REPROGRAMMING_CHANGES: frozenset[str] = frozenset({"daily_dose", "rate", "mode", "bolus"})

# --- 7. Refill intervals ----------------------------------------------------------------------------
DEFAULT_ALARM_ML = Decimal("2")
#: Ziconotide (Prialt) limits, in days (high, manufacturer).
ZICONOTIDE_FIRST_REFILL_DAYS = 14
ZICONOTIDE_DILUTED_DAYS = 40
ZICONOTIDE_UNDILUTED_DAYS = 84
#: An interval shorter than this share of the computed days to alarm is flagged for review.
SHORT_INTERVAL_RATIO = Decimal("0.5")

# --- Reimbursement-era dates --------------------------------------------------------------------------
VIRTUAL_DIRECT_SUPERVISION_FROM = date(2026, 1, 1)


def is_facility(pos: str) -> bool:
    """True where the practitioner is paid the facility rate (hospital, SNF, ASC...)."""
    return pos in FACILITY_POS

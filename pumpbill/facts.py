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
        Source("pfs-2026", "CMS 2026 Physician Fee Schedule Relative Value File RVU26C (PPRRVU2026_Jul_nonQPP.csv) "
               "and 2025 RVU25D (PPRRVU2025_Oct.csv): RVUs, PC/TC, global, status; shipped as data", "high"),
        Source("opps-2025", "CMS CY2025 OPPS final rule addenda A, B, D1", "high"),
        Source("pub100-04-12", "CMS Pub 100-04 ch.12 s.20.4.2 (facility / non-facility settings)", "high"),
        Source("hcpcs", "CMS HCPCS Level II annual file, January 2026 (HCPC2026_JAN_ANWEB): drug codes, billing "
               "units, add and termination dates (J1170 terminated 2024-09-30, J1171 from 2024-10-01)", "high"),
        Source("jw-jz", "CMS JW/JZ change request (06/02/2023), Pub 100-04 ch.17 s.40 and MAC articles (CGS, "
               "Noridian): JW since 2017-01-01, JZ since 2023-07-01, single-dose containers; their application "
               "to pump refills", "medium"),
        Source("jw-jz-part-b", "CMS JW/JZ change request (06/02/2023) and Pub 100-04 ch.17 s.40: JZ/JW are "
               "Medicare Part B requirements; other payers require them only by their own policy", "high"),
        Source("jw-container", "MAC JW articles: discarded drug is billable only from a container size that fits "
               "the dose", "medium"),
        Source("a55239", "CMS billing and coding article A55239, as summarised by a university "
               "billing office (refill and drug on the same claim)", "medium"),
        Source("icd10cm", "CMS ICD-10-CM code files (FY2026, April 2026 update) and guidelines", "high"),
        Source("icd10cm-guidelines", "ICD-10-CM Official Guidelines for Coding and Reporting FY2026 (IV.H uncertain "
               "diagnoses; I.C.6.b.5 G89.3; I.C.2.e.2 Z51.11; I.B.10 sequelae) and the Z45 Excludes1 note", "high"),
        Source("icd10cm-z451", "ICD-10-CM tabular: Z45.1 for adjustment and management of infusion "
               "pump; Excludes1 for complications", "medium-high"),
        Source("g35-fy2026", "ICD-10-CM FY2026: G35 expanded to G35.A-G35.D (DOS on or after 2025-10-01)",
               "high"),
        Source("em-25", "NCCI Policy Manual ch. I and Pub 100-04 ch.12 s.30.6.6: a same-day E/M is billable only "
               "when significant and separately identifiable, with modifier 25", "high"),
        Source("em-25-risk", "CMS outpatient-hospital PTP table v32.3: no pair between 99211-99215 and "
               "62367-62370/95990/95991, so an E/M without 25 is at risk of denial or recoupment, not automatically "
               "denied", "medium-high"),
        Source("payer-policy", "Payer policies differ (Medicare Advantage, Medicaid, commercial plans); "
               "pumpbill's example profile shows a difference, it is no real payer's policy",
               "medium"),
        Source("ncci-defs", "CMS NCCI Policy Manual and PTP/MUE file layouts: modifier and adjudication "
               "indicator definitions; an MUE excess denies the whole line", "high"),
        Source("ncci-ptp-oph", "CMS NCCI outpatient-hospital PTP table v32.3 (effective 2026-10-01, active edits), "
               "shipped as data; used for professional claims where the practitioner table was not available",
               "high"),
        Source("ncci-mue", "CMS NCCI practitioner MUE table 2026 Q2 (MAI 3 rows) and outpatient-hospital MUE "
               "table effective 2026-10-01, shipped as data", "high"),
        Source("reprogramming", "No national CMS definition: contractor guidance and CPT Assistant examples "
               "(dose/rate/regimen changes) vs CPT Assistant 2006 and manufacturer (reservoir volume)",
               "low-medium"),
        Source("reprogramming-concentration", "A new drug concentration changes the pump's flow rate to hold the "
               "dose: reprogramming under both readings", "medium"),
        Source("labelling", "Manufacturer labelling: Prialt, Lioresal Intrathecal, SynchroMed II, Prometra",
               "medium"),
        Source("prialt", "Prialt (ziconotide) prescribing information: supplied only as 25 and 100 mcg/mL; "
               "refill limits 14/40/84 days", "high"),
        Source("documentation", "Documentation elements assembled from descriptors, CMS rules, "
               "manufacturer and clinic protocols", "medium"),
        Source("physician-skill", "62370/95991 descriptors 'requiring skill of a physician or QHP': some payers "
               "and auditors read them as a medical-necessity test", "medium"),
        Source("incident-to", "CMS Pub 100-02 ch.15 s.60 (incident-to: office/home settings, direct "
               "supervision) and 42 CFR 410.42 / SSA 1862(a)(14) (hospital bundling of drugs)", "high"),
        Source("supervision-virtual", "CY2025 and CY2026 PFS final rules: virtual direct supervision (real-time "
               "audio-video) through 2025-12-31 (temporary, from the 2020 PHE) and permanently from 2026-01-01 "
               "except 010/090-global surgery", "medium-high"),
        Source("cpt-62362", "CPT: initial programming at implant is included in 62362", "medium"),
        Source("ncci-modifiers", "NCCI-associated modifiers (anatomic, 24, 25, 27, 57, 58, 78, 79, 59, 91, "
               "X{EPSU}) from the NCCI Policy Manual, as listed by findacode.com and the Texas Medical "
               "Association", "medium"),
        Source("imaging", "77002/77003 are add-on codes (global ZZZ) reportable only with the primaries CPT "
               "lists, which do not include the pump codes; 76942/77012 stand alone; payer policy decides",
               "medium"),
        Source("99211", "A 99211 with a nurse-performed refill needs its own separately identifiable problem "
               "(the nurse's visit is the refill)", "medium"),
        Source("ncd-280-14", "NCD 280.14 (Infusion Pumps), the national Medicare coverage policy for implanted "
               "pumps; the MAC's own LCD or billing article adds diagnosis lists (FACTS section 9); many intrathecal "
               "pump drugs are used off-label and coverage is the MAC's call", "medium"),
        Source("abn", "CMS Advance Beneficiary Notice of Non-coverage (ABN, Pub 100-04 ch.30): modifier GA (ABN on "
               "file), GZ (expected denial, no ABN), GX (voluntary notice for a statutorily excluded service); an "
               "Original Medicare (Part B) notice", "high"),
        Source("noc-ndc", "Compounded or mixed drugs: NOC code J3490 or J7999 (compounded drug, not otherwise "
               "classified) per payer, with the NDC, drug name and amount in the claim note, or billed by the "
               "pharmacy; Medicaid and many commercial payers require the NDC on every drug line", "medium"),
        Source("ndc-format", "NUCC 1500 claim form instructions, item 24 shaded line (qualifier N4, the 11-digit "
               "NDC with no hyphens or spaces, then the unit qualifier F2, GR, ME, ML or UN and the quantity) and "
               "the 837P LIN/CTP segments; the 10-digit label NDC (4-4-2, 5-3-2 or 5-4-1) padded with one zero to "
               "5-4-2 (CMS's 11-digit derivative, described alike by several billing references)", "high"),
        Source("jw-jz-noc", "CMS JW/JZ policy FAQ (as summarised by Xcenda, June 2023): JW and JZ apply to drugs "
               "billed with NOC codes (J3490 and others) too, as appropriate; whether a pharmacy-compounded syringe "
               "is a single-dose container is not settled in pumpbill's reference", "medium"),
        Source("asp", "CMS quarterly ASP files: Part B drugs under the physician fee schedule are paid at ASP + 6%",
               "medium"),
        Source("opps-drug-status", "CMS CY2025 OPPS Addendum B: J0475, J2278, J1171 status K (separately paid); "
               "J2274, J0476, J3010, J0735, J0665 status N (packaged); verify the current quarter", "medium"),
        Source("payers-settings", "Medicare Advantage follows CMS coding but may require prior authorization; "
               "Medicaid commonly requires NDCs; commercial payers differ on JZ/JW, the reprogramming reading and "
               "E/M; home-health and home-infusion refills are billed outside the practitioner codes", "medium"),
        Source("trial", "The intrathecal trial is an injection of the 62320-62327 family with baclofen J0476 per "
               "50 mcg (FACTS section 9)", "medium"),
        Source("replacement", "Pump replacement at end of battery life is a removal and an implant (62365, 62362; "
               "010-day globals); the CMS outpatient-hospital PTP table v32.3 pairs 62362 (column 1) with 62365 "
               "(column 2) at modifier indicator 0", "medium"),
        Source("cpt-replacement", "CPT descriptors of 62360-62362 begin 'implantation or replacement of device for "
               "intrathecal or epidural drug infusion' (as paraphrased by anesthesiabilling.org and iframe.ai): a "
               "replacement is the implant code; 62365 is removal without replacement", "medium-high"),
        Source("global-refill", "A refill inside an implant's 010-day global period is rare (pumps are filled at "
               "implant) and is flagged for review", "low"),
        Source("modifiers-52-53", "Modifiers 52 (reduced) and 53 (discontinued after it started, for a "
               "physician) on the practitioner's claim, 73/74 the facility's version; 53 is not used for an "
               "elective cancellation before the service started", "medium"),
        Source("modifiers-73-74", "CMS Pub 100-04 ch.4 s.20.6.4 (as cited by a coding auditor): a hospital or "
               "ASC reports 73/74 for a discontinued procedure that required anesthesia, 52 for one that did not",
               "medium"),
        Source("facility-drug-basis", "Who bills the drug in a facility, by setting: hospital patients SSA "
               "1862(a)(14) / 42 CFR 410.42 (hospital bundling); SNF Part A residents SSA 1862(a)(18) (consolidated "
               "billing); ASC patients 42 CFR 416.164 (ASC facility services), as a coding auditor cited them",
               "medium"),
        Source("second-session", "A second, separate pump session on the same day: the one-code-per-session pairs "
               "are modifier indicator 0 and the MUE is 1, so 59/XE/76/77 cannot bypass them; only an appeal with "
               "the record (MAI 3)", "medium-high"),
        Source("underdosing", "Pump running dry or a missed refill: underdosing (e.g. T42.8X6A for baclofen) with "
               "the reason, withdrawal symptoms as documented; opioid adverse effects T40.-X5-; long-term opiate "
               "analgesic use Z79.891", "medium"),
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
#: PC/TC indicator 5 (incident-to): not payable to a practitioner in a facility setting (the CMS file agrees:
#: tests/test_cms_data.py).
INCIDENT_TO_CODES: frozenset[str] = frozenset({"95990", "96521", "96522"})
#: Implant/removal family, for contrast (not maintenance).
IMPLANT_CODES: dict[str, str] = {
    "62350": "implant/revise intrathecal or epidural catheter",
    "62351": "implant/revise catheter with laminectomy",
    "62355": "remove catheter",
    "62360": "implant or replace subcutaneous reservoir",
    "62361": "implant or replace non-programmable pump",
    "62362": "implant or replace programmable pump (includes initial programming)",
    "62365": "remove pump or reservoir",
}
IMAGING_CODES: dict[str, str] = {
    "76942": "ultrasound guidance",
    "77002": "fluoroscopic guidance",
    "77003": "fluoroscopic guidance for spinal injection",
    "77012": "CT guidance",
}
REFILL_KIT_CODE = "A4220"
#: The intrathecal trial injection family (FACTS section 9), our paraphrase of the CPT descriptors.
TRIAL_INJECTION_CODES: dict[str, str] = {
    "62320": "injection, epidural or subarachnoid, cervical or thoracic, without imaging",
    "62321": "injection, epidural or subarachnoid, cervical or thoracic, with imaging guidance",
    "62322": "injection, epidural or subarachnoid, lumbar or sacral, without imaging",
    "62323": "injection, epidural or subarachnoid, lumbar or sacral, with imaging guidance",
    "62324": "epidural/intrathecal catheter infusion, cervical or thoracic, without imaging",
    "62325": "epidural/intrathecal catheter infusion, cervical or thoracic, with imaging",
    "62326": "epidural/intrathecal catheter infusion, lumbar/sacral, without imaging",
    "62327": "epidural/intrathecal catheter infusion, lumbar/sacral, with imaging",
}
#: Not-otherwise-classified drug codes for compounded or mixed drugs (FACTS section 3; which one is payer policy).
NOC_DRUG_CODES: dict[str, str] = {
    "J3490": "unclassified drugs",
    "J7999": "compounded drug, not otherwise classified",
}
#: Other codes FACTS section 5 names in the CMS PTP rows with the pump codes (known so that a claim may carry
#: them and the shipped pairs can be checked): operating microscope, vascular access, spinal injections,
#: infusions, the port flush.
OTHER_PAIRED_CODES: dict[str, str] = {
    "69990": "operating microscope",
    "36000": "introduction of a needle or catheter into a vein",
    "36410": "venipuncture requiring physician skill",
    "61650": "intra-arterial infusion (cerebral)",
    "62324": "epidural/intrathecal catheter infusion, without imaging",
    "62325": "epidural/intrathecal catheter infusion, with imaging",
    "62326": "epidural/intrathecal catheter infusion, lumbar/sacral, without imaging",
    "62327": "epidural/intrathecal catheter infusion, lumbar/sacral, with imaging",
    "96360": "IV hydration, first hour",
    "96365": "IV infusion, first hour",
    "96523": "irrigation of an implanted venous access device",
    "G0453": "continuous intraoperative neurophysiology monitoring",
}

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

# --- 2. Payment: the CMS fee-schedule figures are shipped data (pumpbill.cms), never typed here ---

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
#: Settings where the facility supplies and bills the drug: hospital inpatient or outpatient, ASC, SNF Part A
#: (SSA 1862(a)(14), 42 CFR 410.42). The practitioner never bills the drug there.
FACILITY_DRUG_POS: frozenset[str] = frozenset({"19", "21", "22", "24", "31"})
#: Hospital outpatient settings, where the hospital bills its part under OPPS (inpatients: Part A).
HOSPITAL_OUTPATIENT_POS: frozenset[str] = frozenset({"19", "22"})
INPATIENT_POS = "21"
HOME_POS = "12"
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
        Drug("hydromorphone", "J1171", Decimal("0.1"), "mg", "J1171 from 2024-10-01; J1170 (up to 4 mg) before"),
        Drug("fentanyl", "J3010", Decimal("0.1"), "mg"),
        Drug("clonidine", "J0735", Decimal("1"), "mg"),
        Drug("bupivacaine", "J0665", Decimal("0.5"), "mg"),
    ]
}
BACLOFEN_TRIAL = Drug("baclofen trial", "J0476", Decimal("50"), "mcg", "intrathecal trial (screening bolus)")
#: Hydromorphone before J1171 existed: J1170, "up to 4 mg" (FACTS section 3).
HYDROMORPHONE_J1170 = Drug("hydromorphone", "J1170", Decimal("4"), "mg", "J1170 (up to 4 mg) until 2024-09-30")


def _hcpcs_date(code: str, which: str) -> date:
    """A code's add or termination date, from the shipped CMS HCPCS file (never typed)."""
    from . import cms

    row = cms.hcpcs(code)
    value = getattr(row, which) if row else None
    if value is None:
        raise RuntimeError(f"the shipped HCPCS data has no {which} for {code}")
    return value


#: J1170 was terminated on this date (the last valid date of service); J1171 is valid from the next day.
J1170_TERMINATED = _hcpcs_date("J1170", "term_date")
J1171_FIRST_DOS = _hcpcs_date("J1171", "add_date")
#: JW (discarded drug) is required by Medicare from this date; JZ (nothing discarded) from the next.
JW_REQUIRED_FROM = date(2017, 1, 1)
JZ_REQUIRED_FROM = date(2023, 7, 1)


def drug_for(name: str, dos: date) -> Drug | None:
    """The HCPCS drug code valid on the date of service (hydromorphone: J1170 before J1171 existed)."""
    if name == "hydromorphone" and dos < J1171_FIRST_DOS:
        return HYDROMORPHONE_J1170
    return DRUGS.get(name)


DRUG_CODES: frozenset[str] = frozenset({d.hcpcs for d in DRUGS.values()} | {"J0476", "J1170"})

# --- 4. Diagnoses ----------------------------------------------------------------------------------
ROUTINE_PUMP_DX = "Z45.1"
LESS_SPECIFIC_PUMP_DX = "Z45.49"
WRONG_DEVICE_DX: dict[str, str] = {
    "Z45.42": "neurostimulator",
    "Z96.41": "insulin pump",
}
#: Prefixes of the complication codes used instead of Z45.1 for a device problem.
COMPLICATION_PREFIXES: tuple[str, ...] = ("T85.6", "T85.7", "T85.8")
#: Neoplasm-related pain needs the neoplasm code too (guideline I.C.6.b.5).
NEOPLASM_PAIN_DX = "G89.3"
#: Encounter for antineoplastic chemotherapy: first-listed for a visit solely to give it (I.C.2.e.2).
CHEMOTHERAPY_DX = "Z51.11"


def is_neoplasm(code: str) -> bool:
    """ICD-10-CM chapter 2: C00-D49."""
    return code[:1] == "C" or (code[:1] == "D" and code[1:3].isdigit() and int(code[1:3]) <= 49)
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

#: ABN modifiers (Original Medicare): GA ABN on file, GZ expected denial without an ABN, GX voluntary notice for a
#: statutorily excluded service (FACTS section 9, high).
ABN_MODIFIERS: dict[str, str] = {
    "GA": "ABN on file: the service is expected to be denied as not reasonable and necessary",
    "GZ": "expected to be denied as not reasonable and necessary, and no ABN was obtained",
    "GX": "voluntary notice given for a service Medicare excludes by statute",
}
REDUCED_MODIFIER = "52"
DISCONTINUED_MODIFIER = "53"
#: The facility's (hospital outpatient, ASC) modifiers for a discontinued procedure: never on a practitioner's claim.
FACILITY_DISCONTINUED_MODIFIERS: frozenset[str] = frozenset({"73", "74"})
#: Repeat-procedure modifiers, which cannot bypass an indicator-0 pair or an MUE of 1 (FACTS section 5).
REPEAT_MODIFIERS: frozenset[str] = frozenset({"76", "77"})
#: Pump drugs commonly used off-label intrathecally: coverage is the MAC's call (FACTS section 9).
OFF_LABEL_INTRATHECAL: frozenset[str] = frozenset({"hydromorphone", "fentanyl", "bupivacaine", "clonidine"})
#: NDC unit qualifiers on the claim's shaded line / 837P CTP segment (source "ndc-format").
NDC_UNIT_QUALIFIERS: dict[str, str] = {
    "F2": "international unit", "GR": "gram", "ME": "milligram", "ML": "millilitre", "UN": "unit",
}
#: Long-term (current) use of opiate analgesic (FACTS section 4, medium).
LONG_TERM_OPIATE_DX = "Z79.891"

# --- 6. Reprogramming readings --------------------------------------------------------------------
#: Strict reading (pumpbill's default; there is no national CMS definition): only these changes are
#: reprogramming. A new concentration is, under both readings: the flow rate changes to hold the dose.
#: A reservoir-volume or alarm-date update alone is not; an alarm threshold alone is disputed (strict: not).
STRICT_REPROGRAMMING_CHANGES: frozenset[str] = frozenset({"daily_dose", "rate", "mode", "bolus", "concentration"})
DISPUTED_REPROGRAMMING_CHANGES: frozenset[str] = frozenset({"alarm"})

# --- 7. Refill intervals ----------------------------------------------------------------------------
DEFAULT_ALARM_ML = Decimal("2")
#: Ziconotide (Prialt) is supplied only at these concentrations: anything else was diluted (high, labelling).
ZICONOTIDE_SUPPLIED_MCG_PER_ML: frozenset[Decimal] = frozenset({Decimal("25"), Decimal("100")})
#: Ziconotide (Prialt) limits, in days (high, manufacturer).
ZICONOTIDE_FIRST_REFILL_DAYS = 14
ZICONOTIDE_DILUTED_DAYS = 40
ZICONOTIDE_UNDILUTED_DAYS = 84
#: An interval shorter than this share of the computed days to alarm is flagged for review.
SHORT_INTERVAL_RATIO = Decimal("0.5")

# --- Reimbursement-era dates --------------------------------------------------------------------------
#: Virtual direct supervision (real-time audio-video) counts as direct from this date: temporary through
#: 2025-12-31, permanent from 2026-01-01 for services other than 010/090-global surgery (every pump code).
VIRTUAL_DIRECT_SUPERVISION_FROM = date(2020, 3, 1)
VIRTUAL_DIRECT_SUPERVISION_PERMANENT_FROM = date(2026, 1, 1)


def facility_drug_basis(pos: str) -> str:
    """Why the facility, not the practitioner, bills the drug at this place of service (FACTS section 2; the
    per-setting citations: source "facility-drug-basis")."""
    if pos == "31":
        return "SNF consolidated billing, SSA 1862(a)(18)"
    if pos == "24":
        return "ASC facility services, 42 CFR 416.164"
    return "hospital bundling, SSA 1862(a)(14), 42 CFR 410.42"


def is_facility(pos: str) -> bool:
    """True where the practitioner is paid the facility rate (hospital, SNF, ASC...)."""
    return pos in FACILITY_POS

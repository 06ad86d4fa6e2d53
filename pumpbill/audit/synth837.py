"""Write a synthetic claims history as one X12 837P (005010X222A1) interchange.

Why: practices hold their claims as 837P files, so the audit reads them (``x12.read_837``);
writing the synthetic histories in the same format lets the tests round-trip both formats
and compare findings. Everything written is made up: "SYNTHETIC" names, the frame's
``SYN-`` IDs, a billing NPI that passes the NPI check digit (Luhn over ``80840`` + 9 digits)
but was drawn at random, and no real address, date of birth or tax ID.

Layout (one segment per line, ``~`` then a newline): ISA/GS, then one ST transaction per
5,000 claims (the implementation guide's recommended maximum), each with BHT, submitter
(1000A) and receiver (1000B), one billing provider (2000A/2010AA), one subscriber loop
(2000B, SBR02 = 18: the patient is the subscriber) per patient and payer, with the
subscriber (2010BA, member ID = ``patient_id``) and the payer (2010BB, NM103 = ``payer``),
then one CLM per ``claim_id`` (2300) with its HI diagnoses and rendering provider
(2310B NM1*82, NM109 = ``provider_id``), and one LX/SV1/DTP*472 per line (2400); a line
whose provider or place of service differs from its claim's gets its own 2420A NM1*82 or
SV105. SE/GE/IEA carry the right counts.

What an 837P cannot carry: the dose columns (reservoir, volume added, concentration, daily
dose, alarm volume), ``drug_diluted`` and ``change_note`` have no place in a professional
claim, so an audit of an 837P skips the checks that need them. Rendering provider IDs are
written as given (``SYN-D001``), not as 10-digit NPIs, so the audit's provider key is the
same in both formats; pyx12's 5010 map accepts any 2-80 character identifier there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from .files import atomic_write
from .synth import MALFORMED

#: Claims per ST transaction (the 837P guide recommends at most 5,000).
CLAIMS_PER_TRANSACTION = 5000
#: The 837P limits the writer must respect.
MAX_LINES_PER_CLAIM = 50
MAX_DIAGNOSES_PER_CLAIM = 12
MAX_POINTERS_PER_LINE = 4
#: Synthetic charge per unit (dollars): the audit does not use charges, but CLM02 must add up.
CHARGE_PER_UNIT = Decimal(10)
#: SBR09 claim filing indicator per synthetic payer (MB Medicare Part B, MC Medicaid, CI commercial).
FILING_INDICATOR = {"medicare": "MB", "medicaid": "MC", "commercial": "CI"}
_DELIMITERS = ("*", ":", "^", "~")  # element, sub-element, repetition, segment (as written in the ISA)
_NEEDED = ("claim_id", "patient_id", "provider_id", "date_of_service", "place_of_service", "code", "modifiers",
           "units", "diagnoses", "payer")


def npi_check_digit(first9: str) -> str:
    """The NPI check digit: Luhn over the prefix 80840 followed by the first nine digits."""
    digits = [int(c) for c in "80840" + first9]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit would sit to the right: double every other
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def synthetic_npi(seed: int = 0) -> str:
    """A made-up 10-digit NPI (first digit 1) that passes the check digit, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    first9 = "1" + "".join(str(int(d)) for d in rng.integers(0, 10, 8))
    return first9 + npi_check_digit(first9)


def npi_is_valid(npi: str) -> bool:
    """10 digits whose last is the Luhn check digit over 80840 + the first nine."""
    return len(npi) == 10 and npi.isascii() and npi.isdigit() and npi_check_digit(npi[:9]) == npi[9]


def _seg(*elements: str) -> str:
    """One segment: elements joined by '*', trailing empty elements dropped (X12 forbids them)."""
    els = list(elements)
    while els and els[-1] == "":
        els.pop()
    return "*".join(els)


def _dx_x12(code: str) -> str:
    """ICD-10-CM as X12 carries it: no dot ("Z45.1" -> "Z451")."""
    return code.replace(".", "")


def _split(value: object, sep: str | None) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    text = str(value).strip()
    return [t for t in (text.split(sep) if sep else text.split()) if t]


@dataclass
class _Line:
    provider: str
    date: str
    pos: str
    code: str
    modifiers: list[str]
    units: str
    dx: list[str]


@dataclass
class _Claim:
    claim_id: str
    patient: str
    payer: str
    lines: list[_Line]


def _claims(frame: pd.DataFrame) -> Iterator[_Claim]:
    """Group the rows into claims (in order of first appearance); check what an 837P can hold."""
    cols = {c: frame[c].astype(object).where(frame[c].notna(), "").astype(str).str.strip().to_numpy()
            for c in _NEEDED}
    for c in _NEEDED:  # a delimiter inside a value would cut its segment apart
        for value in pd.unique(cols[c]):
            if not (value.isascii() and value.isprintable()) or any(d in value for d in _DELIMITERS):
                raise ValueError(f"column {c}: value {value!r} cannot be written in an 837P (non-ASCII, control "
                                 f"character or one of the delimiters {' '.join(_DELIMITERS)})")
    order: dict[str, list[int]] = {}
    for i, cid in enumerate(cols["claim_id"]):
        order.setdefault(cid, []).append(i)
    for cid, idx in order.items():
        first = idx[0]
        for c in ("patient_id", "payer"):
            if len({cols[c][i] for i in idx}) > 1:
                raise ValueError(f"claim {cid}: lines with different {c} cannot share one 837P claim")
            if not cols[c][first]:
                raise ValueError(f"claim {cid}: no {c} (an 837P claim needs one)")
        if len(idx) > MAX_LINES_PER_CLAIM:
            raise ValueError(f"claim {cid}: {len(idx)} lines, an 837P claim holds at most {MAX_LINES_PER_CLAIM}")
        lines = []
        for i in idx:
            mods = _split(cols["modifiers"][i], None)
            if len(mods) > 4:
                raise ValueError(f"claim {cid}: more than 4 modifiers on one line ({cols['modifiers'][i]})")
            try:
                finite = Decimal(cols["units"][i]).is_finite()
            except InvalidOperation:
                finite = False
            if not finite:
                raise ValueError(f"claim {cid}: units {cols['units'][i]!r} is not a number")
            lines.append(_Line(cols["provider_id"][i], cols["date_of_service"][i], cols["place_of_service"][i],
                               cols["code"][i], mods, cols["units"][i], _split(cols["diagnoses"][i], ";")))
        yield _Claim(cid, cols["patient_id"][first], cols["payer"][first], lines)


def _d8(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%Y%m%d")


def _claim_segments(claim: _Claim) -> list[str]:
    """CLM, HI, 2310B NM1*82, then LX/SV1/DTP*472 (and 2420A NM1*82 when needed) per line."""
    dx: list[str] = []
    for line in claim.lines:
        for d in line.dx:
            if d not in dx:
                dx.append(d)
    if not dx:
        raise ValueError(f"claim {claim.claim_id}: no diagnosis (an 837P claim needs at least one)")
    if len(dx) > MAX_DIAGNOSES_PER_CLAIM:
        raise ValueError(f"claim {claim.claim_id}: {len(dx)} diagnoses, an 837P claim holds {MAX_DIAGNOSES_PER_CLAIM}")
    pos = claim.lines[0].pos
    provider = claim.lines[0].provider
    charges = [Decimal(ln.units) * CHARGE_PER_UNIT for ln in claim.lines]
    out = [
        _seg("CLM", claim.claim_id, _money(sum(charges, Decimal(0))), "", "", f"{pos}:B:1", "Y", "A", "Y", "Y"),
        _seg("HI", *[("ABK:" if k == 0 else "ABF:") + _dx_x12(d) for k, d in enumerate(dx)]),
        _seg("NM1", "82", "1", "SYNTHETIC", "RENDERING", "", "", "", "XX", provider),
    ]
    for n, (line, charge) in enumerate(zip(claim.lines, charges, strict=True), start=1):
        if len(line.dx) > MAX_POINTERS_PER_LINE:
            raise ValueError(f"claim {claim.claim_id}: a line points at more than {MAX_POINTERS_PER_LINE} diagnoses")
        pointers = ":".join(str(dx.index(d) + 1) for d in line.dx)
        out.append(_seg("LX", str(n)))
        out.append(_seg("SV1", ":".join(["HC", line.code, *line.modifiers]), _money(charge), "UN", line.units,
                        line.pos if line.pos != pos else "", "", pointers))
        out.append(_seg("DTP", "472", "D8", _d8(line.date)))
        if line.provider != provider:
            out.append(_seg("NM1", "82", "1", "SYNTHETIC", "RENDERING", "", "", "", "XX", line.provider))
    return out


def _money(x: Decimal) -> str:
    return format(x.normalize(), "f")


def _transaction(claims: list[_Claim], control: int, created: date, npi: str) -> list[str]:
    """ST..SE: header, billing provider, then a 2000B per patient and payer with its claims."""
    st = f"{control:04d}"
    body = [
        _seg("BHT", "0019", "00", f"SYN{control:06d}", created.strftime("%Y%m%d"), "1200", "CH"),
        _seg("NM1", "41", "2", "SYNTHETIC SUBMITTER", "", "", "", "", "46", "SYNSUB01"),
        _seg("PER", "IC", "SYNTHETIC CONTACT", "TE", "5555550100"),
        _seg("NM1", "40", "2", "SYNTHETIC RECEIVER", "", "", "", "", "46", "SYNRCV01"),
        _seg("HL", "1", "", "20", "1"),
        _seg("NM1", "85", "2", "SYNTHETIC BILLING PRACTICE", "", "", "", "", "XX", npi),
        _seg("N3", "1 SYNTHETIC WAY"),
        _seg("N4", "ANYTOWN", "MN", "555550000"),
        _seg("REF", "EI", "000000000"),
    ]
    hl = 1
    groups: dict[tuple[str, str], list[_Claim]] = {}
    for c in claims:
        groups.setdefault((c.patient, c.payer), []).append(c)
    for (patient, payer), group in groups.items():
        hl += 1
        body += [
            _seg("HL", str(hl), "1", "22", "0"),
            _seg("SBR", "P", "18", "", "", "", "", "", "", FILING_INDICATOR.get(payer.lower(), "ZZ")),
            _seg("NM1", "IL", "1", "SYNTHETIC", "PATIENT", "", "", "", "MI", patient),
            _seg("N3", "1 SYNTHETIC WAY"),
            _seg("N4", "ANYTOWN", "MN", "55555"),
            _seg("DMG", "D8", "19000101", "U"),
            _seg("NM1", "PR", "2", payer, "", "", "", "", "PI", "SYN" + _payer_id(payer)),
        ]
        for c in group:
            body += _claim_segments(c)
    return [_seg("ST", "837", st, "005010X222A1"), *body, _seg("SE", str(len(body) + 2), st)]


def _payer_id(payer: str) -> str:
    return "".join(ch for ch in payer.upper() if ch.isascii() and ch.isalnum())[:20] or "PAYER"


def interchange(frame: pd.DataFrame, *, seed: int = 0) -> tuple[list[str], int]:
    """The segments (without terminators) of the interchange, and the number of rows skipped.

    Rows marked ``seeded_error == "MALFORMED"`` (``SynthConfig.malformed_rate``) are skipped:
    they are corrupt on purpose (a 30 February, an empty patient) and an 837P cannot hold them.
    """
    if missing := [c for c in _NEEDED if c not in frame.columns]:
        raise ValueError(f"frame lacks column(s): {', '.join(missing)}")
    skip = (frame["seeded_error"].astype(str) == MALFORMED).to_numpy() if "seeded_error" in frame else \
        np.zeros(len(frame), bool)
    kept = frame.loc[~skip]
    claims = list(_claims(kept))
    if not claims:
        raise ValueError("no claim lines to write (an 837P needs at least one claim)")
    dates = [ln.date for c in claims for ln in c.lines]
    created = (date.fromisoformat(max(dates)) if dates else date(2000, 1, 1)) + timedelta(days=1)
    npi = synthetic_npi(seed)
    control = 1 + int(np.random.default_rng(seed).integers(0, 99_999_999))
    isa = "*".join([
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SYNTHETIC".ljust(15), "ZZ", "SYNRECEIVER".ljust(15),
        created.strftime("%y%m%d"), "1200", "^", "00501", f"{control:09d}", "0", "T", ":",
    ])
    segs = [isa, _seg("GS", "HC", "SYNTHETIC", "SYNRECEIVER", created.strftime("%Y%m%d"), "1200", str(control), "X",
                      "005010X222A1")]
    n_st = 0
    for start in range(0, max(len(claims), 1), CLAIMS_PER_TRANSACTION):
        n_st += 1
        segs += _transaction(claims[start:start + CLAIMS_PER_TRANSACTION], n_st, created, npi)
    segs += [_seg("GE", str(n_st), str(control)), _seg("IEA", "1", f"{control:09d}")]
    return segs, int(skip.sum())


def write_837(frame: pd.DataFrame, path: str | Path, *, seed: int = 0) -> int:
    """Write ``frame`` (``synth.generate(...).frame``) as an 837P file; return the rows skipped.

    The dose, dilution and change-note columns are not written: an 837P has no place for them.
    """
    segs, skipped = interchange(frame, seed=seed)

    def emit(fh: IO[str]) -> None:
        for k in range(0, len(segs), 10_000):
            fh.write("".join(s + "~\n" for s in segs[k:k + 10_000]))

    atomic_write(Path(path), emit)
    return skipped

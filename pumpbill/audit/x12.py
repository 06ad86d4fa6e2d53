"""Read an X12 837P (005010X222A1) professional claim file into the audit's raw claim lines.

Why: practices and billing companies hold their claims as the 837P batches their practice
management system or clearinghouse sends, not as our CSV. Each service line (loop 2400, SV1)
becomes one raw row with the canonical columns (``schema.ALL_COLUMNS``, all text) and the
physical line number of its SV1; the ingest validates the rows exactly as it does a CSV's.

How: pyx12 (a maintained X12 library with the 5010 maps) parses and validates every segment
against the 837P implementation guide map (``X12ContextReader`` with an ``errh_list`` error
collector): bad elements, missing mandatory segments, segments out of place, wrong counts.
This module first splits the file into segments itself, so that it knows each segment's
physical line, can hand pyx12 a stream without the empty segments that stop pyx12's reader,
and can see a truncated last segment (pyx12 drops it silently). Then it walks pyx12's segments
with their loop (2000A ... 2420A) and builds one row per SV1 (``MAPPING``). pyx12 checks each
segment in pure Python: about 7,000 segments (1,500 service lines) a second here, so a 100 MB
file takes minutes; the bytes are read once, after the size check, and never streamed unbounded.

What is reported, never dropped: a service line whose own segments, or a value it takes from
its claim, subscriber, patient or provider loops, has an error becomes one malformed entry
(its SV1 line, the reason, the SV1 text); an error that touches no service line's values
(a bad address, a wrong SE count) is one malformed entry of its own. So every SV1 in the file
is either a row or a malformed entry, and ``rows_read`` counts both. A broken claim does not
swallow the next one: every CLM, HL and LX starts a new unit, placed or not.
"""

from __future__ import annotations

import bisect
import io
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import ALL_COLUMNS, AuditInputError

#: The implementation guide this reader accepts (GS08 / ST03).
VERSION = "005010X222A1"

#: How each audit column is read from an 837P (the book renders this table).
MAPPING: tuple[tuple[str, str, str], ...] = (
    ("claim_id", "CLM01 (loop 2300)", "the practice's claim number (patient control number)"),
    ("patient_id", "NM109 of the subscriber (2010BA NM1*IL) when the subscriber is the patient (SBR02 = 18)",
     "a dependent (loop 2000C) has no ID of its own in 5010: subscriber ID + the patient's name (2010CA NM103, "
     "NM104)"),
    ("provider_id", "rendering provider NPI: 2420A NM109 (line), else 2310B NM109 (claim), else the billing "
     "provider's 2010AA NM109", "the line's own rendering provider wins"),
    ("date_of_service", "DTP*472 of the service line (D8 CCYYMMDD)",
     "a range (RD8) uses its first day, and the run notes it; 837P has no claim-level service date"),
    ("place_of_service", "SV105, else CLM05-1", "SV105 is sent only when the line differs from the claim"),
    ("code", "SV101-2 when SV101-1 is HC (HCPCS/CPT)", "other code sets (ER, IV, WK) are set aside as malformed"),
    ("modifiers", "SV101-3 to SV101-6", "joined with spaces"),
    ("units", "SV104 when SV103 is UN (units)", "minutes (MJ, anesthesia) are set aside as malformed"),
    ("diagnoses", "the ICD-10-CM codes of the claim's HI (ABK, ABF) that SV107-1..4 point at",
     "in pointer order, joined with ';'; SV107 is required in 5010, so a line without pointers is malformed"),
    ("payer", "NM103 of the payer (2010BB NM1*PR)", "the payer's name as the file spells it"),
)
#: Columns an 837P cannot carry: always empty (None) in the rows.
NOT_CARRIED: tuple[str, ...] = tuple(c for c in ALL_COLUMNS if c not in {m[0] for m in MAPPING})

#: Where an 837P holds identifiers, and what to do with each before an audit (the book renders
#: this). "Pseudonym" means a key that is the same for the same person or claim everywhere in the
#: file, not derived from the real value, with the key table kept inside the practice. The reader
#: reads only CLM01, the member ID and the dependent's name from these segments.
IDENTIFIERS: tuple[tuple[str, str, str], ...] = (
    ("NM1*IL (2010BA) NM109", "subscriber's member ID", "consistent pseudonym (the audit's patient key)"),
    ("NM1*IL (2010BA) NM103-NM107", "subscriber's name", "placeholder (for example SUBSCRIBER)"),
    ("NM1*QC (2010CA) NM103-NM107", "dependent patient's name", "consistent pseudonym (with the member ID, the "
     "patient key)"),
    ("CLM01 (2300)", "patient control (account) number", "consistent pseudonym (the audit's claim key)"),
    ("N3, N4 (2010BA, 2010CA)", "subscriber's and patient's address", "placeholder"),
    ("DMG (2010BA, 2010CA)", "birth date and sex", "placeholder birth date"),
    ("PER (2010BA, 2010CA)", "telephone number", "remove"),
    ("REF (2010BA, 2010CA)", "Social Security number (SY) and other personal IDs", "remove"),
    ("SBR03 (2000B)", "group or policy number", "remove"),
    ("REF*EA (2300)", "medical record number", "remove"),
    ("REF (2300, 2400) and NTE (2300, 2400)", "authorization, referral and control numbers; free-text notes",
     "remove"),
    ("DTP (2300)", "onset, admission, discharge and other claim dates", "remove (the audit reads only DTP*472, "
     "the date of service)"),
    ("NM1*85, NM1*82 (2010AA, 2310B, 2420A)", "practice and clinician names and NPIs",
     "not patient identifiers; consistent keys if practice policy asks"),
)

_ICD10 = ("ABK", "ABF")
_ICD9 = ("BK", "BF")
_ENVELOPE = ("ISA", "IEA", "GS", "GE", "ST", "SE")
_NL = re.compile(r"\r\n|\r|\n")
_ISA_LEN = 106  # the ISA is fixed width: its 106th character is the segment terminator
_OTHER_TRANSACTIONS = {
    "835": "an 835 remittance advice (payments), not an 837P claim file",
    "834": "an 834 enrollment file, not an 837P claim file",
    "270": "a 270 eligibility inquiry, not an 837P claim file",
    "271": "a 271 eligibility response, not an 837P claim file",
    "276": "a 276 claim status inquiry, not an 837P claim file",
    "277": "a 277 claim status response, not an 837P claim file",
    "999": "a 999 acknowledgment, not an 837P claim file",
    "997": "a 997 acknowledgment, not an 837P claim file",
}


@dataclass
class X12Read:
    """One 837P file as raw claim lines (see the module docstring).

    ``unit`` says what ``line`` numbers count: "line" (physical lines: one segment per line)
    or "segment" (the whole interchange on one line: the 1-based segment number).
    ``malformed`` holds both the service lines set aside (``lines_malformed`` of them, each at
    its SV1's line) and the file's other errors (a wrong count, a bad address), which are not
    claim lines: ``rows_read == len(rows) + lines_malformed``.
    """

    rows: list[dict[str, str | int | None]]
    malformed: list[tuple[int, str, str]]
    rows_read: int
    unit: str
    present: frozenset[str]
    notes: list[str] = field(default_factory=list)
    lines_malformed: int = 0


def looks_like_x12(head: bytes) -> bool:
    """True when the bytes start with "ISA" after an optional UTF-8 BOM and whitespace."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"ISA")


# --- the file as segments (before pyx12) ----------------------------------------------------------


@dataclass
class _Seg:
    line: int  # physical line (or segment number, see X12Read.unit)
    text: str  # without the terminator and leading line breaks


@dataclass
class _Split:
    segs: list[_Seg]  # the segments handed to pyx12, in order
    empty: list[int]  # lines of empty segments (two terminators in a row), left out
    tail: _Seg | None  # text after the last terminator: a truncated segment
    unit: str
    ele: str
    sub: str
    term: str


def _load(p: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing what is missing, too big or binary before parsing anything."""
    from .ingest import check_file

    check_file(p, max_bytes, empty="an 837P starts with an ISA segment")
    with open(p, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AuditInputError(f"{p}: file grew past the {max_bytes / 1e6:.0f} MB limit while being read")
    if b"\x00" in data:
        raise AuditInputError(f"{p}: binary file (NUL bytes), not an X12 text file")
    return data


def _decode(p: Path, data: bytes, notes: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        notes.append(f"the file is not UTF-8 (first bad byte at offset {exc.start}); it was read as Latin-1, and "
                     "pyx12 reports every non-ASCII character as an invalid character")
        return data.decode("latin-1")


def _split(p: Path, text: str) -> _Split:
    """Segments with their physical lines; the ISA gives the delimiters."""
    lead = len(text) - len(text.removeprefix("\ufeff").lstrip(" \t\r\n"))
    if not text.startswith("ISA", lead):
        raise AuditInputError(f"{p}: not an X12 file (it does not start with an ISA segment)")
    isa = text[lead:lead + _ISA_LEN]
    ele = isa[3:4]
    parts = isa.split(ele) if ele else []
    term = isa[-1:] if len(isa) == _ISA_LEN else ""
    if len(parts) != 17 or len(parts[16]) != 2 or not term:
        raise AuditInputError(f"{p}: the ISA segment is not the fixed 106-character header (16 elements of fixed "
                              "width), so its delimiters cannot be read")
    sub = parts[16][0]
    delims = {ele, sub, term}
    if len(delims) < 3 or any(c.isalnum() or c == " " for c in delims):
        raise AuditInputError(f"{p}: the ISA declares unusable delimiters (element {ele!r}, sub-element {sub!r}, "
                              f"segment {term!r}): they must be distinct and not letters, digits or spaces")
    version = parts[12]
    if version != "00501":
        what = "4010 (HIPAA 4010, retired in 2012)" if version == "00401" else repr(version)
        raise AuditInputError(f"{p}: X12 version {what}; only 5010 ({VERSION}) 837P files can be audited")
    breaks = [m.start() for m in _NL.finditer(text)] if ("\n" in text or "\r" in text) else []
    pieces: list[tuple[int, _Seg]] = []  # (kind: 0 segment, 1 empty, 2 tail), in file order
    pos = lead
    n = len(text)
    while pos < n:
        end = text.find(term, pos)
        piece = text[pos:n if end < 0 else end]
        stripped = piece.lstrip("\r\n")
        start = pos + len(piece) - len(stripped)
        seg = _Seg(bisect.bisect_right(breaks, start - 1) + 1, stripped)  # line = 1 + breaks before it
        if end < 0:
            if stripped.strip():
                pieces.append((2, seg))
            break
        pieces.append((0 if stripped else 1, seg))
        pos = end + len(term)
    lines = [s.line for kind, s in pieces if kind != 1]
    unit = "line" if len(set(lines)) == len(lines) else "segment"
    if unit == "segment":  # the whole interchange on one line: number the segments, 1-based, in file order
        for k, (_, s) in enumerate(pieces, start=1):
            s.line = k
    segs = [s for kind, s in pieces if kind == 0]
    empty = [s.line for kind, s in pieces if kind == 1]
    tail = next((s for kind, s in pieces if kind == 2), None)
    return _Split(segs, empty, tail, unit, ele, sub, term)


def _fields(seg: _Seg, ele: str) -> list[str]:
    return seg.text.split(ele)


def _check_envelope(p: Path, sp: _Split) -> None:
    """Refuse a file that is not an 837P 5010 (an 835, an 837I, a 4010) or has no group at all."""
    groups = 0
    for s in sp.segs:
        sid = s.text[:3].split(sp.ele)[0]
        if sid == "GS":
            groups += 1
            f = _fields(s, sp.ele)
            gs01 = f[1] if len(f) > 1 else ""
            gs08 = f[8] if len(f) > 8 else ""
            if gs08 == VERSION and gs01 == "HC":
                continue
            if gs08.startswith("005010X223"):
                raise AuditInputError(f"{p}: an 837I institutional claim file (GS08 {gs08}), not an 837P "
                                      "professional one")
            if gs08.startswith("004010"):
                raise AuditInputError(f"{p}: X12 version 4010 (GS08 {gs08}); only 5010 ({VERSION}) 837P files can be "
                                      "audited")
            if gs01 == "HP" or gs08.startswith("005010X221"):
                raise AuditInputError(f"{p}: an 835 remittance advice (GS08 {gs08}), not an 837P claim file")
            raise AuditInputError(f"{p}: functional group at line {s.line} is {gs01 or '?'} {gs08 or '?'}, not an 837P "
                                  f"claim file ({VERSION})")
        if sid == "ST":
            f = _fields(s, sp.ele)
            st01 = f[1] if len(f) > 1 else ""
            if st01 != "837":
                what = _OTHER_TRANSACTIONS.get(st01, f"transaction set {st01 or '?'}, not an 837P claim file")
                raise AuditInputError(f"{p}: {what} (ST at line {s.line})")
    if groups == 0:
        raise AuditInputError(f"{p}: no GS functional group after the ISA: are the delimiters right? (the ISA declares "
                              f"element {sp.ele!r} and segment terminator {sp.term!r})")


# --- walking pyx12's segments ----------------------------------------------------------------------


@dataclass(eq=False)
class _Err:
    """One problem found in the file; ``used`` once it has made a service line unusable."""

    line: int
    reason: str
    raw: str
    used: bool = False
    label: str = ""  # "SV1 segment", "end of file"...: said once for consecutive problems of one place


@dataclass
class _Val:
    """A value read from a segment, with the errors pyx12 found in it (or in its segment)."""

    text: str | None
    errors: list[_Err] = field(default_factory=list)


@dataclass
class _Level:
    """One hierarchical level (HL): 20 billing provider, 22 subscriber, 23 patient."""

    code: str
    errors: list[_Err] = field(default_factory=list)  # HL, SBR segment-level: the loop itself
    values: dict[str, _Val] = field(default_factory=dict)


@dataclass
class _Line:
    lx: _Seg
    errors: list[_Err] = field(default_factory=list)
    sv1: list[str] | None = None
    sv1_seg: _Seg | None = None
    date: _Val | None = None
    provider: _Val | None = None


@dataclass
class _Claim:
    levels: dict[str, _Level | None]
    clm: _Seg | None
    errors: list[_Err] = field(default_factory=list)
    values: dict[str, _Val] = field(default_factory=dict)
    dx: list[tuple[str, str]] | None = None  # (qualifier, code) of the diagnosis HI
    dx_errors: list[_Err] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)


class _Walker:
    """Turns pyx12's placed segments into rows and malformed entries (one claim at a time)."""

    def __init__(self, sp: _Split) -> None:
        self.sp = sp
        self.rows: list[dict[str, str | int | None]] = []
        self.units: list[tuple[int, str, str]] = []  # malformed service lines
        self.errors: list[_Err] = []  # every problem; the unused ones become entries of their own
        self.levels: dict[str, _Level | None] = {"20": None, "22": None, "23": None}
        self.claim: _Claim | None = None
        self.line: _Line | None = None
        self.in_st = False
        self.noted: dict[str, int] = {"range": 0, "dependent": 0}  # rows only
        self.has_dx = False
        self.has_payer = False

    # -- errors
    def err(self, seg: _Seg, msg: str) -> _Err:
        sid = seg.text.split(self.sp.ele)[0]
        label = f"{sid} segment" if sid.isascii() and sid.isalnum() and len(sid) <= 3 else "unreadable segment"
        e = _Err(seg.line, _sentence(msg), seg.text, label=label)
        self.errors.append(e)
        return e

    def innermost(self) -> list[_Err]:
        """Where a 'mandatory segment missing' belongs: the service line or claim open before this
        segment (an 837P claim's required segments, HI and DTP*472, are ones the audit reads). A
        segment missing from a provider or subscriber loop (an address) is a file error only."""
        if self.line is not None:
            return self.line.errors
        if self.claim is not None:
            return self.claim.errors
        return []

    # -- units
    def close_claim(self) -> None:
        self.line = None
        if self.claim is not None:
            for ln in self.claim.lines:
                self.finish(self.claim, ln)
        self.claim = None

    def finish(self, claim: _Claim, ln: _Line) -> None:
        row, problems = _row(self, claim, ln)
        anchor = ln.sv1_seg or ln.lx
        if not problems:
            assert row is not None
            row["line"] = anchor.line
            self.rows.append(row)
            return
        for e in problems:
            e.used = True
        self.units.append((anchor.line, _reasons(problems, anchor.line), anchor.text))

    # -- one segment
    def segment(self, seg: _Seg, seg_data: Any, loop: str | None, name: str,
                seg_errs: list[tuple[str | None, str, str]], missing: list[str]) -> None:
        """``seg_errs``: (element refdes or None, code, message) about this segment; ``missing``:
        mandatory segments or loops pyx12 found missing just before it."""
        where = self.innermost()
        for msg in missing:
            e = _Err(seg.line, f"{_sentence(msg)[:-1]} (pyx12 noticed it at line {seg.line}).", seg.text)
            self.errors.append(e)
            where.append(e)
        sid = seg_data.get_seg_id() or ""
        errs = [(ref, self.err(seg, msg)) for ref, _, msg in seg_errs]

        def val(ref: str) -> _Val:
            """The value at ``ref`` with the errors that concern it (its element's, or the segment's)."""
            elem = ref.split("-")[0]
            mine = [e for r, e in errs if r is None or r.split("-")[0] == elem]
            v = seg_data.get_value(ref)
            return _Val(v if v else None, mine)

        every = [e for _, e in errs]
        placed = loop is not None
        if sid == "ST":
            self.close_claim()
            self.levels = {"20": None, "22": None, "23": None}
            self.in_st = True
        elif sid == "SE":
            self.close_claim()
            self.in_st = False
        elif sid == "HL":
            self.close_claim()
            level = seg_data.get_value("HL03") or ""
            if not placed or level not in self.levels:
                level = {"2000A": "20", "2000B": "22", "2000C": "23"}.get(loop or "", level)
            lvl = _Level(level, list(every))
            if not placed:
                lvl.errors.append(self.err(seg, "this HL could not be placed in the 837P hierarchy, so the claims "
                                                "under it cannot be attributed"))
            if level == "20":
                self.levels = {"20": lvl, "22": None, "23": None}
            elif level == "23":
                self.levels["23"] = lvl
            else:  # 22, or a level the 837P does not know: the claims after it get its errors
                if level != "22" and placed:
                    lvl.errors.append(self.err(seg, f"hierarchical level code HL03 {level!r} is not 20, 22 or 23"))
                self.levels.update({"22": lvl, "23": None})
        elif sid == "CLM":
            self.close_claim()
            self.claim = _Claim(dict(self.levels), seg)
            if placed:
                self.claim.values = {"claim_id": val("CLM01"), "pos": val("CLM05-1")}
                self.claim.errors += [e for r, e in errs if r is None]
            else:
                self.claim.errors += every
                self.claim.values = {"claim_id": _Val(seg_data.get_value("CLM01") or None)}
        elif sid == "LX":
            if self.claim is None:  # no claim open: a claim-less service line
                self.claim = _Claim(dict(self.levels), None)
                self.claim.errors.append(self.err(seg, "service line outside any claim (no CLM before it)"))
            self.line = _Line(seg)
            if not placed:
                self.line.errors += every
            self.claim.lines.append(self.line)
        elif sid == "SV1":
            if self.line is None or self.line.sv1 is not None:
                # an SV1 with no LX of its own: still a service line, so it is still counted
                if self.claim is None:
                    self.claim = _Claim(dict(self.levels), None)
                    self.claim.errors.append(self.err(seg, "service line outside any claim (no CLM before it)"))
                self.line = _Line(seg)
                self.line.errors.append(self.err(seg, "SV1 without its own LX service line number"))
                self.claim.lines.append(self.line)
            self.line.sv1 = [seg_data.get_value(r) or "" for r in
                             ("SV101-1", "SV101-2", "SV101-3", "SV101-4", "SV101-5", "SV101-6", "SV103", "SV104",
                              "SV105", "SV107-1", "SV107-2", "SV107-3", "SV107-4")]
            self.line.sv1_seg = seg
            self.line.errors += every
        elif not placed:
            return  # reported (not found); it feeds no value
        elif loop == "2400" and sid == "DTP" and seg_data.get_value("DTP01") == "472":
            if self.line is not None:
                self.line.date = _Val(f"{seg_data.get_value('DTP02') or ''}|{seg_data.get_value('DTP03') or ''}", every)
        elif loop == "2420A" and sid == "NM1":
            if self.line is not None:
                self.line.provider = val("NM109")
        elif loop == "2310B" and sid == "NM1":
            if self.claim is not None:
                self.claim.values["provider"] = val("NM109")
        elif loop == "2300" and sid == "HI" and name == "Health Care Diagnosis Code":
            if self.claim is not None:
                self.has_dx = True
                codes = []
                for k in range(1, 13):
                    comp = seg_data.get(f"HI{k:02d}")
                    if comp is None:
                        break
                    q = comp[0].get_value() if len(comp) > 0 else ""
                    c = comp[1].get_value() if len(comp) > 1 else ""
                    codes.append((q, c))
                self.claim.dx = codes
                self.claim.dx_errors += every
        elif loop == "2010AA" and sid == "NM1" and self.levels["20"] is not None:
            self.levels["20"].values["npi"] = val("NM109")
        elif loop == "2000B" and sid == "SBR" and self.levels["22"] is not None:
            self.levels["22"].values["sbr02"] = val("SBR02")
            self.levels["22"].errors += [e for r, e in errs if r is None]
        elif loop == "2010BA" and sid == "NM1" and self.levels["22"] is not None:
            self.levels["22"].values["member"] = val("NM109")
        elif loop == "2010BB" and sid == "NM1" and self.levels["22"] is not None:
            self.levels["22"].values["payer"] = val("NM103")
            self.has_payer = True
        elif loop == "2010CA" and sid == "NM1" and self.levels["23"] is not None:
            lvl = self.levels["23"]
            lvl.values.update({"last": val("NM103"), "first": val("NM104")})


def _sentence(msg: object) -> str:
    """One line, control characters escaped (pyx12 quotes the raw segment), ending with a full stop."""
    text = " ".join(str(msg).split())
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    return text if text.endswith(".") else text + "."


def _reasons(errs: list[_Err], line: int) -> str:
    """The problems of one unit or segment as one entry: up to three, located when elsewhere."""
    parts: list[tuple[str, str]] = []
    for e in errs:
        text = e.reason.removesuffix(".")
        if e.line != line and "line" not in text:
            text += f" (line {e.line})"
        if (e.label, text) not in parts:
            parts.append((e.label, text))
    out, last = [], None
    for label, text in parts[:3]:
        out.append(f"{label}: {text}" if label and label != last else text)
        last = label
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    return "; ".join(out) + more + "."


def _dx_text(code: str) -> str:
    """ICD-10-CM with its dot ("Z451" -> "Z45.1"), as the CSV export writes it."""
    c = code.strip().upper()
    return c[:3] + "." + c[3:] if len(c) > 3 and "." not in c else c


def _date(text: str) -> tuple[str | None, bool, str | None]:
    """(ISO date, was a range, problem) from DTP02|DTP03."""
    fmt, _, value = text.partition("|")
    if fmt == "D8" and len(value) == 8 and value.isascii() and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}", False, None
    if fmt == "RD8" and len(value) == 17 and value[8] == "-" and value[:8].isascii() and value[:8].isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}", True, None
    return None, False, f"service date {value!r} is not a D8 or RD8 date (format {fmt!r})"


def _row(w: _Walker, claim: _Claim, ln: _Line) -> tuple[dict[str, str | int | None] | None, list[_Err]]:
    """The raw row of one service line, or the problems that make it unusable."""
    anchor = ln.sv1_seg or ln.lx
    problems: list[_Err] = []  # outer first: a broken claim or loop is the cause of its lines' problems
    for code in ("20", "22", "23"):
        if (lvl := claim.levels[code]) is not None:
            problems.extend(lvl.errors)
    problems += claim.errors + ln.errors
    flags: set[str] = set()  # things to note, counted only when the line becomes a row

    def fail(msg: str) -> None:
        e = _Err(anchor.line, msg, anchor.text)
        w.errors.append(e)
        problems.append(e)

    def need(v: _Val | None) -> str | None:
        if v is None:
            return None
        problems.extend(v.errors)
        return v.text

    if ln.sv1 is None:  # an LX with no SV1 (or an SV1 pyx12 never reached: its problem is already listed)
        if ln.sv1_seg is None:
            fail(f"service line LX at line {ln.lx.line} has no SV1 (professional service) segment.")
        return None, _dedupe(problems)
    qual, code, m1, m2, m3, m4, basis, units, sv105, *pointers = ln.sv1
    if qual != "HC":
        fail(f"not a HCPCS/CPT line: SV101-1 is {qual!r}, not HC.")
    if basis == "MJ":
        fail("units are anesthesia minutes (SV103 = MJ), not service units.")
    elif basis != "UN":
        fail(f"unit basis SV103 is {basis!r}, not UN (units).")
    claim_id = need(claim.values.get("claim_id"))
    if not claim_id:
        fail("its claim has no claim number (CLM01).")
    date = None
    if ln.date is None:
        fail("no service date (DTP*472) on this service line.")
    else:
        problems.extend(ln.date.errors)
        date, ranged, bad = _date(ln.date.text or "")
        if bad:
            fail(bad + ".")
        if ranged:
            flags.add("range")
    pos = sv105 or need(claim.values.get("pos"))
    provider = need(ln.provider) or need(claim.values.get("provider"))
    if not provider and claim.levels["20"] is not None:
        provider = need(claim.levels["20"].values.get("npi"))
    if not provider:
        fail("no rendering or billing provider ID (2420A, 2310B or 2010AA NM109).")
    patient = _patient(flags, claim, need, fail)
    diagnoses = None
    if claim.dx is not None:
        problems.extend(claim.dx_errors)
        diagnoses = _diagnoses(claim.dx, [p for p in pointers if p], fail)
    elif any(pointers):
        fail("diagnosis pointers (SV107) but the claim has no diagnosis (HI) segment.")
    payer = None
    if (sub := claim.levels["22"]) is not None:
        payer = need(sub.values.get("payer"))
    if problems:
        return None, _dedupe(problems)
    for f in flags:
        w.noted[f] += 1
    mods = " ".join(m for m in (m1, m2, m3, m4) if m) or None
    row: dict[str, str | int | None] = {c: None for c in ALL_COLUMNS}
    row.update({"claim_id": claim_id, "patient_id": patient, "provider_id": provider, "date_of_service": date,
                "place_of_service": pos or None, "code": code or None, "modifiers": mods, "units": units or None,
                "diagnoses": diagnoses, "payer": payer})
    return row, []


def _patient(flags: set[str], claim: _Claim, need: Callable[[_Val | None], str | None],
             fail: Callable[[str], None]) -> str | None:
    sub, pat = claim.levels["22"], claim.levels["23"]
    if sub is None:
        fail("its claim is not under a subscriber loop (2000B).")
        return None
    if pat is not None:  # 5010 gives a dependent no ID of its own (2010CA NM108/NM109 are "not used")
        member = need(sub.values.get("member"))
        name = ", ".join(x for x in (need(pat.values.get("last")), need(pat.values.get("first"))) if x)
        if not member or not name:
            fail("a dependent patient (2000C) needs the subscriber's ID and the patient's name to be told apart.")
            return None
        flags.add("dependent")
        return f"{member} {name}"
    rel = sub.values.get("sbr02")
    if rel is None or rel.text != "18":
        fail(f"the subscriber is not the patient (SBR02 is {rel.text if rel else None!r}, not 18) and there is no "
             "patient loop (2000C).")
        return None
    member = need(sub.values.get("member"))
    if not member:
        fail("the subscriber has no member ID (2010BA NM109).")
    return member


def _diagnoses(dx: list[tuple[str, str]], pointers: list[str], fail: Callable[[str], None]) -> str | None:
    if not pointers:
        fail("no diagnosis pointer (SV107-1) on this service line.")
        return None
    out = []
    for p in pointers:
        k = int(p) if p.isascii() and p.isdigit() else 0
        if not 1 <= k <= len(dx):
            fail(f"diagnosis pointer {p!r} does not point at one of the claim's {len(dx)} diagnosis codes.")
            return None
        q, c = dx[k - 1]
        if q in _ICD9:
            fail(f"diagnosis pointer {p} points at an ICD-9-CM code ({q}); the audit reads ICD-10-CM only.")
            return None
        if q not in _ICD10:
            fail(f"diagnosis pointer {p} points at a code with qualifier {q!r}, not ABK/ABF (ICD-10-CM).")
            return None
        out.append(_dx_text(c))
    return ";".join(out)


def _dedupe(errs: list[_Err]) -> list[_Err]:
    return list(dict.fromkeys(errs))  # _Err compares by identity: one problem, listed once


def _drain(errh: Any, node: Any) -> tuple[list[tuple[str | None, str, str]], list[str], list[str]]:
    """Errors pyx12 found at this segment: (about the segment itself: element refdes or None, code,
    message), ('mandatory segment missing' before it), (interchange, group or transaction level).

    pyx12 puts walker and reader errors both on the node and in the caller's handler, and element
    errors only in the handler: read both, once each.
    """
    seg_errs: list[tuple[str | None, str, str]] = []
    missing: list[str] = []
    envelope: list[str] = []
    seen: set[tuple[str, str]] = set()

    def new(code: str, msg: str) -> bool:
        if (code, msg) in seen:
            return False
        seen.add((code, msg))
        return True

    for source in (errh, node):
        for kind in ("err_isa", "err_gs", "err_st"):
            envelope += [msg for code, msg in getattr(source, kind) if new(code, msg)]
        for code, msg, _value in source.err_seg:
            if new(code, msg):
                if code == "3":
                    missing.append(msg)
                else:
                    seg_errs.append((None, code, msg))
        for code, msg, _value, refdes in source.err_ele:
            if new(code, msg):
                seg_errs.append((refdes, code, msg))
    errh.reset()
    return seg_errs, missing, envelope


def _not_found(seg_errs: list[tuple[str | None, str, str]]) -> bool:
    """pyx12 could not place the segment in the 837P map (unknown, or not allowed where it is)."""
    return any(ref is None and code == "1" and ("not found" in msg or "is invalid" in msg)
               for ref, code, msg in seg_errs)


def read_837(path: str | Path, max_bytes: int) -> X12Read:
    """Read one 837P file: rows per service line, malformed entries, counts (see ``X12Read``).

    Raises ``AuditInputError`` (one line, naming the file) when the file cannot be audited at all:
    missing, over ``max_bytes``, binary, not X12, not an 837P, not 5010.
    """
    import pyx12.error_handler
    import pyx12.errors
    import pyx12.params
    import pyx12.x12context

    _quiet_pyx12()
    p = Path(path)
    notes: list[str] = []
    text = _decode(p, _load(p, max_bytes), notes)
    sp = _split(p, text)
    _check_envelope(p, sp)
    feed = "".join(s.text + sp.term + "\n" for s in sp.segs) if sp.term not in "\r\n" else \
        "".join(s.text + sp.term for s in sp.segs)
    del text
    w = _Walker(sp)
    for line in sp.empty:
        w.errors.append(_Err(line, "empty segment (two segment terminators in a row); it was skipped.", ""))
    errh = pyx12.error_handler.errh_list()  # collects every validation error; drained per segment
    param = pyx12.params.ParamsBase()  # defaults only: no config file from the home folder
    stopped_at: int | None = None
    try:
        reader = pyx12.x12context.X12ContextReader(param, errh, io.StringIO(feed))
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:
        raise AuditInputError(f"{p}: pyx12 cannot read the interchange header ({_sentence(exc)})") from None
    nodes: Iterator = reader.iter_segments()
    done = 0
    while True:
        try:
            node = next(nodes)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001 - pyx12 gave up: keep what was read, report the rest
            stopped_at = done
            w.errors.append(_Err(sp.segs[min(done, len(sp.segs) - 1)].line,
                                 f"pyx12 stopped parsing here ({type(exc).__name__}: {_sentence(exc)}) and the rest "
                                 "of the file was not read.", sp.segs[min(done, len(sp.segs) - 1)].text))
            break
        k = int(node.cur_line_number or 0)
        if not 1 <= k <= len(sp.segs):
            raise AssertionError(f"pyx12 segment number {k} is out of range")  # our split and pyx12's disagree
        done = k
        seg = sp.segs[k - 1]
        seg_errs, missing, envelope = _drain(errh, node)
        for msg in envelope:
            w.err(seg, msg)
        placed = not _not_found(seg_errs)
        mnode = node.x12_map_node
        loop = mnode.parent.id if placed and mnode is not None and mnode.parent is not None else None
        name = (mnode.name or "") if placed and mnode is not None else ""
        w.segment(seg, node.seg_data, loop, name, seg_errs, missing)
    if stopped_at is None:
        reader.src.cleanup()
        for _kind, _code, msg, _v, _l in reader.src.pop_errors():
            last = sp.segs[-1]
            w.errors.append(_Err(last.line, _sentence(msg), "", label="end of file"))
    reader.close()
    unread = sp.segs[stopped_at:] if stopped_at is not None else []
    if unread and unread[0].text.split(sp.ele)[0] in ("CLM", "HL", "ST", "SE", "GE", "IEA"):
        w.close_claim()  # pyx12 stopped at a claim boundary: the claim before it is whole
    tail_err: _Err | None = None
    if sp.tail is not None:
        tail_err = _Err(sp.tail.line, "the file ends inside this segment (no segment terminator): it is truncated.",
                        sp.tail.text)
        w.errors.append(tail_err)
        unread.append(sp.tail)
    if (w.in_st or unread) and w.claim is not None:
        at = w.claim.clm or sp.segs[-1]
        e = _Err(at.line, f"the file ends inside the claim that starts at line {at.line} (no SE trailer after it): it "
                          "may be truncated.", at.text)
        w.errors.append(e)
        w.claim.errors.append(e)

    def lost(s: _Seg) -> _Err:
        if s is sp.tail and tail_err is not None:
            return tail_err
        e = _Err(s.line, "this service line was not parsed (pyx12 stopped before it).", s.text)
        w.errors.append(e)
        return e

    sv1s = [s for s in unread if s.text.split(sp.ele)[0] == "SV1"]  # service lines pyx12 never reached
    if sv1s and w.line is not None and w.line.sv1_seg is None:  # the open LX's own SV1: one unit, not two
        w.line.sv1_seg = sv1s.pop(0)
        w.line.errors.append(lost(w.line.sv1_seg))
    w.close_claim()
    for s in sv1s:
        e = lost(s)
        e.used = True
        w.units.append((s.line, e.reason, s.text))
    by_segment: dict[tuple[int, str], list[_Err]] = {}
    for e in w.errors:
        if not e.used:
            by_segment.setdefault((e.line, e.raw), []).append(e)
    file_errors = [(line, _reasons(errs, line), raw) for (line, raw), errs in by_segment.items()]
    malformed = sorted(w.units + file_errors, key=lambda t: t[0])
    if w.noted["range"]:
        notes.append(f"{w.noted['range']} service line(s) had a date range (RD8): the first day was used as the date "
                     "of service")
    if w.noted["dependent"]:
        notes.append(f"{w.noted['dependent']} service line(s) are for dependents (loop 2000C): 5010 gives them no "
                     "ID, so the patient key is the subscriber ID plus the patient's name")
    present = frozenset(c for c, ok in (("diagnoses", w.has_dx), ("payer", w.has_payer)) if ok)
    return X12Read(w.rows, malformed, len(w.rows) + len(w.units), sp.unit, present, notes, len(w.units))


def _quiet_pyx12() -> None:
    """Validation errors are collected here, not logged; keep any pyx12 warning off the terminal
    (Python prints unhandled warnings to stderr), so bad input still gives one-line messages."""
    log = logging.getLogger("pyx12")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())

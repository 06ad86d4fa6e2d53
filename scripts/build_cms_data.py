"""Build pumpbill/data/cms/*.csv from the extracted CMS rows in shared/domain/cms.

The product's fee-schedule, NCCI and HCPCS figures are shipped data, never typed by
hand: this script copies them out of the rows files, checks each table's internal
consistency (totals = components, one conversion factor per file, valid dates), and
puts the provenance (CMS file, release, the public copy's repository, path and
commit) on every row. Output is deterministic (sorted rows, "\\n" line ends) and each
file is replaced atomically. A missing or malformed rows file exits 2 with one line
naming it.

    .venv/bin/python scripts/build_cms_data.py [ROWS_DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = ROOT.parent / "shared" / "domain" / "cms"
DEFAULT_OUT = ROOT / "pumpbill" / "data" / "cms"
PROVENANCE_COLUMNS = ["source_file", "release", "source_repo", "source_path", "source_commit"]


@dataclass(frozen=True)
class Source:
    """One rows file: the CMS file it was cut from and how the product cites it."""

    rows_file: str
    cms_file: str
    release: str
    mentions: tuple[str, ...]  # strings its header comment must contain (guards against a mislabel)


PFS_2026 = Source("PPRRVU2026_Jul_nonQPP_rows.csv", "PPRRVU2026_Jul_nonQPP.csv", "RVU26C (July 2026 release)",
                  ("PPRRVU2026_Jul_nonQPP.csv", "RVU26C"))
PFS_2025 = Source("PPRRVU2025_Oct_rows.csv", "PPRRVU2025_Oct.csv", "RVU25D (October 2025 release)", ())
PTP_OPH = Source("PTP_OPH_v32.3_rows.txt", "ccioph-v323r0-f1..f4",
                 "NCCI PTP outpatient hospital v32.3, effective 2026-10-01", ("ccioph-v323r0-f1..f4", "v32.3"))
MUE_PRAC = Source("MUE_practitioner_2026Q2_MAI3only_rows.txt",
                  "medicare-ncci-2026-q2-practitioner-services-mue-table.zip",
                  "NCCI practitioner MUE 2026 Q2 (MAI 3 rows only)",
                  ("medicare-ncci-2026-q2-practitioner-services-mue-table.zip", "MAI 3"))
MUE_OPH = Source("MUE_OPH_eff_2026-10-01_rows.txt", "MCR_MUE_OutpatientHospitalServices_Eff_10-01-2026.csv",
                 "NCCI outpatient hospital MUE effective 2026-10-01",
                 ("MCR_MUE_OutpatientHospitalServices_Eff_10-01-2026.csv",))
HCPCS = Source("HCPC2026_JAN_ANWEB_rows.txt", "HCPC2026_JAN_ANWEB_01122026.txt", "HCPCS 2026 January annual file",
               ("HCPC2026_JAN_ANWEB_01122026.txt", "January 2026"))
PFS_YEARS = {PFS_2025: (2025, 31), PFS_2026: (2026, 32)}  # year, fields per row (2026 has one more before CF)

# PPRRVU2025_Oct_rows.csv has no header comment. The CMS file it was cut from was located and checked:
# all its rows occur byte for byte in this public copy (identical to yashgiri899/APEX PPRRVU2025_Oct.csv,
# commit dbaf0a7113d309de73fc9ab1b0fb017f14a888ec); shared/reviews/2026-11/fact-review.md names the mirror.
# A "# Source:" header in the rows file, when it gains one, takes precedence.
NO_HEADER_PROVENANCE = {
    PFS_2025.rows_file: ("github.com/JQ-dev/Medicare-Repricer", "data/ruv25d/PPRRVU2025_Oct.csv",
                         "158804df242aeedd83badf375f8a480f04a65c74"),
}

CODE = r"[0-9A-Z]{5}"
PAIR = re.compile(rf"(?<![0-9A-Za-z])({CODE})(?:(?:\.\.|-)({CODE}))?:([0-9])(?![0-9])")
SOURCE_LINE = re.compile(r"# Source: (github\.com/[\w.-]+/[\w.-]+), path (\S+), commit ([0-9a-f]{40})\b")


class BuildError(Exception):
    """A rows file is missing or not in the expected form."""


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn any parse failure into a BuildError that names the rows file."""
    try:
        yield
    except BuildError:
        raise
    except FileNotFoundError:
        raise BuildError(f"{path}: missing") from None
    except (ValueError, IndexError, KeyError, InvalidOperation, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: malformed ({exc.__class__.__name__}: {exc})") from None


def check(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(what)


def read_lines(src: Path, source: Source) -> tuple[list[str], list[str]]:
    """(comment lines, data lines) of a rows file; CRLF tolerated."""
    text = (src / source.rows_file).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    return [ln for ln in lines if ln.startswith("#")], [ln for ln in lines if not ln.startswith("#")]


def provenance(source: Source, comments: list[str]) -> list[str]:
    """The five provenance cells, from the header's "# Source:" line (or the documented fallback)."""
    found = [m.groups() for m in map(SOURCE_LINE.match, comments) if m]
    if found:
        check(len(found) == 1, "more than one '# Source:' line")
        repo, path, commit = found[0]
    else:
        check(source.rows_file in NO_HEADER_PROVENANCE, "no '# Source: github.com/..., path ..., commit ...' line")
        repo, path, commit = NO_HEADER_PROVENANCE[source.rows_file]
    header = "\n".join(comments)
    for needle in source.mentions:
        check(needle in header, f"header does not mention {needle!r}")
    check(Path(path).name == source.cms_file or source.cms_file in header, "CMS file name not in header")
    return [source.cms_file, source.release, repo, path, commit]


def decimal(text: str, what: str) -> Decimal:
    check(re.fullmatch(r"\d+\.\d+", text) is not None, f"{what} {text!r} is not a decimal")
    return Decimal(text)


# --- Physician Fee Schedule --------------------------------------------------------------------------
PFS_HEADER = ["code", "year", "description", "status", "work_rvu", "nonfacility_pe", "nonfacility_na",
              "facility_pe", "facility_na", "mp_rvu", "nonfacility_total", "facility_total", "pctc", "global",
              "conversion_factor"]


def pfs_rows(src: Path, source: Source) -> list[list[str]]:
    """Rows of one PPRRVU file. Columns 1-23 have the same place in 2025 and 2026; the conversion factor is
    the 7th field from the end in both (2026 has one more column before it), so it is taken from the end."""
    year, width = PFS_YEARS[source]
    comments, data = read_lines(src, source)
    prov = provenance(source, comments)
    rows, factors = [], set()
    for n, fields in enumerate(csv.reader(data), 1):
        check(len(fields) == width, f"row {n} has {len(fields)} fields, expected {width}")
        code, mod, desc, status, _, work, nf_pe, nf_na, f_pe, f_na, mp, nf_tot, f_tot, pctc, glob = fields[:15]
        cf = fields[-7]
        check(re.fullmatch(CODE, code) is not None and mod == "", f"row {n}: code {code!r} modifier {mod!r}")
        check(re.fullmatch(r"[A-Z]", status) is not None, f"row {n}: status {status!r}")
        check(nf_na in ("", "NA") and f_na in ("", "NA"), f"row {n}: NA indicators {nf_na!r} {f_na!r}")
        check(re.fullmatch(r"[0-9]", pctc) is not None, f"row {n}: PC/TC {pctc!r}")
        check(glob in ("000", "010", "090", "XXX", "YYY", "ZZZ", "MMM"), f"row {n}: global {glob!r}")
        w, mpv = decimal(work, "work RVU"), decimal(mp, "MP RVU")
        check(w + decimal(nf_pe, "PE") + mpv == decimal(nf_tot, "total"), f"row {n}: non-facility total")
        check(w + decimal(f_pe, "PE") + mpv == decimal(f_tot, "total"), f"row {n}: facility total")
        check(decimal(cf, "conversion factor") > 0, f"row {n}: conversion factor")
        factors.add(cf)
        rows.append([code, str(year), desc, status, work, nf_pe, nf_na, f_pe, f_na, mp, nf_tot, f_tot, pctc, glob,
                     cf, *prov])
    check(len(factors) == 1, f"conversion factors {sorted(factors)}")
    check(len({r[0] for r in rows}) == len(rows), "duplicate code")
    return rows


# --- NCCI PTP ----------------------------------------------------------------------------------------
PTP_HEADER = ["column1", "column2", "modifier_indicator", "note"]
SAME_PATTERN = re.compile(r"\(same pattern for ([^)]*)\)")
COMMENT_FORMS = [  # the comment lines that state pairs; any other comment with a pair in it is an error
    re.compile(r"# context: (?P<clauses>.*)"),
    re.compile(r"# other col1 lines seen carrying \S+ as col2: (?P<clauses>.*)"),
    re.compile(r"# --- E/M col1 lines: (?P<col1>.+?) col2 lists contain NONE of .*\(they do list (?P<pairs>[^)]*)\)"),
]
CLAUSE_FORMS = [
    re.compile(rf"(?P<col1>{CODE}(?:/{CODE})*) (?:have|lines carry) (?P<pairs>.+)"),
    re.compile(rf"(?P<col1>{CODE}(?:(?:/| & ){CODE})*) \((?P<pairs>[^)]*)\)"),
]


def pairs_in(text: str, kind: str) -> Iterator[tuple[str, str, str]]:
    """(column 2, indicator, note) for each "code:mi" in text. A range "a..b:mi" (or "a-b:mi") yields its two
    endpoints only: the codes inside it are not listed, and not every number in a range is a code."""
    for m in PAIR.finditer(text):
        lo, hi, mi = m.groups()
        check(mi in "019", f"modifier indicator {mi!r}")
        if hi is None:
            yield lo, mi, kind
        else:
            check(lo < hi, f"range {m.group(0)!r}")
            for code in (lo, hi):
                yield code, mi, f"{kind}; endpoint of range {lo}..{hi} (codes inside it are not listed)"


def ptp_rows(src: Path) -> tuple[list[list[str]], list[str]]:
    """All pairs the PTP rows file states (data lines and pair-stating comments), plus what was skipped."""
    lines = (src / PTP_OPH.rows_file).read_text(encoding="utf-8").splitlines()
    prov = provenance(PTP_OPH, [ln for ln in lines if ln.startswith("#")])
    found: list[tuple[str, str, str, str]] = []
    skipped: list[str] = []
    for n, line in enumerate(lines, 1):
        where = f"rows line {n}"
        if not line.strip() or (line.startswith("#") and (line.startswith("# Format:") or not PAIR.search(line))):
            continue
        if line.startswith("#"):
            form = next((m for m in (f.fullmatch(line.rstrip(" .")) for f in COMMENT_FORMS) if m), None)
            check(form is not None, f"line {n}: a comment states pairs in an unknown form")
            if "col1" in form.groupdict():
                clauses = [(form["col1"], form["pairs"])]
            else:
                clauses = []
                for clause in form["clauses"].split(";"):
                    cm = next((m for m in (f.fullmatch(clause.strip()) for f in CLAUSE_FORMS) if m), None)
                    check(cm is not None, f"line {n}: clause {clause.strip()!r}")
                    clauses.append((cm["col1"], cm["pairs"]))
            for col1_text, pair_text in clauses:
                for item in re.split(r",\s*", pair_text.strip()):
                    if re.fullmatch(CODE, item):  # a column 2 named without its indicator: not shippable
                        skipped.append(f"{where}: {col1_text} with {item}: no modifier indicator given")
                pairs = list(pairs_in(pair_text, f"{where}, comment"))
                found += [(col1, c2, mi, note) for col1 in re.findall(CODE, col1_text) for c2, mi, note in pairs]
            continue
        verbatim = re.fullmatch(rf"({CODE})\t(.*)", line)
        summary = re.fullmatch(rf"({CODE}) \(col1\) -> (.*)", line)
        m = verbatim or summary
        check(m is not None, f"line {n}: neither '<col1>\\t<list>' nor '<col1> (col1) -> <list>'")
        col1, rest = m.groups()
        bare = re.sub(r"[\s,]|\.\.\.", "", PAIR.sub("", rest))  # what is left besides pairs and elisions
        kind = f"{where}, " + ("full list" if verbatim and not bare and "..." not in rest else
                               "list with elisions" if verbatim and not bare else "summary, partial list")
        pairs = list(pairs_in(rest, kind))
        check(bool(pairs), f"line {n}: no pairs")
        found += [(col1, c2, mi, note) for c2, mi, note in pairs]
        same = SAME_PATTERN.search(rest)
        if same:  # the line says so in as many words: the same column-2 entries for these column-1 codes
            said = f"expanded from {col1}: the line says '{same.group(0)}'"
            found += [(other, c2, mi, f"{note}; {said}") for other in re.findall(CODE, same.group(1))
                      for c2, mi, note in pairs]
    rows: dict[tuple[str, str], list[str]] = {}
    for col1, col2, mi, note in found:
        check(col1 != col2, f"pair {col1}/{col2}")
        have = rows.get((col1, col2))
        check(have is None or have[2] == mi, f"{col1}/{col2} has indicators {have and have[2]} and {mi}")
        if have is None:
            rows[(col1, col2)] = [col1, col2, mi, note, *prov]
        elif note not in have[3]:  # stated more than once: say where
            have[3] += f" | {note}"
    return [rows[k] for k in sorted(rows)], skipped


# --- NCCI MUE ----------------------------------------------------------------------------------------
MUE_HEADER = ["code", "table", "value", "mai", "rationale"]


def mue_practitioner(src: Path) -> list[list[str]]:
    """Practitioner MUEs: the derived copy keeps MAI 3 rows only; an 'absent' line is not a row."""
    comments, data = read_lines(src, MUE_PRAC)
    prov = provenance(MUE_PRAC, comments)
    rows = []
    for line in data:
        if re.fullmatch(rf"{CODE} absent", line):
            continue
        m = re.fullmatch(rf"({CODE}) \{{'maxUnits': ([1-9][0-9]*), MAI ([123])\}}", line)
        check(m is not None, f"line {line!r}")
        rows.append([m[1], "practitioner", m[2], m[3], "", *prov])
    check(len({r[0] for r in rows}) == len(rows), "duplicate code")
    return rows


def mue_oph(src: Path) -> list[list[str]]:
    """Outpatient-hospital MUEs with the rationale index mapped to its text (from the header comment)."""
    comments, data = read_lines(src, MUE_OPH)
    prov = provenance(MUE_OPH, comments)
    table = next((c.split("rationale table:", 1)[1] for c in comments if "rationale table:" in c), None)
    check(table is not None, "no 'rationale table:' comment")
    rationale = dict(re.findall(r"(\d+) (.+?)(?=, \d+ |$)", table.strip()))
    check(sorted(map(int, rationale)) == list(range(len(rationale))), f"rationale indexes {sorted(rationale)}")
    tuple_re = rf'\["({CODE})",([1-9][0-9]*),([123]),([0-9]+)\]'
    # "Context rows seen" in a comment are rows of the same CMS table: shipped like the others
    tuples = [t for c in comments if "Context rows seen:" in c for t in re.findall(tuple_re, c)]
    for line in data:
        m = re.fullmatch(rf"\s*{tuple_re},?", line)
        check(m is not None, f"line {line!r}")
        tuples.append(m.groups())
    check(len({t[0] for t in tuples}) == len(tuples), "duplicate code")
    return [[code, "outpatient_hospital", value, mai, rationale[idx], *prov] for code, value, mai, idx in tuples]


# --- HCPCS Level II ----------------------------------------------------------------------------------
HCPCS_HEADER = ["code", "short", "long", "add_date", "term_date", "action_code"]
# CMS HCPC2026_recordlayout.txt (1-based): 1-5 code, 6-10 sequence, 11 record id (3 first line, 4 more long
# description), 12-91 long description, 92-119 short description, 269-276 code added date, 277-284 action
# effective date, 285-292 termination date, 293 action code.


def iso(text: str, what: str) -> str:
    """YYYYMMDD (or blank) -> ISO date (or "")."""
    if not text.strip():
        return ""
    check(re.fullmatch(r"\d{8}", text) is not None, f"{what} {text!r}")
    return datetime.strptime(text, "%Y%m%d").date().isoformat()


def hcpcs_rows(src: Path) -> list[list[str]]:
    comments, data = read_lines(src, HCPCS)
    prov = provenance(HCPCS, comments)
    rows: dict[str, list[str]] = {}
    long: dict[str, str] = {}  # unstripped: a description can break after a space at column 91
    for line in data:
        code, kind = line[0:5], line[10:11]
        check(re.fullmatch(CODE, code) is not None, f"record {line[:11]!r}")
        if kind == "4":  # continuation of the long description: the fields are fixed width, so concatenate
            check(code in rows, f"continuation without a first line: {code}")
            long[code] += line[11:91].ljust(80)
            rows[code][2] = long[code].rstrip()
            continue
        check(kind == "3" and len(line) >= 293 and code not in rows, f"record {line[:11]!r} (len {len(line)})")
        long[code] = line[11:91]
        rows[code] = [code, line[91:119].rstrip(), line[11:91].rstrip(), iso(line[268:276], f"{code} add date"),
                      iso(line[284:292], f"{code} termination date"), line[292], *prov]
        check(line[292] in "ABCDFNPRST", f"{code} action code {line[292]!r}")
    for c in comments:  # a second, independent copy states some termination dates: they must agree
        for code, term in re.findall(rf'\["({CODE})","(\d{{8}})"\]', c):
            check(code in rows and rows[code][4] == iso(term, "date"), f"{code} termination date disagrees")
    return [rows[k] for k in sorted(rows)]


# --- output ------------------------------------------------------------------------------------------
def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header + PROVENANCE_COLUMNS)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(src: Path) -> tuple[dict[str, bytes], list[str]]:
    """The file contents to write (name -> bytes) and the pairs skipped for want of an indicator."""
    if not src.is_dir():
        raise BuildError(f"{src}: missing (the folder of CMS rows files)")
    pfs = []
    for source in (PFS_2025, PFS_2026):
        with reading(src / source.rows_file):
            pfs += pfs_rows(src, source)
    with reading(src / PTP_OPH.rows_file):
        ptp, skipped = ptp_rows(src)
    with reading(src / MUE_PRAC.rows_file):
        mue = mue_practitioner(src)
    with reading(src / MUE_OPH.rows_file):
        mue += mue_oph(src)
    mue.sort(key=lambda r: (r[1], r[0]))
    with reading(src / HCPCS.rows_file):
        hcpcs = hcpcs_rows(src)
    files = {"pfs_payment.csv": to_csv(PFS_HEADER, pfs), "ptp_oph.csv": to_csv(PTP_HEADER, ptp),
             "mue.csv": to_csv(MUE_HEADER, mue), "hcpcs.csv": to_csv(HCPCS_HEADER, hcpcs)}
    return files, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", type=Path, default=DEFAULT_SRC, help="folder of CMS rows files")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (pumpbill/data/cms)")
    args = parser.parse_args(argv)
    try:
        files, skipped = build(args.src)
    except BuildError as exc:
        print(f"build_cms_data: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomic(args.out / name, data)
        print(f"wrote {args.out / name} ({len(data.splitlines()) - 1} rows)")
    for item in skipped:
        print(f"not shipped: {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

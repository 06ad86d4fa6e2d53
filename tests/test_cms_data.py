"""The shipped CMS tables (pumpbill/data/cms) against the CMS rows they are built from.

The rows are re-read here with deliberately minimal code of the test's own, so that a
mistake in scripts/build_cms_data.py is not simply repeated. CI has a copy of shared/
beside the repository clone; without it the source comparisons skip.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from pumpbill import cms

ROOT = Path(__file__).resolve().parents[1]
CMS_ROWS = Path(__file__).resolve().parents[2] / "shared/domain/cms"
SCRIPT = ROOT / "scripts" / "build_cms_data.py"
SHIPPED = ("pfs_payment.csv", "ptp_oph.csv", "mue.csv", "hcpcs.csv")
PROVENANCE = ("source_file", "release", "source_repo", "source_path", "source_commit")


@pytest.fixture(scope="module")
def rows_dir() -> Path:
    if not CMS_ROWS.is_dir():
        pytest.skip(f"CMS rows folder {CMS_ROWS} is absent (shared/ is not beside the repository)")
    return CMS_ROWS


def source_lines(rows_dir: Path, name: str) -> list[str]:
    return (rows_dir / name).read_text(encoding="utf-8").splitlines()


def shipped(name: str) -> list[dict[str, str]]:
    text = resources.files("pumpbill").joinpath(f"data/cms/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# --- (a) every shipped value equals its source row --------------------------------------------------
@pytest.mark.parametrize(("rows_file", "year"), [("PPRRVU2025_Oct_rows.csv", 2025),
                                                 ("PPRRVU2026_Jul_nonQPP_rows.csv", 2026)])
def test_payments_equal_the_rvu_rows(rows_dir, rows_file, year):
    src = [r for r in csv.reader(ln for ln in source_lines(rows_dir, rows_file) if ln and not ln.startswith("#"))]
    assert src and set(cms.payments(year)) == {r[0] for r in src}
    for r in src:
        cf = [f for f in r if re.fullmatch(r"\d+\.\d{4}", f)]  # the only 4-decimal field is CONV FACTOR
        p = cms.payment(r[0], year)
        assert len(cf) == 1 and p is not None
        assert (p.description, p.status, p.work_rvu, p.global_period, p.pctc, p.conversion_factor) == (
            r[2], r[3], Decimal(r[5]), r[14], int(r[13]), Decimal(cf[0]))
        assert p.nonfacility_total == (None if r[7] == "NA" else Decimal(r[11]))
        assert p.facility_total == (None if r[9] == "NA" else Decimal(r[12]))
    by_code = {r["code"]: r for r in shipped("pfs_payment.csv") if r["year"] == str(year)}
    for r in src:
        s = by_code[r[0]]
        assert [s[k] for k in ("work_rvu", "nonfacility_pe", "nonfacility_na", "facility_pe", "facility_na",
                               "mp_rvu", "nonfacility_total", "facility_total")] == r[5:13]


def test_ptp_pairs_equal_the_ptp_rows(rows_dir):
    lines = source_lines(rows_dir, "PTP_OPH_v32.3_rows.txt")
    have = {(p.column1, p.column2): p.modifier_indicator for p in cms.ptp_pairs()}
    # every pair a data line spells out (not a range end) is shipped with its indicator
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        col1 = line[:5]
        for col2, mi in re.findall(r"(?<![.\-\w])(\w{5}):(\d)", line):
            assert have.get((col1, col2)) == mi, (col1, col2, mi)
    # every shipped pair is stated on some line (as "col2:mi" or as an end of a range "a..b:mi")
    for (col1, col2), mi in have.items():
        said = re.compile(rf"{col2}:{mi}\b|{col2}(?:\.\.|-)\w{{5}}:{mi}\b|(?:\.\.|-){col2}:{mi}\b")
        assert any(col1 in ln and said.search(ln) for ln in lines), (col1, col2, mi)


# FACTS.md section 5 (the reference's verified PTP pairs), typed here as published.
FACTS_PTP = [("62368", "62367", "0"), ("62369", "62367", "0"), ("62369", "62368", "0"), ("62369", "95990", "0"),
             ("62369", "95991", "0"), ("62369", "A4220", "0"), ("62370", "62367", "0"), ("62370", "62368", "0"),
             ("62370", "62369", "0"), ("62370", "95990", "0"), ("62370", "95991", "0"), ("62370", "A4220", "0"),
             ("95990", "62367", "0"), ("95990", "62368", "0"), ("95990", "A4220", "0"), ("95991", "62367", "0"),
             ("95991", "62368", "0"), ("95991", "95990", "0"), ("95991", "A4220", "0"), ("62367", "96522", "1"),
             ("62368", "96522", "1"), ("62370", "96522", "1"), ("96522", "95990", "1"), ("96522", "95991", "1"),
             ("62360", "95990", "0"), ("62362", "95990", "0"), ("62361", "95990", "1"), ("62367", "69990", "0"),
             ("62370", "69990", "0"), ("62367", "62324", "1"), ("62369", "G0453", "1"), ("96521", "99213", "1"),
             ("96522", "99214", "1")]
FACTS_PTP += [(c1, c2, "1") for c1 in ("62360", "62361", "62362", "62365")
              for c2 in ("62367", "62368", "62369", "62370")]


@pytest.mark.parametrize(("col1", "col2", "mi"), FACTS_PTP)
def test_ptp_pairs_in_facts_section_5(col1, col2, mi):
    pair = cms.ptp_pair(col2, col1)  # either order
    assert pair is not None and (pair.column1, pair.column2, pair.modifier_indicator) == (col1, col2, mi)


def test_ptp_no_pair_where_facts_says_none():
    assert cms.ptp_pair("62369", "96522") is None
    for em in ("99211", "99212", "99213", "99214"):
        for code in ("62367", "62368", "62369", "62370", "95990", "95991"):
            assert cms.ptp_pair(em, code) is None


def test_mues_equal_the_mue_rows(rows_dir):
    prac = source_lines(rows_dir, "MUE_practitioner_2026Q2_MAI3only_rows.txt")
    expected = {}
    for line in prac:
        if m := re.fullmatch(r"(\w{5}) \{'maxUnits': (\d+), MAI (\d)\}", line):
            expected[("practitioner", m[1])] = (int(m[2]), m[3], "")
        elif m := re.fullmatch(r"(\w{5}) absent", line):
            assert cms.mue(m[1]) is None
    oph = "\n".join(source_lines(rows_dir, "MUE_OPH_eff_2026-10-01_rows.txt"))
    names = dict(item.split(" ", 1) for item in re.split(r", (?=\d+ )", oph.split("rationale table: ")[1]
                                                         .splitlines()[0]))
    for code, value, mai, idx in re.findall(r'\["(\w{5})",(\d+),(\d),(\d+)\]', oph):
        expected[("outpatient_hospital", code)] = (int(value), mai, names[idx])
    assert len(expected) == len(shipped("mue.csv"))
    for (table, code), want in expected.items():
        m = cms.mue(code, table)
        assert m is not None and (m.value, m.mai, m.rationale) == want, (table, code)


def test_hcpcs_equal_the_fixed_width_rows(rows_dir):
    seen = set()
    for line in source_lines(rows_dir, "HCPC2026_JAN_ANWEB_rows.txt"):
        if line.startswith("#") or line[10] != "3":
            continue
        h = cms.hcpcs(line[:5])
        d = [date(int(t[:4]), int(t[4:6]), int(t[6:])) if t.strip() else None
             for t in (line[268:276], line[284:292])]
        assert h is not None and (h.short, h.add_date, h.term_date) == (line[91:119].strip(), *d)
        assert h.long.startswith(line[11:91].strip())
        seen.add(h.code)
    assert seen == {r["code"] for r in shipped("hcpcs.csv")}
    assert cms.hcpcs("J2274").long.endswith("intrathecal use, 10 mg")
    assert (cms.hcpcs("J1170").term_date, cms.hcpcs("J1171").add_date) == (date(2024, 9, 30), date(2024, 10, 1))


# --- (b) FACTS.md section 2 dollar table ------------------------------------------------------------
# The reference's published national amounts (FACTS.md s.2), typed as published: (office, facility); None = NA.
FACTS_DOLLARS = {
    2026: {"62367": ("33.40", "21.38"), "62368": ("46.43", "29.39"), "62369": ("97.20", "29.73"),
           "62370": ("97.20", "39.41"), "95990": ("98.20", None), "95991": ("115.90", "33.73"),
           "96521": ("143.62", None), "96522": ("125.25", None),
           "62350": (None, "377.76"), "62351": (None, "914.18"), "62360": (None, "310.63"),
           "62361": (None, "464.94"), "62362": (None, "371.75"), "62365": (None, "295.93"),
           "99211": ("24.38", "7.68"), "99212": ("59.45", "31.06"), "99213": ("95.19", "57.45"),
           "99214": ("135.61", "84.50")},
    2025: {"62367": ("31.05", "23.61"), "62368": ("43.34", "32.99"), "62369": ("88.63", "33.32"),
           "62370": ("88.95", "44.31"), "95990": ("84.42", None), "95991": ("105.77", "37.85"),
           "96521": ("114.18", None), "96522": ("108.36", None)},
}


@pytest.mark.parametrize(("year", "code"), [(y, c) for y, table in FACTS_DOLLARS.items() for c in table])
def test_dollars_equal_facts_section_2(year, code):
    p = cms.payment(code, year)
    office, facility = FACTS_DOLLARS[year][code]
    assert p is not None
    assert p.office == (office and Decimal(office))
    assert p.facility == (facility and Decimal(facility))


def test_conversion_factors_and_years():
    assert cms.payment_years() == (2025, 2026)
    assert cms.conversion_factor(2026) == Decimal("33.4009")
    assert cms.conversion_factor(2025) == Decimal("32.3465")
    with pytest.raises(KeyError):
        cms.conversion_factor(2024)


# --- (c) provenance on every row --------------------------------------------------------------------
@pytest.mark.parametrize("name", SHIPPED)
def test_every_row_has_provenance(name):
    rows = shipped(name)
    assert rows
    for r in rows:
        assert all(r[k].strip() for k in PROVENANCE), r
        assert re.fullmatch(r"[0-9a-f]{40}", r["source_commit"]) and r["source_repo"].startswith("github.com/")


def test_records_cite_their_source():
    assert str(cms.payment("62369", 2026).source) == "CMS PPRRVU2026_Jul_nonQPP.csv (RVU26C, July 2026 release)"
    assert str(cms.payment("62369", 2025).source) == "CMS PPRRVU2025_Oct.csv (RVU25D, October 2025 release)"
    assert cms.mue("62369").source.release == "NCCI practitioner MUE 2026 Q2 (MAI 3 rows only)"
    assert cms.mue("62369", "outpatient_hospital").source.release == "NCCI outpatient hospital MUE effective 2026-10-01"
    assert cms.ptp_pair("62369", "62367").source.release == "NCCI PTP outpatient hospital v32.3, effective 2026-10-01"
    assert cms.hcpcs("J1171").source.release == "HCPCS 2026 January annual file"
    assert "v32.3" in cms.PTP_TABLE_LABEL and "practitioner PTP table was not available" in cms.PTP_PROFESSIONAL_NOTE


# --- (d) the build reproduces the shipped files -----------------------------------------------------
def run_build(src: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(src), "--out", str(out)], capture_output=True,
                          text=True, timeout=120)


def test_build_reproduces_shipped_files(rows_dir, tmp_path):
    r = run_build(rows_dir, tmp_path)
    assert r.returncode == 0, r.stderr
    shipped_dir = resources.files("pumpbill").joinpath("data/cms")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SHIPPED)
    for name in SHIPPED:
        assert (tmp_path / name).read_bytes() == shipped_dir.joinpath(name).read_bytes(), name


@pytest.mark.parametrize("damage", ["missing", "malformed"])
def test_build_fails_naming_the_file(rows_dir, tmp_path, damage):
    src = tmp_path / "cms"
    shutil.copytree(rows_dir, src)
    target = src / "PPRRVU2026_Jul_nonQPP_rows.csv"
    target.chmod(0o644)
    if damage == "missing":
        target.unlink()
    else:
        target.write_text(target.read_text().replace("0.65,2.19", "0.65,,2.19"))
    r = run_build(src, tmp_path / "out")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "PPRRVU2026_Jul_nonQPP_rows.csv" in r.stderr
    assert not (tmp_path / "out").exists()


# --- (e) the table of the date of service's year ---------------------------------------------------
def test_payment_follows_the_date_of_service_year():
    assert cms.payment("62369", date(2025, 12, 31)).office == Decimal("88.63")
    assert cms.payment("62369", date(2026, 1, 1)).office == Decimal("97.20")
    assert cms.payment("62369", date(2026, 1, 1)).year == 2026
    assert cms.payment("62369", date(2024, 6, 1)) is None
    assert cms.payment("62369", 2027) is None
    assert cms.payment("99999", 2026) is None
    p = cms.payment("95990", 2026)
    assert (p.office, p.facility, p.facility_total, p.pctc, p.global_period) == (Decimal("98.20"), None, None, 5,
                                                                                  "XXX")


# --- (f) HCPCS validity by date --------------------------------------------------------------------
def test_hydromorphone_codes_by_date():
    j1170, j1171 = cms.hcpcs("J1170"), cms.hcpcs("J1171")
    assert j1170.valid_on(date(2024, 9, 30)) and not j1170.valid_on(date(2024, 10, 1))
    assert not j1171.valid_on(date(2024, 9, 30)) and j1171.valid_on(date(2024, 10, 1))
    assert cms.hcpcs("J9999") is None


# --- (g) no pandas ---------------------------------------------------------------------------------
def test_cms_imports_without_pandas():
    code = ("import sys; sys.modules['pandas'] = None\n"
            "from pumpbill import cms\n"
            "assert str(cms.payment('62369', 2026).office) == '97.20'\n"
            "assert cms.mue('J2274').value == 250 and cms.hcpcs('J1171') and cms.ptp_pairs()\n"
            "print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr

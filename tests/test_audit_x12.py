"""X12 837P: reading professional claim files (valid and broken) and writing synthetic ones.

The fixtures in ``tests/data/x12/`` are small and hand-checkable: ``valid.837`` has five service
lines (SV1 at lines 24, 27, 30, 37 and 53) in three claims, one of them for a dependent (loop
2000C); each broken file changes one thing in it (see the test that uses it).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

pytest.importorskip("pandas")
pytest.importorskip("pyx12")

import pyx12.errors  # noqa: E402
import pyx12.params  # noqa: E402
import pyx12.x12context  # noqa: E402
import pyx12.x12n_document  # noqa: E402

from pumpbill.audit import synth837  # noqa: E402
from pumpbill.audit.schema import ALL_COLUMNS, AuditInputError  # noqa: E402
from pumpbill.audit.synth import MALFORMED, SynthConfig, generate, write_synth  # noqa: E402
from pumpbill.audit.synth837 import npi_check_digit, npi_is_valid, synthetic_npi, write_837  # noqa: E402
from pumpbill.audit.x12 import MAPPING, NOT_CARRIED, looks_like_x12, read_837  # noqa: E402

DATA = Path(__file__).parent / "data" / "x12"
MB = 10**6
#: The 837P-carried columns, compared field by field in the round trip.
CARRIED = [m[0] for m in MAPPING]


def row(line: int, claim: str, patient: str, provider: str, dos: str, pos: str, code: str, mods: str | None,
        units: str, dx: str, payer: str) -> dict:
    r: dict = {c: None for c in ALL_COLUMNS}
    r.update(line=line, claim_id=claim, patient_id=patient, provider_id=provider, date_of_service=dos,
             place_of_service=pos, code=code, modifiers=mods, units=units, diagnoses=dx, payer=payer)
    return r


#: valid.837, read by hand.
VALID_ROWS = [
    row(24, "SYN-C00000001", "SYN-P000001", "SYN-D001", "2025-01-15", "11", "62369", None, "1", "Z45.1;G80.1",
        "medicare"),
    row(27, "SYN-C00000001", "SYN-P000001", "SYN-D001", "2025-01-15", "11", "J0475", "JZ", "80", "Z45.1;G80.1",
        "medicare"),
    # its own rendering provider (2420A) and only the second diagnosis pointer
    row(30, "SYN-C00000001", "SYN-P000001", "SYN-D002", "2025-01-15", "11", "99213", "25", "1", "G80.1",
        "medicare"),
    # SV105 = 22 overrides the claim's place of service (CLM05-1 = 11)
    row(37, "SYN-C00000002", "SYN-P000001", "SYN-D001", "2025-03-01", "22", "95990", None, "1", "Z45.1",
        "medicare"),
    # a dependent: subscriber ID + the patient's name (5010 has no patient ID)
    row(53, "SYN-C00000003", "SYN-S000002 SYNTHETIC, CHILD", "SYN-D003", "2025-02-10", "11", "62370", None, "1",
        "G89.29", "commercial"),
]


def valid_text() -> str:
    return (DATA / "valid.837").read_text()


def put(tmp_path: Path, text: str, name: str = "claims.837") -> Path:
    p = tmp_path / name
    p.write_text(text, newline="")
    return p


def sv1_count(path: Path) -> int:
    """SV1 segments in a file, counted from its bytes (segments start a line or follow a '~')."""
    text = path.read_bytes().decode("latin-1")
    return sum(1 for seg in text.replace("\n", "").split("~") if seg.startswith("SV1*"))


def pyx12_errors(path: Path) -> list[str]:
    """pyx12's own full validation (the 999 path): every error message, [] when the file is valid."""
    out = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), str(path), None, None, fd_json=out)
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "errors":
                    found.extend(str(e) for e in v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(out.getvalue()))
    assert ok == (not found), found
    return found


def without(rows: list[dict], *lines: int) -> list[dict]:
    return [r for r in rows if r["line"] not in lines]


# --- the valid file ---------------------------------------------------------------------------------


def test_valid_fixture_passes_pyx12_validation():
    assert pyx12_errors(DATA / "valid.837") == []


def test_valid_file_gives_one_row_per_service_line_with_the_mapping():
    r = read_837(DATA / "valid.837", MB)
    assert r.rows == VALID_ROWS
    assert r.malformed == []
    assert r.rows_read == 5 == sv1_count(DATA / "valid.837")
    assert r.unit == "line"
    assert r.present == frozenset({"diagnoses", "payer"})
    assert any("dependents" in n for n in r.notes)
    assert all(r2[c] is None for r2 in r.rows for c in NOT_CARRIED)  # dose columns: not in an 837P


def test_whole_interchange_on_one_line_numbers_segments():
    r = read_837(DATA / "oneline.837", MB)
    assert r.unit == "segment"
    # same rows; "line" is the 1-based segment number, which equals valid.837's line (one segment per line)
    assert r.rows == VALID_ROWS
    assert r.malformed == []


def test_bom_leading_blank_lines_and_crlf_shift_line_numbers(tmp_path):
    p = put(tmp_path, "\ufeff\r\n\r\n" + valid_text().replace("\n", "\r\n"))
    r = read_837(p, MB)
    assert [x["line"] for x in r.rows] == [26, 29, 32, 39, 55]
    assert [{**x, "line": 0} for x in r.rows] == [{**x, "line": 0} for x in VALID_ROWS]


def test_looks_like_x12():
    assert looks_like_x12(b"ISA*00*")
    assert looks_like_x12(b"\xef\xbb\xbf \r\n ISA*00*")
    assert not looks_like_x12(b"claim_id,patient_id\n")
    assert not looks_like_x12(b"")
    assert not looks_like_x12(b"GS*HC*")


# --- broken files: the bad service line is reported, the others are still read ------------------------


def test_bad_element_sets_aside_only_its_service_line():
    p = DATA / "bad_element.837"  # line 28: DTP*472*D8*20250230 (30 February) for the SV1 at line 27
    r = read_837(p, MB)
    assert r.rows == without(VALID_ROWS, 27)
    assert [(m[0], m[2]) for m in r.malformed] == [(27, "SV1*HC:J0475:JZ*800*UN*80***1:2")]
    assert "invalid date (20250230)" in r.malformed[0][1] and "line 28" in r.malformed[0][1]
    assert r.rows_read == 5 == sv1_count(p)


def test_missing_sv1_element_is_reported_by_pyx12():
    p = DATA / "missing_sv1_element.837"  # line 37: SV1*HC:95990*10*UN (no units, no pointers)
    r = read_837(p, MB)
    assert r.rows == without(VALID_ROWS, 37)
    assert [m[0] for m in r.malformed] == [37]
    assert "Service Unit Count\" (SV104) is missing" in r.malformed[0][1]
    assert r.rows_read == 5


def test_non_numeric_units_are_reported():
    p = DATA / "nonnumeric_units.837"  # line 24: SV104 is "l" (a letter)
    r = read_837(p, MB)
    assert r.rows == without(VALID_ROWS, 24)
    assert r.malformed == [(24, 'SV1 segment: Data element "Service Unit Count" (SV104) is type R, contains an '
                                'invalid character(l).', "SV1*HC:62369*10*UN*l***1:2")]


def test_truncated_file_reports_the_cut_line_and_the_missing_trailers():
    p = DATA / "truncated.837"  # ends inside the SV1 at line 53: "SV1*HC:62370*20*U"
    r = read_837(p, MB)
    assert r.rows == without(VALID_ROWS, 53)
    by_line = {m[0]: m for m in r.malformed}
    assert by_line[53][2] == "SV1*HC:62370*20*U"
    assert "truncated" in by_line[53][1]
    assert "Transaction Set Trailer" in by_line[52][1]  # no SE/GE/IEA after the last whole segment
    assert r.rows_read == 5 == sv1_count(p)
    assert r.lines_malformed == 1 and len(r.malformed) == 2  # the cut line, and the file's missing trailers


def test_junk_in_one_claim_does_not_swallow_the_next():
    p = DATA / "junk_in_claim.837"  # line 38 (the date of the SV1 at line 37) is control and non-UTF-8 bytes
    r = read_837(p, MB)
    assert r.rows == without(VALID_ROWS, 37)  # the dependent's claim after it is read
    by_line = {m[0]: m for m in r.malformed}
    assert "no service date" in by_line[37][1]
    assert "unreadable segment" in by_line[38][1] and "\x01" not in by_line[38][1]  # escaped in the reason
    assert any("not UTF-8" in n for n in r.notes)
    assert r.rows_read == 5


def test_empty_segment_is_reported_and_reading_goes_on(tmp_path):
    # pyx12's own reader stops at an empty segment ("~~"): here it is left out and reported
    p = put(tmp_path, valid_text().replace("XX*SYN-D002~\n", "XX*SYN-D002~~\n"))
    r = read_837(p, MB)
    assert r.rows == VALID_ROWS
    assert r.malformed == [(32, "empty segment (two segment terminators in a row); it was skipped.", "")]


@pytest.mark.parametrize("old, new, line, reason", [
    ("SV1*HC:62369*10*UN*1***1:2~", "SV1*ER:62369*10*UN*1***1:2~", 24, "not a HCPCS/CPT line: SV101-1 is 'ER'"),
    ("SV1*HC:J0475:JZ*800*UN*80***1:2~", "SV1*HC:J0475:JZ*800*MJ*80***1:2~", 27, "anesthesia minutes (SV103 = MJ)"),
    ("SV1*HC:99213:25*10*UN*1***2~", "SV1*HC:99213:25*10*UN*1***1:3~", 30,
     "diagnosis pointer '3' does not point at one of the claim's 2 diagnosis codes"),
    ("HI*ABK:G8929~", "HI*BK:3441~", 53, "ICD-9-CM code (BK)"),
    ("SBR*P*18*******MB~", "SBR*P********MB~", 24, "the subscriber is not the patient"),
])
def test_semantic_problems_set_the_line_aside(tmp_path, old, new, line, reason):
    text = valid_text()
    assert old in text
    r = read_837(put(tmp_path, text.replace(old, new)), MB)
    by_line = {m[0]: m[1] for m in r.malformed}
    assert reason in by_line[line]
    assert line not in [x["line"] for x in r.rows]
    assert r.rows_read == 5


def test_error_in_an_element_the_audit_does_not_read_is_a_file_error_only(tmp_path):
    # a non-ASCII subscriber name: pyx12 reports it, but the member ID and the lines are fine
    r = read_837(put(tmp_path, valid_text().replace("NM1*IL*1*SYNTHETIC*PATIENT", "NM1*IL*1*SYNTHÉTIC*PATIENT")), MB)
    assert r.rows == VALID_ROWS
    assert [m[0] for m in r.malformed] == [15]
    assert "Subscriber Last Name" in r.malformed[0][1]
    assert r.rows_read == 5


def test_error_in_the_member_id_sets_aside_every_line_of_that_patient(tmp_path):
    long_id = "SYN-" + "P" * 90  # NM109 is at most 80 characters
    r = read_837(put(tmp_path, valid_text().replace("MI*SYN-P000001~", f"MI*{long_id}~")), MB)
    assert [x["line"] for x in r.rows] == [53]
    assert [m[0] for m in r.malformed] == [24, 27, 30, 37]
    assert all("NM109" in m[1] and "line 15" in m[1] for m in r.malformed)
    assert r.rows_read == 5


def test_claim_out_of_place_does_not_attach_its_lines_to_another_claim(tmp_path):
    stray = "CLM*SYN-CX*10***11:B:1*Y*A*Y*Y~\nLX*1~\nSV1*HC:62369*10*UN*1***1~\nDTP*472*D8*20250115~\n"
    text = valid_text().replace("NM1*40*2*SYNTHETIC RECEIVER*****46*SYNRCV01~\n",
                                "NM1*40*2*SYNTHETIC RECEIVER*****46*SYNRCV01~\n" + stray)
    r = read_837(put(tmp_path, text), MB)
    assert [x["claim_id"] for x in r.rows] == [x["claim_id"] for x in VALID_ROWS]
    assert [x["line"] for x in r.rows] == [x["line"] + 4 for x in VALID_ROWS]
    assert "CLM*SYN-CX not found" in {m[0]: m[1] for m in r.malformed}[10]
    assert r.rows_read == 6


def test_date_range_uses_the_first_day_and_says_so(tmp_path):
    r = read_837(put(tmp_path, valid_text().replace("DTP*472*D8*20250210~", "DTP*472*RD8*20250210-20250212~")), MB)
    assert r.rows[-1]["date_of_service"] == "2025-02-10"
    assert any("date range (RD8)" in n for n in r.notes)


def test_pyx12_failure_midway_reports_every_unread_service_line(monkeypatch):
    real = pyx12.x12context.X12ContextReader.iter_segments

    def breaks_at_segment_33(self, loop_id=None):
        for node in real(self, loop_id):
            if node.cur_line_number == 33:
                raise pyx12.errors.EngineError("simulated failure")
            yield node

    monkeypatch.setattr(pyx12.x12context.X12ContextReader, "iter_segments", breaks_at_segment_33)
    r = read_837(DATA / "valid.837", MB)
    assert r.rows_read == 5
    assert [x["line"] for x in r.rows] == [24, 27, 30]  # claim 1 ended where claim 2's CLM (line 33) starts
    by_line = {m[0]: m[1] for m in r.malformed}
    assert "pyx12 stopped parsing here (EngineError: simulated failure.)" in by_line[33]
    assert "not parsed" in by_line[37] and "not parsed" in by_line[53]


# --- files that cannot be audited at all -----------------------------------------------------------


@pytest.mark.parametrize("name, message", [
    ("wrong_delimiters.837", "no GS functional group after the ISA: are the delimiters right?"),
    ("bad_isa.837", "the ISA segment is not the fixed 106-character header"),
    ("binary.837", "binary file (NUL bytes)"),
    ("remittance.835", "an 835 remittance advice"),
])
def test_unusable_fixture_is_refused_in_one_line(name, message):
    with pytest.raises(AuditInputError) as exc:
        read_837(DATA / name, MB)
    text = str(exc.value)
    assert text.startswith(str(DATA / name) + ": ") and message in text
    assert "\n" not in text


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace("*00501*", "*00401*", 1), "version 4010"),
    (lambda t: t.replace("005010X222A1", "005010X223A2"), "837I institutional"),
    (lambda t: t.replace("ST*837*", "ST*834*"), "834 enrollment"),
    (lambda t: "claim_id,patient_id\nC1,P1\n", "not an X12 file"),
    (lambda t: "", "empty file"),
])
def test_unusable_content_is_refused(tmp_path, mutate, message):
    p = put(tmp_path, mutate(valid_text()))
    with pytest.raises(AuditInputError, match=message):
        read_837(p, MB)


def test_size_is_refused_before_parsing(tmp_path, monkeypatch):
    def no_parse(*a, **k):
        raise AssertionError("pyx12 must not be called for a file over the limit")

    monkeypatch.setattr(pyx12.x12context, "X12ContextReader", no_parse)
    size = (DATA / "valid.837").stat().st_size
    with pytest.raises(AuditInputError, match="over the"):
        read_837(DATA / "valid.837", size - 1)
    with pytest.raises(AuditInputError, match="no such file"):
        read_837(tmp_path / "missing.837", MB)
    with pytest.raises(AuditInputError, match="not a regular file"):
        read_837(tmp_path, MB)


# --- the writer ------------------------------------------------------------------------------------


def test_npi_check_digit():
    assert npi_check_digit("123456789") == "3"  # CMS's worked example: 1234567893
    assert npi_is_valid("1234567893") and not npi_is_valid("1234567890")
    for seed in range(20):
        npi = synthetic_npi(seed)
        assert npi_is_valid(npi) and npi.startswith("1")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A synthetic history with deliberately malformed rows, as CSV and as 837P."""
    folder = tmp_path_factory.mktemp("x12synth")
    cfg = SynthConfig(patients=12, seed=7, providers=8, malformed_rate=0.01)
    frame = generate(cfg).frame
    truth = write_synth(cfg, folder / "claims.csv")
    skipped = write_837(frame, folder / "claims.837", seed=3)
    return frame, truth, skipped, folder


def test_written_837_is_valid_for_pyx12(synthetic):
    _, _, _, folder = synthetic
    assert pyx12_errors(folder / "claims.837") == []
    text = (folder / "claims.837").read_text()
    assert text.startswith("ISA*") and text.endswith("~\n")
    assert all(line.endswith("~") for line in text.splitlines())  # one segment per line
    npi = text.split("NM1*85*2*SYNTHETIC BILLING PRACTICE*****XX*")[1][:10]
    assert npi == synthetic_npi(3) and npi_is_valid(npi)


def test_round_trip_csv_and_837_give_the_same_rows(synthetic):
    frame, truth, skipped, folder = synthetic
    assert skipped == truth["malformed_rows"] > 0
    with open(folder / "claims.csv", newline="", encoding="utf-8") as fh:
        csv_rows = [r for r in csv.DictReader(fh) if r["seeded_error"] != MALFORMED]
    r = read_837(folder / "claims.837", 10**8)
    assert r.malformed == []
    assert r.rows_read == len(r.rows) == len(csv_rows) == len(frame) - skipped

    def keyed(rows: list[dict]) -> dict[tuple[str, int], dict]:
        out, seen = {}, {}
        for x in rows:  # the k-th line of each claim (the 837P groups claims by patient)
            k = seen[x["claim_id"]] = seen.get(x["claim_id"], -1) + 1
            out[(x["claim_id"], k)] = x
        return out

    got, want = keyed(r.rows), keyed(csv_rows)
    assert got.keys() == want.keys()
    for key, w in want.items():
        for col in CARRIED:
            assert got[key][col] == (w[col] or None), (key, col)


def test_large_history_splits_into_valid_transactions(tmp_path, monkeypatch):
    monkeypatch.setattr(synth837, "CLAIMS_PER_TRANSACTION", 4)
    frame = generate(SynthConfig(patients=2, seed=1, providers=7)).frame.head(40)
    p = tmp_path / "multi.837"
    write_837(frame, p)
    text = p.read_text()
    assert text.count("\nST*837*") > 2
    assert pyx12_errors(p) == []
    assert len(read_837(p, MB).rows) == 40


def test_writer_is_deterministic_and_refuses_what_an_837p_cannot_hold(tmp_path):
    frame = generate(SynthConfig(patients=2, seed=4, providers=7)).frame
    write_837(frame, tmp_path / "a.837", seed=1)
    write_837(frame, tmp_path / "b.837", seed=1)
    assert (tmp_path / "a.837").read_bytes() == (tmp_path / "b.837").read_bytes()
    bad = frame.copy()
    bad.loc[0, "modifiers"] = "25 59 JZ JW KX"
    with pytest.raises(ValueError, match="more than 4 modifiers"):
        write_837(bad, tmp_path / "c.837")
    bad = frame.copy()
    bad.loc[0, "payer"] = "ACME*HEALTH"  # the element separator inside a value
    with pytest.raises(ValueError, match="column payer"):
        write_837(bad, tmp_path / "c.837")
    bad = frame.copy()
    bad.loc[0, "units"] = "inf"
    with pytest.raises(ValueError, match="is not a number"):
        write_837(bad, tmp_path / "c.837")
    assert not (tmp_path / "c.837").exists()


@pytest.mark.parametrize("name", ["valid.837", "oneline.837", "bad_element.837", "missing_sv1_element.837",
                                  "nonnumeric_units.837", "truncated.837", "junk_in_claim.837"])
def test_every_service_line_is_a_row_or_a_malformed_entry(name):
    p = DATA / name
    r = read_837(p, MB)
    assert r.rows_read == len(r.rows) + r.lines_malformed == sv1_count(p)
    segments = p.read_bytes().decode("latin-1").replace("\n", "").split("~")
    at = {x["line"] for x in r.rows} | {m[0] for m in r.malformed if m[2].startswith("SV1*")}
    assert len(at) == r.rows_read  # each at its own SV1
    if r.unit == "line":
        lines = p.read_bytes().decode("latin-1").split("\n")
        assert all(lines[n - 1].startswith("SV1*") for n in at)
    else:
        assert all(segments[n - 1].startswith("SV1*") for n in at)

"""Nothing lost, nothing altered: every line of a hostile claims export is checked or reported (issue 13).

Each malformed-input class of the attack review (A2, A3) has a test; a property test mixes them at
random and checks that every data line is accounted for exactly once, with its own line number.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("pandas")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pumpbill.audit.ingest import MAX_COLUMNS, MAX_QUOTED_LINES  # noqa: E402
from pumpbill.audit.schema import AuditInputError, read_claims  # noqa: E402

HEADER = "claim_id,patient_id,provider_id,date_of_service,place_of_service,code,modifiers,units,diagnoses,payer"


def good(i: int) -> str:
    return f"C{i},P{i % 7},D1,2026-03-02,11,95990,,1,Z45.1,medicare"


def audit_lines(tmp_path, body: bytes, name: str = "in.csv"):
    path = tmp_path / name
    path.write_bytes(HEADER.encode() + b"\n" + body)
    c = read_claims(path)
    got = dict(zip(c.malformed["line"], c.malformed["reason"], strict=True))
    assert c.rows_read == len(c.lines) + len(c.malformed)
    return c, got


def test_extra_fields_are_reported_not_dropped(tmp_path):
    body = "\n".join([good(1), good(2) + ",x,y", good(3), good(4) + ",", good(5)]) + "\n"
    c, got = audit_lines(tmp_path, body.encode())
    assert c.lines["line"].tolist() == [2, 4, 6]
    assert got == {3: "extra fields: 12 fields where the header has 10",
                   5: "extra fields: 11 fields where the header has 10"}
    assert c.malformed.set_index("line").loc[3, "text"] == good(2) + ",x,y"


def test_a_broken_quote_does_not_swallow_the_rows_after_it(tmp_path):
    rows = [good(i) for i in range(2, 201)]
    rows[99] = '"' + rows[99]  # line 101 opens a quote that never closes
    c, got = audit_lines(tmp_path, ("\n".join(rows) + "\n").encode())
    assert list(got) == [101] and "broken quote" in got[101]
    assert len(c.lines) == 198 and c.rows_read == 199


def test_a_real_multi_line_field_is_one_record_and_a_later_stray_quote_is_not_paired_with_it(tmp_path):
    note_header = HEADER + ",change_note"
    body = "\n".join([
        good(1) + ',"dose up,\nsee note"',      # lines 2-3: one record
        good(2) + ',"stray',                    # line 4: never closes before line 6 opens a new field
        good(3) + ",",                          # line 5
        good(4) + ',"two\nlines"',              # lines 6-7
        good(5) + ",",                          # line 8
    ]) + "\n"
    path = tmp_path / "n.csv"
    path.write_text(note_header + "\n" + body)
    c = read_claims(path)
    assert c.lines["line"].tolist() == [2, 5, 6, 8]
    assert c.malformed["line"].tolist() == [4] and "broken quote" in c.malformed.loc[0, "reason"]
    assert c.rows_read == 5


def test_a_quoted_field_may_not_span_more_than_the_limit(tmp_path):
    lines = [good(1) + ',"start'] + ["middle"] * MAX_QUOTED_LINES + ['end"']
    path = tmp_path / "n.csv"
    path.write_text(HEADER + ",change_note\n" + "\n".join(lines) + "\n")
    c = read_claims(path)
    assert 2 in set(c.malformed["line"]) and "broken quote" in c.malformed.set_index("line").loc[2, "reason"]
    assert c.rows_read == len(c.lines) + len(c.malformed) == len(lines)  # the rest: each line on its own


def test_an_undecodable_byte_is_reported_not_replaced(tmp_path):
    latin1 = b"C2,P\xe91,D1,2026-03-02,11,95990,,1,Z45.1,medicare\n"
    body = (good(1) + "\n").encode() + latin1 + (good(3) + "\n").encode()
    c, got = audit_lines(tmp_path, body)
    assert c.lines["line"].tolist() == [2, 4]
    assert "not UTF-8" in got[3]
    assert "\ufffd" not in "".join(c.lines["patient_id"].astype(str))


@pytest.mark.parametrize("units", ["inf", "1e309", "Infinity", "99999999999999999999999", "NaN", "1_000", "٣",
                                   "0x10", " 1e2"])
def test_units_that_are_not_a_plain_whole_number_are_reported(tmp_path, units):
    c, got = audit_lines(tmp_path, (good(1) + "\n" + good(2).replace(",1,Z45", f",{units},Z45") + "\n").encode())
    assert c.lines["line"].tolist() == [2]
    assert "units" in got[3] and units.strip() in got[3]


@pytest.mark.parametrize("field, value", [("code", "٦٢٣٦٩"), ("code", "6236９"), ("place_of_service", "١١"),
                                          ("date_of_service", "٢٠٢٦-03-02"), ("diagnoses", "Z4٥.1"),
                                          ("modifiers", "２5")])
def test_non_ascii_digits_are_not_digits(tmp_path, field, value):
    assert_value_reported(tmp_path, field, value)


def assert_value_reported(tmp_path, field: str, value: str) -> None:
    """A file of two good lines whose second has ``value`` in ``field``: that line (3) is reported, naming it."""
    cols = HEADER.split(",")
    row = good(2).split(",")
    row[cols.index(field)] = value
    c, got = audit_lines(tmp_path, (good(1) + "\n" + ",".join(row) + "\n").encode())
    assert c.lines["line"].tolist() == [2] and value in got[3]


def test_a_nul_byte_deep_in_the_file_is_reported(tmp_path):
    rows = [good(i) for i in range(2, 3000)]  # well past the first 64 KiB
    rows[2500] = rows[2500].replace("P", "P\x00")
    c, got = audit_lines(tmp_path, ("\n".join(rows) + "\n").encode())
    assert list(got) == [2502] and "NUL" in got[2502]


def test_blank_and_whitespace_lines_are_reported_as_empty_rows(tmp_path):
    c, got = audit_lines(tmp_path, ("\n".join([good(1), "", "   ", ",,,,,,,,,", good(2)]) + "\n").encode())
    assert c.lines["line"].tolist() == [2, 6]
    assert got == {3: "empty row", 4: "empty row", 5: "empty row"}


def test_crlf_and_cr_only_files_keep_their_line_numbers(tmp_path):
    for nl in (b"\r\n", b"\r"):
        rows = [good(1), good(2).replace("2026-03-02", "2026-02-30"), good(3)]
        path = tmp_path / "x.csv"
        path.write_bytes(nl.join([HEADER.encode(), *[r.encode() for r in rows]]) + nl)
        c = read_claims(path)
        assert c.lines["line"].tolist() == [2, 4] and c.malformed["line"].tolist() == [3], nl


def _measure(code: str) -> dict:
    """Run ``code`` in a child process and return its JSON line plus its peak memory (MB)."""
    wrapper = code + "\nimport resource, json\nprint(json.dumps({**out, 'mb': resource.getrusage(" \
                     "resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    r = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_a_header_with_millions_of_columns_is_refused_quickly_and_cheaply(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(HEADER.encode() + b"," * 5_000_000 + b"\n" + good(1).encode() + b"\n")
    with pytest.raises(AuditInputError) as exc:
        read_claims(path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)
    assert "header" in str(exc.value)
    out = _measure(f"from pumpbill.audit.schema import read_claims, AuditInputError\nout={{}}\n"
                   f"try:\n    read_claims({str(path)!r})\nexcept AuditInputError as e:\n    out['err']=str(e)")
    assert out["err"] and out["mb"] < 1000, out  # the old reader took over 4.5 GB here (imports alone: ~0.4 GB)


def test_one_row_with_millions_of_extra_fields_is_reported_with_bounded_memory(tmp_path):
    path = tmp_path / "wide-row.csv"
    path.write_bytes(HEADER.encode() + b"\n" + good(1).encode() + b"," * 5_000_000 + b"\n" + good(2).encode() + b"\n")
    out = _measure(f"from pumpbill.audit.schema import read_claims\nc=read_claims({str(path)!r})\n"
                   "out={'lines': c.lines['line'].tolist(), 'bad': c.malformed['line'].tolist(), "
                   "'why': c.malformed['reason'].tolist()}")
    assert out["lines"] == [3] and out["bad"] == [2] and "longer than" in out["why"][0], out
    assert out["mb"] < 1000, out


def test_header_column_limit_is_a_clear_error(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text(HEADER + "," + ",".join(f"x{i}" for i in range(MAX_COLUMNS)) + "\n" + good(1) + "\n")
    with pytest.raises(AuditInputError, match="columns, more than"):
        read_claims(path)


@pytest.mark.parametrize(("header", "named"), [
    (HEADER.replace("code", "CPT") + ",HCPCS", "'CPT' and 'HCPCS' both mean code: keep the one that holds what"),
    (HEADER + ",Units", "'units' and 'Units' both mean units: combine them into one column"),
    (HEADER.replace("modifiers", "Modifier") + ",Modifier,Modifier", "'Modifier' and 'Modifier' and 'Modifier' all "
     "mean modifiers: combine"),
    (HEADER.replace("provider_id", "Rendering NPI") + ",Provider",
     "'Rendering NPI' and 'Provider' both mean provider_id"),
])
def test_two_columns_that_mean_one_are_refused_not_silently_chosen(tmp_path, header, named):
    path = tmp_path / "two.csv"
    extra = ",x" * (header.count(",") - HEADER.count(","))
    path.write_text(header + "\n" + good(1) + extra + "\n")
    with pytest.raises(AuditInputError) as err:
        read_claims(path)
    assert str(err.value).startswith(f"{path}: columns ") and named in str(err.value)
    cli = subprocess.run([sys.executable, "-m", "pumpbill", "audit", str(path), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert cli.returncode == 2 and "Traceback" not in cli.stderr and named in cli.stderr
    assert not (tmp_path / "out").exists()


def test_the_canonical_column_wins_over_another_spelling_beside_it_with_a_note(tmp_path):
    """Exports often carry related fields (a member ID next to the patient ID): the canonical name is the
    column, the other is ignored and the summary says so."""
    path = tmp_path / "member.csv"
    path.write_text(HEADER + ",Member ID\n" + good(1) + ",M-999\n" + good(2) + ",M-998\n")
    c = read_claims(path)
    assert c.columns["patient_id"] == "patient_id" and c.lines["patient_id"].tolist() == ["P1", "P2"]
    assert any("'Member ID' ignored" in n for n in c.notes)


def test_fifo_and_directory_are_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for target in (fifo, tmp_path):
        with pytest.raises(AuditInputError, match="not a regular file"):
            read_claims(target)


# --- every line accounted for, whatever the mix ---------------------------------------------------------

KINDS = {
    "good": (lambda i: good(i), True),
    "bad_date": (lambda i: good(i).replace("2026-03-02", "2026-13-40"), False),
    "extra": (lambda i: good(i) + ",x", False),
    "few": (lambda i: f"C{i},P1,D1", False),
    "blank": (lambda i: "", False),
    "stray_quote": (lambda i: '"' + good(i), False),
    "inf_units": (lambda i: good(i).replace(",1,Z45", ",inf,Z45"), False),
    "arabic_code": (lambda i: good(i).replace("95990", "٩٥٩٩٠"), False),
    "quoted_ok": (lambda i: good(i).replace("medicare", '"medicare"'), True),
    "quoted_comma": (lambda i: good(i).replace("Z45.1", '"Z45.1,G35"'), True),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=40), st.sampled_from(["\n", "\r\n"]))
def test_every_line_is_checked_or_reported_exactly_once(tmp_path, kinds, nl):
    rows = [KINDS[k][0](i) for i, k in enumerate(kinds)]
    path = tmp_path / "mix.csv"
    path.write_bytes(nl.join([HEADER, *rows]).encode() + nl.encode())
    c = read_claims(path)
    checked = c.lines["line"].tolist()
    bad = c.malformed["line"].tolist()
    assert sorted(checked + bad) == list(range(2, len(rows) + 2))
    assert checked == [i + 2 for i, k in enumerate(kinds) if KINDS[k][1]]
    assert c.rows_read == len(rows)


def test_an_empty_extra_field_is_reported_even_in_an_otherwise_clean_file(tmp_path):
    # DuckDB's own CSV reader ignores empty fields after the last column; the audit must not.
    c, got = audit_lines(tmp_path, ("\n".join([good(1), good(2) + ",,", good(3)]) + "\n").encode())
    assert c.lines["line"].tolist() == [2, 4]
    assert got == {3: "extra fields: 12 fields where the header has 10"}


def test_the_fast_and_the_careful_reader_agree(tmp_path):
    rows = [good(i) for i in range(1, 60)] + [good(70).replace("2026-03-02", "2026-02-31")]
    fast, _ = audit_lines(tmp_path, ("\n".join(rows) + "\n").encode(), "fast.csv")
    careful, _ = audit_lines(tmp_path, ("\n".join(rows) + '\n"' + good(99) + "\n").encode(), "careful.csv")
    assert fast.lines.astype(str).equals(careful.lines.astype(str))
    assert careful.malformed["line"].tolist() == [61, 62] and fast.malformed["line"].tolist() == [61]


# --- cases from the review of the first version ------------------------------------------------------


def test_a_cr_only_file_with_a_line_feed_inside_a_quoted_cell_loses_nothing(tmp_path):
    # Mac Excel's "CSV (Macintosh)": CR between rows, LF inside a cell.
    rows = [good(1), good(2), good(3)[:-len("medicare")] + '"medi\ncare"', good(4), good(5)]
    path = tmp_path / "mac.csv"
    path.write_bytes("\r".join([HEADER, *rows]).encode() + b"\r")
    c = read_claims(path)
    assert c.rows_read == 5 and sorted(c.lines["line"].tolist() + c.malformed["line"].tolist()) == [2, 3, 4, 5, 6]
    assert c.lines["line"].tolist() == [2, 3, 4, 5, 6]


def test_mixed_lf_and_crlf_line_ends_are_read_not_an_internal_error(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes((HEADER + "\n" + good(1) + "\n" + good(2) + "\r\n" + good(3) + "\n").encode())
    c = read_claims(path)
    assert c.lines["line"].tolist() == [2, 3, 4] and len(c.malformed) == 0


def test_an_unclosed_quote_does_not_swallow_the_claim_lines_up_to_a_later_quote(tmp_path):
    rows = [good(i) + "," for i in range(1, 41)]
    rows[0] = good(1) + ',"dose up'
    rows[39] = good(40) + ',catheter 12"'
    path = tmp_path / "q.csv"
    path.write_text(HEADER + ",change_note\n" + "\n".join(rows) + "\n")
    c = read_claims(path)
    assert c.rows_read == 40
    assert 2 in set(c.malformed["line"]) and set(range(3, 41)) <= set(c.lines["line"])


def test_a_path_with_glob_characters_reads_that_file_only(tmp_path):
    (tmp_path / "claims0.csv").write_text(HEADER + "\n" + good(1).replace("C1,", "OTHER,") + "\n")
    target = tmp_path / "claims[0].csv"
    target.write_text(HEADER + "\n" + good(1) + "\n")
    c = read_claims(target)
    assert c.lines["claim_id"].tolist() == ["C1"]


@pytest.mark.parametrize("field, value", [("code", "ſ9328"), ("modifiers", "ſa"), ("diagnoses", "ı10")])
def test_letters_that_upper_case_into_ascii_are_not_codes(tmp_path, field, value):
    assert_value_reported(tmp_path, field, value)


def test_an_over_long_last_line_without_a_line_end_is_reported(tmp_path):
    from pumpbill.audit.ingest import MAX_STORED_LINE_BYTES

    path = tmp_path / "tail.csv"
    path.write_bytes(HEADER.encode() + b"\n" + good(1).encode() + b"\n" + b"x" * (MAX_STORED_LINE_BYTES + 10))
    c = read_claims(path)
    assert c.lines["line"].tolist() == [2] and c.malformed["line"].tolist() == [3]
    assert "longer than" in c.malformed.loc[0, "reason"]


def test_the_fast_path_reports_the_line_as_written(tmp_path, monkeypatch):
    from pumpbill.audit import ingest

    ran = []
    real = ingest._fast_read
    monkeypatch.setattr(ingest, "_fast_read", lambda *a: ran.append(real(*a)) or ran[-1])
    bad = good(2).replace("95990", "9599X")
    c, got = audit_lines(tmp_path, ("\n".join([good(1), bad, good(3)]) + "\n").encode())
    assert ran == [True]
    assert c.malformed.set_index("line").loc[3, "text"] == bad


@pytest.mark.parametrize("optional", [(), ("payer",), ("diagnoses",), ("payer", "diagnoses")])
def test_the_default_engine_audits_exports_without_optional_columns(tmp_path, optional):
    from pumpbill.audit.pipeline import audit_file

    cols = HEADER.split(",")
    keep = [i for i, c in enumerate(cols) if c not in optional]
    rows = [",".join(cols[i] for i in keep)]
    for i in range(1, 4):
        parts = good(i).split(",")
        rows.append(",".join(parts[i] for i in keep))
    path = tmp_path / "opt.csv"
    path.write_text("\n".join(rows) + "\n")
    for engine in ("duckdb", "pandas"):
        result = audit_file(path, engine=engine)
        assert result.claims.rows_checked == 3 and result.exit_code in (0, 1)


ENDINGS = ["\n", "\r\n"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(sorted(KINDS)), st.sampled_from(ENDINGS)), min_size=1, max_size=30))
def test_every_line_is_accounted_for_with_mixed_line_ends(tmp_path, items):
    rows = [(KINDS[k][0](i), end) for i, (k, end) in enumerate(items)]
    path = tmp_path / "mixed.csv"
    path.write_bytes((HEADER + "\n" + "".join(r + end for r, end in rows)).encode())
    c = read_claims(path)
    assert sorted(c.lines["line"].tolist() + c.malformed["line"].tolist()) == list(range(2, len(rows) + 2))
    assert c.lines["line"].tolist() == [i + 2 for i, (k, _) in enumerate(items) if KINDS[k][1]]


def test_quoted_lines_are_parsed_in_batches_and_records_may_cross_a_batch(tmp_path, monkeypatch):
    from pumpbill.audit import ingest

    monkeypatch.setattr(ingest, "QUOTE_BATCH", 2)
    rows = [good(i).replace("medicare", '"medicare"') + "," for i in range(1, 8)]
    rows[2] = good(3) + ',"two\n""quoted"" lines"'  # lines 4-5: one record whose end has quotes too
    path = tmp_path / "b.csv"
    path.write_text(HEADER + ",change_note\n" + "\n".join(rows) + "\n")
    c = read_claims(path)
    assert c.lines["line"].tolist() == [2, 3, 4, 6, 7, 8, 9] and len(c.malformed) == 0
    assert c.continuation_lines == 1 and c.rows_read == 7 and c.lines_in_file == 9

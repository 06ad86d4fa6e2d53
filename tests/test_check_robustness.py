"""`pumpbill check` on hostile and extreme input (security review C1-C4): every schema-valid scenario gets
a result, every unusable one a one-line input error naming the file and field; special files are refused
without blocking; several files and folders in one run; text output cannot drive the terminal."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from helpers import BASE, MINIMAL_YAML, merge

from pumpbill.cli import main
from pumpbill.engine import check
from pumpbill.errors import InputError
from pumpbill.intervals import MAX_ALARM_DAYS, since_previous
from pumpbill.loader import loads_scenario, scenario_from_data
from pumpbill.output import as_json, as_text

GOOD = MINIMAL_YAML
#: A billed claim with an error (95990 x 2): exit status 1.
WITH_ERROR = GOOD + "claim:\n  lines:\n    - {code: '95990', units: 2}\n"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh process, with a timeout so that a blocking read fails the test, not the suite."""
    return subprocess.run([sys.executable, "-m", "pumpbill", *args], capture_output=True, text=True,
                          timeout=timeout)


def assert_input_error(code: int, out: str, err: str, *needles: str) -> None:
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) == 1 and "internal error" not in err and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> str:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return str(f)


def data(**encounter) -> dict:
    return merge(BASE, {"encounter": encounter})


# --- C1: crash causes on schema-valid scenarios ------------------------------------------------------------


def test_far_future_date_with_a_daily_dose_is_an_input_error_naming_the_field(tmp_path, capsys):
    """9999-12-31 with a daily dose overflowed the calendar in intervals.py (OverflowError)."""
    f = write(tmp_path, yaml.safe_dump(data(date="9999-12-31", next_refill_date=None,
                                            previous_refill={"date": "9999-10-01", "volume_ml": 20})))
    code, out, err = cli(capsys, "check", f)
    assert_input_error(code, out, err, f, "encounter.date", "1990-01-01 to 2100-12-31")


def test_the_last_supported_date_with_a_daily_dose_checks(tmp_path, capsys):
    f = write(tmp_path, yaml.safe_dump(data(date="2100-12-31", next_refill_date=None,
                                            previous_refill={"date": "1990-01-01", "volume_ml": 20})))
    code, out, err = cli(capsys, "check", f, "--format", "json")
    assert code in (0, 1) and err == "" and json.loads(out)["recommended"]


@pytest.mark.parametrize("over", [
    # a tiny previous dose: the alarm interval was about 1e28 days (decimal.InvalidOperation in PB601/PB602)
    {"previous_refill": {"date": "2026-01-02", "volume_ml": 40, "daily_dose": "0.000000000001 mcg"}},
    # the largest allowed concentration with a tiny dose, on the prescription and the previous refill
    {"refill": {"concentration": "1000 mg/mL"}, "prescription": {"daily_dose": "0.000000000001 mcg"},
     "previous_refill": {"date": "2025-12-01", "volume_ml": 40, "concentration": "1000 mg/mL"}},
], ids=["tiny-previous-dose", "huge-concentration"])
def test_an_alarm_interval_beyond_any_calendar_is_bounded(over):
    sc = scenario_from_data("x.yaml", data(**over))
    iv = since_previous(sc.encounter)
    assert iv is not None and iv.alarm_days == MAX_ALARM_DAYS
    short = [f for f in check(sc).findings if f.rule == "PB601"]  # refilled long before the (capped) alarm
    assert short and f"allowed {MAX_ALARM_DAYS} days" in short[0].message


def test_a_bad_timestamp_tag_is_an_input_error_naming_the_field(tmp_path, capsys):
    """`!!timestamp not-a-date` raised AttributeError inside PyYAML."""
    f = write(tmp_path, GOOD.replace("date: 2026-03-02", "date: !!timestamp not-a-date"))
    assert_input_error(*cli(capsys, "check", f), "encounter.date", "YYYY-MM-DD")


def test_a_4400_digit_amount_is_an_input_error(tmp_path, capsys):
    """A 4,400-digit discarded amount hit Python's int digit limit in selection (ValueError)."""
    f = write(tmp_path, GOOD.replace("discarded: 0 mg", "discarded: " + "9" * 4400 + " mg"))
    assert_input_error(*cli(capsys, "check", f), "encounter.refill.discarded", "too many digits")


def test_a_2000_digit_concentration_is_refused_not_turned_into_a_2000_digit_unit_count(tmp_path, capsys):
    f = write(tmp_path, GOOD.replace("2000 mcg/mL", "1" + "0" * 2000 + " mcg/mL"))
    assert_input_error(*cli(capsys, "check", f), "encounter.refill.concentration", "too many digits")


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("concentration", "1001 mg/mL", "too large"),
    ("concentration", "2000000 mcg/mL", "too large"),
    ("discarded", "1000001 mg", "too large"),
    ("discarded", "1234567890123 mcg", "too many digits"),
])
def test_absurd_quantities_name_the_field(field, value, needle):
    with pytest.raises(InputError) as exc:
        scenario_from_data("x.yaml", data(refill={field: value}))
    assert exc.value.field == f"encounter.refill.{field}" and needle in exc.value.problem


def test_computed_units_stay_bounded_at_the_largest_allowed_values():
    sc = scenario_from_data("x.yaml", data(refill={"drug": "ziconotide", "concentration": "1000 mg/mL",
                                                   "volume_added_ml": 1000, "discarded": "1000000 mg"}))
    result = check(sc)
    assert result.recommended and all(1 <= ln.units < 10**10 for ln in result.recommended)
    as_text(result, "x.yaml")  # formats without the int digit limit


def test_widgets_show_one_friendly_line_never_raw_exception_text(monkeypatch):
    pytest.importorskip("ipywidgets")
    from pumpbill import widgets as w

    bad = w.claim_html(GOOD.replace("discarded: 0 mg", "discarded: " + "9" * 4400 + " mg"))
    assert "Cannot check" in bad and "encounter.refill.discarded" in bad
    assert "Cannot check" in w.claim_html(GOOD.replace("date: 2026-03-02", "date: !!timestamp not-a-date"))
    assert "Cannot check" in w.units_html("baclofen", "1" + "0" * 2000 + " mcg/mL", 20, "0 mg", "single_dose")
    assert "Cannot check" in w.planner_html("9999-12-31", 20, 2, "2000 mcg/mL", "400 mcg")
    assert "Cannot check" in w.planner_html("2026-03-02", float("nan"), 2, "2000 mcg/mL", "400 mcg")
    assert "<b>" in w.planner_html("2026-03-02", 20, 2, "1000 mg/mL", "0.000000000001 mcg")
    assert "Cannot check" in w.diagnosis_html("Z45.1", "20260302")

    def boom(*_a, **_k):
        raise RuntimeError("raw internals: /secret/path line 42")

    monkeypatch.setattr(w, "check", boom)
    for html in (w.claim_html(GOOD), w.units_html("baclofen", "2000 mcg/mL", 20, "0 mg", "single_dose"),
                 w.choose_html("programmable", "intrathecal", True, False, True, "rate", "clinical_staff", "11"),
                 w.documentation_html("62369", {"device"}), w.diagnosis_html("Z45.1", "2026-03-02")):
        assert "Cannot check" in html and "could not be checked" in html and "secret" not in html
        assert "RuntimeError" not in html and "\n" not in html


# --- dates: ISO YYYY-MM-DD only, in the supported window ------------------------------------------------------


@pytest.mark.parametrize(("line", "needle"), [
    ("date: 20260302", "got a number"),
    ("date: 2026.0302", "got a number"),
    ("date: '20260302'", "YYYY-MM-DD"),
    ("date: 2026-3-2", "YYYY-MM-DD"),
    ("date: 2026-W09-1", "YYYY-MM-DD"),
    ("date: 2026-02-30", "not a calendar date"),
    ("date: '2026-02-30'", "not a calendar date"),
    ("date: 2026-03-02T10:00:00", "not a date and time"),
    ("date: 1989-12-31", "outside the supported range"),
    ("date: 2101-01-01", "outside the supported range"),
    ("date: true", "YYYY-MM-DD"),
])
def test_dates_must_be_iso_calendar_dates_in_range(tmp_path, capsys, line, needle):
    f = write(tmp_path, GOOD.replace("date: 2026-03-02", line))
    assert_input_error(*cli(capsys, "check", f), f, "encounter.date", needle)


@pytest.mark.parametrize("field", ["previous_refill.date", "next_refill_date"])
def test_other_date_fields_are_named(tmp_path, capsys, field):
    extra = ("  previous_refill: {date: 2026-02-30, volume_ml: 20}\n" if field.startswith("previous")
             else "  next_refill_date: 2026-02-30\n")
    f = write(tmp_path, GOOD + extra)
    assert_input_error(*cli(capsys, "check", f), f"encounter.{field}", "not a calendar date")


@pytest.mark.parametrize("text", [GOOD, GOOD.replace("2026-03-02", "'2026-03-02'"),
                                  GOOD.replace("2026-03-02", "1990-01-01"), GOOD.replace("2026-03-02", "2100-12-31")])
def test_yaml_dates_quoted_or_not_and_the_range_ends_work(text):
    assert check(loads_scenario(text, "x.yaml")).recommended


def test_json_dates_are_strings(tmp_path, capsys):
    f = write(tmp_path, json.dumps(yaml.safe_load(GOOD), default=str), "case.json")
    code, out, _ = cli(capsys, "check", f, "--format", "json")
    assert code == 0 and json.loads(out)["recommended"]
    bad = json.loads(json.dumps(yaml.safe_load(GOOD), default=str))
    bad["encounter"]["date"] = 20260302
    f = write(tmp_path, json.dumps(bad), "int.json")
    assert_input_error(*cli(capsys, "check", f), "encounter.date", "got a number")


# --- C3: special files, bounded reads ------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    r = run("check", str(fifo))
    assert r.returncode == 2 and r.stdout == "" and "FIFO" in r.stderr and str(fifo) in r.stderr
    good = write(tmp_path, GOOD, "good.yaml")
    r = run("check", good, "--mue", str(fifo), "--mue-from", "2026-01-01", "--mue-to", "2026-03-31")
    assert r.returncode == 2 and r.stdout == "" and f"pumpbill: {fifo}: " in r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_are_refused_and_an_edit_file_error_names_that_file(tmp_path):
    r = run("check", "/dev/zero")
    assert r.returncode == 2 and r.stdout == "" and r.stderr.strip() == "pumpbill: /dev/zero: is a device, not a file"
    good = write(tmp_path, GOOD)
    r = run("check", good, "--ptp", "/dev/zero")
    assert r.returncode == 2 and r.stdout == "" and r.stderr.startswith("pumpbill: /dev/zero: ")
    r = run("check", good, "--ptp", str(tmp_path))
    assert r.returncode == 2 and r.stderr.startswith(f"pumpbill: {tmp_path}: is a directory")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_a_file_whose_size_is_reported_as_zero_is_read_bounded(capsys):
    """/proc files have st_size 0; they are read (at most the cap) and judged on their content."""
    code, out, err = cli(capsys, "check", "/proc/self/status")
    assert_input_error(code, out, err, "/proc/self/status")


def test_an_mue_value_python_cannot_read_names_the_mue_file(tmp_path, capsys):
    mue = write(tmp_path, "HCPCS\tMUE\tMAI\tRationale\n95990\t\u00b2\t3\tx\n", "mue.txt")
    good = write(tmp_path, GOOD)
    code, out, err = cli(capsys, "check", good, "--mue", mue, "--mue-from", "2026-01-01", "--mue-to", "2026-03-31")
    assert_input_error(code, out, err, f"pumpbill: {mue}: ")


# --- several files and folders in one run --------------------------------------------------------------------


def test_several_files_worst_status_and_a_bad_file_does_not_stop_the_others(tmp_path, capsys):
    good, err1, bad = (write(tmp_path, GOOD, "a.yaml"), write(tmp_path, WITH_ERROR, "b.yaml"),
                       write(tmp_path, "encounter: [", "c.yaml"))
    code, out, err = cli(capsys, "check", good, bad, err1)
    assert code == 2
    assert err.count("\n") == 1 and bad in err and "invalid YAML" in err
    assert out.index(f"{good}: ") < out.index(f"{err1}: ")  # one report each, in order, headed by the path
    assert "\n\n" in out
    assert cli(capsys, "check", good, err1)[0] == 1
    assert cli(capsys, "check", good, good)[0] == 0


def test_an_unexpected_failure_in_one_file_is_one_line_and_the_others_are_still_checked(tmp_path, capsys,
                                                                                          monkeypatch):
    import pumpbill.engine

    real = pumpbill.engine.check
    first, second = write(tmp_path, GOOD, "a.yaml"), write(tmp_path, GOOD, "b.yaml")

    def flaky(scenario, *, source, **kw):
        if source == first:
            raise RuntimeError("a bug")
        return real(scenario, source=source, **kw)

    monkeypatch.setattr(pumpbill.engine, "check", flaky)
    code, out, err = cli(capsys, "check", first, second)
    assert code == 2 and err.count("\n") == 1 and f"{first}: internal error (RuntimeError: a bug)" in err
    assert out.startswith(f"{second}: ")


def test_json_lines_with_several_files_and_the_contract_object_with_one(tmp_path, capsys):
    good, err1 = write(tmp_path, GOOD, "a.yaml"), write(tmp_path, WITH_ERROR, "b.yaml")
    bad = write(tmp_path, "- not a scenario\n", "c.yaml")
    code, out, err = cli(capsys, "check", good, err1, bad, "--format", "json")
    assert code == 2 and bad in err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in records] == [good, err1]
    assert all({"recommended", "findings"} <= set(r) for r in records)
    assert any(f["severity"] == "error" for f in records[1]["findings"])
    code, out, _ = cli(capsys, "check", good, "--format", "json")
    single = json.loads(out)
    assert code == 0 and "file" not in single and single == {k: v for k, v in records[0].items() if k != "file"}
    assert out.startswith("{\n")  # the same pretty object as before


def test_a_folder_means_its_scenario_files_sorted(tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "sub.yaml").mkdir()  # a folder named like a file is not a scenario
    for name, text in (("b.yml", WITH_ERROR), ("a.yaml", GOOD), ("c.json", json.dumps(yaml.safe_load(GOOD),
                                                                                      default=str)),
                       ("notes.txt", "not a scenario")):
        (folder / name).write_text(text)
    code, out, err = cli(capsys, "check", str(folder), "--format", "json")
    assert code == 1 and err == ""
    assert [Path(json.loads(line)["file"]).name for line in out.splitlines()] == ["a.yaml", "b.yml", "c.json"]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = cli(capsys, "check", str(empty), write(tmp_path, GOOD))
    assert code == 2 and str(empty) in err and "directory" in err and out.count("Recommended") == 1


# --- C2: output grows linearly with the claim ---------------------------------------------------------------


def _output_size(lines: int) -> int:
    d = copy.deepcopy(BASE)
    d["claim"] = {"lines": [{"code": "95990"} for _ in range(lines)] + [{"code": "62369"}]}
    result = check(scenario_from_data("long.yaml", d))
    return len(as_json(result)) + len(as_text(result, "long.yaml"))


def test_output_grows_linearly_with_the_claim():
    """A 16,000-line claim printed 516 MB: PB101's message listed every code for every duplicate line."""
    small, large = _output_size(100), _output_size(800)
    assert large < 8 * small * 1.25, (small, large)


# --- C4: terminal escapes and bidi controls -----------------------------------------------------------------


def test_text_output_neutralises_terminal_escapes_and_bidi_controls(tmp_path, capsys):
    hostile = "Refill \x1b]0;PWNED-title\x07\x1b[2J\r\u202eevil\u2066 \x9b31m"
    d = yaml.safe_load(GOOD)
    d.update(title=hostile, id="id\x1b[31m")
    f = write(tmp_path, yaml.safe_dump(d, allow_unicode=True))
    code, out, err = cli(capsys, "check", f)
    assert code == 0 and err == ""
    for ch in ("\x1b", "\x07", "\r", "\u202e", "\u2066", "\x9b"):
        assert ch not in out
    assert "\\u001b]0;PWNED-title\\u0007" in out and "\\u202eevil" in out
    code, out, _ = cli(capsys, "check", f, "--format", "json")  # JSON escapes on its own; content unchanged
    assert code == 0 and json.loads(out)["recommended"]


def test_a_non_ascii_title_on_an_ascii_terminal_is_not_an_internal_error(tmp_path):
    f = write(tmp_path, 'title: "Baclofen \u2014 r\u00e9fill"\n' + GOOD)
    r = subprocess.run([sys.executable, "-m", "pumpbill", "check", f], capture_output=True, timeout=60,
                       env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0 and b"internal error" not in r.stderr and b"Baclofen" in r.stdout


def test_volume_precision_beyond_the_decimal_context_still_checks():
    """A volume with more digits than Decimal's 28-digit context rounds; it does not crash."""
    sc = scenario_from_data("x.yaml", data(refill={"volume_added_ml": Decimal("20." + "1" * 60)}))
    assert check(sc).recommended

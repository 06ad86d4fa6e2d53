"""``python -m pumpbill.audit`` (audit, synth) end to end: exit codes, files, stderr, determinism.

The main paths run in a subprocess, as a user runs them; the many small variations call the
same ``main(argv)`` in-process (a subprocess costs seconds of pandas/matplotlib imports).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pandas")

HEADER = "claim_id,patient_id,provider_id,date_of_service,place_of_service,code,modifiers,units,diagnoses,payer"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pumpbill.audit", *args], capture_output=True, text=True,
                          timeout=180)


def call(capsys, *args: str) -> subprocess.CompletedProcess:
    """The same command in-process: (returncode, stdout, stderr) like ``run``."""
    from pumpbill.audit.__main__ import main

    rc = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), rc, out.out, out.err)


@pytest.fixture(scope="module")
def synth_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "claims.csv"
    r = run("synth", "--out", str(path), "--patients", "150", "--seed", "5", "--malformed-rate", "0.002")
    assert r.returncode == 0, r.stderr
    assert "SYNTHETIC" in r.stdout
    return path


def test_synth_is_deterministic(synth_file, tmp_path, capsys):
    again = tmp_path / "again.csv"
    assert call(capsys, "synth", "--out", str(again), "--patients", "150", "--seed", "5", "--malformed-rate",
                "0.002").returncode == 0
    assert again.read_bytes() == synth_file.read_bytes()
    assert again.with_name("again.truth.json").read_text() == synth_file.with_name("claims.truth.json").read_text()
    other = tmp_path / "other.csv"
    assert call(capsys, "synth", "--out", str(other), "--patients", "150", "--seed", "6").returncode == 0
    assert other.read_bytes() != synth_file.read_bytes()


def test_audit_writes_every_output_and_exits_1_on_errors(synth_file, tmp_path):
    out = tmp_path / "out"
    r = run("audit", str(synth_file), "--out", str(out), "--no-progress")
    assert r.returncode == 1, r.stderr
    assert r.stderr == ""
    assert "do not paste real patient information" in r.stdout
    for name in ("findings.csv", "report.html", "malformed_rows.csv", "summary.json"):
        assert (out / name).stat().st_size > 0
    assert not list(out.glob(".*.tmp"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exit_code"] == 1 and summary["findings"]["errors"] > 0 and summary["synthetic"]
    assert summary["malformed_lines"] > 0
    page = (out / "report.html").read_text()
    assert page.count("<svg") >= 5
    assert "do not paste real patient information" in page
    for external in ("http://", "https://", "//cdn", "<script", "<link", "<img"):
        assert external not in page


def test_clean_history_exits_0_and_json_format(tmp_path, capsys):
    path = tmp_path / "clean.csv"
    assert call(capsys, "synth", "--out", str(path), "--patients", "120", "--seed", "1", "--error-rate",
                "0").returncode == 0
    r = call(capsys, "audit", str(path), "--out", str(tmp_path / "o"), "--format", "json", "--no-progress")
    assert r.returncode == 0, r.stdout + r.stderr
    s = json.loads(r.stdout)
    assert s["findings"]["errors"] == 0 and s["exit_code"] == 0


def test_header_only_file(tmp_path, capsys):
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "\n")
    r = call(capsys, "audit", str(path), "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert "no valid claim lines" in r.stdout
    assert (tmp_path / "o" / "findings.csv").read_text().startswith("rule,name,severity,line")


@pytest.mark.parametrize("content, words, subprocess_run", [
    (bytes(range(256)) * 40, "binary file", True),
    (b"", "empty file", False),
    (b"a,b\n1,2\n", "missing required column(s)", False),
])
def test_unusable_input_exits_2_with_one_line(tmp_path, capsys, content, words, subprocess_run):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    args = ("audit", str(path), "--out", str(tmp_path / "o"))
    r = run(*args) if subprocess_run else call(capsys, *args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert str(path) in lines[0] and words in lines[0]
    assert not (tmp_path / "o" / "findings.csv").exists()


def test_size_limit_and_missing_file_exit_2(synth_file, tmp_path, capsys):
    r = call(capsys, "audit", str(synth_file), "--out", str(tmp_path / "o"), "--max-mb", "0.01")
    assert r.returncode == 2 and "limit" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = call(capsys, "audit", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no such file" in r.stderr


def test_progress_bar_can_be_forced_or_disabled(synth_file, tmp_path, capsys):
    r = call(capsys, "audit", str(synth_file), "--out", str(tmp_path / "a"), "--progress", "always")
    assert "[#" in r.stderr and "%" in r.stderr
    r = call(capsys, "audit", str(synth_file), "--out", str(tmp_path / "b"))  # auto: not a terminal here
    assert r.stderr == ""


def test_bad_synth_options_exit_2(tmp_path, capsys):
    r = call(capsys, "synth", "--out", str(tmp_path / "x.csv"), "--error-rate", "0.5")
    assert r.returncode == 2 and "error_rate" in r.stderr and "Traceback" not in r.stderr


def test_cli_module_does_not_import_pandas():
    code = ("import sys, argparse, pumpbill.audit.cli as c\n"
            "p = argparse.ArgumentParser(); s = p.add_subparsers()\n"
            "c.add_audit_parser(s); c.add_synth_parser(s)\n"
            "a = p.parse_args(['audit', 'x.csv', '--out', 'd']); assert a.func is c.run_audit\n"
            "assert not any(m.split('.')[0] in ('pandas', 'numpy', 'matplotlib') for m in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    from pumpbill.audit.files import atomic_write

    target = tmp_path / "findings.csv"
    atomic_write(target, lambda fh: fh.write("old\n"))

    def boom(fh):
        fh.write("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.csv"]


def test_audit_outputs_are_replaced_as_a_set_and_other_files_are_kept(tmp_path):
    """The four files come from one run (a folder swap, grading.outputs.OutputSet); a file of the user's stays."""
    import json
    import subprocess
    import sys

    from pumpbill.audit.synth import SynthConfig, write_synth

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_synth(SynthConfig(patients=20, seed=1), a)
    write_synth(SynthConfig(patients=25, seed=2), b)
    out = tmp_path / "out"

    def run(src):
        r = subprocess.run([sys.executable, "-m", "pumpbill", "audit", str(src), "--out", str(out), "--no-progress"],
                           capture_output=True, text=True, check=False)
        assert r.returncode in (0, 1), r.stderr

    run(a)
    (out / "my-notes.txt").write_text("mine")
    run(b)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["path"].endswith("b.csv")
    assert (out / "my-notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "findings.csv", "malformed_rows.csv", "my-notes.txt", "report.html", "summary.json"]
    assert not [p for p in tmp_path.iterdir() if ".pumpbill-new" in p.name or p.name.endswith("-old")]

"""Bad input: one line naming the file and the field, exit 2, empty stdout, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import MINIMAL_YAML

GOOD = MINIMAL_YAML


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pumpbill", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("encounter: [unclosed", "invalid YAML at line"),
        ("- just\n- a list\n", "expected a mapping"),
        ("encounter:\n  date: 2026-13-01\n  place_of_service: '11'\n", "encounter.date"),  # the field, not the parser
        (GOOD.replace("date: 2026-03-02", "date: yesterday"), "encounter.date"),
        (GOOD.replace('place_of_service: "11"', "place_of_service: office"), "encounter.place_of_service"),
        (GOOD.replace("volume_added_ml: 20", "volume_added_ml: -5"), "encounter.refill.volume_added_ml"),
        (GOOD.replace("volume_added_ml: 20", "volume_added_ml: lots"), "encounter.refill.volume_added_ml"),
        (GOOD.replace("2000 mcg/mL", "2000 bananas"), "encounter.refill.concentration"),
        (GOOD.replace("drug: baclofen", "drug: aspirin"), "encounter.refill.drug"),
        (GOOD.replace("performed_by: clinical_staff", "performed_by: janitor"), "encounter.performed_by"),
        (GOOD.replace("diagnoses: [Z45.1, G80.1]", "diagnoses: [hello]"), "encounter.diagnoses[0]"),
        (GOOD.replace("  services: {refill: true}\n", "  servces: {refill: true}\n"), "unknown field"),
        (GOOD + "claim:\n  lines:\n    - {code: '99999'}\n", "claim.lines[0].code"),
        (GOOD + "claim:\n  lines:\n    - {code: '62369', units: -1}\n", "claim.lines[0].units"),
        (GOOD + "claim:\n  lines:\n    - {code: '62369', units: 'two'}\n", "claim.lines[0].units"),
        (GOOD + "claim:\n  lines:\n    - {code: '62369', modifiers: ['TOO-LONG']}\n", "claim.lines[0].modifiers[0]"),
        (GOOD.replace("payer: medicare", "") .replace("  performed_by", "  payer: acme\n  performed_by"),
         "encounter.payer"),
        (GOOD.replace("  refill: {drug", "  refil: {drug"), "encounter"),
        ("a: &x [1]\nb: *x\n", "aliases are not allowed"),
        ("", "expected a mapping"),
    ],
)
def test_bad_scenarios_exit_2_with_one_line(tmp_path, text, needle):
    f = tmp_path / "case.yaml"
    f.write_text(text)
    r = run("check", str(f))
    assert r.returncode == 2, r.stderr
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert str(f) in r.stderr and needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_binary_file(tmp_path):
    f = tmp_path / "junk.yaml"
    f.write_bytes(b"\x89PNG\x00\x01\x02" * 100)
    r = run("check", str(f))
    assert r.returncode == 2 and "binary" in r.stderr and r.stdout == ""


def test_not_utf8(tmp_path):
    f = tmp_path / "latin.yaml"
    f.write_bytes(b"encounter: caf\xe9\n")
    r = run("check", str(f))
    assert r.returncode == 2 and "UTF-8" in r.stderr


def test_huge_file(tmp_path):
    f = tmp_path / "huge.yaml"
    f.write_text("# " + "x" * 2_000_000)
    r = run("check", str(f))
    assert r.returncode == 2 and "too large" in r.stderr


def test_missing_file_and_directory(tmp_path):
    assert "no such file" in run("check", str(tmp_path / "nope.yaml")).stderr
    assert "directory" in run("check", str(tmp_path)).stderr


def test_invalid_json(tmp_path):
    f = tmp_path / "case.json"
    f.write_text('{"encounter": ')
    r = run("check", str(f))
    assert r.returncode == 2 and "invalid JSON at line 1" in r.stderr


def test_json_scenario_accepted(tmp_path):
    import yaml

    f = tmp_path / "case.json"
    f.write_text(json.dumps(yaml.safe_load(GOOD), default=str))
    r = run("check", str(f), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["recommended"][0]["code"] == "95990"


def test_check_json_contract(tmp_path):
    f = tmp_path / "case.yaml"
    f.write_text(GOOD + "claim:\n  lines:\n    - {code: '62369'}\n    - {code: J0475, units: 4, modifiers: [JZ]}\n")
    r = run("check", str(f), "--format", "json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["recommended"][:2] == [
        {"code": "95990", "modifiers": [], "units": 1, "reasons": out["recommended"][0]["reasons"]},
        {"code": "J0475", "modifiers": ["JZ"], "units": 4, "reasons": out["recommended"][1]["reasons"]},
    ]
    pb002 = [x for x in out["findings"] if x["rule"] == "PB002"]
    assert pb002 and pb002[0]["severity"] == "error" and pb002[0]["line"] == 1
    assert {"rule", "severity", "message", "line"} <= set(pb002[0])


def test_text_format_and_rules_and_explain(tmp_path):
    f = tmp_path / "case.yaml"
    f.write_text(GOOD)
    r = run("check", str(f))
    assert r.returncode == 0 and "95990 x 1" in r.stdout and "J0475-JZ x 4" in r.stdout
    rules = json.loads(run("rules", "--format", "json").stdout)["rules"]
    assert len(rules) >= 30 and all(x["code"].startswith("PB") for x in rules)
    ex = run("explain", "pb002")
    assert ex.returncode == 0 and "## What it checks" in ex.stdout and "## Source" in ex.stdout
    bad = run("explain", "PB999")
    assert bad.returncode == 2 and "unknown rule" in bad.stderr


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("pumpbill ")


def test_nothing_written_on_error(tmp_path):
    """check only reads: a failed check leaves the directory as it was."""
    f = tmp_path / "bad.yaml"
    f.write_text("encounter: [")
    before = sorted(p.name for p in tmp_path.iterdir())
    run("check", str(f))
    assert sorted(p.name for p in tmp_path.iterdir()) == before and f.read_text() == "encounter: ["

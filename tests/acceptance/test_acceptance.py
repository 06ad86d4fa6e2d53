"""Independent acceptance tests: scenario files with expectations derived from shared/domain/FACTS.md.

Each ``cases/NN-name.yaml`` is a scenario (the public contract of shared/spec/SCENARIO.md); its sibling
``cases/NN-name.expected.yaml`` holds the expected answer, written from the facts alone (each
expectation cites its FACTS section). The engine is run the way an outside tool would run it:
``python -m pumpbill check FILE --format json``.

Expected-file keys:
  recommended    exact list of {code, modifiers, units} in billing order (modifiers sorted)
  diagnoses      optional: the expected diagnosis order
  must_fire      optional: rule codes that must be among the findings
  must_not_fire  optional: rule codes that must not be among the findings
  exit           optional: expected exit status (0 = no error finding, 1 = an error finding)

Cases where the engine disagrees with FACTS.md are listed in XFAIL with the reason; they are
suspected engine bugs and are strict: when the engine is fixed the xfail turns into a failure
so that the marker gets removed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
SCENARIOS = sorted(p for p in CASES.glob("*.yaml") if not p.name.endswith(".expected.yaml"))

#: scenario stem -> reason (suspected engine bug, with the FACTS section that decides it)
XFAIL: dict[str, str] = {
}


def _params():
    for path in SCENARIOS:
        marks = []
        if path.stem in XFAIL:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[path.stem]))
        yield pytest.param(path, id=path.stem, marks=marks)


def _run(path: Path) -> tuple[dict, int, str]:
    proc = subprocess.run([sys.executable, "-m", "pumpbill", "check", str(path), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode in (0, 1), f"exit {proc.returncode}; stderr:\n{proc.stderr}"
    return json.loads(proc.stdout), proc.returncode, proc.stderr


def _line(d: dict) -> dict:
    return {"code": str(d["code"]), "modifiers": sorted(str(m) for m in d.get("modifiers") or []),
            "units": int(d.get("units", 1))}


def test_every_scenario_has_an_expectation():
    assert len(SCENARIOS) == 40
    for path in SCENARIOS:
        assert path.with_suffix(".expected.yaml").exists(), path.name


@pytest.mark.parametrize("path", list(_params()))
def test_case(path: Path):
    expected = yaml.safe_load(path.with_suffix(".expected.yaml").read_text())
    out, rc, _ = _run(path)
    fired = {f["rule"] for f in out["findings"]}
    problems = []

    want = [_line(x) for x in expected["recommended"]]
    got = [_line(x) for x in out["recommended"]]
    if got != want:
        problems.append(f"recommended: expected {want}, got {got}")
    if "diagnoses" in expected and out.get("diagnoses") != expected["diagnoses"]:
        problems.append(f"diagnoses: expected {expected['diagnoses']}, got {out.get('diagnoses')}")
    missing = set(expected.get("must_fire") or []) - fired
    if missing:
        problems.append(f"must_fire missing {sorted(missing)}")
    unexpected = set(expected.get("must_not_fire") or []) & fired
    if unexpected:
        problems.append(f"must_not_fire fired {sorted(unexpected)}")
    if "exit" in expected and rc != expected["exit"]:
        errors = sorted({f["rule"] for f in out["findings"] if f["severity"] == "error"})
        problems.append(f"exit: expected {expected['exit']}, got {rc} (errors: {errors})")
    assert not problems, f"{path.name}: fired {sorted(fired)}\n  " + "\n  ".join(problems)

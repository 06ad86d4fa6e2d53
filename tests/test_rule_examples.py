"""Every rule ships a bad and a good example (``pumpbill/data/examples/<CODE>/{bad,good}.yaml``).

The examples are the book's rule pages (``pumpbill explain CODE`` renders them) and tests at once:
the bad one must trigger its rule, the good one must not, and the good one should teach a clean claim.
PB108 and PB213 run on the CMS NCCI rows pumpbill ships (``pumpbill.cms``: the outpatient-hospital PTP
table v32.3 and the practitioner MUE table 2026 Q2), so their examples need no file of their own. PB210
(MUE adjudication indicator 1 or 2) cannot fire on the shipped rows, which are the MAI 3 rows only, so its
folder holds a small official-layout ``mue.txt`` (listed in NCCI_FILES) whose row is synthetic and labelled so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pumpbill
from pumpbill.docs import example_edits, example_findings, rule_text
from pumpbill.edits import EditData
from pumpbill.engine import check
from pumpbill.facts import FAMILY_CODES
from pumpbill.loader import load_scenario
from pumpbill.rules import REGISTRY

EXAMPLES = Path(pumpbill.__file__).parent / "data" / "examples"
CODES = sorted(REGISTRY)

#: Rules whose *good* example may still carry an error-severity finding, each with the reason.
#: Empty: every good example currently teaches a claim with no error at all. Add an entry only
#: when the rule's subject makes a clean claim impossible, and say why.
GOOD_MAY_HAVE_ERRORS: dict[str, str] = {}

#: Good examples whose billed claim legitimately differs from pumpbill's recommended lines.
GOOD_CLAIM_DIFFERS: dict[str, str] = {}

#: Extra files an example folder may hold besides bad.yaml and good.yaml (a user-loaded NCCI file).
NCCI_FILES: dict[str, str] = {"PB210": "mue.txt"}
#: Rules whose examples fire on the shipped CMS NCCI rows (and so not when the shipped rows are switched off).
SHIPPED_NCCI_RULES = ["PB108", "PB213"]

#: A few examples also run through the real command line (as an outside tool would call it).
CLI_CASES = ["PB002", "PB101", "PB202", "PB303", "PB403", "PB701", "PB108", "PB210", "PB213"]


def example(code: str, kind: str) -> Path:
    return EXAMPLES / code / f"{kind}.yaml"


def run(code: str, kind: str):
    return check(load_scenario(example(code, kind)), edits=example_edits(code))


def describe(result) -> str:
    return "; ".join(f"{f.rule} {f.severity}: {f.message}" for f in result.findings) or "no findings"


# --- one bad and one good example per rule ------------------------------------------------------


@pytest.mark.parametrize("code", CODES)
def test_both_examples_exist(code: str) -> None:
    for kind in ("bad", "good"):
        assert example(code, kind).is_file(), f"missing {example(code, kind).relative_to(EXAMPLES.parent)}"


@pytest.mark.parametrize("code", CODES)
def test_bad_example_triggers_its_rule(code: str) -> None:
    result = run(code, "bad")
    assert code in result.fired(), f"{code}/bad.yaml does not trigger {code}: {describe(result)}"


@pytest.mark.parametrize("code", CODES)
def test_good_example_does_not_trigger_its_rule(code: str) -> None:
    result = run(code, "good")
    assert code not in result.fired(), f"{code}/good.yaml still triggers {code}: {describe(result)}"


@pytest.mark.parametrize("code", CODES)
def test_good_example_has_no_error(code: str) -> None:
    errors = [f for f in run(code, "good").findings if f.severity == "error"]
    if code in GOOD_MAY_HAVE_ERRORS:
        return
    assert not errors, f"{code}/good.yaml should teach a clean claim: " + "; ".join(
        f"{f.rule}: {f.message}" for f in errors)


def test_error_allow_list_is_justified_and_current() -> None:
    for code, why in GOOD_MAY_HAVE_ERRORS.items():
        assert code in REGISTRY and len(why.split()) >= 5, f"{code}: give a real reason"
        assert any(f.severity == "error" for f in run(code, "good").findings), \
            f"{code} is allow-listed but its good example has no error any more: remove the entry"


@pytest.mark.parametrize("code", CODES)
def test_good_claim_is_the_recommended_claim(code: str) -> None:
    """A good example bills exactly what pumpbill recommends (codes, modifiers, units, order)."""
    scenario = load_scenario(example(code, "good"))
    result = check(scenario, edits=example_edits(code))
    billed = [(ln.code, sorted(ln.modifiers), ln.units) for ln in (scenario.claim.lines if scenario.claim else [])]
    recommended = [(ln.code, sorted(ln.modifiers), ln.units) for ln in result.recommended]
    if code in GOOD_CLAIM_DIFFERS:
        assert billed != recommended, f"{code}: the exception is no longer needed"
        return
    assert billed == recommended


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("kind", ["bad", "good"])
def test_example_is_presentable(code: str, kind: str) -> None:
    """id, title and a short narrative for the reader; the rule's page renders it."""
    scenario = load_scenario(example(code, kind))
    assert scenario.id == f"{code.lower()}-{kind}"
    assert scenario.title and len(scenario.title) <= 70
    assert scenario.narrative and len(scenario.narrative) <= 300
    assert scenario.narrative.count(". ") <= 2, "keep the narrative to one or two sentences"
    assert example(code, kind).read_text("utf-8").startswith(f"# {code}"), "open with a comment naming the rule"


@pytest.mark.parametrize("code", CODES)
def test_docs_show_the_examples(code: str) -> None:
    """What `pumpbill explain` prints: both examples, and the bad one's real finding."""
    page = rule_text(code)
    assert f"id: {code.lower()}-bad" in page and f"id: {code.lower()}-good" in page
    assert example_findings(code, "bad"), f"{code}: the docs would show no finding for the bad example"
    assert not example_findings(code, "good")


def test_no_example_for_an_unknown_rule() -> None:
    folders = {p.name for p in EXAMPLES.iterdir() if p.is_dir()}
    assert folders - set(REGISTRY) == set(), "example folders without a registered rule"
    for folder in EXAMPLES.iterdir():
        assert folder.is_dir(), f"stray file {folder.name} in data/examples"
        allowed = {"bad.yaml", "good.yaml"} | ({NCCI_FILES[folder.name]} if folder.name in NCCI_FILES else set())
        extra = {p.name for p in folder.iterdir()} - allowed
        assert not extra, f"{folder.name}: unexpected files {sorted(extra)}"


# --- the NCCI rules: their files are in the CMS layout and plainly synthetic -------------------


@pytest.mark.parametrize("code", sorted(NCCI_FILES))
def test_ncci_example_files_are_synthetic(code: str) -> None:
    path = EXAMPLES / code / NCCI_FILES[code]
    rows = [line.split("\t") for line in path.read_text("utf-8").splitlines()]
    data = [r for r in rows if len(r) >= 3 and r[0].strip().isalnum() and len(r[0].strip()) == 5]
    assert data, f"{path.name} has no data rows"
    assert "NOT CMS DATA" in path.read_text("utf-8").splitlines()[0]
    for row in data:
        assert "SYNTHETIC TEST ROW - not CMS data" in row[-1], f"row {row[:2]} is not labelled synthetic"


@pytest.mark.parametrize("code", sorted(NCCI_FILES))
def test_ncci_rules_fire_only_with_the_loaded_file(code: str) -> None:
    edits = example_edits(code)
    assert edits.ptp or edits.mue, "example_edits() loaded nothing"
    assert code not in check(load_scenario(example(code, "bad"))).fired()


@pytest.mark.parametrize("code", SHIPPED_NCCI_RULES)
def test_ncci_rules_fire_on_the_shipped_cms_rows(code: str) -> None:
    """PB108/PB213 fire on the shipped CMS rows, which are official CMS data and say so; not without them."""
    assert not example_edits(code).ptp and not example_edits(code).mue, "the example should need no file"
    result = check(load_scenario(example(code, "bad")))
    finding = next(f for f in result.findings if f.rule == code)
    assert "official CMS NCCI data" in finding.message and "SYNTHETIC" not in finding.message
    assert code not in check(load_scenario(example(code, "bad")), edits=EditData(shipped=False)).fired()


# --- the command line, as an outside tool calls it ----------------------------------------------


def _cli(code: str, kind: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "pumpbill", "check", str(example(code, kind)), "--format", "json"]
    if code == "PB210":
        args += ["--mue", str(EXAMPLES / code / "mue.txt"), "--mue-from", "2026-01-01", "--mue-to", "2026-03-31"]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("code", CLI_CASES)
def test_cli_reports_the_bad_example(code: str) -> None:
    proc = _cli(code, "bad")
    out = json.loads(proc.stdout)
    rules = {f["rule"] for f in out["findings"]}
    assert code in rules
    has_error = any(f["severity"] == "error" for f in out["findings"])
    assert proc.returncode == (1 if has_error else 0), proc.stderr
    if REGISTRY[code].severity == "error":
        assert proc.returncode == 1


@pytest.mark.parametrize("code", CLI_CASES)
def test_cli_passes_the_good_example(code: str) -> None:
    proc = _cli(code, "good")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert code not in {f["rule"] for f in json.loads(proc.stdout)["findings"]}


# --- known engine gap, kept visible --------------------------------------------------------------


def test_implant_session_recommends_no_family_code() -> None:
    recommended = {ln.code for ln in run("PB008", "bad").recommended}
    assert not recommended & set(FAMILY_CODES)

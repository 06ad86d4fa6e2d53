"""The same synthetic history as CSV and as X12 837P gives the same findings (issue 13).

An 837P cannot carry dose data, dilution or change notes, so the rules that read them (PB601-PB603
with dose data, AUD03) are compared only where the CSV also lacks them; every other rule must find
exactly the same claims, patients, providers, dates and codes in both formats.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("pyx12")

from pumpbill.audit.pipeline import audit_file  # noqa: E402
from pumpbill.audit.synth import SynthConfig, write_synth  # noqa: E402

#: Rules that need nothing an 837P lacks.
FORMAT_FREE = ("PB101", "PB102", "PB103", "PB206", "PB302", "PB402", "PB701", "AUD01", "AUD02")
KEY = ["rule", "claim_id", "patient_id", "provider_id", "date_of_service", "code", "message"]


def _keys(findings, rules=FORMAT_FREE, key=KEY):
    f = findings.loc[findings["rule"].isin(rules), key].astype(str)
    return sorted(map(tuple, f.to_numpy().tolist()))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("formats")
    write_synth(SynthConfig(patients=150, seed=11, outlier_providers=1), d / "h.csv", d / "h.837")
    write_synth(SynthConfig(patients=150, seed=12, dose_share=0.0), d / "nodose.csv", d / "nodose.837")
    return d


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_csv_and_837p_give_the_same_findings(pair, engine):
    csv_result = audit_file(pair / "h.csv", engine=engine)
    x12_result = audit_file(pair / "h.837", engine=engine)
    assert x12_result.claims.format == "837p" and csv_result.claims.format == "csv"
    assert x12_result.claims.rows_read == csv_result.claims.rows_read == x12_result.claims.rows_checked
    a, b = _keys(csv_result.findings), _keys(x12_result.findings)
    assert a == b
    assert {k[0] for k in a} >= {"PB101", "PB102", "PB103", "PB302", "PB701"}  # not vacuous


def test_without_dose_data_the_interval_rules_agree_too(pair):
    # Same findings; a ziconotide message may differ (the CSV says whether the drug was diluted).
    rules = (*FORMAT_FREE, "PB601", "PB602")
    a = _keys(audit_file(pair / "nodose.csv").findings, rules, KEY[:-1])
    b = _keys(audit_file(pair / "nodose.837").findings, rules, KEY[:-1])
    assert a == b and any(k[0] == "PB601" for k in a)


def test_the_cli_reads_837p_and_the_summary_accounts_for_every_service_line(pair, tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "pumpbill", "audit", str(pair / "h.837"), "--out", str(out),
                        "--format", "json", "--no-progress"], capture_output=True, text=True, check=False)
    assert r.returncode in (0, 1), r.stderr
    s = json.loads(r.stdout)
    f = s["files"][0]
    assert f["format"] == "837p" and f["accounted"] and f["rows_read"] == f["rows_checked"] + f["rows_malformed"]
    assert (out / "findings.csv").exists() and (out / "report.html").exists()


def test_a_broken_837p_claim_is_reported_and_the_rest_is_audited(tmp_path):
    from pathlib import Path

    src = Path(__file__).parent / "data" / "x12" / "nonnumeric_units.837"
    result = audit_file(src)
    c = result.claims
    assert c.rows_malformed >= 1 and c.rows_checked >= 1
    assert c.rows_read == c.rows_checked + c.rows_malformed
    assert len(c.malformed) >= c.rows_malformed and all(c.malformed["reason"].astype(str).str.len() > 0)

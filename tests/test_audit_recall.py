"""The audit finds the generator's seeded errors at their seeded rates (recall and precision > 0.95)."""

from __future__ import annotations

import json

import pytest

pd = pytest.importorskip("pandas")

from pumpbill.audit.evaluate import score  # noqa: E402
from pumpbill.audit.pipeline import audit_file  # noqa: E402
from pumpbill.audit.synth import PATTERNS, PROVIDER_PATTERNS, SynthConfig, truth_path, write_synth  # noqa: E402

CONFIG = SynthConfig(patients=800, seed=2026, error_rate=0.03, outlier_providers=2, malformed_rate=0.002)


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    path = tmp_path_factory.mktemp("recall") / "claims.csv"
    truth = write_synth(CONFIG, path)
    result = audit_file(path)
    table = score(result.findings, path, result.claims.malformed)
    print("\n" + table.to_string(index=False))  # shown with pytest -s: the figures for the report
    return path, truth, result, table


def test_every_pattern_is_seeded(audited):
    _, truth, _, table = audited
    seeded = table.set_index("pattern")["seeded"]
    for p in PATTERNS + PROVIDER_PATTERNS + ("MALFORMED",):
        assert seeded[p] > 0, f"{p} was not seeded: the test would prove nothing"
    assert truth["lines"] > 20_000


@pytest.mark.parametrize("pattern", PATTERNS + PROVIDER_PATTERNS + ("MALFORMED",))
def test_recall_and_precision_above_095(audited, pattern):
    row = audited[3].set_index("pattern").loc[pattern]
    assert row["recall"] > 0.95, row.to_dict()
    assert row["precision"] > 0.95, row.to_dict()


def test_seeded_at_the_configured_rate(audited):
    """Each visit-level pattern lands on ~error_rate of the visits where it can occur."""
    truth = audited[1]
    for p, c in truth["patterns"].items():
        if c["candidate_visits"] >= 1000:
            rate = c["seeded_visits"] / c["candidate_visits"]
            assert abs(rate - CONFIG.error_rate) < 0.012, (p, rate)


def test_truth_file_and_ids_say_synthetic(audited):
    path, truth, result, _ = audited
    assert "SYNTHETIC" in json.loads(truth_path(path).read_text())["notice"]
    assert result.synthetic
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, nrows=200)
    for col in ("patient_id", "provider_id", "claim_id"):
        assert raw[col].str.startswith("SYN-").all()


def test_audit_ignores_the_truth_column(audited):
    path, _, result, _ = audited
    assert "seeded_error" not in result.claims.columns

"""Score an audit against a synthetic file's ground truth: recall and precision per seeded pattern.

Unit of truth: for a visit-level pattern, the (patient, date of service) pairs whose lines carry
it in ``seeded_error``; a finding of the same rule on the same patient and date is a hit. For
the provider patterns (AUD01/AUD02), provider IDs from the truth file. For malformed rows, line
numbers. Precision counts every finding of the rule, so unseeded false alarms lower it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .synth import MALFORMED, PATTERNS, PROVIDER_PATTERNS, truth_path


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def score(findings: pd.DataFrame, csv_path: str | Path, malformed: pd.DataFrame | None = None,
          truth: dict | None = None) -> pd.DataFrame:
    """One row per pattern: seeded, found, hits, recall, precision."""
    truth = truth if truth is not None else json.loads(truth_path(csv_path).read_text())
    raw = pd.read_csv(csv_path, usecols=["patient_id", "date_of_service", "seeded_error"], dtype=str,
                      keep_default_na=False)
    rows = []
    tags = raw["seeded_error"].str.split(";")
    exploded = raw.assign(tag=tags).explode("tag")
    for p in PATTERNS:
        t = exploded.loc[exploded["tag"] == p]
        want = set(zip(t["patient_id"], t["date_of_service"], strict=True))
        f = findings.loc[findings["rule"] == p]
        got = set(zip(f["patient_id"], f["date_of_service"], strict=True))
        rows.append((p, len(want), len(got), len(want & got)))
    for p in PROVIDER_PATTERNS:
        want = set(truth["outlier_providers"][p])
        got = set(findings.loc[findings["rule"] == p, "provider_id"])
        rows.append((p, len(want), len(got), len(want & got)))
    if malformed is not None:
        want_lines = set((np.flatnonzero(raw["seeded_error"].to_numpy() == MALFORMED) + 2).tolist())
        got_lines = set(malformed["line"].astype(int).tolist())
        rows.append((MALFORMED, len(want_lines), len(got_lines), len(want_lines & got_lines)))
    out = pd.DataFrame(rows, columns=["pattern", "seeded", "found", "hits"])
    out["recall"] = [_ratio(h, s) for h, s in zip(out["hits"], out["seeded"], strict=True)]
    out["precision"] = [_ratio(h, f) for h, f in zip(out["hits"], out["found"], strict=True)]
    return out

"""Run a whole audit: read, check, compare, summarise. No I/O besides reading the claims file."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pumpbill import facts

from .catalog import RULE_ORDER
from .checks import (
    FINDING_COLUMNS,
    Work,
    check_bare_g35,
    check_code_drift,
    check_em_without_25,
    check_family_with_refill,
    check_incident_to_facility,
    check_j1170,
    check_jz_jw,
    check_multiple_family,
    check_refill_intervals,
    empty_findings,
    refill_events,
    unique,
)
from .outliers import check_outliers
from .progress import Progress
from .schema import DOSE_COLUMNS, MAX_BYTES, Claims, read_claims

#: Prefix of every ID the generator writes; a file whose patients all carry it is synthetic.
SYNTHETIC_PREFIX = "SYN-"


@dataclass
class AuditResult:
    """Everything the outputs are made of."""

    claims: Claims
    findings: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return int((self.findings["severity"] == "error").sum())

    @property
    def warnings(self) -> int:
        return int((self.findings["severity"] == "warning").sum())

    @property
    def exit_code(self) -> int:
        """0: no error-severity finding; 1: at least one."""
        return 1 if self.errors else 0

    engine: str = "pandas"

    @property
    def synthetic(self) -> bool:
        return bool(self.claims.stats()["synthetic"])


#: The engines that run the checks: ``duckdb`` (the portable SQL, default), ``pandas`` (the reference
#: implementation) and ``spark`` (the same SQL on a Spark session: local mode unless configured).
ENGINES = ("duckdb", "pandas", "spark")


def audit_file(path: str | Path, progress: Progress | None = None, max_bytes: int = MAX_BYTES,
               engine: str = "duckdb", spark=None) -> AuditResult:
    """Read and audit one claims file, CSV or X12 837P (raises ``schema.AuditInputError`` on unusable input)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    progress = progress or Progress(False)
    t0 = time.perf_counter()
    claims = read_claims(path, progress=progress, max_bytes=max_bytes)
    t1 = time.perf_counter()
    if engine == "pandas":
        result = audit_claims(claims, progress)
    else:
        result = audit_sql(claims, engine, progress, spark)
    result.timings = {"read_s": round(t1 - t0, 3), **result.timings}
    return result


def present_columns(claims: Claims) -> frozenset[str]:
    """The documented columns the file has (the checks that need a missing one are skipped)."""
    return frozenset(claims.columns)


def audit_sql(claims: Claims, engine: str = "duckdb", progress: Progress | None = None, spark=None) -> AuditResult:
    """Run the portable SQL checks (``sqlchecks``) on DuckDB, where the lines already are, or on Spark."""
    from .engines import DuckDBEngine, SparkEngine, spark_session
    from .load import arrow
    from .sqlchecks import run

    progress = progress or Progress(False)
    t0 = time.perf_counter()
    if engine == "spark":
        eng = SparkEngine(spark or spark_session())
        eng.register_lines(arrow(claims.con, "SELECT * FROM lines"))
    else:
        eng = DuckDBEngine(claims.con)
    progress.update(0.5, "checking", force=True)
    findings, tables = run(eng, present_columns(claims))
    t1 = time.perf_counter()
    return AuditResult(claims, findings, tables, _notes(claims), {"check_s": round(t1 - t0, 3)}, engine=engine)


def _notes(claims: Claims) -> list[str]:
    notes = list(claims.notes)
    if not claims.has("diagnoses"):
        notes.append("no diagnoses column: PB402 (bare G35) not checked")
    if not claims.has("payer"):
        notes.append("no payer column (no check needs it)")
    dose_cols = [c for c in DOSE_COLUMNS if claims.has(c)]
    if not {"daily_dose_mcg", "concentration_mcg_per_ml"} <= set(dose_cols):
        notes.append("no dose data (daily_dose_mcg, concentration_mcg_per_ml, volume): PB602 not checked; "
                     "PB601 compares each interval with the patient's median interval")
    if not claims.has("drug_diluted"):
        notes.append("no drug_diluted column: ziconotide intervals are held to the 40-day (diluted) limit")
    if not claims.has("change_note") and not dose_cols:
        notes.append("no change_note or dose columns: AUD03 cannot see documented changes")
    return notes


def audit_claims(claims: Claims, progress: Progress | None = None) -> AuditResult:
    """Run every check on validated claim lines."""
    progress = progress or Progress(False)
    t0 = time.perf_counter()
    present = present_columns(claims)
    w = Work.from_lines(claims.lines, present)
    parts: list[pd.DataFrame] = []
    steps = [check_multiple_family, check_family_with_refill, check_em_without_25, check_j1170, check_jz_jw,
             check_bare_g35, check_incident_to_facility]
    for i, check in enumerate(steps):
        progress.update(i / (len(steps) + 3), "checking", force=i == 0)
        parts.append(check(w))
    ev = refill_events(w)
    progress.update(len(steps) / (len(steps) + 3), "refill intervals")
    parts.extend(check_refill_intervals(w, ev))
    parts.append(check_code_drift(w, ev))
    progress.update((len(steps) + 2) / (len(steps) + 3), "peer comparison")
    found, tables = check_outliers(w)
    parts.extend(found)
    parts = [p for p in parts if not p.empty]
    findings = pd.concat(parts, ignore_index=True) if parts else empty_findings()
    order = {r: i for i, r in enumerate(RULE_ORDER)}
    findings = findings.assign(_o=findings["rule"].map(order)).sort_values(
        ["_o", "line", "provider_id"], kind="stable", na_position="last").drop(columns="_o")
    findings = findings.reset_index(drop=True)[FINDING_COLUMNS]
    t1 = time.perf_counter()
    tables.update(summary_tables(w, findings))
    progress.update(1.0, "summarising")
    t2 = time.perf_counter()
    return AuditResult(claims, findings, tables, _notes(claims),
                       {"check_s": round(t1 - t0, 3), "summary_s": round(t2 - t1, 3)})


def summary_tables(w: Work, findings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per rule, per month and per provider counts for the report: the counts taken from the lines here,
    the tables built by the same function as on the SQL engines (``sqlchecks.summary_tables``)."""
    from .sqlchecks import summary_tables as from_counts

    pump = w.code_in(facts.PUMP_SERVICE_CODES)
    days, per_day = np.unique(w.day[pump], return_counts=True)
    providers = w.lines["provider_id"].cat.categories
    nprov = len(providers)
    npat = w.pat.max(initial=0) + 1
    counts = pd.DataFrame({
        "provider_id": providers.astype(str),
        "lines": np.bincount(w.prov, minlength=nprov),
        "pump_lines": np.bincount(w.prov[pump], minlength=nprov),
        "patients": np.bincount(unique(w.prov * npat + w.pat) // npat, minlength=nprov),
    })
    return from_counts(findings, days, per_day, counts)

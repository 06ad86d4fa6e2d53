"""The audit checks as one portable SQL text, run unchanged by DuckDB (default) and Spark (clusters).

Why plain SQL and not a dataframe layer: the SQL is the single definition of *which lines* each
rule flags, and both engines run the same string (a test compares them). It keeps to a subset the
two engines share with the same meaning: CTEs, joins, EXISTS, GROUP BY, CASE, COALESCE, UNION ALL,
the window functions LAG, ROW_NUMBER and SUM, and the aggregates ``median`` and ``min_by`` (both
engines have them; ``min_by(x, k)`` ignores rows whose k is NULL in both, which is how "the first
value present, in line order" is written). Arithmetic is on DOUBLE or BIGINT with explicit casts,
every division is guarded (Spark's ANSI mode fails on a zero divisor), NULLs are handled with
COALESCE, and no date function is needed (``day`` is an integer). The queries return small
results: the flagged lines and refill events (one query, so that DuckDB groups the lines by
patient and day once), per-provider counts and pump-service lines per day.

What stays in Python, shared with the pandas reference (``checks``/``outliers``) so that the two
cannot drift apart: turning flagged lines into findings (``checks.group_rows``: lines joined by
";", distinct codes by "+"), the messages (``checks.MESSAGES``), the peer statistics on the small
per-provider table (``outliers.compare_rates``), the report order (``checks.order_findings``) and
the summary tables. The Medicare payer test (``checks.is_jz_jw_payer``) is applied in Python to
the distinct payer names, and the matching spellings go into the SQL as literals, because
Unicode-aware ``lower``/``trim`` differ between engines and Python.

The pandas implementation stays the reference: ``run`` returns exactly what
``pipeline.audit_claims`` returns (findings and tables), a test checks it file by file.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from pumpbill import facts

from .catalog import RULE_ORDER, RULES
from .checks import (
    INTERVAL_REFILL_CODES,
    MESSAGES,
    ZICONOTIDE_CODE,
    epoch_day,
    event_rows,
    group_rows,
    is_jz_jw_payer,
    order_findings,
)
from .engines import Engine
from .outliers import OUTLIER_RULES, SHARE_BASE_CODES, SHARE_PHYSICIAN_CODES, compare_rates, outlier_results

#: Rules decided per line or per group of lines, in report order.
GROUP_RULES: tuple[str, ...] = ("PB101", "PB102", "PB103", "PB206", "PB302", "PB402", "PB701")
#: Rules decided per refill event, and the flag column of each in the query.
EVENT_RULES: dict[str, str] = {"PB601": "f601", "PB602": "f602", "PB603": "f603", "AUD03": "drift"}
#: Functions the SQL must never call: engine-specific, or with different meanings on the two engines.
NOT_PORTABLE: tuple[str, ...] = (
    "string_agg", "group_concat", "listagg", "list_", "array_agg", "collect_list", "collect_set", "qualify",
    "arg_min", "arg_max", "first_value", "last_value", "first(", "last(", "ignore nulls", "date_trunc",
    "strftime", "date_format", "to_date", "epoch", "make_date", "lower(", "upper(", "trim(", "regexp", "ilike",
    "::", "greatest(", "least(", "ifnull", "nvl", "iff(", "if(", "struct", "unnest", "explode", "try_",
)


def _lit(value: str) -> str:
    """A SQL string literal both engines read the same way (no quote or backslash: Spark treats backslash as an
    escape, DuckDB does not). Codes and Medicare payer spellings never contain either."""
    if "'" in value or "\\" in value:
        raise ValueError(f"not a portable SQL literal: {value!r}")
    return f"'{value}'"


def _in(values: Iterable[str]) -> str:
    """``(v1, v2, ...)`` sorted, for ``x IN ...``."""
    return "(" + ", ".join(_lit(v) for v in sorted(set(values))) + ")"


PUMP = _in(facts.PUMP_SERVICE_CODES)
FAMILY = _in(facts.FAMILY_CODES)
REFILL = _in(facts.REFILL_CODES)

PAYERS_SQL = "SELECT DISTINCT payer FROM lines WHERE payer IS NOT NULL"


def payer_condition(present: frozenset[str], medicare_payers: Iterable[str]) -> str:
    """Rows PB302 applies to: every row without a payer column; else Medicare spellings and blank payers."""
    if "payer" not in present:
        return "TRUE"
    names = sorted(set(medicare_payers))
    return "(payer IS NULL" + (f" OR payer IN {_in(names)}" if names else "") + ")"


_EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("prev_line", "BIGINT"), ("gap", "BIGINT"), ("expected", "DOUBLE"), ("med", "DOUBLE"), ("prev_alarm", "DOUBLE"),
    ("lim", "DOUBLE"), ("prev_diluted", "DOUBLE"), ("usual", "STRING"), ("usual_n", "BIGINT"),
    ("usual_total", "BIGINT"),
)
_COLS = "line, claim_id, patient_id, provider_id, day, code, pos"
#: Dose columns of the LINE SCHEMA, with their names in the events part of the query.
_DOSE = (("diluted", "diluted"), ("reservoir_ml", "reservoir"), ("volume_added_ml", "added"),
         ("volume_after_ml", "vol_after"), ("concentration_mcg_per_ml", "conc"), ("daily_dose_mcg", "dose"),
         ("alarm_ml", "alarm"))


def _line_rule(rule: str, ka: str, kb: str, kn: str, source: str, where: str = "") -> str:
    """A branch of the final UNION: one row per flagged line of ``rule`` (group key ka, kb, kn)."""
    pad = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in _EVENT_COLUMNS)
    return (f"  SELECT '{rule}' AS rule, {ka} AS ka, {kb} AS kb, CAST({kn} AS BIGINT) AS kn, {_COLS}, {pad}\n"
            f"  FROM {source}" + (f" WHERE {where}" if where else ""))


def _event_rule(rule: str, flag: str) -> str:
    cols = ", ".join(c for c, _ in _EVENT_COLUMNS)
    return (f"  SELECT '{rule}', '', '', line, line, claim_id, patient_id, provider_id, day, code, "
            f"CAST(NULL AS STRING), {cols}\n  FROM flagged_events WHERE {flag} = 1")


def findings_sql(present: frozenset[str], medicare_payers: Iterable[str] = ()) -> str:
    """The checks: one row per flagged line of a line rule (PB101-PB701) and per flagged refill event (PB601-PB603,
    AUD03). Columns: rule; ka, kb, kn, the key of the finding the line belongs to (patient and day for PB101/PB102,
    claim and code for PB302, the claim for PB402, the line otherwise); line, claim_id, patient_id, provider_id, day,
    code, pos; then for refill events the previous refill's line and the numbers the messages quote."""
    ratio = f"CAST({float(facts.SHORT_INTERVAL_RATIO)!r} AS DOUBLE)"
    refill = f"CASE WHEN code IN {_in(INTERVAL_REFILL_CODES)} THEN line END"
    relevant = " OR ".join([f"code IN {_in((*facts.PUMP_SERVICE_CODES, ZICONOTIDE_CODE))}", "has_note",
                            *[f"{c} IS NOT NULL" for c, _ in _DOSE]])
    firsts = ",\n         ".join(f"min_by({c}, CASE WHEN {c} IS NOT NULL THEN line END) AS {a}" for c, a in _DOSE)
    drug = (f"code IN {_in(facts.DRUG_CODES)} AND day >= {epoch_day(facts.JZ_REQUIRED_FROM)} "
            f"AND {payer_condition(present, medicare_payers)}")
    pb101 = "pump_units > 1 AND NOT (pump_units = 2 AND fam_units = 1 AND ref_units = 1)"
    few = {  # the rules that flag few lines, decided in one scan (the flag column, then the condition)
        "f206": f"code = 'J1170' AND day > {epoch_day(facts.J1170_TERMINATED)}",
        **({"f402": f"bare_g35 AND day >= {epoch_day(facts.G35_EXPANDED_ON)}"} if "diagnoses" in present else {}),
        "f701": f"code IN {_in(facts.INCIDENT_TO_CODES)} AND pos IN {_in(facts.FACILITY_POS)}",
        "em": f"code IN {_in(facts.EM_CODES)} AND NOT m25",  # PB103 candidates
        "bare": f"{drug} AND NOT (mjz OR mjw)",  # PB302 candidates
    }
    few_flags = ",\n         ".join(f"CASE WHEN {cond} THEN 1 ELSE 0 END AS {flag}" for flag, cond in few.items())
    few_where = "\n     OR ".join(f"({cond})" for cond in few.values())
    branches = [
        _line_rule("PB101", "patient_id", "''", "day", "pday_lines", "f101 = 1"),
        _line_rule("PB102", "patient_id", "''", "day", "pday_lines", "f102 = 1 AND fam_or_ref = 1"),
        _line_rule("PB103", "''", "''", "line", "em_lines"),
        _line_rule("PB206", "''", "''", "line", "few", "f206 = 1"),
        _line_rule("PB302", "claim_id", "code", "0", "few b", "bare = 1 AND NOT EXISTS "
                   "(SELECT 1 FROM covered k WHERE k.claim_id = b.claim_id AND k.code = b.code)"),
        *([_line_rule("PB402", "claim_id", "''", "0", "few", "f402 = 1")] if "diagnoses" in present else []),
        _line_rule("PB701", "''", "''", "line", "few", "f701 = 1"),
        *[_event_rule(rule, flag) for rule, flag in EVENT_RULES.items()],
    ]
    union = "\n  UNION ALL\n".join(branches)
    return f"""
WITH visit AS (  -- per patient and day, from the lines that matter (pump services, ziconotide, notes, dose data)
  SELECT patient_id, day,
         SUM(CASE WHEN code IN {PUMP} THEN units ELSE CAST(0 AS DOUBLE) END) AS pump_units,
         SUM(CASE WHEN code IN {FAMILY} THEN units ELSE CAST(0 AS DOUBLE) END) AS fam_units,
         SUM(CASE WHEN code IN {REFILL} THEN units ELSE CAST(0 AS DOUBLE) END) AS ref_units,
         MAX(CASE WHEN code IN {FAMILY} THEN 1 ELSE 0 END) AS any_fam,
         MAX(CASE WHEN code IN {REFILL} THEN 1 ELSE 0 END) AS any_ref,
         COUNT(CASE WHEN code IN {PUMP} THEN 1 END) AS n_pump,
         MIN({refill}) AS line,
         min_by(code, {refill}) AS code,
         MAX(CASE WHEN code = {_lit(ZICONOTIDE_CODE)} THEN 1 ELSE 0 END) AS zic,
         MAX(CASE WHEN has_note THEN 1 ELSE 0 END) AS note,
         {firsts}
  FROM lines
  WHERE {relevant}
  GROUP BY patient_id, day
),
pday AS (  -- PB101: more than one unit of pump-service codes (bar one family + refill pair), PB102: that pair
  SELECT patient_id, day, CASE WHEN {pb101} THEN 1 ELSE 0 END AS f101,
         CASE WHEN any_fam = 1 AND any_ref = 1 THEN 1 ELSE 0 END AS f102
  FROM visit WHERE ({pb101}) OR (any_fam = 1 AND any_ref = 1)
),
pday_lines AS (
  SELECT d.f101, d.f102, p.line, p.claim_id, p.patient_id, p.provider_id, p.day, p.code, p.pos,
         CASE WHEN p.code IN {FAMILY} OR p.code IN {REFILL} THEN 1 ELSE 0 END AS fam_or_ref
  FROM lines p JOIN pday d ON p.patient_id = d.patient_id AND p.day = d.day
  WHERE p.code IN {PUMP}
),
few AS (
  SELECT {_COLS},
         {few_flags}
  FROM lines
  WHERE {few_where}
),
em_days AS (  -- PB103: E/M without 25 on a day with a pump service by the same provider for the same patient
  SELECT DISTINCT p.patient_id, p.provider_id, p.day FROM lines p
  WHERE p.code IN {PUMP}
    AND EXISTS (SELECT 1 FROM few e WHERE e.em = 1 AND e.patient_id = p.patient_id
                                     AND e.provider_id = p.provider_id AND e.day = p.day)
),
em_lines AS (
  SELECT e.line, e.claim_id, e.patient_id, e.provider_id, e.day, e.code, e.pos
  FROM few e JOIN em_days k ON e.patient_id = k.patient_id AND e.provider_id = k.provider_id AND e.day = k.day
  WHERE e.em = 1
),
covered AS (  -- PB302: drug lines JZ/JW apply to without either, unless a line of the same claim and code has one
  SELECT DISTINCT c.claim_id, c.code FROM lines c
  WHERE {drug} AND (c.mjz OR c.mjw)
    AND EXISTS (SELECT 1 FROM few b WHERE b.bare = 1 AND b.claim_id = c.claim_id AND b.code = c.code)
),
dose AS (  -- refill events; FACTS s.7: volume after refill (else the smaller of added and reservoir), alarm volume
  SELECT patient_id, day, line, code, n_pump, zic, note, diluted, dose, conc,
         COALESCE(vol_after, CASE WHEN added IS NULL THEN reservoir WHEN reservoir IS NULL THEN added
                                  WHEN reservoir < added THEN reservoir ELSE added END) AS vol,
         COALESCE(alarm, CAST({float(facts.DEFAULT_ALARM_ML)!r} AS DOUBLE)) AS alarm_vol,
         CASE WHEN conc <> 0 THEN dose / conc END AS daily_ml
  FROM visit WHERE line IS NOT NULL
),
alarm AS (  -- days to the low-reservoir alarm = (volume - alarm volume) / (daily dose / concentration)
  SELECT *, CASE WHEN daily_ml <> 0 THEN (vol - alarm_vol) / daily_ml END AS t FROM dose
),
ev AS (
  SELECT patient_id, day, line, code, n_pump, note, dose, conc,
         LAG(day) OVER (PARTITION BY patient_id ORDER BY day) AS prev_day,
         LAG(line) OVER (PARTITION BY patient_id ORDER BY day) AS prev_line,
         LAG(zic) OVER (PARTITION BY patient_id ORDER BY day) AS prev_zic,
         LAG(diluted) OVER (PARTITION BY patient_id ORDER BY day) AS prev_diluted,
         LAG(dose) OVER (PARTITION BY patient_id ORDER BY day) AS prev_dose,
         LAG(conc) OVER (PARTITION BY patient_id ORDER BY day) AS prev_conc,
         LAG(CASE WHEN t - t = 0 AND t > 0 THEN t END)  -- finite and positive
           OVER (PARTITION BY patient_id ORDER BY day) AS prev_alarm
  FROM alarm
),
iv AS (
  SELECT *, CAST(day - prev_day AS BIGINT) AS gap,
         CAST(CASE WHEN prev_diluted = 0 THEN {facts.ZICONOTIDE_UNDILUTED_DAYS}
                   ELSE {facts.ZICONOTIDE_DILUTED_DAYS} END AS DOUBLE) AS lim
  FROM ev
),
expect AS (  -- the schedule: before the alarm date, never beyond ziconotide's labelled limit
  SELECT *,
         CASE WHEN prev_zic = 1 THEN (CASE WHEN prev_alarm IS NULL OR prev_alarm > lim THEN lim ELSE prev_alarm END)
              ELSE prev_alarm END AS expected,
         CASE WHEN n_pump = 1 AND note = 0
                   AND NOT (COALESCE(dose <> prev_dose, FALSE) OR COALESCE(conc <> prev_conc, FALSE))
              THEN 1 ELSE 0 END AS cand
  FROM iv
),
patient AS (  -- without dose data: the patient's median interval
  SELECT patient_id, median(CAST(gap AS DOUBLE)) AS med, COUNT(gap) AS n_iv FROM expect GROUP BY patient_id
),
code_count AS (  -- AUD03: each patient's usual refill code (strict majority of >= 3 undocumented visits)
  SELECT patient_id, code, COUNT(*) AS n FROM expect WHERE cand = 1 GROUP BY patient_id, code
),
ranked AS (
  SELECT patient_id, code, n, CAST(SUM(n) OVER (PARTITION BY patient_id) AS BIGINT) AS total,
         ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY n DESC, code) AS rk
  FROM code_count
),
usual AS (
  SELECT patient_id, code AS usual, n AS usual_n, total AS usual_total FROM ranked
  WHERE rk = 1 AND total >= 3 AND 2 * n > total
),
event_flags AS (
  SELECT x.*, p.med, u.usual, u.usual_n, u.usual_total,
         CASE WHEN COALESCE(x.expected IS NOT NULL AND x.gap < {ratio} * x.expected, FALSE)
                OR COALESCE(x.expected IS NULL AND p.n_iv >= 3 AND x.gap < {ratio} * p.med, FALSE)
              THEN 1 ELSE 0 END AS f601,
         CASE WHEN COALESCE(x.gap > x.prev_alarm, FALSE) THEN 1 ELSE 0 END AS f602,
         CASE WHEN x.prev_zic = 1 AND COALESCE(x.gap > x.lim, FALSE) THEN 1 ELSE 0 END AS f603,
         CASE WHEN x.cand = 1 AND u.usual IS NOT NULL AND x.code <> u.usual THEN 1 ELSE 0 END AS drift
  FROM expect x
  JOIN patient p ON p.patient_id = x.patient_id
  LEFT JOIN usual u ON u.patient_id = x.patient_id
),
flagged_events AS (  -- the claim and provider of each flagged event's first refill line
  SELECT f.*, l.claim_id, l.provider_id
  FROM event_flags f JOIN lines l ON l.line = f.line
  WHERE f.f601 = 1 OR f.f602 = 1 OR f.f603 = 1 OR f.drift = 1
),
flagged AS (
{union}
)
SELECT * FROM flagged
"""


def providers_sql() -> str:
    """Per provider: lines, pump-service lines, patients; the AUD01 and AUD02 counts (volume, hits, patients)."""
    return f"""
WITH ppd AS (  -- patient x provider x day
  SELECT provider_id, patient_id, day, COUNT(*) AS n_lines,
         COUNT(CASE WHEN code IN {PUMP} THEN 1 END) AS n_pump,
         COUNT(CASE WHEN code IN {_in(SHARE_BASE_CODES)} THEN 1 END) AS n_base,
         COUNT(CASE WHEN code IN {_in(set(SHARE_BASE_CODES) & set(SHARE_PHYSICIAN_CODES))} THEN 1 END) AS n_phys,
         MAX(CASE WHEN m25 AND code IN {_in(facts.EM_CODES)} THEN 1 ELSE 0 END) AS em25
  FROM lines GROUP BY provider_id, patient_id, day
),
pp AS (  -- patient x provider
  SELECT provider_id, patient_id, SUM(n_lines) AS n_lines, SUM(n_pump) AS n_pump, SUM(n_base) AS n_base,
         SUM(n_phys) AS n_phys, COUNT(CASE WHEN n_pump > 0 THEN 1 END) AS pump_days,
         COUNT(CASE WHEN n_pump > 0 AND em25 = 1 THEN 1 END) AS days25
  FROM ppd GROUP BY provider_id, patient_id
)
SELECT provider_id, SUM(n_lines) AS lines, SUM(n_pump) AS pump_lines, COUNT(*) AS patients,
       SUM(n_base) AS share_n, SUM(n_phys) AS share_x, COUNT(CASE WHEN n_base > 0 THEN 1 END) AS share_patients,
       SUM(pump_days) AS m25_n, SUM(days25) AS m25_x, COUNT(CASE WHEN pump_days > 0 THEN 1 END) AS m25_patients
FROM pp GROUP BY provider_id
"""


PUMP_DAYS_SQL = f"SELECT day, COUNT(*) AS n FROM lines WHERE code IN {PUMP} GROUP BY day"


def queries(present: frozenset[str], medicare_payers: Iterable[str] = ()) -> dict[str, str]:
    """Every query ``run`` sends after the payer look-up, by name (the same text for every engine)."""
    return {"findings": findings_sql(present, medicare_payers), "providers": providers_sql(),
            "pump_days": PUMP_DAYS_SQL}


# --- from query results to the pandas reference's frames ------------------------------------------------


_KINDS = {"int": pa.int64(), "float": pa.float64()}


def _columns(table: pa.Table, kinds: dict[str, str]) -> dict[str, np.ndarray]:
    """The columns named in ``kinds`` with fixed dtypes, whatever the engine's types (INTEGER/BIGINT/HUGEINT,
    NULLs): int -> int64, float -> float64 with NaN for NULL, str -> object (None for NULL)."""
    out: dict[str, np.ndarray] = {}
    for name, kind in kinds.items():
        col = table.column(name)
        if kind in _KINDS:
            col = col.cast(_KINDS[kind])
        out[name] = col.to_numpy(zero_copy_only=False).astype(object if kind == "str" else col.type.to_pandas_dtype(),
                                                               copy=False)
    return out


def _frame(table: pa.Table, kinds: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(_columns(table, kinds), columns=list(kinds))


#: The "findings" query's columns a line rule's findings are made of, and a refill rule's.
_GROUP_KINDS = {"ka": "str", "kb": "str", "kn": "int", "line": "int", "claim_id": "str", "patient_id": "str",
                "provider_id": "str", "day": "int", "code": "str"}
_EVENT_KINDS = {"line": "int", "prev_line": "float", "claim_id": "str", "patient_id": "str", "provider_id": "str",
                "day": "int", "code": "str", "gap": "float", "expected": "float", "med": "float",
                "prev_alarm": "float", "lim": "float", "prev_diluted": "float", "usual": "str", "usual_n": "float",
                "usual_total": "float"}
_PROVIDERS = {"provider_id": "str", **{c: "int" for c in ("lines", "pump_lines", "patients", "share_n", "share_x",
                                                          "share_patients", "m25_n", "m25_x", "m25_patients")}}
_EVENT_FRAME = {"gap": "interval", "med": "median", "lim": "limit"}


def _rule_findings(rows: pa.Table) -> list[pd.DataFrame]:
    """Findings frames, rule by rule, from the flagged rows (shared formatting: ``group_rows``, ``event_rows``)."""
    import pyarrow.compute as pc

    parts = []
    for r in GROUP_RULES:
        sub = rows.filter(pc.equal(rows.column("rule"), r))
        cols = _columns(sub, {**_GROUP_KINDS, **({"pos": "str"} if r == "PB701" else {})})
        keys = pd.DataFrame({k: cols.pop(k) for k in ("ka", "kb", "kn")})
        cols["grp"] = keys.groupby(["ka", "kb", "kn"], sort=False).ngroup().to_numpy()  # one finding per key
        parts.append(group_rows(r, cols, MESSAGES[r]))
    for r in EVENT_RULES:
        sub = rows.filter(pc.equal(rows.column("rule"), r))
        parts.append(event_rows(r, _frame(sub, _EVENT_KINDS).rename(columns=_EVENT_FRAME), MESSAGES[r]))
    return parts


def provider_tables(p: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The AUD01/AUD02 comparison tables from the per-provider counts (providers sorted, as SQL sorts)."""
    p = p.sort_values("provider_id").reset_index(drop=True)
    providers = pd.Index(p["provider_id"].to_numpy(dtype=object), dtype=object)
    out = {}
    for rule, prefix in (("AUD01", "share"), ("AUD02", "m25")):
        out[OUTLIER_RULES[rule][0]] = compare_rates(providers, p[f"{prefix}_x"].to_numpy(), p[f"{prefix}_n"].to_numpy(),
                                                    p[f"{prefix}_patients"].to_numpy())
    return out


def summary_tables(findings: pd.DataFrame, pump_days: np.ndarray, pump_lines: np.ndarray,
                   providers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per rule, per month and per provider counts for the report, from counts instead of lines.

    Same tables as ``pipeline.summary_tables``: ``pump_days``/``pump_lines`` are the pump-service lines
    per day (days since 1970); ``providers`` has provider_id, lines, pump_lines, patients.
    """
    per_rule = pd.DataFrame({
        "rule": list(RULE_ORDER),
        "name": [RULES[r].name for r in RULE_ORDER],
        "severity": [RULES[r].severity for r in RULE_ORDER],
        "findings": [int(c) for c in findings["rule"].value_counts().reindex(list(RULE_ORDER), fill_value=0)],
    })
    months = np.asarray(pump_days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    m_ids, inverse = np.unique(months, return_inverse=True)
    m_counts = np.bincount(inverse, weights=np.asarray(pump_lines, dtype=np.float64),
                           minlength=len(m_ids)).astype(np.int64)
    monthly = pd.DataFrame({"pump_service_lines": m_counts},
                           index=pd.Index(m_ids.astype("datetime64[M]").astype(str), name="month"))
    dated = findings.loc[findings["date_of_service"] != ""]
    if len(dated):
        monthly = monthly.join(pd.crosstab(dated["date_of_service"].str[:7], dated["rule"]), how="outer")
    monthly = monthly.fillna(0).astype(np.int64).sort_index().rename_axis("month")
    monthly = monthly[["pump_service_lines", *[r for r in RULE_ORDER if r in monthly.columns]]].reset_index()
    per_provider = pd.DataFrame({
        "provider_id": pd.Index(providers["provider_id"].to_numpy(dtype=object), dtype=object).astype(str),
        "lines": providers["lines"].to_numpy(dtype=np.int64),
        "pump_service_lines": providers["pump_lines"].to_numpy(dtype=np.int64),
        "patients": providers["patients"].to_numpy(dtype=np.int64),
    }).set_index("provider_id")
    sev = pd.crosstab(findings["provider_id"], findings["severity"]) if len(findings) else pd.DataFrame()
    per_provider = per_provider.join(sev).fillna(0)
    for col in ("error", "warning"):
        if col not in per_provider:
            per_provider[col] = 0
    per_provider = per_provider.astype(np.int64).rename(columns={"error": "errors", "warning": "warnings"})
    per_provider = per_provider.loc[per_provider["lines"] > 0].rename_axis("provider_id").reset_index()
    per_provider = per_provider.sort_values(["errors", "warnings", "provider_id"], ascending=[False, False, True])
    return {"per_rule": per_rule, "monthly": monthly, "per_provider": per_provider.reset_index(drop=True)}


def medicare_payers(engine: Engine) -> list[str]:
    """The distinct payer spellings of ``lines`` that PB302 treats as Medicare Part B."""
    _, rows = engine.query(PAYERS_SQL)
    return sorted(p for (p,) in rows if p is not None and is_jz_jw_payer(str(p)))


def run(engine: Engine, present: frozenset[str]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Every check on the engine's table ``lines``: (findings, tables), equal to ``pipeline.audit_claims``'s
    findings and its tables physician_share, modifier25_rate, per_rule, monthly, per_provider.

    ``present`` is the set of optional canonical columns the input had (as ``checks.Work.present``).
    """
    payers = medicare_payers(engine) if "payer" in present else []
    sql = queries(frozenset(present), payers)
    rows = engine.arrow(sql["findings"])
    providers = _frame(engine.arrow(sql["providers"]), _PROVIDERS)
    days = _frame(engine.arrow(sql["pump_days"]), {"day": "int", "n": "int"})
    tables = provider_tables(providers)
    findings = order_findings(_rule_findings(rows) + outlier_results(tables))
    tables.update(summary_tables(findings, days["day"].to_numpy(), days["n"].to_numpy(), providers))
    return findings, tables

"""Check every value of the ``raw`` table and split it into ``lines`` (typed) and malformed rows.

Why per distinct value: an export has a million lines but a few hundred distinct codes, dates,
modifiers or unit counts. Each distinct value is checked once here, in plain Python with ASCII-only
patterns (so "٦٢٣٦٩" or a full-width "６" is not a digit, and "inf", "1e309" or a 23-digit count is
not a number of units), and the verdicts are joined back to the rows in DuckDB. Nothing is fixed
silently: a value is either normalised by a documented rule ("1" -> POS "01", "j0475" -> "J0475",
"z451" -> "Z45.1") or its row is reported with the value quoted.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from .schema import DOSE_COLUMNS, REQUIRED

_EPOCH = date(1970, 1, 1)
MIN_YEAR, MAX_YEAR = 2000, 2099
#: A number of units above this is a typing error (no pump service or drug line comes near it).
MAX_UNITS = 99_999
#: Dose data above this (mL, mcg, mcg/mL) is a typing error.
MAX_DOSE_VALUE = 1_000_000

_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]00:00(?::00)?)?", re.ASCII)
_US = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.ASCII)
_POS = re.compile(r"[0-9]{1,2}", re.ASCII)
_CODE = re.compile(r"(?:[0-9]{5}|[A-Z][0-9]{4}|[0-9]{4}[FTU])", re.ASCII)
_MOD = re.compile(r"[A-Z0-9]{2}", re.ASCII)
_DX = re.compile(r"([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{0,4})", re.ASCII)
_NUMBER = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,15})?", re.ASCII)
_SPLIT = re.compile(r"[ \t,;|:/+]+", re.ASCII)
_TRUE = frozenset({"y", "yes", "true", "t", "1", "diluted"})
_FALSE = frozenset({"n", "no", "false", "f", "0", "undiluted"})
_ID_COLUMNS = ("claim_id", "patient_id", "provider_id")


def _strip(value: str) -> str:
    return value.strip(" \t\r\n")


def check_date(value: str) -> int | None:
    """Days since 1970-01-01, or None: ISO 8601 (optionally with a midnight time) or MM/DD/YYYY, 2000-2099."""
    v = _strip(value)
    if m := _ISO.fullmatch(v):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _US.fullmatch(v):
        mo, d, y = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return (date(y, mo, d) - _EPOCH).days
    except ValueError:
        return None


def check_number(value: str, what: str, whole: bool = False, limit: float = MAX_DOSE_VALUE
                 ) -> tuple[float | None, str | None]:
    """(value, None) or (None, reason): plain ASCII decimals only, finite and bounded."""
    v = _strip(value)
    if not _NUMBER.fullmatch(v):
        return None, f"{what} not a number"
    if not whole and v[0] not in "+-":  # the common case, fast: at most 15 + 15 digits, so finite
        f = float(v)
        return (f, None) if f <= limit else (None, f"{what} over {limit:,}")
    try:
        d = Decimal(v)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None, f"{what} not a number"
    if d < 0:
        return None, f"negative {what}"
    if whole and d == 0:
        return None, f"zero {what}"
    if whole and d != d.to_integral_value():
        return None, f"{what} not a whole number"
    if d > limit:
        return None, f"{what} over {limit:,}"
    return float(d), None


def check_modifiers(value: str) -> tuple[str | None, bool, bool, bool, bool]:
    """(normalised "25 JZ" or None, ok, has 25, has JZ, has JW)."""
    tokens = [t for t in _SPLIT.split(_strip(value).upper()) if t]
    ok = value.isascii() and all(_MOD.fullmatch(t) for t in tokens)  # "ſa".upper() is "SA": not a modifier
    return (" ".join(tokens) or None), ok, "25" in tokens, "JZ" in tokens, "JW" in tokens


def check_diagnoses(value: str) -> tuple[str | None, bool, bool]:
    """(normalised "Z45.1;G35", ok, bare G35)."""
    tokens, ok = [], value.isascii()  # "ı10".upper() is "I10": not a diagnosis code
    for t in _SPLIT.split(_strip(value).upper()):
        if not t:
            continue
        m = _DX.fullmatch(t)
        if m is None:
            ok = False
            tokens.append(t)
        else:
            tokens.append(m[1] + ("." + m[2] if m[2] else ""))
    return (";".join(tokens) or None), ok, "G35" in tokens


def _verdicts(con, column: str, rows: list[tuple], types: tuple[str, ...]) -> None:
    """Register the per-value verdicts of ``column`` (raw value, then ``types``) as the table ``v_<column>``."""
    import pyarrow as pa

    kinds = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    names = ["raw", *[f"c{i}" for i in range(len(types))]]
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    table = pa.table({n: pa.array(list(c), kinds[t]) for n, c, t in zip(names, cols, ("str", *types), strict=True)})
    con.register(f"v_{column}_src", table)
    con.execute(f"CREATE OR REPLACE TABLE v_{column} AS SELECT * FROM v_{column}_src")
    con.unregister(f"v_{column}_src")


def _distinct(con, column: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM raw WHERE {column} IS NOT NULL").fetchall()]


def _q(column: str, prefix: str = "r") -> str:
    """SQL for the raw value quoted in a reason: 'value' (cut to 60 characters)."""
    return f"'''' || left({prefix}.{column}, 60) || ''''"


def validate(con, present: set[str]) -> None:
    """Create ``lines`` (the LINE SCHEMA, valid rows) and ``bad(line, reason)`` from ``raw``."""
    joins: list[str] = []
    select: list[str] = ["r.line"]
    reasons: list[str] = []
    conds: list[str] = []  # every one true = the row is valid
    blank = "(" + " AND ".join(f"(r.{c} IS NULL OR trim(r.{c}) = '')" for c in sorted(present | set(REQUIRED))) + ")"

    # Trimming a million strings costs more than all the joins below: find out first whether any text
    # value has a space at either end (nearly no export has), and trim only then. Only spaces: a tab is
    # kept, so "\t=1+1" stays what it was and is neutralised as a whole when written to a CSV.
    texts = [c for c in (*_ID_COLUMNS, "payer") if c in present or c in _ID_COLUMNS]
    padded = " OR ".join(f"starts_with(r.{c}, ' ') OR ends_with(r.{c}, ' ')" for c in texts)
    trim = con.execute(f"SELECT count(*) FROM raw r WHERE {padded}").fetchall()[0][0] > 0

    def text(c: str) -> str:
        return f"nullif(trim(r.{c}), '')" if trim else f"nullif(r.{c}, '')"

    for c in _ID_COLUMNS:
        select.append(f"{text(c) if trim else 'r.' + c} AS {c}")
        reasons.append(f"CASE WHEN {text(c)} IS NULL THEN 'missing {c}' END")
        conds.append(f"{text(c)} IS NOT NULL" if trim else f"r.{c} <> ''")

    def missing(col: str) -> str:
        return f"WHEN r.{col} IS NULL OR trim(r.{col}) = '' THEN 'missing {col}'"

    _verdicts(con, "date_of_service", [(v, check_date(v)) for v in _distinct(con, "date_of_service")], ("int",))
    joins.append("LEFT JOIN v_date_of_service d ON r.date_of_service = d.raw")
    select.append("CAST(d.c0 AS INTEGER) AS day")
    conds.append("d.c0 IS NOT NULL")
    reasons.append(f"CASE {missing('date_of_service')} WHEN d.c0 IS NULL THEN 'bad date_of_service ' || "
                   f"{_q('date_of_service')} END")

    pos = [(v, _strip(v).zfill(2) if _POS.fullmatch(_strip(v)) else None) for v in _distinct(con, "place_of_service")]
    _verdicts(con, "place_of_service", pos, ("str",))
    joins.append("LEFT JOIN v_place_of_service p ON r.place_of_service = p.raw")
    select.append("p.c0 AS pos")
    conds.append("p.c0 IS NOT NULL")
    reasons.append(f"CASE {missing('place_of_service')} WHEN p.c0 IS NULL THEN 'bad place_of_service ' || "
                   f"{_q('place_of_service')} END")

    codes = [(v, _strip(v).upper() if v.isascii() and _CODE.fullmatch(_strip(v).upper()) else None)
             for v in _distinct(con, "code")]  # "ſ9328".upper() is "S9328": only ASCII is a code
    _verdicts(con, "code", codes, ("str",))
    joins.append("LEFT JOIN v_code k ON r.code = k.raw")
    select.append("k.c0 AS code")
    conds.append("k.c0 IS NOT NULL")
    reasons.append(f"CASE {missing('code')} WHEN k.c0 IS NULL THEN 'unknown code format ' || {_q('code')} END")

    _verdicts(con, "modifiers", [(v, *check_modifiers(v)) for v in _distinct(con, "modifiers")],
              ("str", "bool", "bool", "bool", "bool"))
    joins.append("LEFT JOIN v_modifiers m ON r.modifiers = m.raw")
    select += ["m.c0 AS modifiers", "coalesce(m.c2, false) AS m25", "coalesce(m.c3, false) AS mjz",
               "coalesce(m.c4, false) AS mjw"]
    reasons.append(f"CASE WHEN m.c1 = false THEN 'bad modifier ' || {_q('modifiers')} END")
    conds.append("coalesce(m.c1, true)")

    units = [(v, *check_number(v, "units", whole=True, limit=MAX_UNITS)) for v in _distinct(con, "units")]
    _verdicts(con, "units", units, ("float", "str"))
    joins.append("LEFT JOIN v_units u ON r.units = u.raw")
    select.append("CAST(u.c0 AS DOUBLE) AS units")
    conds.append("u.c0 IS NOT NULL")
    reasons.append(f"CASE {missing('units')} WHEN u.c1 IS NOT NULL THEN u.c1 || ' ' || {_q('units')} END")

    if "diagnoses" in present:
        _verdicts(con, "diagnoses", [(v, *check_diagnoses(v)) for v in _distinct(con, "diagnoses")],
                  ("str", "bool", "bool"))
        joins.append("LEFT JOIN v_diagnoses x ON r.diagnoses = x.raw")
        select += ["x.c0 AS diagnoses", "coalesce(x.c2, false) AS bare_g35"]
        reasons.append(f"CASE WHEN x.c1 = false THEN 'bad diagnosis code ' || {_q('diagnoses')} END")
        conds.append("coalesce(x.c1, true)")
    else:
        select += ["CAST(NULL AS VARCHAR) AS diagnoses", "false AS bare_g35"]
    if "payer" in present:
        select.append(f"{text('payer')} AS payer")
    else:
        select.append("CAST(NULL AS VARCHAR) AS payer")
    for i, col in enumerate(DOSE_COLUMNS):
        if col not in present:
            select.append(f"CAST(NULL AS DOUBLE) AS {col}")
            continue
        vals = [(v, *check_number(v, col)) for v in _distinct(con, col) if _strip(v)]
        _verdicts(con, col, vals, ("float", "str"))
        joins.append(f"LEFT JOIN v_{col} n{i} ON r.{col} = n{i}.raw")
        select.append(f"CAST(n{i}.c0 AS DOUBLE) AS {col}")
        conds.append(f"n{i}.c1 IS NULL")
        reasons.append(f"CASE WHEN n{i}.c1 IS NOT NULL THEN n{i}.c1 || ' ' || {_q(col)} END")
    if "drug_diluted" in present:
        dil = []
        for v in _distinct(con, "drug_diluted"):
            low = _strip(v).lower()
            dil.append((v, 1.0 if low in _TRUE else 0.0 if low in _FALSE else None, low == "" or low in _TRUE | _FALSE))
        _verdicts(con, "drug_diluted", dil, ("float", "bool"))
        joins.append("LEFT JOIN v_drug_diluted g ON r.drug_diluted = g.raw")
        select.append("CAST(g.c0 AS DOUBLE) AS diluted")
        reasons.append(f"CASE WHEN g.c1 = false THEN 'drug_diluted not yes/no ' || {_q('drug_diluted')} END")
        conds.append("coalesce(g.c1, true)")
    else:
        select.append("CAST(NULL AS DOUBLE) AS diluted")
    if "change_note" in present:
        select.append("coalesce(regexp_matches(r.change_note, '[^ \t]'), false) AS has_note")
    else:
        select.append("false AS has_note")

    reason = f"CASE WHEN {blank} THEN 'empty row' ELSE concat_ws('; ', {', '.join(reasons)}) END"
    ok = " AND ".join(conds)
    frm = f"FROM raw r {' '.join(joins)}"
    # The verdict tables are tiny; left to itself the optimizer may build its hash tables on the claim lines
    # instead (several times slower, and out of memory at 20M lines). Joined in the written order, each
    # verdict table is the build side.
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    con.execute(f"CREATE OR REPLACE TABLE lines AS SELECT {', '.join(select)} {frm} WHERE {ok}")
    n_raw = con.execute("SELECT count(*) FROM raw").fetchall()[0][0]
    n_ok = con.execute("SELECT count(*) FROM lines").fetchall()[0][0]
    where = f"WHERE NOT coalesce({ok}, false)" if n_ok < n_raw else "WHERE false"  # skip the pass when all are ok
    con.execute(f"CREATE OR REPLACE TABLE bad AS SELECT r.line, {reason} AS reason {frm} {where}")
    con.execute("RESET disabled_optimizers")

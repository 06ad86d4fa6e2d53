"""One definition of the audit checks on three engines: the pandas reference, DuckDB SQL and Spark SQL.

The SQL in ``pumpbill.audit.sqlchecks`` must give exactly the pandas reference's findings (same rows,
messages, order and dtypes) and tables, on synthetic files with and without the optional columns and
on hand-made edge cases; Spark (local mode) must give exactly DuckDB's findings from the same SQL text.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")

from pumpbill.audit import checks, outliers, pipeline, sqlchecks  # noqa: E402
from pumpbill.audit.catalog import RULE_ORDER  # noqa: E402
from pumpbill.audit.engines import DuckDBEngine, SparkEngine  # noqa: E402
from pumpbill.audit.lines import LINE_SCHEMA, to_arrow, to_frame  # noqa: E402
from pumpbill.audit.schema import read_claims  # noqa: E402
from pumpbill.audit.synth import SynthConfig, generate  # noqa: E402

TABLES = ("physician_share", "modifier25_rate", "per_rule", "monthly", "per_provider")
DOSE = ["reservoir_ml", "volume_added_ml", "concentration_mcg_per_ml", "daily_dose_mcg", "alarm_ml"]

#: Synthetic files: (config, columns dropped from the export).
SYNTH = {
    "full": (SynthConfig(patients=300, seed=5, error_rate=0.05, outlier_providers=2, malformed_rate=0.002), []),
    "no-dose-data": (SynthConfig(patients=250, seed=9, error_rate=0.04, dose_share=0.0, outlier_providers=1), []),
    "all-dose-data": (SynthConfig(patients=200, seed=4, error_rate=0.06, dose_share=1.0), []),
    "no-payer-no-dx": (SynthConfig(patients=150, seed=1, error_rate=0.06, providers=10), ["payer", "diagnoses"]),
    "no-dose-columns": (SynthConfig(patients=150, seed=12, error_rate=0.06, providers=10),
                        [*DOSE, "drug_diluted", "change_note"]),
}
#: The Spark sample: a few thousand lines on which every rule fires.
SPARK_SAMPLE = SynthConfig(patients=150, seed=1, error_rate=0.06, providers=10, outlier_providers=1)


# --- helpers -------------------------------------------------------------------------------------------


def write_synth_csv(path, cfg: SynthConfig, drop: list[str]) -> None:
    frame = generate(cfg).frame.drop(columns=drop)
    frame.to_csv(path, index=False)


def load(path) -> tuple[pa.Table, frozenset[str]]:
    """The claim lines of a file in the LINE SCHEMA, and the optional columns it has."""
    claims = read_claims(path)
    return to_arrow(claims.lines), frozenset(claims.columns)


def reference(frame: pd.DataFrame, present: frozenset[str]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The pandas reference, step by step as ``pipeline.audit_claims`` runs it (a test below keeps them equal)."""
    w = checks.Work.from_lines(frame, present)
    parts = [check(w) for check in (checks.check_multiple_family, checks.check_family_with_refill,
                                    checks.check_em_without_25, checks.check_j1170, checks.check_jz_jw,
                                    checks.check_bare_g35, checks.check_incident_to_facility)]
    ev = checks.refill_events(w)
    parts += checks.check_refill_intervals(w, ev)
    parts.append(checks.check_code_drift(w, ev))
    found, tables = outliers.check_outliers(w)
    findings = checks.order_findings(parts + found)
    tables.update(pipeline.summary_tables(w, findings))
    return findings, tables


def duck(table: pa.Table) -> DuckDBEngine:
    engine = DuckDBEngine(duckdb.connect())
    engine.register_lines(table)
    return engine


def assert_same(expected, actual) -> None:
    pd.testing.assert_frame_equal(expected[0], actual[0])
    for name in TABLES:
        pd.testing.assert_frame_equal(expected[1][name], actual[1][name], obj=name)


def parity(table: pa.Table, present: frozenset[str]):
    """Run the pandas reference and DuckDB on the same lines; assert equal; return the findings."""
    ref = reference(to_frame(table), present)
    assert_same(ref, sqlchecks.run(duck(table), present))
    return ref[0]


class Recorder:
    """An engine wrapper that keeps every SQL text it is given."""

    def __init__(self, engine) -> None:
        self.engine, self.sql = engine, []
        self.name = engine.name

    def query(self, sql):
        self.sql.append(sql)
        return self.engine.query(sql)

    def arrow(self, sql):
        self.sql.append(sql)
        return self.engine.arrow(sql)


# --- synthetic files -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory):
    out = {}
    for name, (cfg, drop) in SYNTH.items():
        path = tmp_path_factory.mktemp("engines") / f"{name}.csv"
        write_synth_csv(path, cfg, drop)
        out[name] = load(path)
    return out


@pytest.fixture(scope="module")
def synth_results(synth_files):
    """Per file: (pandas reference, DuckDB SQL), each (findings, tables)."""
    return {name: (reference(to_frame(table), present), sqlchecks.run(duck(table), present))
            for name, (table, present) in synth_files.items()}


@pytest.fixture(scope="module")
def synth_findings(synth_results):
    return {name: ref[0] for name, (ref, _) in synth_results.items()}


@pytest.mark.parametrize("name", list(SYNTH))
def test_duckdb_sql_equals_the_pandas_reference(synth_results, name):
    ref, sql = synth_results[name]
    assert_same(ref, sql)
    assert len(ref[0]) > 50


def test_every_rule_fires_on_some_file(synth_findings):
    """So that the parity above cannot pass vacuously."""
    fired = pd.concat([f["rule"] for f in synth_findings.values()]).value_counts()
    for rule in RULE_ORDER:
        assert fired.get(rule, 0) > 0, rule


def test_optional_columns_decide_what_is_checked(synth_findings):
    f = synth_findings["no-payer-no-dx"]
    assert "PB402" not in set(f["rule"])  # no diagnoses column: bare G35 not checked
    assert "PB302" in set(f["rule"])  # no payer column: every drug line is held to JZ/JW
    assert not (set(synth_findings["no-dose-columns"]["rule"]) & {"PB602"})  # PB602 needs dose data


def test_the_reference_helper_is_the_pipeline(tmp_path):
    """``reference`` above must stay what ``pipeline.audit_claims`` does (same frame in, same results out)."""
    path = tmp_path / "claims.csv"
    write_synth_csv(path, SynthConfig(patients=80, seed=7, error_rate=0.06, providers=10), [])
    claims = read_claims(path)
    result = pipeline.audit_claims(claims)
    assert_same((result.findings, result.tables), reference(claims.lines, frozenset(claims.columns)))


# --- hand-made edge cases ------------------------------------------------------------------------------------

HEADER = ("claim_id,patient_id,provider_id,date_of_service,place_of_service,code,modifiers,units,diagnoses,payer,"
          "reservoir_ml,volume_added_ml,volume_after_ml,concentration_mcg_per_ml,daily_dose_mcg,alarm_ml,"
          "drug_diluted,change_note")


def row(claim="C1", patient="P1", provider="D1", dos="2026-03-02", pos="11", code="95990", mods="", units="1",
        dx="Z45.1;G80.1", payer="medicare", dose=",,,,,", diluted="", note="") -> str:
    return ",".join([claim, patient, provider, dos, pos, code, mods, units, dx, payer, dose, diluted, note])


DOSE_90 = "20,20,,2000,400,2"  # FACTS s.7: (20 - 2) / (400 / 2000) = 90 days to the alarm
ZIC = "20,20,,100,2,2"  # 900 days to the alarm: the labelled limit decides

EDGE_CASES: dict[str, list[str]] = {
    "pb101-pair-and-units": [
        row(code="62367"), row(code="95990"),  # the pair: PB102 only
        row(claim="C2", patient="P2", code="62367"), row(claim="C2", patient="P2", code="95990", units="2"),
        row(claim="C3", patient="P3", code="95991", units="3"),
        row(claim="C4", patient="P4", code="62369"), row(claim="C5", patient="P4", provider="D2", code="62368"),
    ],
    "em-with-and-without-25": [
        row(), row(code="99213"), row(code="99214", mods="25"),
        row(claim="C2", patient="P2", code="62369"), row(claim="C2", patient="P2", code="99212", mods="25 59"),
        row(claim="C3", patient="P3", code="95990"), row(claim="C4", patient="P3", provider="D2", code="99213"),
        row(claim="C5", patient="P4", dos="2026-03-05", code="99215"),
    ],
    "j1170-and-jz-jw": [
        row(dos="2024-09-30", code="J1170", units="20"), row(claim="C2", dos="2024-10-01", code="J1170", units="20"),
        row(claim="C3", dos="2024-10-01", code="J1170", mods="JZ", units="20"),
        row(claim="C4", patient="P2", code="J0475", units="4"), row(claim="C4", patient="P2", code="J0475", mods="JW"),
        row(claim="C5", patient="P3", code="J0475", units="4", payer="Medicare Part B"),
        row(claim="C5", patient="P3", code="J2278", units="4", payer="Medicare Part B"),
        row(claim="C6", patient="P4", code="J0475", payer="Commercial PPO"),
        row(claim="C7", patient="P5", code="J0475", payer=""), row(claim="C8", patient="P6", code="J0475",
                                                                     payer="ORIGINAL MEDICARE"),
        row(claim="C9", patient="P7", code="J0475", payer="O'Brien Health \\ Plan"),
        row(claim="C10", patient="P8", dos="2023-06-30", code="J0475"),
    ],
    "g35-and-facility": [
        row(dos="2025-09-30", dx="G35"), row(claim="C2", dos="2025-10-01", dx="Z45.1;G35"),
        row(claim="C2", dos="2025-10-01", code="J0475", mods="JZ", dx="G35"),
        row(claim="C3", patient="P2", pos="22"), row(claim="C3", patient="P2", code="96522", pos="21"),
        row(claim="C4", patient="P3", code="95991", pos="22"),
    ],
    "ziconotide-dilution": [
        row(dos="2026-01-01", dose=ZIC, diluted="yes"), row(dos="2026-01-01", code="J2278", mods="JZ"),
        row(claim="C2", dos="2026-02-15", dose=ZIC, diluted="yes"), row(claim="C2", dos="2026-02-15", code="J2278"),
        row(claim="C3", patient="P2", dos="2026-01-01", dose=ZIC, diluted="no"),
        row(claim="C3", patient="P2", dos="2026-01-01", code="J2278", mods="JZ"),
        row(claim="C4", patient="P2", dos="2026-04-20", dose=ZIC, diluted="no"),
        row(claim="C4", patient="P2", dos="2026-04-20", code="J2278", mods="JZ"),
        row(claim="C5", patient="P3", dos="2026-01-01", dose=ZIC), row(claim="C5", patient="P3", dos="2026-01-01",
                                                                       code="J2278", mods="JZ"),
        row(claim="C6", patient="P3", dos="2026-02-20", dose=ZIC), row(claim="C6", patient="P3", dos="2026-02-20",
                                                                       code="J2278", mods="JZ"),
    ],
    "intervals-with-dose-data": [
        row(dos="2026-01-01", dose=DOSE_90), row(claim="C2", dos="2026-02-10", dose=DOSE_90),
        row(claim="C3", dos="2026-05-15", dose=DOSE_90), row(claim="C4", dos="2026-08-01", dose=DOSE_90),
        # dose data on the day's second line, the refill on the first: "first value present that day, in line order"
        row(claim="C5", patient="P2", dos="2026-01-01", code="62370"),
        row(claim="C5", patient="P2", dos="2026-01-01", code="J0475", mods="JZ", dose="40,35,,500,150,4"),
        row(claim="C6", patient="P2", dos="2026-02-01", code="62370", dose="40,35,30,500,150,"),
        # zero concentration or dose: no computable alarm date
        row(claim="C7", patient="P3", dos="2026-01-01", dose="20,20,,0,400,2"),
        row(claim="C8", patient="P3", dos="2026-01-11", dose="20,20,,2000,0,2"),
        row(claim="C9", patient="P3", dos="2026-01-12"),
        # a single refill: no interval at all
        row(claim="C10", patient="P4", dos="2026-01-01", dose=DOSE_90),
        # exactly half the 90 days is not "under half"; no alarm volume given: 2 mL, so 90 days again, and
        # a refill exactly on the alarm date is not past it
        row(claim="C11", patient="P5", dos="2026-01-01", dose=DOSE_90),
        row(claim="C12", patient="P5", dos="2026-02-15", dose="20,20,,2000,400,"),
        row(claim="C13", patient="P5", dos="2026-05-16", dose=DOSE_90),
        # two lines with dose data on one day: the first line's values count (300 mcg/day: 60 days)
        row(claim="C14", patient="P6", dos="2026-01-01", code="62369", dose="20,20,,2000,600,2"),
        row(claim="C14", patient="P6", dos="2026-01-01", code="J0475", mods="JZ", dose="20,20,,2000,300,2"),
        row(claim="C15", patient="P6", dos="2026-02-10", code="62369", dose="20,20,,2000,600,2"),
    ],
    "median-interval-and-two-refills-a-day": [
        *[row(claim=f"C{i}", dos=d) for i, d in enumerate(["2026-01-01", "2026-03-02", "2026-05-01", "2026-05-11",
                                                           "2026-07-10", "2026-09-08"])],
        row(claim="C9", dos="2026-09-08", code="96521"),
    ],
    "code-drift-ties-and-notes": [
        *[row(claim=f"C{i}", dos=d, code=c, note=n) for i, (d, c, n) in enumerate(zip(
            ["2026-01-01", "2026-03-01", "2026-05-01", "2026-07-01", "2026-09-01", "2026-11-01"],
            ["95990", "95990", "62369", "95990", "62369", "62369"],
            ["", "", "", "", "dose increased", ""], strict=True))],
        # a tie (2 and 2): no usual code, no finding
        *[row(claim=f"T{i}", patient="P2", dos=d, code=c) for i, (d, c) in enumerate(zip(
            ["2026-01-01", "2026-03-01", "2026-05-01", "2026-07-01"], ["95990", "62369", "95990", "62369"],
            strict=True))],
        # a dose change documents the different code
        *[row(claim=f"D{i}", patient="P3", dos=d, code=c, dose=k) for i, (d, c, k) in enumerate(zip(
            ["2026-01-01", "2026-03-01", "2026-05-01", "2026-07-01"], ["95990", "95990", "95990", "62370"],
            [DOSE_90, DOSE_90, DOSE_90, "20,20,,2000,500,2"], strict=True))],
    ],
    "nothing-to-find": [row(), row(code="J0475", mods="JZ", units="4")],
    "no-refill-at-all": [row(code="62367"), row(code="99213"), row(claim="C2", patient="P2", code="99213")],
}


def edge_file(tmp_path, name: str):
    path = tmp_path / f"{name}.csv"
    path.write_text(HEADER + "\n" + "\n".join(EDGE_CASES[name]) + "\n")
    return path


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases_duckdb_equals_pandas(tmp_path, name):
    findings = parity(*load(edge_file(tmp_path, name)))
    if name == "nothing-to-find":
        assert findings.empty
    else:
        assert not findings.empty


def test_edge_cases_find_what_they_were_written_for(tmp_path):
    """A few spot checks that the shared cases mean what they say (the rules themselves: test_audit_checks)."""
    def rules(name):
        f = sqlchecks.run(duck(load(edge_file(tmp_path, name))[0]), frozenset(HEADER.split(",")))[0]
        return list(zip(f["rule"], f["line"].astype(object), strict=True))

    assert ("PB101", 2) not in rules("pb101-pair-and-units")  # the 62367 + 95990 pair is PB102's
    assert {("PB101", 4), ("PB101", 6), ("PB102", 2)} <= set(rules("pb101-pair-and-units"))
    assert [r for r in rules("em-with-and-without-25") if r[0] == "PB103"] == [("PB103", 3)]
    jz = [ln for r, ln in rules("j1170-and-jz-jw") if r == "PB302"]
    assert jz == [2, 3, 7, 8, 10, 11], jz  # Medicare spellings, a blank payer; not JW-covered, Commercial, 2023-06
    zic = [(r, ln) for r, ln in rules("ziconotide-dilution") if r == "PB603"]
    assert zic == [("PB603", 4), ("PB603", 8), ("PB603", 12)], zic  # 45 > 40 diluted, 109 > 84, 50 > 40 unknown


def test_shared_formatting_spot_check(synth_findings):
    """The formatting Python does for both paths: lines joined by ";" (first = the finding's line), numbers."""
    f = synth_findings["full"]
    pb101 = f.loc[f["rule"] == "PB101"].iloc[0]
    assert ";" in pb101["lines"] and pb101["line"] == int(pb101["lines"].split(";")[0])
    assert re.fullmatch(r"refill \d+ days after the previous one.*", f.loc[f["rule"] == "PB601", "message"].iloc[0])


# --- the LINE SCHEMA round trip ----------------------------------------------------------------------------


def test_lines_round_trip(synth_files, tmp_path):
    table, present = synth_files["full"]
    assert table.schema == LINE_SCHEMA
    frame = to_frame(table)
    again = to_arrow(frame)
    assert again.equals(table)
    for col in ("claim_id", "patient_id", "provider_id", "pos", "code", "modifiers", "diagnoses", "payer"):
        assert isinstance(frame[col].dtype, pd.CategoricalDtype), col
        cats = list(frame[col].cat.categories)
        assert cats == sorted(cats), col  # sorted: independent of the order values appear in
    assert str(frame["line"].dtype) == "int64" and str(frame["day"].dtype) == "int32"
    assert frame["m25"].dtype == bool and frame["units"].dtype == "float64"
    # rows out of line order come back in line order (the reference takes "first value" in row order)
    shuffled = table.take(pa.array(list(range(table.num_rows))[::-1]))
    pd.testing.assert_frame_equal(to_frame(shuffled), frame)


def test_the_frame_of_read_claims_survives_the_round_trip(tmp_path):
    """Findings on ``to_frame(to_arrow(lines))`` equal findings on the lines themselves, and the frame has the
    dtypes ``schema.read_claims`` has always given the reference checks."""
    path = tmp_path / "claims.csv"
    write_synth_csv(path, SynthConfig(patients=80, seed=21, error_rate=0.06, providers=10), [])
    claims = read_claims(path)
    present = frozenset(claims.columns)
    again = to_frame(to_arrow(claims.lines))
    assert_same(reference(claims.lines, present), reference(again, present))
    numeric = {"line": "int64", "day": "int32", "units": "float64", "diluted": "float64", "m25": "bool",
               "mjz": "bool", "mjw": "bool", "bare_g35": "bool", "has_note": "bool", "daily_dose_mcg": "float64"}
    for col, dtype in numeric.items():
        assert str(again[col].dtype) == dtype, col
    for col in ("claim_id", "patient_id", "provider_id", "pos", "code", "payer"):
        assert str(again[col].cat.categories.dtype) == "str", col
    for col in ("modifiers", "diagnoses"):
        assert again[col].cat.categories.dtype == object, col


def test_no_lines_at_all():
    """Every row malformed: no finding, empty tables, same dtypes on both paths."""
    empty = LINE_SCHEMA.empty_table()
    present = frozenset(HEADER.split(","))
    result = sqlchecks.run(duck(empty), present)
    assert_same(reference(to_frame(empty), present), result)
    assert result[0].empty and result[1]["per_provider"].empty
    assert list(result[1]["per_rule"]["findings"]) == [0] * len(RULE_ORDER)


def test_duckdb_engine_reads_an_existing_table(synth_files):
    table, present = synth_files["no-payer-no-dx"]
    con = duckdb.connect()
    con.register("src", table)
    con.execute("CREATE TABLE claim_lines AS SELECT * FROM src")
    engine = DuckDBEngine(con)
    engine.register_lines("claim_lines")
    assert_same(sqlchecks.run(engine, present), sqlchecks.run(duck(table), present))


# --- the SQL text ------------------------------------------------------------------------------------------

PRESENT_VARIANTS = [frozenset(), frozenset({"payer", "diagnoses"}), frozenset(HEADER.split(","))]


@pytest.mark.parametrize("present", PRESENT_VARIANTS, ids=["none", "payer-dx", "all"])
def test_sql_uses_no_engine_specific_function(present):
    for name, sql in sqlchecks.queries(present, ["medicare", "Medicare Part B"]).items():
        code = re.sub(r"--[^\n]*", "", sql)  # without comments
        low = " ".join(code.lower().split())
        for bad in sqlchecks.NOT_PORTABLE:
            assert bad not in low, (name, bad)
        assert ";" not in code, name  # one statement per query
        functions = set(re.findall(r"\b([a-z_]+)\s*\(", re.sub(r"'[^']*'", "", low)))
        allowed = {"sum", "max", "min", "count", "min_by", "median", "lag", "row_number", "coalesce", "cast", "in",
                   "exists", "as", "over", "and", "or", "not", "then", "from", "select", "with", "else", "end",
                   "when", "distinct", "on", "where", "partition"}
        assert functions <= allowed | {n for n in functions if not n.isidentifier()}, (name, functions - allowed)


def test_sql_text_depends_only_on_present_columns_and_payers():
    a = sqlchecks.queries(frozenset({"payer"}), ["medicare", "Medicare"])
    assert a == sqlchecks.queries(frozenset({"payer"}), ["Medicare", "medicare", "medicare"])
    assert "PB402" not in a["findings"] and "PB402" in sqlchecks.queries(frozenset({"diagnoses"}))["findings"]
    with pytest.raises(ValueError, match="not a portable SQL literal"):
        sqlchecks.queries(frozenset({"payer"}), ["it's"])


# --- Spark (local mode) ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the test session. Skipped without Java unless PUMPBILL_REQUIRE_SPARK is set."""
    required = bool(os.environ.get("PUMPBILL_REQUIRE_SPARK"))
    missing = None
    if shutil.which("java") is None:
        missing = "java is not on PATH"
    else:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            missing = "pyspark is not installed"
    if missing:
        if required:
            pytest.fail(f"PUMPBILL_REQUIRE_SPARK is set but {missing}")
        pytest.skip(missing)
    from pumpbill.audit.engines import spark_session

    session = spark_session(app="pumpbill-tests")
    yield session
    session.stop()


@pytest.mark.spark
def test_spark_gives_duckdbs_findings_from_the_same_sql(spark, tmp_path):
    """A synthetic sample plus every edge case (IDs prefixed per case so that they do not mix), in one Spark run:
    the first run of a session pays for the JVM's warm-up, so one run keeps the test short."""
    import io

    frames = [generate(SPARK_SAMPLE).frame]
    for i, name in enumerate(EDGE_CASES):
        text = HEADER + "\n" + "\n".join(f"E{i}" + r.replace(",P", f",E{i}P", 1) for r in EDGE_CASES[name])
        frames.append(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
    path = tmp_path / "sample.csv"
    pd.concat(frames, ignore_index=True).fillna("").to_csv(path, index=False)
    table, present = load(path)
    assert 3000 < table.num_rows < 10000
    spark_engine = SparkEngine(spark)
    spark_engine.register_lines(table)
    on_spark, on_duck = Recorder(spark_engine), Recorder(duck(table))
    result = sqlchecks.run(on_spark, present)
    assert_same(sqlchecks.run(on_duck, present), result)
    assert on_spark.sql == on_duck.sql  # the very same SQL text
    assert set(result[0]["rule"]) == set(RULE_ORDER)  # every rule fired: the comparison means something
    assert result[0]["claim_id"].str.startswith("E").any()  # and so did the edge cases

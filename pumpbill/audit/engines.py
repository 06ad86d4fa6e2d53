"""Where the SQL checks run: a small protocol with DuckDB (default) and Spark (clusters) behind it.

Why so small: the checks are one SQL text (``sqlchecks``); an engine only has to expose the claim
lines as a table named ``lines`` and run a query, returning rows or an Arrow table. Anything that
can do both (Trino, a warehouse) can be added the same way. This module imports neither DuckDB
nor Spark: a DuckDB engine wraps a connection the caller made, ``spark_session`` imports pyspark.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Protocol

import pyarrow as pa

#: The table name every check reads.
LINES = "lines"


class Engine(Protocol):
    """What ``sqlchecks.run`` needs from an engine."""

    name: str

    def register_lines(self, source: Any) -> None:
        """Make ``source`` (an Arrow table in the LINE SCHEMA, or the name of an existing table) the table ``lines``."""

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Run ``sql``: (column names, rows as tuples)."""

    def arrow(self, sql: str) -> pa.Table:
        """Run ``sql``: the result as an Arrow table (columnar: no Python object per value)."""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBEngine:
    """DuckDB on a given connection (the audit's default: in process, spills to disk when memory runs short)."""

    name = "duckdb"

    def __init__(self, con: Any) -> None:
        self.con = con

    def register_lines(self, source: pa.Table | str) -> None:
        """An Arrow table is copied into a temporary table (faster to scan than Arrow memory); a table name other
        than ``lines`` becomes a view called ``lines``; ``"lines"`` itself is used as it is."""
        if isinstance(source, str):
            if source != LINES:
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW {LINES} AS SELECT * FROM {_quoted(source)}")
            return
        self.con.register("pb_lines_arrow", source)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {LINES} AS SELECT * FROM pb_lines_arrow")
        finally:
            self.con.unregister("pb_lines_arrow")

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def arrow(self, sql: str) -> pa.Table:
        from .load import arrow  # the one place that finishes an earlier result before fetching

        return arrow(self.con, sql)


class SparkEngine:
    """Spark SQL on a given session (local mode in the tests, a cluster's session in production)."""

    name = "spark"

    def __init__(self, spark: Any) -> None:
        self.spark = spark

    def register_lines(self, source: Any) -> None:
        """An Arrow table or a Spark DataFrame becomes the temporary view ``lines``; a string names a table."""
        if isinstance(source, str):
            if source != LINES:
                self.spark.table(source).createOrReplaceTempView(LINES)
            return
        if isinstance(source, pa.Table):
            source = self.spark.createDataFrame(source)
        source.createOrReplaceTempView(LINES)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        df = self.spark.sql(sql)
        return list(df.columns), [tuple(r) for r in df.collect()]

    def arrow(self, sql: str) -> pa.Table:
        return self.spark.sql(sql).toArrow()


def spark_session(app: str = "pumpbill-audit", cores: int = 2, memory: str | None = None, **conf: str) -> Any:
    """A local-mode SparkSession for tests and single machines: ``local[cores]``, 4 shuffle partitions, no UI,
    UTC, quiet logs; ``conf`` adds or overrides Spark settings (dots as in Spark: pass them as a dict with **).
    ``memory``: the driver's heap (default ``PUMPBILL_SPARK_MEMORY`` or 4g; 1g ran out at 200,000 lines).
    On a cluster, build the session the cluster's way and pass it to ``SparkEngine``."""
    memory = memory or os.environ.get("PUMPBILL_SPARK_MEMORY", "4g")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(f"local[{cores}]").appName(app)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=ERROR")
        .config("spark.log.level", "ERROR")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark

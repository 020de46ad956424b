"""Where the expressions run: DuckDB in this process, or Apache Spark.

DuckDB needs nothing started; its memory is capped (it spills to a temporary directory
beyond the cap) so that a national population fits beside everything else on the machine.
Spark runs in local mode in this process's JVM (``local[*]``), on a standalone cluster
(``spark://host:7077``), or through Spark Connect (``sc://host:15002``, also taken from
``SPARK_REMOTE``). PySpark and Java 17 are needed only for Spark (`make test` installs them).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

from opspor.population.scan.shape import READS
from opspor.population.scan.signals import Tables

BACKENDS = ("duckdb", "spark")
DEFAULT_MEMORY_LIMIT = "4GB"


@dataclass(frozen=True)
class BackendOptions:
    backend: str = "duckdb"
    # DuckDB: its memory cap and threads (None: one per core).
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None
    spill_directory: Path | None = None
    # Spark: a master URL (local[*], spark://...) or a Spark Connect URL (sc://...).
    spark_master: str | None = None
    spark_remote: str | None = None


def connect(options: BackendOptions) -> BaseBackend:
    if options.backend == "duckdb":
        return _duckdb(options)
    if options.backend == "spark":
        return ibis.pyspark.connect(spark_session(options))
    raise ValueError(f"unknown backend {options.backend!r}: one of {', '.join(BACKENDS)}")


def _duckdb(options: BackendOptions) -> BaseBackend:
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{_checked_size(options.memory_limit)}'")
    if options.threads:
        con.raw_sql(f"SET threads = {int(options.threads)}")
    if options.spill_directory is not None:
        con.raw_sql(f"SET temp_directory = '{_quoted(str(options.spill_directory))}'")
    # Insertion order is not needed by any figure; without it DuckDB may stream more.
    con.raw_sql("SET preserve_insertion_order = false")
    return con


def _checked_size(value: str) -> str:
    text = value.strip().upper().replace(" ", "")
    number = text.rstrip("KMGTIB")
    unit = text[len(number) :]
    if not number.replace(".", "", 1).isdigit() or unit not in {
        "KB",
        "MB",
        "GB",
        "TB",
        "KIB",
        "MIB",
        "GIB",
        "TIB",
    }:
        raise ValueError(f"not a memory size: {value!r} (e.g. 4GB)")
    return text


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def spark_session(options: BackendOptions) -> Any:
    """A Spark session for the options (the running one when it matches)."""
    # The Python workers must be this interpreter: PySpark refuses a minor version mismatch.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    remote = options.spark_remote or os.environ.get("SPARK_REMOTE")
    builder = SparkSession.builder.appName("opspor-scan")
    if remote:
        builder = builder.remote(remote)
    else:
        master = options.spark_master or "local[*]"
        builder = builder.master(master).config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        if master.startswith("local"):
            # Spark's 200 shuffle partitions are for a cluster; in one process, one a core.
            builder = builder.config("spark.sql.shuffle.partitions", str(os.cpu_count() or 2))
    builder = builder.config("spark.sql.session.timeZone", "UTC").config(
        "spark.sql.execution.arrow.pyspark.enabled", "true"
    )
    # py4j says goodbye through logging at interpreter exit, after the streams are closed.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    session = builder.getOrCreate()
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    return session


def read_tables(con: BaseBackend, data: Path) -> Tables:
    """The input tables, the columns the scan reads only."""
    read: dict[str, Any] = {}
    for table, columns in READS.items():
        t = con.read_parquet(str(data / f"{table}.parquet"))
        read[table] = t.select(*columns)
    return Tables(**read)


def to_arrow(con: BaseBackend, expr: Any) -> pa.Table:
    return con.to_pyarrow(expr)


def to_scalar(con: BaseBackend, expr: Any) -> Any:
    return con.execute(expr)

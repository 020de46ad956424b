"""Regions for the scan's tests: synthetic ones from the generator, small ones by hand, and
one Spark session for the whole run (starting one costs seconds)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opspor.population.scan.backends import BackendOptions, spark_session
from opspor.population.scan.shape import READS, input_schema

AS_OF = date(2025, 6, 30)

DEFAULTS: dict[str, dict[str, Any]] = {
    "patients": {
        "sex": "female",
        "practice_id": 1,
        "registered_from": date(2010, 1, 1),
        "registered_to": None,
        "lives_alone": False,
        "language": "da",
        "interpreter_needed": False,
        "died_on": None,
        "birth_date": date(1960, 5, 1),
    },
    "contacts": {"clinician_id": 1, "practice_id": 1, "kind": "consultation"},
    "symptoms": {},
    "conditions": {"system": "icd10", "chronic": True, "onset": None},
    "medications": {"stop": None},
}


def write_region(directory: Path, **rows: list[dict[str, Any]]) -> Path:
    """Write the five tables the scan reads, from rows given as dicts (defaults filled in);
    a table not given is written empty."""
    directory.mkdir(parents=True, exist_ok=True)
    for table in READS:
        filled = [DEFAULTS[table] | row for row in rows.get(table, [])]
        schema = input_schema(table)
        columns = {name: [row.get(name) for row in filled] for name in schema.names}
        pq.write_table(pa.table(columns, schema=schema), directory / f"{table}.parquet")
    return directory


@pytest.fixture(scope="session")
def spark_options() -> Iterator[BackendOptions]:
    """Spark in local mode, two cores, one session for every test that asks."""
    options = BackendOptions(backend="spark", spark_master="local[2]")
    session = spark_session(options)
    yield options
    session.stop()


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail instead of waiting for ever on a backend that does not answer."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the scan took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)

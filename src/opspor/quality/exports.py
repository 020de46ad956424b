"""The published rows of one indicator as CSV or Parquet: the same values the pages show."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from opspor.quality.selectors import EXPORT_COLUMNS

# Texts stay texts ("<5", "–"): a hidden count has no number to export.
_SCHEMA = pa.schema(
    [
        ("indicator", pa.string()),
        ("source", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("place", pa.string()),
        ("split", pa.string()),
        ("group", pa.string()),
        ("denominator", pa.string()),
        ("numerator", pa.string()),
        ("share", pa.float64()),
        ("p10", pa.float64()),
        ("q1", pa.float64()),
        ("median", pa.float64()),
        ("q3", pa.float64()),
        ("p90", pa.float64()),
        ("hidden_reason", pa.string()),
    ]
)
assert tuple(_SCHEMA.names) == EXPORT_COLUMNS


def as_csv(rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row[k] is None else row[k] for k in EXPORT_COLUMNS})
    return out.getvalue().encode("utf-8")


def as_parquet(rows: Sequence[dict[str, Any]]) -> bytes:
    table = pa.Table.from_pylist([dict(row) for row in rows], schema=_SCHEMA)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()

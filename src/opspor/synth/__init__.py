"""Seeded synthetic population of the Capital Region for demos, tests and benchmarks.

Pure Python, NumPy and Arrow (no Django): ``generate_region`` writes the Parquet files,
``generate_region_tables`` returns the same tables in memory for small regions. The
parameters and their sources are in ``params.yaml``; see README.md here.
"""

from opspor.synth.cpr import synthetic_cpr
from opspor.synth.generator import (
    CHUNK_SIZE,
    MAX_PATIENTS,
    RegionSummary,
    generate_region,
    generate_region_tables,
)
from opspor.synth.params import SynthParams, load_params
from opspor.synth.tables import FILE_SCHEMAS, TABLE_NAMES

__all__ = [
    "CHUNK_SIZE",
    "FILE_SCHEMAS",
    "MAX_PATIENTS",
    "TABLE_NAMES",
    "RegionSummary",
    "SynthParams",
    "generate_region",
    "generate_region_tables",
    "load_params",
    "synthetic_cpr",
]

"""The shape of the scan's input tables and of its result file.

The input is what `opspor synth` writes (`opspor.synth.tables.FILE_SCHEMAS`), or a real
export in the same shape; the scan reads only the columns below. Its result is one row per
patient with any of the worklist's signals (every listed patient with ``--all-patients``),
in the columns of `RESULT_SCHEMA`.
"""

from __future__ import annotations

import pyarrow as pa

from opspor.synth.tables import FILE_SCHEMAS

# The columns the scan reads, by table. Types are the synthetic files' own.
READS: dict[str, tuple[str, ...]] = {
    "patients": (
        "patient_id",
        "birth_date",
        "sex",
        "practice_id",
        "registered_from",
        "registered_to",
        "lives_alone",
        "language",
        "interpreter_needed",
        "died_on",
    ),
    "contacts": ("patient_id", "clinician_id", "practice_id", "contact_date", "kind"),
    "symptoms": ("patient_id", "code", "recorded_date"),
    "conditions": ("patient_id", "code", "system", "chronic", "onset"),
    "medications": ("patient_id", "atc", "start", "stop"),
}
# Columns that may be empty (null) in a good file; every other column read must be filled.
NULLABLE: dict[str, frozenset[str]] = {
    "patients": frozenset({"registered_to", "died_on"}),
    "contacts": frozenset({"clinician_id"}),
    "symptoms": frozenset(),
    "conditions": frozenset({"onset"}),
    "medications": frozenset({"stop"}),
}


def input_schema(table: str) -> pa.Schema:
    """The columns the scan reads from ``table``, with their types."""
    full = FILE_SCHEMAS[table]
    return pa.schema([full.field(name) for name in READS[table]])


# The result: one row per patient. A signal's own columns are null when it does not hold;
# the pattern break's figures are given for every row (they say how far from a break it is).
RESULT_SCHEMA = pa.schema(
    [
        ("patient_id", pa.int64()),
        ("practice_id", pa.int64()),
        ("as_of", pa.date32()),
        # Pattern break: recent contacts k in [T-90, T], expected mu, P(X >= k | mu).
        ("pattern_break", pa.bool_()),
        ("pattern_break_count", pa.int64()),
        ("pattern_break_expected", pa.float64()),
        ("pattern_break_p", pa.float64()),
        ("pattern_break_baseline", pa.int64()),
        ("pattern_break_baseline_days", pa.int64()),
        # The low-user reading of a break (a working definition, engine/signals/low_user.py).
        ("low_user_rise", pa.bool_()),
        ("low_user_baseline_per_year", pa.float64()),
        ("population_per_year", pa.float64()),
        # Return after a long absence: the gap before the first recent contact, in days.
        ("long_absence_days", pa.int64()),
        ("long_absence_returned_on", pa.date32()),
        # Continuity over the contacts with a named clinician in (T-730, T], when N >= 3.
        ("n_contacts_2y", pa.int64()),
        ("upc", pa.float64()),
        ("coc", pa.float64()),
        ("secon", pa.float64()),
        # The same unexplained symptom at 3+ consultation days in the 365 days up to T:
        # the code with the most days (then the first by code), and every such code.
        ("repeat_symptom_code", pa.string()),
        ("repeat_symptom_consultations", pa.int64()),
        (
            "repeat_symptoms",
            pa.list_(pa.struct([("code", pa.string()), ("consultations", pa.int64())])),
        ),
        ("last_contact_date", pa.date32()),
        ("vulnerability_flags", pa.list_(pa.string())),
    ]
)
RESULT_COLUMNS: tuple[str, ...] = tuple(RESULT_SCHEMA.names)
# The result file's Parquet key-value metadata: the scan's account of itself (JSON).
METADATA_KEY = b"opspor.scan"

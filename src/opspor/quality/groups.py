"""Which groups a patient of the record belongs to on a day: sex, age band, the practice's
kind and the study's vulnerable groups, read with the engine's own definitions.

The vulnerability flags come from `engine.signals.vulnerability` itself, given the patient's
facts and the conditions the record knew on the day, so that "a psychiatric diagnosis" or
"several chronic conditions" means on the dashboard what it means on the GP's overview.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date

from opspor.engine.context import ConditionEntry, PatientContext, PatientFacts
from opspor.engine.settings import EngineSettings
from opspor.engine.signals.vulnerability import vulnerability_flags
from opspor.quality.aggregate import Who, age_band
from opspor.records.context import ENGINE_CONDITION_SYSTEMS
from opspor.records.models import Condition, Patient

# Ids per query: well under the bound parameters SQLite allows in one statement.
_CHUNK = 5_000


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class WhoBook:
    """The groups of the given patients, read from the record once and worked out per day."""

    def __init__(self, patient_ids: Iterable[int]) -> None:
        ids = sorted(set(patient_ids))
        self._settings = EngineSettings()
        self._patients = {
            row["pk"]: row
            for chunk in _chunks(ids)
            for row in Patient.objects.filter(pk__in=chunk).values(
                "pk",
                "birth_date",
                "sex",
                "lives_alone",
                "interpreter_needed",
                "preferred_language",
                "practice__kind",
            )
        }
        self._conditions: dict[int, list[tuple[str, str, bool, date | None, date | None]]] = (
            defaultdict(list)
        )
        for chunk in _chunks(ids):
            rows = Condition.objects.filter(
                patient_id__in=chunk, system__in=ENGINE_CONDITION_SYSTEMS
            ).values_list("patient_id", "code", "system", "chronic", "onset", "resolved")
            for patient_id, code, system, chronic, onset, resolved in rows:
                self._conditions[patient_id].append((code, system, chronic, onset, resolved))
        self._cache: dict[tuple[int, date], Who] = {}

    def who(self, patient_id: int, on: date) -> Who:
        key = (patient_id, on)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._work_out(patient_id, on)
        return found

    def _work_out(self, patient_id: int, on: date) -> Who:
        row = self._patients[patient_id]
        # Known on the day: begun by then (or undated) and not resolved before it.
        conditions = tuple(
            ConditionEntry(code=code[:10], system=system, chronic=chronic)
            for code, system, chronic, onset, resolved in self._conditions.get(patient_id, ())
            if (onset is None or onset <= on) and (resolved is None or resolved >= on)
        )
        context = PatientContext(
            as_of=on,
            patient=PatientFacts(
                birth_date=row["birth_date"],
                sex=row["sex"],
                lives_alone=row["lives_alone"],
                interpreter_needed=row["interpreter_needed"],
                language=row["preferred_language"] or "da",
            ),
            conditions=conditions,
        )
        flags = vulnerability_flags(context, long_absence=False, settings=self._settings)
        return Who(
            sex=row["sex"],
            age_band=age_band(max(0, _age(row["birth_date"], on))),
            practice_kind=row["practice__kind"],
            flags=frozenset(flags),
        )

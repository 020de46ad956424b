"""The importer's fast paths give what the ORM would have given."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import models

from opspor.interop.importing.writers import unsaved
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Symptom,
)

ROWS: list[tuple[type[models.Model], dict]] = [
    (Contact, {"patient_id": 1, "at": datetime(2024, 1, 2, 9, tzinfo=UTC), "kind": "phone"}),
    (LabResult, {"patient_id": 1, "code": "haemoglobin", "value": 7.1, "taken_on": date.today()}),
    (Symptom, {"patient_id": 1, "code": "cough", "onset": date(2024, 1, 1)}),
    (Condition, {"patient_id": 1, "code": "R95", "system": "icpc2"}),
    (CancerDiagnosis, {"patient_id": 1, "site": "lung", "diagnosed_on": date(2020, 1, 1)}),
    (Medication, {"patient_id": 1, "atc": "B01AC06", "original_coding": [{"code": "x"}]}),
    (FamilyHistory, {"patient_id": 1, "relation": "mother", "cancer_site": "breast"}),
    (OccupationalExposure, {"patient_id": 1, "code": "asbestos"}),
    (ClinicalFinding, {"patient_id": 1, "code": "iron_deficiency_anaemia"}),
]


@pytest.mark.parametrize(("model", "values"), ROWS, ids=[m.__name__ for m, _ in ROWS])
def test_an_unsaved_row_is_the_one_the_model_makes(model: type[models.Model], values: dict) -> None:
    fast, slow = unsaved(model, **values), model(**values)

    for f in model._meta.concrete_fields:
        assert getattr(fast, f.attname) == getattr(slow, f.attname), f.attname
    assert fast._state.adding and fast._state.db is None
    # A default that is made per row (a list) is not shared between rows.
    assert unsaved(model, patient_id=1).original_coding is not fast.original_coding  # type: ignore[attr-defined]


def test_an_unsaved_row_refuses_a_field_its_model_lacks() -> None:
    with pytest.raises(TypeError, match="no field"):
        unsaved(Contact, patient=1)

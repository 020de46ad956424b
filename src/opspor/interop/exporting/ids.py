"""The id an exported resource has, and the reference that names it.

A row that came in through the importer is exported under the id it had where it came
from (`ImportedResource.fhir_id`), so that exporting, importing elsewhere and exporting
again gives the same resources; every other row is `<prefix>-<pk>`. The imported ids are
looked up in bulk: a caller says which rows it is about to export (`Ids.load`), one query
for all of them, and every later `id`/`ref` is answered from memory.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from opspor.interop.models import ImportedResource
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Clinician,
    Condition,
    Contact,
    DiagnosticUnit,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Symptom,
)
from opspor.referrals.models import AdviceRequest, Referral
from opspor.safetynet.models import Investigation, SafetyNetEpisode

# (model, resource type) → the id prefix of a row that was not imported. A clinician is
# two resources (Practitioner and PractitionerRole); the model's key is then its
# resource type too.
PREFIXES: dict[tuple[str, str], str] = {
    ("Patient", "Patient"): "patient",
    ("Practice", "Organization"): "practice",
    ("DiagnosticUnit", "Organization"): "unit",
    ("Clinician", "Practitioner"): "clinician",
    ("Clinician", "PractitionerRole"): "role",
    ("Contact", "Encounter"): "contact",
    ("Condition", "Condition"): "condition",
    ("CancerDiagnosis", "Condition"): "cancer",
    ("LabResult", "Observation"): "lab",
    ("Symptom", "Observation"): "symptom",
    ("ClinicalFinding", "Observation"): "finding",
    ("OccupationalExposure", "Observation"): "exposure",
    ("Medication", "MedicationStatement"): "medication",
    ("FamilyHistory", "FamilyMemberHistory"): "family",
    # The cases: never imported, always `<prefix>-<pk>`.
    ("Referral", "ServiceRequest"): "referral",
    ("Referral", "Task"): "referral",
    ("AdviceRequest", "CommunicationRequest"): "advice",
    ("AdviceRequest", "Communication"): "advice-answer",
    ("SafetyNetEpisode", "EpisodeOfCare"): "episode",
    ("Investigation", "ServiceRequest"): "investigation",
    ("Investigation", "Observation"): "investigation",
}

# The one resource type a model exports as, where it has one.
RESOURCE_TYPE: dict[type[models.Model], str] = {
    Clinician: "PractitionerRole",
    Patient: "Patient",
    Practice: "Organization",
    DiagnosticUnit: "Organization",
    Contact: "Encounter",
    Condition: "Condition",
    CancerDiagnosis: "Condition",
    LabResult: "Observation",
    Symptom: "Observation",
    ClinicalFinding: "Observation",
    OccupationalExposure: "Observation",
    Medication: "MedicationStatement",
    FamilyHistory: "FamilyMemberHistory",
    Referral: "ServiceRequest",
    AdviceRequest: "CommunicationRequest",
    SafetyNetEpisode: "EpisodeOfCare",
    Investigation: "ServiceRequest",
}

_PREFIXED = re.compile(r"^(?P<prefix>[a-z-]+)-(?P<pk>[1-9][0-9]{0,17})$")


def default_id(model: type[models.Model] | str, pk: int, resource_type: str | None = None) -> str:
    name = model if isinstance(model, str) else model.__name__
    if resource_type is None:
        resource_type = RESOURCE_TYPE[_model_named(name)]
    return f"{PREFIXES[(name, resource_type)]}-{pk}"


def _model_named(name: str) -> type[models.Model]:
    return next(m for m in RESOURCE_TYPE if m.__name__ == name)


class Ids:
    """The exported ids of the rows an export is about, imported ones looked up in bulk."""

    def __init__(self) -> None:
        self._imported: dict[tuple[type[models.Model], int, str], str] = {}
        self._loaded: set[tuple[type[models.Model], int]] = set()

    def load(self, rows: Iterable[models.Model]) -> Ids:
        """Look up the imported ids of `rows` (one query, whatever their number and types)."""
        wanted: dict[type[models.Model], set[int]] = defaultdict(set)
        for row in rows:
            key = (type(row), int(row.pk))
            if key not in self._loaded:
                wanted[type(row)].add(int(row.pk))
        return self.load_keys(wanted)

    def load_keys(self, wanted: dict[type[models.Model], set[int]]) -> Ids:
        wanted = {model: pks for model, pks in wanted.items() if pks}
        if not wanted:
            return self
        types = ContentType.objects.get_for_models(*wanted)
        by_type = {types[model].pk: model for model in wanted}
        condition = Q()
        for model, pks in wanted.items():
            condition |= Q(row_type_id=types[model].pk, row_id__in=pks)
        found = (
            ImportedResource.objects.filter(condition)
            .exclude(fhir_id="")
            .values_list("row_type_id", "row_id", "resource_type", "fhir_id")
        )
        for row_type_id, row_id, resource_type, fhir_id in found:
            assert row_id is not None  # the filter asked for these rows
            self._imported[(by_type[row_type_id], row_id, resource_type)] = fhir_id
        for model, pks in wanted.items():
            self._loaded.update((model, pk) for pk in pks)
        return self

    def id(self, model: type[models.Model], pk: int, resource_type: str | None = None) -> str:
        # The imported id belongs to the resource type it came as: a clinician imported as a
        # Practitioner keeps that id there, not on the PractitionerRole made beside it.
        kind = resource_type or RESOURCE_TYPE[model]
        imported = self._imported.get((model, pk, kind))
        return imported or default_id(model, pk, kind)

    def ref(
        self, model: type[models.Model], pk: int, resource_type: str | None = None
    ) -> dict[str, str]:
        kind = resource_type or RESOURCE_TYPE[model]
        return {"reference": f"{kind}/{self.id(model, pk, resource_type)}"}


def row_pk(model: type[models.Model], resource_type: str, fhir_id: str) -> int | None:
    """The pk of the row an exported id names, or None: the imported id of a row first,
    then `<prefix>-<pk>` of a row that has no imported id of its own."""
    row_type = ContentType.objects.get_for_model(model)
    imported = (
        ImportedResource.objects.filter(
            resource_type=resource_type, fhir_id=fhir_id, row_type=row_type
        )
        .exclude(row_id=None)
        .values_list("row_id", flat=True)
        .first()
    )
    if imported is not None:
        return int(imported)
    match = _PREFIXED.match(fhir_id)
    if match is None or match["prefix"] != PREFIXES.get((model.__name__, resource_type)):
        return None
    pk = int(match["pk"])
    renamed = (
        ImportedResource.objects.filter(row_type=row_type, row_id=pk).exclude(fhir_id="").exists()
    )
    return None if renamed else pk

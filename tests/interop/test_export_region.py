"""Every resource of a seeded demo region's export is valid FHIR R4 (the R4B models of
`fhir.resources`), and the bulk export of a practice writes one resource type per file."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from opspor.interop.exporting import bundles
from opspor.records.models import Practice

pytestmark = pytest.mark.django_db


def validate(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_every_resource_of_every_practice_validates(seeded_region: None) -> None:
    kinds: dict[str, int] = {}
    for practice in Practice.objects.order_by("pk"):
        lines: list[tuple[str, str]] = []
        bundles.practice_ndjson(practice, lambda kind, line, out=lines: out.append((kind, line)))
        for kind, line in lines:
            resource = json.loads(line)
            assert resource["resourceType"] == kind
            validate(resource)
            kinds[kind] = kinds.get(kind, 0) + 1
    print(kinds)
    assert set(kinds) >= {"Patient", "Encounter", "Observation", "Task", "EpisodeOfCare"}

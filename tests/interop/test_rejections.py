"""A file with anything wrong imports nothing; the report names the file, the resource and
the field; other files still import."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opspor.interop import codings as cs
from opspor.interop.importing import import_paths
from opspor.interop.models import FhirImport, ImportedResource
from opspor.records.models import (
    Contact,
    LabResult,
    Patient,
    PatientIdentifier,
    Practice,
)
from tests import factories
from tests.interop import bundles as fhir

pytestmark = pytest.mark.django_db

P = "Patient/anna"


def counts() -> tuple[int, ...]:
    return (
        Patient.objects.count(),
        Patient.history.count(),  # type: ignore[attr-defined]
        PatientIdentifier.objects.count(),
        LabResult.objects.count(),
        LabResult.history.count(),  # type: ignore[attr-defined]
        Contact.objects.count(),
        ImportedResource.objects.count(),
    )


def gp(practice: Practice) -> list[dict[str, Any]]:
    return [fhir.ydernummer(practice.provider_number)]


Case = Callable[[Practice, Path], tuple[Path, str, str]]


def invalid_json(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    path = folder / "broken.json"
    path.write_text('{"resourceType": "Bundle", "type": "collection", "entry": [', "utf-8")
    return path, "", ""


def invalid_ndjson_line(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    path = fhir.write_ndjson(folder / "Observation.ndjson", [fhir.lab("a", P)])
    with path.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    return path, "line 2", ""


def invalid_resource(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    bad = fhir.lab("hb", P)
    bad["valueQuantity"]["value"] = "seven"
    body = fhir.bundle(fhir.patient(gp=gp(practice)), bad)
    return (
        fhir.write_json(folder / "b.json", body),
        "entry[1] Observation/hb",
        ("Observation.valueQuantity.value"),
    )


def missing_required_element(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    bad = fhir.lab("hb", P)
    del bad["status"]
    rows = [bad]
    return (
        fhir.write_ndjson(folder / "Observation.ndjson", rows),
        "line 1 Observation/hb",
        ("Observation.status"),
    )


def broken_reference(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(fhir.patient(gp=gp(practice)), fhir.lab("hb", "Patient/nobody"))
    return (
        fhir.write_json(folder / "b.json", body),
        "entry[1] Observation/hb",
        ("Observation.subject.reference"),
    )


def broken_uuid_reference(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(fhir.patient(gp=gp(practice)), fhir.lab("hb", "urn:uuid:0000"), urls=True)
    return (
        fhir.write_json(folder / "b.json", body),
        "entry[1] Observation/hb",
        ("Observation.subject.reference"),
    )


def broken_participant(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(
        fhir.patient(gp=gp(practice)), fhir.encounter("e", P, participant="Practitioner/x")
    )
    return (
        fhir.write_json(folder / "b.json", body),
        "entry[1] Encounter/e",
        ("Encounter.participant.individual.reference"),
    )


def bad_cpr(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(fhir.patient(cpr="3213701234", gp=gp(practice)), fhir.lab("hb", P))
    return (
        fhir.write_json(folder / "b.json", body),
        "entry[0] Patient/anna",
        ("Patient.identifier[0].value"),
    )


def cpr_birth_date_mismatch(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(fhir.patient(birth="1971-05-17", gp=gp(practice)), fhir.lab("hb", P))
    return fhir.write_json(folder / "b.json", body), "entry[0] Patient/anna", "Patient.birthDate"


def unresolvable_practice(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(
        fhir.patient(gp=[{"identifier": {"system": cs.YDERNUMMER, "value": "999999"}}]),
        fhir.lab("hb", P),
    )
    return (
        fhir.write_json(folder / "b.json", body),
        "entry[0] Patient/anna",
        ("Patient.generalPractitioner"),
    )


def no_gender(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(fhir.patient(gender="unknown", gp=gp(practice)))
    return fhir.write_json(folder / "b.json", body), "entry[0] Patient/anna", "Patient.gender"


def unreadable_item(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    bad = fhir.lab("hb", P)
    del bad["effectiveDateTime"]
    body = fhir.bundle(fhir.patient(gp=gp(practice)), bad)
    return (
        fhir.write_json(folder / "b.json", body),
        "entry[1] Observation/hb",
        ("Observation.effective[x]"),
    )


def message_bundle(practice: Practice, folder: Path) -> tuple[Path, str, str]:
    body = fhir.bundle(fhir.patient(gp=gp(practice)), kind="message")
    return fhir.write_json(folder / "b.json", body), "Bundle", "Bundle.type"


CASES = [
    invalid_json,
    invalid_ndjson_line,
    invalid_resource,
    missing_required_element,
    broken_reference,
    broken_uuid_reference,
    broken_participant,
    bad_cpr,
    cpr_birth_date_mismatch,
    unresolvable_practice,
    no_gender,
    unreadable_item,
    message_bundle,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_a_bad_file_imports_nothing_and_says_where(case: Case, tmp_path: Path) -> None:
    practice = factories.practice()
    path, resource, field = case(practice, tmp_path)
    good = fhir.write_json(
        tmp_path / "zz_good.json",
        fhir.bundle(fhir.patient("bo", cpr="0101801234", birth="1980-01-01", gp=gp(practice))),
    )
    before = counts()

    report = import_paths([path])

    assert counts() == before
    assert not report.accepted
    rejected = report.files[0]
    assert rejected.source == str(path)
    assert rejected.rejection is not None
    assert rejected.rejection.resource.startswith(resource)
    assert rejected.rejection.field == field
    assert rejected.rejection.message
    assert rejected.counts["imported"] == 0
    assert FhirImport.objects.get().files_rejected == 1
    # Another file of the same import still imports.
    both = import_paths([path, good])
    assert {f.source: f.accepted for f in both.files} == {str(path): False, str(good): True}
    assert Patient.objects.count() == before[0] + 1


def test_cpr_and_name_never_reach_the_report(tmp_path: Path) -> None:
    practice = factories.practice()
    path, *_ = cpr_birth_date_mismatch(practice, tmp_path)
    text = str(import_paths([path]).as_dict())
    assert fhir.CPR_1 not in text
    assert "Testesen" not in text

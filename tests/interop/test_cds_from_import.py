"""A patient who arrived in an EHR's FHIR extract: the CDS Hooks answer, built from the
prefetch an EHR would send for them, gives the findings the patient overview gives."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from opspor.engine.assess import assess
from opspor.interop import codings as cs
from opspor.interop.cds_hooks.prefetch import PREFETCH, patient_context_from, read_prefetch
from opspor.interop.exporting.bundles import everything
from opspor.interop.importing import import_paths
from opspor.records.context import patient_context_for
from opspor.records.models import AccessLogEntry, Patient
from tests.interop import bundles as fhir
from tests.interop.test_cds_hooks import COMPARED, World, world  # noqa: F401

pytestmark = pytest.mark.django_db


def _returning_man_extract(ydernummer: str) -> dict[str, Any]:
    """Back after five years with weight loss, fatigue and a low haemoglobin, coded as a
    Danish EHR codes them (ICPC-2 and SNOMED CT, NPU, ICD-10)."""
    today = timezone.localdate()
    born = date(today.year - 60, 1, 15)
    cpr = f"{born:%d%m%y}1233"
    ref = "Patient/p1"

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    resources = [
        fhir.patient(
            "p1",
            cpr=cpr,
            birth=born.isoformat(),
            gender="male",
            name="Ib Tilbage",
            gp=[fhir.ydernummer(ydernummer)],
        ),
        fhir.smoking("s1", ref),
        *(
            fhir.encounter(f"e{n}", ref, start=f"{day(days)}T09:00:00+01:00")
            for n, days in enumerate((5 * 365, 5 * 365 + 7, 2))
        ),
        fhir.coded_observation("o1", ref, cs.ICPC2, "T08", day=day(80)),  # weight loss
        fhir.coded_observation("o2", ref, cs.ICPC2, "A04", day=day(60)),  # fatigue
        fhir.lab("l1", ref, value=7.1, day=day(1)),
        fhir.family("f1", ref, "C34"),
    ]
    return fhir.bundle(*resources, kind="transaction", urls=False)


def _prefetch(patient: Patient) -> dict[str, Any]:
    resources = everything(patient, with_record=True)
    prefetch: dict[str, Any] = {}
    for spec in PREFETCH:
        if spec.resource_type == "Patient":
            prefetch[spec.key] = next(r for r in resources if r["resourceType"] == "Patient")
            continue
        prefetch[spec.key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [
                {"resource": r} for r in resources if r["resourceType"] == spec.resource_type
            ],
        }
    return prefetch


def test_the_hook_gives_an_imported_patient_the_findings_of_the_overview(
    world: World,  # noqa: F811
    tmp_path: Path,
) -> None:
    extract = fhir.write_json(
        tmp_path / "extract.json", _returning_man_extract(world.practice.provider_number)
    )
    report = import_paths([extract])
    assert report.accepted, [f.as_dict() for f in report.rejected]
    patient = Patient.objects.get(practice=world.practice)

    from_record = assess(
        patient_context_for(patient, as_of=timezone.localdate(), viewer=world.user)
    )
    compared = [f.model_dump() for f in from_record.findings if f.kind in COMPARED]
    assert {f["kind"] for f in compared} >= {"guideline_criterion", "long_absence"}

    prefetch = _prefetch(patient)
    user_ref = f"Practitioner/clinician-{world.gp.pk}"
    read = read_prefetch(prefetch, patient_id=prefetch["patient"]["id"])
    from_prefetch = assess(
        patient_context_from(read, as_of=timezone.localdate(), current_clinician=user_ref)
    )
    assert [f.model_dump() for f in from_prefetch.findings if f.kind in COMPARED] == compared

    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": user_ref, "patientId": prefetch["patient"]["id"]},
        "prefetch": prefetch,
    }
    response = Client().post(
        "/cds-services/opspor-patient-view",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.token}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200, response.content
    topics = {card["source"]["topic"]["code"] for card in response.json()["cards"]}
    assert {"criteria", "signals"} <= topics
    assert all(
        link["url"].endswith(f"/patients/{patient.pk}/overview/")
        for card in response.json()["cards"]
        for link in card["links"]
    )
    assert AccessLogEntry.objects.filter(patient=patient, channel="cds-hooks").count() == 1

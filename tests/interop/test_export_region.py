"""`opspor export-fhir` over a seeded demo region: every resource is valid FHIR R4 (the R4B
models of `fhir.resources`), the bulk export of a practice writes one resource type per
file with as many lines as the practice has rows, and bad arguments change nothing."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command, get_commands

from opspor.interop import reading
from opspor.interop.exporting import bundles
from opspor.records.models import (
    CancerDiagnosis,
    ClinicalFinding,
    Condition,
    Contact,
    FamilyHistory,
    LabResult,
    Medication,
    OccupationalExposure,
    Patient,
    Practice,
    Symptom,
)
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from tests.interop.fhir import valid

# Seeding the demo region (a module fixture) runs in the first test's time.
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]


def export(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("export-fhir", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rows(practice: Practice) -> dict[str, int]:
    """What the practice's export must hold, counted from the tables."""
    mine: dict[str, Any] = {"patient__practice": practice}
    investigations = Investigation.objects.filter(episode__practice=practice)
    referrals = Referral.objects.filter(patient__practice=practice)
    advice = AdviceRequest.objects.filter(patient__practice=practice)
    return {
        "Patient": Patient.objects.filter(practice=practice).count(),
        "Encounter": Contact.objects.filter(**mine).count(),
        "Condition": Condition.objects.filter(**mine).count()
        + CancerDiagnosis.objects.filter(**mine).count(),
        "Observation": sum(
            m.objects.filter(**mine).count()  # type: ignore[attr-defined]
            for m in (LabResult, Symptom, ClinicalFinding, OccupationalExposure)
        )
        + investigations.filter(lab_result=None, finding=None).exclude(result_text="").count(),
        "MedicationStatement": Medication.objects.filter(**mine).count(),
        "FamilyMemberHistory": FamilyHistory.objects.filter(**mine).count(),
        "ServiceRequest": referrals.count() + investigations.count(),
        "Task": referrals.count(),
        "CommunicationRequest": advice.count(),
        "Communication": Message.objects.filter(referral__in=referrals).count()
        + Message.objects.filter(advice_request__in=advice).count()
        + advice.exclude(answer="").exclude(answered_at=None).count(),
        "EpisodeOfCare": SafetyNetEpisode.objects.filter(patient__practice=practice).count(),
    }


def test_the_bulk_export_of_every_practice(seeded_region: None, tmp_path: Path) -> None:
    seen: set[str] = set()
    for practice in Practice.objects.order_by("pk"):
        folder = tmp_path / f"practice-{practice.pk}"
        _, err = export("--practice", str(practice.pk), "--out", str(folder), "--batch-size", "7")
        counts = {}
        for path in sorted(folder.iterdir()):
            kind = path.name.removesuffix(".ndjson")
            lines = path.read_text(encoding="utf-8").splitlines()
            for line in lines:
                resource = valid(json.loads(line))
                assert resource["resourceType"] == kind
            ids = [json.loads(line)["id"] for line in lines]
            assert len(ids) == len(set(ids)), f"{kind} written twice"
            counts[kind] = len(lines)
        expected = {kind: n for kind, n in rows(practice).items() if n}
        assert {k: v for k, v in counts.items() if k in expected} == expected
        assert counts.keys() - expected.keys() <= {
            "Organization",
            "Practitioner",
            "PractitionerRole",
        }
        assert f"{expected['Patient']} patients exported" in err
        seen |= counts.keys()
    assert seen >= {"Patient", "Encounter", "Observation", "Task", "Communication", "EpisodeOfCare"}


def test_the_bulk_export_reads_a_fixed_number_of_queries_per_batch(
    seeded_region: None, django_assert_max_num_queries: Any
) -> None:
    practice = max(Practice.objects.all(), key=lambda p: p.patients.count())
    patients = practice.patients.count()
    # ~25 queries a batch (each row type, cases, prefetches, the imported ids), whatever
    # the number of rows in it; one batch per 10 patients here.
    batches = -(-patients // 10)
    with django_assert_max_num_queries(30 * batches + 20):
        bundles.practice_ndjson(practice, lambda kind, line: None, batch_size=10)


def test_one_patient_as_a_bundle_on_stdout_and_in_a_file(
    seeded_region: None, tmp_path: Path
) -> None:
    patient = Patient.objects.filter(referrals__isnull=False).order_by("pk").first()
    assert patient is not None
    out, _ = export("--patient", str(patient.pk))
    bundle = valid(json.loads(out))
    assert bundle["type"] == "collection"
    assert bundle["entry"][0]["resource"]["id"] == f"patient-{patient.pk}"
    path = tmp_path / "patient.json"
    export("--patient", str(patient.pk), "--out", str(path))
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [e["fullUrl"] for e in saved["entry"]] == [e["fullUrl"] for e in bundle["entry"]]


def test_a_referral_and_an_episode_as_bundles(seeded_region: None) -> None:
    for referral in Referral.objects.order_by("pk"):
        bundle = valid(json.loads(export("--referral", str(referral.pk))[0]))
        kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
        assert kinds[:2] == ["ServiceRequest", "Task"]
    episode = SafetyNetEpisode.objects.filter(investigations__isnull=False).first()
    assert episode is not None
    bundle = valid(json.loads(export("--episode", str(episode.pk))[0]))
    assert bundle["entry"][0]["resource"]["resourceType"] == "EpisodeOfCare"


def test_the_interop_commands_are_named_with_a_hyphen() -> None:
    # Like `import-scan`: the command's module is named as the command line writes it.
    commands = get_commands()
    assert {"export-fhir", "import-fhir", "fhir-extract"} <= set(commands)
    assert "export_fhir" not in commands


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patient", "999999"], "no patient with id 999999"),
        (["--referral", "999999"], "no referral with id 999999"),
        (["--episode", "999999"], "no safety-net episode with id 999999"),
        (["--practice", "999999", "--out", "{tmp}/x"], "no practice with id 999999"),
    ],
)
def test_an_unknown_id_is_refused(
    seeded_region: None, tmp_path: Path, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        export(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert list(tmp_path.iterdir()) == []


def test_a_practice_needs_an_empty_folder(seeded_region: None, tmp_path: Path) -> None:
    practice = Practice.objects.order_by("pk").first()
    assert practice is not None
    with pytest.raises(CommandError, match="give --out DIR"):
        export("--practice", str(practice.pk))
    (tmp_path / "Patient.ndjson").write_text("keep\n")
    with pytest.raises(CommandError, match="already holds NDJSON files"):
        export("--practice", str(practice.pk), "--out", str(tmp_path))
    assert (tmp_path / "Patient.ndjson").read_text() == "keep\n"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(CommandError, match="is a file"):
        export("--practice", str(practice.pk), "--out", str(a_file))
    with pytest.raises(CommandError, match="at least 1"):
        export("--practice", str(practice.pk), "--out", str(tmp_path / "new"), "--batch-size", "0")
    assert not (tmp_path / "new").exists()


def test_one_of_the_four_is_required() -> None:
    with pytest.raises(CommandError):
        export()
    with pytest.raises(CommandError):
        export("--patient", "1", "--referral", "1")


def test_every_record_resource_reads_back(seeded_region: None) -> None:
    """What the export writes for a record row, `interop.reading` reads (the importer and
    the CDS Hooks service read with it): nothing of the record is lost or unreadable."""
    practice = Practice.objects.order_by("pk").first()
    assert practice is not None
    lines: list[dict[str, Any]] = []
    bundles.practice_ndjson(practice, lambda kind, line: lines.append(json.loads(line)))
    read = 0
    for resource in lines:
        kind, rid = resource["resourceType"], resource["id"]
        if kind == "Patient":
            assert reading.read_patient(resource).birth_date is not None
        elif kind == "Encounter":
            assert reading.read_encounter(resource) is not None
        elif kind == "Condition":
            item = reading.read_condition(resource)
            assert (item.cancer_site is not None) == rid.startswith("cancer-"), rid
        elif kind == "Observation" and rid.split("-")[0] in {"lab", "symptom", "finding"}:
            item = reading.read_observation(resource)
            assert item is not None, rid
            assert (
                type(item).__name__
                == {
                    "lab": "LabItem",
                    "symptom": "SymptomItem",
                    "finding": "FindingItem",
                }[rid.split("-")[0]]
            )
        elif kind == "MedicationStatement":
            assert reading.read_medication(resource) is not None
        elif kind == "FamilyMemberHistory":
            assert len(reading.read_family_history(resource)) == 1
        else:
            continue
        read += 1
    assert read > 100

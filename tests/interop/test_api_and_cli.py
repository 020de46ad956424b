"""The import over HTTP (administrators only) and from the command line (exit codes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from opspor.accounts.models import Role
from opspor.accounts.tokens import api_token_issue
from opspor.interop.models import FhirImport, ImportedResource
from opspor.records.models import LabResult, Patient
from tests import factories
from tests.api_schema import schema_headers
from tests.interop import bundles as fhir

pytestmark = pytest.mark.django_db

P = "Patient/anna"
URL = "/api/v1/fhir/import"


def body(practice_number: str) -> bytes:
    return json.dumps(
        fhir.bundle(fhir.patient(gp=[fhir.ydernummer(practice_number)]), fhir.lab("hb", P))
    ).encode()


def post(client: Client, data: bytes, token: str | None, query: str = "") -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        URL + query, data=data, content_type="application/fhir+json", headers=headers
    )


def state() -> tuple[int, int, int]:
    return (Patient.objects.count(), LabResult.objects.count(), ImportedResource.objects.count())


def test_an_administrator_imports_a_bundle(client: Client) -> None:
    practice = factories.practice()
    admin = factories.user(Role.ADMIN)
    response = post(client, body(practice.provider_number), api_token_issue(user=admin))
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    report = response.json()  # type: ignore[attr-defined]
    assert report["accepted"] is True
    assert report["counts"]["imported"] == 2
    assert state() == (1, 1, 2)
    record = FhirImport.objects.get()
    assert record.channel == "api" and record.user == admin


def test_ndjson_text_imports_too(client: Client) -> None:
    practice = factories.practice()
    lines = [fhir.lab("hb", P), fhir.patient(gp=[fhir.ydernummer(practice.provider_number)])]
    text = "\n".join(json.dumps(line) for line in lines).encode()
    token = api_token_issue(user=factories.user(Role.ADMIN))
    response = post(client, text, token)
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    assert state() == (1, 1, 2)


def test_the_practice_may_be_given(client: Client) -> None:
    practice = factories.practice()
    token = api_token_issue(user=factories.user(Role.ADMIN))
    data = json.dumps(fhir.patient()).encode()
    response = post(client, data, token, f"?practice={practice.provider_number}")
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    assert Patient.objects.get().practice == practice


@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST, Role.PATIENT])
def test_other_roles_are_refused(client: Client, role: str) -> None:
    practice = factories.practice()
    response = post(
        client, body(practice.provider_number), api_token_issue(user=factories.user(role))
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert state() == (0, 0, 0)
    assert not FhirImport.objects.exists()


def test_no_token_is_refused(client: Client) -> None:
    practice = factories.practice()
    response = post(client, body(practice.provider_number), None)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert state() == (0, 0, 0)


@pytest.mark.parametrize("data", [b"{not json", b"", b"\xff\xfe", b'{"a": 1}\n{oops'])
def test_a_body_that_is_no_json_is_400(client: Client, data: bytes) -> None:
    token = api_token_issue(user=factories.user(Role.ADMIN))
    response = post(client, data, token)
    assert response.status_code == 400, response.content  # type: ignore[attr-defined]
    assert "detail" in response.json()  # type: ignore[attr-defined]
    assert state() == (0, 0, 0)


def test_a_rejected_body_is_422_and_changes_nothing(client: Client) -> None:
    factories.practice()
    token = api_token_issue(user=factories.user(Role.ADMIN))
    data = json.dumps(fhir.bundle(fhir.patient(), fhir.lab("hb", P))).encode()  # no practice
    response = post(client, data, token)
    assert response.status_code == 422  # type: ignore[attr-defined]
    answer = response.json()  # type: ignore[attr-defined]
    assert "Patient.generalPractitioner" in answer["detail"]
    assert answer["report"]["files"][0]["rejection"]["field"] == "Patient.generalPractitioner"
    assert state() == (0, 0, 0)
    assert FhirImport.objects.get().files_rejected == 1


def test_an_unknown_practice_is_400(client: Client) -> None:
    token = api_token_issue(user=factories.user(Role.ADMIN))
    response = post(client, json.dumps(fhir.patient()).encode(), token, "?practice=nope")
    assert response.status_code == 400  # type: ignore[attr-defined]


# -- the command ---------------------------------------------------------------------------


def test_the_command_exits_0_when_every_file_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    practice = factories.practice()
    path = fhir.write_json(tmp_path / "a.json", json.loads(body(practice.provider_number)))
    call_command("import-fhir", str(path), "--no-progress")
    out = capsys.readouterr().out
    assert "resources/s" in out
    assert state() == (1, 1, 2)


def test_the_command_exits_2_when_a_file_was_rejected(tmp_path: Path) -> None:
    practice = factories.practice()
    good = fhir.write_json(tmp_path / "a.json", json.loads(body(practice.provider_number)))
    bad = tmp_path / "b.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import-fhir", str(good), str(bad), "--no-progress")
    assert refused.value.returncode == 2
    assert state() == (1, 1, 2)  # the good file imported


def test_the_command_takes_the_practice(tmp_path: Path) -> None:
    practice = factories.practice()
    path = fhir.write_json(tmp_path / "p.json", fhir.patient())
    call_command("import-fhir", str(path), "--practice", str(practice.pk), "--no-progress")
    assert Patient.objects.get().practice == practice


@pytest.mark.parametrize("args", [["missing.json"], ["--practice", "nope", "."]])
def test_the_command_exits_1_when_there_is_nothing_to_import(
    tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CommandError) as refused:
        call_command("import-fhir", *args, "--no-progress")
    assert refused.value.returncode == 1


def test_the_openapi_schema_describes_the_import(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json", headers=schema_headers()).json()
    operation = schema["paths"]["/api/v1/fhir/import"]["post"]
    assert {"200", "400", "401", "403", "422"} <= set(operation["responses"])
    assert "application/fhir+json" in operation["requestBody"]["content"]

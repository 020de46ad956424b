"""`POST /api/v1/fhir/import`: one FHIR R4 Bundle, or NDJSON text, into the record.

An administrator's action (importing writes patients' records; no clinician imports):
every other role is refused with 403 before the body is read. The body imports whole or
not at all; the answer is the import's report (`interop.importing.report`), which holds
counts, resource ids and field paths, never patient data. Every import is recorded as a
`FhirImport` row and a log line.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from opspor.accounts.guards import require_role
from opspor.accounts.models import Role
from opspor.api_errors import BadRequestOut, DetailOut, UnauthorizedOut, ValidationErrorOut
from opspor.interop.importing import PracticeNotFound, import_body, practice_named

router = Router(tags=["fhir"])

HELP = """Import one FHIR R4 Bundle (transaction, batch, collection or searchset) or FHIR
Bulk Data NDJSON text (one resource a line) into the record. Administrators only.

The body imports whole or not at all: an invalid resource, a broken reference, an invalid
CPR number, a birth date that disagrees with the CPR number, or a new patient without a
known practice rejects it (422, nothing changed), and the report names the resource and the
field. A body that is not JSON nor NDJSON is answered 400.

`practice` (id or provider number) is the practice of a new patient whose
`generalPractitioner` names no known practice. The answer is the import report: per
resource type and in all, how many were imported, updated, unchanged, kept unmapped,
ignored and out of scope."""

REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/fhir+json": {
                "schema": {
                    "type": "object",
                    "description": "A FHIR R4 Bundle, or one resource",
                    "properties": {"resourceType": {"type": "string"}},
                    "required": ["resourceType"],
                }
            },
            "application/fhir+ndjson": {
                "schema": {"type": "string", "description": "One FHIR resource a line"}
            },
        },
    }
}


class ImportReportOut(Schema):
    import_id: int | None
    accepted: bool
    files: list[dict[str, Any]]
    files_rejected: int
    resources: int
    read: int
    counts: dict[str, int]
    seconds: float
    resources_per_second: float


class ImportRefusedOut(Schema):
    detail: str
    report: ImportReportOut


class PracticeQuery(Schema):
    practice: str | None = None


@router.post(
    "/fhir/import",
    response={
        200: ImportReportOut,
        400: BadRequestOut,
        401: UnauthorizedOut,
        403: DetailOut,
        # The import's refusal (with the report), or a query parameter of the wrong type.
        422: ImportRefusedOut | ValidationErrorOut,
    },
    summary="Import FHIR R4 records",
    description=HELP,
    openapi_extra=REQUEST_BODY,
)
def fhir_import(request: HttpRequest, query: Query[PracticeQuery]) -> Status[Any]:
    user = require_role(request.user, Role.ADMIN)
    try:
        practice = practice_named(query.practice) if query.practice else None
    except PracticeNotFound as error:
        return Status(400, {"detail": str(error)})
    try:
        report = import_body(request.body, user=user, practice=practice)
    except ValueError as error:
        return Status(400, {"detail": str(error)})
    if not report.accepted:
        rejection = report.files[0].rejection
        assert rejection is not None
        where = " ".join(x for x in (rejection.resource, rejection.field) if x)
        detail = f"Rejected, nothing imported: {where}: {rejection.message}"
        return Status(422, {"detail": detail, "report": report.as_dict()})
    return Status(200, report.as_dict())

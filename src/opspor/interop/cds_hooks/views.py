"""The CDS Hooks endpoints: discovery, and the patient-view service.

Every refusal is JSON with a `detail`, as in the rest of the API. The statuses:
400 a request CDS Hooks 2.0 does not allow (not JSON, a missing field, another hook, a
prefetch value that is not its template's resource type or not valid FHIR R4);
401 no valid Opspor API token; 403 a role that does not call it; 404 an unknown service,
or a patient Opspor does not know or the caller may not see; 405 another method;
412 a prefetch without the data the service needs (it does not query the FHIR server);
413 a body larger than Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from opspor.accounts.models import User
from opspor.accounts.tokens import TokenRefused, user_for_request
from opspor.api_requests import UnreadableBody, read_json
from opspor.engine.assess import assess
from opspor.interop.cds_hooks import access
from opspor.interop.cds_hooks.cards import AppLink, cards_for
from opspor.interop.cds_hooks.discovery import HOOK, SERVICE_ID, discovery
from opspor.interop.cds_hooks.prefetch import (
    PrefetchInvalid,
    PrefetchMissing,
    patient_context_from,
    read_prefetch,
)
from opspor.interop.reading import read_patient

_COPENHAGEN = ZoneInfo("Europe/Copenhagen")
# The kinds of user CDS Hooks 2.0 names in `context.userId`; Opspor answers clinicians.
_CLINICIAN_REFERENCES = ("Practitioner/", "PractitionerRole/")
MAX_TEXT = 200


class BadRequest(Exception):
    pass


def _refuse(status: int, detail: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def discovery_view(request: HttpRequest) -> JsonResponse:
    """GET /cds-services: open to any caller, as discovery is; it holds no patient data."""
    if request.method not in ("GET", "HEAD"):
        return _refuse(405, "Discovery answers GET.", Allow="GET")
    return JsonResponse(discovery())


def _caller(request: HttpRequest) -> User | None:
    # The service only reads, so a read token may call it although it is a POST.
    try:
        return user_for_request(request, only_reads=True)
    except TokenRefused:
        return None


def _text(value: Any, name: str, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} is required, as a non-empty string")
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{name} is longer than {MAX_TEXT} characters")
    return value.strip()


def _read_request(request: HttpRequest) -> dict[str, Any]:
    """The hook request's fields, checked as CDS Hooks 2.0 and the patient-view hook
    define them."""
    try:
        body = read_json(request.body)
    except UnreadableBody as error:
        raise BadRequest(str(error)) from None
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object: a CDS Hooks request")
    hook = _text(body.get("hook"), "hook")
    if hook != HOOK:
        raise BadRequest(f"This service answers the {HOOK} hook, not {hook!r}")
    _text(body.get("hookInstance"), "hookInstance")
    context = body.get("context")
    if not isinstance(context, dict):
        raise BadRequest("context is required, as an object")
    _text(context.get("patientId"), "context.patientId")
    user_id = _text(context.get("userId"), "context.userId")
    assert user_id is not None
    if not user_id.startswith(_CLINICIAN_REFERENCES):
        raise BadRequest(
            "context.userId must be a Practitioner or PractitionerRole reference "
            "(Practitioner/<id>): Opspor answers clinicians"
        )
    _text(context.get("encounterId"), "context.encounterId", required=False)
    server = _text(body.get("fhirServer"), "fhirServer", required=False)
    if body.get("fhirAuthorization") is not None:
        if not isinstance(body["fhirAuthorization"], dict):
            raise BadRequest("fhirAuthorization must be an object")
        if server is None:
            raise BadRequest("fhirServer is required when fhirAuthorization is given")
    if "prefetch" in body and not isinstance(body["prefetch"], dict):
        raise BadRequest("prefetch must be an object of prefetch keys")
    return body


@csrf_exempt
def service_view(request: HttpRequest, service_id: str) -> JsonResponse:
    """POST /cds-services/<id>: the patient-view service."""
    if service_id != SERVICE_ID:
        return _refuse(404, f"No CDS service here is called {service_id[:MAX_TEXT]!r}.")
    if request.method != "POST":
        return _refuse(405, "A CDS service is called with POST.", Allow="POST")
    user = _caller(request)
    if user is None:
        return _refuse(
            401,
            "An Opspor API token is required: Authorization: Bearer <token>.",
            **{"WWW-Authenticate": 'Bearer realm="opspor"'},
        )
    if user.role not in access.CALLER_ROLES:
        return _refuse(403, "This role may not call the CDS service.")
    try:
        body = _read_request(request)
        prefetched = read_prefetch(body.get("prefetch"), patient_id=body["context"]["patientId"])
    except RequestDataTooBig:
        return _refuse(413, "The request body is larger than this service accepts.")
    except (BadRequest, PrefetchInvalid) as error:
        return _refuse(400, str(error))
    except PrefetchMissing as error:
        return _refuse(412, str(error))

    context_in = body["context"]
    try:
        patient = access.patient_by_identity(
            read_patient(prefetched.patient), fhir_id=context_in["patientId"]
        )
    except access.AmbiguousPatient:
        return _refuse(400, "The Patient's identifiers name more than one patient in Opspor.")
    if patient is None:
        return _refuse(404, "Opspor knows no patient with the identifiers of the Patient sent.")
    allowed = access.granted(user, patient)
    if allowed is None:
        access.log_refused(user, patient)
        return _refuse(404, "Opspor knows no patient with the identifiers of the Patient sent.")
    try:
        engine_context = patient_context_from(
            prefetched,
            as_of=timezone.localdate(timezone=_COPENHAGEN),
            current_clinician=context_in["userId"],
        )
    except PrefetchInvalid as error:
        return _refuse(400, str(error))
    access.log_read(user, patient)
    assessment = assess(engine_context)
    link = AppLink(request.build_absolute_uri(allowed.app_path), allowed.to_case)
    return JsonResponse(
        {"cards": cards_for(assessment, hook_instance=body["hookInstance"], link=link)}
    )

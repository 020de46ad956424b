"""A read-only FHIR R4 API under /api/v1/fhir/, answering `application/fhir+json`.

The ids are the exported ids (`interop.exporting.ids`): ``patient-12`` or the id an
imported patient came with, ``referral-7`` for a referral's ServiceRequest and Task,
``advice-3`` for an advice request's CommunicationRequest, ``episode-5`` for a safety net's
EpisodeOfCare, ``investigation-9`` for one of its investigations.

Who reads what, by the same selectors as the rest of the API:
- a GP: their practice's patients (everything), referrals, advice requests and episodes;
- a doctor of a diagnostic unit: the referrals (sent, never drafts) and advice requests
  of their unit, and of those patients the Patient and these cases only: `$everything`
  gives a unit doctor no record rows and no safety nets;
- a patient, an analyst, an administrator: refused (403). A patient reads their own record
  on their own pages; this API is for the clinical systems of practices and units.
Another practice's or unit's object answers 404 like one that does not exist, and the
attempt is logged as a refused read of that patient. Every read is written to the access
log (channel ``api``, what ``fhir <resource type>``).

Errors on these paths are FHIR OperationOutcome resources (403, 404); a missing or unknown
bearer token (401) and an id or search parameter of the wrong form (422) are answered
before the endpoint runs, with the API's usual ``{"detail": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router

from opspor.accounts.models import Role, User
from opspor.api_errors import UnauthorizedOut, ValidationErrorOut
from opspor.interop.exporting import bundles
from opspor.interop.exporting.ids import row_pk
from opspor.records.models import Patient
from opspor.records.selectors import patients_visible_to
from opspor.records.services import record_read_log, record_read_refused
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.selectors import advice_requests_visible_to, referrals_visible_to
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.selectors import episodes_visible_to

router = Router(tags=["fhir"])

CONTENT_TYPE = "application/fhir+json; charset=utf-8"
READERS = frozenset({Role.GP, Role.UNIT_DOCTOR})

_OBJECT = {"type": "object", "properties": {"resourceType": {"type": "string"}}}


def _documented(*errors: int) -> dict[str, Any]:
    fhir = {"application/fhir+json": {"schema": _OBJECT}}
    responses: dict[int, Any] = {200: {"description": "OK", "content": fhir}}
    for status in errors:
        responses[status] = {"description": "OperationOutcome", "content": fhir}
    return {"responses": responses}


DOCUMENTED = _documented(403, 404)
# A malformed id (not FHIR's id syntax) is refused by the schema, with the API's usual 422.
RESPONSES: dict[int, Any] = {401: UnauthorizedOut, 422: ValidationErrorOut}
# FHIR R4's id: 1-64 letters, digits, "-" and ".".
BasedOn = Query(
    ...,
    alias="based-on",
    pattern=r"^(ServiceRequest|CommunicationRequest)/[A-Za-z0-9\-.]{1,64}$",
    description="ServiceRequest/<id> (a referral) or CommunicationRequest/<id> (an advice request)",
)
FhirId = Path(..., pattern=r"^[A-Za-z0-9\-.]{1,64}$", description="The exported id")


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _fhir(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type=CONTENT_TYPE, status=status
    )


def outcome(code: str, message: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }


def _answer(request: HttpRequest, read: Callable[[User], dict[str, Any]]) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # the bearer authenticator set it
    try:
        if user.role not in READERS:
            raise Refusal(403, "forbidden", "This role does not read FHIR resources.")
        return _fhir(read(user))
    except Refusal as refusal:
        return _fhir(outcome(refusal.code, str(refusal)), refusal.status)


def _not_found(kind: str) -> Refusal:
    return Refusal(404, "not-found", f"No such {kind}")


def _find[M: models.Model](
    user: User,
    model: type[M],
    resource_type: str,
    fhir_id: str,
    visible: models.QuerySet[M],
    what: str,
    patient_of: Callable[[M], int],
) -> M:
    """The row an id names when `user` may see it, else 404 — logged as a refused read of
    its patient where the row exists."""
    pk = row_pk(model, resource_type, fhir_id)
    if pk is None:
        raise _not_found(resource_type)
    row = visible.filter(pk=pk).first()
    if row is None:
        existing = model._default_manager.filter(pk=pk).first()
        if existing is not None:
            patient = Patient.objects.get(pk=patient_of(existing))
            record_read_refused(user=user, patient=patient, what=what)
        raise _not_found(resource_type)
    return row


def _log(user: User, patient_id: int, what: str) -> None:
    record_read_log(user=user, patient=Patient.objects.get(pk=patient_id), what=what)


def _unit_patients(user: User) -> models.QuerySet[Patient]:
    return Patient.objects.filter(
        models.Q(pk__in=referrals_visible_to(user).values("patient_id"))
        | models.Q(pk__in=advice_requests_visible_to(user).values("patient_id"))
    )


def _patient(user: User, fhir_id: str, what: str) -> Patient:
    visible = patients_visible_to(user) if user.role == Role.GP else _unit_patients(user)
    return _find(user, Patient, "Patient", fhir_id, visible, what, lambda p: p.pk)


@router.get(
    "/fhir/Patient/{fhir_id}",
    response=RESPONSES,
    openapi_extra=DOCUMENTED,
    summary="A patient as a FHIR Patient",
)
def fhir_patient(request: HttpRequest, fhir_id: str = FhirId) -> HttpResponse:
    def read(user: User) -> dict[str, Any]:
        patient = _patient(user, fhir_id, "fhir Patient")
        _log(user, patient.pk, "fhir Patient")
        return bundles.patient_resource(patient)

    return _answer(request, read)


@router.get(
    "/fhir/Patient/{fhir_id}/$everything",
    response=RESPONSES,
    openapi_extra=DOCUMENTED,
    summary="A patient's resources as a FHIR searchset Bundle",
)
def fhir_patient_everything(request: HttpRequest, fhir_id: str = FhirId) -> HttpResponse:
    what = "fhir Patient $everything"

    def read(user: User) -> dict[str, Any]:
        patient = _patient(user, fhir_id, what)
        _log(user, patient.pk, what)
        if user.role == Role.GP:
            resources = bundles.everything(patient)
        else:
            which = bundles.Cases(
                referrals=bundles.referral_rows().filter(
                    pk__in=referrals_visible_to(user).values("pk")
                ),
                advice=bundles.advice_rows().filter(
                    pk__in=advice_requests_visible_to(user).values("pk")
                ),
            )
            resources = bundles.everything(patient, with_record=False, which=which)
        return bundles.searchset(resources)

    return _answer(request, read)


def _referral(user: User, fhir_id: str, resource_type: str, what: str) -> Referral:
    return _find(
        user,
        Referral,
        resource_type,
        fhir_id,
        referrals_visible_to(user),
        what,
        lambda r: r.patient_id,
    )


def _one_of(resources: list[dict[str, Any]], resource_type: str, fhir_id: str) -> dict[str, Any]:
    return next(r for r in resources if r["resourceType"] == resource_type and r["id"] == fhir_id)


@router.get(
    "/fhir/ServiceRequest/{fhir_id}",
    response=RESPONSES,
    openapi_extra=DOCUMENTED,
    summary="A referral (the GP's order) or a safety net's investigation as a ServiceRequest",
)
def fhir_service_request(request: HttpRequest, fhir_id: str = FhirId) -> HttpResponse:
    what = "fhir ServiceRequest"

    def read(user: User) -> dict[str, Any]:
        if fhir_id.startswith("investigation-"):
            if user.role != Role.GP:
                raise _not_found("ServiceRequest")
            investigation = _find(
                user,
                Investigation,
                "ServiceRequest",
                fhir_id,
                Investigation.objects.filter(episode__in=episodes_visible_to(user)),
                what,
                lambda i: i.episode.patient_id,
            )
            episode = investigation.episode
            _log(user, episode.patient_id, what)
            return _one_of(bundles.episode_resources(episode), "ServiceRequest", fhir_id)
        referral = _referral(user, fhir_id, "ServiceRequest", what)
        _log(user, referral.patient_id, what)
        return _one_of(bundles.referral_resources(referral), "ServiceRequest", fhir_id)

    return _answer(request, read)


@router.get(
    "/fhir/Task/{fhir_id}",
    response=RESPONSES,
    openapi_extra=DOCUMENTED,
    summary="A referral's triage by the unit as a Task",
)
def fhir_task(request: HttpRequest, fhir_id: str = FhirId) -> HttpResponse:
    def read(user: User) -> dict[str, Any]:
        referral = _referral(user, fhir_id, "Task", "fhir Task")
        _log(user, referral.patient_id, "fhir Task")
        return _one_of(bundles.referral_resources(referral), "Task", fhir_id)

    return _answer(request, read)


@router.get(
    "/fhir/Communication",
    response=RESPONSES,
    openapi_extra=DOCUMENTED,
    summary="The thread of a referral or an advice request as a searchset Bundle",
    description=(
        "`based-on` is `ServiceRequest/<id>` (a referral's thread) or "
        "`CommunicationRequest/<id>` (an advice request's). Reading does not mark the "
        "messages read: the read receipt is a person's, given on the screens or the JSON "
        "thread endpoints."
    ),
)
def fhir_communications(request: HttpRequest, based_on: str = BasedOn) -> HttpResponse:
    what = "fhir Communication"

    def read(user: User) -> dict[str, Any]:
        kind, _, fhir_id = based_on.partition("/")
        thread: Referral | AdviceRequest
        if kind == "ServiceRequest" and fhir_id:
            thread = _referral(user, fhir_id, "ServiceRequest", what)
        elif kind == "CommunicationRequest" and fhir_id:
            thread = _advice(user, fhir_id, what)
        else:  # the schema's pattern refuses every other value first (422)
            raise _not_found("request")
        _log(user, thread.patient_id, what)
        return bundles.searchset(bundles.thread_resources(thread))

    return _answer(request, read)


def _advice(user: User, fhir_id: str, what: str) -> AdviceRequest:
    return _find(
        user,
        AdviceRequest,
        "CommunicationRequest",
        fhir_id,
        advice_requests_visible_to(user),
        what,
        lambda a: a.patient_id,
    )


@router.get(
    "/fhir/CommunicationRequest/{fhir_id}",
    response=RESPONSES,
    openapi_extra=DOCUMENTED,
    summary="An advice request as a CommunicationRequest",
)
def fhir_communication_request(request: HttpRequest, fhir_id: str = FhirId) -> HttpResponse:
    what = "fhir CommunicationRequest"

    def read(user: User) -> dict[str, Any]:
        advice = _advice(user, fhir_id, what)
        _log(user, advice.patient_id, what)
        return _one_of(bundles.advice_resources(advice), "CommunicationRequest", fhir_id)

    return _answer(request, read)


@router.get(
    "/fhir/EpisodeOfCare/{fhir_id}",
    response=RESPONSES,
    openapi_extra=DOCUMENTED,
    summary="A safety-net episode as an EpisodeOfCare (GPs only)",
)
def fhir_episode(request: HttpRequest, fhir_id: str = FhirId) -> HttpResponse:
    what = "fhir EpisodeOfCare"

    def read(user: User) -> dict[str, Any]:
        if user.role != Role.GP:
            raise Refusal(403, "forbidden", "Safety-net episodes are the practice's.")
        episode = _find(
            user,
            SafetyNetEpisode,
            "EpisodeOfCare",
            fhir_id,
            episodes_visible_to(user),
            what,
            lambda e: e.patient_id,
        )
        _log(user, episode.patient_id, what)
        return _one_of(bundles.episode_resources(episode), "EpisodeOfCare", fhir_id)

    return _answer(request, read)

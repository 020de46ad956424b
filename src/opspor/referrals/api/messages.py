"""The message threads of referrals and advice requests over the JSON API, as JSON or as a
FHIR R4 Bundle."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from opspor.accounts.models import User
from opspor.api_errors import ErrorOut, NotFoundOut, UnauthorizedOut, ValidationErrorOut
from opspor.casework.endpoints import (
    IDEMPOTENCY_HELP,
    IdempotencyKey,
    act,
    caller,
    responses,
)
from opspor.records.access_log import Channel
from opspor.records.services import record_read_log
from opspor.referrals import fhir, services
from opspor.referrals.api.common import (
    CLINICIANS,
    READ_ADVICE_THREAD,
    READ_REFERRAL_THREAD,
    advice_of,
    referral_of,
    thread_messages,
)
from opspor.referrals.api.presenters import message_out
from opspor.referrals.api.schemas import MessageIn, MessageOut
from opspor.referrals.models import AdviceRequest, Referral

router = Router(tags=["messages"])

MESSAGES_HELP = (
    "The thread, oldest first. Reading it marks the other side's messages as read (the "
    "read receipt). With `format=fhir` the answer is a FHIR R4 Bundle of Communication "
    "resources in the shape of MedCom's care communication (category regarding-referral), "
    "as `application/fhir+json`."
)
POST_MESSAGE_HELP = f"The other side is notified. {IDEMPOTENCY_HELP}"
ResponseFormat = Literal["json", "fhir"]
FormatQuery = Query("json", alias="format")
THREAD = {
    200: list[MessageOut],
    401: UnauthorizedOut,
    403: ErrorOut,
    404: NotFoundOut,
    422: ValidationErrorOut,  # an unknown `format`
}
# The other answer of a thread read, with `format=fhir`: documented beside the JSON list
# so that a client (and a schema-driven test) knows both shapes.
THREAD_FHIR = {
    "responses": {
        200: {
            "content": {
                "application/fhir+json": {
                    "schema": {
                        "type": "object",
                        "description": "A FHIR R4 Bundle (searchset) of Communication resources",
                        "properties": {
                            "resourceType": {"const": "Bundle"},
                            "type": {"const": "searchset"},
                            "timestamp": {"type": "string"},
                            "total": {"type": "integer", "minimum": 0},
                            "entry": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "resource": {
                                            "type": "object",
                                            "properties": {
                                                "resourceType": {"const": "Communication"}
                                            },
                                            "required": ["resourceType"],
                                        }
                                    },
                                    "required": ["resource"],
                                },
                            },
                        },
                        "required": ["resourceType", "type", "timestamp", "total"],
                    }
                }
            }
        }
    }
}


def _thread_read(
    request: HttpRequest,
    load: Callable[[User], Referral | AdviceRequest],
    response_format: ResponseFormat,
) -> Status[Any] | HttpResponse:
    user = caller(request, CLINICIANS)
    thread = load(user)  # Http404 outside the caller's reach, the attempt logged
    services.thread_mark_read(thread=thread, by=user)
    messages = thread_messages(thread)
    what = READ_REFERRAL_THREAD if isinstance(thread, Referral) else READ_ADVICE_THREAD
    # A FHIR Bundle is read through the FHIR channel, whatever the path.
    channel = Channel.FHIR if response_format == "fhir" else None
    record_read_log(user=user, patient=thread.patient, what=what, channel=channel)
    if response_format == "fhir":
        bundle = fhir.communication_bundle(thread, messages)
        return HttpResponse(json.dumps(bundle, ensure_ascii=False), content_type=fhir.CONTENT_TYPE)
    return Status(200, [message_out(m) for m in messages])


def _message_post(
    request: HttpRequest,
    load: Callable[[User], Referral | AdviceRequest],
    payload: MessageIn,
    idempotency_key: str,
) -> Status[Any]:
    def action(user: User) -> MessageOut:
        message = services.message_post(
            thread=load(user), by=user, body=payload.body, idempotency_key=idempotency_key
        )
        return message_out(message)

    return act(request, CLINICIANS, action, status=201)


@router.get(
    "/referrals/{referral_id}/messages",
    response=THREAD,
    summary="The thread of a referral",
    description=MESSAGES_HELP,
    openapi_extra=THREAD_FHIR,
)
def referral_messages(
    request: HttpRequest,
    referral_id: int,
    response_format: ResponseFormat = FormatQuery,
) -> Status[Any] | HttpResponse:
    return _thread_read(
        request,
        lambda user: referral_of(user, referral_id, READ_REFERRAL_THREAD),
        response_format,
    )


@router.post(
    "/referrals/{referral_id}/messages",
    response=responses(201, MessageOut),
    summary="Write in the thread of a referral",
    description=POST_MESSAGE_HELP,
)
def referral_message_post(
    request: HttpRequest,
    referral_id: int,
    payload: MessageIn,
    idempotency_key: str = IdempotencyKey,
) -> Status[Any]:
    return _message_post(
        request, lambda user: referral_of(user, referral_id), payload, idempotency_key
    )


@router.get(
    "/advice-requests/{advice_id}/messages",
    response=THREAD,
    summary="The thread of an advice request",
    description=MESSAGES_HELP,
    openapi_extra=THREAD_FHIR,
)
def advice_request_messages(
    request: HttpRequest,
    advice_id: int,
    response_format: ResponseFormat = FormatQuery,
) -> Status[Any] | HttpResponse:
    return _thread_read(
        request, lambda user: advice_of(user, advice_id, READ_ADVICE_THREAD), response_format
    )


@router.post(
    "/advice-requests/{advice_id}/messages",
    response=responses(201, MessageOut),
    summary="Write in the thread of an advice request",
    description=POST_MESSAGE_HELP,
)
def advice_request_message_post(
    request: HttpRequest,
    advice_id: int,
    payload: MessageIn,
    idempotency_key: str = IdempotencyKey,
) -> Status[Any]:
    return _message_post(request, lambda user: advice_of(user, advice_id), payload, idempotency_key)

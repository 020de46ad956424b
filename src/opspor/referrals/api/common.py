"""What every referral endpoint shares: who may call it, running an action, the refusals
it documents, and reading a case back after a change.

A refusal is never handled here: a role that never uses the endpoint raises `RoleRefused`
and a service's refusal raises `WorkflowError`; the API maps both once (`opspor.api`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Status

from opspor.accounts.models import Role, User
from opspor.casework.endpoints import (
    act,
    responses,
)
from opspor.records.models import DiagnosticUnit
from opspor.records.services import record_read_log, record_reads_log
from opspor.referrals import selectors, services
from opspor.referrals.api.presenters import advice_out, referral_out
from opspor.referrals.api.schemas import AdviceRequestOut, ReferralOut
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.referrals.workflow import ReferralState

GP_ONLY = frozenset({Role.GP})
UNIT_ONLY = frozenset({Role.UNIT_DOCTOR})
CLINICIANS = GP_ONLY | UNIT_ONLY


# The access log's name for a read of one case through the API (the screens log the same
# reads as "referral" and "advice request" on the web channel).
READ_REFERRAL = "referral"
READ_ADVICE = "advice request"
READ_REFERRAL_LIST = "referral list"
READ_ADVICE_LIST = "advice request list"
READ_REFERRAL_THREAD = "referral messages"
READ_ADVICE_THREAD = "advice request messages"


REFERRAL = responses(200, ReferralOut)
ADVICE = responses(200, AdviceRequestOut)


def referral_of(user: User, referral_id: int, what: str = READ_REFERRAL) -> Referral:
    return selectors.referral_get(user=user, referral_id=referral_id, what=what)


def advice_of(user: User, advice_id: int, what: str = READ_ADVICE) -> AdviceRequest:
    return selectors.advice_request_get(user=user, advice_id=advice_id, what=what)


def unit_or_none(unit_id: int | None) -> DiagnosticUnit | None:
    return get_object_or_404(DiagnosticUnit, pk=unit_id) if unit_id is not None else None


def referral_rows(user: User) -> QuerySet[Referral]:
    rows = selectors.with_overdue(selectors.referrals_visible_to(user), timezone.now())
    return rows.select_related("patient_contact_by")


def advice_rows(user: User) -> QuerySet[AdviceRequest]:
    return selectors.with_overdue(selectors.advice_requests_visible_to(user), timezone.now())


def log_read(user: User, row: Referral | AdviceRequest, what: str) -> None:
    record_read_log(user=user, patient=row.patient, what=what)


def log_list(user: User, rows: list[Referral] | list[AdviceRequest], what: str) -> None:
    """One access-log row for each patient a list answered with."""
    record_reads_log(user=user, patient_ids=[row.patient_id for row in rows], what=what)


def referral_detail_out(user: User, referral_id: int, *, read: bool) -> ReferralOut:
    """One referral as the caller may see it, read back after any change.

    `read` is a read of the case (GET), logged like the screens log it. A draft's missing
    items are worked out from the patient's record now, which is a read of the record as
    well: it is logged whenever it happens, also in the answer to creating the draft.
    """
    try:
        referral = referral_rows(user).get(pk=referral_id)
    except Referral.DoesNotExist:
        selectors.refused(user, Referral, referral_id, READ_REFERRAL)
        raise Http404("No such referral") from None
    if referral.state == ReferralState.DRAFT:
        missing = services.referral_missing_items(referral, on=timezone.localdate())
    else:
        missing = referral.stored_completeness
    if read or referral.state == ReferralState.DRAFT:
        log_read(user, referral, READ_REFERRAL)
    return referral_out(referral, missing=missing)


def advice_detail_out(user: User, advice_id: int, *, read: bool) -> AdviceRequestOut:
    try:
        advice = advice_rows(user).get(pk=advice_id)
    except AdviceRequest.DoesNotExist:
        selectors.refused(user, AdviceRequest, advice_id, READ_ADVICE)
        raise Http404("No such advice request") from None
    if read:
        log_read(user, advice, READ_ADVICE)
    return advice_out(advice)


def thread_messages(thread: Referral | AdviceRequest) -> list[Message]:
    # The authors and readers come joined, so a long thread is one query.
    return list(
        thread.messages.select_related("author__clinician", "read_by").order_by("sent_at", "pk")
    )


def referral_action(
    request: HttpRequest,
    roles: Collection[str],
    referral_id: int,
    change: Callable[[Referral, User], object],
) -> Status[Any]:
    """Change one referral with a service and answer with it as it is now."""

    def action(user: User) -> ReferralOut:
        change(referral_of(user, referral_id), user)
        return referral_detail_out(user, referral_id, read=False)

    return act(request, roles, action)


def advice_action(
    request: HttpRequest,
    roles: Collection[str],
    advice_id: int,
    change: Callable[[AdviceRequest, User], object],
) -> Status[Any]:
    def action(user: User) -> AdviceRequestOut:
        change(advice_of(user, advice_id), user)
        return advice_detail_out(user, advice_id, read=False)

    return act(request, roles, action)

"""Reads of referrals and advice requests shared by the screens and the API.

Access is decided here: a GP sees their practice's referrals and advice requests, a
diagnostic-unit doctor those addressed to their unit, and every other user none.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.http import Http404

from opspor.accounts.models import Role, User
from opspor.records.selectors import practice_of, unit_of
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.workflow import AdviceState, ReferralState

# What makes an item overdue, one condition per deadline (design section 5). Each is a
# filter on the row, so the screens, the counts and the worker's deadline checks agree.
R = ReferralState


def triage_overdue(now: datetime) -> Q:
    return Q(state=R.SENT, triage_due_at__lt=now)


def first_contact_overdue(now: datetime) -> Q:
    return Q(
        state__in=[R.ACCEPTED, R.APPOINTMENT_BOOKED],
        first_contact_at__isnull=True,
        first_contact_due_at__lt=now,
    )


def acknowledgement_overdue(now: datetime) -> Q:
    return Q(state=R.REJECTED, acknowledged_at__isnull=True, escalation_due_at__lt=now)


def referral_overdue(now: datetime) -> Q:
    return triage_overdue(now) | first_contact_overdue(now) | acknowledgement_overdue(now)


def advice_overdue(now: datetime) -> Q:
    return Q(state=AdviceState.SENT, answer_due_at__lt=now)


def with_overdue[Row: (Referral, AdviceRequest)](qs: QuerySet[Row], now: datetime) -> QuerySet[Row]:
    """Annotate `is_overdue` on each row, in the same query."""
    condition = referral_overdue(now) if qs.model is Referral else advice_overdue(now)
    return qs.annotate(
        is_overdue=Case(
            When(condition, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def referrals_visible_to(user: User) -> QuerySet[Referral]:
    if not user.is_authenticated or not user.is_active:
        return Referral.objects.none()
    base = Referral.objects.select_related("patient", "practice", "unit", "requester")
    if user.role == Role.GP:
        practice = practice_of(user)
        return base.filter(practice=practice) if practice else Referral.objects.none()
    if user.role == Role.UNIT_DOCTOR:
        unit = unit_of(user)
        # A draft is the practice's own until it is sent.
        if unit is None:
            return Referral.objects.none()
        return base.filter(unit=unit).exclude(state=ReferralState.DRAFT)
    return Referral.objects.none()


def advice_requests_visible_to(user: User) -> QuerySet[AdviceRequest]:
    if not user.is_authenticated or not user.is_active:
        return AdviceRequest.objects.none()
    base = AdviceRequest.objects.select_related("patient", "practice", "unit", "asked_by")
    if user.role == Role.GP:
        practice = practice_of(user)
        return base.filter(practice=practice) if practice else AdviceRequest.objects.none()
    if user.role == Role.UNIT_DOCTOR:
        unit = unit_of(user)
        return base.filter(unit=unit) if unit else AdviceRequest.objects.none()
    return AdviceRequest.objects.none()


def referral_get(*, user: User, referral_id: int) -> Referral:
    """One referral the user may see; 404 for every other id, so existence is not revealed."""
    try:
        return referrals_visible_to(user).get(pk=referral_id)
    except Referral.DoesNotExist:
        raise Http404("No such referral") from None


def advice_request_get(*, user: User, advice_id: int) -> AdviceRequest:
    try:
        return advice_requests_visible_to(user).get(pk=advice_id)
    except AdviceRequest.DoesNotExist:
        raise Http404("No such advice request") from None


__all__ = [
    "acknowledgement_overdue",
    "advice_overdue",
    "advice_request_get",
    "advice_requests_visible_to",
    "first_contact_overdue",
    "referral_get",
    "referral_overdue",
    "referrals_visible_to",
    "triage_overdue",
    "with_overdue",
]

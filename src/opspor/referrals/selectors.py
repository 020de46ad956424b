"""Reads of referrals and advice requests shared by the screens and the API.

Access is decided here: a GP sees their practice's referrals and advice requests, a
diagnostic-unit doctor those addressed to their unit, and every other user none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BooleanField, Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.clock import DEFAULT_CALENDAR
from opspor.engine.assess import assess
from opspor.engine.assessment import Assessment
from opspor.records.context import patient_context_for
from opspor.records.models import Patient
from opspor.records.selectors import patient_get, practice_of, unit_of
from opspor.records.services import record_read_log, record_read_refused_of
from opspor.referrals.models import AdviceRequest, Message, Referral
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


def refused(user: User, row: type[Referral] | type[AdviceRequest], pk: int, what: str) -> None:
    """Keep a refused attempt on a case outside the user's reach in the access log, as a
    refused read of its patient's record; an id that names no case leaves nothing."""
    patient_id = row.objects.filter(pk=pk).values_list("patient_id", flat=True).first()
    if patient_id is not None:
        record_read_refused_of(user=user, patient_id=patient_id, what=what)


def referral_get(*, user: User, referral_id: int, what: str = "referral") -> Referral:
    """One referral the user may see; 404 for every other id, so existence is not revealed
    (a refused attempt is logged)."""
    try:
        return referrals_visible_to(user).get(pk=referral_id)
    except Referral.DoesNotExist:
        refused(user, Referral, referral_id, what)
        raise Http404("No such referral") from None


def advice_request_get(
    *, user: User, advice_id: int, what: str = "advice request"
) -> AdviceRequest:
    try:
        return advice_requests_visible_to(user).get(pk=advice_id)
    except AdviceRequest.DoesNotExist:
        refused(user, AdviceRequest, advice_id, what)
        raise Http404("No such advice request") from None


# --- the screens ------------------------------------------------------------------------
#
# Reads behind the referral screens. They add no access rule of their own: every row
# comes through `referrals_visible_to`, `advice_requests_visible_to` or `patient_get`,
# and a read that shows a patient's case is logged like a read of the record.

SCREEN_PAGE_SIZE = 50

# The states in which a referral still waits for someone; the others are history.
OPEN_REFERRAL_STATES = (R.DRAFT, R.SENT, R.ACCEPTED, R.APPOINTMENT_BOOKED)
_AWAITING_FIRST_CONTACT = Q(state__in=[R.ACCEPTED, R.APPOINTMENT_BOOKED], first_contact_at=None)


@dataclass(frozen=True)
class Clock:
    """The deadline a row is waiting on now, and the working time left (or past) to it.

    `hours` is positive while time is left and negative once overdue; `overdue` is the
    selectors' own condition (`referral_overdue`, `advice_overdue`), so a row shown as
    overdue is one that the counts count.
    """

    kind: str  # "triage", "first_contact", "acknowledge" or "answer"
    due_at: datetime
    hours: float
    overdue: bool


# Beyond this much calendar time either side of now, the working time is counted in
# whole weeks of the calendar instead of walking every day: an item a year overdue shows
# as about that, and the walk stays cheap on a page of such items.
_EXACT_CLOCK_SPAN = timedelta(days=60)


def _working_hours(now: datetime, due: datetime) -> float:
    span = due - now
    if abs(span) <= _EXACT_CLOCK_SPAN:
        return DEFAULT_CALENDAR.working_hours_between(now, due)
    weeks = span / timedelta(weeks=1)
    per_week = DEFAULT_CALENDAR.working_day_length / timedelta(hours=1) * 5
    return weeks * per_week


def clock_of(row: Referral | AdviceRequest, now: datetime) -> Clock | None:
    """Which deadline `row` waits on at `now`, or None when nobody is waiting."""
    due: datetime | None = None
    kind = ""
    if isinstance(row, AdviceRequest):
        if row.state == AdviceState.SENT:
            due, kind = row.answer_due_at, "answer"
    elif row.state == R.SENT:
        due, kind = row.triage_due_at, "triage"
    elif row.state in (R.ACCEPTED, R.APPOINTMENT_BOOKED) and row.first_contact_at is None:
        due, kind = row.first_contact_due_at, "first_contact"
    elif row.state == R.REJECTED and row.acknowledged_at is None:
        due, kind = row.escalation_due_at, "acknowledge"
    if due is None:
        return None
    return Clock(kind=kind, due_at=due, hours=_working_hours(now, due), overdue=due < now)


def _side(user: User) -> str:
    return {Role.GP: "gp", Role.UNIT_DOCTOR: "unit"}.get(Role(user.role), "")


# What the GP sees first: a rejection nobody has acknowledged, then whatever is overdue,
# then the open referrals by deadline, then the rest newest first.
def _gp_order(now: datetime) -> Case:
    return Case(
        When(state=R.REJECTED, acknowledged_at=None, then=Value(0)),
        When(referral_overdue(now), then=Value(1)),
        When(state__in=OPEN_REFERRAL_STATES, then=Value(2)),
        When(state=R.RETURNED_WITH_ADVICE, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class PracticeCounts:
    open: int
    overdue: int
    unacknowledged: int
    advice_open: int
    advice_overdue: int


def practice_counts(*, user: User, now: datetime) -> PracticeCounts:
    """The GP list's counts: two aggregate queries, whatever the number of rows."""
    referrals = (
        referrals_visible_to(user)
        .order_by()
        .aggregate(
            open=Count("pk", filter=Q(state__in=OPEN_REFERRAL_STATES)),
            overdue=Count("pk", filter=referral_overdue(now)),
            unacknowledged=Count("pk", filter=Q(state=R.REJECTED, acknowledged_at=None)),
        )
    )
    advice = (
        advice_requests_visible_to(user)
        .order_by()
        .aggregate(
            open=Count("pk", filter=Q(state=AdviceState.SENT)),
            overdue=Count("pk", filter=advice_overdue(now)),
        )
    )
    return PracticeCounts(
        open=referrals["open"],
        overdue=referrals["overdue"],
        unacknowledged=referrals["unacknowledged"],
        advice_open=advice["open"],
        advice_overdue=advice["overdue"],
    )


def practice_referrals(*, user: User, now: datetime) -> QuerySet[Referral]:
    """The practice's referrals for its list, the ones needing the GP first."""
    return with_overdue(referrals_visible_to(user), now).order_by(
        _gp_order(now), "triage_due_at", "-created_at", "-pk"
    )


def unacknowledged_rejections(*, user: User) -> QuerySet[Referral]:
    """Rejections of the practice that no GP has acknowledged yet, oldest first."""
    return (
        referrals_visible_to(user)
        .filter(state=R.REJECTED, acknowledged_at=None)
        .select_related("decided_by__clinician", "patient_contact_by")
        .order_by("decided_at", "pk")
    )


def practice_advice_requests(*, user: User, now: datetime) -> QuerySet[AdviceRequest]:
    """The practice's advice requests, those still waiting for an answer first."""
    order = Case(
        When(state=AdviceState.SENT, then=Value(0)),
        When(state=AdviceState.ANSWERED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return with_overdue(advice_requests_visible_to(user), now).order_by(
        order, "answer_due_at", "-pk"
    )


# The tabs of the unit's inbox; each is one filter on the unit's rows, sorted by the
# deadline it waits on, and one page of it is one query.
INBOX_TABS = ("triage", "contact", "advice", "decided")


@dataclass(frozen=True)
class InboxCounts:
    triage: int
    triage_overdue: int
    incomplete: int
    contact: int
    contact_overdue: int
    advice: int
    advice_overdue: int


def unit_inbox_counts(*, user: User, now: datetime) -> InboxCounts:
    """The inbox's counts: one aggregate over the unit's referrals, one over its advice
    requests, so the cost does not grow with the number of rows shown."""
    referrals = (
        referrals_visible_to(user)
        .order_by()
        .aggregate(
            triage=Count("pk", filter=Q(state=R.SENT)),
            triage_overdue=Count("pk", filter=triage_overdue(now)),
            # Sent with what was missing: the GP's reason is stored exactly then.
            incomplete=Count("pk", filter=Q(state=R.SENT) & ~Q(incomplete_reason="")),
            contact=Count("pk", filter=_AWAITING_FIRST_CONTACT),
            contact_overdue=Count("pk", filter=first_contact_overdue(now)),
        )
    )
    advice = (
        advice_requests_visible_to(user)
        .order_by()
        .aggregate(
            open=Count("pk", filter=Q(state=AdviceState.SENT)),
            overdue=Count("pk", filter=advice_overdue(now)),
        )
    )
    return InboxCounts(advice=advice["open"], advice_overdue=advice["overdue"], **referrals)


# What a row of the inbox shows, and nothing more: the referral's clinical text and the
# engine's findings stay in the database until the doctor opens the referral.
_INBOX_PEOPLE = (
    "patient__name",
    "patient__cpr",
    "patient__birth_date",
    "practice__name",
    "practice__direct_phone",
)
_INBOX_REFERRAL_FIELDS = (
    "state",
    "pathway",
    "from_advice",
    "completeness",
    "incomplete_reason",
    "sent_at",
    "triage_due_at",
    "decided_at",
    "first_contact_due_at",
    "first_contact_at",
    "acknowledged_at",
    "escalation_due_at",
    *_INBOX_PEOPLE,
)


def unit_inbox(*, user: User, tab: str, now: datetime) -> QuerySet[Any]:
    """One tab of the unit's inbox, sorted by the deadline it waits on.

    Each row carries its patient and practice (joined, not fetched per row) and whether it
    is overdue (annotated), so a page of the inbox is a single query.
    """
    if tab == "advice":
        advice = (
            advice_requests_visible_to(user)
            .filter(state=AdviceState.SENT)
            .select_related(None)
            .select_related("patient", "practice")
            .only("state", "question", "sent_at", "answer_due_at", *_INBOX_PEOPLE)
        )
        return with_overdue(advice, now).order_by("answer_due_at", "pk")
    referrals = with_overdue(
        referrals_visible_to(user)
        .select_related(None)
        .select_related("patient", "practice")
        .only(*_INBOX_REFERRAL_FIELDS),
        now,
    )
    if tab == "contact":
        return referrals.filter(_AWAITING_FIRST_CONTACT).order_by("first_contact_due_at", "pk")
    if tab == "decided":
        return (
            referrals.exclude(state=R.SENT)
            .select_related("decided_by__clinician")
            .only(*_INBOX_REFERRAL_FIELDS, "decided_by__username", "decided_by__clinician__name")
            .order_by(F("decided_at").desc(nulls_last=True), "-pk")
        )
    return referrals.filter(state=R.SENT).order_by("triage_due_at", "pk")


@dataclass(frozen=True)
class CaseView:
    """Everything the detail page of a referral or an advice request shows."""

    row: Referral | AdviceRequest
    side: str  # "gp" or "unit": the reader's side of the case
    events: list[Any]
    messages: list[Message]
    requester_name: str
    clock: Clock | None


def _person(user: User | None) -> str:
    if user is None:
        return ""
    clinician = getattr(user, "clinician", None)
    return clinician.name if clinician is not None else user.get_full_name() or user.username


def _case_view(row: Referral | AdviceRequest, user: User, now: datetime) -> CaseView:
    record_read_log(
        user=user,
        patient=row.patient,
        what="referral" if isinstance(row, Referral) else "advice request",
    )
    requester = row.requester if isinstance(row, Referral) else row.asked_by
    return CaseView(
        row=row,
        side=_side(user),
        events=list(row.events.select_related("actor__clinician")),
        messages=list(row.messages.select_related("author__clinician", "read_by__clinician")),
        requester_name=_person(requester),
        clock=clock_of(row, now),
    )


def referral_case(*, user: User, referral_id: int, now: datetime) -> CaseView:
    """One referral with its timeline and thread; 404 outside the user's reach. Logged."""
    try:
        referral = (
            referrals_visible_to(user)
            .select_related(
                "requester__clinician",
                "decided_by__clinician",
                "acknowledged_by__clinician",
                "escalated_to",
                "patient_contact_by",
                "from_advice",
                "practice__second_contact",
            )
            .get(pk=referral_id)
        )
    except Referral.DoesNotExist:
        refused(user, Referral, referral_id, "referral")
        raise Http404("No such referral") from None
    return _case_view(referral, user, now)


def advice_case(*, user: User, advice_id: int, now: datetime) -> CaseView:
    """One advice request with its timeline and thread; 404 outside reach. Logged."""
    try:
        advice = (
            advice_requests_visible_to(user)
            .select_related("asked_by__clinician", "answered_by__clinician")
            .get(pk=advice_id)
        )
    except AdviceRequest.DoesNotExist:
        refused(user, AdviceRequest, advice_id, "advice request")
        raise Http404("No such advice request") from None
    return _case_view(advice, user, now)


def referrals_from_advice(advice: AdviceRequest) -> list[Referral]:
    return list(advice.referrals.order_by("pk"))


@dataclass(frozen=True)
class PatientAssessment:
    patient: Patient
    assessment: Assessment
    age: int


def patient_assessment(
    *, user: User, patient_id: int, ruleset: str, what: str
) -> PatientAssessment:
    """The patient and the engine's assessment of the record, as the overview shows it.

    The read is logged by `patient_get`; 404 for a patient outside the user's reach.
    """
    patient = patient_get(user=user, patient_id=patient_id, what=what)
    context = patient_context_for(patient, as_of=timezone.localdate(), viewer=user)
    return PatientAssessment(
        patient=patient,
        assessment=assess(context, ruleset=ruleset),
        age=patient.age_on(context.as_of),
    )

"""The patient's pathway (*mit forløb*): every open matter on one page, as a timeline.

A read for the patient's own page (portal: `my_pathway`). For each live safety net: the plan
agreed with their doctor, each test ordered and where it stands, and the follow-up date; for
each open or recently decided referral: when it was sent, what the diagnostic unit must do
and by when (the deadlines stored on the referral when it was sent and accepted), the
longest the law lets the examination wait where that rule applies (`waiting_times.py`), and,
after a rejection or a return, who from the practice calls and by when (`patient_status`).
Each matter says who is responsible and how to reach them, by their public numbers only.

No result value is ever shown: the page says that a result is in and that the doctor will
go through it, never what it is. Nothing here draws a conclusion or says what a symptom is
or is not; while anything is pending the page says that nothing is concluded until every
result is in (the template).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.http import Http404
from django.utils import timezone, translation

from opspor.accounts.models import User
from opspor.portal.my_safety_nets import MySafetyNet, own_patient_check, safety_nets_in_words
from opspor.portal.patient_status import NextStep, Step, referral_steps
from opspor.portal.trusted import ShownLink, load_catalogue, shown
from opspor.portal.waiting_times import load_maximum_wait
from opspor.records.models import Patient
from opspor.records.services import record_read_log, record_read_refused
from opspor.referrals.deadlines import FIRST_CONTACT_HOURS
from opspor.referrals.workflow import ReferralState
from opspor.safetynet.models import Investigation
from opspor.safetynet.presenters import investigation_name
from opspor.safetynet.workflow import InvestigationState

R = ReferralState
IS = InvestigationState


class Status:
    """Where a milestone stands; the page words each one, never by colour alone."""

    DONE = "done"
    NOW = "now"  # under way, or waited for now
    LATE = "late"  # its date has passed and it has not happened
    NEXT = "next"  # comes later


class Kind:
    """What a milestone is; the template words each kind."""

    PLAN_AGREED = "plan_agreed"
    TEST_WAITING = "test_waiting"
    TEST_RESULT_IN = "test_result_in"
    TEST_TOLD = "test_told"
    REFERRAL_WAITING = "referral_waiting"
    FOLLOW_UP = "follow_up"
    REFERRAL_SENT = "referral_sent"
    UNIT_DECIDES = "unit_decides"
    UNIT_ACCEPTED = "unit_accepted"
    UNIT_DECLINED = "unit_declined"
    UNIT_RETURNED = "unit_returned"
    UNIT_CALLS = "unit_calls"
    UNIT_CALLED = "unit_called"
    APPOINTMENT = "appointment"
    PRACTICE_CALLS = "practice_calls"


@dataclass(frozen=True)
class Milestone:
    kind: str
    status: str
    when: date | datetime | None = None
    name: str = ""  # the test, the unit or the person the milestone is about

    @property
    def has_time(self) -> bool:
        return isinstance(self.when, datetime)


@dataclass(frozen=True)
class Responsible:
    """Who is responsible for the next step, by the public number of their place."""

    place: str
    phone: str
    person: str = ""


@dataclass
class NetOnPathway:
    net: MySafetyNet
    milestones: list[Milestone]
    responsible: Responsible

    @property
    def tests_pending(self) -> bool:
        return any(m.kind in (Kind.TEST_WAITING, Kind.TEST_RESULT_IN) for m in self.milestones)

    @property
    def follow_up_late(self) -> bool:
        return self.net.days_to_follow_up < 0


@dataclass(frozen=True)
class MaximumWaitShown:
    days: int
    latest_start: date
    link: ShownLink | None


@dataclass
class ReferralOnPathway:
    step: NextStep
    milestones: list[Milestone]
    responsible: Responsible
    maximum_wait: MaximumWaitShown | None = None


@dataclass
class MyPathway:
    safety_nets: list[NetOnPathway] = field(default_factory=list)
    referrals: list[ReferralOnPathway] = field(default_factory=list)
    first_contact_hours: int = int(FIRST_CONTACT_HOURS)

    @property
    def empty(self) -> bool:
        return not (self.safety_nets or self.referrals)


def _late_or(due: date | datetime | None, now: datetime, otherwise: str) -> str:
    if due is None:
        return otherwise
    passed = due < now if isinstance(due, datetime) else due < timezone.localdate(now)
    return Status.LATE if passed else otherwise


def _doctor_name(user: User) -> str:
    clinician = getattr(user, "clinician", None)
    return clinician.name if clinician is not None else user.get_full_name()


def _test_milestones(investigations: Iterable[Investigation], now: datetime) -> list[Milestone]:
    milestones = []
    for investigation in investigations:
        # The test by its name only: the GP's own description can carry clinical words.
        name = investigation_name(investigation.kind, investigation.code)
        if investigation.state == IS.ORDERED:
            status = _late_or(investigation.expected_by, now, Status.NOW)
            milestones.append(Milestone(Kind.TEST_WAITING, status, investigation.expected_by, name))
        elif investigation.state in (IS.RESULTED, IS.SEEN):
            milestones.append(
                Milestone(Kind.TEST_RESULT_IN, Status.NOW, investigation.resulted_at, name)
            )
        elif investigation.state == IS.TOLD:
            milestones.append(Milestone(Kind.TEST_TOLD, Status.DONE, investigation.told_at, name))
    return milestones


def _moment(milestone: Milestone) -> datetime:
    when = milestone.when
    if isinstance(when, datetime):
        return when
    if isinstance(when, date):
        return timezone.make_aware(datetime.combine(when, datetime.min.time()))
    return datetime.max.replace(tzinfo=timezone.get_current_timezone())


def _in_order(milestones: list[Milestone]) -> list[Milestone]:
    """What has happened first, by its day; then what has not, by its day, undated last."""
    done = [m for m in milestones if m.status == Status.DONE]
    to_come = [m for m in milestones if m.status != Status.DONE]
    return sorted(done, key=_moment) + sorted(to_come, key=_moment)


def _net(net: MySafetyNet, investigations: list[Investigation], now: datetime) -> NetOnPathway:
    episode = net.episode
    milestones = [Milestone(Kind.PLAN_AGREED, Status.DONE, episode.opened_at)]
    milestones += _test_milestones(investigations, now)
    if any(item.referral for item in net.pending):
        milestones.append(Milestone(Kind.REFERRAL_WAITING, Status.NOW))
    milestones.append(
        Milestone(
            Kind.FOLLOW_UP, _late_or(episode.follow_up_on, now, Status.NEXT), episode.follow_up_on
        )
    )
    practice = episode.practice
    return NetOnPathway(
        net=net,
        milestones=_in_order(milestones),
        responsible=Responsible(
            place=practice.name, phone=practice.phone, person=_doctor_name(episode.owner)
        ),
    )


def _referral(step: NextStep, now: datetime) -> ReferralOnPathway:
    referral = step.referral
    milestones = [Milestone(Kind.REFERRAL_SENT, Status.DONE, referral.sent_at, step.unit_name)]
    if referral.state == R.SENT:
        due = referral.triage_due_at
        milestones.append(Milestone(Kind.UNIT_DECIDES, _late_or(due, now, Status.NOW), due))
    elif referral.state in (R.ACCEPTED, R.APPOINTMENT_BOOKED):
        milestones.append(Milestone(Kind.UNIT_ACCEPTED, Status.DONE, referral.decided_at))
        if referral.first_contact_at is not None:
            milestones.append(Milestone(Kind.UNIT_CALLED, Status.DONE, referral.first_contact_at))
        elif referral.state == R.ACCEPTED:
            due = referral.first_contact_due_at
            milestones.append(Milestone(Kind.UNIT_CALLS, _late_or(due, now, Status.NOW), due))
        if referral.state == R.APPOINTMENT_BOOKED:
            at = referral.appointment_at
            status = Status.DONE if at is not None and at < now else Status.NEXT
            milestones.append(Milestone(Kind.APPOINTMENT, status, at))
    else:
        kind = Kind.UNIT_RETURNED if step.returned else Kind.UNIT_DECLINED
        milestones.append(Milestone(kind, Status.DONE, referral.decided_at))
        milestones.append(
            Milestone(
                Kind.PRACTICE_CALLS,
                _late_or(step.due, now, Status.NOW),
                step.due,
                step.contact_name,
            )
        )
    if step.step == Step.PRACTICE_CONTACTS:
        responsible = Responsible(step.practice_name, step.practice_phone, step.contact_name)
    else:
        responsible = Responsible(step.unit_name, step.unit_phone)
    on_page = ReferralOnPathway(step=step, milestones=milestones, responsible=responsible)
    rule = load_maximum_wait()
    # The rule is about the start of the examination: once an appointment is booked the
    # start is set, and after a rejection or a return the unit is no longer examining.
    if (
        referral.state in (R.SENT, R.ACCEPTED)
        and referral.sent_at is not None
        and rule.applies_to(referral.pathway)
    ):
        link = load_catalogue().get(rule.link)
        language = (translation.get_language() or "da").split("-")[0]
        on_page.maximum_wait = MaximumWaitShown(
            days=rule.days,
            latest_start=rule.latest_start(referral.sent_at),
            link=shown([link], language)[0] if link is not None else None,
        )
    return on_page


def my_pathway(*, user: User, patient: Patient, now: datetime | None = None) -> MyPathway:
    """The patient's own open matters as timelines.

    Only the patient themself may read this: anyone else gets a 404, kept in the access
    log as a refused read. The read is logged when there is something to show, like every
    read of a record.
    """
    try:
        own_patient_check(user, patient)
    except Http404:
        record_read_refused(user=user, patient=patient, what="own pathway")
        raise
    now = now or timezone.now()
    nets = safety_nets_in_words(user=user, today=timezone.localdate(now))
    steps = referral_steps(patient, now)
    investigations: dict[int, list[Investigation]] = {}
    for investigation in Investigation.objects.filter(
        episode__in=[net.episode for net in nets]
    ).order_by("ordered_at", "pk"):
        investigations.setdefault(investigation.episode_id, []).append(investigation)
    pathway = MyPathway(
        safety_nets=[_net(net, investigations.get(net.episode.pk, []), now) for net in nets],
        referrals=[_referral(step, now) for step in steps],
    )
    if not pathway.empty:
        record_read_log(user=user, patient=patient, what="own pathway")
    return pathway

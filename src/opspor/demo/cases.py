"""Demo referrals and advice requests: every state of both workflows, for `opspor seed`.

The cases are made through the services, step by step, as the demo GPs and unit doctors
would have made them, so their audit events, deadlines, notifications and read receipts
are the services' own. Each step happens at a moment relative to the seed's as-of date
(working days before it, or minutes before it), so the demo is current whenever it is
seeded: one referral is overdue for triage, one waits for a first contact past its
deadline, one rejection has not been acknowledged, and so on.

Every service takes the moment it acts at (`now`, the current time when left out); the
demo passes each step's moment, so every timestamp and deadline of the step is the one the
service computes, rather than one rewritten afterwards.

Everything here is fictional: the patients are the seeded region's generated patients of
the demo GPs' practices (never the story patients, whose records tell their own story),
and the specialist clinic is made up, its phone number undiallable.

Running it again adds nothing: the demo's creations carry idempotency keys with a fixed
prefix, and a database that holds one is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.demo.region import (
    COPENHAGEN,
    DEMO_GPS,
    PRACTICE_ON_CALL_PHONE,
    REGION_CODE,
    fictional_phone,
    second_contact,
)
from opspor.records.models import Clinician, DiagnosticUnit, Patient, Practice
from opspor.referrals import services
from opspor.referrals.clock import DEFAULT_CALENDAR
from opspor.referrals.models import (
    DEFAULT_DEADLINE_DAYS,
    AdviceRequest,
    IdempotencyRecord,
    Notification,
    Referral,
    UnitSettings,
)
from opspor.referrals.workflow import FRAILTY_AGE, ReferralOrigin

KEY_PREFIX = "opspor-demo:"
CHANGE_REASON = "opspor demo contacts"
# Without an explicit time on the as-of date, the demo is seen as at this local time.
AS_OF_TIME = time(15, 30)
# Patients of these ages are picked, so no case needs the frailty section (75+).
YOUNGEST, OLDEST = 40, FRAILTY_AGE - 1
ADULT = 18

SPECIALIST_NAME = "Klinik for øre-, næse- og halssygdomme Nord"
SPECIALIST_PHONE = fictional_phone(3, 1)


# --- contacts ----------------------------------------------------------------------------


def contacts_ensure() -> int:
    """Every practice of the demo region has a second contact and an on-call number, and
    every diagnostic unit its settings; returns how many rows were changed or made.

    The seed creates practices with both (`demo.seeding`); a region seeded before they
    existed gets them here, as a recorded change of the practice. Rows that have them keep
    theirs, so a repeat changes nothing.
    """
    changed = 0
    gps_by_practice: dict[int, list[Clinician]] = {}
    for clinician in Clinician.objects.filter(
        role=Clinician.Role.GP, practice__region__code=REGION_CODE
    ).order_by("pk"):
        gps_by_practice.setdefault(clinician.practice_id or 0, []).append(clinician)
    for practice in Practice.objects.filter(region__code=REGION_CODE).order_by("pk"):
        update: list[str] = []
        if practice.second_contact_id is None:
            practice.second_contact = second_contact(gps_by_practice.get(practice.pk, []))
            if practice.second_contact is not None:
                update.append("second_contact")
        if not practice.on_call_phone:
            practice.on_call_phone = PRACTICE_ON_CALL_PHONE
            update.append("on_call_phone")
        if update:
            practice._change_reason = CHANGE_REASON  # type: ignore[attr-defined]  # history
            practice.save(update_fields=update)
            changed += 1
    for unit in DiagnosticUnit.objects.filter(region__code=REGION_CODE):
        _, made = UnitSettings.objects.get_or_create(
            unit=unit,
            defaults={
                "triage_working_days": DEFAULT_DEADLINE_DAYS,
                "advice_working_days": DEFAULT_DEADLINE_DAYS,
            },
        )
        changed += made
    return changed


# --- time ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """Moments relative to the demo's "now": working days before it, or minutes before."""

    anchor: datetime

    @classmethod
    def for_as_of(cls, as_of: date, now: datetime) -> Timeline:
        if as_of >= timezone.localdate(now):
            return cls(anchor=now)
        return cls(anchor=datetime.combine(as_of, AS_OF_TIME, tzinfo=COPENHAGEN))

    def days_ago(self, days: int, hour: int, minute: int = 0) -> datetime:
        """`hour:minute` on the `days`-th working day before the anchor's date (days >= 1).

        Times up to 15:00 keep every such moment before `recent`'s moments.
        """
        day = timezone.localtime(self.anchor).date()
        for _ in range(days):
            day -= timedelta(days=1)
            while not DEFAULT_CALENDAR.is_working_day(day):
                day -= timedelta(days=1)
        return datetime.combine(day, time(hour, minute), tzinfo=COPENHAGEN)

    def recent(self, minutes: int) -> datetime:
        """`minutes` before the anchor, or before the last closing when it is closed time:
        a step "just now" happens when the practice or the unit is at work."""
        base = self.anchor
        if not DEFAULT_CALENDAR.is_working_time(base):
            day = timezone.localtime(base).date()
            while True:
                start = datetime.combine(day, time(0, 1), tzinfo=COPENHAGEN)
                closes = DEFAULT_CALENDAR.closes_today(start)
                if closes is not None and closes <= base:
                    base = closes
                    break
                day -= timedelta(days=1)
        return base - timedelta(minutes=minutes)

    def in_days(self, days: int, hour: int, minute: int = 0) -> datetime:
        day = timezone.localtime(self.anchor).date() + timedelta(days=days)
        while not DEFAULT_CALENDAR.is_working_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, time(hour, minute), tzinfo=COPENHAGEN)


# --- the cases -------------------------------------------------------------------------------


@dataclass
class DemoCases:
    status: str  # "seeded", "already_seeded" or "no_demo_users"
    referrals: int = 0
    advice_requests: int = 0
    contacts_changed: int = 0

    def summary(self) -> str:
        if self.status == "seeded":
            return (
                f"Demo cases: {self.referrals} referrals and {self.advice_requests} advice "
                "requests in every state."
            )
        if self.status == "already_seeded":
            return "Demo cases already there; nothing to do."
        return (
            "No demo GP with a unit doctor and an adult patient under 75 in the database; "
            "no demo cases made."
        )


@dataclass
class _Patients:
    """A practice's patients for the demo, each used once while there are enough."""

    rows: list[Patient]
    used: set[int] = field(default_factory=set)

    def take(self, fits: Callable[[Patient], bool] | None = None) -> Patient:
        unused = [p for p in self.rows if p.pk not in self.used] or self.rows
        chosen = next((p for p in unused if fits is None or fits(p)), unused[0])
        self.used.add(chosen.pk)
        return chosen


@dataclass
class _Side:
    """A demo GP, their practice, the practice's unit doctor, and its patients."""

    gp: User
    practice: Practice
    doctor: User
    patients: _Patients

    def patient(self, fits: Callable[[Patient], bool] | None = None) -> Patient:
        return self.patients.take(fits)


@dataclass
class _Builder:
    sides: dict[str, _Side]
    at: Timeline
    as_of: date
    made: dict[str, Any] = field(default_factory=dict)

    def side(self, username: str) -> _Side:
        # A small region may lack a demo GP's practice; another demo GP takes the case.
        return self.sides.get(username) or next(iter(self.sides.values()))

    @staticmethod
    def key(name: str) -> str:
        return f"{KEY_PREFIX}{name}"

    @staticmethod
    def step(moment: datetime, action: Callable[[datetime], Any]) -> Any:
        """Run one service call as of `moment` (the services take their `now`)."""
        return action(moment)

    # -- referrals --

    def draft(
        self,
        name: str,
        side: _Side,
        moment: datetime,
        *,
        patient: Patient | None = None,
        **fields: Any,
    ) -> Referral:
        fields.setdefault("informed_about_kraeft", True)
        referral: Referral = self.step(
            moment,
            lambda now: services.referral_create_draft(
                now=now,
                by=side.gp,
                patient=patient or side.patient(),
                idempotency_key=self.key(name),
                **fields,
            ),
        )
        self.made[name] = referral
        return referral

    def send(self, referral: Referral, side: _Side, moment: datetime, reason: str = "") -> None:
        self.step(
            moment,
            lambda now: services.referral_send(
                referral=referral, by=side.gp, incomplete_reason=reason, now=now
            ),
        )

    def sent(
        self, name: str, side: _Side, created: datetime, sent: datetime, **fields: Any
    ) -> Referral:
        reason = fields.pop("incomplete_reason", "")
        referral = self.draft(name, side, created, **fields)
        self.send(referral, side, sent, reason)
        return referral

    def message(
        self, name: str, thread: Referral | AdviceRequest, by: User, moment: datetime, body: str
    ) -> None:
        self.step(
            moment,
            lambda now: services.message_post(
                now=now, thread=thread, by=by, body=body, idempotency_key=self.key(name)
            ),
        )

    def read(self, thread: Referral | AdviceRequest, by: User, moment: datetime) -> None:
        self.step(moment, lambda now: services.thread_mark_read(now=now, thread=thread, by=by))

    def read_notifications(self, by: User, moment: datetime, **about: Any) -> None:
        ids = list(Notification.objects.filter(read_at=None, **about).values_list("pk", flat=True))
        self.step(
            moment,
            lambda now: services.notifications_mark_read(now=now, by=by, notification_ids=ids),
        )


def _sides(as_of: date) -> dict[str, _Side]:
    """The demo GPs that exist, each with their practice's unit doctor and patients."""
    usernames = [gp.username for gp in DEMO_GPS]
    clinicians = Clinician.objects.filter(user__username__in=usernames).select_related(
        "user", "practice__diagnostic_unit"
    )
    sides: dict[str, _Side] = {}
    pools: dict[int, _Patients] = {}  # one per practice: its GPs share its patients
    by_username = {c.user.username: c for c in clinicians if c.user is not None}
    for username in usernames:
        clinician = by_username.get(username)
        practice = clinician.practice if clinician is not None else None
        if clinician is None or clinician.user is None or practice is None:
            continue
        doctor = (
            Clinician.objects.filter(
                unit=practice.diagnostic_unit, role=Clinician.Role.UNIT_DOCTOR, user__isnull=False
            )
            .select_related("user")
            .order_by("pk")
            .first()
        )
        rows = _patients_of(practice, as_of)
        if doctor is None or doctor.user is None or not rows:
            continue
        sides[clinician.user.username] = _Side(
            gp=clinician.user,
            practice=practice,
            doctor=doctor.user,
            patients=pools.setdefault(practice.pk, _Patients(rows)),
        )
    return sides


def _patients_of(practice: Practice, as_of: date) -> list[Patient]:
    """Listed, living, generated patients of the practice, aged 40 to 74 where there are
    some, else any adult under 75 (a tiny region may have none of that age)."""
    listed = Patient.objects.filter(
        Q(registered_to__isnull=True) | Q(registered_to__gt=as_of),
        Q(died_on__isnull=True) | Q(died_on__gt=as_of),
        practice=practice,
        is_fictional=True,
        story="",
        registered_from__lte=as_of,
        birth_date__gt=_years_before(as_of, OLDEST + 1),
    ).order_by("pk")
    for youngest in (YOUNGEST, ADULT):
        rows = list(listed.filter(birth_date__lte=_years_before(as_of, youngest))[:40])
        if rows:
            return rows
    return []


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def demo_cases_ensure(*, as_of: date, now: datetime | None = None) -> DemoCases:
    """Make the demo's referrals and advice requests once (see the module doc)."""
    with transaction.atomic():
        changed = contacts_ensure()
        if IdempotencyRecord.objects.filter(key__startswith=KEY_PREFIX).exists():
            return DemoCases(status="already_seeded", contacts_changed=changed)
        sides = _sides(as_of)
        if not sides:
            return DemoCases(status="no_demo_users", contacts_changed=changed)
        builder = _Builder(
            sides=sides, at=Timeline.for_as_of(as_of, now or timezone.now()), as_of=as_of
        )
        _referral_cases(builder)
        _advice_cases(builder)
        made = builder.made.values()
        return DemoCases(
            status="seeded",
            referrals=sum(isinstance(row, Referral) for row in made),
            advice_requests=sum(isinstance(row, AdviceRequest) for row in made),
            contacts_changed=changed,
        )


# The patient of the fresh rejection gets a login, so the demo shows the patient's side of
# a rejection: who will contact them and by when (the story patients' stories stop before
# any referral, so none of them can show it).
REJECTED_PATIENT_USERNAME = "patient.afvist"
LOGIN_CHANGE_REASON = "opspor demo: login for the patient of a rejected referral"


def _patient_login(patient: Patient) -> None:
    if (
        patient.user_id is not None
        or User.objects.filter(username=REJECTED_PATIENT_USERNAME).exists()
    ):
        return
    first, _, last = patient.name.partition(" ")
    patient.user = User.objects.create_user(
        username=REJECTED_PATIENT_USERNAME,
        password=settings.OPSPOR_DEMO_PASSWORD,
        role=Role.PATIENT,
        first_name=first,
        last_name=last,
    )
    patient._change_reason = LOGIN_CHANGE_REASON  # type: ignore[attr-defined]  # history
    patient.save(update_fields=["user"])


# The clinical texts are written for the demo: Danish, as a GP and a unit doctor would
# write them, with no age or sex, so they fit whichever generated patient they land on.
HAEMATURIA = "Synligt blod i urinen to gange inden for tre uger, uden smerter eller feber."
COUGH = "Hoste i over seks uger og let vægttab; røntgen af thorax viste en uafklaret fortætning."
BOWEL = "Ændret afføringsmønster gennem to måneder og en positiv FIT-test."
PANCREAS = "Nyopstået diabetes, vægttab og let forhøjede levertal."
NON_SPECIFIC = "Træthed, vægttab på 6 kg og nattesved gennem to måneder uden oplagt forklaring."


def _incomplete_patient(builder: _Builder, side: _Side) -> tuple[Patient, bool]:
    """A patient whose record lacks some of the diagnostic pathway's tests, so the
    referral is sent incomplete with a reason; when every patient has them all, the
    *kræft* conversation is left out instead, which is always reported as missing."""

    def lacks_tests(patient: Patient) -> bool:
        draft = Referral(patient=patient, pathway="dpf", informed_about_kraeft=True)
        return bool(services.referral_missing_items(draft, on=builder.as_of))

    patient = side.patient(lacks_tests)
    return patient, lacks_tests(patient)


def _referral_cases(b: _Builder) -> None:
    at = b.at
    hansen, berg = b.side("laege.hansen"), b.side("laege.berg")
    holm, lund = b.side("laege.holm"), b.side("laege.lund")

    # A draft the GP has not sent yet.
    b.draft("draft", hansen, at.recent(25), pathway="kidney", clinical_question=HAEMATURIA)

    # Sent: one just now, one overdue for triage, one sent incomplete with a reason.
    b.sent("sent", berg, at.recent(30), at.recent(20), pathway="lung", clinical_question=COUGH)
    late = b.sent(
        "sent-overdue",
        holm,
        at.days_ago(3, 10, 0),
        at.days_ago(3, 10, 5),
        pathway="colorectal",
        clinical_question=BOWEL,
    )
    b.message(
        "sent-overdue-1",
        late,
        holm.gp,
        at.days_ago(1, 9, 0),
        "Har I nået at se henvisningen? Patienten har ringet to gange og er bekymret.",
    )
    patient, informed = _incomplete_patient(b, lund)
    b.sent(
        "sent-incomplete",
        lund,
        at.recent(29),
        at.recent(27),
        patient=patient,
        pathway="dpf",
        clinical_question=NON_SPECIFIC,
        informed_about_kraeft=informed,
        incomplete_reason=(
            "De manglende blodprøver tages ved første besøg; patienten kunne ikke nå "
            "laboratoriet i denne uge."
        ),
    )

    # Accepted: the first contact still within its time, one past it, one made.
    waiting = b.sent(
        "accepted",
        berg,
        at.days_ago(1, 9, 0),
        at.days_ago(1, 9, 5),
        pathway="pancreas",
        clinical_question=PANCREAS,
    )
    b.step(
        at.recent(5),
        lambda now: services.referral_accept(now=now, referral=waiting, by=berg.doctor),
    )
    overdue = b.sent(
        "accepted-contact-overdue",
        hansen,
        at.days_ago(5, 9, 0),
        at.days_ago(5, 9, 10),
        pathway="kidney",
        clinical_question=HAEMATURIA,
    )
    b.step(
        at.days_ago(4, 10, 0),
        lambda now: services.referral_accept(now=now, referral=overdue, by=hansen.doctor),
    )
    b.message(
        "accepted-contact-overdue-1",
        overdue,
        hansen.gp,
        at.days_ago(1, 8, 30),
        "Patienten fortæller ikke at være blevet kontaktet endnu. Kan I give en status?",
    )
    contacted = b.sent(
        "accepted-contacted",
        holm,
        at.days_ago(4, 9, 0),
        at.days_ago(4, 9, 5),
        pathway="lung",
        clinical_question=COUGH,
    )
    b.step(
        at.days_ago(3, 10, 0),
        lambda now: services.referral_accept(now=now, referral=contacted, by=holm.doctor),
    )
    b.step(
        at.days_ago(3, 13, 0),
        lambda now: services.referral_record_first_contact(
            now=now,
            referral=contacted,
            by=holm.doctor,
            note="Telefonsamtale med patienten; tid følger.",
        ),
    )

    # An appointment booked, with a thread both sides have read.
    booked = b.sent(
        "appointment-booked",
        lund,
        at.days_ago(6, 9, 0),
        at.days_ago(6, 9, 5),
        pathway="colorectal",
        clinical_question=BOWEL,
    )
    b.step(
        at.days_ago(5, 10, 0),
        lambda now: services.referral_accept(now=now, referral=booked, by=lund.doctor),
    )
    appointment = at.in_days(5, 9, 30)
    b.step(
        at.days_ago(4, 11, 0),
        lambda now: services.referral_book_appointment(
            now=now, referral=booked, by=lund.doctor, appointment_at=appointment
        ),
    )
    b.message(
        "appointment-booked-1",
        booked,
        lund.doctor,
        at.days_ago(4, 11, 5),
        "Patienten har fået tid til samtale og CT; indkaldelsen er sendt.",
    )
    b.read(booked, lund.gp, at.days_ago(4, 14, 0))
    b.message(
        "appointment-booked-2",
        booked,
        lund.gp,
        at.days_ago(4, 14, 5),
        "Tak. Jeg har talt med patienten, som kommer.",
    )
    b.read(booked, lund.doctor, at.days_ago(3, 9, 0))

    # Completed: accepted, booked and investigated weeks ago.
    done = b.sent(
        "completed",
        hansen,
        at.days_ago(20, 9, 0),
        at.days_ago(20, 9, 10),
        pathway="pancreas",
        clinical_question=PANCREAS,
    )
    b.step(
        at.days_ago(19, 10, 0),
        lambda now: services.referral_accept(now=now, referral=done, by=hansen.doctor),
    )
    visit = at.days_ago(12, 9, 0)
    b.step(
        at.days_ago(19, 11, 0),
        lambda now: services.referral_book_appointment(
            now=now, referral=done, by=hansen.doctor, appointment_at=visit
        ),
    )
    b.step(
        at.days_ago(10, 14, 0),
        lambda now: services.referral_complete(
            now=now,
            referral=done,
            by=hansen.doctor,
            reason="Udredningen er afsluttet; epikrise sendt.",
        ),
    )

    # Withdrawn by the GP.
    withdrawn = b.sent(
        "withdrawn",
        berg,
        at.days_ago(3, 9, 0),
        at.days_ago(3, 9, 5),
        pathway="kidney",
        clinical_question=HAEMATURIA,
    )
    b.step(
        at.days_ago(2, 10, 0),
        lambda now: services.referral_withdraw(
            now=now,
            referral=withdrawn,
            by=berg.gp,
            reason="Patienten ønsker at vente; ny vurdering aftalt i praksis.",
        ),
    )

    # Rejected: just now and not yet acknowledged; earlier, past its escalation deadline;
    # and one the practice has acknowledged.
    fresh = b.sent(
        "rejected-unacknowledged",
        hansen,
        at.days_ago(1, 10, 0),
        at.days_ago(1, 10, 5),
        pathway="lung",
        clinical_question=COUGH,
    )
    b.step(
        at.recent(3),
        lambda now: services.referral_reject(
            now=now,
            referral=fresh,
            by=hansen.doctor,
            reason_category="investigations_first",
            reason_text=(
                "Fortætningen bør først afklares med en CT af thorax og abdomen; det går "
                "hurtigere end det samlede forløb."
            ),
            alternative_plan_code="direct_ct_thorax_abdomen",
            alternative_plan_text=(
                "CT af thorax og abdomen ved direkte henvisning; henvis igen ved fund eller "
                "ved fortsatte symptomer."
            ),
        ),
    )
    _patient_login(fresh.patient)
    b.message(
        "rejected-unacknowledged-1",
        fresh,
        hansen.doctor,
        at.recent(2),
        "Ring gerne på vores direkte nummer, hvis I vil drøfte planen.",
    )
    escalating = b.sent(
        "rejected-escalation-due",
        holm,
        at.days_ago(3, 9, 0),
        at.days_ago(3, 9, 5),
        pathway="dpf",
        clinical_question=NON_SPECIFIC,
        incomplete_reason="Patienten er bortrejst; blodprøverne tages ved hjemkomsten.",
    )
    b.step(
        at.days_ago(2, 11, 0),
        lambda now: services.referral_reject(
            now=now,
            referral=escalating,
            by=holm.doctor,
            reason_category="criteria_not_met",
            reason_text="Kriterierne for det samlede forløb er ikke opfyldt ud fra henvisningen.",
            alternative_plan_code="repeat_blood_tests",
            alternative_plan_text=(
                "Gentag blodprøverne efter en aftalt periode, og henvis igen ved fortsat "
                "træthed, vægttab eller nye fund."
            ),
        ),
    )
    seen = b.sent(
        "rejected-acknowledged",
        lund,
        at.days_ago(6, 10, 0),
        at.days_ago(6, 10, 5),
        pathway="kidney",
        clinical_question=BOWEL,
    )
    b.step(
        at.days_ago(5, 10, 0),
        lambda now: services.referral_reject(
            now=now,
            referral=seen,
            by=lund.doctor,
            reason_category="other_pathway",
            reason_text="Symptomerne peger på tyk- og endetarm; et andet pakkeforløb passer bedre.",
            alternative_plan_text="Henvis i pakkeforløbet for kræft i tyk- og endetarm.",
        ),
    )
    b.step(
        at.days_ago(5, 11, 0),
        lambda now: services.referral_acknowledge_rejection(now=now, referral=seen, by=lund.gp),
    )
    b.read_notifications(lund.gp, at.days_ago(5, 11, 0), referral=seen)

    # Returned with advice instead of a decision.
    returned = b.sent(
        "returned-with-advice",
        berg,
        at.days_ago(2, 9, 0),
        at.days_ago(2, 9, 5),
        pathway="colorectal",
        clinical_question="Jernmangelanæmi uden kendt blødning.",
    )
    b.step(
        at.days_ago(1, 10, 0),
        lambda now: services.referral_return_with_advice(
            now=now,
            referral=returned,
            by=berg.doctor,
            advice_text=(
                "Tag først en FIT-test. Er den positiv, henvis direkte til koloskopi; er den "
                "negativ og anæmien vedvarer, henvis igen."
            ),
        ),
    )

    # Written by a practising specialist: the unit still reaches the patient's own GP.
    specialist = b.sent(
        "from-specialist",
        holm,
        at.days_ago(2, 9, 0),
        at.days_ago(2, 9, 10),
        pathway="lung",
        clinical_question="Vedvarende hæshed i over tre uger; fortætning set ved skopi.",
        origin=ReferralOrigin.PRACTISING_SPECIALIST,
        origin_name=SPECIALIST_NAME,
        origin_phone=SPECIALIST_PHONE,
    )
    b.step(
        at.days_ago(1, 9, 30),
        lambda now: services.referral_accept(now=now, referral=specialist, by=holm.doctor),
    )
    b.message(
        "from-specialist-1",
        specialist,
        holm.doctor,
        at.days_ago(1, 9, 35),
        "Henvisningen kom fra speciallægen. Vi har accepteret og kontakter patienten; egen "
        "læge orienteres hermed.",
    )
    b.read(specialist, holm.gp, at.days_ago(1, 12, 0))


def _advice_cases(b: _Builder) -> None:
    at = b.at
    hansen, berg = b.side("laege.hansen"), b.side("laege.berg")
    holm, lund = b.side("laege.holm"), b.side("laege.lund")

    def ask(name: str, side: _Side, moment: datetime, question: str) -> AdviceRequest:
        advice: AdviceRequest = b.step(
            moment,
            lambda now: services.advice_request_send(
                now=now,
                patient=side.patient(),
                by=side.gp,
                question=question,
                idempotency_key=b.key(name),
            ),
        )
        b.made[name] = advice
        return advice

    def answer(advice: AdviceRequest, side: _Side, moment: datetime, text: str) -> None:
        b.step(
            moment,
            lambda now: services.advice_request_answer(
                now=now, advice=advice, by=side.doctor, answer=text
            ),
        )

    ask(
        "advice-sent",
        hansen,
        at.recent(15),
        "Vægttab på 5 kg over tre måneder og træthed; blodprøverne er normale. Anbefaler I "
        "henvisning til det samlede forløb, eller er en enkelt undersøgelse nok?",
    )
    ask(
        "advice-overdue",
        lund,
        at.days_ago(3, 11, 0),
        "Let forhøjet calcium ved to målinger og tørst. Skal vi henvise nu, eller tager vi "
        "først PTH?",
    )

    answered = ask(
        "advice-answered",
        holm,
        at.days_ago(2, 10, 0),
        "Træthed og nattesved gennem seks uger; CRP let forhøjet. Hvad vil I foreslå?",
    )
    b.message(
        "advice-answered-1",
        answered,
        holm.gp,
        at.days_ago(2, 10, 5),
        "Patienten er meget bekymret; ring gerne, hvis I har spørgsmål.",
    )
    b.read(answered, holm.doctor, at.days_ago(1, 8, 55))
    answer(
        answered,
        holm,
        at.days_ago(1, 9, 0),
        "En CT af thorax og abdomen er et rimeligt første skridt; henvis til det samlede "
        "forløb, hvis den viser noget, eller hvis symptomerne fortsætter.",
    )

    closed = ask(
        "advice-closed",
        berg,
        at.days_ago(5, 9, 0),
        "Kan en ultralydsscanning af abdomen erstatte CT ved smerter i øvre abdomen?",
    )
    answer(
        closed,
        berg,
        at.days_ago(4, 13, 0),
        "Ja, som første undersøgelse, når CT ikke kan tages; en normal scanning udelukker ikke "
        "kræft, så følg op ved fortsatte symptomer.",
    )
    b.read_notifications(berg.gp, at.days_ago(3, 9, 0), advice_request=closed)
    b.step(
        at.days_ago(3, 9, 0),
        lambda now: services.advice_request_close(
            now=now, advice=closed, by=berg.gp, reason="Svaret er læst; vi følger planen."
        ),
    )

    # Answered, then turned into a referral without retyping (which closes the request).
    converted = ask(
        "advice-converted",
        hansen,
        at.days_ago(4, 9, 0),
        "Uforklaret vægttab og træthed trods normale basisprøver. Er det samlede forløb det rette?",
    )
    answer(
        converted,
        hansen,
        at.days_ago(3, 10, 0),
        "Ja, henvis til det samlede forløb, og tag gerne levertal med.",
    )
    referral: Referral = b.step(
        at.days_ago(2, 9, 0),
        lambda now: services.referral_create_draft(
            now=now,
            by=hansen.gp,
            from_advice=converted,
            pathway="dpf",
            informed_about_kraeft=True,
            idempotency_key=b.key("referral-from-advice"),
        ),
    )
    b.made["referral-from-advice"] = referral
    b.send(referral, hansen, at.days_ago(2, 9, 10), "Levertallene tages ved første besøg.")
    b.step(
        at.days_ago(1, 10, 0),
        lambda now: services.referral_accept(now=now, referral=referral, by=hansen.doctor),
    )


__all__ = ["DemoCases", "Timeline", "contacts_ensure", "demo_cases_ensure"]

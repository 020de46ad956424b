"""Demo referrals and advice requests: every state of both workflows, for `opspor seed`.

The cases are data (``cases.yaml``, read by ``case_file.py``): for each, the demo GP, the
kind of patient, and the steps with their texts. This module makes the cases through the
referral services, step by step, as the demo GPs and unit doctors would have made them, so their
audit events, deadlines, notifications and read receipts are the services' own. Each step
happens at a moment relative to the seed's as-of date (working days before it, or minutes
before it; ``case_moments.py``), so the demo is current whenever it is seeded: one
referral is overdue for triage, one waits for a first contact past its deadline, one
rejection has not been acknowledged, and so on.

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

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.deadlines import DEFAULT_DEADLINE_DAYS
from opspor.casework.errors import WorkflowError
from opspor.casework.models import IdempotencyRecord, Notification
from opspor.casework.notifications import notifications_mark_read
from opspor.demo.case_file import (
    Accept,
    AcknowledgeRejection,
    AdviceCase,
    AdviceStep,
    Answer,
    Ask,
    BookAppointment,
    CaseFileError,
    Close,
    Complete,
    Create,
    GivePatientLogin,
    PostMessage,
    Read,
    ReadNotifications,
    RecordFirstContact,
    ReferralCase,
    ReferralStep,
    Reject,
    ReturnWithAdvice,
    Send,
    Withdraw,
    load_cases,
)
from opspor.demo.case_moments import Timeline
from opspor.demo.case_people import Side, demo_sides
from opspor.demo.region import PRACTICE_ON_CALL_PHONE, REGION_CODE, second_contact
from opspor.records.models import Clinician, DiagnosticUnit, Patient, Practice
from opspor.referrals.models import AdviceRequest, Referral, UnitSettings
from opspor.referrals.services import (
    advice_request_answer,
    advice_request_close,
    advice_request_send,
    message_post,
    referral_accept,
    referral_acknowledge_rejection,
    referral_book_appointment,
    referral_complete,
    referral_create_draft,
    referral_missing_items,
    referral_record_first_contact,
    referral_reject,
    referral_return_with_advice,
    referral_send,
    referral_withdraw,
    thread_mark_read,
)

KEY_PREFIX = "opspor-demo:"
CHANGE_REASON = "opspor demo contacts"

# The patient of the fresh rejection gets a login, so the demo shows the patient's side of
# a rejection: who will contact them and by when (the story patients' stories stop before
# any referral, so none of them can show it).
REJECTED_PATIENT_USERNAME = "patient.afvist"
LOGIN_CHANGE_REASON = "opspor demo: login for the patient of a rejected referral"


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


# --- making the cases ------------------------------------------------------------------------


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
class _Runner:
    """Makes the cases in the file's order, each step as of its moment."""

    sides: dict[str, Side]
    at: Timeline
    as_of: date
    made: dict[str, Referral | AdviceRequest] = field(default_factory=dict)

    def side(self, username: str) -> Side:
        # A small region may lack a demo GP's practice; another demo GP takes the case.
        return self.sides.get(username) or next(iter(self.sides.values()))

    @staticmethod
    def key(name: str) -> str:
        return f"{KEY_PREFIX}{name}"

    def referral(self, name: str) -> Referral:
        row = self.made[name]
        assert isinstance(row, Referral)
        return row

    def advice(self, name: str) -> AdviceRequest:
        row = self.made[name]
        assert isinstance(row, AdviceRequest)
        return row

    def run(self, case: ReferralCase | AdviceCase) -> None:
        side = self.side(case.gp)
        messages = 0
        for number, step in enumerate(case.steps, start=1):
            if isinstance(step, PostMessage):
                messages += 1
            try:
                self._perform(case, side, step, message_key=f"{case.name}-{messages}")
            except WorkflowError as error:
                raise CaseFileError(f"{case.name}, step {number} ({step.do}): {error}") from error

    def _perform(
        self,
        case: ReferralCase | AdviceCase,
        side: Side,
        step: ReferralStep | AdviceStep,
        *,
        message_key: str,
    ) -> None:
        if isinstance(step, GivePatientLogin):
            _patient_login(self.referral(case.name).patient)
            return
        now = step.at.on(self.at)
        if isinstance(step, Create) and isinstance(case, ReferralCase):
            self.made[case.name] = self._create(case, side, step, now)
            return
        if isinstance(step, Ask):
            self.made[case.name] = advice_request_send(
                now=now,
                patient=side.patient(),
                by=side.gp,
                question=step.question,
                idempotency_key=self.key(case.name),
            )
            return
        thread = self.made[case.name]
        match step:
            case PostMessage():
                message_post(
                    now=now,
                    thread=thread,
                    by=side.user(step.by),
                    body=step.body,
                    idempotency_key=self.key(message_key),
                )
            case Read():
                thread_mark_read(now=now, thread=thread, by=side.user(step.by))
            case ReadNotifications():
                unread = Notification.objects.about(thread).filter(read_at=None)
                notifications_mark_read(
                    now=now,
                    by=side.user(step.by),
                    notification_ids=list(unread.values_list("pk", flat=True)),
                )
            case Answer():
                advice_request_answer(
                    now=now, advice=self.advice(case.name), by=side.doctor, answer=step.answer
                )
            case Close():
                advice_request_close(
                    now=now, advice=self.advice(case.name), by=side.gp, reason=step.reason
                )
            case _:
                self._referral_step(self.referral(case.name), side, step, now)

    def _create(self, case: ReferralCase, side: Side, step: Create, now: datetime) -> Referral:
        details: dict[str, Any] = {"informed_about_kraeft": step.informed_about_kraeft}
        if step.origin is not None:
            details |= {
                "origin": step.origin.value,
                "origin_name": step.origin_name,
                "origin_phone": step.origin_phone,
            }
        patient: Patient | None = None
        if step.from_advice is None and case.patient == "lacking tests":
            patient, details["informed_about_kraeft"] = self._patient_lacking_tests(
                side, step.pathway
            )
        elif step.from_advice is None:
            patient = side.patient()
        return referral_create_draft(
            now=now,
            by=side.gp,
            patient=patient,
            from_advice=self.advice(step.from_advice) if step.from_advice else None,
            pathway=step.pathway,
            clinical_question=step.clinical_question,
            idempotency_key=self.key(case.name),
            **details,
        )

    def _patient_lacking_tests(self, side: Side, pathway: str) -> tuple[Patient, bool]:
        """A patient whose record lacks some of the pathway's tests, so the referral is
        sent incomplete with a reason; when every patient has them all, the *kræft*
        conversation is left out instead (the second value: whether the patient was
        informed), which is always reported as missing."""

        def lacks_tests(patient: Patient) -> bool:
            draft = Referral(patient=patient, pathway=pathway, informed_about_kraeft=True)
            return bool(referral_missing_items(draft, on=self.as_of))

        patient = side.patient(lacks_tests)
        return patient, lacks_tests(patient)

    def _referral_step(
        self, referral: Referral, side: Side, step: ReferralStep | AdviceStep, now: datetime
    ) -> None:
        match step:
            case Send():
                referral_send(
                    now=now, referral=referral, by=side.gp, incomplete_reason=step.incomplete_reason
                )
            case Accept():
                referral_accept(now=now, referral=referral, by=side.doctor)
            case RecordFirstContact():
                referral_record_first_contact(
                    now=now, referral=referral, by=side.doctor, note=step.note
                )
            case BookAppointment():
                referral_book_appointment(
                    now=now,
                    referral=referral,
                    by=side.doctor,
                    appointment_at=step.appointment.on(self.at),
                )
            case Complete():
                referral_complete(now=now, referral=referral, by=side.doctor, reason=step.reason)
            case Withdraw():
                referral_withdraw(now=now, referral=referral, by=side.gp, reason=step.reason)
            case Reject():
                referral_reject(
                    now=now,
                    referral=referral,
                    by=side.doctor,
                    reason_category=step.reason_category.value,
                    reason_text=step.reason_text,
                    alternative_plan_code=step.alternative_plan_code,
                    alternative_plan_text=step.alternative_plan_text,
                )
            case AcknowledgeRejection():
                referral_acknowledge_rejection(now=now, referral=referral, by=side.gp)
            case ReturnWithAdvice():
                referral_return_with_advice(
                    now=now, referral=referral, by=side.doctor, advice_text=step.advice_text
                )
            case _:
                raise AssertionError(f"{step.do} is handled before")


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


def demo_cases_ensure(
    *,
    as_of: date,
    now: datetime | None = None,
    cases: list[ReferralCase | AdviceCase] | None = None,
) -> DemoCases:
    """Make the demo's referrals and advice requests once (see the module doc): those of
    the case file, or ``cases``. A refused step refuses them all (``CaseFileError``)."""
    cases = load_cases() if cases is None else cases
    with transaction.atomic():
        changed = contacts_ensure()
        if IdempotencyRecord.objects.filter(key__startswith=KEY_PREFIX).exists():
            return DemoCases(status="already_seeded", contacts_changed=changed)
        sides = demo_sides(as_of)
        if not sides:
            return DemoCases(status="no_demo_users", contacts_changed=changed)
        runner = _Runner(
            sides=sides, at=Timeline.for_as_of(as_of, now or timezone.now()), as_of=as_of
        )
        for case in cases:
            runner.run(case)
        made = runner.made.values()
        return DemoCases(
            status="seeded",
            referrals=sum(isinstance(row, Referral) for row in made),
            advice_requests=sum(isinstance(row, AdviceRequest) for row in made),
            contacts_changed=changed,
        )


__all__ = ["DemoCases", "contacts_ensure", "demo_cases_ensure"]

"""The referral and advice-request services: transitions, access, completeness, deadlines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from opspor.accounts.models import Role, User
from opspor.casework.clock import DEFAULT_CALENDAR
from opspor.engine.filter_package import DEFAULT_PACKAGE, load_filter_packages
from opspor.engine.vocab import load_vocabulary
from opspor.records.models import ClinicalFinding, LabResult, Patient
from opspor.referrals.models import (
    AdviceEvent,
    AdviceRequest,
    Referral,
    ReferralEvent,
    UnitSettings,
)
from opspor.referrals.services import (
    WorkflowError,
    advice_request_answer,
    advice_request_close,
    advice_request_send,
    referral_accept,
    referral_acknowledge_rejection,
    referral_book_appointment,
    referral_complete,
    referral_create_draft,
    referral_record_first_contact,
    referral_reject,
    referral_return_with_advice,
    referral_send,
    referral_withdraw,
)
from opspor.referrals.workflow import (
    ADVICE_TRANSITIONS,
    REFERRAL_TRANSITIONS,
    AdviceState,
    ReferralState,
)
from tests import factories
from tests.referrals.worlds import NOW, World, advice_in, patient_in, referral_in

pytestmark = pytest.mark.django_db


def complete_record(patient: Patient, *, taken_on: date) -> None:
    """Every test of the diagnostic pathway's filter package, taken on `taken_on`."""
    vocab = load_vocabulary()
    for test in load_filter_packages()[DEFAULT_PACKAGE].tests:
        codes = test.codes if test.match == "all" else test.codes[:1]
        for code in codes:
            if code in vocab.labs:
                LabResult.objects.create(
                    patient=patient, code=code, value=1.0, unit="x", taken_on=taken_on
                )
            else:
                ClinicalFinding.objects.create(patient=patient, code=code, found_on=taken_on)


FRAILTY = {
    "clinical_frailty_scale": 4,
    "dementia": False,
    "patient_wish": "Wants investigation, would consider surgery",
    "relatives_role": "Daughter comes along to appointments",
    "tolerates_surgery": True,
    "tolerates_chemotherapy": False,
}

# One way to perform each action, with valid arguments; the actor is chosen per side.
REFERRAL_ACTIONS: dict[str, Callable[[Referral, User], Referral]] = {
    "send": lambda r, by: referral_send(referral=r, by=by, incomplete_reason="Urgent", now=NOW),
    "accept": lambda r, by: referral_accept(referral=r, by=by),
    "reject": lambda r, by: referral_reject(
        referral=r,
        by=by,
        reason_category="investigations_first",
        reason_text="CT first",
        alternative_plan_code="direct_ct_thorax_abdomen",
    ),
    "return_with_advice": lambda r, by: referral_return_with_advice(
        referral=r, by=by, advice_text="Repeat liver enzymes in 3 weeks"
    ),
    "book_appointment": lambda r, by: referral_book_appointment(
        referral=r, by=by, appointment_at=NOW + timedelta(days=2)
    ),
    "complete": lambda r, by: referral_complete(referral=r, by=by),
    "withdraw": lambda r, by: referral_withdraw(referral=r, by=by, reason="Resolved"),
    "acknowledge_rejection": lambda r, by: referral_acknowledge_rejection(referral=r, by=by),
    "record_first_contact": lambda r, by: referral_record_first_contact(referral=r, by=by),
}

ADVICE_ACTIONS: dict[str, Callable[[AdviceRequest, User], AdviceRequest]] = {
    "answer": lambda a, by: advice_request_answer(advice=a, by=by, answer="Refer to DPF."),
    "close": lambda a, by: advice_request_close(advice=a, by=by),
}


def actor(world: World, side: str) -> User:
    return world.gp if side == "gp" else world.doctor


def stranger(world: World, side: str) -> User:
    return world.stranger_gp if side == "gp" else world.stranger_doctor


def snapshot(referral: Referral) -> dict[str, Any]:
    fresh = Referral.objects.get(pk=referral.pk)
    return {f.attname: getattr(fresh, f.attname) for f in Referral._meta.concrete_fields}


def test_the_action_table_covers_every_transition() -> None:
    assert set(REFERRAL_ACTIONS) == set(REFERRAL_TRANSITIONS)
    assert set(ADVICE_ACTIONS) == set(ADVICE_TRANSITIONS)


# --- every allowed and every forbidden transition ------------------------------------

REFERRAL_CASES = [
    (action, state) for action in REFERRAL_TRANSITIONS for state in ReferralState.values
]


@pytest.mark.parametrize(("action", "state"), REFERRAL_CASES)
def test_every_referral_transition_is_allowed_exactly_from_its_sources(
    world: World, action: str, state: str
) -> None:
    transition = REFERRAL_TRANSITIONS[action]
    referral = referral_in(world, state)
    by = actor(world, transition.side)
    if state in transition.sources:
        REFERRAL_ACTIONS[action](referral, by)
        referral.refresh_from_db()
        assert referral.state == transition.target
        event = ReferralEvent.objects.get(referral=referral)
        assert (event.action, event.actor, event.from_state, event.to_state) == (
            action,
            by,
            state,
            transition.target,
        )
    else:
        before = snapshot(referral)
        with pytest.raises(WorkflowError) as refused:
            REFERRAL_ACTIONS[action](referral, by)
        assert refused.value.code == "not_allowed"
        assert snapshot(referral) == before
        assert not ReferralEvent.objects.filter(referral=referral).exists()


@pytest.mark.parametrize(
    ("action", "state"),
    [(action, state) for action in ADVICE_TRANSITIONS for state in AdviceState.values],
)
def test_every_advice_transition_is_allowed_exactly_from_its_sources(
    world: World, action: str, state: str
) -> None:
    transition = ADVICE_TRANSITIONS[action]
    advice = advice_in(world, state)
    by = actor(world, transition.side)
    if state in transition.sources:
        ADVICE_ACTIONS[action](advice, by)
        advice.refresh_from_db()
        assert advice.state == transition.target
        event = AdviceEvent.objects.get(advice_request=advice)
        assert (event.from_state, event.to_state, event.actor) == (state, transition.target, by)
    else:
        with pytest.raises(WorkflowError) as refused:
            ADVICE_ACTIONS[action](advice, by)
        assert refused.value.code == "not_allowed"
        advice.refresh_from_db()
        assert advice.state == state
        assert not AdviceEvent.objects.exists()


# --- access --------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(REFERRAL_TRANSITIONS))
@pytest.mark.parametrize("who", ["stranger", "other_side", "analyst", "patient", "inactive"])
def test_only_the_practice_or_the_unit_may_act_and_nothing_changes(
    world: World, action: str, who: str
) -> None:
    transition = REFERRAL_TRANSITIONS[action]
    referral = referral_in(world, sorted(transition.sources)[0])
    if who == "stranger":
        by = stranger(world, transition.side)
    elif who == "other_side":
        by = actor(world, "unit" if transition.side == "gp" else "gp")
    elif who == "inactive":
        by = actor(world, transition.side)
        by.is_active = False
    else:
        by = factories.user(Role.ANALYST if who == "analyst" else Role.PATIENT)
    before = snapshot(referral)
    with pytest.raises(WorkflowError) as refused:
        REFERRAL_ACTIONS[action](referral, by)
    assert refused.value.code == "forbidden"
    assert snapshot(referral) == before
    assert not ReferralEvent.objects.exists()


@pytest.mark.parametrize("action", list(ADVICE_TRANSITIONS))
def test_advice_of_another_practice_or_unit_is_refused(world: World, action: str) -> None:
    transition = ADVICE_TRANSITIONS[action]
    advice = advice_in(world, sorted(transition.sources)[0])
    with pytest.raises(WorkflowError) as refused:
        ADVICE_ACTIONS[action](advice, stranger(world, transition.side))
    assert refused.value.code == "forbidden"
    assert not AdviceEvent.objects.exists()


def test_a_gp_cannot_refer_another_practices_patient(world: World) -> None:
    with pytest.raises(WorkflowError) as refused:
        referral_create_draft(by=world.stranger_gp, patient=world.patient, pathway="dpf")
    assert refused.value.code == "forbidden"
    with pytest.raises(WorkflowError):
        advice_request_send(by=world.stranger_gp, patient=world.patient, question="?")
    assert not Referral.objects.exists() and not AdviceRequest.objects.exists()


def test_another_gp_of_the_practice_may_send_and_acknowledge(world: World) -> None:
    referral = referral_in(world, ReferralState.DRAFT)
    referral_send(referral=referral, by=world.other_gp, incomplete_reason="Urgent")
    assert referral.state == ReferralState.SENT


# --- rejection ------------------------------------------------------------------------


def test_rejection_without_plan_is_refused(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    before = snapshot(referral)
    with pytest.raises(WorkflowError) as refused:
        referral_reject(
            referral=referral,
            by=world.doctor,
            reason_category="criteria_not_met",
            reason_text="Does not meet the criteria",
            alternative_plan_code=" ",
            alternative_plan_text="",
        )
    assert refused.value.code == "missing_plan"
    assert snapshot(referral) == before
    assert not ReferralEvent.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"reason_category": "nonsense"}, "invalid"),
        ({"reason_text": "  "}, "invalid"),
        ({"alternative_plan_code": "not_in_the_catalogue"}, "invalid"),
    ],
)
def test_rejection_needs_a_known_category_a_reason_and_a_catalogue_code(
    world: World, fields: dict[str, str], code: str
) -> None:
    referral = referral_in(world, ReferralState.SENT)
    args = {
        "reason_category": "criteria_not_met",
        "reason_text": "Criteria not met",
        "alternative_plan_code": "repeat_blood_tests",
    } | fields
    with pytest.raises(WorkflowError) as refused:
        referral_reject(referral=referral, by=world.doctor, **args)
    assert refused.value.code == code
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.SENT


def test_rejection_with_a_free_text_plan_is_unacknowledged_until_a_gp_acknowledges(
    world: World,
) -> None:
    referral = referral_in(world, ReferralState.SENT)
    referral_reject(
        referral=referral,
        by=world.doctor,
        reason_category="investigations_first",
        reason_text="Liver enzymes slightly raised only",
        alternative_plan_text="Repeat liver enzymes in 3 weeks; refer if rising",
    )
    assert referral.is_unacknowledged_rejection
    assert referral.decided_by == world.doctor and referral.alternative_plan_code == ""
    referral_acknowledge_rejection(referral=referral, by=world.other_gp)
    assert not referral.is_unacknowledged_rejection
    assert referral.acknowledged_by == world.other_gp
    with pytest.raises(WorkflowError) as again:
        referral_acknowledge_rejection(referral=referral, by=world.gp)
    assert again.value.code == "not_allowed"
    assert ReferralEvent.objects.filter(action="acknowledge_rejection").count() == 1


def test_a_stale_acknowledgement_is_a_conflict(world: World) -> None:
    referral = referral_in(world, ReferralState.REJECTED)
    stale = Referral.objects.get(pk=referral.pk)
    referral_acknowledge_rejection(referral=referral, by=world.gp)
    with pytest.raises(WorkflowError) as refused:
        referral_acknowledge_rejection(referral=stale, by=world.other_gp)
    assert refused.value.code == "conflict"


def test_a_decision_on_a_stale_screen_is_a_conflict(world: World) -> None:
    referral = referral_in(world, ReferralState.SENT)
    stale = Referral.objects.get(pk=referral.pk)
    referral_accept(referral=referral, by=world.doctor)
    with pytest.raises(WorkflowError) as refused:
        REFERRAL_ACTIONS["reject"](stale, world.other_doctor)
    assert refused.value.code == "conflict"
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.ACCEPTED
    assert ReferralEvent.objects.count() == 1


# --- idempotency ----------------------------------------------------------------------


def test_create_with_the_same_key_returns_the_first_draft(world: World) -> None:
    first = referral_create_draft(
        by=world.gp, patient=world.patient, pathway="dpf", idempotency_key="k-1"
    )
    again = referral_create_draft(
        by=world.gp, patient=world.patient, pathway="dpf", idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert Referral.objects.count() == 1
    assert ReferralEvent.objects.count() == 1
    other = referral_create_draft(
        by=world.gp, patient=world.patient, pathway="dpf", idempotency_key="k-2"
    )
    assert other.pk != first.pk


def test_send_with_the_same_key_sends_once(world: World) -> None:
    referral = referral_in(world, ReferralState.DRAFT)
    sent = referral_send(
        referral=referral, by=world.gp, incomplete_reason="Urgent", idempotency_key="s-1"
    )
    stale = Referral.objects.get(pk=referral.pk)
    stale.state = ReferralState.DRAFT  # the client's copy from before the first send
    again = referral_send(
        referral=stale, by=world.gp, incomplete_reason="Urgent", idempotency_key="s-1"
    )
    assert again.pk == sent.pk and again.state == ReferralState.SENT
    assert again.sent_at == sent.sent_at
    assert ReferralEvent.objects.filter(action="send").count() == 1
    other = referral_in(world, ReferralState.DRAFT)
    with pytest.raises(WorkflowError) as reused:
        referral_send(referral=other, by=world.gp, incomplete_reason="x", idempotency_key="s-1")
    assert reused.value.code == "key_reused"
    other.refresh_from_db()
    assert other.state == ReferralState.DRAFT


def test_advice_send_with_the_same_key_creates_one_request(world: World) -> None:
    first = advice_request_send(
        by=world.gp, patient=world.patient, question="Refer?", idempotency_key="a-1"
    )
    again = advice_request_send(
        by=world.gp, patient=world.patient, question="Refer?", idempotency_key="a-1"
    )
    assert first.pk == again.pk
    assert AdviceRequest.objects.count() == 1 and AdviceEvent.objects.count() == 1


# --- completeness ---------------------------------------------------------------------


def test_dpf_without_the_filter_tests_is_incomplete(world: World) -> None:
    referral = referral_in(world, ReferralState.DRAFT, pathway="dpf", informed_about_kraeft=True)
    with pytest.raises(WorkflowError) as refused:
        referral_send(referral=referral, by=world.gp, now=NOW)
    assert refused.value.code == "incomplete"
    missing = {m["test_id"] for m in refused.value.missing if m["item"] == "filter_test"}
    assert {"haemoglobin", "crp", "imaging_chest"} <= missing
    assert Referral.objects.get(pk=referral.pk).state == ReferralState.DRAFT
    assert not ReferralEvent.objects.exists()


def test_dpf_with_recent_filter_tests_is_complete(world: World) -> None:
    complete_record(world.patient, taken_on=NOW.date() - timedelta(days=10))
    referral = referral_in(world, ReferralState.DRAFT, pathway="dpf", informed_about_kraeft=True)
    referral_send(referral=referral, by=world.gp, now=NOW)
    assert referral.state == ReferralState.SENT
    assert referral.completeness == [] and referral.incomplete_reason == ""


def test_dpf_with_old_filter_tests_names_them_too_old(world: World) -> None:
    complete_record(world.patient, taken_on=NOW.date() - timedelta(days=200))
    referral = referral_in(world, ReferralState.DRAFT, pathway="dpf", informed_about_kraeft=True)
    with pytest.raises(WorkflowError) as refused:
        referral_send(referral=referral, by=world.gp, now=NOW)
    reasons = {m["reason"] for m in refused.value.missing if m["item"] == "filter_test"}
    assert reasons == {"too_old"}


def _born_years_before(day: date, years: int, *, plus_days: int = 0) -> date:
    return day.replace(year=day.year - years) + timedelta(days=plus_days)


@pytest.mark.parametrize(("age", "needs_frailty"), [(75, True), (74, False)])
def test_the_frailty_section_is_required_from_75(
    world: World, age: int, needs_frailty: bool
) -> None:
    # Born so that the patient turns 75 exactly on the day of sending; one day younger is 74.
    born = _born_years_before(NOW.date(), 75, plus_days=0 if age == 75 else 1)
    patient = patient_in(world.patient.practice, born=born)
    referral = referral_in(world, ReferralState.DRAFT, patient=patient, informed_about_kraeft=True)
    if needs_frailty:
        with pytest.raises(WorkflowError) as refused:
            referral_send(referral=referral, by=world.gp, now=NOW)
        fields = {m["field"] for m in refused.value.missing if m["item"] == "frailty"}
        assert fields == set(FRAILTY)
        Referral.objects.filter(pk=referral.pk).update(**FRAILTY)
        referral.refresh_from_db()
    referral_send(referral=referral, by=world.gp, now=NOW)
    assert referral.state == ReferralState.SENT and referral.completeness == []


def test_a_patient_marked_frail_needs_the_section_at_any_age(world: World) -> None:
    referral = referral_in(
        world, ReferralState.DRAFT, informed_about_kraeft=True, marked_frail=True
    )
    with pytest.raises(WorkflowError) as refused:
        referral_send(referral=referral, by=world.gp, now=NOW)
    assert {m["item"] for m in refused.value.missing} == {"frailty"}


def test_the_kraeft_tick_is_part_of_completeness(world: World) -> None:
    referral = referral_in(world, ReferralState.DRAFT, informed_about_kraeft=False)
    with pytest.raises(WorkflowError) as refused:
        referral_send(referral=referral, by=world.gp, now=NOW)
    assert refused.value.missing == [{"item": "informed_about_kraeft"}]


def test_an_incomplete_referral_is_sent_with_a_reason_and_the_unit_sees_what_is_missing(
    world: World,
) -> None:
    referral = referral_in(world, ReferralState.DRAFT, pathway="dpf")
    referral_send(
        referral=referral, by=world.gp, now=NOW, incomplete_reason="Patient seriously ill"
    )
    referral.refresh_from_db()
    assert referral.state == ReferralState.SENT
    assert referral.incomplete_reason == "Patient seriously ill"
    items = {m["item"] for m in referral.completeness}
    assert items == {"filter_test", "informed_about_kraeft"}
    assert ReferralEvent.objects.get(action="send").reason == "Patient seriously ill"


# --- advice → referral ----------------------------------------------------------------


def test_an_answered_advice_request_becomes_a_referral_without_retyping(world: World) -> None:
    advice = advice_request_send(
        by=world.gp, patient=world.patient, question="Weight loss: refer?", gp_findings="Lost 6 kg"
    )
    advice_request_answer(advice=advice, by=world.doctor, answer="Yes, refer to DPF.")
    referral = referral_create_draft(by=world.other_gp, from_advice=advice, pathway="dpf")
    assert referral.patient == world.patient
    assert referral.unit == advice.unit
    assert referral.clinical_question == "Weight loss: refer?"
    assert referral.gp_findings == "Lost 6 kg"
    assert referral.findings["ruleset"] == advice.patient_summary["ruleset"]
    assert referral.from_advice == advice
    advice.refresh_from_db()
    assert advice.state == AdviceState.CLOSED
    assert AdviceEvent.objects.filter(advice_request=advice, action="close").exists()


def test_an_unanswered_advice_request_cannot_become_a_referral(world: World) -> None:
    advice = advice_in(world, AdviceState.SENT)
    with pytest.raises(WorkflowError) as refused:
        referral_create_draft(by=world.gp, from_advice=advice, pathway="dpf")
    assert refused.value.code == "not_allowed"
    assert not Referral.objects.exists()


def test_unknown_pathways_and_fields_are_refused(world: World) -> None:
    with pytest.raises(WorkflowError):
        referral_create_draft(by=world.gp, patient=world.patient, pathway="astrology")
    with pytest.raises(WorkflowError):
        referral_create_draft(by=world.gp, patient=world.patient, pathway="dpf", state="sent")
    assert not Referral.objects.exists()


# --- deadlines ------------------------------------------------------------------------


def test_triage_is_due_one_working_day_after_sending_by_default(world: World) -> None:
    referral = referral_in(world, ReferralState.DRAFT)
    referral_send(referral=referral, by=world.gp, incomplete_reason="x", now=NOW)
    assert referral.sent_at == NOW
    assert referral.triage_due_at == DEFAULT_CALENDAR.add_working_days(NOW, 1)


def test_a_friday_afternoon_referral_is_due_on_monday(world: World) -> None:
    friday = datetime(2026, 3, 13, 14, 0, tzinfo=UTC)  # 15:00 in Copenhagen
    referral = referral_in(world, ReferralState.DRAFT)
    referral_send(referral=referral, by=world.gp, incomplete_reason="x", now=friday)
    assert referral.triage_due_at is not None
    due = referral.triage_due_at.astimezone(DEFAULT_CALENDAR.timezone)
    assert due.date() == date(2026, 3, 16)


def test_the_unit_sets_its_own_triage_and_answer_times(world: World) -> None:
    UnitSettings.objects.create(
        unit=world.patient.practice.diagnostic_unit,
        triage_working_days=Decimal("2"),
        advice_working_days=Decimal("0.5"),
    )
    referral = referral_in(world, ReferralState.DRAFT)
    referral_send(referral=referral, by=world.gp, incomplete_reason="x", now=NOW)
    assert referral.triage_due_at == DEFAULT_CALENDAR.add_working_days(NOW, 2)
    advice = advice_request_send(by=world.gp, patient=world.patient, question="?", now=NOW)
    assert advice.answer_due_at == DEFAULT_CALENDAR.add_working_days(NOW, 0.5)


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_doctors_triaging_at_once_give_one_decision_and_one_conflict() -> None:
    unit = factories.unit()
    practice = factories.practice(diagnostic_unit=unit)
    gp = factories.gp(practice).user
    first, second = factories.unit_doctor(unit).user, factories.unit_doctor(unit).user
    assert gp and first and second
    referral = Referral.objects.create(
        patient=patient_in(practice),
        practice=practice,
        unit=unit,
        requester=gp,
        pathway="dpf",
        state=ReferralState.SENT,
        sent_at=NOW,
        triage_due_at=NOW + timedelta(days=1),
    )
    # Each doctor has the referral open on their own screen before either decides.
    screens = [Referral.objects.get(pk=referral.pk) for _ in range(2)]
    decisions: list[Callable[[], Referral]] = [
        lambda: referral_accept(referral=screens[0], by=first),
        lambda: REFERRAL_ACTIONS["reject"](screens[1], second),
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(index: int) -> None:
        try:
            barrier.wait()
            decisions[index]()
            result = "decided"
        except WorkflowError as error:
            result = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "decided"]
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.state in {ReferralState.ACCEPTED, ReferralState.REJECTED}
    assert ReferralEvent.objects.filter(referral=referral).count() == 1


def test_another_practice_cannot_convert_an_advice_request(world: World) -> None:
    advice = advice_in(world, AdviceState.ANSWERED)
    with pytest.raises(WorkflowError) as refused:
        referral_create_draft(by=world.stranger_gp, from_advice=advice, pathway="dpf")
    assert refused.value.code == "forbidden"
    assert not Referral.objects.exists()
    assert AdviceRequest.objects.get(pk=advice.pk).state == AdviceState.ANSWERED


def test_a_stranger_learns_nothing_from_an_acknowledged_rejection(world: World) -> None:
    referral = referral_in(world, ReferralState.REJECTED)
    referral_acknowledge_rejection(referral=referral, by=world.gp)
    with pytest.raises(WorkflowError) as refused:
        referral_acknowledge_rejection(referral=referral, by=world.stranger_gp)
    assert refused.value.code == "forbidden"

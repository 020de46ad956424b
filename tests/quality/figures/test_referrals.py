"""The referral, advice and frailty figures on hand-made referrals with known answers.

The rows are made through the referrals app's services, at chosen moments, so they hold
what a real practice's and unit's actions leave behind. The figures are read as of
Tuesday 31 March 2026; the year then starts on 1 April 2025 (summer time, UTC+2).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from opspor.accounts.models import User
from opspor.quality.cells import ALL, Cell
from opspor.quality.figures import Period, periods
from opspor.quality.figures.referrals import INDICATOR_IDS, cells, frailty_section_complete
from opspor.quality.indicators import BY_ID
from opspor.records.models import Patient, Practice
from opspor.referrals.models import AdviceRequest, Referral
from opspor.referrals.services import (
    advice_request_answer,
    advice_request_send,
    referral_accept,
    referral_acknowledge_rejection,
    referral_create_and_send,
    referral_create_draft,
    referral_missing_items,
    referral_record_first_contact,
    referral_reject,
    referral_return_with_advice,
    referral_withdraw,
)
from opspor.referrals.workflow import FRAILTY_FIELDS, ReferralState, RejectionReason
from tests import factories

AS_OF = date(2026, 3, 31)
YEAR, POOLED = periods(AS_OF)

FRAILTY = {
    "clinical_frailty_scale": 5,
    "dementia": False,
    "patient_wish": "Vil gerne udredes, men ikke opereres",
    "relatives_role": "Datteren tager med til samtaler",
    "tolerates_surgery": False,
    "tolerates_chemotherapy": True,
}


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in tests/referrals: the shared counter's CPR numbers turn 1800s after ~2,500.
    monkeypatch.setattr(factories, "_counter", itertools.count(2_000_000))


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in UTC (09:00 UTC is 10:00 or 11:00 in Copenhagen, within opening hours)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


class Place:
    """A practice with a GP, its unit with a doctor, and a way to make patients."""

    def __init__(self, kind: str = Practice.Kind.PARTNERSHIP) -> None:
        self.unit = factories.unit()
        self.practice = factories.practice(diagnostic_unit=self.unit, kind=kind)
        gp, doctor = factories.gp(self.practice), factories.unit_doctor(self.unit)
        assert gp.user is not None and doctor.user is not None
        self.gp: User = gp.user
        self.doctor: User = doctor.user

    def patient(self, **fields: Any) -> Patient:
        return factories.patient(self.practice, **fields)

    def send(self, patient: Patient, sent: datetime, **details: Any) -> Referral:
        return referral_create_and_send(
            by=self.gp,
            send=True,
            patient=patient,
            pathway="kidney",
            incomplete_reason="Haster",
            now=sent,
            **details,
        )


def find(found: Iterable[Cell], indicator: str, **where: Any) -> Cell:
    """The one cell of `indicator` with the given fields (split/group default to all)."""
    where.setdefault("split", ALL)
    where.setdefault("group", ALL)
    where.setdefault("practice_id", None)
    [cell] = [
        cell
        for cell in found
        if cell.indicator == indicator
        and all(getattr(cell, name) == value for name, value in where.items())
    ]
    return cell


pytestmark = pytest.mark.django_db


@pytest.fixture
def place() -> Place:
    return Place()


def test_every_referral_figure_on_a_practice_with_known_answers(place: Place) -> None:
    lone_man = place.patient(sex="male", birth_date=date(1955, 6, 1), lives_alone=True)
    old_woman = place.patient(birth_date=date(1945, 1, 10))
    woman = place.patient(birth_date=date(1976, 2, 3))
    gp, doctor = place.gp, place.doctor

    # Accepted after 4 hours, patient contacted the next day: in time twice.
    r1 = place.send(lone_man, at(date(2026, 3, 2)))
    referral_accept(referral=r1, by=doctor, now=at(date(2026, 3, 2), 13))
    referral_record_first_contact(referral=r1, by=doctor, now=at(date(2026, 3, 3), 10))
    # 75+ with the frailty section: rejected after 48 hours (late) with a catalogue plan, seen.
    r2 = place.send(old_woman, at(date(2026, 3, 4)), **FRAILTY)
    referral_reject(
        referral=r2,
        by=doctor,
        reason_category=RejectionReason.CRITERIA_NOT_MET,
        reason_text="Ingen synlig hæmaturi",
        alternative_plan_code="repeat_blood_tests",
        now=at(date(2026, 3, 6)),
    )
    referral_acknowledge_rejection(referral=r2, by=gp, now=at(date(2026, 3, 6), 12))
    # 75+ without it: rejected after 2 hours with a plan in words only, never acknowledged.
    r3 = place.send(old_woman, at(date(2026, 3, 9)))
    referral_reject(
        referral=r3,
        by=doctor,
        reason_category=RejectionReason.OTHER_PATHWAY,
        reason_text="Passer bedre i et andet forløb",
        alternative_plan_text="Henvis til urologisk afdeling",
        now=at(date(2026, 3, 9), 11),
    )
    # Returned with advice after an hour: decided, neither accepted nor rejected.
    r4 = place.send(woman, at(date(2026, 3, 10)))
    referral_return_with_advice(
        referral=r4, by=doctor, advice_text="Tag en PSA først", now=at(date(2026, 3, 10), 10)
    )
    # Never decided, its deadline long past: late.
    place.send(woman, at(date(2026, 3, 11)))
    # Sent on the last day, its deadline still ahead: sent, not yet owed a decision.
    place.send(woman, at(date(2026, 3, 31)))
    # Withdrawn an hour after sending, before its deadline: sent, owes nothing.
    r7 = place.send(woman, at(date(2026, 3, 16)))
    referral_withdraw(referral=r7, by=gp, reason="Fejlhenvist", now=at(date(2026, 3, 16), 10))
    # A draft never sent: not a referral.
    referral_create_draft(by=gp, patient=woman, pathway="kidney", now=at(date(2026, 3, 16)))
    # Accepted, the patient never contacted within 48 hours: late.
    r9 = place.send(woman, at(date(2026, 3, 17)))
    referral_accept(referral=r9, by=doctor, now=at(date(2026, 3, 17), 10))
    # Accepted, then withdrawn by the GP before the contact was due: accepted, owes no contact.
    r10 = place.send(woman, at(date(2026, 3, 18)))
    referral_accept(referral=r10, by=doctor, now=at(date(2026, 3, 18), 10))
    referral_withdraw(referral=r10, by=gp, reason="Indlagt akut", now=at(date(2026, 3, 18), 11))
    # The period's bounds in Copenhagen's days: 1 April 2025 00:30 is in, 31 March 23:30 out;
    # 31 March 2026 23:30 (the last day) is in.
    first = place.send(woman, datetime(2025, 3, 31, 22, 30, tzinfo=UTC))
    place.send(woman, datetime(2025, 3, 31, 21, 30, tzinfo=UTC))
    place.send(woman, datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    # Decided after the day of the figures: undecided as of that day, and late by then.
    referral_accept(referral=first, by=doctor, now=at(date(2026, 4, 2)))
    empty = factories.practice()

    found = cells(YEAR, as_of=AS_OF)

    practice = place.practice.pk
    for where in ({"practice_id": None}, {"practice_id": practice}):
        assert find(found, "referrals_sent", **where).denominator == 11
        accepted = find(found, "referral_accepted", **where)
        assert (accepted.numerator, accepted.denominator) == (3, 6)
        rejected = find(found, "referral_rejected", **where)
        assert (rejected.numerator, rejected.denominator) == (2, 6)
        assert find(found, "rejections_by_reason", **where).denominator == 2
        with_plan = find(found, "rejection_with_plan", **where)
        assert (with_plan.numerator, with_plan.denominator) == (1, 2)
        assert find(found, "rejection_unacknowledged", **where).denominator == 1
        in_time = find(found, "triage_in_time", **where)
        # Decided: r1, r3, r4, r9, r10 in time, r2 late; undecided and late: r5 and `first`.
        assert (in_time.numerator, in_time.denominator) == (5, 8)
        hours = find(found, "time_to_triage", **where)
        assert hours.denominator == 6 and hours.quartiles is not None
        assert hours.quartiles.median == pytest.approx(1.5)  # 1, 1, 1, 2, 4, 48 hours
        contact = find(found, "first_contact_in_time", **where)
        assert (contact.numerator, contact.denominator) == (1, 2)
        assert find(found, "referrals_75_plus", **where).denominator == 2
        frailty = find(found, "frailty_section_75_plus", **where)
        assert (frailty.numerator, frailty.denominator) == (1, 2)
    for reason in RejectionReason.values:
        expected = {"criteria_not_met": 1, "other_pathway": 1}.get(reason, 0)
        cell = find(found, "rejections_by_reason", split="reason", group=reason)
        assert cell.denominator == expected

    # The practice with no referral has every cell, each empty.
    for indicator in INDICATOR_IDS:
        cell = find(found, indicator, practice_id=empty.pk)
        assert cell.denominator == 0
        assert cell.numerator == (0 if BY_ID[indicator].kind == "share" else None)
    assert all(cell.period_start == YEAR.start and cell.period_end == AS_OF for cell in found)


def test_a_man_living_alone_aged_70_counts_in_his_group(place: Place) -> None:
    lone_man = place.patient(sex="male", birth_date=date(1955, 6, 1), lives_alone=True)
    woman = place.patient(birth_date=date(1980, 2, 3), interpreter_needed=True)
    man_with_wife = place.patient(sex="male", birth_date=date(1955, 6, 1))
    for patient in (lone_man, woman, man_with_wife):
        place.send(patient, at(date(2026, 3, 2)))

    found = cells(YEAR, as_of=AS_OF)

    def sent(**where: Any) -> int:
        return find(found, "referrals_sent", **where).denominator

    assert sent(split="male_living_alone", group="yes") == 1
    assert sent(split="male_living_alone", group="no") == 2
    assert sent(split="language_barrier", group="yes") == 1
    assert sent(split="sex", group="male") == 2
    assert sent(split="age_band", group="70-79") == 2
    assert sent(split="age_band", group="40-49") == 1
    assert sent(split="practice_kind", group="partnership") == 3
    assert sent(split="vulnerable", group="yes") == 2
    # A practice's mirror shows the vulnerable groups against the rest.
    practice = place.practice.pk
    assert sent(practice_id=practice, split="vulnerable", group="yes") == 2
    assert sent(practice_id=practice, split="vulnerable", group="no") == 1


def test_a_patient_is_grouped_on_the_day_the_referral_was_sent(place: Place) -> None:
    # 69 on the first referral's day, 70 on the second's: one in each age band.
    man = place.patient(sex="male", birth_date=date(1956, 3, 5), lives_alone=True)
    place.send(man, at(date(2026, 3, 4)))
    place.send(man, at(date(2026, 3, 5)))

    found = cells(YEAR, as_of=AS_OF)

    assert find(found, "referrals_sent", split="age_band", group="60-69").denominator == 1
    assert find(found, "referrals_sent", split="age_band", group="70-79").denominator == 1
    # The engine's men living alone start at 40 (`EngineSettings`): both count.
    assert find(found, "referrals_sent", split="male_living_alone", group="yes").denominator == 2


def test_a_practice_with_one_patient_has_its_own_figures() -> None:
    big, small = Place(), Place(kind=Practice.Kind.SOLO)
    for _ in range(3):
        big.send(big.patient(), at(date(2026, 3, 2)))
    only = small.send(small.patient(birth_date=date(1940, 1, 1)), at(date(2026, 3, 2)))
    referral_accept(referral=only, by=small.doctor, now=at(date(2026, 3, 2), 10))

    found = cells(YEAR, as_of=AS_OF)

    mine = small.practice.pk
    assert find(found, "referrals_sent", practice_id=mine).denominator == 1
    assert find(found, "referrals_75_plus", practice_id=mine).denominator == 1
    accepted = find(found, "referral_accepted", practice_id=mine)
    assert (accepted.numerator, accepted.denominator) == (1, 1)
    assert find(found, "referrals_sent", practice_id=big.practice.pk).denominator == 3
    assert find(found, "referrals_sent").denominator == 4
    assert find(found, "referrals_sent", split="practice_kind", group="solo").denominator == 1


def test_the_reasons_and_every_split_add_up_to_the_total(place: Place) -> None:
    reasons = [*RejectionReason.values, RejectionReason.OTHER, RejectionReason.CRITERIA_NOT_MET]
    for n, reason in enumerate(reasons):
        patient = place.patient(
            sex="male" if n % 2 else "female",
            birth_date=date(1930 + 7 * n, 1, 1),
            lives_alone=n % 3 == 0,
        )
        referral = place.send(patient, at(date(2026, 3, 2)))
        referral_reject(
            referral=referral,
            by=place.doctor,
            reason_category=reason,
            reason_text="Begrundelse",
            alternative_plan_code="fit",
            now=at(date(2026, 3, 2), 10),
        )

    for period in (YEAR, POOLED):
        found = cells(period, as_of=AS_OF)
        for indicator in INDICATOR_IDS:
            mine = [cell for cell in found if cell.indicator == indicator]
            for practice_id in {cell.practice_id for cell in mine}:
                here = [cell for cell in mine if cell.practice_id == practice_id]
                [total] = [cell for cell in here if cell.is_total]
                for split in {cell.split for cell in here} - {ALL}:
                    groups = [cell for cell in here if cell.split == split]
                    assert sum(cell.denominator for cell in groups) == total.denominator
                    if total.numerator is not None:
                        assert sum(cell.numerator or 0 for cell in groups) == total.numerator
        by_reason = [
            cell
            for cell in found
            if cell.indicator == "rejections_by_reason"
            and cell.split == "reason"
            and cell.practice_id is None
        ]
        assert {cell.group for cell in by_reason} == set(RejectionReason.values)
        assert sum(cell.denominator for cell in by_reason) == len(reasons)
        assert find(found, "rejections_by_reason", group="other", split="reason").denominator == 2


def test_the_pooled_period_reaches_three_years_back(place: Place) -> None:
    patient = place.patient()
    place.send(patient, at(date(2024, 6, 1)))
    place.send(patient, at(date(2023, 4, 1)))  # the day before the pooled period

    year, pooled = cells(YEAR, as_of=AS_OF), cells(POOLED, as_of=AS_OF)

    assert POOLED.start == date(2023, 4, 2)
    assert find(year, "referrals_sent").denominator == 0
    assert find(pooled, "referrals_sent").denominator == 1
    assert find(pooled, "referrals_sent").period_start == POOLED.start


def test_an_acknowledgement_after_the_day_counts_as_not_yet_given(place: Place) -> None:
    referral = place.send(place.patient(), at(date(2026, 3, 2)))
    referral_reject(
        referral=referral,
        by=place.doctor,
        reason_category=RejectionReason.INVESTIGATIONS_FIRST,
        reason_text="Mangler blodprøver",
        alternative_plan_code="repeat_blood_tests",
        now=at(date(2026, 3, 3)),
    )
    referral_acknowledge_rejection(referral=referral, by=place.gp, now=at(date(2026, 4, 1), 8))

    assert find(cells(YEAR, as_of=AS_OF), "rejection_unacknowledged").denominator == 1
    later = periods(date(2026, 4, 1))[0]
    assert find(cells(later, as_of=date(2026, 4, 1)), "rejection_unacknowledged").denominator == 0


def test_a_referral_withdrawn_after_its_deadline_was_late(place: Place) -> None:
    patient = place.patient()
    # Undecided when the triage deadline passed, withdrawn the week after: late.
    waited = place.send(patient, at(date(2026, 3, 2)))
    referral_withdraw(referral=waited, by=place.gp, reason="Opgivet", now=at(date(2026, 3, 9)))
    # Accepted, not contacted when the 48 hours ran out, withdrawn afterwards: late too.
    accepted = place.send(patient, at(date(2026, 3, 10)))
    referral_accept(referral=accepted, by=place.doctor, now=at(date(2026, 3, 10), 10))
    referral_withdraw(referral=accepted, by=place.gp, reason="Opgivet", now=at(date(2026, 3, 16)))

    found = cells(YEAR, as_of=AS_OF)

    assert find(found, "referrals_sent").denominator == 2
    triage = find(found, "triage_in_time")
    assert (triage.numerator, triage.denominator) == (1, 2)
    contact = find(found, "first_contact_in_time")
    assert (contact.numerator, contact.denominator) == (0, 1)
    accepted_share = find(found, "referral_accepted")
    assert (accepted_share.numerator, accepted_share.denominator) == (1, 1)


def test_advice_requests_and_those_that_ended_without_a_referral(place: Place) -> None:
    doctor = place.doctor

    def ask(patient: Patient, sent: date, answered: date | None) -> AdviceRequest:
        advice = advice_request_send(
            patient=patient, by=place.gp, question="Vægttab, henvise?", now=at(sent)
        )
        if answered is not None:
            advice_request_answer(advice=advice, by=doctor, answer="Ja", now=at(answered))
        return advice

    # No referral at all: ended without one.
    ask(place.patient(), date(2025, 10, 1), date(2025, 10, 2))
    # A referral made from the request, sent 4 months after the answer: followed.
    p2 = place.patient()
    a2 = ask(p2, date(2025, 11, 1), date(2025, 11, 2))
    referral = referral_create_and_send(
        by=place.gp,
        send=True,
        from_advice=a2,
        pathway="kidney",
        incomplete_reason="Haster",
        now=at(date(2026, 3, 20)),
    )
    assert referral.from_advice_id == a2.pk and referral.patient_id == p2.pk
    # Another referral of the patient 90 days after the answer, to the day: followed.
    p3 = place.patient()
    ask(p3, date(2025, 12, 1), date(2025, 12, 2))
    place.send(p3, at(date(2025, 12, 2) + timedelta(days=90)))
    # Answered too recently for its 90 days to have passed: a request, not yet a share.
    ask(place.patient(), date(2026, 3, 1), date(2026, 3, 2))
    # Never answered: a request only.
    ask(place.patient(), date(2025, 12, 1), None)
    # A referral 91 days after the answer: too late, ended without one.
    p6 = place.patient()
    ask(p6, date(2025, 12, 1), date(2025, 12, 2))
    place.send(p6, at(date(2025, 12, 2) + timedelta(days=91)))
    # A referral before the request does not follow it.
    p7 = place.patient()
    place.send(p7, at(date(2025, 11, 20)))
    ask(p7, date(2025, 12, 1), date(2025, 12, 2))
    # Another patient's referral does not follow it either.
    ask(place.patient(), date(2025, 12, 1), date(2025, 12, 2))
    place.send(place.patient(), at(date(2025, 12, 10)))
    factories.practice()

    found = cells(YEAR, as_of=AS_OF)

    assert find(found, "advice_requests").denominator == 8
    ended = find(found, "advice_without_referral")
    assert (ended.numerator, ended.denominator) == (4, 6)
    mine = find(found, "advice_without_referral", practice_id=place.practice.pk)
    assert (mine.numerator, mine.denominator) == (4, 6)


# --- the frailty section: the same rule as the check at sending -----------------------


FRAILTY_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "clinical_frailty_scale": st.none() | st.integers(1, 9),
    "dementia": st.none() | st.booleans(),
    "patient_wish": st.sampled_from(["", "   ", "\u200b", "Vil udredes"]),
    "relatives_role": st.sampled_from(["", "\n", "Datter"]),
    "tolerates_surgery": st.none() | st.booleans(),
    "tolerates_chemotherapy": st.none() | st.booleans(),
}


@given(st.fixed_dictionaries(FRAILTY_VALUES))
def test_the_frailty_section_is_complete_exactly_when_sending_finds_nothing_missing(
    values: dict[str, Any],
) -> None:
    patient = Patient(birth_date=date(1940, 1, 1), sex="female")
    referral = Referral(patient=patient, pathway="kidney", **values)
    missing = referral_missing_items(referral, on=AS_OF)
    frailty_missing = [item for item in missing if item["item"] == "frailty"]
    row = {name: getattr(referral, name) for name in FRAILTY_FIELDS}
    assert frailty_section_complete(row) == (not frailty_missing)


# --- the queries do not grow with the rows ----------------------------------------------


def _many(place: Place, n: int) -> None:
    """`n` patients, each with a rejected and an accepted referral and an advice request,
    put straight into their states as the services leave them."""
    sent = at(date(2026, 3, 2))
    for i in range(n):
        patient = place.patient(birth_date=date(1940 + i, 1, 1), lives_alone=True, sex="male")
        common: dict[str, Any] = {
            "patient": patient,
            "practice": place.practice,
            "unit": place.unit,
            "requester": place.gp,
            "pathway": "kidney",
            "sent_at": sent,
            "triage_due_at": sent + timedelta(days=1),
            "decided_by": place.doctor,
            "decided_at": sent + timedelta(hours=i + 1),
        }
        Referral.objects.create(
            **common,
            state=ReferralState.REJECTED,
            reason_category=RejectionReason.OTHER,
            reason_text="Begrundelse",
            alternative_plan_text="Plan",
        )
        Referral.objects.create(
            **common,
            state=ReferralState.ACCEPTED,
            first_contact_due_at=sent + timedelta(days=2),
            first_contact_at=sent + timedelta(days=1),
        )
        AdviceRequest.objects.create(
            patient=patient,
            practice=place.practice,
            unit=place.unit,
            asked_by=place.gp,
            question="Henvise?",
            sent_at=at(date(2025, 10, 1)),
            answer_due_at=at(date(2025, 10, 2)),
            answer="Nej",
            answered_by=place.doctor,
            answered_at=at(date(2025, 10, 2)),
            state="answered",
        )


def _queries(period: Period) -> int:
    with CaptureQueriesContext(connection) as queries:
        cells(period, as_of=AS_OF)
    return len(queries)


def test_the_queries_do_not_grow_with_the_number_of_referrals(place: Place) -> None:
    _many(place, 2)
    few = _queries(YEAR)
    _many(place, 20)
    factories.practice()
    many = _queries(YEAR)
    assert find(cells(YEAR, as_of=AS_OF), "referrals_sent").denominator == 44
    assert few == many
    assert many <= 6

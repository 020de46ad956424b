"""The engine's worklist signals: patients with one per 1,000 listed, and their follow-up."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opspor.accounts.models import User
from opspor.quality.figures import Period, periods
from opspor.quality.figures.signals import cells
from opspor.records.models import Patient, Practice
from opspor.safetynet.models import PatientSignal, SignalDismissal, SignalKind, SignalRun
from tests import factories
from tests.quality.figures.builders import at, cell, depressed, episode, referral

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
YEAR, POOLED = periods(AS_OF)
RAISED = date(2026, 1, 10)


@pytest.fixture
def practice() -> Practice:
    made = factories.practice(kind=Practice.Kind.PARTNERSHIP)
    SignalRun.objects.create(practice=made, as_of=AS_OF, computed_at=at(AS_OF, 2))
    return made


@pytest.fixture
def gp(practice: Practice) -> User:
    clinician = factories.gp(practice)
    assert clinician.user is not None
    return clinician.user


def patient(practice: Practice, **fields: object) -> Patient:
    return factories.patient(practice, birth_date=date(1960, 1, 15), **fields)


def signal(
    someone: Patient,
    kind: str,
    *,
    contact: datetime | None = None,
    as_of: date = AS_OF,
    practice: Practice | None = None,
) -> PatientSignal:
    return PatientSignal.objects.create(
        patient=someone,
        practice=practice or someone.practice,
        kind=kind,
        as_of=as_of,
        figures={},
        last_contact_at=contact or at(as_of - timedelta(days=3)),
        computed_at=at(as_of, 2),
    )


def dismissed(someone: Patient, kind: str, contact: datetime, *, by: User) -> SignalDismissal:
    return SignalDismissal.objects.create(
        patient=someone,
        practice=someone.practice,
        kind=kind,
        reason="Known and explained",
        by=by,
        at=contact + timedelta(days=1),
        as_of=contact.date(),
        figures={},
        last_contact_at=contact,
    )


def share(found: list, indicator: str, practice_id: int | None = None) -> tuple[int, int]:
    c = cell(found, indicator, practice_id)
    assert c.numerator is not None
    return (c.numerator, c.denominator)


def test_rates_count_listed_patients_with_a_stored_signal(practice: Practice, gp: User) -> None:
    signal(patient(practice), SignalKind.PATTERN_BREAK)
    # A break in a previously low user is stored as the more specific reading.
    signal(patient(practice), SignalKind.LOW_USER_RISE)
    absent = patient(practice)
    signal(absent, SignalKind.LONG_ABSENCE, contact=at(AS_OF - timedelta(days=3)))
    dismissed(absent, SignalKind.LONG_ABSENCE, at(AS_OF - timedelta(days=3)), by=gp)
    patient(practice)
    # Not listed on the day: deregistered, or dead.
    left = patient(practice, registered_to=AS_OF - timedelta(days=1))
    signal(left, SignalKind.PATTERN_BREAK)
    dead = patient(practice, died_on=AS_OF)
    signal(dead, SignalKind.PATTERN_BREAK)
    # Kept under another practice: not this practice's signal.
    elsewhere = patient(practice)
    signal(elsewhere, SignalKind.PATTERN_BREAK, practice=factories.practice())
    found = cells(YEAR, as_of=AS_OF)
    assert share(found, "signal_pattern_break", practice.pk) == (2, 5)
    assert share(found, "signal_any", practice.pk) == (3, 5)
    assert cell(found, "signal_any", practice.pk).share == pytest.approx(0.6)


def test_practices_without_signals_computed_in_the_period_have_none(practice: Practice) -> None:
    never = factories.practice(kind=Practice.Kind.SOLO)
    signal(patient(never), SignalKind.PATTERN_BREAK)
    stale = factories.practice()
    SignalRun.objects.create(practice=stale, as_of=YEAR.start - timedelta(days=1))
    signal(patient(stale), SignalKind.PATTERN_BREAK, as_of=YEAR.start - timedelta(days=1))
    first_day = factories.practice()
    SignalRun.objects.create(practice=first_day, as_of=YEAR.start)
    signal(patient(first_day), SignalKind.PATTERN_BREAK, as_of=YEAR.start)
    empty = factories.practice(kind=Practice.Kind.NETWORK)
    patient(practice)
    found = cells(YEAR, as_of=AS_OF)
    assert share(found, "signal_pattern_break", never.pk) == (0, 0)
    assert cell(found, "signal_pattern_break", never.pk).share is None
    assert share(found, "signal_pattern_break", stale.pk) == (0, 0)
    assert share(found, "signal_pattern_break", first_day.pk) == (1, 1)
    assert share(found, "signal_pattern_break", empty.pk) == (0, 0)
    assert share(found, "signal_pattern_break", practice.pk) == (0, 1)
    assert share(found, "signal_pattern_break") == (1, 2)
    # The three years hold the older computation.
    pooled = cells(POOLED, as_of=AS_OF)
    assert share(pooled, "signal_pattern_break", stale.pk) == (1, 1)


def test_groups_are_taken_on_the_day_of_the_figures(practice: Practice) -> None:
    before = patient(practice)
    depressed(before, AS_OF)
    signal(before, SignalKind.PATTERN_BREAK)
    after = patient(practice)
    depressed(after, AS_OF + timedelta(days=1))
    found = cells(YEAR, as_of=AS_OF)
    yes = cell(found, "signal_pattern_break", practice.pk, "vulnerable", "yes")
    assert (yes.numerator, yes.denominator) == (1, 1)
    no = cell(found, "signal_pattern_break", practice.pk, "vulnerable", "no")
    assert (no.numerator, no.denominator) == (0, 1)
    region = cell(found, "signal_any", None, "psychiatric_diagnosis", "yes")
    assert (region.numerator, region.denominator) == (1, 1)


def test_follow_up_within_30_days_of_the_contact(practice: Practice, gp: User) -> None:
    contact = at(RAISED)
    netted = patient(practice)
    signal(netted, SignalKind.PATTERN_BREAK, contact=contact)
    episode(netted, at(RAISED + timedelta(days=30), 15), by=gp)
    late = patient(practice)
    signal(late, SignalKind.REPEAT_SYMPTOM, contact=contact)
    referral(late, RAISED + timedelta(days=31), by=gp)
    # Dismissed: raised all the same, and counted once with its stored row.
    looked_at = patient(practice)
    signal(looked_at, SignalKind.LONG_ABSENCE, contact=contact)
    dismissed(looked_at, SignalKind.LONG_ABSENCE, contact, by=gp)
    # An earlier look, dismissed, whose stored row a later contact replaced: referred.
    earlier = patient(practice)
    dismissed(earlier, SignalKind.PATTERN_BREAK, at(RAISED - timedelta(days=40)), by=gp)
    referral(earlier, RAISED - timedelta(days=20), by=gp)
    signal(earlier, SignalKind.PATTERN_BREAK, contact=at(AS_OF - timedelta(days=3)))
    # Held while a safety net was live: never on the worklist.
    followed = patient(practice)
    episode(followed, at(RAISED - timedelta(days=5)), by=gp)
    signal(followed, SignalKind.PATTERN_BREAK, contact=contact)
    # A net closed before the contact does not hide it.
    closed = patient(practice)
    episode(closed, at(RAISED - timedelta(days=50)), by=gp, closed=at(RAISED - timedelta(days=1)))
    signal(closed, SignalKind.PATTERN_BREAK, contact=contact)
    found = cells(YEAR, as_of=AS_OF)
    assert share(found, "signal_followed_up", practice.pk) == (2, 5)
    assert share(found, "signal_followed_up") == (2, 5)


def test_follow_up_counts_signals_raised_in_the_period_once_30_days_passed(
    practice: Practice,
) -> None:
    for day, hour in (
        (YEAR.start - timedelta(days=1), 23),  # the day before: out
        (YEAR.start, 0),  # the first day, just after local midnight: in
        (AS_OF - timedelta(days=30), 12),  # its 30 days have passed: in
        (AS_OF - timedelta(days=29), 12),  # not yet: out
    ):
        signal(patient(practice), SignalKind.PATTERN_BREAK, contact=at(day, hour))
    empty = factories.practice()
    found = cells(YEAR, as_of=AS_OF)
    assert share(found, "signal_followed_up", practice.pk) == (0, 2)
    assert share(found, "signal_followed_up", empty.pk) == (0, 0)
    assert cell(found, "signal_followed_up", empty.pk, "vulnerable", "yes").denominator == 0


def _queries(practice: Practice, gp: User, n: int) -> int:
    for _ in range(n):
        someone = patient(practice)
        signal(someone, SignalKind.PATTERN_BREAK, contact=at(RAISED))
        dismissed(someone, SignalKind.PATTERN_BREAK, at(RAISED - timedelta(days=40)), by=gp)
        episode(someone, at(RAISED + timedelta(days=3)), by=gp)
        referral(someone, RAISED + timedelta(days=4), by=gp)
        depressed(someone, RAISED)
    with CaptureQueriesContext(connection) as queries:
        cells(YEAR, as_of=AS_OF)
    return len(queries)


def test_queries_do_not_grow_with_rows(practice: Practice, gp: User) -> None:
    few = _queries(practice, gp, 2)
    many = _queries(practice, gp, 8)
    assert few == many


def test_a_period_past_the_day_of_the_figures_is_refused(practice: Practice) -> None:
    signal(patient(practice), SignalKind.PATTERN_BREAK)
    late = Period(YEAR.start, AS_OF + timedelta(days=1), pooled=False)
    with pytest.raises(ValueError, match="cannot be counted as of 2026-06-30"):
        cells(late, as_of=AS_OF)

"""The safety-net figures on hand-made episodes and investigations with known answers.

Episodes and investigations go through the safety-net services at chosen moments. The
figures are read as of Tuesday 31 March 2026; the year starts on 1 April 2025.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opspor.accounts.models import User
from opspor.quality.cells import ALL, Cell
from opspor.quality.figures import periods
from opspor.quality.figures.safety_nets import INDICATOR_IDS, cells
from opspor.quality.indicators import BY_ID
from opspor.records.models import Patient, Practice
from opspor.safetynet import services
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.workflow import EpisodeOutcome, EpisodeState
from tests import factories

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 31)
YEAR, POOLED = periods(AS_OF)


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in tests/referrals: the shared counter's CPR numbers turn 1800s after ~2,500.
    monkeypatch.setattr(factories, "_counter", itertools.count(3_000_000))


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


class Place:
    def __init__(self, kind: str = Practice.Kind.PARTNERSHIP) -> None:
        self.practice = factories.practice(kind=kind)
        gp = factories.gp(self.practice)
        assert gp.user is not None
        self.gp: User = gp.user

    def patient(self, **fields: Any) -> Patient:
        return factories.patient(self.practice, **fields)

    def open(
        self, patient: Patient, opened: datetime, follow_up_on: date | None = None
    ) -> SafetyNetEpisode:
        today = opened.date()
        return services.episode_open(
            patient=patient,
            by=self.gp,
            reason="wait_and_see",
            follow_up_on=follow_up_on or today + timedelta(days=14),
            ends_on=(follow_up_on or today) + timedelta(days=42),
            advice="Kom igen, hvis det bliver værre.",
            now=opened,
        )

    def close(self, episode: SafetyNetEpisode, outcome: str, closed: datetime) -> None:
        services.episode_close(episode=episode, by=self.gp, outcome=outcome, now=closed)

    def result(
        self, episode: SafetyNetEpisode, came: datetime, told: datetime | None = None
    ) -> Investigation:
        ordered = services.investigation_order(
            episode=episode,
            by=self.gp,
            kind="chest_xray",
            description="Røntgen af thorax",
            expected_by=came.date(),
            now=came - timedelta(days=1),
        )
        services.investigation_record_result(
            investigation=ordered, by=self.gp, text="Normal", now=came
        )
        if told is not None:
            services.investigation_mark_told(
                investigation=ordered, by=self.gp, how="phone", now=told
            )
        return ordered


def find(found: Iterable[Cell], indicator: str, **where: Any) -> Cell:
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


@pytest.fixture
def place() -> Place:
    return Place()


def test_open_overdue_and_closed_episodes_with_known_answers(place: Place) -> None:
    lone_man = place.patient(sex="male", birth_date=date(1955, 6, 1), lives_alone=True)
    woman = place.patient(birth_date=date(1980, 2, 3))
    # Opened long before either period, still open and its follow-up long past.
    place.open(lone_man, at(date(2023, 1, 10)), follow_up_on=date(2023, 2, 1))
    # Follow-up on the day of the figures: open, due, not yet overdue.
    place.open(woman, at(date(2026, 3, 1)), follow_up_on=AS_OF)
    # Follow-up the day before: overdue.
    place.open(woman, at(date(2026, 3, 1)), follow_up_on=date(2026, 3, 30))
    # Closed after the day of the figures: open on that day, and overdue then.
    later = place.open(woman, at(date(2026, 3, 20)), follow_up_on=date(2026, 3, 25))
    place.close(later, EpisodeOutcome.REFERRED, at(date(2026, 4, 2)))
    # Closed in the year: mid-year, on its first day (00:30 in Copenhagen) and on its last.
    for opened, closed, outcome in (
        (date(2025, 6, 1), at(date(2025, 7, 1)), EpisodeOutcome.OTHER_DIAGNOSIS),
        (date(2025, 3, 1), datetime(2025, 3, 31, 22, 30, tzinfo=UTC), EpisodeOutcome.MOVED_AWAY),
        (date(2026, 3, 1), datetime(2026, 3, 31, 21, 30, tzinfo=UTC), EpisodeOutcome.DIED),
        # The day before the year (23:30 in Copenhagen): in the pooled period only.
        (
            date(2025, 3, 1),
            datetime(2025, 3, 31, 21, 30, tzinfo=UTC),
            EpisodeOutcome.PATIENT_DECLINED,
        ),
    ):
        place.close(place.open(woman, at(opened)), outcome, closed)
    empty = factories.practice()

    year, pooled = cells(YEAR, as_of=AS_OF), cells(POOLED, as_of=AS_OF)

    practice = place.practice.pk
    for found in (year, pooled):
        for where in ({"practice_id": None}, {"practice_id": practice}):
            assert find(found, "safety_nets_open", **where).denominator == 4
            assert find(found, "safety_nets_overdue", **where).denominator == 3
        # The man living alone (70) owns one open and overdue net: his group's one patient.
        for indicator in ("safety_nets_open", "safety_nets_overdue"):
            cell = find(found, indicator, split="male_living_alone", group="yes")
            assert cell.denominator == 1
            assert find(found, indicator, split="age_band", group="60-69").denominator == 1
        for indicator in INDICATOR_IDS:
            cell = find(found, indicator, practice_id=empty.pk)
            assert cell.denominator == 0
            assert cell.numerator == (0 if BY_ID[indicator].kind == "share" else None)
    assert find(year, "safety_nets_closed").denominator == 3
    assert find(pooled, "safety_nets_closed").denominator == 4
    by_outcome = {
        cell.group: cell.denominator
        for cell in year
        if cell.indicator == "safety_nets_closed"
        and cell.split == "outcome"
        and cell.practice_id is None
    }
    assert by_outcome == {
        outcome: 1 if outcome in {"other_diagnosis", "moved_away", "died"} else 0
        for outcome in EpisodeOutcome.values
    }
    # The episode closed after the day of the figures is not closed on it.
    assert find(year, "safety_nets_closed", split="outcome", group="referred").denominator == 0


def test_a_patient_is_grouped_as_on_the_day_the_net_opened(place: Place) -> None:
    # 39 at the opening three years ago, 42 now; the engine's men living alone start at 40.
    man = place.patient(sex="male", birth_date=date(1983, 6, 1), lives_alone=True)
    place.open(man, at(date(2023, 1, 10)), follow_up_on=date(2023, 2, 1))

    found = cells(YEAR, as_of=AS_OF)

    assert find(found, "safety_nets_open", split="age_band", group="0-39").denominator == 1
    assert find(found, "safety_nets_open", split="male_living_alone", group="no").denominator == 1


def test_results_not_told_within_five_working_days(place: Place) -> None:
    patient = place.patient(birth_date=date(1950, 1, 1), interpreter_needed=True)
    episode = place.open(patient, at(date(2026, 3, 1)), follow_up_on=date(2026, 4, 20))
    monday = date(2026, 3, 2)  # results at 10:00 local: due the next Monday at 10:00
    # Told exactly when its five working days ran out: in time.
    place.result(episode, at(monday), told=at(monday + timedelta(days=7)))
    # Told half an hour later: late.
    place.result(episode, at(monday), told=at(monday + timedelta(days=7), 9, 30))
    # Never told: late.
    place.result(episode, at(monday))
    # Told only after the day of the figures: not told on it, so late.
    place.result(episode, at(monday), told=at(date(2026, 4, 10)))
    # Came yesterday, not yet told: within its days, left out.
    place.result(episode, at(date(2026, 3, 30)))
    # Came yesterday and told today: in time.
    place.result(episode, at(date(2026, 3, 30)), told=at(AS_OF))
    # Came the day before the year began (23:30 in Copenhagen): out of the year.
    before = place.open(patient, at(date(2025, 3, 20)), follow_up_on=date(2025, 5, 1))
    place.result(before, datetime(2025, 3, 31, 21, 30, tzinfo=UTC))
    # Came on its first day (00:30), told the next week: in, and in time.
    place.result(
        before,
        datetime(2025, 3, 31, 22, 30, tzinfo=UTC),
        told=datetime(2025, 4, 2, 8, tzinfo=UTC),
    )

    found = cells(YEAR, as_of=AS_OF)

    for where in ({"practice_id": None}, {"practice_id": place.practice.pk}):
        late = find(found, "results_told_late", **where)
        assert (late.numerator, late.denominator) == (3, 6)
    group = find(found, "results_told_late", split="language_barrier", group="yes")
    assert (group.numerator, group.denominator) == (3, 6)
    pooled = find(cells(POOLED, as_of=AS_OF), "results_told_late")
    assert (pooled.numerator, pooled.denominator) == (4, 7)


def test_the_outcomes_and_every_split_add_up_to_the_total(place: Place) -> None:
    other = Place(kind=Practice.Kind.SOLO)
    for n, outcome in enumerate([*EpisodeOutcome.values, EpisodeOutcome.DIED]):
        here = place if n % 2 else other
        patient = here.patient(
            sex="male" if n % 3 else "female",
            birth_date=date(1930 + 6 * n, 1, 1),
            lives_alone=True,
        )
        here.close(here.open(patient, at(date(2026, 3, 1))), outcome, at(date(2026, 3, 2)))
        episode = here.open(patient, at(date(2026, 3, 3)), follow_up_on=date(2026, 3, 10))
        here.result(episode, at(date(2026, 3, 4)), told=at(date(2026, 3, 4 + n % 9)))

    for period in (YEAR, POOLED):
        found = cells(period, as_of=AS_OF)
        for indicator in INDICATOR_IDS:
            mine = [cell for cell in found if cell.indicator == indicator]
            for practice_id in {cell.practice_id for cell in mine}:
                here_cells = [cell for cell in mine if cell.practice_id == practice_id]
                [total] = [cell for cell in here_cells if cell.is_total]
                for split in {cell.split for cell in here_cells} - {ALL}:
                    groups = [cell for cell in here_cells if cell.split == split]
                    assert sum(cell.denominator for cell in groups) == total.denominator
                    if total.numerator is not None:
                        assert sum(cell.numerator or 0 for cell in groups) == total.numerator
        closed = find(found, "safety_nets_closed")
        assert closed.denominator == len(EpisodeOutcome.values) + 1
        assert find(found, "safety_nets_closed", split="outcome", group="died").denominator == 2
        assert find(found, "safety_nets_open").denominator == closed.denominator


def _many(place: Place, n: int) -> None:
    """`n` patients with an open overdue episode, a closed one and a result, put straight
    into their states as the services leave them."""
    for i in range(n):
        patient = place.patient(birth_date=date(1940 + i, 1, 1))
        common: dict[str, Any] = {
            "patient": patient,
            "practice": place.practice,
            "owner": place.gp,
            "opened_by": place.gp,
            "opened_at": at(date(2026, 1, 5)),
            "reason": "wait_and_see",
            "follow_up_on": date(2026, 2, 1),
            "ends_on": date(2026, 3, 1),
        }
        open_one = SafetyNetEpisode.objects.create(**common, state=EpisodeState.INVESTIGATING)
        SafetyNetEpisode.objects.create(
            **common,
            state=EpisodeState.CLOSED,
            outcome=EpisodeOutcome.SYMPTOMS_RESOLVED,
            closed_at=at(date(2026, 2, 1)),
        )
        Investigation.objects.create(
            episode=open_one,
            kind="fit",
            ordered_by=place.gp,
            ordered_at=at(date(2026, 1, 5)),
            expected_by=date(2026, 1, 20),
            state="resulted",
            resulted_at=at(date(2026, 1, 19)),
        )


def test_the_queries_do_not_grow_with_the_number_of_episodes(place: Place) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            cells(YEAR, as_of=AS_OF)
        return len(captured)

    _many(place, 2)
    few = queries()
    _many(place, 20)
    factories.practice()
    many = queries()
    assert find(cells(YEAR, as_of=AS_OF), "safety_nets_open").denominator == 22
    assert few == many
    assert many <= 5

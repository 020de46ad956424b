"""The demo's referrals and advice requests: every state, made through the services at
moments relative to the seed's as-of date, and made only once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from io import StringIO
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Model
from django.test import Client
from django.utils import timezone

from opspor.casework.clock import DEFAULT_CALENDAR
from opspor.casework.models import IdempotencyRecord, Notification
from opspor.demo import cases
from opspor.demo.case_file import AdviceCase, CaseFileError, ReferralCase, load_cases
from opspor.demo.case_moments import AS_OF_TIME, Moment, Timeline
from opspor.demo.management.commands import seed as seed_command
from opspor.demo.region import COPENHAGEN, PRACTICE_ON_CALL_PHONE
from opspor.engine.alternatives import load_catalogue
from opspor.records.models import DiagnosticUnit, Patient, Practice
from opspor.referrals.models import (
    AdviceEvent,
    AdviceRequest,
    Message,
    Referral,
    ReferralEvent,
    UnitSettings,
)
from opspor.referrals.selectors import (
    acknowledgement_overdue,
    advice_overdue,
    first_contact_overdue,
    triage_overdue,
)
from opspor.referrals.workflow import (
    AdviceState,
    NotificationKind,
    ReferralOrigin,
    ReferralState,
)
from tests import factories

# Seeding the demo region (a module fixture) runs in the first test's time.
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

# A Wednesday; the demo is seen as at 15:30 that day.
AS_OF = date(2025, 6, 25)
ANCHOR = datetime.combine(AS_OF, AS_OF_TIME, tzinfo=COPENHAGEN)

MODELS: tuple[type[Model], ...] = (
    Referral,
    ReferralEvent,
    AdviceRequest,
    AdviceEvent,
    Message,
    Notification,
    IdempotencyRecord,
    UnitSettings,
)


def seed(as_of: date | None = AS_OF) -> str:
    out = StringIO()
    arguments: dict[str, Any] = {"patients": 150, "seed": 3, "progress": False}
    if as_of is not None:
        arguments["as_of"] = as_of.isoformat()
    call_command("seed", **arguments, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    tables = {m.__name__: m._default_manager.count() for m in MODELS}
    tables["practice history"] = Practice.history.count()  # type: ignore[attr-defined]
    return tables


@pytest.fixture
def seeded() -> str:
    return seed()


def test_every_state_of_both_workflows_is_there(seeded: str) -> None:
    assert "Demo cases:" in seeded
    states = set(Referral.objects.values_list("state", flat=True))
    assert states == set(ReferralState.values)
    assert set(AdviceRequest.objects.values_list("state", flat=True)) == set(AdviceState.values)

    # As the demo's moment sees them: one of each deadline past, and cases still in time.
    assert Referral.objects.filter(triage_overdue(ANCHOR)).exists()
    assert (
        Referral.objects.filter(state=ReferralState.SENT).exclude(triage_overdue(ANCHOR)).exists()
    )
    assert Referral.objects.filter(first_contact_overdue(ANCHOR)).exists()
    waiting = Referral.objects.filter(state=ReferralState.ACCEPTED, first_contact_at=None)
    assert waiting.exclude(first_contact_overdue(ANCHOR)).exists()
    assert Referral.objects.filter(
        state=ReferralState.ACCEPTED, first_contact_at__isnull=False
    ).exists()
    assert AdviceRequest.objects.filter(advice_overdue(ANCHOR)).exists()
    open_advice = AdviceRequest.objects.filter(state=AdviceState.SENT)
    assert open_advice.exclude(advice_overdue(ANCHOR)).exists()

    incomplete = Referral.objects.filter(state=ReferralState.SENT).exclude(incomplete_reason="")
    assert incomplete.exists() and all(r.completeness for r in incomplete)
    specialist = Referral.objects.get(origin=ReferralOrigin.PRACTISING_SPECIALIST)
    assert specialist.origin_name and specialist.origin_phone
    assert specialist.practice == specialist.patient.practice  # the unit still has the GP
    converted = Referral.objects.get(from_advice__isnull=False)
    assert converted.from_advice is not None
    assert converted.from_advice.state == AdviceState.CLOSED


def test_a_rejection_waits_for_acknowledgement_with_a_plan_from_the_catalogue(
    seeded: str,
) -> None:
    codes = {entry.code for entry in load_catalogue().entries}
    waiting = Referral.objects.filter(state=ReferralState.REJECTED, acknowledged_at=None)
    assert waiting.count() >= 1
    for rejection in waiting:
        assert rejection.alternative_plan_code in codes
        assert rejection.reason_text and rejection.escalation_due_at is not None
        assert rejection.patient_contact_by is not None
        assert rejection.patient_contact_due_at is not None
        notice = Notification.objects.about(rejection).get(kind=NotificationKind.REJECTION)
        assert notice.practice == rejection.practice and notice.read_at is None
    # One is past its escalation deadline, one was made just before the demo's moment.
    assert waiting.filter(acknowledgement_overdue(ANCHOR)).exists()
    assert waiting.exclude(acknowledgement_overdue(ANCHOR)).exists()
    acknowledged = Referral.objects.get(state=ReferralState.REJECTED, acknowledged_at__isnull=False)
    assert acknowledged.alternative_plan_text and acknowledged.acknowledged_by is not None


def test_the_patient_of_the_fresh_rejection_can_log_in_and_see_who_calls() -> None:
    seed(as_of=None)  # today: the page shows recent decisions
    patient = Patient.objects.get(user__username=cases.REJECTED_PATIENT_USERNAME)
    rejection = Referral.objects.get(
        patient=patient, state=ReferralState.REJECTED, acknowledged_at=None
    )
    assert rejection.patient_contact_by is not None
    client = Client(headers={"accept-language": "da"})
    assert client.login(
        username=cases.REJECTED_PATIENT_USERNAME, password=settings.OPSPOR_DEMO_PASSWORD
    )
    page = client.get("/patients/me/").content.decode()
    assert rejection.patient_contact_by.name in page
    assert "kontakter dig senest" in page


def test_threads_have_read_and_unread_messages_on_both_sides(seeded: str) -> None:
    messages = Message.objects.all()
    assert messages.filter(read_at=None).exists()
    assert messages.filter(read_at__isnull=False).exists()
    assert {m.author_side for m in messages} == {"gp", "unit"}
    assert messages.filter(advice_request__isnull=False).exists()
    for message in messages.filter(read_at__isnull=False):
        assert message.read_at is not None and message.read_at >= message.sent_at
        assert message.read_by is not None and message.read_by != message.author
    assert Notification.objects.filter(read_at=None).exists()
    assert Notification.objects.filter(read_at__isnull=False).exists()


def test_events_and_deadlines_are_the_services_own_at_each_moment(seeded: str) -> None:
    settings = {s.unit_id: s for s in UnitSettings.objects.all()}
    for referral in Referral.objects.all():
        events = list(referral.events.order_by("pk"))
        assert events[0].action == "create" and events[-1].to_state == referral.state
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert all(e.at <= ANCHOR for e in events)
        assert referral.created_at == events[0].at
        for earlier, later in pairwise(events):
            assert later.from_state == earlier.to_state
        if referral.sent_at is not None:
            send = next(e for e in events if e.action == "send")
            assert send.at == referral.sent_at
            days = float(settings[referral.unit_id].triage_working_days)
            assert referral.triage_due_at == DEFAULT_CALENDAR.add_working_days(
                referral.sent_at, days
            )
    for advice in AdviceRequest.objects.all():
        events = list(advice.events.order_by("pk"))
        assert events[0].at == advice.sent_at and all(e.at <= ANCHOR for e in events)
    for message in Message.objects.all():
        assert message.sent_at <= ANCHOR


def test_practices_and_units_get_their_contacts_and_settings(seeded: str) -> None:
    for practice in Practice.objects.all():
        assert practice.on_call_phone == PRACTICE_ON_CALL_PHONE
        assert practice.second_contact is not None
        assert practice.second_contact.practice == practice
    assert UnitSettings.objects.count() == DiagnosticUnit.objects.count() == 4


def test_seeding_again_makes_nothing_twice(seeded: str) -> None:
    before = counts()
    again = seed()
    assert "Already seeded" in again and "already there" in again
    assert counts() == before
    assert cases.demo_cases_ensure(as_of=AS_OF).status == "already_seeded"
    assert counts() == before


def test_seeded_today_the_demo_is_current() -> None:
    started = timezone.now()
    seed(as_of=None)
    finished = timezone.now()
    assert Referral.objects.filter(state=ReferralState.DRAFT).exists()
    latest = ReferralEvent.objects.order_by("-at").values_list("at", flat=True).first()
    assert latest is not None and latest <= finished
    # The newest step happened within the last working day before the seed.
    assert DEFAULT_CALENDAR.working_hours_between(latest, started) <= 8


def test_the_timeline_counts_working_days_and_keeps_recent_steps_in_working_time() -> None:
    # Easter 2026: Maundy Thursday (2 April) to Easter Monday (6 April) are closed, so the
    # working day before Tuesday 7 April is Wednesday 1 April.
    timeline = Timeline(anchor=datetime(2026, 4, 7, 12, 0, tzinfo=COPENHAGEN))
    assert timeline.days_ago(1, 9).date() == date(2026, 4, 1)
    assert timeline.days_ago(2, 9).date() == date(2026, 3, 31)
    # At noon on a working day, "recent" is just before the anchor.
    assert timeline.recent(5) == datetime(2026, 4, 7, 11, 55, tzinfo=COPENHAGEN)
    # At night on a Saturday, it is just before Friday's closing.
    night = Timeline(anchor=datetime(2026, 3, 14, 1, 0, tzinfo=COPENHAGEN))
    assert night.recent(5) == datetime(2026, 3, 13, 15, 55, tzinfo=COPENHAGEN)
    # A past as-of date is seen at a fixed afternoon time; today's at the moment itself.
    now = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    assert Timeline.for_as_of(date(2026, 3, 10), now).anchor == datetime.combine(
        date(2026, 3, 10), time(15, 30), tzinfo=COPENHAGEN
    )
    assert Timeline.for_as_of(date(2026, 3, 11), now).anchor == now


def test_a_region_seeded_before_gets_its_contacts_once() -> None:
    unit = factories.unit()
    practice = factories.practice(diagnostic_unit=unit)
    first, second = factories.gp(practice), factories.gp(practice)
    solo = factories.practice(diagnostic_unit=unit, on_call_phone="+45 01 00 00 00")
    only = factories.gp(solo)

    assert cases.contacts_ensure() == 3  # two practices and the unit's settings
    practice.refresh_from_db()
    solo.refresh_from_db()
    assert (practice.second_contact, practice.on_call_phone) == (second, PRACTICE_ON_CALL_PHONE)
    assert (solo.second_contact, solo.on_call_phone) == (only, "+45 01 00 00 00")
    assert first != second
    assert UnitSettings.objects.get(unit=unit).triage_working_days == 1
    # Recorded as a change of the practice, and made once.
    change = practice.history.latest()
    assert (change.history_type, change.history_change_reason) == ("~", cases.CHANGE_REASON)
    before = counts()
    assert cases.contacts_ensure() == 0
    assert counts() == before


# --- the case file ---------------------------------------------------------------------------


def test_the_case_file_holds_the_cases_the_demo_makes(seeded: str) -> None:
    listed = load_cases()
    referrals = [c.name for c in listed if isinstance(c, ReferralCase)]
    advice = [c.name for c in listed if isinstance(c, AdviceCase)]
    assert (len(referrals), len(advice)) == (16, 5)
    assert "Demo cases: 16 referrals and 5 advice requests in every state." in seeded
    made = set(IdempotencyRecord.objects.values_list("key", flat=True))
    assert {cases.KEY_PREFIX + name for name in referrals + advice} <= made
    # Each message of a case has its own key, numbered within the case.
    assert cases.KEY_PREFIX + "appointment-booked-2" in made
    assert Message.objects.count() == 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 minutes ago", datetime(2026, 4, 7, 11, 35, tzinfo=COPENHAGEN)),
        ("1 minute ago", datetime(2026, 4, 7, 11, 59, tzinfo=COPENHAGEN)),
        ("1 working day ago at 09:00", datetime(2026, 4, 1, 9, 0, tzinfo=COPENHAGEN)),
        ("2  working days ago at 14:05", datetime(2026, 3, 31, 14, 5, tzinfo=COPENHAGEN)),
        ("in 5 days at 09:30", datetime(2026, 4, 13, 9, 30, tzinfo=COPENHAGEN)),
    ],
)
def test_a_moment_is_read_from_its_words(text: str, expected: datetime) -> None:
    # Tuesday 7 April 2026 after Easter: the working day before it is Wednesday 1 April.
    timeline = Timeline(anchor=datetime(2026, 4, 7, 12, 0, tzinfo=COPENHAGEN))
    assert Moment.parse(text).on(timeline) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "is not a moment such as"),
        ("3 working days at 10:00", "is not a moment such as"),
        ("in 3 working days ago at 10:00", "is not a moment such as"),
        ("in 3 working days at 10:00", "is not a moment such as"),
        ("2 working days ago at 9:00", "is not a moment such as"),
        (5, "is not a moment such as"),
        ("0 working days ago at 10:00", "counted from 1"),
        ("2 working days ago at 24:00", "24:00 is not a time of day"),
    ],
)
def test_a_moment_in_other_words_is_refused(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Moment.parse(text)


GOOD_CASE = """\
  - referral: one
    gp: laege.hansen
    steps:
      - {do: create, at: 25 minutes ago, pathway: kidney, clinical_question: Blod i urinen.}
      - {do: send, at: 20 minutes ago}
"""


def another(gp: str = "laege.berg", *steps: str, name: str = "two") -> str:
    lines = [f"  - referral: {name}", f"    gp: {gp}", "    steps:"]
    return "\n".join(lines + [f"      - {step}" for step in steps]) + "\n"


SPECIALIST = (
    "{do: create, at: 1 minute ago, pathway: lung, origin: practising_specialist, "
    "origin_name: Klinik, origin_phone: +45 33 12 34 56}"
)
BAD_CASE_FILES: list[tuple[str, str]] = [
    ("      - {do: approve, at: 5 minutes ago}\n", "approve"),
    ("      - {do: accept, at: soon}\n", "'soon' is not a moment"),
    ("      - {do: accept, at: 5 minutes ago, by: gp}\n", "Extra inputs are not permitted"),
    ("      - {do: message, at: 5 minutes ago, by: nurse, body: Hej}\n", "nurse"),
    ("      - {do: ask, at: 5 minutes ago, question: Hvorfor?}\n", "ask"),
    ("      - {do: create, at: 5 minutes ago, pathway: kidney}\n", "only that one"),
    (
        another("laege.hansen", "{do: create, at: 1 minute ago, pathway: lung}", name="one"),
        "two cases are named 'one'",
    ),
    (another("laege.ukendt", "{do: create, at: 1 minute ago, pathway: kidney}"), "not a demo GP"),
    # Not a pathway a GP refers to (liver became one when every Danish pathway was offered).
    (another("laege.berg", "{do: create, at: 1 minute ago, pathway: spleen}"), "pathway 'spleen'"),
    (
        another("laege.berg", "{do: create, at: 1 minute ago, pathway: dpf, from_advice: one}"),
        "`from_advice: one` names no advice case before it",
    ),
    (another("laege.berg", "{do: send, at: 1 minute ago}"), "starts with `create`"),
    (another("laege.berg", SPECIALIST), "could be a real number"),
    ("  - patient: two\n    gp: laege.berg\n    steps: []\n", "its `referral` or its `advice`"),
]


@pytest.mark.parametrize(("added", "message"), BAD_CASE_FILES)
def test_a_malformed_case_file_is_refused_with_what_is_wrong(
    tmp_path: Path, added: str, message: str
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n" + GOOD_CASE, encoding="utf-8")
    assert [c.name for c in load_cases(path)] == ["one"]
    path.write_text("cases:\n" + GOOD_CASE + added, encoding="utf-8")
    with pytest.raises(CaseFileError, match=re.escape(message)):
        load_cases(path)


def test_a_malformed_case_file_stops_the_seed_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n  - referral: one\n    gp: laege.hansen\n", encoding="utf-8")
    monkeypatch.setattr(seed_command, "load_cases", lambda: load_cases(path))
    with pytest.raises(CommandError, match=r"(?s)cases\.yaml: .*steps.*Field required"):
        seed()
    assert Practice.objects.count() == Patient.objects.count() == 0
    assert {name: n for name, n in counts().items() if n} == {}


def test_a_refused_step_makes_none_of_the_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cases.yaml"
    # Once withdrawn, a referral cannot be accepted: the workflow refuses the fourth step.
    steps = "      - {do: withdraw, at: 10 minutes ago}\n      - {do: accept, at: 5 minutes ago}\n"
    path.write_text("cases:\n" + GOOD_CASE + steps, encoding="utf-8")
    monkeypatch.setattr(seed_command, "load_cases", lambda: load_cases(path))
    with pytest.raises(CommandError, match=r"No demo cases made: one, step 4 \(accept\): "):
        seed()
    # The region was seeded on its own; no case, contact or unit setting of the demo is there.
    assert Patient.objects.exists()
    assert {name: n for name, n in counts().items() if n} == {
        "practice history": Practice.objects.count()
    }

"""The engine's signals for the practice's patients: computed for a whole practice and for
one patient alike, stored with their date, on the worklist only for patients without a live
safety net, and taken off only by an action (an episode opened, a dismissal with a reason)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.accounts.models import User
from opspor.accounts.tokens import api_token_issue
from opspor.casework.errors import WorkflowError
from opspor.engine.assess import assess
from opspor.records.context import build_patient_context
from opspor.records.models import AccessLogEntry, Condition, Contact, Patient, Practice, Symptom
from opspor.safetynet import services
from opspor.safetynet.models import PatientSignal, SignalDismissal, SignalRun
from opspor.safetynet.signal_compute import (
    patient_signals_compute,
    practice_signals_compute,
    stored_signals,
)
from opspor.safetynet.signal_dismissal import signal_dismiss
from opspor.safetynet.worklist import ItemKind, practice_worklist
from tests import factories
from tests.referrals.background import run_queue
from tests.referrals.worlds import World, make_world, patient_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 11)
SIGNAL_KINDS = {
    ItemKind.PATTERN_BREAK,
    ItemKind.LONG_ABSENCE,
    ItemKind.REPEAT_SYMPTOM,
    ItemKind.LOW_USER_RISE,
}


def seen(patient: Patient, *days_ago: int, today: date = TODAY) -> list[Contact]:
    """Contacts on these days before `today` (bulk: no recomputation is asked for)."""
    return Contact.objects.bulk_create(
        Contact(
            patient=patient,
            practice_id=patient.practice_id,
            at=datetime.combine(today - timedelta(days=d), time(9, 0), tzinfo=UTC),
            kind=Contact.Kind.CONSULTATION,
        )
        for d in days_ago
    )


def consulted(patient: Patient, code: str, *days_ago: int) -> None:
    for contact in seen(patient, *days_ago):
        day = contact.at.date()
        Symptom.objects.create(
            patient=patient, contact=contact, code=code, onset=day, recorded_on=day
        )


def rare_attender_breaks(patient: Patient) -> None:
    # Two contacts in the three years before, then five in nine weeks.
    seen(patient, 1, 10, 20, 40, 60, 400, 900)


def kinds_of(patient: Patient) -> set[str]:
    return set(stored_signals(patient.pk))


@pytest.fixture
def world() -> World:
    return make_world()


def compute(world: World, **kwargs: object) -> int:
    values: dict[str, object] = {"practice_id": world.patient.practice_id, "as_of": TODAY}
    values["now"] = NOW
    values.update(kwargs)
    return practice_signals_compute(**values)  # type: ignore[arg-type]


def signal_items(user: User, now: datetime = NOW) -> list[tuple[ItemKind, int]]:
    return [
        (item.kind, item.patient_id)
        for item in practice_worklist(user=user, now=now)
        if item.kind in SIGNAL_KINDS
    ]


# --- computing and storing ---------------------------------------------------------------


def test_the_practice_computation_stores_each_signal_with_its_date_and_figures(
    world: World,
) -> None:
    practice = world.patient.practice
    low_user, returning, repeating, regular = (
        world.patient,
        patient_in(practice),
        patient_in(practice),
        patient_in(practice),
    )
    rare_attender_breaks(low_user)
    seen(returning, 2, 1500)
    consulted(repeating, "weight_loss", 10, 100, 200)
    seen(regular, *range(5, 1095, 45))

    assert compute(world) == 4

    assert kinds_of(low_user) == {"low_user_rise"}
    assert kinds_of(returning) == {"long_absence"}
    assert kinds_of(repeating) == {"repeat_symptom"}
    assert kinds_of(regular) == set()
    row = PatientSignal.objects.get(patient=low_user)
    assert (row.as_of, row.computed_at, row.practice_id) == (TODAY, NOW, practice.pk)
    assert row.figures["recent"] == 5
    assert row.figures["baseline"] == 2
    assert row.last_contact_at == datetime.combine(TODAY - timedelta(days=1), time(9), UTC)
    assert stored_signals(returning.pk)["long_absence"]["gap_days"] == 1498
    assert stored_signals(repeating.pk)["repeat_symptom"]["symptoms"] == {"weight_loss": 3}
    run = SignalRun.objects.get(practice=practice)
    assert (run.as_of, run.patients, run.source) == (TODAY, 4, SignalRun.Source.WORKER)


def test_a_new_computation_replaces_the_practices_rows(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    assert kinds_of(world.patient) == {"low_user_rise"}
    # Half a year later the five visits are the baseline: no break any more.
    later = TODAY + timedelta(days=180)
    compute(world, as_of=later, now=NOW + timedelta(days=180))
    assert kinds_of(world.patient) == set()
    assert SignalRun.objects.get(practice=world.patient.practice).as_of == later


def test_a_symptom_the_record_explains_is_not_a_repeat_symptom(world: World) -> None:
    consulted(world.patient, "cough", 10, 100, 200)
    Condition.objects.create(patient=world.patient, code="J44", system="icd10", chronic=True)
    compute(world)
    assert kinds_of(world.patient) == set()


def test_patients_no_longer_listed_have_no_signals(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    Patient.objects.filter(pk=world.patient.pk).update(registered_to=TODAY - timedelta(days=1))
    assert compute(world) == 0
    assert kinds_of(world.patient) == set()
    assert patient_signals_compute(patient_id=world.patient.pk, as_of=TODAY, now=NOW) == []


def test_the_practice_computation_is_a_fixed_number_of_queries(world: World) -> None:
    practice = world.patient.practice

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            compute(world)
        return len(captured)

    rare_attender_breaks(world.patient)
    consulted(patient_in(practice), "weight_loss", 10, 100, 200)
    compute(world)  # the practice's run row exists from now on
    small = queries()
    for _ in range(15):
        patient = patient_in(practice)
        rare_attender_breaks(patient)
        consulted(patient, "weight_loss", 10, 100, 200)
    assert queries() == small


def _patients(
    practice: Practice, histories: list[tuple[list[int], list[tuple[str, int]], int]]
) -> list[Patient]:
    made = []
    for contact_days, symptoms, registered_days in histories:
        patient = factories.patient(
            practice, registered_from=TODAY - timedelta(days=registered_days)
        )
        seen(patient, *[d for d in contact_days if d <= registered_days])
        for code, d in symptoms:
            day = TODAY - timedelta(days=d)
            Symptom.objects.create(patient=patient, code=code, onset=day, recorded_on=day)
        made.append(patient)
    return made


history = st.tuples(
    st.lists(st.integers(min_value=0, max_value=1500), max_size=25),
    st.lists(st.tuples(st.sampled_from(["cough", "weight_loss"]), st.integers(0, 400)), max_size=6),
    st.integers(min_value=30, max_value=4000),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(history, min_size=1, max_size=4))
def test_practice_and_patient_computations_agree_with_each_other_and_the_assessment(
    histories: list[tuple[list[int], list[tuple[str, int]], int]],
) -> None:
    practice = factories.practice()
    patients = _patients(practice, histories)
    practice_signals_compute(practice_id=practice.pk, as_of=TODAY, now=NOW)
    by_practice = {p.pk: stored_signals(p.pk) for p in patients}
    for patient in patients:
        patient_signals_compute(patient_id=patient.pk, as_of=TODAY, now=NOW)
        assert stored_signals(patient.pk) == by_practice[patient.pk]
        context = build_patient_context(patient, as_of=TODAY, current_clinician_id=None)
        findings = {f.kind for f in assess(context).findings}
        stored = by_practice[patient.pk]
        assert ("pattern_break" in findings) == bool(
            {"pattern_break", "low_user_rise"} & set(stored)
        )
        assert ("long_absence" in findings) == ("long_absence" in stored)


# --- the worker ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_new_contact_recomputes_its_patient(world: World) -> None:
    today = date.today()
    seen(world.patient, 1500, today=today)
    patient_signals_compute(patient_id=world.patient.pk)
    assert kinds_of(world.patient) == set()
    factories.contact(world.patient, on=today)  # committed at once: a task is queued
    assert DBTaskResult.objects.count() == 1
    run_queue()
    assert kinds_of(world.patient) == {"long_absence"}
    assert PatientSignal.objects.get(patient=world.patient).as_of == today


# --- the worklist ----------------------------------------------------------------------------


def test_signals_are_items_after_the_case_items_with_their_figures(world: World) -> None:
    practice = world.patient.practice
    returning = patient_in(practice)
    rare_attender_breaks(world.patient)
    seen(returning, 2, 1500)
    compute(world)
    items = practice_worklist(user=world.gp, now=NOW)
    assert [(i.kind, i.patient_id) for i in items] == [
        (ItemKind.LONG_ABSENCE, returning.pk),
        (ItemKind.LOW_USER_RISE, world.patient.pk),
    ]
    low = items[1]
    assert low.since == TODAY
    assert low.detail.startswith("5 ")
    assert "90" in low.detail
    assert low.case_url == reverse("records:patient_overview", args=[world.patient.pk])
    assert low.dismiss_url == reverse(
        "safetynet:signal_dismiss", args=[world.patient.pk, "low_user_rise"]
    )
    assert all(kind > ItemKind.SAFETY_NET_ENDED for kind in SIGNAL_KINDS)
    # Another practice's GP sees none of them.
    assert signal_items(world.stranger_gp) == []


def test_opening_a_safety_net_takes_the_patients_signals_off(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    assert signal_items(world.gp) == [(ItemKind.LOW_USER_RISE, world.patient.pk)]
    services.episode_open(
        patient=world.patient,
        by=world.gp,
        reason="wait_and_see",
        follow_up_on=TODAY + timedelta(days=14),
        ends_on=TODAY + timedelta(days=42),
        now=NOW,
    )
    assert signal_items(world.gp) == []
    # The signal is still stored: the next computation has it; only the item is gone.
    assert kinds_of(world.patient) == {"low_user_rise"}


def test_the_worklists_signals_are_one_query_however_many(world: World) -> None:
    practice = world.patient.practice

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            practice_worklist(user=world.gp, now=NOW)
        return len(captured)

    rare_attender_breaks(world.patient)
    compute(world)
    one = queries()
    for _ in range(10):
        patient = patient_in(practice)
        rare_attender_breaks(patient)
        consulted(patient, "weight_loss", 10, 100, 200)
    compute(world)
    assert len(signal_items(world.gp)) == 21
    assert queries() == one


# --- dismissing with a reason ----------------------------------------------------------------


def dismissal_state() -> tuple[int, list[tuple[int, str]]]:
    return SignalDismissal.objects.count(), sorted(
        PatientSignal.objects.values_list("patient_id", "kind")
    )


def test_a_dismissed_signal_stays_off_until_the_next_contact(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    dismissal = signal_dismiss(
        by=world.other_gp,
        patient_id=world.patient.pk,
        kind="low_user_rise",
        reason="Gravid, kontroller i svangreomsorgen",
        now=NOW,
    )
    assert (dismissal.by, dismissal.as_of, dismissal.figures["recent"]) == (
        world.other_gp,
        TODAY,
        5,
    )
    assert signal_items(world.gp) == []
    # The night's computation changes nothing: no new contact, still dismissed.
    compute(world, now=NOW + timedelta(hours=20))
    assert signal_items(world.gp) == []
    # A new contact, and the signal still holds: back for a fresh look.
    seen(world.patient, 0)
    patient_signals_compute(patient_id=world.patient.pk, as_of=TODAY, now=NOW)
    assert signal_items(world.gp) == [(ItemKind.LOW_USER_RISE, world.patient.pk)]
    assert SignalDismissal.objects.count() == 1


def test_a_second_dismissal_of_the_same_look_is_refused(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    signal_dismiss(by=world.gp, patient_id=world.patient.pk, kind="low_user_rise", reason="Set")
    before = dismissal_state()
    with pytest.raises(WorkflowError, match="already dismissed") as refused:
        signal_dismiss(
            by=world.other_gp, patient_id=world.patient.pk, kind="low_user_rise", reason="Også"
        )
    assert refused.value.code == "not_allowed"
    assert dismissal_state() == before


@pytest.mark.parametrize(
    ("who", "kind", "reason", "code"),
    [
        ("doctor", "low_user_rise", "Set", "forbidden"),
        ("stranger_gp", "low_user_rise", "Set", "forbidden"),
        ("gp", "low_user_rise", "", "invalid"),
        ("gp", "low_user_rise", " \u200b\u2060 ", "invalid"),
        ("gp", "no_such_signal", "Set", "invalid"),
        ("gp", "long_absence", "Set", "not_allowed"),  # the patient has no such signal
    ],
)
def test_a_refused_dismissal_changes_nothing(
    world: World, who: str, kind: str, reason: str, code: str
) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    before = dismissal_state()
    with pytest.raises(WorkflowError) as refused:
        signal_dismiss(
            by=getattr(world, who), patient_id=world.patient.pk, kind=kind, reason=reason
        )
    assert refused.value.code == code
    assert dismissal_state() == before
    assert signal_items(world.gp) == [(ItemKind.LOW_USER_RISE, world.patient.pk)]


# --- the form on the worklist ----------------------------------------------------------------


def _post(user: User, patient_id: int, kind: str, **data: str) -> tuple[int, str, list[str]]:
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("safetynet:signal_dismiss", args=[patient_id, kind]), data, follow=False
    )
    shown = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    return response.status_code, response.get("Location", ""), shown


def test_the_form_dismisses_and_goes_back_to_a_page_of_this_site(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    status, location, shown = _post(
        world.gp, world.patient.pk, "low_user_rise", reason="Kendt", next="/safety-nets/"
    )
    assert (status, location) == (302, "/safety-nets/")
    assert "efter næste kontakt" in shown[0]
    assert signal_items(world.gp) == []


def test_the_form_never_redirects_off_the_site(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    _, location, _ = _post(
        world.gp, world.patient.pk, "low_user_rise", reason="Kendt", next="https://evil.example/"
    )
    assert location == reverse("records:patient_overview", args=[world.patient.pk])


def test_the_form_shows_a_refusal_and_changes_nothing(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    before = dismissal_state()
    status, location, shown = _post(world.gp, world.patient.pk, "low_user_rise", reason="\u200b")
    assert (status, location) == (302, reverse("records:patient_overview", args=[world.patient.pk]))
    assert shown == ["Skriv, hvorfor signalet ikke kræver noget nu."]
    assert dismissal_state() == before


def test_the_form_is_for_the_patients_gps_only(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    before = dismissal_state(), AccessLogEntry.objects.count()
    assert _post(world.doctor, world.patient.pk, "low_user_rise", reason="x")[0] == 403
    assert _post(world.stranger_gp, world.patient.pk, "low_user_rise", reason="x")[0] == 404
    assert (dismissal_state(), AccessLogEntry.objects.count()) == before


# --- the API ---------------------------------------------------------------------------------

_keys = itertools.count(1)


def api(user: User, body: dict[str, object], key: str = "") -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {api_token_issue(user=user)}"}
    if key:
        headers["Idempotency-Key"] = key
    response = Client().post(
        "/api/v1/worklist/dismissals", body, content_type="application/json", headers=headers
    )
    return response.status_code, response.json()


def test_the_api_dismisses_once_per_key(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    body = {"patient_id": world.patient.pk, "kind": "low_user_rise", "reason": "Kendt forløb"}
    status, first = api(world.gp, body, key="dismiss-1")
    assert status == 201
    assert (first["kind"], first["reason"], first["dismissed_by"]) == (
        "low_user_rise",
        "Kendt forløb",
        world.gp.pk,
    )
    status, again = api(world.gp, body, key="dismiss-1")
    assert (status, again["id"]) == (201, first["id"])
    assert SignalDismissal.objects.count() == 1
    status, error = api(world.gp, body | {"reason": "Noget andet"}, key="dismiss-1")
    assert (status, error["code"]) == (422, "key_reused")
    # Without the key, a second dismissal is a second decision: refused while one holds.
    status, error = api(world.gp, body, key="dismiss-2")
    assert (status, error["code"]) == (409, "not_allowed")
    assert SignalDismissal.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "change", "status"),
    [
        ("doctor", {}, 403),
        ("stranger_gp", {}, 404),
        ("gp", {"reason": "\u200b "}, 422),
        ("gp", {"kind": "nonsense"}, 422),
        ("gp", {"patient_id": 0}, 422),
    ],
)
def test_the_api_refuses_and_changes_nothing(
    world: World, who: str, change: dict[str, object], status: int
) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    before = dismissal_state(), AccessLogEntry.objects.count()
    body = {"patient_id": world.patient.pk, "kind": "low_user_rise", "reason": "Kendt"} | change
    assert api(getattr(world, who), body, key=f"k{next(_keys)}")[0] == status
    assert (dismissal_state(), AccessLogEntry.objects.count()) == before


def test_the_overview_it_returns_to_shows_what_happened(world: World) -> None:
    rare_attender_breaks(world.patient)
    compute(world)
    client = Client()
    client.force_login(world.gp)
    response = client.post(
        reverse("safetynet:signal_dismiss", args=[world.patient.pk, "low_user_rise"]),
        {"reason": "Kendt"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Signalet kommer igen, hvis det stadig gælder efter næste kontakt." in (
        response.content.decode()
    )

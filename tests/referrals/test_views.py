"""The referral screens: what each side sees, what it may do, and what it may not."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.models import Notification
from opspor.records.models import AccessLogEntry, Patient, Practice
from opspor.referrals import services
from opspor.referrals.models import (
    AdviceEvent,
    AdviceRequest,
    Message,
    Referral,
    ReferralEvent,
)
from opspor.referrals.workflow import AdviceState, ReferralOrigin, ReferralState
from tests import factories

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _factory_numbering_left_as_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # `factories.cpr_for` wraps its serials; a range of our own keeps the shared counter
    # where the tests after these expect it.
    monkeypatch.setattr(factories, "_counter", itertools.count(2_000_000))


@dataclass
class Sides:
    gp: User
    other_gp: User  # a GP of the same practice
    doctor: User
    stranger_gp: User  # a GP of another practice
    stranger_doctor: User  # a doctor of another unit
    practice: Practice
    patient: Patient


def _patient(practice: Practice, *, born: date = date(1958, 4, 2), **fields: Any) -> Patient:
    cpr = f"{born:%d%m%y}{next(_serial) % 4000:04d}"
    return factories.patient(practice, birth_date=born, cpr=cpr, **fields)


@pytest.fixture
def sides() -> Sides:
    unit = factories.unit(on_call_phone="38 62 00 99", name="Diagnostisk Enhed Nord")
    practice = factories.practice(
        diagnostic_unit=unit, name="Lægerne i Byen", direct_phone="33 12 34 56"
    )
    gp, other_gp = factories.gp(practice).user, factories.gp(practice).user
    doctor = factories.unit_doctor(unit).user
    stranger_gp, stranger_doctor = factories.gp().user, factories.unit_doctor().user
    assert gp and other_gp and doctor and stranger_gp and stranger_doctor
    return Sides(
        gp=gp,
        other_gp=other_gp,
        doctor=doctor,
        stranger_gp=stranger_gp,
        stranger_doctor=stranger_doctor,
        practice=practice,
        patient=_patient(practice, name="Karen Holm"),
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def _sent(sides: Sides, **fields: Any) -> Referral:
    values: dict[str, Any] = {"informed_about_kraeft": True} | fields
    draft = services.referral_create_draft(
        by=sides.gp,
        patient=values.pop("patient", sides.patient),
        pathway=values.pop("pathway", "kidney"),
        clinical_question="Macroscopic haematuria",
        **values,
    )
    return services.referral_send(referral=draft, by=sides.gp)


def _snapshot(referral: Referral) -> tuple[str, int, int, int]:
    referral.refresh_from_db()
    return (
        referral.state,
        ReferralEvent.objects.filter(referral=referral).count(),
        Message.objects.filter(referral=referral).count(),
        Notification.objects.about(referral).count(),
    )


REFERRAL_FORM = {
    "pathway": "kidney",
    "clinical_question": "Visible haematuria, 68 years",
    "informed_about_kraeft": "on",
    "origin": ReferralOrigin.GENERAL_PRACTICE,
    "token": "a" * 32,
}


# --- the GP's forms --------------------------------------------------------------------


def test_the_overview_links_to_the_referral_and_advice_forms(sides: Sides) -> None:
    page = _html(
        _client(sides.gp).get(reverse("records:patient_overview", args=[sides.patient.pk]))
    )
    assert reverse("referrals:new", args=[sides.patient.pk]) in page
    assert reverse("referrals:advice_new", args=[sides.patient.pk]) in page


def test_the_referral_form_is_prefilled_and_shows_what_is_missing(sides: Sides) -> None:
    response = _client(sides.gp).get(reverse("referrals:new", args=[sides.patient.pk]))
    page = _html(response)
    assert response.status_code == 200
    assert "Karen Holm" in page and "Diagnostisk Enhed Nord" in page
    assert 'data-testid="completeness" data-complete="false"' in page
    assert "Patienten er ikke blevet fortalt" in page  # the kræft tick is missing
    # Under 75 and not marked frail: the frailty section is there, but folded away.
    assert 'id="frailty" data-testid="frailty" hidden' in page
    assert AccessLogEntry.objects.filter(patient=sides.patient, what="referral form").exists()


def test_the_frailty_section_is_required_from_75(sides: Sides) -> None:
    old = _patient(sides.practice, born=date(timezone.localdate().year - 80, 1, 1))
    client = _client(sides.gp)
    page = _html(client.get(reverse("referrals:new", args=[old.pk])))
    assert 'data-testid="frailty-required"' in page
    assert 'id="frailty" data-testid="frailty" hidden' not in page
    response = client.post(
        reverse("referrals:new", args=[old.pk]),
        REFERRAL_FORM | {"action": "check"},
        HTTP_HX_REQUEST="true",
    )
    fragment = _html(response)
    assert "Skrøbelighed: Clinical Frailty Scale" in fragment
    assert "<html" not in fragment  # htmx gets only the completeness box


def test_an_incomplete_referral_is_not_sent_without_a_reason(sides: Sides) -> None:
    client = _client(sides.gp)
    url = reverse("referrals:new", args=[sides.patient.pk])
    form = REFERRAL_FORM | {"informed_about_kraeft": "", "action": "send"}
    del form["informed_about_kraeft"]
    response = client.post(url, form)
    assert response.status_code == 422
    page = _html(response)
    assert 'data-testid="error"' in page and "Henvisningen er ufuldstændig" in page
    assert "Visible haematuria, 68 years" in page  # what was typed is kept
    assert not Referral.objects.exists()  # not even a draft

    response = client.post(url, form | {"incomplete_reason": "Urgent; told by phone later"})
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.state == ReferralState.SENT
    assert referral.completeness == [{"item": "informed_about_kraeft"}]
    assert referral.findings["ruleset"]  # the engine's findings are attached


def test_a_double_submitted_referral_form_sends_one_referral(sides: Sides) -> None:
    client = _client(sides.gp)
    url = reverse("referrals:new", args=[sides.patient.pk])
    first = client.post(url, REFERRAL_FORM | {"action": "send"})
    second = client.post(url, REFERRAL_FORM | {"action": "send"})
    referral = Referral.objects.get()
    assert first["Location"] == second["Location"] == f"/referrals/{referral.pk}/"
    assert referral.state == ReferralState.SENT
    assert ReferralEvent.objects.filter(referral=referral).count() == 2  # create, send


def test_a_specialist_referral_needs_the_clinic_and_its_phone(sides: Sides) -> None:
    client = _client(sides.gp)
    url = reverse("referrals:new", args=[sides.patient.pk])
    form = REFERRAL_FORM | {"action": "send", "origin": ReferralOrigin.PRACTISING_SPECIALIST}
    response = client.post(url, form)
    assert response.status_code == 422
    assert not Referral.objects.exists()
    client.post(url, form | {"origin_name": "Urologisk Klinik", "origin_phone": "33 99 88 77"})
    referral = Referral.objects.get()
    assert (referral.origin_name, referral.origin_phone) == ("Urologisk Klinik", "33 99 88 77")
    # The unit sees the specialist and still reaches the patient's own GP.
    page = _html(_client(sides.doctor).get(reverse("referrals:detail", args=[referral.pk])))
    assert 'data-testid="contacts-specialist"' in page and "33 99 88 77" in page
    assert "33 12 34 56" in page  # the practice's direct number


def test_advice_is_asked_answered_and_becomes_a_referral_without_retyping(sides: Sides) -> None:
    gp, doctor = _client(sides.gp), _client(sides.doctor)
    url = reverse("referrals:advice_new", args=[sides.patient.pk])
    page = _html(gp.get(url))
    assert "Diagnostisk Enhed Nord" in page and "38 62 00 01" in page
    form = {"question": "Weight loss 6 kg, normal blood tests: refer?", "token": "b" * 32}
    first, second = gp.post(url, form), gp.post(url, form)
    advice = AdviceRequest.objects.get()  # one, though posted twice
    assert first["Location"] == second["Location"] == f"/advice/{advice.pk}/"
    assert advice.unit == sides.practice.diagnostic_unit
    assert "findings" in advice.patient_summary

    # Not answered yet: it cannot become a referral.
    response = gp.get(reverse("referrals:advice_convert", args=[advice.pk]))
    assert response.status_code == 302 and not Referral.objects.exists()

    response = doctor.post(reverse("referrals:advice_answer", args=[advice.pk]), {"answer": ""})
    assert response.status_code == 422
    doctor.post(reverse("referrals:advice_answer", args=[advice.pk]), {"answer": "Yes, refer."})
    advice.refresh_from_db()
    assert advice.state == AdviceState.ANSWERED

    page = _html(gp.get(reverse("referrals:advice_convert", args=[advice.pk])))
    assert "Weight loss 6 kg, normal blood tests: refer?" in page  # prefilled
    assert "Yes, refer." in page
    response = gp.post(
        reverse("referrals:advice_convert", args=[advice.pk]),
        {
            "pathway": "dpf",
            "clinical_question": "Weight loss 6 kg, normal blood tests: refer?",
            "informed_about_kraeft": "on",
            "origin": ReferralOrigin.GENERAL_PRACTICE,
            "incomplete_reason": "Tests to follow",
            "token": "c" * 32,
            "action": "send",
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.from_advice == advice and referral.state == ReferralState.SENT
    assert referral.findings == advice.patient_summary
    advice.refresh_from_db()
    assert advice.state == AdviceState.CLOSED


# --- the lists -------------------------------------------------------------------------


def test_the_gp_list_puts_an_unacknowledged_rejection_first(sides: Sides) -> None:
    waiting = _sent(sides)
    rejected = _sent(sides)
    services.referral_reject(
        referral=rejected,
        by=sides.doctor,
        reason_category="investigations_first",
        reason_text="CT first",
        alternative_plan_code="direct_ct_thorax_abdomen",
    )
    client = _client(sides.gp)
    page = _html(client.get(reverse("referrals:list")))
    assert 'data-testid="rejections"' in page
    assert page.index(f'data-referral="{rejected.pk}"') < page.index('data-testid="referral-table"')
    assert "CT first" in page and "CT af thorax og abdomen med direkte henvisning" in page
    rows = page[page.index('data-testid="referral-table"') :]
    assert rows.index('data-state="rejected"') < rows.index('data-state="sent"')
    assert waiting.pk

    response = client.post(
        reverse("referrals:acknowledge_rejection", args=[rejected.pk]), {"next": "list"}
    )
    assert response["Location"] == reverse("referrals:list")
    rejected.refresh_from_db()
    assert rejected.acknowledged_by == sides.gp
    assert 'data-testid="rejections"' not in _html(client.get(reverse("referrals:list")))


def test_overdue_items_are_highlighted_and_counted_on_both_sides(sides: Sides) -> None:
    late = _sent(sides)
    Referral.objects.filter(pk=late.pk).update(triage_due_at=timezone.now() - timedelta(days=3))
    _sent(sides)
    gp_page = _html(_client(sides.gp).get(reverse("referrals:list")))
    assert '<li class="is-overdue" data-testid="count-overdue"><span class="count">1</span>' in (
        gp_page
    )
    inbox = _html(_client(sides.doctor).get(reverse("referrals:unit_inbox")))
    assert 'data-testid="count-triage-overdue"><span class="count">1</span>' in inbox
    assert inbox.count('class="is-overdue" data-testid="inbox-row"') == 1
    assert "Overskredet med" in inbox


def test_the_inbox_is_sorted_by_deadline_and_shows_what_is_missing(sides: Sides) -> None:
    first = _sent(sides)
    incomplete = services.referral_send(
        referral=services.referral_create_draft(
            by=sides.gp, patient=sides.patient, pathway="kidney"
        ),
        by=sides.gp,
        incomplete_reason="Urgent",
    )
    assert first.triage_due_at is not None
    Referral.objects.filter(pk=incomplete.pk).update(
        triage_due_at=first.triage_due_at - timedelta(hours=1)
    )
    draft = services.referral_create_draft(by=sides.gp, patient=sides.patient, pathway="lung")
    page = _html(_client(sides.doctor).get(reverse("referrals:unit_inbox")))
    assert page.index(f'data-id="{incomplete.pk}"') < page.index(f'data-id="{first.pk}"')
    assert f'data-id="{draft.pk}"' not in page  # the practice's own until sent
    assert "1 mangler" in page and "Patienten er ikke blevet fortalt" in page
    assert 'data-testid="count-incomplete"><span class="count">1</span>' in page


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("tab", ["triage", "contact", "advice", "decided"])
def test_the_inbox_costs_the_same_number_of_queries_for_few_and_many(
    sides: Sides, tab: str
) -> None:
    client = _client(sides.doctor)
    url = reverse("referrals:unit_inbox") + f"?tab={tab}"

    def add(n: int) -> None:
        for _ in range(n):
            patient = _patient(sides.practice)
            referral = _sent(sides, patient=patient)
            if tab in {"contact", "decided"}:
                services.referral_accept(referral=referral, by=sides.doctor)
            services.advice_request_send(patient=patient, by=sides.gp, question="?")

    add(2)
    few = _queries(client, url)
    add(20)
    many = _queries(client, url)
    assert few == many
    assert many <= 12


def test_the_gp_list_costs_the_same_number_of_queries_for_few_and_many(sides: Sides) -> None:
    client = _client(sides.gp)
    url = reverse("referrals:list")

    def add(n: int) -> None:
        for _ in range(n):
            referral = _sent(sides, patient=_patient(sides.practice))
            services.referral_reject(
                referral=referral,
                by=sides.doctor,
                reason_category="other",
                reason_text="No",
                alternative_plan_text="Repeat blood tests in 3 weeks",
            )

    add(2)
    few = _queries(client, url)
    add(10)
    assert _queries(client, url) == few


# --- triage dialogs --------------------------------------------------------------------


def test_a_rejection_without_a_plan_is_refused_and_changes_nothing(sides: Sides) -> None:
    referral = _sent(sides)
    before = _snapshot(referral)
    response = _client(sides.doctor).post(
        reverse("referrals:reject", args=[referral.pk]),
        {"reason_category": "investigations_first", "reason_text": "CT first"},
    )
    assert response.status_code == 422
    page = _html(response)
    assert "En afvisning kræver en alternativ plan" in page
    assert 'id="dialog-reject"' in page and "data-open-modal" in page  # the dialog stays open
    assert "CT first" in page  # with what was typed
    assert _snapshot(referral) == before


def test_a_rejection_with_a_plan_notifies_the_practice(sides: Sides) -> None:
    referral = _sent(sides)
    response = _client(sides.doctor).post(
        reverse("referrals:reject", args=[referral.pk]),
        {
            "reason_category": "investigations_first",
            "reason_text": "CT first",
            "alternative_plan_code": "direct_ct_thorax_abdomen",
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == ReferralState.REJECTED
    assert Notification.objects.about(referral).filter(practice=sides.practice).exists()
    page = _html(_client(sides.gp).get(reverse("records:practice_patients")))
    assert "1 ulæst notifikation" in page


def test_accept_first_contact_and_booking(sides: Sides) -> None:
    referral = _sent(sides)
    doctor = _client(sides.doctor)
    assert doctor.post(reverse("referrals:accept", args=[referral.pk])).status_code == 302
    referral.refresh_from_db()
    assert referral.state == ReferralState.ACCEPTED and referral.first_contact_due_at
    # A second click on accept is refused with a reason and changes nothing.
    before = _snapshot(referral)
    response = doctor.post(reverse("referrals:accept", args=[referral.pk]))
    assert response.status_code == 409
    assert "kan ikke gøres" in _html(response)
    assert _snapshot(referral) == before

    doctor.post(reverse("referrals:record_first_contact", args=[referral.pk]), {"note": "Phoned"})
    response = doctor.post(
        reverse("referrals:book_appointment", args=[referral.pk]),
        {"appointment_at": "2031-05-06T09:30"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == ReferralState.APPOINTMENT_BOOKED
    assert timezone.localtime(referral.appointment_at).hour == 9
    assert referral.first_contact_at is not None


def test_two_doctors_deciding_on_one_screen_get_one_decision_and_a_conflict(
    sides: Sides,
) -> None:
    referral = _sent(sides)
    colleague = factories.unit_doctor(referral.unit).user
    assert colleague is not None
    first, second = _client(sides.doctor), _client(colleague)
    # Both opened the referral while it was waiting for triage.
    for client in (first, second):
        assert 'name="seen" value="sent"' in _html(
            client.get(reverse("referrals:detail", args=[referral.pk]))
        )
    assert (
        first.post(reverse("referrals:accept", args=[referral.pk]), {"seen": "sent"}).status_code
        == 302
    )
    before = _snapshot(referral)
    response = second.post(
        reverse("referrals:reject", args=[referral.pk]),
        {
            "seen": "sent",
            "reason_category": "other",
            "reason_text": "Not for us",
            "alternative_plan_text": "Repeat blood tests",
        },
    )
    assert response.status_code == 409
    page = _html(response)
    assert "En anden ændrede sagen først" in page
    assert 'data-testid="state">Accepteret' in page  # the page shows it as it is now
    assert _snapshot(referral) == before


def test_return_with_advice_needs_the_advice(sides: Sides) -> None:
    referral = _sent(sides)
    doctor = _client(sides.doctor)
    before = _snapshot(referral)
    response = doctor.post(
        reverse("referrals:return_with_advice", args=[referral.pk]), {"advice_text": ""}
    )
    assert response.status_code == 422
    assert _snapshot(referral) == before
    doctor.post(
        reverse("referrals:return_with_advice", args=[referral.pk]),
        {"advice_text": "Try PPI first"},
    )
    referral.refresh_from_db()
    assert referral.state == ReferralState.RETURNED_WITH_ADVICE
    page = _html(_client(sides.gp).get(reverse("referrals:detail", args=[referral.pk])))
    assert "Try PPI first" in page
    assert "Kontakter patienten" in page  # who tells the patient, and by when


# --- the detail page, the thread and notifications -------------------------------------


def test_the_detail_shows_the_case_contacts_timeline_and_deadlines(sides: Sides) -> None:
    sides.practice.on_call_phone = "1813"
    sides.practice.save()
    old = _patient(sides.practice, born=date(1940, 1, 1))
    referral = _sent(
        sides,
        patient=old,
        clinical_frailty_scale=5,
        dementia=False,
        patient_wish="Wants to know",
        relatives_role="Daughter helps",
        tolerates_surgery=True,
        tolerates_chemotherapy=False,
    )
    services.referral_accept(referral=referral, by=sides.doctor)
    page = _html(_client(sides.doctor).get(reverse("referrals:detail", args=[referral.pk])))
    for text in (
        "Macroscopic haematuria",
        "5 – Lever med let skrøbelighed",
        "Wants to know",
        "Daughter helps",
        "33 12 34 56",  # practice direct
        "1813",  # practice on-call
        "38 62 00 99",  # unit on-call
        'data-testid="timeline"',
        "Sendt → Accepteret",
        "Første kontakt senest",
    ):
        assert text in page, text
    assert AccessLogEntry.objects.filter(patient=old, user=sides.doctor, what="referral").exists()


def test_messages_are_posted_once_and_get_a_read_receipt(sides: Sides) -> None:
    referral = _sent(sides)
    gp, doctor = _client(sides.gp), _client(sides.doctor)
    url = reverse("referrals:message_post", args=[referral.pk])
    form = {"body": "Is the patient on anticoagulants?", "token": "d" * 32}
    doctor.post(url, form)
    doctor.post(url, form)
    message = Message.objects.get()
    assert message.author_side == "unit" and message.read_at is None
    page = _html(doctor.get(reverse("referrals:detail", args=[referral.pk])))
    assert "Ikke læst endnu" in page

    response = doctor.post(url, {"body": "", "token": "e" * 32})
    assert response.status_code == 422 and Message.objects.count() == 1

    gp.get(reverse("referrals:detail", args=[referral.pk]))  # the other side opens it
    message.refresh_from_db()
    assert message.read_by == sides.gp
    page = _html(doctor.get(reverse("referrals:detail", args=[referral.pk])))
    assert 'data-testid="read-receipt"' in page and "Læst" in page


def test_the_notification_count_and_list(sides: Sides) -> None:
    referral = _sent(sides)
    services.message_post(thread=referral, by=sides.doctor, body="Call me")
    services.message_post(thread=referral, by=sides.doctor, body="Again")
    other_gp = _client(sides.other_gp)
    page = _html(other_gp.get(reverse("referrals:list")))
    assert "2 ulæste notifikationer" in page
    page = _html(other_gp.get(reverse("casework:notifications")))
    assert page.count('data-testid="notification"') == 2 and "Ny" in page
    # Reading the list changes nothing; its button marks them read for the whole practice.
    assert "2 ulæste notifikationer" in _html(_client(sides.gp).get(reverse("referrals:list")))
    ids = Notification.objects.filter(practice=sides.practice).values_list("pk", flat=True)
    other_gp.post(reverse("casework:notifications_mark_read"), {"ids": list(ids)})
    assert not Notification.objects.filter(practice=sides.practice, read_at=None).exists()
    assert "0 ulæste notifikationer" in _html(_client(sides.gp).get(reverse("referrals:list")))
    # A notification of another practice is never shown.
    stranger = _html(_client(sides.stranger_gp).get(reverse("casework:notifications")))
    assert 'data-testid="notification"' not in stranger


# --- access ----------------------------------------------------------------------------


def test_another_practice_and_another_unit_get_404_and_change_nothing(sides: Sides) -> None:
    referral = _sent(sides)
    advice = services.advice_request_send(patient=sides.patient, by=sides.gp, question="?")
    before, advice_events = _snapshot(referral), AdviceEvent.objects.count()
    stranger_gp, stranger_doctor = _client(sides.stranger_gp), _client(sides.stranger_doctor)
    gp_urls = [
        ("get", reverse("referrals:detail", args=[referral.pk]), {}),
        ("get", reverse("referrals:advice_detail", args=[advice.pk]), {}),
        ("get", reverse("referrals:new", args=[sides.patient.pk]), {}),
        ("get", reverse("referrals:advice_new", args=[sides.patient.pk]), {}),
        ("post", reverse("referrals:withdraw", args=[referral.pk]), {}),
        ("post", reverse("referrals:acknowledge_rejection", args=[referral.pk]), {}),
        (
            "post",
            reverse("referrals:message_post", args=[referral.pk]),
            {"body": "x", "token": "f" * 32},
        ),
        ("post", reverse("referrals:advice_close", args=[advice.pk]), {}),
        (
            "post",
            reverse("referrals:new", args=[sides.patient.pk]),
            REFERRAL_FORM | {"action": "send"},
        ),
    ]
    for method, url, data in gp_urls:
        assert getattr(stranger_gp, method)(url, data).status_code == 404, url
    unit_urls = [
        ("get", reverse("referrals:detail", args=[referral.pk]), {}),
        ("get", reverse("referrals:advice_detail", args=[advice.pk]), {}),
        ("post", reverse("referrals:accept", args=[referral.pk]), {}),
        (
            "post",
            reverse("referrals:reject", args=[referral.pk]),
            {"reason_category": "other", "reason_text": "x", "alternative_plan_text": "y"},
        ),
        ("post", reverse("referrals:return_with_advice", args=[referral.pk]), {"advice_text": "x"}),
        (
            "post",
            reverse("referrals:message_post", args=[referral.pk]),
            {"body": "x", "token": "g" * 32},
        ),
        ("post", reverse("referrals:advice_answer", args=[advice.pk]), {"answer": "x"}),
    ]
    for method, url, data in unit_urls:
        assert getattr(stranger_doctor, method)(url, data).status_code == 404, url
    assert _snapshot(referral) == before
    assert AdviceEvent.objects.count() == advice_events
    assert Referral.objects.count() == 1
    # Nothing was read; the attempts are kept as refused reads of the patient's record.
    strangers = AccessLogEntry.objects.filter(user__in=[sides.stranger_gp, sides.stranger_doctor])
    assert not strangers.filter(refused=False).exists()
    assert set(strangers.values_list("patient", flat=True)) == {sides.patient.pk}
    assert strangers.filter(user=sides.stranger_gp).exists()
    assert strangers.filter(user=sides.stranger_doctor).exists()


def test_a_draft_is_the_practices_own_until_sent(sides: Sides) -> None:
    draft = services.referral_create_draft(by=sides.gp, patient=sides.patient, pathway="lung")
    assert (
        _client(sides.doctor).get(reverse("referrals:detail", args=[draft.pk])).status_code == 404
    )


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ANALYST, Role.ADMIN])
def test_other_roles_are_refused(sides: Sides, role: str) -> None:
    referral = _sent(sides)
    client = _client(factories.user(role))
    for url in (
        reverse("referrals:list"),
        reverse("referrals:unit_inbox"),
        reverse("referrals:detail", args=[referral.pk]),
        reverse("casework:notifications"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("referrals:accept", args=[referral.pk])).status_code == 403
    assert _snapshot(referral)[0] == ReferralState.SENT


def test_each_side_is_refused_the_other_sides_actions(sides: Sides) -> None:
    referral = _sent(sides)
    before = _snapshot(referral)
    assert (
        _client(sides.gp).post(reverse("referrals:accept", args=[referral.pk])).status_code == 403
    )
    assert _client(sides.gp).get(reverse("referrals:unit_inbox")).status_code == 403
    doctor = _client(sides.doctor)
    assert doctor.post(reverse("referrals:withdraw", args=[referral.pk])).status_code == 403
    assert doctor.get(reverse("referrals:list")).status_code == 403
    assert _snapshot(referral) == before


def test_a_post_without_the_csrf_token_is_refused(sides: Sides) -> None:
    referral = _sent(sides)
    client = Client(enforce_csrf_checks=True)
    client.force_login(sides.doctor)
    response = client.post(reverse("referrals:accept", args=[referral.pk]))
    assert response.status_code == 403
    assert _snapshot(referral)[0] == ReferralState.SENT


def test_anonymous_users_are_sent_to_the_login_page(sides: Sides) -> None:
    response = Client().get(reverse("referrals:list"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR])
def test_an_account_not_linked_to_a_practice_or_unit_sees_nothing(sides: Sides, role: str) -> None:
    _sent(sides)
    client = _client(factories.user(role))
    url = reverse("referrals:list" if role == Role.GP else "referrals:unit_inbox")
    page = _html(client.get(url))
    assert "Karen Holm" not in page
    assert 'data-testid="notification-count"' in page
    assert client.get(reverse("casework:notifications")).status_code == 200


@pytest.mark.parametrize("language", ["en", "ar", "tr"])
def test_the_screens_speak_the_chosen_language(sides: Sides, language: str) -> None:
    referral = _sent(sides)
    words = {"en": "Triage inbox", "ar": "صندوق الفرز", "tr": "Değerlendirme kutusu"}[language]
    client = _client(sides.doctor)
    client.cookies["django_language"] = language
    page = _html(client.get(reverse("referrals:unit_inbox")))
    assert words in page
    detail = _html(client.get(reverse("referrals:detail", args=[referral.pk])))
    assert ('dir="rtl"' in detail) == (language == "ar")

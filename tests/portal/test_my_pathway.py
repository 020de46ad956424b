"""The patient's pathway page: one timeline per open matter, in plain words, for every state
of a safety net and of a referral; who is responsible and their public number; the longest
the law lets the examination wait where that rule applies; nothing for anyone else."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.http import Http404
from django.test import Client
from django.urls import reverse

from opspor.accounts.models import Role, User
from opspor.casework.clock import COPENHAGEN
from opspor.casework.forms import new_token
from opspor.portal.my_pathway import Kind, Status, my_pathway
from opspor.portal.patient_status import DECIDED_SHOWN_FOR
from opspor.records.models import AccessLogEntry, LabResult, Patient, Symptom
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import services
from opspor.safetynet.advice import rules_out_cancer
from opspor.safetynet.models import Investigation, PatientConcern, SafetyNetEpisode
from opspor.safetynet.workflow import EpisodeState
from tests import factories

pytestmark = pytest.mark.django_db

R = ReferralState
# Tuesday 24 November 2026, 10:00 in Copenhagen.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=COPENHAGEN)
TODAY = NOW.date()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=COPENHAGEN)


class Setting:
    def __init__(self) -> None:
        self.unit = factories.unit(
            name="Diagnostisk Enhed Herlev", phone="38 68 00 00", direct_phone="38 68 99 99"
        )
        self.practice = factories.practice(
            diagnostic_unit=self.unit,
            name="Lægerne i Valby",
            phone="36 30 00 00",
            direct_phone="36 30 99 99",
        )
        self.clinician = factories.gp(self.practice)
        self.clinician.name = "Anne Holm"
        self.clinician.save()
        assert self.clinician.user is not None
        self.gp: User = self.clinician.user
        self.account = factories.user(Role.PATIENT)
        self.patient = factories.patient(self.practice, name="Jens Dam", user=self.account)
        self.other_account = factories.user(Role.PATIENT)
        self.other_patient = factories.patient(self.practice, user=self.other_account)
        Symptom.objects.create(
            patient=self.patient,
            code="cough",
            onset=TODAY - timedelta(days=60),
            recorded_on=TODAY - timedelta(days=30),
            persistent=True,
        )

    def net(
        self, *, opened: datetime = NOW - timedelta(days=7), follow_up: date | None = None
    ) -> SafetyNetEpisode:
        return services.episode_open(
            patient=self.patient,
            by=self.gp,
            reason="pending_investigations",
            follow_up_on=follow_up or TODAY + timedelta(days=7),
            ends_on=TODAY + timedelta(days=60),
            advice="Kom igen, hvis hosten bliver værre.",
            now=opened,
        )

    def order(
        self, episode: SafetyNetEpisode, kind: str = "chest_xray", **fields: Any
    ) -> Investigation:
        values: dict[str, Any] = {
            "expected_by": TODAY + timedelta(days=3),
            "description": "obs. malignitet",  # the GP's words never reach the patient
            "now": episode.opened_at + timedelta(minutes=5),
        }
        values.update(fields)
        return services.investigation_order(episode=episode, by=self.gp, kind=kind, **values)

    def referral(self, state: str, **fields: Any) -> Referral:
        values: dict[str, Any] = {
            "patient": self.patient,
            "practice": self.practice,
            "unit": self.unit,
            "requester": self.gp,
            "pathway": "lung",
            "clinical_question": "Hoste i otte uger, ryger, fortætning på røntgen",
            "state": state,
        }
        if state != R.DRAFT:
            values |= {"sent_at": at(20, 9), "triage_due_at": at(23, 9)}
        if state in {R.REJECTED, R.RETURNED_WITH_ADVICE, R.ACCEPTED, R.APPOINTMENT_BOOKED}:
            values |= {"decided_at": at(23, 8)}
        if state == R.REJECTED:
            values |= {
                "reason_category": "criteria_not_met",
                "reason_text": "Kriterierne for pakkeforløbet er ikke opfyldt",
                "alternative_plan_code": "repeat_blood_tests",
            }
        values.update(fields)
        return Referral.objects.create(**values)


@pytest.fixture
def setting() -> Setting:
    return Setting()


def _client(user: User, language: str = "da") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def page(account: User, language: str = "da") -> str:
    with time_machine.travel(NOW, tick=False):
        response = _client(account, language).get(reverse("portal:my_pathway"))
    assert response.status_code == 200
    html = response.content.decode()
    text = visible(html)
    assert rules_out_cancer(text) is None
    assert "ikke kræft" not in text.lower() and "not cancer" not in text.lower()
    return html


def visible(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace(" .", ".").replace(" :", ":")


def timeline(account: User, patient: Patient) -> list[list[tuple[str, str]]]:
    """(kind, status) of each milestone of each matter, safety nets first."""
    shown = my_pathway(user=account, patient=patient, now=NOW)
    matters = [*shown.safety_nets, *shown.referrals]
    return [[(m.kind, m.status) for m in matter.milestones] for matter in matters]


# --- safety nets -------------------------------------------------------------------------


def test_an_open_safety_net_without_tests_shows_the_plan_and_the_follow_up(
    setting: Setting,
) -> None:
    episode = setting.net()
    assert episode.state == EpisodeState.OPEN
    assert timeline(setting.account, setting.patient) == [
        [(Kind.PLAN_AGREED, Status.DONE), (Kind.FOLLOW_UP, Status.NEXT)]
    ]
    text = visible(page(setting.account))
    assert "Din plan med Lægerne i Valby" in text
    assert "Du og din læge lavede en plan." in text
    assert "Din læge følger op." in text
    assert "tirsdag den 1. december 2026" in text
    assert "Kom igen, hvis hosten bliver værre." in text
    # Nothing pending: no "not finished" notice on the pathway.
    assert "Din udredning er ikke færdig" not in text
    assert (
        "Din lægepraksis, Lægerne i Valby, har ansvaret for denne plan. Din læge er Anne Holm."
    ) in text


def test_pending_tests_say_nothing_is_concluded_and_never_show_a_result(
    setting: Setting,
) -> None:
    episode = setting.net()
    xray = setting.order(episode)
    blood = setting.order(episode, kind="lab", code="haemoglobin")
    told = setting.order(episode, kind="ultrasound")
    # A result saved to the record fills the order that waits for it.
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        LabResult.objects.create(
            patient=setting.patient, code="haemoglobin", value=6.4, unit="mmol/L", taken_on=TODAY
        )
    assert Investigation.objects.get(pk=blood.pk).state == "resulted"
    services.investigation_record_result(
        investigation=told,
        by=setting.gp,
        text="Let forstørret lever, 17 cm",
        now=NOW - timedelta(days=3),
    )
    services.investigation_mark_told(
        investigation=told, by=setting.gp, how="phone", now=NOW - timedelta(days=2)
    )
    assert SafetyNetEpisode.objects.get(pk=episode.pk).state == EpisodeState.INVESTIGATING
    assert timeline(setting.account, setting.patient) == [
        [
            (Kind.PLAN_AGREED, Status.DONE),
            (Kind.TEST_TOLD, Status.DONE),
            (Kind.TEST_RESULT_IN, Status.NOW),
            (Kind.TEST_WAITING, Status.NOW),
            (Kind.FOLLOW_UP, Status.NEXT),
        ]
    ]
    html = page(setting.account)
    text = visible(html)
    assert "Din udredning er ikke færdig. Der konkluderes intet, før alle svar er kommet" in text
    assert "Røntgen af thorax: venter på svar. Svaret ventes senest fredag den 27." in text
    assert "Hæmoglobin: svaret er kommet. Din læge gennemgår det med dig." in text
    assert "Ultralyd: din læge har gennemgået svaret med dig." in text
    # No value, no unit, no words of a result, no GP's description.
    for secret in ("6.4", "6,4", "mmol", "lever", "17 cm", "malignitet"):
        assert secret not in html, secret
    assert xray.pk


def test_a_test_past_its_expected_date_and_an_overdue_follow_up_say_so(
    setting: Setting,
) -> None:
    episode = setting.net(opened=NOW - timedelta(days=20), follow_up=TODAY - timedelta(days=2))
    setting.order(episode, expected_by=TODAY - timedelta(days=5))
    assert timeline(setting.account, setting.patient) == [
        [
            (Kind.PLAN_AGREED, Status.DONE),
            (Kind.TEST_WAITING, Status.LATE),
            (Kind.FOLLOW_UP, Status.LATE),
        ]
    ]
    text = visible(page(setting.account))
    assert "Røntgen af thorax: svaret skulle være kommet senest torsdag den 19. november" in text
    assert "Hvis du ikke har hørt noget, så sig det til din lægepraksis herunder." in text
    assert "Dagen, hvor din læge skulle følge op, er gået." in text
    assert text.count("Datoen er gået") == 2
    # The buttons to tell the practice are right there.
    assert "Jeg har ikke hørt noget" in text and "Det er blevet værre" in text


def test_a_safety_net_awaiting_follow_up_after_every_result_was_told(setting: Setting) -> None:
    episode = setting.net()
    xray = setting.order(episode)
    services.investigation_record_result(
        investigation=xray, by=setting.gp, text="Normal", now=NOW - timedelta(days=3)
    )
    services.investigation_mark_told(
        investigation=xray, by=setting.gp, how="consultation", now=NOW - timedelta(days=2)
    )
    assert SafetyNetEpisode.objects.get(pk=episode.pk).state == EpisodeState.AWAITING_FOLLOW_UP
    assert timeline(setting.account, setting.patient) == [
        [
            (Kind.PLAN_AGREED, Status.DONE),
            (Kind.TEST_TOLD, Status.DONE),
            (Kind.FOLLOW_UP, Status.NEXT),
        ]
    ]
    html = page(setting.account)
    assert "Normal" not in visible(html)
    assert "Din udredning er ikke færdig" not in visible(html)


@pytest.mark.parametrize(
    ("state", "pending"),
    [
        (EpisodeState.OPEN, False),
        (EpisodeState.INVESTIGATING, True),
        (EpisodeState.AWAITING_FOLLOW_UP, True),  # the GP moved it on with a test still out
        (EpisodeState.AWAITING_FOLLOW_UP, False),
    ],
)
def test_every_live_state_is_shown_and_says_nothing_is_concluded_while_pending(
    setting: Setting, state: str, pending: bool
) -> None:
    episode = setting.net()
    if state != EpisodeState.OPEN:
        xray = setting.order(episode)
        if not pending:
            services.investigation_cancel(
                investigation=xray, by=setting.gp, reason="Ikke nødvendig", now=NOW
            )
        elif state == EpisodeState.AWAITING_FOLLOW_UP:
            services.episode_await_follow_up(episode=episode, by=setting.gp, now=NOW)
    assert SafetyNetEpisode.objects.get(pk=episode.pk).state == state
    shown = my_pathway(user=setting.account, patient=setting.patient, now=NOW)
    [net] = shown.safety_nets
    assert net.tests_pending is pending
    html = page(setting.account)
    assert html.count('data-testid="pathway-safety-net"') == 1
    assert ('data-testid="my-not-concluded"' in html) is pending
    assert 'data-testid="my-concern-form"' in html


def test_a_cancelled_test_is_not_on_the_timeline(setting: Setting) -> None:
    episode = setting.net()
    xray = setting.order(episode)
    services.investigation_cancel(
        investigation=xray, by=setting.gp, reason="Taget på sygehuset", now=NOW - timedelta(days=1)
    )
    assert timeline(setting.account, setting.patient) == [
        [(Kind.PLAN_AGREED, Status.DONE), (Kind.FOLLOW_UP, Status.NEXT)]
    ]
    assert "Taget på sygehuset" not in page(setting.account)


def test_a_closed_safety_net_is_not_shown(setting: Setting) -> None:
    episode = setting.net()
    services.episode_close(episode=episode, by=setting.gp, outcome="referred", now=NOW)
    assert 'data-testid="pathway-empty"' in page(setting.account)


# --- referrals ---------------------------------------------------------------------------


def test_a_sent_referral_says_what_the_unit_must_do_by_when_and_the_longest_wait(
    setting: Setting,
) -> None:
    setting.referral(R.SENT, triage_due_at=at(25, 9))
    assert timeline(setting.account, setting.patient) == [
        [(Kind.REFERRAL_SENT, Status.DONE), (Kind.UNIT_DECIDES, Status.NOW)]
    ]
    html = page(setting.account)
    text = visible(html)
    assert "Henvisning til Diagnostisk Enhed Herlev" in text
    assert "Din læge sendte en henvisning til Diagnostisk Enhed Herlev." in text
    assert (
        "Diagnostisk Enhed Herlev læser henvisningen og beslutter, hvad der skal ske, senest "
        "onsdag den 25. november 2026 kl. 09:00."
    ) in text
    # The legal maximum wait: 14 calendar days from the day it reached the unit (the 20th).
    assert "Din undersøgelse skal gå i gang senest 14 dage efter" in text
    assert "For denne henvisning er det fredag den 4. december 2026." in text
    assert "Reglerne gælder ikke, hvis en læge vurderer" in text
    assert "https://sundhedsstyrelsen.dk/da/viden/Sundhedsvaesen/" in html
    # The public numbers only; never the direct ones.
    assert 'href="tel:+4538680000"' in html and 'href="tel:+4536300000"' in html
    assert "99 99" not in html and "+4538689999" not in html and "+4536309999" not in html


def test_a_sent_referral_past_its_triage_deadline_says_so(setting: Setting) -> None:
    setting.referral(R.SENT, triage_due_at=at(23, 9))
    assert timeline(setting.account, setting.patient) == [
        [(Kind.REFERRAL_SENT, Status.DONE), (Kind.UNIT_DECIDES, Status.LATE)]
    ]
    text = visible(page(setting.account))
    assert "skulle have besluttet, hvad der skal ske, senest mandag den 23. november" in text


def test_the_diagnostic_pathway_states_no_maximum_wait(setting: Setting) -> None:
    # Not confirmed to apply there (data/waiting_times.yaml): the page says nothing of it.
    setting.referral(R.SENT, pathway="dpf", triage_due_at=at(25, 9))
    html = page(setting.account)
    assert 'data-testid="pathway-maximum-wait"' not in html
    assert "14 dage" not in visible(html)


def test_an_accepted_referral_before_the_first_contact_gives_the_48_hour_deadline(
    setting: Setting,
) -> None:
    setting.referral(R.ACCEPTED, first_contact_due_at=at(25, 8))
    assert timeline(setting.account, setting.patient) == [
        [
            (Kind.REFERRAL_SENT, Status.DONE),
            (Kind.UNIT_ACCEPTED, Status.DONE),
            (Kind.UNIT_CALLS, Status.NOW),
        ]
    ]
    text = visible(page(setting.account))
    assert (
        "Diagnostisk Enhed Herlev skal kontakte dig inden for 48 timer, efter at de har taget "
        "imod henvisningen: senest onsdag den 25. november 2026 kl. 08:00."
    ) in text
    # The record page's words for what happens next, reused.
    assert "har taget imod henvisningen og kontakter dig senest onsdag" in text
    assert "For denne henvisning er det fredag den 4. december 2026." in text


def test_an_accepted_referral_past_its_first_contact_deadline_says_to_call(
    setting: Setting,
) -> None:
    setting.referral(R.ACCEPTED, first_contact_due_at=at(24, 8))
    assert timeline(setting.account, setting.patient)[0][-1] == (Kind.UNIT_CALLS, Status.LATE)
    text = visible(page(setting.account))
    assert "skulle have kontaktet dig senest tirsdag den 24. november 2026 kl. 08:00" in text
    assert "så ring til dem. Nummeret står længere nede." in text


def test_an_accepted_referral_after_the_first_contact(setting: Setting) -> None:
    setting.referral(R.ACCEPTED, first_contact_due_at=at(25, 8), first_contact_at=at(23, 14))
    assert timeline(setting.account, setting.patient) == [
        [
            (Kind.REFERRAL_SENT, Status.DONE),
            (Kind.UNIT_ACCEPTED, Status.DONE),
            (Kind.UNIT_CALLED, Status.DONE),
        ]
    ]
    assert "har været i kontakt med dig" in visible(page(setting.account))


def test_a_booked_appointment_shows_its_time_and_no_maximum_wait(setting: Setting) -> None:
    setting.referral(
        R.APPOINTMENT_BOOKED, first_contact_at=at(23, 14), appointment_at=at(30, 13, 15)
    )
    assert timeline(setting.account, setting.patient) == [
        [
            (Kind.REFERRAL_SENT, Status.DONE),
            (Kind.UNIT_ACCEPTED, Status.DONE),
            (Kind.UNIT_CALLED, Status.DONE),
            (Kind.APPOINTMENT, Status.NEXT),
        ]
    ]
    html = page(setting.account)
    assert "Din tid hos Diagnostisk Enhed Herlev." in visible(html)
    assert "mandag den 30. november 2026 kl. 13:15" in visible(html)
    assert 'data-testid="pathway-maximum-wait"' not in html


def test_a_rejected_referral_says_who_calls_and_by_when_and_never_why(setting: Setting) -> None:
    setting.referral(
        R.REJECTED, patient_contact_by=setting.clinician, patient_contact_due_at=at(25, 9, 30)
    )
    assert timeline(setting.account, setting.patient) == [
        [
            (Kind.REFERRAL_SENT, Status.DONE),
            (Kind.UNIT_DECLINED, Status.DONE),
            (Kind.PRACTICE_CALLS, Status.NOW),
        ]
    ]
    html = page(setting.account)
    text = visible(html)
    assert "Diagnostisk Enhed Herlev tog ikke imod henvisningen." in text
    # patient_status's computation and words, as on the record page.
    assert (
        "Anne Holm fra Lægerne i Valby kontakter dig senest onsdag den 25. november 2026 "
        "kl. 09:30 og fortæller, hvad der skal ske nu."
    ) in text
    assert 'data-testid="pathway-maximum-wait"' not in html
    for reason in ("Kriterierne", "repeat_blood_tests", "fortætning", "ryger"):
        assert reason not in html


def test_a_returned_referral_names_the_requesting_gp_one_working_day_later(
    setting: Setting,
) -> None:
    # Decided Tuesday 09:00; one working day later is Wednesday 09:00.
    setting.referral(
        R.RETURNED_WITH_ADVICE, decided_at=at(24, 9), advice_text="Gentag blodprøver om tre uger"
    )
    assert timeline(setting.account, setting.patient)[0][1:] == [
        (Kind.UNIT_RETURNED, Status.DONE),
        (Kind.PRACTICE_CALLS, Status.NOW),
    ]
    text = visible(page(setting.account))
    assert "sendte henvisningen tilbage til din læge" in text
    assert "Anne Holm fra Lægerne i Valby kontakter dig senest onsdag den 25. november" in text
    assert "Gentag" not in text


def test_old_decisions_drafts_and_closed_referrals_are_not_shown(setting: Setting) -> None:
    setting.referral(R.REJECTED, decided_at=NOW - DECIDED_SHOWN_FOR - timedelta(hours=1))
    setting.referral(
        R.RETURNED_WITH_ADVICE, decided_at=NOW - DECIDED_SHOWN_FOR - timedelta(hours=1)
    )
    setting.referral(R.DRAFT)
    setting.referral(R.WITHDRAWN, withdrawn_at=NOW)
    setting.referral(R.COMPLETED, completed_at=NOW)
    html = page(setting.account)
    assert 'data-testid="pathway-referral"' not in html
    assert 'data-testid="pathway-empty"' in html
    # A decision just inside the window is still shown.
    setting.referral(R.REJECTED, decided_at=NOW - DECIDED_SHOWN_FOR + timedelta(hours=1))
    assert page(setting.account).count('data-testid="pathway-referral"') == 1


def test_a_safety_net_waiting_for_a_referral_points_to_it(setting: Setting) -> None:
    setting.net()
    setting.referral(R.SENT, triage_due_at=at(25, 9))
    nets, referral = timeline(setting.account, setting.patient)
    assert (Kind.REFERRAL_WAITING, Status.NOW) in nets
    assert referral[0] == (Kind.REFERRAL_SENT, Status.DONE)
    assert "Din henvisning: se længere nede." in visible(page(setting.account))


# --- nothing open, languages, the log ----------------------------------------------------


def test_nothing_open_is_an_honest_empty_page_and_nothing_is_logged(setting: Setting) -> None:
    html = page(setting.account)
    text = visible(html)
    assert "Der er ikke noget i gang lige nu" in text
    assert "Du har ikke nogen plan for opfølgning med din læge og ingen henvisning lige nu." in text
    assert 'href="tel:+4536300000"' in html
    assert not AccessLogEntry.objects.exists()


def test_the_read_is_logged_once_as_the_pathway(setting: Setting) -> None:
    setting.net()
    setting.referral(R.SENT)
    page(setting.account)
    assert list(AccessLogEntry.objects.values_list("what", "patient", "user")) == [
        ("own pathway", setting.patient.pk, setting.account.pk)
    ]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Diagnostisk Enhed Herlev must contact you within 48 hours of taking on"),
        ("ar", "يجب على Diagnostisk Enhed Herlev أن تتواصل معك خلال 48 ساعة"),
        ("tr", "Diagnostisk Enhed Herlev sevki kabul ettikten sonra 48 saat içinde"),
    ],
)
def test_the_page_is_in_the_patients_language(
    setting: Setting, language: str, expected: str
) -> None:
    episode = setting.net()
    setting.order(episode)
    setting.referral(R.ACCEPTED, first_contact_due_at=at(25, 8))
    html = page(setting.account, language)
    assert expected in visible(html)
    english = {"You and your doctor made a plan.", "Who is responsible", "How long you may wait"}
    if language == "en":
        assert all(phrase in visible(html) for phrase in english)
    else:
        assert not any(phrase in visible(html) for phrase in english)
    if language == "ar":
        assert 'dir="rtl"' in html


# --- who may read it ---------------------------------------------------------------------


def test_another_patient_gets_404_and_the_refusal_is_kept_in_the_access_log(
    setting: Setting, caplog: pytest.LogCaptureFixture
) -> None:
    setting.net()
    caplog.set_level(logging.DEBUG)
    for user in (setting.other_account, setting.gp):
        with pytest.raises(Http404):
            my_pathway(user=user, patient=setting.patient, now=NOW)
    refusals = AccessLogEntry.objects.order_by("pk")
    assert [(r.user_id, r.patient_id, r.what, r.refused) for r in refusals] == [
        (setting.other_account.pk, setting.patient.pk, "own pathway", True),
        (setting.gp.pk, setting.patient.pk, "own pathway", True),
    ]
    # Nothing about the patient goes to the application log.
    assert not any(setting.patient.name in r.getMessage() for r in caplog.records)


def test_another_patients_page_shows_only_their_own(setting: Setting) -> None:
    setting.net()
    setting.referral(R.SENT)
    html = page(setting.other_account)
    assert 'data-testid="pathway-empty"' in html
    assert "Jens Dam" not in html
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("role", [Role.GP, Role.UNIT_DOCTOR, Role.ANALYST, Role.ADMIN])
def test_other_roles_are_refused_before_anything_is_read(setting: Setting, role: str) -> None:
    setting.net()
    response = _client(factories.user(role)).get(reverse("portal:my_pathway"))
    assert response.status_code == 403
    assert not AccessLogEntry.objects.exists()


def test_a_patient_without_a_record_is_told_so() -> None:
    response = _client(factories.user(Role.PATIENT)).get(reverse("portal:my_pathway"))
    assert response.status_code == 404
    assert "ikke knyttet til en patientjournal" in response.content.decode()


def test_the_record_page_and_the_navigation_link_to_the_pathway(setting: Setting) -> None:
    response = _client(setting.account).get(reverse("portal:my_record"))
    html = response.content.decode()
    assert html.count('href="/patients/me/pathway/"') == 2  # the menu and the record page
    assert 'data-testid="nav-information"' in html


# --- telling the practice from the pathway -----------------------------------------------


def _raise(client: Client, episode: SafetyNetEpisode, back: str) -> Any:
    return client.post(
        reverse("portal:concern_raise", args=[episode.pk]),
        {"kind": "not_heard", "words": "", "token": new_token(), "back": back},
    )


def test_telling_the_practice_from_the_pathway_returns_to_the_pathway(setting: Setting) -> None:
    episode = setting.net()
    client = _client(setting.account)
    html = page(setting.account)
    assert '<input type="hidden" name="back" value="pathway">' in html
    response = _raise(client, episode, "pathway")
    assert response.status_code == 302
    assert response["Location"] == "/patients/me/pathway/"
    assert PatientConcern.objects.filter(episode=episode, kind="not_heard").count() == 1
    followed = client.get(response["Location"])
    assert "Din lægepraksis har fået besked om, at du ikke har hørt noget." in visible(
        followed.content.decode()
    )


@pytest.mark.parametrize(
    "back",
    ["", "record", "https://evil.example/", "//evil.example", "/patients/me/pathway/", "pathway "],
)
def test_any_other_return_target_goes_to_the_record_page(setting: Setting, back: str) -> None:
    episode = setting.net()
    response = _raise(_client(setting.account), episode, back)
    assert response.status_code == 302
    assert response["Location"] == "/patients/me/#my-safety-nets"


def test_a_refused_form_also_returns_to_the_pathway_and_changes_nothing(setting: Setting) -> None:
    episode = setting.net()
    response = _client(setting.account).post(
        reverse("portal:concern_raise", args=[episode.pk]),
        {"kind": "panic", "token": "not a token!", "back": "pathway"},
    )
    assert response["Location"] == "/patients/me/pathway/"
    assert not PatientConcern.objects.exists()


def test_another_patients_safety_net_cannot_be_told_from_the_pathway(setting: Setting) -> None:
    other = services.episode_open(
        patient=setting.other_patient,
        by=setting.gp,
        reason="wait_and_see",
        follow_up_on=TODAY + timedelta(days=7),
        ends_on=TODAY + timedelta(days=30),
        now=NOW - timedelta(days=1),
    )
    response = _raise(_client(setting.account), other, "pathway")
    assert response.status_code == 404
    assert not PatientConcern.objects.exists()

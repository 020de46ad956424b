"""The GP's patient overview: what it shows, to whom, and what a page costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoAssertNumQueries

from opspor.accounts.models import Role, User
from opspor.engine.assess import assess
from opspor.records import views
from opspor.records.models import (
    AccessLogEntry,
    ClinicalFinding,
    Clinician,
    Condition,
    FamilyHistory,
    LabResult,
    OccupationalExposure,
    Patient,
    Practice,
    Symptom,
)
from tests import factories

pytestmark = pytest.mark.django_db

# Wording that says or implies that the patient does not have cancer, in the languages the
# page is written in. The page must never contain any of it, whatever it found.
NOT_CANCER = ("ikke kræft", "ingen kræft", "not cancer", "no cancer", "kræft udelukket")


def _client(user: User, language: str = "da") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _html(response: HttpResponseBase) -> str:
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def _url(patient: Patient) -> str:
    return reverse("records:patient_overview", args=[patient.pk])


@dataclass
class Practice_:
    gp: Clinician
    user: User
    practice: Practice


@pytest.fixture
def own() -> Practice_:
    gp = factories.gp()
    assert gp.practice is not None and gp.user is not None
    return Practice_(gp=gp, user=gp.user, practice=gp.practice)


def _returning_man(practice: Practice, *, n_old_contacts: int = 2) -> Patient:
    """A man living alone who comes back after five years with weight loss and anaemia."""
    today = timezone.localdate()
    patient = factories.patient(
        practice,
        name="Jens Returner",
        birth_date=date(today.year - 60, 1, 15),
        sex="male",
        lives_alone=True,
        smoking="former",
        registered_from=today - timedelta(days=20 * 365),
    )
    for i in range(n_old_contacts):
        factories.contact(patient, on=today - timedelta(days=5 * 365 + 7 * i))
    visit = factories.contact(patient, on=today - timedelta(days=2), reason_codes=["T08"])
    for code, onset, words in (
        ("weight_loss", 80, "Bukserne er blevet for store."),
        ("fatigue", 60, "Jeg er flad hele tiden."),
    ):
        Symptom.objects.create(
            patient=patient,
            contact=visit,
            code=code,
            onset=today - timedelta(days=onset),
            recorded_on=today - timedelta(days=2),
            persistent=True,
            patient_words=words,
        )
    ClinicalFinding.objects.create(patient=patient, code="anaemia", found_on=today - timedelta(1))
    LabResult.objects.create(
        patient=patient,
        code="haemoglobin",
        value=7.1,
        unit="mmol/L",
        reference_low=8.3,
        taken_on=today - timedelta(days=1),
    )
    OccupationalExposure.objects.create(
        patient=patient, code="firefighting_smoke", years=20, note="Røgdykker i 20 år"
    )
    FamilyHistory.objects.create(patient=patient, relation="father", cancer_site="lung")
    return patient


def _frequent_attender(practice: Practice, other_gp: Clinician) -> Patient:
    """A woman who rarely came, now five times in two months, each time to another doctor."""
    today = timezone.localdate()
    patient = factories.patient(practice, name="Pia Mønster", birth_date=date(1975, 4, 2))
    factories.contact(patient, on=today - timedelta(days=700), clinician=other_gp)
    for days in (60, 45, 30, 14, 3):
        factories.contact(patient, on=today - timedelta(days=days), clinician=other_gp)
    Symptom.objects.create(
        patient=patient,
        code="abdominal_pain",
        onset=today - timedelta(days=60),
        recorded_on=today - timedelta(days=3),
    )
    Condition.objects.create(patient=patient, code="E11", system="icd10", chronic=True)
    Condition.objects.create(patient=patient, code="I10", system="icd10", chronic=True)
    return patient


# What the GP sees


def test_overview_shows_signals_flags_words_risks_and_the_criterion(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    response = _client(own.user).get(_url(patient))
    html = _html(response)
    assert response.status_code == 200
    assert 'data-kind="long_absence"' in html
    assert "Tilbage efter langt fravær" in html
    assert "Patienten har ikke været i kontakt med praksis i 5 år" in html
    assert "Mand, der bor alene" in html  # a vulnerability flag as a badge
    assert "Bukserne er blevet for store." in html  # the patient's own words
    assert "Røgdykker i 20 år" in html  # a risk factor next to the symptoms
    assert "Far" in html and "lungekræft" in html
    criterion = html[html.index('data-rule="dk-dpf-2022') :].split("</article>")[0]
    assert "Overvej henvisning" in criterion
    assert "De indledende undersøgelser før diagnostisk pakkeforløb" in criterion
    assert "Alder 60" in criterion and "Vægttab, vedvarende, siden" in criterion
    assert "Anæmi" in criterion
    assert "Kræver din kliniske vurdering" in criterion
    assert "Kilde" in html and "sundhed.dk" in html


@pytest.mark.parametrize(
    ("kind", "marker"),
    [
        ("long_absence", 'data-kind="long_absence"'),
        ("vulnerability", 'data-testid="vulnerability-flags"'),
        ("guideline_criterion", 'data-testid="criterion"'),
        ("ppv", 'data-testid="ppv"'),
        ("filter_package", 'data-testid="filter-package"'),
        ("alternative", 'data-testid="alternatives"'),
    ],
)
def test_each_finding_kind_of_a_returning_patient_is_shown(
    kind: str, marker: str, own: Practice_
) -> None:
    patient = _returning_man(own.practice)
    html = _html(_client(own.user).get(_url(patient)))
    findings = assess(views.selectors.patient_context(user=own.user, patient_id=patient.pk)[1])
    assert findings.of_kind(kind), f"the engine found no {kind} for this patient"
    assert marker in html


def test_pattern_break_continuity_and_new_symptom_are_signals(own: Practice_) -> None:
    colleague = factories.gp(own.practice, with_user=False)
    patient = _frequent_attender(own.practice, colleague)
    html = _html(_client(own.user).get(_url(patient)))
    for kind in ("pattern_break", "continuity", "new_symptom"):
        assert f'data-kind="{kind}"' in html
    assert "Mønsterbrud: 5 kontakter de seneste 90 dage mod forventet" in html
    assert "Du har ikke set patienten de seneste to år." in html
    # The timeline shows the break inside its shaded 90-day window.
    assert "5 de seneste 90 dage (markeret)" in html
    assert html.count("timeline-mark timeline-mark--consultation") == 6


def test_a_finding_kind_the_page_does_not_know_is_shown_from_its_explanation(
    own: Practice_, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = _returning_man(own.practice)

    def with_a_new_kind(context: Any, **kwargs: Any) -> Any:
        real = assess(context, **kwargs)
        new = SimpleNamespace(
            kind="medication_rise",
            because=[],
            explanation=SimpleNamespace(
                da="Markant stigning i medicinforbruget.", en="Marked rise in medicine use."
            ),
        )
        return SimpleNamespace(
            ruleset=real.ruleset, as_of=real.as_of, findings=[*real.findings, new]
        )

    monkeypatch.setattr(views, "assess", with_a_new_kind)
    html = _html(_client(own.user).get(_url(patient)))
    assert 'data-kind="medication_rise"' in html
    assert "Markant stigning i medicinforbruget." in html
    english = _html(_client(own.user, "en").get(_url(patient)))
    assert "Marked rise in medicine use." in english


def test_the_overview_is_danish_by_default_and_english_on_request(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    assert "Opfyldte kriterier" in _html(_client(own.user).get(_url(patient)))
    english = _html(_client(own.user, "en").get(_url(patient)))
    assert "Guideline criteria met" in english
    assert "The patient had no contact with the practice for 5 years" in english


def test_arabic_is_right_to_left_with_the_clinical_texts_left_to_right(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    html = _html(_client(own.user, "ar").get(_url(patient)))
    assert 'dir="rtl"' in html
    assert "معايير الإرشادات المستوفاة" in html
    assert 'lang="en" dir="ltr"' in html


def test_patient_list_opens_the_overview_which_links_to_the_full_record(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    client = _client(own.user)
    listing = _html(client.get(reverse("records:practice_patients")))
    assert f'href="{_url(patient)}"' in listing
    html = _html(client.get(_url(patient)))
    assert f'href="{reverse("records:patient_detail", args=[patient.pk])}"' in html
    assert f'href="{reverse("records:practice_patients")}"' in html


# The rule set


def test_ruleset_switch_uses_nice_ng12_on_request(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    html = _html(_client(own.user).get(_url(patient), {"ruleset": "nice-ng12"}))
    assert 'data-rule="ng12-' in html
    assert 'data-rule="dk-' not in html
    assert "NICE guideline NG12" in html
    assert '<a class="button button-primary button-small" href="?ruleset=nice-ng12"' in html


def test_default_ruleset_is_the_danish_pathways(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    html = _html(_client(own.user).get(_url(patient)))
    assert 'data-rule="dk-dpf-2022' in html
    assert 'data-rule="ng12-' not in html


@pytest.mark.parametrize("asked", ["bogus", "../../etc/passwd", "NICE-NG12", "x" * 500])
def test_an_unknown_ruleset_falls_back_with_a_message(asked: str, own: Practice_) -> None:
    patient = _returning_man(own.practice)
    response = _client(own.user).get(_url(patient), {"ruleset": asked})
    html = _html(response)
    assert response.status_code == 200
    assert 'data-testid="unknown-ruleset"' in html
    assert "Der findes intet regelsæt ved navn" in html
    assert 'data-rule="dk-dpf-2022' in html


# Nothing found


@pytest.mark.parametrize("language", ["da", "en"])
def test_no_criteria_says_so_and_never_says_not_cancer(language: str, own: Practice_) -> None:
    today = timezone.localdate()
    patient = factories.patient(own.practice, name="Sofie Rask", birth_date=date(1990, 6, 1))
    factories.contact(patient, on=today - timedelta(days=200))
    html = _html(_client(own.user, language).get(_url(patient)))
    assert 'data-testid="no-criteria"' in html
    if language == "da":
        assert "Ingen kriterier i regelsættet Danske kræftpakkeforløb er opfyldt" in html
        assert "Det udelukker ikke sygdom" in html
    else:
        assert "No criteria in the rule set Danish cancer pathways are met" in html
        assert "This does not rule out disease" in html
    assert not [phrase for phrase in NOT_CANCER if phrase in html.lower()]
    assert 'data-testid="supports-not-decides"' in html


def test_a_page_with_findings_never_says_not_cancer_either(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    for ruleset in ("dk-pakkeforloeb", "nice-ng12"):
        for language in ("da", "en"):
            html = _html(_client(own.user, language).get(_url(patient), {"ruleset": ruleset}))
            # The engine's own texts may say that a normal test "does not rule out cancer"
            # ("udelukker ikke kræft"); what must never appear is that the patient has none.
            text = html.lower().replace("udelukker ikke kræft", "")
            assert not [phrase for phrase in NOT_CANCER if phrase in text]


# Access


@pytest.mark.parametrize("role", [Role.UNIT_DOCTOR, Role.PATIENT, Role.ANALYST, Role.ADMIN])
def test_other_roles_get_403_and_only_the_refusal_is_logged(role: str, own: Practice_) -> None:
    patient = _returning_man(own.practice)
    user = factories.user(role)
    response = _client(user).get(_url(patient))
    assert response.status_code == 403
    assert "Jens Returner" not in _html(response)
    assert factories.only_refused(AccessLogEntry.objects.all(), user, patient)


def test_the_patient_themself_gets_403(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    patient.user = factories.user(Role.PATIENT)
    patient.save()
    response = _client(patient.user).get(_url(patient))
    assert response.status_code == 403
    # The GP's page of their own record is not theirs to open: kept as a refused attempt.
    assert factories.only_refused(AccessLogEntry.objects.all(), patient.user, patient)


def test_a_gp_of_another_practice_gets_404_and_only_the_refusal_is_logged(
    own: Practice_,
) -> None:
    elsewhere = _returning_man(factories.practice())
    response = _client(own.user).get(_url(elsewhere))
    assert response.status_code == 404
    assert "Jens Returner" not in _html(response)
    assert factories.only_refused(AccessLogEntry.objects.all(), own.user, elsewhere)


def test_an_unknown_patient_gets_404(own: Practice_) -> None:
    assert (
        _client(own.user).get(reverse("records:patient_overview", args=[999999])).status_code == 404
    )


def test_anonymous_users_are_sent_to_log_in(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    response = Client().get(_url(patient))
    assert response.status_code == 302
    assert AccessLogEntry.objects.count() == 0


def test_the_read_is_logged_once_as_overview(own: Practice_) -> None:
    patient = _returning_man(own.practice)
    _client(own.user).get(_url(patient), {"ruleset": "nice-ng12"})
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.patient, entry.what, entry.channel) == (
        own.user,
        patient,
        "overview",
        "web",
    )


# Cost


def test_query_count_is_bounded_and_does_not_grow_with_the_history(
    own: Practice_, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    small = _returning_man(own.practice, n_old_contacts=1)
    large = _returning_man(own.practice, n_old_contacts=200)
    client = _client(own.user)
    client.get(_url(small))  # the session and the user are read once per request anyway
    # 22: the panel of the patient's preparation (portal) asks once whether there is one, and
    # the second factor's device is read once per request (django-otp).
    with django_assert_max_num_queries(22) as few:
        client.get(_url(small))
    with django_assert_max_num_queries(22) as many:
        client.get(_url(large), {"ruleset": "nice-ng12"})
    assert len(few.captured_queries) == len(many.captured_queries)
    assert AccessLogEntry.objects.filter(what="overview").count() == 3

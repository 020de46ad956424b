"""A GP confirms what the patient reported into the record, one item at a time, and answers
what they read with trusted links: one record row per item however often it is pressed,
only by a GP of the patient's practice, never from a draft, every action audited."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.accounts.models import Role, User
from opspor.casework.errors import WorkflowError
from opspor.portal.models import (
    Preparation,
    PreparationEvent,
    PreparationState,
    PreparedRiskFactor,
    PreparedSymptom,
    Started,
    TrustedLinkAnswer,
)
from opspor.portal.services import review
from opspor.portal.trusted import load_catalogue
from opspor.records.models import AccessLogEntry, FamilyHistory, OccupationalExposure, Symptom
from tests import factories
from tests.portal import factories as preparations
from tests.referrals.worlds import World, make_world

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
LINK = load_catalogue().links[0].key


@pytest.fixture
def world() -> World:
    return make_world()


def snapshot() -> tuple[object, ...]:
    return (
        tuple(Symptom.objects.values_list("pk", "code", "onset")),
        tuple(FamilyHistory.objects.values_list("pk")),
        tuple(OccupationalExposure.objects.values_list("pk")),
        tuple(PreparedSymptom.objects.values_list("pk", "confirmed_as", "confirmed_at")),
        tuple(PreparedRiskFactor.objects.values_list("pk", "confirmed_at")),
        tuple(TrustedLinkAnswer.objects.values_list("pk", "link")),
        PreparationEvent.objects.count(),
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _confirm_url(item: PreparedSymptom) -> str:
    prep = item.preparation
    return reverse("gp_preparation:symptom_confirm", args=[prep.patient_id, prep.pk, item.pk])


def _risk_url(item: PreparedRiskFactor) -> str:
    prep = item.preparation
    return reverse("gp_preparation:risk_factor_confirm", args=[prep.patient_id, prep.pk, item.pk])


def _links_url(prep: Preparation) -> str:
    return reverse("gp_preparation:trusted_links_send", args=[prep.patient_id, prep.pk])


def _symptom(world: World, **fields: object) -> PreparedSymptom:
    prep = preparations.preparation(world.patient, sent_at=SENT, language="ar")
    values: dict[str, object] = {
        "started": Started.MONTHS,
        "comes_and_goes": False,
        "own_words": "أسعل دماً",
    }
    values.update(fields)
    return preparations.prepared_symptom(prep, "haemoptysis", **values)


# --- confirming a symptom --------------------------------------------------------------


def test_confirming_writes_one_record_symptom_with_the_derived_onset(world: World) -> None:
    item = _symptom(world)
    confirmed = review.symptom_confirm(item=item, by=world.gp)
    assert confirmed.new
    symptom = Symptom.objects.get(patient=world.patient)
    assert confirmed.row == symptom
    assert symptom.code == "haemoptysis"
    assert symptom.onset == date(2026, 10, 29)  # 20 November minus 22 days
    assert symptom.recorded_on == timezone.localdate()
    assert symptom.persistent and not symptom.recurrent
    assert symptom.patient_words == "أسعل دماً"
    item.refresh_from_db()
    assert item.confirmed_as == symptom
    assert item.confirmed_by == world.gp
    assert item.confirmed_at is not None
    event = PreparationEvent.objects.get(preparation=item.preparation)
    assert event.action == "symptom_confirmed"
    assert event.actor == world.gp
    assert f"#{item.pk}" in event.reason and f"#{symptom.pk}" in event.reason
    assert "أسعل" not in event.reason  # the patient's words stay out of the audit trail
    made = symptom.history.get()
    assert made.history_user == world.gp
    assert "preparation" in (made.history_change_reason or "")


def test_comes_and_goes_is_recorded_as_recurrent(world: World) -> None:
    item = _symptom(world, comes_and_goes=True, started=Started.LONG_AGO)
    review.symptom_confirm(item=item, by=world.gp)
    symptom = Symptom.objects.get(patient=world.patient)
    assert symptom.recurrent and not symptom.persistent
    assert symptom.onset == date(2026, 8, 20)  # 20 November minus 92 days


def test_confirming_twice_writes_nothing_the_second_time(world: World) -> None:
    item = _symptom(world)
    first = review.symptom_confirm(item=item, by=world.gp)
    before = snapshot()
    again = review.symptom_confirm(item=item, by=world.other_gp)
    assert not again.new
    assert again.row == first.row
    assert again.by == world.gp
    assert snapshot() == before
    assert Symptom.objects.filter(patient=world.patient).count() == 1


def test_the_second_press_in_the_browser_says_so(world: World) -> None:
    item = _symptom(world)
    client = _client(world.gp)
    first = client.post(_confirm_url(item), follow=True)
    assert first.status_code == 200
    assert "Ført ind i journalen: Hæmoptyse (blodigt opspyt)." in first.content.decode()
    second = client.post(_confirm_url(item), follow=True)
    assert "Dette blev allerede ført ind i journalen" in second.content.decode()
    assert Symptom.objects.filter(patient=world.patient).count() == 1
    assert PreparationEvent.objects.count() == 1


def test_the_answer_is_a_redirect_back_to_the_overview(world: World) -> None:
    item = _symptom(world)
    overview = reverse("records:patient_overview", args=[world.patient.pk])
    response = _client(world.gp).post(_confirm_url(item), {"next": overview + "?ruleset=nice-ng12"})
    assert response.status_code == 302
    assert response["Location"] == overview + "?ruleset=nice-ng12#preparation"
    elsewhere = _client(world.gp).post(
        _confirm_url(_symptom(world)), {"next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == overview + "#preparation"


def test_after_confirming_the_overview_lists_it_in_the_record(world: World) -> None:
    item = _symptom(world)
    client = _client(world.gp)
    client.post(_confirm_url(item))
    page = client.get(reverse("records:patient_overview", args=[world.patient.pk])).content.decode()
    assert 'data-testid="confirmed"' in page
    assert 'data-testid="confirm-symptom"' not in page
    assert 'data-testid="reported-marker"' not in page


def test_a_draft_is_never_confirmed_from(world: World) -> None:
    draft = preparations.preparation(world.patient, state=PreparationState.DRAFT)
    item = preparations.prepared_symptom(draft, "haemoptysis", started=Started.WEEKS)
    risk = preparations.family_risk(draft)
    before = snapshot()
    with pytest.raises(WorkflowError) as refused:
        review.symptom_confirm(item=item, by=world.gp)
    assert refused.value.code == "not_allowed"
    with pytest.raises(WorkflowError):
        review.risk_factor_confirm(item=risk, by=world.gp)
    with pytest.raises(WorkflowError):
        review.trusted_link_answer(preparation=draft, link=LINK, by=world.gp)
    response = _client(world.gp).post(_confirm_url(item), follow=True)
    assert "Patienten har ikke sendt denne forberedelse endnu" in response.content.decode()
    assert snapshot() == before


def test_a_gp_of_another_practice_is_refused_and_nothing_changes(world: World) -> None:
    item = _symptom(world)
    risk = preparations.exposure_risk(item.preparation)
    before = snapshot()
    logged = AccessLogEntry.objects.count()
    client = _client(world.stranger_gp)
    assert client.post(_confirm_url(item)).status_code == 404
    assert client.post(_risk_url(risk)).status_code == 404
    assert client.post(_links_url(item.preparation), {"link": LINK}).status_code == 404
    for act in (
        lambda: review.symptom_confirm(item=item, by=world.stranger_gp),
        lambda: review.risk_factor_confirm(item=risk, by=world.stranger_gp),
        lambda: review.trusted_link_answer(
            preparation=item.preparation, link=LINK, by=world.stranger_gp
        ),
    ):
        with pytest.raises(WorkflowError) as refused:
            act()
        assert refused.value.code == "forbidden"
    assert snapshot() == before
    # Nothing was read; each attempt through the screens is kept as a refused read.
    assert AccessLogEntry.objects.filter(refused=False).count() == logged
    refused = AccessLogEntry.objects.filter(refused=True)
    assert [(r.user, r.patient, r.what) for r in refused] == [
        (world.stranger_gp, world.patient, "preparation")
    ] * 3


@pytest.mark.parametrize("role", [Role.PATIENT, Role.UNIT_DOCTOR, Role.ANALYST])
def test_other_roles_get_403(world: World, role: str) -> None:
    item = _symptom(world)
    user = world.doctor if role == Role.UNIT_DOCTOR else factories.user(role)
    if role == Role.PATIENT:
        world.patient.user = user
        world.patient.save()
    before = snapshot()
    client = _client(user)
    assert client.post(_confirm_url(item)).status_code == 403
    assert client.post(_links_url(item.preparation), {"link": LINK}).status_code == 403
    assert snapshot() == before


def test_an_item_of_another_preparation_or_patient_is_404(world: World) -> None:
    item = _symptom(world)
    other = preparations.preparation(world.patient)
    other_patient = factories.patient(world.patient.practice)
    before = snapshot()
    client = _client(world.gp)
    prep = item.preparation
    for args in (
        [prep.patient_id, other.pk, item.pk],
        [other_patient.pk, prep.pk, item.pk],
        [prep.patient_id, prep.pk, 999_999],
    ):
        url = reverse("gp_preparation:symptom_confirm", args=args)
        assert client.post(url).status_code == 404
    assert snapshot() == before


def test_only_post(world: World) -> None:
    item = _symptom(world)
    assert _client(world.gp).get(_confirm_url(item)).status_code == 405
    assert not Symptom.objects.exists()


# --- confirming a risk factor ----------------------------------------------------------


def test_a_relative_with_cancer_becomes_family_history(world: World) -> None:
    prep = preparations.preparation(world.patient)
    risk = preparations.family_risk(prep, relation="sister", cancer_site="breast")
    response = _client(world.gp).post(_risk_url(risk), follow=True)
    assert "Risikofaktoren er ført ind i journalen." in response.content.decode()
    row = FamilyHistory.objects.get(patient=world.patient)
    assert (row.relation, row.cancer_site) == ("sister", "breast")
    risk.refresh_from_db()
    assert risk.confirmed_family == row
    assert risk.confirmed_by == world.gp
    assert PreparationEvent.objects.get().action == "risk_factor_confirmed"
    again = review.risk_factor_confirm(item=risk, by=world.gp)
    assert not again.new
    assert FamilyHistory.objects.filter(patient=world.patient).count() == 1


def test_a_work_exposure_becomes_an_exposure_with_the_patients_words(world: World) -> None:
    prep = preparations.preparation(world.patient)
    risk = preparations.exposure_risk(
        prep, exposure="asbestos", years=20, own_words="Værftet i 20 år"
    )
    review.risk_factor_confirm(item=risk, by=world.gp)
    row = OccupationalExposure.objects.get(patient=world.patient)
    assert (row.code, row.years, row.note) == ("asbestos", 20, "Værftet i 20 år")
    risk.refresh_from_db()
    assert risk.confirmed_exposure == row
    assert risk.confirmed_family is None


def test_a_code_the_vocabulary_does_not_know_is_refused(world: World) -> None:
    prep = preparations.preparation(world.patient)
    risk = preparations.exposure_risk(prep, exposure="no_such_exposure")
    before = snapshot()
    with pytest.raises(WorkflowError) as refused:
        review.risk_factor_confirm(item=risk, by=world.gp)
    assert refused.value.code == "invalid"
    assert snapshot() == before


# --- answering with trusted links ------------------------------------------------------


def test_a_trusted_link_is_sent_once(world: World) -> None:
    prep = preparations.preparation(world.patient)
    answered = review.trusted_link_answer(preparation=prep, link=LINK, by=world.gp)
    assert answered.new
    again = review.trusted_link_answer(preparation=prep, link=LINK, by=world.other_gp)
    assert not again.new
    assert again.answer == answered.answer
    assert TrustedLinkAnswer.objects.filter(preparation=prep).count() == 1
    assert PreparationEvent.objects.filter(action="link_answered").count() == 1


def test_an_unknown_link_is_refused_and_nothing_is_sent(world: World) -> None:
    prep = preparations.preparation(world.patient)
    before = snapshot()
    with pytest.raises(WorkflowError) as refused:
        review.trusted_link_answer(preparation=prep, link="no-such-link", by=world.gp)
    assert refused.value.code == "invalid"
    # Several at once are all or none.
    with pytest.raises(WorkflowError):
        review.trusted_links_answer(preparation=prep, links=[LINK, "no-such-link"], by=world.gp)
    response = _client(world.gp).post(
        _links_url(prep), {"link": [LINK, "no-such-link"]}, follow=True
    )
    assert "Det link er ikke i kataloget over pålidelig information" in response.content.decode()
    assert snapshot() == before


def test_sending_no_link_says_so(world: World) -> None:
    prep = preparations.preparation(world.patient)
    response = _client(world.gp).post(_links_url(prep), follow=True)
    assert "Vælg mindst ét link at sende" in response.content.decode()
    assert not TrustedLinkAnswer.objects.exists()


def test_the_gp_sends_links_from_the_overview(world: World) -> None:
    prep = preparations.preparation(world.patient)
    client = _client(world.gp)
    response = client.post(_links_url(prep), {"link": [LINK]}, follow=True)
    page = response.content.decode()
    assert "Sendt. Patienten ser linkene på sin egen side." in page
    assert 'data-testid="sent-links"' in page
    assert TrustedLinkAnswer.objects.get().by == world.gp
    again = client.post(_links_url(prep), {"link": [LINK]}, follow=True)
    assert "Patienten har allerede disse links" in again.content.decode()
    assert TrustedLinkAnswer.objects.count() == 1


def test_the_links_for_the_prepared_symptoms_are_suggested_first(world: World) -> None:
    catalogue = load_catalogue()
    suggested = next(link for link in catalogue.links if link.symptoms)
    prep = preparations.preparation(world.patient)
    preparations.prepared_symptom(prep, suggested.symptoms[0])
    page = (
        _client(world.gp)
        .get(reverse("records:patient_overview", args=[world.patient.pk]))
        .content.decode()
    )
    form = page[page.index('data-testid="trusted-links-form"') :]
    form = form[: form.index("</form>")]
    offered = re.findall(r'name="link" value="([^"]+)"', form)
    assert offered[0] == suggested.key
    assert sorted(offered) == sorted(link.key for link in catalogue.links)
    assert "Foreslået" in form[: form.index("preparation-more-links")]
    # The rest of the catalogue is one click away, folded.
    others = form[form.index("preparation-more-links") :]
    assert f'value="{suggested.key}"' not in others
    assert f"Andre links fra kataloget ({len(catalogue.links) - 1})" in others


def test_confirm_at_a_given_moment(world: World) -> None:
    item = _symptom(world)
    moment = timezone.now() - timedelta(hours=1)
    confirmed = review.symptom_confirm(item=item, by=world.gp, now=moment)
    assert confirmed.at == moment
    item.refresh_from_db()
    assert item.confirmed_at == moment

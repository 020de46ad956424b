"""When a pathway ends without cancer and the symptoms persist, the overview proposes a
`pathway_negative_symptoms_persist` safety net (`selectors.pathway_negative_proposal`):
exactly when, and when not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.records.models import CancerDiagnosis, Symptom
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import services
from opspor.safetynet.selectors import pathway_negative_proposal
from tests import factories
from tests.referrals.worlds import referral_in
from tests.safetynet.test_services import NOW, TODAY, Net, net, opened

pytestmark = pytest.mark.django_db
_ = net  # the fixture

SENT = NOW - timedelta(days=30)
COMPLETED = NOW - timedelta(days=5)


def completed(net: Net, **fields: object) -> Referral:
    values: dict[str, object] = {"sent_at": SENT, "completed_at": COMPLETED, "pathway": "lung"}
    values.update(fields)
    return referral_in(net.world, ReferralState.COMPLETED, **values)


def proposed(net: Net) -> list[str] | None:
    proposal = pathway_negative_proposal(net.patient, today=TODAY)
    return proposal.symptom_codes if proposal is not None else None


def test_proposed_when_the_pathway_ended_without_cancer_and_a_symptom_persists(net: Net) -> None:
    assert proposed(net) is None  # no pathway at all
    referral = completed(net)
    proposal = pathway_negative_proposal(net.patient, today=TODAY)
    assert proposal is not None and proposal.referral == referral
    # The cough was recorded as persistent before the referral; weight loss was not.
    assert proposal.symptom_codes == ["cough"]
    # A cancer diagnosed years before the referral belongs to another illness.
    CancerDiagnosis.objects.create(
        patient=net.patient, diagnosed_on=TODAY - timedelta(days=3000), site="breast"
    )
    assert proposed(net) == ["cough"]


def test_a_symptom_recorded_at_a_contact_after_the_completion_persists(net: Net) -> None:
    Symptom.objects.all().delete()
    completed(net)
    assert proposed(net) is None  # nothing persists: nothing proposed
    before = factories.contact(net.patient, on=TODAY - timedelta(days=10))
    Symptom.objects.create(
        patient=net.patient,
        contact=before,
        code="fatigue",
        onset=TODAY - timedelta(days=20),
        recorded_on=TODAY - timedelta(days=10),
    )
    assert proposed(net) is None  # recorded before the pathway ended
    after = factories.contact(net.patient, on=TODAY - timedelta(days=1))
    Symptom.objects.create(
        patient=net.patient,
        contact=after,
        code="fatigue",
        onset=TODAY - timedelta(days=20),
        recorded_on=TODAY - timedelta(days=1),
    )
    assert proposed(net) == ["fatigue"]


def _cancer_since_sending(net: Net) -> None:
    CancerDiagnosis.objects.create(
        patient=net.patient, diagnosed_on=TODAY - timedelta(days=6), site="lung"
    )


def _another_referral_open(net: Net) -> None:
    referral_in(net.world, ReferralState.ACCEPTED)


def _a_live_episode(net: Net) -> None:
    opened(net, reason="wait_and_see")


def _an_episode_opened_and_closed_after_the_completion(net: Net) -> None:
    episode = opened(net, reason="pathway_negative_symptoms_persist")
    services.episode_close(episode=episode, by=net.gp, outcome="other_diagnosis", now=NOW)


@pytest.mark.parametrize(
    "change",
    [
        _cancer_since_sending,
        _another_referral_open,
        _a_live_episode,
        _an_episode_opened_and_closed_after_the_completion,
    ],
)
def test_not_proposed(net: Net, change: Callable[[Net], None]) -> None:
    completed(net)
    assert proposed(net) == ["cough"]
    change(net)
    assert proposed(net) is None


def test_an_episode_closed_before_the_completion_does_not_stop_the_proposal(net: Net) -> None:
    episode = opened(net, now=SENT)
    services.episode_close(episode=episode, by=net.gp, outcome="referred", now=SENT)
    completed(net)
    assert proposed(net) == ["cough"]


def test_a_referral_not_completed_proposes_nothing(net: Net) -> None:
    for state in (ReferralState.SENT, ReferralState.REJECTED, ReferralState.WITHDRAWN):
        referral_in(net.world, state, sent_at=SENT)
    assert proposed(net) is None


def test_the_overview_shows_the_proposal_with_a_prefilled_open_link(net: Net) -> None:
    today = timezone.localdate()
    Symptom.objects.update(recorded_on=today - timedelta(days=10), onset=today - timedelta(days=60))
    completed(
        net,
        sent_at=datetime.combine(today - timedelta(days=30), datetime.min.time(), tzinfo=UTC),
        completed_at=datetime.combine(today - timedelta(days=5), datetime.min.time(), tzinfo=UTC),
    )
    client = Client()
    client.force_login(net.gp)
    overview = reverse("records:patient_overview", args=[net.patient.pk])
    page = client.get(overview).content.decode()
    assert 'data-testid="safetynet-proposal"' in page
    assert "uden en registreret kræftdiagnose" in page  # "with no cancer diagnosis recorded"
    link = (
        reverse("safetynet:episode_open", args=[net.patient.pk])
        + "?reason=pathway_negative_symptoms_persist"
    )
    assert link in page
    form = client.get(link).content.decode()
    assert 'value="pathway_negative_symptoms_persist" selected' in form
    # An unknown reason in the link is ignored: the usual default.
    form = client.get(link.replace("pathway_negative", "nonsense")).content.decode()
    assert 'value="wait_and_see" selected' in form
    # Another practice's GP finds no such patient; only the refused attempts are logged.
    stranger = Client()
    stranger.force_login(net.world.stranger_gp)
    new_rows = factories.access_log_since_now()
    assert stranger.get(overview).status_code == 404
    assert stranger.get(link).status_code == 404
    assert factories.only_refused(new_rows(), net.world.stranger_gp, net.patient)

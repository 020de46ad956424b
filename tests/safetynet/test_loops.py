"""Loops closed by events: a referral sent joins the patient's safety net, a rejection makes
the unit's plan the next step, a lab result fills the order waiting for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from opspor.casework import events
from opspor.casework.errors import WorkflowError
from opspor.engine.vocab.loader import load_vocabulary
from opspor.records.models import ClinicalFinding, LabResult
from opspor.referrals import services as referral_services
from opspor.referrals.models import Referral
from opspor.referrals.workflow import ReferralState
from opspor.safetynet import services
from opspor.safetynet.loops import FINDING_INVESTIGATIONS
from opspor.safetynet.models import (
    EpisodeEvent,
    Investigation,
    InvestigationEvent,
    SafetyNetEpisode,
)
from opspor.safetynet.workflow import (
    EpisodeReason,
    EpisodeState,
    InvestigationKind,
    InvestigationState,
)
from tests import factories
from tests.safetynet.test_services import NOW, TODAY, Net, net, opened, ordered

pytestmark = pytest.mark.django_db
_ = net  # the fixture


def sent_referral(net: Net) -> Referral:
    draft = referral_services.referral_create_draft(
        by=net.gp, patient=net.patient, pathway="lung", informed_about_kraeft=True, now=NOW
    )
    return referral_services.referral_send(referral=draft, by=net.gp, now=NOW)


def test_a_referral_sent_joins_the_patients_live_safety_net(net: Net) -> None:
    episode = opened(net)
    closed = opened(net)
    services.episode_close(episode=closed, by=net.gp, outcome="other_diagnosis", now=NOW)
    referral = sent_referral(net)
    assert list(episode.referrals.all()) == [referral]
    assert not closed.referrals.exists()
    event = EpisodeEvent.objects.filter(episode=episode).last()
    assert event is not None
    assert (event.action, event.actor, event.reason) == (
        "referral_sent",
        None,
        f"Referral #{referral.pk} (lung) sent",
    )


def test_a_rejection_with_a_catalogue_investigation_becomes_the_next_step(net: Net) -> None:
    episode = opened(net, follow_up_on=TODAY + timedelta(days=30))
    referral = sent_referral(net)
    rejected = referral_services.referral_reject(
        referral=referral,
        by=net.world.doctor,
        reason_category="investigations_first",
        reason_text="Røntgen af thorax først",
        alternative_plan_code="chest_xray",
        now=NOW,
    )
    [xray] = Investigation.objects.filter(episode=episode)
    assert (xray.kind, xray.state, xray.ordered_by) == ("chest_xray", "ordered", net.gp)
    assert rejected.patient_contact_due_at is not None
    due = rejected.patient_contact_due_at
    assert xray.expected_by == timezone.localdate(due)  # when the practice calls the patient
    episode.refresh_from_db()
    assert episode.state == EpisodeState.INVESTIGATING
    assert episode.follow_up_on <= TODAY + timedelta(days=2)
    assert EpisodeEvent.objects.filter(episode=episode, action="order_investigation").exists()
    # The workup now waits for the X-ray: no "no cancer found" before it is told.
    with pytest.raises(WorkflowError) as refused:
        services.episode_close(episode=episode, by=net.gp, outcome="no_cancer_found", now=NOW)
    assert [item["item"] for item in refused.value.missing] == ["investigation"]


def test_a_rejection_with_a_plan_in_words_is_the_next_step_in_words(net: Net) -> None:
    episode = opened(net)
    referral_services.referral_reject(
        referral=sent_referral(net),
        by=net.world.doctor,
        reason_category="other_pathway",
        reason_text="Henvis til lungemedicinsk ambulatorium",
        alternative_plan_text="Henvis til lungemedicinsk ambulatorium",
        now=NOW,
    )
    assert not Investigation.objects.exists()
    step = EpisodeEvent.objects.get(episode=episode, action="next_step")
    assert "lungemedicinsk" in step.reason and step.actor is None


def test_a_lab_result_fills_the_order_waiting_for_it_and_stays_unseen(net: Net) -> None:
    episode = opened(net)
    waiting = ordered(net, episode, kind="lab", code="haemoglobin", description="")
    before = LabResult.objects.create(
        patient=net.patient,
        code="haemoglobin",
        value=7.9,
        unit="mmol/L",
        taken_on=TODAY - timedelta(days=3),
    )
    theirs = LabResult.objects.create(
        patient=factories.patient(net.patient.practice),
        code="haemoglobin",
        value=6.0,
        unit="mmol/L",
        taken_on=TODAY,
    )
    other_test = LabResult.objects.create(
        patient=net.patient, code="crp", value=3, unit="mg/L", taken_on=TODAY
    )
    waiting.refresh_from_db()
    assert waiting.state == InvestigationState.ORDERED  # none of those answers the order
    assert {before.pk, theirs.pk, other_test.pk}
    result = LabResult.objects.create(
        patient=net.patient, code="haemoglobin", value=6.2, unit="mmol/L", taken_on=TODAY
    )
    waiting.refresh_from_db()
    assert (waiting.state, waiting.lab_result, waiting.seen_at) == (
        InvestigationState.RESULTED,
        result,
        None,
    )
    event = InvestigationEvent.objects.filter(investigation=waiting).last()
    assert event is not None and (event.action, event.actor) == ("record_result", None)
    # A second result does not fill the order again.
    LabResult.objects.create(
        patient=net.patient, code="haemoglobin", value=6.4, unit="mmol/L", taken_on=TODAY
    )
    waiting.refresh_from_db()
    assert waiting.lab_result == result


def test_a_loop_that_fails_undoes_the_change_that_caused_it(net: Net) -> None:
    opened(net)
    draft = referral_services.referral_create_draft(
        by=net.gp, patient=net.patient, pathway="lung", informed_about_kraeft=True, now=NOW
    )

    def broken(change: events.CaseChange) -> None:
        raise RuntimeError("a subscriber's bug")

    events.subscribe(Referral, "send", broken)
    try:
        with pytest.raises(RuntimeError):
            referral_services.referral_send(referral=draft, by=net.gp, now=NOW)
    finally:
        events._SUBSCRIBERS[("referrals.referral", "send")].remove(broken)
    draft.refresh_from_db()
    assert draft.state == ReferralState.DRAFT
    assert not EpisodeEvent.objects.filter(action="referral_sent").exists()


# --- a referral sent with no live safety net opens one ---------------------------------


def test_a_referral_sent_with_no_live_safety_net_opens_one_for_itself(net: Net) -> None:
    earlier = opened(net)
    services.episode_close(episode=earlier, by=net.gp, outcome="other_diagnosis", now=NOW)
    referral = sent_referral(net)
    [episode] = SafetyNetEpisode.objects.exclude(pk=earlier.pk)
    assert referral.triage_due_at is not None
    assert (episode.reason, episode.state, episode.owner, episode.opened_by) == (
        EpisodeReason.REFERRAL_PENDING,
        EpisodeState.OPEN,
        net.gp,
        net.gp,
    )
    assert episode.follow_up_on == timezone.localdate(referral.triage_due_at)
    assert episode.ends_on == TODAY + services.REFERRAL_NET_RUNS
    assert [s["code"] for s in episode.symptoms] == ["cough", "weight_loss"]
    assert episode.findings == referral.findings
    assert list(episode.referrals.all()) == [referral]
    events = list(EpisodeEvent.objects.filter(episode=episode))
    assert [(e.action, e.actor) for e in events] == [("open", None), ("referral_sent", None)]
    # The referral is what it waits for: no "no cancer found" while the unit has it.
    with pytest.raises(WorkflowError) as refused:
        services.episode_close(episode=episode, by=net.gp, outcome="no_cancer_found", now=NOW)
    assert [(i["item"], i["id"]) for i in refused.value.missing] == [("referral", referral.pk)]
    # A second referral joins it instead of opening another.
    sent_referral(net)
    assert SafetyNetEpisode.objects.exclude(pk=earlier.pk).count() == 1
    assert episode.referrals.count() == 2


def test_the_owner_is_the_referring_gp_else_the_patients_own_gp_else_the_sender(
    net: Net,
) -> None:
    draft = referral_services.referral_create_draft(
        by=net.gp, patient=net.patient, pathway="lung", informed_about_kraeft=True, now=NOW
    )
    assert services.referral_owner(draft, net.other_gp) == net.gp
    # The requester is no GP of the practice (a unit doctor, say): the patient's own GP.
    draft.requester = net.world.doctor
    net.patient.own_gp = net.other_gp.clinician
    net.patient.save()
    assert services.referral_owner(draft, net.gp) == net.other_gp
    # No own GP either, or one who has left: the GP who sent it.
    net.other_gp.is_active = False
    net.other_gp.save()
    assert services.referral_owner(draft, net.gp) == net.gp
    net.patient.own_gp = None
    assert services.referral_owner(draft, net.gp) == net.gp


# --- an imaging finding fills the order of its kind ------------------------------------


def test_the_finding_map_names_imaging_findings_of_the_vocabulary_and_known_kinds() -> None:
    findings = load_vocabulary().findings
    for code, kind in FINDING_INVESTIGATIONS.items():
        assert findings[code].category == "imaging", code
        assert kind in InvestigationKind.values


def test_an_imaging_finding_fills_the_open_order_of_its_kind_and_stays_unseen(net: Net) -> None:
    episode = opened(net)
    ultrasound = ordered(net, episode, kind="ultrasound", description="")
    xray = ordered(net, episode)
    found = {"patient": net.patient, "found_on": TODAY}
    # Found before the order, another patient's, a finding of no mapped modality, another
    # modality's: none of them answers the X-ray.
    ClinicalFinding.objects.create(
        **(found | {"found_on": TODAY - timedelta(days=2)}), code="chest_xray_performed"
    )
    ClinicalFinding.objects.create(
        **(found | {"patient": factories.patient(net.patient.practice)}),
        code="chest_xray_performed",
    )
    ClinicalFinding.objects.create(**found, code="imaging_suggests_urinary_tract_tumour")
    ClinicalFinding.objects.create(**found, code="ct_thorax_abdomen_performed")
    xray.refresh_from_db()
    ultrasound.refresh_from_db()
    assert (xray.state, ultrasound.state) == (InvestigationState.ORDERED,) * 2
    finding = ClinicalFinding.objects.create(**found, code="chest_xray_suggests_lung_cancer")
    xray.refresh_from_db()
    assert (xray.state, xray.finding, xray.lab_result, xray.seen_at) == (
        InvestigationState.RESULTED,
        finding,
        None,
        None,
    )
    event = InvestigationEvent.objects.filter(investigation=xray).last()
    assert event is not None and (event.action, event.actor) == ("record_result", None)
    # A second X-ray finding finds no order left; the ultrasound still waits.
    ClinicalFinding.objects.create(**found, code="chest_xray_performed")
    xray.refresh_from_db()
    ultrasound.refresh_from_db()
    assert xray.finding == finding and ultrasound.state == InvestigationState.ORDERED


def test_a_finding_fills_no_order_of_a_closed_episode(net: Net) -> None:
    episode = opened(net)
    xray = ordered(net, episode)
    services.episode_close(episode=episode, by=net.gp, outcome="referred", now=NOW)
    ClinicalFinding.objects.create(patient=net.patient, found_on=TODAY, code="chest_xray_performed")
    xray.refresh_from_db()
    assert xray.state == InvestigationState.ORDERED


def test_the_page_says_a_result_arrived_and_was_linked_automatically(net: Net) -> None:
    episode = opened(net)
    ordered(net, episode)
    ClinicalFinding.objects.create(patient=net.patient, found_on=TODAY, code="chest_xray_performed")
    client = Client()
    client.force_login(net.gp)
    page = client.get(reverse("safetynet:detail", args=[episode.pk])).content.decode()
    assert "Kom ind i patientens journal og blev koblet automatisk" in page
    assert "Finding #" not in page

"""An episode's Aarhus time points read from the record, and its intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from opspor.records.models import CancerDiagnosis, Symptom
from opspor.referrals import services as referral_services
from opspor.safetynet.aarhus import episode_aarhus
from tests import factories
from tests.safetynet.test_services import NOW, TODAY, Net, net, opened

pytestmark = pytest.mark.django_db
_ = net


def at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def consulted(net: Net, code: str, *, onset: date, on: date, words: str = "") -> None:
    contact = factories.contact(net.patient, on=on)
    Symptom.objects.create(
        patient=net.patient,
        contact=contact,
        code=code,
        onset=onset,
        recorded_on=on,
        patient_words=words,
    )


def test_the_time_points_come_from_the_record(net: Net) -> None:
    # The fixture's symptoms: cough since TODAY-60 and weight loss since TODAY-40, recorded
    # TODAY-10 without a contact.
    consulted(net, "cough", onset=TODAY - timedelta(days=60), on=TODAY - timedelta(days=30))
    CancerDiagnosis.objects.create(
        patient=net.patient, diagnosed_on=TODAY - timedelta(days=3000), site="breast"
    )
    episode = opened(net)
    draft = referral_services.referral_create_draft(
        by=net.gp, patient=net.patient, pathway="lung", informed_about_kraeft=True, now=NOW
    )
    referral_services.referral_send(referral=draft, by=net.gp, now=NOW)
    CancerDiagnosis.objects.create(
        patient=net.patient, diagnosed_on=TODAY + timedelta(days=20), site="lung"
    )
    result = episode_aarhus(episode, today=TODAY + timedelta(days=30))
    points = result.points
    assert points.first_symptom == TODAY - timedelta(days=60)
    assert points.first_presentation == TODAY - timedelta(days=30)
    assert points.referral == TODAY
    # The breast cancer of eight years ago belongs to another illness.
    assert points.diagnosis == TODAY + timedelta(days=20)
    days = {
        name: getattr(result.intervals, name).days
        for name in ("patient", "primary_care", "secondary_care", "diagnostic", "total")
    }
    assert days == {
        "patient": 30,
        "primary_care": 30,
        "secondary_care": 20,
        "diagnostic": 50,
        "total": 80,
    }
    assert result.consultations_before_referral == 1
    assert result.intervals.problems == ()


def test_what_the_record_does_not_hold_stays_unknown(net: Net) -> None:
    episode = opened(net)
    result = episode_aarhus(episode, today=TODAY)
    assert result.points.referral is None and result.points.diagnosis is None
    assert result.intervals.primary_care.status == "unknown"
    assert result.intervals.primary_care.days is None
    assert result.consultations_before_referral is None


def test_three_consultations_about_one_symptom_within_a_year_are_flagged(net: Net) -> None:
    for weeks in (40, 20, 8, 1):
        consulted(
            net,
            "breast_lump",
            onset=TODAY - timedelta(weeks=70),
            on=TODAY - timedelta(weeks=weeks),
            words="Knuden er der stadig",
        )
    episode = opened(net, symptom_codes=["breast_lump"])
    assert episode_aarhus(episode, today=TODAY).repeated == {"breast_lump": 4}


def test_a_presentation_before_the_reported_onset_is_a_data_problem_not_a_negative(
    net: Net,
) -> None:
    # Recorded at an earlier contact than the onset the patient gave later: impossible order.
    contact = factories.contact(net.patient, on=TODAY - timedelta(days=90))
    Symptom.objects.filter(patient=net.patient, code="cough").update(contact=contact)
    episode = opened(net, symptom_codes=["cough"])
    result = episode_aarhus(episode, today=TODAY)
    assert result.intervals.patient.status == "impossible"
    assert result.intervals.patient.days is None
    assert result.intervals.problems

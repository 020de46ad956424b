"""Messages as FHIR R4 Communication resources in the shape of MedCom's care communication."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from opspor.referrals import fhir
from opspor.referrals.models import Referral
from opspor.referrals.services import message_post, thread_mark_read
from opspor.referrals.workflow import AdviceState, ReferralState
from tests.referrals.worlds import World, advice_in, referral_in

pytestmark = pytest.mark.django_db

CATEGORY = {
    "system": "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes",
    "code": "regarding-referral",
    "display": "Regarding Referral",
}
PROFILE = (
    "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
    "medcom-careCommunication-communication"
)
CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"


def _thread(world: World) -> Referral:
    referral = referral_in(world, ReferralState.SENT)
    message_post(thread=referral, by=world.gp, body='Is "CT first" enough?\nShe is worried.')
    message_post(thread=referral, by=world.doctor, body="We call her <today>.")
    thread_mark_read(thread=referral, by=world.gp)  # the unit's answer is read
    return referral


def _offset(moment: str) -> bool:
    return datetime.fromisoformat(moment).utcoffset() is not None


def test_a_referral_thread_is_a_bundle_of_medcom_care_communications(world: World) -> None:
    referral = _thread(world)
    bundle = fhir.communication_bundle(referral, list(referral.messages.order_by("pk")))

    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 2)
    question, answer = (entry["resource"] for entry in bundle["entry"])
    for resource, message in zip((question, answer), referral.messages.order_by("pk"), strict=True):
        assert resource["resourceType"] == "Communication"
        assert resource["id"] == str(message.pk)
        assert resource["meta"]["profile"] == [PROFILE]
        assert resource["status"] == "unknown"  # fixed by the profile
        assert resource["category"] == [{"coding": [CATEGORY]}]
        assert resource["subject"] == {"reference": f"Patient/{referral.patient_id}"}
        assert resource["about"] == [{"reference": f"ServiceRequest/{referral.pk}"}]
        assert _offset(resource["sent"])
        assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", resource["identifier"][0]["value"])
        [segment] = resource["payload"]
        assert segment["contentString"] == message.body
        extensions = {e["url"]: e for e in segment["extension"]}
        assert set(extensions) == {
            f"{CORE}medcom-core-datetime-extension",
            f"{CORE}medcom-core-identifier-extension",
            f"{CORE}medcom-core-practitioner-extension",
            f"{CORE}medcom-core-contact-extension",
        }
        assert (
            extensions[f"{CORE}medcom-core-datetime-extension"]["valueDateTime"]
            == (resource["sent"])
        )
        author = message.author.clinician
        role = {"reference": f"PractitionerRole/{author.pk}", "display": author.name}
        assert extensions[f"{CORE}medcom-core-practitioner-extension"]["valueReference"] == role
        assert resource["sender"] == role
        assert resource["extension"] == [
            {"url": f"{CORE}medcom-core-sender-extension", "valueReference": role}
        ]

    # The author's phone is their own side's direct number.
    contact = f"{CORE}medcom-core-contact-extension"
    phones = [
        next(e for e in r["payload"][0]["extension"] if e["url"] == contact)["valueContactPoint"]
        for r in (question, answer)
    ]
    assert phones == [
        {"system": "phone", "value": referral.practice.direct_phone},
        {"system": "phone", "value": referral.unit.direct_phone},
    ]
    # The read receipt: the unit's answer was read by the GP, the GP's question not yet.
    assert "received" not in question and _offset(answer["received"])
    # The narrative escapes the text it shows.
    assert "&lt;today&gt;" in answer["text"]["div"] and "<today>" not in answer["text"]["div"]
    # The identifier stays the same on every read.
    again = fhir.communication_bundle(referral, list(referral.messages.order_by("pk")))
    assert again["entry"][0]["resource"]["identifier"] == question["identifier"]


def test_an_advice_thread_points_at_the_advice_request(world: World) -> None:
    advice = advice_in(world, AdviceState.SENT)
    message_post(thread=advice, by=world.gp, body="Any news?")
    [entry] = fhir.communication_bundle(advice, list(advice.messages.all()))["entry"]
    resource = entry["resource"]
    assert resource["category"] == [{"coding": [CATEGORY]}]
    assert resource["about"] == [{"reference": f"CommunicationRequest/advice-{advice.pk}"}]


def test_no_cpr_number_or_name_of_the_patient_leaves_in_this_format(world: World) -> None:
    referral = _thread(world)
    text = json.dumps(fhir.communication_bundle(referral, list(referral.messages.all())))
    patient = referral.patient
    assert patient.cpr not in text and f"{patient.cpr[:6]}-{patient.cpr[6:]}" not in text
    assert patient.name not in text

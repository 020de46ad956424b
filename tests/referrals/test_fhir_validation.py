"""The FHIR the API serves, parsed with the R4B models of `fhir.resources`.

`fhir.resources` checks structure: element names and types, cardinality, primitive
formats (an instant with its offset, a non-empty string), one value[x] per extension. It
does not check value sets, FHIR JSON's rule against empty arrays, objects and strings, or
a profile's fixed codes, so those are checked here: the codes MedCom's care communication
relies on (category system and code, the profile in meta.profile, the extension URLs) and
the required codes of the base resources (Bundle.type, Communication.status, ...).

The threads are made through the services and read over real HTTP with a bearer token,
as a client of the API would read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.communication import Communication
from pydantic import ValidationError

from opspor.referrals import services
from opspor.referrals.models import AdviceRequest, Referral
from tests.referrals.test_api import Client
from tests.referrals.worlds import World

pytestmark = pytest.mark.django_db(transaction=True)

PROFILE = (
    "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
    "medcom-careCommunication-communication"
)
CATEGORY_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes"
)
CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"
PAYLOAD_EXTENSIONS = {
    f"{CORE}medcom-core-datetime-extension": "valueDateTime",
    f"{CORE}medcom-core-identifier-extension": "valueIdentifier",
    f"{CORE}medcom-core-practitioner-extension": "valueReference",
    f"{CORE}medcom-core-contact-extension": "valueContactPoint",
}
SENDER_EXTENSION = f"{CORE}medcom-core-sender-extension"
URN_UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Text that must survive JSON, the narrative's XHTML and the models unchanged.
AWKWARD = 'Is "CT first" enough? <b>&amp;</b>\nHun er bekymret: æøå ÆØÅ. هل هذا كاف؟ ✓'


def _empty_values(node: Any, path: str = "$") -> Iterator[str]:
    # FHIR JSON: an element without a value is left out; "", [], {} and null are invalid.
    if node is None or node in ("", [], {}):
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _empty_values(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _empty_values(value, f"{path}[{i}]")


def validated(raw: dict[str, Any]) -> Bundle:
    """The bundle as the R4B models read it, after the checks the models leave to us."""
    assert list(_empty_values(raw)) == []
    bundle = Bundle.model_validate(raw)
    # Nothing was dropped on the way in: the models give back exactly what was sent.
    assert bundle.model_dump(mode="json", exclude_none=True) == raw
    assert (bundle.type, bundle.total) == ("searchset", len(bundle.entry or []))
    return bundle


def check_care_communication(resource: Any) -> None:
    """The codes and URLs of MedCom's care communication, which no model checks."""
    assert isinstance(resource, Communication)
    assert resource.meta.profile == [PROFILE]
    assert resource.status == "unknown"  # fixed by the profile
    [category] = resource.category
    [coding] = category.coding
    assert (coding.system, coding.code, coding.display) == (
        CATEGORY_SYSTEM,
        "regarding-referral",
        "Regarding Referral",
    )
    assert resource.text.status == "generated"
    assert resource.text.div.startswith('<div xmlns="http://www.w3.org/1999/xhtml">')
    [identifier] = resource.identifier
    assert URN_UUID.fullmatch(identifier.value)
    assert re.fullmatch(r"Patient/\d+", resource.subject.reference)
    [sender] = resource.extension
    assert sender.url == SENDER_EXTENSION and sender.valueReference == resource.sender
    [segment] = resource.payload
    assert segment.contentString
    extensions = {e.url: e for e in segment.extension}
    assert set(extensions) == set(PAYLOAD_EXTENSIONS)
    for url, value_field in PAYLOAD_EXTENSIONS.items():
        # Exactly the value the profile names, and no other.
        given = extensions[url].model_dump(exclude_none=True)
        assert set(given) == {"url", value_field}, given
    assert extensions[f"{CORE}medcom-core-datetime-extension"].valueDateTime == resource.sent
    assert extensions[f"{CORE}medcom-core-identifier-extension"].valueIdentifier.value == (
        identifier.value
    )
    assert extensions[f"{CORE}medcom-core-practitioner-extension"].valueReference == (
        resource.sender
    )
    phone = extensions[f"{CORE}medcom-core-contact-extension"].valueContactPoint
    assert phone.system == "phone" and phone.value
    # Every time carries its offset (the models accept a dateTime without a time, too).
    for moment in (resource.sent, resource.received):
        assert moment is None or moment.utcoffset() is not None


def fhir_of(client: Client, path: str) -> dict[str, Any]:
    status, body = client.get(f"{path}?format=fhir")
    assert status == 200, body
    assert client.content_type == "application/fhir+json; charset=utf-8"
    assert isinstance(body, dict)
    return body


def _sent_referral(world: World) -> Referral:
    draft = services.referral_create_draft(
        by=world.gp,
        patient=world.patient,
        pathway="kidney",
        clinical_question="Macroscopic haematuria, 68 years",
        informed_about_kraeft=True,
    )
    return services.referral_send(referral=draft, by=world.gp, incomplete_reason="Urgent")


def _advice(world: World) -> AdviceRequest:
    return services.advice_request_send(
        patient=world.patient, by=world.gp, question="Weight loss 6 kg: refer?"
    )


def test_the_models_refuse_a_wrong_shape() -> None:
    # The validator is strict enough to find our mistakes: an unknown element, a missing
    # required one, an empty string, a time without its offset.
    wrong = [
        {"resourceType": "Bundle", "type": "searchset", "totl": 0},
        {"resourceType": "Bundle", "total": 0},
        {"resourceType": "Bundle", "type": "searchset", "timestamp": "2026-03-11T10:00:00"},
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": {"resourceType": "Communication", "sender": {"display": ""}}}],
        },
    ]
    for raw in wrong:
        with pytest.raises(ValidationError):
            Bundle.model_validate(raw)
    assert list(_empty_values({"entry": [], "a": [{"b": ""}]})) == ["$.entry", "$.a[0].b"]


def test_a_referral_thread_read_over_http_is_valid_r4b(world: World, live_server: Any) -> None:
    referral = _sent_referral(world)
    services.message_post(thread=referral, by=world.gp, body=AWKWARD)
    services.message_post(thread=referral, by=world.doctor, body="We call her today.")
    path = f"/referrals/{referral.pk}/messages"

    # The unit reads first: the GP's question gets its receipt, the answer not yet.
    raw = fhir_of(Client(live_server.url, world.doctor), path)
    bundle = validated(raw)
    question, answer = (entry.resource for entry in bundle.entry)
    for resource in (question, answer):
        check_care_communication(resource)
        assert [a.reference for a in resource.about] == [f"ServiceRequest/{referral.pk}"]
        assert resource.subject.reference == f"Patient/{referral.patient_id}"
    assert question.payload[0].contentString == AWKWARD
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in question.text.div
    assert question.received is not None and answer.received is None
    assert [e.search.mode for e in bundle.entry] == ["match", "match"]
    # Each entry's fullUrl is the message's stable urn:uuid identifier.
    assert [e.fullUrl for e in bundle.entry] == [
        e.resource.identifier[0].value for e in bundle.entry
    ]

    # The GP reads: both messages now carry a receipt, and the shape holds.
    bundle = validated(fhir_of(Client(live_server.url, world.other_gp), path))
    assert all(entry.resource.received is not None for entry in bundle.entry)
    assert world.patient.cpr not in str(raw) and world.patient.name not in str(raw)


def test_an_advice_thread_read_over_http_is_valid_r4b(world: World, live_server: Any) -> None:
    advice = _advice(world)
    services.message_post(thread=advice, by=world.doctor, body="Which blood tests were taken?")
    services.message_post(thread=advice, by=world.gp, body="Haemoglobin, CRP, ALAT.")
    path = f"/advice-requests/{advice.pk}/messages"

    for reader in (world.gp, world.doctor):
        bundle = validated(fhir_of(Client(live_server.url, reader), path))
        assert bundle.total == 2
        for entry in bundle.entry:
            check_care_communication(entry.resource)
            assert [a.reference for a in entry.resource.about] == [
                f"CommunicationRequest/advice-{advice.pk}"
            ]


def test_an_empty_thread_is_a_valid_bundle(world: World, live_server: Any) -> None:
    referral = _sent_referral(world)
    raw = fhir_of(Client(live_server.url, world.doctor), f"/referrals/{referral.pk}/messages")
    bundle = validated(raw)
    assert bundle.total == 0 and not bundle.entry
    assert "entry" not in raw  # FHIR JSON has no empty arrays


def test_a_message_whose_author_is_no_longer_linked_to_a_clinician(
    world: World, live_server: Any
) -> None:
    # A GP who has left: their account is unlinked from the clinician, the message stays.
    referral = _sent_referral(world)
    services.message_post(thread=referral, by=world.gp, body="Please call her.")
    clinician = world.gp.clinician
    clinician.user = None
    clinician.save()

    raw = fhir_of(Client(live_server.url, world.doctor), f"/referrals/{referral.pk}/messages")
    [entry] = validated(raw).entry
    check_care_communication(entry.resource)
    assert entry.resource.sender.reference is None  # no PractitionerRole to point at
    assert entry.resource.sender.display == world.gp.get_username()

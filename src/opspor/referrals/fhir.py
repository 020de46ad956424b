"""The messages of a referral or advice thread as FHIR R4 JSON, in the shape of MedCom's
care communication (*korrespondancemeddelelse*).

Profile: MedComCareCommunication,
http://medcomfhir.dk/ig/carecommunication/StructureDefinition/medcom-careCommunication-communication
(source: github.com/medcomdk/dk-medcom-carecommunication, input/fsh/MedComCareCommunication.fsh).
Category code system: MedComCareCommunicationCategories,
http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes, code
``regarding-referral`` (display "Regarding Referral", Danish "Vedr. henvisning"; published in
DK MedCom Terminology 1.8.0 and 1.9.0).

What follows the profile: ``status`` fixed to ``unknown``; one ``identifier`` (a ``urn:uuid``);
one category; ``subject`` a Patient reference; one payload segment per message with the
text in ``contentString`` and the four MedCom core extensions the profile requires on a text
segment (date, identifier, author as a PractitionerRole, the author's phone); the sender
extension; a generated narrative.

Where this is a shape and not a conformant MedCom message, on purpose or unverified:

- MedCom exchanges a message Bundle (MessageHeader, Provenance, the bundled Patient with
  the CPR number, the organisations with their SOR codes). Opspor answers with a
  ``searchset`` Bundle of Communication resources and logical references only: no CPR
  number or patient name leaves in this format, and the receiver looks the patient up by
  the referral it already holds.
- The identifier is a version-5 UUID derived from the message's id, so it is the same on
  every read; the profile's invariant ``medcom-uuidv4`` asks for a version-4 UUID (the
  published expression checks only the ``urn:uuid:`` pattern, which this satisfies).
- ``about``, ``sent``, ``received`` and ``sender`` are elements of the base R4
  Communication, which the profile does not constrain; MedCom carries the time and the
  author in the payload extensions, which are given too.
- The extension URLs are those of MedCom's core IG as the profile's source and published
  example instances use them (``medcom-core-datetime-extension``, ``-identifier-``,
  ``-practitioner-``, ``-contact-``, ``-sender-extension``). A later source revision also
  defines a ``medcom-carecommunication-sender-extension`` of its own; which sender
  extension the current release requires was not verified.
- An advice request has no MedCom standard of its own. Its thread uses the same category,
  since it asks whether to refer, and points ``about`` at a CommunicationRequest; that
  choice is this software's, not MedCom's.
- The references (Patient, ServiceRequest, CommunicationRequest, PractitionerRole,
  Organization) name the FHIR type each row corresponds to; Opspor serves these rows as
  its own JSON, not as FHIR resources.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from django.utils import timezone

from opspor.records.models import Clinician
from opspor.referrals.models import AdviceRequest, Message, Referral

CONTENT_TYPE = "application/fhir+json; charset=utf-8"

PROFILE = (
    "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
    "medcom-careCommunication-communication"
)
CATEGORY_SYSTEM = (
    "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes"
)
CATEGORY_REGARDING_REFERRAL = "regarding-referral"
CATEGORY_DISPLAY = "Regarding Referral"

_CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"
EXT_DATE = f"{_CORE}medcom-core-datetime-extension"
EXT_IDENTIFIER = f"{_CORE}medcom-core-identifier-extension"
EXT_AUTHOR = f"{_CORE}medcom-core-practitioner-extension"
EXT_AUTHOR_CONTACT = f"{_CORE}medcom-core-contact-extension"
EXT_SENDER = f"{_CORE}medcom-core-sender-extension"

# Fixed namespace for the stable message identifiers (uuid5 of "opspor:message:<id>").
_NAMESPACE = uuid.UUID("0d6f3b52-6a39-4f0e-9a55-5f5c3f0b7c21")

Thread = Referral | AdviceRequest


def _when(moment: datetime) -> str:
    # FHIR dateTime with the offset of Danish local time, as MedCom's examples write it.
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _message_uuid(message: Message) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'opspor:message:{message.pk}')}"


def _organization(thread: Thread, side: str) -> dict[str, str]:
    if side == "gp":
        return {"reference": f"Organization/practice-{thread.practice_id}"}
    return {"reference": f"Organization/unit-{thread.unit_id}"}


def _side_phone(thread: Thread, side: str) -> str:
    # The side's direct number, the one colleagues use (the study asked for exactly this).
    organization = thread.practice if side == "gp" else thread.unit
    return organization.direct_phone or organization.phone


def _author(message: Message) -> tuple[Clinician | None, str]:
    clinician = getattr(message.author, "clinician", None)
    # An account no longer linked to a clinician may have no name at all; FHIR has no
    # empty strings, and the login still says who wrote it.
    name = (
        message.author.get_full_name()
        or (clinician.name if clinician else "")
        or message.author.get_username()
    )
    return clinician, name


def _about(thread: Thread) -> dict[str, str]:
    if isinstance(thread, Referral):
        return {"reference": f"ServiceRequest/{thread.pk}"}
    return {"reference": f"CommunicationRequest/advice-{thread.pk}"}


def communication(message: Message, thread: Thread) -> dict[str, Any]:
    """One message as a Communication resource in the shape of MedComCareCommunication."""
    clinician, name = _author(message)
    role = (
        {"reference": f"PractitionerRole/{clinician.pk}", "display": name}
        if clinician is not None
        else {"display": name}
    )
    sent = _when(message.sent_at)
    identifier = _message_uuid(message)
    narrative = (
        '<div xmlns="http://www.w3.org/1999/xhtml">'
        f"<p>{escape(sent)}, {escape(name)}:</p><p>{escape(message.body)}</p></div>"
    )
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": str(message.pk),
        "meta": {"profile": [PROFILE]},
        "text": {"status": "generated", "div": narrative},
        "extension": [{"url": EXT_SENDER, "valueReference": role}],
        "identifier": [{"value": identifier}],
        "status": "unknown",
        "category": [
            {
                "coding": [
                    {
                        "system": CATEGORY_SYSTEM,
                        "code": CATEGORY_REGARDING_REFERRAL,
                        "display": CATEGORY_DISPLAY,
                    }
                ]
            }
        ],
        "subject": {"reference": f"Patient/{thread.patient_id}"},
        "about": [_about(thread)],
        "sent": sent,
        "sender": role,
        "payload": [
            {
                "extension": [
                    {"url": EXT_DATE, "valueDateTime": sent},
                    {
                        "url": EXT_IDENTIFIER,
                        "valueIdentifier": {
                            "value": identifier,
                            "assigner": _organization(thread, message.author_side),
                        },
                    },
                    {"url": EXT_AUTHOR, "valueReference": role},
                    {
                        "url": EXT_AUTHOR_CONTACT,
                        "valueContactPoint": {
                            "system": "phone",
                            "value": _side_phone(thread, message.author_side),
                        },
                    },
                ],
                "contentString": message.body,
            }
        ],
    }
    if message.read_at is not None:
        # The read receipt: when someone on the other side first opened the message.
        resource["received"] = _when(message.read_at)
    return resource


def communication_bundle(thread: Thread, messages: Sequence[Message]) -> dict[str, Any]:
    """A thread as a FHIR searchset Bundle, oldest message first."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": _when(timezone.now()),
        "total": len(messages),
    }
    if messages:  # FHIR JSON has no empty arrays: a thread without messages has no entry
        # The resources are not served one by one, so each entry's fullUrl is the message's
        # stable urn:uuid (FHIR allows a urn:uuid fullUrl beside a resource id).
        bundle["entry"] = [
            {
                "fullUrl": _message_uuid(m),
                "resource": communication(m, thread),
                "search": {"mode": "match"},
            }
            for m in messages
        ]
    return bundle


__all__ = ["CONTENT_TYPE", "communication", "communication_bundle"]

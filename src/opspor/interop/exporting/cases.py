"""Referrals, advice requests and safety-net episodes as FHIR R4 resources.

A referral is two resources, as the row is two things (`referrals.models.Referral`): the
GP's order, a ServiceRequest, and the unit's triage of it, a Task whose focus is the order
and whose owner is the unit. Both have the id ``referral-<pk>``. The thread is
Communication resources in MedCom's care-communication shape (`referrals.fhir`), with
their references pointed at the exported resources and ``basedOn`` the ServiceRequest (or
the CommunicationRequest of an advice request).

Referral state → ServiceRequest.status, Task.status (FHIR R4 request-status and
task-status value sets; `REFERRAL_STATUS`):

    draft                 draft      draft
    sent                  active     requested
    accepted              active     accepted
    appointment_booked    active     in-progress
    completed             completed  completed
    rejected              revoked    rejected   (statusReason: the reason; output: the plan)
    returned_with_advice  revoked    rejected   (statusReason: returned with advice;
                                                 output: the advice, and any plan)
    withdrawn             revoked    cancelled

A rejected or returned order is revoked: the unit will not act on it and the GP answers
with a new referral (`referrals.workflow`). The referral's own state is kept exactly in
``Task.businessStatus`` (Opspor's code system ``referral-state``).

An advice request is a CommunicationRequest (``advice-<pk>``; sent → active, answered →
completed, closed → completed when answered, else revoked); its answer a Communication
(``advice-answer-<pk>``) based on it.

A safety-net episode is an EpisodeOfCare (``episode-<pk>``; live states → active, closed →
finished) managed by the practice, with the owner's PractitionerRole as care manager and
the follow-up date, end date and outcome in Opspor's extensions. Each investigation is a
ServiceRequest (``investigation-<pk>``) tied to its episode by the R4 core extension
``workflow-episodeOfCare`` and by ``supportingInfo``; its result, where one exists, is an
Observation: the record's own lab result or finding when the investigation points at one
(named by Opspor's ``investigation-result`` extension), else an Observation
``investigation-<pk>`` with the result in words, based on the ServiceRequest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opspor.interop import codings as cs
from opspor.interop.exporting import record
from opspor.interop.exporting.ids import Ids
from opspor.interop.exporting.record import day, drop_empty, moment
from opspor.records.models import (
    ClinicalFinding,
    Clinician,
    DiagnosticUnit,
    LabResult,
    Patient,
    Practice,
)
from opspor.referrals import fhir as thread_fhir
from opspor.referrals.models import AdviceRequest, Message, Referral
from opspor.referrals.workflow import PATHWAYS, AdviceState, ReferralState
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.workflow import EpisodeState, InvestigationState

Resource = dict[str, Any]

OPSPOR_CS = cs.OPSPOR_CODE_SYSTEM
OPSPOR_EXT = "https://opspor.dk/fhir/StructureDefinition/"
PATHWAY_SYSTEM = f"{OPSPOR_CS}pathway"
REFERRAL_STATE_SYSTEM = f"{OPSPOR_CS}referral-state"
REJECTION_REASON_SYSTEM = f"{OPSPOR_CS}rejection-reason"
ALTERNATIVE_PLAN_SYSTEM = f"{OPSPOR_CS}alternative-plan"
TASK_OUTPUT_SYSTEM = f"{OPSPOR_CS}triage-output"
EPISODE_REASON_SYSTEM = f"{OPSPOR_CS}safety-net-reason"
EPISODE_OUTCOME_SYSTEM = f"{OPSPOR_CS}safety-net-outcome"
INVESTIGATION_KIND_SYSTEM = f"{OPSPOR_CS}investigation-kind"
EXT_FOLLOW_UP = f"{OPSPOR_EXT}safety-net-follow-up"
EXT_ENDS = f"{OPSPOR_EXT}safety-net-ends"
EXT_OUTCOME = f"{OPSPOR_EXT}safety-net-outcome"
EXT_EXPECTED_BY = f"{OPSPOR_EXT}investigation-expected-by"
EXT_RESULT = f"{OPSPOR_EXT}investigation-result"
# The EpisodeOfCare a request belongs to: FHIR R4's extension registry,
# https://hl7.org/fhir/r4/extension-workflow-episodeofcare.html.
EXT_EPISODE = "http://hl7.org/fhir/StructureDefinition/workflow-episodeOfCare"

R = ReferralState
# Referral state → (ServiceRequest.status, Task.status); the table of the module docstring.
REFERRAL_STATUS: dict[str, tuple[str, str]] = {
    R.DRAFT: ("draft", "draft"),
    R.SENT: ("active", "requested"),
    R.ACCEPTED: ("active", "accepted"),
    R.APPOINTMENT_BOOKED: ("active", "in-progress"),
    R.COMPLETED: ("completed", "completed"),
    R.REJECTED: ("revoked", "rejected"),
    R.RETURNED_WITH_ADVICE: ("revoked", "rejected"),
    R.WITHDRAWN: ("revoked", "cancelled"),
}

EPISODE_STATUS: dict[str, str] = {
    EpisodeState.OPEN: "active",
    EpisodeState.INVESTIGATING: "active",
    EpisodeState.AWAITING_FOLLOW_UP: "active",
    EpisodeState.CLOSED: "finished",
}

INVESTIGATION_STATUS: dict[str, str] = {
    InvestigationState.ORDERED: "active",
    InvestigationState.RESULTED: "completed",
    InvestigationState.SEEN: "completed",
    InvestigationState.TOLD: "completed",
    InvestigationState.CANCELLED: "revoked",
}


def _clinician_id(user: Any) -> int | None:
    clinician = getattr(user, "clinician", None) if user is not None else None
    return clinician.pk if clinician is not None else None


def _person(user: Any, ids: Ids) -> Resource | None:
    """Who acted: their PractitionerRole where the account is a clinician's, else words."""
    if user is None:
        return None
    clinician_id = _clinician_id(user)
    if clinician_id is not None:
        return ids.ref(Clinician, clinician_id, "PractitionerRole")
    return {"display": user.get_full_name() or user.get_username()}


def _note(*texts: str) -> list[Resource]:
    return [{"text": t} for t in texts if t]


# --- referrals --------------------------------------------------------------------------


def service_request(referral: Referral, ids: Ids) -> Resource:
    """The GP's order."""
    status, _ = REFERRAL_STATUS[referral.state]
    pathway = PATHWAYS.get(referral.pathway)
    label = pathway.label if pathway else referral.pathway
    authored = referral.sent_at or referral.created_at
    return drop_empty(
        {
            "resourceType": "ServiceRequest",
            "id": ids.id(Referral, referral.pk, "ServiceRequest"),
            "status": status,
            "intent": "order",
            "code": {
                "coding": [{"system": PATHWAY_SYSTEM, "code": referral.pathway, "display": label}],
                "text": label,
            },
            "subject": ids.ref(Patient, referral.patient_id),
            "authoredOn": moment(authored),
            "requester": _person(referral.requester, ids)
            if referral.origin == "general_practice"
            else {"display": referral.origin_name or "Practising specialist"},
            "performer": [ids.ref(DiagnosticUnit, referral.unit_id)],
            "reasonCode": [{"text": referral.clinical_question}]
            if referral.clinical_question
            else None,
            "note": _note(referral.gp_findings, referral.incomplete_reason),
        }
    )


def _plan(referral: Referral) -> Resource | None:
    if not (referral.alternative_plan_code or referral.alternative_plan_text):
        return None
    return drop_empty(
        {
            "type": {"coding": [{"system": TASK_OUTPUT_SYSTEM, "code": "alternative-plan"}]},
            "valueCodeableConcept": {
                "coding": [
                    {"system": ALTERNATIVE_PLAN_SYSTEM, "code": referral.alternative_plan_code}
                ]
                if referral.alternative_plan_code
                else None,
                "text": referral.alternative_plan_text,
            },
        }
    )


def task(referral: Referral, ids: Ids) -> Resource:
    """The unit's triage of the order."""
    _, status = REFERRAL_STATUS[referral.state]
    reason = None
    outputs: list[Resource | None] = []
    if referral.state == R.REJECTED:
        reason = {
            "coding": [{"system": REJECTION_REASON_SYSTEM, "code": referral.reason_category}],
            "text": referral.reason_text,
        }
        outputs.append(_plan(referral))
    elif referral.state == R.RETURNED_WITH_ADVICE:
        reason = {
            "coding": [{"system": REFERRAL_STATE_SYSTEM, "code": R.RETURNED_WITH_ADVICE}],
            "text": referral.reason_text or "Returned with advice",
        }
        outputs.append(
            {
                "type": {"coding": [{"system": TASK_OUTPUT_SYSTEM, "code": "advice"}]},
                "valueString": referral.advice_text,
            }
            if referral.advice_text
            else None
        )
        outputs.append(_plan(referral))
    ended = referral.completed_at or referral.withdrawn_at or referral.decided_at
    terminal = status in {"completed", "rejected", "cancelled"}
    authored = referral.sent_at or referral.created_at
    return drop_empty(
        {
            "resourceType": "Task",
            "id": ids.id(Referral, referral.pk, "Task"),
            "basedOn": [ids.ref(Referral, referral.pk, "ServiceRequest")],
            "status": status,
            "statusReason": reason,
            "businessStatus": {
                "coding": [{"system": REFERRAL_STATE_SYSTEM, "code": referral.state}]
            },
            "intent": "order",
            "priority": "urgent",
            "focus": ids.ref(Referral, referral.pk, "ServiceRequest"),
            "for": ids.ref(Patient, referral.patient_id),
            "executionPeriod": {
                "start": moment(referral.sent_at) if referral.sent_at else None,
                "end": moment(ended) if terminal and ended else None,
            },
            "authoredOn": moment(authored),
            "lastModified": moment(referral.decided_at) if referral.decided_at else None,
            "requester": ids.ref(Practice, referral.practice_id),
            "owner": ids.ref(DiagnosticUnit, referral.unit_id),
            "output": [o for o in outputs if o],
        }
    )


def _retarget(node: Any, references: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: references.get(v, v) if k == "reference" else _retarget(v, references)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_retarget(v, references) for v in node]
    return node


def communications(
    thread: Referral | AdviceRequest, messages: Sequence[Message], ids: Ids
) -> list[Resource]:
    """The thread as MedCom-shaped Communication resources (`referrals.fhir`), pointing at
    the exported resources (`referrals.fhir` names rows by their bare pk)."""
    if isinstance(thread, Referral):
        about = ids.ref(Referral, thread.pk, "ServiceRequest")
        old_about = f"ServiceRequest/{thread.pk}"
    else:
        about = ids.ref(AdviceRequest, thread.pk, "CommunicationRequest")
        old_about = f"CommunicationRequest/advice-{thread.pk}"
    references = {
        old_about: about["reference"],
        f"Patient/{thread.patient_id}": ids.ref(Patient, thread.patient_id)["reference"],
        f"Organization/practice-{thread.practice_id}": ids.ref(Practice, thread.practice_id)[
            "reference"
        ],
        f"Organization/unit-{thread.unit_id}": ids.ref(DiagnosticUnit, thread.unit_id)["reference"],
    }
    out = []
    for message in messages:
        clinician_id = _clinician_id(message.author)
        if clinician_id is not None:
            references[f"PractitionerRole/{clinician_id}"] = ids.ref(
                Clinician, clinician_id, "PractitionerRole"
            )["reference"]
        resource = _retarget(thread_fhir.communication(message, thread), references)
        resource["id"] = f"message-{message.pk}"
        resource["basedOn"] = [about]
        out.append(resource)
    return out


# --- advice requests ------------------------------------------------------------------


def communication_request(advice: AdviceRequest, ids: Ids) -> Resource:
    if advice.state == AdviceState.SENT:
        status = "active"
    elif advice.answered_at is not None:
        status = "completed"
    else:
        status = "revoked"  # closed by the GP before an answer came
    return drop_empty(
        {
            "resourceType": "CommunicationRequest",
            "id": ids.id(AdviceRequest, advice.pk, "CommunicationRequest"),
            "status": status,
            "category": [
                {
                    "coding": [
                        {
                            "system": thread_fhir.CATEGORY_SYSTEM,
                            "code": thread_fhir.CATEGORY_REGARDING_REFERRAL,
                        }
                    ]
                }
            ],
            "subject": ids.ref(Patient, advice.patient_id),
            "payload": [{"contentString": advice.question}],
            "occurrencePeriod": {
                "start": moment(advice.sent_at),
                "end": moment(advice.answer_due_at),
            },
            "authoredOn": moment(advice.sent_at),
            "requester": _person(advice.asked_by, ids),
            "recipient": [ids.ref(DiagnosticUnit, advice.unit_id)],
            "sender": ids.ref(DiagnosticUnit, advice.unit_id),
            "note": _note(advice.gp_findings),
        }
    )


def advice_answer(advice: AdviceRequest, ids: Ids) -> Resource | None:
    """The unit's answer, a Communication based on the request; None before it is answered."""
    if not advice.answer or advice.answered_at is None:
        return None
    return drop_empty(
        {
            "resourceType": "Communication",
            "id": ids.id(AdviceRequest, advice.pk, "Communication"),
            "basedOn": [ids.ref(AdviceRequest, advice.pk, "CommunicationRequest")],
            "status": "completed",
            "subject": ids.ref(Patient, advice.patient_id),
            "sent": moment(advice.answered_at),
            "recipient": [ids.ref(Practice, advice.practice_id)],
            "sender": _person(advice.answered_by, ids),
            "payload": [{"contentString": advice.answer}],
        }
    )


# --- safety-net episodes --------------------------------------------------------------


def episode_of_care(episode: SafetyNetEpisode, ids: Ids) -> Resource:
    extensions: list[Resource] = [
        {"url": EXT_FOLLOW_UP, "valueDate": day(episode.follow_up_on)},
        {"url": EXT_ENDS, "valueDate": day(episode.ends_on)},
    ]
    if episode.outcome:
        extensions.append(
            {
                "url": EXT_OUTCOME,
                "valueCodeableConcept": {
                    "coding": [{"system": EPISODE_OUTCOME_SYSTEM, "code": episode.outcome}]
                },
            }
        )
    return drop_empty(
        {
            "resourceType": "EpisodeOfCare",
            "id": ids.id(SafetyNetEpisode, episode.pk),
            "extension": extensions,
            "status": EPISODE_STATUS[episode.state],
            "type": [{"coding": [{"system": EPISODE_REASON_SYSTEM, "code": episode.reason}]}],
            "patient": ids.ref(Patient, episode.patient_id),
            "managingOrganization": ids.ref(Practice, episode.practice_id),
            "period": {
                "start": moment(episode.opened_at),
                "end": moment(episode.closed_at) if episode.closed_at else None,
            },
            "referralRequest": [
                ids.ref(Referral, r.pk, "ServiceRequest") for r in episode.referrals.all()
            ],
            "careManager": _person(episode.owner, ids),
        }
    )


def _investigation_code(investigation: Investigation) -> Resource:
    kind = str(investigation.kind)
    codings = [{"system": INVESTIGATION_KIND_SYSTEM, "code": kind}]
    if investigation.kind == "lab" and investigation.code:
        lab_concept = record.vocabulary_concept("lab", investigation.code, ())
        codings = [*lab_concept.get("coding", []), *codings]
    return drop_empty({"coding": codings, "text": investigation.description})


def _result_ref(investigation: Investigation, ids: Ids) -> Resource | None:
    if investigation.lab_result_id:
        return ids.ref(LabResult, investigation.lab_result_id)
    if investigation.finding_id:
        return ids.ref(ClinicalFinding, investigation.finding_id)
    if investigation.result_text:
        return ids.ref(Investigation, investigation.pk, "Observation")
    return None


def investigation_request(investigation: Investigation, ids: Ids) -> Resource:
    episode = investigation.episode
    episode_ref = ids.ref(SafetyNetEpisode, episode.pk)
    extensions: list[Resource] = [
        {"url": EXT_EPISODE, "valueReference": episode_ref},
        {"url": EXT_EXPECTED_BY, "valueDate": day(investigation.expected_by)},
    ]
    result = _result_ref(investigation, ids)
    if result is not None:
        extensions.append({"url": EXT_RESULT, "valueReference": result})
    return drop_empty(
        {
            "resourceType": "ServiceRequest",
            "id": ids.id(Investigation, investigation.pk),
            "extension": extensions,
            "status": INVESTIGATION_STATUS[investigation.state],
            "intent": "order",
            "code": _investigation_code(investigation),
            "subject": ids.ref(Patient, episode.patient_id),
            "authoredOn": moment(investigation.ordered_at),
            "requester": _person(investigation.ordered_by, ids),
            "supportingInfo": [episode_ref],
            "note": _note(investigation.cancel_reason),
        }
    )


def investigation_result(investigation: Investigation, ids: Ids) -> Resource | None:
    """The result in words, where it is not the record's own lab result or finding."""
    if investigation.lab_result_id or investigation.finding_id or not investigation.result_text:
        return None
    when = investigation.resulted_at
    return drop_empty(
        {
            "resourceType": "Observation",
            "id": ids.id(Investigation, investigation.pk, "Observation"),
            "basedOn": [ids.ref(Investigation, investigation.pk)],
            "status": "final",
            "code": _investigation_code(investigation),
            "subject": ids.ref(Patient, investigation.episode.patient_id),
            "effectiveDateTime": moment(when) if when else None,
            "valueString": investigation.result_text,
        }
    )

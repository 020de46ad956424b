"""Loops closed by events, not by coding (issue row: "a result that arrives is unseen until
a GP marks it seen").

Registered from the app's `ready()`:
- a referral sent joins the patient's live safety-net episodes (its date is the Aarhus
  statement's referral time point); with none live, it opens one for itself
  (`services.episode_open_for_referral`, reason `referral_pending`);
- a rejection makes the unit's alternative plan the episode's next step: an investigation
  where the plan's catalogue code is one, due when the practice is to contact the patient;
- a lab result that arrives for the patient fills the open order waiting for that test
  (its code), ordered on or before the day the sample was taken; it is then "resulted" and
  stays unseen until a GP marks it seen; an imaging finding that arrives fills the open
  order of its kind (`FINDING_INVESTIGATIONS`) the same way.
Each runs in the transaction of the change that caused it; Opspor is the actor of what it
does here (an empty actor in the audit trail).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils import timezone

from opspor.casework.events import CaseChange, subscribe
from opspor.casework.runner import record_event
from opspor.records.models import ClinicalFinding, LabResult
from opspor.referrals.models import Referral
from opspor.safetynet import services
from opspor.safetynet.models import Investigation, SafetyNetEpisode
from opspor.safetynet.workflow import (
    EpisodeState,
    InvestigationKind,
    InvestigationState,
)

LIVE = (EpisodeState.OPEN, EpisodeState.INVESTIGATING, EpisodeState.AWAITING_FOLLOW_UP)

# The alternatives catalogue's plans that are one investigation the practice arranges
# (engine/alternatives.yaml). A plan not here (repeated blood tests with no test named, an
# advice request) becomes the episode's next step in words.
PLAN_INVESTIGATIONS = {
    "direct_ct_thorax_abdomen": InvestigationKind.CT_THORAX_ABDOMEN,
    "chest_xray": InvestigationKind.CHEST_XRAY,
    "abdominal_ultrasound": InvestigationKind.ULTRASOUND,
    "pelvic_ultrasound": InvestigationKind.ULTRASOUND,
    "fit": InvestigationKind.FIT,
}


# The vocabulary's imaging findings (engine/vocab/findings.yaml) and the investigation each
# answers: a finding that arrives fills the open order of that kind. A finding whose
# modality the code does not say (`imaging_suggests_urinary_tract_tumour`: ultrasound or CT
# urography) is left for the GP to link by hand.
FINDING_INVESTIGATIONS = {
    "chest_xray_performed": InvestigationKind.CHEST_XRAY,
    "chest_xray_suggests_lung_cancer": InvestigationKind.CHEST_XRAY,
    "chest_xray_suggests_mesothelioma": InvestigationKind.CHEST_XRAY,
    "ct_thorax_abdomen_performed": InvestigationKind.CT_THORAX_ABDOMEN,
    "ultrasound_suggests_ovarian_cancer": InvestigationKind.ULTRASOUND,
}


def _live_episodes(patient_id: int) -> list[SafetyNetEpisode]:
    return list(
        SafetyNetEpisode.objects.select_for_update()
        .filter(patient_id=patient_id, state__in=LIVE)
        .order_by("pk")
    )


def referral_sent(change: CaseChange) -> None:
    referral: Referral = change.row
    live = _live_episodes(referral.patient_id)
    if not live and change.by is not None:
        live = [
            services.episode_open_for_referral(referral=referral, sent_by=change.by, at=change.at)
        ]
    for episode in live:
        episode.referrals.add(referral)
        record_event(
            episode,
            by=None,
            at=change.at,
            action="referral_sent",
            from_state=episode.state,
            reason=f"Referral #{referral.pk} ({referral.pathway}) sent",
        )


def referral_rejected(change: CaseChange) -> None:
    referral: Referral = change.row
    kind = PLAN_INVESTIGATIONS.get(referral.alternative_plan_code)
    due_at = referral.patient_contact_due_at or change.at + timedelta(days=1)
    plan = referral.alternative_plan_text or referral.alternative_plan_code
    for episode in _live_episodes(referral.patient_id):
        from_state = episode.state
        reason = f"The unit's plan after rejecting referral #{referral.pk}: {plan}"
        if kind is not None:
            investigation = Investigation.objects.create(
                episode=episode,
                kind=kind,
                description=plan[:200],
                ordered_by=referral.requester,
                ordered_at=change.at,
                expected_by=timezone.localdate(due_at),
            )
            record_event(investigation, by=None, at=change.at, action="order", from_state="")
            episode.state = EpisodeState.INVESTIGATING
        # The practice contacts the patient by then; the review comes no later.
        episode.follow_up_on = min(episode.follow_up_on, timezone.localdate(due_at))
        episode.save(update_fields=["state", "follow_up_on"])
        record_event(
            episode,
            by=None,
            at=change.at,
            action="next_step" if kind is None else "order_investigation",
            from_state=from_state,
            reason=reason,
        )


def lab_result_arrived(instance: LabResult, created: bool, **_: Any) -> None:
    if not created:
        return
    # The row that arrived may have been saved outside a transaction (autocommit); the
    # order it fills is locked in one of its own.
    with transaction.atomic():
        _fill_waiting_order(
            instance,
            Q(kind=InvestigationKind.LAB, code=instance.code),
            on=instance.taken_on,
            field="lab_result",
            reason=f"Lab result #{instance.pk} arrived",
        )


def finding_arrived(instance: ClinicalFinding, created: bool, **_: Any) -> None:
    kind = FINDING_INVESTIGATIONS.get(instance.code)
    if not created or kind is None:
        return
    with transaction.atomic():
        _fill_waiting_order(
            instance,
            Q(kind=kind),
            on=instance.found_on,
            field="finding",
            reason=f"Finding #{instance.pk} ({instance.code}) arrived",
        )


def _fill_waiting_order(
    row: LabResult | ClinicalFinding, answers: Q, *, on: date, field: str, reason: str
) -> None:
    """The oldest order of the patient's live episodes that `row` answers, resulted by it."""
    waiting = (
        Investigation.objects.select_for_update()
        .filter(answers, episode__patient_id=row.patient_id, episode__state__in=LIVE)
        .filter(state=InvestigationState.ORDERED)
        .order_by("ordered_at", "pk")
    )
    now = timezone.now()
    for investigation in waiting:
        if timezone.localdate(investigation.ordered_at) > on:
            continue  # taken or found before the order: it answers another question
        investigation.state = InvestigationState.RESULTED
        investigation.resulted_at = now
        setattr(investigation, field, row)
        investigation.save(update_fields=["state", "resulted_at", field])
        record_event(
            investigation,
            by=None,
            at=now,
            action="record_result",
            from_state=InvestigationState.ORDERED,
            reason=reason,
        )
        return  # one result fills one order


def connect() -> None:
    subscribe(Referral, "send", referral_sent)
    subscribe(Referral, "reject", referral_rejected)
    post_save.connect(lab_result_arrived, sender=LabResult, dispatch_uid="safetynet-lab-result")
    post_save.connect(finding_arrived, sender=ClinicalFinding, dispatch_uid="safetynet-finding")

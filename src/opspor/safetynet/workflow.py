"""The safety-net episode and its investigations as data: states, transitions, who acts,
why an episode is opened and how it ends.

The services consult these tables and nothing else, so a clinician can review the
workflow here without reading the services, and the tests walk every row of them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.casework.runner import Transition, transitions


class EpisodeState(models.TextChoices):
    OPEN = "open", _("Open")
    INVESTIGATING = "investigating", _("Investigations under way")
    AWAITING_FOLLOW_UP = "awaiting_follow_up", _("Awaiting follow-up")
    CLOSED = "closed", _("Closed")


class EpisodeReason(models.TextChoices):
    WAIT_AND_SEE = "wait_and_see", _("Wait and see, with a plan")
    PENDING_INVESTIGATIONS = "pending_investigations", _("Investigations pending")
    FIT_NEGATIVE_SYMPTOMS_PERSIST = (
        "fit_negative_symptoms_persist",
        _("FIT negative, symptoms persist"),
    )
    REFERRAL_REJECTED = "referral_rejected", _("Referral rejected")
    PATHWAY_NEGATIVE_SYMPTOMS_PERSIST = (
        "pathway_negative_symptoms_persist",
        _("Pathway without cancer, symptoms persist"),
    )
    PATIENT_CONCERN = "patient_concern", _("The patient's concern")
    # Opened by Opspor when a referral is sent and no safety net is live (`loops.py`): the
    # referral itself is what the episode waits for.
    REFERRAL_PENDING = "referral_pending", _("Referred, the pathway under way")


class EpisodeOutcome(models.TextChoices):
    REFERRED = "referred", _("Referred")
    CANCER_DIAGNOSED = "cancer_diagnosed", _("Cancer diagnosed")
    NO_CANCER_FOUND = "no_cancer_found", _("No cancer found")
    OTHER_DIAGNOSIS = "other_diagnosis", _("Another diagnosis")
    SYMPTOMS_RESOLVED = "symptoms_resolved", _("Symptoms resolved")
    PATIENT_DECLINED = "patient_declined", _("The patient declined")
    MOVED_AWAY = "moved_away", _("Moved away")
    DIED = "died", _("Died")


# Design row 5 (study challenge 5): these conclusions wait until every result is in and told
# to the patient, and no referral is open. There is no override.
OUTCOMES_THAT_WAIT_FOR_THE_WORKUP = frozenset(
    {EpisodeOutcome.NO_CANCER_FOUND, EpisodeOutcome.SYMPTOMS_RESOLVED}
)

E = EpisodeState
LIVE = {E.OPEN, E.INVESTIGATING, E.AWAITING_FOLLOW_UP}
# Every action is the practice's: any GP of it may act, so nothing waits on one absent
# doctor. An episode never closes by itself; its end date makes it due on the worklist.
EPISODE_TRANSITIONS: dict[str, Transition] = transitions(
    ("order_investigation", LIVE, E.INVESTIGATING, "gp"),
    ("await_follow_up", {E.OPEN, E.INVESTIGATING}, E.AWAITING_FOLLOW_UP, "gp"),
    # Not a change of state: a new follow-up date, with the reason.
    ("reschedule", LIVE, None, "gp"),
    ("close", LIVE, E.CLOSED, "gp"),
)


# The reason of the move to "awaiting follow-up" the services make by themselves when the
# last investigation under way is told or cancelled and no referral is open.
WORKUP_DONE = "workup_done"


class InvestigationState(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    RESULTED = "resulted", _("Result in, not yet seen")
    SEEN = "seen", _("Seen by a GP, patient not yet told")
    TOLD = "told", _("Told to the patient")
    CANCELLED = "cancelled", _("Cancelled")


IS = InvestigationState
INVESTIGATION_TRANSITIONS: dict[str, Transition] = transitions(
    ("record_result", {IS.ORDERED}, IS.RESULTED, "gp"),
    ("mark_seen", {IS.RESULTED}, IS.SEEN, "gp"),
    # Telling the patient the result means a GP has seen it.
    ("mark_told", {IS.RESULTED, IS.SEEN}, IS.TOLD, "gp"),
    ("cancel", {IS.ORDERED}, IS.CANCELLED, "gp"),
)
# An investigation still in these states keeps the workup incomplete.
PENDING_INVESTIGATION = frozenset({IS.ORDERED, IS.RESULTED, IS.SEEN})


class InvestigationKind(models.TextChoices):
    LAB = "lab", _("Blood or urine test")
    FIT = "fit", _("FIT (faecal immunochemical test)")
    CHEST_XRAY = "chest_xray", _("Chest X-ray")
    CT_THORAX_ABDOMEN = "ct_thorax_abdomen", _("CT of chest and abdomen")
    ULTRASOUND = "ultrasound", _("Ultrasound")
    ENDOSCOPY = "endoscopy", _("Endoscopy")
    SPECIALTY = "specialty", _("Another specialty")


class ConcernKind(models.TextChoices):
    """What a patient can tell the practice from their own page about a live safety net."""

    GOT_WORSE = "got_worse", _("It got worse")
    NOT_HEARD = "not_heard", _("I have not heard anything")


class ToldHow(models.TextChoices):
    CONSULTATION = "consultation", _("At a consultation")
    PHONE = "phone", _("By phone")
    MESSAGE = "message", _("By written message")
    LETTER = "letter", _("By letter")

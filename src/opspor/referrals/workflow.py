"""The referral and advice-request workflows as data: states, transitions, who acts, and
what a complete referral carries for each pathway.

The services consult these tables and nothing else, so a clinician can review the
workflow here without reading the services, and the tests walk every row of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.casework.runner import Transition, transitions
from opspor.engine.filter_package import DEFAULT_PACKAGE
from opspor.engine.rules.pathways import referable_pathways


class ReferralState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    RETURNED_WITH_ADVICE = "returned_with_advice", _("Returned with advice")
    APPOINTMENT_BOOKED = "appointment_booked", _("Appointment booked")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AdviceState(models.TextChoices):
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


R = ReferralState
# The GP places the order (FHIR ServiceRequest) and alone may revoke it; the unit owns the
# triage (FHIR Task). Rejected and returned referrals end here: the GP answers them with
# a new referral, so each decision stays attached to the letter it was made on.
REFERRAL_TRANSITIONS: dict[str, Transition] = transitions(
    ("send", {R.DRAFT}, R.SENT, "gp"),
    ("accept", {R.SENT}, R.ACCEPTED, "unit"),
    ("reject", {R.SENT}, R.REJECTED, "unit"),
    ("return_with_advice", {R.SENT}, R.RETURNED_WITH_ADVICE, "unit"),
    ("book_appointment", {R.ACCEPTED}, R.APPOINTMENT_BOOKED, "unit"),
    ("complete", {R.APPOINTMENT_BOOKED}, R.COMPLETED, "unit"),
    # Not a change of state: the unit has spoken to the patient (due 48 working hours
    # after acceptance). Booking an appointment counts as a first contact too.
    ("record_first_contact", {R.ACCEPTED}, R.ACCEPTED, "unit"),
    ("withdraw", {R.DRAFT, R.SENT, R.ACCEPTED, R.APPOINTMENT_BOOKED}, R.WITHDRAWN, "gp"),
    # Not a change of state: the rejection stays a rejection, now seen by the practice.
    ("acknowledge_rejection", {R.REJECTED}, R.REJECTED, "gp"),
)

A = AdviceState
ADVICE_TRANSITIONS: dict[str, Transition] = transitions(
    ("answer", {A.SENT}, A.ANSWERED, "unit"),
    # The GP closes a question once answered, or withdraws one no longer needed.
    ("close", {A.SENT, A.ANSWERED}, A.CLOSED, "gp"),
)

# The triage decisions: two doctors taking any two of these on one referral conflict.
TRIAGE_ACTIONS = frozenset({"accept", "reject", "return_with_advice"})


class ReferralOrigin(models.TextChoices):
    GENERAL_PRACTICE = "general_practice", _("General practice")
    PRACTISING_SPECIALIST = "practising_specialist", _("Practising specialist")


class NotificationKind(models.TextChoices):
    REJECTION = "rejection", _("Referral rejected")
    ESCALATION = "escalation", _("Rejection not acknowledged in time")
    RETURNED_WITH_ADVICE = "returned_with_advice", _("Referral returned with advice")
    ADVICE_ANSWERED = "advice_answered", _("Advice request answered")
    MESSAGE = "message", _("New message")
    TRIAGE_OVERDUE = "triage_overdue", _("Referral not triaged in time")
    FIRST_CONTACT_OVERDUE = "first_contact_overdue", _("Patient not contacted in time")
    ADVICE_OVERDUE = "advice_overdue", _("Advice request not answered in time")


class RejectionReason(models.TextChoices):
    CRITERIA_NOT_MET = "criteria_not_met", _("The pathway's criteria are not met")
    OTHER_PATHWAY = "other_pathway", _("Another pathway or department fits better")
    INVESTIGATIONS_FIRST = "investigations_first", _("Investigations are needed first")
    ALREADY_INVESTIGATED = "already_investigated", _("Already investigated or in a pathway")
    PATIENT_DECLINES = "patient_declines", _("The patient does not wish investigation")
    OTHER = "other", _("Other")


@dataclass(frozen=True)
class PathwayRequirements:
    """What a referral to one pathway must carry to be complete at send."""

    label: str
    # The pre-referral test package (engine/rules/filter_packages.yaml) whose tests must
    # be present and recent enough, or None for pathways without one encoded.
    filter_package: str | None = None


# Every Danish pathway a GP refers to directly (engine/rules/dk-pakkeforloeb/_pathways.yaml),
# whether or not Opspor can check its entry criteria; only the diagnostic pathway asks for a
# test package before it is sent.
PATHWAYS: dict[str, PathwayRequirements] = {
    p.code: PathwayRequirements(
        label=p.title.en, filter_package=DEFAULT_PACKAGE if p.code == "dpf" else None
    )
    for p in referable_pathways()
}

# The pathway a criterion's cancer site points to, for prefilling the GP's referral form;
# a site without a pathway of its own here points to the diagnostic pathway.
PATHWAY_OF_SITE: dict[str, str] = {
    "lung": "lung",
    "mesothelioma": "lung",
    "colorectal": "colorectal",
    "anal": "colorectal",
    "breast": "breast",
    "pancreatic": "pancreas",
    "kidney": "kidney",
    "bladder": "kidney",
    "oesophageal": "oesophagus_stomach",
    "stomach": "oesophagus_stomach",
    "liver": "liver",
    "prostate": "prostate",
    "testis": "testis",
    "ovarian": "ovary",
    "endometrial": "uterus",
    "uterine": "uterus",
    "cervical": "cervix",
    "vulval": "vulva",
    "lymphoma": "lymphoma_cll",
    "leukaemia": "acute_leukaemia",
    "myeloma": "myeloma",
    "brain_cns": "brain",
    "head_and_neck": "head_and_neck",
    "laryngeal": "head_and_neck",
    "oral": "head_and_neck",
    "thyroid": "head_and_neck",
    "melanoma": "melanoma",
    "sarcoma": "sarcoma",
    "bone_sarcoma": "sarcoma",
    "soft_tissue_sarcoma": "sarcoma",
    "neuroblastoma": "children",
    "retinoblastoma": "children",
    "wilms": "children",
    "childhood_cancer": "children",
}

# Study challenge 12: from this age, or when the GP marks the patient frail, the unit must
# see what the patient wants and can tolerate before it plans an investigation.
FRAILTY_AGE = 75
FRAILTY_LABELS = {
    "clinical_frailty_scale": _("Clinical Frailty Scale"),
    "dementia": _("Dementia"),
    "patient_wish": _("The patient's own wish about investigation and treatment"),
    "relatives_role": _("The relatives' role"),
    "tolerates_surgery": _("Could tolerate surgery"),
    "tolerates_chemotherapy": _("Could tolerate chemotherapy"),
}
FRAILTY_FIELDS = tuple(FRAILTY_LABELS)
# Clinical Frailty Scale, version 2.0 (Rockwood K et al., CMAJ 2005;173:489-95; the
# 2020 wording by Dalhousie University): the level's number with its published name.
FRAILTY_SCALE = (
    (1, _("1 – Very fit")),
    (2, _("2 – Fit")),
    (3, _("3 – Managing well")),
    (4, _("4 – Living with very mild frailty")),
    (5, _("5 – Living with mild frailty")),
    (6, _("6 – Living with moderate frailty")),
    (7, _("7 – Living with severe frailty")),
    (8, _("8 – Living with very severe frailty")),
    (9, _("9 – Terminally ill")),
)

# The ones written in words (the rest are a scale and yes/no answers).
FRAILTY_TEXT_FIELDS = ("patient_wish", "relatives_role")

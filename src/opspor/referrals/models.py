"""Advice requests and referrals between general practice and the diagnostic units.

A referral is the GP's order (FHIR ServiceRequest) and the unit's triage of it (FHIR
Task) in one row: the order's fields are written by the GP side, the decision fields by
the unit side, and only the services in `services.py` write either. Every change of state
leaves a `ReferralEvent` or `AdviceEvent` row. `__str__` never shows clinical text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.casework.deadlines import DEFAULT_DEADLINE_DAYS
from opspor.casework.models import CaseEvent, Notification
from opspor.records.models import Clinician, DiagnosticUnit, Patient, Practice
from opspor.referrals.workflow import (
    AdviceState,
    ReferralOrigin,
    ReferralState,
    RejectionReason,
)


class UnitSettings(models.Model):
    """A diagnostic unit's own service levels, in working days of the Danish calendar."""

    unit = models.OneToOneField(
        DiagnosticUnit, on_delete=models.CASCADE, related_name="referral_settings"
    )
    triage_working_days = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=DEFAULT_DEADLINE_DAYS,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("Time to triage a referral, counted from when the GP sends it"),
    )
    advice_working_days = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        default=DEFAULT_DEADLINE_DAYS,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("Time to answer an advice request"),
    )

    class Meta:
        verbose_name_plural = "unit settings"
        constraints = [
            models.CheckConstraint(
                name="unit_deadlines_are_positive",
                condition=Q(triage_working_days__gt=0) & Q(advice_working_days__gt=0),
            )
        ]

    def __str__(self) -> str:
        return f"settings of unit #{self.unit_id}"


class AdviceRequest(models.Model):
    """A GP's written question to a diagnostic unit before referring (*sparring*)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="advice_requests")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="advice_requests")
    unit = models.ForeignKey(
        DiagnosticUnit, on_delete=models.PROTECT, related_name="advice_requests"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="advice_asked"
    )
    question = models.TextField()
    patient_summary = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Opspor's findings, computed from the record when the request was sent"),
    )
    gp_findings = models.TextField(
        blank=True, help_text=_("The GP's own findings, as the GP or the GP's system sent them")
    )
    state = models.CharField(max_length=20, choices=AdviceState.choices, default=AdviceState.SENT)
    sent_at = models.DateTimeField()
    answer_due_at = models.DateTimeField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="advice_answered",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    notifications = GenericRelation(
        Notification, content_type_field="subject_type", object_id_field="subject_id"
    )

    class Meta:
        ordering = ["answer_due_at"]
        indexes = [
            models.Index(fields=["unit", "state", "answer_due_at"]),
            models.Index(fields=["practice", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="advice_state_is_known", condition=Q(state__in=AdviceState.values)
            ),
            models.CheckConstraint(
                name="answered_advice_has_an_answer",
                condition=Q(state=AdviceState.SENT) | Q(answered_at__isnull=True) | ~Q(answer=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Advice request #{self.pk} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("referrals:advice_detail", args=[self.pk])

    @property
    def case_title(self) -> str:
        return str(_("Advice request"))


class Referral(models.Model):
    """A GP's referral (*henvisning*) to a diagnostic unit, and the unit's triage of it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="referrals")
    unit = models.ForeignKey(DiagnosticUnit, on_delete=models.PROTECT, related_name="referrals")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_requested"
    )
    pathway = models.SlugField(max_length=40, help_text=_("Pathway code, e.g. dpf"))
    clinical_question = models.TextField(blank=True)
    findings = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Opspor's findings, computed from the record when created and when sent"),
    )
    gp_findings = models.TextField(
        blank=True, help_text=_("The GP's own findings, as the GP or the GP's system sent them")
    )
    from_advice = models.ForeignKey(
        AdviceRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    # Who wrote the letter. A practising specialist may refer too; the row's practice is
    # still the patient's own, so the unit can always reach the GP.
    origin = models.CharField(
        max_length=24, choices=ReferralOrigin.choices, default=ReferralOrigin.GENERAL_PRACTICE
    )
    origin_name = models.CharField(
        max_length=150, blank=True, help_text=_("The referring specialist's clinic, if any")
    )
    origin_phone = models.CharField(max_length=20, blank=True)
    state = models.CharField(
        max_length=24, choices=ReferralState.choices, default=ReferralState.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True, help_text=_("The clock starts here"))
    triage_due_at = models.DateTimeField(null=True, blank=True)

    # Completeness at send: what was missing, and the GP's reason for sending anyway.
    completeness = models.JSONField(default=list, blank=True)
    incomplete_reason = models.TextField(blank=True)
    informed_about_kraeft = models.BooleanField(
        default=False,
        help_text=_(
            "The patient was told the letter uses the word kræft, and what it does and does "
            "not mean"
        ),
    )

    # Frailty section (study challenge 12), required for patients aged 75+ or marked frail.
    marked_frail = models.BooleanField(default=False)
    clinical_frailty_scale = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    dementia = models.BooleanField(null=True, blank=True)
    patient_wish = models.TextField(
        blank=True, help_text=_("The patient's own wish about investigation and treatment")
    )
    relatives_role = models.TextField(blank=True)
    tolerates_surgery = models.BooleanField(null=True, blank=True)
    tolerates_chemotherapy = models.BooleanField(null=True, blank=True)

    # The unit's triage (the Task).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason_category = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    reason_text = models.TextField(blank=True)
    alternative_plan_code = models.SlugField(
        max_length=60, blank=True, help_text=_("A code of the alternatives catalogue")
    )
    alternative_plan_text = models.TextField(blank=True)
    advice_text = models.TextField(blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rejections_acknowledged",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # After a rejection: when it escalates if no GP acknowledged it, whether it did, and
    # who will contact the patient by when (shown to the patient, study finding 10).
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        Clinician, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    patient_contact_by = models.ForeignKey(
        Clinician, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    patient_contact_due_at = models.DateTimeField(null=True, blank=True)
    # After acceptance: the unit's first contact with the patient, due within 48 working
    # hours (two working days on the Danish calendar).
    first_contact_due_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    appointment_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    notifications = GenericRelation(
        Notification, content_type_field="subject_type", object_id_field="subject_id"
    )

    class Meta:
        ordering = ["triage_due_at", "pk"]
        indexes = [
            models.Index(fields=["unit", "state", "triage_due_at"]),
            models.Index(fields=["practice", "state"]),
            models.Index(fields=["state", "escalation_due_at"]),
            models.Index(fields=["state", "first_contact_due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="referral_state_is_known", condition=Q(state__in=ReferralState.values)
            ),
            # Design row 10, held by the database too: no rejection without reason and plan.
            models.CheckConstraint(
                name="rejection_has_reason_and_plan",
                condition=~Q(state=ReferralState.REJECTED)
                | (
                    ~Q(reason_category="")
                    & ~Q(reason_text="")
                    & (~Q(alternative_plan_code="") | ~Q(alternative_plan_text=""))
                ),
            ),
            models.CheckConstraint(
                name="sent_referral_has_clock",
                condition=Q(state=ReferralState.DRAFT)
                | Q(state=ReferralState.WITHDRAWN, sent_at__isnull=True)
                | Q(sent_at__isnull=False, triage_due_at__isnull=False),
            ),
            models.CheckConstraint(
                name="frailty_scale_is_1_to_9",
                condition=Q(clinical_frailty_scale__isnull=True)
                | Q(clinical_frailty_scale__gte=1, clinical_frailty_scale__lte=9),
            ),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("referrals:detail", args=[self.pk])

    @property
    def case_title(self) -> str:
        return str(_("Referral"))

    @property
    def stored_completeness(self) -> list[dict[str, Any]]:
        """What the check found missing at sending, as stored; a malformed value as nothing
        rather than a page that fails."""
        stored = self.completeness
        return (
            [item for item in stored if isinstance(item, dict)] if isinstance(stored, list) else []
        )

    @property
    def is_unacknowledged_rejection(self) -> bool:
        return self.state == ReferralState.REJECTED and self.acknowledged_at is None


class ReferralEvent(CaseEvent):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")

    def __str__(self) -> str:
        return f"referral #{self.referral_id}: {self.from_state or '-'} → {self.to_state}"


class AdviceEvent(CaseEvent):
    advice_request = models.ForeignKey(
        AdviceRequest, on_delete=models.PROTECT, related_name="events"
    )

    def __str__(self) -> str:
        return f"advice #{self.advice_request_id}: {self.from_state or '-'} → {self.to_state}"


class Message(models.Model):
    """One message in the thread of a referral or an advice request.

    Shaped after MedCom's care communication (*korrespondancemeddelelse*) with the category
    "regarding referral": an author on one side, a plain-text body, and a read receipt set
    when someone on the other side first opens it.
    """

    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    advice_request = models.ForeignKey(
        AdviceRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_side = models.CharField(max_length=4, choices=[("gp", "GP"), ("unit", "Unit")])
    sent_at = models.DateTimeField()
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="message_belongs_to_one_thread",
                condition=Q(referral__isnull=False, advice_request__isnull=True)
                | Q(referral__isnull=True, advice_request__isnull=False),
            ),
            models.CheckConstraint(
                name="message_side_is_known", condition=Q(author_side__in=["gp", "unit"])
            ),
        ]

    def __str__(self) -> str:
        return f"Message #{self.pk}"

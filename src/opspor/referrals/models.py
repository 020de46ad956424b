"""Advice requests and referrals between general practice and the diagnostic units.

A referral is the GP's order (FHIR ServiceRequest) and the unit's triage of it (FHIR
Task) in one row: the order's fields are written by the GP side, the decision fields by
the unit side, and only the services in `services.py` write either. Every change of state
leaves a `ReferralEvent` or `AdviceEvent` row. `__str__` never shows clinical text.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.records.models import Clinician, DiagnosticUnit, Patient, Practice
from opspor.referrals.workflow import (
    AdviceState,
    NotificationKind,
    ReferralOrigin,
    ReferralState,
    RejectionReason,
)

DEFAULT_DEADLINE_DAYS = Decimal("1.0")
# How the audit trail names an action taken by the background worker, not by a person.
SYSTEM_ACTOR = _("Opspor (automatic)")


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
        default=dict, blank=True, help_text=_("The engine's findings, attached when available")
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
        default=dict, blank=True, help_text=_("Snapshot of the engine's findings at creation")
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

    @property
    def is_unacknowledged_rejection(self) -> bool:
        return self.state == ReferralState.REJECTED and self.acknowledged_at is None


class WorkflowEvent(models.Model):
    """One transition: who, when, from which state to which, and why."""

    # Empty when Opspor itself acted: the background worker escalating a rejection nobody
    # acknowledged. No person did that, and a made-up "system" account would look like one
    # in the user list and could be given a password or a role by mistake.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]

    @property
    def actor_label(self) -> str:
        """Who acted, for the audit views: the user, or Opspor itself."""
        return str(self.actor) if self.actor_id is not None else str(SYSTEM_ACTOR)


class ReferralEvent(WorkflowEvent):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")

    def __str__(self) -> str:
        return f"referral #{self.referral_id}: {self.from_state or '-'} → {self.to_state}"


class AdviceEvent(WorkflowEvent):
    advice_request = models.ForeignKey(
        AdviceRequest, on_delete=models.PROTECT, related_name="events"
    )

    def __str__(self) -> str:
        return f"advice #{self.advice_request_id}: {self.from_state or '-'} → {self.to_state}"


class IdempotencyRecord(models.Model):
    """The first result of a create or send, so a repeat with the same key returns it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=200)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key", "action"], name="idempotency_key_once_per_user_action"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} #{self.object_id}"


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


class Notification(models.Model):
    """Something a practice or a unit must see: in the app, and by e-mail.

    The row is written in the same transaction as the change it reports, so it cannot be
    lost; the e-mail is delivered by a background task and retried until it is sent. The
    e-mail never carries patient data, only a pointer to the case in the app.
    """

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        NO_ADDRESS = "no_address", _("No e-mail address on file")

    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    unit = models.ForeignKey(
        DiagnosticUnit,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A named recipient within the practice or unit (e.g. the second contact), if any.
    recipient = models.ForeignKey(
        Clinician, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    advice_request = models.ForeignKey(
        AdviceRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email_to = models.EmailField(blank=True)
    delivery = models.CharField(max_length=12, choices=Delivery.choices, default=Delivery.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["delivery", "next_attempt_at"]),
            models.Index(fields=["practice", "read_at"]),
            models.Index(fields=["unit", "read_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="notification_goes_to_practice_or_unit",
                condition=Q(practice__isnull=False, unit__isnull=True)
                | Q(practice__isnull=True, unit__isnull=False),
            ),
            models.CheckConstraint(
                name="notification_kind_is_known", condition=Q(kind__in=NotificationKind.values)
            ),
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk} ({self.kind}, {self.delivery})"

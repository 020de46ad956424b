"""The rows every kind of case shares: its audit events, its idempotency records and the
notifications it causes.

A notification and an idempotency record refer to their case generically (a content type
and an id), so a safety-net episode or any later kind of case uses the same tables instead
of growing a nullable foreign key per kind.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# How the audit trail names an action taken by the background worker, not by a person.
SYSTEM_ACTOR = _("Opspor (automatic)")


class CaseEvent(models.Model):
    """One transition of a case: who, when, from which state to which, and why.

    Each kind of case has its own concrete event table (`ReferralEvent`, ...) with a
    foreign key named after the case and `related_name="events"`, so the workflow runner
    writes every kind's events the same way.
    """

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


class IdempotencyRecord(models.Model):
    """The first result of a create or send, so a repeat with the same key returns it.

    The key is bound to its caller, its action and a digest of what was asked
    (`fingerprint`): the same key with another patient, thread or body is refused instead
    of silently answering with the first result.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=200)
    action = models.CharField(max_length=40)
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of the request the key was first used for")
    )
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


# The kinds of notification, with their labels, as each app registers them (see
# `casework.notifications.register_kinds`); the column itself takes any registered code.
NOTIFICATION_KINDS: dict[str, str | Promise] = {}
# How each kind of case is read when a list of notifications shows it (with its patient),
# as each app registers it.
SUBJECT_QUERYSETS: list[models.QuerySet[Any]] = []


class NotificationQuerySet(models.QuerySet["Notification"]):
    def about(self, subject: models.Model) -> NotificationQuerySet:
        """The notifications about one case."""
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )


class Notification(models.Model):
    """Something a practice, a unit or a patient must see: in the app, and by e-mail.

    The row is written in the same transaction as the change it reports, so it cannot be
    lost; the e-mail is delivered by a background task and retried until it is sent. The
    e-mail never carries patient data, only a pointer to the case in the app.
    """

    class Delivery(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        NO_ADDRESS = "no_address", _("No e-mail address on file")

    kind = models.CharField(max_length=30)
    practice = models.ForeignKey(
        "records.Practice",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    unit = models.ForeignKey(
        "records.DiagnosticUnit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Or the patient themself (a reminder from their practice), at their own account's
    # address; never listed with the practice's notifications.
    patient = models.ForeignKey(
        "records.Patient",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A named recipient within the practice or unit (e.g. the second contact), if any.
    recipient = models.ForeignKey(
        "records.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    # The case it is about: a referral, an advice request, later a safety-net episode.
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
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

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["delivery", "next_attempt_at"], name="notification_due_idx"),
            models.Index(fields=["practice", "read_at"], name="notification_practice_idx"),
            models.Index(fields=["unit", "read_at"], name="notification_unit_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="notification_subject_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="notification_goes_to_practice_unit_or_patient",
                condition=Q(practice__isnull=False, unit__isnull=True, patient__isnull=True)
                | Q(practice__isnull=True, unit__isnull=False, patient__isnull=True)
                | Q(practice__isnull=True, unit__isnull=True, patient__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk} ({self.kind}, {self.delivery})"

    @property
    def kind_label(self) -> str:
        return str(NOTIFICATION_KINDS.get(self.kind, self.kind))

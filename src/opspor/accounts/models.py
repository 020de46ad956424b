"""Users with one role each, and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GP = "gp", _("General practitioner")
    UNIT_DOCTOR = "unit_doctor", _("Diagnostic unit doctor")
    PATIENT = "patient", _("Patient")
    ANALYST = "analyst", _("Quality analyst")
    ADMIN = "admin", _("Administrator")


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_is_known", condition=models.Q(role__in=Role.values)
            )
        ]

    def __str__(self) -> str:
        return self.username


class ApiToken(models.Model):
    """A bearer token for API clients; only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text=_("First characters, to tell tokens apart"))
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.prefix}… of {self.user_id}"

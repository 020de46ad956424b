"""Users with one role each, their API tokens, the login trail and their passkeys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_otp.models import Device, TimestampMixin


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


class TokenScope(models.TextChoices):
    # A read token may only read: the API refuses it every method but GET and HEAD.
    READ = "read", pgettext_lazy("what an API token may do", "Read")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """A bearer token for API clients; only its SHA-256 digest is stored.

    It belongs to one user for good (the admin cannot move it), lives until `expires_at`,
    and its owner or an administrator can revoke it sooner."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text=_("First characters, to tell tokens apart"))
    scope = models.CharField(max_length=5, choices=TokenScope.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="api_token_scope_is_known", condition=models.Q(scope__in=TokenScope.values)
            )
        ]

    def __str__(self) -> str:
        return f"token {self.prefix}… of {self.user_id}"


class ApiRateWindow(models.Model):
    """How many API requests one client (a token, or an address without one) has made in
    one fixed window of time; shared by every worker process (accounts/ratelimit.py)."""

    client = models.CharField(max_length=80)
    window_start = models.BigIntegerField(help_text=_("Seconds since the epoch"))
    hits = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "window_start"], name="api_rate_window_once_per_client"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} from {self.window_start}: {self.hits}"


class LoginAttempt(models.Model):
    """One try at logging in, whatever its outcome: the trail that shows an attack on an
    account and that the lockout counts from. Written once by `services`, never changed."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        # The password was right; the second factor is still to come.
        CONTINUED = "continued", _("Password accepted, code pending")
        FAILED = "failed", _("Failed")
        # Not checked at all: the account or the address was locked at the time.
        REFUSED = "refused", _("Refused")

    class Step(models.TextChoices):
        PASSWORD = "password", _("Password")
        SECOND_FACTOR = "second_factor", _("Second factor")
        # A request for a password-reset link: the e-mail address typed is the username.
        PASSWORD_RESET = "password_reset", _("Password reset")

    # What was typed, kept even when no such user exists: attacks on made-up names count too.
    username = models.CharField(max_length=150, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="login_attempts",
    )
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
    step = models.CharField(max_length=20, choices=Step.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.CharField(max_length=40)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="login_attempt_outcome_is_known",
                condition=models.Q(outcome__in=["succeeded", "continued", "failed", "refused"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.step} for {self.username} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("A login attempt is recorded once and never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("A login attempt is never deleted from the application.")


class PasskeyDevice(TimestampMixin, Device):
    """A WebAuthn passkey (a security key, or the platform authenticator of a laptop or a
    phone) that verifies a staff login instead of a code. A django-otp device, so that
    `django_otp.login` and `OTPMiddleware` treat a session it verified as any other.

    It has no codes: `verify_token` refuses everything, and only `services.passkey_verify`
    (a signed WebAuthn assertion) logs in with it. Only the public key is stored; the
    private key never leaves the authenticator."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        # No reverse accessor on the user: django-otp's untyped base would leave its manager
        # unknown to the type checker, and the passkeys are looked up by user anyway.
        related_name="+",
        help_text=_("The user whose passkey it is; never changed."),
    )
    # base64url of the authenticator's credential id (at most 1023 bytes).
    credential_id = models.CharField(max_length=1400, unique=True, editable=False)
    # The COSE public key from the registration, as the authenticator sent it.
    public_key = models.BinaryField(editable=False)
    # The authenticator's signature counter; 0 for those that keep none (many passkeys).
    sign_count = models.PositiveBigIntegerField(default=0, editable=False)
    # How the browser may reach it ("usb", "internal", "hybrid" …): a hint for the browser.
    transports = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def verify_token(self, token: object) -> bool:
        return False

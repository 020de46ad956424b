from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from opspor.accounts.models import ApiToken, LoginAttempt, PasskeyDevice, User
from opspor.accounts.views import admin_login
from opspor.readonly_admin import ReadOnlyAdmin

admin.site.site_header = _("Opspor administration")
admin.site.site_title = _("Opspor administration")
admin.site.index_title = _("Users, practices and diagnostic units")
# One login for everyone, with its lockout, trail and second factor.
admin.site.login = admin_login  # type: ignore[method-assign]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "role", "first_name", "last_name", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Opspor", {"fields": ("role",)}))  # type: ignore[misc]
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Opspor", {"fields": ("role",)}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by their owner (or `opspor token`), never here: the admin sees
    them and can revoke them, and cannot change whose a token is, its digest, its scope or
    its expiry (every field is read-only, so a posted change is ignored)."""

    list_display = (
        "prefix",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope",)
    search_fields = ("prefix", "user__username")
    readonly_fields = (
        "user",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    exclude = ("digest",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=("change",))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "user", "address", "step", "outcome", "reason")
    list_filter = ("outcome", "step", "reason")
    search_fields = ("username", "address")
    date_hierarchy = "at"


@admin.register(PasskeyDevice)
class PasskeyDeviceAdmin(admin.ModelAdmin):
    """A user's passkeys, for an administrator to delete one that is lost or stolen. They
    are added only by their owner through the browser (a signed answer from the key), so
    nothing here can be added or changed: not whose passkey it is, nor its key or counter."""

    list_display = ("name", "user", "created_at", "last_used_at")
    search_fields = ("name", "user__username")
    readonly_fields = (
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
        "sign_count",
        "transports",
        "credential_id",
    )
    exclude = ("public_key",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Viewing stays (view permission); saving a change never happens.
        return False

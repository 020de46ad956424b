from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from opspor.accounts.models import ApiToken, LoginAttempt, User
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
    list_display = ("prefix", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("digest", "prefix", "created_at", "last_used_at")


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "user", "address", "step", "outcome", "reason")
    list_filter = ("outcome", "step", "reason")
    search_fields = ("username", "address")
    date_hierarchy = "at"

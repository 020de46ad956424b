# Patients and their clinical rows are deliberately not in the admin: every read of a record
# must go through the access checks and the access log in `selectors`.
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from opspor.readonly_admin import ReadOnlyAdmin
from opspor.records.models import AccessLogEntry, Clinician, DiagnosticUnit, Practice, Region

admin.site.register(Region)
admin.site.register(DiagnosticUnit)


@admin.register(Practice)
class PracticeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "provider_number", "kind", "municipality", "direct_phone")
    list_filter = ("kind", "diagnostic_unit")
    search_fields = ("name", "provider_number")


@admin.register(Clinician)
class ClinicianAdmin(SimpleHistoryAdmin):
    list_display = ("name", "role", "practice", "unit")
    list_filter = ("role",)
    search_fields = ("name",)


# The access log is shown read-only (no add, change or delete, and no bulk delete action),
# by patient id only: it holds who read which record, never the record itself. A patient is
# found by id or by CPR number (an exact match: the search looks the number up, and the
# list still shows only the id).
@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "user",
        "patient_id",
        "what",
        "channel",
        "refused",
        "address",
        "method",
        "path",
        "credential",
    )
    list_filter = ("channel", "refused", ("at", admin.DateFieldListFilter), "what")
    date_hierarchy = "at"
    search_fields = ("user__username", "=patient__id", "=patient__cpr", "path", "credential")
    list_select_related = ("user",)
    show_full_result_count = False

    def get_actions(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        actions = super().get_actions(request, *args, **kwargs)
        actions.pop("delete_selected", None)
        return actions

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AccessLogEntry], search_term: str
    ) -> tuple[QuerySet[AccessLogEntry], bool]:
        # A CPR number typed with its dash (or spaces) finds the patient too.
        digits = search_term.replace("-", "").replace(" ", "")
        if digits.isdigit() and len(digits) == 10:
            search_term = digits
        return super().get_search_results(request, queryset, search_term)

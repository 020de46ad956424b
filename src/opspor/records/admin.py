# Patients and their clinical rows are deliberately not in the admin: every read of a record
# must go through the access checks and the access log in `selectors`.
from django.contrib import admin
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


# The access log is shown read-only, and by patient id only: it holds who read which
# record, never the record itself.
@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "patient_id", "what", "channel", "refused")
    list_filter = ("refused", "channel", "what")
    date_hierarchy = "at"

"""The admin's view of what the worklists' signals were loaded from: read-only, counts only."""

from __future__ import annotations

from django.contrib import admin

from opspor.population.models import NightlyScan, ScanImport
from opspor.readonly_admin import ReadOnlyAdmin


@admin.register(ScanImport)
class ScanImportAdmin(ReadOnlyAdmin):
    list_display = (
        "as_of",
        "imported_at",
        "by",
        "backend",
        "rows",
        "patients_loaded",
        "signals",
        "unknown_patients",
        "moved_patients",
    )
    list_filter = ("by", "backend")


@admin.register(NightlyScan)
class NightlyScanAdmin(ReadOnlyAdmin):
    list_display = ("night", "enqueued_at", "scan_import")

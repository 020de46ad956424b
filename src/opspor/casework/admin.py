"""The admin's view of every kind of case's audit trail: read-only, states and actors only."""

from __future__ import annotations

from django.contrib import admin

from opspor.casework.models import CaseEvent
from opspor.readonly_admin import ReadOnlyAdmin


class CaseEventAdmin(ReadOnlyAdmin):
    """The audit trail of one kind of case; `case_field` names its case's foreign key."""

    case_field = ""

    def get_list_display(self, request: object) -> tuple[str, ...]:
        return (self.case_field, "action", "from_state", "to_state", "actor_label", "at")

    def get_fields(self, request: object, obj: object = None) -> tuple[str, ...]:
        return self.get_list_display(request)

    def get_readonly_fields(self, request: object, obj: object = None) -> tuple[str, ...]:
        return self.get_list_display(request)

    list_filter = ("action", "to_state")

    # An empty actor is the background worker (an escalation): say so instead of "-".
    @admin.display(description="actor")
    def actor_label(self, event: CaseEvent) -> str:
        return event.actor_label

# Referrals and advice requests carry clinical text, so, like the patient record, they are
# read only through the access-checked selectors, not the admin. The admin holds the units'
# service levels and a read-only view of the audit trail (states and actors, no letter).

from django.contrib import admin
from django.http import HttpRequest

from opspor.casework.models import CaseEvent
from opspor.referrals.models import AdviceEvent, ReferralEvent, UnitSettings


@admin.register(UnitSettings)
class UnitSettingsAdmin(admin.ModelAdmin):
    list_display = ("unit", "triage_working_days", "advice_working_days")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    # An empty actor is the background worker (an escalation): say so instead of "-".
    @admin.display(description="actor")
    def actor_label(self, event: CaseEvent) -> str:
        return event.actor_label


@admin.register(ReferralEvent)
class ReferralEventAdmin(ReadOnlyAdmin):
    list_display = ("referral", "action", "from_state", "to_state", "actor_label", "at")
    list_filter = ("action", "to_state")
    fields = ("referral", "action", "from_state", "to_state", "actor_label", "at")
    readonly_fields = fields


@admin.register(AdviceEvent)
class AdviceEventAdmin(ReadOnlyAdmin):
    list_display = ("advice_request", "action", "from_state", "to_state", "actor_label", "at")
    list_filter = ("action", "to_state")
    fields = ("advice_request", "action", "from_state", "to_state", "actor_label", "at")
    readonly_fields = fields

# Referrals and advice requests carry clinical text, so, like the patient record, they are
# read only through the access-checked selectors, not the admin. The admin holds the units'
# service levels and a read-only view of the audit trail (states and actors, no letter).

from django.contrib import admin

from opspor.casework.admin import CaseEventAdmin
from opspor.referrals.models import AdviceEvent, ReferralEvent, UnitSettings


@admin.register(UnitSettings)
class UnitSettingsAdmin(admin.ModelAdmin):
    list_display = ("unit", "triage_working_days", "advice_working_days")


@admin.register(ReferralEvent)
class ReferralEventAdmin(CaseEventAdmin):
    case_field = "referral"


@admin.register(AdviceEvent)
class AdviceEventAdmin(CaseEventAdmin):
    case_field = "advice_request"

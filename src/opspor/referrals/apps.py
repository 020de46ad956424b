from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "opspor.referrals"
    label = "referrals"
    verbose_name = _("Referrals and advice")

    def ready(self) -> None:
        from opspor.casework.notifications import register_kinds
        from opspor.casework.sweep import register_step
        from opspor.referrals.models import AdviceRequest, Referral
        from opspor.referrals.services import (
            cases_notify_overdue,
            referrals_escalate_unacknowledged,
        )
        from opspor.referrals.workflow import NotificationKind

        register_kinds(
            NotificationKind,
            subjects=[
                Referral.objects.select_related("patient"),
                AdviceRequest.objects.select_related("patient"),
            ],
        )
        register_step("escalated", referrals_escalate_unacknowledged)
        register_step("overdue_notified", cases_notify_overdue)

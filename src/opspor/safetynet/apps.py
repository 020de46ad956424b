from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetynetConfig(AppConfig):
    name = "opspor.safetynet"
    label = "safetynet"
    verbose_name = _("Safety-netting")

    def ready(self) -> None:
        from opspor.casework.notifications import register_kinds
        from opspor.casework.sweep import register_step
        from opspor.records.overview_panels import register
        from opspor.safetynet import loops, reminders
        from opspor.safetynet.panels import overview_panel

        loops.connect()
        register(overview_panel)
        register_kinds(reminders.PatientNotificationKind)
        register_step("patients_reminded", reminders.patients_remind_of_follow_up)

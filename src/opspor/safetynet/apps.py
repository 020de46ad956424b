from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetynetConfig(AppConfig):
    name = "opspor.safetynet"
    label = "safetynet"
    verbose_name = _("Safety-netting")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from opspor.casework.notifications import register_kinds
        from opspor.casework.sweep import register_step
        from opspor.records.models import Contact
        from opspor.records.overview_panels import register
        from opspor.safetynet import loops, reminders
        from opspor.safetynet.panels import overview_panel
        from opspor.safetynet.tasks import contact_recorded

        loops.connect()
        register(overview_panel)
        post_save.connect(contact_recorded, sender=Contact, dispatch_uid="safetynet-signals")
        register_kinds(reminders.PatientNotificationKind)
        register_step("patients_reminded", reminders.patients_remind_of_follow_up)

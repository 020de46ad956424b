from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetynetConfig(AppConfig):
    name = "opspor.safetynet"
    label = "safetynet"
    verbose_name = _("Safety-netting")

    def ready(self) -> None:
        from opspor.records.overview_panels import register
        from opspor.safetynet import loops
        from opspor.safetynet.panels import overview_panel

        loops.connect()
        register(overview_panel)

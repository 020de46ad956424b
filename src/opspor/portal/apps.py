from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "opspor.portal"
    label = "portal"
    verbose_name = _("My record")

    def ready(self) -> None:
        from opspor.portal.panels import preparation_panel, reassessment_panel
        from opspor.records.overview_panels import register

        # What the patient brought to this consultation comes first beside the record.
        register(preparation_panel, first=True)
        register(reassessment_panel, place="main")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PopulationConfig(AppConfig):
    name = "opspor.population"
    label = "population"
    verbose_name = _("Population scan")

    def ready(self) -> None:
        from opspor.casework.sweep import register_step
        from opspor.population.tasks import region_scan_enqueue_nightly

        register_step("scan_enqueued", region_scan_enqueue_nightly)

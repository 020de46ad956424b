from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "opspor.quality"
    label = "quality"
    verbose_name = _("Quality figures")

    def ready(self) -> None:
        from opspor.casework.sweep import register_step
        from opspor.quality.tasks import quality_refresh_enqueue_nightly

        register_step("quality_enqueued", quality_refresh_enqueue_nightly)

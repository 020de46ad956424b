from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "opspor.referrals"
    label = "referrals"
    verbose_name = _("Referrals and advice")

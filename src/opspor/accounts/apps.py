from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "opspor.accounts"
    label = "accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        # Connects the login signal that starts a session's clocks, for every way of
        # logging in (the test client's included).
        from opspor.accounts import sessions  # noqa: F401

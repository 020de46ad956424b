from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "opspor.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"

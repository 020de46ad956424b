from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "opspor.records"
    label = "records"
    verbose_name = "Clinical record"

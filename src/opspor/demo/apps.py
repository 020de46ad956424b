from django.apps import AppConfig


class DemoConfig(AppConfig):
    # No models: the app holds the `seed` command and the demo's data and code.
    name = "opspor.demo"
    label = "demo"

"""The access log belongs to `records` now: the model leaves this app's state here, and
`records` 0004 has taken it over with its table and rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_initial"),
        ("records", "0004_access_log_moves_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AccessLogEntry")]
        )
    ]

"""Notifications and idempotency records belong to `casework` now: the models leave this
app's state here, and `casework` 0001 takes them over with their tables and rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("casework", "0001_initial"),
        ("referrals", "0005_notification_subject_and_bound_idempotency_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="IdempotencyRecord"),
            ]
        )
    ]

"""The tables taken over from `referrals` get this app's names; the rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("casework", "0001_initial"),
        ("referrals", "0006_notification_and_idempotency_move_to_casework"),
    ]

    operations = [
        migrations.AlterModelTable(name="idempotencyrecord", table=None),
        migrations.AlterModelTable(name="notification", table=None),
    ]

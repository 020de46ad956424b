"""API tokens get an expiry and a scope, and the rate limit its table.

A token issued before this migration keeps working: it gets the scope `write` (what every
token could do until now) and expires `OPSPOR_API_TOKEN_DAYS` days (90 unless set) after
the migration, not after its issue, so that no client loses access the moment the server
is upgraded. The expiry is added in three steps (nullable, filled, required) so that the
new column needs no default of its own.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def tokens_expire(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    expires_at = timezone.now() + timedelta(days=settings.OPSPOR_API_TOKEN_DAYS)
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=expires_at)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_access_log_moves_to_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "Read"), ("write", "Read and write")],
                default="write",
                max_length=5,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(tokens_expire, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(("scope__in", ["read", "write"])),
                name="api_token_scope_is_known",
            ),
        ),
        migrations.CreateModel(
            name="ApiRateWindow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("client", models.CharField(max_length=80)),
                (
                    "window_start",
                    models.BigIntegerField(help_text="Seconds since the epoch"),
                ),
                ("hits", models.PositiveIntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("client", "window_start"),
                        name="api_rate_window_once_per_client",
                    )
                ],
            },
        ),
    ]

"""Notifications refer to their case generically; idempotency keys carry a fingerprint of
the request they were first used for; a referral and an advice request keep the GP's own
findings apart from Opspor's.

Every notification keeps its case: the referral or advice request it pointed to becomes
its subject (content type and id) before the two foreign keys are dropped. The table then
moves to the `casework` app (0006 here, `casework` 0001-0002) with every row.
"""

import django.db.models.deletion
from django.db import migrations, models


def subjects_from_foreign_keys(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Notification = apps.get_model("referrals", "Notification")
    referral, _ = ContentType.objects.get_or_create(app_label="referrals", model="referral")
    advice, _ = ContentType.objects.get_or_create(app_label="referrals", model="advicerequest")
    Notification.objects.filter(referral__isnull=False).update(
        subject_type=referral, subject_id=models.F("referral_id")
    )
    Notification.objects.filter(advice_request__isnull=False).update(
        subject_type=advice, subject_id=models.F("advice_request_id")
    )


def foreign_keys_from_subjects(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Notification = apps.get_model("referrals", "Notification")
    for model, field in (("referral", "referral_id"), ("advicerequest", "advice_request_id")):
        kind = ContentType.objects.filter(app_label="referrals", model=model).first()
        if kind is not None:
            Notification.objects.filter(subject_type=kind).update(
                **{field: models.F("subject_id")}
            )


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("referrals", "0004_referral_created_at_is_the_services_moment"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="subject_type",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="subject_id",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.RunPython(subjects_from_foreign_keys, foreign_keys_from_subjects),
        migrations.AlterField(
            model_name="notification",
            name="subject_type",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="subject_id",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.RemoveField(model_name="notification", name="referral"),
        migrations.RemoveField(model_name="notification", name="advice_request"),
        # The kinds are each app's own now (registered at start-up), not one fixed list.
        migrations.RemoveConstraint(model_name="notification", name="notification_kind_is_known"),
        migrations.AlterField(
            model_name="notification", name="kind", field=models.CharField(max_length=30)
        ),
        migrations.RemoveIndex(model_name="notification", name="referrals_n_deliver_912201_idx"),
        migrations.RemoveIndex(model_name="notification", name="referrals_n_practic_7fda9f_idx"),
        migrations.RemoveIndex(model_name="notification", name="referrals_n_unit_id_02a86d_idx"),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["delivery", "next_attempt_at"], name="notification_due_idx"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["practice", "read_at"], name="notification_practice_idx"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["unit", "read_at"], name="notification_unit_idx"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                fields=["subject_type", "subject_id"], name="notification_subject_idx"
            ),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="fingerprint",
            field=models.CharField(
                blank=True,
                help_text="SHA-256 of the request the key was first used for",
                max_length=64,
            ),
        ),
        migrations.AddField(
            model_name="advicerequest",
            name="gp_findings",
            field=models.TextField(
                blank=True,
                help_text="The GP's own findings, as the GP or the GP's system sent them",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="gp_findings",
            field=models.TextField(
                blank=True,
                help_text="The GP's own findings, as the GP or the GP's system sent them",
            ),
        ),
        migrations.AlterField(
            model_name="advicerequest",
            name="patient_summary",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Opspor's findings, computed from the record when the request was sent",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="findings",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Opspor's findings, computed from the record when created and when sent",
            ),
        ),
    ]

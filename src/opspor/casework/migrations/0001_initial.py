"""Notifications and idempotency records, taken over from `referrals` with their tables and
every row: only the state moves here (the tables are still `referrals_*`), and 0002
renames the tables to this app's names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('records', '0003_historicalpractice_escalation_working_hours_and_more'),
        ('referrals', '0005_notification_subject_and_bound_idempotency_keys'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
      migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='IdempotencyRecord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200)),
                ('action', models.CharField(max_length=40)),
                ('fingerprint', models.CharField(blank=True, help_text='SHA-256 of the request the key was first used for', max_length=64)),
                ('object_type', models.CharField(max_length=40)),
                ('object_id', models.PositiveBigIntegerField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='idempotency_records', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'referrals_idempotencyrecord',
                'constraints': [models.UniqueConstraint(fields=('user', 'key', 'action'), name='idempotency_key_once_per_user_action')],
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=30)),
                ('subject_id', models.PositiveBigIntegerField()),
                ('created_at', models.DateTimeField()),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('email_to', models.EmailField(blank=True, max_length=254)),
                ('delivery', models.CharField(choices=[('pending', 'Waiting to be sent'), ('sent', 'Sent'), ('no_address', 'No e-mail address on file')], default='pending', max_length=12)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=200)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
                ('practice', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='records.practice')),
                ('read_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('recipient', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='notifications', to='records.clinician')),
                ('subject_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype')),
                ('unit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='records.diagnosticunit')),
            ],
            options={
                'db_table': 'referrals_notification',
                'ordering': ['-created_at', '-pk'],
                'indexes': [models.Index(fields=['delivery', 'next_attempt_at'], name='notification_due_idx'), models.Index(fields=['practice', 'read_at'], name='notification_practice_idx'), models.Index(fields=['unit', 'read_at'], name='notification_unit_idx'), models.Index(fields=['subject_type', 'subject_id'], name='notification_subject_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('practice__isnull', False), ('unit__isnull', True)), models.Q(('practice__isnull', True), ('unit__isnull', False)), _connector='OR'), name='notification_goes_to_practice_or_unit')],
            },
        ),
      ])
    ]

"""The access log belongs to the record now: this app takes over `accounts`' model with its
table and every row. Only the state moves here (the table is still
`accounts_accesslogentry`); `accounts` 0003 lets go of the model and 0005 gives the table and
its index this app's names."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_initial'),
        ('records', '0003_historicalpractice_escalation_working_hours_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='AccessLogEntry',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('what', models.CharField(help_text='Which part of the record was read', max_length=60)),
                    ('channel', models.CharField(default='web', max_length=10)),
                    ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                    ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='access_log', to='records.patient')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='record_reads', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name_plural': 'access log entries',
                    'ordering': ['-at'],
                    'db_table': 'accounts_accesslogentry',
                    'indexes': [models.Index(fields=['patient', 'at'], name='accounts_ac_patient_9b2ff6_idx')],
                },
            ),
        ]),
    ]

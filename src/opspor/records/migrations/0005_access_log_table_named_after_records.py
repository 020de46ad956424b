"""The access log's table, taken over from `accounts`, gets this app's name, and its index a
name of its own that no longer follows the table's; the rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_access_log_moves_to_records'),
        ('records', '0004_access_log_moves_here'),
    ]

    operations = [
        migrations.AlterModelTable(name='accesslogentry', table=None),
        migrations.RenameIndex(
            model_name='accesslogentry',
            new_name='access_log_patient_at_idx',
            old_name='accounts_ac_patient_9b2ff6_idx',
        ),
    ]

"""The access log records where each read came from, and is append-only in the database too.

On PostgreSQL a trigger refuses every UPDATE and DELETE of the table, whoever sends it (the
application's models refuse them already; this covers raw SQL and other clients using the
application's database role). TRUNCATE is not refused: the test suite empties tables with it,
and it takes a table owner's privilege, which a production role should not have. SQLite gets
no trigger: its tests empty tables with DELETE, and a rebuilt table (SQLite's ALTER) drops
its triggers silently, so a trigger there would promise more than it keeps.
"""

from django.db import migrations, models

TABLE = "records_accesslogentry"
FORWARD = f"""
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
"""
BACKWARD = f"""
DROP TRIGGER IF EXISTS access_log_append_only ON {TABLE};
DROP FUNCTION IF EXISTS access_log_append_only();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('records', '0008_practice_sor_code'),
    ]

    operations = [
        migrations.AddField(
            model_name='accesslogentry',
            name='address',
            field=models.GenericIPAddressField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='accesslogentry',
            name='credential',
            field=models.CharField(blank=True, help_text='The session or API token, as the start of its SHA-256 digest', max_length=40),
        ),
        migrations.AddField(
            model_name='accesslogentry',
            name='method',
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name='accesslogentry',
            name='path',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name='accesslogentry',
            name='channel',
            field=models.CharField(choices=[('web', 'Web page'), ('api', 'API'), ('fhir', 'FHIR API'), ('cds-hooks', 'CDS Hooks'), ('system', 'System')], default='web', max_length=10),
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD), elidable=False),
    ]

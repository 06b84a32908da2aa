"""Store each run's canonical request as JSON text instead of jsonb.

The request is written on every run and read only whole (support bundles,
verification); parsing it into jsonb cost a 5,000-instrument simulate about 40 ms.
New runs store the exact canonical text their request hash was computed from;
existing rows keep their JSON in PostgreSQL's spelling (the same values).

On PostgreSQL the type change rewrites the runs table under an exclusive lock,
and resets the column's compression, which is set back to lz4 where the server
has it (as migration 0002 did).
"""
from django.db import migrations, models


def _lz4_available(schema_editor) -> bool:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return bool(row) and "lz4" in (row[0] or [])


def request_lz4(apps, schema_editor):
    if _lz4_available(schema_editor):
        schema_editor.execute(
            'ALTER TABLE "dpm_runs_rebalancerun" ALTER COLUMN "request" SET COMPRESSION lz4'
        )


class Migration(migrations.Migration):

    dependencies = [
        ("dpm_runs", "0008_support_permissions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rebalancerun",
            name="request",
            field=models.TextField(),
        ),
        migrations.RunPython(request_lz4, migrations.RunPython.noop, elidable=True),
    ]

"""Compress the large columns with lz4 on PostgreSQL servers that support it.

Results are 20 KB to 5 MB of JSON and always end up in TOAST storage; lz4
compresses and, above all, decompresses much faster than the default pglz.
Column compression exists from PostgreSQL 14 on, and lz4 only when the server
was built with it, so the step checks both and does nothing elsewhere (SQLite,
older or lz4-less servers). It applies to values written from then on.
"""
from django.db import migrations

COLUMNS = (
    ("dpm_runs_rebalancerun", "result"),
    ("dpm_runs_rebalancerun", "response_body"),
    ("dpm_runs_rebalancerun", "request"),
)


def _lz4_available(schema_editor) -> bool:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return bool(row) and "lz4" in (row[0] or [])


def _set_compression(schema_editor, method: str) -> None:
    quote = schema_editor.quote_name
    for table, column in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET COMPRESSION {method}"
        )


def use_lz4(apps, schema_editor):
    if _lz4_available(schema_editor):
        _set_compression(schema_editor, "lz4")


def use_default(apps, schema_editor):
    if _lz4_available(schema_editor):
        _set_compression(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [("dpm_runs", "0001_initial")]

    operations = [migrations.RunPython(use_lz4, use_default, elidable=False)]

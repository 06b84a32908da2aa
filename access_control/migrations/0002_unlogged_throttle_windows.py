"""Throttle counters live in an UNLOGGED table on PostgreSQL.

A counter is bumped on every API request. In a logged table each bump is a
commit that waits for a WAL flush (about 4 ms on the benchmark machine's disk);
an unlogged table writes no WAL, so the bump costs microseconds. The price is
that PostgreSQL empties the table after a crash, which only restarts the
current throttle windows. Other databases keep an ordinary table.
"""
from django.db import migrations

TABLE = "access_control_throttlewindow"


def set_unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET UNLOGGED")


def set_logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("access_control", "0001_initial")]

    operations = [migrations.RunPython(set_unlogged, set_logged)]

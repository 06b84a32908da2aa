"""Runs and idempotency records get an owning API client (nullable for now).

Three migrations, because PostgreSQL refuses to ALTER a table that has pending
deferred foreign-key checks in the same transaction: add the columns (0003),
fill them (0004), then make them required and re-scope the key (0005).
"""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("access_control", "0001_initial"),
        ("dpm_runs", "0002_lz4_compression"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="client",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="idempotency_records",
                to="access_control.apiclient",
            ),
        ),
        migrations.AddField(
            model_name="rebalancerun",
            name="client",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="runs",
                to="access_control.apiclient",
            ),
        ),
    ]

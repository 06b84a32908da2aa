"""Every run and idempotency record has an owner; keys are unique per client."""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dpm_runs", "0004_assign_legacy_client")]

    operations = [
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="client",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="idempotency_records",
                to="access_control.apiclient",
            ),
        ),
        migrations.AlterField(
            model_name="rebalancerun",
            name="client",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="runs",
                to="access_control.apiclient",
            ),
        ),
        migrations.RemoveConstraint(model_name="idempotencyrecord", name="dpm_idem_key_uniq"),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(fields=("client", "key"), name="dpm_idem_client_key_uniq"),
        ),
        migrations.AddIndex(
            model_name="rebalancerun",
            index=models.Index(
                models.F("client"),
                models.F("correlation_id"),
                models.OrderBy(models.F("created_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                name="dpm_run_client_corr_idx",
            ),
        ),
    ]

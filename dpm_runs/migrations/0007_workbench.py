"""Support workbench: engine version and legal hold on runs, idempotency key history.

Runs recorded before this migration were all produced by engine 0.1.0, the
release current when it was written, so they get that version. The literal is
deliberate: a migration must not follow later bumps of ENGINE_VERSION (and
dpm_runs does not import the rebalance app). On PostgreSQL a constant default
is a catalogue change, not a rewrite of the table.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('access_control', '0001_initial'),
        ('dpm_runs', '0006_drop_result_jsonb'),
    ]

    operations = [
        migrations.CreateModel(
            name='IdempotencyEvent',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('key', models.CharField(max_length=256)),
                ('occurred_at', models.DateTimeField()),
                ('outcome', models.CharField(choices=[('executed', 'Executed'), ('replayed', 'Replayed'), ('conflict', 'Conflict'), ('in_progress', 'In Progress'), ('re_executed', 'Re Executed')], max_length=16)),
                ('request_hash', models.CharField(max_length=128)),
                ('correlation_id', models.CharField(max_length=512)),
                ('rebalance_run_id', models.CharField(blank=True, max_length=64, null=True)),
            ],
            options={
                'verbose_name': 'idempotency event',
                'ordering': ['id'],
            },
        ),
        migrations.AddField(
            model_name='rebalancerun',
            name='engine_version',
            field=models.CharField(default='0.1.0', max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='rebalancerun',
            name='held_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='rebalancerun',
            name='held_by',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.AddField(
            model_name='rebalancerun',
            name='hold_reason',
            field=models.TextField(blank=True, default=''),
        ),
        migrations.AddIndex(
            model_name='rebalancerun',
            index=models.Index(fields=['client', 'created_at', 'id'], name='dpm_run_client_created_idx'),
        ),
        migrations.AddIndex(
            model_name='rebalancerun',
            index=models.Index(condition=models.Q(('held_at__isnull', False)), fields=['created_at'], name='dpm_run_held_idx'),
        ),
        migrations.AddField(
            model_name='idempotencyevent',
            name='client',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='idempotency_events', to='access_control.apiclient'),
        ),
        migrations.AddIndex(
            model_name='idempotencyevent',
            index=models.Index(fields=['client', 'key', 'id'], name='dpm_idem_event_key_idx'),
        ),
        migrations.AddIndex(
            model_name='idempotencyevent',
            index=models.Index(condition=models.Q(('rebalance_run_id__isnull', False)), fields=['rebalance_run_id'], name='dpm_idem_event_run_idx'),
        ),
        migrations.AddConstraint(
            model_name='idempotencyevent',
            constraint=models.CheckConstraint(condition=models.Q(('outcome__in', ['executed', 'replayed', 'conflict', 'in_progress', 're_executed'])), name='dpm_idem_event_outcome_valid'),
        ),
    ]

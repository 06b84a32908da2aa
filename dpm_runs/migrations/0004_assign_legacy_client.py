"""Give every run and idempotency record written before API keys existed an owner.

They are assigned to a client created for the purpose, ``pre-auth-legacy``, which
has no key and no role: nothing is lost, support staff still read these runs,
and no caller can claim them as its own. Databases without such rows get no
such client.
"""
from django.db import migrations

LEGACY_CLIENT_NAME = "pre-auth-legacy"


def assign_legacy_client(apps, schema_editor):
    alias = schema_editor.connection.alias
    RebalanceRun = apps.get_model("dpm_runs", "RebalanceRun")
    IdempotencyRecord = apps.get_model("dpm_runs", "IdempotencyRecord")
    ApiClient = apps.get_model("access_control", "ApiClient")
    orphan_runs = RebalanceRun.objects.using(alias).filter(client__isnull=True)
    orphan_records = IdempotencyRecord.objects.using(alias).filter(client__isnull=True)
    if not orphan_runs.exists() and not orphan_records.exists():
        return
    legacy, _ = ApiClient.objects.using(alias).get_or_create(
        name=LEGACY_CLIENT_NAME, defaults={"roles": []}
    )
    orphan_runs.update(client=legacy)
    orphan_records.update(client=legacy)


class Migration(migrations.Migration):
    dependencies = [("dpm_runs", "0003_client_owner")]

    operations = [migrations.RunPython(assign_legacy_client, migrations.RunPython.noop)]

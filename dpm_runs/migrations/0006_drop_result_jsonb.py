"""Store each result once: the exact response text (lz4 on PostgreSQL), not also as jsonb.

Nothing read the jsonb copy (lookups, replays, exports and the admin all use the
text), and writing it cost more than the rest of the insert: 58 ms of a 69 ms
insert at 1,000 instruments and 500 ms of 590 ms at 5,000.
"""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("dpm_runs", "0005_client_required")]

    operations = [migrations.RemoveField(model_name="rebalancerun", name="result")]

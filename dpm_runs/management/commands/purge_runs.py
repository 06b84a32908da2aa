"""manage.py purge_runs: retention of recorded runs (docs/retention.md)."""
from __future__ import annotations

from datetime import timedelta

from django.core.management.base import CommandError
from django.utils import timezone

from access_control import audit
from dpm_runs.rendering import format_timestamp
from dpm_runs.retention import DEFAULT_BATCH_SIZE, purge_runs
from lotus_manage.command_io import LaidOutHelpCommand

HELP = """\
Delete runs created more than DAYS days ago, with their idempotency records
and key history, in batches of --batch-size runs (one transaction each).

Runs on legal hold (manage.py hold_runs) are never deleted. The access log is
never touched. A purged run's idempotency key is free again: the next request
with it runs the engine. Ends with `would purge N runs` (--dry-run) or
`purged N runs (H on hold kept)`; every purge, dry or not, is an access event.
Scheduled use reads DPM_RETENTION_DAYS, e.g. from cron:
  15 3 * * *  cd /srv/lotus-manage && .venv/bin/python manage.py purge_runs --older-than "$DPM_RETENTION_DAYS"
"""


class Command(LaidOutHelpCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS",
                            help="Delete runs created more than DAYS days ago (0: every unheld run).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="N",
                            help=f"Runs deleted per transaction (default {DEFAULT_BATCH_SIZE}).")

    def handle(self, *args, older_than: int, dry_run: bool, batch_size: int, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more days")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        cutoff = timezone.now() - timedelta(days=older_than)
        query = f"older_than={older_than} cutoff={format_timestamp(cutoff)}"
        try:
            report = purge_runs(cutoff, batch_size=batch_size, dry_run=dry_run)
        except BaseException:
            audit.record(actor=audit.cli_actor(), action=audit.PURGE_RUNS, target=query, outcome=1)
            raise
        if dry_run:
            audit.record(actor=audit.cli_actor(), action=audit.PURGE_RUNS,
                         target=f"{query} dry_run would_purge={report.purged} held={report.held_kept}", outcome=0)
            self.stdout.write(f"would purge {report.purged} runs")
            return
        audit.record(actor=audit.cli_actor(), action=audit.PURGE_RUNS,
                     target=f"{query} purged={report.purged} held={report.held_kept} batches={report.batches}",
                     outcome=0)
        self.stdout.write(f"purged {report.purged} runs ({report.held_kept} on hold kept)")

"""manage.py export_bundle: write one run's support bundle (the document GET
/rebalance/runs/{id}/support-bundle returns)."""
from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from access_control import audit
from dpm_runs.bundles import support_bundle_json


class Command(BaseCommand):
    help = (
        "Write the support bundle of RUN_ID as JSON to standard output or --output FILE "
        "(written under a temporary name, then renamed). The read is an access event."
    )

    def add_arguments(self, parser):
        parser.add_argument("run_id", metavar="RUN_ID")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, run_id: str, output: str | None, **options):
        text = support_bundle_json(run_id)
        audit.record(actor=audit.cli_actor(), action=audit.SUPPORT_BUNDLE, target=run_id,
                     outcome=0 if text is not None else 1)
        if text is None:
            raise CommandError(f"DPM_RUN_NOT_FOUND: no run {run_id!r}")
        if output in (None, "-"):
            self.stdout.write(text)
            return
        path = Path(output)
        partial = path.with_name(f".{path.name}.partial")
        try:
            partial.write_text(text + "\n", encoding="utf-8")
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        self.stderr.write(f"wrote the support bundle of {run_id} to {output}")

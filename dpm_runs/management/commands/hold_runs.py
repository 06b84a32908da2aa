"""manage.py hold_runs: place or release a legal hold on recorded runs."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from access_control import audit
from dpm_runs.holds import place_hold, release_hold, unknown_run_ids


class Command(BaseCommand):
    help = (
        "Place a legal hold on runs (--reason TEXT) or release it (--release). A held run is "
        "never deleted by purge_runs. The hold records cli:<user>, the time and the reason; each "
        "call is an access event. Unknown run ids: nothing is changed, exit status 2."
    )

    def add_arguments(self, parser):
        parser.add_argument("run_ids", nargs="+", metavar="RUN_ID")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--reason", metavar="TEXT", help="Why the runs are held (required to hold).")
        action.add_argument("--release", action="store_true", help="Release the hold instead.")

    def handle(self, *args, run_ids: list[str], reason: str | None, release: bool, **options):
        run_ids = list(dict.fromkeys(run_ids))
        unknown = unknown_run_ids(run_ids)
        if unknown:
            raise CommandError(f"no such run: {', '.join(unknown)}", returncode=2)
        if release:
            count = release_hold(run_ids, actor=audit.cli_actor())
            self.stdout.write(f"released {count} runs")
            return
        if not reason.strip():
            raise CommandError("--reason must not be empty", returncode=2)
        count = place_hold(run_ids, reason=reason, actor=audit.cli_actor())
        self.stdout.write(f"held {count} runs")

"""manage.py verify_runs: re-simulate recorded runs and compare them with their stored results."""
from __future__ import annotations

import itertools
import sys

from django.core.management.base import CommandError
from tqdm import tqdm

from access_control import audit
from dpm_runs.repository import RunFilters, RunRepository
from lotus_manage.command_io import LaidOutHelpCommand, Sink, parse_bound
from rebalance.verification import DRIFT, verify_run

HELP = """\
Verify recorded runs: simulate each stored request again (same run id,
correlation id and request hash) and compare the bytes with the stored result.

Runs are taken oldest first, from --since (inclusive) to --until (exclusive),
at most --limit of them; or exactly the runs named with --run. Each drifted run
is reported with its first difference; the last line is `N verified, M
drifted`. Exit status 1 when any run drifted, 2 for an unknown --run id.
A progress bar is shown when standard error is a terminal. Nothing is
recorded as a new run; the verification itself is an access event.
"""


class _Unstyled(Sink):
    """The progress bar's stream: stderr without Django's red error styling."""

    def write(self, text: str) -> int:
        self._wrapper.write(text, style_func=str, ending="")
        return len(text)


class Command(LaidOutHelpCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="ISO", help="Runs created at or after ISO (date or datetime; UTC without an offset).")
        parser.add_argument("--until", metavar="ISO", help="Runs created before ISO.")
        parser.add_argument("--run", nargs="+", action="extend", default=[], metavar="ID", help="Verify exactly these runs.")
        parser.add_argument("--limit", type=int, metavar="N", help="Verify at most N runs.")

    def handle(self, *args, since, until, run: list[str], limit: int | None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1", returncode=2)
        run_ids, total = self._selection(since, until, run, limit)
        verified = drifted = 0
        target = " ".join(f"{k}={v}" for k, v in (("since", since), ("until", until), ("limit", limit)) if v)
        with tqdm(total=total, unit="run", file=_Unstyled(self.stderr), disable=not self.stderr.isatty(),
                  dynamic_ncols=True) as progress:
            for run_id in run_ids:
                verification = verify_run(run_id)
                if verification is None:  # purged since it was selected
                    raise CommandError(f"no such run: {run_id}", returncode=2)
                verified += 1
                if verification.outcome == DRIFT:
                    drifted += 1
                    first = verification.differences[0]
                    progress.write(
                        f"DRIFT {run_id}: {len(verification.differences)} difference(s), first at "
                        f"{first['path'] or '/'}", file=Sink(self.stdout),
                    )
                progress.update()
        audit.record(actor=audit.cli_actor(), action=audit.VERIFY_RUN,
                     target=f"verify_runs {target} verified={verified} drifted={drifted}".replace("  ", " "),
                     outcome=1 if drifted else 0)
        self.stdout.write(f"{verified} verified, {drifted} drifted")
        if drifted:
            sys.exit(1)

    def _selection(self, since, until, run_ids: list[str], limit: int | None):
        """(iterable of run ids, how many) for the options."""
        repository = RunRepository()
        if run_ids:
            if since or until:
                raise CommandError("--run cannot be combined with --since/--until", returncode=2)
            run_ids = list(dict.fromkeys(run_ids))[:limit]
            unknown = [r for r in run_ids if repository.get_run(r, client_id=None) is None]
            if unknown:
                raise CommandError(f"no such run: {', '.join(unknown)}", returncode=2)
            return run_ids, len(run_ids)
        try:
            filters = RunFilters(
                since=parse_bound("--since", since) if since else None,
                until=parse_bound("--until", until) if until else None,
            )
        except CommandError as exc:
            # Exit status 1 means drift; a usage error is 2.
            raise CommandError(str(exc), returncode=2) from None
        total = repository.count_runs(filters)
        if limit is not None:
            total = min(total, limit)
        summaries = repository.iter_run_summaries(filters)
        return (s.rebalance_run_id for s in itertools.islice(summaries, total)), total

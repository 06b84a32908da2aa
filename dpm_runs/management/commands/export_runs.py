"""manage.py export_runs: stream recorded runs as JSON Lines or CSV."""
from __future__ import annotations

import csv
import os
import time
from pathlib import Path

from django.core.management.base import CommandError

from access_control import audit
from dpm_runs.models import RunStatus
from dpm_runs.rendering import format_timestamp, run_lookup_json_line
from dpm_runs.repository import DEFAULT_CHUNK_SIZE, RunFilters, RunRepository
from lotus_manage.command_io import LaidOutHelpCommand, Sink, parse_bound, spreadsheet_safe

CSV_COLUMNS = (
    "rebalance_run_id",
    "correlation_id",
    "request_hash",
    "idempotency_key",
    "portfolio_id",
    "status",
    "batch_run_id",
    "created_at",
)

HELP = """\
Export recorded runs, oldest first (by created_at, then insertion order).

Formats:
  jsonl (default)  one JSON object per line, exactly what
                   GET /rebalance/runs/{rebalance_run_id} returns: the run's
                   metadata and its full "result" as the client received it.
  csv              metadata only, no result, with a header row; columns:
                   rebalance_run_id, correlation_id, request_hash,
                   idempotency_key, portfolio_id, status, batch_run_id,
                   created_at. Absent values (idempotency_key of analyze runs,
                   batch_run_id of simulate runs) are empty cells. A cell
                   that starts with =, +, -, @, a tab or a carriage return
                   gets a leading apostrophe, so that a spreadsheet shows it
                   as text instead of running it as a formula.

--since is inclusive and --until exclusive. Both take an ISO date (midnight
UTC, e.g. 2026-11-01) or an ISO datetime (e.g. 2026-11-01T09:30:00+01:00; UTC
when no offset is given). --since 2026-11-01 --until 2026-12-01 is November.

Rows are read in chunks of --chunk-size, so memory use does not grow with the
number of runs (a chunk of results can reach chunk-size x 5 MB in jsonl). When
writing to a file while standard error is a terminal, a progress bar is shown
(tqdm if installed, otherwise a counter). A file is written under a temporary
name and renamed when complete, so a failed export leaves no partial file.

Every export is recorded in the access log (actor cli:<user>, its filters and
the number of runs written).
"""


class _CounterProgress:
    """Fallback progress display: a counter on stderr, redrawn at most 4 times a second."""

    def __init__(self, stream, total: int) -> None:
        self._stream, self._total, self._done, self._last = stream, total, 0, 0.0

    def update(self, n: int = 1) -> None:
        self._done += n
        now = time.monotonic()
        if now - self._last >= 0.25 or self._done == self._total:
            self._last = now
            self._stream.write(f"\rexported {self._done}/{self._total} runs")
            self._stream.flush()

    def close(self) -> None:
        self._stream.write("\n")
        self._stream.flush()


def _progress(stream, total: int):
    try:
        from tqdm import tqdm  # optional: only for interactive exports
    except ImportError:
        return _CounterProgress(stream, total)
    return tqdm(total=total, unit="run", file=stream, dynamic_ncols=True)


class Command(LaidOutHelpCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="Output format (default jsonl).")
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output ('-' = stdout).")
        parser.add_argument("--since", metavar="WHEN", help="Runs created at or after WHEN (UTC).")
        parser.add_argument("--until", metavar="WHEN", help="Runs created before WHEN (UTC).")
        parser.add_argument("--portfolio", metavar="PORTFOLIO_ID", help="Runs of this portfolio id only.")
        parser.add_argument("--status", choices=RunStatus.values, help="Runs with this status only.")
        parser.add_argument("--correlation-id", metavar="ID", help="Runs with exactly this correlation id.")
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=DEFAULT_CHUNK_SIZE,
            help=f"Rows read per database query (default {DEFAULT_CHUNK_SIZE}).",
        )

    def handle(self, *args, **options):
        filters = self._filters(options)
        query = _describe(options)
        try:
            written = self._export(filters, options)
        except BaseException:
            audit.record(actor=audit.cli_actor(), action=audit.EXPORT_RUNS, target=query, outcome=1)
            raise
        audit.record(
            actor=audit.cli_actor(), action=audit.EXPORT_RUNS, target=f"{query} rows={written}", outcome=0
        )

    def _export(self, filters: RunFilters, options) -> int:
        """Write the export; returns the number of runs written."""
        chunk_size = options["chunk_size"]
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        output = options["output"]
        to_file = output not in (None, "-")
        repository = RunRepository()

        if not to_file:
            written = self._write(repository, filters, options["format"], chunk_size, Sink(self.stdout), None)
            self.stderr.write(f"exported {written} runs")
            return written

        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(f"--output: directory {str(target.parent)!r} does not exist")
        progress = None
        if self.stderr.isatty():
            progress = _progress(Sink(self.stderr), repository.count_runs(filters))
        partial = target.with_name(target.name + ".part")
        try:
            with open(partial, "w", encoding="utf-8", newline="") as stream:
                written = self._write(repository, filters, options["format"], chunk_size, stream, progress)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            if progress is not None:
                progress.close()
        self.stderr.write(f"exported {written} runs to {target}")
        return written

    def _filters(self, options) -> RunFilters:
        since = parse_bound("--since", options["since"]) if options["since"] else None
        until = parse_bound("--until", options["until"]) if options["until"] else None
        if since is not None and until is not None and since >= until:
            raise CommandError("--since must be earlier than --until")
        return RunFilters(
            since=since,
            until=until,
            portfolio_id=options["portfolio"],
            status=options["status"],
            correlation_id=options["correlation_id"],
        )

    def _write(self, repository, filters, fmt, chunk_size, stream, progress) -> int:
        """Stream the matching runs to ``stream``; returns how many were written."""
        written = 0
        if fmt == "csv":
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            for run in repository.iter_run_summaries(filters, chunk_size=chunk_size):
                cells = (
                    run.rebalance_run_id,
                    run.correlation_id,
                    run.request_hash,
                    run.idempotency_key or "",
                    run.portfolio_id,
                    run.status,
                    run.batch_run_id or "",
                    format_timestamp(run.created_at),
                )
                writer.writerow([spreadsheet_safe(cell) for cell in cells])
                written += 1
                if progress is not None:
                    progress.update(1)
        else:
            for run in repository.iter_runs(filters, chunk_size=chunk_size):
                stream.write(run_lookup_json_line(run))
                stream.write("\n")
                written += 1
                if progress is not None:
                    progress.update(1)
        return written


_QUERY_OPTIONS = ("format", "since", "until", "portfolio", "status", "correlation_id", "output")


def _describe(options) -> str:
    """The export's options as ``name=value`` pairs, for the access log."""
    return " ".join(f"{name}={options[name]}" for name in _QUERY_OPTIONS if options.get(name) is not None)

"""``manage.py analyze FILE``: run a what-if batch (a POST /rebalance/analyze body)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from rebalance.boundary import BatchRebalanceRequest, validate_engine_options
from rebalance.engine import render_batch, run_batch

from ._request_files import report_invalid, validate_file


class Command(BaseCommand):
    help = (
        "Run the named scenarios of one analyze request body and print the batch result as "
        "one JSON document. An invalid body prints its issues to stderr and exits 1; invalid "
        "scenario options fail only that scenario (INVALID_OPTIONS), as over HTTP. Runs are "
        "not recorded in the run store."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="analyze request body (JSON)")
        parser.add_argument(
            "--correlation-id",
            default=None,
            help="prefix of every scenario's correlation id (default: the batch id)",
        )

    def handle(self, *args, file, correlation_id, **options):
        body, issues = validate_file(file, BatchRebalanceRequest)
        if issues:
            raise report_invalid(self.stderr, [(file, issues)], 1)
        inputs, scenarios = body.to_engine()
        batch = run_batch(
            inputs, scenarios, validate_engine_options, correlation_prefix=correlation_id
        )
        self.stdout.write(json.dumps(render_batch(batch), ensure_ascii=False))

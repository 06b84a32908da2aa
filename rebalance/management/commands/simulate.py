"""``manage.py simulate FILE [FILE ...]``: run simulate request bodies offline."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from rebalance.boundary import RebalanceRequest
from rebalance.engine import render_result, simulate

from ._request_files import report_invalid, validate_file


class Command(BaseCommand):
    help = (
        "Simulate one rebalance per file (a POST /rebalance/simulate body) and print one "
        "result JSON per line, in argument order. Every file is validated first: if any is "
        "invalid its issues go to stderr, nothing is printed and the exit code is 1. "
        "Runs are not recorded in the run store."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="simulate request body (JSON)")
        parser.add_argument(
            "--correlation-id", default="c_none", help="correlation id written into each result"
        )

    def handle(self, *args, files, correlation_id, **options):
        prepared, failures = [], []
        for path in files:
            body, issues = validate_file(path, RebalanceRequest)
            if issues:
                failures.append((path, issues))
            else:
                prepared.append((*body.to_engine(), body.canonical.digest))
        if failures:
            raise report_invalid(self.stderr, failures, len(files))
        # Results are collected first so that output is all-or-nothing.
        lines = []
        for inputs, engine_options, digest in prepared:
            result = simulate(
                inputs,
                engine_options,
                request_hash=digest,
                correlation_id=correlation_id,
            )
            lines.append(json.dumps(render_result(result), ensure_ascii=False))
        self.stdout.write("\n".join(lines))

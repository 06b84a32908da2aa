"""JSON text of the support lookup responses (api spec §4.16).

The stored result text is spliced into the envelope as it is: parsing and
re-serialising a result of several megabytes would cost as much as building it,
and could change its bytes (key order, number spelling).
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

from .repository import IdempotencyMapping, RunSummary, StoredRun


def format_timestamp(value: datetime) -> str:
    """ISO-8601 in UTC with ``+00:00``; the fraction is omitted when it is zero (§1.8)."""
    return value.astimezone(UTC).isoformat()


def _metadata_members(run: RunSummary) -> str:
    """The envelope's leading members, in contract order, without braces."""
    fields = {
        "rebalance_run_id": run.rebalance_run_id,
        "correlation_id": run.correlation_id,
        "request_hash": run.request_hash,
        "idempotency_key": run.idempotency_key,
        "portfolio_id": run.portfolio_id,
        "created_at": format_timestamp(run.created_at),
    }
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))[1:-1]


def run_lookup_json(run: StoredRun) -> str:
    """A DpmRunLookupResponse whose ``result`` is the stored response text verbatim."""
    return "{" + _metadata_members(run) + ',"result":' + run.response_body + "}"


def run_lookup_json_line(run: StoredRun) -> str:
    """``run_lookup_json`` on one line (for JSON Lines), without a trailing newline.

    A raw line break can only occur between tokens of valid JSON (inside strings
    it must be escaped), so replacing it with a space keeps the same JSON value.
    """
    text = run_lookup_json(run)
    if "\n" in text or "\r" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    return text


def idempotency_lookup_json(mapping: IdempotencyMapping) -> str:
    """A DpmRunIdempotencyLookupResponse."""
    return json.dumps(
        {
            "idempotency_key": mapping.idempotency_key,
            "request_hash": mapping.request_hash,
            "rebalance_run_id": mapping.rebalance_run_id,
            "created_at": format_timestamp(mapping.created_at),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )

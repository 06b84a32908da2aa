"""The run summary of the listing, bundles and history: a run without its result."""
from __future__ import annotations

from typing import Any

from .key_history import KeyEvent
from .rendering import format_timestamp
from .repository import RunSummary


def run_summary(run: RunSummary) -> dict[str, Any]:
    """A DpmRunSummary (GET /rebalance/runs items, bundle ``run`` and ``related_runs``)."""
    return {
        "rebalance_run_id": run.rebalance_run_id,
        "correlation_id": run.correlation_id,
        "idempotency_key": run.idempotency_key,
        "portfolio_id": run.portfolio_id,
        "status": run.status,
        "request_hash": run.request_hash,
        "batch_run_id": run.batch_run_id,
        "created_at": format_timestamp(run.created_at),
    }


def key_event_json(event: KeyEvent) -> dict[str, Any]:
    """One entry of a key's history, as the history endpoint and the support bundle show it."""
    return {
        "occurred_at": format_timestamp(event.occurred_at),
        "correlation_id": event.correlation_id,
        "request_hash": event.request_hash,
        "outcome": event.outcome,
        "rebalance_run_id": event.rebalance_run_id,
    }

"""Support bundles: one JSON case file of a recorded run.

GET /rebalance/runs/{id}/support-bundle, ``manage.py export_bundle`` and the
admin's download all serve ``support_bundle_json``. Like the lookups, the
stored result text is spliced in verbatim, so ``result`` is byte for byte what
the run lookup returns and ``integrity.result_sha256`` can be checked against
the bundle's own ``result`` bytes.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils import timezone

from .key_history import key_history
from .rendering import format_timestamp
from .repository import RecordedRun, RunRepository
from .summaries import key_event_json, run_summary

BUNDLE_VERSION = 1


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _idempotency(run: RecordedRun, repository: RunRepository) -> dict[str, Any] | None:
    """The key's current mapping and its history, in the owning client's key space."""
    if run.idempotency_key is None:
        return None
    mapping = repository.get_idempotency(run.idempotency_key, client_id=run.client_id)
    return {
        "idempotency_key": run.idempotency_key,
        # The key may since have been re-pointed (replay off) or be in flight.
        "mapping": None if mapping is None else {
            "request_hash": mapping.request_hash,
            "rebalance_run_id": mapping.rebalance_run_id,
            "created_at": format_timestamp(mapping.created_at),
        },
        "history": [
            key_event_json(event) for event in key_history(run.idempotency_key, client_id=run.client_id)
        ],
    }


def support_bundle_json(rebalance_run_id: str) -> str | None:
    """The support bundle of the run as JSON text, or None when there is no such run."""
    repository = RunRepository()
    run = repository.get_recorded_run(rebalance_run_id)
    if run is None:
        return None
    members = [
        ("bundle_version", _json(BUNDLE_VERSION)),
        ("generated_at", _json(format_timestamp(timezone.now()))),
        ("run", _json(run_summary(run))),
        ("engine_version", _json(run.engine_version)),
        ("hold", _json(None if run.held_at is None else {
            "held_at": format_timestamp(run.held_at),
            "held_by": run.held_by,
            "reason": run.hold_reason,
        })),
        ("request", _json(run.request)),
        ("result", run.response_body),
        ("idempotency", _json(_idempotency(run, repository))),
        ("related_runs", _json([run_summary(other) for other in repository.related_runs(run)])),
        ("integrity", _json({
            "request_hash": run.request_hash,
            "result_sha256": hashlib.sha256(run.response_body.encode("utf-8")).hexdigest(),
        })),
    ]
    return "{" + ",".join(f"{_json(name)}:{value}" for name, value in members) + "}"


def support_bundle(rebalance_run_id: str) -> dict | None:
    """The support bundle as a dict (numbers in ``result`` parsed), or None."""
    text = support_bundle_json(rebalance_run_id)
    return None if text is None else json.loads(text)

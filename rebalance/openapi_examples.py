"""Examples of the OpenAPI document, produced by running the service's own code.

Only the request bodies are written by hand (``rebalance/request_examples.py``). Every result example is what the boundary
and the engine return for the request next to it (with the run ids, correlation ids and
timestamp fixed so that the document is the same on every build), and every 422 example
is what the boundary reports for an invalid body. They are computed the first time the
document is built, not at import.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any, Callable

from drf_spectacular.utils import OpenApiExample

from rebalance.boundary import (
    BatchRebalanceRequest,
    RebalanceRequest,
    validate_engine_options,
    validate_request,
)
from rebalance.engine import render_batch, render_result, run_batch, simulate
from rebalance.headers import idempotency_key_issue
from rebalance.request_examples import (
    ANALYZE_REQUEST,
    BLOCKED_REQUEST,
    PENDING_REVIEW_REQUEST,
    SIMULATE_REQUEST,
)


class EngineExample(OpenApiExample):
    """An example whose value is produced by ``produce()`` when the document is built."""

    def __init__(self, name: str, produce: Callable[[], Any], **kwargs: Any) -> None:
        self._produce = produce
        super().__init__(name, **kwargs)

    @property
    def value(self) -> Any:
        return copy.deepcopy(self._produce())

    @value.setter
    def value(self, _ignored: Any) -> None:
        pass  # set by OpenApiExample.__init__; the value is always produced


# The fixed ids of the examples (real runs get random ones).
SIMULATE_EXAMPLES = {
    "READY": (SIMULATE_REQUEST, "rr_c24203fb", "corr-spec-001"),
    "PENDING_REVIEW": (PENDING_REVIEW_REQUEST, "rr_7d0f3a91", "corr-spec-002"),
    "BLOCKED": (BLOCKED_REQUEST, "rr_5b1e0c7a", "corr-spec-003"),
}
BATCH_RUN_ID = "batch_4f8d5976"
BATCH_CORRELATION_ID = "corr-spec-batch"
BATCH_RUN_AT = "2026-02-20T12:00:00.123456+00:00"
SCENARIO_RUN_IDS = {"cap_half": "rr_29680632"}
LOOKUP_IDEMPOTENCY_KEY = "spec-idem-001"
LOOKUP_CREATED_AT = "2026-02-20T12:00:00.118274+00:00"


# --- Produced results ---------------------------------------------------------------------


@cache
def simulate_result(status: str) -> dict[str, Any]:
    """The engine's result for the request example of ``status`` (a key of SIMULATE_EXAMPLES)."""
    body, run_id, correlation_id = SIMULATE_EXAMPLES[status]
    request, issues = validate_request(copy.deepcopy(body), RebalanceRequest)
    assert not issues, issues
    inputs, options = request.to_engine()
    result = simulate(
        inputs, options, request_hash=request.canonical.digest,
        correlation_id=correlation_id, run_id=run_id,
    )
    return render_result(result)


@cache
def batch_result() -> dict[str, Any]:
    """The engine's batch result for ANALYZE_REQUEST, with fixed ids and timestamp."""
    request, issues = validate_request(copy.deepcopy(ANALYZE_REQUEST), BatchRebalanceRequest)
    assert not issues, issues
    inputs, scenarios = request.to_engine()
    batch = run_batch(
        inputs, scenarios, validate_engine_options,
        correlation_prefix=BATCH_CORRELATION_ID, batch_id=BATCH_RUN_ID,
    )
    text = json.dumps(render_batch(batch))
    for name, result in batch.results.items():  # scenario run ids are random: fix them
        text = text.replace(result.rebalance_run_id, SCENARIO_RUN_IDS[name])
    produced = json.loads(text)
    produced["run_at_utc"] = BATCH_RUN_AT
    return produced


def run_lookup() -> dict[str, Any]:
    """GET /rebalance/runs/{id} of the READY example's run."""
    ready = simulate_result("READY")
    return {
        "rebalance_run_id": ready["rebalance_run_id"],
        "correlation_id": ready["correlation_id"],
        "request_hash": ready["lineage"]["request_hash"],
        "idempotency_key": LOOKUP_IDEMPOTENCY_KEY,
        "portfolio_id": ready["lineage"]["portfolio_snapshot_id"],
        "created_at": LOOKUP_CREATED_AT,
        "result": ready,
    }


def idempotency_lookup() -> dict[str, Any]:
    """GET /rebalance/runs/idempotency/{key} of the READY example's key."""
    run = run_lookup()
    return {
        "idempotency_key": LOOKUP_IDEMPOTENCY_KEY,
        "request_hash": run["request_hash"],
        "rebalance_run_id": run["rebalance_run_id"],
        "created_at": LOOKUP_CREATED_AT,
    }


# --- Produced 422 issues ------------------------------------------------------------------


@cache
def simulate_issues() -> list[dict[str, Any]]:
    """No Idempotency-Key, a lower-case ``target_method`` and a malformed group key."""
    body = copy.deepcopy(SIMULATE_REQUEST)
    body["options"]["target_method"] = "heuristic"
    body["options"]["group_constraints"] = {"sectorTECH": {"max_weight": "0.2"}}
    return [idempotency_key_issue(None), *validate_request(body, RebalanceRequest)[1]]


@cache
def analyze_issues() -> list[dict[str, Any]]:
    """A scenario named ``Baseline`` (names are lower case)."""
    body = {**copy.deepcopy(ANALYZE_REQUEST), "scenarios": {"Baseline": {"options": {}}}}
    return validate_request(body, BatchRebalanceRequest)[1]

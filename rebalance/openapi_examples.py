"""Examples of the OpenAPI document, produced by running the service's own code.

Only the request bodies are written by hand. Every result example is what the boundary
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
from rebalance.request_hash import hash_of_tree


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


# --- Request bodies -----------------------------------------------------------------------

#: The request of the API spec's complete simulate example.
SIMULATE_REQUEST: dict[str, Any] = {
    "portfolio_snapshot": {
        "portfolio_id": "pf_spec_001",
        "base_currency": "SGD",
        "positions": [{"instrument_id": "SG_BANK_EQ", "quantity": "300"}],
        "cash_balances": [{"currency": "SGD", "amount": "10000.00"}],
    },
    "market_data_snapshot": {
        "prices": [
            {"instrument_id": "SG_BANK_EQ", "price": "50.00", "currency": "SGD"},
            {"instrument_id": "US_TECH_ETF", "price": "200.00", "currency": "USD"},
        ],
        "fx_rates": [{"pair": "USD/SGD", "rate": "1.35"}],
    },
    "model_portfolio": {
        "targets": [
            {"instrument_id": "SG_BANK_EQ", "weight": "0.40"},
            {"instrument_id": "US_TECH_ETF", "weight": "0.50"},
        ]
    },
    "shelf_entries": [
        {"instrument_id": "SG_BANK_EQ", "status": "APPROVED", "asset_class": "EQUITY",
         "attributes": {"region": "SG"}},
        {"instrument_id": "US_TECH_ETF", "status": "APPROVED", "asset_class": "EQUITY",
         "attributes": {"region": "US"}},
    ],
    "options": {"cash_band_min_weight": "0.00", "cash_band_max_weight": "0.20"},
}

#: USD 10,000 cash, model 100 % EQ_1, single_position_max_weight 0.5.
PENDING_REVIEW_REQUEST: dict[str, Any] = {
    "portfolio_snapshot": {
        "portfolio_id": "pf_spec_002",
        "base_currency": "USD",
        "positions": [],
        "cash_balances": [{"currency": "USD", "amount": "10000"}],
    },
    "market_data_snapshot": {
        "prices": [{"instrument_id": "EQ_1", "price": "100", "currency": "USD"}],
        "fx_rates": [],
    },
    "model_portfolio": {"targets": [{"instrument_id": "EQ_1", "weight": "1.0"}]},
    "shelf_entries": [{"instrument_id": "EQ_1", "status": "APPROVED", "asset_class": "EQUITY"}],
    "options": {"single_position_max_weight": "0.5"},
}

#: As PENDING_REVIEW, without shelf entries and options: the run stops before sizing.
BLOCKED_REQUEST: dict[str, Any] = {
    **copy.deepcopy(PENDING_REVIEW_REQUEST),
    "portfolio_snapshot": {**PENDING_REVIEW_REQUEST["portfolio_snapshot"], "portfolio_id": "pf_spec_003"},
    "shelf_entries": [],
    "options": {},
}

#: Two scenarios over the PENDING_REVIEW snapshot; ``bad_group`` has invalid options.
ANALYZE_REQUEST: dict[str, Any] = {
    "portfolio_snapshot": {
        **PENDING_REVIEW_REQUEST["portfolio_snapshot"], "snapshot_id": "ps_2026_02_20",
    },
    "market_data_snapshot": {
        **PENDING_REVIEW_REQUEST["market_data_snapshot"], "snapshot_id": "md_2026_02_20",
    },
    "model_portfolio": copy.deepcopy(PENDING_REVIEW_REQUEST["model_portfolio"]),
    "shelf_entries": copy.deepcopy(PENDING_REVIEW_REQUEST["shelf_entries"]),
    "scenarios": {
        "cap_half": {
            "description": "Cap any single position at 50%",
            "options": {"single_position_max_weight": "0.5"},
        },
        "bad_group": {"options": {"group_constraints": {"sectorTECH": {"max_weight": "0.2"}}}},
    },
}

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
        inputs, options, request_hash=hash_of_tree(request.request_tree()),
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

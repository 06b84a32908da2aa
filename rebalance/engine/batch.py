"""What-if batch orchestration over shared snapshots (spec §17)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from .errors import InvalidOptions, RunIdTaken
from .models import EngineOptions, RebalanceInputs
from .pipeline import simulate
from .results import BatchResult, RebalanceResult

MAX_SCENARIOS = 20


def new_batch_id() -> str:
    """``batch_`` + 8 lowercase hex characters of a random UUID4."""
    return "batch_" + uuid.uuid4().hex[:8]


def run_batch(
    inputs: RebalanceInputs,
    scenarios: dict[str, Any],
    validate_options: Callable[[Any], EngineOptions],
    *,
    correlation_prefix: str | None = None,
    batch_id: str | None = None,
    on_result: Callable[[str, EngineOptions, RebalanceResult], None] | None = None,
) -> BatchResult:
    """Run each named scenario's options over the shared inputs, in sorted name order.

    ``validate_options`` turns a raw options object into ``EngineOptions`` or raises
    ``InvalidOptions`` (the scenario fails with ``INVALID_OPTIONS: <message>``). Any other
    exception fails only that scenario (``SCENARIO_EXECUTION_ERROR: <class>``).
    ``on_result`` is called for every successful scenario (e.g. to record the run); when
    it raises ``RunIdTaken`` the scenario runs again under a fresh run id.
    """
    batch_id = batch_id or new_batch_id()
    prefix = correlation_prefix or batch_id
    results: dict[str, RebalanceResult] = {}
    failed: dict[str, str] = {}
    for name in sorted(scenarios):
        try:
            options = validate_options(scenarios[name])
        except InvalidOptions as exc:
            failed[name] = f"INVALID_OPTIONS: {exc.message}"
            continue
        try:
            result = _run_scenario(inputs, options, name, batch_id, prefix, on_result)
        except Exception as exc:  # noqa: BLE001 - one scenario must not sink the batch
            failed[name] = f"SCENARIO_EXECUTION_ERROR: {type(exc).__name__}"
            continue
        results[name] = result
    portfolio, market = inputs.portfolio, inputs.market_data
    return BatchResult(
        batch_run_id=batch_id,
        run_at_utc=datetime.now(timezone.utc).isoformat(),
        portfolio_snapshot_id=portfolio.snapshot_id or portfolio.portfolio_id,
        market_data_snapshot_id=market.snapshot_id or "md",
        base_currency=portfolio.base_currency,
        results=results,
        failed_scenarios=failed,
        warnings=["PARTIAL_BATCH_FAILURE"] if failed else [],
    )


RUN_ID_ATTEMPTS = 5


def _run_scenario(inputs, options, name, batch_id, prefix, on_result) -> RebalanceResult:
    for _ in range(RUN_ID_ATTEMPTS):
        result = simulate(
            inputs, options, request_hash=f"{batch_id}:{name}", correlation_id=f"{prefix}:{name}"
        )
        if on_result is None:
            return result
        try:
            on_result(name, options, result)
        except RunIdTaken:
            continue
        return result
    raise RunIdTaken("could not allocate a unique rebalance_run_id")

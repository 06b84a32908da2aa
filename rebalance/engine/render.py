"""Rendering of engine results into the contract's JSON shape (api spec §4).

The shape is declared once, as typed dicts, in ``rebalance/boundary/responses.py``: the
functions here return exactly those (same keys, same order), as plain dicts, and the
OpenAPI components are generated from the same declaration. Decimals become
``str(Decimal)`` strings; only position and allocation weights are quantized to 4 dp
(presentation only).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .collector import collector_paused
from .models import CashBalance, Money
from .results import (
    AllocationMetric,
    BatchResult,
    FxIntent,
    Intent,
    RebalanceResult,
    RuleResult,
    SimulatedState,
)

if TYPE_CHECKING:  # the engine itself never imports the boundary
    from rebalance.boundary.responses import (
        AllocationMetric as AllocationMetricJson,
        BatchRebalanceResult,
        FxSpotIntent,
        RebalanceResult as RebalanceResultJson,
        ResultCashBalance,
        ResultMoney,
        RuleResult as RuleResultJson,
        SecurityTradeIntent,
        SimulatedState as SimulatedStateJson,
    )

FOUR_DP = Decimal("0.0001")


def weight_text(weight: Decimal) -> str:
    """A weight with exactly 4 decimals (HALF_EVEN); weights too large for 28 digits at
    4 dp (absurd portfolios) are printed unquantized rather than failing."""
    try:
        return str(weight.quantize(FOUR_DP))
    except InvalidOperation:
        return str(weight)


def money(value: Money | None) -> ResultMoney | None:
    if value is None:
        return None
    return {"amount": str(value.amount), "currency": value.currency}


def _optional(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _plain(value: Any) -> Any:
    """Stringify Decimals (and Money) inside the JSON-shaped diagnostics entries."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money):
        return money(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def cash_balance(cash: CashBalance) -> ResultCashBalance:
    return {
        "currency": cash.currency,
        "amount": str(cash.amount),
        "settled": _optional(cash.settled),
        "pending": _optional(cash.pending),
    }


def allocation(metric: AllocationMetric) -> AllocationMetricJson:
    return {"key": metric.key, "weight": weight_text(metric.weight), "value": money(metric.value)}


def simulated_state(state: SimulatedState) -> SimulatedStateJson:
    by_instrument = [allocation(m) for m in state.allocation_by_instrument]
    return {
        "total_value": money(state.total_value),
        "cash_balances": [cash_balance(c) for c in state.cash_balances],
        "positions": [
            {
                "instrument_id": p.instrument_id,
                "quantity": str(p.quantity),
                "instrument_currency": p.instrument_currency,
                "asset_class": p.asset_class,
                "price": money(p.price),
                "value_in_instrument_ccy": money(p.value_in_instrument_ccy),
                "value_in_base_ccy": money(p.value_in_base_ccy),
                "weight": metric["weight"],
            }
            for p, metric in zip(state.positions, by_instrument)
        ],
        "allocation_by_asset_class": [allocation(m) for m in state.allocation_by_asset_class],
        "allocation_by_instrument": by_instrument,
        "allocation": [dict(m) for m in by_instrument],
        "allocation_by_attribute": {
            key: [allocation(m) for m in metrics] for key, metrics in state.allocation_by_attribute.items()
        },
    }


def intent(item: Intent) -> SecurityTradeIntent | FxSpotIntent:
    if isinstance(item, FxIntent):
        return {
            "intent_type": "FX_SPOT",
            "intent_id": item.intent_id,
            "pair": item.pair,
            "buy_currency": item.buy_currency,
            "buy_amount": str(item.buy_amount),
            "sell_currency": item.sell_currency,
            "sell_amount_estimated": str(item.sell_amount_estimated),
            "dependencies": [],
            "rationale": {"code": item.rationale_code, "message": item.rationale_message},
        }
    return {
        "intent_type": "SECURITY_TRADE",
        "intent_id": item.intent_id,
        "instrument_id": item.instrument_id,
        "side": item.side,
        "quantity": str(item.quantity),
        "notional": money(item.notional),
        "notional_base": money(item.notional_base),
        "dependencies": list(item.dependencies),
        "rationale": {"code": "DRIFT_REBALANCE", "message": "Align"},
        "constraints_applied": list(item.constraints_applied),
    }


def rule(row: RuleResult) -> RuleResultJson:
    return {
        "rule_id": row.rule_id,
        "severity": row.severity,
        "status": row.status,
        "measured": str(row.measured),
        "threshold": {k: str(v) for k, v in row.threshold.items()},
        "reason_code": row.reason_code,
        "remediation_hint": row.remediation_hint,
    }


def render_result(result: RebalanceResult) -> RebalanceResultJson:
    """The full ``RebalanceResult`` JSON object of one run."""
    with collector_paused():
        return _render_result(result)


def _render_result(result: RebalanceResult) -> RebalanceResultJson:
    diag = result.diagnostics
    universe = result.universe
    coverage = str(universe.coverage)
    if result.early_blocked:
        explanation: dict[str, Any] = {"summary": "Blocked"}
    else:
        comparison = result.comparison
        explanation = {
            "summary": result.status,
            "target_method_comparison": None
            if comparison is None
            else {
                "primary_method": comparison.primary_method,
                "primary_status": comparison.primary_status,
                "alternate_method": comparison.alternate_method,
                "alternate_status": comparison.alternate_status,
                "tolerance": comparison.tolerance,
                "differing_instruments": list(comparison.differing_instruments),
                "alternate_warnings": list(comparison.alternate_warnings),
            },
        }
    recon = result.reconciliation
    tax = result.tax_impact
    gate = result.gate_decision
    return {
        "rebalance_run_id": result.rebalance_run_id,
        "correlation_id": result.correlation_id,
        "status": result.status,
        "before": simulated_state(result.before),
        "universe": {
            "universe_id": universe.universe_id,
            "eligible_for_buy": list(universe.eligible_for_buy),
            "eligible_for_sell": list(universe.eligible_for_sell),
            "excluded": [
                {"instrument_id": e.instrument_id, "reason_code": e.reason_code, "details": None}
                for e in universe.excluded
            ],
            "coverage": {"price_coverage_pct": coverage, "fx_coverage_pct": coverage},
        },
        "target": {
            "target_id": result.target_id,
            "strategy": {},
            "targets": [
                {
                    "instrument_id": row.instrument_id,
                    "model_weight": str(row.model_weight),
                    "final_weight": str(row.final_weight),
                    "final_value": money(row.final_value),
                    "tags": list(row.tags),
                }
                for row in result.targets
            ],
        },
        "intents": [intent(i) for i in result.intents],
        "after_simulated": simulated_state(result.after_simulated),
        "reconciliation": None
        if recon is None
        else {
            "before_total_value": money(recon.before_total_value),
            "after_total_value": money(recon.after_total_value),
            "delta": money(recon.delta),
            "tolerance": money(recon.tolerance),
            "status": recon.status,
        },
        "tax_impact": None
        if tax is None
        else {
            "total_realized_gain": money(tax.total_realized_gain),
            "total_realized_loss": money(tax.total_realized_loss),
            "budget_limit": money(tax.budget_limit),
            "budget_used": money(tax.budget_used),
        },
        "rule_results": [rule(r) for r in result.rule_results],
        "explanation": explanation,
        "diagnostics": {
            "warnings": list(diag.warnings),
            "suppressed_intents": _plain(diag.suppressed_intents),
            "dropped_intents": _plain(diag.dropped_intents),
            "group_constraint_events": _plain(diag.group_constraint_events),
            "tax_budget_constraint_events": _plain(diag.tax_budget_constraint_events),
            "cash_ladder": _plain(diag.cash_ladder),
            "cash_ladder_breaches": _plain(diag.cash_ladder_breaches),
            "missing_fx_pairs": [],
            "funding_plan": [],
            "insufficient_cash": [],
            "data_quality": {
                "price_missing": list(diag.price_missing),
                "fx_missing": list(diag.fx_missing),
                "shelf_missing": list(diag.shelf_missing),
            },
        },
        "gate_decision": None
        if gate is None
        else {
            "gate": gate.gate,
            "recommended_next_step": gate.recommended_next_step,
            "reasons": [
                {"reason_code": r.reason_code, "severity": r.severity, "source": r.source,
                 "details": dict(r.details)}
                for r in gate.reasons
            ],
            "summary": {
                "hard_fail_count": gate.hard_fail_count,
                "soft_fail_count": gate.soft_fail_count,
                "new_high_suitability_count": 0,
                "new_medium_suitability_count": 0,
            },
        },
        "lineage": {
            "portfolio_snapshot_id": result.portfolio_id,
            "market_data_snapshot_id": "md",
            "request_hash": result.request_hash,
            "idempotency_key": None,
            "engine_version": None,
        },
    }


def render_batch(
    batch: BatchResult, rendered_results: dict[str, RebalanceResultJson] | None = None
) -> BatchRebalanceResult:
    """The ``BatchRebalanceResult`` JSON object of one analyze call.

    ``rendered_results`` may hold scenario results already rendered (e.g. when they were
    recorded one by one); the others are rendered here.
    """
    with collector_paused():
        return _render_batch(batch, rendered_results or {})


def _render_batch(
    batch: BatchResult, rendered_results: dict[str, RebalanceResultJson]
) -> BatchRebalanceResult:
    metrics = {}
    for name, result in batch.results.items():
        security = result.security_intents
        turnover = Decimal("0")
        for item in security:
            turnover = turnover + item.notional_base.amount
        metrics[name] = {
            "status": result.status,
            "security_intent_count": len(security),
            "gross_turnover_notional_base": {"amount": str(turnover), "currency": batch.base_currency},
        }
    return {
        "batch_run_id": batch.batch_run_id,
        "run_at_utc": batch.run_at_utc,
        "base_snapshot_ids": {
            "portfolio_snapshot_id": batch.portfolio_snapshot_id,
            "market_data_snapshot_id": batch.market_data_snapshot_id,
        },
        "results": {
            name: rendered_results[name] if name in rendered_results else _render_result(r)
            for name, r in batch.results.items()
        },
        "comparison_metrics": metrics,
        "failed_scenarios": dict(batch.failed_scenarios),
        "warnings": list(batch.warnings),
    }

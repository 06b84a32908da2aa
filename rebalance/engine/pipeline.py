"""The DPM simulation pipeline: one deterministic rebalance (engine spec §1)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from .after_state import apply_intents
from .collector import collector_paused
from .fx_funding import plan_fx_and_order
from .gate import decide_gate
from .intents import generate_security_intents
from .lookups import MarketIndex, ShelfIndex
from .models import EngineOptions, RebalanceInputs, ValuationMode
from .reconciliation import reconcile
from .results import (
    BLOCKED,
    PENDING_REVIEW,
    READY,
    Diagnostics,
    RebalanceResult,
    Universe,
)
from .rules import evaluate_rules
from .settlement import build_cash_ladder, settlement_breach_rule
from .targets import compare_target_methods, generate_targets
from .tax import TaxLedger
from .turnover import apply_turnover_cap
from .universe import build_universe
from .valuation import value_portfolio

ONE = Decimal("1")
ZERO = Decimal("0")


def new_run_id() -> str:
    """``rr_`` + 8 lowercase hex characters of a random UUID4 (contract format)."""
    return "rr_" + uuid.uuid4().hex[:8]


def data_quality_blocks(diag: Diagnostics, options: EngineOptions) -> bool:
    """True when a data-quality gap must stop the run (spec §5)."""
    return bool(
        diag.shelf_missing
        or diag.blocking_issues
        or (diag.price_missing and options.block_on_missing_prices)
        or (diag.fx_missing and options.block_on_missing_fx)
    )


def simulate(
    inputs: RebalanceInputs,
    options: EngineOptions,
    *,
    request_hash: str = "no_hash",
    correlation_id: str = "c_none",
    run_id: str | None = None,
) -> RebalanceResult:
    """Simulate one rebalance and return the full audit bundle.

    Never raises on valid inputs: every problem becomes a BLOCKED or PENDING_REVIEW
    status with diagnostics. ``run_id`` defaults to a fresh random id.
    """
    with collector_paused():
        return _simulate(inputs, options, request_hash, correlation_id, run_id or new_run_id())


def _simulate(
    inputs: RebalanceInputs,
    options: EngineOptions,
    request_hash: str,
    correlation_id: str,
    run_id: str,
) -> RebalanceResult:
    portfolio, model = inputs.portfolio, inputs.model
    base = portfolio.base_currency
    market = MarketIndex(inputs.market_data)
    shelf = ShelfIndex(inputs.shelf)
    diag = Diagnostics()

    before = value_portfolio(
        portfolio.positions, list(portfolio.cash_balances), base, options.valuation_mode,
        market, shelf, diag,
    )
    tv = before.total_value.amount
    built = build_universe(
        model, portfolio, [p.weight for p in before.positions], shelf, options.allow_restricted, diag
    )
    eligible_snapshot = dict(built.eligible)
    trace, target_status = generate_targets(
        options.target_method, built.eligible, built, model, options, shelf, diag, tv, base
    )
    comparison = None
    if options.compare_target_methods:
        comparison = compare_target_methods(
            trace, target_status, eligible_snapshot, built, model, options, shelf, diag, tv, base
        )

    def universe(coverage: Decimal) -> Universe:
        return Universe("u_" + run_id, built.buy_list, built.sell_list, built.excluded, coverage)

    def result(**fields) -> RebalanceResult:
        return RebalanceResult(
            rebalance_run_id=run_id,
            correlation_id=correlation_id,
            before=before,
            target_id="t_" + run_id,
            targets=trace,
            diagnostics=diag,
            portfolio_id=portfolio.portfolio_id,
            request_hash=request_hash,
            **fields,
        )

    def early_blocked() -> RebalanceResult:
        rules = evaluate_rules(before, diag, options)
        return result(
            status=BLOCKED, universe=universe(ZERO), intents=[], after_simulated=before,
            reconciliation=None, tax_impact=None, rule_results=rules, early_blocked=True,
            comparison=None, gate_decision=_gate(BLOCKED, rules, diag, options),
        )

    if data_quality_blocks(diag, options) or target_status == BLOCKED:
        return early_blocked()

    ledger = TaxLedger(options.max_realized_capital_gains) if options.enable_tax_awareness else None
    security = generate_security_intents(trace, portfolio, tv, market, shelf, options, ledger, diag)
    if data_quality_blocks(diag, options):
        return early_blocked()
    tax_impact = ledger.impact(base) if ledger is not None else None

    security = apply_turnover_cap(security, options.max_turnover_pct, tv, base, diag)
    intents = plan_fx_and_order(security, portfolio.cash_balances, base, market.fx, options, diag)

    if options.enable_settlement_awareness:
        build_cash_ladder(intents, portfolio.cash_balances, shelf, options, diag)
        if diag.cash_ladder_breaches:
            untouched = value_portfolio(
                portfolio.positions, list(portfolio.cash_balances), base, options.valuation_mode,
                market, shelf, diag,
            )
            rules = [settlement_breach_rule(diag)]
            return result(
                status=BLOCKED, universe=universe(ONE), intents=intents, after_simulated=untouched,
                reconciliation=None, tax_impact=tax_impact, rule_results=rules, early_blocked=False,
                comparison=comparison, gate_decision=_gate(BLOCKED, rules, diag, options),
            )

    after_portfolio = apply_intents(portfolio, intents)
    after = value_portfolio(
        after_portfolio.positions, list(after_portfolio.cash_balances), base,
        ValuationMode.CALCULATED, market, shelf, diag,
    )
    rules = evaluate_rules(after, diag, options)
    reconciliation = None
    hard_failed = {r.rule_id for r in rules if r.failed and r.severity == "HARD"}
    if hard_failed:
        if "NO_SHORTING" in hard_failed:
            diag.warnings.append("SIMULATION_SAFETY_CHECK_FAILED")
        if "INSUFFICIENT_CASH" in hard_failed:
            diag.warnings.append("SIMULATION_SAFETY_CHECK_FAILED")
        status = BLOCKED
    else:
        reconciliation, mismatch = reconcile(tv, after.total_value.amount, base)
        if mismatch is not None:
            rules.append(mismatch)
            status = BLOCKED
        elif any(r.failed for r in rules):
            status = PENDING_REVIEW
        else:
            status = READY
    if target_status == PENDING_REVIEW and status == READY:
        status = PENDING_REVIEW
    return result(
        status=status, universe=universe(ONE), intents=intents, after_simulated=after,
        reconciliation=reconciliation, tax_impact=tax_impact, rule_results=rules,
        early_blocked=False, comparison=comparison, gate_decision=_gate(status, rules, diag, options),
    )


def _gate(status, rules, diag, options):
    return decide_gate(status, rules, diag, options) if options.enable_workflow_gates else None

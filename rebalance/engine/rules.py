"""Rule engine: the six standard post-trade checks (spec §12)."""

from __future__ import annotations

from decimal import Decimal

from .models import EngineOptions
from .results import Diagnostics, RuleResult, SimulatedState

ZERO = Decimal("0")
MINUS_ONE = Decimal("-1")
SINGLE_POSITION_TOLERANCE = Decimal("0.001")
HARD, SOFT = "HARD", "SOFT"


def _row(rule_id, severity, failed, measured, threshold, fail_reason, pass_reason, hint=None):
    return RuleResult(
        rule_id=rule_id,
        severity=severity,
        status="FAIL" if failed else "PASS",
        measured=measured,
        threshold=threshold,
        reason_code=fail_reason if failed else pass_reason,
        remediation_hint=hint if failed else None,
    )


def data_quality_count(diag: Diagnostics, options: EngineOptions) -> int:
    """Blocking data-quality entries, duplicates included (plus instruments the engine
    refused to size)."""
    count = len(diag.shelf_missing) + len(diag.blocking_issues)
    if options.block_on_missing_prices:
        count += len(diag.price_missing)
    if options.block_on_missing_fx:
        count += len(diag.fx_missing)
    return count


def evaluate_rules(state: SimulatedState, diag: Diagnostics, options: EngineOptions) -> list[RuleResult]:
    """Evaluate CASH_BAND, SINGLE_POSITION_MAX, DATA_QUALITY, MIN_TRADE_SIZE, NO_SHORTING
    and INSUFFICIENT_CASH on ``state`` (raw, unquantized weights)."""
    rows: list[RuleResult] = []
    cash_weight = state.cash_weight()
    low, high = options.cash_band_min_weight, options.cash_band_max_weight
    rows.append(
        _row("CASH_BAND", SOFT, cash_weight < low or cash_weight > high, cash_weight,
             {"min": low, "max": high}, "THRESHOLD_BREACH", "OK",
             "Portfolio cash is outside policy bands.")
    )
    rows.extend(_single_position_rows(state, options.single_position_max_weight))

    dq_count = data_quality_count(diag, options)
    rows.append(
        _row("DATA_QUALITY", HARD, dq_count > 0, Decimal(dq_count), {"max": ZERO},
             "MISSING_DATA", "OK", "Check diagnostics for missing prices/FX.")
    )
    suppressed = len(diag.suppressed_intents)
    rows.append(
        _row("MIN_TRADE_SIZE", SOFT, False, Decimal(suppressed), {"min": ZERO},
             "", "INTENTS_SUPPRESSED" if suppressed > 0 else "OK")
    )
    lowest_quantity = ZERO
    for position in state.positions:
        lowest_quantity = min(lowest_quantity, position.quantity)
    rows.append(
        _row("NO_SHORTING", HARD, lowest_quantity < 0, lowest_quantity, {"min": ZERO},
             "SELL_EXCEEDS_HOLDINGS", "OK", "Reduce sell quantity.")
    )
    lowest_cash = ZERO
    for cash in state.cash_balances:
        lowest_cash = min(lowest_cash, cash.amount)
    rows.append(
        _row("INSUFFICIENT_CASH", HARD, lowest_cash < 0, lowest_cash, {"min": ZERO},
             "CASH_BALANCE_NEGATIVE", "OK", "Ensure sufficient funding.")
    )
    return rows


def _single_position_rows(state: SimulatedState, limit: Decimal | None) -> list[RuleResult]:
    if limit is None:
        return [_row("SINGLE_POSITION_MAX", HARD, False, ZERO, {"max": MINUS_ONE}, "", "NO_LIMIT_SET")]
    ceiling = limit + SINGLE_POSITION_TOLERANCE
    breaches = [
        _row("SINGLE_POSITION_MAX", HARD, True, metric.weight, {"max": limit}, "LIMIT_BREACH", "",
             f"Instrument {metric.key} exceeds max weight.")
        for metric in state.allocation_by_instrument
        if metric.weight > ceiling
    ]
    if breaches:
        return breaches
    largest = ZERO
    for metric in state.allocation_by_instrument:
        largest = max(largest, metric.weight)
    return [_row("SINGLE_POSITION_MAX", HARD, False, largest, {"max": limit}, "", "OK")]

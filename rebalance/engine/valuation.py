"""Stage 1: valuation of a portfolio into a ``SimulatedState`` (engine spec §2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from .lookups import MarketIndex, ShelfIndex
from .models import CashBalance, Money, Position, ValuationMode
from .results import AllocationMetric, Diagnostics, PositionSummary, SimulatedState

ZERO = Decimal("0")
ONE = Decimal("1")


def value_portfolio(
    positions: Iterable[Position],
    cash_balances: list[CashBalance],
    base: str,
    mode: ValuationMode,
    market: MarketIndex,
    shelf: ShelfIndex,
    diag: Diagnostics,
) -> SimulatedState:
    """Value positions and cash in the base currency.

    Appends missing prices and FX pairs to ``diag`` (every call does, so repeated
    valuations repeat the entries, as the contract requires). Weights stay unquantized.
    """
    fx = market.fx
    summaries: list[PositionSummary] = []
    for position in positions:
        summaries.append(_value_position(position, base, mode, market, diag))

    total = ZERO
    for summary in summaries:
        total = total + summary.value_in_base_ccy.amount
    cash_total = ZERO
    for cash in cash_balances:
        if cash.currency == base:
            total = total + cash.amount
            cash_total = cash_total + cash.amount
            continue
        rate = fx.rate(cash.currency, base)
        if rate is None:
            diag.fx_missing.append(f"{cash.currency}/{base}")
            continue
        converted = cash.amount * rate
        total = total + converted
        cash_total = cash_total + converted

    total_safe = ONE if total == 0 else total
    class_values: dict[str, Decimal] = {}
    attribute_values: dict[str, dict[str, Decimal]] = {}
    by_instrument: list[AllocationMetric] = []
    for summary in summaries:
        value_base = summary.value_in_base_ccy.amount
        summary.weight = value_base / total_safe
        entry = shelf.get(summary.instrument_id)
        if entry is not None:
            summary.asset_class = entry.asset_class
            for key, value in entry.attributes.items():
                bucket = attribute_values.setdefault(key, {})
                bucket[value] = bucket.get(value, ZERO) + value_base
        class_values[summary.asset_class] = class_values.get(summary.asset_class, ZERO) + value_base
        by_instrument.append(
            AllocationMetric(summary.instrument_id, summary.weight, summary.value_in_base_ccy)
        )
    class_values["CASH"] = class_values.get("CASH", ZERO) + cash_total

    return SimulatedState(
        total_value=Money(total, base),
        cash_balances=list(cash_balances),
        positions=summaries,
        allocation_by_asset_class=[
            AllocationMetric(key, value / total_safe, Money(value, base))
            for key, value in class_values.items()
        ],
        allocation_by_instrument=by_instrument,
        allocation_by_attribute={
            key: [
                AllocationMetric(value, amount / total_safe, Money(amount, base))
                for value, amount in values.items()
            ]
            for key, values in attribute_values.items()
        },
    )


def _value_position(
    position: Position, base: str, mode: ValuationMode, market: MarketIndex, diag: Diagnostics
) -> PositionSummary:
    price_row = market.prices.get(position.instrument_id)
    if price_row is None:
        diag.price_missing.append(position.instrument_id)
        price, currency = ZERO, base
    else:
        price, currency = price_row.price, price_row.currency
    if mode is ValuationMode.TRUST_SNAPSHOT and position.market_value is not None:
        value_instr = position.market_value.amount
        currency = position.market_value.currency
    else:
        value_instr = position.quantity * price
    rate = market.fx.rate(currency, base)
    if rate is None:
        value_base = ZERO
        diag.fx_missing.append(f"{currency}/{base}")
    else:
        value_base = value_instr * rate
    return PositionSummary(
        instrument_id=position.instrument_id,
        quantity=position.quantity,
        instrument_currency=currency,
        asset_class="UNKNOWN",
        price=Money(price, currency) if price_row is not None else None,
        value_in_instrument_ccy=Money(value_instr, currency),
        value_in_base_ccy=Money(value_base, base),
        weight=ZERO,
    )

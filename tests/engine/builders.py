"""Short builders for engine inputs, so that each test states only what matters.

Every decimal is given as a string (``"100.0"``) and converted with ``Decimal(str)``, so
its exponent is preserved exactly as a JSON string input would be.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from rebalance.engine.lookups import MarketIndex, ShelfIndex
from rebalance.engine.models import (
    CashBalance,
    EngineOptions,
    FxRate,
    GroupConstraint,
    MarketDataSnapshot,
    ModelPortfolio,
    ModelTarget,
    Money,
    PortfolioSnapshot,
    Position,
    Price,
    RebalanceInputs,
    ShelfEntry,
    ShelfStatus,
    TargetMethod,
    TaxLot,
    ValuationMode,
)
from rebalance.engine.pipeline import simulate
from rebalance.engine.results import RebalanceResult, SecurityIntent

D = Decimal
RUN_ID = "rr_0000test"


def dec(value: Any) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("pass decimals as strings, not floats")
    return Decimal(str(value))


def money(amount: Any, currency: str) -> Money:
    return Money(dec(amount), currency)


def lot(
    lot_id: str, quantity: Any, unit_cost: Any, currency: str, purchase_date: str = "2024-01-01"
) -> TaxLot:
    return TaxLot(lot_id, dec(quantity), money(unit_cost, currency), purchase_date)


def pos(
    instrument_id: str,
    quantity: Any,
    market_value: Money | tuple | None = None,
    lots: Iterable[TaxLot] = (),
) -> Position:
    if isinstance(market_value, tuple):
        market_value = money(*market_value)
    return Position(instrument_id, dec(quantity), market_value, tuple(lots))


def cash(currency: str, amount: Any, settled: Any = None, pending: Any = None) -> CashBalance:
    return CashBalance(currency, dec(amount), dec(settled), dec(pending))


def portfolio(
    base: str = "USD",
    positions: Iterable = (),
    cash_balances: Iterable = (),
    portfolio_id: str = "pf",
    snapshot_id: str | None = None,
) -> PortfolioSnapshot:
    """``positions`` items: ``Position`` or ``(id, qty)``; ``cash_balances`` items:
    ``CashBalance`` or ``(ccy, amount)``."""
    return PortfolioSnapshot(
        portfolio_id=portfolio_id,
        base_currency=base,
        positions=tuple(p if isinstance(p, Position) else pos(*p) for p in positions),
        cash_balances=tuple(c if isinstance(c, CashBalance) else cash(*c) for c in cash_balances),
        snapshot_id=snapshot_id,
    )


def price(instrument_id: str, px: Any, currency: str = "USD") -> Price:
    return Price(instrument_id, dec(px), currency)


def fx(pair: str, rate: Any) -> FxRate:
    return FxRate(pair, dec(rate))


def market(
    prices: Iterable = (), fx_rates: Iterable = (), snapshot_id: str | None = None
) -> MarketDataSnapshot:
    """``prices`` items: ``Price`` or ``(id, price[, ccy])``; ``fx_rates`` items: ``FxRate``
    or ``(pair, rate)``."""
    return MarketDataSnapshot(
        prices=tuple(p if isinstance(p, Price) else price(*p) for p in prices),
        fx_rates=tuple(r if isinstance(r, FxRate) else fx(*r) for r in fx_rates),
        snapshot_id=snapshot_id,
    )


def model(*targets) -> ModelPortfolio:
    """``model(("A", "0.5"), ("B", "0.3"))``."""
    return ModelPortfolio(
        tuple(t if isinstance(t, ModelTarget) else ModelTarget(t[0], dec(t[1])) for t in targets)
    )


def entry(
    instrument_id: str,
    status: str | ShelfStatus = "APPROVED",
    asset_class: str = "UNKNOWN",
    settlement_days: int = 2,
    min_notional: Money | tuple | None = None,
    attributes: dict[str, str] | None = None,
) -> ShelfEntry:
    if isinstance(min_notional, tuple):
        min_notional = money(*min_notional)
    return ShelfEntry(
        instrument_id=instrument_id,
        status=ShelfStatus(status),
        asset_class=asset_class,
        settlement_days=settlement_days,
        min_notional=min_notional,
        attributes=dict(attributes or {}),
    )


def shelf(*entries) -> tuple[ShelfEntry, ...]:
    """Items: ``ShelfEntry``, an id (APPROVED) or ``(id, status)``."""
    out = []
    for e in entries:
        if isinstance(e, ShelfEntry):
            out.append(e)
        elif isinstance(e, str):
            out.append(entry(e))
        else:
            out.append(entry(*e))
    return tuple(out)


_DECIMAL_OPTIONS = {
    "compare_target_methods_tolerance",
    "cash_band_min_weight",
    "cash_band_max_weight",
    "single_position_max_weight",
    "fx_buffer_pct",
    "min_cash_buffer_pct",
    "max_turnover_pct",
    "max_realized_capital_gains",
    "drift_unmodeled_exposure_threshold",
}


def options(**kw: Any) -> EngineOptions:
    """``EngineOptions`` with strings for decimals, ``(amount, ccy)`` for Money,
    ``{"attr:value": "0.2"}`` for group constraints and plain strings for enums."""
    for name in _DECIMAL_OPTIONS & kw.keys():
        kw[name] = dec(kw[name])
    for name in ("min_trade_notional", "dust_trade_threshold"):
        if isinstance(kw.get(name), tuple):
            kw[name] = money(*kw[name])
    if "group_constraints" in kw:
        kw["group_constraints"] = {
            k: v if isinstance(v, GroupConstraint) else GroupConstraint(dec(v))
            for k, v in kw["group_constraints"].items()
        }
    if "max_overdraft_by_ccy" in kw:
        kw["max_overdraft_by_ccy"] = {k: dec(v) for k, v in kw["max_overdraft_by_ccy"].items()}
    if isinstance(kw.get("valuation_mode"), str):
        kw["valuation_mode"] = ValuationMode(kw["valuation_mode"])
    if isinstance(kw.get("target_method"), str):
        kw["target_method"] = TargetMethod(kw["target_method"])
    return EngineOptions(**kw)


def inputs(
    pf: PortfolioSnapshot,
    md: MarketDataSnapshot = MarketDataSnapshot(),
    mp: ModelPortfolio = ModelPortfolio(),
    sh: Iterable[ShelfEntry] = (),
) -> RebalanceInputs:
    return RebalanceInputs(pf, md, mp, tuple(sh))


def run(inp: RebalanceInputs, **opts: Any) -> RebalanceResult:
    """``simulate`` with a fixed run id and options built by ``options``."""
    return simulate(inp, options(**opts), run_id=RUN_ID)


def indexes(
    md: MarketDataSnapshot = MarketDataSnapshot(), sh: Iterable[ShelfEntry] = ()
) -> tuple[MarketIndex, ShelfIndex]:
    return MarketIndex(md), ShelfIndex(tuple(sh))


# --- result inspection --------------------------------------------------------------------


def rules(result_or_rows, rule_id: str) -> list:
    rows = getattr(result_or_rows, "rule_results", result_or_rows)
    return [r for r in rows if r.rule_id == rule_id]


def rule(result_or_rows, rule_id: str):
    (row,) = rules(result_or_rows, rule_id)
    return row


def trades(result: RebalanceResult) -> list[tuple[str, str, str, str]]:
    """``(intent_id, side, instrument_id, str(quantity))`` of the security intents, in
    output order."""
    return [
        (i.intent_id, i.side, i.instrument_id, str(i.quantity))
        for i in result.intents
        if isinstance(i, SecurityIntent)
    ]


def security(result: RebalanceResult, instrument_id: str) -> SecurityIntent:
    (found,) = [
        i
        for i in result.intents
        if isinstance(i, SecurityIntent) and i.instrument_id == instrument_id
    ]
    return found


def target_row(result_or_trace, instrument_id: str):
    rows = getattr(result_or_trace, "targets", result_or_trace)
    (found,) = [r for r in rows if r.instrument_id == instrument_id]
    return found


def cash_of(state, currency: str) -> Decimal:
    (found,) = [c.amount for c in state.cash_balances if c.currency == currency]
    return found


def position_of(state, instrument_id: str):
    (found,) = [p for p in state.positions if p.instrument_id == instrument_id]
    return found

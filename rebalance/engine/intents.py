"""Stage 4: security trade intents with dust suppression and tax limits (spec §6)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .lookups import MarketIndex, ShelfIndex, positions_by_id
from .models import EngineOptions, Money, PortfolioSnapshot
from .results import Diagnostics, SecurityIntent, TargetRow
from .tax import TaxLedger

ZERO = Decimal("0")


def generate_security_intents(
    trace: list[TargetRow],
    portfolio: PortfolioSnapshot,
    tv: Decimal,
    market: MarketIndex,
    shelf: ShelfIndex,
    options: EngineOptions,
    ledger: TaxLedger | None,
    diag: Diagnostics,
) -> list[SecurityIntent]:
    """Size one trade per trace instrument: target value minus current value, floored
    to whole units at the instrument's price.

    Current value is the position's ``market_value`` whenever present (any valuation
    mode). SELLs pass through the tax ledger when tax-aware. Trades below the applicable
    minimum notional are suppressed. Instruments priced at zero, or whose size exceeds
    Decimal precision, are not sized: they are recorded as blocking issues with a
    warning instead of raising.
    """
    base = portfolio.base_currency
    positions = positions_by_id(portfolio.positions)
    targets: dict[str, Decimal] = {}
    for row in trace:
        targets[row.instrument_id] = row.final_weight

    intents: list[SecurityIntent] = []
    for iid, weight in targets.items():
        price_row = market.prices.get(iid)
        if price_row is None:
            diag.price_missing.append(iid)
            continue
        price, price_ccy = price_row.price, price_row.currency
        rate = market.fx.rate(price_ccy, base)
        if rate is None:
            diag.fx_missing.append(f"{price_ccy}/{base}")
            continue
        target_val = (tv * weight) / rate
        position = positions.get(iid)
        if position is None:
            current_val = ZERO
        elif position.market_value is not None:
            current_val = position.market_value.amount
        else:
            current_val = position.quantity * price
        delta = target_val - current_val
        side = "BUY" if delta > 0 else "SELL"
        if price == 0:
            diag.warnings.append(f"ZERO_PRICE_{iid}")
            diag.blocking_issues.append(iid)
            continue
        try:
            whole_units = int(abs(delta) // price)
        except InvalidOperation:
            # The quotient needs more than 28 digits: no sane order has that many units.
            diag.warnings.append(f"TRADE_SIZE_OUT_OF_RANGE_{iid}")
            diag.blocking_issues.append(iid)
            continue
        requested = Decimal(whole_units)
        quantity = requested
        if side == "SELL" and whole_units > 0 and ledger is not None:
            quantity = ledger.limit_sell(position, requested, price, price_ccy, rate, market.fx, diag)
            if quantity < requested:
                diag.warn_once("TAX_BUDGET_LIMIT_REACHED")
                diag.tax_budget_constraint_events.append(
                    {
                        "instrument_id": iid,
                        "requested_quantity": requested,
                        "allowed_quantity": quantity,
                        "reason_code": "TAX_BUDGET_LIMIT_REACHED",
                    }
                )
        notional = quantity * price
        notional_base = notional * rate
        threshold = options.min_trade_notional
        if threshold is None:
            entry = shelf.get(iid)
            threshold = entry.min_notional if entry is not None else None
        if options.suppress_dust_trades and threshold is not None and notional < threshold.amount:
            diag.suppressed_intents.append(
                {
                    "instrument_id": iid,
                    "reason": "BELOW_MIN_NOTIONAL",
                    "intended_notional": Money(notional, price_ccy),
                    "threshold": threshold,
                }
            )
            continue
        if quantity > 0:
            constraints = ["MIN_NOTIONAL"] if threshold is not None else []
            if side == "SELL" and ledger is not None and quantity < requested:
                constraints.append("TAX_BUDGET")
            intents.append(
                SecurityIntent(
                    intent_id=f"oi_{len(intents) + 1}",
                    instrument_id=iid,
                    side=side,
                    quantity=quantity,
                    notional=Money(notional, price_ccy),
                    notional_base=Money(notional_base, base),
                    constraints_applied=constraints,
                )
            )
    return intents

"""After-state simulation: apply intents to a copy of the portfolio (spec §11)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from .models import CashBalance, Position, PortfolioSnapshot
from .results import FxIntent, Intent

ZERO = Decimal("0")


class _Book:
    """Mutable positions and cash rows, indexed by the first row per id / currency."""

    def __init__(self, portfolio: PortfolioSnapshot):
        self.quantities: list[Decimal] = [p.quantity for p in portfolio.positions]
        self.positions: list[Position] = list(portfolio.positions)
        self.cash_amounts: list[Decimal] = [c.amount for c in portfolio.cash_balances]
        self.cash_rows: list[CashBalance] = list(portfolio.cash_balances)
        self.position_at: dict[str, int] = {}
        for n, p in enumerate(self.positions):
            self.position_at.setdefault(p.instrument_id, n)
        self.cash_at: dict[str, int] = {}
        for n, c in enumerate(self.cash_rows):
            self.cash_at.setdefault(c.currency, n)

    def position(self, iid: str) -> int:
        if iid not in self.position_at:
            self.position_at[iid] = len(self.positions)
            self.positions.append(Position(iid, ZERO))
            self.quantities.append(ZERO)
        return self.position_at[iid]

    def cash(self, ccy: str) -> int:
        if ccy not in self.cash_at:
            self.cash_at[ccy] = len(self.cash_rows)
            self.cash_rows.append(CashBalance(ccy, ZERO))
            self.cash_amounts.append(ZERO)
        return self.cash_at[ccy]


def apply_intents(portfolio: PortfolioSnapshot, intents: list[Intent]) -> PortfolioSnapshot:
    """Return a new portfolio with every intent applied in execution order.

    New positions and cash rows are appended; ``settled`` / ``pending`` are carried
    unchanged; fully sold positions stay with quantity 0.
    """
    book = _Book(portfolio)
    for intent in intents:
        if isinstance(intent, FxIntent):
            sell = book.cash(intent.sell_currency)
            book.cash_amounts[sell] = book.cash_amounts[sell] - intent.sell_amount_estimated
            buy = book.cash(intent.buy_currency)
            book.cash_amounts[buy] = book.cash_amounts[buy] + intent.buy_amount
            continue
        pos = book.position(intent.instrument_id)
        cash = book.cash(intent.notional.currency)
        if intent.side == "BUY":
            book.quantities[pos] = book.quantities[pos] + intent.quantity
            book.cash_amounts[cash] = book.cash_amounts[cash] - intent.notional.amount
        else:
            book.quantities[pos] = book.quantities[pos] - intent.quantity
            book.cash_amounts[cash] = book.cash_amounts[cash] + intent.notional.amount
    return replace(
        portfolio,
        positions=tuple(
            p if p.quantity is q else Position(p.instrument_id, q, p.market_value, p.lots)
            for p, q in zip(book.positions, book.quantities)
        ),
        cash_balances=tuple(
            c if c.amount is a else CashBalance(c.currency, a, c.settled, c.pending)
            for c, a in zip(book.cash_rows, book.cash_amounts)
        ),
    )

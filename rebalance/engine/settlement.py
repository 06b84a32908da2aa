"""Settlement cash ladder per currency and day offset (spec §10)."""

from __future__ import annotations

from decimal import Decimal

from .lookups import ShelfIndex
from .models import CashBalance, EngineOptions
from .results import Diagnostics, FxIntent, Intent, RuleResult

ZERO = Decimal("0")
DEFAULT_SETTLEMENT_DAYS = 2


def build_cash_ladder(
    intents: list[Intent],
    cash_balances: tuple[CashBalance, ...],
    shelf: ShelfIndex,
    options: EngineOptions,
    diag: Diagnostics,
) -> None:
    """Project cumulative balances per currency for days 0..H into ``diag.cash_ladder``
    and record every point below its overdraft floor in ``diag.cash_ladder_breaches``.

    Day 0 is seeded with ``settled`` when given (even ``"0"``), else ``amount``.
    """
    days_of = shelf.settlement_days
    fx_days = options.fx_settlement_days
    security_days = [
        days_of.get(i.instrument_id, DEFAULT_SETTLEMENT_DAYS)
        for i in intents
        if not isinstance(i, FxIntent)
    ]
    horizon = max(options.settlement_horizon_days, fx_days, max(security_days, default=0))
    flows: dict[str, list[Decimal]] = {}

    def flow(ccy: str) -> list[Decimal]:
        if ccy not in flows:
            flows[ccy] = [ZERO] * (horizon + 1)
        return flows[ccy]

    for cash in cash_balances:
        row = flow(cash.currency)
        row[0] = row[0] + (cash.settled if cash.settled is not None else cash.amount)
    for intent in sorted(intents, key=lambda i: i.intent_id):
        if isinstance(intent, FxIntent):
            sell_row = flow(intent.sell_currency)
            sell_row[fx_days] = sell_row[fx_days] - intent.sell_amount_estimated
            buy_row = flow(intent.buy_currency)
            buy_row[fx_days] = buy_row[fx_days] + intent.buy_amount
        else:
            day = days_of.get(intent.instrument_id, DEFAULT_SETTLEMENT_DAYS)
            row = flow(intent.notional.currency)
            amount = intent.notional.amount
            row[day] = row[day] + (amount if intent.side == "SELL" else -amount)

    utilised = False
    for ccy in sorted(flows):
        allowance = options.max_overdraft_by_ccy.get(ccy, ZERO)
        floor = -allowance
        balance = ZERO
        for day, amount in enumerate(flows[ccy]):
            balance = balance + amount
            diag.cash_ladder.append({"date_offset": day, "currency": ccy, "projected_balance": balance})
            if balance < 0 and allowance > 0:
                utilised = True
            if balance < floor:
                diag.cash_ladder_breaches.append(
                    {
                        "date_offset": day,
                        "currency": ccy,
                        "projected_balance": balance,
                        "allowed_floor": floor,
                        "reason_code": f"OVERDRAFT_ON_T_PLUS_{day}",
                    }
                )
    if utilised:
        diag.warnings.append("SETTLEMENT_OVERDRAFT_UTILIZED")
    if diag.cash_ladder_breaches:
        diag.warnings.append(diag.cash_ladder_breaches[0]["reason_code"])


def settlement_breach_rule(diag: Diagnostics) -> RuleResult:
    """The single rule row of a settlement-blocked run, built from the first breach."""
    breach = diag.cash_ladder_breaches[0]
    floor = breach["allowed_floor"]
    return RuleResult(
        rule_id="SETTLEMENT_CASH_LADDER",
        severity="HARD",
        status="FAIL",
        measured=floor - breach["projected_balance"],
        threshold={"min": floor},
        reason_code=breach["reason_code"],
        remediation_hint="Adjust timing, funding, or overdraft settings.",
    )

"""FX funding and sweep intents, dependencies and execution order (spec §9)."""

from __future__ import annotations

from decimal import Decimal

from .lookups import FxTable
from .models import CashBalance, EngineOptions
from .results import Diagnostics, FxIntent, Intent, SecurityIntent

ZERO = Decimal("0")
ONE_POINT_ZERO = Decimal("1.0")
_EXECUTION_RANK = {"SELL": 1, "FX": 2, "BUY": 3}


def project_balances(
    cash_balances: tuple[CashBalance, ...], intents: list[SecurityIntent]
) -> dict[str, Decimal]:
    """Cash per currency after the security trades (a later duplicate cash row overwrites
    the amount but keeps the first row's position)."""
    projected: dict[str, Decimal] = {}
    for cash in cash_balances:
        projected[cash.currency] = cash.amount
    for intent in intents:
        ccy = intent.notional.currency
        amount = intent.notional.amount
        projected[ccy] = projected.get(ccy, ZERO) + (amount if intent.side == "SELL" else -amount)
    return projected


def plan_fx_and_order(
    intents: list[SecurityIntent],
    cash_balances: tuple[CashBalance, ...],
    base: str,
    fx: FxTable,
    options: EngineOptions,
    diag: Diagnostics,
) -> list[Intent]:
    """Add FUNDING / SWEEP FX intents through the base currency, link BUY dependencies
    and return every intent in execution order (SELL, FX, BUY; stable)."""
    all_intents: list[Intent] = list(intents)
    funding_for: dict[str, str] = {}
    for ccy, balance in project_balances(cash_balances, intents).items():
        if ccy == base:
            continue
        rate = fx.rate(ccy, base)
        if rate is None:
            # Unreachable with block_on_missing_fx (valuation logged the currency and the
            # run blocked earlier); without blocking the currency is skipped.
            diag.fx_missing.append(f"{ccy}/{base}")
            continue
        intent_id = f"oi_fx_{len(all_intents) + 1}"
        if balance < 0:
            buy = abs(balance) * (ONE_POINT_ZERO + options.fx_buffer_pct)
            all_intents.append(
                FxIntent(intent_id, f"{ccy}/{base}", ccy, buy, base, buy * rate, "FUNDING", "Fund")
            )
            funding_for[ccy] = intent_id
        elif balance > 0:
            all_intents.append(
                FxIntent(intent_id, f"{ccy}/{base}", base, balance * rate, ccy, balance, "SWEEP", "Sweep")
            )

    link = options.link_buy_to_same_currency_sell_dependency
    link = True if link is None else link
    last_sell: dict[str, str] = {}
    if link:
        for intent in intents:
            if intent.side == "SELL":
                last_sell[intent.notional.currency] = intent.intent_id
    for intent in intents:
        if intent.side != "BUY":
            continue
        ccy = intent.notional.currency
        if ccy in funding_for:
            intent.dependencies.append(funding_for[ccy])
        if link and ccy in last_sell and last_sell[ccy] not in intent.dependencies:
            intent.dependencies.append(last_sell[ccy])

    return sorted(all_intents, key=_execution_rank)


def _execution_rank(intent: Intent) -> int:
    if isinstance(intent, FxIntent):
        return _EXECUTION_RANK["FX"]
    return _EXECUTION_RANK[intent.side]

"""Turnover cap: greedy, largest-first fill of a notional budget (spec §8)."""

from __future__ import annotations

from decimal import Decimal

from .models import Money
from .results import Diagnostics, SecurityIntent

ZERO = Decimal("0")


def apply_turnover_cap(
    intents: list[SecurityIntent],
    max_turnover_pct: Decimal | None,
    tv: Decimal,
    base: str,
    diag: Diagnostics,
) -> list[SecurityIntent]:
    """Keep intents while their summed absolute base notional fits ``tv * pct``.

    When nothing has to be dropped the list comes back unchanged; otherwise the kept
    intents come back in ranking order (largest notional first, then instrument id,
    then intent id) and the dropped ones are listed in ``diag.dropped_intents``.
    """
    if max_turnover_pct is None:
        return intents
    budget = tv * max_turnover_pct
    if sum(abs(i.notional_base.amount) for i in intents) <= budget:
        return intents

    def score(intent: SecurityIntent) -> Decimal:
        return abs(intent.notional_base.amount) / tv if tv > 0 else ZERO

    ranked = sorted(
        intents,
        key=lambda i: (-score(i), abs(i.notional_base.amount), i.instrument_id, i.intent_id),
    )
    used = ZERO
    kept: list[SecurityIntent] = []
    for intent in ranked:
        size = abs(intent.notional_base.amount)
        if used + size <= budget:
            kept.append(intent)
            used = used + size
        else:
            diag.dropped_intents.append(
                {
                    "instrument_id": intent.instrument_id,
                    "reason": "TURNOVER_LIMIT",
                    "potential_notional": Money(size, base),
                    "score": score(intent),
                }
            )
    if diag.dropped_intents:
        diag.warnings.append("PARTIAL_REBALANCE_TURNOVER_LIMIT")
    return kept

"""Stage 2: universe construction from the model, the holdings and the shelf (spec §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .lookups import ShelfIndex
from .models import ModelPortfolio, PortfolioSnapshot, ShelfStatus
from .results import Diagnostics, ExcludedInstrument

ZERO_POINT_ZERO = Decimal("0.0")
_EXCLUDED_TARGET = (ShelfStatus.BANNED, ShelfStatus.SUSPENDED)
_LOCKED_HOLDING = (ShelfStatus.SUSPENDED, ShelfStatus.BANNED, ShelfStatus.RESTRICTED)


@dataclass(slots=True)
class UniverseBuild:
    """Working universe: ``eligible`` is an insertion-ordered id → weight map that the
    target stage mutates; ``buy_set`` mirrors ``buy_list`` for O(1) membership tests."""

    eligible: dict[str, Decimal] = field(default_factory=dict)
    excluded: list[ExcludedInstrument] = field(default_factory=list)
    buy_list: list[str] = field(default_factory=list)
    sell_list: list[str] = field(default_factory=list)
    sell_only_excess: Decimal = ZERO_POINT_ZERO
    buy_set: set[str] = field(default_factory=set)


def build_universe(
    model: ModelPortfolio,
    portfolio: PortfolioSnapshot,
    before_weights: list[Decimal],
    shelf: ShelfIndex,
    allow_restricted: bool,
    diag: Diagnostics,
) -> UniverseBuild:
    """Classify model targets (pass 1) and holdings (pass 2) by shelf status.

    ``before_weights`` are the raw before-state weights aligned with the positions; locked
    holdings keep them. A model target without shelf entry is logged as ``shelf_missing``.
    """
    u = UniverseBuild()
    for target in model.targets:
        iid = target.instrument_id
        entry = shelf.get(iid)
        if entry is None:
            diag.shelf_missing.append(iid)
        elif entry.status in _EXCLUDED_TARGET or (
            entry.status is ShelfStatus.RESTRICTED and not allow_restricted
        ):
            u.excluded.append(ExcludedInstrument(iid, f"SHELF_STATUS_{entry.status.value}"))
        elif entry.status is ShelfStatus.SELL_ONLY:
            u.sell_only_excess = u.sell_only_excess + target.weight
            u.eligible[iid] = ZERO_POINT_ZERO
            u.sell_list.append(iid)
            u.excluded.append(ExcludedInstrument(iid, "SHELF_STATUS_SELL_ONLY"))
        else:
            u.eligible[iid] = target.weight
            u.buy_list.append(iid)
            u.buy_set.add(iid)
            u.sell_list.append(iid)

    for position, weight in zip(portfolio.positions, before_weights):
        iid = position.instrument_id
        if position.quantity == 0 or iid in u.eligible:
            continue
        entry = shelf.get(iid)
        if entry is None:
            u.eligible[iid] = weight
            u.excluded.append(ExcludedInstrument(iid, "LOCKED_DUE_TO_MISSING_SHELF"))
        elif entry.status in _LOCKED_HOLDING:
            u.eligible[iid] = weight
            u.excluded.append(ExcludedInstrument(iid, f"LOCKED_DUE_TO_{entry.status.value}"))
        else:
            u.eligible[iid] = ZERO_POINT_ZERO
            u.sell_list.append(iid)
    return u

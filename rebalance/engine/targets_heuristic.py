"""Heuristic target method (spec §4.1): sell-only redistribution, group caps,
over-allocation normalisation, single-position cap and minimum cash buffer."""

from __future__ import annotations

from decimal import Decimal

from .group_constraints import apply_group_constraints
from .lookups import ShelfIndex
from .models import EngineOptions
from .results import BLOCKED, PENDING_REVIEW, READY, Diagnostics

ZERO_POINT_ZERO = Decimal("0.0")
ONE_POINT_ZERO = Decimal("1.0")
OVER_ALLOCATION_LIMIT = Decimal("1.0001")
CAP_RESIDUAL_TOLERANCE = Decimal("0.001")


def redistribute_sell_only(
    eligible: dict[str, Decimal], buy_set: set[str], sell_only_excess: Decimal
) -> str:
    """Hand the model weight of SELL_ONLY targets pro rata to the buyable targets.

    Returns PENDING_REVIEW when there is excess but no buyable weight to receive it.
    """
    if not sell_only_excess > 0:
        return READY
    records = [(iid, w) for iid, w in eligible.items() if iid in buy_set]
    total = sum(w for _, w in records)
    if total > 0:
        for iid, weight in records:
            eligible[iid] = weight + (sell_only_excess * (weight / total))
        return READY
    return PENDING_REVIEW


def normalise_over_allocation(eligible: dict[str, Decimal], buy_set: set[str]) -> str:
    """Scale buyable weights into the space left by locked weight when the total
    exceeds 1.0001."""
    status = READY
    total = sum(eligible.values())
    if not total > OVER_ALLOCATION_LIMIT:
        return status
    locked_w = sum(w for i, w in eligible.items() if i not in buy_set)
    tradeable_w = sum(w for i, w in eligible.items() if i in buy_set)
    space = max(ZERO_POINT_ZERO, ONE_POINT_ZERO - locked_w)
    if locked_w > ONE_POINT_ZERO:
        status = PENDING_REVIEW
    if tradeable_w > space:
        if tradeable_w > 0:
            factor = space / tradeable_w
            for iid in [i for i in eligible if i in buy_set]:
                eligible[iid] = eligible[iid] * factor
        status = PENDING_REVIEW
    return status


def apply_single_position_cap(eligible: dict[str, Decimal], buy_set: set[str], cap: Decimal) -> str:
    """Cap every eligible weight (locked ones too) and redistribute the excess
    sequentially to buyable entries under the cap; a residual above 0.001 or no
    recipient means PENDING_REVIEW."""
    excess = sum(max(ZERO_POINT_ZERO, w - cap) for w in eligible.values())
    for iid, weight in eligible.items():
        eligible[iid] = min(weight, cap)
    if not excess > 0:
        return READY
    candidates = [(i, w) for i, w in eligible.items() if i in buy_set and w < cap]
    cand_total = sum(w for _, w in candidates)
    if not cand_total > 0:
        return PENDING_REVIEW
    remaining = excess
    for iid, weight in candidates:
        share = min(remaining * (weight / cand_total), cap - weight)
        eligible[iid] = eligible[iid] + share
        remaining = remaining - share
    return PENDING_REVIEW if remaining > CAP_RESIDUAL_TOLERANCE else READY


def apply_min_cash_buffer(eligible: dict[str, Decimal], buy_set: set[str], buffer_pct: Decimal) -> str:
    """Shrink buyable weights so that ``buffer_pct`` of value stays in cash."""
    tradeable_w = sum(w for i, w in eligible.items() if i in buy_set)
    locked_w = sum(w for i, w in eligible.items() if i not in buy_set)
    allowed = max(ZERO_POINT_ZERO, ONE_POINT_ZERO - buffer_pct - locked_w)
    if not tradeable_w > allowed:
        return READY
    if tradeable_w > 0:
        factor = allowed / tradeable_w
        for iid in [i for i in eligible if i in buy_set]:
            eligible[iid] = eligible[iid] * factor
    return PENDING_REVIEW


def heuristic_targets(
    eligible: dict[str, Decimal],
    buy_set: set[str],
    sell_only_excess: Decimal,
    options: EngineOptions,
    shelf: ShelfIndex,
    diag: Diagnostics,
) -> str:
    """Run the heuristic steps a–e on ``eligible`` in place; return the target status.

    Only a group cap without recipient can return BLOCKED; every other problem is
    reported as PENDING_REVIEW.
    """
    statuses = [redistribute_sell_only(eligible, buy_set, sell_only_excess)]
    if options.group_constraints:
        if apply_group_constraints(eligible, buy_set, options.group_constraints, shelf, diag) == BLOCKED:
            return BLOCKED
    statuses.append(normalise_over_allocation(eligible, buy_set))
    if options.single_position_max_weight is not None:
        statuses.append(apply_single_position_cap(eligible, buy_set, options.single_position_max_weight))
    if options.min_cash_buffer_pct > 0:
        statuses.append(apply_min_cash_buffer(eligible, buy_set, options.min_cash_buffer_pct))
    return PENDING_REVIEW if PENDING_REVIEW in statuses else READY

"""Target trace rows and tags (spec §4.3)."""

from __future__ import annotations

from decimal import Decimal

from .models import Money, ModelPortfolio
from .results import TargetRow

ZERO_POINT_ZERO = Decimal("0.0")


def build_trace(
    model: ModelPortfolio, eligible: dict[str, Decimal], tv: Decimal, base: str
) -> list[TargetRow]:
    """One row per model target (model order, duplicates kept), then one per other
    eligible id. Non-model rows are tagged by whether their final weight is zero."""
    rows: list[TargetRow] = []
    model_ids = set()
    for target in model.targets:
        model_ids.add(target.instrument_id)
        final = eligible.get(target.instrument_id, ZERO_POINT_ZERO)
        tags = ["CAPPED_BY_MAX_WEIGHT"] if target.weight > final else []
        if final > target.weight:
            tags.append("REDISTRIBUTED_RECIPIENT")
        rows.append(
            TargetRow(target.instrument_id, target.weight, final, Money(tv * final, base), tuple(tags))
        )
    for iid, final in eligible.items():
        if iid in model_ids:
            continue
        tag = "IMPLICIT_SELL_TO_ZERO" if final == 0 else "LOCKED_POSITION"
        rows.append(TargetRow(iid, ZERO_POINT_ZERO, final, Money(tv * final, base), (tag,)))
    return rows

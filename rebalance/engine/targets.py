"""Stage 3: target generation dispatch and the method comparison (spec §4, §4.5)."""

from __future__ import annotations

from decimal import Decimal

from .lookups import ShelfIndex
from .models import EngineOptions, ModelPortfolio, TargetMethod
from .results import BLOCKED, Diagnostics, TargetMethodComparison, TargetRow
from .target_trace import build_trace
from .targets_heuristic import heuristic_targets
from .targets_solver import solver_targets
from .universe import UniverseBuild

ZERO = Decimal("0")


def generate_targets(
    method: TargetMethod,
    eligible: dict[str, Decimal],
    universe: UniverseBuild,
    model: ModelPortfolio,
    options: EngineOptions,
    shelf: ShelfIndex,
    diag: Diagnostics,
    tv: Decimal,
    base: str,
) -> tuple[list[TargetRow], str]:
    """Run one target method on ``eligible`` (mutated) and return (trace, status).

    The trace is empty when the method blocked.
    """
    if method is TargetMethod.SOLVER:
        status = solver_targets(
            eligible, universe.buy_set, universe.sell_only_excess, model, options, shelf, diag
        )
    else:
        status = heuristic_targets(
            eligible, universe.buy_set, universe.sell_only_excess, options, shelf, diag
        )
    if status == BLOCKED:
        return [], status
    return build_trace(model, eligible, tv, base), status


def compare_target_methods(
    primary_trace: list[TargetRow],
    primary_status: str,
    eligible_snapshot: dict[str, Decimal],
    universe: UniverseBuild,
    model: ModelPortfolio,
    options: EngineOptions,
    shelf: ShelfIndex,
    diag: Diagnostics,
    tv: Decimal,
    base: str,
) -> TargetMethodComparison:
    """Run the other method on a copy of the pre-target universe and compare.

    Adds the divergence warnings to ``diag``; the alternate's own warnings go only to the
    comparison object.
    """
    primary = options.target_method
    alternate = TargetMethod.HEURISTIC if primary is TargetMethod.SOLVER else TargetMethod.SOLVER
    alternate_diag = Diagnostics()
    alternate_trace, alternate_status = generate_targets(
        alternate, dict(eligible_snapshot), universe, model, options, shelf, alternate_diag, tv, base
    )
    primary_weights = {row.instrument_id: row.final_weight for row in primary_trace}
    alternate_weights = {row.instrument_id: row.final_weight for row in alternate_trace}
    tolerance = options.compare_target_methods_tolerance
    differing = sorted(
        iid
        for iid in set(primary_weights) | set(alternate_weights)
        if abs(primary_weights.get(iid, ZERO) - alternate_weights.get(iid, ZERO)) > tolerance
    )
    if primary_status != alternate_status:
        diag.warnings.append("TARGET_METHOD_STATUS_DIVERGENCE")
    if differing:
        diag.warnings.append("TARGET_METHOD_WEIGHT_DIVERGENCE")
    return TargetMethodComparison(
        primary_method=primary.value,
        primary_status=primary_status,
        alternate_method=alternate.value,
        alternate_status=alternate_status,
        tolerance=str(tolerance),
        differing_instruments=differing,
        alternate_warnings=sorted(set(alternate_diag.warnings)),
    )

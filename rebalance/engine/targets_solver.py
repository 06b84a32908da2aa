"""Solver target method (spec §4.4): a quadratic program minimising the squared distance
to the model weights under cash-band, single-position and group constraints."""

from __future__ import annotations

import math
from decimal import Decimal

from .group_constraints import constraint_groups
from .lookups import ShelfIndex
from .models import EngineOptions, ModelPortfolio
from .results import BLOCKED, Diagnostics
from .targets_heuristic import redistribute_sell_only

ONE = Decimal("1")
FOUR_DP = Decimal("0.0001")
_OPTIMAL = ("optimal", "optimal_inaccurate")


def _load_cvxpy():
    try:
        import cvxpy
        import numpy
    except ImportError:
        return None, None
    return cvxpy, numpy


def solver_targets(
    eligible: dict[str, Decimal],
    buy_set: set[str],
    sell_only_excess: Decimal,
    model: ModelPortfolio,
    options: EngineOptions,
    shelf: ShelfIndex,
    diag: Diagnostics,
) -> str:
    """Replace the buyable weights in ``eligible`` by the QP optimum rounded to 4 dp.

    Returns BLOCKED with ``SOLVER_ERROR`` when cvxpy is missing or every backend fails,
    and with ``INFEASIBLE_<STATUS>`` plus hints when no backend finds an optimum.
    """
    cp, np = _load_cvxpy()
    if cp is None:
        diag.warnings.append("SOLVER_ERROR")
        return BLOCKED
    status = redistribute_sell_only(eligible, buy_set, sell_only_excess)

    tradeable = [i for i in eligible if i in buy_set]
    locked_total = sum(w for i, w in eligible.items() if i not in buy_set)
    if not tradeable:
        return status

    model_weights: dict[str, Decimal] = {}
    for target in model.targets:
        model_weights[target.instrument_id] = target.weight
    position_of = {iid: n for n, iid in enumerate(tradeable)}

    min_invested = ONE - options.cash_band_max_weight - locked_total
    max_invested = ONE - options.cash_band_min_weight - locked_total
    groups = _group_rows(eligible, buy_set, position_of, options, shelf, diag)

    try:
        weights = cp.Variable(len(tradeable))
        target = np.array([float(model_weights[i]) for i in tradeable])
        constraints = [
            weights >= 0,
            cp.sum(weights) >= float(min_invested),
            cp.sum(weights) <= float(max_invested),
        ]
        if options.single_position_max_weight is not None:
            constraints.append(weights <= float(options.single_position_max_weight))
        for _key, indexes, locked_in_group, max_weight in groups:
            if indexes:
                constraints.append(cp.sum(weights[indexes]) + float(locked_in_group) <= float(max_weight))
            else:
                constraints.append(cp.Constant(float(locked_in_group)) <= float(max_weight))
        problem = cp.Problem(cp.Minimize(cp.sum_squares(weights - target)), constraints)
        solved, status_text = _solve(cp, problem)
    except Exception:  # noqa: BLE001 - any modelling failure is a solver error, never a crash
        solved, status_text = False, None

    if not solved:
        if status_text is None:
            diag.warnings.append("SOLVER_ERROR")
            return BLOCKED
        diag.warnings.append(f"INFEASIBLE_{status_text}")
        if min_invested > max_invested:
            diag.warnings.append("INFEASIBILITY_HINT_CASH_BAND_CONTRADICTION")
        cap = options.single_position_max_weight
        if cap is not None and cap * len(tradeable) < min_invested:
            diag.warnings.append("INFEASIBILITY_HINT_SINGLE_POSITION_CAPACITY")
        for key, _indexes, locked_in_group, max_weight in groups:
            if locked_in_group > max_weight:
                diag.warnings.append(f"INFEASIBILITY_HINT_LOCKED_GROUP_WEIGHT_{key}")
        return BLOCKED

    values = [float(v) for v in weights.value]
    if not all(math.isfinite(v) and abs(v) < 1e12 for v in values):
        # A backend that claims optimality with non-finite output is treated as failed.
        diag.warnings.append("SOLVER_ERROR")
        return BLOCKED
    for iid, value in zip(tradeable, values):
        eligible[iid] = Decimal(str(max(value, 0.0))).quantize(FOUR_DP)
    return status


def _group_rows(eligible, buy_set, position_of, options, shelf, diag):
    """(key, tradeable member indexes, locked member weight, max) per usable group key."""
    rows = []
    for key, members, max_weight in constraint_groups(
        options.group_constraints, shelf, eligible, diag, warn_invalid_key=False
    ):
        indexes = [position_of[m] for m in members if m in buy_set]
        locked_in_group = Decimal("0") + sum(eligible[m] for m in members if m not in buy_set)
        if not indexes and locked_in_group == 0:
            continue
        rows.append((key, indexes, locked_in_group, max_weight))
    return rows


def _solve(cp, problem) -> tuple[bool, str | None]:
    """Try OSQP then SCS; return (solved, upper-cased status of the last backend that ran)."""
    status_text = None
    for solver in (cp.OSQP, cp.SCS):
        try:
            problem.solve(solver=solver, warm_start=False)
        except cp.error.SolverError:
            continue
        status_text = str(problem.status).upper()
        if problem.status in _OPTIMAL:
            return True, status_text
    return False, status_text

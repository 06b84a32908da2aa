"""Solver target method (engine spec §4.4, example §4.6.5) and its failure modes — a
solver failure never raises (SOLVER_ERROR, BLOCKED)."""

from decimal import Decimal

import cvxpy

from rebalance.engine import targets_solver
from rebalance.engine.lookups import ShelfIndex
from rebalance.engine.results import Diagnostics
from rebalance.engine.targets_solver import solver_targets

from .builders import (
    entry,
    inputs,
    market,
    model,
    options,
    portfolio,
    rule,
    run,
    shelf,
    target_row,
    trades,
)

D = Decimal


def solve(eligible, buy, mp, sh=(), sell_only="0.0", **opts):
    diag = Diagnostics()
    status = solver_targets(
        eligible, set(buy), D(sell_only), mp, options(**opts), ShelfIndex(tuple(sh)), diag
    )
    return status, diag


def weights(eligible):
    return {k: str(v) for k, v in eligible.items()}


CONFLICT_SHELF = (
    entry("Tech_A", attributes={"sector": "TECH"}),
    entry("Bond_B", attributes={"sector": "BOND"}),
)
CONFLICT_OPTS = dict(
    single_position_max_weight="0.4",
    cash_band_min_weight="0.5",
    cash_band_max_weight="0.5",
    group_constraints={"sector:TECH": "0.3"},
)


def test_scenario_12_conflict_optimum_rounded_to_four_places():
    eligible = {"Tech_A": D("1.0"), "Bond_B": D("0.0")}
    status, diag = solve(
        eligible,
        eligible,
        model(("Tech_A", "1.0"), ("Bond_B", "0.0")),
        CONFLICT_SHELF,
        **CONFLICT_OPTS,
    )
    assert status == "READY" and diag.warnings == []
    assert weights(eligible) == {"Tech_A": "0.3000", "Bond_B": "0.2000"}


def test_scenario_12_infeasible_blocks_with_capacity_hint():
    eligible = {"Tech_A": D("1.0")}
    status, diag = solve(
        eligible, eligible, model(("Tech_A", "1.0")), CONFLICT_SHELF, **CONFLICT_OPTS
    )
    assert status == "BLOCKED"
    assert diag.warnings == ["INFEASIBLE_INFEASIBLE", "INFEASIBILITY_HINT_SINGLE_POSITION_CAPACITY"]


def test_ready_feasible_returns_model_weights():
    eligible = {"A": D("0.6"), "B": D("0.4")}
    status, diag = solve(
        eligible, eligible, model(("A", "0.6"), ("B", "0.4")), single_position_max_weight="0.7"
    )
    assert status == "READY"
    assert weights(eligible) == {"A": "0.6000", "B": "0.4000"}


def test_cash_band_contradiction_hint():
    eligible = {"A": D("0.5")}
    status, diag = solve(
        eligible,
        eligible,
        model(("A", "0.5")),
        cash_band_min_weight="0.6",
        cash_band_max_weight="0.2",
    )
    assert status == "BLOCKED"
    assert diag.warnings[0].startswith("INFEASIBLE_")
    assert "INFEASIBILITY_HINT_CASH_BAND_CONTRADICTION" in diag.warnings


def test_locked_group_weight_hint():
    eligible = {"A": D("0.3"), "L": D("0.4")}
    sh = (entry("A"), entry("L", "SUSPENDED", attributes={"s": "T"}))
    status, diag = solve(eligible, ["A"], model(("A", "0.3")), sh, group_constraints={"s:T": "0.2"})
    assert status == "BLOCKED"
    assert diag.warnings[0].startswith("INFEASIBLE_")
    assert diag.warnings[1:] == ["INFEASIBILITY_HINT_LOCKED_GROUP_WEIGHT_s:T"]


def test_locked_weight_enters_the_budget_and_is_untouched():
    eligible = {"A": D("0.9"), "L": D("0.5")}
    status, _ = solve(eligible, ["A"], model(("A", "0.9")), (entry("A"),))
    assert status == "READY"
    assert weights(eligible) == {"A": "0.5000", "L": "0.5"}


def test_no_tradeable_ids_returns_status_unchanged():
    eligible = {"L": D("0.5")}
    status, diag = solve(eligible, [], model(), (), sell_only="0.3")
    assert status == "PENDING_REVIEW"  # sell-only excess without recipient
    assert weights(eligible) == {"L": "0.5"} and diag.warnings == []


def test_sell_only_redistribution_is_applied_but_objective_uses_model_weights():
    # Appendix C 29: eligible gets A 0.6 from redistribution, but the QP target is A 0.3.
    eligible = {"A": D("0.3"), "SO": D("0.0")}
    status, _ = solve(eligible, ["A"], model(("A", "0.3"), ("SO", "0.3")), sell_only="0.3")
    assert status == "READY"
    assert weights(eligible) == {"A": "0.3000", "SO": "0.0"}


def test_unknown_group_attribute_warns_and_is_skipped():
    eligible = {"A": D("0.5")}
    status, diag = solve(
        eligible, ["A"], model(("A", "0.5")), (entry("A"),), group_constraints={"zz:q": "0.1"}
    )
    assert status == "READY" and diag.warnings == ["UNKNOWN_CONSTRAINT_ATTRIBUTE_zz"]
    assert weights(eligible) == {"A": "0.5000"}


def test_negative_optimum_is_clamped_to_zero_string():
    eligible = {"A": D("-0.2"), "B": D("0.5")}
    status, _ = solve(eligible, eligible, model(("A", "-0.2"), ("B", "0.5")))
    assert status == "READY"
    assert weights(eligible) == {"A": "0.0000", "B": "0.5000"}


# --- failures never raise -----------------------------------------------------------------


def test_missing_cvxpy_is_solver_error(monkeypatch):
    monkeypatch.setattr(targets_solver, "_load_cvxpy", lambda: (None, None))
    eligible = {"A": D("0.5")}
    status, diag = solve(eligible, ["A"], model(("A", "0.5")))
    assert status == "BLOCKED" and diag.warnings == ["SOLVER_ERROR"]
    assert weights(eligible) == {"A": "0.5"}


def test_every_backend_raising_solver_error_is_solver_error(monkeypatch):
    def boom(self, *args, **kwargs):
        raise cvxpy.error.SolverError("backend failed")

    monkeypatch.setattr(cvxpy.Problem, "solve", boom)
    eligible = {"A": D("0.5")}
    status, diag = solve(eligible, ["A"], model(("A", "0.5")))
    assert status == "BLOCKED" and diag.warnings == ["SOLVER_ERROR"]


def test_unexpected_exception_while_solving_is_solver_error(monkeypatch):
    def boom(self, *args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(cvxpy.Problem, "solve", boom)
    eligible = {"A": D("0.5")}
    status, diag = solve(eligible, ["A"], model(("A", "0.5")))
    assert status == "BLOCKED" and diag.warnings == ["SOLVER_ERROR"]


def test_first_backend_failing_falls_through_to_scs(monkeypatch):
    real_solve = cvxpy.Problem.solve
    used = []

    def flaky(self, *args, **kwargs):
        used.append(kwargs.get("solver"))
        if kwargs.get("solver") == cvxpy.OSQP:
            raise cvxpy.error.SolverError("osqp down")
        return real_solve(self, *args, **kwargs)

    monkeypatch.setattr(cvxpy.Problem, "solve", flaky)
    eligible = {"A": D("0.6"), "B": D("0.4")}
    status, diag = solve(eligible, eligible, model(("A", "0.6"), ("B", "0.4")))
    assert used == [cvxpy.OSQP, cvxpy.SCS]
    assert status == "READY" and diag.warnings == []
    assert weights(eligible) == {"A": "0.6000", "B": "0.4000"}


def test_solver_error_run_is_early_blocked_not_an_exception(monkeypatch):
    monkeypatch.setattr(targets_solver, "_load_cvxpy", lambda: (None, None))
    pf = portfolio("USD", [], [("USD", "1000")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("A", "0.5")), shelf("A")), target_method="SOLVER"
    )
    assert result.status == "BLOCKED" and result.early_blocked
    assert result.diagnostics.warnings == ["SOLVER_ERROR"]
    assert result.targets == [] and result.intents == []


# --- end to end ---------------------------------------------------------------------------


def test_solver_conflict_run():
    pf = portfolio("USD", [], [("USD", "10000")])
    md = market([("Tech_A", "10"), ("Bond_B", "10")])
    result = run(
        inputs(pf, md, model(("Tech_A", "1.0"), ("Bond_B", "0.0")), CONFLICT_SHELF),
        target_method="SOLVER",
        **CONFLICT_OPTS,
    )
    assert str(target_row(result, "Tech_A").final_weight) == "0.3000"
    assert str(target_row(result, "Bond_B").final_weight) == "0.2000"
    assert trades(result) == [("oi_1", "BUY", "Tech_A", "300"), ("oi_2", "BUY", "Bond_B", "200")]
    assert result.status == "READY"


def test_solver_infeasible_run_is_early_blocked_and_rules_use_before_state():
    pf = portfolio("USD", [], [("USD", "10000")])
    md = market([("Tech_A", "10")])
    result = run(
        inputs(pf, md, model(("Tech_A", "1.0")), CONFLICT_SHELF),
        target_method="SOLVER",
        **CONFLICT_OPTS,
    )
    assert result.status == "BLOCKED" and result.early_blocked
    assert result.diagnostics.warnings == [
        "INFEASIBLE_INFEASIBLE",
        "INFEASIBILITY_HINT_SINGLE_POSITION_CAPACITY",
    ]
    cash_band = rule(result, "CASH_BAND")
    assert cash_band.status == "FAIL" and cash_band.measured == 1  # all cash before trading

"""compare_target_methods (engine spec §4.5, example §4.6.6)."""

from decimal import Decimal

from rebalance.engine import targets_solver
from rebalance.engine.lookups import ShelfIndex
from rebalance.engine.models import TargetMethod
from rebalance.engine.render import render_result
from rebalance.engine.results import Diagnostics, TargetRow
from rebalance.engine.targets import compare_target_methods
from rebalance.engine.universe import UniverseBuild

from .builders import entry, inputs, market, model, money, options, portfolio, rule, run, shelf

D = Decimal
CASH_10K = portfolio("USD", [], [("USD", "10000")])
ABC = market([("A", "10"), ("B", "10"), ("C", "10")])


def test_example_6_heuristic_primary_solver_alternate():
    result = run(
        inputs(
            CASH_10K, ABC, model(("A", "0.5"), ("B", "0.3"), ("C", "0.2")), shelf("A", "B", "C")
        ),
        single_position_max_weight="0.4",
        compare_target_methods=True,
    )
    comparison = render_result(result)["explanation"]["target_method_comparison"]
    assert comparison == {
        "primary_method": "HEURISTIC",
        "primary_status": "PENDING_REVIEW",
        "alternate_method": "SOLVER",
        "alternate_status": "READY",
        "tolerance": "0.0001",
        "differing_instruments": ["B", "C"],
        "alternate_warnings": [],
    }
    assert result.diagnostics.warnings == [
        "TARGET_METHOD_STATUS_DIVERGENCE",
        "TARGET_METHOD_WEIGHT_DIVERGENCE",
    ]
    # The primary (heuristic) trace is the one traded.
    assert [str(r.final_weight) for r in result.targets] == ["0.4", "0.36", "0.216"]


def test_cash_band_divergence_with_equal_target_statuses():
    result = run(
        inputs(CASH_10K, market([("A", "10")]), model(("A", "0.5")), shelf("A")),
        cash_band_max_weight="0.2",
        compare_target_methods=True,
    )
    c = result.comparison
    assert (c.primary_status, c.alternate_status, c.differing_instruments) == (
        "READY",
        "READY",
        ["A"],
    )
    assert result.diagnostics.warnings == ["TARGET_METHOD_WEIGHT_DIVERGENCE"]
    assert result.status == "PENDING_REVIEW"
    assert rule(result, "CASH_BAND").status == "FAIL"


def test_solver_primary_heuristic_alternate():
    result = run(
        inputs(CASH_10K, market([("A", "10")]), model(("A", "0.5")), shelf("A")),
        target_method="SOLVER",
        compare_target_methods=True,
    )
    c = result.comparison
    assert (c.primary_method, c.alternate_method) == ("SOLVER", "HEURISTIC")
    assert c.differing_instruments == [] and result.diagnostics.warnings == []
    assert str(result.targets[0].final_weight) == "0.5000"


def test_tolerance_is_strict_and_rendered_as_given():
    # Heuristic 0.5 vs solver 0.8000: |diff| = 0.3 is not > tolerance 0.3.
    result = run(
        inputs(CASH_10K, market([("A", "10")]), model(("A", "0.5")), shelf("A")),
        cash_band_max_weight="0.2",
        compare_target_methods=True,
        compare_target_methods_tolerance="0.30",
    )
    assert result.comparison.differing_instruments == []
    assert result.comparison.tolerance == "0.30"
    assert result.diagnostics.warnings == []


def test_alternate_warnings_are_sorted_unique_and_not_added_to_main_warnings():
    sh = (entry("A"),)
    result = run(
        inputs(CASH_10K, market([("A", "10")]), model(("A", "0.5")), sh),
        compare_target_methods=True,
        group_constraints={"zz:a": "0.1", "zz:b": "0.1"},
    )
    # The heuristic (primary) warns twice into the main diagnostics; the solver's two
    # identical warnings collapse to one entry in alternate_warnings.
    assert result.diagnostics.warnings == [
        "UNKNOWN_CONSTRAINT_ATTRIBUTE_zz",
        "UNKNOWN_CONSTRAINT_ATTRIBUTE_zz",
    ]
    assert result.comparison.alternate_warnings == ["UNKNOWN_CONSTRAINT_ATTRIBUTE_zz"]


def test_blocked_alternate_makes_every_nonzero_id_differ(monkeypatch):
    monkeypatch.setattr(targets_solver, "_load_cvxpy", lambda: (None, None))
    result = run(
        inputs(CASH_10K, ABC, model(("A", "0.5"), ("B", "0.00001")), shelf("A", "B")),
        compare_target_methods=True,
    )
    c = result.comparison
    assert (c.primary_status, c.alternate_status) == ("READY", "BLOCKED")
    assert c.differing_instruments == ["A"]  # B is within the tolerance of 0
    assert c.alternate_warnings == ["SOLVER_ERROR"]
    assert result.diagnostics.warnings == [
        "TARGET_METHOD_STATUS_DIVERGENCE",
        "TARGET_METHOD_WEIGHT_DIVERGENCE",
    ]
    assert result.status == "READY"


def test_divergence_warnings_survive_an_early_block_but_comparison_is_dropped():
    pf = portfolio("USD", [], [("USD", "1000")])
    result = run(
        inputs(pf, market([]), model(("A", "0.5")), shelf("A")),
        cash_band_max_weight="0.2",
        compare_target_methods=True,
    )
    assert result.early_blocked and result.status == "BLOCKED"
    assert result.diagnostics.warnings == ["TARGET_METHOD_WEIGHT_DIVERGENCE"]
    assert render_result(result)["explanation"] == {"summary": "Blocked"}


def test_duplicated_id_uses_last_row_and_missing_weight_is_zero():
    eligible = {"A": D("0.5")}
    u = UniverseBuild(eligible=dict(eligible), buy_list=["A"], sell_list=["A"], buy_set={"A"})
    primary = [
        TargetRow("A", D("0.5"), D("0.9"), money("0", "USD"), ()),
        TargetRow("A", D("0.5"), D("0.5"), money("0", "USD"), ()),
        TargetRow("Z", D("0"), D("0.00005"), money("0", "USD"), ()),
        TargetRow("Y", D("0"), D("0.2"), money("0", "USD"), ()),
    ]
    diag = Diagnostics()
    c = compare_target_methods(
        primary,
        "READY",
        eligible,
        u,
        model(("A", "0.5")),
        options(),
        ShelfIndex((entry("A"),)),
        diag,
        D("100"),
        "USD",
    )
    assert c.alternate_method == "SOLVER" and c.alternate_status == "READY"
    assert c.differing_instruments == ["Y"]
    assert diag.warnings == ["TARGET_METHOD_WEIGHT_DIVERGENCE"]
    assert TargetMethod(c.primary_method) is TargetMethod.HEURISTIC

"""Stage 3 — heuristic target method (engine spec §4.1, examples §4.6)."""

from decimal import Decimal

from rebalance.engine.lookups import ShelfIndex
from rebalance.engine.results import Diagnostics
from rebalance.engine.targets_heuristic import (
    apply_min_cash_buffer,
    apply_single_position_cap,
    heuristic_targets,
    normalise_over_allocation,
    redistribute_sell_only,
)

from .builders import inputs, market, model, options, portfolio, run, shelf, target_row, trades

D = Decimal


def weights(eligible):
    return {k: str(v) for k, v in eligible.items()}


# --- a. sell-only redistribution ----------------------------------------------------------


def test_sell_only_excess_goes_pro_rata_to_buyable_entries():
    eligible = {"A": D("0.3"), "SO": D("0.0"), "B": D("0.1"), "L": D("0.2")}
    status = redistribute_sell_only(eligible, {"A", "B"}, D("0.2"))
    assert status == "READY"
    # A: 0.3 + 0.2 * (0.3 / 0.4) = 0.45; B: 0.1 + 0.2 * 0.25 = 0.15; others untouched.
    assert weights(eligible) == {"A": "0.450", "SO": "0.0", "B": "0.150", "L": "0.2"}


def test_sell_only_without_buyable_weight_is_pending_review():
    eligible = {"SO": D("0.0"), "A": D("0")}
    assert redistribute_sell_only(eligible, {"A"}, D("0.5")) == "PENDING_REVIEW"
    assert weights(eligible) == {"SO": "0.0", "A": "0"}


def test_no_sell_only_excess_is_a_no_op():
    eligible = {"A": D("0.5")}
    assert redistribute_sell_only(eligible, {"A"}, D("0.0")) == "READY"
    assert weights(eligible) == {"A": "0.5"}


# --- c. over-allocation normalisation -----------------------------------------------------


def test_normalisation_scales_buyable_into_space_left_by_locked_weight():
    # Scenario 114 shape: locked 0.5, model 1.0 → 1.0 * (0.5 / 1.0).
    eligible = {"US_BOND": D("1.0"), "FROZEN": D("0.5")}
    assert normalise_over_allocation(eligible, {"US_BOND"}) == "PENDING_REVIEW"
    assert weights(eligible) == {"US_BOND": "0.50", "FROZEN": "0.5"}


def test_total_up_to_1_0001_is_left_alone():
    eligible = {"A": D("0.6"), "B": D("0.4001")}
    assert normalise_over_allocation(eligible, {"A", "B"}) == "READY"
    assert weights(eligible) == {"A": "0.6", "B": "0.4001"}


def test_over_allocation_of_buyable_only():
    eligible = {"A": D("0.8"), "B": D("0.4")}
    assert normalise_over_allocation(eligible, {"A", "B"}) == "PENDING_REVIEW"
    # factor = 1.0 / 1.2 = 0.8333333333333333333333333333 (rounded), applied to each weight.
    assert weights(eligible) == {
        "A": "0.6666666666666666666666666666",
        "B": "0.3333333333333333333333333333",
    }


def test_locked_weight_above_one_gives_zero_space():
    eligible = {"A": D("0.3"), "L": D("1.2")}
    assert normalise_over_allocation(eligible, {"A"}) == "PENDING_REVIEW"
    assert eligible["A"] == 0 and eligible["L"] == D("1.2")


def test_locked_weight_above_one_without_buyable_is_pending_review():
    eligible = {"L": D("1.5")}
    assert normalise_over_allocation(eligible, set()) == "PENDING_REVIEW"
    assert weights(eligible) == {"L": "1.5"}


# --- d. single-position cap ---------------------------------------------------------------


def test_single_cap_sequential_redistribution_leaves_residual():
    # §4.6 example 1 / Appendix C 2.
    eligible = {"A": D("0.5"), "B": D("0.3"), "C": D("0.2")}
    assert apply_single_position_cap(eligible, {"A", "B", "C"}, D("0.4")) == "PENDING_REVIEW"
    assert weights(eligible) == {"A": "0.4", "B": "0.36", "C": "0.216"}


def test_single_cap_fully_absorbed_is_ready():
    # Scenario 02 shape: EQ_1 0.6 → 0.5, EQ_2 0.4 → 0.5 (share capped at room 0.1).
    eligible = {"EQ_1": D("0.6"), "EQ_2": D("0.4")}
    assert apply_single_position_cap(eligible, {"EQ_1", "EQ_2"}, D("0.5")) == "READY"
    assert weights(eligible) == {"EQ_1": "0.5", "EQ_2": "0.5"}


def test_single_cap_without_recipient_is_pending_review():
    eligible = {"EQ_1": D("1.0")}
    assert apply_single_position_cap(eligible, {"EQ_1"}, D("0.5")) == "PENDING_REVIEW"
    assert weights(eligible) == {"EQ_1": "0.5"}


def test_single_cap_also_caps_locked_entries():
    # Appendix C 1: SUS 0.8 (locked) → 0.5, its excess goes to A.
    eligible = {"A": D("0.2"), "SUS": D("0.8")}
    assert apply_single_position_cap(eligible, {"A"}, D("0.5")) == "READY"
    assert weights(eligible) == {"A": "0.5", "SUS": "0.5"}


def test_single_cap_not_binding_is_ready_and_unchanged():
    eligible = {"A": D("0.3"), "B": D("0.2")}
    assert apply_single_position_cap(eligible, {"A", "B"}, D("0.4")) == "READY"
    assert weights(eligible) == {"A": "0.3", "B": "0.2"}


# --- e. minimum cash buffer ---------------------------------------------------------------


def test_cash_buffer_scales_buyable_weights():
    # §4.6 example 4.
    eligible = {"A": D("0.6"), "B": D("0.4")}
    assert apply_min_cash_buffer(eligible, {"A", "B"}, D("0.05")) == "PENDING_REVIEW"
    assert weights(eligible) == {"A": "0.570", "B": "0.380"}


def test_cash_buffer_not_binding_is_ready():
    eligible = {"A": D("0.5")}
    assert apply_min_cash_buffer(eligible, {"A"}, D("0.05")) == "READY"
    assert weights(eligible) == {"A": "0.5"}


def test_cash_buffer_counts_locked_weight():
    eligible = {"A": D("0.5"), "L": D("0.5")}
    assert apply_min_cash_buffer(eligible, {"A"}, D("0.1")) == "PENDING_REVIEW"
    assert weights(eligible) == {"A": "0.40", "L": "0.5"}


# --- step order and status ----------------------------------------------------------------


def test_heuristic_runs_steps_in_order_and_reports_pending_review():
    eligible = {"A": D("0.6"), "SO": D("0.0"), "B": D("0.2")}
    status = heuristic_targets(
        eligible,
        {"A", "B"},
        D("0.2"),
        options(single_position_max_weight="0.7"),
        ShelfIndex(()),
        Diagnostics(),
    )
    # sell-only: A 0.75, B 0.25; total 1.0 (no normalisation); cap 0.7 → A 0.7, B gets 0.05.
    assert status == "READY"
    assert weights(eligible) == {"A": "0.7", "SO": "0.0", "B": "0.300"}


def test_heuristic_is_ready_when_nothing_binds():
    eligible = {"A": D("0.5")}
    assert (
        heuristic_targets(eligible, {"A"}, D("0.0"), options(), ShelfIndex(()), Diagnostics())
        == "READY"
    )


# --- end-to-end worked examples -----------------------------------------------------------

CASH_10K = portfolio("USD", [], [("USD", "10000")])


def test_example_1_single_cap_run():
    md = market([("A", "10"), ("B", "10"), ("C", "10")])
    result = run(
        inputs(CASH_10K, md, model(("A", "0.5"), ("B", "0.3"), ("C", "0.2")), shelf("A", "B", "C")),
        single_position_max_weight="0.4",
    )
    rows = [(r.instrument_id, str(r.final_weight), r.tags) for r in result.targets]
    assert rows == [
        ("A", "0.4", ("CAPPED_BY_MAX_WEIGHT",)),
        ("B", "0.36", ("REDISTRIBUTED_RECIPIENT",)),
        ("C", "0.216", ("REDISTRIBUTED_RECIPIENT",)),
    ]
    assert trades(result) == [
        ("oi_1", "BUY", "A", "400"),
        ("oi_2", "BUY", "B", "360"),
        ("oi_3", "BUY", "C", "216"),
    ]
    assert result.status == "PENDING_REVIEW"
    assert result.gate_decision.gate == "EXECUTION_READY"


def test_example_4_cash_buffer_run():
    md = market([("A", "10"), ("B", "10")])
    result = run(
        inputs(CASH_10K, md, model(("A", "0.6"), ("B", "0.4")), shelf("A", "B")),
        min_cash_buffer_pct="0.05",
    )
    assert [(str(r.final_weight), r.tags) for r in result.targets] == [
        ("0.570", ("CAPPED_BY_MAX_WEIGHT",)),
        ("0.380", ("CAPPED_BY_MAX_WEIGHT",)),
    ]
    assert trades(result) == [("oi_1", "BUY", "A", "570"), ("oi_2", "BUY", "B", "380")]
    assert result.status == "PENDING_REVIEW"


def test_scenario_05_shape_cap_without_recipient_escalates_to_pending_review():
    pf = portfolio("SGD", [], [("SGD", "10000.00")])
    md = market([("EQ_1", "100", "SGD")])
    result = run(
        inputs(pf, md, model(("EQ_1", "1.0")), shelf("EQ_1")), single_position_max_weight="0.5"
    )
    assert trades(result) == [("oi_1", "BUY", "EQ_1", "50")]
    assert all(r.status == "PASS" for r in result.rule_results)
    assert result.status == "PENDING_REVIEW"
    assert result.gate_decision.gate == "EXECUTION_READY"


def test_locked_holdings_are_capped_and_sold():
    # Appendix C 1.
    pf = portfolio("USD", [("SUS", "80")], [("USD", "200")])
    md = market([("SUS", "10"), ("A", "10")])
    result = run(
        inputs(pf, md, model(("A", "0.2")), shelf("A", ("SUS", "SUSPENDED"))),
        single_position_max_weight="0.5",
    )
    assert sorted(trades(result)) == [("oi_1", "BUY", "A", "50"), ("oi_2", "SELL", "SUS", "30")]
    assert trades(result)[0] == ("oi_2", "SELL", "SUS", "30")
    assert result.status == "READY"


def test_frozen_asset_normalisation_run():
    pf = portfolio("USD", [("FROZEN", "100")], [("USD", "10000.00")])
    md = market([("FROZEN", "100.00"), ("US_BOND", "100")])
    result = run(
        inputs(pf, md, model(("US_BOND", "1.0")), shelf("US_BOND", ("FROZEN", "SUSPENDED")))
    )
    assert str(target_row(result, "US_BOND").final_weight) == "0.50"
    assert target_row(result, "FROZEN").tags == ("LOCKED_POSITION",)
    assert trades(result) == [("oi_1", "BUY", "US_BOND", "100")]
    assert result.status == "PENDING_REVIEW"

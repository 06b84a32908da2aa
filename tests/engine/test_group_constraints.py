"""Heuristic group constraints (engine spec §4.2, example §4.6.2, group block §5)."""

from decimal import Decimal

from rebalance.engine.group_constraints import (
    apply_group_constraints,
    group_members,
    split_constraint_key,
)
from rebalance.engine.lookups import ShelfIndex
from rebalance.engine.models import GroupConstraint
from rebalance.engine.results import Diagnostics

from .builders import entry, inputs, market, model, portfolio, rule, run, target_row, trades

D = Decimal


def apply(eligible, buy, constraints, sh):
    diag = Diagnostics()
    cons = {k: GroupConstraint(D(v)) for k, v in constraints.items()}
    status = apply_group_constraints(eligible, set(buy), cons, ShelfIndex(tuple(sh)), diag)
    return status, diag


def test_split_constraint_key_at_first_colon():
    assert split_constraint_key("sector:TECH") == ("sector", "TECH")
    assert split_constraint_key("a:b:c") == ("a", "b:c")
    assert split_constraint_key("nocolon") is None


def test_scenario_08_sector_cap():
    eligible = {"Tech_A": D("0.3"), "Bond_B": D("0.7")}
    sh = (
        entry("Tech_A", attributes={"sector": "TECH"}),
        entry("Bond_B", attributes={"sector": "BOND"}),
    )
    status, diag = apply(eligible, ["Tech_A", "Bond_B"], {"sector:TECH": "0.2"}, sh)
    assert status == "READY"
    assert str(eligible["Tech_A"]) == "0.2000000000000000000000000000"
    assert str(eligible["Bond_B"]) == "0.8"
    assert diag.warnings == ["CAPPED_BY_GROUP_LIMIT_sector:TECH"]
    (event,) = diag.group_constraint_events
    assert {
        k: (str(v) if isinstance(v, Decimal) else v) for k, v in event.items() if k != "recipients"
    } == {
        "constraint_key": "sector:TECH",
        "group_weight_before": "0.3",
        "max_weight": "0.2",
        "released_weight": "0.1",
        "status": "CAPPED",
    }
    assert {k: str(v) for k, v in event["recipients"].items()} == {"Bond_B": "0.1"}


def test_group_within_tolerance_is_left_alone():
    eligible = {"A": D("0.20009"), "B": D("0.5")}
    sh = (entry("A", attributes={"s": "X"}), entry("B"))
    status, diag = apply(eligible, ["A", "B"], {"s:X": "0.2"}, sh)
    assert status == "READY" and diag.warnings == [] and diag.group_constraint_events == []
    assert eligible["A"] == D("0.20009")


def test_unknown_attribute_warns_once_per_key_and_is_skipped():
    eligible = {"A": D("0.9")}
    status, diag = apply(
        eligible, ["A"], {"zz:a": "0.1", "zz:b": "0.1"}, (entry("A", attributes={"s": "X"}),)
    )
    assert status == "READY"
    assert diag.warnings == ["UNKNOWN_CONSTRAINT_ATTRIBUTE_zz", "UNKNOWN_CONSTRAINT_ATTRIBUTE_zz"]
    assert eligible == {"A": D("0.9")}


def test_attribute_known_from_any_shelf_entry_counts_even_if_not_eligible():
    # The attribute exists on a shelf entry that is not in the universe: no warning,
    # but the group has no eligible member, so nothing happens.
    eligible = {"A": D("0.9")}
    sh = (entry("A"), entry("OTHER", status="BANNED", attributes={"s": "X"}))
    status, diag = apply(eligible, ["A"], {"s:X": "0.1"}, sh)
    assert status == "READY" and diag.warnings == [] and diag.group_constraint_events == []


def test_invalid_key_warns_and_continues():
    eligible = {"A": D("0.9")}
    status, diag = apply(eligible, ["A"], {"bad": "0.1"}, (entry("A", attributes={"s": "X"}),))
    assert status == "READY"
    assert diag.warnings == ["INVALID_CONSTRAINT_KEY_bad"]


def test_group_members_include_locked_and_sell_only_entries():
    eligible = {"A": D("0.2"), "L": D("0.1"), "SO": D("0.0"), "N": D("0.1")}
    sh = ShelfIndex(
        (
            entry("A", attributes={"s": "T"}),
            entry("L", "SUSPENDED", attributes={"s": "T"}),
            entry("SO", "SELL_ONLY", attributes={"s": "T"}),
        )
    )
    assert group_members(eligible, sh, "s", "T") == ["A", "L", "SO"]


def test_group_with_no_recipient_blocks_and_stops_processing():
    eligible = {"A": D("0.4"), "B": D("0.3")}
    sh = (entry("A", attributes={"s": "T", "r": "X"}), entry("B", attributes={"s": "T", "r": "X"}))
    status, diag = apply(eligible, ["A", "B"], {"s:T": "0.1", "r:X": "0.05"}, sh)
    # Sorted order: "r:X" first — it blocks; "s:T" is never processed.
    assert status == "BLOCKED"
    assert diag.warnings == ["CAPPED_BY_GROUP_LIMIT_r:X", "NO_ELIGIBLE_REDISTRIBUTION_DESTINATION"]
    (event,) = diag.group_constraint_events
    assert event["status"] == "BLOCKED" and event["recipients"] == {}
    assert event["constraint_key"] == "r:X"


def test_zero_weight_recipients_block():
    eligible = {"A": D("0.5"), "Z": D("0")}
    sh = (entry("A", attributes={"s": "T"}), entry("Z"))
    status, diag = apply(eligible, ["A", "Z"], {"s:T": "0.2"}, sh)
    assert status == "BLOCKED"
    assert diag.warnings[-1] == "NO_ELIGIBLE_REDISTRIBUTION_DESTINATION"


def test_single_pass_later_key_can_refill_earlier_group():
    # Appendix C 4: "a:1" is capped first (sorted order) and gives to B; "b:1" is then
    # capped and gives back to A — nothing re-checks "a:1".
    eligible = {"A": D("0.5"), "B": D("0.5")}
    sh = (entry("A", attributes={"a": "1"}), entry("B", attributes={"b": "1"}))
    status, diag = apply(eligible, ["A", "B"], {"b:1": "0.3", "a:1": "0.2"}, sh)
    assert status == "READY"
    assert diag.warnings == ["CAPPED_BY_GROUP_LIMIT_a:1", "CAPPED_BY_GROUP_LIMIT_b:1"]
    # a:1 → A 0.2, B 0.8; b:1 → B 0.3, A 0.2 + 0.5 = 0.7 > 0.2.
    assert eligible["A"] == D("0.7") and eligible["B"] == D("0.3")


def test_group_blocked_run_worked_example():
    pf = portfolio("USD", [("L", "10")], [("USD", "10000")])
    md = market([("L", "100"), ("A", "10"), ("B", "10")])
    sh = (
        entry("L", "SUSPENDED", attributes={"sector": "TECH"}),
        entry("A", attributes={"sector": "TECH"}),
        entry("B", attributes={"sector": "TECH"}),
    )
    result = run(
        inputs(pf, md, model(("A", "0.4"), ("B", "0.3")), sh),
        group_constraints={"sector:TECH": "0.1"},
    )
    assert str(result.before.total_value.amount) == "11000.0"
    assert result.status == "BLOCKED" and result.early_blocked
    assert result.targets == [] and result.intents == []
    (event,) = result.diagnostics.group_constraint_events
    assert str(event["group_weight_before"]) == "0.7909090909090909090909090909"
    assert str(event["max_weight"]) == "0.1"
    assert str(event["released_weight"]) == "0.6909090909090909090909090909"
    assert event["recipients"] == {} and event["status"] == "BLOCKED"
    assert result.diagnostics.warnings == [
        "CAPPED_BY_GROUP_LIMIT_sector:TECH",
        "NO_ELIGIBLE_REDISTRIBUTION_DESTINATION",
    ]
    assert [r.status for r in result.rule_results] == ["PASS"] * 6
    assert str(rule(result, "CASH_BAND").measured) == "0.9090909090909090909090909091"
    gate = result.gate_decision
    assert (gate.gate, gate.recommended_next_step, gate.reasons) == ("BLOCKED", "FIX_INPUT", [])


def test_group_cap_scales_locked_holding_to_zero():
    pf = portfolio("USD", [("L", "10")], [("USD", "1000")])
    md = market([("L", "10"), ("A", "10")])
    sh = (entry("L", "BANNED", attributes={"s": "T"}), entry("A", attributes={"s": "X"}))
    result = run(inputs(pf, md, model(("A", "0.5")), sh), group_constraints={"s:T": "0"})
    row = target_row(result, "L")
    assert str(row.final_weight) == "0"
    assert row.tags == ("IMPLICIT_SELL_TO_ZERO",)
    assert trades(result) == [("oi_2", "SELL", "L", "10"), ("oi_1", "BUY", "A", "65")]

"""Reconciliation (engine spec §13)."""

from decimal import Decimal

import pytest

from rebalance.engine.reconciliation import reconcile
from rebalance.engine.render import render_result

from .builders import inputs, market, model, portfolio, pos, rule, run, shelf, trades

D = Decimal


@pytest.mark.parametrize(
    "tv, tolerance",
    [
        ("10000", "5.5000"),
        ("10000.00", "5.500000"),
        ("12345.678", "6.6728390"),
        ("2333.333333333333333333333333", "1.666666666666666666666666666"),
        ("0", "0.5000"),
    ],
)
def test_tolerance_string_forms(tv, tolerance):
    recon, _ = reconcile(D(tv), D(tv), "USD")
    assert str(recon.tolerance.amount) == tolerance


def test_equal_totals_ok_with_exact_delta_form():
    recon, mismatch = reconcile(D("10000.0"), D("10000.00000000000000000000000"), "SGD")
    assert mismatch is None
    assert recon.status == "OK"
    assert str(recon.delta.amount) == "0E-23"
    assert (
        recon.before_total_value.currency,
        recon.after_total_value.currency,
        recon.delta.currency,
        recon.tolerance.currency,
    ) == ("SGD",) * 4


def test_difference_equal_to_tolerance_is_ok_above_is_mismatch():
    recon, mismatch = reconcile(D("1000"), D("1001.0"), "USD")  # tolerance 1.0000
    assert recon.status == "OK" and mismatch is None
    recon, mismatch = reconcile(D("1000"), D("998.9999"), "USD")
    assert recon.status == "MISMATCH"
    assert str(recon.delta.amount) == "-1.0001"
    assert (
        mismatch.rule_id,
        mismatch.severity,
        mismatch.status,
        str(mismatch.measured),
        {k: str(v) for k, v in mismatch.threshold.items()},
        mismatch.reason_code,
        mismatch.remediation_hint,
    ) == (
        "RECONCILIATION",
        "HARD",
        "FAIL",
        "1.0001",
        {"max": "1.0000"},
        "VALUE_MISMATCH",
        "Check pricing/FX or engine logic.",
    )


def test_scenario_03_reconciliation():
    pf = portfolio("SGD", [], [("SGD", "10000.00")])
    md = market([("US_EQ", "100.0", "USD")], [("USD/SGD", "1.35")])
    result = run(inputs(pf, md, model(("US_EQ", "0.5")), shelf("US_EQ")))
    recon = render_result(result)["reconciliation"]
    assert recon == {
        "before_total_value": {"amount": "10000.00", "currency": "SGD"},
        "after_total_value": {"amount": "10000.00000", "currency": "SGD"},
        "delta": {"amount": "0.00000", "currency": "SGD"},
        "tolerance": {"amount": "5.500000", "currency": "SGD"},
        "status": "OK",
    }


def test_trust_snapshot_mismatch_blocks():
    pf = portfolio("USD", [pos("X", "10", ("500", "USD"))], [("USD", "1000")])
    result = run(
        inputs(pf, market([("X", "10")]), model(("X", "0.5")), shelf("X")),
        valuation_mode="TRUST_SNAPSHOT",
    )
    assert str(result.before.total_value.amount) == "1500.0"
    assert trades(result) == [("oi_1", "BUY", "X", "25")]
    recon = result.reconciliation
    assert (
        str(recon.after_total_value.amount),
        str(recon.delta.amount),
        str(recon.tolerance.amount),
        recon.status,
    ) == ("1100.0", "-400.0", "1.25000", "MISMATCH")
    row = rule(result, "RECONCILIATION")
    assert (row.status, str(row.measured)) == ("FAIL", "400.0")
    assert result.rule_results[-1] is row
    assert result.status == "BLOCKED"
    assert result.gate_decision.gate == "BLOCKED"

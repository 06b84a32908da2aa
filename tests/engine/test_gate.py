"""Workflow gate decision (engine spec §15)."""

from decimal import Decimal

from rebalance.engine.gate import decide_gate
from rebalance.engine.results import Diagnostics, RuleResult

from .builders import inputs, market, model, options, portfolio, run, shelf

D = Decimal


def fail(rule_id, severity, reason="X"):
    return RuleResult(rule_id, severity, "FAIL", D("1"), {}, reason)


def ok(rule_id, severity="HARD"):
    return RuleResult(rule_id, severity, "PASS", D("0"), {}, "OK")


def reasons(gate):
    return [(r.reason_code, r.severity, r.source, r.details) for r in gate.reasons]


def test_ready_executes():
    gate = decide_gate("READY", [ok("CASH_BAND", "SOFT")], Diagnostics(), options())
    assert (
        gate.gate,
        gate.recommended_next_step,
        gate.reasons,
        gate.hard_fail_count,
        gate.soft_fail_count,
    ) == ("EXECUTION_READY", "EXECUTE", [], 0, 0)


def test_client_consent_required_unless_already_obtained():
    gate = decide_gate("READY", [], Diagnostics(), options(workflow_requires_client_consent=True))
    assert (gate.gate, gate.recommended_next_step) == (
        "CLIENT_CONSENT_REQUIRED",
        "REQUEST_CLIENT_CONSENT",
    )
    gate = decide_gate(
        "READY",
        [],
        Diagnostics(),
        options(workflow_requires_client_consent=True, client_consent_already_obtained=True),
    )
    assert (gate.gate, gate.recommended_next_step) == ("EXECUTION_READY", "EXECUTE")


def test_soft_fail_needs_risk_review_before_consent():
    gate = decide_gate(
        "PENDING_REVIEW",
        [fail("CASH_BAND", "SOFT", "THRESHOLD_BREACH")],
        Diagnostics(),
        options(workflow_requires_client_consent=True),
    )
    assert (gate.gate, gate.recommended_next_step) == ("RISK_REVIEW_REQUIRED", "RISK_REVIEW")
    assert reasons(gate) == [
        ("SOFT_RULE_FAIL:CASH_BAND", "MEDIUM", "RULE_ENGINE", {"reason_code": "THRESHOLD_BREACH"})
    ]
    assert (gate.hard_fail_count, gate.soft_fail_count) == (0, 1)


def test_blocked_status_without_failures_is_blocked_with_no_reasons():
    gate = decide_gate("BLOCKED", [ok("DATA_QUALITY")], Diagnostics(), options())
    assert (gate.gate, gate.recommended_next_step, gate.reasons) == ("BLOCKED", "FIX_INPUT", [])


def test_hard_fail_blocks_even_if_status_says_otherwise():
    gate = decide_gate("READY", [fail("NO_SHORTING", "HARD")], Diagnostics(), options())
    assert gate.gate == "BLOCKED"


def test_reasons_sorted_by_severity_source_code_and_detail():
    rules = [
        fail("CASH_BAND", "SOFT", "THRESHOLD_BREACH"),
        fail("SINGLE_POSITION_MAX", "HARD", "LIMIT_BREACH"),
        fail("INSUFFICIENT_CASH", "HARD", "CASH_BALANCE_NEGATIVE"),
        fail("SINGLE_POSITION_MAX", "HARD", "A_FIRST"),
    ]
    diag = Diagnostics(price_missing=["P", "P"], fx_missing=["EUR/USD"], shelf_missing=["M"])
    gate = decide_gate("BLOCKED", rules, diag, options())
    assert reasons(gate) == [
        ("DATA_QUALITY_MISSING_FX", "HIGH", "DATA_QUALITY", {"count": "1"}),
        ("DATA_QUALITY_MISSING_PRICE", "HIGH", "DATA_QUALITY", {"count": "2"}),
        (
            "HARD_RULE_FAIL:INSUFFICIENT_CASH",
            "HIGH",
            "RULE_ENGINE",
            {"reason_code": "CASH_BALANCE_NEGATIVE"},
        ),
        ("HARD_RULE_FAIL:SINGLE_POSITION_MAX", "HIGH", "RULE_ENGINE", {"reason_code": "A_FIRST"}),
        (
            "HARD_RULE_FAIL:SINGLE_POSITION_MAX",
            "HIGH",
            "RULE_ENGINE",
            {"reason_code": "LIMIT_BREACH"},
        ),
        ("SOFT_RULE_FAIL:CASH_BAND", "MEDIUM", "RULE_ENGINE", {"reason_code": "THRESHOLD_BREACH"}),
    ]
    assert (gate.hard_fail_count, gate.soft_fail_count) == (3, 1)


def test_missing_data_reasons_regardless_of_blocking_flags():
    diag = Diagnostics(price_missing=["P"])
    gate = decide_gate("READY", [], diag, options(block_on_missing_prices=False))
    assert reasons(gate) == [("DATA_QUALITY_MISSING_PRICE", "HIGH", "DATA_QUALITY", {"count": "1"})]
    assert gate.gate == "EXECUTION_READY"


def test_scenario_04_missing_price_gate():
    pf = portfolio("USD", [], [("USD", "1000")])
    result = run(inputs(pf, market([]), model(("EQ_1", "0.5")), shelf("EQ_1")))
    assert result.status == "BLOCKED" and result.early_blocked
    assert result.diagnostics.price_missing == ["EQ_1"]
    assert reasons(result.gate_decision) == [
        ("DATA_QUALITY_MISSING_PRICE", "HIGH", "DATA_QUALITY", {"count": "1"}),
        ("HARD_RULE_FAIL:DATA_QUALITY", "HIGH", "RULE_ENGINE", {"reason_code": "MISSING_DATA"}),
    ]


def test_gates_disabled_gives_no_decision():
    pf = portfolio("USD", [], [("USD", "1000")])
    result = run(
        inputs(pf, market([("A", "10")]), model(("A", "0.5")), shelf("A")),
        enable_workflow_gates=False,
    )
    assert result.gate_decision is None


def test_scenario_103_gate():
    pf = portfolio("USD", [("BOND", "1000")], [("USD", "100.0")])
    md = market([("BOND", "100.0"), ("EQ", "50.0")])
    result = run(inputs(pf, md, model(("BOND", "0.5"), ("EQ", "0.5")), shelf("BOND", "EQ")))
    gate = result.gate_decision
    assert [(r.reason_code, r.severity) for r in gate.reasons] == [
        ("HARD_RULE_FAIL:INSUFFICIENT_CASH", "HIGH"),
        ("SOFT_RULE_FAIL:CASH_BAND", "MEDIUM"),
    ]
    assert (gate.hard_fail_count, gate.soft_fail_count, gate.gate, gate.recommended_next_step) == (
        1,
        1,
        "BLOCKED",
        "FIX_INPUT",
    )

"""Batch what-if analysis (engine spec §17) with a stand-in options validator (the real
one belongs to the HTTP layer)."""

import re
from dataclasses import fields, replace
from datetime import datetime

import pytest

from rebalance.engine import batch as batch_module
from rebalance.engine import run_batch
from rebalance.engine.errors import InvalidOptions
from rebalance.engine.models import EngineOptions
from rebalance.engine.render import render_batch

from .builders import inputs, market, model, options, portfolio, shelf

SHARED = inputs(
    portfolio("USD", [("Tech_Stock", "100")], [], portfolio_id="pf_13"),
    market([("Tech_Stock", "100"), ("Bond_Safe", "100")]),
    model(("Tech_Stock", "0"), ("Bond_Safe", "1")),
    shelf("Tech_Stock", "Bond_Safe"),
)


_FIELDS = {f.name for f in fields(EngineOptions)}


def validate(raw):
    """Stand-in validator: a ``"bad"`` key makes the options invalid (its value is the
    message); other unknown keys are ignored; known keys go through ``options``."""
    if "bad" in raw:
        raise InvalidOptions(raw["bad"])
    return options(**{k: v for k, v in raw.items() if k in _FIELDS})


def test_scenarios_run_in_sorted_order_and_failures_are_collected():
    scenarios = {
        "z_last": {},
        "ignore_checks": {},
        "b_unknown": {"not_an_option": 1, "max_turnover_pct": "0.05"},
        "invalid_case": {
            "bad": "Value error, group_constraints keys must use format "
            "'<attribute_key>:<attribute_value>'"
        },
    }
    seen = []
    # on_result's first argument is the scenario name (the rest of its signature is the
    # caller's business), called once per successful scenario.
    result = run_batch(
        SHARED,
        scenarios,
        validate,
        batch_id="batch_0000abcd",
        on_result=lambda *args: seen.append(args[0]),
    )
    assert list(result.results) == ["b_unknown", "ignore_checks", "z_last"]
    assert seen == ["b_unknown", "ignore_checks", "z_last"]
    assert result.failed_scenarios == {
        "invalid_case": "INVALID_OPTIONS: Value error, group_constraints keys must use format "
        "'<attribute_key>:<attribute_value>'"
    }
    assert result.warnings == ["PARTIAL_BATCH_FAILURE"]
    for name, res in result.results.items():
        assert res.correlation_id == f"batch_0000abcd:{name}"
        assert res.request_hash == f"batch_0000abcd:{name}"


def test_comparison_metrics_and_rendered_batch():
    scenarios = {"ignore_checks": {}, "b_unknown": {"max_turnover_pct": "0.05"}}
    body = render_batch(run_batch(SHARED, scenarios, validate, batch_id="batch_0000abcd"))
    assert list(body) == [
        "batch_run_id",
        "run_at_utc",
        "base_snapshot_ids",
        "results",
        "comparison_metrics",
        "failed_scenarios",
        "warnings",
    ]
    assert body["comparison_metrics"] == {
        "b_unknown": {
            "status": "READY",
            "security_intent_count": 0,
            "gross_turnover_notional_base": {"amount": "0", "currency": "USD"},
        },
        "ignore_checks": {
            "status": "READY",
            "security_intent_count": 2,
            "gross_turnover_notional_base": {"amount": "20000.0", "currency": "USD"},
        },
    }
    dropped = body["results"]["b_unknown"]["diagnostics"]["dropped_intents"]
    assert [(d["instrument_id"], d["score"]) for d in dropped] == [
        ("Bond_Safe", "1"),
        ("Tech_Stock", "1"),
    ]
    assert body["base_snapshot_ids"] == {
        "portfolio_snapshot_id": "pf_13",
        "market_data_snapshot_id": "md",
    }
    assert body["failed_scenarios"] == {} and body["warnings"] == []
    assert (
        body["results"]["ignore_checks"]["lineage"]["request_hash"]
        == "batch_0000abcd:ignore_checks"
    )


def test_snapshot_ids_are_used_when_given():
    shared = replace(
        SHARED,
        portfolio=replace(SHARED.portfolio, snapshot_id="ps_1"),
        market_data=replace(SHARED.market_data, snapshot_id="md_1"),
    )
    result = run_batch(shared, {"a": {}}, validate)
    assert (result.portfolio_snapshot_id, result.market_data_snapshot_id) == ("ps_1", "md_1")


def test_correlation_prefix_and_random_batch_id():
    result = run_batch(SHARED, {"a": {}}, validate, correlation_prefix="corr-1")
    assert re.fullmatch(r"batch_[0-9a-f]{8}", result.batch_run_id)
    assert result.results["a"].correlation_id == "corr-1:a"
    assert result.results["a"].request_hash == f"{result.batch_run_id}:a"
    stamp = datetime.fromisoformat(result.run_at_utc)
    assert stamp.utcoffset().total_seconds() == 0


def test_execution_error_fails_only_that_scenario(monkeypatch):
    real = batch_module.simulate

    def flaky(inp, opts, **kw):
        if kw["correlation_id"].endswith(":boom"):
            raise ZeroDivisionError("x")
        return real(inp, opts, **kw)

    monkeypatch.setattr(batch_module, "simulate", flaky)
    result = run_batch(SHARED, {"boom": {}, "fine": {}}, validate)
    assert result.failed_scenarios == {"boom": "SCENARIO_EXECUTION_ERROR: ZeroDivisionError"}
    assert list(result.results) == ["fine"]
    assert result.warnings == ["PARTIAL_BATCH_FAILURE"]


def test_zero_price_scenario_is_a_blocked_success_not_an_execution_error():
    shared = replace(SHARED, market_data=market([("Tech_Stock", "100"), ("Bond_Safe", "0")]))
    result = run_batch(shared, {"a": {}}, validate)
    assert result.failed_scenarios == {} and result.warnings == []
    assert result.results["a"].status == "BLOCKED"
    assert result.results["a"].diagnostics.warnings == ["ZERO_PRICE_Bond_Safe"]
    metrics = render_batch(result)["comparison_metrics"]["a"]
    assert (metrics["status"], metrics["security_intent_count"]) == ("BLOCKED", 0)


def test_blocked_scenario_counts_its_intents():
    # Bond priced in EUR: the 1 % FX buffer overdraws USD → BLOCKED after trading.
    shared = replace(
        SHARED,
        market_data=market(
            [("Tech_Stock", "100"), ("Bond_Safe", "100", "EUR")], [("EUR/USD", "1")]
        ),
    )
    body = render_batch(run_batch(shared, {"fx": {}}, validate))
    assert body["comparison_metrics"]["fx"] == {
        "status": "BLOCKED",
        "security_intent_count": 2,
        "gross_turnover_notional_base": {"amount": "20000.0", "currency": "USD"},
    }
    assert len(body["results"]["fx"]["intents"]) == 3  # FX intents are not counted


def test_shared_inputs_are_not_mutated():
    snapshot = repr(SHARED)
    run_batch(SHARED, {"a": {}, "b": {"max_turnover_pct": "0"}}, validate)
    assert repr(SHARED) == snapshot


def test_other_validator_errors_propagate():
    def broken(raw):
        raise RuntimeError("validator bug")

    with pytest.raises(RuntimeError):
        run_batch(SHARED, {"a": {}}, broken)


def test_a_taken_run_id_reruns_the_scenario_under_a_fresh_id():
    from rebalance.engine.errors import RunIdTaken

    recorded = []

    def record(name, opts, result):
        # The first id offered for "alpha" is refused, as a run store would on a collision.
        if name == "alpha" and not any(n == "alpha" for n, _ in recorded) and not record.refused:
            record.refused = result.rebalance_run_id
            raise RunIdTaken(result.rebalance_run_id)
        recorded.append((name, result.rebalance_run_id))

    record.refused = None
    result = run_batch(SHARED, {"alpha": {}}, validate, on_result=record)
    assert record.refused is not None
    assert recorded == [("alpha", result.results["alpha"].rebalance_run_id)]
    assert result.results["alpha"].rebalance_run_id != record.refused
    assert result.failed_scenarios == {}


def test_a_run_id_that_stays_taken_fails_only_that_scenario():
    from rebalance.engine.errors import RunIdTaken

    def always_taken(name, opts, result):
        if name == "alpha":
            raise RunIdTaken(result.rebalance_run_id)

    result = run_batch(SHARED, {"alpha": {}, "beta": {}}, validate, on_result=always_taken)
    assert result.failed_scenarios == {"alpha": "SCENARIO_EXECUTION_ERROR: RunIdTaken"}
    assert list(result.results) == ["beta"]

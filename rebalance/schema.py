"""OpenAPI descriptions of the simulation endpoints (drf-spectacular).

Response bodies are the documentation-only components of ``rebalance/schema_components.py``.
The examples below are real: each result is what the engine returns for the request next
to it (with the run id fixed), and ``tests/openapi`` re-runs the engine to prove it. They
are assembled from small builders because the three results share most of their shape;
the rendered examples are plain JSON in ``/api/schema/`` and ``/api/docs/``.

``RUN_LOOKUP_EXAMPLE``, ``IDEMPOTENCY_LOOKUP_EXAMPLE``, ``not_found_response`` and
``CORRELATION_ID_RESPONSE_HEADER`` are for the lookup views of ``dpm_runs``.
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)

from lotus_manage.problems import INTERNAL_ERROR_DETAIL, PROBLEM_CONTENT_TYPE
from rebalance.schema_components import (
    BatchRebalanceResultSerializer,
    ProblemSerializer,
    RebalanceResultSerializer,
    ValidationProblemSerializer,
)
from rebalance.serializers import BatchRebalanceRequestSerializer, RebalanceRequestSerializer
from rebalance.services import IDEMPOTENCY_CONFLICT, IDEMPOTENCY_IN_PROGRESS

JSON = "application/json"
SIMULATE_PATH = "/rebalance/simulate"
ANALYZE_PATH = "/rebalance/analyze"
TOO_LARGE_DETAIL = "Request body exceeds the configured size limit."

# --- Headers ------------------------------------------------------------------------------

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="Client-chosen key (1-256 printable characters). Same key and same canonical "
    "body replays the stored result; same key and a different body is 409.",
)
CORRELATION_ID_PARAMETER = OpenApiParameter(
    "X-Correlation-Id", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Optional trace id (1-128 of A-Z a-z 0-9 . _ : @ + = ~ -); generated when absent "
    "and echoed in the X-Correlation-Id response header.",
)
CORRELATION_ID_RESPONSE_HEADER = OpenApiParameter(
    "X-Correlation-Id", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, response=True,
    description="The request's correlation id: the X-Correlation-Id it sent, or a generated "
    "`corr_<32 hex>`. Sent on every response, errors included.",
)
IDEMPOTENT_REPLAYED_HEADER = OpenApiParameter(
    "Idempotent-Replayed", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    enum=["true", "false"], response=["200"],
    description="`true` when the body is the stored result of an earlier call with the same "
    "Idempotency-Key and body (byte-identical, same `rebalance_run_id`); `false` when the "
    "engine ran for this call.",
)
RETRY_AFTER_HEADER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, OpenApiParameter.HEADER, required=False, response=["409"],
    description="Only with `IDEMPOTENCY_KEY_IN_PROGRESS`: whole seconds (at least 1) to wait. "
    "`1` while the first call's worker is alive and computing (PostgreSQL); otherwise the time "
    "left on its claim's lease, after which the key can be taken over.",
)

# --- Example builders ---------------------------------------------------------------------


def _money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def _cash(currency: str, amount: str) -> dict[str, Any]:
    return {"currency": currency, "amount": amount, "settled": None, "pending": None}


def _bucket(key: str, weight: str, amount: str, currency: str) -> dict[str, Any]:
    return {"key": key, "weight": weight, "value": _money(amount, currency)}


def _position(
    instrument_id: str, quantity: str, currency: str, price: str, value: str, base_value: str,
    weight: str, base_currency: str,
) -> dict[str, Any]:
    return {
        "instrument_id": instrument_id,
        "quantity": quantity,
        "instrument_currency": currency,
        "asset_class": "EQUITY",
        "price": _money(price, currency),
        "value_in_instrument_ccy": _money(value, currency),
        "value_in_base_ccy": _money(base_value, base_currency),
        "weight": weight,
    }


def _state(
    total: dict[str, str],
    cash: list[dict[str, Any]],
    positions: list[dict[str, Any]],
    by_asset_class: list[dict[str, Any]],
    by_instrument: list[dict[str, Any]],
    by_attribute: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    return {
        "total_value": total,
        "cash_balances": cash,
        "positions": positions,
        "allocation_by_asset_class": by_asset_class,
        "allocation_by_instrument": by_instrument,
        "allocation": copy.deepcopy(by_instrument),
        "allocation_by_attribute": by_attribute or {},
    }


def _trade(
    intent_id: str, instrument_id: str, side: str, quantity: str, notional: dict[str, str],
    notional_base: dict[str, str], dependencies: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "intent_type": "SECURITY_TRADE",
        "intent_id": intent_id,
        "instrument_id": instrument_id,
        "side": side,
        "quantity": quantity,
        "notional": notional,
        "notional_base": notional_base,
        "dependencies": dependencies or [],
        "rationale": {"code": "DRIFT_REBALANCE", "message": "Align"},
        "constraints_applied": [],
    }


def _target(instrument_id: str, model: str, final: str, value: dict[str, str], *tags: str):
    return {
        "instrument_id": instrument_id,
        "model_weight": model,
        "final_weight": final,
        "final_value": value,
        "tags": list(tags),
    }


def _rule(
    rule_id: str, severity: str, measured: str, threshold: dict[str, str], reason: str = "OK",
    hint: str | None = None,
) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "severity": severity,
        "status": "PASS" if hint is None else "FAIL",
        "measured": measured,
        "threshold": threshold,
        "reason_code": reason,
        "remediation_hint": hint,
    }


def _rules(
    cash_band: dict[str, Any],
    single_position: dict[str, Any],
    data_quality: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The six standard rules in their contract order (spec §4.8)."""
    return [
        cash_band,
        single_position,
        data_quality or _rule("DATA_QUALITY", "HARD", "0", {"max": "0"}),
        _rule("MIN_TRADE_SIZE", "SOFT", "0", {"min": "0"}),
        _rule("NO_SHORTING", "HARD", "0", {"min": "0"}),
        _rule("INSUFFICIENT_CASH", "HARD", "0", {"min": "0"}),
    ]


_NO_POSITION_CAP = _rule("SINGLE_POSITION_MAX", "HARD", "0", {"max": "-1"}, "NO_LIMIT_SET")


def _diagnostics(shelf_missing: list[str] | None = None) -> dict[str, Any]:
    return {
        "warnings": [],
        "suppressed_intents": [],
        "dropped_intents": [],
        "group_constraint_events": [],
        "tax_budget_constraint_events": [],
        "cash_ladder": [],
        "cash_ladder_breaches": [],
        "missing_fx_pairs": [],
        "funding_plan": [],
        "insufficient_cash": [],
        "data_quality": {
            "price_missing": [], "fx_missing": [], "shelf_missing": shelf_missing or [],
        },
    }


def _gate(gate: str, step: str, reasons: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "gate": gate,
        "recommended_next_step": step,
        "reasons": reasons or [],
        "summary": {
            "hard_fail_count": len(reasons or []),
            "soft_fail_count": 0,
            "new_high_suitability_count": 0,
            "new_medium_suitability_count": 0,
        },
    }


def _reconciliation(before: dict[str, str], after: dict[str, str], delta: str, tolerance: str):
    return {
        "before_total_value": before,
        "after_total_value": after,
        "delta": _money(delta, before["currency"]),
        "tolerance": _money(tolerance, before["currency"]),
        "status": "OK",
    }


def _result(
    run_id: str, correlation_id: str, status: str, *, before: dict[str, Any],
    eligible: list[str], coverage: str, targets: list[dict[str, Any]],
    intents: list[dict[str, Any]], after: dict[str, Any], reconciliation: dict[str, Any] | None,
    rules: list[dict[str, Any]], explanation: dict[str, Any], diagnostics: dict[str, Any],
    gate: dict[str, Any], portfolio_id: str, request_hash: str,
) -> dict[str, Any]:
    """A RebalanceResult in the contract's key order (spec §4.1)."""
    return {
        "rebalance_run_id": run_id,
        "correlation_id": correlation_id,
        "status": status,
        "before": before,
        "universe": {
            "universe_id": f"u_{run_id}",
            "eligible_for_buy": list(eligible),
            "eligible_for_sell": list(eligible),
            "excluded": [],
            "coverage": {"price_coverage_pct": coverage, "fx_coverage_pct": coverage},
        },
        "target": {"target_id": f"t_{run_id}", "strategy": {}, "targets": targets},
        "intents": intents,
        "after_simulated": after,
        "reconciliation": reconciliation,
        "tax_impact": None,
        "rule_results": rules,
        "explanation": explanation,
        "diagnostics": diagnostics,
        "gate_decision": gate,
        "lineage": {
            "portfolio_snapshot_id": portfolio_id,
            "market_data_snapshot_id": "md",
            "request_hash": request_hash,
            "idempotency_key": None,
            "engine_version": None,
        },
    }


def as_scenario_result(
    result: dict[str, Any], run_id: str, correlation_id: str, request_hash: str
) -> dict[str, Any]:
    """``result`` as an analyze scenario would carry it: other ids, same content."""
    scenario = copy.deepcopy(result)
    scenario["rebalance_run_id"] = run_id
    scenario["correlation_id"] = correlation_id
    scenario["universe"]["universe_id"] = f"u_{run_id}"
    scenario["target"]["target_id"] = f"t_{run_id}"
    scenario["lineage"]["request_hash"] = request_hash
    return scenario


# --- Examples: READY (api spec §8.1) ------------------------------------------------------

SIMULATE_REQUEST_EXAMPLE: dict[str, Any] = {
    "portfolio_snapshot": {
        "portfolio_id": "pf_spec_001",
        "base_currency": "SGD",
        "positions": [{"instrument_id": "SG_BANK_EQ", "quantity": "300"}],
        "cash_balances": [{"currency": "SGD", "amount": "10000.00"}],
    },
    "market_data_snapshot": {
        "prices": [
            {"instrument_id": "SG_BANK_EQ", "price": "50.00", "currency": "SGD"},
            {"instrument_id": "US_TECH_ETF", "price": "200.00", "currency": "USD"},
        ],
        "fx_rates": [{"pair": "USD/SGD", "rate": "1.35"}],
    },
    "model_portfolio": {
        "targets": [
            {"instrument_id": "SG_BANK_EQ", "weight": "0.40"},
            {"instrument_id": "US_TECH_ETF", "weight": "0.50"},
        ]
    },
    "shelf_entries": [
        {"instrument_id": "SG_BANK_EQ", "status": "APPROVED", "asset_class": "EQUITY",
         "attributes": {"region": "SG"}},
        {"instrument_id": "US_TECH_ETF", "status": "APPROVED", "asset_class": "EQUITY",
         "attributes": {"region": "US"}},
    ],
    "options": {"cash_band_min_weight": "0.00", "cash_band_max_weight": "0.20"},
}

_SG_BANK_300 = _position(
    "SG_BANK_EQ", "300", "SGD", "50.00", "15000.00", "15000.000", "0.6000", "SGD"
)
_SG_BANK_200 = _position(
    "SG_BANK_EQ", "200", "SGD", "50.00", "10000.00", "10000.000", "0.4000", "SGD"
)
_US_TECH_46 = _position(
    "US_TECH_ETF", "46", "USD", "200.00", "9200.00", "12420.0000", "0.4968", "SGD"
)

READY_RESULT_EXAMPLE: dict[str, Any] = _result(
    "rr_c24203fb", "corr-spec-001", "READY",
    before=_state(
        _money("25000.000", "SGD"),
        [_cash("SGD", "10000.00")],
        [_SG_BANK_300],
        [_bucket("EQUITY", "0.6000", "15000.000", "SGD"),
         _bucket("CASH", "0.4000", "10000.00", "SGD")],
        [_bucket("SG_BANK_EQ", "0.6000", "15000.000", "SGD")],
        {"region": [_bucket("SG", "0.6000", "15000.000", "SGD")]},
    ),
    eligible=["SG_BANK_EQ", "US_TECH_ETF"],
    coverage="1",
    targets=[
        _target("SG_BANK_EQ", "0.40", "0.40", _money("10000.00000", "SGD")),
        _target("US_TECH_ETF", "0.50", "0.50", _money("12500.00000", "SGD")),
    ],
    intents=[
        _trade("oi_1", "SG_BANK_EQ", "SELL", "100", _money("5000.00", "SGD"),
               _money("5000.000", "SGD")),
        {
            "intent_type": "FX_SPOT",
            "intent_id": "oi_fx_3",
            "pair": "USD/SGD",
            "buy_currency": "USD",
            "buy_amount": "9292.0000",
            "sell_currency": "SGD",
            "sell_amount_estimated": "12544.200000",
            "dependencies": [],
            "rationale": {"code": "FUNDING", "message": "Fund"},
        },
        _trade("oi_2", "US_TECH_ETF", "BUY", "46", _money("9200.00", "USD"),
               _money("12420.0000", "SGD"), ["oi_fx_3"]),
    ],
    after=_state(
        _money("25000.000000", "SGD"),
        [_cash("SGD", "2455.800000"), _cash("USD", "92.0000")],
        [_SG_BANK_200, _US_TECH_46],
        [_bucket("EQUITY", "0.8968", "22420.0000", "SGD"),
         _bucket("CASH", "0.1032", "2580.000000", "SGD")],
        [_bucket("SG_BANK_EQ", "0.4000", "10000.000", "SGD"),
         _bucket("US_TECH_ETF", "0.4968", "12420.0000", "SGD")],
        {"region": [_bucket("SG", "0.4000", "10000.000", "SGD"),
                    _bucket("US", "0.4968", "12420.0000", "SGD")]},
    ),
    reconciliation=_reconciliation(
        _money("25000.000", "SGD"), _money("25000.000000", "SGD"), "0.000000", "13.0000000"
    ),
    rules=_rules(
        _rule("CASH_BAND", "SOFT", "0.1032", {"min": "0.00", "max": "0.20"}), _NO_POSITION_CAP
    ),
    explanation={"summary": "READY", "target_method_comparison": None},
    diagnostics=_diagnostics(),
    gate=_gate("EXECUTION_READY", "EXECUTE"),
    portfolio_id="pf_spec_001",
    request_hash="sha256:594f6d575544ad2bea108779e626034f67064d36a0c474d72d333d51d1461634",
)

# --- Examples: PENDING_REVIEW and BLOCKED -------------------------------------------------
# Both start from USD 10,000 cash and a model of 100 % EQ_1 (the analyze example of
# api spec §8.2). PENDING_REVIEW: a 50 % position cap leaves half the weight with nowhere
# to go. BLOCKED: EQ_1 has no shelf entry, so the run stops before sizing any trade.

PENDING_REVIEW_REQUEST_EXAMPLE: dict[str, Any] = {
    "portfolio_snapshot": {
        "portfolio_id": "pf_spec_002",
        "base_currency": "USD",
        "positions": [],
        "cash_balances": [{"currency": "USD", "amount": "10000"}],
    },
    "market_data_snapshot": {
        "prices": [{"instrument_id": "EQ_1", "price": "100", "currency": "USD"}],
        "fx_rates": [],
    },
    "model_portfolio": {"targets": [{"instrument_id": "EQ_1", "weight": "1.0"}]},
    "shelf_entries": [{"instrument_id": "EQ_1", "status": "APPROVED", "asset_class": "EQUITY"}],
    "options": {"single_position_max_weight": "0.5"},
}
BLOCKED_REQUEST_EXAMPLE: dict[str, Any] = {
    **copy.deepcopy(PENDING_REVIEW_REQUEST_EXAMPLE),
    "portfolio_snapshot": {
        **PENDING_REVIEW_REQUEST_EXAMPLE["portfolio_snapshot"], "portfolio_id": "pf_spec_003"
    },
    "shelf_entries": [],
    "options": {},
}

_USD_10000_CASH = _state(
    _money("10000", "USD"), [_cash("USD", "10000")], [],
    [_bucket("CASH", "1.0000", "10000", "USD")], [],
)

PENDING_REVIEW_RESULT_EXAMPLE: dict[str, Any] = _result(
    "rr_7d0f3a91", "corr-spec-002", "PENDING_REVIEW",
    before=_USD_10000_CASH,
    eligible=["EQ_1"],
    coverage="1",
    targets=[_target("EQ_1", "1.0", "0.5", _money("5000.0", "USD"), "CAPPED_BY_MAX_WEIGHT")],
    intents=[
        _trade("oi_1", "EQ_1", "BUY", "50", _money("5000", "USD"), _money("5000.0", "USD")),
    ],
    after=_state(
        _money("10000.0", "USD"),
        [_cash("USD", "5000")],
        [_position("EQ_1", "50", "USD", "100", "5000", "5000.0", "0.5000", "USD")],
        [_bucket("EQUITY", "0.5000", "5000.0", "USD"), _bucket("CASH", "0.5000", "5000", "USD")],
        [_bucket("EQ_1", "0.5000", "5000.0", "USD")],
    ),
    reconciliation=_reconciliation(
        _money("10000", "USD"), _money("10000.0", "USD"), "0.0", "5.5000"
    ),
    rules=_rules(
        _rule("CASH_BAND", "SOFT", "0.5", {"min": "0.00", "max": "1.00"}),
        _rule("SINGLE_POSITION_MAX", "HARD", "0.5", {"max": "0.5"}),
    ),
    explanation={"summary": "PENDING_REVIEW", "target_method_comparison": None},
    diagnostics=_diagnostics(),
    gate=_gate("EXECUTION_READY", "EXECUTE"),
    portfolio_id="pf_spec_002",
    request_hash="sha256:00fa902f797e5fa0472b89e4fad31e1d0204b8a8ba6c187d9daed26f67fbc7c8",
)

BLOCKED_RESULT_EXAMPLE: dict[str, Any] = _result(
    "rr_5b1e0c7a", "corr-spec-003", "BLOCKED",
    before=_USD_10000_CASH,
    eligible=[],
    coverage="0",
    targets=[_target("EQ_1", "1.0", "0.0", _money("0.0", "USD"), "CAPPED_BY_MAX_WEIGHT")],
    intents=[],
    after=copy.deepcopy(_USD_10000_CASH),
    reconciliation=None,
    rules=_rules(
        _rule("CASH_BAND", "SOFT", "1", {"min": "0.00", "max": "1.00"}),
        _NO_POSITION_CAP,
        _rule("DATA_QUALITY", "HARD", "1", {"max": "0"}, "MISSING_DATA",
              "Check diagnostics for missing prices/FX."),
    ),
    explanation={"summary": "Blocked"},
    diagnostics=_diagnostics(shelf_missing=["EQ_1"]),
    gate=_gate("BLOCKED", "FIX_INPUT", [{
        "reason_code": "HARD_RULE_FAIL:DATA_QUALITY",
        "severity": "HIGH",
        "source": "RULE_ENGINE",
        "details": {"reason_code": "MISSING_DATA"},
    }]),
    portfolio_id="pf_spec_003",
    request_hash="sha256:8ad5625c4cf6a511ce3f28329842767c78258617614fcb022a486b7d466447eb",
)

# --- Examples: analyze (api spec §8.2, two of its scenarios) -------------------------------

ANALYZE_REQUEST_EXAMPLE: dict[str, Any] = {
    "portfolio_snapshot": {
        **PENDING_REVIEW_REQUEST_EXAMPLE["portfolio_snapshot"], "snapshot_id": "ps_2026_02_20"
    },
    "market_data_snapshot": {
        **PENDING_REVIEW_REQUEST_EXAMPLE["market_data_snapshot"], "snapshot_id": "md_2026_02_20"
    },
    "model_portfolio": PENDING_REVIEW_REQUEST_EXAMPLE["model_portfolio"],
    "shelf_entries": PENDING_REVIEW_REQUEST_EXAMPLE["shelf_entries"],
    "scenarios": {
        "cap_half": {
            "description": "Cap any single position at 50%",
            "options": {"single_position_max_weight": "0.5"},
        },
        "bad_group": {"options": {"group_constraints": {"sectorTECH": {"max_weight": "0.2"}}}},
    },
}

BATCH_RESULT_EXAMPLE: dict[str, Any] = {
    "batch_run_id": "batch_4f8d5976",
    "run_at_utc": "2026-11-28T22:43:58.718904+00:00",
    "base_snapshot_ids": {
        "portfolio_snapshot_id": "ps_2026_02_20",
        "market_data_snapshot_id": "md_2026_02_20",
    },
    "results": {
        "cap_half": as_scenario_result(
            PENDING_REVIEW_RESULT_EXAMPLE, "rr_29680632", "corr-spec-batch:cap_half",
            "batch_4f8d5976:cap_half",
        ),
    },
    "comparison_metrics": {
        "cap_half": {
            "status": "PENDING_REVIEW",
            "security_intent_count": 1,
            "gross_turnover_notional_base": _money("5000.0", "USD"),
        },
    },
    "failed_scenarios": {
        "bad_group": "INVALID_OPTIONS: Value error, group_constraints keys must use format "
        "'<attribute_key>:<attribute_value>'",
    },
    "warnings": ["PARTIAL_BATCH_FAILURE"],
}

# --- Examples: run lookups (used by dpm_runs) ----------------------------------------------

RUN_LOOKUP_EXAMPLE: dict[str, Any] = {
    "rebalance_run_id": "rr_c24203fb",
    "correlation_id": "corr-spec-001",
    "request_hash": READY_RESULT_EXAMPLE["lineage"]["request_hash"],
    "idempotency_key": "spec-idem-001",
    "portfolio_id": "pf_spec_001",
    "created_at": "2026-11-28T22:43:58.709992+00:00",
    "result": READY_RESULT_EXAMPLE,
}
IDEMPOTENCY_LOOKUP_EXAMPLE: dict[str, Any] = {
    "idempotency_key": "spec-idem-001",
    "request_hash": RUN_LOOKUP_EXAMPLE["request_hash"],
    "rebalance_run_id": "rr_c24203fb",
    "created_at": RUN_LOOKUP_EXAMPLE["created_at"],
}

# --- Examples: problem details -------------------------------------------------------------


def problem_body(status: int, detail: Any, instance: str, correlation_id: str) -> dict[str, Any]:
    """A problem-details body as ``lotus_manage.problems.problem_response`` writes it."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "correlation_id": correlation_id,
    }


def _problem_example(
    name: str, status: int, detail: Any, instance: str, description: str = ""
) -> OpenApiExample:
    return OpenApiExample(
        name,
        value=problem_body(status, detail, instance, "corr-spec-001"),
        description=description,
        response_only=True,
    )


def not_found_response(*codes: str, instance: str) -> OpenApiResponse:
    """The 404 of a support lookup, with one example per ``detail`` code.

    Use as ``responses={(404, PROBLEM_CONTENT_TYPE): not_found_response(...)}``.
    """
    return OpenApiResponse(
        ProblemSerializer,
        description="Problem details; `detail` says which: no such record, or the support "
        "lookups are switched off (`DPM_SUPPORT_APIS_ENABLED`).",
        examples=[_problem_example(code, 404, code, instance) for code in codes],
    )


_VALIDATION_ISSUES_EXAMPLE = [
    {"type": "missing", "loc": ["header", "Idempotency-Key"], "msg": "Field required",
     "input": None},
    {"type": "enum", "loc": ["body", "options", "target_method"],
     "msg": "Input should be 'HEURISTIC' or 'SOLVER'", "input": "heuristic",
     "ctx": {"expected": "'HEURISTIC' or 'SOLVER'"}},
    {"type": "value_error", "loc": ["body", "options", "group_constraints"],
     "msg": "Value error, group_constraints keys must use format "
     "'<attribute_key>:<attribute_value>'",
     "input": {"sectorTECH": {"max_weight": "0.2"}}, "ctx": {"error": {}}},
]
_ANALYZE_VALIDATION_ISSUES_EXAMPLE = [
    {"type": "value_error", "loc": ["body", "scenarios"],
     "msg": "Value error, scenario names must match regex [a-z0-9_\\-]{1,64}",
     "input": {"Baseline": {"options": {}}}, "ctx": {"error": {}}},
]


def _too_large_response(path: str) -> OpenApiResponse:
    return OpenApiResponse(
        ProblemSerializer,
        description="The body is larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (20 MB by default).",
        examples=[_problem_example("Too large", 413, TOO_LARGE_DETAIL, path)],
    )


def _validation_response(path: str, issues: list[dict[str, Any]], what: str) -> OpenApiResponse:
    return OpenApiResponse(
        ValidationProblemSerializer,
        description="Validation failed; `detail` lists every issue of the request, header "
        f"issues first. {what}",
        examples=[_problem_example("Validation issues", 422, issues, path)],
    )


def _server_error_response(path: str) -> OpenApiResponse:
    return OpenApiResponse(
        ProblemSerializer,
        description="Unexpected failure; the body reveals nothing about it.",
        examples=[_problem_example("Internal error", 500, INTERNAL_ERROR_DETAIL, path)],
    )


# --- Operations ---------------------------------------------------------------------------

simulate_schema = extend_schema(
    operation_id="rebalance_simulate",
    summary="Simulate one rebalance",
    description=(
        "One deterministic rebalance simulation, idempotent per `Idempotency-Key`.\n\n"
        "Domain outcomes are never HTTP errors: a valid request answers 200 with `status` "
        "`READY`, `PENDING_REVIEW` or `BLOCKED`. Every response carries `X-Correlation-Id`; "
        "a 200 also carries `Idempotent-Replayed: true|false`. Errors are problem details "
        "(`application/problem+json`)."
    ),
    # Explicit media type: the view has no parser classes (it decodes the body itself),
    # so drf-spectacular would otherwise find no request media type and drop the body.
    request={JSON: RebalanceRequestSerializer},
    parameters=[
        IDEMPOTENCY_KEY_PARAMETER,
        CORRELATION_ID_PARAMETER,
        CORRELATION_ID_RESPONSE_HEADER,
        IDEMPOTENT_REPLAYED_HEADER,
        RETRY_AFTER_HEADER,
    ],
    examples=[
        OpenApiExample(
            "Rebalance request", value=SIMULATE_REQUEST_EXAMPLE, request_only=True,
            description="The request of api spec §8.1; its result is the READY example.",
        ),
    ],
    responses={
        200: OpenApiResponse(
            RebalanceResultSerializer,
            description="The simulation result; `status` is the domain outcome.",
            examples=[
                OpenApiExample(
                    "Ready", value=READY_RESULT_EXAMPLE,
                    summary="READY: sell, FX funding, then the buy that depends on it",
                    description="The result of the request example (api spec §8.1).",
                ),
                OpenApiExample(
                    "Pending review", value=PENDING_REVIEW_RESULT_EXAMPLE,
                    summary="PENDING_REVIEW: a position cap left weight with nowhere to go",
                    description="USD 10,000 cash, model 100 % EQ_1, "
                    "`single_position_max_weight` 0.5.",
                ),
                OpenApiExample(
                    "Blocked", value=BLOCKED_RESULT_EXAMPLE,
                    summary="BLOCKED: a model instrument has no shelf entry",
                    description="As PENDING_REVIEW but without shelf entries and options: "
                    "the run stops before sizing trades (`explanation` is "
                    '`{"summary": "Blocked"}`).',
                ),
            ],
        ),
        (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer,
            description="The Idempotency-Key is taken: by a different body, or by the same "
            "body still being computed (then `Retry-After` says when to retry).",
            examples=[
                _problem_example(
                    "Idempotency key conflict", 409, IDEMPOTENCY_CONFLICT, SIMULATE_PATH,
                    "The key was used with a different canonical body (e.g. "
                    "`cash_band_max_weight` changed from 0.20 to 0.25).",
                ),
                _problem_example(
                    "Idempotency key in progress", 409, IDEMPOTENCY_IN_PROGRESS, SIMULATE_PATH,
                    "The first call with this key and body is still running; the response "
                    "carries `Retry-After`.",
                ),
            ],
        ),
        (413, PROBLEM_CONTENT_TYPE): _too_large_response(SIMULATE_PATH),
        (422, PROBLEM_CONTENT_TYPE): _validation_response(
            SIMULATE_PATH, _VALIDATION_ISSUES_EXAMPLE,
            "Example: no Idempotency-Key, a lower-case `target_method` and a malformed "
            "group-constraint key.",
        ),
        (500, PROBLEM_CONTENT_TYPE): _server_error_response(SIMULATE_PATH),
    },
)

analyze_schema = extend_schema(
    operation_id="rebalance_analyze",
    summary="Run what-if scenarios over one snapshot",
    description=(
        "Up to 20 named scenarios, each with its own options, over one shared snapshot. "
        "Scenario options are validated one scenario at a time: an invalid one is reported in "
        "`failed_scenarios` and the call still answers 200. Every response carries "
        "`X-Correlation-Id`. Errors are problem details (`application/problem+json`)."
    ),
    request={JSON: BatchRebalanceRequestSerializer},
    parameters=[CORRELATION_ID_PARAMETER, CORRELATION_ID_RESPONSE_HEADER],
    examples=[
        OpenApiExample(
            "What-if request", value=ANALYZE_REQUEST_EXAMPLE, request_only=True,
            description="Two scenarios of api spec §8.2; `bad_group` has invalid options.",
        ),
    ],
    responses={
        200: OpenApiResponse(
            BatchRebalanceResultSerializer,
            description="Results of the scenarios that ran, and why the others failed.",
            examples=[
                OpenApiExample(
                    "Partial batch", value=BATCH_RESULT_EXAMPLE,
                    summary="One scenario ran (PENDING_REVIEW), one had invalid options",
                    description="The result of the request example.",
                ),
            ],
        ),
        (413, PROBLEM_CONTENT_TYPE): _too_large_response(ANALYZE_PATH),
        (422, PROBLEM_CONTENT_TYPE): _validation_response(
            ANALYZE_PATH, _ANALYZE_VALIDATION_ISSUES_EXAMPLE,
            "Example: a scenario named `Baseline` (names are lower case).",
        ),
        (500, PROBLEM_CONTENT_TYPE): _server_error_response(ANALYZE_PATH),
    },
)

"""The OpenAPI document: typed bodies, documented headers, examples that fit their schemas."""

from __future__ import annotations

from typing import Any

import pytest
from oas_checks import key_errors, ref_name, schema_errors

SIMULATE = "/rebalance/simulate"
ANALYZE = "/rebalance/analyze"
LOOKUPS = {
    "/rebalance/runs/{rebalance_run_id}": {"DPM_RUN_NOT_FOUND", "DPM_SUPPORT_APIS_DISABLED"},
    "/rebalance/runs/by-correlation/{correlation_id}": {
        "DPM_RUN_NOT_FOUND", "DPM_SUPPORT_APIS_DISABLED",
    },
    "/rebalance/runs/idempotency/{idempotency_key}": {
        "DPM_IDEMPOTENCY_KEY_NOT_FOUND", "DPM_SUPPORT_APIS_DISABLED",
    },
}
PROBLEM = "application/problem+json"
JSON = "application/json"

#: Schemas that may stay untyped, with the reason. Anything else untyped fails the walk.
ALLOWED_UNTYPED = {
    "components.ValidationIssue.input": "any JSON value by contract (the offending input)",
    "components.SimulationScenario.options": (
        "any object is accepted; its contents are validated when the scenario runs and "
        "invalid ones fail only that scenario (HTTP 200)"
    ),
    "components.DpmRunDifference.stored": "any JSON value (the stored value at the path)",
    "components.DpmRunDifference.recomputed": "any JSON value (the recomputed value at the path)",
    "components.DpmSupportBundle.request": (
        "the stored canonical request, normalised (defaults filled in, decimals in their "
        "canonical text), which can fall outside the narrower text rules documented for what "
        "clients send; re-sending it replays the run (tests/workbench)"
    ),
}


def _operations(openapi):
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _content_schemas(openapi):
    """(location, schema) of every request and response body in the document."""
    for path, method, operation in _operations(openapi):
        for media, body in operation.get("requestBody", {}).get("content", {}).items():
            yield f"{method} {path} request {media}", body["schema"]
        for status, response in operation["responses"].items():
            for media, body in response.get("content", {}).items():
                yield f"{method} {path} {status} {media}", body["schema"]


def _untyped(schema: Any, where: str):
    """Locations below ``schema`` that are a bare object or carry no type at all."""
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        return
    composed = [key for key in ("allOf", "oneOf", "anyOf") if key in schema]
    for key in composed:
        for index, part in enumerate(schema[key]):
            yield from _untyped(part, f"{where}.{key}[{index}]")
    if composed or "enum" in schema:
        return
    kind = schema.get("type")
    if kind is None:
        yield where
    elif kind == "object":
        extra = schema.get("additionalProperties")
        if "properties" not in schema and extra is None:
            yield where  # the bare {"type": "object"}
        if extra == {} or extra is True:
            yield f"{where}.additionalProperties"  # a map whose values are untyped
        elif isinstance(extra, dict):
            yield from _untyped(extra, f"{where}.additionalProperties")
        for name, prop in schema.get("properties", {}).items():
            yield from _untyped(prop, f"{where}.{name}")
    elif kind == "array":
        if "items" not in schema:
            yield where
        else:
            yield from _untyped(schema["items"], f"{where}[]")


def _examples(openapi, path: str, method: str, status: str) -> dict[str, Any]:
    """All examples of one response, whatever their media type: {name: value}."""
    response = openapi["paths"][path][method]["responses"][status]
    return {
        name: example["value"]
        for body in response.get("content", {}).values()
        for name, example in body.get("examples", {}).items()
    }


# --- The document as a whole --------------------------------------------------------------


def test_document_validates_without_warnings(openapi):
    # The fixture ran `spectacular --validate --fail-on-warn`; reaching here means it passed.
    assert openapi["openapi"].startswith("3.0")
    assert {SIMULATE, ANALYZE, *LOOKUPS} <= set(openapi["paths"])


def test_the_walk_finds_untyped_schemas():
    schema = {
        "type": "object",
        "properties": {
            "bare": {"type": "object"},
            "free": {"type": "object", "additionalProperties": {}},
            "typed_map": {"type": "object", "additionalProperties": {"type": "string"}},
            "none": {"description": "no type"},
            "list": {"type": "array", "items": {"type": "object"}},
            "ref": {"allOf": [{"$ref": "#/components/schemas/X"}], "nullable": True},
            "empty": {"type": "object", "properties": {}, "additionalProperties": False},
        },
    }
    assert list(_untyped(schema, "s")) == [
        "s.bare", "s.free.additionalProperties", "s.none", "s.list[]",
    ]


def test_no_body_or_component_is_an_untyped_object(openapi, components):
    found = []
    for name, schema in components.items():
        found += _untyped(schema, f"components.{name}")
    for where, schema in _content_schemas(openapi):
        found += _untyped(schema, where)
    unexpected = [where for where in found if where.replace(".additionalProperties", "")
                  not in ALLOWED_UNTYPED]
    assert unexpected == []


def test_descriptions_do_not_cite_the_spec(openapi):
    # A client reading the document has no copy of our spec: say what a field means.
    import json

    text = json.dumps(openapi, ensure_ascii=False)
    assert "§" not in text
    assert "api spec" not in text.lower()


REQUEST_COMPONENTS = (
    "RebalanceRequest", "BatchRebalanceRequest", "SimulationScenario", "PortfolioSnapshot",
    "Position", "TaxLot", "CashBalance", "Money", "MarketDataSnapshot", "Price", "FxRate",
    "ModelPortfolio", "ModelTarget", "ShelfEntry", "EngineOptions", "SuitabilityThresholds",
    "GroupConstraint",
)


@pytest.mark.parametrize("name", REQUEST_COMPONENTS)
def test_every_request_field_says_what_it_means(components, name):
    component = components[name]
    assert component.get("description"), name
    undescribed = [field for field, prop in component["properties"].items()
                   if not prop.get("description")]
    assert undescribed == []


# --- simulate / analyze -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "request_component", "result_component"),
    [(SIMULATE, "RebalanceRequest", "RebalanceResult"),
     (ANALYZE, "BatchRebalanceRequest", "BatchRebalanceResult")],
)
def test_bodies_reference_their_components(openapi, path, request_component, result_component):
    operation = openapi["paths"][path]["post"]
    assert ref_name(operation["requestBody"]["content"][JSON]["schema"]) == request_component
    assert operation["requestBody"]["required"] is True
    responses = operation["responses"]
    assert ref_name(responses["200"]["content"][JSON]["schema"]) == result_component
    assert ref_name(responses["422"]["content"][PROBLEM]["schema"]) == "ValidationProblem"
    for status in ("401", "403", "413", "429", "500"):
        assert ref_name(responses[status]["content"][PROBLEM]["schema"]) == "Problem"
    # 401/403/429: the API key, the simulate role and the client's rate (access control).
    # 503: the database (which checking the key needs) cannot be reached.
    expected = {"200", "401", "403", "413", "422", "429", "500", "503"} | ({"409"} if path == SIMULATE else set())
    assert set(responses) == expected
    for response in responses.values():
        assert list(response["content"]) in ([JSON], [PROBLEM])  # never a bare `*/*`


@pytest.mark.parametrize(("path", "method"), [(SIMULATE, "post"), (ANALYZE, "post"), ("/metrics", "get")]
                         + [(path, "get") for path in sorted(LOOKUPS)])
def test_operations_need_an_api_key_and_document_its_refusals(openapi, path, method):
    operation = openapi["paths"][path][method]
    assert operation["security"] == [{"ApiKeyAuth": []}]
    responses = operation["responses"]
    for status in ("401", "403", "429"):
        assert list(responses[status]["content"]) == [PROBLEM], status
        assert ref_name(responses[status]["content"][PROBLEM]["schema"]) == "Problem", status
    assert responses["401"]["headers"]["WWW-Authenticate"]["schema"]["enum"] == ["Api-Key"]
    assert responses["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
    assert responses["503"]["headers"]["Retry-After"]["required"] is True
    assert _examples(openapi, path, method, "503")["Example"]["detail"] == "DATABASE_UNAVAILABLE"
    if method == "get" and path in LOOKUPS:
        assert set(responses) == {"200", "401", "403", "404", "429", "503"}


def test_the_api_key_scheme_is_declared(openapi):
    scheme = openapi["components"]["securitySchemes"]["ApiKeyAuth"]
    assert {k: scheme[k] for k in ("type", "in", "name")} == {
        "type": "apiKey", "in": "header", "name": "Authorization",
    }
    assert "Api-Key <key>" in scheme["description"]
    # The document itself is public: no global requirement.
    assert "security" not in openapi


def test_simulate_409_is_a_problem(openapi):
    response = openapi["paths"][SIMULATE]["post"]["responses"]["409"]
    assert ref_name(response["content"][PROBLEM]["schema"]) == "Problem"


def test_result_components_are_wired_together(components):
    result = components["RebalanceResult"]["properties"]
    assert ref_name(result["intents"]["items"]) == "TradeIntent"
    union = components["TradeIntent"]
    assert union["discriminator"] == {
        "propertyName": "intent_type",
        "mapping": {
            "SECURITY_TRADE": "#/components/schemas/SecurityTradeIntent",
            "FX_SPOT": "#/components/schemas/FxSpotIntent",
        },
    }
    assert ref_name(result["status"]) == "RebalanceStatusEnum"
    assert components["RebalanceStatusEnum"]["enum"] == ["READY", "PENDING_REVIEW", "BLOCKED"]
    for nullable in ("reconciliation", "tax_impact", "gate_decision"):
        assert result[nullable]["nullable"] is True
    assert set(components["RebalanceResult"]["required"]) == set(result)
    explanation = components["Explanation"]
    assert explanation["required"] == ["summary"]  # target_method_comparison is optional
    assert explanation["properties"]["target_method_comparison"]["nullable"] is True
    batch = components["BatchRebalanceResult"]["properties"]
    assert ref_name(batch["results"]["additionalProperties"]) == "RebalanceResult"
    assert ref_name(batch["comparison_metrics"]["additionalProperties"]) == "BatchScenarioMetric"
    assert batch["failed_scenarios"]["additionalProperties"] == {"type": "string"}


def test_decimals_are_documented_as_strings(components):
    weight = components["PositionSummary"]["properties"]["weight"]
    assert weight["type"] == "string" and weight["format"] == "decimal"
    assert components["ResultMoney"]["properties"]["amount"]["format"] == "decimal"
    recipients = components["GroupConstraintEvent"]["properties"]["recipients"]
    assert recipients["additionalProperties"]["format"] == "decimal"


def test_lookup_result_is_a_rebalance_result(components):
    result = components["DpmRunLookupResponse"]["properties"]["result"]
    assert ref_name(result) == "RebalanceResult"


# --- Headers ------------------------------------------------------------------------------


def test_response_headers_are_documented(openapi):
    for path in (SIMULATE, ANALYZE):
        for status, response in openapi["paths"][path]["post"]["responses"].items():
            assert response["headers"]["X-Correlation-Id"]["required"] is True, (path, status)
    simulate = openapi["paths"][SIMULATE]["post"]["responses"]
    replayed = simulate["200"]["headers"]["Idempotent-Replayed"]
    assert sorted(replayed["schema"]["enum"]) == ["false", "true"]
    assert simulate["409"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "Idempotent-Replayed" not in simulate["409"]["headers"]
    assert "Retry-After" not in simulate["200"]["headers"]
    request_headers = {p["name"] for p in openapi["paths"][SIMULATE]["post"]["parameters"]}
    assert request_headers == {"Idempotency-Key", "X-Correlation-Id"}


# --- Examples -----------------------------------------------------------------------------


def test_simulate_has_an_example_per_status(openapi):
    examples = _examples(openapi, SIMULATE, "post", "200")
    assert sorted(value["status"] for value in examples.values()) == [
        "BLOCKED", "PENDING_REVIEW", "READY",
    ]
    blocked = next(v for v in examples.values() if v["status"] == "BLOCKED")
    assert blocked["explanation"] == {"summary": "Blocked"}  # the early-block shape
    ready = next(v for v in examples.values() if v["status"] == "READY")
    assert {i["intent_type"] for i in ready["intents"]} == {"SECURITY_TRADE", "FX_SPOT"}


def test_simulate_409_examples(openapi):
    examples = _examples(openapi, SIMULATE, "post", "409")
    assert sorted(value["detail"] for value in examples.values()) == [
        "IDEMPOTENCY_KEY_CONFLICT: request hash mismatch",
        "IDEMPOTENCY_KEY_IN_PROGRESS",
    ]
    assert all(value["status"] == 409 for value in examples.values())


@pytest.mark.parametrize(("path", "status"), [
    (SIMULATE, "413"), (SIMULATE, "422"), (SIMULATE, "500"),
    (ANALYZE, "200"), (ANALYZE, "413"), (ANALYZE, "422"), (ANALYZE, "500"),
])
def test_other_responses_have_examples(openapi, path, status):
    examples = _examples(openapi, path, "post", status)
    assert examples
    if status != "200":
        assert all(value["status"] == int(status) for value in examples.values())


@pytest.mark.parametrize("path", sorted(LOOKUPS))
def test_lookups_have_404_examples(openapi, path):
    examples = _examples(openapi, path, "get", "404")
    assert {value["detail"] for value in examples.values()} == LOOKUPS[path]


@pytest.mark.parametrize("path", sorted(LOOKUPS))
def test_lookups_show_the_run_of_the_ready_simulate_example(openapi, path):
    # Supplied to dpm_runs by rebalance.schema; a lost registration leaves no example.
    (found,) = _examples(openapi, path, "get", "200").values()
    ready_run_id = next(
        value["rebalance_run_id"] for name, value in _examples(openapi, SIMULATE, "post", "200").items()
        if value["status"] == "READY"
    )
    assert found["rebalance_run_id"] == ready_run_id


def _all_examples(openapi):
    for path, method, operation in _operations(openapi):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += list(operation["responses"].items())
        for status, body in bodies:
            for media, content in body.get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    yield (f"{method} {path} {status} {media} {name}", example["value"],
                           content["schema"])


def test_every_example_has_exactly_the_keys_of_its_component(openapi, components):
    checked = 0
    for where, value, schema in _all_examples(openapi):
        assert ref_name(schema), f"{where}: body schema is not a component"
        component = components[ref_name(schema)]
        assert set(component["required"]) <= set(value) <= set(component["properties"]), where
        assert key_errors(value, schema, components) == [], where
        checked += 1
    assert checked >= 20


def test_every_example_validates_against_its_schema(openapi, components):
    for where, value, schema in _all_examples(openapi):
        assert schema_errors(value, schema, components) == [], where


def test_the_run_store_app_imports_nothing_of_the_simulation_app():
    # The lookups' examples are supplied by the simulation (rebalance.schema); the run
    # store itself must stay free of it, so either app can change without the other.
    import ast
    from pathlib import Path

    offenders = []
    for path in Path("dpm_runs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {name}" for name in names if name.split(".")[0] == "rebalance"]
    assert offenders == []


# --- Operations endpoints -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_health_checks_are_public_operations(openapi, path):
    operation = openapi["paths"][path]["get"]
    assert "security" not in operation or operation["security"] in ([], [{}])
    assert ref_name(operation["responses"]["200"]["content"][JSON]["schema"]) == "HealthStatus"
    expected = {"200"} if path.endswith("live") else {"200", "503"}
    assert set(operation["responses"]) == expected


def test_readiness_documents_both_503_codes(openapi):
    response = openapi["paths"]["/health/ready"]["get"]["responses"]["503"]
    assert ref_name(response["content"][PROBLEM]["schema"]) == "Problem"
    assert response["headers"]["Retry-After"]["required"] is True
    assert {v["detail"] for v in _examples(openapi, "/health/ready", "get", "503").values()} == {
        "DATABASE_UNAVAILABLE", "MIGRATIONS_PENDING",
    }


def test_metrics_are_prometheus_text(openapi):
    responses = openapi["paths"]["/metrics"]["get"]["responses"]
    assert responses["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    assert set(responses) == {"200", "401", "403", "429", "503"}

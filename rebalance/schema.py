"""OpenAPI description of the simulation endpoints (drf-spectacular).

Request bodies are the pydantic models of ``rebalance/boundary``; response bodies are
the typed dicts of ``rebalance/boundary/responses.py``; problem details and shared
headers come from ``lotus_manage/openapi.py``. Every example is produced by the service's
own code (``rebalance/openapi_examples.py``).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from lotus_manage.openapi import (
    CORRELATION_ID_RESPONSE_HEADER,
    Problem,
    problem_body,
    problem_example,
    server_error_response,
    too_large_response,
    validation_response,
)
from dpm_runs.openapi import provide_example
from lotus_manage.problems import PROBLEM_CONTENT_TYPE
from rebalance import openapi_examples as examples
from rebalance.boundary import BatchRebalanceRequest, RebalanceRequest
from rebalance.boundary.responses import BatchRebalanceResult, RebalanceResult
from rebalance.headers import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_MAX_LENGTH
from rebalance.services import IDEMPOTENCY_CONFLICT, IDEMPOTENCY_IN_PROGRESS

JSON = "application/json"
SIMULATE_PATH = "/rebalance/simulate"
ANALYZE_PATH = "/rebalance/analyze"

# The run lookups show the run of the READY simulate example; the run store documents the
# lookups, the simulation supplies what a stored run holds.
provide_example("run_lookup", examples.run_lookup)
provide_example("idempotency_lookup", examples.idempotency_lookup)

# --- Headers ------------------------------------------------------------------------------

# The keys rebalance.headers.idempotency_key_issue accepts: printable ASCII, no space at
# either end (the length is the parameter's maxLength).
IDEMPOTENCY_KEY_PATTERN = "^[!-~]([ -~]*[!-~])?$"
# The ids lotus_manage.middleware accepts; empty counts as absent.
CORRELATION_ID_PATTERN = "^[A-Za-z0-9._:@+=~-]{0,128}$"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    # Exactly what rebalance.headers.idempotency_key_issue lets through.
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
     "pattern": IDEMPOTENCY_KEY_PATTERN},
    OpenApiParameter.HEADER, required=True,
    description=f"Client-chosen key (1-{IDEMPOTENCY_KEY_MAX_LENGTH} printable characters). "
    "Same key and same canonical body replays the stored result; same key and a different "
    "body is 409.",
)
CORRELATION_ID_PARAMETER = OpenApiParameter(
    "X-Correlation-Id", {"type": "string", "pattern": CORRELATION_ID_PATTERN},
    OpenApiParameter.HEADER, required=False,
    description="Optional trace id (1-128 of A-Z a-z 0-9 . _ : @ + = ~ -); generated when absent "
    "or empty, and echoed in the X-Correlation-Id response header.",
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


def _validation_example(name: str, path: str, produce) -> examples.EngineExample:
    return examples.EngineExample(
        name, lambda: problem_body(422, produce(), path), response_only=True
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
    request={JSON: RebalanceRequest},
    parameters=[
        IDEMPOTENCY_KEY_PARAMETER,
        CORRELATION_ID_PARAMETER,
        CORRELATION_ID_RESPONSE_HEADER,
        IDEMPOTENT_REPLAYED_HEADER,
        RETRY_AFTER_HEADER,
    ],
    examples=[
        OpenApiExample(
            "Rebalance request", value=examples.SIMULATE_REQUEST, request_only=True,
            description="Its result is the READY example.",
        ),
    ],
    responses={
        200: OpenApiResponse(
            RebalanceResult,
            description="The simulation result; `status` is the domain outcome.",
            examples=[
                examples.EngineExample(
                    "Ready", lambda: examples.simulate_result("READY"),
                    summary="READY: sell, FX funding, then the buy that depends on it",
                    description="The result of the request example.",
                ),
                examples.EngineExample(
                    "Pending review", lambda: examples.simulate_result("PENDING_REVIEW"),
                    summary="PENDING_REVIEW: a position cap left weight with nowhere to go",
                    description="USD 10,000 cash, model 100 % EQ_1, "
                    "`single_position_max_weight` 0.5.",
                ),
                examples.EngineExample(
                    "Blocked", lambda: examples.simulate_result("BLOCKED"),
                    summary="BLOCKED: a model instrument has no shelf entry",
                    description="As PENDING_REVIEW but without shelf entries and options: "
                    "the run stops before sizing trades (`explanation` is "
                    '`{"summary": "Blocked"}`).',
                ),
            ],
        ),
        (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            Problem,
            description="The Idempotency-Key is taken: by a different body, or by the same "
            "body still being computed (then `Retry-After` says when to retry).",
            examples=[
                problem_example(
                    "Idempotency key conflict", 409, IDEMPOTENCY_CONFLICT, SIMULATE_PATH,
                    "The key was used with a different canonical body (e.g. "
                    "`cash_band_max_weight` changed from 0.20 to 0.25).",
                ),
                problem_example(
                    "Idempotency key in progress", 409, IDEMPOTENCY_IN_PROGRESS, SIMULATE_PATH,
                    "The first call with this key and body is still running; the response "
                    "carries `Retry-After`.",
                ),
            ],
        ),
        (413, PROBLEM_CONTENT_TYPE): too_large_response(SIMULATE_PATH),
        (422, PROBLEM_CONTENT_TYPE): validation_response(
            [_validation_example("Validation issues", SIMULATE_PATH, examples.simulate_issues)],
            "Example: no Idempotency-Key, a lower-case `target_method` and a malformed "
            "group-constraint key.",
        ),
        (500, PROBLEM_CONTENT_TYPE): server_error_response(SIMULATE_PATH),
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
    request={JSON: BatchRebalanceRequest},
    parameters=[CORRELATION_ID_PARAMETER, CORRELATION_ID_RESPONSE_HEADER],
    examples=[
        OpenApiExample(
            "What-if request", value=examples.ANALYZE_REQUEST, request_only=True,
            description="Two scenarios; `bad_group` has invalid options.",
        ),
    ],
    responses={
        200: OpenApiResponse(
            BatchRebalanceResult,
            description="Results of the scenarios that ran, and why the others failed.",
            examples=[
                examples.EngineExample(
                    "Partial batch", examples.batch_result,
                    summary="One scenario ran (PENDING_REVIEW), one had invalid options",
                    description="The result of the request example.",
                ),
            ],
        ),
        (413, PROBLEM_CONTENT_TYPE): too_large_response(ANALYZE_PATH),
        (422, PROBLEM_CONTENT_TYPE): validation_response(
            [_validation_example("Validation issues", ANALYZE_PATH, examples.analyze_issues)],
            "Example: a scenario named `Baseline` (names are lower case).",
        ),
        (500, PROBLEM_CONTENT_TYPE): server_error_response(ANALYZE_PATH),
    },
)

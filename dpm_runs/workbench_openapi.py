"""OpenAPI description of the support workbench endpoints (GET /rebalance/runs, history,
support bundle, verify).

Self-contained on purpose: the shared simulate/lookup schema helpers are moving
out of the rebalance app, and dpm_runs must not import rebalance anyway. The
shared components (``Problem``, ``ValidationProblem``, ``RebalanceRequest``,
``RebalanceResult``) are referred to by their component names.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers

from .models import KeyOutcome, RunStatus

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
VALIDATION_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ValidationProblem"}
_EXAMPLE_CORRELATION = "corr_0f8e0c6b2f4a4c1e9d3b7a5c1e2f3a4b"
_TIMESTAMP_HELP = "ISO-8601 UTC with `+00:00`, microseconds when non-zero."

CORRELATION_ID_RESPONSE_HEADER = OpenApiParameter(
    "X-Correlation-Id", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, response=True,
    description="The request's correlation id: the X-Correlation-Id it sent, or a generated "
    "`corr_<32 hex>`. Sent on every response, errors included.",
)


@extend_schema_field({"type": "object"})
class CanonicalRequestField(serializers.JSONField):
    """The stored canonical request: the normalised form of a simulate request (every field
    present, defaults filled in, decimals as their canonical text). Documented as an
    object rather than as RebalanceRequest, whose text rules describe what clients send."""


@extend_schema_field({"$ref": "#/components/schemas/RebalanceResult"})
class RebalanceResultRefField(serializers.JSONField):
    """A stored result, exactly as its caller received it."""


@extend_schema_field({})
class AnyJsonValueField(serializers.JSONField):
    """Any JSON value (a compared value of a verification difference)."""


class DpmRunSummarySerializer(serializers.Serializer):
    """A recorded run without its result."""

    rebalance_run_id = serializers.CharField()
    correlation_id = serializers.CharField()
    idempotency_key = serializers.CharField(allow_null=True, help_text="null for analyze runs.")
    portfolio_id = serializers.CharField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    request_hash = serializers.CharField()
    batch_run_id = serializers.CharField(allow_null=True, help_text="The analyze call's batch; null for simulate runs.")
    created_at = serializers.DateTimeField(help_text=_TIMESTAMP_HELP)


class DpmRunListResponseSerializer(serializers.Serializer):
    items = DpmRunSummarySerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )


class DpmIdempotencyHistoryEntrySerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField(help_text=_TIMESTAMP_HELP)
    correlation_id = serializers.CharField()
    request_hash = serializers.CharField(help_text="Hash of the request that presented the key.")
    outcome = serializers.ChoiceField(
        choices=KeyOutcome.choices,
        help_text="`executed`: the engine ran and the key now maps to the run; `replayed`: the "
        "stored run was returned; `conflict`: 409, another request hash; `in_progress`: 409, the "
        "key was being computed; `re_executed`: replay was off, the engine ran again.",
    )
    rebalance_run_id = serializers.CharField(allow_null=True, help_text="null for conflict and in_progress.")


class DpmIdempotencyHistorySerializer(serializers.Serializer):
    idempotency_key = serializers.CharField()
    history = DpmIdempotencyHistoryEntrySerializer(many=True, help_text="Oldest first.")


class DpmIdempotencyMappingSerializer(serializers.Serializer):
    request_hash = serializers.CharField()
    rebalance_run_id = serializers.CharField()
    created_at = serializers.DateTimeField(help_text=_TIMESTAMP_HELP)


class DpmBundleIdempotencySerializer(serializers.Serializer):
    idempotency_key = serializers.CharField()
    mapping = DpmIdempotencyMappingSerializer(
        allow_null=True, help_text="The key's current completed mapping (null while in flight)."
    )
    history = DpmIdempotencyHistoryEntrySerializer(many=True, help_text="Oldest first.")


class DpmRunHoldSerializer(serializers.Serializer):
    held_at = serializers.DateTimeField(help_text=_TIMESTAMP_HELP)
    held_by = serializers.CharField(help_text="`admin:<user>` or `cli:<user>`.")
    reason = serializers.CharField()


class DpmBundleIntegritySerializer(serializers.Serializer):
    request_hash = serializers.CharField()
    result_sha256 = serializers.CharField(help_text="Hex SHA-256 of the stored result's UTF-8 bytes (the `result` member as sent).")


class DpmSupportBundleSerializer(serializers.Serializer):
    """One run's case file for support staff."""

    bundle_version = serializers.IntegerField()
    generated_at = serializers.DateTimeField(help_text=_TIMESTAMP_HELP)
    run = DpmRunSummarySerializer()
    engine_version = serializers.CharField(help_text="The engine release that produced the result.")
    hold = DpmRunHoldSerializer(allow_null=True, help_text="The legal hold, if any.")
    request = CanonicalRequestField(
        help_text="The stored canonical request. Sent to POST /rebalance/simulate with the run's "
        "Idempotency-Key by the run's client, it replays this run."
    )
    result = RebalanceResultRefField(help_text="The stored result, as GET /rebalance/runs/{id} returns it.")
    idempotency = DpmBundleIdempotencySerializer(allow_null=True, help_text="null for analyze runs.")
    related_runs = DpmRunSummarySerializer(many=True, help_text="Runs with the same correlation id or batch, newest first (at most 100).")
    integrity = DpmBundleIntegritySerializer()


class DpmRunDifferenceSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="JSON Pointer into the result; `` for the whole document.")
    stored = AnyJsonValueField(allow_null=True, help_text="The stored value (numbers as their text when not integers).")
    recomputed = AnyJsonValueField(allow_null=True, help_text="The value the engine produces now.")


class DpmRunVerificationSerializer(serializers.Serializer):
    rebalance_run_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=[("MATCH", "MATCH"), ("DRIFT", "DRIFT")])
    differences = DpmRunDifferenceSerializer(many=True, help_text="Empty on MATCH; at most 100.")
    engine_version = serializers.CharField(help_text="The engine release that re-simulated the run.")
    verified_at = serializers.DateTimeField(help_text=_TIMESTAMP_HELP)


def problem_example(name: str, status: int, detail: Any, instance: str) -> OpenApiExample:
    return OpenApiExample(name, value={
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "correlation_id": _EXAMPLE_CORRELATION,
    })


def problem_response(status: int, description: str, instance: str, *codes: str) -> OpenApiResponse:
    """A problem-details answer with one example per ``detail`` code."""
    return OpenApiResponse(
        PROBLEM_SCHEMA, description=description,
        examples=[problem_example(code, status, code, instance) for code in codes],
    )


def validation_response(instance: str, issues: list[dict[str, Any]]) -> OpenApiResponse:
    return OpenApiResponse(
        VALIDATION_PROBLEM_SCHEMA,
        description="An unknown or repeated query parameter, a limit outside 1-200, a date "
        "without an offset, an unknown status: `detail` lists every issue.",
        examples=[problem_example("Invalid query", 422, issues, instance)],
    )


def path_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH)


SUMMARY_EXAMPLE = {
    "rebalance_run_id": "rr_c24203fb",
    "correlation_id": "corr-spec-001",
    "idempotency_key": "spec-idem-001",
    "portfolio_id": "pf_spec_1",
    "status": "READY",
    "request_hash": "sha256:594f6d575544ad2bea108779e626034f67064d36a0c474d72d333d51d1461634",
    "batch_run_id": None,
    "created_at": "2026-02-20T12:00:00.123456+00:00",
}
LIST_EXAMPLE = {"items": [SUMMARY_EXAMPLE], "next_cursor": "eyJ2IjoxLCJ0IjoiMjAyNi0wMi0yMFQxMjowMDowMC4xMjM0NTYrMDA6MDAiLCJpIjo0MiwiZiI6IjJlMGU4ZjFhYjM0YzVkNmUifQ:1vQ2xY:4bQ0kW9fXw8o0T1mV7Yp0m3oJcA2l9rJx3cF8e1Kz5Q"}
HISTORY_EXAMPLE = {
    "idempotency_key": "spec-idem-001",
    "history": [
        {"occurred_at": "2026-02-20T12:00:00.123456+00:00", "correlation_id": "corr-spec-001",
         "request_hash": SUMMARY_EXAMPLE["request_hash"], "outcome": "executed",
         "rebalance_run_id": "rr_c24203fb"},
        {"occurred_at": "2026-02-20T12:00:05+00:00", "correlation_id": "corr-spec-002",
         "request_hash": SUMMARY_EXAMPLE["request_hash"], "outcome": "replayed",
         "rebalance_run_id": "rr_c24203fb"},
        {"occurred_at": "2026-02-20T12:01:00+00:00", "correlation_id": "corr-spec-003",
         "request_hash": "sha256:" + "0" * 64, "outcome": "conflict", "rebalance_run_id": None},
    ],
}
VERIFICATION_EXAMPLES = [
    OpenApiExample("Match", value={
        "rebalance_run_id": "rr_c24203fb", "outcome": "MATCH", "differences": [],
        "engine_version": "0.1.0", "verified_at": "2026-02-21T08:00:00.5+00:00",
    }),
    OpenApiExample("Drift", value={
        "rebalance_run_id": "rr_c24203fb", "outcome": "DRIFT",
        "differences": [{"path": "/status", "stored": "BLOCKED", "recomputed": "READY"}],
        "engine_version": "0.1.0", "verified_at": "2026-02-21T08:00:00.5+00:00",
    }),
]

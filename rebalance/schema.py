"""OpenAPI descriptions of the simulation endpoints (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from rebalance.serializers import BatchRebalanceRequestSerializer, RebalanceRequestSerializer

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

simulate_schema = extend_schema(
    operation_id="rebalance_simulate",
    summary="Simulate one rebalance",
    request=RebalanceRequestSerializer,
    parameters=[IDEMPOTENCY_KEY_PARAMETER, CORRELATION_ID_PARAMETER],
    responses={200: OpenApiTypes.OBJECT},
)

analyze_schema = extend_schema(
    operation_id="rebalance_analyze",
    summary="Run what-if scenarios over one snapshot",
    request=BatchRebalanceRequestSerializer,
    parameters=[CORRELATION_ID_PARAMETER],
    responses={200: OpenApiTypes.OBJECT},
)

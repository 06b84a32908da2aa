"""GET /metrics: Prometheus text exposition, for API clients with the ``support`` role.

The numbers describe every client's traffic, so they are not public: Prometheus
scrapes with an API key (``authorization: {type: Api-Key, credentials: <key>}``,
see docs/operations.md). Throttled like the other support reads (DPM_THROTTLE_SUPPORT),
which a scrape every few seconds never comes near.
"""
from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework.views import APIView

from access_control.permissions import IsSupport
from access_control.throttling import SupportThrottle
from access_control.views import AccessLoggedViewMixin
from dpm_runs.views import JsonOnlyNegotiation


from .metrics import registry_to_expose
from .openapi import CORRELATION_ID_RESPONSE_HEADER

PROMETHEUS_TEXT = CONTENT_TYPE_LATEST.split(";")[0]  # text/plain


class MetricsView(AccessLoggedViewMixin, APIView):
    permission_classes = [IsSupport]
    throttle_classes = [SupportThrottle]
    # Prometheus asks for OpenMetrics or text; the answer is always the text format.
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(
        operation_id="metrics",
        summary="Prometheus metrics (support role)",
        description="Counters and histograms of every worker process in the Prometheus text "
        "format: `dpm_runs_recorded_total{status}`, "
        "`dpm_idempotency_outcomes_total{outcome}`, `dpm_simulate_duration_seconds{scope}`, "
        "`dpm_http_requests_total{method,route,status}`, "
        "`dpm_http_request_duration_seconds{method,route}`, `dpm_database_unavailable_total`.",
        parameters=[CORRELATION_ID_RESPONSE_HEADER],
        responses={(200, PROMETHEUS_TEXT): OpenApiResponse(OpenApiTypes.STR, description="Metrics.")},
        tags=["operations"],
    )
    def get(self, request):
        return HttpResponse(generate_latest(registry_to_expose()), content_type=CONTENT_TYPE_LATEST)

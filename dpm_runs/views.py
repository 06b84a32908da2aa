"""Support lookups of recorded runs: GET /rebalance/runs/... (api spec §2.6-§2.9)."""
from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.utils.encoding import escape_uri_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.negotiation import BaseContentNegotiation

from .rendering import idempotency_lookup_json, run_lookup_json
from .repository import RunRepository
from .serializers import (
    DpmRunIdempotencyLookupResponseSerializer,
    DpmRunLookupErrorSerializer,
    DpmRunLookupResponseSerializer,
)
from .toggles import support_apis_enabled

RUN_NOT_FOUND = "DPM_RUN_NOT_FOUND"
IDEMPOTENCY_KEY_NOT_FOUND = "DPM_IDEMPOTENCY_KEY_NOT_FOUND"
SUPPORT_APIS_DISABLED = "DPM_SUPPORT_APIS_DISABLED"

_EXAMPLE_RUN = {
    "rebalance_run_id": "rr_c24203fb",
    "correlation_id": "corr-spec-001",
    "request_hash": "sha256:594f6d575544ad2bea108779e626034f67064d36a0c474d72d333d51d1461634",
    "idempotency_key": "spec-idem-001",
    "portfolio_id": "pf_spec_001",
    "created_at": "2026-11-28T22:43:58.709992+00:00",
    "result": {"rebalance_run_id": "rr_c24203fb", "correlation_id": "corr-spec-001", "status": "READY"},
}
_EXAMPLE_MAPPING = {
    "idempotency_key": "spec-idem-001",
    "request_hash": _EXAMPLE_RUN["request_hash"],
    "rebalance_run_id": "rr_c24203fb",
    "created_at": _EXAMPLE_RUN["created_at"],
}


def _not_found_example(code: str) -> OpenApiExample:
    return OpenApiExample(code, value={"detail": code}, response_only=True, status_codes=["404"])


_DISABLED_EXAMPLE = _not_found_example(SUPPORT_APIS_DISABLED)


class JsonOnlyNegotiation(BaseContentNegotiation):
    """The lookups always answer JSON, whatever the Accept header says (no 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _require_support_apis() -> None:
    """404 DPM_SUPPORT_APIS_DISABLED unless enabled; read per request (api spec §1.10)."""
    if not support_apis_enabled():
        raise exceptions.NotFound(SUPPORT_APIS_DISABLED)


def _json(text: str) -> HttpResponse:
    return HttpResponse(text.encode("utf-8"), content_type="application/json")


class RunLookupViewSet(viewsets.ViewSet):
    """Read-only lookups of recorded runs for support staff.

    Successful answers are built as JSON text around the stored result (see
    dpm_runs/rendering.py) and returned as plain HttpResponses; errors go
    through DRF's exception handling with the contract's ``detail`` codes.
    """

    repository = RunRepository()
    content_negotiation_class = JsonOnlyNegotiation
    # No OPTIONS metadata: any method but GET/HEAD answers 405.
    metadata_class = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        # The contract's wording rather than DRF's 'Method "POST" not allowed.'
        raise exceptions.MethodNotAllowed(request.method, detail="Method Not Allowed")

    @extend_schema(
        operation_id="get_run_by_id",
        summary="Fetch one recorded run",
        parameters=[OpenApiParameter("rebalance_run_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: DpmRunLookupResponseSerializer, 404: DpmRunLookupErrorSerializer},
        examples=[
            OpenApiExample("Run", value=_EXAMPLE_RUN, response_only=True, status_codes=["200"]),
            _not_found_example(RUN_NOT_FOUND),
            _DISABLED_EXAMPLE,
        ],
        tags=["runs"],
    )
    def retrieve(self, request, rebalance_run_id: str):
        """The run with this exact, case-sensitive id."""
        _require_support_apis()
        run = self.repository.get_run(rebalance_run_id)
        if run is None:
            raise exceptions.NotFound(RUN_NOT_FOUND)
        return _json(run_lookup_json(run))

    @extend_schema(
        operation_id="get_latest_run_by_correlation",
        summary="Fetch the latest run recorded for a correlation id",
        description="Latest = most recently recorded; among equal timestamps, the one written last.",
        parameters=[OpenApiParameter("correlation_id", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: DpmRunLookupResponseSerializer, 404: DpmRunLookupErrorSerializer},
        examples=[
            OpenApiExample("Run", value=_EXAMPLE_RUN, response_only=True, status_codes=["200"]),
            _not_found_example(RUN_NOT_FOUND),
            _DISABLED_EXAMPLE,
        ],
        tags=["runs"],
    )
    def by_correlation(self, request, correlation_id: str):
        """The latest run carrying exactly this correlation id."""
        _require_support_apis()
        run = self.repository.get_latest_by_correlation(correlation_id)
        if run is None:
            raise exceptions.NotFound(RUN_NOT_FOUND)
        return _json(run_lookup_json(run))

    @extend_schema(
        operation_id="get_run_by_idempotency_key",
        summary="Fetch the key -> run mapping of a simulate call",
        parameters=[OpenApiParameter("idempotency_key", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses={200: DpmRunIdempotencyLookupResponseSerializer, 404: DpmRunLookupErrorSerializer},
        examples=[
            OpenApiExample("Mapping", value=_EXAMPLE_MAPPING, response_only=True, status_codes=["200"]),
            _not_found_example(IDEMPOTENCY_KEY_NOT_FOUND),
            _DISABLED_EXAMPLE,
        ],
        tags=["runs"],
    )
    def by_idempotency_key(self, request, idempotency_key: str):
        """The completed mapping of this exact key."""
        _require_support_apis()
        mapping = self.repository.get_idempotency(idempotency_key)
        if mapping is None:
            raise exceptions.NotFound(IDEMPOTENCY_KEY_NOT_FOUND)
        return _json(idempotency_lookup_json(mapping))


class TemporaryRedirect(HttpResponseRedirect):
    status_code = 307


def redirect_without_trailing_slash(request, **kwargs):
    """307 to the same lookup without its trailing slash (api spec §2.9)."""
    location = escape_uri_path(request.path[:-1])
    if request.META.get("QUERY_STRING"):
        location += "?" + request.META["QUERY_STRING"]
    return TemporaryRedirect(location)

"""Lookups of recorded runs: GET /rebalance/runs/... (api spec §2.6-§2.9).

Who sees what: a caller with the ``support`` role reads any run; a caller with
only ``simulate`` reads its own, and another client's run answers the same 404
as a run that does not exist. Every lookup, found or not, is an access event.
"""
from __future__ import annotations

from django.http import HttpResponse, HttpResponseRedirect
from django.utils.encoding import escape_uri_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.negotiation import BaseContentNegotiation

from access_control import audit
from access_control.permissions import CanReadRuns
from access_control.throttling import SupportThrottle
from access_control.views import AccessLoggedViewMixin
from lotus_manage.openapi import CORRELATION_ID_RESPONSE_HEADER, not_found_response
from lotus_manage.problems import PROBLEM_CONTENT_TYPE

from .openapi import DpmRunIdempotencyLookupResponse, DpmRunLookupResponse, LookupExample
from .rendering import idempotency_lookup_json, run_lookup_json
from .repository import RunRepository
from .scopes import key_space, run_scope
from .toggles import support_apis_enabled

RUN_NOT_FOUND = "DPM_RUN_NOT_FOUND"
IDEMPOTENCY_KEY_NOT_FOUND = "DPM_IDEMPOTENCY_KEY_NOT_FOUND"
SUPPORT_APIS_DISABLED = "DPM_SUPPORT_APIS_DISABLED"


def _lookup_schema(
    operation_id: str,
    summary: str,
    parameter: str,
    path: str,
    body,
    example: str,
    not_found: str,
    description: str | None = None,
):
    """OpenAPI description of one lookup: 200 body with its example, 404 problem details."""
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        parameters=[
            OpenApiParameter(parameter, OpenApiTypes.STR, OpenApiParameter.PATH),
            CORRELATION_ID_RESPONSE_HEADER,
        ],
        responses={
            200: OpenApiResponse(body, examples=[LookupExample("Found", example)]),
            (404, PROBLEM_CONTENT_TYPE): not_found_response(not_found, SUPPORT_APIS_DISABLED, instance=path),
        },
        tags=["runs"],
    )


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


_AUDIT_ACTIONS = {
    "retrieve": (audit.LOOKUP_RUN, "rebalance_run_id"),
    "by_correlation": (audit.LOOKUP_BY_CORRELATION, "correlation_id"),
    "by_idempotency_key": (audit.LOOKUP_BY_IDEMPOTENCY_KEY, "idempotency_key"),
}


class RunLookupViewSet(AccessLoggedViewMixin, viewsets.ViewSet):
    """Read-only lookups of recorded runs for support staff.

    Successful answers are built as JSON text around the stored result (see
    dpm_runs/rendering.py) and returned as plain HttpResponses; errors go
    through DRF's exception handling with the contract's ``detail`` codes.
    """

    repository = RunRepository()
    permission_classes = [CanReadRuns]
    throttle_classes = [SupportThrottle]
    content_negotiation_class = JsonOnlyNegotiation
    # No OPTIONS metadata: any method but GET/HEAD answers 405.
    metadata_class = None

    def http_method_not_allowed(self, request, *args, **kwargs):
        # The contract's wording rather than DRF's 'Method "POST" not allowed.'
        raise exceptions.MethodNotAllowed(request.method, detail="Method Not Allowed")

    def audit_read(self, request, response) -> None:
        action, kwarg = _AUDIT_ACTIONS.get(self.action, (None, None))
        if action is None or response.status_code not in (200, 404):
            return
        target = self.kwargs.get(kwarg, "")
        if "client" in request.query_params:
            target += f"?client={request.query_params['client']}"
        audit.record_request(
            request, actor=self.actor(request), action=action, target=target,
            outcome=response.status_code,
        )

    @_lookup_schema(
        "get_run_by_id",
        "Fetch one recorded run",
        "rebalance_run_id",
        "/rebalance/runs/rr_c24203fb",
        DpmRunLookupResponse,
        "run_lookup",
        RUN_NOT_FOUND,
    )
    def retrieve(self, request, rebalance_run_id: str):
        """The run with this exact, case-sensitive id."""
        _require_support_apis()
        run = self.repository.get_run(rebalance_run_id, client_id=run_scope(request))
        if run is None:
            raise exceptions.NotFound(RUN_NOT_FOUND)
        return _json(run_lookup_json(run))

    @_lookup_schema(
        "get_latest_run_by_correlation",
        "Fetch the latest run recorded for a correlation id",
        "correlation_id",
        "/rebalance/runs/by-correlation/corr-spec-001",
        DpmRunLookupResponse,
        "run_lookup",
        RUN_NOT_FOUND,
        description="Latest = the greatest `created_at`; among equal timestamps, the run "
        "written last. Exact, case-sensitive, whole-value match.",
    )
    def by_correlation(self, request, correlation_id: str):
        """The latest run carrying exactly this correlation id."""
        _require_support_apis()
        run = self.repository.get_latest_by_correlation(correlation_id, client_id=run_scope(request))
        if run is None:
            raise exceptions.NotFound(RUN_NOT_FOUND)
        return _json(run_lookup_json(run))

    @_lookup_schema(
        "get_run_by_idempotency_key",
        "Fetch the key -> run mapping of a simulate call",
        "idempotency_key",
        "/rebalance/runs/idempotency/spec-idem-001",
        DpmRunIdempotencyLookupResponse,
        "idempotency_lookup",
        IDEMPOTENCY_KEY_NOT_FOUND,
    )
    def by_idempotency_key(self, request, idempotency_key: str):
        """The completed mapping of this exact key."""
        _require_support_apis()
        space = key_space(request)
        mapping = None if space is None else self.repository.get_idempotency(idempotency_key, client_id=space)
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

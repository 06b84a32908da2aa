"""The support workbench's HTTP endpoints (issue 8).

* GET  /rebalance/runs                                  run listing (simulate: own runs; support: all)
* GET  /rebalance/runs/idempotency/{key}/history         a key's history (key spaces as the key lookup)
* GET  /rebalance/runs/{rebalance_run_id}/support-bundle one run's case file (support)
* POST /rebalance/runs/{rebalance_run_id}/verify         re-simulate and compare (support)

Thin views: parse, call a selector or service, send JSON. Every answer that
reads run data (found or not) is an access event; all are throttled as support
reads and switched off with the other lookups by DPM_SUPPORT_APIS_ENABLED.
"""
from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.views import APIView

from access_control import audit
from access_control.permissions import CanReadRuns, IsSupport
from access_control.throttling import SupportThrottle
from access_control.views import AccessLoggedViewMixin
from lotus_manage.problems import PROBLEM_CONTENT_TYPE, ServiceError, validation_problem

from . import workbench_openapi as docs
from .bundles import support_bundle_json
from .cursors import CURSOR_PATTERN, InvalidCursor, decode_cursor, encode_cursor, fingerprint
from .key_history import key_history
from .list_params import DEFAULT_LIMIT, MAX_LIMIT, NO_NUL_PATTERN, parse_list_params
from .listing import list_runs
from .scopes import key_space, run_scope
from .summaries import key_event_json, run_summary
from .toggles import support_apis_enabled
from .views import IDEMPOTENCY_KEY_NOT_FOUND, RUN_NOT_FOUND, SUPPORT_APIS_DISABLED, JsonOnlyNegotiation

CURSOR_INVALID = "DPM_CURSOR_INVALID"


def _json(value) -> HttpResponse:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(text.encode("utf-8"), content_type="application/json")


class _SupportEndpoint(AccessLoggedViewMixin, APIView):
    """What the workbench endpoints share: JSON only, support throttle, access events."""

    throttle_classes = [SupportThrottle]
    content_negotiation_class = JsonOnlyNegotiation
    parser_classes: list = []  # no endpoint here takes a body
    metadata_class = None
    # The access event's action, and the URL keyword that is its target.
    audit_action = ""
    audit_target_kwarg = ""

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed(request.method, detail="Method Not Allowed")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # After authentication and permissions: a refused caller learns nothing.
        if not support_apis_enabled():
            raise exceptions.NotFound(SUPPORT_APIS_DISABLED)

    def audit_target(self, request) -> str:
        target = self.kwargs.get(self.audit_target_kwarg, "")
        if "client" in request.query_params:
            target += f"?client={request.query_params['client']}"
        return target

    def audit_read(self, request, response) -> None:
        # 200 and 404 are reads (found or not); a 4xx on the query read nothing.
        if response.status_code not in (200, 404):
            return
        audit.record_request(
            request, actor=self.actor(request), action=self.audit_action,
            target=self.audit_target(request), outcome=response.status_code,
        )


_NOT_FOUND_HELP = "Problem details; `detail` says which: no such record, or the support endpoints " \
    "are switched off (`DPM_SUPPORT_APIS_ENABLED`)."
_LIST_ISSUES_EXAMPLE = [
    {"type": "extra_forbidden", "loc": ["query", "portfolio"], "msg": "Extra inputs are not permitted",
     "input": "pf_1"},
    {"type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or equal to 200",
     "input": "500", "ctx": {"le": 200}},
    {"type": "timezone_aware", "loc": ["query", "created_from"], "msg": "Input should have timezone info",
     "input": "2026-02-20T00:00:00"},
]


def _text_filter(name: str, description: str) -> OpenApiParameter:
    # No NUL characters: PostgreSQL text cannot hold one, and list_params.py answers 422.
    return OpenApiParameter(name, {"type": "string", "pattern": NO_NUL_PATTERN}, OpenApiParameter.QUERY,
                            description=description)


class RunListView(_SupportEndpoint):
    """GET /rebalance/runs: summaries of recorded runs, newest first, one page at a time."""

    permission_classes = [CanReadRuns]
    audit_action = audit.LIST_RUNS

    def audit_target(self, request) -> str:
        return request.META.get("QUERY_STRING", "")

    @extend_schema(
        operation_id="list_runs",
        summary="List recorded runs, newest first",
        description="Keyset pages in (created_at, id) order, newest first. A page's "
        "`next_cursor` continues exactly after its last run, so while new runs arrive every "
        "run present when paging began appears exactly once. The cursor is opaque and "
        "signed; it is valid only with the filters (and the caller) it was issued for. A "
        "`simulate`-only client lists its own runs; `support` lists every client's.",
        parameters=[
            _text_filter("portfolio_id", "Exact portfolio id."),
            OpenApiParameter("status", OpenApiTypes.STR, OpenApiParameter.QUERY,
                             enum=["READY", "PENDING_REVIEW", "BLOCKED"]),
            OpenApiParameter("created_from", OpenApiTypes.DATETIME, OpenApiParameter.QUERY,
                             description="Inclusive lower bound, ISO 8601 with an offset."),
            OpenApiParameter("created_to", OpenApiTypes.DATETIME, OpenApiParameter.QUERY,
                             description="Exclusive upper bound, ISO 8601 with an offset."),
            _text_filter("correlation_id", "Exact correlation id."),
            _text_filter("idempotency_key", "Exact Idempotency-Key (simulate runs)."),
            _text_filter("request_hash", "Exact request hash."),
            _text_filter("batch_run_id", "Exact analyze batch id."),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                       "default": DEFAULT_LIMIT}, OpenApiParameter.QUERY,
                             description=f"Runs per page, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})."),
            OpenApiParameter("cursor", {"type": "string", "minLength": 1, "pattern": CURSOR_PATTERN},
                             OpenApiParameter.QUERY,
                             description="`next_cursor` of the previous page, unchanged: a signed token "
                             "valid only as issued, for the same filters and the same client."),
            docs.CORRELATION_ID_RESPONSE_HEADER,
        ],
        responses={
            200: OpenApiResponse(docs.DpmRunListResponseSerializer,
                                 examples=[OpenApiExample("A page", value=docs.LIST_EXAMPLE)]),
            (400, PROBLEM_CONTENT_TYPE): docs.problem_response(
                400, "The cursor was altered, or was issued for other filters or another client.",
                "/rebalance/runs", CURSOR_INVALID),
            (404, PROBLEM_CONTENT_TYPE): docs.problem_response(
                404, "The support endpoints are switched off (`DPM_SUPPORT_APIS_ENABLED`).",
                "/rebalance/runs", SUPPORT_APIS_DISABLED),
            (422, PROBLEM_CONTENT_TYPE): docs.validation_response("/rebalance/runs", _LIST_ISSUES_EXAMPLE),
        },
        tags=["runs"],
    )
    def get(self, request):
        params, issues = parse_list_params(request.query_params)
        if issues:
            return validation_problem(request._request, issues)
        scope = run_scope(request)
        valid_for = fingerprint(params.filters.as_fingerprint_source(), scope)
        after = None
        if params.cursor is not None:
            try:
                after = decode_cursor(params.cursor, valid_for)
            except InvalidCursor:
                raise ServiceError(400, CURSOR_INVALID) from None
        page = list_runs(params.filters, client_id=scope, after=after, limit=params.limit)
        return _json({
            "items": [run_summary(run) for run in page.runs],
            "next_cursor": None if page.next_position is None else encode_cursor(page.next_position, valid_for),
        })


class IdempotencyHistoryView(_SupportEndpoint):
    """GET /rebalance/runs/idempotency/{key}/history."""

    permission_classes = [CanReadRuns]
    audit_action = audit.IDEMPOTENCY_HISTORY
    audit_target_kwarg = "idempotency_key"

    @extend_schema(
        operation_id="get_idempotency_key_history",
        summary="Every request that presented an idempotency key",
        description="Oldest first: executed, replayed, conflict (409), in_progress (409) and "
        "re_executed (replay switched off). Keys are looked up in the caller's own key space; "
        "a `support` caller may name another client's with `?client=NAME`.",
        parameters=[
            docs.path_parameter("idempotency_key"),
            OpenApiParameter("client", OpenApiTypes.STR, OpenApiParameter.QUERY,
                             description="Support only: the API client whose key space to read."),
            docs.CORRELATION_ID_RESPONSE_HEADER,
        ],
        responses={
            200: OpenApiResponse(docs.DpmIdempotencyHistorySerializer,
                                 examples=[OpenApiExample("History", value=docs.HISTORY_EXAMPLE)]),
            (404, PROBLEM_CONTENT_TYPE): docs.problem_response(
                404, _NOT_FOUND_HELP, "/rebalance/runs/idempotency/spec-idem-001/history",
                IDEMPOTENCY_KEY_NOT_FOUND, SUPPORT_APIS_DISABLED),
        },
        tags=["runs"],
    )
    def get(self, request, idempotency_key: str):
        space = key_space(request)
        history = [] if space is None else key_history(idempotency_key, client_id=space)
        if not history:
            raise exceptions.NotFound(IDEMPOTENCY_KEY_NOT_FOUND)
        return _json({
            "idempotency_key": idempotency_key,
            "history": [key_event_json(event) for event in history],
        })


class SupportBundleView(_SupportEndpoint):
    """GET /rebalance/runs/{rebalance_run_id}/support-bundle."""

    permission_classes = [IsSupport]
    audit_action = audit.SUPPORT_BUNDLE
    audit_target_kwarg = "rebalance_run_id"

    @extend_schema(
        operation_id="get_run_support_bundle",
        summary="One run's support bundle (case file)",
        description="The run, its engine version and hold, the stored canonical request, the "
        "stored result (as the run lookup returns it), the idempotency mapping and history, "
        "related runs and integrity hashes. `python manage.py export_bundle RUN_ID` writes "
        "the same document. Support role.",
        parameters=[docs.path_parameter("rebalance_run_id"), docs.CORRELATION_ID_RESPONSE_HEADER],
        responses={
            200: OpenApiResponse(docs.DpmSupportBundleSerializer),
            (404, PROBLEM_CONTENT_TYPE): docs.problem_response(
                404, _NOT_FOUND_HELP, "/rebalance/runs/rr_c24203fb/support-bundle",
                RUN_NOT_FOUND, SUPPORT_APIS_DISABLED),
        },
        tags=["runs"],
    )
    def get(self, request, rebalance_run_id: str):
        text = support_bundle_json(rebalance_run_id)
        if text is None:
            raise exceptions.NotFound(RUN_NOT_FOUND)
        return _json(text)


class VerifyRunView(_SupportEndpoint):
    """POST /rebalance/runs/{rebalance_run_id}/verify."""

    permission_classes = [IsSupport]
    audit_action = audit.VERIFY_RUN
    audit_target_kwarg = "rebalance_run_id"

    @extend_schema(
        operation_id="verify_run",
        summary="Re-simulate a recorded run and compare it with the stored result",
        description="The stored request is simulated again with the run's id, correlation id "
        "and request hash; `MATCH` when the bytes equal the stored result, else `DRIFT` with "
        "the differing values. Records nothing as a new run. No request body. Support role.",
        request=None,
        parameters=[docs.path_parameter("rebalance_run_id"), docs.CORRELATION_ID_RESPONSE_HEADER],
        responses={
            200: OpenApiResponse(docs.DpmRunVerificationSerializer, examples=docs.VERIFICATION_EXAMPLES),
            (404, PROBLEM_CONTENT_TYPE): docs.problem_response(
                404, _NOT_FOUND_HELP, "/rebalance/runs/rr_c24203fb/verify",
                RUN_NOT_FOUND, SUPPORT_APIS_DISABLED),
        },
        tags=["runs"],
    )
    def post(self, request, rebalance_run_id: str):
        verify_run = import_string(settings.DPM_RUN_VERIFIER)
        verification = verify_run(rebalance_run_id)
        if verification is None:
            raise exceptions.NotFound(RUN_NOT_FOUND)
        return _json(verification.as_dict())

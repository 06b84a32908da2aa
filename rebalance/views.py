"""HTTP endpoints of the simulation: POST /rebalance/simulate and /rebalance/analyze.

Thin: validate headers and body, call a service, send its JSON text unchanged. The views
read the raw body themselves so that malformed JSON, an absent Content-Type and empty
bodies are reported exactly as the contract says (422, never DRF's 400/415).
"""

from __future__ import annotations

from django.http import HttpResponse
from rest_framework.views import APIView

from access_control.permissions import CanSimulate
from access_control.throttling import SimulateThrottle
from access_control.views import AccessLoggedViewMixin
from lotus_manage.problems import validation_problem
from rebalance import schema
from rebalance.boundary import BatchRebalanceRequest, RebalanceRequest, validate_request_body
from rebalance.boundary.memo import ValidatedBodies, simulate_bodies
from rebalance.engine.batch import new_batch_id
from rebalance.engine.collector import collector_paused
from rebalance.headers import IDEMPOTENCY_HEADER, idempotency_key_issue
from rebalance.services import analyze_and_record, simulate_idempotently

JSON_CONTENT_TYPE = "application/json"
REPLAY_HEADER = "Idempotent-Replayed"


def _unsupported_media_issue(request) -> dict | None:
    media = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if not media or media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return None
    return {
        "type": "model_attributes_type",
        "loc": ["body"],
        "msg": "Input should be a valid dictionary or object to extract fields from",
        "input": f"<{media} body>",
    }


def _validate(request, model, header_issues: list[dict], remembered: ValidatedBodies | None = None,
              client_id: int | None = None):
    """Header issues first, then the body's, as the contract orders them.

    With ``remembered``, a body this client sent before and that was valid is not
    validated again (rebalance/boundary/memo.py)."""
    issues = list(header_issues)
    if request.correlation_id_issue is not None:
        issues.append(request.correlation_id_issue)
    media_issue = _unsupported_media_issue(request)
    if media_issue is not None:
        return None, issues + [media_issue]
    if remembered is None:
        body, body_issues = validate_request_body(request.body, model)
    else:
        body, body_issues = remembered.validated(
            client_id, request.body, lambda raw: validate_request_body(raw, model)
        )
    return body, issues + body_issues


class CollectorPausedMixin:
    """Keeps the cyclic garbage collector off for the whole request.

    Parsing, validating, simulating and rendering a large body allocate hundreds of
    thousands of containers and free none through cycles; collections triggered on the
    way rescan the heap again and again (they made 5,000 instruments super-linear).
    Reference counting frees everything as before; the collector resumes afterwards.
    """

    def dispatch(self, request, *args, **kwargs):
        with collector_paused():
            return super().dispatch(request, *args, **kwargs)


class SimulateView(CollectorPausedMixin, AccessLoggedViewMixin, APIView):
    """One deterministic rebalance simulation, idempotent per ``Idempotency-Key``."""

    permission_classes = [CanSimulate]
    throttle_classes = [SimulateThrottle]
    parser_classes: list = []  # the body is decoded by _read_body

    @schema.simulate_schema
    def post(self, request):
        django_request = request._request
        key = request.headers.get(IDEMPOTENCY_HEADER)
        key_issue = idempotency_key_issue(key)
        body, issues = _validate(
            django_request, RebalanceRequest, [key_issue] if key_issue else [],
            remembered=simulate_bodies, client_id=request.user.pk,
        )
        if issues:
            return validation_problem(django_request, issues)
        outcome = simulate_idempotently(body, key, django_request.correlation_id, client_id=request.user.pk)
        response = HttpResponse(outcome.body, content_type=JSON_CONTENT_TYPE)
        response[REPLAY_HEADER] = "true" if outcome.replayed else "false"
        return response


class AnalyzeView(CollectorPausedMixin, AccessLoggedViewMixin, APIView):
    """A what-if batch of named option scenarios over one shared snapshot."""

    permission_classes = [CanSimulate]
    throttle_classes = [SimulateThrottle]
    parser_classes: list = []

    @schema.analyze_schema
    def post(self, request):
        django_request = request._request
        body, issues = _validate(django_request, BatchRebalanceRequest, [])
        if issues:
            return validation_problem(django_request, issues)
        batch_id = new_batch_id()
        if not django_request.correlation_id_supplied:
            # The contract prefixes scenario correlation ids with the batch id then; echo it.
            django_request.correlation_id = batch_id
        text = analyze_and_record(body, django_request.correlation_id, batch_id, client_id=request.user.pk)
        return HttpResponse(text, content_type=JSON_CONTENT_TYPE)

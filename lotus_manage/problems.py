"""One error envelope for the whole service: RFC 9457 problem details.

Every error body carries ``type``, ``title``, ``status``, ``detail``, ``instance`` and the
request's ``correlation_id``. ``detail`` keeps the contract's values exactly: a stable
code string (``DPM_RUN_NOT_FOUND``, ``IDEMPOTENCY_KEY_CONFLICT: request hash mismatch``,
…) or, for 422, the list of validation issues the contract specifies.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf

from .database_outage import database_unavailable_response, is_database_unavailable

logger = logging.getLogger("lotus_manage.errors")

PROBLEM_CONTENT_TYPE = "application/problem+json"
INTERNAL_ERROR_DETAIL = "An unexpected error occurred."
TOO_LARGE_DETAIL = "Request body exceeds the configured size limit."


def problem_response(
    request,
    status: int,
    detail: Any,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> HttpResponse:
    """A problem-details response; ``extensions`` become extra top-level members."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.path if request is not None else None,
        "correlation_id": getattr(request, "correlation_id", None),
        **extensions,
    }
    response = HttpResponse(
        json.dumps(_finite(body), ensure_ascii=False, default=str, allow_nan=False),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _finite(value: Any) -> Any:
    """Echoed inputs may hold non-finite floats (a JSON number like 1e400); JSON has no
    token for them, so they are sent as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def validation_problem(request, issues: list[dict[str, Any]]) -> HttpResponse:
    """422 with the contract's ordered issue list as ``detail``."""
    return problem_response(request, 422, issues)


class ServiceError(Exception):
    """An expected failure with a stable contract code, raised by services."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse:
    """DRF exception handler: map every exception to a problem-details response.

    Unknown exceptions are logged with their traceback and answered with a generic 500
    that reveals nothing about the internals.
    """
    request = context.get("request")
    django_request = getattr(request, "_request", request)
    if is_database_unavailable(exc):
        return database_unavailable_response(django_request, exc)
    if isinstance(exc, ServiceError):
        return problem_response(django_request, exc.status, exc.detail, headers=exc.headers)
    if isinstance(exc, RequestDataTooBig):
        return problem_response(django_request, 413, TOO_LARGE_DETAIL)
    if isinstance(exc, Http404) or (
        isinstance(exc, drf.NotFound) and exc.detail == drf.NotFound.default_detail
    ):
        return problem_response(django_request, 404, "Not Found")
    if isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.MethodNotAllowed):
        return problem_response(
            django_request, 405, "Method Not Allowed",
            headers={"Allow": ", ".join(context["view"].allowed_methods)} if context.get("view") else None,
        )
    if isinstance(exc, drf.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else json.loads(json.dumps(exc.detail))
        headers = {}
        # Set by DRF on 401s when the view has an authenticator (Api-Key).
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        return problem_response(django_request, exc.status_code, detail, headers=headers)
    logger.exception("Unhandled error on %s", getattr(django_request, "path", "?"))
    return problem_response(django_request, 500, INTERNAL_ERROR_DETAIL)


def page_not_found(request, exception=None) -> HttpResponse:
    """Django ``handler404``: unknown routes get the same envelope as API errors."""
    return problem_response(request, 404, "Not Found")


def server_error(request) -> HttpResponse:
    """Django ``handler500``: no traceback, no internals.

    Also reached by database errors raised outside DRF views (middleware, the
    admin): an unreachable database is a 503 there too.
    """
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    return problem_response(request, 500, INTERNAL_ERROR_DETAIL)


def bad_request(request, exception=None) -> HttpResponse:
    """Django ``handler400`` (e.g. a disallowed Host header or an oversized body)."""
    if isinstance(exception, RequestDataTooBig):
        return problem_response(request, 413, TOO_LARGE_DETAIL)
    return problem_response(request, 400, "Bad Request")

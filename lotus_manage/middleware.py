"""Request-scoped correlation ids.

Every request gets ``request.correlation_id``: the client's ``X-Correlation-Id`` when it
is well formed, otherwise a fresh unique id. The id is echoed in the ``X-Correlation-Id``
response header of every response. A malformed client id is remembered in
``request.correlation_id_issue`` so that the endpoints that use it can reject it (422)
instead of logging or storing untrusted text.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from .request_context import NO_CLIENT, client_name_of, current_client_name

CORRELATION_HEADER = "X-Correlation-Id"
# The id of the request being served by this thread, for log records.
current_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_correlation_id", default="-"
)
# Conservative charset: safe in logs, URLs (lookups by correlation id) and CSV exports.
CORRELATION_ID_PATTERN = re.compile(r"[A-Za-z0-9._:@+=~-]{1,128}")


def new_correlation_id() -> str:
    """A unique correlation id for requests that did not bring one."""
    return "corr_" + uuid.uuid4().hex


def correlation_id_issue(value: str) -> dict | None:
    """The 422 issue for a malformed client correlation id, or None when it is fine."""
    if CORRELATION_ID_PATTERN.fullmatch(value):
        return None
    return {
        "type": "string_pattern_mismatch",
        "loc": ["header", CORRELATION_HEADER],
        "msg": "X-Correlation-Id must be 1-128 characters from A-Z a-z 0-9 . _ : @ + = ~ -",
        "input": value[:200],
    }


class CorrelationIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get(CORRELATION_HEADER, "")
        request.correlation_id_supplied = False
        request.correlation_id_issue = None
        if supplied:
            request.correlation_id_issue = correlation_id_issue(supplied)
        if supplied and request.correlation_id_issue is None:
            request.correlation_id = supplied
            request.correlation_id_supplied = True
        else:
            request.correlation_id = new_correlation_id()
        token = current_correlation_id.set(request.correlation_id)
        # No client until authentication names one (and none left over from the last request).
        client_token = current_client_name.set(NO_CLIENT)
        try:
            response = self.get_response(request)
        finally:
            current_client_name.reset(client_token)
            current_correlation_id.reset(token)
        response[CORRELATION_HEADER] = request.correlation_id
        return response


# Control characters (CR and LF above all) and Unicode line separators.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def escape_control_characters(text: str) -> str:
    """``text`` with control characters spelled as escapes (``\\n``, ``\\x1b``, ...)."""
    return _CONTROL_CHARACTERS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _escaped(value):
    return escape_control_characters(value) if isinstance(value, str) else value


class CorrelationIdLogFilter(logging.Filter):
    """Adds ``correlation_id`` and ``client`` to every log record (``-`` outside a
    request), and escapes control characters in the record's arguments.

    Django logs a 4xx/5xx response (``django.request``) after the middleware
    has returned, when the request's context is gone; such records carry the
    request itself, whose correlation id and client are used then.

    Arguments carry client-supplied values (portfolio ids, keys); a CR/LF in one
    would otherwise start a forged log line. The message template is ours and
    tracebacks keep their line breaks.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current_correlation_id.get()
        record.client = current_client_name.get()
        request = getattr(record, "request", None)
        if record.correlation_id == "-" and getattr(request, "correlation_id", None):
            record.correlation_id = request.correlation_id
            record.client = client_name_of(request)
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {name: _escaped(arg) for name, arg in record.args.items()}
        return True

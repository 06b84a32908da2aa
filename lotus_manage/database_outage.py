"""Requests that need the database while it cannot be reached: 503, never 500.

An ``OperationalError`` or ``InterfaceError`` from Django's database layer means
the database is unreachable, was lost mid-request, refused the connection or
cannot serve right now. Whatever the request was doing inside a transaction
was rolled back with it, so the client may simply retry: the answer is 503
problem+json with the stable ``detail`` code ``DATABASE_UNAVAILABLE`` and a
``Retry-After``.

Django discards the broken connection at the end of the request (its error
flag makes ``close_if_unusable_or_obsolete`` test and close it) and
``CONN_HEALTH_CHECKS`` tests a persistent connection before its first use in
the next request, so the service recovers by itself when the database is back.
"""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError

from . import metrics

DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
# Seconds a client should wait before retrying: long enough for a database
# fail-over or restart to make progress, short enough not to stall clients.
RETRY_AFTER_SECONDS = 5

logger = logging.getLogger("lotus_manage.database")


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def database_unavailable_response(request, exc: BaseException):
    """The 503 answer; counts it and logs the cause (one line, no traceback)."""
    from .problems import problem_response  # problems imports this module

    metrics.DATABASE_UNAVAILABLE.inc()
    logger.warning("database unavailable on %s: %s", getattr(request, "path", "?"),
                   str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    return problem_response(request, 503, DATABASE_UNAVAILABLE,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

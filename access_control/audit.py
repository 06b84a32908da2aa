"""Writing access events (the append-only ``AccessEvent`` log): one INSERT each.

A write that fails raises: access to sensitive data that cannot be logged is
not served (the request fails instead of going unrecorded).
"""
from __future__ import annotations

import getpass
import os

from django.utils import timezone

from lotus_manage.middleware import escape_control_characters

from .models import AccessEvent

TARGET_MAX_LENGTH = AccessEvent._meta.get_field("target").max_length
CORRELATION_MAX_LENGTH = AccessEvent._meta.get_field("correlation_id").max_length

# Actions, as stored in AccessEvent.action.
LOOKUP_RUN = "run.lookup"
LOOKUP_BY_CORRELATION = "run.lookup_by_correlation"
LOOKUP_BY_IDEMPOTENCY_KEY = "idempotency.lookup"
AUTHENTICATION_FAILED = "authentication.failed"
AUTHORIZATION_FAILED = "authorization.failed"
ADMIN_CHANGELIST = "admin.changelist"
ADMIN_SEARCH = "admin.search"
ADMIN_VIEW = "admin.view"
EXPORT_RUNS = "runs.export"
LIST_RUNS = "runs.list"
IDEMPOTENCY_HISTORY = "idempotency.history"
SUPPORT_BUNDLE = "run.support_bundle"
VERIFY_RUN = "run.verify"
HOLD_PLACED = "run.hold"
HOLD_RELEASED = "run.hold_release"
PURGE_RUNS = "runs.purge"
# Every action above, for the admin's filter.
ACTIONS = (
    LOOKUP_RUN, LOOKUP_BY_CORRELATION, LOOKUP_BY_IDEMPOTENCY_KEY, LIST_RUNS, IDEMPOTENCY_HISTORY,
    SUPPORT_BUNDLE, VERIFY_RUN, HOLD_PLACED, HOLD_RELEASED, AUTHENTICATION_FAILED, AUTHORIZATION_FAILED,
    ADMIN_CHANGELIST, ADMIN_SEARCH, ADMIN_VIEW, EXPORT_RUNS, PURGE_RUNS,
)


def record(
    *,
    actor: str,
    action: str,
    target: str = "",
    outcome: int,
    correlation_id: str = "",
    source_address: str = "",
) -> None:
    AccessEvent.objects.create(
        occurred_at=timezone.now(),
        actor=actor[:200],
        action=action,
        # Targets echo what callers typed: control characters are spelled out (a NUL
        # could not be stored on PostgreSQL, and a CR/LF would break exported lines).
        target=escape_control_characters(target)[:TARGET_MAX_LENGTH],
        outcome=outcome,
        correlation_id=(correlation_id or "")[:CORRELATION_MAX_LENGTH],
        source_address=source_address[:64],
    )


def source_address(request) -> str:
    """The peer address as the server saw it (a proxy's, behind one)."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def record_request(request, *, actor: str, action: str, target: str, outcome: int) -> None:
    """An event of an HTTP request (API or admin)."""
    record(
        actor=actor,
        action=action,
        target=target,
        outcome=outcome,
        correlation_id=getattr(request, "correlation_id", "") or "",
        source_address=source_address(request),
    )


def cli_actor() -> str:
    """``cli:<operating-system user>`` for management commands."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry and no LOGNAME/USER (some containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"

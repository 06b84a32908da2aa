"""Whose runs and whose idempotency keys a caller of the run endpoints may read."""
from __future__ import annotations

from rest_framework import exceptions

from access_control.clients import client_id_by_name
from access_control.permissions import role_required_detail
from access_control.roles import Role


def run_scope(request) -> int | None:
    """The client whose runs the caller may read; None: every client's (support)."""
    client = request.user
    return None if client.is_support else client.pk


def key_space(request) -> int | None:
    """The client whose idempotency keys the caller looks in.

    The caller's own, unless a support caller names another with ``?client=NAME``
    (None when no client has that name). ``client`` without the support role is 403.
    """
    name = request.query_params.get("client")
    if name is None:
        return request.user.pk
    if not request.user.is_support:
        raise exceptions.PermissionDenied(role_required_detail(Role.SUPPORT))
    return client_id_by_name(name)

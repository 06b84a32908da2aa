"""Role permissions of the API endpoints."""
from __future__ import annotations

from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .authentication import AUTHENTICATION_REQUIRED
from .models import ApiClient
from .roles import Role

ROLE_REQUIRED = "DPM_ROLE_REQUIRED"


def role_required_detail(*roles: str) -> str:
    return f"{ROLE_REQUIRED}: {' or '.join(roles)}"


class HasAnyRole(BasePermission):
    """The caller is an API client holding at least one of ``roles``.

    No credentials: 401 (``NotAuthenticated``, with WWW-Authenticate). A client
    without the role: 403.
    """

    roles: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            raise exceptions.NotAuthenticated(AUTHENTICATION_REQUIRED)
        if any(client.has_role(role) for role in self.roles):
            return True
        raise exceptions.PermissionDenied(role_required_detail(*self.roles))


class CanSimulate(HasAnyRole):
    roles = (Role.SIMULATE,)


class CanReadRuns(HasAnyRole):
    """Simulate clients read their own runs; support reads any."""

    roles = (Role.SIMULATE, Role.SUPPORT)


class IsSupport(HasAnyRole):
    roles = (Role.SUPPORT,)

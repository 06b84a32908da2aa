"""What every API view of the service shares: refused attempts go to the access log."""
from __future__ import annotations

from . import audit
from .authentication import KeyRefused
from .models import ApiClient


class AccessLoggedViewMixin:
    """Records each 401 and 403 answer as an access event.

    Views that serve stored data override ``audit_read`` to record every read
    (found or not found); it is not called for refused requests.
    """

    _refused_client_name: str | None = None

    def handle_exception(self, exc):
        if isinstance(exc, KeyRefused):
            self._refused_client_name = exc.client_name
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        status = response.status_code
        if status in (401, 403):
            audit.record_request(
                request,
                actor=self.actor(request),
                action=audit.AUTHENTICATION_FAILED if status == 401 else audit.AUTHORIZATION_FAILED,
                target=f"{request.method} {request.get_full_path()}",
                outcome=status,
            )
        elif status != 429:
            try:
                self.audit_read(request, response)
            except Exception as exc:
                # Fail closed: a read that cannot be logged is not served.
                response = super().finalize_response(request, self.handle_exception(exc), *args, **kwargs)
        return response

    def actor(self, request) -> str:
        client = request.user
        if isinstance(client, ApiClient):
            return client.actor
        if self._refused_client_name:
            return f"api:{self._refused_client_name}"
        return "api:anonymous"

    def audit_read(self, request, response) -> None:
        """Record a read of stored data; views that serve none leave this empty."""

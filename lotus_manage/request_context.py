"""Who is calling, for log lines: the API client's name while a request is served.

Authentication notes the client here once it has recognised the key. Log
records read it through ``CorrelationIdLogFilter``; gunicorn's access line,
written after the response has left Django, reads the copy kept in the WSGI
environ (``CLIENT_ENVIRON_KEY``).
"""
from __future__ import annotations

import contextvars

NO_CLIENT = "-"
CLIENT_ENVIRON_KEY = "lotus_manage.client_name"

current_client_name: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_client_name", default=NO_CLIENT
)


def note_client(request, name: str) -> None:
    """Record the authenticated client of ``request`` (a Django or DRF request)."""
    current_client_name.set(name)
    meta = getattr(request, "META", None)
    if meta is not None:
        meta[CLIENT_ENVIRON_KEY] = name


def client_name_of(request) -> str:
    """The client noted for ``request`` (``-`` when none was)."""
    meta = getattr(request, "META", None) or {}
    return meta.get(CLIENT_ENVIRON_KEY, NO_CLIENT)

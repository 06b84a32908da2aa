"""``Authorization: Api-Key <key>`` authentication for DRF.

On success ``request.user`` is the ``ApiClient`` and ``request.auth`` its
``ApiKey``; permissions, throttles, run scoping and the access log use them.
A request without the header is anonymous here and refused by the views'
permissions with 401; a header that is present but unusable is refused at once.
"""
from __future__ import annotations

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from lotus_manage.request_context import note_client

from .models import ApiKey

KEYWORD = "Api-Key"

# Stable ``detail`` codes of the 401 answers.
AUTHENTICATION_REQUIRED = "DPM_AUTHENTICATION_REQUIRED"
API_KEY_MALFORMED = "DPM_API_KEY_MALFORMED"
API_KEY_INVALID = "DPM_API_KEY_INVALID"
API_KEY_EXPIRED = "DPM_API_KEY_EXPIRED"
API_KEY_REVOKED = "DPM_API_KEY_REVOKED"

# A key is "<8-character prefix>.<32-character secret>"; anything much longer is not one.
_KEY_MAX_LENGTH = 100


class KeyRefused(exceptions.AuthenticationFailed):
    """An unusable key; ``client_name`` names its client when the key was recognised."""

    def __init__(self, detail: str, client_name: str | None = None):
        super().__init__(detail)
        self.client_name = client_name


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        keyword, _, key = header.strip().partition(" ")
        key = key.strip()
        if keyword.lower() != KEYWORD.lower() or not key or len(key) > _KEY_MAX_LENGTH or "." not in key:
            raise KeyRefused(API_KEY_MALFORMED)
        prefix = key.partition(".")[0]
        api_key = ApiKey.objects.select_related("client").filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(key):
            raise KeyRefused(API_KEY_INVALID)
        client = api_key.client
        if api_key.revoked or client.revoked_at is not None:
            raise KeyRefused(API_KEY_REVOKED, client.name)
        if api_key.expiry_date is not None and api_key.expiry_date <= timezone.now():
            raise KeyRefused(API_KEY_EXPIRED, client.name)
        note_client(request, client.name)  # for log lines (lotus_manage/request_context.py)
        return client, api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) with WWW-Authenticate: Api-Key.
        return KEYWORD

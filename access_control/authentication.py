"""``Authorization: Api-Key <key>`` authentication for DRF.

On success ``request.user`` is the ``ApiClient`` and ``request.auth`` its
``ApiKey``; permissions, throttles, run scoping and the access log use them.
A request without the header is anonymous here and refused by the views'
permissions with 401; a header that is present but unusable is refused at once.
"""
from __future__ import annotations

from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from lotus_manage.bound_cursor import bound_cursor
from lotus_manage.request_context import note_client

from .models import ApiClient, ApiKey, ThrottleWindow
from .throttling import COUNTED_ATTRIBUTE, PendingCount, pending_count

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
        # PostgreSQL counts the throttle window in the key's statement (throttling.py).
        counts_here = connection.vendor == "postgresql" and request.parser_context
        pending = pending_count(request.parser_context.get("view")) if counts_here else None
        api_key, revoked, expired, counted = _key_of(key, pending)
        # The library's own check (sha512), without the hasher upgrade of is_valid(),
        # which would save this partly loaded row.
        if api_key is None or not ApiKey.objects.key_generator.verify(key, api_key.hashed_key):
            raise KeyRefused(API_KEY_INVALID)
        client = api_key.client
        if revoked:
            raise KeyRefused(API_KEY_REVOKED, client.name)
        if expired:
            raise KeyRefused(API_KEY_EXPIRED, client.name)
        if counted is not None:
            setattr(request._request, COUNTED_ATTRIBUTE, (pending.scope, pending.window_start, counted))
        note_client(request, client.name)  # for log lines (lotus_manage/request_context.py)
        return client, api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) with WWW-Authenticate: Api-Key.
        return KEYWORD


# Every authenticated request runs this: one hand-written statement (the ORM spent
# longer building its query than the database spent answering it). Revocation and
# expiry are decided in the same statement, against the caller's clock.
_KEY_WITH_CLIENT_SQL = f"""
SELECT k.id, k.hashed_key, c.id, c.name, c.roles,
       (k.revoked OR c.revoked_at IS NOT NULL),
       (k.expiry_date IS NOT NULL AND k.expiry_date <= %s),
       NULL
FROM {ApiKey._meta.db_table} k JOIN {ApiClient._meta.db_table} c ON c.id = k.client_id
WHERE k.prefix = %s
"""
# PostgreSQL: the same, and the view's throttle window counted in the same round trip
# (throttling.py), only for a request that gets past authentication and permission:
# the stored hash is the key's, the key is usable, and the client holds a role.
_THROTTLE = ThrottleWindow._meta.db_table
_KEY_WITH_CLIENT_AND_COUNT_SQL = f"""
WITH found AS (
    SELECT k.id, k.hashed_key, c.id AS client_id, c.name, c.roles,
           (k.revoked OR c.revoked_at IS NOT NULL) AS revoked,
           (k.expiry_date IS NOT NULL AND k.expiry_date <= %(now)s) AS expired
    FROM {ApiKey._meta.db_table} k JOIN {ApiClient._meta.db_table} c ON c.id = k.client_id
    WHERE k.prefix = %(prefix)s
), counted AS (
    INSERT INTO {_THROTTLE} AS w (bucket, window_start, count)
    SELECT %(scope)s || ':' || found.client_id, %(window_start)s, 1 FROM found
    WHERE found.hashed_key = %(hashed_key)s AND NOT found.revoked AND NOT found.expired
      AND found.roles ?| %(roles)s
    ON CONFLICT (bucket) DO UPDATE SET
        count = CASE WHEN w.window_start = excluded.window_start THEN w.count + 1 ELSE 1 END,
        window_start = excluded.window_start
    RETURNING count
)
SELECT found.*, (SELECT count FROM counted) FROM found
"""


def _key_of(key: str, pending: PendingCount | None) -> tuple[ApiKey | None, bool, bool, int | None]:
    """The key with this key's prefix and its client, whether it is revoked or
    expired, and the throttle count when ``pending`` (PostgreSQL only) was counted
    with it."""
    prefix = key.partition(".")[0]
    now = ApiKey._meta.get_field("expiry_date").get_db_prep_value(timezone.now(), connection)
    with bound_cursor() as cursor:
        if pending is not None:
            cursor.execute(_KEY_WITH_CLIENT_AND_COUNT_SQL, {
                "now": now, "prefix": prefix, "scope": pending.scope, "window_start": pending.window_start,
                "hashed_key": ApiKey.objects.key_generator.hash(key), "roles": list(pending.roles),
            })
        else:
            cursor.execute(_KEY_WITH_CLIENT_SQL, [now, prefix])
        row = cursor.fetchone()
    if row is None:
        return None, False, False, None
    key_id, hashed_key, client_id, name, roles, revoked, expired, counted = row
    roles = ApiClient._meta.get_field("roles").from_db_value(roles, None, connection)
    client = ApiClient(id=client_id, name=name, roles=roles)
    api_key = ApiKey(id=key_id, prefix=prefix, hashed_key=hashed_key, revoked=bool(revoked), client=client)
    for instance in (client, api_key):
        instance._state.adding = False
        instance._state.db = connection.alias
    return api_key, bool(revoked), bool(expired), counted

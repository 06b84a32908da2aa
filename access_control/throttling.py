"""Per-client fixed-window throttles whose counts every worker process shares.

DRF's own rate throttles keep a list of timestamps in the cache; the default
local-memory cache would count per worker. Here the count lives in the database:
one ``INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING`` statement per request
(PostgreSQL and SQLite alike) both increments and reads it, and one row per
(scope, client) is reused window after window, so nothing needs cleaning up.

On PostgreSQL that upsert rides on the authentication statement (``pending_count``,
authentication.py): the key is counted in the same round trip that looks it up, and
only if that request would reach this throttle (a valid key, not revoked or expired,
with a role the view's permission accepts). The throttle then reads the count.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from lotus_manage.bound_cursor import bound_cursor

from .models import ApiClient, ThrottleWindow
from .rates import parse_rate

class ClientRateThrottle(BaseThrottle):
    """Counts the requests of ``request.user`` (an ApiClient) per ``scope``."""

    scope: str = ""
    rate_setting: str = ""

    def __init__(self) -> None:
        self.allowed, self.period = parse_rate(getattr(settings, self.rate_setting))
        self._wait = 0.0

    def allow_request(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            return True  # refused by authentication/permissions first
        now = time.time()
        window_start = int(now // self.period) * self.period
        counted = getattr(request, COUNTED_ATTRIBUTE, None)
        if counted is not None and counted[:2] == (self.scope, window_start):
            count = counted[2]  # by the authentication statement
        else:
            count = _increment(f"{self.scope}:{client.pk}", window_start)
        if count <= self.allowed:
            return True
        self._wait = window_start + self.period - now
        return False

    def wait(self) -> float:
        # Whole seconds, at least 1: Retry-After is an integer.
        return max(1, math.ceil(self._wait))


class SimulateThrottle(ClientRateThrottle):
    scope = "simulate"
    rate_setting = "DPM_THROTTLE_SIMULATE"


class SupportThrottle(ClientRateThrottle):
    scope = "support"
    rate_setting = "DPM_THROTTLE_SUPPORT"


# Where authentication leaves (scope, window start, count) on the Django request.
COUNTED_ATTRIBUTE = "lotus_throttle_count"


@dataclass(frozen=True, slots=True)
class PendingCount:
    """The window a view's client throttle checks, for authentication to count."""

    scope: str
    window_start: int
    # The request is counted only if its client holds one of these.
    roles: tuple[str, ...]


def pending_count(view) -> PendingCount | None:
    """What authentication may count for ``view``: its one client throttle, when the
    view's one permission admits any client holding one of its ``roles`` (HasAnyRole);
    None otherwise (the throttle then counts for itself)."""
    throttles = [cls for cls in getattr(view, "throttle_classes", ())
                 if isinstance(cls, type) and issubclass(cls, ClientRateThrottle)]
    permissions = getattr(view, "permission_classes", ())
    if len(throttles) != 1 or len(permissions) != 1 or not getattr(permissions[0], "roles", ()):
        return None
    _, period = parse_rate(getattr(settings, throttles[0].rate_setting))
    window_start = int(time.time() // period) * period
    return PendingCount(throttles[0].scope, window_start, tuple(permissions[0].roles))


_TABLE = ThrottleWindow._meta.db_table
_UPSERT = f"""
INSERT INTO {_TABLE} (bucket, window_start, count) VALUES (%s, %s, 1)
ON CONFLICT (bucket) DO UPDATE SET
    count = CASE WHEN {_TABLE}.window_start = excluded.window_start
                 THEN {_TABLE}.count + 1 ELSE 1 END,
    window_start = excluded.window_start
RETURNING count
"""


def _increment(bucket: str, window_start: int) -> int:
    """Count one request in ``bucket``'s window starting at ``window_start``."""
    with bound_cursor() as cursor:
        cursor.execute(_UPSERT, [bucket, window_start])
        return cursor.fetchone()[0]

"""Django's PostgreSQL backend with a health check that busy connections skip.

With persistent connections and CONN_HEALTH_CHECKS, Django pings the connection
(``SELECT 1``) before its first use in every request: one more round trip on each
request. Here a connection that served the previous request without error less
than ``HEALTH_CHECK_GRACE_SECONDS`` ago skips the ping; one idle for longer is
checked as before. The cost of the grace: a database that goes away within that
second is noticed by the next request's first statement (a 503 with Retry-After,
see lotus_manage/database_outage.py) instead of by the ping, and the connection is
replaced right after that request, as Django does after any error.
"""
from __future__ import annotations

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_GRACE_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _served_at = float("-inf")
    _used = False  # since the last request boundary

    def close_if_health_check_failed(self):
        # Runs before each cursor is made, i.e. whenever the connection is used.
        self._used = True
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self._served_at < HEALTH_CHECK_GRACE_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # Called as a request starts and as it ends: a connection used since the last
        # call without an error has just proved itself.
        if self.connection is not None and self._used and not self.errors_occurred:
            self._served_at = time.monotonic()
        self._used = False
        super().close_if_unusable_or_obsolete()

    def close(self):
        self._served_at = float("-inf")
        super().close()

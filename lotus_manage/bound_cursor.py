"""Cursors whose parameters travel apart from the SQL text (server-side binding).

Django's PostgreSQL backend quotes every parameter into the SQL text on the client
(psycopg's ClientCursor). For the few statements every simulate request runs, that
costs more than the database takes to answer: quoting a multi-megabyte response body
is most of a large run's INSERT, and a statement sent with its parameters apart can
also be prepared once per connection (psycopg prepares it from its fifth use). Only
the hand-written statements of the hot path use this; the ORM keeps Django's default.
"""
from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections


def bound_cursor(using: str = DEFAULT_DB_ALIAS):
    """A Django cursor (error translation, query logging and execute wrappers included)
    over a server-side binding psycopg cursor on PostgreSQL; the usual one elsewhere."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What BaseDatabaseWrapper.cursor() does, with the other cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(ServerBindingCursor(connection.connection))

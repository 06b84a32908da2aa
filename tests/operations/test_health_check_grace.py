"""The PostgreSQL connection's health check (lotus_manage/postgresql/base.py): skipped
by a connection that served a request less than a second ago, run as before by one
idle for longer, and by one whose last request failed."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_with_health_checks(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the health check grace is part of the PostgreSQL backend")
    saved = connection.health_check_enabled
    connection.health_check_enabled = True
    yield
    connection.health_check_enabled = saved


def _request(work=lambda cursor: cursor.execute("SELECT 2")) -> list[str]:
    """What Django does around one request, with one statement of the request's own;
    returns the statements the connection sent (the ping is psycopg's own cursor)."""
    sent = []
    connection.close_if_unusable_or_obsolete()  # request_started
    connection.ensure_connection()
    raw = connection.connection
    original = raw.cursor

    def spying_cursor(*args, **kwargs):
        cursor = original(*args, **kwargs)
        execute = cursor.execute

        def spy(query, *a, **k):
            sent.append(str(query))
            return execute(query, *a, **k)

        cursor.execute = spy
        return cursor

    raw.cursor = spying_cursor
    try:
        with CaptureQueriesContext(connection), connection.cursor() as cursor:
            work(cursor)
    finally:
        del raw.cursor
        connection.close_if_unusable_or_obsolete()  # request_finished
    return sent


def test_a_connection_that_just_served_is_not_pinged_again(monkeypatch):
    from lotus_manage.postgresql import base

    _request()
    assert "SELECT 1" not in _request()
    # Negative control: past the grace, the same connection is pinged first.
    monkeypatch.setattr(base, "HEALTH_CHECK_GRACE_SECONDS", 0.0)
    assert _request()[0] == "SELECT 1"


def test_a_failed_request_does_not_count_as_served():
    _request()
    connection._served_at -= 10  # as if idle since

    def fails(cursor):
        with pytest.raises(Exception):
            cursor.execute("SELECT * FROM no_such_table_here")

    assert _request(fails)[0] == "SELECT 1"
    assert _request()[0] == "SELECT 1"

"""How a history entry is committed: without waiting for the WAL flush on PostgreSQL,
and never by relaxing a caller's own transaction."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dpm_runs.key_history import key_history, record_key_event
from dpm_runs.models import KeyOutcome

RELAX = "SET LOCAL synchronous_commit TO OFF"


@pytest.fixture
def owner(db):
    from access_control.clients import create_client

    return create_client("history-owner", ["simulate"]).client


def _record(client_id: int) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        record_key_event(client_id=client_id, key="k", outcome=KeyOutcome.REPLAYED,
                         request_hash="sha256:" + "a" * 64, correlation_id="c", rebalance_run_id="rr_1")
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_on_its_own_the_entry_commits_asynchronously_on_postgresql(owner):
    statements = _record(owner.pk)
    assert (RELAX in statements) == (connection.vendor == "postgresql")
    assert [e.outcome for e in key_history("k", client_id=owner.pk)] == ["replayed"]


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_never_relaxes_that_transaction(owner):
    with transaction.atomic():
        statements = _record(owner.pk)
    assert RELAX not in statements
    assert [e.outcome for e in key_history("k", client_id=owner.pk)] == ["replayed"]

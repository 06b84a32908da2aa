"""Round trips to the run store per simulate call: few, and each one named."""
from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import simulate_body

pytestmark = pytest.mark.django_db(transaction=True)

BOOKKEEPING = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _run_store_statements(client, key: str) -> list[str]:
    body = json.dumps(simulate_body())
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/rebalance/simulate", body, content_type="application/json",
                               headers={"Idempotency-Key": key})
    assert response.status_code == 200
    return [
        q["sql"] for q in queries.captured_queries
        if "dpm_runs_" in q["sql"] and not q["sql"].lstrip().upper().startswith(BOOKKEEPING)
    ]


HISTORY_INSERT = "INSERT INTO dpm_runs_idempotencyevent"
CLAIM_INSERT = "INSERT INTO dpm_runs_idempotencyrecord"


def _flat(statement: str) -> str:
    return " ".join(statement.replace('"', "").split())


def test_a_fresh_simulate_is_two_statements_on_postgresql(client):
    """The claim (which takes the claim's lock), then one statement that completes the
    claim, inserts the run and the key's history entry, and drops the lock."""
    if connection.vendor != "postgresql":
        pytest.skip("data-modifying WITH is PostgreSQL's; SQLite's count is the next test")
    statements = [_flat(s) for s in _run_store_statements(client, "fresh")]
    assert len(statements) == 2, statements
    claim, complete = statements
    assert claim.startswith("WITH claimed AS ( " + CLAIM_INSERT) and "ON CONFLICT" in claim
    assert "pg_try_advisory_lock" in claim
    assert complete.startswith("WITH claim AS ( UPDATE dpm_runs_idempotencyrecord")
    assert "INSERT INTO dpm_runs_rebalancerun" in complete and HISTORY_INSERT in complete
    assert "pg_advisory_unlock" in complete
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone() == (0,)


def test_a_replay_is_one_statement_on_postgresql(client):
    """The claim's statement finds the key taken, reads its run and writes the history
    entry: one round trip."""
    if connection.vendor != "postgresql":
        pytest.skip("data-modifying WITH is PostgreSQL's; SQLite's count is the next test")
    _run_store_statements(client, "again")
    statements = [_flat(s) for s in _run_store_statements(client, "again")]
    assert len(statements) == 1, statements
    assert statements[0].startswith("WITH claimed AS ( " + CLAIM_INSERT) and HISTORY_INSERT in statements[0]


def test_on_sqlite_a_fresh_simulate_is_four_statements_and_a_replay_three(client):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's statements")
    claim, insert_run, complete, history = (_flat(s) for s in _run_store_statements(client, "fresh"))
    assert claim.startswith(CLAIM_INSERT) and "ON CONFLICT" in claim
    assert insert_run.startswith("INSERT INTO dpm_runs_rebalancerun")
    assert complete.startswith("UPDATE dpm_runs_idempotencyrecord")
    assert history.startswith(HISTORY_INSERT)
    claim, read, history = (_flat(s) for s in _run_store_statements(client, "fresh"))
    assert claim.startswith(CLAIM_INSERT) and read.startswith("SELECT") and history.startswith(HISTORY_INSERT)

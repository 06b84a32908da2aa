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


def test_a_fresh_simulate_is_a_claim_one_transaction_of_two_statements_and_a_history_entry(client):
    statements = _run_store_statements(client, "fresh")
    assert len(statements) == 4, statements
    claim, insert_run, complete, history = (statement.replace('"', "") for statement in statements)
    assert claim.startswith("INSERT INTO dpm_runs_idempotencyrecord") and "ON CONFLICT" in claim
    assert insert_run.startswith("INSERT INTO dpm_runs_rebalancerun")
    assert complete.startswith("UPDATE dpm_runs_idempotencyrecord")
    # The key's history (GET .../idempotency/{key}/history): one single-row insert.
    assert history.startswith(HISTORY_INSERT)


def test_on_postgresql_the_claim_lock_rides_on_those_statements(client):
    """The advisory lock that tells a live claimer from a dead one (claim_locks.py) is
    taken by the claim's INSERT and dropped by the completing UPDATE: no statement of
    its own, and none left held."""
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    claim, _, complete, _ = _run_store_statements(client, "locked")
    assert "pg_try_advisory_lock" in claim
    assert "pg_advisory_unlock" in complete
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone() == (0,)


def test_a_replay_is_two_statements_and_a_history_entry(client):
    _run_store_statements(client, "again")
    statements = _run_store_statements(client, "again")
    assert len(statements) == 3, statements
    assert statements[0].startswith("INSERT INTO dpm_runs_idempotencyrecord")
    assert statements[1].startswith("SELECT")
    # Costed in benchmarks/key_history_replay_cost.py.
    assert statements[2].replace('"', "").startswith(HISTORY_INSERT)

"""How a history entry is committed: durably, as one INSERT, and with the caller's
transaction when there is one (rolled back with it)."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dpm_runs.key_history import key_history, record_key_event
from dpm_runs.models import KeyOutcome


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
def test_on_its_own_the_entry_is_one_insert_that_never_relaxes_durability(owner):
    statements = _record(owner.pk)
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO dpm_runs_idempotencyevent")
    assert not any("synchronous_commit" in statement for statement in statements)
    assert [e.outcome for e in key_history("k", client_id=owner.pk)] == ["replayed"]


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_commits_or_rolls_back_with_it(owner):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        _record(owner.pk)
        raise Abort
    assert key_history("k", client_id=owner.pk) == []
    with transaction.atomic():
        _record(owner.pk)
    assert [e.outcome for e in key_history("k", client_id=owner.pk)] == ["replayed"]

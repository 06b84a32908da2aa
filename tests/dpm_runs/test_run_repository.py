"""RunRepository: recording and reading runs."""
from __future__ import annotations

import dataclasses
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpm_runs.models import RebalanceRun
from dpm_runs.repository import RunFilters, RunIdCollision, RunRepository, StoredRun

pytestmark = pytest.mark.django_db


def test_analyze_run_round_trip_keeps_every_byte(repo, make_run, clock, owner):
    new = make_run(correlation_id="corr-batch:cap_half", request_hash="batch_4f8d5976:cap_half")
    stored = repo.record_analyze_run(owner.pk, new, batch_run_id="batch_4f8d5976")

    fetched = repo.get_run(new.rebalance_run_id, client_id=owner.pk)
    assert fetched == stored
    assert repo.get_run(new.rebalance_run_id, client_id=None) == stored
    assert isinstance(fetched, StoredRun)
    assert fetched.response_body == new.response_body
    assert fetched.response_body.encode() == new.response_body.encode()
    assert fetched.idempotency_key is None
    assert fetched.batch_run_id == "batch_4f8d5976"
    assert fetched.request_hash == "batch_4f8d5976:cap_half"
    assert fetched.created_at == clock.now

    row = RebalanceRun.objects.get(rebalance_run_id=new.rebalance_run_id)
    assert row.response_body == new.response_body
    assert json.loads(row.request) == new.request
    assert row.status == "READY"
    assert row.client_id == owner.pk


def test_get_run_is_exact_and_case_sensitive(repo, make_run, owner):
    repo.record_analyze_run(owner.pk, make_run(run_id="rr_abcdef01"), batch_run_id="batch_1")
    for scope in (owner.pk, None):
        assert repo.get_run("rr_abcdef01", client_id=scope) is not None
        assert repo.get_run("RR_ABCDEF01", client_id=scope) is None
        assert repo.get_run("rr_abcdef0", client_id=scope) is None


def test_reads_do_not_select_the_jsonb_columns(repo, make_run, owner):
    new = make_run()
    repo.record_simulate_run(owner.pk, "k1", new)
    with CaptureQueriesContext(connection) as ctx:
        for scope in (owner.pk, None):
            assert repo.get_run(new.rebalance_run_id, client_id=scope) is not None
            assert repo.get_latest_by_correlation(new.correlation_id, client_id=scope) is not None
        assert repo.get_idempotency("k1", client_id=owner.pk) is not None
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert '"result"' not in sql
    assert '"request"' not in sql


def test_reads_with_a_client_id_see_only_that_clients_runs(repo, make_run, clock, owner, other_owner):
    mine = repo.record_simulate_run(owner.pk, "key-1", make_run(correlation_id="shared"))
    clock.advance(1)
    theirs = repo.record_simulate_run(other_owner.pk, "key-1", make_run(correlation_id="shared"))

    assert repo.get_run(theirs.rebalance_run_id, client_id=owner.pk) is None
    assert repo.get_run(mine.rebalance_run_id, client_id=other_owner.pk) is None
    assert repo.get_run(mine.rebalance_run_id, client_id=owner.pk) == mine
    assert repo.get_run(theirs.rebalance_run_id, client_id=None) == theirs
    # Latest within the client's own runs; across all clients with None.
    assert repo.get_latest_by_correlation("shared", client_id=owner.pk) == mine
    assert repo.get_latest_by_correlation("shared", client_id=other_owner.pk) == theirs
    assert repo.get_latest_by_correlation("shared", client_id=None) == theirs
    # One key, two key spaces, two mappings.
    assert repo.get_idempotency("key-1", client_id=owner.pk).rebalance_run_id == mine.rebalance_run_id
    assert repo.get_idempotency("key-1", client_id=other_owner.pk).rebalance_run_id == theirs.rebalance_run_id
    assert dict(RebalanceRun.objects.values_list("rebalance_run_id", "client_id")) == {
        mine.rebalance_run_id: owner.pk,
        theirs.rebalance_run_id: other_owner.pk,
    }


def test_latest_by_correlation_prefers_the_later_timestamp(repo, make_run, clock, owner):
    later = make_run(correlation_id="c_none")
    clock.advance(10)
    repo.record_analyze_run(owner.pk, later, batch_run_id="b")
    clock.advance(-20)
    # Written afterwards, but with an earlier created_at.
    repo.record_analyze_run(owner.pk, make_run(correlation_id="c_none"), batch_run_id="b")

    for scope in (owner.pk, None):
        assert repo.get_latest_by_correlation("c_none", client_id=scope).rebalance_run_id == later.rebalance_run_id


def test_latest_by_correlation_tie_breaks_on_the_last_written_row(repo, make_run, owner):
    first = make_run(run_id="rr_ffffffff", correlation_id="c_none")
    second = make_run(run_id="rr_00000000", correlation_id="c_none")
    repo.record_analyze_run(owner.pk, first, batch_run_id="b")
    repo.record_analyze_run(owner.pk, second, batch_run_id="b")  # same clock reading
    assert (
        repo.get_run(first.rebalance_run_id, client_id=owner.pk).created_at
        == repo.get_run(second.rebalance_run_id, client_id=owner.pk).created_at
    )

    for scope in (owner.pk, None):
        assert repo.get_latest_by_correlation("c_none", client_id=scope).rebalance_run_id == "rr_00000000"


def test_latest_by_correlation_matches_whole_values_only(repo, make_run, owner):
    repo.record_analyze_run(owner.pk, make_run(correlation_id="corr-spec-batch:cap_half"), batch_run_id="b")
    for scope in (owner.pk, None):
        assert repo.get_latest_by_correlation("corr-spec-batch", client_id=scope) is None
        assert repo.get_latest_by_correlation("CORR-SPEC-BATCH:cap_half", client_id=scope) is None
        assert repo.get_latest_by_correlation("corr-spec-batch:cap_half", client_id=scope) is not None


def test_run_id_collision_keeps_the_earlier_run(repo, make_run, owner):
    first = make_run(run_id="rr_0badc0de", correlation_id="first")
    repo.record_simulate_run(owner.pk, "key-1", first)

    with pytest.raises(RunIdCollision) as excinfo:
        repo.record_simulate_run(owner.pk, "key-2", make_run(run_id="rr_0badc0de", correlation_id="second"))
    assert excinfo.value.rebalance_run_id == "rr_0badc0de"

    assert repo.get_run("rr_0badc0de", client_id=owner.pk).correlation_id == "first"
    assert repo.get_idempotency("key-2", client_id=owner.pk) is None
    assert RebalanceRun.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "DONE", "status must be one of"),
        ("correlation_id", "c" * 513, "correlation_id is longer than 512"),
        ("portfolio_id", "p" * 257, "portfolio_id is longer than 256"),
        ("rebalance_run_id", "r" * 65, "rebalance_run_id is longer than 64"),
    ],
)
def test_invalid_runs_are_rejected_before_writing(repo, make_run, owner, field, value, message):
    new = make_run()
    bad = dataclasses.replace(new, **{field: value})
    with pytest.raises(ValueError, match=message):
        repo.record_analyze_run(owner.pk, bad, batch_run_id="b")
    assert RebalanceRun.objects.count() == 0


def test_overlong_idempotency_key_is_rejected(repo, make_run, owner):
    with pytest.raises(ValueError, match="idempotency key is longer than 256"):
        repo.claim(owner.pk, "k" * 257, "sha256:x")
    with pytest.raises(ValueError, match="idempotency key is longer than 256"):
        repo.record_simulate_run(owner.pk, "k" * 257, make_run())


def _seed(repo, make_run, clock, owner):
    """Five runs: two portfolios, three statuses, two sharing one timestamp."""
    specs = [
        ("pf_a", "READY", "c1", 0),
        ("pf_b", "BLOCKED", "c2", 60),
        ("pf_a", "PENDING_REVIEW", "c1", 0),  # same created_at as the previous one
        ("pf_a", "READY", "c3", 3600),
        ("pf_b", "READY", "c1", 86400),
    ]
    ids = []
    for portfolio, status, corr, step in specs:
        clock.advance(step)
        new = make_run(portfolio_id=portfolio, status=status, correlation_id=corr)
        repo.record_analyze_run(owner.pk, new, batch_run_id="b")
        ids.append(new.rebalance_run_id)
    return ids


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
def test_iter_runs_returns_every_run_once_in_time_order(repo, make_run, clock, owner, chunk_size):
    ids = _seed(repo, make_run, clock, owner)
    runs = list(repo.iter_runs(RunFilters(), chunk_size=chunk_size))
    assert [r.rebalance_run_id for r in runs] == ids
    assert all(r.response_body == repo.get_run(r.rebalance_run_id, client_id=owner.pk).response_body for r in runs)
    summaries = list(repo.iter_run_summaries(RunFilters(), chunk_size=chunk_size))
    assert [s.rebalance_run_id for s in summaries] == ids
    assert not hasattr(summaries[0], "response_body")


def test_iter_runs_filters(repo, make_run, clock, owner):
    ids = _seed(repo, make_run, clock, owner)

    def created_at(run_id):
        return repo.get_run(run_id, client_id=owner.pk).created_at

    start = created_at(ids[0])

    def run_ids(**filters):
        return [r.rebalance_run_id for r in repo.iter_run_summaries(RunFilters(**filters), chunk_size=2)]

    assert run_ids(portfolio_id="pf_a") == [ids[0], ids[2], ids[3]]
    assert run_ids(status="READY") == [ids[0], ids[3], ids[4]]
    assert run_ids(correlation_id="c1") == [ids[0], ids[2], ids[4]]
    # since inclusive, until exclusive
    assert run_ids(since=created_at(ids[1])) == ids[1:]
    assert run_ids(until=created_at(ids[3])) == ids[:3]
    assert run_ids(portfolio_id="pf_a", status="READY", since=start) == [ids[0], ids[3]]
    assert run_ids(portfolio_id="nobody") == []
    assert repo.count_runs(RunFilters(portfolio_id="pf_a")) == 3


def test_iter_runs_rejects_a_zero_chunk(repo):
    with pytest.raises(ValueError):
        list(repo.iter_runs(RunFilters(), chunk_size=0))


def test_default_lease_comes_from_settings(settings, make_run, clock, owner):
    settings.DPM_IDEMPOTENCY_LEASE_SECONDS = 5
    claim = RunRepository(clock=clock).claim(owner.pk, "k", "sha256:h")
    assert (claim.lease_expires_at - clock.now).total_seconds() == 5
    del settings.DPM_IDEMPOTENCY_LEASE_SECONDS
    claim = RunRepository(clock=clock).claim(owner.pk, "k2", "sha256:h")
    assert (claim.lease_expires_at - clock.now).total_seconds() == 60


def test_large_columns_use_lz4_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("column compression is a PostgreSQL feature; SQLite migrates without it")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute "
            "WHERE attrelid = 'dpm_runs_rebalancerun'::regclass "
            "AND attname IN ('response_body', 'request')"
        )
        compression = dict(cursor.fetchall())
    assert compression == {"response_body": "l", "request": "l"}


def test_the_result_and_the_request_are_stored_once_as_lz4_compressed_text():
    if connection.vendor != "postgresql":
        pytest.skip("column types and compression as PostgreSQL reports them")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'dpm_runs_rebalancerun' "
            "AND column_name IN ('result', 'response_body', 'request')"
        )
        assert dict(cursor.fetchall()) == {"response_body": "text", "request": "text"}
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        if "lz4" in (cursor.fetchone()[0] or []):
            cursor.execute(
                "SELECT attname, attcompression FROM pg_attribute "
                "WHERE attrelid = 'dpm_runs_rebalancerun'::regclass AND attname IN ('response_body', 'request')"
            )
            assert dict(cursor.fetchall()) == {"response_body": "l", "request": "l"}

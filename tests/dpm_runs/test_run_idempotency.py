"""The claim protocol of docs/idempotency.md, one request at a time."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from dpm_runs.models import IdempotencyRecord, IdempotencyState, RebalanceRun
from dpm_runs.repository import (
    Claimed,
    Conflict,
    InProgress,
    Replay,
    RunIdCollision,
    RunRepository,
)

pytestmark = pytest.mark.django_db

HASH_A = "sha256:" + "a" * 64
HASH_B = "sha256:" + "b" * 64


def test_first_claim_is_an_in_progress_record_with_a_lease(repo, clock, owner):
    outcome = repo.claim(owner.pk, "key-1", HASH_A)
    assert isinstance(outcome, Claimed)
    assert outcome.client_id == owner.pk
    assert (outcome.lease_expires_at - clock.now).total_seconds() == 60
    record = IdempotencyRecord.objects.get(client=owner, key="key-1")
    assert record.state == IdempotencyState.IN_PROGRESS
    assert record.run is None
    assert record.request_hash == HASH_A
    assert record.claim_token == outcome.token
    assert (record.lease_expires_at - clock.now).total_seconds() == 60
    # Not yet visible to the support lookup.
    assert repo.get_idempotency("key-1", client_id=owner.pk) is None


def test_complete_then_same_body_replays_the_stored_bytes(repo, make_run, clock, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    new = make_run(request_hash=HASH_A)
    stored = repo.complete(claim, new)
    assert stored.response_body == new.response_body
    assert stored.idempotency_key == "key-1"

    clock.advance(3600)
    replay = repo.claim(owner.pk, "key-1", HASH_A)
    assert isinstance(replay, Replay)
    assert replay.run == stored
    assert replay.run.response_body.encode() == new.response_body.encode()
    assert replay.run.rebalance_run_id == new.rebalance_run_id
    assert RebalanceRun.objects.count() == 1

    mapping = repo.get_idempotency("key-1", client_id=owner.pk)
    assert mapping.rebalance_run_id == new.rebalance_run_id
    assert mapping.request_hash == HASH_A
    assert mapping.created_at == stored.created_at


def test_same_key_different_body_conflicts_in_every_state(repo, make_run, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    assert repo.claim(owner.pk, "key-1", HASH_B) == Conflict("key-1")
    repo.complete(claim, make_run(request_hash=HASH_A))
    assert repo.claim(owner.pk, "key-1", HASH_B) == Conflict("key-1")
    record = IdempotencyRecord.objects.get(client=owner, key="key-1")
    assert record.request_hash == HASH_A
    assert RebalanceRun.objects.count() == 1


def test_keys_are_exact_and_case_sensitive(repo, owner):
    assert isinstance(repo.claim(owner.pk, "Key", HASH_A), Claimed)
    assert isinstance(repo.claim(owner.pk, "key", HASH_B), Claimed)
    assert isinstance(repo.claim(owner.pk, "", HASH_A), Claimed)  # an empty key is a key (§6 item 1)


def test_each_client_has_its_own_key_space(repo, make_run, owner, other_owner):
    mine = repo.claim(owner.pk, "key-1", HASH_A)
    # The same key is new in another client's key space, whatever the body.
    theirs = repo.claim(other_owner.pk, "key-1", HASH_B)
    assert isinstance(mine, Claimed) and mine.client_id == owner.pk
    assert isinstance(theirs, Claimed) and theirs.client_id == other_owner.pk
    assert theirs.token != mine.token
    assert IdempotencyRecord.objects.get(client=owner, key="key-1").request_hash == HASH_A
    assert IdempotencyRecord.objects.get(client=other_owner, key="key-1").request_hash == HASH_B

    stored = repo.complete(mine, make_run(request_hash=HASH_A))
    # Completing one client's key neither completes nor frees the other's.
    assert repo.get_idempotency("key-1", client_id=other_owner.pk) is None
    assert repo.claim(other_owner.pk, "key-1", HASH_B) == InProgress("key-1", retry_after=60)
    assert repo.claim(other_owner.pk, "key-1", HASH_A) == Conflict("key-1")
    replay = repo.claim(owner.pk, "key-1", HASH_A)
    assert isinstance(replay, Replay) and replay.run == stored
    # Releasing the other client's claim leaves this client's mapping alone.
    assert repo.release(theirs) is True
    assert repo.get_idempotency("key-1", client_id=owner.pk).rebalance_run_id == stored.rebalance_run_id
    assert list(IdempotencyRecord.objects.filter(key="key-1").values_list("client_id", flat=True)) == [owner.pk]


def test_duplicate_during_the_lease_is_told_when_to_retry(repo, clock, owner):
    repo.claim(owner.pk, "key-1", HASH_A)
    clock.advance(15.2)
    outcome = repo.claim(owner.pk, "key-1", HASH_A)
    assert outcome == InProgress("key-1", retry_after=45)
    clock.advance(44.5)
    assert repo.claim(owner.pk, "key-1", HASH_A) == InProgress("key-1", retry_after=1)


def test_expired_lease_is_taken_over(repo, make_run, clock, owner):
    first = repo.claim(owner.pk, "key-1", HASH_A)
    clock.advance(61)
    second = repo.claim(owner.pk, "key-1", HASH_A)
    assert isinstance(second, Claimed)
    assert second.token != first.token
    assert (second.lease_expires_at - clock.now).total_seconds() == 60

    # The presumed-dead first holder cannot release the new holder's claim.
    assert repo.release(first) is False
    assert IdempotencyRecord.objects.get(client=owner, key="key-1").claim_token == second.token
    stored = repo.complete(second, make_run(request_hash=HASH_A))
    assert repo.get_idempotency("key-1", client_id=owner.pk).rebalance_run_id == stored.rebalance_run_id


def test_late_finisher_after_take_over_gets_the_winning_run(repo, make_run, clock, owner):
    slow = repo.claim(owner.pk, "key-1", HASH_A)
    clock.advance(61)
    fast = repo.claim(owner.pk, "key-1", HASH_A)
    winner = repo.complete(fast, make_run(request_hash=HASH_A))

    late = make_run(request_hash=HASH_A)
    answer = repo.complete(slow, late)
    assert answer == winner
    assert repo.get_run(late.rebalance_run_id, client_id=owner.pk) is None
    assert RebalanceRun.objects.count() == 1


def test_release_frees_the_key(repo, make_run, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    assert repo.release(claim) is True
    assert not IdempotencyRecord.objects.filter(client=owner, key="key-1").exists()
    assert repo.release(claim) is False
    # A released key is new again, even for a different body.
    again = repo.claim(owner.pk, "key-1", HASH_B)
    assert isinstance(again, Claimed)


def test_release_never_removes_a_completed_mapping(repo, make_run, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    repo.complete(claim, make_run(request_hash=HASH_A))
    assert repo.release(claim) is False
    assert repo.get_idempotency("key-1", client_id=owner.pk) is not None


def test_complete_checks_the_hash(repo, make_run, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    with pytest.raises(ValueError, match="request hash"):
        repo.complete(claim, make_run(request_hash=HASH_B))


def test_run_id_collision_on_complete_leaves_the_claim_in_progress(repo, make_run, owner):
    repo.record_analyze_run(owner.pk, make_run(run_id="rr_0000abcd"), batch_run_id="b")
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    with pytest.raises(RunIdCollision):
        repo.complete(claim, make_run(run_id="rr_0000abcd", request_hash=HASH_A))
    record = IdempotencyRecord.objects.get(client=owner, key="key-1")
    assert record.state == IdempotencyState.IN_PROGRESS
    # The caller may retry with a fresh run id.
    stored = repo.complete(claim, make_run(run_id="rr_0000abce", request_hash=HASH_A))
    assert repo.get_idempotency("key-1", client_id=owner.pk).rebalance_run_id == stored.rebalance_run_id


def test_mapping_survives_a_new_repository_and_connection(repo, make_run, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    stored = repo.complete(claim, make_run(request_hash=HASH_A))
    # Nothing lives in process memory: another instance, as in another worker,
    # reads the same answer from the database.
    other = RunRepository()
    replay = other.claim(owner.pk, "key-1", HASH_A)
    assert isinstance(replay, Replay) and replay.run == stored


# --- replay disabled -------------------------------------------------------


def test_replay_disabled_records_every_execution_and_repoints_the_key(repo, make_run, clock, owner):
    first = repo.record_simulate_run(owner.pk, "key-1", make_run(request_hash=HASH_A))
    clock.advance(1)
    second = repo.record_simulate_run(owner.pk, "key-1", make_run(request_hash=HASH_B))  # no 409
    assert RebalanceRun.objects.filter(client=owner, idempotency_key="key-1").count() == 2
    mapping = repo.get_idempotency("key-1", client_id=owner.pk)
    assert mapping.rebalance_run_id == second.rebalance_run_id
    assert mapping.request_hash == HASH_B
    assert mapping.created_at == second.created_at
    assert first.rebalance_run_id != second.rebalance_run_id

    # Replay switched back on: the mapping now stands for HASH_B.
    assert isinstance(repo.claim(owner.pk, "key-1", HASH_B), Replay)
    assert repo.claim(owner.pk, "key-1", HASH_A) == Conflict("key-1")


def test_replay_disabled_run_overrides_an_in_progress_claim(repo, make_run, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    direct = repo.record_simulate_run(owner.pk, "key-1", make_run(request_hash=HASH_A))
    # The claimant finishing afterwards answers with the run the key maps to.
    assert repo.complete(claim, make_run(request_hash=HASH_A)) == direct
    assert RebalanceRun.objects.count() == 1


# --- one transaction: a failure leaves neither row ---------------------------


class Boom(Exception):
    pass


def _fail_after_run_insert(monkeypatch):
    """Fail at the point where the key is pointed at the just-inserted run."""
    def explode(row, *args):
        assert RebalanceRun.objects.filter(pk=row.pk).exists()
        raise Boom

    monkeypatch.setattr(RunRepository, "_point_key_at", lambda self, client_id, key, record, row: explode(row))
    monkeypatch.setattr(RunRepository, "_complete_claim", lambda self, claim, row: explode(row))


@pytest.mark.django_db(transaction=True)
def test_failed_complete_writes_neither_run_nor_mapping(repo, make_run, monkeypatch, owner):
    claim = repo.claim(owner.pk, "key-1", HASH_A)
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL completes in one statement: see the test after this one")
    _fail_after_run_insert(monkeypatch)
    new = make_run(request_hash=HASH_A)
    with pytest.raises(Boom):
        repo.complete(claim, new)
    assert not connection.in_atomic_block
    assert not RebalanceRun.objects.exists()
    record = IdempotencyRecord.objects.get(client=owner, key="key-1")
    assert record.state == IdempotencyState.IN_PROGRESS and record.run is None


@pytest.mark.django_db(transaction=True)
def test_one_statement_completion_that_fails_at_its_last_part_writes_nothing_and_keeps_the_lock(
    repo, make_run, monkeypatch, owner
):
    """PostgreSQL: the run, the mapping and the history entry are one statement. Make
    its last part (the history entry) fail: nothing is written, and the claim keeps
    its holder's lock, so no duplicate can take a live claim over."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement completion is PostgreSQL's")
    from dpm_runs import claim_locks, repository

    claim = repo.claim(owner.pk, "key-1", HASH_A, correlation_id="corr-1")
    monkeypatch.setattr(
        repository, "_COMPLETE_IN_ONE_STATEMENT_SQL",
        repository._COMPLETE_IN_ONE_STATEMENT_SQL.replace("%(executed)s", "'not-an-outcome'"),
    )
    with pytest.raises(IntegrityError):
        repo.complete(claim, make_run(request_hash=HASH_A))
    assert not connection.in_atomic_block
    assert not RebalanceRun.objects.exists()
    record = IdempotencyRecord.objects.get(client=owner, key="key-1")
    assert record.state == IdempotencyState.IN_PROGRESS and record.run is None
    assert claim_locks.holds(repo.using, owner.pk, "key-1")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone() == (1,)
    # Control: the statement as shipped completes the same claim.
    monkeypatch.undo()
    assert repo.complete(claim, make_run(request_hash=HASH_A)).idempotency_key == "key-1"
    assert IdempotencyRecord.objects.get(client=owner, key="key-1").state == IdempotencyState.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_failed_replay_disabled_record_writes_neither_row(repo, make_run, monkeypatch, owner):
    _fail_after_run_insert(monkeypatch)
    with pytest.raises(Boom):
        repo.record_simulate_run(owner.pk, "key-1", make_run(request_hash=HASH_A))
    assert not RebalanceRun.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_claim_is_committed_on_return(repo, owner):
    repo.claim(owner.pk, "key-1", HASH_A)
    assert not connection.in_atomic_block
    # Visible from a fresh connection, i.e. to every other process.
    connection.close()
    assert IdempotencyRecord.objects.filter(client=owner, key="key-1").exists()
